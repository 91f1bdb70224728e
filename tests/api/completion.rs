//! The plan, complete (migration m20261201_000008): every checkable commitment of the document
//! as an indicator with the document's words, what is inference marked as configuration, and
//! the completion applied to a database of the previous version without touching its values.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::helpers::{empty_database, error_code, spawn_app, spawn_app_on};

const TASKS: &str = r#"{ tasks(first: 100) { edges { node { number text indicatorNote
  indicators { code name statement kind commitment frequency frequencySource frequencyBasis reportingNote formerCodes
    conditions { comparator target statement } } } } } }"#;

/// The indicators of each task after the completion, by hand from the document: (task, codes).
const EXPECTED: &[(i64, &[&str])] = &[
    (1, &["implementation_plan_in_force"]),
    (2, &["performance_assessment_inclusion"]),
    (3, &["river_lake_chief_system", "river_lake_encroachment_incidents", "river_lake_management_scope_delineated"]),
    (4, &["information_disclosure_rate", "disclosure_catalogue_established"]),
    (5, &["planning_eia_conducted"]),
    (6, &[]),
    (
        7,
        &[
            "water_pollutant_reduction_plan",
            "water_pollution_source_online_monitoring",
            "wastewater_discharge_compliance",
            "cbm_area_water_monitoring_system",
        ],
    ),
    (8, &["forest_grass_coverage_rate"]),
    (9, &["illegal_wildlife_harvest_incidents", "protected_wildlife_protection_rate", "invasive_species_not_evident"]),
    (10, &["hazardous_waste_safe_disposal_rate"]),
    (
        11,
        &[
            "contaminated_site_risk_accidents",
            "contaminated_site_supervision_system",
            "contaminated_site_joint_supervision_mechanism",
        ],
    ),
    (
        12,
        &[
            "environmental_emergency_plan",
            "relatively_major_environmental_incidents",
            "major_cross_border_pollution_incidents",
            "major_hazardous_waste_illegal_transfer_dumping_incidents",
        ],
    ),
    (
        13,
        &[
            "protected_ecological_space_area",
            "protected_ecological_space_nature_unchanged",
            "ecological_function_index",
            "ecological_service_capacity_index",
        ],
    ),
    (
        14,
        &[
            "natural_shoreline_retention_rate",
            "river_reservoir_shoreline_protection_rate",
            "shoreline_encroachment_incidents",
        ],
    ),
    (15, &["energy_consumption_per_gdp", "industrial_kiln_upgrade", "china_iii_heavy_truck_phase_out"]),
    (16, &["water_consumption_per_gdp"]),
    (17, &["construction_land_per_gdp_decline_rate"]),
    (18, &["straw_utilization_rate", "livestock_manure_utilization_rate", "agricultural_film_recovery_rate"]),
    (19, &["industrial_solid_waste_utilization_rate"]),
    (
        20,
        &[
            "water_source_monitoring_disclosure",
            "drinking_water_source_quality_rate",
            "village_drinking_water_sanitation_rate",
            "water_source_survey_zoning_signage",
            "important_water_source_safety_construction",
        ],
    ),
    (
        21,
        &[
            "urban_sewage_treatment_rate",
            "zhongcun_sewage_plant_built",
            "duanshi_sewage_plant_built",
            "qinshui_second_sewage_plant_built",
            "sewage_plants_stable_compliant_discharge",
        ],
    ),
    (22, &["urban_waste_harmless_treatment_rate", "new_residential_waste_sorting"]),
    (23, &["rural_sanitary_toilet_coverage_rate"]),
    (24, &["green_building_share", "new_public_buildings_green_standard"]),
    (25, &[]),
    (
        26,
        &[
            "green_procurement_share",
            "green_procurement_access_system",
            "green_procurement_standards",
            "green_procurement_supervision_mechanism",
        ],
    ),
    (27, &["officials_eco_training_share"]),
    (28, &["public_satisfaction", "public_participation"]),
    (29, &[]),
];

