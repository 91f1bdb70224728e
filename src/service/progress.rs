//! Task progress: versions per task and period, with optimistic concurrency.

use std::collections::HashMap;

use entity::{task, task_progress};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Iterable, NotSet, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use crate::db::Db;
use crate::domain::{period, text, ExactDecimal, Period, ProgressStatus};
use crate::error::{AppError, AppResult};
use crate::service::changes::{ChangeKind, ChangeOperation};
use crate::service::idempotency::{self, IdempotencyKey};
use crate::service::values::TextLimits;
use crate::service::write::{Record, Write};
use crate::service::{append_with_retries, is_unique_violation, Actor, Attempt};

/// A department's progress update of one task for one period.
#[derive(Debug, Clone)]
pub struct ProgressReport {
    pub period: Period,
    pub status: ProgressStatus,
    pub percent: Option<ExactDecimal>,
    pub summary: Option<String>,
    pub evidence: Vec<String>,
    /// The latest version the update is based on (0: there is none yet).
    pub expected_version: Option<i32>,
}

fn audit_json(p: &task_progress::Model) -> serde_json::Value {
    json!({
        "id": p.id, "taskId": p.task_id, "period": p.period, "version": p.version, "status": p.status,
        "percent": p.percent, "summary": p.summary, "evidence": p.evidence, "unitId": p.unit_id,
    })
}

fn check_percent(status: ProgressStatus, percent: Option<ExactDecimal>) -> AppResult<Option<ExactDecimal>> {
    let Some(p) = percent else {
        return Ok(None);
    };
    let hundred = ExactDecimal::parse("100")?;
    if p.is_negative() || p > hundred {
        return Err(AppError::validation(format!("percent {p} is not between 0 and 100")));
    }
    match status {
        ProgressStatus::Completed if p != hundred => Err(AppError::validation("a COMPLETED task is 100 percent done")),
        ProgressStatus::NotStarted if p != ExactDecimal::zero() => {
            Err(AppError::validation("a NOT_STARTED task is 0 percent done"))
        }
        _ => Ok(Some(p)),
    }
}

/// Stores a new version of the task's progress for the period, with its audit event.
#[tracing::instrument(skip_all, fields(task = task.number, period = %report.period))]
pub async fn update(
    db: &Db,
    actor: Actor<'_>,
    task: &task::Model,
    report: &ProgressReport,
    limits: TextLimits,
    idempotency: Option<&IdempotencyKey>,
) -> AppResult<task_progress::Model> {
    if report.period.is_future(period::today_in_county(crate::clock::now())) {
        return Err(AppError::validation(format!("period {} has not begun yet", report.period)));
    }
    if report.expected_version.is_some_and(|v| v < 0) {
        return Err(AppError::validation("expectedVersion must not be negative"));
    }
    let percent = check_percent(report.status, report.percent)?;
    let summary = text::optional_bounded("summary", report.summary.as_deref(), limits.note_chars)?;
    if report.status == ProgressStatus::Blocked && summary.is_none() {
        return Err(AppError::validation("a BLOCKED task needs a summary saying why"));
    }
    let evidence = text::evidence(&report.evidence, limits.evidence_items, limits.evidence_chars)?;
    let checked = CheckedProgress { percent, summary, evidence };
    let optimistic = report.expected_version.is_some() && idempotency.is_none();
    append_with_retries(optimistic, "update of this task and period", || {
        try_update(db, actor, task, report, &checked, idempotency)
    })
    .await
}

/// The canonical content of an update, for its idempotency key.
pub fn fingerprint(task_number: i32, report: &ProgressReport) -> serde_json::Value {
    json!({
        "task": task_number, "period": report.period.to_string(), "status": report.status.as_str(),
        "percent": report.percent.map(|p| p.to_string()), "summary": report.summary, "evidence": report.evidence,
        "expectedVersion": report.expected_version,
    })
}

/// An update checked: what will be stored.
struct CheckedProgress {
    percent: Option<ExactDecimal>,
    summary: Option<String>,
    evidence: Vec<String>,
}

