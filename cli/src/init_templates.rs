//! What `stowage init` writes: `.dlt/config.toml`, `.dlt/secrets.toml` with the credential
//! fields of the bucket's scheme, the `.gitignore` lines, and the sample data.

use stowage::bucket_url::scheme_of;
use stowage::config::PLACEHOLDER;

/// 40 chess games (chess.com archive shape) bundled for `stowage init chess`.
pub const CHESS_GAMES: &str = include_str!("../assets/chess_games.ndjson");

/// Lines `.gitignore` must have.
pub const GITIGNORE_LINES: &[&str] = &[
    "# Stowage / dlt: never commit secrets",
    ".dlt/secrets.toml",
    "secrets.toml",
    "# the default local bucket",
    "_storage/",
];

/// The project being created.
pub struct Project<'a> {
    /// Source name.
    pub source: &'a str,
    /// Bucket URL, or `None` for the s3 placeholder.
    pub bucket_url: Option<&'a str>,
}

impl Project<'_> {
    /// The sample file name.
    pub fn sample_file(&self) -> String {
        match self.source {
            "chess" => "chess_games.ndjson".into(),
            other => format!("{other}.ndjson"),
        }
    }

    /// The sample data.
    pub fn sample(&self) -> String {
        match self.source {
            "chess" => CHESS_GAMES.into(),
            _ => concat!(
                "{\"id\": 1, \"name\": \"first example\", \"tags\": [\"a\", \"b\"], \"created_at\": \"2024-01-01T00:00:00Z\"}\n",
                "{\"id\": 2, \"name\": \"second example\", \"tags\": [], \"created_at\": \"2024-01-02T00:00:00Z\"}\n",
                "{\"id\": 3, \"name\": \"replace this file with your data\", \"created_at\": \"2024-01-03T00:00:00Z\"}\n",
            )
            .into(),
        }
    }

    /// The table the sample loads into.
    pub fn table(&self) -> &str {
        match self.source {
            "chess" => "games",
            other => other,
        }
    }

    /// The bucket URL's scheme (`s3` for the placeholder).
    pub fn scheme(&self) -> String {
        self.bucket_url.map_or_else(|| "s3".into(), scheme_of)
    }

    /// `.dlt/config.toml`.
    pub fn config_toml(&self) -> String {
        let source = self.source;
        let bucket = match self.bucket_url {
            Some(url) => format!("bucket_url = {}", quote(url)),
            None => format!(
                "bucket_url = {} # fill this in, e.g. \"s3://my-bucket/data\"",
                quote(PLACEHOLDER)
            ),
        };
        format!(
            "\
# Settings of this Stowage project (dlt reads the same files).
# Secrets (keys, passwords, tokens) go to .dlt/secrets.toml, never here.
# Every setting can also come from an environment variable: the path in capitals joined by
# \"__\", e.g. DESTINATION__FILESYSTEM__BUCKET_URL; env vars win over both files.
# `stowage config show` prints every setting and where it came from.

[runtime]
log_level = \"WARNING\"

# What `stowage run` loads when called without arguments.
[sources.{source}]
input = {input} # NDJSON, relative to this project dir; \"-\" reads stdin
table = {table}
pipeline_name = {pipeline} # working dir and state; [{source}_pipeline.…] sections apply only to it
dataset_name = {dataset} # the folder under the bucket

[destination.filesystem]
{bucket}

# [normalize.data_writer]
# disable_compression = true # plain .jsonl instead of .jsonl.gz
# buffer_max_items = 5000
",
            input = quote(&self.sample_file()),
            table = quote(self.table()),
            pipeline = quote(&format!("{source}_pipeline")),
            dataset = quote(&format!("{source}_data")),
        )
    }

    /// `.dlt/secrets.toml`.
    pub fn secrets_toml(&self) -> String {
        let scheme = self.scheme();
        let header = "\
# Secrets of this Stowage project: keep this file out of git (.gitignore lists it).
# Environment variables win over it, e.g.
# DESTINATION__FILESYSTEM__CREDENTIALS__AWS_SECRET_ACCESS_KEY.
";
        let fields = credential_fields(&scheme);
        if fields.is_empty() {
            return format!(
                "{header}\n# A `{scheme}` bucket needs no credentials.\n\
                 # [destination.filesystem.credentials]\n"
            );
        }
        let mut out = format!("{header}\n[destination.filesystem.credentials]\n");
        for (name, example) in fields {
            match example {
                None => out.push_str(&format!(
                    "{name} = {} # fill this in!\n",
                    quote(PLACEHOLDER)
                )),
                Some(example) => out.push_str(&format!("# {name} = {}\n", quote(example))),
            }
        }
        out
    }
}

/// The credential fields `init` writes for a scheme: required ones (`None`, a placeholder to
/// fill in) and optional ones commented out with an example.
fn credential_fields(scheme: &str) -> Vec<(&'static str, Option<&'static str>)> {
    match scheme {
        "s3" | "s3a" => vec![
            ("aws_access_key_id", None),
            ("aws_secret_access_key", None),
            ("region_name", Some("eu-central-1")),
            ("endpoint_url", Some("https://s3.example.com")),
            ("profile_name", Some("default")),
        ],
        "gs" | "gcs" | "gdrive" => vec![
            ("project_id", None),
            ("client_email", None),
            ("private_key", None),
        ],
        "az" | "abfs" | "abfss" | "adl" | "azure" => vec![
            ("azure_storage_account_name", None),
            ("azure_storage_account_key", None),
            ("azure_storage_sas_token", Some("sv=…&sig=…")),
        ],
        "sftp" => vec![
            ("sftp_username", None),
            ("sftp_password", None),
            ("sftp_key_filename", Some("/home/me/.ssh/id_ed25519")),
            ("sftp_key_passphrase", Some("…")),
        ],
        "hf" => vec![("hf_token", None)],
        _ => Vec::new(),
    }
}

/// A TOML basic string (JSON string escapes are valid TOML escapes).
pub fn quote(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_is_the_default_and_needs_its_two_keys() {
        let project = Project {
            source: "chess",
            bucket_url: None,
        };
        let secrets = project.secrets_toml();
        assert!(secrets.contains("aws_access_key_id = \"<configure me>\""));
        assert!(secrets.contains("# region_name = \"eu-central-1\""));
        assert!(
            project
                .config_toml()
                .contains("bucket_url = \"<configure me>\"")
        );
    }

    #[test]
    fn local_buckets_need_no_credentials() {
        let project = Project {
            source: "my_events",
            bucket_url: Some("file:///tmp/a \"quoted\" dir"),
        };
        assert!(project.secrets_toml().contains("needs no credentials"));
        assert!(
            project
                .config_toml()
                .contains(r#"bucket_url = "file:///tmp/a \"quoted\" dir""#)
        );
    }
}
