//! Custom scalars: exact decimals and ISO dates.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime as ChronoDateTime, NaiveDate, SecondsFormat, Utc};

use crate::domain::ExactDecimal;

/// An exact decimal number written as a JSON string, e.g. `"26.5"` or `"100"`. Never a
/// float: `"4.5"` stays 4.5. Input must be a string of digits with an optional `-` and one
/// optional decimal point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(pub ExactDecimal);

#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => ExactDecimal::parse(s).map(Decimal).map_err(|e| InputValueError::custom(e.to_string())),
            _ => {
                Err(InputValueError::custom("a Decimal is written as a string, e.g. \"26.5\", so that it stays exact"))
            }
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// A calendar date in ISO 8601, e.g. `"2020-12-31"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom("a Date looks like \"2020-12-31\"")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// A moment in time in RFC 3339, always in UTC, e.g. `"2021-03-01T08:00:00Z"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub ChronoDateTime<Utc>);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => ChronoDateTime::parse_from_rfc3339(s)
                .map(|d| DateTime(d.with_timezone(&Utc)))
                .map_err(|_| InputValueError::custom("a DateTime looks like \"2021-03-01T08:00:00Z\"")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Micros, true))
    }
}

/// A reporting period: a year (`"2021"`), a quarter (`"2021-Q3"`) or a month (`"2021-07"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period(pub crate::domain::Period);

#[Scalar(name = "Period")]
impl ScalarType for Period {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => {
                crate::domain::Period::parse(s).map(Period).map_err(|e| InputValueError::custom(e.to_string()))
            }
            _ => Err(InputValueError::custom("a Period is a string such as \"2021\", \"2021-Q3\" or \"2021-07\"")),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}
