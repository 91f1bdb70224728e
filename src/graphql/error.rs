//! From [`AppError`] to GraphQL errors with a stable `extensions.code`.

use async_graphql::{ErrorExtensions, Response, ServerError};

use crate::error::AppError;

impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        e.log();
        let code = e.code();
        let retry_after = retry_after_of(&e);
        async_graphql::Error::new(crate::i18n::localized(&e.to_string(), code)).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(secs) = retry_after {
                ext.set("retryAfter", secs);
            }
        })
    }
}

/// Seconds after which a refused request may be retried (`extensions.retryAfter`).
pub fn retry_after_of(e: &AppError) -> Option<u64> {
    match e {
        AppError::RateLimited { retry_after, .. } => Some(retry_after.as_secs().max(1)),
        AppError::Unavailable { .. } => Some(crate::error::RETRY_AFTER_UNAVAILABLE.as_secs()),
        _ => None,
    }
}

/// An error as a GraphQL error with its code (and `retryAfter` where it has one).
pub fn server_error(e: AppError) -> ServerError {
    e.log();
    let mut err = ServerError::new(crate::i18n::localized(&e.to_string(), e.code()), None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", e.code());
    if let Some(secs) = retry_after_of(&e) {
        ext.set("retryAfter", secs);
    }
    err.extensions = Some(ext);
    err
}

/// A request-level error (no execution happened) as a GraphQL response.
pub fn error_response(e: AppError) -> Response {
    Response::from_errors(vec![server_error(e)])
}

/// Gives every error without a code one. Errors of resolvers and of the limits carry
/// theirs from where they are raised; what is left comes from async-graphql's own parser
/// and validator, whose complaints mean the document itself is wrong: BAD_USER_INPUT.
pub fn ensure_codes(resp: &mut Response) {
    for err in &mut resp.errors {
        let has_code = err.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
        if !has_code {
            err.extensions.get_or_insert_with(Default::default).set("code", "BAD_USER_INPUT");
            err.message = crate::i18n::localized(&err.message, "BAD_USER_INPUT");
        }
    }
}

/// Whether the response is a request error: nothing was executed (parse or validation
/// failure), so GraphQL-over-HTTP answers it with 400 under `application/graphql-response+json`.
pub fn is_request_error(resp: &Response) -> bool {
    resp.data == async_graphql::Value::Null && !resp.errors.is_empty() && resp.errors.iter().all(|e| e.path.is_empty())
}
