//! Assessment scoring (考核): a configurable scheme and the pure computation of a unit's
//! score, grade and breakdown from the year's facts. No database here.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::compliance::ComplianceStatus;
use crate::Invalid;
use crate::{ExactDecimal, ProgressStatus};

impl Serialize for ExactDecimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ExactDecimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ExactDecimal::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// How scores are computed for a plan year. The document gives no weights: this is
/// configuration, versioned, and every score says which version produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scheme {
    /// Points shared equally over the unit's indicators, given for each MET indicator.
    pub indicator_points: ExactDecimal,
    /// Points shared equally over the unit's tasks, given by the year's latest progress.
    pub progress_points: ExactDecimal,
    /// Points shared equally over the unit's indicators, given for values reported on time.
    pub timeliness_points: ExactDecimal,
    /// Points deducted for each indicator whose value declined from the previous period.
    pub decline_deduction: ExactDecimal,
    /// One-vote veto: a breached NO_OCCURRENCE condition makes the grade 不合格 whatever the
    /// score. The document has no 一票否决 clause, so it is off unless a scheme turns it on.
    pub veto_on_occurrence: bool,
    /// Share of a task's points for IN_PROGRESS without a percent (0–1).
    pub in_progress_share: ExactDecimal,
    /// Days after a period ends within which its first counting report is on time.
    pub reporting_grace_days: u32,
    /// Lowest score graded 优秀.
    pub excellent_from: ExactDecimal,
    /// Lowest score graded 良好.
    pub good_from: ExactDecimal,
    /// Lowest score graded 合格 (below: 不合格).
    pub pass_from: ExactDecimal,
}

/// `units` × 10^-`scale`, exactly.
fn dec(units: i64, scale: u32) -> ExactDecimal {
    ExactDecimal::from_decimal(Decimal::new(units, scale))
}

impl Default for Scheme {
    /// The documented default: 60 compliance + 30 progress + 10 timeliness, 2 points per
    /// declined indicator, no veto (the document has none), grades at 90 / 80 / 60.
    fn default() -> Self {
        Scheme {
            indicator_points: dec(60, 0),
            progress_points: dec(30, 0),
            timeliness_points: dec(10, 0),
            decline_deduction: dec(2, 0),
            veto_on_occurrence: false,
            in_progress_share: dec(5, 1),
            reporting_grace_days: 31,
            excellent_from: dec(90, 0),
            good_from: dec(80, 0),
            pass_from: dec(60, 0),
        }
    }
}

impl Scheme {
    /// Checks the scheme is coherent: every part within 0–100, the three parts summing to
    /// 100, thresholds ordered, shares in range. Bounds come first, so no sum can overflow.
    pub fn validate(&self) -> Result<(), Invalid> {
        for (name, v) in [
            ("indicatorPoints", self.indicator_points),
            ("progressPoints", self.progress_points),
            ("timelinessPoints", self.timeliness_points),
            ("declineDeduction", self.decline_deduction),
            ("excellentFrom", self.excellent_from),
            ("goodFrom", self.good_from),
            ("passFrom", self.pass_from),
        ] {
            if v.is_negative() || v.inner() > Decimal::ONE_HUNDRED {
                return Err(Invalid::new(format!("{name} must be between 0 and 100, not {v}")));
            }
        }
        let total =
            self.indicator_points.checked_add(self.progress_points)?.checked_add(self.timeliness_points)?.inner();
        if total != Decimal::from(100) {
            return Err(Invalid::new(format!(
                "indicatorPoints + progressPoints + timelinessPoints must be 100, not {}",
                ExactDecimal::from_decimal(total)
            )));
        }
        if self.in_progress_share.is_negative() || self.in_progress_share.inner() > Decimal::ONE {
            return Err(Invalid::new("inProgressShare must be between 0 and 1"));
        }
        if self.reporting_grace_days > 366 {
            return Err(Invalid::new("reportingGraceDays must be at most 366"));
        }
        let (p, g, e) = (self.pass_from.inner(), self.good_from.inner(), self.excellent_from.inner());
        if p.is_sign_negative() || !(p <= g && g <= e && e <= Decimal::from(100)) {
            return Err(Invalid::new("grade thresholds must satisfy 0 ≤ passFrom ≤ goodFrom ≤ excellentFrom ≤ 100"));
        }
        Ok(())
    }

