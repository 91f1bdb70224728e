//! What is due: for each indicator in a scope and each period of a year at the indicator's
//! frequency, when its report is due and whether it came, on time or late.
//!
//! The calendar is the assessment's: a report is on time when the first revision that
//! still counts was stored before the period's end plus the year's scheme's grace days,
//! at midnight in the county (UTC+8) — [`crate::service::assessment::deadline`], which
//! scores timeliness. The document sets no deadlines: the grace days are configuration
//! (`ScoringScheme.reportingGraceDays`, 31 by default).

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::auth::policy::TaskScope;
use crate::domain::{Period, PlanYear};
use crate::error::AppResult;
use crate::service::assessment;
use crate::service::catalog::PlanCatalog;
use crate::service::indicators::{self, IndicatorWithConditions};

/// Where a period's report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueStatus {
    /// The period has not ended: nothing is due yet.
    Upcoming,
    /// The period has ended and the deadline has not passed: due now.
    Open,
    /// Reported before the deadline.
    OnTime,
    /// Reported, after the deadline.
    Late,
    /// The deadline has passed and nothing that counts was reported.
    Overdue,
}

/// Where a report stands at `now`.
pub fn status(
    period: Period,
    due_at: DateTime<Utc>,
    reported_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DueStatus {
    match reported_at {
        Some(at) if at <= due_at => DueStatus::OnTime,
        Some(_) => DueStatus::Late,
        None if now >= due_at => DueStatus::Overdue,
        None if crate::domain::period::today_in_county(now) >= period.end() => DueStatus::Open,
        None => DueStatus::Upcoming,
    }
}

/// One report of the calendar.
#[derive(Debug, Clone)]
pub struct DueReport {
    pub indicator: IndicatorWithConditions,
    pub period: Period,
    /// The moment after which a first report is late.
    pub due_at: DateTime<Utc>,
    /// When the first revision that still counts was stored.
    pub reported_at: Option<DateTime<Utc>>,
    pub status: DueStatus,
}

impl DueReport {
    /// The last day, in the county, on which a first report is on time.
    pub fn due_by(&self) -> chrono::NaiveDate {
        crate::domain::period::today_in_county(self.due_at - chrono::Duration::seconds(1))
    }
}

/// The year's reports of every indicator in `scope`, in plan order then period order.
pub async fn calendar(
    db: &impl ConnectionTrait,
    catalog: &PlanCatalog,
    scope: &TaskScope,
    year: PlanYear,
    now: DateTime<Utc>,
) -> AppResult<Vec<DueReport>> {
    let grace = assessment::scheme_for(db, catalog.plan.id, year).await?.scheme.reporting_grace_days;
    let mut found = indicators::all_in_scope(db, scope).await?;
    found.sort_by_key(|i| i.indicator.plan_order);
    let keys: Vec<(i32, Period)> = found
        .iter()
        .flat_map(|i| Period::of_year(year).all_in_year(i.indicator.frequency).into_iter().map(|p| (i.indicator.id, p)))
        .collect();
    let first = assessment::first_counting_reports(db, &keys).await?;
    let mut out = Vec::with_capacity(keys.len());
    for ind in found {
        for period in Period::of_year(year).all_in_year(ind.indicator.frequency) {
            let due_at = assessment::deadline(period, grace);
            let reported_at = first.get(&(ind.indicator.id, period)).copied();
            let status = status(period, due_at, reported_at, now);
            out.push(DueReport { indicator: ind.clone(), period, due_at, reported_at, status });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_report_is_upcoming_open_on_time_late_or_overdue() {
        let q1 = Period::parse("2022-Q1").unwrap();
        // Due at 2022-05-01 00:00 in the county (30 grace days after 2022-04-01, the day after it).
        let due = assessment::deadline(q1, 30);
        assert_eq!(due, at("2022-04-30T16:00:00Z"));
        assert_eq!(status(q1, due, None, at("2022-03-31T15:59:59Z")), DueStatus::Upcoming);
        assert_eq!(status(q1, due, None, at("2022-03-31T16:00:00Z")), DueStatus::Open, "April 1st in the county");
        assert_eq!(status(q1, due, None, due), DueStatus::Overdue);
        assert_eq!(status(q1, due, Some(due), at("2030-01-01T00:00:00Z")), DueStatus::OnTime);
        assert_eq!(status(q1, due, Some(at("2022-04-30T16:00:01Z")), due), DueStatus::Late);
    }
}
