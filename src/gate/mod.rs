//! The one gate every GraphQL operation passes, whatever carried it.
//!
//! A transport (HTTP POST or GET, a WebSocket `subscribe`, anything added later) only turns
//! bytes into a [`RawOperation`] and a bearer token, and the result back into bytes. The
//! gate does the rest, for every operation and not once per connection:
//!
//! 1. [`Gate::authenticate`]: the token is verified *now* — signature, expiry, a known
//!    and unretired key, revocation, the department's unit and its current group
//!    memberships — and counted against the per-token rate limit (a request without a
//!    valid token against its client address's);
//! 2. [`Gate::admit`]: the allow-list of persisted operations, the variables' nesting, and
//!    the document limits of [`document`] (nesting bounded by a linear scan before
//!    anything recursive runs, tokens, one parse, then with fragments expanded: root
//!    fields, fields, field depth and selection nesting; aliases, directives per field,
//!    introspection); the request then gets the identity and fresh DataLoaders of its
//!    own. Complexity, which needs the schema's costs, is refused by
//!    [`crate::graphql::limits`] during validation.
//!
//! The policy is applied by the resolvers, on the identity the gate resolved.
//! [`execute`] and [`execute_stream`] run an admitted request so that a panic in a
//! resolver becomes an INTERNAL error of that one operation.

pub mod document;
pub mod persisted;
pub mod rate_limit;
pub mod session;

use std::collections::HashMap;
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::OperationType;
use async_graphql::{Pos, Response};
use futures_util::stream::{BoxStream, StreamExt};
use futures_util::FutureExt;
use serde_json::Value;

use crate::auth::keys::KeyRefresher;
use crate::auth::{Claims, Identity, TokenService};
use crate::config::Settings;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::graphql::context::RequestId;
use crate::graphql::{error as gql_error, loader, AppSchema};
use crate::service;
use document::DocumentLimits;
use persisted::PersistedOperations;
use rate_limit::RateLimits;

/// A caller whose token was checked just now.
#[derive(Debug, Clone)]
pub struct Caller {
    pub claims: Claims,
    pub identity: Identity,
    /// The data version read with the token check (see the response cache).
    pub data_version: i64,
    /// The database's incarnation, read in the same statement.
    pub incarnation: String,
}

/// An operation as a transport read it: `{query, operationName, variables, extensions}`,
/// the shape of both an HTTP body and a WebSocket `subscribe` payload.
#[derive(Debug, Clone, Default)]
pub struct RawOperation {
    /// The document; empty when only a persisted operation's hash is sent.
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: Option<serde_json::Map<String, Value>>,
    pub extensions: serde_json::Map<String, Value>,
}

impl RawOperation {
    /// Reads the GraphQL-over-HTTP request shape, strictly: `query` a string (or absent
    /// with a persisted operation's hash), `operationName` a string or null, `variables`
    /// and `extensions` objects or null.
    pub fn from_json(value: Value) -> AppResult<RawOperation> {
        let Value::Object(mut map) = value else {
            return Err(match value {
                Value::Array(_) => {
                    AppError::validation("batched requests are not supported; send one operation per request")
                }
                _ => AppError::validation("a GraphQL request is a JSON object"),
            });
        };
        let extensions = match map.remove("extensions") {
            None | Some(Value::Null) => serde_json::Map::new(),
            Some(Value::Object(o)) => o,
            Some(_) => return Err(AppError::validation("`extensions` must be a JSON object")),
        };
        let persisted =
            extensions.get("persistedQuery").and_then(|p| p.get("sha256Hash")).is_some_and(Value::is_string);
        let query = match map.remove("query") {
            Some(Value::String(q)) => q,
            None | Some(Value::Null) if persisted => String::new(),
            _ => return Err(AppError::validation("the request needs a `query` string")),
        };
        let operation_name = match map.remove("operationName") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => return Err(AppError::validation("`operationName` must be a string")),
        };
        let variables = match map.remove("variables") {
            None | Some(Value::Null) => None,
            Some(Value::Object(o)) => Some(o),
            Some(_) => return Err(AppError::validation("`variables` must be a JSON object")),
        };
        Ok(RawOperation { query, operation_name, variables, extensions })
    }
}

