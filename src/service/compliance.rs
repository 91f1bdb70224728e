//! Compliance of indicators per period, from the current revisions and configuration.

use std::collections::HashMap;

use entity::indicator_value;

use crate::domain::compliance::{self, Compliance, ComplianceInput, ComplianceStatus, ConditionOutcome, Observation};
use crate::domain::period::Span;
use crate::domain::{Frequency, Period};
use crate::error::{AppError, AppResult};
use crate::service::indicators::{self, IndicatorWithConditions};
use crate::service::values::CurrentValue;

/// What a stored revision says.
pub fn observation(v: &indicator_value::Model) -> AppResult<Observation> {
    match (&v.value, v.implemented) {
        (Some(d), _) => Ok(Observation::Number(*d)),
        (None, Some(b)) => Ok(Observation::YesNo(b)),
        (None, None) => Err(AppError::Unexpected(anyhow::anyhow!("value {} holds nothing", v.id))),
    }
}

/// The concrete periods whose current values judge `indicator` in `period`.
///
/// A period of the indicator's own frequency needs itself and the previous period. A year
/// asked of a quarterly or monthly indicator is judged over all its quarters or months
/// (the year's roll-up); a period finer than the indicator's frequency is refused.
pub fn periods_to_load(frequency: Frequency, period: Period) -> AppResult<Vec<Period>> {
    if period.frequency() == frequency {
        return Ok(vec![period, period.previous()]);
    }
    match period.span() {
        Span::Year(_) => {
            let subs = period.all_in_year(frequency);
            let mut out = vec![];
            if let Some(first) = subs.first() {
                out.push(first.previous());
            }
            out.extend(subs);
            Ok(out)
        }
        _ => Err(AppError::validation(format!(
            "the indicator is reported {}; period {period} is finer than that",
            frequency.as_str().to_lowercase()
        ))),
    }
}

/// Judges one indicator for one period from the loaded current values.
pub fn evaluate(
    ind: &IndicatorWithConditions,
    period: Period,
    values: &HashMap<(i32, Period), CurrentValue>,
) -> AppResult<PeriodCompliance> {
    let (frequency, direction) = (ind.indicator.frequency, ind.indicator.direction);
    let conditions = indicators::parsed_conditions(&ind.conditions);
    let id = ind.indicator.id;
    let judge = |p: Period| -> AppResult<Compliance> {
        let current = values.get(&(id, p));
        let previous = values.get(&(id, p.previous()));
        Ok(compliance::evaluate(&ComplianceInput {
            direction,
            conditions: &conditions,
            period: p,
            current: current.map(|c| observation(&c.value)).transpose()?,
            previous: previous.map(|c| observation(&c.value)).transpose()?,
            superior_target: current.and_then(|c| c.superior_target),
        }))
    };
    if period.frequency() == frequency {
        let verdict = judge(period)?;
        return Ok(PeriodCompliance {
            period,
            current: values.get(&(id, period)).map(|c| c.value.clone()),
            previous: values.get(&(id, period.previous())).map(|c| c.value.clone()),
            verdict,
            parts: Vec::new(),
        });
    }
    let Span::Year(_) = period.span() else {
        return Err(AppError::validation(format!("period {period} is finer than the indicator's frequency")));
    };
    let parts: Vec<(Period, Compliance)> =
        period.all_in_year(frequency).into_iter().map(|p| judge(p).map(|c| (p, c))).collect::<AppResult<_>>()?;
    let status = if parts.iter().any(|(_, c)| c.status == ComplianceStatus::NotMet) {
        ComplianceStatus::NotMet
    } else if parts.iter().any(|(_, c)| c.status == ComplianceStatus::NoData) {
        ComplianceStatus::NoData
    } else {
        ComplianceStatus::Met
    };
    let conditions: Vec<ConditionOutcome> = parts
        .iter()
        .flat_map(|(_, c)| c.conditions.iter().cloned())
        .filter(|o| status == ComplianceStatus::Met || o.satisfied != Some(true))
        .collect();
    let declined = parts.iter().any(|(_, c)| c.declined);
    let last = parts.iter().rev().find_map(|(p, _)| values.get(&(id, *p)).map(|c| c.value.clone()));
    Ok(PeriodCompliance {
        period,
        current: last,
        previous: None,
        verdict: Compliance { status, declined, conditions },
        parts,
    })
}

