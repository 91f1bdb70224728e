use async_graphql::{Context, Object};

use crate::auth::policy;
use crate::domain::UnitCode;
use crate::error::AppError;
use crate::graphql::connection::{self, Conn};
use crate::graphql::context;
use crate::graphql::input::AssessmentFilter;
use crate::graphql::object::{Accountability, Assessment, ScoringScheme};
use crate::service::page::Page;
use crate::service::{assessment, units};

#[derive(Default)]
pub struct AssessmentQuery;

/// A unit's assessment for a year, with the policy of `assessment(unitCode:, year:)`.
pub(crate) async fn assessment_of(ctx: &Context<'_>, code: &UnitCode, year: i32) -> Result<Assessment, AppError> {
    assessment_with(ctx, code, year, &mut std::collections::HashMap::new()).await
}

/// [`assessment_of`], computing each year's assessment at most once across calls sharing
/// `years` (`nodes` asked for many units' assessments).
pub(crate) async fn assessment_with(
    ctx: &Context<'_>,
    code: &UnitCode,
    year: i32,
    years: &mut std::collections::HashMap<i32, assessment::YearAssessment>,
) -> Result<Assessment, AppError> {
    let gql = |e: async_graphql::Error| AppError::Unexpected(anyhow::anyhow!(e.message));
    let identity = context::identity(ctx).map_err(gql)?;
    policy::assessment_scope(identity)?;
    let year = assessment::plan_year(year)?;
    let db = context::db(ctx).map_err(gql)?;
    let unit = units::get_unit(&db.conn, code).await?;
    policy::authorize_assessment_read(identity, unit.id)?;
    let year_result = match years.entry(year.get()) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(assessment::assess_year(&db.conn, context::catalog(ctx).map_err(gql)?, year).await?)
        }
    };
    let scheme = year_result.scheme.clone();
    let inner = year_result
        .units
        .iter()
        .find(|a| a.unit.id == unit.id)
        .cloned()
        .ok_or_else(|| AppError::validation(format!("{} is a group; its member units are assessed", unit.code)))?;
    Ok(Assessment { inner, scheme })
}

#[Object]
impl AssessmentQuery {
    /// A unit's assessment for a year: NOT_FOUND for an unknown unit or a year the plan does
    /// not cover (2021 to the current year); FORBIDDEN for another unit's (departments) and
    /// for integration tokens.
    async fn assessment(&self, ctx: &Context<'_>, unit_code: String, year: i32) -> async_graphql::Result<Assessment> {
        Ok(assessment_of(ctx, &UnitCode::parse(&unit_code).map_err(AppError::from)?, year).await?)
    }

    /// The year's assessments by rank (units without tasks last); a department sees its own.
    #[graphql(complexity = "first.unwrap_or(50).max(1) as usize * child_complexity")]
    async fn assessments(
        &self,
        ctx: &Context<'_>,
        year: i32,
        filter: Option<AssessmentFilter>,
        #[graphql(desc = "Page size (default 50, at most the configured maximum, 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<Assessment>> {
        let identity = context::identity(ctx)?;
        let scope = policy::assessment_scope(identity)?;
        let request = connection::page_request(ctx, "assessment", first, after.as_deref())?;
        let year = assessment::plan_year(year)?;
        let db = context::db(ctx)?;
        let year_result = assessment::assess_year(&db.conn, context::catalog(ctx)?, year).await?;
        let filter = filter.unwrap_or_default();
        let scheme = year_result.scheme.clone();
        let all: Vec<(i64, Assessment)> = year_result
            .units
            .into_iter()
            .filter(|a| scope.covers(a.unit.id))
            .filter(|a| {
                filter.grade.is_none_or(|g| {
                    a.published.outcome.as_ref().is_some_and(|o| o.grade == crate::domain::scoring::Grade::from(g))
                })
            })
            .filter(|a| filter.tied.is_none_or(|t| a.published.tied == t))
            .enumerate()
            .map(|(i, inner)| (i as i64 + 1, Assessment { inner, scheme: scheme.clone() }))
            .collect();
        let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
        let start = request.after.unwrap_or(0);
        let mut items: Vec<(i64, Assessment)> = all.into_iter().filter(|(pos, _)| *pos > start).collect();
        let has_next = items.len() as u64 > request.first;
        items.truncate(usize::try_from(request.first).unwrap_or(usize::MAX));
        let page = Page { items, has_next, total: Some(total) };
        Ok(connection::connection("assessment", &request, page, |(pos, _)| *pos, |(_, a)| a))
    }

    /// The scoring scheme in force for a year (the built-in default until one is set).
    async fn scoring_scheme(&self, ctx: &Context<'_>, year: i32) -> async_graphql::Result<ScoringScheme> {
        context::identity(ctx)?;
        let year = assessment::plan_year(year)?;
        let db = context::db(ctx)?;
        let catalog = context::catalog(ctx)?;
        Ok(ScoringScheme(assessment::scheme_for(&db.conn, catalog.plan.id, year).await?))
    }

    /// The units whose indicators declined or were NOT_MET in a year, with the indicators,
    /// values and previous values (the plan's 严格考核问责). A department sees its own entry.
    async fn accountability(&self, ctx: &Context<'_>, year: i32) -> async_graphql::Result<Vec<Accountability>> {
        let identity = context::identity(ctx)?;
        let scope = policy::assessment_scope(identity)?;
        let year = assessment::plan_year(year)?;
        let db = context::db(ctx)?;
        let entries = assessment::accountability(&db.conn, context::catalog(ctx)?, year).await?;
        Ok(entries.into_iter().filter(|e| scope.covers(e.unit.id)).map(Accountability).collect())
    }
}
