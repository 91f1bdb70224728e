//! Compliance with real indicators of the plan, comparator by comparator.

use serde_json::json;

use crate::helpers::{error_code, spawn_app, TestApp};

const SET_TARGET: &str = r#"mutation($input: SetSuperiorTargetInput!) {
  setSuperiorTarget(input: $input) { superiorTarget { year target source setBy } }
}"#;

async fn set_target(app: &TestApp, admin: &str, code: &str, year: i32, target: &str) {
    let data = app
        .data(SET_TARGET, json!({ "input": { "indicatorCode": code, "year": year, "target": target, "source": "晋市发〔2022〕1号" } }), admin)
        .await;
    assert_eq!(data["setSuperiorTarget"]["superiorTarget"]["target"], target);
}

fn satisfied(c: &serde_json::Value) -> Vec<serde_json::Value> {
    c["conditions"].as_array().unwrap().iter().map(|x| x["satisfied"].clone()).collect()
}

#[tokio::test]
async fn at_least_straw_utilisation_89_9_is_not_met_and_90_is_met() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    app.report_ok(&farm, "straw_utilization_rate", "2022", "89.9").await;
    let c = app.compliance(&farm, "straw_utilization_rate", "2022").await;
    assert_eq!(c["status"], "NOT_MET");
    assert_eq!(c["conditions"][0]["comparator"], "AT_LEAST");
    assert_eq!(c["conditions"][0]["target"], "90");
    assert_eq!(c["conditions"][0]["satisfied"], false);
    assert!(c["conditions"][0]["explanation"].as_str().unwrap().contains("89.9"));
    app.report_ok(&farm, "straw_utilization_rate", "2022", "90").await;
    let c = app.compliance(&farm, "straw_utilization_rate", "2022").await;
    assert_eq!(c["status"], "MET");
    assert_eq!(c["value"]["value"], "90");
    // No report at all: NO_DATA.
    assert_eq!(app.compliance(&farm, "straw_utilization_rate", "2023").await["status"], "NO_DATA");
}

#[tokio::test]
async fn equals_hazardous_waste_disposal_needs_100() {
    let app = spawn_app().await;
    let eco = app.department("ecology_environment_branch").await;
    app.report_ok(&eco, "hazardous_waste_safe_disposal_rate", "2022", "99.99").await;
    assert_eq!(app.compliance(&eco, "hazardous_waste_safe_disposal_rate", "2022").await["status"], "NOT_MET");
    app.report_ok(&eco, "hazardous_waste_safe_disposal_rate", "2022", "100.00").await;
    assert_eq!(app.compliance(&eco, "hazardous_waste_safe_disposal_rate", "2022").await["status"], "MET");
}

#[tokio::test]
async fn energy_use_needs_the_superior_target_and_a_fall() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let dev = app.department("development_reform_bureau").await;
    let code = "energy_consumption_per_gdp";
    app.report_ok(&dev, code, "2021", "0.52").await;
    app.report_ok(&dev, code, "2022", "0.50").await;
    // Falling, but no superior target yet for 2022: cannot be judged.
    let c = app.compliance(&dev, code, "2022").await;
    assert_eq!(c["status"], "NO_DATA");
    assert_eq!(satisfied(&c), vec![json!(null), json!(true)]);
    assert_eq!(c["previousValue"]["value"], "0.52");
    set_target(&app, &admin, code, 2022, "0.51").await;
    let c = app.compliance(&dev, code, "2022").await;
    assert_eq!(c["status"], "MET", "{c}");
    assert_eq!(c["conditions"][0]["target"], "0.51");
    assert_eq!(c["declined"], false);
    // 2023 rises (worse, lower is better) while still under the target.
    set_target(&app, &admin, code, 2023, "0.51").await;
    app.report_ok(&dev, code, "2023", "0.505").await;
    let c = app.compliance(&dev, code, "2023").await;
    assert_eq!(c["status"], "NOT_MET");
    assert_eq!(satisfied(&c), vec![json!(true), json!(false)]);
    assert_eq!(c["declined"], true);
    // Over the target and not falling: both fail.
    app.report_ok(&dev, code, "2023", "0.53").await;
    assert_eq!(satisfied(&app.compliance(&dev, code, "2023").await), vec![json!(false), json!(false)]);
    // The first year has no previous year: the trend cannot be judged.
    let c = app.compliance(&dev, code, "2021").await;
    assert_eq!(c["status"], "NO_DATA");
}

