//! How dlt's data types travel as Arrow: the contract between the normalizer (which produces
//! batches) and every format plugin (which writes and reads them).
//!
//! | dlt type    | Arrow type                                   | notes |
//! |-------------|----------------------------------------------|-------|
//! | `text`      | `Utf8`                                       | |
//! | `double`    | `Float64`                                    | |
//! | `bool`      | `Boolean`                                    | |
//! | `bigint`    | `Int64` (`Int8/16/32` for precision hints)   | |
//! | `decimal`   | `Decimal128(38, 9)`, or the hinted `(p, s)`  | `Decimal256` when p > 38 |
//! | `wei`       | `Decimal256(76, 0)`                          | |
//! | `timestamp` | `Timestamp(Microsecond, Some("UTC"))`        | naive (`timezone=false`) → no tz |
//! | `time`      | `Time64(Microsecond)`                        | |
//! | `date`      | `Date32`                                     | |
//! | `binary`    | `Binary`                                     | |
//! | `json`      | `Utf8` holding compact JSON text             | field metadata [`DATA_TYPE_METADATA_KEY`] = [`JSON_DATA_TYPE`] |
//!
//! Columns dlt marks `nullable=false` (`_dlt_id`, `_dlt_load_id`, `_dlt_parent_id`,
//! `_dlt_list_idx`) are non-nullable fields. Column order is the schema's column order.
//! Every field also carries its dlt type name under [`DATA_TYPE_METADATA_KEY`] when the normalizer
//! produced it, so a format never has to guess between `json` and `text`.

/// Field metadata key that carries the dlt data type of a column (`text`, `json`, …).
pub const DATA_TYPE_METADATA_KEY: &str = "stowage.data_type";
/// [`DATA_TYPE_METADATA_KEY`] value of `json` columns (string columns holding JSON text).
pub const JSON_DATA_TYPE: &str = "json";
/// Time zone name of dlt's tz-aware timestamps.
pub const UTC: &str = "UTC";

/// True if `field` is a dlt `json` column (a string column holding JSON text).
pub fn is_json_field(field: &arrow_schema::Field) -> bool {
    field
        .metadata()
        .get(DATA_TYPE_METADATA_KEY)
        .is_some_and(|v| v == JSON_DATA_TYPE)
}