    pub fn grade_of(&self, score: Decimal) -> Grade {
        if score >= self.excellent_from.inner() {
            Grade::Excellent
        } else if score >= self.good_from.inner() {
            Grade::Good
        } else if score >= self.pass_from.inner() {
            Grade::Pass
        } else {
            Grade::Fail
        }
    }
}

/// 考核等次.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Grade {
    /// 优秀
    Excellent,
    /// 良好
    Good,
    /// 合格
    Pass,
    /// 不合格
    Fail,
}

impl Grade {
    /// The grade's name as assessments write it.
    pub fn label(self) -> &'static str {
        match self {
            Grade::Excellent => "优秀",
            Grade::Good => "良好",
            Grade::Pass => "合格",
            Grade::Fail => "不合格",
        }
    }
}

/// What part of the scheme a breakdown line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Component {
    /// An indicator's compliance for the year (subject: the indicator code).
    IndicatorCompliance,
    /// A task's progress for the year (subject: the task number).
    TaskProgress,
    /// Whether an indicator's values were reported on time (subject: the indicator code).
    TimelyReporting,
    /// A deduction for a declined indicator (subject: the indicator code).
    DeclineDeduction,
    /// The score would be below 0: this line brings it back to 0.
    ScoreFloor,
    /// An assessor's adjustment (subject: the adjustment id).
    Adjustment,
    /// The one-vote veto (no points; the grade is 不合格).
    Veto,
}

/// One line of a breakdown; the lines' `points_given` sum to the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub component: Component,
    pub subject: String,
    pub points_possible: ExactDecimal,
    pub points_given: ExactDecimal,
    pub reason: String,
}

/// What the year says about one of the unit's indicators.
#[derive(Debug, Clone)]
pub struct IndicatorFacts {
    pub code: String,
    pub status: ComplianceStatus,
    pub declined: bool,
    /// A NO_OCCURRENCE condition failed in a period of the year.
    pub occurrence_breached: bool,
    /// Periods of the year whose first counting report came on time, out of `periods`.
    pub timely_periods: u32,
    pub periods: u32,
    /// A short explanation of the status.
    pub explanation: String,
}

/// What the year says about one of the unit's tasks.
#[derive(Debug, Clone)]
pub struct TaskFacts {
    pub number: i32,
    pub status: Option<ProgressStatus>,
    pub percent: Option<ExactDecimal>,
}

/// An assessor's adjustment.
#[derive(Debug, Clone)]
pub struct AdjustmentFacts {
    pub id: i32,
    pub points: ExactDecimal,
    pub reason: String,
}

/// A unit's computed assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub score: ExactDecimal,
    pub grade: Grade,
    pub vetoed: bool,
    pub lines: Vec<Line>,
}

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Splits `total` into `n` shares of whole cents that sum exactly to `total`; the first
/// shares get the leftover cents.
pub fn split(total: Decimal, n: usize) -> Vec<Decimal> {
    if n == 0 {
        return Vec::new();
    }
    let count = Decimal::from(n as u64);
    let base = (total / count).round_dp_with_strategy(2, RoundingStrategy::ToZero);
    let leftover_cents = ((total - base * count) * Decimal::from(100)).round();
    let extra: usize = leftover_cents.try_into().unwrap_or(0usize);
    (0..n).map(|i| if i < extra { base + Decimal::new(1, 2) } else { base }).collect()
}

fn line(component: Component, subject: String, possible: Decimal, given: Decimal, reason: String) -> Line {
    Line {
        component,
        subject,
        points_possible: ExactDecimal::from_decimal(possible),
        points_given: ExactDecimal::from_decimal(given),
        reason,
    }
}

