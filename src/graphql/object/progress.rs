use async_graphql::{Context, Object, ID};
use entity::task_progress;

use crate::error::AppError;
use crate::graphql::enums::ProgressStatus;
use crate::graphql::loader::{self, TaskById, UnitById};
use crate::graphql::object::value::json_strings;
use crate::graphql::object::{Task, Unit};
use crate::graphql::scalars::{DateTime, Decimal, Period};

/// One version of a task's progress in a period.
pub struct TaskProgress(pub task_progress::Model);

#[Object]
impl TaskProgress {
    /// The global id (see `Node`).
    pub async fn id(&self) -> ID {
        crate::graphql::node::id("TaskProgress", self.0.id)
    }

    /// The task.
    async fn task(&self, ctx: &Context<'_>) -> async_graphql::Result<Task> {
        loader::get::<TaskById>(ctx)?
            .load_one(self.0.task_id)
            .await?
            .map(Task)
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("progress without task")).into())
    }

    /// The period.
    async fn period(&self) -> Period {
        Period(self.0.period)
    }

    /// 1 for the first update of the period, then 2, 3 … (pass it as `expectedVersion`).
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// NOT_STARTED, IN_PROGRESS, COMPLETED or BLOCKED.
    async fn status(&self) -> ProgressStatus {
        self.0.status.into()
    }

    /// Percent done, 0–100, when given.
    async fn percent(&self) -> Option<Decimal> {
        self.0.percent.map(Decimal)
    }

    /// What was done, or why the task is blocked.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// Evidence files attached to this version (documents, photos), oldest first.
    async fn evidence_files(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::object::EvidenceFile>> {
        let files = crate::graphql::loader::get::<crate::graphql::loader::EvidenceOf>(ctx)?
            .load_one(crate::service::evidence::Attachment::Progress(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(files.into_iter().map(crate::graphql::object::EvidenceFile).collect())
    }

    /// Evidence: links or document numbers.
    async fn evidence(&self) -> Vec<String> {
        json_strings(&self.0.evidence)
    }

    /// The unit that reported it.
    async fn reported_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        match self.0.unit_id {
            None => Ok(None),
            Some(id) => Ok(loader::get::<UnitById>(ctx)?.load_one(id).await?.map(Unit)),
        }
    }

    /// The token subject that reported it.
    async fn reporter(&self) -> &str {
        &self.0.reported_by
    }

    /// When it was reported.
    async fn reported_at(&self) -> DateTime {
        DateTime(self.0.reported_at)
    }
}
