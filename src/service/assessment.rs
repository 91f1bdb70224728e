//! Yearly assessments of units (考核): facts from the year's data, the configured scheme,
//! adjustments, ranking, finalization and the accountability list.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entity::{
    assessment_adjustment, assessment_finalization, assessment_snapshot, group_membership, indicator_value,
    scoring_scheme, task_assignment, task_progress, unit,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::policy;
use crate::db::Db;
use crate::domain::compliance::ComplianceStatus;
use crate::domain::scoring::{self, AdjustmentFacts, IndicatorFacts, Outcome, Scheme, TaskFacts};
use crate::domain::year::FIRST_PLAN_YEAR;
use crate::domain::{period, text, Comparator, ExactDecimal, Period, PlanYear, ValueStatus};
use crate::error::{AppError, AppResult};
use crate::service::catalog::PlanCatalog;
use crate::service::compliance::{self, PeriodCompliance};
use crate::service::indicators::{self, IndicatorWithConditions};
use crate::service::write::{Record, Write};
use crate::service::{values, Actor};

/// NOT_FOUND unless the plan is assessed in `year`: from 2021 to the current year.
/// A year of the plan, or NOT_FOUND: assessments run from the plan's first year to the
/// current year in the county.
pub fn plan_year(year: i32) -> AppResult<PlanYear> {
    let today = period::today_in_county(crate::clock::now());
    PlanYear::within_plan(year, today).ok_or_else(|| {
        AppError::not_found(format!(
            "the plan has no assessment year {year} (it is assessed from {FIRST_PLAN_YEAR} to {})",
            PlanYear::current(today)
        ))
    })
}

/// The scheme in force for a year, with its version (0: the built-in default).
#[derive(Debug, Clone)]
pub struct SchemeVersion {
    pub year: PlanYear,
    pub version: i32,
    pub scheme: Scheme,
    pub row: Option<scoring_scheme::Model>,
}

pub async fn scheme_for(db: &impl ConnectionTrait, plan_id: i32, year: PlanYear) -> AppResult<SchemeVersion> {
    let row = scoring_scheme::Entity::find()
        .filter(scoring_scheme::Column::PlanId.eq(plan_id))
        .filter(scoring_scheme::Column::Year.eq(year))
        .order_by_desc(scoring_scheme::Column::Version)
        .one(db)
        .await?;
    match row {
        None => Ok(SchemeVersion { year, version: 0, scheme: Scheme::default(), row: None }),
        Some(r) => {
            let scheme: Scheme = serde_json::from_value(r.definition.clone())
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("stored scheme {}: {e}", r.id)))?;
            Ok(SchemeVersion { year, version: r.version, scheme, row: Some(r) })
        }
    }
}

/// What is published for a unit: live while the year is open, frozen once finalized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub scheme_version: i32,
    pub outcome: Option<Outcome>,
    pub rank: Option<i32>,
    pub tied: bool,
}

/// One unit's assessment for a year.
#[derive(Debug, Clone)]
pub struct UnitAssessment {
    pub unit: unit::Model,
    pub year: PlanYear,
    pub published: Published,
    pub finalized_at: Option<DateTime<Utc>>,
    /// Finalized, and the data would now give a different result.
    pub changed_since_finalized: bool,
}

/// Every unit's assessment for a year, ranked.
#[derive(Debug, Clone)]
pub struct YearAssessment {
    pub year: PlanYear,
    pub scheme: SchemeVersion,
    pub finalization: Option<assessment_finalization::Model>,
    /// Non-group units, by rank (unassessed last), then by unit order.
    pub units: Vec<UnitAssessment>,
}

