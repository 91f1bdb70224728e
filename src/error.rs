//! The one error type of the application and its stable client codes.
//!
//! Client variants carry a message that is safe to show; `Unexpected` carries the full cause
//! chain for the log and is shown to clients only as "internal error".

use std::time::Duration;

/// Every failure a request can end in.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No token, or a token that failed verification.
    #[error("{0}")]
    Unauthenticated(String),
    /// The identity is known but the policy refuses the action.
    #[error("{0}")]
    Forbidden(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The input is malformed or out of range.
    #[error("{0}")]
    Validation(String),
    /// The write was based on stale data (optimistic concurrency) or the state forbids it.
    #[error("{0}")]
    Conflict(String),
    /// A configured limit (size, depth, complexity, page size …) was exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// Too many requests; retry after the given time.
    #[error("{message}")]
    RateLimited { message: String, retry_after: Duration },
    /// The database could not be reached in time.
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else: a bug or an infrastructure fault. Never shown to clients.
    #[error("internal error")]
    Unexpected(#[from] anyhow::Error),
}

impl AppError {
    /// The stable `extensions.code` clients rely on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Validation(_) => "BAD_USER_INPUT",
            AppError::Conflict(_) => "CONFLICT",
            AppError::LimitExceeded(_) => "LIMIT_EXCEEDED",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Unavailable(_) | AppError::Unexpected(_) => "INTERNAL",
        }
    }

    pub fn validation(msg: impl Into<String>) -> Self {
        AppError::Validation(msg.into())
    }

    pub fn not_found(msg: impl Into<String>) -> Self {
        AppError::NotFound(msg.into())
    }

    pub fn forbidden(msg: impl Into<String>) -> Self {
        AppError::Forbidden(msg.into())
    }

    pub fn conflict(msg: impl Into<String>) -> Self {
        AppError::Conflict(msg.into())
    }

    /// Logs the cause chain of server-side failures; client errors are not logged as errors.
    pub fn log(&self) {
        match self {
            AppError::Unexpected(e) => tracing::error!(error = ?e, "unexpected error"),
            AppError::Unavailable(e) => tracing::warn!(error = ?e, "database unavailable"),
            _ => {}
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        if is_unavailable(&e) {
            AppError::Unavailable(anyhow::Error::new(e))
        } else {
            AppError::Unexpected(anyhow::Error::new(e))
        }
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

/// Whether a database error means "could not reach the database" rather than a bad query.
pub fn is_unavailable(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s)) => {
            let text = s.to_string();
            text.contains("pool timed out")
                || text.contains("error communicating with database")
                || text.contains("connection closed")
                || text.contains("terminating connection")
                || text.contains("Connection refused")
                || text.contains("canceling statement due to statement timeout")
                || text.contains("the database system is")
        }
        _ => false,
    }
}

pub type AppResult<T> = Result<T, AppError>;
