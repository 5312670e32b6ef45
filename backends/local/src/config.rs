//! Settings of the local backend, built from the engine's resolved [`Options`].
//!
//! The local backend needs no options today; any option given is rejected with an error that
//! names it, so a typo never passes silently.

use stowage_plugin_sdk::{Options, Result};

/// Resolved settings of one local bucket (none yet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalConfig {}

impl LocalConfig {
    /// Takes the known keys from `options` and rejects the rest.
    pub fn from_options(options: Options) -> Result<LocalConfig> {
        options.finish("local backend")?;
        Ok(LocalConfig {})
    }
}

#[cfg(test)]
mod tests {
    use stowage_plugin_sdk::ErrorKind;

    use super::*;

    #[test]
    fn no_options_is_fine() {
        assert_eq!(
            LocalConfig::from_options(Options::default()).unwrap(),
            LocalConfig::default()
        );
    }

    #[test]
    fn unknown_options_are_named() {
        let err = LocalConfig::from_options(Options::new([("compresion", "gzip")])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        let msg = err.to_string();
        assert!(
            msg.contains("`compresion`") && msg.contains("local backend"),
            "{msg}"
        );
    }
}
