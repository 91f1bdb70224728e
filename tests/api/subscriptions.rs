//! Subscriptions over graphql-transport-ws with a real WebSocket client: token checked at
//! connection_init, events delivered only to tokens allowed to read them.

use std::time::Duration;

use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::spawn_app;
use crate::helpers::ws::{connect, next, open, send};

const VALUES: &str = "subscription { indicatorValueChanged { action indicatorCode value { revision value status reportedBy { code } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_reviews_and_progress_reach_the_subscribers_allowed_to_read_them() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let water = app.department("water_resources_bureau").await;
    let assessor = app.assessor().await;
    let mut farm_ws = open(&app, &farm).await;
    let mut water_ws = open(&app, &water).await;
    let mut integration_ws = open(&app, &app.integration().await).await;
    for ws in [&mut farm_ws, &mut water_ws, &mut integration_ws] {
        send(ws, json!({ "id": "v", "type": "subscribe", "payload": { "query": VALUES } })).await;
    }
    send(&mut farm_ws, json!({ "id": "p", "type": "subscribe", "payload": { "query": "subscription { taskProgressUpdated(taskNumber: 18) { action progress { version status task { number } } } }" } })).await;
    app.wait_for_subscribers(4).await;

    let v = app.report_ok(&farm, "straw_utilization_rate", "2022", "91").await;
    app.data(
        r#"mutation($id: ID!) { verifyIndicatorValue(input: { valueId: $id }) { value { id } } }"#,
        json!({ "id": v["id"] }),
        &assessor,
    )
    .await;
    app.report_ok(&water, "water_consumption_per_gdp", "2022", "30").await;
    app.data(r#"mutation { updateTaskProgress(input: { taskNumber: 18, period: "2022", status: IN_PROGRESS, percent: "40" }) { progress { version } } }"#, json!({}), &farm).await;

    let wait = Duration::from_secs(10);
    // The farm bureau sees its report, then the verification (in order on "v"), and its progress
    // on "p" (two subscriptions of one socket are not ordered with each other).
    let mut by_id: std::collections::HashMap<String, Vec<Value>> = std::collections::HashMap::new();
    for _ in 0..3 {
        let m = next(&mut farm_ws, wait).await.unwrap();
        assert_eq!(m["type"], "next");
        by_id.entry(m["id"].as_str().unwrap().to_string()).or_default().push(m["payload"]["data"].clone());
    }
    let values = &by_id["v"];
    assert_eq!(values.len(), 2);
    let reported = &values[0]["indicatorValueChanged"];
    assert_eq!(reported["action"], "VALUE_REPORTED");
    assert_eq!(reported["value"]["value"], "91");
    assert_eq!(reported["value"]["status"], "SUBMITTED");
    assert_eq!(reported["value"]["reportedBy"]["code"], "agriculture_rural_bureau");
    assert_eq!(values[1]["indicatorValueChanged"]["action"], "VALUE_VERIFIED");
    assert_eq!(by_id["p"][0]["taskProgressUpdated"]["progress"]["task"]["number"], 18);
    // The water bureau sees only its own report.
    let m = next(&mut water_ws, wait).await.unwrap();
    assert_eq!(m["payload"]["data"]["indicatorValueChanged"]["indicatorCode"], "water_consumption_per_gdp");
    assert!(next(&mut water_ws, Duration::from_millis(800)).await.is_err(), "nothing else reaches the water bureau");
    assert!(next(&mut farm_ws, Duration::from_millis(800)).await.is_err(), "nor the farm bureau");
    // Integration reads all three value events.
    let mut codes = Vec::new();
    for _ in 0..3 {
        let m = next(&mut integration_ws, wait).await.unwrap();
        codes.push(m["payload"]["data"]["indicatorValueChanged"]["indicatorCode"].as_str().unwrap().to_string());
    }
    assert_eq!(codes, vec!["straw_utilization_rate", "straw_utilization_rate", "water_consumption_per_gdp"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_without_a_valid_token_are_closed_with_4403_and_early_subscribes_with_4401() {
    let app = spawn_app().await;
    for payload in [json!({}), json!({ "Authorization": "Bearer not-a-token" }), json!({ "token": "a.b.c" })] {
        let mut ws = connect(&app).await;
        send(&mut ws, json!({ "type": "connection_init", "payload": payload })).await;
        assert_eq!(next(&mut ws, Duration::from_secs(10)).await, Err(4403), "{payload}");
    }
    let mut ws = connect(&app).await;
    send(&mut ws, json!({ "id": "1", "type": "subscribe", "payload": { "query": VALUES } })).await;
    assert_eq!(next(&mut ws, Duration::from_secs(10)).await, Err(4401));
    // A revoked token is refused at connection_init too.
    let farm = app.department("agriculture_rural_bureau").await;
    let jti = app.data("{ me { tokenId } }", json!({}), &farm).await["me"]["tokenId"].as_str().unwrap().to_string();
    app.data(
        r#"mutation($t: String!) { revokeToken(input: { tokenId: $t }) { newlyRevoked } }"#,
        json!({ "t": jti }),
        &farm,
    )
    .await;
    let mut ws = connect(&app).await;
    send(&mut ws, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {farm}") } })).await;
    assert_eq!(next(&mut ws, Duration::from_secs(10)).await, Err(4403));
    // And a plain GET without the subprotocol is not a subscription.
    let mut request = format!("ws://127.0.0.1:{}/graphql", app.port).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-ws".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_obey_the_document_limits() {
    let app = spawn_app().await;
    let mut ws = open(&app, &app.integration().await).await;
    // 31 aliases, one more than the default limit of 30; otherwise a valid subscription.
    let aliases: String = (0..31).map(|i| format!("a{i}: indicatorCode ")).collect();
    let query = format!("subscription {{ indicatorValueChanged {{ {aliases} }} }}");
    send(&mut ws, json!({ "id": "x", "type": "subscribe", "payload": { "query": query } })).await;
    // Refused before execution: an `error` message (the protocol's answer to a validation
    // failure), which ends the operation.
    let m = next(&mut ws, Duration::from_secs(10)).await.unwrap();
    assert_eq!(m["type"], "error");
    assert_eq!(m["id"], "x");
    assert_eq!(m["payload"][0]["extensions"]["code"], "LIMIT_EXCEEDED", "{m}");
    // The connection stays usable: 30 aliases subscribe and receive a report.
    let aliases: String = (0..30).map(|i| format!("a{i}: indicatorCode ")).collect();
    let query = format!("subscription {{ indicatorValueChanged {{ {aliases} }} }}");
    send(&mut ws, json!({ "id": "y", "type": "subscribe", "payload": { "query": query } })).await;
    app.wait_for_subscribers(1).await;
    let farm = app.department("agriculture_rural_bureau").await;
    app.report_ok(&farm, "straw_utilization_rate", "2022", "91").await;
    let m = next(&mut ws, Duration::from_secs(10)).await.unwrap();
    assert_eq!(m["id"], "y");
    assert_eq!(m["payload"]["data"]["indicatorValueChanged"]["a29"], "straw_utilization_rate");
}
