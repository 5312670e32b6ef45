//! Every setting Stowage knows: the filesystem destination's fields (dlt 1.31), the credential
//! fields of each bucket scheme, the data writer / normalize / load settings, and Stowage's own
//! `[sources.<name>]` section. Validation ("unknown key, did you mean …?"), `stowage config
//! show` and the secret rules all read this one table.

use super::key::Key;

/// How a setting's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// `true`/`false` (also `1/0`, `yes/no`, `on/off` from env vars).
    Bool,
    /// A whole number.
    Int,
    /// A number.
    Float,
    /// A dict: a JSON object string or a TOML (inline) table.
    Dict,
    /// A secret: masked everywhere, never read from `config.toml`.
    Secret,
}

/// Where a setting lives in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// `[destination.<name>]` (falls back to `[destination]`, then the top level).
    Destination,
    /// `[normalize.data_writer]` → `[data_writer]`.
    DataWriter,
    /// `[normalize]`.
    Normalize,
    /// `[load]`.
    Load,
    /// Stowage's `[sources.<name>]` (what `stowage run` loads without arguments).
    Source,
    /// dlt's pipeline settings: `[pipelines.<pipeline>]` → `[pipelines]` → the top level
    /// (`PipelineConfiguration`, which `dlt.pipeline()` resolves).
    Pipeline,
    /// `[destination.duckdb]` / `[destination.postgres]`: a database destination loading from
    /// the staging bucket.
    Database,
}

/// A known setting.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// Where it lives.
    pub group: Group,
    /// Its name.
    pub name: &'static str,
    /// How its value is read.
    pub kind: Kind,
    /// The default, as text.
    pub default: Option<&'static str>,
    /// True if Stowage uses it today (others are accepted for dlt compatibility).
    pub applied: bool,
    /// One line for `stowage config show --json` and docs.
    pub doc: &'static str,
}

const fn setting(
    group: Group,
    name: &'static str,
    kind: Kind,
    default: Option<&'static str>,
    applied: bool,
    doc: &'static str,
) -> Setting {
    Setting {
        group,
        name,
        kind,
        default,
        applied,
        doc,
    }
}

use Group::*;
use Kind::*;

/// The dlt filesystem destination's default layout.
pub const DEFAULT_LAYOUT: &str = "{table_name}/{load_id}.{file_id}.{ext}";

