//! Database connection: pool settings, migrations, and the write gate.

pub mod backup;
pub mod check;
pub mod fault;
pub mod health;
pub mod incarnation;
pub mod migrate;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sqlx_core::transaction::TransactionManager as _;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::config::Settings;
use crate::error::AppResult;

/// The application's handle on the database.
///
/// SQLite allows one writer at a time and answers a second one with "database is locked"
/// instead of waiting, so on SQLite every write transaction first takes `write_gate`; on
/// PostgreSQL the gate is absent and concurrent writers rely on row locks and unique keys.
#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    /// The URL it was opened with (secrets included: never log it, see [`redact`]).
    pub(crate) url: String,
    write_gate: Option<Arc<Mutex<()>>>,
    statements: Arc<AtomicU64>,
}

/// How long an SQLite write waits for another process's writer: the server answers
/// UNAVAILABLE soon rather than hold a request; a command run beside a busy server (token
/// issue or revoke, keys, restore) waits longer rather than fail.
const SERVER_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const COMMAND_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A write transaction; on SQLite it also holds the write gate until dropped.
pub struct WriteTx {
    pub tx: DatabaseTransaction,
    _gate: Option<OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.tx
    }
}

impl WriteTx {
    /// Increments the data version (so cached responses are recomputed) and commits.
    pub(crate) async fn commit(self) -> AppResult<()> {
        self.tx.execute_unprepared("UPDATE data_version SET version = version + 1 WHERE id = 1").await?;
        self.tx.commit().await?;
        Ok(())
    }
}

