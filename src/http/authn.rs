//! The bearer token of an HTTP request; the gate ([`crate::gate::Gate::authenticate`])
//! checks it.

use actix_web::http::header;
use actix_web::HttpRequest;

use crate::error::{AppError, AppResult, AuthFailure};

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(req: &HttpRequest) -> AppResult<&str> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(AppError::Unauthenticated(AuthFailure::Missing, "a bearer token is required".into()));
    };
    let value = value
        .to_str()
        .map_err(|_| AppError::Unauthenticated(AuthFailure::Malformed, "malformed Authorization header".into()))?;
    let mut parts = value.splitn(2, ' ');
    let scheme = parts.next().unwrap_or("");
    let token = parts.next().unwrap_or("").trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(AppError::Unauthenticated(
            AuthFailure::Malformed,
            "malformed Authorization header: expected `Bearer <token>`".into(),
        ));
    }
    Ok(token)
}
