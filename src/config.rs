//! Layered configuration: built-in defaults, then an optional TOML file
//! (`ECOPLAN_CONFIG`, default `ecoplan.toml` when present), then `ECOPLAN_*` environment
//! variables and `DATABASE_URL`.
//!
//! Every field is flat so that its environment variable is simply `ECOPLAN_` + the field
//! name in upper case (`max_depth` → `ECOPLAN_MAX_DEPTH`). The README's configuration table
//! lists them.

use std::time::Duration;

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// Development is forgiving (generated keys, GraphiQL, suggestions); production is strict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

/// All settings of a running ecoplan.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// `development` or `production` (`ECOPLAN_ENV`).
    pub env: Environment,
    /// Address to listen on.
    pub bind: String,
    /// Database URL; `DATABASE_URL` sets it too.
    pub database_url: String,
    /// Number of HTTP worker threads (0: one per core).
    pub workers: usize,
    /// Largest number of pooled database connections.
    pub db_max_connections: u32,
    /// How long a request waits for a pooled connection before failing.
    pub db_acquire_timeout_ms: u64,
    /// PostgreSQL `statement_timeout` for every pooled connection.
    pub db_statement_timeout_ms: u64,
    /// HS256 secret for tokens. Required in production (at least 32 bytes).
    pub jwt_secret: Option<String>,
    /// A file holding the HS256 secret (for secret stores that mount files).
    pub jwt_secret_file: Option<String>,
    /// Key id put in the `kid` header of tokens signed with `jwt_secret`.
    pub jwt_kid: String,
    /// A JSON Web Key Set file of another system's identity provider (RS256/ES256 keys).
    pub jwks_file: Option<String>,
    /// Required `iss` of the identity provider's tokens.
    pub jwks_issuer: String,
    /// Required `aud` of the identity provider's tokens.
    pub jwks_audience: String,
    /// The claim holding the role in the identity provider's tokens.
    pub jwks_role_claim: String,
    /// The claim holding the unit code of department tokens.
    pub jwks_unit_claim: String,
    /// The provider's role names mapped to ecoplan roles, e.g. `county-admin=ADMIN,stats=INTEGRATION`
    /// (ADMIN, ASSESSOR, DEPARTMENT and INTEGRATION always map to themselves).
    pub jwks_role_map: String,
    /// Required `iss` claim.
    pub jwt_issuer: String,
    /// Required `aud` claim.
    pub jwt_audience: String,
    /// Clock skew tolerated for `exp` and `nbf`, in seconds.
    pub jwt_leeway_seconds: u64,
    /// How often running instances reload signing keys (rotations, retirements), in seconds.
    pub key_refresh_seconds: u64,
    /// Longest lifetime `token issue` accepts, in days.
    pub jwt_max_ttl_days: u64,
    /// Whether introspection (`__schema`, `__type`) is answered. Default: on in development only.
    pub introspection: Option<bool>,
    /// Whether GraphiQL is served to browsers at GET /graphql. Default: development only.
    pub graphiql: Option<bool>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Deepest allowed selection nesting.
    pub max_depth: usize,
    /// Largest allowed query complexity (list fields count `first` times).
    pub max_complexity: usize,
    /// Most aliases in one document.
    pub max_aliases: usize,
    /// Most directives in one document.
    pub max_directives: usize,
    /// Most root fields in one operation.
    pub max_root_fields: usize,
    /// Most lexical tokens in one document.
    pub max_tokens: usize,
    /// Deepest nesting of selection sets, lists, objects and argument lists together,
    /// checked on the document's text before it is parsed (and of JSON variables).
    pub max_nesting: usize,
    /// How long a request body may take to arrive, in ms (408 after that).
    pub body_timeout_ms: u64,
    /// Largest `first` a connection accepts.
    pub max_page_size: i32,
    /// Page size when `first` is not given.
    pub default_page_size: i32,
    /// Requests per minute per token (0: no limit). State is per instance.
    pub rate_limit_per_minute: u32,
    /// Requests per token allowed at once above the steady rate.
    pub rate_limit_burst: u32,
    /// Requests per minute per client address without a valid token (0: no limit).
    pub rate_limit_anonymous_per_minute: u32,
    /// Origins allowed to call the API from a browser, comma-separated (none by default).
    pub cors_origins: String,
    /// A JSON file of persisted operations (`{"<sha256>": "<query>"}` or an Apollo
    /// persisted-query manifest).
    pub persisted_operations_file: Option<String>,
    /// Roles that may run persisted operations only, comma-separated (e.g. `INTEGRATION`).
    pub persisted_only_roles: String,
    /// Whether /metrics answers without an ADMIN or INTEGRATION token.
    pub metrics_public: bool,
    /// Query responses each instance keeps, served again while no write happened (0: off).
    pub response_cache_entries: usize,
    /// How often each instance reads the change log for subscription events, in ms.
    pub subscription_poll_ms: u64,
    /// How often an open WebSocket connection re-checks its token (revocation, expiry,
    /// key retirement, group memberships), in seconds; the socket is closed with 4403 when
    /// it fails.
    pub subscription_recheck_seconds: u64,
    /// How long a WebSocket may wait before `connection_init`, in ms (closed with 4408).
    pub ws_init_timeout_ms: u64,
    /// Most active operations on one WebSocket connection (0: no limit).
    pub ws_max_subscriptions: usize,
    /// Most open WebSocket connections per token on one instance (0: no limit).
    pub ws_max_connections_per_token: usize,
    /// How often the database health monitor proves a write (for `/readyz`), in seconds.
    pub health_probe_seconds: u64,
    /// Clock skew between this machine and the database beyond which a warning is logged,
    /// in ms (times are taken from the database's clock either way).
    pub max_clock_skew_ms: u64,
    /// Longest accepted `note` / `summary`, in characters.
    pub max_note_chars: usize,
    /// Most evidence entries per report.
    pub max_evidence_items: usize,
    /// Longest evidence entry, in characters.
    pub max_evidence_chars: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            env: Environment::Development,
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://ecoplan.db?mode=rwc".into(),
            workers: 0,
            db_max_connections: 10,
            db_acquire_timeout_ms: 3_000,
            db_statement_timeout_ms: 5_000,
            jwt_secret: None,
            jwt_secret_file: None,
            jwt_kid: "primary".into(),
            jwks_file: None,
            jwks_issuer: String::new(),
            jwks_audience: String::new(),
            jwks_role_claim: "role".into(),
            jwks_unit_claim: "unit".into(),
            jwks_role_map: String::new(),
            jwt_issuer: "ecoplan".into(),
            jwt_audience: "ecoplan-api".into(),
            jwt_leeway_seconds: 5,
            jwt_max_ttl_days: 366,
            key_refresh_seconds: 60,
            introspection: None,
            graphiql: None,
            max_body_bytes: 1024 * 1024,
            max_depth: 12,
            max_complexity: 20_000,
            max_aliases: 30,
            max_directives: 20,
            max_root_fields: 20,
            max_tokens: 5_000,
            max_nesting: 40,
            body_timeout_ms: 10_000,
            max_page_size: 100,
            default_page_size: 50,
            rate_limit_per_minute: 600,
            rate_limit_burst: 100,
            rate_limit_anonymous_per_minute: 60,
            cors_origins: String::new(),
            persisted_operations_file: None,
            persisted_only_roles: String::new(),
            metrics_public: false,
            response_cache_entries: 1024,
            subscription_poll_ms: 250,
            subscription_recheck_seconds: 5,
            ws_init_timeout_ms: 10_000,
            ws_max_subscriptions: 20,
            ws_max_connections_per_token: 10,
            health_probe_seconds: 5,
            max_clock_skew_ms: 2_000,
            max_note_chars: 2_000,
            max_evidence_items: 20,
            max_evidence_chars: 500,
        }
    }
}