/// Every known setting except credentials. Settings only a staged load into a database uses
/// have no listed default (it is in their doc), so `stowage config show` lists them only when
/// they are set.
#[rustfmt::skip]
pub const SETTINGS: &[Setting] = &[
    setting(Destination, "bucket_url", Text, Some("_storage"), true, "where data goes: a local path, file:// URL or any scheme a backend plugin serves"),
    setting(Destination, "kwargs", Dict, None, true, "extra backend arguments, passed as `kwargs.<key>` options"),
    setting(Destination, "client_kwargs", Dict, None, true, "extra backend client arguments, passed as `client_kwargs.<key>` options"),
    setting(Destination, "layout", Text, Some(DEFAULT_LAYOUT), true, "object key layout below the dataset"),
    setting(Destination, "extra_placeholders", Dict, None, true, "extra layout placeholders (name → value)"),
    setting(Destination, "current_datetime", Text, None, true, "fixed ISO 8601 moment for the date/time placeholders"),
    setting(Destination, "max_state_files", Int, Some("100"), true, "pipeline state files kept on the bucket per pipeline (≤ 0 keeps all)"),
    setting(Destination, "always_refresh_views", Bool, Some("false"), false, "dlt dataset access setting"),
    setting(Destination, "warn_unsafe_layout_separators", Bool, Some("true"), true, "warn when the layout separates {table_name} with a character table names may contain"),
    setting(Destination, "config_kwargs", Dict, None, false, "fsspec config arguments"),
    setting(Destination, "read_only", Bool, Some("false"), false, "dlt read-only filesystem"),
    setting(Destination, "replace_strategy", Text, None, true, "replace on a database destination ([destination.duckdb|postgres]): truncate-and-insert (default) or insert-from-staging"),
    setting(Destination, "merge_strategy", Text, None, true, "merge on a database destination ([destination.duckdb|postgres]): delete-insert (default) or upsert"),
    setting(Destination, "staging_dataset_name_layout", Text, None, true, "staging dataset of a database destination ([destination.duckdb|postgres]); `%s` is the dataset name (default `%s_staging`)"),
    setting(Destination, "enable_dataset_name_normalization", Bool, Some("true"), false, "normalize the dataset name"),
    setting(Destination, "destination_name", Text, None, false, "the destination's name"),
    setting(Destination, "destination_type", Text, None, true, "the type of a named destination (`filesystem`)"),
    setting(Destination, "environment", Text, None, false, "dlt destination environment"),
    setting(Destination, "deltalake_storage_options", Dict, None, false, "delta table storage options"),
    setting(Destination, "deltalake_configuration", Dict, None, false, "delta table configuration"),
    setting(Destination, "truncate_tables_on_staging_destination_before_load", Bool, None, true, "delete the staged files of the tables in a load before uploading to the staging bucket (default true)"),
    setting(DataWriter, "buffer_max_items", Int, Some("5000"), true, "rows buffered per batch before writing"),
    setting(DataWriter, "file_max_items", Int, None, true, "rows per file before a new file is started"),
    setting(DataWriter, "file_max_bytes", Int, None, true, "bytes per file before a new file is started"),
    setting(DataWriter, "disable_compression", Bool, Some("false"), true, "write uncompressed files"),
    setting(DataWriter, "delimiter", Text, None, false, "csv delimiter"),
    setting(DataWriter, "include_header", Bool, None, false, "csv header row"),
    setting(DataWriter, "quoting", Text, None, false, "csv quoting"),
    setting(DataWriter, "flavor", Text, None, false, "parquet flavor"),
    setting(DataWriter, "version", Text, None, false, "parquet version"),
    setting(DataWriter, "data_page_size", Int, None, false, "parquet page size"),
    setting(DataWriter, "row_group_size", Int, None, false, "parquet row group size"),
    setting(DataWriter, "timestamp_timezone", Text, None, false, "parquet timestamp timezone"),
    setting(DataWriter, "coerce_timestamps", Text, None, false, "parquet timestamp unit"),
    setting(DataWriter, "allow_truncated_timestamps", Bool, None, false, "parquet timestamp truncation"),
    setting(DataWriter, "use_compliant_nested_type", Bool, None, false, "parquet nested type naming"),
    setting(Normalize, "workers", Int, Some("1"), false, "normalize workers"),
    setting(Normalize, "pool_type", Text, None, false, "normalize pool type"),
    setting(Normalize, "start_method", Text, None, false, "normalize process start method"),
    setting(Normalize, "max_parallel_items", Int, None, false, "normalize parallelism"),
    setting(Load, "workers", Int, Some("20"), true, "parallel uploads"),
    setting(Load, "pool_type", Text, None, false, "load pool type"),
    setting(Load, "start_method", Text, None, false, "load process start method"),
    setting(Load, "raise_on_failed_jobs", Bool, Some("true"), false, "fail the load on a failed job"),
    setting(Load, "raise_on_max_retries", Int, Some("5"), true, "retries of a transient error before a job fails (≤ 0: none)"),
    setting(Load, "truncate_staging_dataset", Bool, None, true, "empty the staging dataset of a database destination after each load (default false)"),
    setting(Load, "delete_completed_jobs", Bool, Some("false"), false, "delete job files after load"),
    setting(Source, "input", Text, None, true, "NDJSON file to load (relative to the project dir; `-` is stdin)"),
    setting(Source, "table", Text, None, true, "table to load into (default: the source name)"),
    setting(Source, "pipeline_name", Text, Some("stowage"), true, "pipeline name (working dir, state, env/TOML scope)"),
    setting(Source, "dataset_name", Text, None, true, "dataset name (default: `<pipeline>_dataset`)"),
    setting(Source, "destination_name", Text, Some("filesystem"), true, "destination to load to (`filesystem` or a named filesystem destination)"),
    setting(Source, "loader_file_format", Text, Some("jsonl"), true, "file format (a format plugin name)"),
    setting(Source, "max_table_nesting", Int, Some("1000"), true, "nesting depth that becomes child tables; deeper values stay json"),
    setting(Source, "write_disposition", Text, Some("append"), true, "append, replace or merge (merge loads as append)"),
    setting(Source, "primary_key", Text, None, true, "primary key column(s) of the table (merge on a database destination; a name or a list)"),
    setting(Source, "merge_key", Text, None, true, "merge key column(s) of the table (merge on a database destination; a name or a list)"),
    setting(Source, "dedup_sort", Text, None, true, "which duplicate of a primary key merge keeps: `column:desc` or `column:asc`"),
    setting(Pipeline, "destination_type", Text, None, true, "the destination: `filesystem` (default), or `duckdb`/`postgres` loading through the staging bucket (`--destination` overrides)"),
    setting(Pipeline, "staging_type", Text, None, true, "the staging destination of a database destination: `filesystem` (`--staging` overrides; alone it means duckdb)"),
    setting(Pipeline, "destination_name", Text, None, false, "the name of the pipeline's destination"),
    setting(Pipeline, "staging_name", Text, None, false, "the name of the pipeline's staging destination"),
    setting(Pipeline, "pipelines_dir", Text, None, false, "dlt pipelines dir (stowage: --pipelines-dir or STOWAGE_PIPELINES_DIR)"),
    setting(Pipeline, "import_schema_path", Text, None, false, "schema import folder"),
    setting(Pipeline, "export_schema_path", Text, None, false, "schema export folder"),
    setting(Pipeline, "dataset_name_layout", Text, None, false, "dataset name layout (`%s` is the dataset name)"),
    setting(Pipeline, "pipeline_salt", Secret, None, false, "salt of the pipeline's instance id"),
    setting(Pipeline, "restore_from_destination", Bool, None, false, "restore state and schemas from the destination"),
    setting(Pipeline, "enable_runtime_trace", Bool, None, false, "save the run trace"),
    setting(Pipeline, "use_single_dataset", Bool, None, false, "all schemas in one dataset"),
    setting(Pipeline, "dev_mode", Bool, None, false, "start from scratch in a new dataset"),
    setting(Pipeline, "full_refresh", Bool, None, false, "deprecated dev_mode"),
    setting(Pipeline, "progress", Text, None, false, "progress collector"),
    setting(Pipeline, "refresh", Text, None, false, "refresh mode"),
    setting(Database, "staging_dataset_name_layout", Text, Some("%s_staging"), true, "the staging dataset; `%s` is the dataset name"),
    setting(Database, "replace_strategy", Text, Some("truncate-and-insert"), true, "replace: truncate-and-insert or insert-from-staging"),
    setting(Database, "merge_strategy", Text, Some("delete-insert"), true, "merge: delete-insert or upsert"),
    setting(Database, "truncate_tables_on_staging_destination_before_load", Bool, None, false, "stowage reads it from [destination.filesystem]"),
    setting(Database, "destination_type", Text, None, false, "the destination type of a named destination"),
    setting(Database, "destination_name", Text, None, false, "the destination's name"),
    setting(Database, "environment", Text, None, false, "dlt destination environment"),
    setting(Database, "default_schema_name", Text, None, false, "dlt default schema name"),
    setting(Database, "enable_dataset_name_normalization", Bool, None, false, "normalize the dataset name"),
    setting(Database, "info_tables_query_threshold", Int, None, false, "dlt information schema query threshold"),
    setting(Database, "create_indexes", Bool, None, false, "create unique/primary key indexes"),
    setting(Database, "csv_format", Dict, None, false, "postgres csv format"),
    setting(Database, "local_dir", Text, None, false, "duckdb local dir"),
    setting(Database, "pipeline_name", Text, None, false, "duckdb pipeline name"),
    setting(Database, "pipeline_working_dir", Text, None, false, "duckdb pipeline working dir"),
    setting(Database, "legacy_db_path", Text, None, false, "duckdb legacy database path"),
];

