//! Configuration: built-in defaults, then an optional TOML file (`ECOPLAN_CONFIG`, default
//! `ecoplan.toml` when present), then `ECOPLAN_*` environment variables and `DATABASE_URL`.
//!
//! Files and the environment speak the flat names of the README's table (`max_depth` in a
//! file, `ECOPLAN_MAX_DEPTH` in the environment). They are read once into [`RawSettings`]
//! and turned into [`Settings`]: nested by concern, with lists parsed (origins, roles, role
//! maps), values checked, and secrets in a type that never prints.

use std::time::Duration;

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::domain::Role;

/// The highest `max_nesting` accepted: async-graphql's parser and validators recurse once
/// per level, and the gate keeps every document within this bound so that they never meet
/// their own (which would refuse with a message, not a code) or the stack's.
pub const MAX_NESTING_CEILING: usize = 64;

/// Development is forgiving (generated keys, GraphiQL, suggestions); production is strict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

/// The HTTP server.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Address to listen on.
    pub bind: String,
    /// Number of HTTP worker threads (0: one per core).
    pub workers: usize,
    /// Largest request body (and WebSocket message), in bytes.
    pub max_body_bytes: usize,
    /// How long a request body may take to arrive, in ms (408 after that).
    pub body_timeout_ms: u64,
    /// Time an upload (a multipart request) may take to arrive, in milliseconds.
    pub upload_timeout_ms: u64,
    /// Origins allowed to call the API from a browser (none by default), each
    /// `scheme://host[:port]`.
    pub cors_origins: Vec<String>,
    /// Request headers a browser may send cross-origin (lower case, checked at load).
    pub cors_allowed_headers: Vec<String>,
    /// Whether /metrics answers without an ADMIN or INTEGRATION token.
    pub metrics_public: bool,
    /// Query responses each instance keeps, served again while no write happened (0: off).
    pub response_cache_entries: usize,
    /// How long a download link (`createExportLink`) works, in seconds.
    pub download_link_seconds: u64,
    /// The language of messages when a request names none it supports.
    pub default_language: crate::i18n::Lang,
}

/// The database. Its URL may hold a password: `Debug` shows it redacted.
#[derive(Clone)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…` (`DATABASE_URL`).
    pub url: String,
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// How long a request waits for a pooled connection before failing, in ms.
    pub acquire_timeout_ms: u64,
    /// PostgreSQL `statement_timeout` for every pooled connection, in ms.
    pub statement_timeout_ms: u64,
    /// How often the health monitor proves a write (for `/readyz`), in seconds.
    pub health_probe_seconds: u64,
    /// Clock skew from the database beyond which a warning is logged, in ms.
    pub max_clock_skew_ms: u64,
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &crate::db::redact(&self.url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout_ms", &self.acquire_timeout_ms)
            .field("statement_timeout_ms", &self.statement_timeout_ms)
            .field("health_probe_seconds", &self.health_probe_seconds)
            .field("max_clock_skew_ms", &self.max_clock_skew_ms)
            .finish()
    }
}

/// Another system's identity provider, whose tokens are verified with its JWKS.
#[derive(Debug, Clone)]
pub struct JwksSettings {
    /// Its JSON Web Key Set file (RS256/ES256 keys); none: no provider.
    pub file: Option<String>,
    /// Required `iss` of its tokens.
    pub issuer: String,
    /// Required `aud` of its tokens.
    pub audience: String,
    /// The claim holding the role.
    pub role_claim: String,
    /// The claim holding a department's unit code.
    pub unit_claim: String,
    /// Its role names mapped to ecoplan roles (ADMIN, ASSESSOR, DEPARTMENT and INTEGRATION
    /// always map to themselves).
    pub role_map: Vec<(String, Role)>,
}

/// Tokens and their keys.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// The HS256 master secret. Required in production (at least 32 bytes).
    pub secret: Option<SecretString>,
    /// A file holding the secret (for secret stores that mount files).
    pub secret_file: Option<String>,
    /// Key id put in the `kid` header of tokens signed with the master secret.
    pub kid: String,
    /// Required `iss` claim.
    pub issuer: String,
    /// Required `aud` claim.
    pub audience: String,
    /// Clock skew tolerated for `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
    /// Longest lifetime `token issue` accepts, in days.
    pub max_ttl_days: u64,
    /// How often running instances reload signing keys, in seconds.
    pub key_refresh_seconds: u64,
    pub jwks: JwksSettings,
}

