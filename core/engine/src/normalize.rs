//! Flat normalization: records → Arrow record batches of one table with an inferred schema.
//!
//! Column names follow snake_case; types are inferred per value (bool, bigint, double, text;
//! objects and lists are kept as `json` columns); a value that does not fit its column goes to a
//! variant column `<col>__v_<type>`; every row gets `_dlt_load_id` and a random `_dlt_id`.
//! Columns only ever get added, so the schema of later batches extends that of earlier ones.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use serde_json::Value;

use crate::input::Record;
use crate::naming::normalize_identifier;
use crate::{Error, Result, ids};

/// Field metadata key that marks a Utf8 column as holding JSON text.
pub use stowage_plugin_sdk::types::DATA_TYPE_METADATA_KEY;

/// dlt data types produced by the flat normalizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DltType {
    /// `bool`
    Bool,
    /// `bigint`
    Bigint,
    /// `double`
    Double,
    /// `text`
    Text,
    /// `json`
    Json,
}

impl DltType {
    /// dlt's name for the type.
    pub fn name(self) -> &'static str {
        match self {
            DltType::Bool => "bool",
            DltType::Bigint => "bigint",
            DltType::Double => "double",
            DltType::Text => "text",
            DltType::Json => "json",
        }
    }

    fn of(value: &Value) -> Option<DltType> {
        match value {
            Value::Null => None,
            Value::Bool(_) => Some(DltType::Bool),
            Value::Number(n) if n.is_i64() => Some(DltType::Bigint),
            Value::Number(_) => Some(DltType::Double),
            Value::String(_) => Some(DltType::Text),
            Value::Array(_) | Value::Object(_) => Some(DltType::Json),
        }
    }

    fn field(self, name: &str, nullable: bool) -> Field {
        let data_type = match self {
            DltType::Bool => DataType::Boolean,
            DltType::Bigint => DataType::Int64,
            DltType::Double => DataType::Float64,
            DltType::Text | DltType::Json => DataType::Utf8,
        };
        let field = Field::new(name, data_type, nullable);
        if self == DltType::Json {
            let meta = HashMap::from([(DATA_TYPE_METADATA_KEY.to_string(), "json".to_string())]);
            return field.with_metadata(meta);
        }
        field
    }
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Normalized name.
    pub name: String,
    /// dlt type.
    pub data_type: DltType,
    /// False for the `_dlt_*` columns.
    pub nullable: bool,
    /// True for `<col>__v_<type>` variant columns.
    pub variant: bool,
}

enum Builder {
    Bool(BooleanBuilder),
    Int(Int64Builder),
    Double(Float64Builder),
    Text(StringBuilder),
}

impl Builder {
    fn new(t: DltType, leading_nulls: usize) -> Builder {
        let mut b = match t {
            DltType::Bool => Builder::Bool(BooleanBuilder::new()),
            DltType::Bigint => Builder::Int(Int64Builder::new()),
            DltType::Double => Builder::Double(Float64Builder::new()),
            DltType::Text | DltType::Json => Builder::Text(StringBuilder::new()),
        };
        for _ in 0..leading_nulls {
            b.append_null();
        }
        b
    }

    fn append_null(&mut self) {
        match self {
            Builder::Bool(b) => b.append_null(),
            Builder::Int(b) => b.append_null(),
            Builder::Double(b) => b.append_null(),
            Builder::Text(b) => b.append_null(),
        }
    }

    /// Appends `value` (already known to fit the column type).
    fn append(&mut self, value: &Value) {
        match (self, value) {
            (Builder::Bool(b), Value::Bool(v)) => b.append_value(*v),
            (Builder::Int(b), Value::Number(n)) => b.append_option(n.as_i64()),
            (Builder::Double(b), Value::Number(n)) => {
                b.append_option(n.as_f64().filter(|f| f.is_finite()))
            }
            (Builder::Text(b), Value::String(s)) => b.append_value(s),
            (Builder::Text(b), v @ (Value::Array(_) | Value::Object(_))) => {
                b.append_value(v.to_string())
            }
            (b, _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Double(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
        }
    }
}

/// Accumulates rows of one table and emits record batches.
pub struct TableNormalizer {
    table: String,
    load_id: String,
    columns: Vec<Column>,
    builders: Vec<Builder>,
    by_name: HashMap<String, usize>,
    key_names: HashMap<String, String>,
    set: Vec<bool>,
    rows: usize,
}

impl std::fmt::Debug for TableNormalizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableNormalizer")
            .field("table", &self.table)
            .field("rows", &self.rows)
            .finish()
    }
}

const LOAD_ID: &str = "_dlt_load_id";
const ROW_ID: &str = "_dlt_id";

impl TableNormalizer {
    /// A normalizer for `table` (already normalized) in load `load_id`.
    pub fn new(table: &str, load_id: &str) -> Self {
        TableNormalizer {
            table: table.into(),
            load_id: load_id.into(),
            columns: Vec::new(),
            builders: Vec::new(),
            by_name: HashMap::new(),
            key_names: HashMap::new(),
            set: Vec::new(),
            rows: 0,
        }
    }

