#![allow(dead_code)]
//! `spawn_app` and friends.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ecoplan::auth::{Identity, Role, TokenService};
use ecoplan::config::{Environment, RawSettings, Settings};
use ecoplan::db::Db;
use ecoplan::domain::UnitCode;
use ecoplan::service::{tokens, Actor};
use ecoplan::startup::Application;
use serde_json::{json, Value};
use tokio::sync::OnceCell;

/// The HS256 secret the test apps use, so tests can also forge tokens.
pub const TEST_SECRET: &str = "test-secret-0123456789abcdef0123456789";
pub const TEST_KID: &str = "test";

/// A running application on a fresh database.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub db: Db,
    pub tokens: Arc<TokenService>,
    pub settings: Settings,
    pub database_url: String,
    pub handle: ecoplan::startup::AppHandle,
    pub events: Arc<ecoplan::service::events::EventHub>,
    _sqlite_file: Option<TempFile>,
}

/// Deletes a SQLite file (and its WAL companions) when dropped.
pub struct TempFile(pub PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Whether this run targets PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty())
}

/// Waits until `condition` holds, checking every 10 ms, for at most `within`; then fails
/// the test saying `what` did not happen. Tests wait for a state, never for a fixed time.
pub async fn eventually(within: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + within;
    while !condition() {
        assert!(std::time::Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

fn base_settings() -> Settings {
    RawSettings {
        env: Environment::Development,
        bind: "127.0.0.1:0".into(),
        workers: 1,
        db_max_connections: 5,
        jwt_secret: Some(TEST_SECRET.into()),
        jwt_kid: TEST_KID.into(),
        // Rate limits are on by default; the rate-limit tests switch them back on.
        rate_limit_per_minute: 0,
        rate_limit_anonymous_per_minute: 0,
        ..RawSettings::default()
    }
    .into_settings()
    .expect("the test settings parse")
}

fn postgres_url_with_db(base: &str, db: &str) -> String {
    let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
    let (authority, path_query) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let query = path_query.find('?').map(|q| &path_query[q..]).unwrap_or("");
    format!("{scheme}://{authority}/{db}{query}")
}

/// A migrated, seeded database to copy from: built once per test binary.
async fn template() -> String {
    TEMPLATE
        .get_or_init(|| async {
            let id = uuid::Uuid::new_v4().simple().to_string();
            if let Ok(base) = std::env::var("TEST_DATABASE_URL").map(|v| v.trim().to_string()) {
                if !base.is_empty() {
                    let name = format!("ecoplan_tpl_{}", &id[..12]);
                    let admin = sea_orm::Database::connect(&base).await.expect("connect to TEST_DATABASE_URL");
                    use sea_orm::ConnectionTrait;
                    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create template");
                    admin.close().await.ok();
                    let mut settings = base_settings();
                    settings.database.url = postgres_url_with_db(&base, &name);
                    let db = Db::connect(&settings).await.expect("connect to template");
                    db.migrate().await.expect("migrate template");
                    db.conn.close().await.ok();
                    return name;
                }
            }
            let path = std::env::temp_dir().join(format!("ecoplan-template-{id}.db"));
            let mut settings = base_settings();
            settings.database.url = format!("sqlite://{}?mode=rwc", path.display());
            let db = Db::connect(&settings).await.expect("open template");
            db.migrate().await.expect("migrate template");
            use sea_orm::ConnectionTrait;
            db.conn.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await.expect("checkpoint");
            db.conn.close().await.ok();
            path.display().to_string()
        })
        .await
        .clone()
}

/// A fresh database copied from the template; returns its URL and, for SQLite, its file.
pub async fn fresh_database() -> (String, Option<TempFile>) {
    let template = template().await;
    let id = uuid::Uuid::new_v4().simple().to_string();
    if on_postgres() {
        let base = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
        let name = format!("ecoplan_test_{}", &id[..16]);
        let admin = sea_orm::Database::connect(&base).await.expect("connect to TEST_DATABASE_URL");
        use sea_orm::ConnectionTrait;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        (postgres_url_with_db(&base, &name), None)
    } else {
        let path = std::env::temp_dir().join(format!("ecoplan-test-{id}.db"));
        std::fs::copy(&template, &path).expect("copy template");
        (format!("sqlite://{}?mode=rwc", path.display()), Some(TempFile(path)))
    }
}

/// A new empty database (nothing migrated): its URL and, for SQLite, its file.
pub async fn empty_database() -> (String, Option<TempFile>) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    if on_postgres() {
        let base = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
        let name = format!("ecoplan_empty_{}", &id[..16]);
        let admin = sea_orm::Database::connect(&base).await.expect("connect to TEST_DATABASE_URL");
        use sea_orm::ConnectionTrait;
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create database");
        admin.close().await.ok();
        (postgres_url_with_db(&base, &name), None)
    } else {
        let path = std::env::temp_dir().join(format!("ecoplan-empty-{id}.db"));
        (format!("sqlite://{}?mode=rwc", path.display()), Some(TempFile(path)))
    }
}

/// The SQLite file of a template copy (for tests that put it elsewhere).
pub async fn template_file() -> std::path::PathBuf {
    std::path::PathBuf::from(template().await)
}

/// Whether this run is CI (`STRICT_TESTS=1`, set by `.ci/run`): tests that need something
/// of the machine (root to mount a small file system, PostgreSQL's server binaries) must
/// then run and fail loudly when they cannot, instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("STRICT_TESTS").is_ok_and(|v| v == "1")
}

/// A small tmpfs mounted for a test (root only), unmounted when dropped.
pub struct Tmpfs(pub std::path::PathBuf);

impl Tmpfs {
    /// Mounts `size` (e.g. `"4m"`); `None` when this process may not mount (not root),
    /// which fails the test in CI (see [`in_ci`]).
    pub fn mount(size: &str) -> Option<Tmpfs> {
        let dir = std::env::temp_dir().join(format!("ecoplan-tmpfs-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = std::fs::remove_dir(&dir);
            assert!(!in_ci(), "this test mounts a tmpfs and must run as root in CI");
            eprintln!("skipped: mounting a tmpfs needs root");
            return None;
        }
        Some(Tmpfs(dir))
    }

    /// Remounts read-only (`true`) or read-write.
    pub fn remount(&self, read_only: bool) {
        let mode = if read_only { "remount,ro" } else { "remount,rw" };
        let ok =
            std::process::Command::new("mount").args(["-o", mode]).arg(&self.0).status().is_ok_and(|s| s.success());
        assert!(ok, "remount {mode}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the application on a database of the caller's (already created, maybe empty).
pub async fn spawn_app_on(database_url: &str) -> TestApp {
    start(database_url.to_string(), None, |_| {}).await
}

/// Like [`spawn_app_on`], with settings adjusted by `configure`.
pub async fn spawn_app_on_with(database_url: &str, configure: impl FnOnce(&mut Settings)) -> TestApp {
    start(database_url.to_string(), None, configure).await
}

/// Starts the application on a database of the caller's; the error when it refuses to.
pub async fn try_spawn_app_on(database_url: &str) -> Result<TestApp, String> {
    try_start(database_url.to_string(), None, |_| {}).await.map_err(|e| format!("{e:#}"))
}

/// Starts the application with settings adjusted by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (database_url, sqlite_file) = fresh_database().await;
    start(database_url, sqlite_file, configure).await
}

async fn start(database_url: String, sqlite_file: Option<TempFile>, configure: impl FnOnce(&mut Settings)) -> TestApp {
    try_start(database_url, sqlite_file, configure).await.expect("build application")
}

async fn try_start(
    database_url: String,
    sqlite_file: Option<TempFile>,
    configure: impl FnOnce(&mut Settings),
) -> anyhow::Result<TestApp> {
    ecoplan::telemetry::init_for_tests();
    let mut settings = base_settings();
    settings.database.url = database_url.clone();
    configure(&mut settings);
    let app = Application::build(settings.clone()).await?;
    let port = app.port();
    let db = app.db().clone();
    let tokens = app.tokens();
    let handle = app.handle();
    let events = app.events();
    tokio::spawn(app.run_until_stopped());
    Ok(TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client"),
        db,
        tokens,
        settings,
        database_url,
        handle,
        events,
        _sqlite_file: sqlite_file,
    })
}

impl TestApp {
    /// Issues a token through the application's own token service.
    pub async fn token_for(&self, role: Role, unit: Option<&str>) -> String {
        self.token_with_ttl(role, unit, Duration::from_secs(3600)).await.0
    }

    /// Issues a token with a given lifetime; returns it and its id.
    pub async fn token_with_ttl(&self, role: Role, unit: Option<&str>, ttl: Duration) -> (String, String) {
        let cli = Identity::command_line();
        let issued = tokens::issue(
            &self.db,
            &self.tokens,
            Actor { identity: &cli, request_id: "test" },
            tokens::IssueRequest {
                role,
                unit: unit.map(|u| UnitCode::parse(u).expect("unit code")),
                subject: None,
                ttl,
            },
            Duration::from_secs(86_400 * 400),
        )
        .await
        .expect("issue token");
        (issued.token, issued.jti)
    }

    /// Revokes a token as the command line would.
    pub async fn revoke(&self, jti: &str) {
        let cli = Identity::command_line();
        tokens::revoke(&self.db, Actor { identity: &cli, request_id: "test" }, jti, Some("test"))
            .await
            .expect("revoke");
    }

    /// `GET /livez` answers 200: the process is alive.
    /// Waits until exactly `n` subscriptions listen for events (a subscription starts
    /// listening shortly after its `subscribe` message is read), for at most 10 s.
    pub async fn wait_for_subscribers(&self, n: usize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.events.subscribers() != n {
            assert!(
                std::time::Instant::now() < deadline,
                "{} subscriptions listen after 10 s, expected {n}",
                self.events.subscribers()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub async fn is_alive(&self) -> bool {
        match self.client.get(format!("{}/livez", self.address)).send().await {
            Ok(r) => r.status() == 200,
            Err(_) => false,
        }
    }

    pub async fn admin(&self) -> String {
        self.token_for(Role::Admin, None).await
    }

    pub async fn assessor(&self) -> String {
        self.token_for(Role::Assessor, None).await
    }

    pub async fn integration(&self) -> String {
        self.token_for(Role::Integration, None).await
    }

    pub async fn department(&self, unit: &str) -> String {
        self.token_for(Role::Department, Some(unit)).await
    }

    /// POSTs a GraphQL request; returns (HTTP status, body).
    pub async fn post_graphql(&self, query: &str, variables: Value, token: Option<&str>) -> (u16, Value) {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.address))
            .header("content-type", "application/json")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// A GraphQL request that must succeed at the HTTP level; returns the body.
    pub async fn graphql(&self, query: &str, variables: Value, token: &str) -> Value {
        let (status, body) = self.post_graphql(query, variables, Some(token)).await;
        assert_eq!(status, 200, "HTTP {status}: {body}");
        body
    }

    /// Like [`graphql`] but fails on any GraphQL error; returns `data`.
    pub async fn data(&self, query: &str, variables: Value, token: &str) -> Value {
        let body = self.graphql(query, variables, token).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// After a write made directly in the database (arranging a test), does what every write
    /// transaction of the application does: moves the data version on.
    pub async fn bump_data_version(&self) {
        use sea_orm::ConnectionTrait;
        self.db
            .conn
            .execute_unprepared("UPDATE data_version SET version = version + 1 WHERE id = 1")
            .await
            .expect("bump");
    }

    /// Runs SQL returning one integer (for "nothing was written" checks).
    pub async fn count(&self, sql: &str) -> i64 {
        use sea_orm::{ConnectionTrait, Statement};
        let row = self
            .db
            .conn
            .query_one_raw(Statement::from_string(self.db.backend(), sql.to_string()))
            .await
            .expect("query")
            .expect("row");
        row.try_get_by_index::<i64>(0).or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from)).expect("integer")
    }
}

/// The row number behind a stored row's global id (`IndicatorValue.id`), as text.
pub fn row_number(id: &str) -> String {
    let (_, key) = ecoplan::graphql::node::decode(id).unwrap_or_else(|| panic!("{id} is not a global id"));
    key
}

/// The `extensions.code` of the first error of a body.
/// Runs the `ecoplan` binary on `database_url` with the tests' signing key.
pub fn run_cli(database_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ecoplan"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("ECOPLAN_JWT_SECRET", TEST_SECRET)
        .env("ECOPLAN_JWT_KID", TEST_KID)
        .env_remove("ECOPLAN_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run ecoplan")
}

pub fn error_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>").to_string()
}

/// Every error code of a body.
pub fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| e["extensions"]["code"].as_str().unwrap_or("<none>").to_string()).collect())
        .unwrap_or_default()
}

