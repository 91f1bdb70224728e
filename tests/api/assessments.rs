//! Assessments: scores, grades, ranks and breakdowns checked against figures worked out by
//! hand from the default scheme (60 compliance + 30 progress + 10 timeliness, −2 per
//! declined indicator, veto on a breached NO_OCCURRENCE condition).

use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp};

/// The current year in the county: its values reported today are on time.
fn this_year() -> i32 {
    use chrono::Datelike;
    (chrono::Utc::now() + chrono::Duration::hours(8)).year()
}

const ASSESSMENT: &str = r#"query($unit: String!, $year: Int!) { assessment(unitCode: $unit, year: $year) {
  unit { code } year assessed score grade gradeName vetoed rank tied schemeVersion finalized changedSinceFinalized
  breakdown { component subject pointsPossible pointsGiven reason } } }"#;

const PROGRESS: &str =
    r#"mutation($input: UpdateTaskProgressInput!) { updateTaskProgress(input: $input) { progress { version } } }"#;

async fn progress(app: &TestApp, token: &str, task: i32, year: i32, status: &str, percent: Option<&str>) {
    let mut input = json!({ "taskNumber": task, "period": year.to_string(), "status": status });
    if let Some(p) = percent {
        input["percent"] = json!(p);
    }
    app.data(PROGRESS, json!({ "input": input }), token).await;
}

async fn yes(app: &TestApp, token: &str, code: &str, year: i32, answer: bool) {
    let body =
        app.report(token, json!({ "indicatorCode": code, "period": year.to_string(), "implemented": answer })).await;
    assert!(body.get("errors").is_none(), "{body}");
}

async fn set_target(app: &TestApp, admin: &str, code: &str, year: i32, target: &str) {
    app.data(
        r#"mutation($input: SetSuperiorTargetInput!) { setSuperiorTarget(input: $input) { superiorTarget { year } } }"#,
        json!({ "input": { "indicatorCode": code, "year": year, "target": target } }),
        admin,
    )
    .await;
}

/// A complete year of data for several units (see each unit's expected figures below).
async fn arrange_year(app: &TestApp, y: i32) {
    let (ys, prev) = (y.to_string(), (y - 1).to_string());
    let admin = app.admin().await;
    // 县林业局: four indicators all MET; task 8 COMPLETED, task 9 IN_PROGRESS at 80 %.
    let forest = app.department("forestry_bureau").await;
    app.report_ok(&forest, "forest_grass_coverage_rate", &prev, "25.5").await;
    app.report_ok(&forest, "forest_grass_coverage_rate", &ys, "26").await;
    app.report_ok(&forest, "illegal_wildlife_harvest_incidents", &ys, "0").await;
    app.report_ok(&forest, "protected_wildlife_protection_rate", &ys, "96").await;
    yes(app, &forest, "invasive_species_not_evident", y, true).await;
    progress(app, &forest, 8, y, "COMPLETED", Some("100")).await;
    progress(app, &forest, 9, y, "IN_PROGRESS", Some("80")).await;
    // 县水务局: river chief yes (MET), no encroachment in tasks 3 and 14 (MET), river and lake
    // boundaries delineated (MET), shoreline 62 ≥ 60 (MET), river/reservoir 85 < 90
    // (NOT_MET), water use 31 ≤ 35 but up from 30 (NOT_MET, declined); task 3 COMPLETED,
    // task 14 IN_PROGRESS without percent, task 16 nothing.
    let water = app.department("water_resources_bureau").await;
    set_target(app, &admin, "natural_shoreline_retention_rate", y, "60").await;
    set_target(app, &admin, "river_reservoir_shoreline_protection_rate", y, "90").await;
    set_target(app, &admin, "water_consumption_per_gdp", y, "35").await;
    yes(app, &water, "river_lake_chief_system", y, true).await;
    app.report_ok(&water, "river_lake_encroachment_incidents", &ys, "0").await;
    yes(app, &water, "river_lake_management_scope_delineated", y, true).await;
    app.report_ok(&water, "shoreline_encroachment_incidents", &ys, "0").await;
    app.report_ok(&water, "natural_shoreline_retention_rate", &ys, "62").await;
    app.report_ok(&water, "river_reservoir_shoreline_protection_rate", &ys, "85").await;
    app.report_ok(&water, "water_consumption_per_gdp", &prev, "30").await;
    app.report_ok(&water, "water_consumption_per_gdp", &ys, "31").await;
    progress(app, &water, 3, y, "COMPLETED", None).await;
    progress(app, &water, 14, y, "IN_PROGRESS", None).await;
    // Task 18 (县农业农村局 and 县畜牧兽医服务中心): straw 92 MET, manure 86 MET, film 70 NOT_MET
    // and down from 75 (declined); task 18 IN_PROGRESS at 50 %.
    let husbandry = app.department("animal_husbandry_center").await;
    app.report_ok(&husbandry, "straw_utilization_rate", &ys, "92").await;
    app.report_ok(&husbandry, "livestock_manure_utilization_rate", &ys, "86").await;
    app.report_ok(&husbandry, "agricultural_film_recovery_rate", &prev, "75").await;
    app.report_ok(&husbandry, "agricultural_film_recovery_rate", &ys, "70").await;
    progress(app, &husbandry, 18, y, "IN_PROGRESS", Some("50")).await;
    // 县财政局 and task 27 (县委组织部, 县委党校): everything met and completed: 100 each.
    let finance = app.department("finance_bureau").await;
    app.report_ok(&finance, "green_procurement_share", &ys, "85").await;
    yes(app, &finance, "green_procurement_access_system", y, true).await;
    yes(app, &finance, "green_procurement_standards", y, true).await;
    yes(app, &finance, "green_procurement_supervision_mechanism", y, true).await;
    progress(app, &finance, 26, y, "COMPLETED", None).await;
    let org = app.department("organization_department").await;
    app.report_ok(&org, "officials_eco_training_share", &ys, "100").await;
    progress(app, &org, 27, y, "COMPLETED", None).await;
}

