//! Records → Arrow batches per table, the way dlt's relational normalizer does it (spec §5):
//! snake_case names, nested dicts flattened, lists into nested tables linked by `_dlt_parent_id`
//! / `_dlt_list_idx` with deterministic `_dlt_id`s, `_dlt_load_id` and a random `_dlt_id` on root
//! rows, type inference with ISO timestamp detection, dlt's coercions, variant columns
//! `<col>__v_<type>` for values that do not fit, and schema evolution into a [`Schema`].

mod buffer;
mod coerce;
mod flatten;
mod iso;

pub use buffer::TableBuffer;
pub use coerce::{Cell, py_float_repr};

use std::collections::HashMap;

use arrow_array::RecordBatch;
use serde_json::{Map, Value, json};

use crate::input::Record;
use crate::naming::Naming;
use crate::schema::{DltType, Schema};
use crate::{Error, Result, ids};

/// Field metadata key that carries a column's dlt type.
pub use stowage_plugin_sdk::types::DATA_TYPE_METADATA_KEY;

/// dlt's default `max_table_nesting`.
pub const DEFAULT_MAX_NESTING: u32 = 1000;

const C_DLT_ID: &str = "_dlt_id";
const C_DLT_LOAD_ID: &str = "_dlt_load_id";
const C_DLT_PARENT_ID: &str = "_dlt_parent_id";
const C_DLT_LIST_IDX: &str = "_dlt_list_idx";
const C_VALUE: &str = "value";
const C_LIST: &str = "list";

/// Settings of one normalization.
#[derive(Debug, Clone)]
pub struct NormalizeOptions {
    /// Root table name as given (normalized with the naming convention).
    pub table: String,
    /// Load id stamped on root rows.
    pub load_id: String,
    /// `max_table_nesting` (deeper structures stay `json`).
    pub max_nesting: u32,
    /// Naming convention (with `max_identifier_length`).
    pub naming: Naming,
    /// Column type hints for the root table (`json` ones are not flattened).
    pub column_hints: Vec<(String, DltType)>,
    /// The root table's write disposition stored in the schema.
    pub write_disposition: String,
}

impl NormalizeOptions {
    /// Defaults for loading into `table` in load `load_id`.
    pub fn new(table: &str, load_id: &str) -> Self {
        NormalizeOptions {
            table: table.into(),
            load_id: load_id.into(),
            max_nesting: DEFAULT_MAX_NESTING,
            naming: Naming::default(),
            column_hints: Vec::new(),
            write_disposition: "append".into(),
        }
    }
}

/// Normalizes records into per-table buffers and evolves the schema.
pub struct RelationalNormalizer {
    schema: Schema,
    naming: Naming,
    root: String,
    load_id: String,
    max_nesting: i64,
    buffers: HashMap<String, TableBuffer>,
    names: flatten::NameCache,
    /// Known column types per table (a cache of the schema's).
    column_types: HashMap<String, HashMap<String, DltType>>,
    /// Tables in the order they first received rows.
    table_order: Vec<String>,
    rows: HashMap<String, u64>,
}

impl std::fmt::Debug for RelationalNormalizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelationalNormalizer")
            .field("root", &self.root)
            .field("tables", &self.table_order)
            .finish()
    }
}

impl RelationalNormalizer {
    /// A normalizer evolving `schema` (the pipeline's stored schema, or a new one).
    pub fn new(mut schema: Schema, options: &NormalizeOptions) -> Result<Self> {
        let naming = options.naming;
        let root = naming
            .path(&options.table)
            .map_err(|e| e.while_doing("normalizing the table name"))?;
        if !schema.has_table(&root) {
            schema.ensure_root_table(&root, &options.table, &options.write_disposition);
            // dlt's first extract: the root table's hash becomes the first remembered one.
            let hash = schema.compute_hash();
            schema.set_version_hash_if_new(&hash);
        }
        schema.ensure_state_table();
        schema.set_table_setting(&root, "write_disposition", json!(options.write_disposition));
        if options.max_nesting != DEFAULT_MAX_NESTING {
            schema.set_x_normalizer(&root, "max_nesting", json!(options.max_nesting));
        }
        for (column, data_type) in &options.column_hints {
            let name = naming.path(column)?;
            if schema.column_json(&root, &name).is_none() {
                schema.put_column(
                    &root,
                    json!({"name": name, "data_type": data_type.name(), "nullable": true}),
                );
            }
        }
        Ok(RelationalNormalizer {
            schema,
            naming,
            root,
            load_id: options.load_id.clone(),
            max_nesting: i64::from(options.max_nesting),
            buffers: HashMap::new(),
            names: flatten::NameCache::default(),
            column_types: HashMap::new(),
            table_order: Vec::new(),
            rows: HashMap::new(),
        })
    }