/// The verdict for an indicator in a period, with the values it rests on.
#[derive(Debug, Clone)]
pub struct PeriodCompliance {
    pub period: Period,
    /// The current revision of the period (for a roll-up: of its latest sub-period with one).
    pub current: Option<indicator_value::Model>,
    /// The previous period's current revision (none for a roll-up).
    pub previous: Option<indicator_value::Model>,
    pub verdict: Compliance,
    /// For a roll-up: each sub-period's verdict.
    pub parts: Vec<(Period, Compliance)>,
}

/// How many indicators are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub met: i64,
    pub not_met: i64,
    pub no_data: i64,
}

impl Counts {
    fn add(&mut self, status: ComplianceStatus) {
        match status {
            ComplianceStatus::Met => self.met += 1,
            ComplianceStatus::NotMet => self.not_met += 1,
            ComplianceStatus::NoData => self.no_data += 1,
        }
    }

    pub fn total(&self) -> i64 {
        self.met + self.not_met + self.no_data
    }
}

/// Compliance counts for a period overall, by domain and by unit.
#[derive(Debug, Clone)]
pub struct Summary {
    pub period: Period,
    pub overall: Counts,
    pub by_domain: Vec<(entity::domain::Model, Counts)>,
    pub by_unit: Vec<(entity::unit::Model, Counts)>,
}

/// Whether `indicator` is judged in `period`: periods of its own frequency, and years for
/// quarterly or monthly indicators.
pub fn applies(frequency: Frequency, period: Period) -> bool {
    period.frequency() == frequency || matches!(period.span(), Span::Year(_))
}

/// Judges every indicator in `scope` for `period` and counts the verdicts; an indicator
/// counts for every unit assigned to its task.
pub async fn summary(
    db: &impl sea_orm::ConnectionTrait,
    catalog: &crate::service::catalog::PlanCatalog,
    scope: &crate::auth::policy::TaskScope,
    period: Period,
) -> AppResult<Summary> {
    let all = indicators::all_in_scope(db, scope).await?;
    let mut judged = Vec::new();
    let mut keys = Vec::new();
    for ind in all {
        let frequency = ind.indicator.frequency;
        if applies(frequency, period) {
            keys.extend(periods_to_load(frequency, period)?.into_iter().map(|p| (ind.indicator.id, p)));
            judged.push(ind);
        }
    }
    let values = crate::service::values::current_values(db, &keys).await?;
    let task_ids: Vec<i32> = judged.iter().map(|i| i.indicator.task_id).collect();
    let tasks = crate::service::tasks::tasks_by_ids(db, &task_ids).await?;
    let assignments = crate::service::tasks::assignments_of(db, &task_ids).await?;
    let mut overall = Counts::default();
    let mut by_domain: HashMap<i32, Counts> = HashMap::new();
    let mut by_unit: HashMap<i32, (entity::unit::Model, Counts)> = HashMap::new();
    for ind in &judged {
        let status = evaluate(ind, period, &values)?.verdict.status;
        overall.add(status);
        if let Some(section) = tasks.get(&ind.indicator.task_id).and_then(|t| catalog.section(t.section_id)) {
            by_domain.entry(section.domain_id).or_default().add(status);
        }
        for (_, unit) in assignments.get(&ind.indicator.task_id).into_iter().flatten() {
            by_unit.entry(unit.id).or_insert_with(|| (unit.clone(), Counts::default())).1.add(status);
        }
    }
    let by_domain = catalog.domains.iter().filter_map(|d| by_domain.get(&d.id).map(|c| (d.clone(), *c))).collect();
    let mut by_unit: Vec<_> = by_unit.into_values().collect();
    by_unit.sort_by_key(|(u, _)| u.id);
    Ok(Summary { period, overall, by_domain, by_unit })
}
