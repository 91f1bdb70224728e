//! The response cache: a repeated query costs one statement (the token check, which also
//! reads the data version), any write retires it at once, and nothing crosses tokens.

use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_on, spawn_app_with};
use crate::performance::DASHBOARD;

#[tokio::test]
async fn a_repeated_dashboard_costs_one_statement_until_something_is_written() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let vars = json!({ "period": "2022" });
    let first = app.data(DASHBOARD, vars.clone(), &farm).await;
    let before = app.db.statement_count();
    let second = app.data(DASHBOARD, vars.clone(), &farm).await;
    assert_eq!(app.db.statement_count() - before, 1, "answered from the cache after the token check");
    assert_eq!(first, second);
    // A report changes the answer at once.
    app.report_ok(&farm, "straw_utilization_rate", "2022", "93").await;
    let third = app.data(DASHBOARD, vars.clone(), &farm).await;
    let straw = third["tasks"]["edges"][0]["node"]["indicators"][0].clone();
    assert_eq!(straw["code"], "straw_utilization_rate");
    assert_eq!(straw["compliance"]["value"]["value"], "93");
    assert_eq!(straw["compliance"]["status"], "MET");
    // Different variables are a different entry.
    let other = app.data(DASHBOARD, json!({ "period": "2021" }), &farm).await;
    assert!(other["tasks"]["edges"][0]["node"]["indicators"][0]["compliance"]["value"].is_null());
}

#[tokio::test]
async fn nothing_crosses_tokens_and_a_revoked_token_is_refused_even_if_cached() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let water = app.department("water_resources_bureau").await;
    let query = "{ me { subject tokenId } tasks { totalCount } }";
    let a = app.data(query, json!({}), &farm).await;
    let b = app.data(query, json!({}), &water).await;
    assert_eq!(a["tasks"]["totalCount"], 2);
    assert_eq!(b["tasks"]["totalCount"], 3);
    assert_ne!(a["me"]["tokenId"], b["me"]["tokenId"]);
    let jti = a["me"]["tokenId"].as_str().unwrap().to_string();
    app.data(
        r#"mutation($t: String!) { revokeToken(input: { tokenId: $t }) { newlyRevoked } }"#,
        json!({ "t": jti }),
        &farm,
    )
    .await;
    let (status, _) = app.post_graphql(query, json!({}), Some(&farm)).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_write_through_another_instance_retires_the_cache() {
    let a = spawn_app().await;
    let b = spawn_app_on(&a.database_url).await;
    let farm = a.department("agriculture_rural_bureau").await;
    let query =
        r#"{ indicator(code: "straw_utilization_rate") { compliance(period: "2022") { status value { value } } } }"#;
    let cached = b.data(query, json!({}), &farm).await;
    assert!(cached["indicator"]["compliance"]["value"].is_null());
    b.data(query, json!({}), &farm).await;
    a.report_ok(&farm, "straw_utilization_rate", "2022", "95").await;
    let fresh = b.data(query, json!({}), &farm).await;
    assert_eq!(fresh["indicator"]["compliance"]["value"]["value"], "95");
}

#[tokio::test]
async fn assessments_and_the_audit_log_are_never_cached_and_the_cache_can_be_off() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let query = "{ auditEvents { totalCount } }";
    app.data(query, json!({}), &admin).await;
    let before = app.db.statement_count();
    app.data(query, json!({}), &admin).await;
    assert!(app.db.statement_count() - before >= 2, "computed every time");
    let off = spawn_app_with(|s| s.server.response_cache_entries = 0).await;
    let token = off.admin().await;
    off.data("{ tasks { totalCount } }", json!({}), &token).await;
    let before = off.db.statement_count();
    off.data("{ tasks { totalCount } }", json!({}), &token).await;
    assert_eq!(off.db.statement_count() - before, 2);
}
