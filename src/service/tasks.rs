//! Tasks: scoped lists, lookups and the relations the GraphQL loaders batch.

use std::collections::HashMap;

use entity::{group_membership, task, task_assignment, unit};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::auth::policy::TaskScope;
use crate::domain::UnitCode;
use crate::error::{AppError, AppResult};
use crate::service::catalog::PlanCatalog;
use crate::service::page::{keyset_page, Page, PageRequest};
use crate::service::units;

/// A client's filter on tasks (all parts optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub domain_code: Option<String>,
    pub section_number: Option<i32>,
    pub unit_code: Option<String>,
    pub numbers: Option<Vec<i32>>,
}

/// `SELECT task_id FROM task_assignment WHERE unit_id IN (…)`.
fn tasks_assigned_to(unit_ids: &[i32]) -> SelectStatement {
    Query::select()
        .column(task_assignment::Column::TaskId)
        .from(task_assignment::Entity)
        .and_where(Expr::col(task_assignment::Column::UnitId).is_in(unit_ids.iter().copied()))
        .to_owned()
}

/// The row filter for tasks inside `scope` (the SQL form of the policy's answer).
pub fn scope_condition(scope: &TaskScope) -> Condition {
    match scope {
        TaskScope::All => Condition::all(),
        TaskScope::AssignedTo(units) => Condition::all().add(task::Column::Id.in_subquery(tasks_assigned_to(units))),
    }
}

/// Tasks of a unit: assigned to it directly or to a group it belongs to (the SQL form of
/// [`policy::acting_units`](crate::auth::policy::acting_units)).
fn tasks_of_unit_condition(unit_id: i32) -> Condition {
    let groups = Query::select()
        .column(group_membership::Column::GroupUnitId)
        .from(group_membership::Entity)
        .and_where(Expr::col(group_membership::Column::MemberUnitId).eq(unit_id))
        .to_owned();
    let assigned = Query::select()
        .column(task_assignment::Column::TaskId)
        .from(task_assignment::Entity)
        .cond_where(
            Condition::any()
                .add(Expr::col(task_assignment::Column::UnitId).eq(unit_id))
                .add(Expr::col(task_assignment::Column::UnitId).in_subquery(groups)),
        )
        .to_owned();
    Condition::all().add(task::Column::Id.in_subquery(assigned))
}

/// Turns a client's filter into a condition on `task`, refusing unknown codes.
pub async fn filter_condition(
    db: &impl ConnectionTrait,
    catalog: &PlanCatalog,
    filter: &TaskFilter,
) -> AppResult<Condition> {
    let mut cond = Condition::all();
    if let Some(code) = &filter.domain_code {
        let domain = catalog
            .domain_by_code(code)
            .ok_or_else(|| AppError::validation(format!("no domain has the code {code:?}")))?;
        let ids: Vec<i32> = catalog.sections_of_domain(domain.id).map(|s| s.id).collect();
        cond = cond.add(task::Column::SectionId.is_in(ids));
    }
    if let Some(n) = filter.section_number {
        let section =
            catalog.section_by_number(n).ok_or_else(|| AppError::validation(format!("there is no section {n}")))?;
        cond = cond.add(task::Column::SectionId.eq(section.id));
    }
    if let Some(code) = &filter.unit_code {
        let code = UnitCode::parse(code)?;
        let unit = units::find_unit(db, &code)
            .await?
            .ok_or_else(|| AppError::validation(format!("no unit has the code {code}")))?;
        cond = cond.add(tasks_of_unit_condition(unit.id));
    }
    if let Some(numbers) = &filter.numbers {
        cond = cond.add(task::Column::Number.is_in(numbers.iter().copied()));
    }
    Ok(cond)
}

/// A page of the tasks in `scope` matching `filter`, in the plan's order.
pub async fn list_tasks(
    db: &impl ConnectionTrait,
    scope: &TaskScope,
    filter: Condition,
    page: PageRequest,
) -> AppResult<Page<task::Model>> {
    let base = task::Entity::find().filter(scope_condition(scope)).filter(filter);
    keyset_page(db, base, task::Column::Number, page).await
}

pub async fn find_task_by_number(db: &impl ConnectionTrait, number: i32) -> AppResult<Option<task::Model>> {
    Ok(task::Entity::find().filter(task::Column::Number.eq(number)).one(db).await?)
}

/// NOT_FOUND when the plan has no task with this number.
pub async fn get_task_by_number(db: &impl ConnectionTrait, number: i32) -> AppResult<task::Model> {
    find_task_by_number(db, number)
        .await?
        .ok_or_else(|| AppError::not_found(format!("the plan has no task ({number})")))
}

