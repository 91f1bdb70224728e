use async_graphql::{Context, Object};

use crate::domain::plan::parse_stored;
use crate::domain::{Direction, Frequency, IndicatorKind};
use crate::error::AppError;
use crate::graphql::loader::{self, TaskById};
use crate::graphql::object::{IndicatorCondition, Task};
use crate::service::indicators::IndicatorWithConditions;

/// A measurable or checkable target stated by a task, e.g. 林草覆盖率 ≥ 25 %.
pub struct Indicator(pub IndicatorWithConditions);

#[Object]
impl Indicator {
    /// Stable code, e.g. `forest_grass_coverage_rate`.
    async fn code(&self) -> &str {
        &self.0.indicator.code
    }

    /// Name in Chinese, e.g. 林草覆盖率.
    async fn name(&self) -> &str {
        &self.0.indicator.name
    }

    /// The verbatim phrase of the task's text that states the indicator.
    async fn statement(&self) -> &str {
        &self.0.indicator.statement
    }

    /// What kind of value is reported.
    async fn kind(&self) -> async_graphql::Result<IndicatorKind> {
        Ok(parse_stored("indicator kind", &self.0.indicator.kind)?)
    }

    /// Measurement unit of the value ("%" for percentages); null when the document states
    /// none (quantities, counts, yes/no).
    async fn measurement_unit(&self) -> Option<&str> {
        self.0.indicator.measurement_unit.as_deref()
    }

    /// Which way is better.
    async fn direction(&self) -> async_graphql::Result<Direction> {
        Ok(parse_stored("direction", &self.0.indicator.direction)?)
    }

    /// How often values are reported: ANNUAL unless the document says otherwise.
    async fn frequency(&self) -> async_graphql::Result<Frequency> {
        Ok(parse_stored("frequency", &self.0.indicator.frequency)?)
    }

    /// The task that states the indicator.
    async fn task(&self, ctx: &Context<'_>) -> async_graphql::Result<Task> {
        loader::get::<TaskById>(ctx)?
            .load_one(self.0.indicator.task_id)
            .await?
            .map(Task)
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("indicator without task")).into())
    }

    /// The conditions, all of which must hold, in the document's order.
    async fn conditions(&self) -> Vec<IndicatorCondition> {
        self.0
            .conditions
            .iter()
            .cloned()
            .map(IndicatorCondition)
            .collect()
    }
}
