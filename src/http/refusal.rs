//! How the HTTP edge answers a refusal: one status mapping and one error body for every
//! route (GraphQL, exports, metrics), `{"errors":[{"message":…,"extensions":{"code":…}}]}`.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;

use crate::error::{AppError, RETRY_AFTER_UNAVAILABLE};
use crate::gate::Refused;

pub const JSON: &str = "application/json; charset=utf-8";

/// The HTTP status of an error answered before (or instead of) execution.
pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
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

/// A refusal with its status (or `status` instead), the headers it implies
/// (`WWW-Authenticate`, `Retry-After`) and the GraphQL error body, as `content_type`.
pub fn refuse_as(refused: Refused, status: Option<StatusCode>, content_type: &str) -> HttpResponse {
    let status = status.unwrap_or_else(|| status_of(&refused.error));
    let mut builder = HttpResponse::build(status);
    builder.insert_header((header::CONTENT_TYPE, content_type));
    match &refused.error {
        AppError::Unauthenticated(_) => {
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"ecoplan\", error=\"invalid_token\""));
        }
        AppError::RateLimited { retry_after, .. } => {
            builder.insert_header((header::RETRY_AFTER, retry_after.as_secs().max(1).to_string()));
        }
        AppError::Unavailable { .. } => {
            builder.insert_header((header::RETRY_AFTER, RETRY_AFTER_UNAVAILABLE.as_secs().to_string()));
        }
        _ => {}
    }
    builder.body(errors_only_body(&refused.into_response()))
}

/// A refusal as `application/json`.
pub fn refuse(e: AppError) -> HttpResponse {
    refuse_as(e.into(), None, JSON)
}

/// A refusal with a status of its own (405, 406, 408, 413, 415 …).
pub fn refuse_with_status(e: AppError, status: StatusCode) -> HttpResponse {
    refuse_as(e.into(), Some(status), JSON)
}
