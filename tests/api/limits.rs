//! Limits on by default: each refused early with LIMIT_EXCEEDED, no resolver run (shown with
//! mutations that would otherwise write), and production's stricter schema.

use serde_json::json;

use crate::helpers::{error_code, error_codes, spawn_app, spawn_app_with, TestApp};

const REPORT_ARGS: &str = r#"input: { indicatorCode: "straw_utilization_rate", period: "2022", value: "91" }"#;

async fn refused_without_writes(app: &TestApp, token: &str, query: &str, case: &str) {
    let before = app.write_footprint().await;
    let (status, body) = app.post_graphql(query, json!({}), Some(token)).await;
    assert!(status == 200 || status == 400, "{case}: HTTP {status}");
    assert_eq!(error_code(&body), "LIMIT_EXCEEDED", "{case}: {body}");
    assert!(body.get("data").is_none() || body["data"].is_null(), "{case}: {body}");
    assert_eq!(app.write_footprint().await, before, "{case}: something was written");
}

#[tokio::test]
async fn depth_complexity_aliases_directives_root_fields_and_tokens_are_limited() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    // Depth: 13 levels under the mutation field.
    let mut deep = "revision".to_string();
    for _ in 0..6 {
        deep = format!("indicator {{ task {{ indicators {{ values {{ edges {{ node {{ {deep} }} }} }} }} }} }}");
    }
    refused_without_writes(
        &app,
        &farm,
        &format!("mutation {{ reportIndicatorValue({REPORT_ARGS}) {{ value {{ {deep} }} }} }}"),
        "depth",
    )
    .await;
    // Complexity: connections count `first` times.
    let heavy = "value { indicator { values(first: 100) { edges { node { indicator { values(first: 100) { edges { node { id period } } } } } } } } }";
    refused_without_writes(
        &app,
        &farm,
        &format!("mutation {{ reportIndicatorValue({REPORT_ARGS}) {{ {heavy} }} }}"),
        "complexity",
    )
    .await;
    // Aliases: 31 copies of the mutation.
    let aliased: String =
        (0..31).map(|i| format!("a{i}: reportIndicatorValue({REPORT_ARGS}) {{ value {{ id }} }} ")).collect();
    refused_without_writes(&app, &farm, &format!("mutation {{ {aliased} }}"), "aliases").await;
    // Directives: 21 on one field (CVE-2024-47614).
    let directives = "@include(if: true) ".repeat(21);
    refused_without_writes(
        &app,
        &farm,
        &format!("mutation {{ reportIndicatorValue({REPORT_ARGS}) {directives} {{ value {{ id }} }} }}"),
        "directives",
    )
    .await;
    // Root fields: 21 in one operation (20 aliases stay under the alias limit).
    let roots: String =
        (0..21).map(|i| format!("r{i}: reportIndicatorValue({REPORT_ARGS}) {{ value {{ id }} }} ")).collect();
    let app_roots = spawn_app_with(|s| s.limits.max_aliases = 100).await;
    let farm2 = app_roots.department("agriculture_rural_bureau").await;
    refused_without_writes(&app_roots, &farm2, &format!("mutation {{ {roots} }}"), "root fields").await;
    // Lexical tokens: counted before parsing.
    let numbers = vec!["1"; 5001].join(" ");
    refused_without_writes(
        &app,
        &farm,
        &format!("mutation {{ reportIndicatorValue({REPORT_ARGS}) {{ value {{ indicator {{ task {{ section {{ tasks {{ number }} }} }} }} }} }} }} query {{ tasks(filter: {{ numbers: [{numbers}] }}) {{ totalCount }} }}"),
        "tokens",
    )
    .await;
    // The limits leave an ordinary dashboard query alone.
    let ok = app
        .graphql(
            r#"{ tasks(first: 100) { totalCount edges { node { number section { domain { code } } assignments { role unit { code } }
                 indicators { code conditions { comparator target } compliance(period: "2022") { status value { value } } } } } } }"#,
            json!({}),
            &farm,
        )
        .await;
    assert!(ok.get("errors").is_none(), "{ok}");
}