/// Database destinations that load from a staging bucket.
pub const DATABASES: &[&str] = &["duckdb", "postgres"];

/// The dict-typed settings (a JSON string or a TOML table; never descended into).
pub fn is_dict_setting(name: &str) -> bool {
    SETTINGS.iter().any(|s| s.name == name && s.kind == Dict)
}

/// Known settings of a group.
pub fn settings_of(group: Group) -> impl Iterator<Item = &'static Setting> {
    SETTINGS.iter().filter(move |s| s.group == group)
}

/// A credential field of some bucket schemes.
#[derive(Debug, Clone, Copy)]
pub struct CredentialField {
    /// dlt's field name (also the backend option key).
    pub name: &'static str,
    /// True if dlt types it as a secret (never read from `config.toml`, always masked).
    pub secret: bool,
    /// How the value is read.
    pub kind: Kind,
}

const fn field(name: &'static str) -> CredentialField {
    CredentialField {
        name,
        secret: false,
        kind: Text,
    }
}

const fn secret(name: &'static str) -> CredentialField {
    CredentialField {
        name,
        secret: true,
        kind: Secret,
    }
}

const fn typed(name: &'static str, kind: Kind) -> CredentialField {
    CredentialField {
        name,
        secret: false,
        kind,
    }
}

/// Credential fields for `s3`: dlt's `AwsCredentials`.
pub const AWS: &[CredentialField] = &[
    field("aws_access_key_id"),
    secret("aws_secret_access_key"),
    secret("aws_session_token"),
    field("profile_name"),
    field("region_name"),
    field("endpoint_url"),
    field("s3_url_style"),
    typed("aws_sts_token_expiration_hours", Float),
];

