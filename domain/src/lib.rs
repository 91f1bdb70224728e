//! The domain of ecoplan: parse-don't-validate types (once a value of one of these types
//! exists, it is valid, so services never re-check it) and the pure rules of compliance and
//! scoring.
//!
//! This crate is the bottom layer: it depends on no web framework, no GraphQL library and
//! no database driver (the `sea-orm` feature only lets the entities store its types as
//! columns), so the compiler keeps everything above out of it.

pub mod access;
pub mod compliance;
pub mod decimal;
pub mod period;
pub mod plan;
pub mod scoring;
pub mod sync;
pub mod text;
pub mod unit_code;
pub mod work;
pub mod year;

pub use access::Role;
pub use decimal::ExactDecimal;
pub use period::{Frequency, Period};
pub use plan::{AssignmentRole, Commitment, Comparator, Direction, IndicatorKind, Source, UnitOrigin};
pub use sync::{ChangeKind, ChangeOperation};
pub use unit_code::{IndicatorCode, UnitCode};
pub use work::{ProgressStatus, ValueStatus};
pub use year::PlanYear;

/// A value that is not valid; the message says what was expected, in words a client can act
/// on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Invalid {
        Invalid(message.into())
    }
}
