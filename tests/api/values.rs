//! Reporting indicator values: revisions, review, optimistic concurrency, bad input.

use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app};

const FARM: &str = "agriculture_rural_bureau";

#[tokio::test]
async fn a_report_is_stored_exactly_with_its_reporter() {
    let app = spawn_app().await;
    let token = app.department(FARM).await;
    let body = app
        .report(
            &token,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "91.50",
                    "note": "县农业农村局统计", "evidence": ["沁农字〔2023〕5号", "https://example.gov.cn/r/1"] }),
        )
        .await;
    let v = &body["data"]["reportIndicatorValue"]["value"];
    assert_eq!(v["value"], "91.5", "exact decimal, trailing zero dropped: {body}");
    assert_eq!(v["period"], "2022");
    assert_eq!(v["revision"], 1);
    assert_eq!(v["status"], "SUBMITTED");
    assert_eq!(v["reportedBy"]["code"], FARM);
    assert_eq!(v["implemented"], Value::Null);
    assert_eq!(v["note"], "县农业农村局统计");
    assert_eq!(v["evidence"], json!(["沁农字〔2023〕5号", "https://example.gov.cn/r/1"]));
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value WHERE value = '91.5'").await, 1);
}

#[tokio::test]
async fn reporting_again_creates_revisions_that_all_stay_readable() {
    let app = spawn_app().await;
    let token = app.department(FARM).await;
    app.report_ok(&token, "straw_utilization_rate", "2022", "88").await;
    app.report_ok(&token, "straw_utilization_rate", "2022", "90.2").await;
    let third = app.report_ok(&token, "straw_utilization_rate", "2022", "90.4").await;
    assert_eq!(third["revision"], 3);
    app.report_ok(&token, "straw_utilization_rate", "2021", "87").await;
    let data = app
        .data(
            r#"{ indicator(code: "straw_utilization_rate") {
                 y2022: values(period: "2022") { totalCount edges { node { revision value } } }
                 all: values { totalCount }
                 currentValue(period: "2022") { revision value } } }"#,
            json!({}),
            &token,
        )
        .await;
    let i = &data["indicator"];
    assert_eq!(i["y2022"]["totalCount"], 3);
    let revs: Vec<(i64, &str)> = i["y2022"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["node"]["revision"].as_i64().unwrap(), e["node"]["value"].as_str().unwrap()))
        .collect();
    assert_eq!(revs, vec![(1, "88"), (2, "90.2"), (3, "90.4")]);
    assert_eq!(i["all"]["totalCount"], 4);
    assert_eq!(i["currentValue"], json!({ "revision": 3, "value": "90.4" }));
}

#[tokio::test]
async fn a_stale_expected_revision_is_a_conflict_and_writes_nothing() {
    let app = spawn_app().await;
    let token = app.department(FARM).await;
    let first = app
        .report(&token, json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "88", "expectedRevision": 0 }))
        .await;
    assert!(first.get("errors").is_none(), "{first}");
    let ok = app
        .report(&token, json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "89", "expectedRevision": 1 }))
        .await;
    assert!(ok.get("errors").is_none(), "{ok}");
    let before = app.write_footprint().await;
    for stale in [0, 1, 3] {
        let body = app
            .report(
                &token,
                json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "95", "expectedRevision": stale }),
            )
            .await;
        assert_eq!(error_code(&body), "CONFLICT", "expectedRevision {stale}: {body}");
        assert!(body["data"].is_null());
    }
    assert_eq!(app.write_footprint().await, before);
}

#[tokio::test]
async fn the_assessor_verifies_and_rejects_and_a_rejected_revision_stops_counting() {
    let app = spawn_app().await;
    let token = app.department(FARM).await;
    let assessor = app.assessor().await;
    let r1 = app.report_ok(&token, "straw_utilization_rate", "2022", "92").await;
    let r2 = app.report_ok(&token, "straw_utilization_rate", "2022", "95").await;
    let verify = r#"mutation($id: ID!) { verifyIndicatorValue(input: { valueId: $id }) { value { status reviewedBy revision } } }"#;
    let reject = r#"mutation($id: ID!, $reason: String!) { rejectIndicatorValue(input: { valueId: $id, reason: $reason }) { value { status reviewReason } } }"#;
    let data = app.data(verify, json!({ "id": r1["id"] }), &assessor).await;
    assert_eq!(data["verifyIndicatorValue"]["value"]["status"], "VERIFIED");
    assert_eq!(data["verifyIndicatorValue"]["value"]["reviewedBy"], "assessor");
    // Verifying twice is a conflict.
    let body = app.graphql(verify, json!({ "id": r1["id"] }), &assessor).await;
    assert_eq!(error_code(&body), "CONFLICT");
    // The current value is revision 2 until it is rejected, then revision 1 again.
    assert_eq!(app.compliance(&token, "straw_utilization_rate", "2022").await["value"]["revision"], 2);
    let data = app.data(reject, json!({ "id": r2["id"], "reason": "与统计年鉴不符" }), &assessor).await;
    assert_eq!(data["rejectIndicatorValue"]["value"]["status"], "REJECTED");
    assert_eq!(data["rejectIndicatorValue"]["value"]["reviewReason"], "与统计年鉴不符");
    let c = app.compliance(&token, "straw_utilization_rate", "2022").await;
    assert_eq!(c["value"]["revision"], 1);
    assert_eq!(c["value"]["value"], "92");
    // A rejected revision cannot be rejected or verified again; a reason is mandatory.
    let body = app.graphql(reject, json!({ "id": r2["id"], "reason": "again" }), &assessor).await;
    assert_eq!(error_code(&body), "CONFLICT");
    let body = app.graphql(reject, json!({ "id": r1["id"], "reason": "   " }), &assessor).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    let body = app.graphql(verify, json!({ "id": "999999" }), &assessor).await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    // The next report is revision 3: numbers never repeat.
    assert_eq!(app.report_ok(&token, "straw_utilization_rate", "2022", "93").await["revision"], 3);
    // With the only revision rejected, nothing counts.
    let r = app.report_ok(&token, "straw_utilization_rate", "2021", "80").await;
    app.data(reject, json!({ "id": r["id"], "reason": "wrong year" }), &assessor).await;
    let c = app.compliance(&token, "straw_utilization_rate", "2021").await;
    assert_eq!(c["status"], "NO_DATA");
    assert!(c["value"].is_null());
}

