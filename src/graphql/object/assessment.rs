use async_graphql::{Object, SimpleObject};

use crate::domain::scoring::Line;
use crate::graphql::enums::{Component, Grade, Source};
use crate::graphql::object::{Compliance, Indicator, Unit};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::service::assessment::{scheme_basis, veto_basis, AccountabilityEntry, SchemeVersion, UnitAssessment};

/// A unit's assessment (考核) for a year. While the year is open it is computed from the
/// data at each request; once finalized it is frozen, and `changedSinceFinalized` says
/// whether the data would now give a different result.
pub struct Assessment {
    pub inner: UnitAssessment,
    pub scheme: SchemeVersion,
}

#[Object]
impl Assessment {
    /// The global id (see `Node`).
    pub async fn id(&self) -> async_graphql::ID {
        crate::graphql::node::id("Assessment", format!("{}:{}", self.inner.unit.code, self.inner.year.get()))
    }

    /// The unit assessed.
    async fn unit(&self) -> Unit {
        Unit(self.inner.unit.clone())
    }

    /// The year assessed.
    async fn year(&self) -> i32 {
        self.inner.year.get()
    }

    /// Whether the unit has tasks to be assessed on (a unit without any has no score).
    async fn assessed(&self) -> bool {
        self.inner.published.outcome.is_some()
    }

    /// Score out of 100: the sum of the breakdown's `pointsGiven`.
    async fn score(&self) -> Option<Decimal> {
        self.inner.published.outcome.as_ref().map(|o| Decimal(o.score))
    }

    /// EXCELLENT (优秀) ≥ 90, GOOD (良好) ≥ 80, PASS (合格) ≥ 60, else FAIL (不合格), with the
    /// scheme's thresholds; FAIL whatever the score under a veto.
    async fn grade(&self) -> Option<Grade> {
        self.inner.published.outcome.as_ref().map(|o| o.grade.into())
    }

    /// The grade's Chinese name, e.g. 良好.
    async fn grade_name(&self) -> Option<&'static str> {
        self.inner.published.outcome.as_ref().map(|o| o.grade.label())
    }

    /// Whether the one-vote veto (一票否决) applies. The document has no veto clause: it
    /// applies only when the year's scheme turns it on (see `vetoBasis`).
    async fn vetoed(&self) -> bool {
        self.inner.published.outcome.as_ref().is_some_and(|o| o.vetoed)
    }

    /// Where the veto rule comes from, when the year's scheme has one: the configured scheme,
    /// not the document. Null when the scheme has no veto.
    async fn veto_basis(&self) -> Option<String> {
        veto_basis(&self.scheme)
    }

    /// Rank among the year's assessed units by score: equal scores share a rank and the
    /// next rank skips (1, 2, 2, 4).
    async fn rank(&self) -> Option<i32> {
        self.inner.published.rank
    }

    /// Whether another unit has the same score (and so the same rank).
    async fn tied(&self) -> bool {
        self.inner.published.tied
    }

    /// The version of the scoring scheme that produced this result (0: the built-in default).
    async fn scheme_version(&self) -> i32 {
        self.inner.published.scheme_version
    }

    /// Every point: each line's `pointsGiven` adds up to `score`.
    async fn breakdown(&self) -> Vec<BreakdownLine> {
        self.inner
            .published
            .outcome
            .as_ref()
            .map(|o| o.lines.iter().cloned().map(BreakdownLine).collect())
            .unwrap_or_default()
    }

    /// Whether the year's assessment is finalized (frozen).
    async fn finalized(&self) -> bool {
        self.inner.finalized_at.is_some()
    }

    /// When the year was finalized.
    async fn finalized_at(&self) -> Option<DateTime> {
        self.inner.finalized_at.map(DateTime)
    }

    /// Finalized, and the data (values, progress, configuration) would now give a different
    /// score, grade or rank. The published result does not move.
    async fn changed_since_finalized(&self) -> bool {
        self.inner.changed_since_finalized
    }
}

/// One line of an assessment's breakdown.
pub struct BreakdownLine(pub Line);

#[Object]
impl BreakdownLine {
    /// The part of the scheme.
    async fn component(&self) -> Component {
        self.0.component.into()
    }

    /// What the line is about: an indicator code, a task number, an adjustment id.
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    /// Points this line could give (0 for deductions, adjustments and the veto).
    async fn points_possible(&self) -> Decimal {
        Decimal(self.0.points_possible)
    }