    /// The normalized root table name.
    pub fn root_table(&self) -> &str {
        &self.root
    }

    /// The evolving schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The schema, once normalization is done.
    pub fn into_schema(self) -> Schema {
        self.schema
    }

    /// Rows normalized per table, in order of first appearance.
    pub fn row_counts(&self) -> Vec<(String, u64)> {
        self.table_order
            .iter()
            .map(|t| (t.clone(), self.rows.get(t).copied().unwrap_or(0)))
            .collect()
    }

    /// Normalizes one record (and everything nested in it).
    pub fn push(&mut self, record: Record) -> Result<()> {
        let root = self.root.clone();
        let levels = self
            .schema
            .max_nesting(&root)
            .map_or(self.max_nesting, |n| n as i64);
        self.normalize_row(record, &root, None, None, levels)
    }

    fn normalize_row(
        &mut self,
        dict: Map<String, Value>,
        table: &str,
        parent: Option<(&str, &str)>,
        list_idx: Option<usize>,
        levels: i64,
    ) -> Result<()> {
        let flat = flatten::flatten(
            &self.schema,
            &self.naming,
            &mut self.names,
            table,
            dict,
            levels,
        )?;
        let mut row = flat.row;
        let row_id = match parent {
            None => {
                row.push((C_DLT_LOAD_ID.into(), Value::String(self.load_id.clone())));
                let id = existing_row_id(&row).unwrap_or_else(ids::new_row_id);
                set_row_id(&mut row, &id);
                id
            }
            Some((_, parent_id)) => {
                let idx = list_idx.unwrap_or(0);
                let id = ids::nested_row_id(parent_id, table, idx);
                row.push((C_DLT_PARENT_ID.into(), Value::String(parent_id.into())));
                row.push((C_DLT_LIST_IDX.into(), json!(idx)));
                row.push((C_DLT_ID.into(), Value::String(id.clone())));
                id
            }
        };
        self.store_row(table, parent.map(|(t, _)| t), row)?;
        for (path, items) in flat.lists {
            let mut parts: Vec<&str> = vec![table];
            parts.extend(path.iter().map(String::as_str));
            let child = self.naming.fragments(&parts);
            self.normalize_list(items, &child, table, &row_id, levels - 1)?;
        }
        Ok(())
    }

    fn normalize_list(
        &mut self,
        items: Vec<Value>,
        table: &str,
        parent_table: &str,
        parent_id: &str,
        levels: i64,
    ) -> Result<()> {
        for (idx, item) in items.into_iter().enumerate() {
            let parent = Some((parent_table, parent_id));
            match item {
                Value::Object(dict) => {
                    self.normalize_row(dict, table, parent, Some(idx), levels)?
                }
                Value::Array(inner) => {
                    let mut wrapper = Map::new();
                    wrapper.insert(C_LIST.into(), Value::Array(inner));
                    self.normalize_row(wrapper, table, parent, Some(idx), levels - 1)?;
                }
                scalar => {
                    let id = ids::nested_row_id(parent_id, table, idx);
                    let row = vec![
                        (C_VALUE.to_string(), scalar),
                        (C_DLT_PARENT_ID.into(), Value::String(parent_id.into())),
                        (C_DLT_LIST_IDX.into(), json!(idx)),
                        (C_DLT_ID.into(), Value::String(id)),
                    ];
                    self.store_row(table, Some(parent_table), row)?;
                }
            }
        }
        Ok(())
    }

    /// Coerces a flattened row into the table's columns (adding columns and variants) and
    /// buffers it.
    fn store_row(
        &mut self,
        table: &str,
        parent: Option<&str>,
        row: Vec<(String, Value)>,
    ) -> Result<()> {
        if let Some(parent) = parent {
            self.schema.ensure_nested_table(table, parent);
        }
        let mut cells = Vec::with_capacity(row.len());
        for (column, value) in row {
            if value.is_null() {
                continue;
            }
            let (name, data_type, cell) = self.fit_value(table, &column, &value, false)?;
            cells.push((name, data_type, cell));
        }
        if !self.buffers.contains_key(table) {
            self.buffers.insert(table.into(), TableBuffer::new(table));
            self.table_order.push(table.into());
            self.schema.mark_seen_data(table);
        }
        let buffer = self.buffers.get_mut(table).expect("inserted above");
        buffer.push_row(
            cells
                .iter()
                .map(|(n, t, c)| (n.as_str(), *t, c.clone()))
                .collect(),
        );
        *self.rows.entry(table.into()).or_default() += 1;
        Ok(())
    }

