//! Idempotency keys: a client's key for a write, stored with the write in its own
//! transaction, so that a request retried after an unclear outcome (the answer was lost, a
//! commit was cut off in flight) is stored once and answered with what the first one
//! stored.
//!
//! A key belongs to the token's subject and one operation; the same key with a different
//! request is a CONFLICT (a client bug, not a retry). Keys are kept for
//! [`RETENTION_DAYS`] days.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use crate::service::Actor;

/// How long keys are remembered.
pub const RETENTION_DAYS: i64 = 7;

/// A checked idempotency key for one write.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    subject: String,
    key: String,
    operation: &'static str,
    request_hash: String,
}

impl IdempotencyKey {
    /// `key` as the client sent it (1–128 characters of `A–Z a–z 0–9 - _ . :`), for
    /// `operation` (the mutation's name) and the request's canonical content.
    pub fn parse(
        actor: Actor<'_>,
        key: &str,
        operation: &'static str,
        request: &serde_json::Value,
    ) -> AppResult<IdempotencyKey> {
        if key.is_empty()
            || key.len() > 128
            || !key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        {
            return Err(AppError::validation(
                "idempotencyKey has 1 to 128 characters of A–Z, a–z, 0–9, '-', '_', '.' and ':' (a UUID fits)",
            ));
        }
        let request_hash = hex::encode(Sha256::digest(request.to_string().as_bytes()));
        Ok(IdempotencyKey { subject: actor.identity.subject.clone(), key: key.to_string(), operation, request_hash })
    }

    /// An optional key.
    pub fn optional(
        actor: Actor<'_>,
        key: Option<&str>,
        operation: &'static str,
        request: &serde_json::Value,
    ) -> AppResult<Option<IdempotencyKey>> {
        key.map(|k| IdempotencyKey::parse(actor, k, operation, request)).transpose()
    }
}

/// What a write stored for this key before, if anything: the id of its result. The same
/// key with another request or operation is a CONFLICT.
pub async fn replay(conn: &impl ConnectionTrait, key: &IdempotencyKey) -> AppResult<Option<i64>> {
    let stmt = Query::select()
        .columns(["operation", "request_hash", "result_id"])
        .from("idempotency_key")
        .and_where(Expr::col("subject").eq(key.subject.as_str()))
        .and_where(Expr::col("idempotency_key").eq(key.key.as_str()))
        .to_owned();
    let Some(row) = conn.query_one(&stmt).await? else {
        return Ok(None);
    };
    let operation: String = row.try_get("", "operation")?;
    let hash: String = row.try_get("", "request_hash")?;
    if operation != key.operation || hash != key.request_hash {
        return Err(AppError::conflict(format!(
            "idempotencyKey {:?} was used for another request ({operation}); use a new key for a new request",
            key.key
        )));
    }
    Ok(Some(row.try_get("", "result_id")?))
}

/// Remembers the key with the write's result, in the write's transaction. `Ok(false)` when
/// a concurrent request with the same key stored it first (the caller retries, and its
/// replay then finds that result).
pub async fn remember(conn: &sea_orm::DatabaseTransaction, key: &IdempotencyKey, result_id: i64) -> AppResult<bool> {
    let stmt = Query::insert()
        .into_table("idempotency_key")
        .columns(["subject", "idempotency_key", "operation", "request_hash", "result_id", "created_at"])
        .values([
            Expr::val(key.subject.as_str()),
            Expr::val(key.key.as_str()),
            Expr::val(key.operation),
            Expr::val(key.request_hash.as_str()),
            Expr::val(result_id),
            Expr::val(crate::clock::now()),
        ])
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("idempotency insert: {e}")))?
        .on_conflict(OnConflict::columns(["subject", "idempotency_key"]).do_nothing().to_owned())
        .to_owned();
    let done = conn.execute(&stmt).await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets keys older than the retention.
pub async fn prune(conn: &impl ConnectionTrait) -> AppResult<u64> {
    let before = crate::clock::now() - chrono::Duration::days(RETENTION_DAYS);
    let stmt = Query::delete().from_table("idempotency_key").and_where(Expr::col("created_at").lt(before)).to_owned();
    Ok(conn.execute(&stmt).await?.rows_affected())
}
