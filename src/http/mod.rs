//! The HTTP surface: routes, the GraphQL handlers, health checks, request ids.

pub mod access;
pub mod authn;
pub mod cache;
pub mod evidence;
pub mod export;
pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod metrics;
pub mod refusal;
pub mod request_id;
pub mod upload;
pub mod websocket;

use std::sync::Arc;

use actix_web::{guard, web};
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::db::Db;
use crate::gate::Gate;
use crate::graphql::AppSchema;
use crate::service::catalog::PlanCatalog;

/// Everything a handler needs, shared by all workers.
pub struct AppState {
    pub schema: AppSchema,
    /// The checks every operation passes, on every transport.
    pub gate: Arc<Gate>,
    pub db: Db,
    pub settings: Arc<Settings>,
    /// The plan's fixed structure, loaded at start.
    pub catalog: Arc<PlanCatalog>,
    /// Recent query responses, valid while the data version stands.
    pub cache: Arc<cache::ResponseCache>,
    /// Cancelled when the server begins to stop: open WebSockets close with 1001.
    pub shutdown: CancellationToken,
    /// What the database health monitor found last (for `/readyz`).
    pub health: Arc<crate::db::health::Health>,
}

/// Cross-origin access for the configured origins only (none by default): a browser on
/// another origin gets no CORS headers and so no answer.
pub fn cors(origins: &[String], allowed_headers: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "HEAD"])
        .allowed_headers(allowed_headers.iter().map(String::as_str))
        // What a browser script may read: the request id, when to retry, and a download's name.
        .expose_headers([
            actix_web::http::header::HeaderName::from_static("x-request-id"),
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::CONTENT_DISPOSITION,
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Mounts every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics::serve));
    cfg.route("/livez", web::get().to(health::livez)).route("/readyz", web::get().to(health::readyz)).service(
        web::resource("/graphql")
            .route(web::post().to(graphql::post))
            .route(web::get().guard(guard::fn_guard(websocket::is_upgrade)).to(websocket::websocket))
            .route(web::get().to(graphql::get))
            .default_service(web::to(graphql::method_not_allowed)),
    );
    cfg.service(
        web::resource("/export/{file}")
            .route(web::get().to(export::download))
            .route(web::head().to(export::download))
            .default_service(web::to(export::method_not_allowed)),
    );
    cfg.service(
        web::resource("/evidence/{id}")
            .route(web::get().to(evidence::download))
            .default_service(web::to(evidence::method_not_allowed)),
    );
    cfg.service(
        web::resource("/graphiql/{file}")
            .route(web::get().to(graphiql::asset))
            .route(web::head().to(graphiql::asset))
            .default_service(web::to(graphiql::method_not_allowed)),
    );
}
