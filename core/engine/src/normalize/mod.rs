//! Records → Arrow batches per table, the way dlt's relational normalizer does it (spec §5):
//! snake_case names, nested dicts flattened, lists into nested tables linked by `_dlt_parent_id`
//! / `_dlt_list_idx` with deterministic `_dlt_id`s, `_dlt_load_id` and a random `_dlt_id` on root
//! rows, type inference with ISO timestamp detection, dlt's coercions, variant columns
//! `<col>__v_<type>` for values that do not fit, and schema evolution into a [`Schema`].

mod buffer;
mod coerce;
mod flatten;
mod iso;
mod row_ids;

pub use buffer::TableBuffer;
pub use coerce::{Cell, py_float_repr};
pub use flatten::Name;

use std::collections::HashMap;
use std::sync::Arc;

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
const C_DLT_ROOT_ID: &str = "_dlt_root_id";
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
    /// Add `_dlt_root_id` (the root row's `_dlt_id`) to nested rows, as dlt does for merge on
    /// destinations that merge (spec §5.2); off for the filesystem destination.
    pub root_key: bool,
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
            root_key: false,
        }
    }
}

/// Normalizes records into per-table buffers and evolves the schema.
pub struct RelationalNormalizer {
    core: Core,
    root: Name,
    load_id: Value,
    /// Nesting levels of the root table (its stored `max_nesting`, else the option).
    levels: i64,
    tables: HashMap<Name, TableState>,
    /// Tables in the order they first received rows.
    table_order: Vec<Name>,
    /// The system column names, interned once.
    sys: SystemColumns,
    /// Nested row ids being computed in the background.
    ids: row_ids::DeferredIds,
    /// Add `_dlt_root_id` to nested rows ([`NormalizeOptions::root_key`]).
    root_key: bool,
    /// `_dlt_id` of the root row being normalized.
    current_root_id: Value,
}

/// The schema and the naming work, borrowed apart from the table states.
struct Core {
    schema: Schema,
    naming: Naming,
    names: flatten::NameCache,
    /// (column, Python type) → variant column name.
    variants: HashMap<(Name, DltType), Name>,
}

/// One table's buffer and what the normalizer remembers about its rows.
struct TableState {
    buffer: TableBuffer,
    rows: u64,
    /// Whether the table has received a row (its `seen-data` mark is set).
    seen: bool,
    /// Per position of the previous row: its column and that column's slot. Rows of one table
    /// usually have the same keys in the same order, and names are interned, so a pointer
    /// comparison finds the slot without hashing.
    shape: Vec<Option<(Name, usize)>>,
    /// What flattening remembers of the previous record.
    scratch: flatten::RowScratch,
}

impl TableState {
    fn new(table: &str) -> Self {
        TableState {
            buffer: TableBuffer::new(table),
            rows: 0,
            seen: false,
            shape: Vec::new(),
            scratch: flatten::RowScratch::default(),
        }
    }
}

