//! Indicator values: reports (revisions), review, and the current revision per period.

use std::collections::HashMap;

use entity::{indicator, indicator_value};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Iterable, NotSet, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use crate::db::Db;
use crate::domain::{period, text, ExactDecimal, Frequency, Period, ValueStatus};
use crate::error::{AppError, AppResult};
use crate::service::changes::{ChangeKind, ChangeOperation};
use crate::service::idempotency::{self, IdempotencyKey};
use crate::service::page::{keyset_page, Page, PageRequest};
use crate::service::write::{Record, Write};
use crate::service::{append_with_retries, is_unique_violation, Actor, Attempt};

/// How long free text may be (from configuration).
#[derive(Debug, Clone, Copy)]
pub struct TextLimits {
    pub note_chars: usize,
    pub evidence_items: usize,
    pub evidence_chars: usize,
}

impl From<&crate::config::Settings> for TextLimits {
    fn from(s: &crate::config::Settings) -> Self {
        TextLimits {
            note_chars: s.limits.max_note_chars,
            evidence_items: s.limits.max_evidence_items,
            evidence_chars: s.limits.max_evidence_chars,
        }
    }
}

/// A department's report of one indicator for one period.
#[derive(Debug, Clone)]
pub struct ValueReport {
    pub period: Period,
    /// For numeric kinds (percentages, quantities, counts).
    pub value: Option<ExactDecimal>,
    /// For yes/no indicators.
    pub implemented: Option<bool>,
    pub note: Option<String>,
    pub evidence: Vec<String>,
    /// The current revision the report is based on (0: there is none yet).
    pub expected_revision: Option<i32>,
}

/// A report checked against its indicator: what will be stored.
#[derive(Debug, Clone)]
pub(crate) struct CheckedReport {
    pub period: Period,
    pub value: Option<ExactDecimal>,
    pub implemented: Option<bool>,
    pub note: Option<String>,
    pub evidence: Vec<String>,
}

/// Checks a report against its indicator (granularity, a period begun, the kind's value,
/// text limits): the same rules for one report and for each row of an import.
pub(crate) fn check_report(
    indicator: &indicator::Model,
    report: &ValueReport,
    limits: TextLimits,
) -> AppResult<CheckedReport> {
    let (kind, frequency) = (indicator.kind, indicator.frequency);
    let period = report.period;
    if period.frequency() != frequency {
        return Err(AppError::validation(format!(
            "{} is reported {}: period {period} has the wrong granularity",
            indicator.code,
            granularity(frequency)
        )));
    }
    if period.is_future(period::today_in_county(crate::clock::now())) {
        return Err(AppError::validation(format!("period {period} has not begun yet")));
    }
    let (value, implemented) = match (kind.is_numeric(), report.value, report.implemented) {
        (_, Some(_), Some(_)) => {
            return Err(AppError::validation("give either `value` or `implemented`, not both"));
        }
        (true, Some(v), None) => {
            kind.check_value(v)?;
            (Some(v), None)
        }
        (true, None, _) => {
            return Err(AppError::validation(format!("{} takes a numeric `value`", indicator.code)));
        }
        (false, None, Some(b)) => (None, Some(b)),
        (false, _, None) => {
            return Err(AppError::validation(format!("{} is a yes/no indicator: give `implemented`", indicator.code)));
        }
    };
    if report.expected_revision.is_some_and(|r| r < 0) {
        return Err(AppError::validation("expectedRevision must not be negative"));
    }
    Ok(CheckedReport {
        period,
        value,
        implemented,
        note: text::optional_bounded("note", report.note.as_deref(), limits.note_chars)?,
        evidence: text::evidence(&report.evidence, limits.evidence_items, limits.evidence_chars)?,
    })
}

/// How often an indicator of `frequency` is reported, in words (with an example period).
pub(crate) fn granularity(frequency: Frequency) -> &'static str {
    match frequency {
        Frequency::Annual => "per year (e.g. 2021)",
        Frequency::Quarterly => "per quarter (e.g. 2021-Q3)",
        Frequency::Monthly => "per month (e.g. 2021-07)",
    }
}