/// The year's facts about each indicator, from its compliance.
fn indicator_facts(
    ind: &IndicatorWithConditions,
    verdict: &PeriodCompliance,
    first_reports: &HashMap<(i32, Period), DateTime<Utc>>,
    year: PlanYear,
    grace_days: u32,
) -> AppResult<IndicatorFacts> {
    let frequency = ind.indicator.frequency;
    let periods = Period::of_year(year).all_in_year(frequency);
    let timely = periods
        .iter()
        .filter(|p| first_reports.get(&(ind.indicator.id, **p)).is_some_and(|at| *at <= deadline(**p, grace_days)))
        .count();
    let v = &verdict.verdict;
    let occurrence_breached =
        v.conditions.iter().any(|o| o.comparator == Comparator::NoOccurrence && o.satisfied == Some(false));
    let status_word: &'static str = v.status.into();
    let failing: Vec<&str> =
        v.conditions.iter().filter(|o| o.satisfied != Some(true)).map(|o| o.explanation.as_str()).collect();
    let explanation =
        if failing.is_empty() { status_word.to_string() } else { format!("{status_word}: {}", failing.join("; ")) };
    Ok(IndicatorFacts {
        code: ind.indicator.code.to_string(),
        status: v.status,
        declined: v.declined,
        occurrence_breached,
        timely_periods: u32::try_from(timely).unwrap_or(0),
        periods: u32::try_from(periods.len()).unwrap_or(0),
        explanation,
    })
}

/// The end of the grace after a period, as a moment: midnight in the county (UTC+8).
pub fn deadline(p: Period, grace_days: u32) -> DateTime<Utc> {
    crate::domain::period::county_midnight(p.end() + Duration::days(i64::from(grace_days)))
}

/// When each (indicator, period) was first reported by a revision that still counts.
pub(crate) async fn first_counting_reports(
    db: &impl ConnectionTrait,
    keys: &[(i32, Period)],
) -> AppResult<HashMap<(i32, Period), DateTime<Utc>>> {
    let ids: HashSet<i32> = keys.iter().map(|k| k.0).collect();
    let periods: HashSet<String> = keys.iter().map(|k| k.1.to_string()).collect();
    let rows: Vec<(i32, String, DateTime<Utc>)> = indicator_value::Entity::find()
        .select_only()
        .column(indicator_value::Column::IndicatorId)
        .column(indicator_value::Column::Period)
        .column_as(indicator_value::Column::ReportedAt.min(), "first_reported_at")
        .filter(indicator_value::Column::IndicatorId.is_in(ids))
        .filter(indicator_value::Column::Period.is_in(periods))
        .filter(indicator_value::Column::Status.ne(ValueStatus::Rejected.as_str()))
        .group_by(indicator_value::Column::IndicatorId)
        .group_by(indicator_value::Column::Period)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = HashMap::new();
    for (id, p, at) in rows {
        if let Ok(period) = Period::parse(&p) {
            out.insert((id, period), at);
        }
    }
    Ok(out)
}

/// Everything the year's assessment needs, loaded in a fixed number of statements.
struct YearData {
    units: Vec<unit::Model>,
    /// unit id → ids of the groups it belongs to
    groups_of: HashMap<i32, Vec<i32>>,
    /// task id → assigned unit ids
    assigned: HashMap<i32, Vec<i32>>,
    /// task id → number
    task_numbers: BTreeMap<i32, i32>,
    indicators: Vec<IndicatorWithConditions>,
    verdicts: HashMap<i32, PeriodCompliance>,
    first_reports: HashMap<(i32, Period), DateTime<Utc>>,
    /// task id → the year's latest progress
    progress: HashMap<i32, task_progress::Model>,
    /// unit id → adjustments
    adjustments: HashMap<i32, Vec<assessment_adjustment::Model>>,
}

