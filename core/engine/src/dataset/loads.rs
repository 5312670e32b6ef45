//! Which loads are committed: those with a completion marker
//! `<dataset>/_dlt_loads/{schema_name}__{load_id}.jsonl` (spec §3.3), the last object a load
//! writes.

use std::collections::BTreeSet;

use stowage_plugin_sdk::Backend;

use crate::Result;

/// The folder of completion markers.
pub const LOADS_FOLDER: &str = "_dlt_loads";

/// Load ids with a marker (of any schema), from a listing of `<dataset>/_dlt_loads/`.
pub fn committed_load_ids(backend: &dyn Backend, dataset: &str) -> Result<BTreeSet<String>> {
    let prefix = format!("{dataset}/{LOADS_FOLDER}/");
    let lister = backend
        .list(&prefix)
        .map_err(|e| e.while_doing(format!("listing the load markers in {prefix}")))?;
    let mut ids = BTreeSet::new();
    for entry in lister {
        let entry = entry.map_err(|e| e.while_doing(format!("listing {prefix}")))?;
        if let Some(load_id) = load_id_of_marker(&entry.key) {
            ids.insert(load_id.to_string());
        }
    }
    Ok(ids)
}

/// The load id in a marker key (`…/{schema}__{load_id}.jsonl`; schema names may hold `__`).
pub fn load_id_of_marker(key: &str) -> Option<&str> {
    let file = key.rsplit('/').next()?.strip_suffix(".jsonl")?;
    let (_, load_id) = file.rsplit_once("__")?;
    (!load_id.is_empty()).then_some(load_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_names_split_from_the_right() {
        assert_eq!(
            load_id_of_marker("ds/_dlt_loads/my__schema__1795310773.1276467.jsonl"),
            Some("1795310773.1276467")
        );
        assert_eq!(load_id_of_marker("ds/_dlt_loads/init"), None);
        assert_eq!(load_id_of_marker("ds/_dlt_loads/x.jsonl"), None);
    }
}
