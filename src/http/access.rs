//! The access log: one structured line at INFO for every HTTP request and for every
//! WebSocket operation — who (role, unit), what (route or operation name and type), how it
//! ended (status or error code) and how long it took, with the request id. Never the token.
//!
//! Handlers note what they learned in the request's extensions ([`note_caller`],
//! [`note_operation`], [`note_outcome`]); [`crate::http::request_id::middleware`] writes
//! the line when the response is ready. A WebSocket operation writes its own line when it
//! ends, however it ends (completed, refused, or stopped by the client), through
//! [`OperationLog`]'s drop.

use std::time::Instant;

use actix_web::{HttpMessage, HttpRequest};
use async_graphql::parser::types::OperationType;

use crate::gate::Caller;

/// Log target of access lines, so that they can be filtered or routed on their own
/// (`RUST_LOG=ecoplan::access=off`).
pub const TARGET: &str = "ecoplan::access";

/// What a handler learned about a request.
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub role: Option<&'static str>,
    pub unit: Option<String>,
    pub operation: Option<String>,
    pub operation_type: Option<&'static str>,
    /// `ok` or the error code of a GraphQL operation.
    pub outcome: Option<String>,
}

fn with(req: &HttpRequest, f: impl FnOnce(&mut Access)) {
    let mut ext = req.extensions_mut();
    match ext.get_mut::<Access>() {
        Some(access) => f(access),
        None => {
            let mut access = Access::default();
            f(&mut access);
            ext.insert(access);
        }
    }
}

pub fn note_caller(req: &HttpRequest, caller: &Caller) {
    with(req, |a| {
        a.role = Some(caller.claims.role.as_str());
        a.unit = caller.claims.unit.as_ref().map(|u| u.as_str().to_string());
    });
}

/// An operation name as the log shows it: a GraphQL name of at most 64 characters, or
/// `(invalid)` for anything else a client sent (never its text: no huge or forged lines).
fn loggable(name: Option<&str>) -> Option<String> {
    let name = name?;
    let valid = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    Some(if valid { name.to_string() } else { "(invalid)".to_string() })
}

pub fn note_operation(req: &HttpRequest, name: Option<&str>, kind: Option<OperationType>) {
    with(req, |a| {
        a.operation = loggable(name);
        a.operation_type = kind.map(type_name);
    });
}

pub fn note_outcome(req: &HttpRequest, outcome: &str) {
    with(req, |a| a.outcome = Some(outcome.to_string()));
}

pub fn type_name(kind: OperationType) -> &'static str {
    match kind {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}

/// Writes the line of one HTTP request.
pub fn log_request(
    access: Option<&Access>,
    method: &str,
    route: &str,
    status: u16,
    started: Instant,
    request_id: &str,
) {
    let a = access.cloned().unwrap_or_default();
    tracing::info!(
        target: TARGET,
        transport = "http",
        method,
        route,
        status,
        ms = started.elapsed().as_secs_f64() * 1000.0,
        role = a.role.unwrap_or("-"),
        unit = a.unit.as_deref().unwrap_or("-"),
        operation = a.operation.as_deref().unwrap_or("-"),
        operation_type = a.operation_type.unwrap_or("-"),
        outcome = a.outcome.as_deref().unwrap_or("-"),
        request_id,
        "request"
    );
}

/// The line of one WebSocket operation, written when it is dropped.
pub struct OperationLog {
    started: Instant,
    request_id: String,
    id: String,
    pub access: Access,
    /// Results sent (a subscription's events).
    pub results: u64,
}

impl OperationLog {
    pub fn start(request_id: &str, id: &str, caller: &Caller) -> OperationLog {
        OperationLog {
            started: Instant::now(),
            request_id: request_id.to_string(),
            id: id.to_string(),
            access: Access {
                role: Some(caller.claims.role.as_str()),
                unit: caller.claims.unit.as_ref().map(|u| u.as_str().to_string()),
                ..Access::default()
            },
            results: 0,
        }
    }

    pub fn operation(&mut self, name: Option<&str>, kind: Option<OperationType>) {
        self.access.operation = loggable(name);
        self.access.operation_type = kind.map(type_name);
    }

    pub fn outcome(&mut self, outcome: &str) {
        self.access.outcome = Some(outcome.to_string());
    }
}

impl Drop for OperationLog {
    fn drop(&mut self) {
        let a = &self.access;
        tracing::info!(
            target: TARGET,
            transport = "websocket",
            route = "/graphql",
            id = %self.id,
            ms = self.started.elapsed().as_secs_f64() * 1000.0,
            role = a.role.unwrap_or("-"),
            unit = a.unit.as_deref().unwrap_or("-"),
            operation = a.operation.as_deref().unwrap_or("-"),
            operation_type = a.operation_type.unwrap_or("-"),
            outcome = a.outcome.as_deref().unwrap_or("stopped"),
            results = self.results,
            request_id = %self.request_id,
            "operation"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_graphql_names_reach_the_log() {
        assert_eq!(loggable(Some("Dashboard_2")), Some("Dashboard_2".into()));
        for bad in ["", "a b", "x\n{\"level\":\"ERROR\"}", "2fast", &"a".repeat(65)] {
            assert_eq!(loggable(Some(bad)), Some("(invalid)".into()), "{bad:?}");
        }
        assert_eq!(loggable(None), None);
    }
}