/// Scores a unit; `None` when it has no task (nothing to assess).
pub fn score(
    scheme: &Scheme,
    indicators: &[IndicatorFacts],
    tasks: &[TaskFacts],
    adjustments: &[AdjustmentFacts],
) -> Result<Option<Outcome>, Invalid> {
    if tasks.is_empty() {
        return Ok(None);
    }
    let mut lines = Vec::new();
    let (ind_points, time_points, prog_points) = if indicators.is_empty() {
        // No indicator to judge: the whole 100 rides on task progress.
        (
            Decimal::ZERO,
            Decimal::ZERO,
            scheme.indicator_points.checked_add(scheme.progress_points)?.checked_add(scheme.timeliness_points)?.inner(),
        )
    } else {
        (scheme.indicator_points.inner(), scheme.timeliness_points.inner(), scheme.progress_points.inner())
    };
    for (facts, share) in indicators.iter().zip(split(ind_points, indicators.len())) {
        let given = if facts.status == ComplianceStatus::Met { share } else { Decimal::ZERO };
        lines.push(line(Component::IndicatorCompliance, facts.code.clone(), share, given, facts.explanation.clone()));
    }
    for (facts, share) in tasks.iter().zip(split(prog_points, tasks.len())) {
        let (fraction, reason) = match (facts.status, facts.percent) {
            (Some(ProgressStatus::Completed), _) => (Decimal::ONE, "COMPLETED".to_string()),
            (Some(ProgressStatus::InProgress), Some(p)) => {
                (p.inner() / Decimal::from(100), format!("IN_PROGRESS at {p} percent"))
            }
            (Some(ProgressStatus::InProgress), None) => (
                scheme.in_progress_share.inner(),
                format!("IN_PROGRESS (no percent: {} of the share)", scheme.in_progress_share),
            ),
            (Some(ProgressStatus::NotStarted), _) => (Decimal::ZERO, "NOT_STARTED".to_string()),
            (Some(ProgressStatus::Blocked), _) => (Decimal::ZERO, "BLOCKED".to_string()),
            (None, _) => (Decimal::ZERO, "no progress reported for the year".to_string()),
        };
        lines.push(line(Component::TaskProgress, facts.number.to_string(), share, cents(share * fraction), reason));
    }
    for (facts, share) in indicators.iter().zip(split(time_points, indicators.len())) {
        let given = if facts.periods == 0 {
            Decimal::ZERO
        } else {
            cents(share * Decimal::from(facts.timely_periods) / Decimal::from(facts.periods))
        };
        let reason = format!("{} of {} period(s) reported on time", facts.timely_periods, facts.periods);
        lines.push(line(Component::TimelyReporting, facts.code.clone(), share, given, reason));
    }
    for facts in indicators.iter().filter(|f| f.declined) {
        lines.push(line(
            Component::DeclineDeduction,
            facts.code.clone(),
            Decimal::ZERO,
            -scheme.decline_deduction.inner(),
            "worse than the previous period".to_string(),
        ));
    }
    for adj in adjustments {
        lines.push(line(
            Component::Adjustment,
            adj.id.to_string(),
            Decimal::ZERO,
            adj.points.inner(),
            adj.reason.clone(),
        ));
    }
    let sum = points_given(&lines)?;
    if sum.is_sign_negative() && !sum.is_zero() {
        lines.push(line(Component::ScoreFloor, String::new(), Decimal::ZERO, -sum, "a score is never below 0".into()));
    }
    let score = points_given(&lines)?;
    let breached: Vec<&str> = indicators.iter().filter(|f| f.occurrence_breached).map(|f| f.code.as_str()).collect();
    let vetoed = scheme.veto_on_occurrence && !breached.is_empty();
    if vetoed {
        lines.push(line(
            Component::Veto,
            breached.join(","),
            Decimal::ZERO,
            Decimal::ZERO,
            "一票否决（考核方案配置，工作方案未作规定）: an occurrence the plan rules out was reported".into(),
        ));
    }
    let grade = if vetoed { Grade::Fail } else { scheme.grade_of(score) };
    Ok(Some(Outcome { score: ExactDecimal::from_decimal(score), grade, vetoed, lines }))
}