/// Credential fields for `gs`/`gcs`/`gdrive`: service account and OAuth.
pub const GCP: &[CredentialField] = &[
    field("project_id"),
    secret("private_key"),
    field("private_key_id"),
    field("client_email"),
    field("type"),
    field("client_id"),
    secret("client_secret"),
    secret("refresh_token"),
    secret("token"),
    field("token_uri"),
    field("auth_uri"),
    field("scopes"),
    field("client_type"),
    // Stowage additions: an endpoint override and a key file path.
    field("endpoint_url"),
    field("credentials_file"),
];

/// Credential fields for `az`/`abfs`/`abfss`/`adl`/`azure`.
pub const AZURE: &[CredentialField] = &[
    field("azure_storage_account_name"),
    secret("azure_storage_account_key"),
    secret("azure_storage_sas_token"),
    field("azure_sas_token_permissions"),
    typed("azure_sas_token_expiration_hours", Float),
    field("azure_account_host"),
    field("azure_tenant_id"),
    field("azure_client_id"),
    secret("azure_client_secret"),
];

/// Credential fields for `sftp`.
pub const SFTP: &[CredentialField] = &[
    typed("sftp_port", Int),
    field("sftp_username"),
    secret("sftp_password"),
    field("sftp_key_filename"),
    secret("sftp_key_passphrase"),
    typed("sftp_timeout", Float),
    typed("sftp_banner_timeout", Float),
    typed("sftp_auth_timeout", Float),
    typed("sftp_channel_timeout", Float),
    typed("sftp_allow_agent", Bool),
    typed("sftp_look_for_keys", Bool),
    typed("sftp_compress", Bool),
    typed("sftp_gss_auth", Bool),
    typed("sftp_gss_kex", Bool),
    typed("sftp_gss_deleg_creds", Bool),
    field("sftp_gss_host"),
    typed("sftp_gss_trust_dns", Bool),
    // Stowage's host-key settings (dlt/paramiko has no equivalent).
    field("sftp_known_hosts"),
    field("sftp_host_key_policy"),
    // Code-only in dlt: passed on so the plugin rejects them with a clear message.
    field("sftp_sock"),
    field("sftp_pkey"),
    field("sftp_disabled_algorithms"),
    field("sftp_transport_factory"),
    field("sftp_auth_strategy"),
];

/// Credential fields of the `postgres` destination (`[destination.postgres.credentials]`, dlt's
/// `PostgresCredentials`); `credentials` may also be one connection string (a secret).
pub const POSTGRES: &[CredentialField] = &[
    field("database"),
    field("username"),
    secret("password"),
    field("host"),
    typed("port", Int),
    typed("connect_timeout", Int),
    field("sslmode"),
];

/// Credential fields of the `duckdb` destination (`[destination.duckdb.credentials]`);
/// `credentials` may also be the database file path.
pub const DUCKDB: &[CredentialField] = &[field("database")];

/// The credential fields of a database destination (`None` for other destinations; the
/// duckdb destination's `credentials` is the database file path or its `database` field).
pub fn destination_credential_fields(destination: &str) -> Option<&'static [CredentialField]> {
    match destination {
        "postgres" => Some(POSTGRES),
        "duckdb" => Some(DUCKDB),
        _ => None,
    }
}

/// Credential fields dlt's database credentials have that Stowage accepts but does not apply.
pub fn unapplied_destination_credential_fields(destination: &str) -> &'static [CredentialField] {
    const PG: &[CredentialField] = &[
        field("drivername"),
        field("query"),
        field("client_encoding"),
        field("session_timezone"),
    ];
    const DUCK: &[CredentialField] = &[
        field("drivername"),
        secret("password"),
        field("username"),
        field("host"),
        typed("port", Int),
        field("query"),
        typed("read_only", Bool),
        field("extensions"),
        field("global_config"),
        field("pragmas"),
        field("local_config"),
        field("session_timezone"),
    ];
    match destination {
        "postgres" => PG,
        "duckdb" => DUCK,
        _ => &[],
    }
}

/// The credential field `name` of database `destination`, applied or not.
pub fn destination_credential_field(
    destination: &str,
    name: &str,
) -> Option<&'static CredentialField> {
    destination_credential_fields(destination)
        .unwrap_or_default()
        .iter()
        .chain(unapplied_destination_credential_fields(destination))
        .find(|f| f.name == name)
}

/// Credential fields for `hf` (Hugging Face).
pub const HF: &[CredentialField] = &[secret("hf_token"), field("hf_endpoint")];

