//! GraphQL output types. Each wraps a model and exposes chosen fields on purpose.

pub mod assessment;
pub mod assignment;
pub mod audit_event;
pub mod calendar;
pub mod change;
pub mod compliance;
pub mod condition;
pub mod domain;
pub mod indicator;
pub mod plan;
pub mod progress;
pub mod section;
pub mod summary;
pub mod superior_target;
pub mod task;
pub mod unit;
pub mod value;
pub mod viewer;

pub use assessment::{Accountability, Assessment, ScoringScheme};
pub use assignment::TaskAssignment;
pub use audit_event::AuditEvent;
pub use calendar::DueReport;
pub use change::Change;
pub use compliance::Compliance;
pub use condition::IndicatorCondition;
pub use domain::Domain;
pub use indicator::Indicator;
pub use plan::{CommitmentRule, Plan, PlanText};
pub use progress::TaskProgress;
pub use section::Section;
pub use summary::ComplianceSummary;
pub use superior_target::SuperiorTarget;
pub use task::Task;
pub use unit::Unit;
pub use value::IndicatorValue;
pub use viewer::Viewer;