/// An operation that passed the gate, ready to execute.
pub struct Admitted {
    /// The request with its document parsed, the identity and fresh loaders in its data.
    pub request: async_graphql::Request,
    /// The selected operation's type (unknown when the request names no single operation;
    /// execution then reports it).
    pub kind: Option<OperationType>,
    /// The selected operation's root fields, fragments expanded.
    pub root_fields: Vec<String>,
    /// The document that runs (a persisted operation's, when one was named).
    pub query: String,
    /// The selected operation's name, from the request or the document (for logs).
    pub name: Option<String>,
    pub operation_name: Option<String>,
    /// The variables, as sent (for cache keys).
    pub variables: serde_json::Map<String, Value>,
}

/// Why the gate refused an operation.
#[derive(Debug)]
pub struct Refused {
    pub error: AppError,
    /// Where in the document (syntax errors).
    pub locations: Vec<Pos>,
    /// The document itself was refused (syntax, limits, introspection, the operation type
    /// for the transport): GraphQL-over-HTTP answers it like a validation error. Otherwise
    /// the caller was (the allow-list), answered by the error's own status.
    pub of_document: bool,
}

impl From<AppError> for Refused {
    fn from(error: AppError) -> Self {
        Refused { error, locations: Vec::new(), of_document: false }
    }
}

impl From<document::DocumentError> for Refused {
    fn from(e: document::DocumentError) -> Self {
        Refused { error: e.error, locations: e.locations, of_document: true }
    }
}

impl Refused {
    pub fn of_document(error: AppError) -> Refused {
        Refused { error, locations: Vec::new(), of_document: true }
    }
}

impl Refused {
    /// The refusal as a GraphQL response: `errors` with a code, no `data`.
    pub fn into_response(self) -> Response {
        let mut response = gql_error::error_response(self.error);
        if let Some(err) = response.errors.first_mut() {
            err.locations = self.locations;
        }
        response
    }
}

/// The gate; one per application, shared by every transport.
pub struct Gate {
    settings: Arc<Settings>,
    tokens: Arc<TokenService>,
    key_refresher: Arc<KeyRefresher>,
    db: Db,
    rate_limits: Arc<RateLimits>,
    persisted: Arc<PersistedOperations>,
    limits: DocumentLimits,
    /// Open WebSocket connections per token id (this instance).
    sockets: Mutex<HashMap<String, usize>>,
}

/// A WebSocket connection's place in the per-token count; freed when dropped.
pub struct SocketSlot {
    gate: Arc<Gate>,
    jti: String,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.gate.sockets.lock() {
            if let Some(n) = open.get_mut(&self.jti) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    open.remove(&self.jti);
                }
            }
        }
    }
}

