//! Object identification: every entity has a stable, opaque `id: ID!` and implements
//! `Node`, and `node(id:)` / `nodes(ids:)` fetch any of them again — which is what
//! normalizing client caches (Apollo's InMemoryCache, Relay, urql's graphcache) need.
//!
//! An id is the URL-safe base64 (no padding) of `Type:key`, where the key is what the
//! entity is known by for good: a plan's, domain's, unit's or indicator's code, a section's
//! or task's number, a stored row's number, a unit's assessment's unit and year. Clients
//! must treat ids as opaque. `node` answers with the same policy as the entity's own query,
//! except that anything out of the caller's scope, or unknown, is simply absent (null):
//! ids reveal nothing.

use std::collections::HashMap;

use async_graphql::{Context, Interface, Object, ID};
use base64::Engine;

use crate::auth::policy;
use crate::domain::UnitCode;
use crate::error::AppError;
use crate::graphql::loader::{self, IndicatorById};
use crate::graphql::object::{
    Assessment, AuditEvent, Domain, EvidenceFile, ImportRun, Indicator, IndicatorValue, Plan, ScoringScheme, Section,
    SuperiorTarget, Task, TaskProgress, Unit, Viewer,
};
use crate::graphql::{access, context};
use crate::service::{assessment, audit, indicators, progress, targets, tasks, units, values};

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "A stable, opaque global id: `node(id:)` fetches the object again."))]
pub enum Node {
    Plan(Plan),
    Domain(Domain),
    Section(Section),
    Task(Task),
    Unit(Unit),
    Indicator(Indicator),
    IndicatorValue(IndicatorValue),
    TaskProgress(TaskProgress),
    SuperiorTarget(SuperiorTarget),
    Assessment(Assessment),
    ScoringScheme(ScoringScheme),
    AuditEvent(AuditEvent),
    ImportRun(ImportRun),
    EvidenceFile(EvidenceFile),
    Viewer(Viewer),
}

fn engine() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

/// The global id of the entity of `type_name` known by `key`.
pub fn id(type_name: &str, key: impl std::fmt::Display) -> ID {
    ID(engine().encode(format!("{type_name}:{key}")))
}

/// The type and key of a global id, if it is one.
pub fn decode(id: &str) -> Option<(String, String)> {
    if id.len() > 256 {
        return None;
    }
    let bytes = engine().decode(id).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (type_name, key) = text.split_once(':')?;
    Some((type_name.to_string(), key.to_string()))
}

/// The row number behind an id of a stored row of `type_name`: its global id, or (as
/// before global ids) the bare number.
pub fn row_id(id: &str, type_name: &str) -> Option<i64> {
    if let Ok(n) = id.parse::<i64>() {
        return Some(n);
    }
    match decode(id) {
        Some((t, key)) if t == type_name => key.parse().ok(),
        _ => None,
    }
}

/// Most ids one `nodes` call may ask for.
pub const MAX_NODES: usize = 100;

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global `id`; null when there is none or it is out of the caller's
    /// scope.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        context::identity(ctx)?;
        resolve(ctx, &id, &mut HashMap::new()).await
    }

    /// Objects by global id, in the order asked (at most 100); null for each that there is
    /// none of or that is out of the caller's scope.
    #[graphql(complexity = "ids.len().max(1) * child_complexity")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> async_graphql::Result<Vec<Option<Node>>> {
        context::identity(ctx)?;
        if ids.len() > MAX_NODES {
            return Err(AppError::validation(format!("at most {MAX_NODES} ids may be asked at once")).into());
        }
        let mut out = Vec::with_capacity(ids.len());
        // A year's assessment is computed once however many units' are asked.
        let mut years = HashMap::new();
        for id in &ids {
            out.push(resolve(ctx, id, &mut years).await?);
        }
        Ok(out)
    }
}