/// The current revision: the latest one not rejected.
pub fn current_of(revisions: &[indicator_value::Model]) -> Option<&indicator_value::Model> {
    revisions.iter().filter(|r| r.status != ValueStatus::Rejected).max_by_key(|r| r.revision)
}

/// Moves the `is_current` flag of a key from `from` (if any) to `to` (if any), unsetting first
/// so that the partial unique index never sees two current revisions.
async fn move_current(db: &sea_orm::DatabaseTransaction, from: Option<i64>, to: Option<i64>) -> AppResult<()> {
    if let Some(id) = from {
        indicator_value::Entity::update_many()
            .col_expr(indicator_value::Column::IsCurrent, Expr::val(false))
            .filter(indicator_value::Column::Id.eq(id))
            .filter(indicator_value::Column::IsCurrent.eq(true))
            .exec(db)
            .await?;
    }
    if let Some(id) = to {
        indicator_value::Entity::update_many()
            .col_expr(indicator_value::Column::IsCurrent, Expr::val(true))
            .filter(indicator_value::Column::Id.eq(id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// A revision's natural key, e.g. `straw_utilization_rate/2022#2`.
fn value_key(indicator: &indicator::Model, v: &indicator_value::Model) -> String {
    format!("{}/{}#{}", indicator.code, v.period, v.revision)
}

/// The JSON kept in the audit trail for a revision.
pub fn audit_json(v: &indicator_value::Model) -> serde_json::Value {
    json!({
        "id": v.id, "indicatorId": v.indicator_id, "period": v.period, "revision": v.revision,
        "value": v.value, "implemented": v.implemented, "status": v.status, "unitId": v.unit_id,
        "note": v.note, "evidence": v.evidence, "reviewReason": v.review_reason,
    })
}

/// Stores a new revision of the indicator's value for the period, with its audit event,
/// in one transaction. With `expected_revision`, a report not based on the current
/// revision is a CONFLICT and writes nothing. With an idempotency key already used for
/// this same report, nothing is written and the revision that request stored is returned.
#[tracing::instrument(skip_all, fields(indicator = %indicator.code, period = %report.period))]
pub async fn report(
    db: &Db,
    actor: Actor<'_>,
    indicator: &indicator::Model,
    report: &ValueReport,
    limits: TextLimits,
    idempotency: Option<&IdempotencyKey>,
) -> AppResult<indicator_value::Model> {
    let checked = check_report(indicator, report, limits)?;
    // A retry with a key replays after losing a race to its own first attempt.
    let optimistic = report.expected_revision.is_some() && idempotency.is_none();
    append_with_retries(optimistic, "report for this indicator and period", || {
        try_report(db, actor, indicator, &checked, report.expected_revision, idempotency)
    })
    .await
}

/// The canonical content of a report, for its idempotency key.
pub fn report_fingerprint(indicator_code: &str, report: &ValueReport) -> serde_json::Value {
    json!({
        "indicator": indicator_code, "period": report.period.to_string(),
        "value": report.value.map(|v| v.to_string()), "implemented": report.implemented,
        "note": report.note, "evidence": report.evidence, "expectedRevision": report.expected_revision,
    })
}

async fn try_report(
    db: &Db,
    actor: Actor<'_>,
    indicator: &indicator::Model,
    checked: &CheckedReport,
    expected_revision: Option<i32>,
    idempotency: Option<&IdempotencyKey>,
) -> AppResult<Attempt<indicator_value::Model>> {
    let write = Write::begin(db).await?;
    let tx = write.tx();
    if let Some(key) = idempotency {
        if let Some(id) = idempotency::replay(tx, key).await? {
            return Ok(Attempt::Done(find_value(tx, id).await?));
        }
    }
    let unit_id = actor.identity.unit_id();
    let (stored, record) = match append_revision(
        tx,
        &actor.identity.subject,
        unit_id,
        indicator,
        checked,
        expected_revision,
        Sameness::StoreAnyway,
    )
    .await?
    {
        Appended::Stored(stored, record) => (stored, record),
        Appended::Unchanged(current) => return Ok(Attempt::Done(current)),
        Appended::LostRace => return Ok(Attempt::LostRace),
    };
    if let Some(key) = idempotency {
        if !idempotency::remember(tx, key, stored.id).await? {
            // A concurrent request with the same key committed first: replay it.
            return Ok(Attempt::LostRace);
        }
    }
    write.commit(actor, record).await?;
    Ok(Attempt::Done(stored))
}

/// Whether a report equal to the current revision is stored again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sameness {
    /// `reportIndicatorValue`: every report is a revision (the department said it again).
    StoreAnyway,
    /// A bulk import: a row saying what the current revision says stores nothing.
    SkipEqual,
}

/// What [`append_revision`] did.
pub(crate) enum Appended {
    /// A new revision, with the record of the write (audit event and change).
    Stored(indicator_value::Model, Record),
    /// The report equals the current revision (with [`Sameness::SkipEqual`]).
    Unchanged(indicator_value::Model),
    /// A concurrent writer took the revision number: try again.
    LostRace,
}

/// Whether a checked report says what a stored revision says: the same value (or yes/no),
/// and the same note unless the report has none.
fn says_the_same(checked: &CheckedReport, current: &indicator_value::Model) -> bool {
    checked.value == current.value
        && checked.implemented == current.implemented
        && (checked.note.is_none() || checked.note == current.note)
        && (checked.evidence.is_empty() || json!(checked.evidence) == current.evidence)
}

/// Appends a revision of the indicator's value for the period in `tx`, as reported for
/// `unit_id` by `reported_by`: the one rule of revisions (the optimistic check, the current flag, the next
/// number), shared by `reportIndicatorValue` and bulk imports. The caller records the
/// returned [`Record`] with its [`Write`].
pub(crate) async fn append_revision(
    tx: &sea_orm::DatabaseTransaction,
    reported_by: &str,
    unit_id: Option<i32>,
    indicator: &indicator::Model,
    checked: &CheckedReport,
    expected_revision: Option<i32>,
    sameness: Sameness,
) -> AppResult<Appended> {
    let period = checked.period.to_string();
    // The current revision and the latest one (at most two rows, by index, however many
    // revisions the period has).
    let latest = Query::select()
        .expr(Expr::col(indicator_value::Column::Revision).max())
        .from(indicator_value::Entity)
        .and_where(Expr::col(indicator_value::Column::IndicatorId).eq(indicator.id))
        .and_where(Expr::col(indicator_value::Column::Period).eq(period.clone()))
        .to_owned();
    let revisions = indicator_value::Entity::find()
        .filter(indicator_value::Column::IndicatorId.eq(indicator.id))
        .filter(indicator_value::Column::Period.eq(period.clone()))
        .filter(
            sea_orm::Condition::any()
                .add(indicator_value::Column::IsCurrent.eq(true))
                .add(indicator_value::Column::Revision.in_subquery(latest)),
        )
        .all(tx)
        .await?;
    let current = revisions.iter().find(|r| r.is_current);
    let current_revision = current.map(|c| c.revision).unwrap_or(0);
    if let Some(expected) = expected_revision {
        if expected != current_revision {
            return Err(AppError::conflict(format!(
                "the current revision of {} for {period} is {current_revision}, not {expected}; reload and try again",
                indicator.code
            )));
        }
    }
    if let Some(c) = current.filter(|c| sameness == Sameness::SkipEqual && says_the_same(checked, c)) {
        return Ok(Appended::Unchanged(c.clone()));
    }
    let next = revisions.iter().map(|r| r.revision).max().unwrap_or(0) + 1;
    move_current(tx, current.map(|c| c.id), None).await?;
    let row = indicator_value::ActiveModel {
        id: NotSet,
        indicator_id: Set(indicator.id),
        period: Set(checked.period),
        revision: Set(next),
        value: Set(checked.value),
        implemented: Set(checked.implemented),
        status: Set(ValueStatus::Submitted),
        unit_id: Set(unit_id),
        reported_by: Set(reported_by.to_string()),
        reported_at: Set(crate::clock::now()),
        note: Set(checked.note.clone()),
        evidence: Set(json!(checked.evidence)),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        review_reason: Set(None),
        is_current: Set(true),
    };
    let stored = match row.insert(tx).await {
        Ok(v) => v,
        Err(e) if is_unique_violation(&e) => return Ok(Appended::LostRace),
        Err(e) => return Err(e.into()),
    };
    let record = Record::new("indicator_value.report", "indicator_value", value_key(indicator, &stored))
        .scope(unit_id)
        .before(current.map(audit_json))
        .after(Some(audit_json(&stored)))
        .change(ChangeKind::Value, ChangeOperation::Upsert, stored.id, Some(indicator.task_id));
    Ok(Appended::Stored(stored, record))
}

/// The assessment office's decision on a revision.
#[derive(Debug, Clone)]
pub enum Review {
    Verify { reason: Option<String> },
    Reject { reason: String },
}

pub async fn find_value(db: &impl ConnectionTrait, id: i64) -> AppResult<indicator_value::Model> {
    indicator_value::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no reported value has the id {id}")))
}

/// Verifies or rejects a revision: SUBMITTED → VERIFIED, SUBMITTED or VERIFIED → REJECTED.
#[tracing::instrument(skip_all, fields(value_id = value_id))]
pub async fn review(
    db: &Db,
    actor: Actor<'_>,
    value_id: i64,
    decision: Review,
    limits: TextLimits,
) -> AppResult<indicator_value::Model> {
    let (target, reason, action) = match &decision {
        Review::Verify { reason } => (
            ValueStatus::Verified,
            text::optional_bounded("reason", reason.as_deref(), limits.note_chars)?,
            "indicator_value.verify",
        ),
        Review::Reject { reason } => {
            (ValueStatus::Rejected, Some(text::bounded("reason", reason, limits.note_chars)?), "indicator_value.reject")
        }
    };
    let write = Write::begin(db).await?;
    let tx = write.tx();
    let before = find_value(tx, value_id).await?;
    let status = before.status;
    let allowed = match target {
        ValueStatus::Verified => status == ValueStatus::Submitted,
        ValueStatus::Rejected => status != ValueStatus::Rejected,
        ValueStatus::Submitted => false,
    };
    if !allowed {
        return Err(AppError::conflict(format!(
            "revision {} is {}; it cannot become {}",
            before.revision,
            status.as_str(),
            target.as_str()
        )));
    }
    let now = crate::clock::now();
    let updated = indicator_value::Entity::update_many()
        .col_expr(indicator_value::Column::Status, Expr::val(target))
        .col_expr(indicator_value::Column::ReviewedBy, Expr::val(actor.identity.subject.clone()))
        .col_expr(indicator_value::Column::ReviewedAt, Expr::val(now))
        .col_expr(indicator_value::Column::ReviewReason, Expr::val(reason.clone()))
        .filter(indicator_value::Column::Id.eq(value_id))
        .filter(indicator_value::Column::Status.eq(before.status))
        .exec(tx)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::conflict("the value was reviewed by someone else at the same time; reload"));
    }
    let mut is_current = before.is_current;
    if target == ValueStatus::Rejected && before.is_current {
        // The latest revision still counting becomes current again.
        let remaining = revisions(tx, before.indicator_id, before.period).await?;
        let next = current_of(&remaining).map(|r| r.id);
        move_current(tx, Some(before.id), next).await?;
        is_current = false;
    }
    let after = indicator_value::Model {
        status: target,
        reviewed_by: Some(actor.identity.subject.clone()),
        reviewed_at: Some(now),
        review_reason: reason,
        is_current,
        ..before.clone()
    };
    let ind = indicator::Entity::find_by_id(before.indicator_id)
        .one(tx)
        .await?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("value {value_id} without indicator")))?;
    let operation = if target == ValueStatus::Rejected { ChangeOperation::Tombstone } else { ChangeOperation::Upsert };
    let record = Record::new(action, "indicator_value", value_key(&ind, &before))
        .scope(before.unit_id)
        .before(Some(audit_json(&before)))
        .after(Some(audit_json(&after)))
        .change(ChangeKind::Value, operation, before.id, Some(ind.task_id));
    write.commit(actor, record).await?;
    Ok(after)
}