/// The credential fields of a scheme: `Some(&[])` for schemes without credentials (`file`,
/// `memory`), `None` for schemes Stowage does not know (a vendor plugin's: every credential key
/// found is passed on).
pub fn credential_fields(scheme: &str) -> Option<&'static [CredentialField]> {
    match scheme {
        "s3" | "s3a" => Some(AWS),
        "gs" | "gcs" | "gdrive" => Some(GCP),
        "az" | "abfs" | "abfss" | "adl" | "azure" => Some(AZURE),
        "sftp" => Some(SFTP),
        "hf" => Some(HF),
        "file" => Some(&[]),
        _ => None,
    }
}

/// Every credential field of every scheme.
pub fn all_credential_fields() -> impl Iterator<Item = &'static CredentialField> {
    [AWS, GCP, AZURE, SFTP, HF].into_iter().flatten()
}

/// The credential field called `name`, if any scheme has one.
pub fn credential_field(name: &str) -> Option<&'static CredentialField> {
    all_credential_fields().find(|f| f.name == name)
}

/// True if a credential key holds a secret: dlt's typing for known fields, the name otherwise.
pub fn is_secret_credential(name: &str) -> bool {
    match credential_field(name) {
        Some(field) => field.secret,
        None => super::secret::is_secret_name(name),
    }
}

/// The lookup key of a setting for a destination, an (optional) source and an (optional)
/// pipeline name; `Database` settings take `destination` as the database's name.
pub fn key_of(
    setting: &Setting,
    destination: &str,
    source: Option<&str>,
    pipeline: Option<&str>,
) -> Key {
    match setting.group {
        Destination | Database => Key::new(&["destination", destination], setting.name),
        Pipeline => pipeline_key(pipeline, setting.name),
        DataWriter => Key::new(&["normalize"], setting.name).embedded_in("data_writer"),
        Normalize => Key::new(&["normalize"], setting.name),
        Load => Key::new(&["load"], setting.name),
        Source => match source {
            Some(source) => Key::new(&["sources", source], setting.name),
            None => Key::new(&[], setting.name),
        },
    }
}

/// The key of a dlt pipeline setting: `pipelines.<pipeline>.<name>` (falling back to
/// `pipelines.<name>`, then the top level), as `dlt.pipeline()` resolves it.
pub fn pipeline_key(pipeline: Option<&str>, name: &str) -> Key {
    match pipeline {
        Some(pipeline) => Key::new(&["pipelines", pipeline], name),
        None => Key::new(&["pipelines"], name),
    }
}

/// The lookup key of a credential field of a destination.
pub fn credential_key(destination: &str, name: &str) -> Key {
    Key::new(&["destination", destination], name).embedded_in("credentials")
}

/// The known setting `name` of `group`.
pub fn setting_named(group: Group, name: &str) -> Option<&'static Setting> {
    settings_of(group).find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_have_their_dlt_fields() {
        let s3: Vec<&str> = credential_fields("s3")
            .unwrap()
            .iter()
            .map(|f| f.name)
            .collect();
        assert!(s3.contains(&"aws_access_key_id") && s3.contains(&"endpoint_url"));
        assert!(credential_fields("file").unwrap().is_empty());
        assert!(credential_fields("memory").is_none());
        assert!(is_secret_credential("sftp_password"));
        assert!(!is_secret_credential("aws_access_key_id"));
        assert!(is_secret_credential("vendor_api_token"));
        assert!(is_dict_setting("client_kwargs") && !is_dict_setting("layout"));
    }

    #[test]
    fn staging_and_database_settings_are_known() {
        for name in [
            "replace_strategy",
            "merge_strategy",
            "staging_dataset_name_layout",
            "truncate_tables_on_staging_destination_before_load",
        ] {
            assert!(
                setting_named(Group::Destination, name).is_some_and(|s| s.applied),
                "{name}"
            );
        }
        assert!(setting_named(Group::Load, "truncate_staging_dataset").is_some_and(|s| s.applied));
        for name in ["primary_key", "merge_key", "dedup_sort"] {
            assert!(setting_named(Group::Source, name).is_some(), "{name}");
        }
        let pg = destination_credential_fields("postgres").unwrap();
        let names: Vec<&str> = pg.iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "database",
                "username",
                "password",
                "host",
                "port",
                "connect_timeout",
                "sslmode"
            ]
        );
        assert!(pg.iter().all(|f| f.secret == (f.name == "password")));
        assert!(
            credential_field("sslmode").is_none(),
            "bucket credentials do not take postgres fields"
        );
    }
}