impl Db {
    /// Opens the pool with short timeouts, so that a dead database fails requests quickly
    /// instead of holding them.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Db> {
        Db::open(settings, settings.database.max_connections, SERVER_BUSY_TIMEOUT).await
    }

    /// A second, one-connection handle for background work (the event poller, the health
    /// monitor, the clock), so that it never competes with requests for the pool nor shows
    /// in their statement counts. It shares `main`'s SQLite write gate.
    pub async fn connect_background(settings: &Settings, main: &Db) -> anyhow::Result<Db> {
        let mut db = Db::open(settings, 1, SERVER_BUSY_TIMEOUT).await?;
        db.write_gate = main.write_gate.clone();
        Ok(db)
    }

    /// Opens a database that must already exist: an SQLite file that is missing is an error
    /// naming the path it looked at (SQLite would otherwise create an empty one).
    pub async fn connect_existing(settings: &Settings) -> anyhow::Result<Db> {
        if let Some(path) = sqlite_path(&settings.database.url) {
            if !path.exists() {
                let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default();
                anyhow::bail!(
                    "there is no database at {} (DATABASE_URL={}, in {cwd}): run this where the server runs, or set DATABASE_URL to its database",
                    path.display(),
                    redact(&settings.database.url)
                );
            }
        }
        Db::open(settings, 1, COMMAND_BUSY_TIMEOUT).await
    }

    /// A one-connection handle of its own (commands that attach databases or hold a
    /// session, such as `restore`).
    pub async fn connect_single(settings: &Settings) -> anyhow::Result<Db> {
        Db::open(settings, 1, COMMAND_BUSY_TIMEOUT).await
    }

    async fn open(settings: &Settings, max_connections: u32, busy_timeout: Duration) -> anyhow::Result<Db> {
        let url = settings.database.url.clone();
        let mut opt = ConnectOptions::new(url.clone());
        opt.max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(settings.acquire_timeout())
            .acquire_timeout(settings.acquire_timeout())
            .idle_timeout(Duration::from_secs(300))
            .max_lifetime(Duration::from_secs(1800))
            .test_before_acquire(false)
            .sqlx_logging(false);
        let is_sqlite = url.starts_with("sqlite:");
        if is_sqlite {
            // synchronous = FULL: in WAL mode every commit is synced to the WAL before it is
            // acknowledged, so an acknowledged write survives a power loss (NORMAL could lose
            // the last commits). It costs an fsync per write transaction.
            opt.map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                    .busy_timeout(busy_timeout)
                    .foreign_keys(true)
            });
            // A connection whose COMMIT or ROLLBACK failed (SQLITE_FULL on a full disk) can
            // be left inside its transaction, and every later "BEGIN" on it would become a
            // SAVEPOINT of a transaction that never commits: such a connection is closed
            // instead of being handed out again.
            opt.map_sqlx_sqlite_before_acquire(|conn, _| {
                Box::pin(async move {
                    Ok(clean(
                        <sea_orm::sqlx::Sqlite as sea_orm::sqlx::Database>::TransactionManager::get_transaction_depth(
                            conn,
                        ),
                    ))
                })
            });
        } else {
            let timeout_ms = settings.database.statement_timeout_ms;
            opt.map_sqlx_postgres_opts(move |o| {
                o.options([("statement_timeout", timeout_ms.to_string())]).application_name("ecoplan")
            });
            opt.map_sqlx_postgres_before_acquire(|conn, _| {
                Box::pin(async move {
                    Ok(clean(
                        <sea_orm::sqlx::Postgres as sea_orm::sqlx::Database>::TransactionManager::get_transaction_depth(
                            conn,
                        ),
                    ))
                })
            });
        }
        let statements = Arc::new(AtomicU64::new(0));
        let mut conn = Database::connect(opt)
            .await
            .with_context(|| format!("cannot connect to the database at {}", redact(&url)))?;
        let counter = statements.clone();
        conn.set_metric_callback(move |info| {
            counter.fetch_add(1, Ordering::Relaxed);
            tracing::trace!(target: "ecoplan::sql", elapsed_us = info.elapsed.as_micros() as u64, failed = info.failed, sql = %info.statement.sql);
        });
        Ok(Db { conn, url, write_gate: is_sqlite.then(|| Arc::new(Mutex::new(()))), statements })
    }

    /// Applies pending migrations (schema and the plan seed): see [`migrate`].
    pub async fn migrate(&self) -> anyhow::Result<()> {
        migrate::up(self).await
    }

    /// The SQLite database file, if this is one.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        sqlite_path(&self.url)
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Statements executed through this handle since start (for tests and metrics).
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Begins a write transaction (taking the SQLite write gate first) that records no
    /// audit event: for the database's own housekeeping (the health probe, a restore).
    /// Every write of data goes through `service::write::Write`, which records one.
    pub(crate) async fn begin_unaudited(&self) -> AppResult<WriteTx> {
        let gate = match &self.write_gate {
            Some(m) => Some(m.clone().lock_owned().await),
            None => None,
        };
        // BEGIN IMMEDIATE on SQLite takes the write lock at once, waiting (busy_timeout) for
        // another process's writer instead of failing when a read would later upgrade.
        let options = TransactionOptions {
            sqlite_transaction_mode: gate.as_ref().map(|_| SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        let tx = self.conn.begin_with_options(options).await?;
        Ok(WriteTx { tx, _gate: gate })
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> AppResult<()> {
        self.conn.ping().await?;
        Ok(())
    }

    /// Proves the database takes writes now: a committed write of one row that changes
    /// nothing (the data version set to itself, so no cached response is retired). A full
    /// disk, a read-only file or a standby fails it; it takes the SQLite write gate like
    /// any write.
    pub async fn probe_write(&self) -> AppResult<()> {
        let write = self.begin_unaudited().await?;
        write.tx.execute_unprepared("UPDATE data_version SET version = version WHERE id = 1").await?;
        write.tx.commit().await?;
        Ok(())
    }
}

/// Whether a pooled connection may be handed out: not inside a transaction (one whose
/// COMMIT or ROLLBACK failed is discarded, and the pool opens a fresh one).
fn clean(transaction_depth: usize) -> bool {
    if transaction_depth > 0 {
        tracing::error!(
            depth = transaction_depth,
            "discarding a pooled connection left inside a transaction (a COMMIT or ROLLBACK failed)"
        );
        metrics::counter!("ecoplan_db_connections_discarded_total").increment(1);
        return false;
    }
    true
}

/// The SQLite file a `sqlite:` URL names (`None` for another database or in memory).
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || path.starts_with("file::memory:") {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}

/// Hides the password of a database URL for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}://{}:***{}", &url[..scheme_end], &creds[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
