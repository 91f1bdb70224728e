//! Whether an indicator's conditions hold for a period: pure rules, no database.

use crate::{Comparator, Direction, ExactDecimal, Period};

/// What a period's current revision says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    Number(ExactDecimal),
    YesNo(bool),
}

impl Observation {
    fn describe(self) -> String {
        match self {
            Observation::Number(d) => d.to_string(),
            Observation::YesNo(true) => "yes".into(),
            Observation::YesNo(false) => "no".into(),
        }
    }

    /// A number for ordering comparisons; yes counts as 1 and no as 0.
    fn magnitude(self) -> ExactDecimal {
        match self {
            Observation::Number(d) => d,
            Observation::YesNo(b) => ExactDecimal::from_decimal(if b { 1.into() } else { 0.into() }),
        }
    }
}

/// The overall result for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum ComplianceStatus {
    /// Every condition holds.
    Met,
    /// At least one condition fails.
    NotMet,
    /// No condition fails, but at least one cannot be judged: no current value, no previous
    /// period's value for a trend, or no superior target configured for the year.
    NoData,
}

/// One condition's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionOutcome {
    pub comparator: Comparator,
    /// The target used: the plan's fixed target, or the year's superior target.
    pub target: Option<ExactDecimal>,
    /// `None` when the condition cannot be judged.
    pub satisfied: Option<bool>,
    pub explanation: String,
}

/// Everything needed to judge one indicator in one period.
#[derive(Debug, Clone)]
pub struct ComplianceInput<'a> {
    pub direction: Direction,
    /// (comparator, fixed target) in the indicator's order.
    pub conditions: &'a [(Comparator, Option<ExactDecimal>)],
    pub period: Period,
    pub current: Option<Observation>,
    pub previous: Option<Observation>,
    pub superior_target: Option<ExactDecimal>,
}

/// The verdict for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compliance {
    pub status: ComplianceStatus,
    /// Worse than the previous period in the indicator's direction (false when either
    /// period has no value).
    pub declined: bool,
    pub conditions: Vec<ConditionOutcome>,
}

/// Whether `current` is worse than `previous` in `direction`.
pub fn declined(direction: Direction, current: Option<Observation>, previous: Option<Observation>) -> bool {
    match (current, previous) {
        (Some(c), Some(p)) => match direction {
            Direction::HigherIsBetter => c.magnitude() < p.magnitude(),
            Direction::LowerIsBetter => c.magnitude() > p.magnitude(),
        },
        _ => false,
    }
}

/// Judges every condition; the status is NOT_MET if any fails, else NO_DATA if any cannot
/// be judged, else MET.
pub fn evaluate(input: &ComplianceInput<'_>) -> Compliance {
    let outcomes: Vec<ConditionOutcome> =
        input.conditions.iter().map(|&(comparator, target)| judge(input, comparator, target)).collect();
    let status = if outcomes.iter().any(|o| o.satisfied == Some(false)) {
        ComplianceStatus::NotMet
    } else if outcomes.iter().any(|o| o.satisfied.is_none()) {
        ComplianceStatus::NoData
    } else {
        ComplianceStatus::Met
    };
    Compliance { status, declined: declined(input.direction, input.current, input.previous), conditions: outcomes }
}