async fn try_update(
    db: &Db,
    actor: Actor<'_>,
    task: &task::Model,
    report: &ProgressReport,
    checked: &CheckedProgress,
    idempotency: Option<&IdempotencyKey>,
) -> AppResult<Attempt<task_progress::Model>> {
    let write = Write::begin(db).await?;
    let tx = write.tx();
    if let Some(key) = idempotency {
        if let Some(id) = idempotency::replay(tx, key).await? {
            let stored = task_progress::Entity::find_by_id(id).one(tx).await?.ok_or_else(|| {
                AppError::Unexpected(anyhow::anyhow!("idempotency key names a missing progress {id}"))
            })?;
            return Ok(Attempt::Done(stored));
        }
    }
    let period = report.period.to_string();
    let latest = task_progress::Entity::find()
        .filter(task_progress::Column::TaskId.eq(task.id))
        .filter(task_progress::Column::Period.eq(period.clone()))
        .order_by_desc(task_progress::Column::Version)
        .one(tx)
        .await?;
    let latest_version = latest.as_ref().map(|l| l.version).unwrap_or(0);
    if let Some(expected) = report.expected_version {
        if expected != latest_version {
            return Err(AppError::conflict(format!(
                "the latest progress of task ({}) for {period} is version {latest_version}, not {expected}; reload",
                task.number
            )));
        }
    }
    let row = task_progress::ActiveModel {
        id: NotSet,
        task_id: Set(task.id),
        period: Set(report.period),
        version: Set(latest_version + 1),
        status: Set(report.status),
        percent: Set(checked.percent),
        summary: Set(checked.summary.clone()),
        evidence: Set(json!(checked.evidence)),
        unit_id: Set(actor.identity.unit_id()),
        reported_by: Set(actor.identity.subject.clone()),
        reported_at: Set(crate::clock::now()),
    };
    let stored = match row.insert(tx).await {
        Ok(p) => p,
        Err(e) if is_unique_violation(&e) => return Ok(Attempt::LostRace),
        Err(e) => return Err(e.into()),
    };
    if let Some(key) = idempotency {
        if !idempotency::remember(tx, key, stored.id).await? {
            return Ok(Attempt::LostRace);
        }
    }
    let record =
        Record::new("task_progress.update", "task_progress", format!("{}/{}#{}", task.number, period, stored.version))
            .scope(actor.identity.unit_id())
            .before(latest.as_ref().map(audit_json))
            .after(Some(audit_json(&stored)))
            .change(ChangeKind::Progress, ChangeOperation::Upsert, stored.id, Some(task.id));
    write.commit(actor, record).await?;
    Ok(Attempt::Done(stored))
}

/// The latest version of each (task, period): one statement.
pub async fn latest(
    db: &impl ConnectionTrait,
    keys: &[(i32, Period)],
) -> AppResult<HashMap<(i32, Period), task_progress::Model>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
    let periods: Vec<String> = keys.iter().map(|k| k.1.to_string()).collect();
    let tp = Alias::new("tp");
    let mut select = Query::select();
    for col in task_progress::Column::iter() {
        select.column((tp.clone(), col));
    }
    let later = Query::select()
        .expr(Expr::val(1))
        .from_as(task_progress::Entity, Alias::new("later"))
        .and_where(Expr::col(("later", "task_id")).equals(("tp", "task_id")))
        .and_where(Expr::col(("later", "period")).equals(("tp", "period")))
        .and_where(Expr::col(("later", "version")).gt(Expr::col(("tp", "version"))))
        .to_owned();
    select
        .from_as(task_progress::Entity, tp.clone())
        .and_where(Expr::col((tp.clone(), task_progress::Column::TaskId)).is_in(ids))
        .and_where(Expr::col((tp.clone(), task_progress::Column::Period)).is_in(periods))
        .and_where(Expr::exists(later).not());
    let wanted: std::collections::HashSet<&(i32, Period)> = keys.iter().collect();
    let mut out = HashMap::new();
    for row in db.query_all(&select).await? {
        let p = task_progress::Model::from_query_result(&row, "")?;
        let period = p.period;
        if wanted.contains(&(p.task_id, period)) {
            out.insert((p.task_id, period), p);
        }
    }
    Ok(out)
}

/// Every version of a task's progress (optionally of one period), oldest first.
pub async fn history(
    db: &impl ConnectionTrait,
    task_id: i32,
    period: Option<Period>,
) -> AppResult<Vec<task_progress::Model>> {
    let mut q = task_progress::Entity::find().filter(task_progress::Column::TaskId.eq(task_id));
    if let Some(p) = period {
        q = q.filter(task_progress::Column::Period.eq(p.to_string()));
    }
    Ok(q.order_by_asc(task_progress::Column::Period).order_by_asc(task_progress::Column::Version).all(db).await?)
}

/// One stored version of progress by id.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<Option<task_progress::Model>> {
    Ok(task_progress::Entity::find_by_id(id).one(db).await?)
}