pub const REPORT: &str = r#"mutation($input: ReportIndicatorValueInput!) {
  reportIndicatorValue(input: $input) {
    value { id period value implemented revision status reportedBy { code } reporter reportedAt note evidence }
  }
}"#;

pub const COMPLIANCE: &str = r#"query($code: String!, $period: Period!) {
  indicator(code: $code) {
    compliance(period: $period) {
      status declined value { value implemented revision } previousValue { value }
      conditions { comparator target satisfied explanation }
    }
  }
}"#;

impl TestApp {
    /// Reports a value; returns the whole response body.
    pub async fn report(&self, token: &str, input: Value) -> Value {
        self.graphql(REPORT, json!({ "input": input }), token).await
    }

    /// Reports a value that must be stored; returns the stored value.
    pub async fn report_ok(&self, token: &str, code: &str, period: &str, value: &str) -> Value {
        let body = self.report(token, json!({ "indicatorCode": code, "period": period, "value": value })).await;
        assert!(body.get("errors").is_none(), "report {code} {period} {value}: {body}");
        body["data"]["reportIndicatorValue"]["value"].clone()
    }

    /// The compliance of an indicator for a period.
    pub async fn compliance(&self, token: &str, code: &str, period: &str) -> Value {
        let data = self.data(COMPLIANCE, json!({ "code": code, "period": period }), token).await;
        data["indicator"]["compliance"].clone()
    }

