use async_graphql::Object;

use crate::graphql::enums::DueStatus;
use crate::graphql::object::Indicator;
use crate::graphql::scalars::{Date, DateTime, Period};
use crate::service::calendar;

/// One report of the reporting calendar: an indicator's period, when its report is due,
/// and whether it came.
pub struct DueReport(pub calendar::DueReport);

#[Object]
impl DueReport {
    /// The indicator.
    async fn indicator(&self) -> Indicator {
        Indicator(self.0.indicator.clone())
    }

    /// The period to report on.
    async fn period(&self) -> Period {
        Period(self.0.period)
    }

    /// The moment after which a first report is late: the period's end plus the year's
    /// scheme's grace days (`ScoringScheme.reportingGraceDays`, configuration: the document
    /// sets no deadline), at midnight in the county (UTC+8).
    async fn due_at(&self) -> DateTime {
        DateTime(self.0.due_at)
    }

    /// The last day, in the county (UTC+8), on which a report is on time.
    async fn due_by(&self) -> Date {
        Date(self.0.due_by())
    }

    /// When the first revision that still counts was stored; null when none was.
    async fn reported_at(&self) -> Option<DateTime> {
        self.0.reported_at.map(DateTime)
    }

    /// UPCOMING, OPEN, ON_TIME, LATE or OVERDUE (as the assessment's timeliness counts).
    async fn status(&self) -> DueStatus {
        self.0.status.into()
    }
}
