//! What administrators configure: units, group members, superior targets.

use serde_json::json;

use crate::helpers::{error_code, spawn_app};

const CREATE: &str = r#"mutation($input: CreateUnitInput!) { createUnit(input: $input) { unit { code name isGroup origin groups { code } } } }"#;
const ADD: &str = r#"mutation($input: GroupMemberInput!) { addGroupMember(input: $input) { group { code members { code } } member { code groups { code } } } }"#;
const REMOVE: &str =
    r#"mutation($input: GroupMemberInput!) { removeGroupMember(input: $input) { group { code members { code } } } }"#;

#[tokio::test]
async fn a_township_joins_the_group_and_inherits_its_tasks() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let data = app
        .data(CREATE, json!({ "input": { "code": "zhengzhuang_town", "name": "郑庄镇人民政府", "groupCodes": ["township_governments"] } }), &admin)
        .await;
    let unit = &data["createUnit"]["unit"];
    assert_eq!(unit["origin"], "CONFIGURATION");
    assert_eq!(unit["groups"], json!([{ "code": "township_governments" }]));
    let town = app.department("zhengzhuang_town").await;
    let data = app.data("{ tasks { edges { node { number } } } }", json!({}), &town).await;
    let numbers: Vec<i64> =
        data["tasks"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, vec![20, 25, 28]);
    // The member reports on the group's indicator.
    let v = app.report_ok(&town, "village_drinking_water_sanitation_rate", "2022", "100").await;
    assert_eq!(v["reportedBy"]["code"], "zhengzhuang_town");
    // Leaving the group takes the tasks away.
    let data = app
        .data(
            REMOVE,
            json!({ "input": { "groupCode": "township_governments", "memberCode": "zhengzhuang_town" } }),
            &admin,
        )
        .await;
    assert_eq!(data["removeGroupMember"]["group"]["members"], json!([]));
    let data = app.data("{ tasks { totalCount } }", json!({}), &town).await;
    assert_eq!(data["tasks"]["totalCount"], 0);
    let body = app
        .report(
            &town,
            json!({ "indicatorCode": "village_drinking_water_sanitation_rate", "period": "2022", "value": "100" }),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    // And joining again gives them back.
    let data = app
        .data(
            ADD,
            json!({ "input": { "groupCode": "township_governments", "memberCode": "zhengzhuang_town" } }),
            &admin,
        )
        .await;
    assert_eq!(data["addGroupMember"]["member"]["groups"], json!([{ "code": "township_governments" }]));
}

#[tokio::test]
async fn configuration_refuses_bad_input_without_writes() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.data(CREATE, json!({ "input": { "code": "jiafeng_town", "name": "嘉峰镇人民政府", "groupCodes": ["township_governments"] } }), &admin).await;
    let before = app.write_footprint().await;
    let cases = vec![
        ("CONFLICT", CREATE, json!({ "input": { "code": "jiafeng_town", "name": "另一个" } })),
        ("CONFLICT", CREATE, json!({ "input": { "code": "other_town", "name": "嘉峰镇人民政府" } })),
        ("BAD_USER_INPUT", CREATE, json!({ "input": { "code": "Bad Code", "name": "x" } })),
        ("BAD_USER_INPUT", CREATE, json!({ "input": { "code": "ok_code", "name": "  " } })),
        (
            "BAD_USER_INPUT",
            CREATE,
            json!({ "input": { "code": "ok_code", "name": "x", "groupCodes": ["water_resources_bureau"] } }),
        ),
        ("NOT_FOUND", CREATE, json!({ "input": { "code": "ok_code", "name": "x", "groupCodes": ["no_such_group"] } })),
        ("CONFLICT", ADD, json!({ "input": { "groupCode": "township_governments", "memberCode": "jiafeng_town" } })),
        (
            "BAD_USER_INPUT",
            ADD,
            json!({ "input": { "groupCode": "water_resources_bureau", "memberCode": "jiafeng_town" } }),
        ),
        (
            "BAD_USER_INPUT",
            ADD,
            json!({ "input": { "groupCode": "county_departments", "memberCode": "township_governments" } }),
        ),
        ("NOT_FOUND", ADD, json!({ "input": { "groupCode": "county_departments", "memberCode": "no_such_unit" } })),
        ("NOT_FOUND", REMOVE, json!({ "input": { "groupCode": "county_departments", "memberCode": "jiafeng_town" } })),
    ];
    for (code, query, vars) in cases {
        let body = app.graphql(query, vars.clone(), &admin).await;
        assert_eq!(error_code(&body), code, "{vars}: {body}");
    }
    let set =
        r#"mutation($input: SetSuperiorTargetInput!) { setSuperiorTarget(input: $input) { superiorTarget { year } } }"#;
    for (code, input) in [
        ("BAD_USER_INPUT", json!({ "indicatorCode": "straw_utilization_rate", "year": 2022, "target": "90" })),
        (
            "BAD_USER_INPUT",
            json!({ "indicatorCode": "natural_shoreline_retention_rate", "year": 2022, "target": "101" }),
        ),
        (
            "BAD_USER_INPUT",
            json!({ "indicatorCode": "natural_shoreline_retention_rate", "year": 1999, "target": "60" }),
        ),
        ("BAD_USER_INPUT", json!({ "indicatorCode": "natural_shoreline_retention_rate", "year": 2022, "target": 60 })),
        ("NOT_FOUND", json!({ "indicatorCode": "nothing", "year": 2022, "target": "60" })),
    ] {
        let body = app.graphql(set, json!({ "input": input }), &admin).await;
        assert_eq!(error_code(&body), code, "{input}: {body}");
    }
    assert_eq!(app.write_footprint().await, before);
}

#[tokio::test]
async fn a_superior_target_can_be_replaced_and_reads_back() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let set = r#"mutation($t: Decimal!) { setSuperiorTarget(input: { indicatorCode: "water_consumption_per_gdp", year: 2022, target: $t }) { superiorTarget { target } } }"#;
    app.data(set, json!({ "t": "35.5" }), &admin).await;
    app.data(set, json!({ "t": "34.0" }), &admin).await;
    let data = app
        .data(r#"{ indicator(code: "water_consumption_per_gdp") { superiorTarget(year: 2022) { year target setBy } none: superiorTarget(year: 2023) { year } } }"#, json!({}), &admin)
        .await;
    assert_eq!(data["indicator"]["superiorTarget"], json!({ "year": 2022, "target": "34", "setBy": "admin" }));
    assert!(data["indicator"]["none"].is_null());
    assert_eq!(app.count("SELECT COUNT(*) FROM superior_target").await, 1);
    let events = app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'superior_target.set'").await;
    assert_eq!(events, 2);
}