/// What one request may ask.
#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// Deepest selection nesting.
    pub max_depth: usize,
    /// Deepest selection nesting of an operation that asks introspection only.
    pub max_introspection_depth: usize,
    /// Largest query complexity (list fields count `first` times).
    pub max_complexity: usize,
    /// Most aliases in one document.
    pub max_aliases: usize,
    /// Most directives on one field.
    pub max_directives: usize,
    /// Most root fields in one operation.
    pub max_root_fields: usize,
    /// Most lexical tokens in one document.
    pub max_tokens: usize,
    /// Deepest nesting of selections, lists, objects and arguments together, checked on the
    /// text before parsing (and of JSON variables).
    pub max_nesting: usize,
    /// Largest `first` a connection accepts.
    pub max_page_size: i32,
    /// Page size when `first` is not given.
    pub default_page_size: i32,
    /// Longest accepted `note` / `summary`, in characters.
    pub max_note_chars: usize,
    /// Most evidence entries per report.
    pub max_evidence_items: usize,
    /// Longest evidence entry, in characters.
    pub max_evidence_chars: usize,
    /// Largest spreadsheet a bulk import takes over HTTP, in bytes (refused while it streams).
    pub max_upload_bytes: u64,
    /// Largest evidence file, in bytes (refused while it streams).
    pub max_evidence_bytes: u64,
    /// Most rows one import reads.
    pub max_import_rows: u64,
    /// Largest uncompressed size of an XLSX file's parts together, in bytes (a zip bomb is
    /// refused by its directory, before anything is unpacked).
    pub max_xlsx_uncompressed_bytes: u64,
    /// Most refused rows an import reports and keeps (all are counted).
    pub max_import_errors: usize,
}

/// Requests per token and per client address (state per instance).
#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    /// Requests per minute per token (0: no limit).
    pub per_minute: u32,
    /// Requests per token allowed at once above the steady rate.
    pub burst: u32,
    /// Requests per minute per client address without a valid token (0: no limit).
    pub anonymous_per_minute: u32,
}

/// The GraphQL surface.
#[derive(Debug, Clone)]
pub struct GraphqlSettings {
    /// Whether introspection is answered. Default: on in development only.
    pub introspection: Option<bool>,
    /// Whether GraphiQL is served to browsers. Default: development only.
    pub graphiql: Option<bool>,
    /// A JSON file of persisted operations (`{"<sha256>": "<query>"}` or an Apollo manifest).
    pub persisted_operations_file: Option<String>,
    /// Roles that may run persisted operations only.
    pub persisted_only_roles: Vec<Role>,
    /// Roles that may introspect when introspection is on (empty: every role).
    pub introspection_roles: Vec<Role>,
}

/// Subscriptions and WebSocket connections.
#[derive(Debug, Clone)]
pub struct SubscriptionSettings {
    /// How often each instance reads the change log for events, in ms.
    pub poll_ms: u64,
    /// How often an open connection re-checks its token, in seconds.
    pub recheck_seconds: u64,
    /// How long a WebSocket may wait before `connection_init`, in ms.
    pub init_timeout_ms: u64,
    /// Most active operations on one connection (0: no limit).
    pub max_subscriptions: usize,
    /// Most open connections per token on one instance (0: no limit).
    pub max_connections_per_token: usize,
}

/// All settings of a running ecoplan.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `development` or `production` (`ECOPLAN_ENV`).
    pub env: Environment,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub tokens: TokenSettings,
    pub limits: LimitSettings,
    pub rate_limits: RateLimitSettings,
    pub graphql: GraphqlSettings,
    pub subscriptions: SubscriptionSettings,
}

