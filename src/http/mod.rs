//! The HTTP surface: routes, the GraphQL handlers, health checks, request ids.

pub mod authn;
pub mod cache;
pub mod export;
pub mod graphql;
pub mod health;
pub mod metrics;
pub mod persisted;
pub mod rate_limit;
pub mod request_id;
pub mod subscription;

use std::sync::Arc;

use actix_web::{guard, web};

use crate::auth::TokenService;
use crate::config::Settings;
use crate::db::Db;
use crate::graphql::LimitedSchema;
use crate::service::catalog::PlanCatalog;

/// Everything a handler needs, shared by all workers.
pub struct AppState {
    pub schema: LimitedSchema,
    pub tokens: Arc<TokenService>,
    pub db: Db,
    pub settings: Arc<Settings>,
    pub rate_limits: Arc<rate_limit::RateLimits>,
    /// The plan's fixed structure, loaded at start.
    pub catalog: Arc<PlanCatalog>,
    /// Reloads signing keys after a rotation elsewhere.
    pub key_refresher: Arc<crate::auth::keys::KeyRefresher>,
    /// Recent query responses, valid while the data version stands.
    pub cache: Arc<cache::ResponseCache>,
    /// The allow-list of persisted operations.
    pub persisted: Arc<persisted::PersistedOperations>,
}

/// Cross-origin access for the configured origins only (none by default): a browser on
/// another origin gets no CORS headers and so no answer.
pub fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::ACCEPT,
            actix_web::http::header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            actix_web::http::header::HeaderName::from_static("x-request-id"),
            actix_web::http::header::RETRY_AFTER,
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
            .route(web::get().guard(guard::Header("upgrade", "websocket")).to(subscription::websocket))
            .route(web::get().to(graphql::get))
            .default_service(web::to(graphql::method_not_allowed)),
    );
    cfg.service(
        web::resource("/export/{file}")
            .route(web::get().to(export::download))
            .default_service(web::to(export::method_not_allowed)),
    );
}
