//! Task progress: history per period, optimistic concurrency, consistency rules.

use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app};

const UPDATE: &str = r#"mutation($input: UpdateTaskProgressInput!) {
  updateTaskProgress(input: $input) { progress { version status percent summary evidence period reportedBy { code } task { number } } }
}"#;

#[tokio::test]
async fn progress_is_kept_as_history_with_versions() {
    let app = spawn_app().await;
    let water = app.department("water_resources_bureau").await;
    let steps = [
        json!({ "taskNumber": 3, "period": "2022", "status": "NOT_STARTED", "expectedVersion": 0 }),
        json!({ "taskNumber": 3, "period": "2022", "status": "IN_PROGRESS", "percent": "40", "summary": "河长巡河 120 次", "expectedVersion": 1 }),
        json!({ "taskNumber": 3, "period": "2022", "status": "COMPLETED", "percent": "100", "evidence": ["沁河长办〔2022〕9号"] }),
    ];
    for (i, input) in steps.iter().enumerate() {
        let data = app.data(UPDATE, json!({ "input": input }), &water).await;
        let p = &data["updateTaskProgress"]["progress"];
        assert_eq!(p["version"], i as i64 + 1);
        assert_eq!(p["reportedBy"]["code"], "water_resources_bureau");
        assert_eq!(p["task"]["number"], 3);
    }
    let data = app
        .data(
            r#"{ task(number: 3) { progress(period: "2022") { version status percent evidence }
                 progressHistory(period: "2022") { version status }
                 other: progress(period: "2021") { version } } }"#,
            json!({}),
            &water,
        )
        .await;
    let t = &data["task"];
    assert_eq!(
        t["progress"],
        json!({ "version": 3, "status": "COMPLETED", "percent": "100", "evidence": ["沁河长办〔2022〕9号"] })
    );
    let statuses: Vec<&str> =
        t["progressHistory"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["NOT_STARTED", "IN_PROGRESS", "COMPLETED"]);
    assert!(t["other"].is_null());
}

#[tokio::test]
async fn a_stale_version_and_bad_input_are_refused_without_writes() {
    let app = spawn_app().await;
    let water = app.department("water_resources_bureau").await;
    app.data(UPDATE, json!({ "input": { "taskNumber": 16, "period": "2022-Q1", "status": "IN_PROGRESS" } }), &water)
        .await;
    let readers = [app.integration().await, app.assessor().await, app.admin().await];
    let before = app.write_footprint().await;
    let cases: Vec<(&str, Value)> = vec![
        ("CONFLICT", json!({ "taskNumber": 16, "period": "2022-Q1", "status": "IN_PROGRESS", "expectedVersion": 0 })),
        ("CONFLICT", json!({ "taskNumber": 16, "period": "2022-Q1", "status": "IN_PROGRESS", "expectedVersion": 2 })),
        ("NOT_FOUND", json!({ "taskNumber": 30, "period": "2022", "status": "IN_PROGRESS" })),
        ("FORBIDDEN", json!({ "taskNumber": 4, "period": "2022", "status": "IN_PROGRESS" })),
        ("BAD_USER_INPUT", json!({ "taskNumber": 16, "period": "2022-Q5", "status": "IN_PROGRESS" })),
        ("BAD_USER_INPUT", json!({ "taskNumber": 16, "period": "2099", "status": "IN_PROGRESS" })),
        ("BAD_USER_INPUT", json!({ "taskNumber": 16, "period": "2022", "status": "IN_PROGRESS", "percent": "100.5" })),
        ("BAD_USER_INPUT", json!({ "taskNumber": 16, "period": "2022", "status": "IN_PROGRESS", "percent": "-1" })),
        ("BAD_USER_INPUT", json!({ "taskNumber": 16, "period": "2022", "status": "COMPLETED", "percent": "90" })),
        ("BAD_USER_INPUT", json!({ "taskNumber": 16, "period": "2022", "status": "NOT_STARTED", "percent": "10" })),
        ("BAD_USER_INPUT", json!({ "taskNumber": 16, "period": "2022", "status": "BLOCKED" })),
        ("BAD_USER_INPUT", json!({ "taskNumber": 16, "period": "2022", "status": "DONE" })),
        (
            "BAD_USER_INPUT",
            json!({ "taskNumber": 16, "period": "2022", "status": "IN_PROGRESS", "summary": "字".repeat(2001) }),
        ),
    ];
    for (code, input) in cases {
        let body = app.graphql(UPDATE, json!({ "input": input }), &water).await;
        assert_eq!(error_code(&body), code, "{input}: {body}");
    }
    for token in &readers {
        let body = app
            .graphql(UPDATE, json!({ "input": { "taskNumber": 16, "period": "2022", "status": "IN_PROGRESS" } }), token)
            .await;
        assert_eq!(error_code(&body), "FORBIDDEN");
    }
    assert_eq!(app.write_footprint().await, before);
}
