//! Whether the database can do its job now, for `/readyz`.
//!
//! A monitor proves every few seconds that the database takes a write ([`Db::probe_write`]):
//! a full disk, a read-only file or standby, or an unreachable server turns readiness off,
//! and it turns back on by itself at the first probe that succeeds (writes themselves never
//! wait for it: they are tried, and refused with UNAVAILABLE while they fail). On SQLite an
//! integrity check (`PRAGMA quick_check`) runs after start and every hour; damage found
//! keeps the instance not ready until the file is repaired or restored.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::db::fault::{classify, Fault};
use crate::db::Db;
use crate::error::AppError;

/// Why the database is not ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Unreachable,
    OutOfSpace,
    ReadOnly,
    Corrupt(String),
    Failing(String),
}

impl Problem {
    /// A short reason for `/readyz`.
    pub fn reason(&self) -> String {
        match self {
            Problem::Unreachable => "database unreachable".into(),
            Problem::OutOfSpace => "database out of space: writes are refused".into(),
            Problem::ReadOnly => "database read-only: writes are refused".into(),
            Problem::Corrupt(what) => format!("database damaged: {what}"),
            Problem::Failing(what) => format!("database failing: {what}"),
        }
    }
}

/// The latest findings of the monitor.
#[derive(Debug, Default)]
pub struct Health {
    write: RwLock<Option<Problem>>,
    integrity: RwLock<Option<Problem>>,
}

impl Health {
    pub fn new() -> Arc<Health> {
        Arc::new(Health::default())
    }

    /// The first problem found, if any.
    pub fn problem(&self) -> Option<Problem> {
        let integrity = self.integrity.read().ok().and_then(|p| p.clone());
        integrity.or_else(|| self.write.read().ok().and_then(|p| p.clone()))
    }

    fn set_write(&self, p: Option<Problem>) {
        if let Ok(mut w) = self.write.write() {
            if *w != p {
                match &p {
                    Some(p) => tracing::warn!(reason = %p.reason(), "database not ready"),
                    None => tracing::info!("database ready again"),
                }
            }
            *w = p;
        }
    }

    fn set_integrity(&self, p: Option<Problem>) {
        if let Ok(mut w) = self.integrity.write() {
            *w = p;
        }
    }

    /// Proves a write now and records what it found. On SQLite the free space of the
    /// file's file system is measured too: a small write can succeed in the WAL's reused
    /// space while any larger one fails, so a probe alone cannot see a full disk.
    pub async fn probe(&self, db: &Db) {
        if let Some(free) = db.sqlite_file().and_then(|f| free_bytes(&f)) {
            if free < MIN_FREE_BYTES {
                self.set_write(Some(Problem::OutOfSpace));
                return;
            }
        }
        let found = match db.probe_write().await {
            Ok(()) => None,
            Err(AppError::Unavailable { source, .. }) => {
                Some(match source.downcast_ref::<sea_orm::DbErr>().map(classify) {
                    Some(Fault::OutOfSpace) => Problem::OutOfSpace,
                    Some(Fault::ReadOnly) => Problem::ReadOnly,
                    _ => Problem::Unreachable,
                })
            }
            Err(e) => Some(Problem::Failing(e.to_string())),
        };
        self.set_write(found);
    }

    /// Checks the integrity of a SQLite database (nothing to do on PostgreSQL, which checks
    /// its pages itself when data checksums are on).
    pub async fn check_integrity(&self, db: &Db) {
        if db.backend() != DbBackend::Sqlite {
            return;
        }
        match integrity_findings(db, false).await {
            Ok(findings) if findings.is_empty() => self.set_integrity(None),
            Ok(findings) => {
                tracing::error!(findings = ?findings, "the database file is damaged: run `ecoplan check`, restore a backup");
                self.set_integrity(Some(Problem::Corrupt(findings.join("; "))));
            }
            Err(e) if matches!(classify(&e), Fault::Corrupt) => {
                self.set_integrity(Some(Problem::Corrupt(e.to_string())));
            }
            Err(e) => tracing::warn!(error = %e, "cannot check the database's integrity"),
        }
    }
}

/// Below this much free space on the SQLite file's file system, the database counts as out
/// of space (writes are about to fail or failing).
pub const MIN_FREE_BYTES: u64 = 1024 * 1024;

/// Free bytes for unprivileged writers on the file system holding `file`.
#[cfg(unix)]
pub fn free_bytes(file: &std::path::Path) -> Option<u64> {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let stat = rustix::fs::statvfs(dir).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(not(unix))]
pub fn free_bytes(_file: &std::path::Path) -> Option<u64> {
    None
}

/// SQLite's own integrity check: `quick_check` (`full`: `integrity_check`, which also
/// compares indexes with their tables). Empty when the file is sound.
pub async fn integrity_findings(db: &Db, full: bool) -> Result<Vec<String>, sea_orm::DbErr> {
    let pragma = if full { "PRAGMA integrity_check(20)" } else { "PRAGMA quick_check(20)" };
    let rows = db.conn.query_all_raw(Statement::from_string(DbBackend::Sqlite, pragma.to_string())).await?;
    let found: Vec<String> =
        rows.iter().filter_map(|r| r.try_get_by_index::<String>(0).ok()).filter(|s| s != "ok").collect();
    Ok(found)
}

/// Probes writes every `every` and integrity every hour, for the life of the process.
pub fn spawn_monitor(db: Db, health: Arc<Health>, every: Duration) {
    tokio::spawn(async move {
        health.check_integrity(&db).await;
        let mut probe = tokio::time::interval(every);
        probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut integrity = tokio::time::interval(Duration::from_secs(3600));
        integrity.tick().await;
        loop {
            tokio::select! {
                _ = probe.tick() => health.probe(&db).await,
                _ = integrity.tick() => health.check_integrity(&db).await,
            }
        }
    });
}
