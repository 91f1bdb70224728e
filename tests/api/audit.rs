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

/// Runs a mutation of the table; one that takes `$file` is sent as an upload (a one-row
/// spreadsheet, or a PDF for evidence).
async fn run(app: &crate::helpers::TestApp, document: &str, token: &str) -> serde_json::Value {
    if !document.contains("$file") {
        return app.graphql(document, json!({}), token).await;
    }
    let (bytes, name, content_type) = if document.contains("importIndicatorValues") {
        ("指标代码,周期,数值\nstraw_utilization_rate,2023,93\n".as_bytes().to_vec(), "v.csv", "text/csv")
    } else {
        (b"%PDF-1.4\n%%EOF\n".to_vec(), "a.pdf", "application/pdf")
    };
    let upload = crate::helpers::Upload { path: "variables.file", bytes, name, content_type };
    let (status, body) = app.upload_graphql(document, json!({ "file": null }), upload, token, None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The invariant behind `service::write`, over the API: every mutation of the schema, when
/// it succeeds, leaves exactly one audit event (of its own action) in the same commit (an
/// import that stores rows adds one per row, as `reportIndicatorValue` would: the table's
/// is a dry run, whose only event is its receipt), and
/// when it is refused, none and no change either. The table must name every mutation the
/// schema has, so a new mutation cannot be added without joining it.
#[tokio::test]
async fn every_mutation_is_audited_once_and_a_refused_one_leaves_nothing() {
    use ecoplan::auth::Role;

    let app = spawn_app().await;
    let admin = app.admin().await;
    let assessor = app.assessor().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let integration = app.integration().await;
    let (_, other_jti) = app
        .token_with_ttl(Role::Department, Some("water_resources_bureau"), std::time::Duration::from_secs(3600))
        .await;
    let first = app.report_ok(&farm, "straw_utilization_rate", "2022", "91").await;
    let second = app.report_ok(&farm, "straw_utilization_rate", "2021", "90").await;

    // (mutation field, who may run it, the document, the audit action it records)
    let table: Vec<(&str, &str, String, &str)> = vec![
        ("reportIndicatorValue", &farm, r#"mutation { reportIndicatorValue(input: { indicatorCode: "straw_utilization_rate", period: "2023", value: "93" }) { __typename } }"#.into(), "indicator_value.report"),
        ("verifyIndicatorValue", &assessor, format!(r#"mutation {{ verifyIndicatorValue(input: {{ valueId: "{}" }}) {{ __typename }} }}"#, first["id"].as_str().unwrap()), "indicator_value.verify"),
        ("rejectIndicatorValue", &assessor, format!(r#"mutation {{ rejectIndicatorValue(input: {{ valueId: "{}", reason: "统计口径有误" }}) {{ __typename }} }}"#, second["id"].as_str().unwrap()), "indicator_value.reject"),
        ("updateTaskProgress", &farm, r#"mutation { updateTaskProgress(input: { taskNumber: 18, period: "2022", status: IN_PROGRESS, percent: "40" }) { __typename } }"#.into(), "task_progress.update"),
        ("setSuperiorTarget", &admin, r#"mutation { setSuperiorTarget(input: { indicatorCode: "natural_shoreline_retention_rate", year: 2022, target: "60" }) { __typename } }"#.into(), "superior_target.set"),
        ("createUnit", &admin, r#"mutation { createUnit(input: { code: "zhengzhuang_town", name: "郑庄镇人民政府" }) { __typename } }"#.into(), "unit.create"),
        ("addGroupMember", &admin, r#"mutation { addGroupMember(input: { groupCode: "township_governments", memberCode: "zhengzhuang_town" }) { __typename } }"#.into(), "group_member.add"),
        ("removeGroupMember", &admin, r#"mutation { removeGroupMember(input: { groupCode: "township_governments", memberCode: "zhengzhuang_town" }) { __typename } }"#.into(), "group_member.remove"),
        ("setScoringScheme", &admin, r#"mutation { setScoringScheme(input: { year: 2022, declineDeduction: "3" }) { __typename } }"#.into(), "scoring_scheme.set"),
        ("adjustAssessment", &assessor, r#"mutation { adjustAssessment(input: { unitCode: "water_resources_bureau", year: 2022, points: "1", reason: "督查加分" }) { __typename } }"#.into(), "assessment.adjust"),
        ("finalizeAssessments", &assessor, r#"mutation { finalizeAssessments(input: { year: 2022 }) { __typename } }"#.into(), "assessment.finalize"),
        ("setIndicatorFrequency", &admin, r#"mutation { setIndicatorFrequency(input: { indicatorCode: "green_building_share", frequency: QUARTERLY, reason: "市考核办要求按季度报送" }) { __typename } }"#.into(), "indicator.frequency.set"),
        ("createExportLink", &farm, r#"mutation { createExportLink(input: { file: "values.xlsx", period: "2022" }) { url } }"#.into(), "export.link"),
        ("importIndicatorValues", &farm, r#"mutation($file: Upload!) { importIndicatorValues(input: { file: $file, dryRun: true }) { __typename } }"#.into(), "indicator_value.import"),
        ("attachEvidenceFile", &farm, format!(r#"mutation($file: Upload!) {{ attachEvidenceFile(input: {{ valueId: "{}", file: $file }}) {{ __typename }} }}"#, first["id"].as_str().unwrap()), "evidence_file.attach"),
        ("revokeToken", &admin, format!(r#"mutation {{ revokeToken(input: {{ tokenId: "{other_jti}" }}) {{ __typename }} }}"#), "token.revoke"),
    ];

    // Every mutation of the schema is in the table.
    let sdl = ecoplan::graphql::schema::sdl();
    let root = sdl.split("type MutationRoot {").nth(1).unwrap().split("\n}").next().unwrap();
    let mut in_schema: Vec<&str> =
        root.lines().map(str::trim).filter(|l| l.contains("(input:")).map(|l| l.split('(').next().unwrap()).collect();
    in_schema.sort_unstable();
    let mut in_table: Vec<&str> = table.iter().map(|(name, ..)| *name).collect();
    in_table.sort_unstable();
    assert_eq!(in_table, in_schema, "the table names every mutation");

    let events = || app.count("SELECT COUNT(*) FROM audit_event");
    let changes = || app.count("SELECT COUNT(*) FROM change_log");
    for (name, token, document, action) in &table {
        // Refused first (the integration role writes nothing, not even someone else's
        // revocation): no event, no change.
        let of_action = format!("SELECT COUNT(*) FROM audit_event WHERE action = '{action}'");
        let (before_events, before_changes) = (events().await, changes().await);
        let before_action = app.count(&of_action).await;
        let refused = run(&app, document, &integration).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{name} as INTEGRATION: {refused}");
        assert_eq!((events().await, changes().await), (before_events, before_changes), "{name}: refused, yet written");
        // Then allowed: one event, of its own action.
        let done = run(&app, document, token).await;
        assert!(done.get("errors").is_none(), "{name}: {done}");
        assert_eq!(events().await, before_events + 1, "{name}: one audit event");
        assert_eq!(app.count(&of_action).await, before_action + 1, "{name}: recorded as {action}");
    }
}
