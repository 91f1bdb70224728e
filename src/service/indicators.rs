//! Indicators and their conditions.

use std::collections::HashMap;

use entity::{indicator, indicator_condition, task};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::auth::policy::TaskScope;
use crate::domain::IndicatorKind;
use crate::error::{AppError, AppResult};
use crate::service::catalog::PlanCatalog;
use crate::service::page::{keyset_page, Page, PageRequest};
use crate::service::tasks::{self, TaskFilter};

/// An indicator with its conditions in order.
#[derive(Debug, Clone)]
pub struct IndicatorWithConditions {
    pub indicator: indicator::Model,
    pub conditions: Vec<indicator_condition::Model>,
}

/// A client's filter on indicators.
#[derive(Debug, Clone, Default)]
pub struct IndicatorFilter {
    pub tasks: TaskFilter,
    pub kind: Option<IndicatorKind>,
}

/// `indicator.task_id IN (SELECT id FROM task WHERE …)`.
fn task_condition(cond: Condition) -> Condition {
    let ids = Query::select().column(task::Column::Id).from(task::Entity).cond_where(cond).to_owned();
    Condition::all().add(indicator::Column::TaskId.in_subquery(ids))
}

/// The row filter for indicators whose task is inside `scope`.
pub fn scope_condition(scope: &TaskScope) -> Condition {
    match scope {
        TaskScope::All => Condition::all(),
        TaskScope::AssignedTo(_) => task_condition(tasks::scope_condition(scope)),
    }
}

pub async fn filter_condition(
    db: &impl ConnectionTrait,
    catalog: &PlanCatalog,
    filter: &IndicatorFilter,
) -> AppResult<Condition> {
    let mut cond = Condition::all();
    let t = &filter.tasks;
    if t.domain_code.is_some() || t.section_number.is_some() || t.unit_code.is_some() || t.numbers.is_some() {
        cond = cond.add(task_condition(tasks::filter_condition(db, catalog, t).await?));
    }
    if let Some(kind) = filter.kind {
        cond = cond.add(indicator::Column::Kind.eq(kind.as_str()));
    }
    Ok(cond)
}

/// Attaches each indicator's conditions: one more statement for the whole list.
async fn with_conditions(
    db: &impl ConnectionTrait,
    indicators: Vec<indicator::Model>,
) -> AppResult<Vec<IndicatorWithConditions>> {
    let ids: Vec<i32> = indicators.iter().map(|i| i.id).collect();
    let mut by_indicator: HashMap<i32, Vec<indicator_condition::Model>> = HashMap::new();
    for c in indicator_condition::Entity::find()
        .filter(indicator_condition::Column::IndicatorId.is_in(ids))
        .order_by_asc(indicator_condition::Column::IndicatorId)
        .order_by_asc(indicator_condition::Column::Position)
        .all(db)
        .await?
    {
        by_indicator.entry(c.indicator_id).or_default().push(c);
    }
    Ok(indicators
        .into_iter()
        .map(|i| IndicatorWithConditions { conditions: by_indicator.remove(&i.id).unwrap_or_default(), indicator: i })
        .collect())
}

/// A page of the indicators in `scope` matching `filter`, in the plan's order.
pub async fn list_indicators(
    db: &impl ConnectionTrait,
    scope: &TaskScope,
    filter: Condition,
    page: PageRequest,
) -> AppResult<Page<IndicatorWithConditions>> {
    let base = indicator::Entity::find().filter(scope_condition(scope)).filter(filter);
    let page_of = keyset_page(db, base, indicator::Column::PlanOrder, page).await?;
    Ok(Page { items: with_conditions(db, page_of.items).await?, has_next: page_of.has_next, total: page_of.total })
}

/// The indicator with this code or a former one (corrected codes stay valid): one condition,
/// no extra statement.
fn code_matches(code: &str) -> Condition {
    Condition::any().add(indicator::Column::Code.eq(code)).add(indicator::Column::Id.in_subquery(alias_of(code)))
}

