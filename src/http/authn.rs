//! Authentication at the edge: the bearer token becomes an [`Identity`], once per request.

use actix_web::http::header;
use actix_web::HttpRequest;

use crate::auth::Claims;
use crate::error::{AppError, AppResult};
use crate::http::AppState;
use crate::service;
use crate::service::identity::Resolved;

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(req: &HttpRequest) -> AppResult<&str> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(AppError::Unauthenticated("a bearer token is required".into()));
    };
    let value = value.to_str().map_err(|_| AppError::Unauthenticated("malformed Authorization header".into()))?;
    let mut parts = value.splitn(2, ' ');
    let scheme = parts.next().unwrap_or("");
    let token = parts.next().unwrap_or("").trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(AppError::Unauthenticated("malformed Authorization header: expected `Bearer <token>`".into()));
    }
    Ok(token)
}

/// Verifies a token's signature and claims (no database needed), first loading a key
/// this instance has not seen yet (a rotation done elsewhere).
pub async fn verify_token(state: &AppState, token: &str) -> AppResult<Claims> {
    if state.tokens.unknown_kid(token).is_some() {
        if let Err(e) = state.key_refresher.refresh(&state.settings, &state.db, &state.tokens).await {
            tracing::warn!(error = ?e, "cannot reload signing keys");
        }
    }
    state.tokens.verify(token)
}

/// Verifies the request's bearer token.
pub async fn verify(req: &HttpRequest, state: &AppState) -> AppResult<Claims> {
    verify_token(state, bearer_token(req)?).await
}

/// Verifies the token and counts the request against its rate limit (the token's, or the
/// client address's when there is no valid token).
pub async fn admit(req: &HttpRequest, state: &AppState) -> AppResult<Claims> {
    match verify(req, state).await {
        Ok(claims) => {
            state.rate_limits.check_token(&claims.jti)?;
            Ok(claims)
        }
        Err(e) => {
            state.rate_limits.check_address(req.peer_addr().map(|a| a.ip()))?;
            Err(e)
        }
    }
}

/// Resolves verified claims into an identity (revocation, unit) and the data version, from
/// the database in one statement.
pub async fn resolve(state: &AppState, claims: &Claims) -> AppResult<Resolved> {
    service::identity::resolve(&state.db.conn, claims).await
}