    /// Rows in the tables a write could touch: a refused write must leave them unchanged.
    pub async fn write_footprint(&self) -> [i64; 6] {
        [
            self.count("SELECT COUNT(*) FROM indicator_value").await,
            self.count("SELECT COUNT(*) FROM task_progress").await,
            self.count("SELECT COUNT(*) FROM superior_target").await,
            self.count("SELECT COUNT(*) FROM group_membership").await,
            self.count("SELECT COUNT(*) FROM unit").await,
            self.count("SELECT COUNT(*) FROM audit_event").await,
        ]
    }
}

/// A graphql-transport-ws client, for the WebSocket transport.
pub mod ws {
    use std::time::Duration;

    use futures_util::{SinkExt, StreamExt};
    use serde_json::{json, Value};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    use super::TestApp;

    pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

    /// A socket speaking graphql-transport-ws, not yet initialised.
    pub async fn connect(app: &TestApp) -> Ws {
        let mut request = format!("ws://127.0.0.1:{}/graphql", app.port).into_client_request().unwrap();
        request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        let (ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(response.headers()["sec-websocket-protocol"], "graphql-transport-ws");
        ws
    }

    pub async fn send(ws: &mut Ws, message: Value) {
        let _ = ws.send(Message::Text(message.to_string().into())).await;
    }

    /// The next protocol message, or the close code (0 on timeout, 1006 when the
    /// connection dropped without a close frame).
    pub async fn next(ws: &mut Ws, wait: Duration) -> Result<Value, u16> {
        loop {
            let msg = tokio::time::timeout(wait, ws.next()).await.map_err(|_| 0u16)?;
            match msg {
                Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(t.as_str()).unwrap()),
                Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code)).unwrap_or(1005)),
                Some(Ok(_)) => continue,
                _ => return Err(1006),
            }
        }
    }

    /// A socket initialised with `token` and acknowledged.
    pub async fn open(app: &TestApp, token: &str) -> Ws {
        let mut ws = connect(app).await;
        send(&mut ws, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
            .await;
        assert_eq!(next(&mut ws, Duration::from_secs(10)).await.unwrap()["type"], "connection_ack");
        ws
    }

    /// Subscribes `payload` under `id`.
    pub async fn subscribe(ws: &mut Ws, id: &str, payload: Value) {
        send(ws, json!({ "id": id, "type": "subscribe", "payload": payload })).await;
    }

    /// Runs one query or mutation over the socket: `Ok(payload)` of its `next` (after
    /// which `complete` must follow), or `Err` with its `error` payload or close code.
    pub async fn execute(ws: &mut Ws, id: &str, payload: Value) -> Result<Value, Value> {
        subscribe(ws, id, payload).await;
        let wait = Duration::from_secs(10);
        match next(ws, wait).await {
            Ok(m) if m["type"] == "next" && m["id"] == id => {
                let done = next(ws, wait).await;
                assert!(matches!(&done, Ok(c) if c["type"] == "complete" && c["id"] == id), "{done:?}");
                Ok(m["payload"].clone())
            }
            Ok(m) if m["type"] == "error" && m["id"] == id => Err(m["payload"].clone()),
            Ok(m) => panic!("unexpected message {m}"),
            Err(code) => Err(json!({ "closed": code })),
        }
    }
}

/// A file for a GraphQL multipart request.
pub struct Upload<'a> {
    /// The variable path the file goes to, e.g. `variables.input.file`.
    pub path: &'a str,
    pub bytes: Vec<u8>,
    pub name: &'a str,
    pub content_type: &'a str,
}

impl TestApp {
    /// POSTs a GraphQL multipart request (one file), with the CSRF header; returns (HTTP
    /// status, body).
    pub async fn upload_graphql(
        &self,
        query: &str,
        variables: Value,
        file: Upload<'_>,
        token: &str,
        language: Option<&str>,
    ) -> (u16, Value) {
        let operations = json!({ "query": query, "variables": variables });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": [file.path] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(file.bytes)
                    .file_name(file.name.to_string())
                    .mime_str(file.content_type)
                    .expect("a media type"),
            );
        let mut req = self
            .client
            .post(format!("{}/graphql", self.address))
            .header("apollo-require-preflight", "true")
            .bearer_auth(token)
            .multipart(form);
        if let Some(l) = language {
            req = req.header("accept-language", l);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json::<Value>().await.unwrap_or(Value::Null))
    }
}
