//! Parse-don't-validate types of the domain: once a value of one of these types exists, it
//! is valid, so services never re-check it.

pub mod compliance;
pub mod decimal;
pub mod period;
pub mod plan;
pub mod scoring;
pub mod text;
pub mod unit_code;
pub mod work;

pub use decimal::ExactDecimal;
pub use period::{Frequency, Period};
pub use plan::{AssignmentRole, Comparator, Direction, IndicatorKind};
pub use unit_code::UnitCode;
pub use work::{ProgressStatus, ValueStatus};