    /// The columns seen so far, in order of first appearance.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Rows buffered since the last [`TableNormalizer::flush`].
    pub fn buffered_rows(&self) -> usize {
        self.rows
    }

    /// Adds one record.
    pub fn push(&mut self, record: &Record) -> Result<()> {
        self.set.iter_mut().for_each(|s| *s = false);
        for (key, value) in record {
            let Some(t) = DltType::of(value) else {
                continue;
            };
            let name = self.column_name(key)?;
            if name == LOAD_ID || name == ROW_ID {
                continue;
            }
            let idx = self.slot_for(&name, t);
            self.builders[idx].append(value);
            self.set[idx] = true;
        }
        let load_idx = self.column_index(LOAD_ID, DltType::Text, false, false);
        self.builders[load_idx].append(&Value::String(self.load_id.clone()));
        self.set[load_idx] = true;
        let id_idx = self.column_index(ROW_ID, DltType::Text, false, false);
        self.builders[id_idx].append(&Value::String(ids::new_row_id()));
        self.set[id_idx] = true;
        for (i, was_set) in self.set.iter().enumerate() {
            if !was_set {
                self.builders[i].append_null();
            }
        }
        self.rows += 1;
        Ok(())
    }

    fn column_name(&mut self, key: &str) -> Result<String> {
        if let Some(name) = self.key_names.get(key) {
            return Ok(name.clone());
        }
        let name = normalize_identifier(key).map_err(|e| {
            e.while_doing(format!("naming column {key:?} of table `{}`", self.table))
        })?;
        self.key_names.insert(key.to_string(), name.clone());
        Ok(name)
    }

    /// The column that receives a value of type `t` for `name` (variant column on conflict).
    fn slot_for(&mut self, name: &str, t: DltType) -> usize {
        if let Some(&idx) = self.by_name.get(name) {
            let existing = self.columns[idx].data_type;
            if existing == t || (existing == DltType::Double && t == DltType::Bigint) {
                return idx;
            }
            let variant = format!("{name}__v_{}", t.name());
            return self.column_index(&variant, t, true, true);
        }
        self.column_index(name, t, true, false)
    }

    fn column_index(&mut self, name: &str, t: DltType, nullable: bool, variant: bool) -> usize {
        if let Some(&idx) = self.by_name.get(name) {
            return idx;
        }
        self.columns.push(Column {
            name: name.into(),
            data_type: t,
            nullable,
            variant,
        });
        self.builders.push(Builder::new(t, self.rows));
        self.set.push(false);
        self.by_name.insert(name.into(), self.columns.len() - 1);
        self.columns.len() - 1
    }

    /// The Arrow schema of the columns seen so far.
    pub fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| c.data_type.field(&c.name, c.nullable))
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// Emits the buffered rows as one batch (`None` if nothing is buffered).
    pub fn flush(&mut self) -> Result<Option<RecordBatch>> {
        if self.rows == 0 {
            return Ok(None);
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        self.rows = 0;
        RecordBatch::try_new(self.schema(), arrays)
            .map(Some)
            .map_err(|e| Error::unexpected(format!("building a batch of `{}`: {e}", self.table)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    fn rec(json: &str) -> Record {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn infers_types_names_and_dlt_columns() {
        let mut n = TableNormalizer::new("t", "1795310773.1276467");
        n.push(&rec(
            r#"{"Id": 1, "Score": 1.5, "ok": true, "name": "a", "tags": [1], "none": null}"#,
        ))
        .unwrap();
        n.push(&rec(r#"{"Id": 2, "extra": "x"}"#)).unwrap();
        let batch = n.flush().unwrap().unwrap();
        let schema = batch.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(
            names,
            [
                "id",
                "score",
                "ok",
                "name",
                "tags",
                "_dlt_load_id",
                "_dlt_id",
                "extra"
            ]
        );
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.column(1).null_count(), 1);
        assert!(!batch.schema().field(6).is_nullable());
    }

    #[test]
    fn conflicting_values_go_to_variant_columns() {
        let mut n = TableNormalizer::new("t", "1");
        n.push(&rec(r#"{"v": 1}"#)).unwrap();
        n.push(&rec(r#"{"v": "text"}"#)).unwrap();
        n.push(&rec(r#"{"v": 2.5}"#)).unwrap();
        let cols: Vec<String> = n.columns().iter().map(|c| c.name.clone()).collect();
        assert!(
            cols.contains(&"v__v_text".to_string()) && cols.contains(&"v__v_double".to_string())
        );
        assert!(
            n.columns()
                .iter()
                .find(|c| c.name == "v__v_text")
                .unwrap()
                .variant
        );
    }

    #[test]
    fn integers_fit_double_columns() {
        let mut n = TableNormalizer::new("t", "1");
        n.push(&rec(r#"{"v": 1.5}"#)).unwrap();
        n.push(&rec(r#"{"v": 2}"#)).unwrap();
        assert_eq!(n.columns().len(), 3);
    }
}