/// Every revision of an indicator (optionally of one period), oldest first.
pub async fn list_values(
    db: &impl ConnectionTrait,
    indicator_id: i32,
    period: Option<Period>,
    page: PageRequest,
) -> AppResult<Page<indicator_value::Model>> {
    keyset_page(db, values_of(indicator_id, period), indicator_value::Column::Id, page).await
}

/// The revisions of an indicator (of one period, when given), as a query to page.
pub fn values_of(indicator_id: i32, period: Option<Period>) -> sea_orm::Select<indicator_value::Entity> {
    let mut base = indicator_value::Entity::find().filter(indicator_value::Column::IndicatorId.eq(indicator_id));
    if let Some(p) = period {
        base = base.filter(indicator_value::Column::Period.eq(p.to_string()));
    }
    base
}

/// All revisions of one indicator and period, by revision.
pub async fn revisions(
    db: &impl ConnectionTrait,
    indicator_id: i32,
    period: Period,
) -> AppResult<Vec<indicator_value::Model>> {
    Ok(indicator_value::Entity::find()
        .filter(indicator_value::Column::IndicatorId.eq(indicator_id))
        .filter(indicator_value::Column::Period.eq(period.to_string()))
        .order_by_asc(indicator_value::Column::Revision)
        .all(db)
        .await?)
}

