use async_graphql::{Context, Object};

use crate::auth::policy;
use crate::error::AppError;
use crate::graphql::access;
use crate::graphql::connection::{self, Conn};
use crate::graphql::context;
use crate::graphql::enums::{Commitment, Direction, Frequency, IndicatorKind, Source};
use crate::graphql::loader::{self, CurrentValues, TaskById};
use crate::graphql::object::{Compliance, IndicatorCondition, IndicatorValue, SuperiorTarget, Task};
use crate::graphql::scalars::Period;
use crate::service::indicators::IndicatorWithConditions;
use crate::service::{compliance, targets, values};

/// A measurable or checkable target stated by a task, e.g. 林草覆盖率 ≥ 25 %.
pub struct Indicator(pub IndicatorWithConditions);

#[Object]
impl Indicator {
    /// The global id (see `Node`).
    pub async fn id(&self) -> async_graphql::ID {
        crate::graphql::node::id("Indicator", &self.0.indicator.code)
    }

    /// Stable code, e.g. `forest_grass_coverage_rate`.
    async fn code(&self) -> &str {
        self.0.indicator.code.as_str()
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
    async fn kind(&self) -> IndicatorKind {
        self.0.indicator.kind.into()
    }

    /// Measurement unit of the value ("%" for percentages); null when the document states
    /// none (quantities, counts, yes/no).
    async fn measurement_unit(&self) -> Option<&str> {
        self.0.indicator.measurement_unit.as_deref()
    }

    /// Which way is better.
    async fn direction(&self) -> Direction {
        self.0.indicator.direction.into()
    }

    /// How often values are reported. The document states it for one indicator only;
    /// elsewhere it is configuration (see `frequencySource` and `frequencyBasis`), which an
    /// administrator may change with `setIndicatorFrequency` before values are reported.
    async fn frequency(&self) -> Frequency {
        self.0.indicator.frequency.into()
    }

    /// Whether the document states the reporting frequency (DOCUMENT) or it is configuration
    /// (CONFIGURED).
    async fn frequency_source(&self) -> Source {
        self.0.indicator.frequency_source.into()
    }

    /// Why the frequency is what it is: the document's words, or the reason for the configuration.
    async fn frequency_basis(&self) -> Option<&str> {
        self.0.indicator.frequency_basis.as_deref()
    }

    /// The rule under which the document's words became this indicator; it also decides how a
    /// yes/no answer reads (已完成, 已落实, 符合).
    async fn commitment(&self) -> Commitment {
        self.0.indicator.commitment.into()
    }

    /// How to report where the document does not say, e.g. which index a trend is measured
    /// by; null when the document's words suffice.
    async fn reporting_note(&self) -> Option<&str> {
        self.0.indicator.reporting_note.as_deref()
    }

    /// Codes this indicator had before they were corrected; lookups by them still work.
    async fn former_codes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        Ok(context::catalog(ctx)?.former_codes(self.0.indicator.id).to_vec())
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
        self.0.conditions.iter().cloned().map(IndicatorCondition).collect()
    }

    /// Every reported revision (of one period, when given), oldest first; rejected ones included.
    #[graphql(complexity = "first.unwrap_or(50).max(1) as usize * child_complexity")]
    async fn values(
        &self,
        ctx: &Context<'_>,
        period: Option<Period>,
        #[graphql(desc = "Page size (default 50, at most the configured maximum, 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<IndicatorValue>> {
        let db = context::db(ctx)?;
        let request = connection::page_request(ctx, "value", first, after.as_deref())?;
        let page = values::list_values(&db.conn, self.0.indicator.id, period.map(|p| p.0), request).await?;
        Ok(connection::connection("value", &request, page, |v| v.id, IndicatorValue))
    }

    /// The current revision for a period of the indicator's frequency: the latest one not
    /// rejected; null when nothing counts.
    async fn current_value(&self, ctx: &Context<'_>, period: Period) -> async_graphql::Result<Option<IndicatorValue>> {
        let frequency = self.0.indicator.frequency;
        if period.0.frequency() != frequency {
            return Err(AppError::validation(format!(
                "{} is reported {}; {} is not such a period",
                self.0.indicator.code,
                frequency.as_str().to_lowercase(),
                period.0
            ))
            .into());
        }
        let found = loader::get::<CurrentValues>(ctx)?.load_one((self.0.indicator.id, period.0)).await?;
        Ok(found.flatten().map(|c| IndicatorValue(c.value)))
    }

    /// Whether the indicator's conditions hold in a period of its frequency, or in a year
    /// (a quarterly indicator is then judged over the year's four quarters).
    async fn compliance(&self, ctx: &Context<'_>, period: Period) -> async_graphql::Result<Compliance> {
        let frequency = self.0.indicator.frequency;
        let keys: Vec<(i32, crate::domain::Period)> =
            compliance::periods_to_load(frequency, period.0)?.into_iter().map(|p| (self.0.indicator.id, p)).collect();
        let values = loader::get::<CurrentValues>(ctx)?.load_many(keys).await?;
        let values = values.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect();
        Ok(Compliance(compliance::evaluate(&self.0, period.0, &values)?))
    }

    /// The superior target configured for a year (MEETS_SUPERIOR_TARGET indicators); null
    /// when none is configured.
    async fn superior_target(&self, ctx: &Context<'_>, year: i32) -> async_graphql::Result<Option<SuperiorTarget>> {
        let db = context::db(ctx)?;
        Ok(targets::of_indicator(&db.conn, self.0.indicator.id, year).await?.map(SuperiorTarget))
    }

    /// Whether the viewer may report values of this indicator (the policy's answer: a
    /// department assigned to its task, directly or through a group).
    async fn viewer_can_report(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let identity = context::identity(ctx)?;
        let units = access::assigned_units(ctx, self.0.indicator.task_id).await?;
        Ok(policy::may_report_on_task(identity, &units))
    }
}
