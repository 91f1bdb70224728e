//! `ecoplan backup FILE` and `ecoplan restore FILE`.
//!
//! Backups are consistent under write load: every write acknowledged before the backup
//! began is in it, and nothing half-written is.
//! - SQLite: `VACUUM INTO FILE`, which reads the whole database in one read transaction
//!   (writers go on meanwhile). Never copy a live database file with `cp`: the copy can
//!   miss committed writes still in the WAL, or be torn.
//! - PostgreSQL: `pg_dump --format=custom`, one snapshot (REPEATABLE READ) of the whole
//!   database. `pg_dump` must be on the PATH or in `$PGBIN` (or
//!   `/usr/lib/postgresql/15/bin`), of a version at least the server's.
//!
//! A restore replaces the database's contents with the backup's, migrates them to this
//! version, and starts a new incarnation (with the next epoch) in the same transaction on
//! SQLite and right after on PostgreSQL: cursors, cached responses and subscriptions from
//! before are refused with RESYNC_REQUIRED or dropped, never served as if nothing happened.
//! - SQLite: the backup is copied aside and migrated; then, in one write transaction on the
//!   target (running instances keep serving and see the switch at once), every table is
//!   replaced by the backup's rows. A target that does not exist yet is simply created.
//! - PostgreSQL: `pg_restore --clean --if-exists --single-transaction` into the target
//!   database, then the migrations and the new incarnation.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

use crate::config::Settings;
use crate::db::{incarnation, redact, Db};

/// Where a PostgreSQL client program is.
fn pg_program(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("PGBIN") {
        return Path::new(&dir).join(name);
    }
    let debian = Path::new("/usr/lib/postgresql/15/bin").join(name);
    if debian.exists() {
        return debian;
    }
    PathBuf::from(name)
}

fn run(mut command: Command, what: &str) -> anyhow::Result<()> {
    let output = command.output().with_context(|| format!("cannot run {what} (is it installed? set PGBIN)"))?;
    if !output.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(())
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Writes a consistent backup of the database to `out` (which must not exist).
pub async fn backup(db: &Db, out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        bail!("{} exists; a backup never overwrites a file", out.display());
    }
    match db.backend() {
        DbBackend::Postgres => {
            let mut cmd = Command::new(pg_program("pg_dump"));
            cmd.arg("--format=custom").arg("--no-owner").arg("--no-privileges").arg("--file").arg(out);
            cmd.arg("--dbname").arg(&db.url);
            run(cmd, "pg_dump")
        }
        _ => {
            let target = out.to_str().context("the backup path is not UTF-8")?;
            db.conn
                .execute_unprepared(&format!("VACUUM INTO {}", sql_string(target)))
                .await
                .with_context(|| format!("cannot write the backup to {}", out.display()))?;
            Ok(())
        }
    }
}

/// Replaces the database of `settings` with the backup in `file`; returns the new
/// incarnation.
pub async fn restore(settings: &Settings, file: &Path) -> anyhow::Result<incarnation::Incarnation> {
    if !file.is_file() {
        bail!("{} is not a file", file.display());
    }
    if settings.database.url.starts_with("sqlite:") {
        restore_sqlite(settings, file).await
    } else {
        restore_postgres(settings, file).await
    }
}

async fn restore_postgres(settings: &Settings, file: &Path) -> anyhow::Result<incarnation::Incarnation> {
    let mut cmd = Command::new(pg_program("pg_restore"));
    cmd.args(["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]);
    cmd.arg("--dbname").arg(&settings.database.url).arg(file);
    run(cmd, "pg_restore").with_context(|| format!("restoring into {}", redact(&settings.database.url)))?;
    let db = Db::connect(settings).await?;
    db.migrate().await?;
    let renewed = incarnation::renew(&db.conn).await?;
    db.conn.close().await.ok();
    Ok(renewed)
}

async fn restore_sqlite(settings: &Settings, file: &Path) -> anyhow::Result<incarnation::Incarnation> {
    let target = super::sqlite_path(&settings.database.url)
        .with_context(|| format!("{} names no database file", settings.database.url))?;
    // The backup, copied aside and brought to this version's schema.
    let staged = target.with_extension(format!("restore-{}", uuid::Uuid::new_v4().simple()));
    std::fs::copy(file, &staged).with_context(|| format!("cannot copy {} next to the database", file.display()))?;
    let staged_guard = Staged(staged.clone());
    {
        let mut staged_settings = settings.clone();
        staged_settings.database.url = format!("sqlite://{}?mode=rw", staged.display());
        let db = Db::connect_single(&staged_settings).await?;
        let findings = super::health::integrity_findings(&db, false).await?;
        if !findings.is_empty() {
            bail!("{} is damaged: {}", file.display(), findings.join("; "));
        }
        db.migrate().await.context("the backup cannot be brought to this version")?;
        db.conn.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
        db.conn.close().await.ok();
    }
    if !target.exists() {
        std::fs::rename(&staged, &target).context("cannot move the restored database into place")?;
        std::mem::forget(staged_guard);
        let db = Db::connect(settings).await?;
        let renewed = incarnation::renew(&db.conn).await?;
        db.conn.close().await.ok();
        return Ok(renewed);
    }
    // In place: one write transaction replaces every table; instances running on the file
    // see the old data or the restored data, never a mix.
    let db = Db::connect_single(settings).await?;
    let staged_path = staged.to_str().context("the database path is not UTF-8")?;
    db.conn.execute_unprepared(&format!("ATTACH DATABASE {} AS restored", sql_string(staged_path))).await?;
    let result = async {
        let tables: Vec<String> = db
            .conn
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT name FROM restored.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
                    .to_string(),
            ))
            .await?
            .iter()
            .map(|r| r.try_get_by_index::<String>(0))
            .collect::<Result<_, _>>()?;
        let tx = db
            .conn
            .begin_with_options(sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        tx.execute_unprepared("PRAGMA defer_foreign_keys = ON").await?;
        for table in &tables {
            let columns: Vec<String> = tx
                .query_all_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    format!("SELECT name FROM pragma_table_info({}, 'main')", sql_string(table)),
                ))
                .await?
                .iter()
                .map(|r| r.try_get_by_index::<String>(0))
                .collect::<Result<_, _>>()?;
            if columns.is_empty() {
                anyhow::bail!("the database has no table {table}, which the backup has");
            }
            let list = columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
            tx.execute_unprepared(&format!("DELETE FROM main.\"{table}\"")).await?;
            tx.execute_unprepared(&format!(
                "INSERT INTO main.\"{table}\" ({list}) SELECT {list} FROM restored.\"{table}\""
            ))
            .await?;
        }
        // Ids continue from the backup's, as they would have.
        tx.execute_unprepared("DELETE FROM main.sqlite_sequence").await?;
        tx.execute_unprepared("INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM restored.sqlite_sequence")
            .await?;
        let renewed = incarnation::renew(&tx).await?;
        tx.commit().await?;
        Ok(renewed)
    }
    .await;
    db.conn.execute_unprepared("DETACH DATABASE restored").await.ok();
    db.conn.close().await.ok();
    drop(staged_guard);
    result
}

/// Deletes a staged copy (and its WAL companions) when dropped.
struct Staged(PathBuf);

impl Drop for Staged {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}
