//! Applying migrations safely.
//!
//! - Every migration runs in one transaction with its `seaql_migrations` row, on SQLite
//!   too (each migration says so), so a process killed during a migration leaves the
//!   database as it was before it: the next start applies it again from the beginning.
//! - On PostgreSQL, instances started together take an advisory lock first: one applies
//!   the migrations, the others wait for it and then find nothing to do.
//! - Before anything is applied, the recorded migrations must be exactly the first ones
//!   this binary knows, in order. A row missing in the middle (removed by hand), a row
//!   this binary does not know (a newer version ran here), or ecoplan's tables without
//!   any row are refused with a message that says which, instead of re-running a
//!   migration over data.

use anyhow::{bail, Context};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::{self, Connection};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::db::Db;

/// The advisory lock key of ecoplan's migrations ("ecoplan" in ASCII).
const MIGRATION_LOCK: i64 = 0x65_636f_706c_616e;

/// The migrations this binary knows, in order.
pub fn known() -> Vec<String> {
    Migrator::migrations().iter().map(|m| m.name().to_string()).collect()
}

async fn table_exists(db: &Db, table: &str) -> anyhow::Result<bool> {
    let sql = match db.backend() {
        DbBackend::Postgres => format!(
            "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = '{table}'"
        ),
        _ => format!("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
    };
    let row = db.conn.query_one_raw(Statement::from_string(db.backend(), sql)).await?.context("no row")?;
    Ok(row.try_get_by_index::<i64>(0)? > 0)
}

/// The migrations recorded as applied, in name order (which is their order).
pub async fn applied(db: &Db) -> anyhow::Result<Vec<String>> {
    if !table_exists(db, "seaql_migrations").await? {
        return Ok(Vec::new());
    }
    let rows = db
        .conn
        .query_all_raw(Statement::from_string(
            db.backend(),
            "SELECT version FROM seaql_migrations ORDER BY version".to_string(),
        ))
        .await?;
    rows.iter().map(|r| r.try_get_by_index::<String>(0).map_err(Into::into)).collect()
}

/// Refuses a database whose recorded migrations are not a prefix of the known ones.
pub fn check_recorded(known: &[String], applied: &[String], has_tables: bool) -> anyhow::Result<()> {
    if let Some(unknown) = applied.iter().find(|a| !known.contains(a)) {
        bail!(
            "the database records migration {unknown}, which this ecoplan does not know: it was migrated by a newer \
             version; run that version (or restore a backup made for this one)"
        );
    }
    for (i, name) in applied.iter().enumerate() {
        if known.get(i) != Some(name) {
            let missing = known.get(i).map(String::as_str).unwrap_or("?");
            bail!(
                "the database records migration {name} but not {missing}, which comes before it: the migration table \
                 was edited by hand. ecoplan will not apply {missing} again over existing data; restore a backup, or \
                 put the row back if {missing} is in fact applied"
            );
        }
    }
    if applied.is_empty() && has_tables {
        bail!(
            "the database has ecoplan's tables but no record of its migrations (the seaql_migrations table is empty or \
             gone); ecoplan will not apply them again over existing data: restore a backup"
        );
    }
    Ok(())
}

/// Refuses a database that is not at this version's schema, without changing it: for
/// commands that must not create or upgrade one (`token issue`).
pub async fn require_current(db: &Db) -> anyhow::Result<()> {
    let known = known();
    let applied = applied(db).await.context("cannot read the applied migrations")?;
    let has_tables = table_exists(db, "unit").await?;
    check_recorded(&known, &applied, has_tables)?;
    if applied.len() < known.len() {
        bail!(
            "the database {} has {} of {} migrations applied: run `ecoplan migrate` (or start `ecoplan serve`) on it first",
            crate::db::redact(&db.url),
            applied.len(),
            known.len()
        );
    }
    Ok(())
}

/// Checks the recorded migrations, then applies the pending ones (under the advisory lock
/// on PostgreSQL).
pub async fn up(db: &Db) -> anyhow::Result<()> {
    let lock = match db.backend() {
        DbBackend::Postgres => Some(lock(db).await?),
        _ => None,
    };
    let result = apply(db).await;
    if let Some(mut conn) = lock {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK).execute(&mut conn).await;
        let _ = conn.close().await;
    }
    result
}

async fn apply(db: &Db) -> anyhow::Result<()> {
    let known = known();
    let applied = applied(db).await.context("cannot read the applied migrations")?;
    let has_tables = table_exists(db, "unit").await?;
    check_recorded(&known, &applied, has_tables)?;
    if applied.len() == known.len() {
        return Ok(());
    }
    // On SQLite another process starting at the same time may apply a migration between
    // our reading the pending ones and applying them (there is no advisory lock; each
    // migration is all or nothing): its row then collides with ours, and we try again
    // from what is recorded now.
    let mut attempt = 0u64;
    loop {
        match Migrator::up(&db.conn, None).await {
            Ok(()) => return Ok(()),
            Err(e) => {
                attempt += 1;
                let now = self::applied(db).await.unwrap_or_default();
                if now == known {
                    tracing::info!("another process applied the migrations meanwhile");
                    return Ok(());
                }
                if attempt >= 10 || now.len() <= applied.len() && attempt >= 3 {
                    return Err(anyhow::Error::new(e).context("migration failed"));
                }
                tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
            }
        }
    }
}

/// A connection of its own holding the migration lock until it is closed.
async fn lock(db: &Db) -> anyhow::Result<sqlx::PgConnection> {
    let url = db.url.clone();
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .with_context(|| format!("cannot connect to {} for the migration lock", crate::db::redact(&url)))?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut conn)
        .await
        .context("cannot take the migration lock")?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recorded_migrations_must_be_a_prefix_of_the_known_ones() {
        let known = names(&["m1", "m2", "m3"]);
        assert!(check_recorded(&known, &[], false).is_ok(), "a new database");
        assert!(check_recorded(&known, &names(&["m1"]), true).is_ok(), "one pending");
        assert!(check_recorded(&known, &known, true).is_ok(), "up to date");
        let e = check_recorded(&known, &names(&["m1", "m3"]), true).unwrap_err().to_string();
        assert!(e.contains("m3 but not m2"), "{e}");
        let e = check_recorded(&known, &names(&["m1", "m2", "m3", "m4"]), true).unwrap_err().to_string();
        assert!(e.contains("m4") && e.contains("newer"), "{e}");
        let e = check_recorded(&known, &[], true).unwrap_err().to_string();
        assert!(e.contains("no record"), "{e}");
    }
}