async fn load_year(db: &impl ConnectionTrait, catalog: &PlanCatalog, year: PlanYear) -> AppResult<YearData> {
    let units = unit::Entity::find().order_by_asc(unit::Column::Id).all(db).await?;
    let mut groups_of: HashMap<i32, Vec<i32>> = HashMap::new();
    for m in group_membership::Entity::find().all(db).await? {
        groups_of.entry(m.member_unit_id).or_default().push(m.group_unit_id);
    }
    let mut assigned: HashMap<i32, Vec<i32>> = HashMap::new();
    for a in task_assignment::Entity::find().all(db).await? {
        assigned.entry(a.task_id).or_default().push(a.unit_id);
    }
    let task_numbers: BTreeMap<i32, i32> = entity::task::Entity::find()
        .filter(entity::task::Column::PlanId.eq(catalog.plan.id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.number))
        .collect();
    let all = indicators::all_in_scope(db, &crate::auth::policy::TaskScope::All).await?;
    let mut keys = Vec::new();
    let mut year_periods = Vec::new();
    for ind in &all {
        let frequency = ind.indicator.frequency;
        keys.extend(
            compliance::periods_to_load(frequency, Period::of_year(year))?.into_iter().map(|p| (ind.indicator.id, p)),
        );
        year_periods.extend(Period::of_year(year).all_in_year(frequency).into_iter().map(|p| (ind.indicator.id, p)));
    }
    let current = values::current_values(db, &keys).await?;
    let mut verdicts = HashMap::new();
    for ind in &all {
        verdicts.insert(ind.indicator.id, compliance::evaluate(ind, Period::of_year(year), &current)?);
    }
    let first_reports = first_counting_reports(db, &year_periods).await?;
    let mut progress: HashMap<i32, task_progress::Model> = HashMap::new();
    for p in task_progress::Entity::find()
        .filter(task_progress::Column::Period.like(format!("{year}%")))
        .order_by_asc(task_progress::Column::Id)
        .all(db)
        .await?
    {
        // The latest statement about the task in the year wins.
        progress.insert(p.task_id, p);
    }
    let mut adjustments: HashMap<i32, Vec<assessment_adjustment::Model>> = HashMap::new();
    for a in assessment_adjustment::Entity::find()
        .filter(assessment_adjustment::Column::PlanId.eq(catalog.plan.id))
        .filter(assessment_adjustment::Column::Year.eq(year))
        .order_by_asc(assessment_adjustment::Column::Id)
        .all(db)
        .await?
    {
        adjustments.entry(a.unit_id).or_default().push(a);
    }
    Ok(YearData {
        units,
        groups_of,
        assigned,
        task_numbers,
        indicators: all,
        verdicts,
        first_reports,
        progress,
        adjustments,
    })
}

impl YearData {
    /// The ids of the tasks a unit answers for: its own and its groups'.
    fn tasks_of(&self, unit_id: i32) -> Vec<i32> {
        let groups = self.groups_of.get(&unit_id).map(Vec::as_slice).unwrap_or_default();
        let acting = policy::acting_units(unit_id, groups);
        let mut tasks: Vec<i32> = self
            .assigned
            .iter()
            .filter(|(_, units)| units.iter().any(|u| acting.contains(u)))
            .map(|(t, _)| *t)
            .collect();
        tasks.sort_by_key(|t| self.task_numbers.get(t).copied().unwrap_or(i32::MAX));
        tasks
    }

    fn score_unit(
        &self,
        scheme: &Scheme,
        unit_id: i32,
        year: PlanYear,
        extra: Option<&AdjustmentFacts>,
    ) -> AppResult<Option<Outcome>> {
        let tasks = self.tasks_of(unit_id);
        let mut ind_facts = Vec::new();
        for ind in self.indicators.iter().filter(|i| tasks.contains(&i.indicator.task_id)) {
            if let Some(verdict) = self.verdicts.get(&ind.indicator.id) {
                ind_facts.push(indicator_facts(ind, verdict, &self.first_reports, year, scheme.reporting_grace_days)?);
            }
        }
        let mut task_facts = Vec::new();
        for t in &tasks {
            let latest = self.progress.get(t);
            task_facts.push(TaskFacts {
                number: self.task_numbers.get(t).copied().unwrap_or_default(),
                status: latest.map(|p| p.status),
                percent: latest.and_then(|p| p.percent),
            });
        }
        let mut adjustments = Vec::new();
        for a in self.adjustments.get(&unit_id).into_iter().flatten() {
            adjustments.push(AdjustmentFacts { id: a.id, points: a.points, reason: a.reason.clone() });
        }
        adjustments.extend(extra.cloned());
        Ok(scoring::score(scheme, &ind_facts, &task_facts, &adjustments)?)
    }
}

