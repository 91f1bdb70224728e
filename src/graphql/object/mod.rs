//! GraphQL output types. Each wraps a model and exposes chosen fields on purpose.

pub mod assignment;
pub mod condition;
pub mod domain;
pub mod indicator;
pub mod plan;
pub mod section;
pub mod task;
pub mod unit;
pub mod viewer;

pub use assignment::TaskAssignment;
pub use condition::IndicatorCondition;
pub use domain::Domain;
pub use indicator::Indicator;
pub use plan::Plan;
pub use section::Section;
pub use task::Task;
pub use unit::Unit;
pub use viewer::Viewer;
