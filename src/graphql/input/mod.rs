//! GraphQL input types.

pub mod filters;

pub use filters::{IndicatorFilter, TaskFilter};