/// Ranks outcomes by score, highest first; equal scores share a rank (1, 2, 2, 4).
fn rank(outcomes: &[(i32, Option<Outcome>)]) -> HashMap<i32, (i32, bool)> {
    let scores: Vec<(i32, ExactDecimal)> =
        outcomes.iter().filter_map(|(u, o)| o.as_ref().map(|o| (*u, o.score))).collect();
    scores
        .iter()
        .map(|(u, s)| {
            let higher = scores.iter().filter(|(_, other)| other > s).count();
            let same = scores.iter().filter(|(_, other)| other == s).count();
            (*u, (i32::try_from(higher).unwrap_or(i32::MAX).saturating_add(1), same > 1))
        })
        .collect()
}

/// Computes every unit's live result.
async fn live_results(
    db: &impl ConnectionTrait,
    catalog: &PlanCatalog,
    year: PlanYear,
    scheme: &Scheme,
    version: i32,
) -> AppResult<(YearData, HashMap<i32, Published>)> {
    let data = load_year(db, catalog, year).await?;
    let mut outcomes = Vec::new();
    for u in data.units.iter().filter(|u| !u.is_group) {
        outcomes.push((u.id, data.score_unit(scheme, u.id, year, None)?));
    }
    let ranks = rank(&outcomes);
    let results = outcomes
        .into_iter()
        .map(|(u, outcome)| {
            let (rank, tied) = ranks.get(&u).map(|(r, t)| (Some(*r), *t)).unwrap_or((None, false));
            (u, Published { scheme_version: version, outcome, rank, tied })
        })
        .collect();
    Ok((data, results))
}

async fn finalization_of(
    db: &impl ConnectionTrait,
    plan_id: i32,
    year: PlanYear,
) -> AppResult<Option<assessment_finalization::Model>> {
    Ok(assessment_finalization::Entity::find()
        .filter(assessment_finalization::Column::PlanId.eq(plan_id))
        .filter(assessment_finalization::Column::Year.eq(year))
        .one(db)
        .await?)
}

/// Every unit's assessment for `year`: live, or frozen with `changed_since_finalized`.
#[tracing::instrument(skip_all, fields(year = %year))]
pub async fn assess_year(
    db: &impl ConnectionTrait,
    catalog: &PlanCatalog,
    year: PlanYear,
) -> AppResult<YearAssessment> {
    let finalization = finalization_of(db, catalog.plan.id, year).await?;
    let scheme = scheme_for(db, catalog.plan.id, year).await?;
    let (data, live) = live_results(db, catalog, year, &scheme.scheme, scheme.version).await?;
    let mut snapshots: HashMap<i32, assessment_snapshot::Model> = HashMap::new();
    if finalization.is_some() {
        for s in assessment_snapshot::Entity::find()
            .filter(assessment_snapshot::Column::PlanId.eq(catalog.plan.id))
            .filter(assessment_snapshot::Column::Year.eq(year))
            .all(db)
            .await?
        {
            snapshots.insert(s.unit_id, s);
        }
    }
    let mut units = Vec::new();
    for u in data.units.into_iter().filter(|u| !u.is_group) {
        let current = live.get(&u.id).cloned().unwrap_or(Published {
            scheme_version: scheme.version,
            outcome: None,
            rank: None,
            tied: false,
        });
        let (published, finalized_at, changed) = match (&finalization, snapshots.get(&u.id)) {
            (Some(f), Some(snap)) => {
                let frozen: Published = serde_json::from_value(snap.result.clone())
                    .map_err(|e| AppError::Unexpected(anyhow::anyhow!("stored snapshot {}: {e}", snap.id)))?;
                let changed = frozen.outcome != current.outcome || frozen.rank != current.rank;
                (frozen, Some(f.finalized_at), changed)
            }
            // A unit created after finalization was not assessed that year.
            (Some(f), None) => (
                Published { scheme_version: f.scheme_version, outcome: None, rank: None, tied: false },
                Some(f.finalized_at),
                current.outcome.is_some(),
            ),
            (None, _) => (current, None, false),
        };
        units.push(UnitAssessment { unit: u, year, published, finalized_at, changed_since_finalized: changed });
    }
    units.sort_by_key(|a| (a.published.rank.unwrap_or(i32::MAX), a.unit.id));
    Ok(YearAssessment { year, scheme, finalization, units })
}

