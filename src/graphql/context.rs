//! Typed access to what the handler and schema put into the GraphQL context.

use async_graphql::Context;

use crate::auth::Identity;
use crate::config::Settings;
use crate::db::Db;
use crate::error::{AppError, AuthFailure};
use crate::service::catalog::PlanCatalog;
use crate::service::Actor;

/// The identity of a long-lived connection (a WebSocket), checked again while it lives.
/// Subscriptions ask it before each event instead of trusting the identity they started with.
pub trait LiveIdentity: Send + Sync {
    /// The identity now: re-checked when the last check is older than `max_age`; an error
    /// when the token is no longer valid (the connection is then closed).
    fn current(
        &self,
        max_age: std::time::Duration,
    ) -> futures_util::future::BoxFuture<'_, crate::error::AppResult<Identity>>;
}

/// The request's id (also in the `x-request-id` response header and the audit trail).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn missing(what: &str) -> async_graphql::Error {
    AppError::Unexpected(anyhow::anyhow!("{what} missing from the GraphQL context")).into()
}

/// The verified caller; its absence means the request was not authenticated.
pub fn identity<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Identity> {
    ctx.data_opt::<Identity>()
        .ok_or_else(|| AppError::Unauthenticated(AuthFailure::Missing, "a bearer token is required".into()).into())
}

pub fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Db> {
    ctx.data_opt::<Db>().ok_or_else(|| missing("database"))
}

pub fn catalog<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a PlanCatalog> {
    ctx.data_opt::<PlanCatalog>().ok_or_else(|| missing("plan catalog"))
}

pub fn settings<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Settings> {
    ctx.data_opt::<Settings>().ok_or_else(|| missing("settings"))
}

pub fn request_id<'a>(ctx: &Context<'a>) -> &'a str {
    ctx.data_opt::<RequestId>().map(|r| r.0.as_str()).unwrap_or("")
}

/// The identity and request id of a write, for the audit trail.
pub fn actor<'a>(ctx: &Context<'a>) -> async_graphql::Result<Actor<'a>> {
    Ok(Actor { identity: identity(ctx)?, request_id: request_id(ctx) })
}