pub async fn tasks_by_ids(db: &impl ConnectionTrait, ids: &[i32]) -> AppResult<HashMap<i32, task::Model>> {
    let rows = task::Entity::find().filter(task::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(rows.into_iter().map(|t| (t.id, t)).collect())
}

/// Each task's assignments with their units, in the document's order: one statement.
pub async fn assignments_of(
    db: &impl ConnectionTrait,
    task_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<(task_assignment::Model, unit::Model)>>> {
    let rows = task_assignment::Entity::find()
        .filter(task_assignment::Column::TaskId.is_in(task_ids.iter().copied()))
        .order_by_asc(task_assignment::Column::TaskId)
        .order_by_asc(task_assignment::Column::Position)
        .find_also_related(unit::Entity)
        .all(db)
        .await?;
    let mut out: HashMap<i32, Vec<_>> = HashMap::new();
    for (a, u) in rows {
        if let Some(u) = u {
            out.entry(a.task_id).or_default().push((a, u));
        }
    }
    Ok(out)
}

/// Tasks of each unit (directly or through its groups) inside `scope`, keyed by unit id.
pub async fn tasks_of_units(
    db: &impl ConnectionTrait,
    scope: &TaskScope,
    unit_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<task::Model>>> {
    // (unit, task) pairs: direct assignments, then assignments of the unit's groups (the
    // set-based form of `policy::acting_units`, one statement for every unit at once).
    let direct = Query::select()
        .expr_as(Expr::col(task_assignment::Column::UnitId), "owner_id")
        .expr_as(Expr::col(task_assignment::Column::TaskId), "task_id")
        .from(task_assignment::Entity)
        .and_where(Expr::col(task_assignment::Column::UnitId).is_in(unit_ids.iter().copied()))
        .to_owned();
    let inherited = Query::select()
        .expr_as(Expr::col(("gm", "member_unit_id")), "owner_id")
        .expr_as(Expr::col(("ta", "task_id")), "task_id")
        .from_as(group_membership::Entity, "gm")
        .join_as(
            sea_orm::JoinType::InnerJoin,
            task_assignment::Entity,
            "ta",
            Expr::col(("ta", "unit_id")).equals(("gm", "group_unit_id")),
        )
        .and_where(Expr::col(("gm", "member_unit_id")).is_in(unit_ids.iter().copied()))
        .to_owned();
    let pairs_stmt = direct.clone().union(sea_orm::sea_query::UnionType::Distinct, inherited).to_owned();
    let pairs = db.query_all(&pairs_stmt).await?;
    let mut owners: HashMap<i32, Vec<i32>> = HashMap::new();
    for row in &pairs {
        let owner: i32 = row.try_get("", "owner_id")?;
        let task_id: i32 = row.try_get("", "task_id")?;
        owners.entry(task_id).or_default().push(owner);
    }
    let task_ids: Vec<i32> = owners.keys().copied().collect();
    let tasks = task::Entity::find()
        .filter(task::Column::Id.is_in(task_ids))
        .filter(scope_condition(scope))
        .order_by_asc(task::Column::Number)
        .all(db)
        .await?;
    let mut out: HashMap<i32, Vec<task::Model>> = HashMap::new();
    for t in tasks {
        for owner in owners.get(&t.id).into_iter().flatten() {
            out.entry(*owner).or_default().push(t.clone());
        }
    }
    Ok(out)
}

/// Tasks of each section inside `scope`, keyed by section id.
pub async fn tasks_of_sections(
    db: &impl ConnectionTrait,
    scope: &TaskScope,
    section_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<task::Model>>> {
    let rows = task::Entity::find()
        .filter(task::Column::SectionId.is_in(section_ids.iter().copied()))
        .filter(scope_condition(scope))
        .order_by_asc(task::Column::Number)
        .all(db)
        .await?;
    let mut out: HashMap<i32, Vec<task::Model>> = HashMap::new();
    for t in rows {
        out.entry(t.section_id).or_default().push(t);
    }
    Ok(out)
}

/// The ids of the units assigned to a task (for authorization).
pub async fn assigned_unit_ids(db: &impl ConnectionTrait, task_id: i32) -> AppResult<Vec<i32>> {
    Ok(task_assignment::Entity::find()
        .select_only()
        .column(task_assignment::Column::UnitId)
        .filter(task_assignment::Column::TaskId.eq(task_id))
        .into_tuple::<i32>()
        .all(db)
        .await?)
}
