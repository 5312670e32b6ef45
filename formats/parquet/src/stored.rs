//! The schema a file is stored with, and batches converted to it.
//!
//! - Timestamp units as pyarrow stores them: nanoseconds only from format version 2.6, or the
//!   unit of `coerce_timestamps`. Converting to a coarser unit that would drop non-zero digits
//!   is an error unless `allow_truncated_timestamps` is set (then the value is floored, which
//!   keeps the instant's date and time of day).
//! - The engine's own annotations (field and schema metadata keys starting with `stowage.`)
//!   are not stored: the embedded `ARROW:schema` is what dlt's pyarrow writer would embed.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::{
    Array, ArrayRef, PrimitiveArray, RecordBatch, RecordBatchOptions, TimestampMicrosecondArray,
};
use arrow_array::{TimestampMillisecondArray, TimestampNanosecondArray};
use arrow_schema::{DataType, Field, FieldRef, Metadata, Schema, SchemaRef, TimeUnit};
use stowage_plugin_sdk::{PluginError, Result};

use crate::config::ParquetConfig;

/// Metadata keys with this prefix are the engine's annotations, never stored.
const INTERNAL_PREFIX: &str = "stowage.";

/// How the columns of one stream are stored under one configuration.
#[derive(Debug, Clone)]
pub struct StoredSchema {
    stored: SchemaRef,
    /// A column's unit changes (else batches only get the stored schema).
    changed: bool,
    allow_truncation: bool,
}

impl StoredSchema {
    /// The stored schema for batches of `schema`.
    pub fn new(schema: &SchemaRef, config: &ParquetConfig) -> StoredSchema {
        let mut changed = false;
        let fields: Vec<FieldRef> = schema
            .fields()
            .iter()
            .map(|f| {
                let mut field = Field::clone(f).with_metadata(public(f.metadata()));
                if let Some(dt) = stored_type(f.data_type(), config) {
                    changed = true;
                    field = field.with_data_type(dt);
                }
                Arc::new(field)
            })
            .collect();
        let stored = Arc::new(Schema::new_with_metadata(fields, public(schema.metadata())));
        StoredSchema {
            changed,
            stored,
            allow_truncation: config.allow_truncated_timestamps,
        }
    }

    /// The schema the file is written with.
    pub fn stored_schema(&self) -> &SchemaRef {
        &self.stored
    }

    /// `batch` with the stored schema (timestamps in the stored units).
    pub fn apply(&self, batch: RecordBatch) -> Result<RecordBatch> {
        let rows = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        if !self.changed {
            let columns = batch.columns().to_vec();
            return RecordBatch::try_new_with_options(self.stored.clone(), columns, &rows)
                .map_err(PluginError::from);
        }
        let mut columns = Vec::with_capacity(batch.num_columns());
        for (i, column) in batch.columns().iter().enumerate() {
            let target = self.stored.field(i);
            if column.data_type() == target.data_type() {
                columns.push(column.clone());
                continue;
            }
            let DataType::Timestamp(unit, _) = target.data_type() else {
                return Err(PluginError::unexpected("only timestamps change units"));
            };
            columns.push(
                convert(column.as_ref(), *unit, self.allow_truncation)
                    .map_err(|e| e.with_context("column", target.name().as_str()))?,
            );
        }
        RecordBatch::try_new_with_options(self.stored.clone(), columns, &rows)
            .map_err(PluginError::from)
    }
}

/// `metadata` without the engine's annotations.
fn public(metadata: &Metadata) -> Metadata {
    let mut kept = metadata.clone();
    kept.retain(|k, _| !k.starts_with(INTERNAL_PREFIX));
    kept
}

/// The stored type of a timestamp column, or `None` when it is stored as it is.
fn stored_type(dt: &DataType, config: &ParquetConfig) -> Option<DataType> {
    let DataType::Timestamp(unit, tz) = dt else {
        return None;
    };
    let target = match config.coerce_timestamps {
        Some(target) => target,
        None if *unit == TimeUnit::Nanosecond && !config.version.allows_nanoseconds() => {
            TimeUnit::Microsecond
        }
        None => return None,
    };
    (target != *unit).then(|| DataType::Timestamp(target, tz.clone()))
}

