//! Object identification: every entity has a stable, opaque `id` and implements `Node`;
//! `node` and `nodes` fetch it again under the same policy (out of scope = absent).

use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app};

/// The entity types of the schema: each must implement Node.
const ENTITIES: [&str; 15] = [
    "Assessment",
    "AuditEvent",
    "Domain",
    "EvidenceFile",
    "ImportRun",
    "Indicator",
    "IndicatorValue",
    "Plan",
    "ScoringScheme",
    "Section",
    "SuperiorTarget",
    "Task",
    "TaskProgress",
    "Unit",
    "Viewer",
];

#[tokio::test]
async fn every_entity_implements_node_and_nothing_else_has_an_id() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let data = app
        .data(
            r#"{ __type(name: "Node") { possibleTypes { name } }
                 __schema { types { name kind fields { name type { kind ofType { name } } } interfaces { name } } } }"#,
            json!({}),
            &admin,
        )
        .await;
    let mut implementors: Vec<&str> =
        data["__type"]["possibleTypes"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    implementors.sort_unstable();
    assert_eq!(implementors, ENTITIES);
    for t in data["__schema"]["types"].as_array().unwrap() {
        let has_id = t["fields"].as_array().is_some_and(|f| f.iter().any(|f| f["name"] == "id"));
        let is_node = t["interfaces"].as_array().is_some_and(|i| i.iter().any(|i| i["name"] == "Node"));
        if t["kind"] == "OBJECT" && has_id {
            assert!(is_node, "{} has an id but is not a Node", t["name"]);
            let id = t["fields"].as_array().unwrap().iter().find(|f| f["name"] == "id").unwrap();
            assert_eq!(id["type"]["kind"], "NON_NULL");
            assert_eq!(id["type"]["ofType"]["name"], "ID");
        }
    }
}

/// Asks `node(id:)` for every id and checks that it answers the same object.
async fn round_trip(app: &crate::helpers::TestApp, token: &str, ids: &[(&str, Value)]) {
    for (type_name, id) in ids {
        let id = id.as_str().unwrap_or_else(|| panic!("{type_name} has no id"));
        let data = app.data("query($id: ID!) { node(id: $id) { __typename id } }", json!({ "id": id }), token).await;
        assert_eq!(data["node"]["__typename"], *type_name, "{id}");
        assert_eq!(data["node"]["id"], id, "the id is stable");
    }
}

#[tokio::test]
async fn node_fetches_every_kind_of_entity_again() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let water = app.department("water_resources_bureau").await;
    let value = app.report_ok(&water, "natural_shoreline_retention_rate", "2022", "61").await;
    let progress = app
        .data(
            r#"mutation { updateTaskProgress(input: { taskNumber: 3, period: "2022", status: "IN_PROGRESS" }) { progress { id } } }"#,
            json!({}),
            &water,
        )
        .await;
    let target = app
        .data(
            r#"mutation { setSuperiorTarget(input: { indicatorCode: "natural_shoreline_retention_rate", year: 2022, target: "60" }) { superiorTarget { id } } }"#,
            json!({}),
            &admin,
        )
        .await;
    let upload = |query: &'static str, bytes: Vec<u8>, name: &'static str, content_type: &'static str, vars: Value| {
        let (app, water) = (&app, water.clone());
        async move {
            let file = crate::helpers::Upload { path: "variables.input.file", bytes, name, content_type };
            let (status, body) = app.upload_graphql(query, vars, file, &water, None).await;
            assert_eq!(status, 200, "{body}");
            assert!(body.get("errors").is_none(), "{body}");
            body["data"].clone()
        }
    };
    let import = upload(
        "mutation($input: ImportIndicatorValuesInput!) { importIndicatorValues(input: $input) { importRun { id } } }",
        "指标代码,周期,数值\nnatural_shoreline_retention_rate,2021,60\n".as_bytes().to_vec(),
        "v.csv",
        "text/csv",
        json!({ "input": { "file": null, "dryRun": true } }),
    )
    .await;
    let evidence = upload(
        "mutation($input: AttachEvidenceFileInput!) { attachEvidenceFile(input: $input) { evidenceFile { id } } }",
        b"%PDF-1.4\n%%EOF\n".to_vec(),
        "a.pdf",
        "application/pdf",
        json!({ "input": { "file": null, "valueId": value["id"] } }),
    )
    .await;
    let data = app
        .data(
            r#"{ plan { id } domains { id } sections { id } task(number: 3) { id } unit(code: "water_resources_bureau") { id }
                 indicator(code: "natural_shoreline_retention_rate") { id }
                 assessment(unitCode: "water_resources_bureau", year: 2022) { id }
                 scoringScheme(year: 2022) { id }
                 auditEvents(first: 1) { edges { node { id } } }
                 me { id } }"#,
            json!({}),
            &admin,
        )
        .await;
    let ids = [
        ("Plan", data["plan"]["id"].clone()),
        ("Domain", data["domains"][0]["id"].clone()),
        ("Section", data["sections"][9]["id"].clone()),
        ("Task", data["task"]["id"].clone()),
        ("Unit", data["unit"]["id"].clone()),
        ("Indicator", data["indicator"]["id"].clone()),
        ("IndicatorValue", value["id"].clone()),
        ("TaskProgress", progress["updateTaskProgress"]["progress"]["id"].clone()),
        ("SuperiorTarget", target["setSuperiorTarget"]["superiorTarget"]["id"].clone()),
        ("Assessment", data["assessment"]["id"].clone()),
        ("ScoringScheme", data["scoringScheme"]["id"].clone()),
        ("AuditEvent", data["auditEvents"]["edges"][0]["node"]["id"].clone()),
        ("Viewer", data["me"]["id"].clone()),
        ("ImportRun", import["importIndicatorValues"]["importRun"]["id"].clone()),
        ("EvidenceFile", evidence["attachEvidenceFile"]["evidenceFile"]["id"].clone()),
    ];
    assert_eq!(ids.len(), ENTITIES.len());
    round_trip(&app, &admin, &ids).await;
    // Ids are opaque: no type name or key shows.
    for (t, id) in &ids {
        assert!(!id.as_str().unwrap().contains(t), "{t}: {id}");
    }
    // The value's id is what the review mutations take (and the bare number still works).
    let assessor = app.assessor().await;
    let body = app
        .graphql(
            "mutation($id: ID!) { verifyIndicatorValue(input: { valueId: $id }) { value { id status } } }",
            json!({ "id": value["id"] }),
            &assessor,
        )
        .await;
    assert_eq!(body["data"]["verifyIndicatorValue"]["value"]["status"], "VERIFIED", "{body}");
    assert_eq!(body["data"]["verifyIndicatorValue"]["value"]["id"], value["id"]);
    let number = app.count("SELECT MAX(id) FROM indicator_value").await;
    let data = app
        .data("query($id: ID!) { indicatorValue(id: $id) { id } }", json!({ "id": number.to_string() }), &admin)
        .await;
    assert_eq!(data["indicatorValue"]["id"], value["id"]);
}

