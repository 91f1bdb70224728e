//! GraphQL input types.

pub mod filters;
pub mod mutations;

pub use filters::{IndicatorFilter, TaskFilter};
pub use mutations::*;
