//! The query root: one object per concept, merged.

mod assessment;
pub(crate) use assessment::assessment_with;
mod audit;
mod calendar;
mod changes;
mod compliance;
mod indicators;
mod me;
mod plan;
mod tasks;
mod units;

use async_graphql::MergedObject;

/// Every query.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    me::MeQuery,
    plan::PlanQuery,
    units::UnitQuery,
    tasks::TaskQuery,
    indicators::IndicatorQuery,
    compliance::ComplianceQuery,
    audit::AuditQuery,
    assessment::AssessmentQuery,
    calendar::CalendarQuery,
    changes::ChangesQuery,
    crate::graphql::node::NodeQuery,
);
