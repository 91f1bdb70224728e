use async_graphql::{Context, Object, SimpleObject};

use crate::graphql::access;
use crate::graphql::context;
use crate::graphql::input::UpdateTaskProgressInput;
use crate::graphql::object::TaskProgress;
use crate::service::idempotency::IdempotencyKey;
use crate::service::progress::{self, ProgressReport};
use crate::service::tasks;
use crate::service::values::TextLimits;

/// The stored progress version.
#[derive(SimpleObject)]
pub struct TaskProgressPayload {
    pub progress: TaskProgress,
}

#[derive(Default)]
pub struct ProgressMutation;

#[Object]
impl ProgressMutation {
    /// Records a task's progress for a period (a department, on its own tasks); kept as history.
    async fn update_task_progress(
        &self,
        ctx: &Context<'_>,
        input: UpdateTaskProgressInput,
    ) -> async_graphql::Result<TaskProgressPayload> {
        let actor = context::actor(ctx)?;
        let db = context::db(ctx)?;
        let task = tasks::get_task_by_number(&db.conn, input.task_number).await?;
        access::ensure_may_report(ctx, task.id).await?;
        let report = ProgressReport {
            period: input.period.0,
            status: input.status.into(),
            percent: input.percent.map(|p| p.0),
            summary: input.summary,
            evidence: input.evidence.unwrap_or_default(),
            expected_version: input.expected_version,
        };
        let limits = TextLimits::from(context::settings(ctx)?);
        let key = IdempotencyKey::optional(
            actor,
            input.idempotency_key.as_deref(),
            "updateTaskProgress",
            &progress::fingerprint(task.number, &report),
        )?;
        let stored = progress::update(db, actor, &task, &report, limits, key.as_ref()).await?;
        Ok(TaskProgressPayload { progress: TaskProgress(stored) })
    }
}
