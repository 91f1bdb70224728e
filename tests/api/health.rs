use crate::helpers::spawn_app;

#[tokio::test]
async fn livez_and_readyz_answer_without_a_token() {
    let app = spawn_app().await;
    let live = app.client.get(format!("{}/livez", app.address)).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let ready = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readyz_turns_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.conn.clone().close().await.unwrap();
    let ready = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(ready.status(), 503);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let resp = app.client.get(format!("{}/livez", app.address)).send().await.unwrap();
    let id = resp.headers().get("x-request-id").unwrap().to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a generated UUID: {id}");
    let resp = app
        .client
        .get(format!("{}/livez", app.address))
        .header("x-request-id", "client-chosen-42")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers().get("x-request-id").unwrap(), "client-chosen-42");
    let resp = app
        .client
        .get(format!("{}/livez", app.address))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(resp.headers().get("x-request-id").unwrap(), "bad id with spaces");
}