/// The settings as files and the environment write them: flat, one key per line of the
/// README's table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RawSettings {
    pub env: Environment,
    pub bind: String,
    pub database_url: String,
    pub workers: usize,
    pub db_max_connections: u32,
    pub db_acquire_timeout_ms: u64,
    pub db_statement_timeout_ms: u64,
    pub jwt_secret: Option<String>,
    pub jwt_secret_file: Option<String>,
    pub jwt_kid: String,
    pub jwks_file: Option<String>,
    pub jwks_issuer: String,
    pub jwks_audience: String,
    pub jwks_role_claim: String,
    pub jwks_unit_claim: String,
    pub jwks_role_map: String,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub jwt_leeway_seconds: u64,
    pub key_refresh_seconds: u64,
    pub jwt_max_ttl_days: u64,
    pub introspection: Option<bool>,
    pub graphiql: Option<bool>,
    pub max_body_bytes: usize,
    pub max_depth: usize,
    pub max_introspection_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_directives: usize,
    pub max_root_fields: usize,
    pub max_tokens: usize,
    pub max_nesting: usize,
    pub body_timeout_ms: u64,
    pub upload_timeout_ms: u64,
    pub max_page_size: i32,
    pub default_page_size: i32,
    pub rate_limit_per_minute: u32,
    pub rate_limit_burst: u32,
    pub rate_limit_anonymous_per_minute: u32,
    pub cors_origins: String,
    pub cors_allowed_headers: String,
    pub persisted_operations_file: Option<String>,
    pub persisted_only_roles: String,
    pub introspection_roles: String,
    pub metrics_public: bool,
    pub response_cache_entries: usize,
    pub download_link_seconds: u64,
    pub default_language: String,
    pub subscription_poll_ms: u64,
    pub subscription_recheck_seconds: u64,
    pub ws_init_timeout_ms: u64,
    pub ws_max_subscriptions: usize,
    pub ws_max_connections_per_token: usize,
    pub health_probe_seconds: u64,
    pub max_clock_skew_ms: u64,
    pub max_note_chars: usize,
    pub max_evidence_items: usize,
    pub max_evidence_chars: usize,
    pub max_upload_bytes: u64,
    pub max_evidence_bytes: u64,
    pub max_import_rows: u64,
    pub max_xlsx_uncompressed_bytes: u64,
    pub max_import_errors: usize,
}

impl Default for RawSettings {
    fn default() -> Self {
        RawSettings {
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
            max_introspection_depth: 20,
            max_complexity: 20_000,
            max_aliases: 30,
            max_directives: 20,
            max_root_fields: 20,
            max_tokens: 5_000,
            max_nesting: 40,
            body_timeout_ms: 10_000,
            upload_timeout_ms: 120_000,
            max_page_size: 100,
            default_page_size: 50,
            rate_limit_per_minute: 600,
            rate_limit_burst: 100,
            rate_limit_anonymous_per_minute: 60,
            cors_origins: String::new(),
            cors_allowed_headers: DEFAULT_CORS_ALLOWED_HEADERS.into(),
            persisted_operations_file: None,
            persisted_only_roles: String::new(),
            introspection_roles: String::new(),
            metrics_public: false,
            response_cache_entries: 1024,
            download_link_seconds: 60,
            default_language: "en".into(),
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
            max_upload_bytes: 32 * 1024 * 1024,
            max_evidence_bytes: 20 * 1024 * 1024,
            max_import_rows: 200_000,
            max_xlsx_uncompressed_bytes: 256 * 1024 * 1024,
            max_import_errors: 1_000,
        }
    }
}

/// The items of a comma-separated list, trimmed, empty ones left out.
fn items(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// `https://host[:port]` origins, checked.
/// The request headers browsers may send by default: the bearer token, content negotiation,
/// the request id, and what Apollo Client and graphql-ws clients add.
pub const DEFAULT_CORS_ALLOWED_HEADERS: &str = "authorization, content-type, accept, accept-language, x-request-id, \
     apollographql-client-name, apollographql-client-version, apollo-require-preflight, traceparent";

/// A comma-separated list of header names, lower-cased and checked.
pub fn parse_header_names(list: &str) -> anyhow::Result<Vec<String>> {
    items(list)
        .map(|h| {
            let lower = h.to_ascii_lowercase();
            if !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                Ok(lower)
            } else {
                bail!("ECOPLAN_CORS_ALLOWED_HEADERS: {h:?} is not a header name")
            }
        })
        .collect()
}

