//! GraphQL over HTTP: methods, media types, body limits, status codes.

use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, spawn_app_with};

#[tokio::test]
async fn get_runs_queries() {
    let app = spawn_app().await;
    let token = app.admin().await;
    let resp = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "{ tasks { totalCount } }")])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["tasks"]["totalCount"], 29);
}

#[tokio::test]
async fn a_mutation_over_get_is_405_with_allow() {
    let app = spawn_app().await;
    let token = app.admin().await;
    for query in ["mutation { anything }", "mutation M { x } query Q { me { role } }"] {
        let resp = app
            .client
            .get(format!("{}/graphql", app.address))
            .query(&[("query", query), ("operationName", if query.contains("M {") { "M" } else { "" })])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 405, "{query}");
        assert_eq!(resp.headers()["allow"], "POST");
    }
}

#[tokio::test]
async fn post_bodies_must_be_json() {
    let app = spawn_app().await;
    let token = app.admin().await;
    // A multipart body is an upload, refused without the CSRF header (tests/api/intake.rs).
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "multipart/form-data; boundary=x")
        .bearer_auth(&token)
        .body(json!({ "query": "{ me { role } }" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    for ct in ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"] {
        let resp = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", ct)
            .bearer_auth(&token)
            .body(json!({ "query": "{ me { role } }" }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 415, "{ct}");
    }
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .body(json!({ "query": "{ me { role } }" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415, "no content type");
}

#[tokio::test]
async fn content_negotiation_and_status_codes() {
    let app = spawn_app().await;
    let token = app.admin().await;
    let send = |accept: &'static str, query: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            app.client
                .post(format!("{}/graphql", app.address))
                .header("content-type", "application/json")
                .header("accept", accept)
                .bearer_auth(token)
                .body(json!({ "query": query }).to_string())
                .send()
                .await
                .unwrap()
        }
    };
    let resp = send("application/graphql-response+json", "{ me { role } }").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/graphql-response+json"));
    let resp = send("application/graphql-response+json", "{ me { role ").await;
    assert_eq!(resp.status(), 400, "parse error");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    let resp = send("application/graphql-response+json", "{ me { nosuchfield } }").await;
    assert_eq!(resp.status(), 400, "validation error");
    let resp = send("application/json", "{ me { nosuchfield } }").await;
    assert_eq!(resp.status(), 200, "legacy media type keeps 200");
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let resp = send("text/html", "{ me { role } }").await;
    assert_eq!(resp.status(), 406);
}

#[tokio::test]
async fn malformed_and_batched_bodies_are_refused() {
    let app = spawn_app().await;
    let token = app.admin().await;
    for body in ["{not json", "[]", r#"[{"query":"{ me { role } }"}]"#, r#"{"variables":{}}"#, r#"{"query": 42}"#] {
        let resp = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .bearer_auth(&token)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{body}");
        let json: Value = resp.json().await.unwrap();
        assert_eq!(error_code(&json), "BAD_USER_INPUT", "{body}");
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = spawn_app_with(|s| s.server.max_body_bytes = 4096).await;
    let token = app.admin().await;
    let padding = " ".repeat(5000);
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .bearer_auth(&token)
        .body(format!(r#"{{"query":"{{ me {{ role }} }}{padding}"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn graphiql_is_served_to_browsers_in_development_only() {
    let app = spawn_app().await;
    let resp = app.client.get(format!("{}/graphql", app.address)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("graphiql"));
    let app = spawn_app_with(|s| s.graphql.graphiql = Some(false)).await;
    let resp = app.client.get(format!("{}/graphql", app.address)).header("accept", "text/html").send().await.unwrap();
    assert_ne!(resp.status(), 200);
}