fn line(component: &str, subject: &str, possible: &str, given: &str) -> (String, String, String, String) {
    (component.into(), subject.into(), possible.into(), given.into())
}

fn lines(a: &Value) -> Vec<(String, String, String, String)> {
    a["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["component"].as_str().unwrap().to_string(),
                l["subject"].as_str().unwrap().to_string(),
                l["pointsPossible"].as_str().unwrap().to_string(),
                l["pointsGiven"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn sum_given(a: &Value) -> rust_decimal::Decimal {
    a["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["pointsGiven"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap())
        .sum()
}

async fn assessment(app: &TestApp, token: &str, unit: &str, year: i32) -> Value {
    app.data(ASSESSMENT, json!({ "unit": unit, "year": year }), token).await["assessment"].clone()
}

#[tokio::test]
async fn a_complete_year_scores_grades_and_ranks_as_worked_out_by_hand() {
    let app = spawn_app().await;
    let y = this_year();
    arrange_year(&app, y).await;
    let assessor = app.assessor().await;

    // 县林业局: 4 indicators × 15 = 60; task 8: 15 of 15, task 9: 80 % of 15 = 12;
    // timeliness 4 × 2.5 = 10. Score 97 → 优秀.
    let a = assessment(&app, &assessor, "forestry_bureau", y).await;
    assert_eq!(a["score"], "97");
    assert_eq!(a["grade"], "EXCELLENT");
    assert_eq!(a["gradeName"], "优秀");
    assert_eq!(a["schemeVersion"], 0);
    assert_eq!(
        lines(&a),
        vec![
            line("INDICATOR_COMPLIANCE", "forest_grass_coverage_rate", "15", "15"),
            line("INDICATOR_COMPLIANCE", "illegal_wildlife_harvest_incidents", "15", "15"),
            line("INDICATOR_COMPLIANCE", "protected_wildlife_protection_rate", "15", "15"),
            line("INDICATOR_COMPLIANCE", "invasive_species_not_evident", "15", "15"),
            line("TASK_PROGRESS", "8", "15", "15"),
            line("TASK_PROGRESS", "9", "15", "12"),
            line("TIMELY_REPORTING", "forest_grass_coverage_rate", "2.5", "2.5"),
            line("TIMELY_REPORTING", "illegal_wildlife_harvest_incidents", "2.5", "2.5"),
            line("TIMELY_REPORTING", "protected_wildlife_protection_rate", "2.5", "2.5"),
            line("TIMELY_REPORTING", "invasive_species_not_evident", "2.5", "2.5"),
        ]
    );
    assert_eq!(a["rank"], 4, "behind the three units tied at 100");

    // 县水务局: seven indicators share 60 in whole cents, 8.58 + 8.57 × 6; five are MET:
    // 8.58 + 4 × 8.57 = 42.86; progress 10 + 5 + 0 = 15; timeliness 10; water use declined:
    // −2. Score 65.86 → 合格.
    let a = assessment(&app, &assessor, "water_resources_bureau", y).await;
    assert_eq!(a["score"], "65.86");
    assert_eq!(a["grade"], "PASS");
    assert!(!a["vetoed"].as_bool().unwrap());
    let l = lines(&a);
    assert_eq!(l[0], line("INDICATOR_COMPLIANCE", "river_lake_chief_system", "8.58", "8.58"));
    assert_eq!(l[4], line("INDICATOR_COMPLIANCE", "river_reservoir_shoreline_protection_rate", "8.57", "0"));
    assert_eq!(l[6], line("INDICATOR_COMPLIANCE", "water_consumption_per_gdp", "8.57", "0"));
    assert_eq!(l[7], line("TASK_PROGRESS", "3", "10", "10"));
    assert_eq!(l[8], line("TASK_PROGRESS", "14", "10", "5"));
    assert_eq!(l[9], line("TASK_PROGRESS", "16", "10", "0"));
    assert_eq!(l.last().unwrap(), &line("DECLINE_DEDUCTION", "water_consumption_per_gdp", "0", "-2"));
    assert_eq!(a["rank"], 5);

    // 县畜牧兽医服务中心: 3 indicators of 20: 40; progress 50 % of 30 = 15; timeliness
    // 3.34 + 3.33 + 3.33 = 10; film declined −2. Score 63 → 合格.
    let a = assessment(&app, &assessor, "animal_husbandry_center", y).await;
    assert_eq!(a["score"], "63");
    assert_eq!(a["grade"], "PASS");
    let l = lines(&a);
    assert_eq!(l[3], line("TASK_PROGRESS", "18", "30", "15"));
    assert_eq!(l[4], line("TIMELY_REPORTING", "straw_utilization_rate", "3.34", "3.34"));
    assert_eq!(l[5], line("TIMELY_REPORTING", "livestock_manure_utilization_rate", "3.33", "3.33"));
    assert_eq!(l[7], line("DECLINE_DEDUCTION", "agricultural_film_recovery_rate", "0", "-2"));
    assert_eq!(l.len(), 8);
    assert_eq!(a["rank"], 6);

    // 县农业农村局 shares task 18 and has task 23 (toilets, no data): indicators 15 + 15 +
    // 0 + 0 = 30; progress 7.5 (task 18 at 50 %) + 0; timeliness 3 of 4 × 2.5 = 7.5; −2.
    // Score 43 → 不合格, rank 7.
    let a = assessment(&app, &assessor, "agriculture_rural_bureau", y).await;
    assert_eq!(a["score"], "43");
    assert_eq!(a["rank"], 7);

    // Three units at 100 share rank 1; the next rank is 4.
    for unit in ["finance_bureau", "organization_department", "party_school"] {
        let a = assessment(&app, &assessor, unit, y).await;
        assert_eq!(a["score"], "100", "{unit}");
        assert_eq!(a["rank"], 1, "{unit}");
        assert_eq!(a["tied"], true, "{unit}");
        assert_eq!(a["grade"], "EXCELLENT");
    }

    // Every breakdown accounts for every point, and the list is in rank order.
    let data = app
        .data(
            r#"query($y: Int!) { assessments(year: $y, first: 100) { totalCount edges { node { unit { code } score rank
                 breakdown { component subject pointsPossible pointsGiven reason } } } } }"#,
            json!({ "y": y }),
            &assessor,
        )
        .await;
    let edges = data["assessments"]["edges"].as_array().unwrap();
    assert_eq!(data["assessments"]["totalCount"], 21, "the 21 individual units; groups are not scored");
    let mut last_rank = 0;
    for e in edges {
        let a = &e["node"];
        if let Some(score) = a["score"].as_str() {
            assert_eq!(sum_given(a), score.parse::<rust_decimal::Decimal>().unwrap(), "{}", a["unit"]["code"]);
            let rank = a["rank"].as_i64().unwrap();
            assert!(rank >= last_rank);
            last_rank = rank;
        }
    }
    let top: Vec<&str> = edges[..3].iter().map(|e| e["node"]["unit"]["code"].as_str().unwrap()).collect();
    assert_eq!(top, vec!["finance_bureau", "organization_department", "party_school"]);
}