/// [`code_matches`] on a table alias.
fn code_matches_in(table: sea_orm::sea_query::Alias, code: &str) -> Condition {
    use sea_orm::sea_query::{Expr, ExprTrait};
    Condition::any()
        .add(Expr::col((table.clone(), indicator::Column::Code)).eq(code))
        .add(Expr::col((table, indicator::Column::Id)).in_subquery(alias_of(code)))
}

fn alias_of(code: &str) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(entity::indicator_code_alias::Column::IndicatorId)
        .from(entity::indicator_code_alias::Entity)
        .and_where(entity::indicator_code_alias::Column::Code.eq(code))
        .to_owned()
}

/// NOT_FOUND when no indicator has this code.
pub async fn get_indicator(db: &impl ConnectionTrait, code: &str) -> AppResult<IndicatorWithConditions> {
    let found = get_indicator_row(db, code).await?;
    let mut list = with_conditions(db, vec![found]).await?;
    list.pop().ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("indicator vanished")))
}

/// The indicator alone; NOT_FOUND when no indicator has this code.
async fn get_indicator_row(db: &impl ConnectionTrait, code: &str) -> AppResult<indicator::Model> {
    indicator::Entity::find()
        .filter(code_matches(code))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no indicator has the code {code:?}")))
}

/// The indicator and the units assigned to its task (for the policy): one statement.
pub async fn indicator_with_units(db: &impl ConnectionTrait, code: &str) -> AppResult<(indicator::Model, Vec<i32>)> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType};
    use sea_orm::{FromQueryResult, Iterable};
    let i = Alias::new("i");
    let mut select = Query::select();
    for col in indicator::Column::iter() {
        select.column((i.clone(), col));
    }
    select
        .expr_as(Expr::col(("ta", "unit_id")), "assigned_unit_id")
        .from_as(indicator::Entity, i.clone())
        .join_as(
            JoinType::LeftJoin,
            entity::task_assignment::Entity,
            Alias::new("ta"),
            Expr::col(("ta", "task_id")).equals((i.clone(), indicator::Column::TaskId)),
        )
        .cond_where(code_matches_in(i, code));
    let rows = db.query_all(&select).await?;
    let first = rows.first().ok_or_else(|| AppError::not_found(format!("no indicator has the code {code:?}")))?;
    let found = indicator::Model::from_query_result(first, "")?;
    let mut units = Vec::new();
    for row in &rows {
        if let Some(u) = row.try_get::<Option<i32>>("", "assigned_unit_id")? {
            units.push(u);
        }
    }
    Ok((found, units))
}

/// Each task's indicators with their conditions, keyed by task id: one statement (a join).
pub async fn indicators_of_tasks(
    db: &impl ConnectionTrait,
    task_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<IndicatorWithConditions>>> {
    let rows = indicator::Entity::find()
        .filter(indicator::Column::TaskId.is_in(task_ids.iter().copied()))
        .order_by_asc(indicator::Column::TaskId)
        .order_by_asc(indicator::Column::Position)
        .order_by_asc(indicator::Column::Id)
        .find_with_related(indicator_condition::Entity)
        .order_by_asc(indicator_condition::Column::Position)
        .all(db)
        .await?;
    let mut out: HashMap<i32, Vec<IndicatorWithConditions>> = HashMap::new();
    for (i, conditions) in rows {
        out.entry(i.task_id).or_default().push(IndicatorWithConditions { indicator: i, conditions });
    }
    Ok(out)
}

/// Indicators by id with their conditions.
pub async fn indicators_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> AppResult<HashMap<i32, IndicatorWithConditions>> {
    let rows = indicator::Entity::find()
        .filter(indicator::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(indicator::Column::PlanOrder)
        .find_with_related(indicator_condition::Entity)
        .order_by_asc(indicator_condition::Column::Position)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(i, conditions)| (i.id, IndicatorWithConditions { indicator: i, conditions })).collect())
}

