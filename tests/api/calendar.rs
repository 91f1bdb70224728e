//! What is due: the reporting calendar per unit and for the assessment office, on the
//! assessment's deadlines (the period's end plus the scheme's grace days, county time).

use chrono::Datelike;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app};

const CALENDAR: &str = r#"query($year: Int!, $unit: String, $status: DueStatus) {
  reportingCalendar(year: $year, unitCode: $unit, status: $status) {
    indicator { code frequency task { number } } period dueAt dueBy reportedAt status
  }
}"#;

fn entries(data: &Value) -> Vec<Value> {
    data["reportingCalendar"].as_array().unwrap().clone()
}

fn periods_per_year(frequency: &str) -> usize {
    match frequency {
        "QUARTERLY" => 4,
        "MONTHLY" => 12,
        _ => 1,
    }
}

#[tokio::test]
async fn a_department_sees_what_it_owes_and_what_came_late() {
    let app = spawn_app().await;
    let water = app.department("water_resources_bureau").await;
    app.report_ok(&water, "natural_shoreline_retention_rate", "2022", "61").await;
    let data = app.data(CALENDAR, json!({ "year": 2022 }), &water).await;
    let all = entries(&data);
    // Its own tasks' indicators only, each period of its frequency once.
    let own = app.data("{ indicators(first: 100) { edges { node { code frequency } } } }", json!({}), &water).await;
    let expected: usize = own["indicators"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| periods_per_year(e["node"]["frequency"].as_str().unwrap()))
        .sum();
    assert_eq!(all.len(), expected);
    assert!(all.iter().all(|e| [3, 14, 16].contains(&e["indicator"]["task"]["number"].as_i64().unwrap())));
    // 2022 is long past: what came, came late (after 2023-01-31, the default 31 days of
    // grace); the rest is overdue.
    let shoreline = all.iter().find(|e| e["indicator"]["code"] == "natural_shoreline_retention_rate").unwrap();
    assert_eq!(shoreline["status"], "LATE");
    assert_eq!(shoreline["dueBy"], "2023-01-31");
    assert_eq!(shoreline["dueAt"], "2023-01-31T16:00:00.000000Z", "midnight in the county");
    assert!(shoreline["reportedAt"].is_string());
    for e in all.iter().filter(|e| e["indicator"]["code"] != "natural_shoreline_retention_rate") {
        assert_eq!(e["status"], "OVERDUE", "{e}");
        assert!(e["reportedAt"].is_null());
    }
    let late = app.data(CALENDAR, json!({ "year": 2022, "status": "LATE" }), &water).await;
    assert_eq!(entries(&late).len(), 1);

    // This year's annual reports are not due yet.
    let this_year = (chrono::Utc::now() + chrono::Duration::hours(8)).year();
    let now = app.data(CALENDAR, json!({ "year": this_year }), &water).await;
    let annual: Vec<Value> = entries(&now).into_iter().filter(|e| e["indicator"]["frequency"] == "ANNUAL").collect();
    assert!(!annual.is_empty());
    assert!(annual.iter().all(|e| e["status"] == "UPCOMING"), "{annual:?}");
}

#[tokio::test]
async fn the_grace_days_are_the_schemes_and_on_time_is_on_time() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let water = app.department("water_resources_bureau").await;
    // Last year, with a year of grace: a report made now is on time, whatever today is.
    let last_year = (chrono::Utc::now() + chrono::Duration::hours(8)).year() - 1;
    let set = app
        .graphql(
            "mutation($year: Int!) { setScoringScheme(input: { year: $year, reportingGraceDays: 366 }) { __typename } }",
            json!({ "year": last_year }),
            &admin,
        )
        .await;
    assert!(set.get("errors").is_none(), "{set}");
    app.report_ok(&water, "natural_shoreline_retention_rate", &last_year.to_string(), "61").await;
    let data = app.data(CALENDAR, json!({ "year": last_year, "status": "ON_TIME" }), &water).await;
    let on_time = entries(&data);
    assert_eq!(on_time.len(), 1, "{on_time:?}");
    assert_eq!(on_time[0]["indicator"]["code"], "natural_shoreline_retention_rate");
    assert_eq!(on_time[0]["dueBy"], format!("{}-01-01", last_year + 2));
}

