//! Liveness and readiness.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::http::AppState;

/// The process is up.
pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "live" }))
}

/// The database answers a round trip within two seconds; 503 otherwise.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable", "reason": "database" }))
        }
        Err(_) => {
            HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable", "reason": "database timeout" }))
        }
    }
}
