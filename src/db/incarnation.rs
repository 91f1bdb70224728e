//! Which incarnation of the database this is.
//!
//! A database gets an incarnation id when it is created, and a new one (with its epoch
//! incremented) whenever it is restored from a backup (`ecoplan restore`), or when it is
//! found at start to carry another PostgreSQL cluster's transaction ids (a `pg_restore`
//! done by hand into a new cluster). Cursors of the change feed, cached responses and
//! subscription positions carry the incarnation, so none of them outlives a restore: a
//! client is told to sync again (RESYNC_REQUIRED) instead of being served as if nothing
//! had happened.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::error::{AppError, AppResult};

/// The subquery of the current epoch, for statements that stamp or filter by it.
pub const CURRENT_EPOCH: &str = "(SELECT epoch FROM database_incarnation WHERE id = 1)";

/// The subquery of the current incarnation id.
pub const CURRENT_INCARNATION: &str = "(SELECT incarnation FROM database_incarnation WHERE id = 1)";

/// The incarnation id and epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incarnation {
    pub id: String,
    pub epoch: i64,
}

/// Reads the current incarnation.
pub async fn current(conn: &impl ConnectionTrait) -> AppResult<Incarnation> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT incarnation, epoch FROM database_incarnation WHERE id = 1".to_string(),
        ))
        .await?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("the database has no incarnation row")))?;
    Ok(Incarnation { id: row.try_get_by_index(0)?, epoch: row.try_get_by_index(1)? })
}

/// Starts a new incarnation: a new id and the next epoch. Run in the transaction that
/// restores the data.
pub async fn renew(conn: &impl ConnectionTrait) -> AppResult<Incarnation> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let now = match conn.get_database_backend() {
        DbBackend::Postgres => "now()",
        _ => "CURRENT_TIMESTAMP",
    };
    conn.execute_raw(Statement::from_sql_and_values(
        conn.get_database_backend(),
        match conn.get_database_backend() {
            DbBackend::Postgres => format!(
                "UPDATE database_incarnation SET incarnation = $1, epoch = epoch + 1, created_at = {now} WHERE id = 1"
            ),
            _ => format!(
                "UPDATE database_incarnation SET incarnation = ?, epoch = epoch + 1, created_at = {now} WHERE id = 1"
            ),
        },
        [id.into()],
    ))
    .await?;
    current(conn).await
}

/// On PostgreSQL: whether the change log's current epoch holds transaction ids this
/// cluster has not reached yet, i.e. the data was restored from another cluster without
/// `ecoplan restore`. Its changes would then be withheld from the feed until this cluster
/// caught up, and new changes would sort before them.
pub async fn restored_from_another_cluster(conn: &impl ConnectionTrait) -> AppResult<bool> {
    if conn.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    let row = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT COUNT(*) FROM change_log WHERE epoch = {CURRENT_EPOCH} \
                 AND txid >= (pg_snapshot_xmax(pg_current_snapshot())::text)::bigint"
            ),
        ))
        .await?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no row")))?;
    Ok(row.try_get_by_index::<i64>(0)? > 0)
}

/// Starts a new incarnation when the data came from another cluster (see
/// [`restored_from_another_cluster`]); returns it when it did.
pub async fn renew_if_restored_elsewhere(conn: &impl ConnectionTrait) -> AppResult<Option<Incarnation>> {
    if !restored_from_another_cluster(conn).await? {
        return Ok(None);
    }
    let renewed = renew(conn).await?;
    tracing::warn!(
        incarnation = %renewed.id,
        epoch = renewed.epoch,
        "the change log carries another cluster's transaction ids (restored without `ecoplan restore`): \
         started a new incarnation; clients must sync again"
    );
    Ok(Some(renewed))
}