#[tokio::test]
async fn kinds_of_values_are_enforced() {
    let app = spawn_app().await;
    let eco = app.department("ecology_environment_branch").await;
    let emergency = app.department("emergency_management_bureau").await;
    // A count for a NO_OCCURRENCE indicator, a yes/no for an IMPLEMENTED one.
    app.report_ok(&eco, "contaminated_site_risk_accidents", "2022", "0").await;
    let body = app
        .report(
            &emergency,
            json!({ "indicatorCode": "environmental_emergency_plan", "period": "2022", "implemented": true }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["reportIndicatorValue"]["value"]["implemented"], true);
    // A decline rate may be negative.
    let land = app.department("natural_resources_bureau").await;
    app.report_ok(&land, "construction_land_per_gdp_decline_rate", "2022", "-1.2").await;
    // A quarterly indicator takes quarters.
    app.report_ok(&eco, "drinking_water_source_quality_rate", "2022-Q3", "100").await;
}

#[tokio::test]
async fn bad_input_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let farm = app.department(FARM).await;
    let eco = app.department("ecology_environment_branch").await;
    let emergency = app.department("emergency_management_bureau").await;
    let long = "字".repeat(2001);
    let too_many: Vec<String> = (0..21).map(|i| format!("doc {i}")).collect();
    let cases: Vec<(&str, &String, Value)> = vec![
        ("NOT_FOUND", &farm, json!({ "indicatorCode": "no_such_indicator", "period": "2022", "value": "1" })),
        (
            "BAD_USER_INPUT",
            &farm,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2021-Q5", "value": "90" }),
        ),
        ("BAD_USER_INPUT", &farm, json!({ "indicatorCode": "straw_utilization_rate", "period": "21", "value": "90" })),
        (
            "BAD_USER_INPUT",
            &farm,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2021-13", "value": "90" }),
        ),
        (
            "BAD_USER_INPUT",
            &farm,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2021-Q3", "value": "90" }),
        ),
        (
            "BAD_USER_INPUT",
            &farm,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2099", "value": "90" }),
        ),
        (
            "BAD_USER_INPUT",
            &farm,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "-1" }),
        ),
        (
            "BAD_USER_INPUT",
            &farm,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "100.5" }),
        ),
        (
            "BAD_USER_INPUT",
            &farm,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "ninety" }),
        ),
        (
            "BAD_USER_INPUT",
            &farm,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": 90.5 }),
        ),
        (
            "BAD_USER_INPUT",
            &farm,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "implemented": true }),
        ),
        ("BAD_USER_INPUT", &farm, json!({ "indicatorCode": "straw_utilization_rate", "period": "2022" })),
        (
            "BAD_USER_INPUT",
            &farm,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "90", "implemented": true }),
        ),
        (
            "BAD_USER_INPUT",
            &farm,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "90", "note": long }),
        ),
        (
            "BAD_USER_INPUT",
            &farm,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "90", "evidence": too_many }),
        ),
        (
            "BAD_USER_INPUT",
            &farm,
            json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "90", "evidence": ["x".repeat(501)] }),
        ),
        (
            "BAD_USER_INPUT",
            &eco,
            json!({ "indicatorCode": "contaminated_site_risk_accidents", "period": "2022", "value": "0.5" }),
        ),
        (
            "BAD_USER_INPUT",
            &eco,
            json!({ "indicatorCode": "contaminated_site_risk_accidents", "period": "2022", "value": "-1" }),
        ),
        (
            "BAD_USER_INPUT",
            &emergency,
            json!({ "indicatorCode": "environmental_emergency_plan", "period": "2022", "value": "1" }),
        ),
        (
            "BAD_USER_INPUT",
            &eco,
            json!({ "indicatorCode": "drinking_water_source_quality_rate", "period": "2022", "value": "100" }),
        ),
        ("FORBIDDEN", &farm, json!({ "indicatorCode": "forest_grass_coverage_rate", "period": "2022", "value": "30" })),
    ];
    let readers = [app.integration().await, app.assessor().await, app.admin().await];
    let before = app.write_footprint().await;
    for (code, token, input) in cases {
        let body = app.report(token, input.clone()).await;
        assert_eq!(error_code(&body), code, "{input}: {body}");
        assert!(body["data"].is_null() || body["data"]["reportIndicatorValue"].is_null(), "{input}: {body}");
    }
    for token in &readers {
        let body = app
            .report(token, json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "90" }))
            .await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    }
    assert_eq!(app.write_footprint().await, before);
}