/// CONFLICT when the year is finalized.
async fn ensure_open(db: &impl ConnectionTrait, plan_id: i32, year: PlanYear) -> AppResult<()> {
    if finalization_of(db, plan_id, year).await?.is_some() {
        return Err(AppError::conflict(format!("the {year} assessment is finalized and cannot change")));
    }
    Ok(())
}

/// Changes to a scheme; absent fields keep the current version's values.
#[derive(Debug, Clone, Default)]
pub struct SchemeChange {
    pub indicator_points: Option<ExactDecimal>,
    pub progress_points: Option<ExactDecimal>,
    pub timeliness_points: Option<ExactDecimal>,
    pub decline_deduction: Option<ExactDecimal>,
    pub veto_on_occurrence: Option<bool>,
    pub in_progress_share: Option<ExactDecimal>,
    pub reporting_grace_days: Option<u32>,
    pub excellent_from: Option<ExactDecimal>,
    pub good_from: Option<ExactDecimal>,
    pub pass_from: Option<ExactDecimal>,
    pub note: Option<String>,
}

/// Stores a new version of the year's scheme.
#[tracing::instrument(skip_all, fields(year = %year))]
pub async fn set_scheme(
    db: &Db,
    actor: Actor<'_>,
    catalog: &PlanCatalog,
    year: PlanYear,
    change: SchemeChange,
) -> AppResult<SchemeVersion> {
    let note = text::optional_bounded("note", change.note.as_deref(), 2000)?;
    let write = Write::begin(db).await?;
    let tx = write.tx();
    ensure_open(tx, catalog.plan.id, year).await?;
    let current = scheme_for(tx, catalog.plan.id, year).await?;
    let s = current.scheme.clone();
    let scheme = Scheme {
        indicator_points: change.indicator_points.unwrap_or(s.indicator_points),
        progress_points: change.progress_points.unwrap_or(s.progress_points),
        timeliness_points: change.timeliness_points.unwrap_or(s.timeliness_points),
        decline_deduction: change.decline_deduction.unwrap_or(s.decline_deduction),
        veto_on_occurrence: change.veto_on_occurrence.unwrap_or(s.veto_on_occurrence),
        in_progress_share: change.in_progress_share.unwrap_or(s.in_progress_share),
        reporting_grace_days: change.reporting_grace_days.unwrap_or(s.reporting_grace_days),
        excellent_from: change.excellent_from.unwrap_or(s.excellent_from),
        good_from: change.good_from.unwrap_or(s.good_from),
        pass_from: change.pass_from.unwrap_or(s.pass_from),
    };
    scheme.validate()?;
    let definition = serde_json::to_value(&scheme).map_err(|e| AppError::Unexpected(e.into()))?;
    let row = scoring_scheme::ActiveModel {
        id: NotSet,
        plan_id: Set(catalog.plan.id),
        year: Set(year),
        version: Set(current.version + 1),
        definition: Set(definition.clone()),
        note: Set(note),
        created_by: Set(actor.identity.subject.clone()),
        created_at: Set(crate::clock::now()),
    };
    let stored = match row.insert(tx).await {
        Ok(r) => r,
        Err(e) if crate::service::is_unique_violation(&e) => {
            return Err(AppError::conflict("the scheme was changed at the same time; reload and try again"));
        }
        Err(e) => return Err(e.into()),
    };
    let record = Record::new("scoring_scheme.set", "scoring_scheme", format!("{year}#{}", stored.version))
        .scope(None)
        .before(Some(json!({ "version": current.version, "definition": current.scheme })))
        .after(Some(json!({ "version": stored.version, "definition": definition })));
    write.commit(actor, record).await?;
    Ok(SchemeVersion { year, version: stored.version, scheme, row: Some(stored) })
}

