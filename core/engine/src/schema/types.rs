//! dlt's data types and their Arrow representation (see `stowage_plugin_sdk::types`).

use std::collections::HashMap;

use arrow_schema::{DataType, Field, TimeUnit};
use stowage_plugin_sdk::types::{DATA_TYPE_METADATA_KEY, UTC};

use crate::{Error, Result};

/// A dlt column data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DltType {
    /// `text`
    Text,
    /// `double`
    Double,
    /// `bool`
    Bool,
    /// `bigint`
    Bigint,
    /// `decimal` (38, 9)
    Decimal,
    /// `wei` (stored like a decimal)
    Wei,
    /// `timestamp` (UTC, microseconds)
    Timestamp,
    /// `time` (microseconds since midnight)
    Time,
    /// `date`
    Date,
    /// `binary`
    Binary,
    /// `json`
    Json,
}

/// Every type, for parsing.
const ALL: [DltType; 11] = [
    DltType::Text,
    DltType::Double,
    DltType::Bool,
    DltType::Bigint,
    DltType::Decimal,
    DltType::Wei,
    DltType::Timestamp,
    DltType::Time,
    DltType::Date,
    DltType::Binary,
    DltType::Json,
];

impl DltType {
    /// dlt's name (`bigint`, `json`, …).
    pub fn name(self) -> &'static str {
        match self {
            DltType::Text => "text",
            DltType::Double => "double",
            DltType::Bool => "bool",
            DltType::Bigint => "bigint",
            DltType::Decimal => "decimal",
            DltType::Wei => "wei",
            DltType::Timestamp => "timestamp",
            DltType::Time => "time",
            DltType::Date => "date",
            DltType::Binary => "binary",
            DltType::Json => "json",
        }
    }

    /// Parses dlt's name (`complex` is the pre-1.0 name of `json`).
    pub fn parse(name: &str) -> Result<DltType> {
        if name == "complex" {
            return Ok(DltType::Json);
        }
        ALL.iter()
            .copied()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = ALL.iter().map(|t| t.name()).collect();
                Error::invalid(format!(
                    "unknown data type `{name}` (known: {})",
                    names.join(", ")
                ))
            })
    }

    /// The Arrow type of a column of this type.
    pub fn arrow_type(self) -> DataType {
        match self {
            DltType::Text | DltType::Json => DataType::Utf8,
            DltType::Double => DataType::Float64,
            DltType::Bool => DataType::Boolean,
            DltType::Bigint => DataType::Int64,
            DltType::Decimal => DataType::Decimal128(38, 9),
            DltType::Wei => DataType::Decimal256(76, 0),
            DltType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
            DltType::Time => DataType::Time64(TimeUnit::Microsecond),
            DltType::Date => DataType::Date32,
            DltType::Binary => DataType::Binary,
        }
    }

    /// The Arrow field of a column, tagged with its dlt type.
    pub fn arrow_field(self, name: &str, nullable: bool) -> Field {
        let meta = HashMap::from([(DATA_TYPE_METADATA_KEY.to_string(), self.name().to_string())]);
        Field::new(name, self.arrow_type(), nullable).with_metadata(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in ALL {
            assert_eq!(DltType::parse(t.name()).unwrap(), t);
        }
        assert_eq!(DltType::parse("complex").unwrap(), DltType::Json);
        assert!(
            DltType::parse("nope")
                .unwrap_err()
                .to_string()
                .contains("known: text")
        );
    }
}
