//! One clock for every instance: the database's.
//!
//! Reports, reviews, audit events and changes are stamped, and "future" periods judged,
//! with [`now`]: this machine's clock corrected by its measured offset from the database
//! server's clock. Instances on machines whose clocks disagree therefore stamp alike, and
//! no extra statement is spent per write. The offset is measured at start and every
//! minute ([`spawn_sync`]), exposed as the `ecoplan_clock_skew_seconds` gauge, and a skew
//! beyond the configured bound is logged as a warning.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::db::Db;
use crate::error::{AppError, AppResult};

/// The database's clock minus this machine's, in microseconds.
static OFFSET_MICROS: AtomicI64 = AtomicI64::new(0);

/// The time now, on the database's clock.
pub fn now() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::microseconds(OFFSET_MICROS.load(Ordering::Relaxed))
}

/// The current offset (the database's clock minus this machine's).
pub fn offset() -> chrono::Duration {
    chrono::Duration::microseconds(OFFSET_MICROS.load(Ordering::Relaxed))
}

/// Measures the offset of the database's clock from this machine's (half the round trip
/// is assumed each way).
pub async fn measure(db: &Db) -> AppResult<chrono::Duration> {
    let sql = match db.backend() {
        DbBackend::Postgres => "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint",
        _ => "SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)",
    };
    let sent = Utc::now();
    let row = db
        .conn
        .query_one_raw(Statement::from_string(db.backend(), sql.to_string()))
        .await?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no row")))?;
    let received = Utc::now();
    let db_micros: i64 = row.try_get_by_index(0)?;
    let midpoint = sent + (received - sent) / 2;
    Ok(chrono::Duration::microseconds(db_micros - midpoint.timestamp_micros()))
}

/// Measures and applies the offset; warns when it is beyond `max_skew`.
pub async fn sync(db: &Db, max_skew: Duration) -> AppResult<chrono::Duration> {
    let measured = measure(db).await?;
    let micros = measured.num_microseconds().unwrap_or(0);
    OFFSET_MICROS.store(micros, Ordering::Relaxed);
    metrics::gauge!("ecoplan_clock_skew_seconds").set(micros as f64 / 1e6);
    if measured.abs().to_std().unwrap_or_default() > max_skew {
        tracing::warn!(
            skew_ms = measured.num_milliseconds(),
            "this machine's clock differs from the database's by more than {} ms: times are taken from the database, \
             but fix the machine's clock (NTP)",
            max_skew.as_millis()
        );
    }
    Ok(measured)
}

/// Keeps the offset current: every minute, on the given (background) connection.
pub fn spawn_sync(db: Db, max_skew: Duration) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        every.tick().await;
        loop {
            every.tick().await;
            if let Err(e) = sync(&db, max_skew).await {
                tracing::debug!(error = %e, "cannot measure the database's clock");
            }
        }
    });
}
