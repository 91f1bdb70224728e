//! Rate limits per token and per client address: 429, RATE_LIMITED, Retry-After.

use ecoplan::config::Settings;
use serde_json::json;

use crate::helpers::{error_code, spawn_app_with};

#[tokio::test]
async fn a_token_over_its_limit_gets_429_with_retry_after() {
    let defaults = Settings::default();
    // The default limits, with the burst made small enough to reach quickly.
    let app = spawn_app_with(|s| {
        s.rate_limits.per_minute = defaults.rate_limits.per_minute;
        s.rate_limits.burst = 5;
        s.rate_limits.anonymous_per_minute = defaults.rate_limits.anonymous_per_minute;
    })
    .await;
    let farm = app.department("agriculture_rural_bureau").await;
    let other = app.department("water_resources_bureau").await;
    let before = app.write_footprint().await;
    let mut limited = None;
    for _ in 0..10 {
        let resp = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .bearer_auth(&farm)
            .json(&json!({ "query": "{ me { role } }" }))
            .send()
            .await
            .unwrap();
        if resp.status() == 429 {
            limited = Some(resp);
            break;
        }
        assert_eq!(resp.status(), 200);
    }
    let resp = limited.expect("the sixth request is over the burst of 5");
    let retry_after: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert!(body["errors"][0]["extensions"]["retryAfter"].as_u64().is_some());
    // A limited mutation writes nothing; another token is not affected.
    let (status, body) = app
        .post_graphql(
            crate::helpers::REPORT,
            json!({ "input": { "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "91" } }),
            Some(&farm),
        )
        .await;
    assert_eq!(status, 429);
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert_eq!(app.write_footprint().await, before);
    app.data("{ me { role } }", json!({}), &other).await;
}

#[tokio::test]
async fn requests_without_a_valid_token_are_limited_per_address() {
    let app = spawn_app_with(|s| s.rate_limits.anonymous_per_minute = 10).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let (status, _) = app.post_graphql("{ me { role } }", json!({}), Some("not-a-token")).await;
        statuses.push(status);
    }
    assert_eq!(statuses[..5], [401, 401, 401, 401, 401]);
    assert!(statuses.contains(&429), "{statuses:?}");
    // A valid token still gets through from the same address.
    let token = app.admin().await;
    app.data("{ me { role } }", json!({}), &token).await;
}