struct SystemColumns {
    dlt_id: Name,
    dlt_load_id: Name,
    dlt_parent_id: Name,
    dlt_list_idx: Name,
    dlt_root_id: Name,
    value: Name,
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
        let levels = schema
            .max_nesting(&root)
            .map_or(i64::from(options.max_nesting), |n| n as i64);
        // Once nested tables carry `_dlt_root_id`, every later load fills it (dlt keeps the
        // root-key propagation in the schema).
        let root_key = options.root_key
            || schema
                .table_names()
                .iter()
                .any(|t| schema.column_json(t, C_DLT_ROOT_ID).is_some());
        Ok(RelationalNormalizer {
            core: Core {
                schema,
                naming,
                names: flatten::NameCache::default(),
                variants: HashMap::new(),
            },
            root: Name::from(root),
            load_id: Value::String(options.load_id.clone()),
            levels,
            tables: HashMap::new(),
            table_order: Vec::new(),
            sys: SystemColumns {
                dlt_id: Name::from(C_DLT_ID),
                dlt_load_id: Name::from(C_DLT_LOAD_ID),
                dlt_parent_id: Name::from(C_DLT_PARENT_ID),
                dlt_list_idx: Name::from(C_DLT_LIST_IDX),
                dlt_root_id: Name::from(C_DLT_ROOT_ID),
                value: Name::from(C_VALUE),
            },
            root_key,
            current_root_id: Value::Null,
            ids: row_ids::DeferredIds::default(),
        })
    }

    /// The normalized root table name.
    pub fn root_table(&self) -> &str {
        &self.root
    }

    /// The evolving schema.
    pub fn schema(&self) -> &Schema {
        &self.core.schema
    }

    /// The schema, once normalization is done.
    pub fn into_schema(self) -> Schema {
        self.core.schema
    }

    /// Rows normalized per table, in order of first appearance.
    pub fn row_counts(&self) -> Vec<(String, u64)> {
        self.table_order
            .iter()
            .map(|t| (t.to_string(), self.tables.get(t).map_or(0, |s| s.rows)))
            .collect()
    }

    /// Normalizes one record (and everything nested in it).
    pub fn push(&mut self, record: Record) -> Result<()> {
        let root = self.root.clone();
        self.normalize_row(record, &root, None, None, self.levels)
    }

    fn normalize_row(
        &mut self,
        dict: Map<String, Value>,
        table: &Name,
        parent: Option<(&Name, &str)>,
        list_idx: Option<usize>,
        levels: i64,
    ) -> Result<()> {
        if !self.tables.contains_key(&**table) {
            self.tables.insert(table.clone(), TableState::new(table));
        }
        let state = self.tables.get_mut(&**table).expect("inserted above");
        let core = &mut self.core;
        let flat = flatten::flatten(
            &core.schema,
            &core.naming,
            &mut core.names,
            &mut state.scratch,
            table,
            dict,
            levels,
        )?;
        let mut row = flat.row;
        let mut deferred = false;
        let row_id = match parent {
            None => {
                row.push((self.sys.dlt_load_id.clone(), self.load_id.clone()));
                let id = existing_row_id(&row).unwrap_or_else(ids::new_row_id);
                set_row_id(&mut row, &self.sys.dlt_id, &id);
                if self.root_key {
                    self.current_root_id = Value::String(id.clone());
                }
                id
            }
            Some((_, parent_id)) => {
                let idx = list_idx.unwrap_or(0);
                // No child needs this row's id: it is computed in the background.
                deferred = flat.lists.is_empty() && existing_row_id(&row).is_none();
                let id = if deferred {
                    self.ids.request(table, parent_id, idx)?;
                    String::new()
                } else {
                    ids::nested_row_id(parent_id, table, idx)
                };
                if self.root_key {
                    row.push((self.sys.dlt_root_id.clone(), self.current_root_id.clone()));
                }
                row.push((
                    self.sys.dlt_parent_id.clone(),
                    Value::String(parent_id.into()),
                ));
                row.push((self.sys.dlt_list_idx.clone(), json!(idx)));
                row.push((self.sys.dlt_id.clone(), Value::String(id.clone())));
                id
            }
        };
        store_row(
            core,
            state,
            &mut self.table_order,
            (table, parent.map(|(t, _)| t)),
            row,
            deferred,
        )?;
        for (path, items) in flat.lists {
            let core = &mut self.core;
            let (_, child) = core.names.join(&core.naming, table, &path);
            self.normalize_list(items, &child, table, &row_id, levels - 1)?;
        }
        Ok(())
    }

    fn normalize_list(
        &mut self,
        items: Vec<Value>,
        table: &Name,
        parent_table: &Name,
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
                    // A scalar's row has no children: its id is computed in the background.
                    self.ids.request(table, parent_id, idx)?;
                    let mut row = vec![(self.sys.value.clone(), scalar)];
                    if self.root_key {
                        row.push((self.sys.dlt_root_id.clone(), self.current_root_id.clone()));
                    }
                    row.extend([
                        (
                            self.sys.dlt_parent_id.clone(),
                            Value::String(parent_id.into()),
                        ),
                        (self.sys.dlt_list_idx.clone(), json!(idx)),
                        (self.sys.dlt_id.clone(), Value::String(String::new())),
                    ]);
                    let state = match self.tables.get_mut(&**table) {
                        Some(state) => state,
                        None => self
                            .tables
                            .entry(table.clone())
                            .or_insert_with(|| TableState::new(table)),
                    };
                    store_row(
                        &mut self.core,
                        state,
                        &mut self.table_order,
                        (table, Some(parent_table)),
                        row,
                        true,
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Emits the tables whose buffers hold at least `min_rows` rows.
    pub fn take_batches(&mut self, min_rows: usize) -> Result<Vec<(String, RecordBatch)>> {
        let mut out = Vec::new();
        for table in &self.table_order {
            let state = self
                .tables
                .get_mut(table)
                .expect("ordered tables have buffers");
            let buffer = &mut state.buffer;
            if buffer.rows() == 0 || buffer.rows() < min_rows {
                continue;
            }
            let columns = self.core.schema.columns(table);
            if let Some((batch, deferred)) = buffer.flush(&columns)? {
                let batch = if deferred.is_empty() {
                    batch
                } else {
                    let ids = self.ids.take(table, deferred.len())?;
                    row_ids::fill(batch, C_DLT_ID, &deferred, ids)?
                };
                out.push((table.to_string(), batch));
            }
        }
        Ok(out)
    }
}

impl Core {
    /// The slot of an existing complete column (the schema is the source of truth; a column
    /// it knows gets a slot on first use).
    fn known_slot(
        &mut self,
        state: &mut TableState,
        table: &str,
        column: &Name,
    ) -> Result<Option<usize>> {
        if let Some(slot) = state.buffer.slot_of(column) {
            return Ok(Some(slot));
        }
        let found = self
            .schema
            .column_json(table, column)
            .and_then(|c| c.get("data_type"))
            .and_then(Value::as_str)
            .map(DltType::parse)
            .transpose()?;
        Ok(found.map(|t| state.buffer.add_slot(column.clone(), t)))
    }

    /// dlt's `_coerce_non_null_value`: the slot (maybe of a new or variant column) and the
    /// coerced value. `base` is the slot of `column` if it exists.
    fn fit_value<'v>(
        &mut self,
        state: &mut TableState,
        table: &str,
        column: &Name,
        value: &'v Value,
        base: Option<usize>,
        is_variant: bool,
    ) -> Result<(usize, Cell<'v>)> {
        let data_type = match base {
            Some(slot) => state.buffer.slot(slot).1,
            None => self.infer_column_type(column, value, is_variant),
        };
        if let Some(cell) = coerce::coerce(data_type, value) {
            let slot = match base {
                Some(slot) => slot,
                None => {
                    self.add_column(table, column, data_type, is_variant);
                    state.buffer.add_slot(column.clone(), data_type)
                }
            };
            return Ok((slot, cell));
        }
        if is_variant {
            return Err(cannot_coerce(table, column, data_type, value));
        }
        let variant = self.variant_name(column, value);
        let base = self.known_slot(state, table, &variant)?;
        self.fit_value(state, table, &variant, value, base, true)
    }

    /// `<column>__v_<python type>`, memoized.
    fn variant_name(&mut self, column: &Name, value: &Value) -> Name {
        let py_type = coerce::py_type(value).expect("nulls are skipped");
        let key = (column.clone(), py_type);
        if let Some(name) = self.variants.get(&key) {
            return name.clone();
        }
        let name = Name::from(
            self.naming
                .fragments(&[column, &format!("v_{}", py_type.name())]),
        );
        if self.variants.len() < 100_000 {
            self.variants.insert(key, name.clone());
        }
        name
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
        self.names.column_changed(table, column);
    }
}

