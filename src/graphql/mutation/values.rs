use async_graphql::{Context, Object, SimpleObject, ID};

use crate::auth::policy;
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::input::{RejectIndicatorValueInput, ReportIndicatorValueInput, VerifyIndicatorValueInput};
use crate::graphql::object::IndicatorValue;
use crate::service::idempotency::IdempotencyKey;
use crate::service::indicators;
use crate::service::values::{self, Review, TextLimits, ValueReport};

/// The stored revision.
#[derive(SimpleObject)]
pub struct IndicatorValuePayload {
    pub value: IndicatorValue,
}

#[derive(Default)]
pub struct ValueMutation;

fn parse_id(id: &ID) -> Result<i64, AppError> {
    crate::graphql::node::row_id(id, "IndicatorValue")
        .ok_or_else(|| AppError::validation(format!("{:?} is not a value id", id.as_str())))
}

/// The assessment office's decision on a revision.
async fn review(ctx: &Context<'_>, value_id: &ID, decision: Review) -> async_graphql::Result<IndicatorValuePayload> {
    let actor = context::actor(ctx)?;
    policy::authorize_review_values(actor.identity)?;
    let db = context::db(ctx)?;
    let limits = TextLimits::from(context::settings(ctx)?);
    let stored = values::review(db, actor, parse_id(value_id)?, decision, limits).await?;
    Ok(IndicatorValuePayload { value: IndicatorValue(stored) })
}

#[Object]
impl ValueMutation {
    /// Reports an indicator's value for a period (a department, on its own tasks). Reporting
    /// again for the same period stores a new revision; earlier ones stay readable.
    async fn report_indicator_value(
        &self,
        ctx: &Context<'_>,
        input: ReportIndicatorValueInput,
    ) -> async_graphql::Result<IndicatorValuePayload> {
        let actor = context::actor(ctx)?;
        let db = context::db(ctx)?;
        let (found, units) = indicators::indicator_with_units(&db.conn, &input.indicator_code).await?;
        policy::authorize_report_on_task(actor.identity, &units)?;
        let report = ValueReport {
            period: input.period.0,
            value: input.value.map(|d| d.0),
            implemented: input.implemented,
            note: input.note,
            evidence: input.evidence.unwrap_or_default(),
            expected_revision: input.expected_revision,
        };
        let limits = TextLimits::from(context::settings(ctx)?);
        let key = IdempotencyKey::optional(
            actor,
            input.idempotency_key.as_deref(),
            "reportIndicatorValue",
            &values::report_fingerprint(&input.indicator_code, &report),
        )?;
        let stored = values::report(db, actor, &found, &report, limits, key.as_ref()).await?;
        Ok(IndicatorValuePayload { value: IndicatorValue(stored) })
    }

    /// Confirms a reported revision (the assessment office).
    async fn verify_indicator_value(
        &self,
        ctx: &Context<'_>,
        input: VerifyIndicatorValueInput,
    ) -> async_graphql::Result<IndicatorValuePayload> {
        review(ctx, &input.value_id, Review::Verify { reason: input.reason }).await
    }

    /// Refuses a reported revision with a reason (the assessment office); it no longer counts.
    async fn reject_indicator_value(
        &self,
        ctx: &Context<'_>,
        input: RejectIndicatorValueInput,
    ) -> async_graphql::Result<IndicatorValuePayload> {
        review(ctx, &input.value_id, Review::Reject { reason: input.reason }).await
    }
}