/// Converts a timestamp array to `unit`, keeping its time zone.
fn convert(array: &dyn Array, unit: TimeUnit, allow_truncation: bool) -> Result<ArrayRef> {
    let DataType::Timestamp(from, tz) = array.data_type() else {
        return Err(PluginError::unexpected("not a timestamp column"));
    };
    let values: Vec<Option<i64>> = match from {
        TimeUnit::Second => raw(array.as_primitive::<TimestampSecondType>()),
        TimeUnit::Millisecond => raw(array.as_primitive::<TimestampMillisecondType>()),
        TimeUnit::Microsecond => raw(array.as_primitive::<TimestampMicrosecondType>()),
        TimeUnit::Nanosecond => raw(array.as_primitive::<TimestampNanosecondType>()),
    };
    let (mul, div) = factors(*from, unit);
    let converted = values
        .into_iter()
        .map(|v| {
            v.map(|v| rescale(v, mul, div, allow_truncation))
                .transpose()
        })
        .collect::<Result<Vec<Option<i64>>>>()?;
    let tz = tz.clone();
    Ok(match unit {
        TimeUnit::Millisecond => {
            Arc::new(TimestampMillisecondArray::from(converted).with_timezone_opt(tz))
        }
        TimeUnit::Microsecond => {
            Arc::new(TimestampMicrosecondArray::from(converted).with_timezone_opt(tz))
        }
        TimeUnit::Nanosecond => {
            Arc::new(TimestampNanosecondArray::from(converted).with_timezone_opt(tz))
        }
        TimeUnit::Second => return Err(PluginError::unexpected("seconds are never a target")),
    })
}

fn raw<T: arrow_array::ArrowPrimitiveType<Native = i64>>(
    array: &PrimitiveArray<T>,
) -> Vec<Option<i64>> {
    array.iter().collect()
}

/// `(multiplier, divisor)` from `from` to `to`.
fn factors(from: TimeUnit, to: TimeUnit) -> (i64, i64) {
    let exp = |u: TimeUnit| match u {
        TimeUnit::Second => 0,
        TimeUnit::Millisecond => 3,
        TimeUnit::Microsecond => 6,
        TimeUnit::Nanosecond => 9,
    };
    let (a, b) = (exp(from), exp(to));
    if b >= a {
        (10_i64.pow(b - a), 1)
    } else {
        (1, 10_i64.pow(a - b))
    }
}

fn rescale(v: i64, mul: i64, div: i64, allow_truncation: bool) -> Result<i64> {
    if div > 1 {
        if v.rem_euclid(div) != 0 && !allow_truncation {
            return Err(PluginError::invalid(format!(
                "timestamp {v} would lose precision when stored in a coarser unit \
                 (set `allow_truncated_timestamps=true` or `version=2.6`)"
            )));
        }
        return Ok(v.div_euclid(div));
    }
    v.checked_mul(mul).ok_or_else(|| {
        PluginError::invalid(format!("timestamp {v} is out of range in the finer unit"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FormatVersion;

    fn ns_batch(values: Vec<Option<i64>>) -> RecordBatch {
        let field = Field::new(
            "t",
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            true,
        );
        let array = TimestampNanosecondArray::from(values).with_timezone("UTC");
        RecordBatch::try_new(Arc::new(Schema::new(vec![field])), vec![Arc::new(array)]).unwrap()
    }

    #[test]
    fn nanoseconds_become_microseconds_before_2_6() {
        let batch = ns_batch(vec![Some(1_000), None, Some(-2_000)]);
        let plan = StoredSchema::new(&batch.schema(), &ParquetConfig::default());
        let out = plan.apply(batch).unwrap();
        assert_eq!(
            out.schema().field(0).data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        );
        let got: Vec<_> = out
            .column(0)
            .as_primitive::<TimestampMicrosecondType>()
            .iter()
            .collect();
        assert_eq!(got, vec![Some(1), None, Some(-2)]);
    }

    #[test]
    fn truncation_is_an_error_unless_allowed() {
        let batch = ns_batch(vec![Some(-1)]);
        let plan = StoredSchema::new(&batch.schema(), &ParquetConfig::default());
        let err = plan.apply(batch.clone()).unwrap_err().to_string();
        assert!(
            err.contains("allow_truncated_timestamps") && err.contains("column=t"),
            "{err}"
        );
        let config = ParquetConfig {
            allow_truncated_timestamps: true,
            ..ParquetConfig::default()
        };
        let out = StoredSchema::new(&batch.schema(), &config)
            .apply(batch)
            .unwrap();
        let got = out
            .column(0)
            .as_primitive::<TimestampMicrosecondType>()
            .value(0);
        assert_eq!(got, -1, "floored");
    }

    #[test]
    fn version_2_6_keeps_nanoseconds_and_coercion_widens() {
        let batch = ns_batch(vec![Some(5)]);
        let v26 = ParquetConfig {
            version: FormatVersion::V2_6,
            ..ParquetConfig::default()
        };
        let plan = StoredSchema::new(&batch.schema(), &v26);
        assert_eq!(plan.stored_schema().fields(), batch.schema().fields());
        let field = Field::new("t", DataType::Timestamp(TimeUnit::Second, None), true);
        let secs = RecordBatch::try_new(
            Arc::new(Schema::new(vec![field])),
            vec![Arc::new(arrow_array::TimestampSecondArray::from(vec![7]))],
        )
        .unwrap();
        let ms = ParquetConfig {
            coerce_timestamps: Some(TimeUnit::Millisecond),
            ..ParquetConfig::default()
        };
        let out = StoredSchema::new(&secs.schema(), &ms).apply(secs).unwrap();
        let got = out
            .column(0)
            .as_primitive::<TimestampMillisecondType>()
            .value(0);
        assert_eq!(got, 7_000);
    }
}