/// Records an assessor's adjustment; the resulting score must stay within 0–100.
#[tracing::instrument(skip_all, fields(unit = %unit.code, year = %year))]
pub async fn adjust(
    db: &Db,
    actor: Actor<'_>,
    catalog: &PlanCatalog,
    unit: &unit::Model,
    year: PlanYear,
    points: ExactDecimal,
    reason: &str,
) -> AppResult<assessment_adjustment::Model> {
    let reason = text::bounded("reason", reason, 2000)?;
    if points == ExactDecimal::zero() {
        return Err(AppError::validation("an adjustment of 0 points changes nothing"));
    }
    if points.inner().abs() > rust_decimal::Decimal::ONE_HUNDRED {
        return Err(AppError::validation(format!("an adjustment is between -100 and 100 points, not {points}")));
    }
    if unit.is_group {
        return Err(AppError::validation(format!("{} is a group; its members are assessed", unit.code)));
    }
    let write = Write::begin(db).await?;
    let tx = write.tx();
    ensure_open(tx, catalog.plan.id, year).await?;
    let scheme = scheme_for(tx, catalog.plan.id, year).await?;
    let data = load_year(tx, catalog, year).await?;
    let probe = AdjustmentFacts { id: 0, points, reason: reason.clone() };
    let Some(outcome) = data.score_unit(&scheme.scheme, unit.id, year, Some(&probe))? else {
        return Err(AppError::validation(format!("{} has no task to be assessed on in {year}", unit.code)));
    };
    let floored = outcome.lines.iter().any(|l| l.component == scoring::Component::ScoreFloor);
    if floored || outcome.score.inner() > rust_decimal::Decimal::from(100) {
        return Err(AppError::validation(format!(
            "the adjustment would take the score outside 0–100 (to {})",
            if floored { "below 0".to_string() } else { outcome.score.to_string() }
        )));
    }
    let stored = assessment_adjustment::ActiveModel {
        id: NotSet,
        plan_id: Set(catalog.plan.id),
        year: Set(year),
        unit_id: Set(unit.id),
        points: Set(points),
        reason: Set(reason.clone()),
        created_by: Set(actor.identity.subject.clone()),
        created_at: Set(crate::clock::now()),
    }
    .insert(tx)
    .await?;
    let record = Record::new("assessment.adjust", "assessment", format!("{}/{year}", unit.code))
        .scope(Some(unit.id))
        .before(None)
        .after(Some(json!({ "adjustmentId": stored.id, "points": points, "reason": reason, "score": outcome.score })));
    write.commit(actor, record).await?;
    Ok(stored)
}

