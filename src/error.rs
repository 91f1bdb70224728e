//! The one error type of the application and its stable client codes.
//!
//! Client variants carry a message that is safe to show; `Unexpected` carries the full cause
//! chain for the log and is shown to clients only as "internal error".

use std::time::Duration;

/// Why a caller was not authenticated, as a stable class for the access log (the
/// message says more; neither ever contains the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum AuthFailure {
    /// No bearer token.
    Missing,
    /// Not a token: the header or the token's structure or claims are malformed.
    Malformed,
    BadSignature,
    Expired,
    NotYetValid,
    WrongIssuer,
    WrongAudience,
    /// Signed by a key this deployment does not know.
    UnknownKey,
    /// Signed by a key that was retired.
    RetiredKey,
    Revoked,
    /// A header or algorithm the server does not accept.
    NotAccepted,
    /// Its unit does not exist or cannot hold a token.
    UnknownUnit,
    /// A valid token whose role may not use this route (metrics).
    Role,
}

impl AuthFailure {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Every failure a request can end in.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No token, or a token that failed verification: the class (for logs and metrics)
    /// and the message shown to the client.
    #[error("{1}")]
    Unauthenticated(AuthFailure, String),
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
    /// The database cannot serve this now: unreachable, out of space, read-only. Nothing
    /// was written; retry after a while (HTTP 503 with `Retry-After`).
    #[error("{reason}")]
    Unavailable {
        reason: &'static str,
        #[source]
        source: anyhow::Error,
    },
    /// A cursor or position that the database does not know any more (it was restored
    /// from a backup, or the cursor is ahead of the log): sync again from the start.
    #[error("{0}")]
    ResyncRequired(String),
    /// Anything else: a bug or an infrastructure fault. Never shown to clients.
    #[error("internal error")]
    Unexpected(#[from] anyhow::Error),
}

impl AppError {
    /// The stable `extensions.code` clients rely on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(..) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Validation(_) => "BAD_USER_INPUT",
            AppError::Conflict(_) => "CONFLICT",
            AppError::LimitExceeded(_) => "LIMIT_EXCEEDED",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Unavailable { .. } => "UNAVAILABLE",
            AppError::ResyncRequired(_) => "RESYNC_REQUIRED",
            AppError::Unexpected(_) => "INTERNAL",
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
            AppError::Unavailable { source, .. } => tracing::warn!(error = ?source, "database unavailable"),
            _ => {}
        }
    }
}

impl From<crate::domain::Invalid> for AppError {
    fn from(e: crate::domain::Invalid) -> Self {
        AppError::Validation(e.0)
    }
}

/// How long a client is asked to wait before retrying a request the database could not
/// serve (`Retry-After`).
pub const RETRY_AFTER_UNAVAILABLE: Duration = Duration::from_secs(5);

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        use crate::db::fault::{classify, Fault};
        let reason = match classify(&e) {
            Fault::Unreachable => "the database is unavailable; nothing was written, retry in a moment",
            Fault::OutOfSpace => {
                "the database is out of space: writes are refused until space is freed (nothing was written; reads go on)"
            }
            Fault::ReadOnly => "the database accepts no writes now (read-only); nothing was written",
            Fault::Corrupt => {
                tracing::error!(error = ?e, "the database reports damaged files: run `ecoplan check`");
                return AppError::Unexpected(anyhow::Error::new(e));
            }
            Fault::Other => return AppError::Unexpected(anyhow::Error::new(e)),
        };
        AppError::Unavailable { reason, source: anyhow::Error::new(e) }
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

pub type AppResult<T> = Result<T, AppError>;