#[tokio::test]
async fn the_assessment_office_sees_every_unit_and_a_department_only_its_own() {
    let app = spawn_app().await;
    let assessor = app.assessor().await;
    let water = app.department("water_resources_bureau").await;
    let integration = app.integration().await;
    let own = entries(&app.data(CALENDAR, json!({ "year": 2022 }), &water).await);
    let asked =
        entries(&app.data(CALENDAR, json!({ "year": 2022, "unit": "water_resources_bureau" }), &assessor).await);
    assert_eq!(asked.len(), own.len(), "the assessor sees the unit's calendar as the unit does");
    let county = entries(&app.data(CALENDAR, json!({ "year": 2022 }), &assessor).await);
    let codes: std::collections::HashSet<&str> =
        county.iter().map(|e| e["indicator"]["code"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), 62, "every indicator of the plan");
    assert_eq!(entries(&app.data(CALENDAR, json!({ "year": 2022 }), &integration).await).len(), county.len());
    // A group's calendar holds the tasks assigned to the group.
    let group = entries(&app.data(CALENDAR, json!({ "year": 2022, "unit": "township_governments" }), &assessor).await);
    assert!(!group.is_empty());

    for (vars, code) in [
        (json!({ "year": 2022, "unit": "agriculture_rural_bureau" }), "FORBIDDEN"),
        (json!({ "year": 2022, "unit": "no_such_unit" }), "NOT_FOUND"),
    ] {
        let body = app.graphql(CALENDAR, vars.clone(), &water).await;
        assert_eq!(error_code(&body), code, "{vars}: {body}");
    }
    let body = app.graphql(CALENDAR, json!({ "year": 1999 }), &water).await;
    assert!(body.get("errors").is_some(), "{body}");
}

/// The spreadsheet a department fills in: its periods still to report, with the day each
/// is due, from the same calendar; a period reported leaves it.
#[tokio::test]
async fn the_import_template_lists_what_is_still_to_report() {
    let app = spawn_app().await;
    let water = app.department("water_resources_bureau").await;
    let fetch = |token: String| {
        let app = &app;
        async move {
            let resp = app
                .client
                .get(format!("{}/export/import-template.csv?year=2022", app.address))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(
                resp.headers()["content-disposition"],
                "attachment; filename=\"ecoplan-import-template-2022.csv\""
            );
            let body = resp.bytes().await.unwrap();
            let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&body).to_vec();
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body.as_slice());
            reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>()).collect::<Vec<_>>()
        }
    };
    let rows = fetch(water.clone()).await;
    assert_eq!(
        rows[0],
        [
            "指标代码",
            "指标名称",
            "类型",
            "计量单位",
            "报送频次",
            "周期",
            "按时截止日（UTC+8）",
            "数值",
            "是否完成（是/否）",
            "备注"
        ]
    );
    let calendar = entries(&app.data(CALENDAR, json!({ "year": 2022 }), &water).await);
    assert_eq!(rows.len() - 1, calendar.len(), "every period of 2022, none reported yet");
    let shoreline = rows.iter().find(|r| r[0] == "natural_shoreline_retention_rate").expect("its row");
    assert_eq!(shoreline[5], "2022");
    assert_eq!(shoreline[6], "2023-01-31");
    assert!(shoreline[7..].iter().all(String::is_empty), "the value columns are left to fill");
    assert!(rows.iter().skip(1).all(|r| calendar.iter().any(|e| e["indicator"]["code"] == r[0].as_str())));

    app.report_ok(&water, "natural_shoreline_retention_rate", "2022", "61").await;
    let after = fetch(water.clone()).await;
    assert_eq!(after.len(), rows.len() - 1, "the reported period left the template");
    assert!(!after.iter().any(|r| r[0] == "natural_shoreline_retention_rate"));
    // Another department's template holds none of these indicators.
    let farm = fetch(app.department("agriculture_rural_bureau").await).await;
    assert!(farm.iter().skip(1).all(|r| !rows.iter().any(|w| w[0] == r[0])));
}