#[tokio::test]
async fn limits_are_configurable() {
    let app = spawn_app_with(|s| s.limits.max_depth = 3).await;
    let token = app.admin().await;
    let body = app.graphql("{ task(number: 1) { section { domain { code } } } }", json!({}), &token).await;
    assert_eq!(error_code(&body), "LIMIT_EXCEEDED");
    let body = app.graphql("{ task(number: 1) { section { number } } }", json!({}), &token).await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn production_hides_suggestions_and_introspection_unless_configured() {
    let dev = spawn_app().await;
    let token = dev.admin().await;
    let body = dev.graphql("{ tasks { totalCont } }", json!({}), &token).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("Did you mean"), "{body}");
    let data = dev.data("{ __schema { queryType { name } } }", json!({}), &token).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "QueryRoot");

    let secret = "production-secret-0123456789abcdef0123456789";
    let prod = spawn_app_with(|s| {
        s.env = ecoplan::config::Environment::Production;
        s.tokens.secret = Some(secret.into());
    })
    .await;
    let token = prod.admin().await;
    let body = prod.graphql("{ tasks { totalCont } }", json!({}), &token).await;
    assert!(!body.to_string().contains("Did you mean"), "{body}");
    assert_eq!(error_codes(&body), vec!["BAD_USER_INPUT"]);
    let body = prod.graphql("{ __schema { queryType { name } } }", json!({}), &token).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "introspection must be off in production: {body}");
    let body = prod.graphql(r#"{ __type(name: "Task") { name } }"#, json!({}), &token).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let resp = prod.client.get(format!("{}/graphql", prod.address)).header("accept", "text/html").send().await.unwrap();
    assert_ne!(resp.status(), 200, "no GraphiQL in production");

    let prod_introspective = spawn_app_with(|s| {
        s.env = ecoplan::config::Environment::Production;
        s.tokens.secret = Some(secret.into());
        s.graphql.introspection = Some(true);
    })
    .await;
    let token = prod_introspective.admin().await;
    let data = prod_introspective.data("{ __schema { queryType { name } } }", json!({}), &token).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "QueryRoot");
}

#[tokio::test]
async fn a_batch_is_refused_without_running_anything() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let before = app.write_footprint().await;
    let one = json!({ "query": format!("mutation {{ reportIndicatorValue({REPORT_ARGS}) {{ value {{ id }} }} }}") });
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .bearer_auth(&farm)
        .json(&json!([one.clone(), one]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(app.write_footprint().await, before);
}

/// graphql-js's standard introspection query, which GraphiQL's Docs, Apollo Sandbox, Altair
/// and Python gql send, is 15 fields deep: introspection alone has its own depth bound, so it
/// is answered under the default limits while data queries keep theirs.
#[tokio::test]
async fn the_standard_introspection_query_is_answered_under_the_default_limits() {
    let app = spawn_app().await;
    let token = app.department("water_resources_bureau").await;
    let query = include_str!("fixtures/introspection-graphql-js-16.graphql");
    let data = app.data(query, json!({}), &token).await;
    let types = data["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Task"), "the schema's types are listed");
    assert_eq!(data["__schema"]["queryType"]["name"], "QueryRoot");

    // The data-query bound is unchanged: 13 fields deep without introspection is refused…
    let deep = "{ task(number: 1) { section { domain { sections { tasks { section { domain { sections { tasks { section { domain { sections { number } } } } } } } } } } } } }";
    let body = app.graphql(deep, json!({}), &token).await;
    assert_eq!(error_code(&body), "LIMIT_EXCEEDED", "{body}");
    // …and so is the same depth asked beside introspection.
    let beside = format!("{{ __schema {{ queryType {{ name }} }} {} }}", &deep[2..deep.len() - 2]);
    let body = app.graphql(&beside, json!({}), &token).await;
    assert_eq!(error_code(&body), "LIMIT_EXCEEDED", "{body}");
    // Introspection that multiplies its answer (members of members of members…) is refused.
    let cycle =
        "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }";
    let body = app.graphql(cycle, json!({}), &token).await;
    assert_eq!(error_code(&body), "LIMIT_EXCEEDED", "{body}");
    assert!(body.to_string().contains("`fields`"), "{body}");
}

/// Introspection in production is a configuration, optionally for chosen roles only.
#[tokio::test]
async fn introspection_can_be_opened_to_chosen_roles_only() {
    let app = spawn_app_with(|s| {
        s.env = ecoplan::config::Environment::Production;
        s.tokens.secret = Some("production-secret-0123456789abcdef0123456789".into());
        s.graphql.introspection = Some(true);
        s.graphql.introspection_roles = vec![ecoplan::domain::Role::Admin];
    })
    .await;
    let query = include_str!("fixtures/introspection-graphql-js-16.graphql");
    let admin = app.admin().await;
    let data = app.data(query, json!({}), &admin).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "QueryRoot");
    let integration = app.integration().await;
    let body = app.graphql(query, json!({}), &integration).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert!(body.to_string().contains("INTEGRATION"), "the refusal names the role: {body}");
    // Data queries of that role are untouched.
    let data = app.data("{ tasks { totalCount } }", json!({}), &integration).await;
    assert_eq!(data["tasks"]["totalCount"], 29);
}