/// The statement behind [`current_values`]: flagged current revisions by index, each with
/// its year's superior target.
pub fn current_values_statement(indicator_ids: &[i32], periods: &[String]) -> SelectStatement {
    let iv = Alias::new("iv");
    let mut select = Query::select();
    for col in indicator_value::Column::iter() {
        select.column((iv.clone(), col));
    }
    select
        .expr_as(
            Expr::cust(
                "(SELECT st.target FROM superior_target st WHERE st.indicator_id = iv.indicator_id \
                 AND st.year = CAST(SUBSTR(iv.period, 1, 4) AS INTEGER))",
            ),
            "superior_target",
        )
        .from_as(indicator_value::Entity, iv.clone())
        .and_where(Expr::col((iv.clone(), indicator_value::Column::IndicatorId)).is_in(indicator_ids.iter().copied()))
        .and_where(Expr::col((iv.clone(), indicator_value::Column::Period)).is_in(periods.iter().cloned()))
        .and_where(Expr::col((iv, indicator_value::Column::IsCurrent)).eq(true))
        .to_owned()
}

/// The current revision of a period with the superior target of its year.
#[derive(Debug, Clone)]
pub struct CurrentValue {
    pub value: indicator_value::Model,
    pub superior_target: Option<ExactDecimal>,
}

/// The current revision of each (indicator, period), with the year's superior target: one
/// statement for any number of keys.
pub async fn current_values(
    db: &impl ConnectionTrait,
    keys: &[(i32, Period)],
) -> AppResult<HashMap<(i32, Period), CurrentValue>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let mut ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut periods: Vec<String> = keys.iter().map(|k| k.1.to_string()).collect();
    periods.sort_unstable();
    periods.dedup();
    let select = current_values_statement(&ids, &periods);
    let rows = db.query_all(&select).await?;
    let wanted: std::collections::HashSet<&(i32, Period)> = keys.iter().collect();
    let mut out = HashMap::new();
    for row in &rows {
        let value = indicator_value::Model::from_query_result(row, "")?;
        let period = value.period;
        let key = (value.indicator_id, period);
        if !wanted.contains(&key) {
            continue;
        }
        let superior_target = row.try_get::<Option<ExactDecimal>>("", "superior_target")?;
        out.insert(key, CurrentValue { value, superior_target });
    }
    Ok(out)
}