pub fn parse_origins(list: &str) -> anyhow::Result<Vec<String>> {
    items(list)
        .map(|o| {
            check_origin(o)?;
            Ok(o.trim_end_matches('/').to_string())
        })
        .collect()
}

fn check_origin(o: &str) -> anyhow::Result<()> {
    let ok = (o.starts_with("https://") || o.starts_with("http://"))
        && !o.trim_end_matches('/').contains(['*', ' '])
        && o.splitn(4, '/').nth(3).is_none_or(str::is_empty);
    if !ok {
        bail!("ECOPLAN_CORS_ORIGINS: {o:?} is not an origin such as https://dashboard.example.gov.cn");
    }
    Ok(())
}

/// Role names, e.g. `INTEGRATION,ASSESSOR`.
pub fn parse_roles(list: &str, what: &str) -> anyhow::Result<Vec<Role>> {
    items(list).map(|r| r.parse::<Role>().map_err(|_| anyhow::anyhow!("{what}: unknown role {r:?}"))).collect()
}

/// A provider's role names mapped to ecoplan roles: `county-admin=ADMIN,stats=INTEGRATION`.
pub fn parse_role_map(list: &str) -> anyhow::Result<Vec<(String, Role)>> {
    items(list)
        .map(|pair| {
            let (name, role) = pair
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("ECOPLAN_JWKS_ROLE_MAP: {pair:?} is not name=ROLE"))?;
            let role = role
                .trim()
                .parse::<Role>()
                .map_err(|_| anyhow::anyhow!("ECOPLAN_JWKS_ROLE_MAP: unknown role {:?}", role.trim()))?;
            Ok((name.trim().to_string(), role))
        })
        .collect()
}

impl RawSettings {
    /// The typed settings, lists parsed.
    pub fn into_settings(self) -> anyhow::Result<Settings> {
        Ok(Settings {
            env: self.env,
            server: ServerSettings {
                bind: self.bind,
                workers: self.workers,
                max_body_bytes: self.max_body_bytes,
                body_timeout_ms: self.body_timeout_ms,
                upload_timeout_ms: self.upload_timeout_ms,
                cors_origins: parse_origins(&self.cors_origins)?,
                cors_allowed_headers: parse_header_names(&self.cors_allowed_headers)?,
                metrics_public: self.metrics_public,
                default_language: crate::i18n::Lang::from_tag(&self.default_language).ok_or_else(|| {
                    anyhow::anyhow!("ECOPLAN_DEFAULT_LANGUAGE: {:?} is neither en nor zh-CN", self.default_language)
                })?,
                download_link_seconds: self.download_link_seconds,
                response_cache_entries: self.response_cache_entries,
            },
            database: DatabaseSettings {
                url: self.database_url,
                max_connections: self.db_max_connections,
                acquire_timeout_ms: self.db_acquire_timeout_ms,
                statement_timeout_ms: self.db_statement_timeout_ms,
                health_probe_seconds: self.health_probe_seconds,
                max_clock_skew_ms: self.max_clock_skew_ms,
            },
            tokens: TokenSettings {
                secret: self.jwt_secret.map(SecretString::from),
                secret_file: self.jwt_secret_file,
                kid: self.jwt_kid,
                issuer: self.jwt_issuer,
                audience: self.jwt_audience,
                leeway_seconds: self.jwt_leeway_seconds,
                max_ttl_days: self.jwt_max_ttl_days,
                key_refresh_seconds: self.key_refresh_seconds,
                jwks: JwksSettings {
                    file: self.jwks_file,
                    issuer: self.jwks_issuer,
                    audience: self.jwks_audience,
                    role_claim: self.jwks_role_claim,
                    unit_claim: self.jwks_unit_claim,
                    role_map: parse_role_map(&self.jwks_role_map)?,
                },
            },
            limits: LimitSettings {
                max_depth: self.max_depth,
                max_introspection_depth: self.max_introspection_depth,
                max_complexity: self.max_complexity,
                max_aliases: self.max_aliases,
                max_directives: self.max_directives,
                max_root_fields: self.max_root_fields,
                max_tokens: self.max_tokens,
                max_nesting: self.max_nesting,
                max_page_size: self.max_page_size,
                default_page_size: self.default_page_size,
                max_note_chars: self.max_note_chars,
                max_evidence_items: self.max_evidence_items,
                max_evidence_chars: self.max_evidence_chars,
                max_upload_bytes: self.max_upload_bytes,
                max_evidence_bytes: self.max_evidence_bytes,
                max_import_rows: self.max_import_rows,
                max_xlsx_uncompressed_bytes: self.max_xlsx_uncompressed_bytes,
                max_import_errors: self.max_import_errors,
            },
            rate_limits: RateLimitSettings {
                per_minute: self.rate_limit_per_minute,
                burst: self.rate_limit_burst,
                anonymous_per_minute: self.rate_limit_anonymous_per_minute,
            },
            graphql: GraphqlSettings {
                introspection: self.introspection,
                graphiql: self.graphiql,
                persisted_operations_file: self.persisted_operations_file,
                persisted_only_roles: parse_roles(&self.persisted_only_roles, "ECOPLAN_PERSISTED_ONLY_ROLES")?,
                introspection_roles: parse_roles(&self.introspection_roles, "ECOPLAN_INTROSPECTION_ROLES")?,
            },
            subscriptions: SubscriptionSettings {
                poll_ms: self.subscription_poll_ms,
                recheck_seconds: self.subscription_recheck_seconds,
                init_timeout_ms: self.ws_init_timeout_ms,
                max_subscriptions: self.ws_max_subscriptions,
                max_connections_per_token: self.ws_max_connections_per_token,
            },
        })
    }
}

