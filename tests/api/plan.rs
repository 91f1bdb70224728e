//! The seeded plan matches the document (expected figures written out by hand here).

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::spawn_app;

const ALL_INDICATORS: &str = r#"{
  indicators(first: 100) {
    totalCount
    edges { node { code name kind measurementUnit direction frequency task { number }
      conditions { comparator target } } }
  }
}"#;

async fn indicators(app: &crate::helpers::TestApp) -> Vec<Value> {
    let token = app.admin().await;
    let data = app.data(ALL_INDICATORS, json!({}), &token).await;
    data["indicators"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

#[tokio::test]
async fn the_plan_has_29_tasks_23_units_6_domains_and_10_sections() {
    let app = spawn_app().await;
    let token = app.admin().await;
    let data = app
        .data(
            "{ tasks { totalCount } units { code name isGroup } domains { code name sections { number } }
               sections { number name domain { code } }
               plan { title documentNumber issuer issuedOn region regionCode } }",
            json!({}),
            &token,
        )
        .await;
    assert_eq!(data["tasks"]["totalCount"], 29);
    let units = data["units"].as_array().unwrap();
    assert_eq!(units.len(), 23);
    let groups: Vec<&str> =
        units.iter().filter(|u| u["isGroup"] == true).map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(groups, vec!["各乡（镇）人民政府", "县直相关单位"]);
    let domains: Vec<&str> = data["domains"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(domains, vec!["生态制度", "生态安全", "生态空间", "生态经济", "生态生活", "生态文化"]);
    let sections = data["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 10);
    assert_eq!(sections[3]["name"], "环境风险防范");
    assert_eq!(sections[3]["domain"]["code"], "security");
    assert_eq!(sections[9]["name"], "观念意识普及");
    assert_eq!(sections[9]["domain"]["code"], "culture");
    assert_eq!(data["plan"]["documentNumber"], "沁政办发〔2020〕65号");
    assert_eq!(data["plan"]["issuedOn"], "2020-12-31");
    assert_eq!(data["plan"]["regionCode"], "140521");
}

#[tokio::test]
async fn task_12_is_led_and_others_are_responsible() {
    let app = spawn_app().await;
    let token = app.admin().await;
    let data = app
        .data(
            "{ tasks(first: 100) { edges { node { number assignments { role asWritten unit { code name } } } } } }",
            json!({}),
            &token,
        )
        .await;
    for edge in data["tasks"]["edges"].as_array().unwrap() {
        let task = &edge["node"];
        let roles: BTreeSet<&str> =
            task["assignments"].as_array().unwrap().iter().map(|a| a["role"].as_str().unwrap()).collect();
        let expected = if task["number"] == 12 { "LEAD" } else { "RESPONSIBLE" };
        assert_eq!(roles, BTreeSet::from([expected]), "task {}", task["number"]);
    }
    let t12 = &data["tasks"]["edges"][11]["node"];
    let units: Vec<&str> =
        t12["assignments"].as_array().unwrap().iter().map(|a| a["unit"]["name"].as_str().unwrap()).collect();
    assert_eq!(units, vec!["县应急管理局", "市生态环境局沁水分局"]);
    // The township group is one unit however the document writes it.
    let t20 = &data["tasks"]["edges"][19]["node"]["assignments"][1];
    assert_eq!(t20["unit"]["code"], "township_governments");
    assert_eq!(t20["asWritten"], "各乡<镇>人民政府");
    let t28 = &data["tasks"]["edges"][27]["node"]["assignments"];
    assert_eq!(t28[0]["unit"]["code"], "township_governments");
    assert_eq!(t28[0]["asWritten"], "各乡〈镇〉人民政府");
    assert_eq!(t28[1]["unit"]["name"], "县直相关单位");
}

#[tokio::test]
async fn task_text_is_verbatim_with_page_breaks_mended() {
    let app = spawn_app().await;
    let token = app.admin().await;
    let data = app
        .data(
            "{ t3: task(number: 3) { title text } t18: task(number: 18) { text } t20: task(number: 20) { text } }",
            json!({}),
            &token,
        )
        .await;
    assert_eq!(data["t3"]["title"], "严格落实河（湖）长制工作");
    assert!(data["t3"]["text"].as_str().unwrap().contains("排查入河（湖）污染源，规范入河排污口布局"));
    assert!(data["t18"]["text"].as_str().unwrap().contains("秸秆综合利用率不低于90%。"));
    assert!(data["t20"]["text"].as_str().unwrap().ends_with("（责任单位：市生态环境局沁水分局,各乡<镇>人民政府)"));
    for t in ["t3", "t18", "t20"] {
        assert!(!data[t]["text"].as_str().unwrap().contains('\n'));
    }
}

#[tokio::test]
async fn every_numeric_target_of_the_document_is_present() {
    let app = spawn_app().await;
    let list = indicators(&app).await;
    // (indicator, task, comparator, target), from the document's text.
    let expected: BTreeSet<(&str, i64, &str, &str)> = BTreeSet::from([
        ("生态环境信息公开率", 4, "EQUALS", "100"),
        ("林草覆盖率", 8, "AT_LEAST", "25"),
        ("国家重点保护野生动植物保护率", 9, "AT_LEAST", "95"),
        ("危险废物安全处置率", 10, "EQUALS", "100"),
        ("单位国内生产总值建设用地使用面积下降率", 17, "AT_LEAST", "4.5"),
        ("秸秆综合利用率", 18, "AT_LEAST", "90"),
        ("畜禽养殖场粪便综合利用率", 18, "AT_LEAST", "85"),
        ("厚农膜回收利用率", 18, "AT_LEAST", "80"),
        ("一般工业固体废物综合利用率", 19, "AT_LEAST", "90"),
        ("集中式饮用水水源地水质优良比例", 20, "EQUALS", "100"),
        ("村镇饮用水卫生合格率", 20, "EQUALS", "100"),
        ("城镇污水处理率", 21, "AT_LEAST", "85"),
        ("城镇生活垃圾无害化处理率", 22, "AT_LEAST", "80"),
        ("城镇新建绿色建筑比例", 24, "AT_LEAST", "50"),
        ("政府绿色采购比例", 26, "AT_LEAST", "80"),
        ("党政领导干部参加生态文明培训的人数比例", 27, "EQUALS", "100"),
        ("公众对生态文明建设的满意度", 28, "AT_LEAST", "80"),
        ("公众对生态文明建设的参与度", 28, "AT_LEAST", "80"),
    ]);
    let mut found = BTreeSet::new();
    for i in &list {
        for c in i["conditions"].as_array().unwrap() {
            if let Some(target) = c["target"].as_str() {
                found.insert((
                    i["name"].as_str().unwrap(),
                    i["task"]["number"].as_i64().unwrap(),
                    c["comparator"].as_str().unwrap(),
                    target,
                ));
            }
        }
    }
    assert_eq!(found, expected);
    for i in &list {
        if i["kind"] == "PERCENTAGE" {
            assert_eq!(i["measurementUnit"], "%", "{}", i["code"]);
        }
    }
}

#[tokio::test]
async fn qualitative_targets_have_the_right_comparators() {
    let app = spawn_app().await;
    let list = indicators(&app).await;
    let conditions = |name: &str| -> Vec<String> {
        let i = list.iter().find(|i| i["name"] == name).unwrap_or_else(|| panic!("no indicator {name}"));
        i["conditions"].as_array().unwrap().iter().map(|c| c["comparator"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(conditions("单位地区生产总值能耗"), ["MEETS_SUPERIOR_TARGET", "DECREASING"]);
    assert_eq!(conditions("单位地区生产总值用水量"), ["MEETS_SUPERIOR_TARGET", "DECREASING"]);
    assert_eq!(conditions("农村卫生厕所普及率"), ["INCREASING", "MEETS_SUPERIOR_TARGET"]);
    assert_eq!(conditions("自然岸线保有率"), ["MEETS_SUPERIOR_TARGET"]);
    assert_eq!(conditions("河库岸线保护率"), ["MEETS_SUPERIOR_TARGET"]);
    assert_eq!(conditions("依法保护的生态空间面积"), ["NOT_DECREASING"]);
    assert_eq!(conditions("污染场地风险事故"), ["NO_OCCURRENCE"]);
    assert_eq!(conditions("重大跨界污染事件"), ["NO_OCCURRENCE"]);
    assert_eq!(conditions("突发环境事件应急预案"), ["IMPLEMENTED"]);
    let energy = list.iter().find(|i| i["name"] == "单位地区生产总值能耗").unwrap();
    assert_eq!(energy["direction"], "LOWER_IS_BETTER");
    assert_eq!(energy["task"]["number"], 15);
    let water_source = list.iter().find(|i| i["name"] == "集中式饮用水水源地水质优良比例").unwrap();
    assert_eq!(water_source["frequency"], "QUARTERLY");
    // Five prohibitions of the seed and the one of tasks (3) and (14), twice.
    let counts = list.iter().filter(|i| i["kind"] == "COUNT").count();
    assert_eq!(counts, 7);
    let annual = list.iter().filter(|i| i["frequency"] == "ANNUAL").count();
    assert_eq!(annual, list.len() - 2);
}

#[tokio::test]
async fn lookups_by_code_and_number() {
    let app = spawn_app().await;
    let token = app.admin().await;
    let data = app
        .data(
            r#"{ forest: indicator(code: "forest_grass_coverage_rate") { name conditions { comparator target } task { number } }
                 land: indicator(code: "construction_land_per_gdp_decline_rate") { conditions { comparator target } }
                 task(number: 8) { title section { number name domain { code name } } indicators { code } } }"#,
            json!({}),
            &token,
        )
        .await;
    assert_eq!(data["forest"]["name"], "林草覆盖率");
    assert_eq!(data["forest"]["conditions"], json!([{ "comparator": "AT_LEAST", "target": "25" }]));
    assert_eq!(data["forest"]["task"]["number"], 8);
    assert_eq!(data["land"]["conditions"], json!([{ "comparator": "AT_LEAST", "target": "4.5" }]));
    assert_eq!(data["task"]["section"]["name"], "生态系统保护");
    assert_eq!(data["task"]["section"]["domain"]["name"], "生态安全");
}

#[tokio::test]
async fn unknown_task_or_indicator_is_not_found() {
    let app = spawn_app().await;
    let token = app.admin().await;
    let body = app.graphql("{ task(number: 30) { number } }", json!({}), &token).await;
    assert_eq!(crate::helpers::error_code(&body), "NOT_FOUND");
    assert_eq!(body["data"]["task"], Value::Null);
    let body = app.graphql(r#"{ indicator(code: "no_such_indicator") { code } }"#, json!({}), &token).await;
    assert_eq!(crate::helpers::error_code(&body), "NOT_FOUND");
    let body = app.graphql(r#"{ unit(code: "no_such_unit") { code } }"#, json!({}), &token).await;
    assert_eq!(crate::helpers::error_code(&body), "NOT_FOUND");
}

#[tokio::test]
async fn filters_narrow_and_bad_filter_values_are_refused() {
    let app = spawn_app().await;
    let token = app.admin().await;
    let data = app
        .data(
            r#"{ d: tasks(filter: { domainCode: "space" }) { totalCount edges { node { number } } }
                 s: tasks(filter: { sectionNumber: 4 }) { totalCount }
                 u: tasks(filter: { unitCode: "housing_construction_bureau" }) { edges { node { number } } }
                 i: indicators(filter: { taskNumber: 18 }) { totalCount }
                 k: indicators(filter: { kind: COUNT }) { totalCount }
                 ui: indicators(filter: { unitCode: "water_resources_bureau" }) { edges { node { code } } } }"#,
            json!({}),
            &token,
        )
        .await;
    assert_eq!(data["d"]["totalCount"], 2);
    assert_eq!(data["d"]["edges"], json!([{ "node": { "number": 13 } }, { "node": { "number": 14 } }]));
    assert_eq!(data["s"]["totalCount"], 3);
    let housing: Vec<i64> =
        data["u"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["number"].as_i64().unwrap()).collect();
    assert_eq!(housing, vec![21, 22, 24, 25]);
    assert_eq!(data["i"]["totalCount"], 3);
    assert_eq!(data["k"]["totalCount"], 7);
    let water: Vec<&str> =
        data["ui"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["code"].as_str().unwrap()).collect();
    assert_eq!(
        water,
        vec![
            "river_lake_chief_system",
            "river_lake_encroachment_incidents",
            "river_lake_management_scope_delineated",
            "natural_shoreline_retention_rate",
            "river_reservoir_shoreline_protection_rate",
            "shoreline_encroachment_incidents",
            "water_consumption_per_gdp"
        ],
        "the plan's order: task, then position in the task"
    );

    for bad in [
        r#"{ tasks(filter: { domainCode: "nowhere" }) { totalCount } }"#,
        r#"{ tasks(filter: { sectionNumber: 11 }) { totalCount } }"#,
        r#"{ tasks(filter: { unitCode: "no_such_unit" }) { totalCount } }"#,
        r#"{ tasks(filter: { unitCode: "Not A Code" }) { totalCount } }"#,
        r#"{ indicators(filter: { kind: SOMETHING }) { totalCount } }"#,
        r#"{ tasks(filter: { sectionNumber: "four" }) { totalCount } }"#,
    ] {
        let (status, body) = app.post_graphql(bad, json!({}), Some(&token)).await;
        assert_eq!(status, 200);
        assert_eq!(crate::helpers::error_code(&body), "BAD_USER_INPUT", "{bad}: {body}");
        assert!(body["data"].is_null() || body["data"]["tasks"].is_null() || body["data"]["indicators"].is_null());
    }
}

#[tokio::test]
async fn pages_follow_cursors_and_page_size_is_capped() {
    let app = spawn_app().await;
    let token = app.admin().await;
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .data(
                "query($after: String) { tasks(first: 10, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { number } } } }",
                json!({ "after": after }),
                &token,
            )
            .await;
        let page = &data["tasks"];
        assert_eq!(page["totalCount"], 29);
        seen.extend(page["edges"].as_array().unwrap().iter().map(|e| e["node"]["number"].as_i64().unwrap()));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, (1..=29).collect::<Vec<_>>());

    let body = app.graphql("{ tasks(first: 101) { totalCount } }", json!({}), &token).await;
    assert_eq!(crate::helpers::error_code(&body), "LIMIT_EXCEEDED");
    let body = app.graphql("{ tasks(first: -1) { totalCount } }", json!({}), &token).await;
    assert_eq!(crate::helpers::error_code(&body), "BAD_USER_INPUT");
    let body = app.graphql(r#"{ tasks(after: "garbage") { totalCount } }"#, json!({}), &token).await;
    assert_eq!(crate::helpers::error_code(&body), "BAD_USER_INPUT");
}
