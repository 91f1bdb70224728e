use async_graphql::{Context, Object};

use crate::auth::policy;
use crate::graphql::context;
use crate::graphql::object::ComplianceSummary;
use crate::graphql::scalars::Period;
use crate::service::compliance;

#[derive(Default)]
pub struct ComplianceQuery;

#[Object]
impl ComplianceQuery {
    /// Compliance counts of the viewer's indicators for a period: overall, by domain and by
    /// unit. Indicators of the period's frequency are judged; for a year, quarterly and
    /// monthly indicators are judged over the year too.
    async fn compliance_summary(&self, ctx: &Context<'_>, period: Period) -> async_graphql::Result<ComplianceSummary> {
        let identity = context::identity(ctx)?;
        let db = context::db(ctx)?;
        let summary =
            compliance::summary(&db.conn, context::catalog(ctx)?, &policy::task_scope(identity), period.0).await?;
        Ok(ComplianceSummary(summary))
    }
}