impl Gate {
    pub fn new(
        settings: Arc<Settings>,
        tokens: Arc<TokenService>,
        key_refresher: Arc<KeyRefresher>,
        db: Db,
        rate_limits: Arc<RateLimits>,
        persisted: Arc<PersistedOperations>,
    ) -> Gate {
        let limits = DocumentLimits::from_settings(&settings);
        Gate {
            settings,
            tokens,
            key_refresher,
            db,
            rate_limits,
            persisted,
            limits,
            sockets: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn rate_limits(&self) -> &RateLimits {
        &self.rate_limits
    }

    /// Verifies a token's signature and claims, first loading a key this instance has not
    /// seen yet (a rotation done elsewhere).
    async fn verify(&self, token: &str) -> AppResult<Claims> {
        if self.tokens.unknown_kid(token).is_some() {
            if let Err(e) = self.key_refresher.refresh(&self.settings, &self.db, &self.tokens).await {
                tracing::warn!(error = ?e, "cannot reload signing keys");
            }
        }
        self.tokens.verify(token)
    }

    /// Who is calling, checked now, and counted against the rate limits: the token's, or
    /// the client address's when there is no valid token.
    pub async fn authenticate(&self, token: AppResult<&str>, peer: Option<IpAddr>) -> AppResult<Caller> {
        let verified = match token {
            Ok(t) => self.verify(t).await,
            Err(e) => Err(e),
        };
        let claims = match verified {
            Ok(claims) => claims,
            Err(e) => {
                self.rate_limits.check_address(peer)?;
                return Err(refused_logged(e, peer));
            }
        };
        self.rate_limits.check_token(&claims.jti)?;
        self.resolve(claims).await.map_err(|e| refused_logged(e, peer))
    }

    /// Who is calling with a download ticket for `resource` (path and canonical query):
    /// the ticket is checked (signature, audience, expiry, resource) and then the token
    /// that asked for it, as [`Gate::authenticate`] would (revocation, retired key, unit),
    /// counted against that token's rate limit.
    pub async fn authenticate_ticket(&self, ticket: &str, resource: &str, peer: Option<IpAddr>) -> AppResult<Caller> {
        let ticket = match self.tokens.verify_ticket(ticket) {
            Ok(t) if t.res == resource => t,
            other => {
                self.rate_limits.check_address(peer)?;
                let e = other.err().unwrap_or_else(|| {
                    AppError::Unauthenticated(
                        crate::error::AuthFailure::NotAccepted,
                        "invalid ticket: it is for another download".into(),
                    )
                });
                return Err(refused_logged(e, peer));
            }
        };
        let claims = Claims {
            sub: ticket.sub,
            role: ticket.role,
            unit: ticket.unit,
            jti: ticket.jti,
            iat: None,
            nbf: None,
            exp: ticket.exp,
            iss: ticket.iss,
            aud: ticket.aud,
            kid: ticket.tkid,
        };
        self.rate_limits.check_token(&claims.jti)?;
        self.resolve(claims).await.map_err(|e| refused_logged(e, peer))
    }

    /// The same check for a token already admitted on a long-lived connection, not counted
    /// against the rate limit (the server asks, not the client).
    pub async fn recheck(&self, token: &str) -> AppResult<Caller> {
        let claims = self.verify(token).await?;
        self.resolve(claims).await
    }

    async fn resolve(&self, claims: Claims) -> AppResult<Caller> {
        let resolved = service::identity::resolve(&self.db.conn, &claims).await?;
        Ok(Caller {
            claims,
            identity: resolved.identity,
            data_version: resolved.data_version,
            incarnation: resolved.incarnation,
        })
    }

    /// Takes a WebSocket connection slot for the caller's token, or refuses when it already
    /// holds the configured number of open connections on this instance.
    pub fn open_socket(self: &Arc<Self>, caller: &Caller) -> AppResult<SocketSlot> {
        let max = self.settings.subscriptions.max_connections_per_token;
        let mut open =
            self.sockets.lock().map_err(|_| AppError::Unexpected(anyhow::anyhow!("socket count poisoned")))?;
        let n = open.entry(caller.claims.jti.clone()).or_insert(0);
        if max > 0 && *n >= max {
            return Err(AppError::LimitExceeded(format!(
                "this token already holds {max} open connections; close one first"
            )));
        }
        *n += 1;
        Ok(SocketSlot { gate: self.clone(), jti: caller.claims.jti.clone() })
    }

    /// Checks an operation of `caller` and makes it an executable request. Which operation
    /// types a transport carries (no mutation by GET, subscriptions over WebSocket only) is
    /// the transport's to say, from [`Admitted::kind`].
    pub fn admit(&self, caller: &Caller, operation: RawOperation, request_id: &str) -> Result<Admitted, Refused> {
        let RawOperation { query, operation_name, variables, extensions } = operation;
        let query = self.persisted.resolve(query, &extensions, caller.claims.role)?;
        let variables = variables.unwrap_or_default();
        check_json_nesting(&variables, self.limits.max_nesting).map_err(Refused::of_document)?;
        check_json_nesting(&extensions, self.limits.max_nesting).map_err(Refused::of_document)?;
        let checked = document::check(&query, operation_name.as_deref(), &self.limits)?;
        if checked.introspection {
            crate::auth::policy::authorize_introspection(
                caller.claims.role,
                self.settings.introspection_enabled(),
                &self.settings.graphql.introspection_roles,
            )
            .map_err(Refused::of_document)?;
        }
        let mut request = async_graphql::Request::new(query.clone())
            .variables(async_graphql::Variables::from_json(Value::Object(variables.clone())));
        if let Some(name) = &operation_name {
            request = request.operation_name(name.clone());
        }
        for (k, v) in &extensions {
            if let Ok(v) = async_graphql::Value::from_json(v.clone()) {
                request.extensions.insert(k.clone(), v);
            }
        }
        request.set_parsed_query(checked.document);
        // A subscription lives long: its loaders must not keep rows between events.
        let caching = checked.kind != Some(OperationType::Subscription);
        loader::register_into(&mut request.data, &self.db, &caller.identity, caching);
        request.data.insert(caller.identity.clone());
        request.data.insert(caller.claims.clone());
        request.data.insert(RequestId(request_id.to_string()));
        Ok(Admitted {
            request,
            kind: checked.kind,
            root_fields: checked.root_fields,
            name: checked.name,
            query,
            operation_name,
            variables,
        })
    }
}

/// Logs a refused authentication at WARN with its class (never the token), and returns it.
fn refused_logged(e: AppError, peer: Option<IpAddr>) -> AppError {
    if let AppError::Unauthenticated(class, _) = &e {
        let peer = peer.map(|p| p.to_string()).unwrap_or_default();
        tracing::warn!(reason = class.as_str(), peer, "authentication refused");
    }
    e
}

/// Refuses JSON (variables, extensions) nested deeper than `max`, without recursing.
fn check_json_nesting(map: &serde_json::Map<String, Value>, max: usize) -> AppResult<()> {
    let mut stack: Vec<(&Value, usize)> = map.values().map(|v| (v, 1)).collect();
    while let Some((v, depth)) = stack.pop() {
        if depth > max {
            return Err(AppError::LimitExceeded(format!("variables are nested more than {max} levels deep")));
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            Value::Object(o) => stack.extend(o.values().map(|i| (i, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

fn internal(panic: Box<dyn std::any::Any + Send>) -> Response {
    let message = panic_message(panic.as_ref());
    gql_error::error_response(AppError::Unexpected(anyhow::anyhow!("a resolver panicked: {message}")))
}

/// Executes an admitted query or mutation; a panic becomes an INTERNAL error of this
/// operation alone.
pub async fn execute<E: async_graphql::Executor>(schema: &E, request: async_graphql::Request) -> Response {
    let mut response = match AssertUnwindSafe(schema.execute(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => internal(panic),
    };
    gql_error::ensure_codes(&mut response);
    response
}

/// Executes an admitted subscription; a panic ends the stream with an INTERNAL error
/// (`catch_unwind` ends a stream after the panic it caught).
pub fn execute_stream(schema: &AppSchema, request: async_graphql::Request) -> BoxStream<'static, Response> {
    AssertUnwindSafe(schema.execute_stream(request))
        .catch_unwind()
        .map(|item| match item {
            Ok(mut response) => {
                gql_error::ensure_codes(&mut response);
                response
            }
            Err(panic) => internal(panic),
        })
        .boxed()
}

/// A request error's body has no `data` (nothing was executed).
pub fn is_request_error(response: &Response) -> bool {
    gql_error::is_request_error(response)
}

/// The first error's code, or "ok".
pub fn outcome(response: &Response) -> String {
    response
        .errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|x| x.get("code"))
        .map(|c| c.to_string().trim_matches('"').to_string())
        .unwrap_or_else(|| "ok".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    struct Query;

    #[Object]
    impl Query {
        async fn fine(&self) -> i32 {
            1
        }

        async fn broken(&self) -> i32 {
            let v: Vec<i32> = Vec::new();
            #[allow(clippy::indexing_slicing)]
            v[usize::from(v.is_empty())]
        }
    }

    #[tokio::test]
    async fn a_panicking_resolver_is_an_internal_error_of_its_own_request() {
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        let response = execute(&schema, async_graphql::Request::new("{ broken }")).await;
        assert_eq!(outcome(&response), "INTERNAL");
        assert_eq!(response.errors[0].message, "internal error", "no internals leak");
        // The next request runs normally.
        let response = execute(&schema, async_graphql::Request::new("{ fine }")).await;
        assert_eq!(outcome(&response), "ok");
    }
}