impl Default for Settings {
    fn default() -> Self {
        RawSettings::default()
            .into_settings()
            .unwrap_or_else(|_| unreachable!("the defaults parse: their lists are empty"))
    }
}

/// Refuses settings nobody reads — a key of the file or an `ECOPLAN_*` variable that names
/// no setting (`grapiql = false` would otherwise leave GraphiQL on) — naming the nearest
/// valid name.
fn check_names(file: &str) -> anyhow::Result<()> {
    let known: Vec<String> = match serde_json::to_value(RawSettings::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => bail!("the settings' names cannot be listed"),
    };
    let nearest = |name: &str| -> Option<&str> {
        known
            .iter()
            .map(|k| (strsim::damerau_levenshtein(name, k), k.as_str()))
            .filter(|(d, k)| *d <= 3.max(k.len() / 3))
            .min_by_key(|(d, _)| *d)
            .map(|(_, k)| k)
    };
    let mut unknown = Vec::new();
    let keys = Figment::from(Toml::file(file))
        .extract::<std::collections::BTreeMap<String, figment::value::Value>>()
        .with_context(|| format!("{file} is not valid TOML"))?;
    for key in keys.keys().filter(|k| !known.contains(k)) {
        unknown.push(match nearest(key) {
            Some(k) => format!("`{key}` in {file} (did you mean `{k}`?)"),
            None => format!("`{key}` in {file}"),
        });
    }
    for (var, _) in std::env::vars_os() {
        let Some(var) = var.to_str() else { continue };
        let Some(name) = var.strip_prefix("ECOPLAN_") else { continue };
        let name = name.to_ascii_lowercase();
        if name == "config" || known.contains(&name) {
            continue;
        }
        unknown.push(match nearest(&name) {
            Some(k) => format!("{var} (did you mean ECOPLAN_{}?)", k.to_ascii_uppercase()),
            None => var.to_string(),
        });
    }
    if !unknown.is_empty() {
        bail!("unknown setting{}: {}", if unknown.len() == 1 { "" } else { "s" }, unknown.join(", "));
    }
    Ok(())
}