    /// dlt's `_coerce_non_null_value`: the column (maybe a new or variant one) and coerced value.
    fn fit_value(
        &mut self,
        table: &str,
        column: &str,
        value: &Value,
        is_variant: bool,
    ) -> Result<(String, DltType, Cell)> {
        let existing = self.column_type(table, column)?;
        let data_type = match existing {
            Some(t) => t,
            None => self.infer_column_type(column, value, is_variant),
        };
        if let Some(cell) = coerce::coerce(data_type, value) {
            if existing.is_none() {
                self.add_column(table, column, data_type, is_variant);
            }
            return Ok((column.to_string(), data_type, cell));
        }
        if is_variant {
            return Err(self.cannot_coerce(table, column, data_type, value));
        }
        let py_type = coerce::py_type(value).expect("nulls are skipped");
        let variant = self
            .naming
            .fragments(&[column, &format!("v_{}", py_type.name())]);
        self.fit_value(table, &variant, value, true)
    }

    /// The type of an existing complete column (cached; the schema is the source of truth).
    fn column_type(&mut self, table: &str, column: &str) -> Result<Option<DltType>> {
        if let Some(t) = self.column_types.get(table).and_then(|c| c.get(column)) {
            return Ok(Some(*t));
        }
        let found = self
            .schema
            .column_json(table, column)
            .and_then(|c| c.get("data_type"))
            .and_then(Value::as_str)
            .map(DltType::parse)
            .transpose()?;
        if let Some(t) = found {
            self.column_types
                .entry(table.to_string())
                .or_default()
                .insert(column.to_string(), t);
        }
        Ok(found)
    }

    fn infer_column_type(&self, column: &str, value: &Value, is_variant: bool) -> DltType {
        let preferred = if is_variant {
            None
        } else {
            self.schema.preferred_type(column)
        };
        preferred
            .or_else(|| coerce::infer_type(value))
            .unwrap_or(DltType::Text)
    }

    /// dlt's `_infer_column`: name, type, nullability and the default hints that apply.
    fn add_column(&mut self, table: &str, column: &str, data_type: DltType, is_variant: bool) {
        let schema = &self.schema;
        let mut col = Map::new();
        col.insert("name".into(), json!(column));
        col.insert("data_type".into(), json!(data_type.name()));
        col.insert(
            "nullable".into(),
            json!(!schema.has_default_hint("not_null", column)),
        );
        for hint in ["parent_key", "root_key", "unique", "row_key"] {
            if schema.has_default_hint(hint, column) {
                col.insert(hint.into(), json!(true));
            }
        }
        if is_variant {
            col.insert("variant".into(), json!(true));
            col.insert(
                "description".into(),
                json!(format!("Variant of column {column} generated by dlt")),
            );
        }
        self.schema.put_column(table, Value::Object(col));
    }

    fn cannot_coerce(&self, table: &str, column: &str, t: DltType, value: &Value) -> Error {
        let shown: String = value.to_string().chars().take(60).collect();
        Error::invalid(format!(
            "cannot coerce value {shown} into column `{column}` of table `{table}` \
             (type {}) or any variant of it",
            t.name()
        ))
        .with_context("table", table)
        .with_context("column", column)
    }

    /// Emits the tables whose buffers hold at least `min_rows` rows.
    pub fn take_batches(&mut self, min_rows: usize) -> Result<Vec<(String, RecordBatch)>> {
        let mut out = Vec::new();
        for table in &self.table_order {
            let buffer = self
                .buffers
                .get_mut(table)
                .expect("ordered tables have buffers");
            if buffer.rows() == 0 || buffer.rows() < min_rows {
                continue;
            }
            let columns = self.schema.columns(table);
            if let Some(batch) = buffer.flush(&columns)? {
                out.push((table.clone(), batch));
            }
        }
        Ok(out)
    }
}

fn existing_row_id(row: &[(String, Value)]) -> Option<String> {
    row.iter()
        .find(|(k, _)| k == C_DLT_ID)
        .and_then(|(_, v)| v.as_str())
        .filter(|s| !s.is_empty())
        .map(String::from)
}

fn set_row_id(row: &mut Vec<(String, Value)>, id: &str) {
    row.retain(|(k, _)| k != C_DLT_ID);
    row.push((C_DLT_ID.into(), Value::String(id.into())));
}

#[cfg(test)]
mod tests;