/// Coerces a flattened row of `table` (child of `parent`) into its columns (adding columns and
/// variants) and buffers it; `deferred_id`: its `_dlt_id` is a placeholder for now.
fn store_row(
    core: &mut Core,
    state: &mut TableState,
    table_order: &mut Vec<Name>,
    (table, parent): (&Name, Option<&Name>),
    row: Vec<(Name, Value)>,
    deferred_id: bool,
) -> Result<()> {
    if !state.seen
        && let Some(parent) = parent
    {
        core.schema.ensure_nested_table(table, parent);
    }
    if state.shape.len() < row.len() {
        state.shape.resize(row.len(), None);
    }
    // Values go straight into the builders; an error fails the whole normalization, so a
    // half-appended row is never emitted.
    for (position, (column, value)) in row.iter().enumerate() {
        if value.is_null() {
            continue;
        }
        let remembered = match &state.shape[position] {
            Some((name, slot)) if Arc::ptr_eq(name, column) => Some(*slot),
            _ => None,
        };
        let base = match remembered {
            Some(slot) => Some(slot),
            None => core.known_slot(state, table, column)?,
        };
        let (slot, cell) = core.fit_value(state, table, column, value, base, false)?;
        if remembered.is_none() {
            let base = base.or_else(|| state.buffer.slot_of(column));
            state.shape[position] = base.map(|b| (column.clone(), b));
        }
        state.buffer.append(slot, cell);
    }
    if !state.seen {
        state.seen = true;
        table_order.push(table.clone());
        core.schema.mark_seen_data(table);
    }
    if deferred_id {
        state.buffer.defer_id();
    }
    state.buffer.end_row();
    state.rows += 1;
    state.scratch.recycle(row);
    Ok(())
}

fn cannot_coerce(table: &str, column: &str, t: DltType, value: &Value) -> Error {
    let shown: String = value.to_string().chars().take(60).collect();
    Error::invalid(format!(
        "cannot coerce value {shown} into column `{column}` of table `{table}` \
         (type {}) or any variant of it",
        t.name()
    ))
    .with_context("table", table)
    .with_context("column", column)
}

fn existing_row_id(row: &[(Name, Value)]) -> Option<String> {
    row.iter()
        .find(|(k, _)| &**k == C_DLT_ID)
        .and_then(|(_, v)| v.as_str())
        .filter(|s| !s.is_empty())
        .map(String::from)
}

fn set_row_id(row: &mut Vec<(Name, Value)>, dlt_id: &Name, id: &str) {
    row.retain(|(k, _)| &**k != C_DLT_ID);
    row.push((dlt_id.clone(), Value::String(id.into())));
}

#[cfg(test)]
mod tests;