impl Settings {
    /// Reads defaults, the optional file and the environment.
    pub fn load() -> anyhow::Result<Settings> {
        let file = std::env::var("ECOPLAN_CONFIG").unwrap_or_else(|_| "ecoplan.toml".into());
        check_names(&file)?;
        let mut figment = Figment::from(Serialized::defaults(RawSettings::default()))
            .merge(Toml::file(&file))
            .merge(Env::prefixed("ECOPLAN_").ignore(&["config"]));
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(Serialized::default("database_url", url));
        }
        let raw: RawSettings = figment.extract().context("invalid configuration")?;
        let settings = raw.into_settings()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks values that would make the service unsafe or unusable.
    pub fn validate(&self) -> anyhow::Result<()> {
        let l = &self.limits;
        if l.max_page_size < 1 || l.default_page_size < 1 || l.default_page_size > l.max_page_size {
            bail!("default_page_size must be between 1 and max_page_size");
        }
        if !(1..=3600).contains(&self.server.download_link_seconds) {
            bail!("download_link_seconds must be between 1 and 3600");
        }
        if l.max_nesting < 2 || l.max_nesting > MAX_NESTING_CEILING {
            bail!("max_nesting must be between 2 and {MAX_NESTING_CEILING}");
        }
        if self.tokens.issuer.is_empty() || self.tokens.audience.is_empty() {
            bail!("jwt_issuer and jwt_audience must not be empty");
        }
        for o in &self.server.cors_origins {
            check_origin(o)?;
        }
        Ok(())
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    pub fn introspection_enabled(&self) -> bool {
        self.graphql.introspection.unwrap_or(!self.is_production())
    }

    pub fn graphiql_enabled(&self) -> bool {
        self.graphql.graphiql.unwrap_or(!self.is_production())
    }

    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.database.acquire_timeout_ms)
    }

    pub fn body_timeout(&self) -> Duration {
        Duration::from_millis(self.server.body_timeout_ms.max(1))
    }

    pub fn upload_timeout(&self) -> Duration {
        Duration::from_millis(self.server.upload_timeout_ms.max(1))
    }

    pub fn subscription_recheck(&self) -> Duration {
        Duration::from_secs(self.subscriptions.recheck_seconds.max(1))
    }

    pub fn ws_init_timeout(&self) -> Duration {
        Duration::from_millis(self.subscriptions.init_timeout_ms.max(1))
    }

    pub fn statement_timeout(&self) -> Duration {
        Duration::from_millis(self.database.statement_timeout_ms)
    }

    /// The configured HS256 master secret, from `jwt_secret` or `jwt_secret_file`.
    pub fn configured_jwt_secret(&self) -> anyhow::Result<Option<SecretString>> {
        if let Some(secret) = &self.tokens.secret {
            return Ok(Some(secret.clone()));
        }
        if let Some(path) = &self.tokens.secret_file {
            let secret =
                std::fs::read_to_string(path).with_context(|| format!("cannot read ECOPLAN_JWT_SECRET_FILE {path}"))?;
            return Ok(Some(SecretString::from(secret.trim_end_matches(['\r', '\n']).to_string())));
        }
        Ok(None)
    }
}

/// The bytes of a secret, where a key needs them.
pub fn secret_bytes(secret: &SecretString) -> Vec<u8> {
    secret.expose_secret().as_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_parsed_once_at_load_and_secrets_never_print() {
        let raw = RawSettings {
            cors_origins: "https://a.example.gov.cn, http://localhost:5173/".into(),
            persisted_only_roles: "integration".into(),
            jwks_role_map: "county-admin=ADMIN, stats=INTEGRATION".into(),
            jwt_secret: Some("a-secret-that-must-not-print-0123456789".into()),
            database_url: "postgres://ecoplan:hunter2@db/ecoplan".into(),
            ..RawSettings::default()
        };
        let s = raw.into_settings().unwrap();
        assert_eq!(s.server.cors_origins, vec!["https://a.example.gov.cn", "http://localhost:5173"]);
        assert_eq!(s.graphql.persisted_only_roles, vec![Role::Integration]);
        assert_eq!(
            s.tokens.jwks.role_map,
            vec![("county-admin".into(), Role::Admin), ("stats".into(), Role::Integration)]
        );
        let printed = format!("{s:?}");
        assert!(!printed.contains("a-secret-that-must-not-print"), "{printed}");
        assert!(!printed.contains("hunter2"), "{printed}");
        for bad in [
            RawSettings { cors_origins: "*".into(), ..RawSettings::default() },
            RawSettings { persisted_only_roles: "ROOT".into(), ..RawSettings::default() },
            RawSettings { jwks_role_map: "x".into(), ..RawSettings::default() },
        ] {
            assert!(bad.into_settings().is_err());
        }
    }
}