#[tokio::test]
async fn sanitary_toilets_must_rise_each_year_and_meet_the_target() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let code = "rural_sanitary_toilet_coverage_rate";
    set_target(&app, &admin, code, 2022, "72").await;
    set_target(&app, &admin, code, 2023, "74").await;
    app.report_ok(&farm, code, "2021", "70").await;
    app.report_ok(&farm, code, "2022", "75").await;
    app.report_ok(&farm, code, "2023", "74.5").await;
    assert_eq!(app.compliance(&farm, code, "2022").await["status"], "MET");
    let c = app.compliance(&farm, code, "2023").await;
    assert_eq!(c["status"], "NOT_MET");
    assert_eq!(c["conditions"][0]["comparator"], "INCREASING");
    assert_eq!(satisfied(&c), vec![json!(false), json!(true)]);
    assert_eq!(c["declined"], true);
}

#[tokio::test]
async fn protected_ecological_space_must_not_shrink() {
    let app = spawn_app().await;
    let land = app.department("natural_resources_bureau").await;
    let code = "protected_ecological_space_area";
    app.report_ok(&land, code, "2021", "1200.5").await;
    app.report_ok(&land, code, "2022", "1200.5").await;
    app.report_ok(&land, code, "2023", "1199").await;
    let c = app.compliance(&land, code, "2022").await;
    assert_eq!(c["status"], "MET");
    assert_eq!(c["declined"], false);
    let c = app.compliance(&land, code, "2023").await;
    assert_eq!(c["status"], "NOT_MET");
    assert_eq!(c["declined"], true);
}

#[tokio::test]
async fn shoreline_retention_meets_the_superior_target() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let water = app.department("water_resources_bureau").await;
    let code = "natural_shoreline_retention_rate";
    app.report_ok(&water, code, "2022", "58").await;
    let c = app.compliance(&water, code, "2022").await;
    assert_eq!(c["status"], "NO_DATA");
    assert!(c["conditions"][0]["explanation"].as_str().unwrap().contains("superior target"));
    set_target(&app, &admin, code, 2022, "60").await;
    assert_eq!(app.compliance(&water, code, "2022").await["status"], "NOT_MET");
    app.report_ok(&water, code, "2022", "61").await;
    assert_eq!(app.compliance(&water, code, "2022").await["status"], "MET");
}

#[tokio::test]
async fn no_contaminated_site_accident_means_a_count_of_zero() {
    let app = spawn_app().await;
    let eco = app.department("ecology_environment_branch").await;
    let code = "contaminated_site_risk_accidents";
    app.report_ok(&eco, code, "2022", "0").await;
    let c = app.compliance(&eco, code, "2022").await;
    assert_eq!(c["status"], "MET");
    assert_eq!(c["conditions"][0]["comparator"], "NO_OCCURRENCE");
    app.report_ok(&eco, code, "2023", "1").await;
    let c = app.compliance(&eco, code, "2023").await;
    assert_eq!(c["status"], "NOT_MET");
    assert_eq!(c["declined"], true, "one accident is worse than none");
}

#[tokio::test]
async fn the_emergency_plan_must_be_in_force() {
    let app = spawn_app().await;
    let token = app.department("emergency_management_bureau").await;
    let code = "environmental_emergency_plan";
    for (period, answer, status) in [("2022", true, "MET"), ("2023", false, "NOT_MET")] {
        let body = app.report(&token, json!({ "indicatorCode": code, "period": period, "implemented": answer })).await;
        assert!(body.get("errors").is_none(), "{body}");
        let c = app.compliance(&token, code, period).await;
        assert_eq!(c["status"], status);
        assert_eq!(c["value"]["implemented"], answer);
    }
}

