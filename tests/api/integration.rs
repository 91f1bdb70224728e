//! For other systems: persisted operations, CORS allow-list, Prometheus metrics.

use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, spawn_app_with, TempFile};

const OPERATION: &str = "query Plan { plan { title } tasks { totalCount } }";

fn manifest(entries: &[(&str, &str)]) -> TempFile {
    let path = std::env::temp_dir().join(format!("ecoplan-persisted-{}.json", uuid::Uuid::new_v4().simple()));
    let map: serde_json::Map<String, Value> = entries.iter().map(|(h, q)| (h.to_string(), json!(q))).collect();
    std::fs::write(&path, Value::Object(map).to_string()).unwrap();
    TempFile(path)
}

#[tokio::test]
async fn persisted_operations_by_hash_and_integration_tokens_bound_to_them() {
    let hash = ecoplan::gate::persisted::hash(OPERATION);
    let file = manifest(&[(&hash, OPERATION)]);
    let path = file.0.display().to_string();
    let app = spawn_app_with(|s| {
        s.graphql.persisted_operations_file = Some(path);
        s.graphql.persisted_only_roles = vec![ecoplan::auth::Role::Integration];
    })
    .await;
    let integration = app.integration().await;
    let admin = app.admin().await;
    let persisted = |h: &str| json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": h } } });
    let post = |body: Value, token: String| {
        let app = &app;
        async move {
            let resp = app
                .client
                .post(format!("{}/graphql", app.address))
                .header("content-type", "application/json")
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = post(persisted(&hash), integration.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["tasks"]["totalCount"], 29, "{body}");
    // GET works too (cacheable).
    let resp = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("extensions", persisted(&hash)["extensions"].to_string())])
        .bearer_auth(&integration)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["plan"]["title"], "沁水县巩固提升国家生态文明建设示范县创建成果工作方案");
    // Unknown hash: the standard error.
    let (status, body) = post(persisted(&"0".repeat(64)), integration.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(error_code(&body), "NOT_FOUND");
    // The integration token may not send its own documents; an admin may.
    let (status, body) = post(json!({ "query": OPERATION }), integration.clone()).await;
    assert_eq!(status, 403);
    assert_eq!(error_code(&body), "FORBIDDEN");
    let (_, body) = post(json!({ "query": "{ me { role } }" }), admin.clone()).await;
    assert_eq!(body["data"]["me"]["role"], "ADMIN");
    // A document that does not match its hash is refused.
    let mut mismatch = persisted(&hash);
    mismatch["query"] = json!("{ me { role } }");
    let (_, body) = post(mismatch, admin).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_manifest_whose_hashes_do_not_match_is_refused_at_start() {
    let file = manifest(&[(&"ab".repeat(32), OPERATION)]);
    let (url, _db) = crate::helpers::fresh_database().await;
    let settings = ecoplan::config::RawSettings {
        bind: "127.0.0.1:0".into(),
        database_url: url,
        persisted_operations_file: Some(file.0.display().to_string()),
        ..Default::default()
    }
    .into_settings()
    .unwrap();
    let err = ecoplan::startup::Application::build(settings).await.err().expect("refused");
    assert!(err.to_string().contains("does not hash"), "{err}");
}

#[tokio::test]
async fn cors_answers_the_allowed_origins_only() {
    let app = spawn_app_with(|s| s.server.cors_origins = vec!["https://dashboard.qinshui.gov.cn".into()]).await;
    let preflight_with = |origin: &'static str, headers: &'static str| {
        let app = &app;
        async move {
            app.client
                .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", headers)
                .send()
                .await
                .unwrap()
        }
    };
    let preflight = |origin: &'static str| preflight_with(origin, "authorization, content-type");
    // What Apollo Client (`name`/`version` options) and request tracing add pass by default.
    let apollo = preflight_with(
        "https://dashboard.qinshui.gov.cn",
        "authorization, content-type, apollographql-client-name, apollographql-client-version, x-request-id, accept-language",
    )
    .await;
    assert_eq!(apollo.status(), 200, "Apollo's headers are allowed by default");
    let unknown = preflight_with("https://dashboard.qinshui.gov.cn", "authorization, x-custom-thing").await;
    assert_ne!(unknown.status(), 200, "a header outside the list is not");
    let ok = preflight("https://dashboard.qinshui.gov.cn").await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://dashboard.qinshui.gov.cn");
    let refused = preflight("https://elsewhere.example").await;
    assert!(refused.headers().get("access-control-allow-origin").is_none());
    let token = app.admin().await;
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("origin", "https://dashboard.qinshui.gov.cn")
        .header("content-type", "application/json")
        .bearer_auth(&token)
        .json(&json!({ "query": "{ me { role } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["access-control-allow-origin"], "https://dashboard.qinshui.gov.cn");
    let exposed = resp.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    for h in ["x-request-id", "content-disposition", "retry-after"] {
        assert!(exposed.contains(h), "{h} is readable by scripts: {exposed}");
    }
    // The list is configuration.
    let custom = spawn_app_with(|s| {
        s.server.cors_origins = vec!["https://dashboard.qinshui.gov.cn".into()];
        s.server.cors_allowed_headers = vec!["authorization".into(), "content-type".into(), "x-custom-thing".into()];
    })
    .await;
    let resp = custom
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", custom.address))
        .header("origin", "https://dashboard.qinshui.gov.cn")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, x-custom-thing")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(ecoplan::config::parse_header_names("authorization, not a header").is_err());
    // No origin is allowed by default.
    let plain = spawn_app().await;
    let resp = plain
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", plain.address))
        .header("origin", "https://dashboard.qinshui.gov.cn")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    // A malformed origin is a configuration error.
    let (url, _db) = crate::helpers::fresh_database().await;
    let bad =
        ecoplan::config::RawSettings { database_url: url.clone(), cors_origins: "*".into(), ..Default::default() };
    assert!(bad.into_settings().is_err(), "a wildcard origin is refused when the settings are read");
    let mut bad = ecoplan::config::Settings::default();
    bad.database.url = url;
    bad.server.cors_origins = vec!["*".into()];
    assert!(ecoplan::startup::Application::build(bad).await.is_err(), "and again at start");
}

#[tokio::test]
async fn metrics_count_operations_and_need_a_token() {
    let app = spawn_app().await;
    let token = app.admin().await;
    let body = json!({ "query": "query MetricsProbe { me { role } }", "operationName": "MetricsProbe" });
    for _ in 0..3 {
        app.client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
    }
    let resp = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let farm = app.department("agriculture_rural_bureau").await;
    let resp = app.client.get(format!("{}/metrics", app.address)).bearer_auth(&farm).send().await.unwrap();
    assert_eq!(resp.status(), 401, "departments do not read metrics");
    let resp =
        app.client.get(format!("{}/metrics", app.address)).bearer_auth(app.integration().await).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("ecoplan_graphql_requests_total") && l.contains("operation=\"MetricsProbe\""))
        .unwrap_or_else(|| panic!("no counter for MetricsProbe in:\n{text}"));
    assert!(line.contains("outcome=\"ok\""), "{line}");
    assert!(text.contains("ecoplan_graphql_request_duration_seconds_bucket"));
    assert!(text.contains("ecoplan_db_pool_connections{state=\"idle\"}"));
    assert!(text.contains("ecoplan_http_requests_total{route=\"/graphql\""));
    // Every metric says what it is (HELP) and of which type; a growing count is a counter.
    for name in ["ecoplan_graphql_requests_total", "ecoplan_http_requests_total", "ecoplan_db_statements_total"] {
        assert!(text.contains(&format!("# HELP {name} ")), "no HELP for {name}");
        assert!(text.contains(&format!("# TYPE {name} counter")), "{name} is a counter");
    }
    assert!(text.contains("# TYPE ecoplan_db_pool_connections gauge"));
    for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        let parts: Vec<&str> = line.split(' ').collect();
        assert!(!(parts[2].ends_with("_total") && parts[3] != "counter"), "{line}");
    }
    let public = spawn_app_with(|s| s.server.metrics_public = true).await;
    let resp = public.client.get(format!("{}/metrics", public.address)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}
