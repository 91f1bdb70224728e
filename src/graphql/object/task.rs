use async_graphql::{Context, Object};
use entity::task;

use crate::auth::policy;
use crate::error::AppError;
use crate::graphql::access;
use crate::graphql::context;
use crate::graphql::loader::{self, AssignmentsOfTask, IndicatorsOfTask, LatestProgress};
use crate::graphql::object::{Indicator, Section, TaskAssignment, TaskProgress};
use crate::graphql::scalars::Period;
use crate::service::progress;

/// One of the plan's 29 numbered tasks.
pub struct Task(pub task::Model);

#[Object]
impl Task {
    /// The global id (see `Node`).
    pub async fn id(&self) -> async_graphql::ID {
        crate::graphql::node::id("Task", self.0.number)
    }

    /// Task number as in the document: 12 for （12）.
    async fn number(&self) -> i32 {
        self.0.number
    }

    /// The task's first sentence, e.g. 加强突发生态环境事件应急管理.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The task's whole paragraph, verbatim (page breaks mended), including its units.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Why the task has no indicator: its words are efforts with no result that can be
    /// judged, left to progress reports (see `Plan.commitmentRules`); null when it has one.
    async fn indicator_note(&self) -> Option<&str> {
        self.0.indicator_note.as_deref()
    }

    /// The section (and through it the domain) of the task.
    async fn section(&self, ctx: &Context<'_>) -> async_graphql::Result<Section> {
        let catalog = context::catalog(ctx)?;
        catalog
            .section(self.0.section_id)
            .cloned()
            .map(Section)
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("task without section")).into())
    }

    /// The units the task names, with their role (RESPONSIBLE or LEAD), in the document's order.
    async fn assignments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TaskAssignment>> {
        let rows = loader::get::<AssignmentsOfTask>(ctx)?.load_one(self.0.id).await?;
        Ok(rows.unwrap_or_default().into_iter().map(|(a, u)| TaskAssignment { assignment: a, unit: u }).collect())
    }

    /// The indicators the task's text states, in the document's order.
    async fn indicators(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Indicator>> {
        let rows = loader::get::<IndicatorsOfTask>(ctx)?.load_one(self.0.id).await?;
        Ok(rows.unwrap_or_default().into_iter().map(Indicator).collect())
    }

    /// The latest progress update for a period; null when there is none.
    async fn progress(&self, ctx: &Context<'_>, period: Period) -> async_graphql::Result<Option<TaskProgress>> {
        let found = loader::get::<LatestProgress>(ctx)?.load_one((self.0.id, period.0)).await?;
        Ok(found.flatten().map(TaskProgress))
    }

    /// Every progress update (of one period, when given), oldest first.
    async fn progress_history(
        &self,
        ctx: &Context<'_>,
        period: Option<Period>,
    ) -> async_graphql::Result<Vec<TaskProgress>> {
        let db = context::db(ctx)?;
        let rows = progress::history(&db.conn, self.0.id, period.map(|p| p.0)).await?;
        Ok(rows.into_iter().map(TaskProgress).collect())
    }

    /// Whether the viewer may update this task's progress and report its indicators.
    async fn viewer_can_update(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let identity = context::identity(ctx)?;
        let units = access::assigned_units(ctx, self.0.id).await?;
        Ok(policy::may_report_on_task(identity, &units))
    }
}