#[tokio::test]
async fn node_answers_only_within_the_callers_scope() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let water = app.department("water_resources_bureau").await;
    let farm = app.department("agriculture_rural_bureau").await;
    let value = app.report_ok(&water, "natural_shoreline_retention_rate", "2022", "61").await;
    let data = app
        .data(
            r#"{ own: task(number: 3) { id } other: task(number: 4) { id } me { id }
                 unit(code: "water_resources_bureau") { id } }"#,
            json!({}),
            &admin,
        )
        .await;
    let (own, other) = (data["own"]["id"].clone(), data["other"]["id"].clone());
    let admin_viewer = data["me"]["id"].clone();
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Task { number } } }";
    let ids = json!([own, other, value["id"], admin_viewer, "bm90IGFuIGlk", "", "Task:3"]);
    let data = app.data(query, json!({ "ids": ids }), &water).await;
    let nodes = data["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 7);
    assert_eq!(nodes[0]["number"], 3, "its own task");
    assert_eq!(nodes[1], Value::Null, "another unit's task is absent, not an error");
    assert_eq!(nodes[2]["__typename"], "IndicatorValue", "its own value");
    assert_eq!(nodes[3], Value::Null, "another token's viewer");
    assert!(nodes[4..].iter().all(Value::is_null), "not ids: absent");
    // Another department sees neither the task nor the value.
    let data = app.data(query, json!({ "ids": [own, value["id"]] }), &farm).await;
    assert_eq!(data["nodes"], json!([null, null]));
    // The single form says the same.
    let data = app.data("query($id: ID!) { node(id: $id) { id } }", json!({ "id": other }), &water).await;
    assert_eq!(data["node"], Value::Null);
    // Assessments and the audit log keep their own policies: an integration token reads
    // tasks but not assessments.
    let integration = app.integration().await;
    let assessment =
        app.data(r#"{ assessment(unitCode: "water_resources_bureau", year: 2022) { id } }"#, json!({}), &admin).await;
    let data = app.data(query, json!({ "ids": [own, assessment["assessment"]["id"]] }), &integration).await;
    assert_eq!(data["nodes"][0]["number"], 3);
    assert_eq!(data["nodes"][1], Value::Null);
    // At most 100 ids at once.
    let many: Vec<Value> = (0..101).map(|_| own.clone()).collect();
    let body = app.graphql(query, json!({ "ids": many }), &water).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}