    /// Points this line gives (negative for deductions).
    async fn points_given(&self) -> Decimal {
        Decimal(self.0.points_given)
    }

    /// Why (in the request's language).
    async fn reason(&self) -> String {
        crate::i18n::text(&self.0.reason)
    }
}

/// The scoring scheme of a year: configuration, since the plan gives no weights.
pub struct ScoringScheme(pub SchemeVersion);

#[Object]
impl ScoringScheme {
    /// The global id (see `Node`).
    pub async fn id(&self) -> async_graphql::ID {
        crate::graphql::node::id("ScoringScheme", format!("{}:{}", self.0.year.get(), self.0.version))
    }

    async fn year(&self) -> i32 {
        self.0.year.get()
    }

    /// 0 for the built-in default, then 1, 2 … for each change.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Whether this is the built-in default (no version has been set for the year).
    async fn is_default(&self) -> bool {
        self.0.row.is_none()
    }

    /// Points shared equally over a unit's indicators, given for each MET indicator.
    async fn indicator_points(&self) -> Decimal {
        Decimal(self.0.scheme.indicator_points)
    }

    /// Points shared equally over a unit's tasks, given by the year's latest progress
    /// (COMPLETED all, IN_PROGRESS its percent, or `inProgressShare` without one).
    async fn progress_points(&self) -> Decimal {
        Decimal(self.0.scheme.progress_points)
    }

    /// Points shared equally over a unit's indicators, given for periods reported on time.
    async fn timeliness_points(&self) -> Decimal {
        Decimal(self.0.scheme.timeliness_points)
    }

    /// Points deducted per indicator that declined from the previous period.
    async fn decline_deduction(&self) -> Decimal {
        Decimal(self.0.scheme.decline_deduction)
    }

    /// Whether a breached NO_OCCURRENCE condition fails the unit whatever its score.
    async fn veto_on_occurrence(&self) -> bool {
        self.0.scheme.veto_on_occurrence
    }

    /// Share of a task's points for IN_PROGRESS without a percent.
    async fn in_progress_share(&self) -> Decimal {
        Decimal(self.0.scheme.in_progress_share)
    }

    /// Days after a period's end within which its first report counts as on time.
    async fn reporting_grace_days(&self) -> u32 {
        self.0.scheme.reporting_grace_days
    }

    /// Lowest score graded 优秀.
    async fn excellent_from(&self) -> Decimal {
        Decimal(self.0.scheme.excellent_from)
    }

    /// Lowest score graded 良好.
    async fn good_from(&self) -> Decimal {
        Decimal(self.0.scheme.good_from)
    }

    /// Lowest score graded 合格.
    async fn pass_from(&self) -> Decimal {
        Decimal(self.0.scheme.pass_from)
    }

    /// Why this version was set.
    async fn note(&self) -> Option<&str> {
        self.0.row.as_ref().and_then(|r| r.note.as_deref())
    }

    /// Always CONFIGURED: the document sets no weights, thresholds, deadlines or veto, so
    /// every rule of a scheme is configuration (version 0 is ecoplan's default).
    async fn source(&self) -> Source {
        Source::Configured
    }

    /// Where the scheme's rules come from, in words (Chinese), for screens and reports.
    async fn basis(&self) -> String {
        scheme_basis(&self.0)
    }

    /// Who set it (null for the default).
    async fn created_by(&self) -> Option<&str> {
        self.0.row.as_ref().map(|r| r.created_by.as_str())
    }

    /// When it was set.
    async fn created_at(&self) -> Option<DateTime> {
        self.0.row.as_ref().map(|r| DateTime(r.created_at))
    }
}

/// A unit answerable for indicators that fell back or were not met (严格考核问责).
pub struct Accountability(pub AccountabilityEntry);

#[Object]
impl Accountability {
    /// The unit (a group when the document names the group).
    async fn unit(&self) -> Unit {
        Unit(self.0.unit.clone())
    }

    /// Its indicators that declined or were NOT_MET, with the year's values and the
    /// previous period's.
    async fn items(&self) -> Vec<AccountabilityItem> {
        self.0
            .items
            .iter()
            .map(|i| AccountabilityItem {
                indicator: Indicator(i.indicator.clone()),
                compliance: Compliance(i.compliance.clone()),
            })
            .collect()
    }
}

/// One indicator on the accountability list.
#[derive(SimpleObject)]
pub struct AccountabilityItem {
    pub indicator: Indicator,
    /// The year's verdict: status, declined, the value and the previous period's value.
    pub compliance: Compliance,
}
