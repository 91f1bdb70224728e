//! Incremental sync: the change log, written in every write's transaction, and the feed
//! clients page through with an opaque cursor.
//!
//! Order and completeness. Changes are returned in (epoch, txid, seq) order, where epoch is
//! the database's epoch when they were written (a restore starts a new one), txid the id of
//! the transaction that wrote them (PostgreSQL's `pg_current_xact_id()`; 0 on SQLite) and
//! seq the log's own sequence. On PostgreSQL a change of the current epoch is returned
//! only once every transaction with a smaller id has finished
//! (`txid < pg_snapshot_xmin(pg_current_snapshot())`): a transaction that started earlier
//! but commits later can therefore never slip in behind a cursor a client already holds.
//! Changes of earlier epochs all committed before the restore that ended their epoch, so
//! they are always visible (their transaction ids may come from another cluster and mean
//! nothing here). On SQLite writers are serialized by the database lock, so seq order is
//! commit order. A cursor names the last change a client received and the incarnation of
//! the database that handed it out; the next page starts strictly after it, so nothing is
//! returned twice, and a cursor of another incarnation (a restore happened) or one that
//! names no change of the log is refused with RESYNC_REQUIRED, never answered with an
//! empty page.

use chrono::{DateTime, Utc};
use entity::change_log;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

use crate::auth::policy::TaskScope;
use crate::error::{AppError, AppResult};

pub use crate::domain::sync::{ChangeKind, ChangeOperation};

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: ChangeKind,
    pub operation: ChangeOperation,
    pub entity_id: i64,
    pub related_id: Option<i64>,
    pub key: String,
    pub task_id: Option<i32>,
    /// The audit action of the write, e.g. `indicator_value.report`.
    pub action: &'static str,
}

/// Appends a change, in the write's transaction (only `write::Write::commit` calls it).
pub(super) async fn record(conn: &sea_orm::DatabaseTransaction, change: Change) -> AppResult<()> {
    let txid = match conn.get_database_backend() {
        DbBackend::Postgres => Expr::cust("(pg_current_xact_id()::text)::bigint"),
        _ => Expr::val(0i64),
    };
    let epoch = Expr::cust(crate::db::incarnation::CURRENT_EPOCH);
    let kind: &'static str = change.kind.into();
    let operation: &'static str = change.operation.into();
    let stmt = Query::insert()
        .into_table(change_log::Entity)
        .columns([
            change_log::Column::Epoch,
            change_log::Column::Txid,
            change_log::Column::Kind,
            change_log::Column::EntityId,
            change_log::Column::RelatedId,
            change_log::Column::EntityKey,
            change_log::Column::Operation,
            change_log::Column::Action,
            change_log::Column::TaskId,
            change_log::Column::ChangedAt,
        ])
        .values([
            epoch,
            txid,
            Expr::val(kind),
            Expr::val(change.entity_id),
            Expr::val(change.related_id),
            Expr::val(change.key),
            Expr::val(operation),
            Expr::val(change.action),
            Expr::val(change.task_id),
            Expr::val(crate::clock::now()),
        ])
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("change_log insert: {e}")))?
        .to_owned();
    conn.execute(&stmt).await?;
    Ok(())
}

/// A position in the feed (fields in order of precedence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub epoch: i64,
    pub txid: i64,
    pub seq: i64,
}

impl Position {
    pub fn of(c: &change_log::Model) -> Position {
        Position { epoch: c.epoch, txid: c.txid, seq: c.seq }
    }
}

/// A client's cursor: a position and the incarnation of the database that handed it out
/// (absent in cursors issued before incarnations existed, which belong to epoch 1 of the
/// current one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub incarnation: Option<String>,
    pub position: Position,
}