#[tokio::test]
async fn declined_is_true_when_worse_than_the_previous_period_even_if_met() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    app.report_ok(&farm, "straw_utilization_rate", "2021", "95").await;
    app.report_ok(&farm, "straw_utilization_rate", "2022", "92").await;
    let c = app.compliance(&farm, "straw_utilization_rate", "2022").await;
    assert_eq!(c["status"], "MET");
    assert_eq!(c["declined"], true);
    app.report_ok(&farm, "straw_utilization_rate", "2023", "96").await;
    assert_eq!(app.compliance(&farm, "straw_utilization_rate", "2023").await["declined"], false);
}

#[tokio::test]
async fn quarterly_water_quality_is_judged_per_quarter_and_over_the_year() {
    let app = spawn_app().await;
    let eco = app.department("ecology_environment_branch").await;
    let code = "drinking_water_source_quality_rate";
    for q in ["2022-Q1", "2022-Q2", "2022-Q3"] {
        app.report_ok(&eco, code, q, "100").await;
    }
    assert_eq!(app.compliance(&eco, code, "2022-Q2").await["status"], "MET");
    assert_eq!(app.compliance(&eco, code, "2022").await["status"], "NO_DATA", "Q4 is missing");
    app.report_ok(&eco, code, "2022-Q4", "98").await;
    let data = app
        .data(
            r#"{ indicator(code: "drinking_water_source_quality_rate") { compliance(period: "2022") { status parts { period status } } } }"#,
            json!({}),
            &eco,
        )
        .await;
    let c = &data["indicator"]["compliance"];
    assert_eq!(c["status"], "NOT_MET");
    assert_eq!(c["parts"][3], json!({ "period": "2022-Q4", "status": "NOT_MET" }));
    // An annual indicator cannot be judged for a quarter.
    let body = app
        .graphql(crate::helpers::COMPLIANCE, json!({ "code": "straw_utilization_rate", "period": "2022-Q1" }), &eco)
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "not eco's indicator: {body}");
    let farm = app.department("agriculture_rural_bureau").await;
    let body = app
        .graphql(crate::helpers::COMPLIANCE, json!({ "code": "straw_utilization_rate", "period": "2022-Q1" }), &farm)
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn the_summary_counts_by_status_domain_and_unit() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let eco = app.department("ecology_environment_branch").await;
    app.report_ok(&farm, "straw_utilization_rate", "2022", "91").await; // MET, task 18 (economy)
    app.report_ok(&farm, "livestock_manure_utilization_rate", "2022", "80").await; // NOT_MET, task 18
    app.report_ok(&eco, "contaminated_site_risk_accidents", "2022", "0").await; // MET, task 11 (security)
    let query = r#"{ complianceSummary(period: "2022") {
        period counts { met notMet noData total }
        byDomain { domain { code } counts { met notMet noData total } }
        byUnit { unit { code } counts { met notMet noData total } } } }"#;
    let admin = app.admin().await;
    let s = app.data(query, json!({}), &admin).await["complianceSummary"].clone();
    // 62 indicators; the two quarterly ones are judged over 2022 too.
    assert_eq!(s["counts"], json!({ "met": 2, "notMet": 1, "noData": 59, "total": 62 }));
    let economy = s["byDomain"].as_array().unwrap().iter().find(|d| d["domain"]["code"] == "economy").unwrap();
    assert_eq!(economy["counts"]["met"], 1);
    assert_eq!(economy["counts"]["notMet"], 1);
    let husbandry =
        s["byUnit"].as_array().unwrap().iter().find(|u| u["unit"]["code"] == "animal_husbandry_center").unwrap();
    assert_eq!(husbandry["counts"], json!({ "met": 1, "notMet": 1, "noData": 1, "total": 3 }));
    // A department's summary covers its own indicators only.
    let s = app.data(query, json!({}), &farm).await["complianceSummary"].clone();
    assert_eq!(s["counts"]["total"], 4, "task 18's three and task 23's one");
}