/// The sum of the lines' points, or an error instead of an overflow (adjustments are
/// bounded, so this only guards against data written around the API).
fn points_given(lines: &[Line]) -> Result<Decimal, Invalid> {
    lines.iter().try_fold(Decimal::ZERO, |sum, l| {
        sum.checked_add(l.points_given.inner())
            .ok_or_else(|| Invalid::new("the points are too large to add up exactly"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        ExactDecimal::parse(s).unwrap().inner()
    }

    #[test]
    fn shares_sum_exactly() {
        assert_eq!(
            split(d("60"), 7),
            vec![d("8.58"), d("8.57"), d("8.57"), d("8.57"), d("8.57"), d("8.57"), d("8.57")]
        );
        assert_eq!(split(d("10"), 3), vec![d("3.34"), d("3.33"), d("3.33")]);
        assert_eq!(split(d("30"), 2), vec![d("15"), d("15")]);
        for n in 1..40 {
            assert_eq!(split(d("60"), n).iter().sum::<Decimal>(), d("60"), "n = {n}");
        }
    }

    #[test]
    fn the_default_scheme_is_valid_and_checked() {
        assert!(Scheme::default().validate().is_ok());
        let s = Scheme { progress_points: ExactDecimal::parse("31").unwrap(), ..Scheme::default() };
        assert!(s.validate().is_err());
        let s = Scheme { good_from: ExactDecimal::parse("95").unwrap(), ..Scheme::default() };
        assert!(s.validate().is_err());
    }

    #[test]
    fn no_tasks_no_assessment() {
        assert!(score(&Scheme::default(), &[], &[], &[]).unwrap().is_none());
    }

    #[test]
    fn without_indicators_progress_carries_all_points() {
        let tasks = [TaskFacts { number: 29, status: Some(ProgressStatus::Completed), percent: None }];
        let o = score(&Scheme::default(), &[], &tasks, &[]).unwrap().unwrap();
        assert_eq!(o.score.to_string(), "100");
        assert_eq!(o.grade, Grade::Excellent);
    }

    #[test]
    fn the_floor_keeps_scores_at_zero() {
        let facts = IndicatorFacts {
            code: "x".into(),
            status: ComplianceStatus::NotMet,
            declined: true,
            occurrence_breached: false,
            timely_periods: 0,
            periods: 1,
            explanation: String::new(),
        };
        let tasks = [TaskFacts { number: 1, status: None, percent: None }];
        let o = score(&Scheme::default(), &[facts], &tasks, &[]).unwrap().unwrap();
        assert_eq!(o.score.to_string(), "0");
        assert_eq!(o.lines.last().unwrap().component, Component::ScoreFloor);
    }

    #[test]
    fn the_veto_is_configuration_off_by_default() {
        let facts = IndicatorFacts {
            code: "relatively_major_environmental_incidents".into(),
            status: ComplianceStatus::NotMet,
            declined: false,
            occurrence_breached: true,
            timely_periods: 1,
            periods: 1,
            explanation: String::new(),
        };
        let met = IndicatorFacts {
            code: "environmental_emergency_plan".into(),
            status: ComplianceStatus::Met,
            occurrence_breached: false,
            ..facts.clone()
        };
        let tasks = [TaskFacts { number: 12, status: Some(ProgressStatus::Completed), percent: None }];
        let both = [facts, met];
        // 30 (one of two indicators MET) + 30 + 10 = 70: 合格 without a veto.
        let off = score(&Scheme::default(), &both, &tasks, &[]).unwrap().unwrap();
        assert!(!off.vetoed, "the document has no 一票否决 clause");
        assert_eq!((off.score.to_string().as_str(), off.grade), ("70", Grade::Pass));
        let on = Scheme { veto_on_occurrence: true, ..Scheme::default() };
        let vetoed = score(&on, &both, &tasks, &[]).unwrap().unwrap();
        assert!(vetoed.vetoed);
        assert_eq!(vetoed.grade, Grade::Fail);
        assert!(vetoed.lines.last().unwrap().reason.contains("考核方案配置"));
    }
}
