use async_graphql::{Context, Object};

use crate::auth::policy;
use crate::domain::UnitCode;
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::enums::DueStatus;
use crate::graphql::object::DueReport;
use crate::service::{assessment, calendar, units};

#[derive(Default)]
pub struct CalendarQuery;

#[Object]
impl CalendarQuery {
    /// What is due in a year: every period of every indicator at its frequency, when its
    /// report is due and whether it came (on time, late, overdue), in plan order. Without
    /// `unitCode`, the caller's indicators (a department's own; every indicator for the
    /// other roles); with it, that unit's and its groups' (a department may ask only its
    /// own). `status` keeps only the reports in that state.
    async fn reporting_calendar(
        &self,
        ctx: &Context<'_>,
        year: i32,
        unit_code: Option<String>,
        status: Option<DueStatus>,
    ) -> async_graphql::Result<Vec<DueReport>> {
        let identity = context::identity(ctx)?;
        let year = assessment::plan_year(year)?;
        let db = context::db(ctx)?;
        let scope = match unit_code {
            None => policy::calendar_scope(identity, None)?,
            Some(code) => {
                let code = UnitCode::parse(&code).map_err(AppError::from)?;
                let (unit, groups) = units::unit_with_groups(&db.conn, &code).await?;
                policy::calendar_scope(identity, Some((unit.id, &groups)))?
            }
        };
        let reports = calendar::calendar(&db.conn, context::catalog(ctx)?, &scope, year, crate::clock::now()).await?;
        let wanted = status.map(calendar::DueStatus::from);
        Ok(reports.into_iter().filter(|r| wanted.is_none_or(|w| r.status == w)).map(DueReport).collect())
    }
}
