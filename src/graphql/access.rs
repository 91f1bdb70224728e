//! Authorization checks that need data first (a task's units), asked of the policy.

use async_graphql::Context;

use crate::auth::policy;
use crate::graphql::context;
use crate::graphql::loader::{self, AssignmentsOfTask};

/// The ids of the units assigned to a task, through the request's loader (so the
/// `assignments` field of the same task costs nothing more).
pub async fn assigned_units(ctx: &Context<'_>, task_id: i32) -> async_graphql::Result<Vec<i32>> {
    let rows = loader::get::<AssignmentsOfTask>(ctx)?.load_one(task_id).await?.unwrap_or_default();
    Ok(rows.iter().map(|(a, _)| a.unit_id).collect())
}

/// FORBIDDEN unless the viewer may read the task.
pub async fn ensure_task_readable(ctx: &Context<'_>, task_id: i32) -> async_graphql::Result<()> {
    let identity = context::identity(ctx)?;
    let units = assigned_units(ctx, task_id).await?;
    Ok(policy::authorize_task_read(identity, &units)?)
}

/// FORBIDDEN unless the viewer may report values and progress on the task.
pub async fn ensure_may_report(ctx: &Context<'_>, task_id: i32) -> async_graphql::Result<()> {
    let identity = context::identity(ctx)?;
    let units = assigned_units(ctx, task_id).await?;
    Ok(policy::authorize_report_on_task(identity, &units)?)
}