#[tokio::test]
async fn a_breached_no_occurrence_condition_vetoes_whatever_the_score_when_the_scheme_says_so() {
    let app = spawn_app().await;
    let y = this_year();
    // The document has no 一票否决 clause: the scheme turns it on.
    app.data(
        "mutation($y: Int!) { setScoringScheme(input: { year: $y, vetoOnOccurrence: true }) { scheme { version } } }",
        json!({ "y": y }),
        &app.admin().await,
    )
    .await;
    let forest = app.department("forestry_bureau").await;
    let ys = y.to_string();
    app.report_ok(&forest, "forest_grass_coverage_rate", &ys, "30").await;
    app.report_ok(&forest, "illegal_wildlife_harvest_incidents", &ys, "1").await;
    app.report_ok(&forest, "protected_wildlife_protection_rate", &ys, "99").await;
    yes(&app, &forest, "invasive_species_not_evident", y, true).await;
    progress(&app, &forest, 8, y, "COMPLETED", None).await;
    progress(&app, &forest, 9, y, "COMPLETED", None).await;
    let a = assessment(&app, &forest, "forestry_bureau", y).await;
    // 45 (three MET indicators) + 30 + 10 = 85, which would be 良好.
    assert_eq!(a["score"], "85");
    assert_eq!(a["vetoed"], true);
    assert_eq!(a["grade"], "FAIL");
    assert_eq!(a["gradeName"], "不合格");
    let veto = a["breakdown"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(veto["component"], "VETO");
    assert_eq!(veto["subject"], "illegal_wildlife_harvest_incidents");
    assert_eq!(veto["pointsGiven"], "0");
    assert!(veto["reason"].as_str().unwrap().contains("考核方案配置"), "{veto}");
}

#[tokio::test]
async fn adjustments_need_a_reason_and_keep_the_score_within_0_to_100() {
    let app = spawn_app().await;
    let y = this_year();
    arrange_year(&app, y).await;
    let assessor = app.assessor().await;
    let adjust = r#"mutation($input: AdjustAssessmentInput!) { adjustAssessment(input: $input) { assessment { score grade breakdown { component subject pointsGiven reason } } } }"#;
    let data = app
        .data(adjust, json!({ "input": { "unitCode": "animal_husbandry_center", "year": y, "points": "5", "reason": "省级表彰加分" } }), &assessor)
        .await;
    let a = &data["adjustAssessment"]["assessment"];
    assert_eq!(a["score"], "68");
    let last = a["breakdown"].as_array().unwrap().last().unwrap();
    assert_eq!(last["component"], "ADJUSTMENT");
    assert_eq!(last["pointsGiven"], "5");
    assert_eq!(last["reason"], "省级表彰加分");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'assessment.adjust'").await, 1);

    let before = app.count("SELECT COUNT(*) FROM assessment_adjustment").await;
    for (code, input) in [
        ("BAD_USER_INPUT", json!({ "unitCode": "animal_husbandry_center", "year": y, "points": "1", "reason": "" })),
        ("BAD_USER_INPUT", json!({ "unitCode": "finance_bureau", "year": y, "points": "0.5", "reason": "over 100" })),
        (
            "BAD_USER_INPUT",
            json!({ "unitCode": "natural_resources_bureau", "year": y, "points": "-50", "reason": "below 0" }),
        ),
        ("NOT_FOUND", json!({ "unitCode": "no_such_unit", "year": y, "points": "1", "reason": "x" })),
        ("NOT_FOUND", json!({ "unitCode": "finance_bureau", "year": 2019, "points": "1", "reason": "x" })),
    ] {
        let body = app.graphql(adjust, json!({ "input": input }), &assessor).await;
        assert_eq!(error_code(&body), code, "{input}: {body}");
    }
    for token in [app.admin().await, app.department("animal_husbandry_center").await, app.integration().await] {
        let body = app
            .graphql(
                adjust,
                json!({ "input": { "unitCode": "animal_husbandry_center", "year": y, "points": "1", "reason": "x" } }),
                &token,
            )
            .await;
        assert_eq!(error_code(&body), "FORBIDDEN");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM assessment_adjustment").await, before);
}

#[tokio::test]
async fn a_finalized_assessment_does_not_move_when_the_data_changes() {
    let app = spawn_app().await;
    let y = this_year();
    arrange_year(&app, y).await;
    let assessor = app.assessor().await;
    let data = app.data("mutation($y: Int!) { finalizeAssessments(input: { year: $y }) { year assessments { unit { code } score } } }", json!({ "y": y }), &assessor).await;
    assert_eq!(data["finalizeAssessments"]["assessments"].as_array().unwrap().len(), 21);
    let frozen = assessment(&app, &assessor, "water_resources_bureau", y).await;
    assert_eq!(frozen["finalized"], true);
    assert_eq!(frozen["changedSinceFinalized"], false);
    // The water bureau corrects its river/reservoir figure: live it would now be MET (+8.57).
    let water = app.department("water_resources_bureau").await;
    app.report_ok(&water, "river_reservoir_shoreline_protection_rate", &y.to_string(), "95").await;
    let after = assessment(&app, &assessor, "water_resources_bureau", y).await;
    assert_eq!(after["score"], "65.86", "the published score does not move");
    assert_eq!(after["breakdown"], frozen["breakdown"]);
    assert_eq!(after["changedSinceFinalized"], true);
    let unchanged = assessment(&app, &assessor, "finance_bureau", y).await;
    assert_eq!(unchanged["changedSinceFinalized"], false);
    // Changing a finalized year is a conflict.
    let body = app
        .graphql(
            r#"mutation($y: Int!) { adjustAssessment(input: { unitCode: "water_resources_bureau", year: $y, points: "1", reason: "x" }) { assessment { score } } }"#,
            json!({ "y": y }),
            &assessor,
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT");
    let body = app
        .graphql(
            "mutation($y: Int!) { finalizeAssessments(input: { year: $y }) { year } }",
            json!({ "y": y }),
            &assessor,
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT");
    let body = app
        .graphql("mutation($y: Int!) { setScoringScheme(input: { year: $y, declineDeduction: \"3\" }) { scheme { version } } }", json!({ "y": y }), &assessor)
        .await;
    assert_eq!(error_code(&body), "CONFLICT");
}

#[tokio::test]
async fn the_accountability_list_names_the_units_whose_indicators_fell_back() {
    let app = spawn_app().await;
    let y = this_year();
    arrange_year(&app, y).await;
    let admin = app.admin().await;
    let data = app
        .data(
            r#"query($y: Int!) { accountability(year: $y) { unit { code } items { indicator { code }
                 compliance { status declined value { value } previousValue { value } } } } }"#,
            json!({ "y": y }),
            &admin,
        )
        .await;
    let list = data["accountability"].as_array().unwrap();
    let units: Vec<&str> = list.iter().map(|e| e["unit"]["code"].as_str().unwrap()).collect();
    assert_eq!(
        units,
        vec![
            "water_resources_bureau",
            "natural_resources_bureau",
            "agriculture_rural_bureau",
            "animal_husbandry_center"
        ]
    );
    let water = &list[0]["items"];
    let codes: Vec<&str> = water.as_array().unwrap().iter().map(|i| i["indicator"]["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["river_reservoir_shoreline_protection_rate", "water_consumption_per_gdp"]);
    assert_eq!(water[1]["compliance"]["declined"], true);
    assert_eq!(water[1]["compliance"]["value"]["value"], "31");
    assert_eq!(water[1]["compliance"]["previousValue"]["value"], "30");
    let film = &list[3]["items"][0];
    assert_eq!(film["indicator"]["code"], "agricultural_film_recovery_rate");
    assert_eq!(film["compliance"]["status"], "NOT_MET");
    assert_eq!(film["compliance"]["previousValue"]["value"], "75");
    // A department sees its own entry only.
    let water_token = app.department("water_resources_bureau").await;
    let own = app
        .data("query($y: Int!) { accountability(year: $y) { unit { code } } }", json!({ "y": y }), &water_token)
        .await;
    assert_eq!(own["accountability"], json!([{ "unit": { "code": "water_resources_bureau" } }]));
}

#[tokio::test]
async fn who_reads_which_assessment_and_bad_years() {
    let app = spawn_app().await;
    let y = this_year();
    let water = app.department("water_resources_bureau").await;
    let a = assessment(&app, &water, "water_resources_bureau", y).await;
    assert_eq!(a["unit"]["code"], "water_resources_bureau");
    let body = app.graphql(ASSESSMENT, json!({ "unit": "forestry_bureau", "year": y }), &water).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let body =
        app.graphql(ASSESSMENT, json!({ "unit": "water_resources_bureau", "year": y }), &app.integration().await).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let body = app
        .graphql(
            "query($y: Int!) { assessments(year: $y) { totalCount } }",
            json!({ "y": y }),
            &app.integration().await,
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let mine = app.data("query($y: Int!) { assessments(year: $y) { totalCount } }", json!({ "y": y }), &water).await;
    assert_eq!(mine["assessments"]["totalCount"], 1);
    let admin = app.admin().await;
    for (unit, year, code) in [
        ("no_such_unit", y, "NOT_FOUND"),
        ("water_resources_bureau", 2019, "NOT_FOUND"),
        ("water_resources_bureau", y + 3, "NOT_FOUND"),
    ] {
        let body = app.graphql(ASSESSMENT, json!({ "unit": unit, "year": year }), &admin).await;
        assert_eq!(error_code(&body), code, "{unit} {year}");
    }
}

#[tokio::test]
async fn the_scheme_is_versioned_configuration() {
    let app = spawn_app().await;
    let y = this_year();
    arrange_year(&app, y).await;
    let admin = app.admin().await;
    let data = app.data("query($y: Int!) { scoringScheme(year: $y) { version isDefault indicatorPoints declineDeduction passFrom } }", json!({ "y": y }), &admin).await;
    assert_eq!(
        data["scoringScheme"],
        json!({ "version": 0, "isDefault": true, "indicatorPoints": "60", "declineDeduction": "2", "passFrom": "60" })
    );
    let set = r#"mutation($input: SetScoringSchemeInput!) { setScoringScheme(input: $input) { scheme { version isDefault declineDeduction createdBy note } } }"#;
    let data = app
        .data(
            set,
            json!({ "input": { "year": y, "declineDeduction": "5", "note": "县考核办 2026 年第 3 次会议" } }),
            &admin,
        )
        .await;
    assert_eq!(data["setScoringScheme"]["scheme"]["version"], 1);
    assert_eq!(data["setScoringScheme"]["scheme"]["isDefault"], false);
    // 63 with −2 becomes 60 with −5: still 合格, now under scheme version 1.
    let a = assessment(&app, &admin, "animal_husbandry_center", y).await;
    assert_eq!(a["score"], "60");
    assert_eq!(a["grade"], "PASS");
    assert_eq!(a["schemeVersion"], 1);
    for input in [
        json!({ "year": y, "indicatorPoints": "70" }),
        json!({ "year": y, "goodFrom": "95" }),
        json!({ "year": y, "inProgressShare": "1.5" }),
    ] {
        let body = app.graphql(set, json!({ "input": input }), &admin).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}");
    }
    let body = app.graphql(set, json!({ "input": { "year": 2019, "declineDeduction": "1" } }), &admin).await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    let body = app
        .graphql(
            set,
            json!({ "input": { "year": y, "declineDeduction": "1" } }),
            &app.department("finance_bureau").await,
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let data = app
        .data(
            set,
            json!({ "input": { "year": y, "indicatorPoints": "50", "progressPoints": "40" } }),
            &app.assessor().await,
        )
        .await;
    assert_eq!(data["setScoringScheme"]["scheme"]["version"], 2);
}