/// Absent for what is unknown or out of scope; other failures (the database) stay errors.
fn absent_if_refused<T>(r: Result<T, AppError>) -> async_graphql::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(AppError::NotFound(_) | AppError::Forbidden(_) | AppError::Validation(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Whether the caller may read the task (absent otherwise).
async fn task_readable(ctx: &Context<'_>, task_id: i32) -> async_graphql::Result<bool> {
    let identity = context::identity(ctx)?;
    let units = access::assigned_units(ctx, task_id).await?;
    Ok(policy::record_visible(identity, &units))
}

async fn resolve(
    ctx: &Context<'_>,
    id: &ID,
    years: &mut HashMap<i32, assessment::YearAssessment>,
) -> async_graphql::Result<Option<Node>> {
    let Some((type_name, key)) = decode(id) else {
        return Ok(None);
    };
    let db = context::db(ctx)?;
    let catalog = context::catalog(ctx)?;
    let identity = context::identity(ctx)?;
    let number = || key.parse::<i64>().ok();
    Ok(match type_name.as_str() {
        "Plan" => (catalog.plan.code == key).then(|| Node::Plan(Plan(catalog.plan.clone()))),
        "Domain" => catalog.domain_by_code(&key).cloned().map(|d| Node::Domain(Domain(d))),
        "Section" => number()
            .and_then(|n| i32::try_from(n).ok())
            .and_then(|n| catalog.section_by_number(n).cloned())
            .map(|s| Node::Section(Section(s))),
        "Task" => {
            let Some(n) = number().and_then(|n| i32::try_from(n).ok()) else { return Ok(None) };
            match absent_if_refused(tasks::get_task_by_number(&db.conn, n).await)? {
                Some(task) if task_readable(ctx, task.id).await? => Some(Node::Task(Task(task))),
                _ => None,
            }
        }
        "Unit" => {
            let Ok(code) = UnitCode::parse(&key) else { return Ok(None) };
            absent_if_refused(units::get_unit(&db.conn, &code).await)?.map(|u| Node::Unit(Unit(u)))
        }
        "Indicator" => match absent_if_refused(indicators::get_indicator(&db.conn, &key).await)? {
            // Former codes are answered by `indicator(code:)`, but an id names one code.
            Some(found)
                if found.indicator.code.as_str() == key && task_readable(ctx, found.indicator.task_id).await? =>
            {
                Some(Node::Indicator(Indicator(found)))
            }
            _ => None,
        },
        "IndicatorValue" => {
            let Some(n) = number() else { return Ok(None) };
            let Some(value) = absent_if_refused(values::find_value(&db.conn, n).await)? else { return Ok(None) };
            let ind = loader::get::<IndicatorById>(ctx)?.load_one(value.indicator_id).await?;
            match ind {
                Some(ind) if task_readable(ctx, ind.indicator.task_id).await? => {
                    Some(Node::IndicatorValue(IndicatorValue(value)))
                }
                _ => None,
            }
        }
        "TaskProgress" => {
            let Some(n) = number() else { return Ok(None) };
            match progress::find(&db.conn, n).await? {
                Some(p) if task_readable(ctx, p.task_id).await? => Some(Node::TaskProgress(TaskProgress(p))),
                _ => None,
            }
        }
        "SuperiorTarget" => {
            let Some((indicator, year)) = key.split_once(':') else { return Ok(None) };
            let (Ok(indicator), Ok(year)) = (indicator.parse::<i32>(), year.parse::<i32>()) else { return Ok(None) };
            match loader::get::<IndicatorById>(ctx)?.load_one(indicator).await? {
                Some(ind) if task_readable(ctx, ind.indicator.task_id).await? => {
                    targets::of_indicator(&db.conn, indicator, year)
                        .await?
                        .map(|t| Node::SuperiorTarget(SuperiorTarget(t)))
                }
                _ => None,
            }
        }
        "Assessment" => {
            let Some((unit, year)) = key.rsplit_once(':') else { return Ok(None) };
            let (Ok(code), Ok(year)) = (UnitCode::parse(unit), year.parse::<i32>()) else { return Ok(None) };
            absent_if_refused(crate::graphql::query::assessment_with(ctx, &code, year, years).await)?
                .map(Node::Assessment)
        }
        "ScoringScheme" => {
            let Some((year, version)) = key.split_once(':') else { return Ok(None) };
            let (Ok(year), Ok(version)) = (year.parse::<i32>(), version.parse::<i32>()) else { return Ok(None) };
            let Ok(year) = assessment::plan_year(year) else { return Ok(None) };
            // The version in force; an id of a replaced version is absent.
            let scheme = assessment::scheme_for(&db.conn, catalog.plan.id, year).await?;
            (scheme.version == version).then_some(Node::ScoringScheme(ScoringScheme(scheme)))
        }
        "AuditEvent" => {
            let Some(n) = number() else { return Ok(None) };
            let Some(scope) = absent_if_refused(policy::audit_scope(identity))? else { return Ok(None) };
            audit::find(&db.conn, &scope, n).await?.map(|e| Node::AuditEvent(AuditEvent(e)))
        }
        "ImportRun" => match number() {
            Some(n) => absent_if_refused(crate::service::import::find_run(&db.conn, identity, n).await)?
                .map(|r| Node::ImportRun(ImportRun(r))),
            None => None,
        },
        "EvidenceFile" => match number() {
            Some(n) => absent_if_refused(crate::service::evidence::find(&db.conn, identity, n).await)?
                .map(|f| Node::EvidenceFile(EvidenceFile(f))),
            None => None,
        },
        "Viewer" => policy::may_read_viewer(identity, &key).then(|| Node::Viewer(Viewer(identity.clone()))),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_opaque_and_decode_to_what_made_them() {
        let id = id("Task", 12);
        assert!(!id.as_str().contains("Task"));
        assert_eq!(decode(&id), Some(("Task".into(), "12".into())));
        assert_eq!(row_id(&super::id("IndicatorValue", 42), "IndicatorValue"), Some(42));
        assert_eq!(row_id("42", "IndicatorValue"), Some(42), "the bare numbers of before stay valid");
        assert_eq!(row_id(&super::id("TaskProgress", 42), "IndicatorValue"), None);
        assert_eq!(decode("not base64 at all!"), None);
        assert_eq!(decode(&"A".repeat(10_000)), None);
    }
}
