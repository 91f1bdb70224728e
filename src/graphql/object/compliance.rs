use async_graphql::{Object, SimpleObject};

use crate::domain::compliance::ConditionOutcome;
use crate::graphql::enums::{Comparator, ComplianceStatus};
use crate::graphql::object::IndicatorValue;
use crate::graphql::scalars::{Decimal, Period};
use crate::service::compliance::PeriodCompliance;

/// Whether an indicator's conditions hold in a period.
pub struct Compliance(pub PeriodCompliance);

#[Object]
impl Compliance {
    /// The period judged.
    async fn period(&self) -> Period {
        Period(self.0.period)
    }

    /// MET (every condition holds), NOT_MET (one fails) or NO_DATA (none fails, one cannot
    /// be judged: no current value, no previous value for a trend, no superior target).
    async fn status(&self) -> ComplianceStatus {
        self.0.verdict.status.into()
    }

    /// Whether the value is worse than the previous period's in the indicator's direction
    /// (false when either is missing). For a year judged over quarters or months: whether
    /// any of them declined.
    async fn declined(&self) -> bool {
        self.0.verdict.declined
    }

    /// The current revision judged (the latest revision not rejected).
    async fn value(&self) -> Option<IndicatorValue> {
        self.0.current.clone().map(IndicatorValue)
    }

    /// The previous period's current revision, for trends and `declined`.
    async fn previous_value(&self) -> Option<IndicatorValue> {
        self.0.previous.clone().map(IndicatorValue)
    }

    /// Each condition's verdict with its reason.
    async fn conditions(&self) -> Vec<ConditionResult> {
        self.0.verdict.conditions.iter().cloned().map(ConditionResult).collect()
    }

    /// For a year judged over quarters or months: each of them.
    async fn parts(&self) -> Vec<PartCompliance> {
        self.0
            .parts
            .iter()
            .map(|(p, c)| PartCompliance { period: Period(*p), status: c.status.into(), declined: c.declined })
            .collect()
    }
}

/// One condition's verdict.
pub struct ConditionResult(pub ConditionOutcome);

#[Object]
impl ConditionResult {
    /// The comparator.
    async fn comparator(&self) -> Comparator {
        self.0.comparator.into()
    }

    /// The target used: the document's fixed target or the year's superior target.
    async fn target(&self) -> Option<Decimal> {
        self.0.target.map(Decimal)
    }

    /// true or false; null when it cannot be judged.
    async fn satisfied(&self) -> Option<bool> {
        self.0.satisfied
    }

    /// Why, in words (e.g. "2022: 89.9 is not at least 90").
    async fn explanation(&self) -> String {
        crate::i18n::text(&self.0.explanation)
    }
}

/// A sub-period's verdict within a year.
#[derive(SimpleObject)]
pub struct PartCompliance {
    pub period: Period,
    pub status: ComplianceStatus,
    pub declined: bool,
}