fn tasks_of(data: &Value) -> Vec<Value> {
    data["tasks"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

#[tokio::test]
async fn every_task_has_its_indicators_or_says_why_and_every_word_is_the_documents() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let tasks = tasks_of(&app.data(TASKS, json!({}), &admin).await);
    assert_eq!(tasks.len(), 29);
    let mut total = 0;
    for (task, (number, expected)) in tasks.iter().zip(EXPECTED) {
        assert_eq!(task["number"], *number);
        let text = task["text"].as_str().unwrap();
        let indicators = task["indicators"].as_array().unwrap();
        let mut codes: Vec<&str> = indicators.iter().map(|i| i["code"].as_str().unwrap()).collect();
        let mut want = expected.to_vec();
        codes.sort_unstable();
        want.sort_unstable();
        assert_eq!(codes, want, "task {number}");
        total += indicators.len();
        if indicators.is_empty() {
            let note = task["indicatorNote"].as_str().unwrap_or_else(|| panic!("task {number} says why it has none"));
            assert!(note.contains("EFFORT"), "task {number}: {note}");
        }
        for i in indicators {
            let code = i["code"].as_str().unwrap();
            assert!(text.contains(i["statement"].as_str().unwrap()), "{code}: its statement is the task's words");
            for c in i["conditions"].as_array().unwrap() {
                let words = c["statement"].as_str().unwrap_or_else(|| panic!("{code}: a condition without words"));
                assert!(text.contains(words), "{code}: {words:?} is not in task {number}'s text");
            }
            // Where the document is silent, the API says so.
            let basis = i["frequencyBasis"].as_str().unwrap_or_else(|| panic!("{code}: no frequency basis"));
            match i["frequencySource"].as_str().unwrap() {
                "DOCUMENT" => {
                    assert!(text.contains("每季度向社会公开") && basis.contains("每季度向社会公开"), "{code}")
                }
                "CONFIGURED" => assert!(basis.contains("文件未规定"), "{code}: {basis}"),
                other => panic!("{code}: {other}"),
            }
        }
    }
    assert_eq!(total, 62, "36 indicators of the seed and 26 from the completion");
}

#[tokio::test]
async fn the_new_indicators_read_the_document_as_their_rules_say() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let tasks = tasks_of(&app.data(TASKS, json!({}), &admin).await);
    let by_code: BTreeMap<String, Value> = tasks
        .iter()
        .flat_map(|t| t["indicators"].as_array().unwrap().clone())
        .map(|i| (i["code"].as_str().unwrap().to_string(), i))
        .collect();
    let shape = |code: &str| {
        let i = &by_code[code];
        let comparators: Vec<&str> =
            i["conditions"].as_array().unwrap().iter().map(|c| c["comparator"].as_str().unwrap()).collect();
        (i["kind"].as_str().unwrap(), i["commitment"].as_str().unwrap(), comparators)
    };
    // (13): four commitments, four indicators.
    assert_eq!(shape("protected_ecological_space_area"), ("QUANTITY", "TREND", vec!["NOT_DECREASING"]));
    assert_eq!(shape("protected_ecological_space_nature_unchanged"), ("YES_NO", "STATE", vec!["IMPLEMENTED"]));
    assert_eq!(shape("ecological_function_index"), ("QUANTITY", "TREND", vec!["NOT_DECREASING"]));
    assert_eq!(shape("ecological_service_capacity_index"), ("QUANTITY", "TREND", vec!["INCREASING"]));
    assert!(by_code["ecological_function_index"]["reportingNote"].as_str().unwrap().contains("指数"));
    // (3) and (14): the prohibition, for both tasks' units.
    for code in ["river_lake_encroachment_incidents", "shoreline_encroachment_incidents"] {
        assert_eq!(shape(code), ("COUNT", "PROHIBITION", vec!["NO_OCCURRENCE"]), "{code}");
        assert_eq!(by_code[code]["statement"], "严禁侵占河道、围垦水库");
    }
    // (7): deliverables and a state; (21): three named plants and a state; (15): a measure.
    assert_eq!(shape("water_pollutant_reduction_plan"), ("YES_NO", "DELIVERABLE", vec!["IMPLEMENTED"]));
    assert_eq!(shape("cbm_area_water_monitoring_system"), ("YES_NO", "DELIVERABLE", vec!["IMPLEMENTED"]));
    assert_eq!(shape("wastewater_discharge_compliance"), ("YES_NO", "STATE", vec!["IMPLEMENTED"]));
    for code in ["zhongcun_sewage_plant_built", "duanshi_sewage_plant_built", "qinshui_second_sewage_plant_built"] {
        assert_eq!(shape(code), ("YES_NO", "DELIVERABLE", vec!["IMPLEMENTED"]), "{code}");
    }
    assert_eq!(shape("china_iii_heavy_truck_phase_out"), ("YES_NO", "DELIVERABLE", vec!["IMPLEMENTED"]));
    assert_eq!(shape("contaminated_site_supervision_system"), ("YES_NO", "DELIVERABLE", vec!["IMPLEMENTED"]));
    // (28): the trend beside the target, with its own words.
    assert_eq!(shape("public_satisfaction"), ("PERCENTAGE", "TARGET", vec!["AT_LEAST", "INCREASING"]));
    assert_eq!(by_code["public_satisfaction"]["conditions"][1]["statement"], "不断提高公众对生态文明建设的满意度");
    // Names keep their qualifiers; corrected codes keep the former ones.
    assert_eq!(
        by_code["illegal_wildlife_harvest_incidents"]["name"],
        "国家一、二级野生动、植物违法采集及猎捕、破坏等情况"
    );
    assert_eq!(by_code["relatively_major_environmental_incidents"]["name"], "较大环境事件");
    assert_eq!(
        by_code["relatively_major_environmental_incidents"]["formerCodes"],
        json!(["major_environmental_incidents"])
    );
    assert_eq!(
        by_code["major_hazardous_waste_illegal_transfer_dumping_incidents"]["name"],
        "重大危险废物非法转移、倾倒事件"
    );
    // Old codes still find their indicator, for reads and for reports.
    let old = app.data(r#"{ indicator(code: "major_environmental_incidents") { code } }"#, json!({}), &admin).await;
    assert_eq!(old["indicator"]["code"], "relatively_major_environmental_incidents");
    let emergency = app.department("emergency_management_bureau").await;
    let stored = app
        .data(
            r#"mutation { reportIndicatorValue(input: { indicatorCode: "hazardous_waste_illegal_dumping_incidents", period: "2022", value: "0" }) { value { indicator { code } } } }"#,
            json!({}),
            &emergency,
        )
        .await;
    assert_eq!(
        stored["reportIndicatorValue"]["value"]["indicator"]["code"],
        "major_hazardous_waste_illegal_transfer_dumping_incidents"
    );
    // The rest of the document, verbatim, and the rules.
    let plan =
        app.data("{ plan { text { key heading text } commitmentRules { kind zh en } } }", json!({}), &admin).await;
    let text = plan["plan"]["text"].as_array().unwrap();
    assert_eq!(text.len(), 14);
    let part = |key: &str| text.iter().find(|p| p["key"] == key).unwrap().clone();
    assert_eq!(part("guiding_ideology")["heading"], "一、指导思想");
    assert!(part("safeguard_accountability")["text"]
        .as_str()
        .unwrap()
        .contains("导致国家生态文明建设示范县考核指标下降"));
    assert_eq!(part("notice_date")["text"], "2020年12月31日");
    let kinds: Vec<&str> =
        plan["plan"]["commitmentRules"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["TARGET", "TREND", "PROHIBITION", "STATE", "DELIVERABLE", "DUTY", "EFFORT"]);
}

/// A database made by the previous version (migrations up to the seventh), with values
/// reported in it, takes the completion: the values stay, still count, and the old codes
/// still find them; clients that sync learn of every indicator added or changed.
#[tokio::test]
async fn the_completion_applies_to_a_database_of_the_previous_version_and_keeps_its_values() {
    use migration::MigratorTrait;
    use sea_orm::{ConnectionTrait, Statement};

    let (url, _file) = empty_database().await;
    let before = sea_orm::Database::connect(&url).await.unwrap();
    migration::Migrator::up(&before, Some(7)).await.unwrap();
    let backend = before.get_database_backend();
    let now = if backend == sea_orm::DbBackend::Postgres { "now()" } else { "CURRENT_TIMESTAMP" };
    // Reported as the previous version stored them (with the former codes).
    for (code, unit, value) in [
        ("straw_utilization_rate", "agriculture_rural_bureau", "'91'"),
        ("major_environmental_incidents", "emergency_management_bureau", "'0'"),
        ("public_satisfaction", "county_government_office", "'85'"),
    ] {
        before
            .execute_raw(Statement::from_string(
                backend,
                format!(
                    "INSERT INTO indicator_value (indicator_id, period, revision, value, implemented, status, unit_id, \
                     reported_by, reported_at, note, evidence, is_current) \
                     SELECT i.id, '2022', 1, {value}, NULL, 'SUBMITTED', u.id, 'department:{unit}', {now}, NULL, '[]', TRUE \
                     FROM indicator i, unit u WHERE i.code = '{code}' AND u.code = '{unit}'"
                ),
            ))
            .await
            .unwrap();
    }
    let count = |sql: &'static str| {
        let before = &before;
        async move {
            let row = before.query_one_raw(Statement::from_string(backend, sql)).await.unwrap().unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM indicator").await, 36);
    assert_eq!(count("SELECT COUNT(*) FROM indicator_value").await, 3);
    before.close().await.unwrap();

    // Today's version starts on it and applies the completion.
    let app = spawn_app_on(&url).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator").await, 62);
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value").await, 3, "values untouched");
    let admin = app.admin().await;
    let straw = app.compliance(&admin, "straw_utilization_rate", "2022").await;
    assert_eq!(straw["status"], "MET", "still judged: {straw}");
    let renamed = app
        .data(
            r#"{ indicator(code: "major_environmental_incidents") { code formerCodes currentValue(period: "2022") { value } compliance(period: "2022") { status } } }"#,
            json!({}),
            &admin,
        )
        .await;
    assert_eq!(renamed["indicator"]["code"], "relatively_major_environmental_incidents");
    assert_eq!(renamed["indicator"]["currentValue"]["value"], "0");
    assert_eq!(renamed["indicator"]["compliance"]["status"], "MET");
    // The trend added beside the target has no 2021 value to compare with yet.
    let satisfaction = app.compliance(&admin, "public_satisfaction", "2022").await;
    assert_eq!(satisfaction["status"], "NO_DATA", "{satisfaction}");
    // Still scored: the year's assessment of the unit counts the value.
    let assessed = app
        .data(
            r#"{ assessment(unitCode: "agriculture_rural_bureau", year: 2022) { assessed score breakdown { component subject pointsGiven } } }"#,
            json!({}),
            &admin,
        )
        .await;
    let lines = assessed["assessment"]["breakdown"].as_array().unwrap();
    assert!(
        lines.iter().any(|l| l["subject"] == "straw_utilization_rate"
            && l["component"] == "INDICATOR_COMPLIANCE"
            && l["pointsGiven"] != "0"),
        "{assessed}"
    );
    // Clients that sync hear of every indicator added or changed.
    assert_eq!(app.count("SELECT COUNT(*) FROM change_log WHERE action = 'plan.complete'").await, 62);
}

#[tokio::test]
async fn frequencies_are_configuration_an_administrator_sets_before_values_are_reported() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let set = r#"mutation($input: SetIndicatorFrequencyInput!) { setIndicatorFrequency(input: $input) {
        indicator { code frequency frequencySource frequencyBasis } } }"#;
    let input = |code: &str, frequency: &str| json!({ "input": { "indicatorCode": code, "frequency": frequency, "reason": "市考核办要求按季度报送" } });
    // Only an administrator.
    let farm = app.department("agriculture_rural_bureau").await;
    let body = app.graphql(set, input("straw_utilization_rate", "QUARTERLY"), &farm).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    // Where the document states the frequency, it is not configuration.
    let body = app.graphql(set, input("water_source_monitoring_disclosure", "ANNUAL"), &admin).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    // Before any value: set, audited, with its reason; reports then follow it.
    let events = app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'indicator.frequency.set'").await;
    let data = app.data(set, input("livestock_manure_utilization_rate", "QUARTERLY"), &admin).await;
    let ind = &data["setIndicatorFrequency"]["indicator"];
    assert_eq!((ind["frequency"].as_str(), ind["frequencySource"].as_str()), (Some("QUARTERLY"), Some("CONFIGURED")));
    assert_eq!(ind["frequencyBasis"], "市考核办要求按季度报送");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'indicator.frequency.set'").await,
        events + 1
    );
    let annual = app
        .report(&farm, json!({ "indicatorCode": "livestock_manure_utilization_rate", "period": "2022", "value": "90" }))
        .await;
    assert_eq!(error_code(&annual), "BAD_USER_INPUT", "a year is no longer a period of it: {annual}");
    app.report_ok(&farm, "livestock_manure_utilization_rate", "2022-Q1", "90").await;
    // After a value: refused, since the reported quarter would stop counting.
    let body = app.graphql(set, input("livestock_manure_utilization_rate", "ANNUAL"), &admin).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("2022-Q1"), "{body}");
}

