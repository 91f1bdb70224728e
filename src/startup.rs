//! Building and running the application.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use tokio_util::sync::CancellationToken;

use crate::auth::{keys, TokenService};
use crate::config::Settings;
use crate::db::Db;
use crate::gate::persisted::PersistedOperations;
use crate::gate::rate_limit::RateLimits;
use crate::gate::Gate;
use crate::graphql::{build_schema, SchemaData};
use crate::http::{self, AppState};
use crate::service::catalog::PlanCatalog;
use crate::service::events::{self, EventHub};

/// A bound, ready-to-run ecoplan.
pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    tokens: Arc<TokenService>,
    settings: Arc<Settings>,
    shutdown: CancellationToken,
    events: Arc<EventHub>,
}

/// Stops a running application: open WebSockets are closed with 1001 at once, then the
/// server stops (gracefully: in-flight requests finish, up to 30 s).
#[derive(Clone)]
pub struct AppHandle {
    server: actix_web::dev::ServerHandle,
    shutdown: CancellationToken,
}

impl AppHandle {
    pub async fn stop(&self, graceful: bool) {
        self.shutdown.cancel();
        self.server.stop(graceful).await;
    }
}

impl Application {
    /// Connects, migrates (and seeds), loads keys, binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        // Configuration errors first, before touching the database.
        settings.validate()?;
        let cors_origins = settings.server.cors_origins.clone();
        let cors_headers = settings.server.cors_allowed_headers.clone();
        let persisted = Arc::new(PersistedOperations::load(&settings)?);
        http::metrics::init();
        let db = Db::connect(&settings).await?;
        db.migrate().await?;
        crate::db::check::at_start(&db).await?;
        if let Some(renewed) = crate::db::incarnation::renew_if_restored_elsewhere(&db.conn).await? {
            tracing::warn!(incarnation = %renewed.id, "new incarnation after a restore into another cluster");
        }
        let skew = crate::clock::sync(&db, Duration::from_millis(settings.database.max_clock_skew_ms)).await?;
        tracing::info!(skew_ms = skew.num_milliseconds(), "clock offset from the database measured");
        let catalog = PlanCatalog::load(&db).await?;
        let tokens = Arc::new(keys::token_service(&settings, &db, keys::MissingKey::Create).await?);
        let listener = TcpListener::bind(&settings.server.bind)
            .with_context(|| format!("cannot bind {}", settings.server.bind))?;
        let port = listener.local_addr()?.port();
        let settings = Arc::new(settings);
        let rate_limits = RateLimits::new(&settings);
        let pruned = rate_limits.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                pruned.prune();
            }
        });
        // Keys rotated or retired elsewhere reach this instance within a minute (and a new kid
        // at once, when a token names it).
        let key_refresher = Arc::new(keys::KeyRefresher::new(Duration::from_secs(1)));
        {
            let (refresher, settings, db, tokens) =
                (key_refresher.clone(), settings.clone(), db.clone(), tokens.clone());
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(settings.tokens.key_refresh_seconds.max(1)));
                every.tick().await;
                loop {
                    every.tick().await;
                    if let Err(e) = refresher.refresh(&settings, &db, &tokens).await {
                        tracing::warn!(error = ?e, "cannot reload signing keys");
                    }
                }
            });
        }
        let events = EventHub::new();
        let background = Db::connect_background(&settings, &db).await?;
        crate::clock::spawn_sync(background.clone(), Duration::from_millis(settings.database.max_clock_skew_ms));
        let health = crate::db::health::Health::new();
        crate::db::health::spawn_monitor(
            background.clone(),
            health.clone(),
            Duration::from_secs(settings.database.health_probe_seconds.max(1)),
        );
        {
            let background = background.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(3600));
                loop {
                    every.tick().await;
                    if let Err(e) = crate::service::idempotency::prune(&background.conn).await {
                        tracing::debug!(error = %e, "cannot prune idempotency keys");
                    }
                }
            });
        }
        events::spawn_poller(background, events.clone(), Duration::from_millis(settings.subscriptions.poll_ms.max(10)));
        let gate = Arc::new(Gate::new(
            settings.clone(),
            tokens.clone(),
            key_refresher.clone(),
            db.clone(),
            rate_limits,
            persisted,
        ));
        let shutdown = CancellationToken::new();
        let state = web::Data::new(AppState {
            schema: build_schema(
                &settings,
                Some(SchemaData {
                    db: db.clone(),
                    catalog: catalog.clone(),
                    events: events.clone(),
                    tokens: tokens.clone(),
                }),
            ),
            gate,
            db: db.clone(),
            settings: settings.clone(),
            catalog: Arc::new(catalog),
            cache: Arc::new(http::cache::ResponseCache::new(settings.server.response_cache_entries)),
            shutdown: shutdown.clone(),
            health,
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(http::cors(&cors_origins, &cors_headers))
                .wrap(from_fn(http::request_id::middleware))
                .configure(http::routes)
        })
        .listen(listener)?
        // Signals are handled in `run_until_stopped`, so that WebSockets are closed first.
        .disable_signals()
        .shutdown_timeout(30);
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        Ok(Application { port, server: server.run(), db, tokens, settings, shutdown, events })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn tokens(&self) -> Arc<TokenService> {
        self.tokens.clone()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The instance's event hub (what its subscriptions listen to).
    pub fn events(&self) -> Arc<EventHub> {
        self.events.clone()
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> AppHandle {
        AppHandle { server: self.server.handle(), shutdown: self.shutdown.clone() }
    }

    /// Serves until SIGINT/SIGTERM or `handle().stop()`: WebSockets are closed with 1001,
    /// in-flight requests finish (up to 30 s), then it returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.handle();
        let signals = tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("stopping: closing WebSockets and finishing in-flight requests");
            handle.stop(true).await;
        });
        let result = self.server.await;
        signals.abort();
        result
    }
}

/// SIGINT or SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
