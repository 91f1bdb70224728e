//! The business logic: plain async functions over the database, free of GraphQL types.

pub mod assessment;
pub mod audit;
pub mod calendar;
pub mod catalog;
pub mod changes;
pub mod compliance;
pub mod events;
pub mod evidence;
pub mod export;
pub mod idempotency;
pub mod identity;
pub mod import;
pub mod indicators;
pub mod keys;
pub mod page;
pub mod progress;
pub mod targets;
pub mod tasks;
pub mod tokens;
pub mod units;
pub mod values;
pub mod write;

use crate::auth::Identity;

/// Who is writing, and under which request id (for the audit trail).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub identity: &'a Identity,
    pub request_id: &'a str,
}

/// The outcome of one attempt to append a revision or version: a race lost to a concurrent
/// writer of the same key (its unique key was taken) can be retried.
pub(crate) enum Attempt<T> {
    Done(T),
    LostRace,
}

/// Whether an error is a unique-key violation (a concurrent writer took the same key).
pub(crate) fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// How often an append without optimistic concurrency retries after losing a race.
const RACE_RETRIES: usize = 8;

/// Appends with `attempt`, retrying lost races; with `optimistic` (the client sent the
/// revision or version it based its write on), losing a race is a CONFLICT instead.
pub(crate) async fn append_with_retries<T, F, Fut>(
    optimistic: bool,
    what: &str,
    mut attempt: F,
) -> crate::error::AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = crate::error::AppResult<Attempt<T>>>,
{
    for _ in 0..RACE_RETRIES {
        match attempt().await? {
            Attempt::Done(v) => return Ok(v),
            Attempt::LostRace if optimistic => {
                return Err(crate::error::AppError::conflict(format!(
                    "another {what} was stored first; reload and try again"
                )));
            }
            Attempt::LostRace => continue,
        }
    }
    Err(crate::error::AppError::conflict(format!("too many concurrent writes of this {what}; try again")))
}
