//! The audit trail: one event per successful write, none for a refused one, scoped reads.

use serde_json::json;

use crate::helpers::{error_code, spawn_app, REPORT};

const EVENTS: &str = r#"query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 100) {
  totalCount edges { node { action targetType targetKey actorSubject actorRole actorUnit { code } before after requestId occurredAt } } } }"#;

#[tokio::test]
async fn each_write_records_who_what_before_after_and_the_request_id() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    for (value, request_id) in [("88", "req-first-1"), ("91", "req-second-2")] {
        let resp = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .header("x-request-id", request_id)
            .bearer_auth(&farm)
            .json(&json!({ "query": REPORT, "variables": { "input": {
                "indicatorCode": "straw_utilization_rate", "period": "2022", "value": value } } }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.headers()["x-request-id"], request_id);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(body.get("errors").is_none(), "{body}");
    }
    // A refused write leaves no trace.
    let body =
        app.report(&farm, json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "101" })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    let admin = app.admin().await;
    let data = app.data(EVENTS, json!({ "filter": { "action": "indicator_value.report" } }), &admin).await;
    assert_eq!(data["auditEvents"]["totalCount"], 2);
    let first = &data["auditEvents"]["edges"][0]["node"];
    let second = &data["auditEvents"]["edges"][1]["node"];
    assert_eq!(first["requestId"], "req-first-1");
    assert_eq!(first["actorSubject"], "department:agriculture_rural_bureau");
    assert_eq!(first["actorRole"], "DEPARTMENT");
    assert_eq!(first["actorUnit"]["code"], "agriculture_rural_bureau");
    assert_eq!(first["targetKey"], "straw_utilization_rate/2022#1");
    assert!(first["before"].is_null());
    assert_eq!(first["after"]["value"], "88");
    assert_eq!(second["targetKey"], "straw_utilization_rate/2022#2");
    assert_eq!(second["before"]["value"], "88");
    assert_eq!(second["after"]["value"], "91");
    assert_eq!(second["requestId"], "req-second-2");
}

#[tokio::test]
async fn departments_read_their_own_events_and_integration_none() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let water = app.department("water_resources_bureau").await;
    app.report_ok(&farm, "straw_utilization_rate", "2022", "90").await;
    app.report_ok(&water, "water_consumption_per_gdp", "2022", "30").await;
    let filter = json!({ "filter": { "targetType": "indicator_value" } });
    let mine = app.data(EVENTS, filter.clone(), &farm).await;
    assert_eq!(mine["auditEvents"]["totalCount"], 1);
    assert_eq!(mine["auditEvents"]["edges"][0]["node"]["actorUnit"]["code"], "agriculture_rural_bureau");
    for token in [app.admin().await, app.assessor().await] {
        assert_eq!(app.data(EVENTS, filter.clone(), &token).await["auditEvents"]["totalCount"], 2);
    }
    let body = app.graphql(EVENTS, filter, &app.integration().await).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
}
