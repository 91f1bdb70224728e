//! Liveness and readiness.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::http::AppState;

/// The process is up.
pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "live" }))
}

/// Ready when the database answers a round trip within two seconds now, and the health
/// monitor's latest findings (a committed write a few seconds ago; on SQLite the
/// integrity check) are clean; 503 with the reason otherwise.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let unavailable = |reason: String| {
        HttpResponse::ServiceUnavailable()
            .insert_header((
                actix_web::http::header::RETRY_AFTER,
                crate::error::RETRY_AFTER_UNAVAILABLE.as_secs().to_string(),
            ))
            .json(json!({ "status": "unavailable", "reason": reason }))
    };
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            return unavailable("database".into());
        }
        Err(_) => return unavailable("database timeout".into()),
    }
    match state.health.problem() {
        None => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Some(problem) => unavailable(problem.reason()),
    }
}
