//! Prometheus metrics at /metrics: requests and latency by GraphQL operation and outcome,
//! HTTP requests by route and status, and database pool use.
//!
//! /metrics needs an ADMIN or INTEGRATION token unless `ECOPLAN_METRICS_PUBLIC=true`.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::auth::policy;
use crate::db::Db;
use crate::error::{AppError, AuthFailure};
use crate::http::{authn, refusal, AppState};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once (every application in the process shares it).
pub fn init() {
    HANDLE.get_or_init(|| {
        let buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
        PrometheusBuilder::new()
            .set_buckets(&buckets)
            .and_then(|b| b.install_recorder())
            .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
            .ok()
    });
    describe();
}

/// The HELP line of every metric (Prometheus shows them; the TYPE lines follow the kind).
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "ecoplan_graphql_requests_total",
        "GraphQL operations by operation name and outcome (ok or the first error code)"
    );
    describe_histogram!(
        "ecoplan_graphql_request_duration_seconds",
        Unit::Seconds,
        "Time to answer a GraphQL operation, by operation name and outcome"
    );
    describe_counter!("ecoplan_http_requests_total", "HTTP requests by method, route and status");
    describe_histogram!(
        "ecoplan_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by method, route and status"
    );
    describe_counter!(
        "ecoplan_response_cache_total",
        "Cacheable queries by result (hit: answered from the cache, miss: computed)"
    );
    describe_gauge!("ecoplan_db_pool_connections", "Database pool connections by state (idle, in_use)");
    describe_counter!("ecoplan_db_statements_total", "SQL statements sent to the database by this process");
    describe_counter!(
        "ecoplan_db_connections_discarded_total",
        "Pooled connections discarded because they were returned inside a transaction"
    );
    describe_gauge!(
        "ecoplan_clock_skew_seconds",
        Unit::Seconds,
        "This host's clock minus the database's, as last measured"
    );
}

/// At most this many distinct operation names are labelled; others count as "other", so a
/// client cannot blow up the number of series.
const MAX_OPERATION_NAMES: usize = 200;
static OPERATION_NAMES: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();

fn operation_label(name: Option<&str>) -> String {
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return "anonymous".into();
    };
    if name.len() > 64 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return "other".into();
    }
    let names = OPERATION_NAMES.get_or_init(|| Mutex::new(HashSet::new()));
    let Ok(mut seen) = names.lock() else {
        return "other".into();
    };
    if seen.contains(name) || (seen.len() < MAX_OPERATION_NAMES && seen.insert(name.to_string())) {
        name.to_string()
    } else {
        "other".into()
    }
}

/// Counts a GraphQL request and its latency; `outcome` is "ok" or the first error code.
pub fn record_graphql(operation: Option<&str>, outcome: &str, elapsed: Duration) {
    let labels = [("operation", operation_label(operation)), ("outcome", outcome.to_string())];
    metrics::counter!("ecoplan_graphql_requests_total", &labels).increment(1);
    metrics::histogram!("ecoplan_graphql_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
}

/// Counts a cacheable query answered from the response cache (`hit`) or computed.
pub fn record_cache(hit: bool) {
    metrics::counter!("ecoplan_response_cache_total", "result" => if hit { "hit" } else { "miss" }).increment(1);
}

/// The method label: the standard methods by name, anything else `other` (a client making
/// up methods must not create a series per name).
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// Counts an HTTP request by route pattern, method and status.
pub fn record_http(route: &str, method: &actix_web::http::Method, status: u16, elapsed: Duration) {
    let labels =
        [("route", route.to_string()), ("method", method_label(method).to_string()), ("status", status.to_string())];
    metrics::counter!("ecoplan_http_requests_total", &labels).increment(1);
    metrics::histogram!("ecoplan_http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
}

fn record_pool(db: &Db) {
    let (size, idle) = match db.backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.conn.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.conn.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX);
    metrics::gauge!("ecoplan_db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("ecoplan_db_pool_connections", "state" => "in_use").set(f64::from(size.saturating_sub(idle)));
    // A count that only grows: a counter, set to the pool's running total.
    metrics::counter!("ecoplan_db_statements_total").absolute(db.statement_count());
}

/// GET /metrics.
pub async fn serve(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if !state.settings.server.metrics_public {
        // The gate's token check, revocation included.
        match state.gate.authenticate(authn::bearer_token(&req), req.peer_addr().map(|a| a.ip())).await {
            Ok(caller) if policy::may_read_metrics(caller.identity.role) => {
                crate::http::access::note_caller(&req, &caller)
            }
            Err(e @ (AppError::RateLimited { .. } | AppError::Unavailable { .. } | AppError::Unexpected(_))) => {
                return refusal::refuse(e);
            }
            _ => {
                return refusal::refuse(AppError::Unauthenticated(
                    AuthFailure::Role,
                    "metrics need an ADMIN or INTEGRATION token".into(),
                ))
            }
        }
    }
    record_pool(&state.db);
    match HANDLE.get().and_then(Option::as_ref) {
        Some(handle) => {
            HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(handle.render())
        }
        None => HttpResponse::ServiceUnavailable().body("metrics are not available in this process\n"),
    }
}