/// The condition rows as the domain's (comparator, target) pairs.
pub fn parsed_conditions(
    conditions: &[indicator_condition::Model],
) -> Vec<(crate::domain::Comparator, Option<crate::domain::ExactDecimal>)> {
    conditions.iter().map(|c| (c.comparator, c.target)).collect()
}

/// Every indicator in `scope` with its conditions, in the plan's order: one statement.
pub async fn all_in_scope(db: &impl ConnectionTrait, scope: &TaskScope) -> AppResult<Vec<IndicatorWithConditions>> {
    let rows = indicator::Entity::find()
        .filter(scope_condition(scope))
        .order_by_asc(indicator::Column::PlanOrder)
        .find_with_related(indicator_condition::Entity)
        .order_by_asc(indicator_condition::Column::Position)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(indicator, conditions)| IndicatorWithConditions { indicator, conditions }).collect())
}

/// Sets the reporting frequency of an indicator whose frequency the document does not state
/// (an administrator's configuration, audited). Values are judged by the periods of the
/// indicator's frequency (a year of a quarterly indicator is judged over its quarters), and a
/// period is due by the frequency too; so a change is refused (CONFLICT) once a value has been
/// reported for a period of another frequency: those values would silently stop counting.
#[tracing::instrument(skip_all, fields(indicator = %code, frequency = %frequency.as_str()))]
pub async fn set_frequency(
    db: &crate::db::Db,
    actor: crate::service::Actor<'_>,
    code: &crate::domain::IndicatorCode,
    frequency: crate::domain::Frequency,
    reason: &str,
) -> AppResult<IndicatorWithConditions> {
    use crate::domain::{ChangeKind, ChangeOperation, Source};
    use crate::service::write::{Record, Write};
    use sea_orm::{ActiveModelTrait, Set};

    let reason = crate::domain::text::bounded("reason", reason, 500)?;
    let write = Write::begin(db).await?;
    let tx = write.tx();
    let found = get_indicator_row(tx, code.as_str()).await?;
    if found.frequency_source == Source::Document {
        return Err(AppError::validation(format!(
            "the document states how often {} is reported ({}); it is not configuration",
            found.code,
            found.frequency_basis.as_deref().unwrap_or_default()
        )));
    }
    let reported = entity::indicator_value::Entity::find()
        .filter(entity::indicator_value::Column::IndicatorId.eq(found.id))
        .all(tx)
        .await?;
    let other: Vec<String> =
        reported.iter().filter(|v| v.period.frequency() != frequency).map(|v| v.period.to_string()).collect();
    if !other.is_empty() {
        let mut periods = other.clone();
        periods.sort();
        periods.dedup();
        return Err(AppError::conflict(format!(
            "{} values of {} were reported for periods of another frequency ({}); they would stop counting, so \
             the frequency can only change before values are reported",
            other.len(),
            found.code,
            periods.join(", ")
        )));
    }
    let before = serde_json::json!({ "frequency": found.frequency, "source": found.frequency_source, "basis": found.frequency_basis });
    let key = found.code.as_str().to_string();
    let task_id = found.task_id;
    let mut am: indicator::ActiveModel = found.into();
    am.frequency = Set(frequency);
    am.frequency_source = Set(Source::Configured);
    am.frequency_basis = Set(Some(reason.clone()));
    let stored = am.update(tx).await?;
    let after = serde_json::json!({ "frequency": stored.frequency, "source": stored.frequency_source, "basis": stored.frequency_basis });
    let record = Record::new("indicator.frequency.set", "indicator", key)
        .before(Some(before))
        .after(Some(after))
        .change(ChangeKind::Indicator, ChangeOperation::Upsert, i64::from(stored.id), Some(task_id));
    let mut with = with_conditions(tx, vec![stored]).await?;
    write.commit(actor, record).await?;
    with.pop().ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("indicator vanished")))
}
