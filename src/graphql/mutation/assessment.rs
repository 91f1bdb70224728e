use async_graphql::{Context, Object, SimpleObject};

use crate::auth::policy;
use crate::domain::UnitCode;
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::input::{AdjustAssessmentInput, FinalizeAssessmentsInput, SetScoringSchemeInput};
use crate::graphql::object::{Assessment, ScoringScheme};
use crate::service::assessment::{self, SchemeChange};
use crate::service::units;

/// The new scheme version.
#[derive(SimpleObject)]
pub struct ScoringSchemePayload {
    pub scheme: ScoringScheme,
}

/// The unit's assessment after the adjustment.
#[derive(SimpleObject)]
pub struct AdjustAssessmentPayload {
    pub assessment: Assessment,
}

/// The frozen assessments of the year.
#[derive(SimpleObject)]
pub struct FinalizeAssessmentsPayload {
    pub year: i32,
    pub assessments: Vec<Assessment>,
}

#[derive(Default)]
pub struct AssessmentMutation;

#[Object]
impl AssessmentMutation {
    /// Sets a new version of a year's scoring scheme (an administrator or the assessment
    /// office); CONFLICT once the year is finalized.
    async fn set_scoring_scheme(
        &self,
        ctx: &Context<'_>,
        input: SetScoringSchemeInput,
    ) -> async_graphql::Result<ScoringSchemePayload> {
        let actor = context::actor(ctx)?;
        policy::authorize_set_scoring_scheme(actor.identity)?;
        let db = context::db(ctx)?;
        let change = SchemeChange {
            indicator_points: input.indicator_points.map(|d| d.0),
            progress_points: input.progress_points.map(|d| d.0),
            timeliness_points: input.timeliness_points.map(|d| d.0),
            decline_deduction: input.decline_deduction.map(|d| d.0),
            veto_on_occurrence: input.veto_on_occurrence,
            in_progress_share: input.in_progress_share.map(|d| d.0),
            reporting_grace_days: input.reporting_grace_days,
            excellent_from: input.excellent_from.map(|d| d.0),
            good_from: input.good_from.map(|d| d.0),
            pass_from: input.pass_from.map(|d| d.0),
            note: input.note,
        };
        let year = assessment::plan_year(input.year)?;
        let stored = assessment::set_scheme(db, actor, context::catalog(ctx)?, year, change).await?;
        Ok(ScoringSchemePayload { scheme: ScoringScheme(stored) })
    }

    /// Adjusts a unit's score with a mandatory reason (the assessment office); the score
    /// must stay within 0–100; CONFLICT once the year is finalized.
    async fn adjust_assessment(
        &self,
        ctx: &Context<'_>,
        input: AdjustAssessmentInput,
    ) -> async_graphql::Result<AdjustAssessmentPayload> {
        let actor = context::actor(ctx)?;
        policy::authorize_assess(actor.identity)?;
        let db = context::db(ctx)?;
        let catalog = context::catalog(ctx)?;
        let unit = units::get_unit(&db.conn, &UnitCode::parse(&input.unit_code).map_err(AppError::from)?).await?;
        let year = assessment::plan_year(input.year)?;
        assessment::adjust(db, actor, catalog, &unit, year, input.points.0, &input.reason).await?;
        let year_result = assessment::assess_year(&db.conn, catalog, year).await?;
        let scheme = year_result.scheme.clone();
        let inner = year_result
            .units
            .into_iter()
            .find(|a| a.unit.id == unit.id)
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("adjusted unit missing")))?;
        Ok(AdjustAssessmentPayload { assessment: Assessment { inner, scheme } })
    }

    /// Finalizes a year (the assessment office): every unit's result is frozen; later
    /// changes in the data show as `changedSinceFinalized`. CONFLICT if already finalized.
    async fn finalize_assessments(
        &self,
        ctx: &Context<'_>,
        input: FinalizeAssessmentsInput,
    ) -> async_graphql::Result<FinalizeAssessmentsPayload> {
        let actor = context::actor(ctx)?;
        policy::authorize_assess(actor.identity)?;
        let db = context::db(ctx)?;
        let year = assessment::plan_year(input.year)?;
        let year_result = assessment::finalize(db, actor, context::catalog(ctx)?, year).await?;
        let scheme = year_result.scheme.clone();
        Ok(FinalizeAssessmentsPayload {
            year: year_result.year.get(),
            assessments: year_result
                .units
                .into_iter()
                .map(|inner| Assessment { inner, scheme: scheme.clone() })
                .collect(),
        })
    }
}