/// Freezes the year: stores each unit's result as a snapshot.
#[tracing::instrument(skip_all, fields(year = %year))]
pub async fn finalize(db: &Db, actor: Actor<'_>, catalog: &PlanCatalog, year: PlanYear) -> AppResult<YearAssessment> {
    let write = Write::begin(db).await?;
    let tx = write.tx();
    ensure_open(tx, catalog.plan.id, year).await?;
    let scheme = scheme_for(tx, catalog.plan.id, year).await?;
    let (data, live) = live_results(tx, catalog, year, &scheme.scheme, scheme.version).await?;
    let now = crate::clock::now();
    let inserted = assessment_finalization::ActiveModel {
        id: NotSet,
        plan_id: Set(catalog.plan.id),
        year: Set(year),
        scheme_version: Set(scheme.version),
        finalized_by: Set(actor.identity.subject.clone()),
        finalized_at: Set(now),
    }
    .insert(tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if crate::service::is_unique_violation(&e) => {
            return Err(AppError::conflict(format!("the {year} assessment is already finalized")));
        }
        Err(e) => return Err(e.into()),
    }
    let mut summary = Vec::new();
    for u in data.units.iter().filter(|u| !u.is_group) {
        let Some(result) = live.get(&u.id) else { continue };
        let value = serde_json::to_value(result).map_err(|e| AppError::Unexpected(e.into()))?;
        assessment_snapshot::Entity::insert(assessment_snapshot::ActiveModel {
            id: NotSet,
            plan_id: Set(catalog.plan.id),
            year: Set(year),
            unit_id: Set(u.id),
            result: Set(value),
            finalized_at: Set(now),
        })
        .exec_without_returning(tx)
        .await?;
        summary.push(json!({
            "unit": u.code,
            "score": result.outcome.as_ref().map(|o| o.score),
            "grade": result.outcome.as_ref().map(|o| o.grade),
            "rank": result.rank,
        }));
    }
    let record = Record::new("assessment.finalize", "assessment_year", year.to_string())
        .scope(None)
        .before(None)
        .after(Some(json!({ "schemeVersion": scheme.version, "units": summary })));
    write.commit(actor, record).await?;
    assess_year(&db.conn, catalog, year).await
}

/// One indicator that fell back or was not met, with the values it rests on.
#[derive(Debug, Clone)]
pub struct AccountabilityItem {
    pub indicator: IndicatorWithConditions,
    pub compliance: PeriodCompliance,
}

/// A unit with the indicators it is answerable for (严格考核问责).
#[derive(Debug, Clone)]
pub struct AccountabilityEntry {
    pub unit: unit::Model,
    pub items: Vec<AccountabilityItem>,
}

/// The units whose indicators declined or were NOT_MET in `year` (groups included: the
/// document names them as responsible).
#[tracing::instrument(skip_all, fields(year = %year))]
pub async fn accountability(
    db: &impl ConnectionTrait,
    catalog: &PlanCatalog,
    year: PlanYear,
) -> AppResult<Vec<AccountabilityEntry>> {
    let data = load_year(db, catalog, year).await?;
    let mut out = Vec::new();
    for u in &data.units {
        let tasks = data.tasks_of(u.id);
        let items: Vec<AccountabilityItem> = data
            .indicators
            .iter()
            .filter(|i| tasks.contains(&i.indicator.task_id))
            .filter_map(|i| {
                let c = data.verdicts.get(&i.indicator.id)?;
                (c.verdict.status == ComplianceStatus::NotMet || c.verdict.declined)
                    .then(|| AccountabilityItem { indicator: i.clone(), compliance: c.clone() })
            })
            .collect();
        if !items.is_empty() {
            out.push(AccountabilityEntry { unit: u.clone(), items });
        }
    }
    Ok(out)
}

/// A scheme version by name: ecoplan's default, or the year's N-th version.
fn scheme_name(scheme: &SchemeVersion) -> String {
    if scheme.version == 0 {
        "ecoplan 的默认考核方案".to_string()
    } else {
        format!("{}年度考核方案第{}版", scheme.year.get(), scheme.version)
    }
}

/// Where a scheme's rules come from, in words.
pub fn scheme_basis(scheme: &SchemeVersion) -> String {
    format!(
        "工作方案（沁政办发〔2020〕65号）未规定考核分值、等级线或一票否决；以上规则均为配置，来自{}。",
        scheme_name(scheme)
    )
}

/// Where the veto comes from, when the scheme has one.
pub fn veto_basis(scheme: &SchemeVersion) -> Option<String> {
    scheme
        .scheme
        .veto_on_occurrence
        .then(|| format!("一票否决由{}配置，工作方案（沁政办发〔2020〕65号）未作规定。", scheme_name(scheme)))
}