/// Checks a cursor against the database: refused with RESYNC_REQUIRED when it comes from
/// another incarnation or names no change of the log (the log is behind it: restored from
/// an older copy). Returns the current incarnation, for the cursors of the next page.
pub async fn check_cursor(
    conn: &impl ConnectionTrait,
    cursor: Option<&Cursor>,
) -> AppResult<crate::db::incarnation::Incarnation> {
    use crate::db::incarnation::{CURRENT_EPOCH, CURRENT_INCARNATION};
    let p = cursor.map(|c| c.position).unwrap_or(Position { epoch: 0, txid: 0, seq: 0 });
    let stmt = Query::select()
        .expr_as(Expr::cust(CURRENT_INCARNATION), "incarnation")
        .expr_as(Expr::cust(CURRENT_EPOCH), "epoch")
        .expr_as(
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(change_log::Entity)
                    .and_where(change_log::Column::Seq.eq(p.seq))
                    .and_where(change_log::Column::Epoch.eq(p.epoch))
                    .and_where(change_log::Column::Txid.eq(p.txid))
                    .to_owned(),
            ),
            "known",
        )
        .to_owned();
    let row = conn.query_one(&stmt).await?.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no row")))?;
    let current =
        crate::db::incarnation::Incarnation { id: row.try_get("", "incarnation")?, epoch: row.try_get("", "epoch")? };
    let Some(cursor) = cursor else {
        return Ok(current);
    };
    if cursor.incarnation.as_ref().is_some_and(|i| *i != current.id) {
        return Err(AppError::ResyncRequired(
            "this cursor was handed out by another incarnation of the database (it has been restored from a backup \
             since): sync again from the start, without `after`"
                .into(),
        ));
    }
    if !row.try_get::<bool>("", "known")? {
        return Err(AppError::ResyncRequired(
            "this cursor names a change the log does not hold (the database is behind the cursor: it was restored \
             from an older copy): sync again from the start, without `after`"
                .into(),
        ));
    }
    Ok(current)
}

/// One page of the feed.
#[derive(Debug, Clone)]
pub struct Feed {
    pub changes: Vec<change_log::Model>,
    pub has_next: bool,
}

/// The changes after `after` (or since `since`, or from the start), oldest first, that
/// `scope` may see: every unit and membership change, and the changes of tasks in scope.
pub async fn feed(
    db: &impl ConnectionTrait,
    scope: &TaskScope,
    since: Option<DateTime<Utc>>,
    after: Option<Position>,
    first: u64,
) -> AppResult<Feed> {
    if since.is_some_and(|s| s > crate::clock::now()) {
        return Err(AppError::validation("`since` is in the future"));
    }
    let mut q = change_log::Entity::find();
    if let Some(p) = after {
        let after_txid = Condition::any()
            .add(change_log::Column::Txid.gt(p.txid))
            .add(Condition::all().add(change_log::Column::Txid.eq(p.txid)).add(change_log::Column::Seq.gt(p.seq)));
        q = q.filter(
            Condition::any()
                .add(change_log::Column::Epoch.gt(p.epoch))
                .add(Condition::all().add(change_log::Column::Epoch.eq(p.epoch)).add(after_txid)),
        );
    } else if let Some(s) = since {
        q = q.filter(change_log::Column::ChangedAt.gte(s));
    }
    if db.get_database_backend() == DbBackend::Postgres {
        // Changes of earlier epochs, and of the current one only once every transaction
        // with a smaller id has finished.
        q = q.filter(
            Condition::any()
                .add(Expr::col(change_log::Column::Epoch).lt(Expr::cust(crate::db::incarnation::CURRENT_EPOCH)))
                .add(
                    Expr::col(change_log::Column::Txid)
                        .lt(Expr::cust("(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")),
                ),
        );
    }
    if let TaskScope::AssignedTo(_) = scope {
        let visible = crate::service::tasks::scope_condition(scope);
        let tasks =
            Query::select().column(entity::task::Column::Id).from(entity::task::Entity).cond_where(visible).to_owned();
        q = q.filter(
            Condition::any()
                .add(change_log::Column::TaskId.is_null())
                .add(change_log::Column::TaskId.in_subquery(tasks)),
        );
    }
    let stmt = q
        .order_by_asc(change_log::Column::Epoch)
        .order_by_asc(change_log::Column::Txid)
        .order_by_asc(change_log::Column::Seq)
        .limit(first + 1)
        .into_query();
    let rows = db.query_all(&stmt).await?;
    let mut changes =
        rows.iter().map(|r| change_log::Model::from_query_result(r, "")).collect::<Result<Vec<_>, _>>()?;
    let has_next = changes.len() as u64 > first;
    changes.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok(Feed { changes, has_next })
}