impl Settings {
    /// Reads defaults, the optional file and the environment.
    pub fn load() -> anyhow::Result<Settings> {
        let file = std::env::var("ECOPLAN_CONFIG").unwrap_or_else(|_| "ecoplan.toml".into());
        let mut figment = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(&file))
            .merge(Env::prefixed("ECOPLAN_").ignore(&["config"]));
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(Serialized::default("database_url", url));
        }
        let settings: Settings = figment.extract().context("invalid configuration")?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks values that would make the service unsafe or unusable.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.max_page_size < 1 || self.default_page_size < 1 || self.default_page_size > self.max_page_size {
            bail!("default_page_size must be between 1 and max_page_size");
        }
        if self.max_nesting < 2 {
            bail!("max_nesting must be at least 2");
        }
        if self.jwt_issuer.is_empty() || self.jwt_audience.is_empty() {
            bail!("jwt_issuer and jwt_audience must not be empty");
        }
        Ok(())
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    pub fn introspection_enabled(&self) -> bool {
        self.introspection.unwrap_or(!self.is_production())
    }

    pub fn graphiql_enabled(&self) -> bool {
        self.graphiql.unwrap_or(!self.is_production())
    }

    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.db_acquire_timeout_ms)
    }

    pub fn body_timeout(&self) -> Duration {
        Duration::from_millis(self.body_timeout_ms.max(1))
    }

    pub fn subscription_recheck(&self) -> Duration {
        Duration::from_secs(self.subscription_recheck_seconds.max(1))
    }

    pub fn ws_init_timeout(&self) -> Duration {
        Duration::from_millis(self.ws_init_timeout_ms.max(1))
    }

    pub fn statement_timeout(&self) -> Duration {
        Duration::from_millis(self.db_statement_timeout_ms)
    }

    /// The CORS origins, checked to be `scheme://host[:port]`.
    pub fn cors_origin_list(&self) -> anyhow::Result<Vec<String>> {
        let mut out = Vec::new();
        for o in self.cors_origins.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let ok = (o.starts_with("https://") || o.starts_with("http://"))
                && !o.trim_end_matches('/').contains(['*', ' '])
                && o.splitn(4, '/').nth(3).is_none_or(str::is_empty);
            if !ok {
                bail!("ECOPLAN_CORS_ORIGINS: {o:?} is not an origin such as https://dashboard.example.gov.cn");
            }
            out.push(o.trim_end_matches('/').to_string());
        }
        Ok(out)
    }

    /// The configured HS256 secret, from `jwt_secret` or `jwt_secret_file`.
    pub fn configured_jwt_secret(&self) -> anyhow::Result<Option<String>> {
        if let Some(secret) = &self.jwt_secret {
            return Ok(Some(secret.clone()));
        }
        if let Some(path) = &self.jwt_secret_file {
            let secret =
                std::fs::read_to_string(path).with_context(|| format!("cannot read ECOPLAN_JWT_SECRET_FILE {path}"))?;
            return Ok(Some(secret.trim_end_matches(['\r', '\n']).to_string()));
        }
        Ok(None)
    }
}