fn judge(input: &ComplianceInput<'_>, comparator: Comparator, target: Option<ExactDecimal>) -> ConditionOutcome {
    let period = input.period;
    let outcome = |target: Option<ExactDecimal>, satisfied: Option<bool>, explanation: String| ConditionOutcome {
        comparator,
        target,
        satisfied,
        explanation,
    };
    let Some(current) = input.current else {
        return outcome(target, None, format!("no value has been reported for {period}"));
    };
    let cur = current.describe();
    match comparator {
        Comparator::AtLeast | Comparator::AtMost | Comparator::Equals => {
            let (Some(t), Observation::Number(v)) = (target, current) else {
                return outcome(target, None, format!("{comparator:?} needs a numeric value and a target"));
            };
            let (ok, word) = match comparator {
                Comparator::AtLeast => (v >= t, "at least"),
                Comparator::AtMost => (v <= t, "at most"),
                _ => (v == t, "equal to"),
            };
            let verdict = if ok { "is" } else { "is not" };
            outcome(Some(t), Some(ok), format!("{period}: {v} {verdict} {word} {t}"))
        }
        Comparator::Increasing | Comparator::Decreasing | Comparator::NotDecreasing => {
            let prev_period = period.previous();
            let Some(previous) = input.previous else {
                return outcome(None, None, format!("no value for the previous period {prev_period} to compare with"));
            };
            let (c, p) = (current.magnitude(), previous.magnitude());
            let (ok, word) = match comparator {
                Comparator::Increasing => (c > p, "higher than"),
                Comparator::Decreasing => (c < p, "lower than"),
                _ => (c >= p, "at least as high as"),
            };
            let verdict = if ok { "is" } else { "is not" };
            outcome(
                None,
                Some(ok),
                format!("{period}: {cur} {verdict} {word} {} in {prev_period}", previous.describe()),
            )
        }
        Comparator::MeetsSuperiorTarget => {
            let year = period.calendar_year();
            let Some(t) = input.superior_target else {
                return outcome(None, None, format!("no superior target has been configured for {year}"));
            };
            let Observation::Number(v) = current else {
                return outcome(Some(t), None, "a superior target needs a numeric value".into());
            };
            let (ok, word) = match input.direction {
                Direction::HigherIsBetter => (v >= t, "at least"),
                Direction::LowerIsBetter => (v <= t, "at most"),
            };
            let verdict = if ok { "is" } else { "is not" };
            outcome(Some(t), Some(ok), format!("{period}: {v} {verdict} {word} the superior target {t} for {year}"))
        }
        Comparator::NoOccurrence => {
            let Observation::Number(v) = current else {
                return outcome(None, None, "an occurrence condition needs a count".into());
            };
            let ok = v == ExactDecimal::zero();
            let text = if ok {
                format!("{period}: no occurrence reported")
            } else {
                format!("{period}: {v} occurrence(s) reported")
            };
            outcome(None, Some(ok), text)
        }
        Comparator::Implemented => {
            let Observation::YesNo(done) = current else {
                return outcome(None, None, "an implementation condition needs a yes/no answer".into());
            };
            let text =
                if done { format!("{period}: reported as done") } else { format!("{period}: reported as not done") };
            outcome(None, Some(done), text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> ExactDecimal {
        ExactDecimal::parse(s).unwrap()
    }

    fn run(
        conditions: &[(Comparator, Option<ExactDecimal>)],
        direction: Direction,
        current: Option<Observation>,
        previous: Option<Observation>,
        superior: Option<ExactDecimal>,
    ) -> Compliance {
        evaluate(&ComplianceInput {
            direction,
            conditions,
            period: Period::year_of(2022).unwrap(),
            current,
            previous,
            superior_target: superior,
        })
    }

    #[test]
    fn at_least_is_inclusive() {
        let c = [(Comparator::AtLeast, Some(d("90")))];
        let hi = Direction::HigherIsBetter;
        assert_eq!(run(&c, hi, Some(Observation::Number(d("89.9"))), None, None).status, ComplianceStatus::NotMet);
        assert_eq!(run(&c, hi, Some(Observation::Number(d("90"))), None, None).status, ComplianceStatus::Met);
        assert_eq!(run(&c, hi, None, None, None).status, ComplianceStatus::NoData);
    }

    #[test]
    fn a_failing_condition_wins_over_an_unknown_one() {
        let c = [(Comparator::MeetsSuperiorTarget, None), (Comparator::Decreasing, None)];
        let lo = Direction::LowerIsBetter;
        let r = run(&c, lo, Some(Observation::Number(d("0.5"))), Some(Observation::Number(d("0.4"))), None);
        assert_eq!(r.status, ComplianceStatus::NotMet);
        assert!(r.declined);
        assert_eq!(r.conditions[0].satisfied, None);
    }

    #[test]
    fn superior_target_follows_direction() {
        let c = [(Comparator::MeetsSuperiorTarget, None)];
        let lo = Direction::LowerIsBetter;
        let r = run(&c, lo, Some(Observation::Number(d("0.48"))), None, Some(d("0.5")));
        assert_eq!(r.status, ComplianceStatus::Met);
        let r = run(&c, lo, Some(Observation::Number(d("0.52"))), None, Some(d("0.5")));
        assert_eq!(r.status, ComplianceStatus::NotMet);
    }

    #[test]
    fn at_most_is_inclusive() {
        let c = [(Comparator::AtMost, Some(d("10")))];
        let lo = Direction::LowerIsBetter;
        assert_eq!(run(&c, lo, Some(Observation::Number(d("10"))), None, None).status, ComplianceStatus::Met);
        assert_eq!(run(&c, lo, Some(Observation::Number(d("10.01"))), None, None).status, ComplianceStatus::NotMet);
    }

    #[test]
    fn yes_no_declines_from_yes_to_no() {
        let c = [(Comparator::Implemented, None)];
        let hi = Direction::HigherIsBetter;
        let r = run(&c, hi, Some(Observation::YesNo(false)), Some(Observation::YesNo(true)), None);
        assert_eq!(r.status, ComplianceStatus::NotMet);
        assert!(r.declined);
    }
}
