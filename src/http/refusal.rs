//! How the HTTP edge answers a refusal: one status mapping and one error body for every
//! route (GraphQL, exports, metrics), `{"errors":[{"message":…,"extensions":{"code":…}}]}`.
//! `AppError` is an actix `ResponseError` through them, so a handler can simply return
//! `Result<HttpResponse, AppError>`.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;

use crate::error::AppError;
use crate::gate::Refused;
use crate::graphql::error::retry_after_of;

pub const JSON: &str = "application/json; charset=utf-8";

/// The HTTP status of an error answered before (or instead of) execution.
pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthenticated(..) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Validation(_) | AppError::LimitExceeded(_) => StatusCode::BAD_REQUEST,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        AppError::ResyncRequired(_) => StatusCode::CONFLICT,
        AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The body of a response that executed nothing: `errors` (and `extensions`), no `data`.
pub fn errors_only_body(resp: &async_graphql::Response) -> Vec<u8> {
    let mut body = serde_json::Map::new();
    body.insert("errors".into(), serde_json::to_value(&resp.errors).unwrap_or_default());
    if !resp.extensions.is_empty() {
        body.insert("extensions".into(), serde_json::to_value(&resp.extensions).unwrap_or_default());
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

/// What an error says in the response head: its status and the headers it implies.
struct Head {
    status: StatusCode,
    /// `WWW-Authenticate: Bearer …` (a token is missing or refused).
    challenge: bool,
    /// `Retry-After`, in seconds.
    retry_after: Option<u64>,
}

impl Head {
    fn of(e: &AppError, status: Option<StatusCode>) -> Head {
        Head {
            status: status.unwrap_or_else(|| status_of(e)),
            challenge: matches!(e, AppError::Unauthenticated(..)),
            retry_after: retry_after_of(e),
        }
    }

    fn respond(self, content_type: &str, body: Vec<u8>) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        builder.insert_header((header::CONTENT_TYPE, content_type));
        if self.challenge {
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"ecoplan\", error=\"invalid_token\""));
        }
        if let Some(secs) = self.retry_after {
            builder.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        builder.body(body)
    }
}

/// A refusal with its status (or `status` instead), the headers it implies and the GraphQL
/// error body, as `content_type`.
pub fn refuse_as(refused: Refused, status: Option<StatusCode>, content_type: &str) -> HttpResponse {
    let head = Head::of(&refused.error, status);
    head.respond(content_type, errors_only_body(&refused.into_response()))
}

/// A refusal as `application/json`.
pub fn refuse(e: AppError) -> HttpResponse {
    refuse_as(e.into(), None, JSON)
}

/// A refusal with a status of its own (405, 406, 408, 413, 415 …).
pub fn refuse_with_status(e: AppError, status: StatusCode) -> HttpResponse {
    refuse_as(e.into(), Some(status), JSON)
}

impl actix_web::ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        status_of(self)
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut extensions = serde_json::json!({ "code": self.code() });
        if let Some(secs) = retry_after_of(self) {
            extensions["retryAfter"] = serde_json::json!(secs);
        }
        let body = serde_json::json!({ "errors": [{ "message": crate::i18n::localized(&self.to_string(), self.code()), "extensions": extensions }] });
        Head::of(self, None).respond(JSON, body.to_string().into_bytes())
    }
}
