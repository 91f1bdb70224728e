//! Messages in Chinese or English by `Accept-Language` (WebSocket: `connection_init`), the
//! codes unchanged, the plan's own text the same in both.

use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, spawn_app_with, ws, TestApp};

/// Posts a query with an `Accept-Language` header.
async fn ask(app: &TestApp, token: Option<&str>, language: &str, query: &str) -> (u16, Value, String) {
    let mut req = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept-language", language)
        .json(&json!({ "query": query }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let content_language = resp.headers().get("content-language").map(|v| v.to_str().unwrap().to_string());
    (status, resp.json().await.unwrap(), content_language.unwrap_or_default())
}

fn message(body: &Value) -> String {
    body["errors"][0]["message"].as_str().unwrap_or_default().to_string()
}

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

const COMPLIANCE: &str = r#"{ indicator(code: "straw_utilization_rate") { name compliance(period: "2022") { status conditions { explanation } } } }"#;

#[tokio::test]
async fn errors_and_explanations_follow_accept_language_and_codes_do_not() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    app.report_ok(&farm, "straw_utilization_rate", "2022", "89.9").await;

    // A compliance explanation: English by default, Chinese when asked, numbers kept.
    let (_, en, lang) = ask(&app, Some(&farm), "en-US,en;q=0.9", COMPLIANCE).await;
    assert_eq!(lang, "en");
    let en_explanation = en["data"]["indicator"]["compliance"]["conditions"][0]["explanation"].as_str().unwrap();
    assert_eq!(en_explanation, "2022: 89.9 is not at least 90");
    let (_, zh, lang) = ask(&app, Some(&farm), "zh-CN,zh;q=0.9,en;q=0.8", COMPLIANCE).await;
    assert_eq!(lang, "zh-CN");
    let zh_explanation = zh["data"]["indicator"]["compliance"]["conditions"][0]["explanation"].as_str().unwrap();
    assert!(has_chinese(zh_explanation), "{zh_explanation}");
    assert!(zh_explanation.contains("89.9") && zh_explanation.contains("90"), "{zh_explanation}");
    assert!(!zh_explanation.contains("at least"), "{zh_explanation}");
    // A score's reasons too (statuses, explanations, timeliness), every line of them.
    let breakdown = r#"{ assessment(unitCode: "agriculture_rural_bureau", year: 2022) { breakdown { reason } } }"#;
    let (_, zh_score, _) = ask(&app, Some(&farm), "zh-CN", breakdown).await;
    let reasons = zh_score["data"]["assessment"]["breakdown"].as_array().expect("a breakdown");
    assert!(!reasons.is_empty());
    for r in reasons {
        let r = r["reason"].as_str().unwrap();
        assert!(has_chinese(r) && !r.contains(" is not ") && !r.contains("reported"), "{r}");
    }
    // The plan's text is the document's in both.
    assert_eq!(zh["data"]["indicator"]["name"], en["data"]["indicator"]["name"]);

    // Errors of every kind: the code the same, the message in the language asked.
    let aliases = format!("{{ {} }}", "a: __typename ".repeat(31));
    let cases: Vec<(Option<&str>, &str, &str)> = vec![
        (None, "{ me { role } }", "UNAUTHENTICATED"),
        (Some(&farm), "{ task(number: 4) { number } }", "FORBIDDEN"),
        (Some(&farm), r#"{ indicator(code: "no_such_indicator") { code } }"#, "NOT_FOUND"),
        (
            Some(&farm),
            r#"mutation { reportIndicatorValue(input: { indicatorCode: "straw_utilization_rate", period: "2022-Q1", value: "1" }) { value { id } } }"#,
            "BAD_USER_INPUT",
        ),
        (
            Some(&farm),
            r#"mutation { reportIndicatorValue(input: { indicatorCode: "straw_utilization_rate", period: "2022", value: "1", expectedRevision: 0 }) { value { id } } }"#,
            "CONFLICT",
        ),
        (Some(&farm), "{ tasks { totalCont } }", "BAD_USER_INPUT"),
        (
            Some(&farm),
            r#"{ indicator(code: "straw_utilization_rate") { compliance(period: "2022-13") { status } } }"#,
            "BAD_USER_INPUT",
        ),
        (Some(&farm), &aliases, "LIMIT_EXCEEDED"),
    ];
    for (token, query, code) in cases {
        let (_, en, _) = ask(&app, token, "en", query).await;
        let (_, zh, _) = ask(&app, token, "zh-CN", query).await;
        assert_eq!(error_code(&en), code, "{query}: {en}");
        assert_eq!(error_code(&zh), code, "{query}: {zh}");
        assert!(!has_chinese(&message(&en)), "{query}: {en}");
        assert!(has_chinese(&message(&zh)), "{query}: {zh}");
        assert!(!message(&zh).contains("is not a year"), "a scalar's own message is translated too: {zh}");
    }
}

#[tokio::test]
async fn the_default_language_is_configurable_and_the_socket_takes_its_own() {
    let app = spawn_app_with(|s| s.server.default_language = ecoplan::i18n::Lang::ZhCn).await;
    let farm = app.department("agriculture_rural_bureau").await;
    // No header: the configured default.
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": "{ me { role } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-language"], "zh-CN");
    let body: Value = resp.json().await.unwrap();
    assert!(has_chinese(&message(&body)), "{body}");
    // A language the server does not speak: the default too.
    let (_, body, lang) = ask(&app, None, "fr-FR", "{ me { role } }").await;
    assert_eq!(lang, "zh-CN");
    assert!(has_chinese(&message(&body)), "{body}");

    // WebSocket: the connection_init payload names the language.
    let mut socket = ws::connect(&app).await;
    ws::send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {farm}"), "Accept-Language": "en" } }),
    )
    .await;
    assert_eq!(ws::next(&mut socket, std::time::Duration::from_secs(10)).await.unwrap()["type"], "connection_ack");
    let refused = ws::execute(&mut socket, "1", json!({ "query": "{ task(number: 4) { number } }" })).await;
    let payload = refused.expect("a result");
    assert_eq!(error_code(&payload), "FORBIDDEN");
    assert!(!has_chinese(&message(&payload)), "{payload}");
    // And without one, the socket speaks the default.
    let mut socket = ws::open(&app, &farm).await;
    let payload = ws::execute(&mut socket, "1", json!({ "query": "{ task(number: 4) { number } }" })).await.unwrap();
    assert_eq!(error_code(&payload), "FORBIDDEN");
    assert!(has_chinese(&message(&payload)), "{payload}");

    // The download routes answer in it as well.
    let resp = app.client.get(format!("{}/export/nope.csv", app.address)).bearer_auth(&farm).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&body), "NOT_FOUND");
    assert!(has_chinese(&message(&body)), "{body}");
}

#[tokio::test]
async fn an_english_default_stays_english_without_a_header() {
    let app = spawn_app().await;
    let body = app
        .graphql("{ task(number: 4) { number } }", json!({}), &app.department("agriculture_rural_bureau").await)
        .await;
    assert_eq!(message(&body), "this task is not assigned to your unit");
}