#[tokio::test]
async fn the_veto_is_off_by_default_and_says_where_it_comes_from_when_a_scheme_turns_it_on() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let assessor = app.assessor().await;
    let emergency = app.department("emergency_management_bureau").await;
    app.report_ok(&emergency, "relatively_major_environmental_incidents", "2022", "1").await;
    let query = r#"{ assessment(unitCode: "emergency_management_bureau", year: 2022) { vetoed vetoBasis grade }
        scoringScheme(year: 2022) { version vetoOnOccurrence source basis } }"#;
    let data = app.data(query, json!({}), &assessor).await;
    let a = data["assessment"].clone();
    assert_eq!(a["vetoed"], false, "the document has no 一票否决 clause: {a}");
    assert!(a["vetoBasis"].is_null());
    assert_eq!(data["scoringScheme"]["vetoOnOccurrence"], false);
    assert_eq!(data["scoringScheme"]["source"], "CONFIGURED");
    assert!(data["scoringScheme"]["basis"].as_str().unwrap().contains("未规定"), "{data}");
    app.data(
        "mutation { setScoringScheme(input: { year: 2022, vetoOnOccurrence: true, note: \"县考核办决定\" }) { scheme { version } } }",
        json!({}),
        &admin,
    )
    .await;
    let a = app.data(query, json!({}), &assessor).await["assessment"].clone();
    assert_eq!((a["vetoed"].as_bool(), a["grade"].as_str()), (Some(true), Some("FAIL")), "{a}");
    let basis = a["vetoBasis"].as_str().unwrap();
    assert!(basis.contains("2022年度考核方案第1版") && basis.contains("未作规定"), "{basis}");
    // The self-evaluation says so beside the prohibitions.
    let resp = app
        .client
        .get(format!("{}/export/self-evaluation.csv?year=2022", app.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let csv = resp.text().await.unwrap();
    let line = csv.lines().find(|l| l.contains("relatively_major_environmental_incidents")).unwrap();
    assert!(line.contains("一票否决由2022年度考核方案第1版配置"), "{line}");
    let line = csv.lines().find(|l| l.contains("straw_utilization_rate")).unwrap();
    assert!(!line.contains("一票否决"), "only prohibitions: {line}");
}
