//! Every mutation × every role × own and other unit: the code, and nothing written when refused.

use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp};

struct Case {
    name: &'static str,
    query: &'static str,
    variables: Value,
    /// Which caller may do it: "own" (the department of the task), "assessor" or "admin".
    allowed: &'static str,
}

async fn arrange(app: &TestApp) -> (String, String) {
    let farm = app.department("agriculture_rural_bureau").await;
    let a = app.report_ok(&farm, "straw_utilization_rate", "2021", "91").await;
    let b = app.report_ok(&farm, "straw_utilization_rate", "2022", "92").await;
    let admin = app.admin().await;
    app.data(
        r#"mutation { createUnit(input: { code: "town_a", name: "甲镇人民政府", groupCodes: ["township_governments"] }) { unit { code } } }"#,
        json!({}),
        &admin,
    )
    .await;
    (a["id"].as_str().unwrap().to_string(), b["id"].as_str().unwrap().to_string())
}

fn cases(verify_id: &str, reject_id: &str) -> Vec<Case> {
    vec![
        Case {
            name: "reportIndicatorValue",
            query: r#"mutation { reportIndicatorValue(input: { indicatorCode: "straw_utilization_rate", period: "2023", value: "93" }) { value { revision } } }"#,
            variables: json!({}),
            allowed: "own",
        },
        Case {
            name: "updateTaskProgress",
            query: r#"mutation { updateTaskProgress(input: { taskNumber: 18, period: "2023", status: IN_PROGRESS }) { progress { version } } }"#,
            variables: json!({}),
            allowed: "own",
        },
        Case {
            name: "verifyIndicatorValue",
            query: r#"mutation($id: ID!) { verifyIndicatorValue(input: { valueId: $id }) { value { status } } }"#,
            variables: json!({ "id": verify_id }),
            allowed: "assessor",
        },
        Case {
            name: "rejectIndicatorValue",
            query: r#"mutation($id: ID!) { rejectIndicatorValue(input: { valueId: $id, reason: "不符" }) { value { status } } }"#,
            variables: json!({ "id": reject_id }),
            allowed: "assessor",
        },
        Case {
            name: "setSuperiorTarget",
            query: r#"mutation { setSuperiorTarget(input: { indicatorCode: "rural_sanitary_toilet_coverage_rate", year: 2023, target: "75" }) { superiorTarget { year } } }"#,
            variables: json!({}),
            allowed: "admin",
        },
        Case {
            name: "addGroupMember",
            query: r#"mutation { addGroupMember(input: { groupCode: "county_departments", memberCode: "agriculture_rural_bureau" }) { group { code } } }"#,
            variables: json!({}),
            allowed: "admin",
        },
        Case {
            name: "removeGroupMember",
            query: r#"mutation { removeGroupMember(input: { groupCode: "township_governments", memberCode: "town_a" }) { group { code } } }"#,
            variables: json!({}),
            allowed: "admin",
        },
        Case {
            name: "createUnit",
            query: r#"mutation { createUnit(input: { code: "town_b", name: "乙镇人民政府" }) { unit { code } } }"#,
            variables: json!({}),
            allowed: "admin",
        },
    ]
}

#[tokio::test]
async fn every_mutation_for_every_role() {
    let app = spawn_app().await;
    let (verify_id, reject_id) = arrange(&app).await;
    let callers = [
        ("admin", app.admin().await),
        ("assessor", app.assessor().await),
        ("integration", app.integration().await),
        ("own", app.department("agriculture_rural_bureau").await),
        ("other", app.department("water_resources_bureau").await),
    ];
    for case in cases(&verify_id, &reject_id) {
        // Refused callers first: each gets FORBIDDEN and writes nothing.
        for (who, token) in callers.iter().filter(|(who, _)| *who != case.allowed) {
            let before = app.write_footprint().await;
            let body = app.graphql(case.query, case.variables.clone(), token).await;
            assert_eq!(error_code(&body), "FORBIDDEN", "{} by {who}: {body}", case.name);
            assert_eq!(app.write_footprint().await, before, "{} by {who} wrote something", case.name);
        }
        // Then the one allowed caller succeeds with exactly one audit event.
        let (_, token) = callers.iter().find(|(who, _)| *who == case.allowed).unwrap();
        let before = app.write_footprint().await;
        let body = app.graphql(case.query, case.variables.clone(), token).await;
        assert!(body.get("errors").is_none(), "{} by {}: {body}", case.name, case.allowed);
        let after = app.write_footprint().await;
        assert_eq!(after[5], before[5] + 1, "{}: exactly one audit event", case.name);
    }
}
