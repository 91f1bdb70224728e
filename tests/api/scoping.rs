//! What each role sees: departments only their own tasks, everywhere in the graph.

use serde_json::json;

use crate::helpers::{error_code, spawn_app, TestApp};

fn numbers(v: &serde_json::Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|t| t["number"].as_i64().unwrap()).collect()
}

fn edge_numbers(conn: &serde_json::Value) -> Vec<i64> {
    conn["edges"].as_array().unwrap().iter().map(|e| e["node"]["number"].as_i64().unwrap()).collect()
}

/// Adds `member` to `group` directly in the database (the mutation comes with the write API).
async fn add_member(app: &TestApp, group: &str, member: &str) {
    use sea_orm::{ConnectionTrait, Statement};
    let sql = format!(
        "INSERT INTO group_membership (group_unit_id, member_unit_id, created_at) \
         SELECT g.id, m.id, CURRENT_TIMESTAMP FROM unit g, unit m WHERE g.code = '{group}' AND m.code = '{member}'"
    );
    app.db.conn.execute_raw(Statement::from_string(app.db.backend(), sql)).await.unwrap();
    app.bump_data_version().await;
}

#[tokio::test]
async fn the_water_bureau_sees_exactly_tasks_3_14_and_16() {
    let app = spawn_app().await;
    let token = app.department("water_resources_bureau").await;
    let data = app
        .data("{ me { role unit { code name } } tasks { totalCount edges { node { number } } } }", json!({}), &token)
        .await;
    assert_eq!(data["me"]["role"], "DEPARTMENT");
    assert_eq!(data["me"]["unit"]["name"], "县水务局");
    assert_eq!(data["tasks"]["totalCount"], 3);
    assert_eq!(edge_numbers(&data["tasks"]), vec![3, 14, 16]);

    let body = app.graphql("{ task(number: 4) { number title } }", json!({}), &token).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    assert!(body["data"]["task"].is_null());
    let body = app.graphql(r#"{ indicator(code: "forest_grass_coverage_rate") { code } }"#, json!({}), &token).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let data = app.data("{ task(number: 14) { number } }", json!({}), &token).await;
    assert_eq!(data["task"]["number"], 14);
}

#[tokio::test]
async fn no_edge_reaches_another_units_tasks_or_indicators() {
    let app = spawn_app().await;
    let token = app.department("water_resources_bureau").await;
    let data = app
        .data(
            r#"{
              task(number: 14) { assignments { unit { code tasks { number indicators { code } } } } }
              eco: unit(code: "ecology_environment_branch") { tasks { number } }
              natural: unit(code: "natural_resources_bureau") { tasks { number } }
              sections { number tasks { number } }
              domains { sections { tasks { number } } }
              indicators(first: 100) { totalCount edges { node { code task { number assignments { unit { tasks { number } } } } } } }
              filtered: tasks(filter: { unitCode: "ecology_environment_branch" }) { totalCount }
              units { tasks { number } }
            }"#,
            json!({}),
            &token,
        )
        .await;
    // 县自然资源局 shares task 14 with the water bureau; its own tasks 11, 13, 17 stay hidden.
    for a in data["task"]["assignments"].as_array().unwrap() {
        for t in a["unit"]["tasks"].as_array().unwrap() {
            assert!([3, 14, 16].contains(&t["number"].as_i64().unwrap()), "{a}");
        }
    }
    assert_eq!(numbers(&data["eco"]["tasks"]), Vec::<i64>::new());
    assert_eq!(numbers(&data["natural"]["tasks"]), vec![14]);
    let mut visible: Vec<i64> =
        data["sections"].as_array().unwrap().iter().flat_map(|s| numbers(&s["tasks"])).collect();
    visible.sort();
    assert_eq!(visible, vec![3, 14, 16]);
    assert_eq!(data["indicators"]["totalCount"], 7);
    for e in data["indicators"]["edges"].as_array().unwrap() {
        assert!([3, 14, 16].contains(&e["node"]["task"]["number"].as_i64().unwrap()));
    }
    assert_eq!(data["filtered"]["totalCount"], 0);
    for u in data["units"].as_array().unwrap() {
        for t in u["tasks"].as_array().unwrap() {
            assert!([3, 14, 16].contains(&t["number"].as_i64().unwrap()));
        }
    }
}

#[tokio::test]
async fn a_member_of_a_group_sees_the_groups_tasks() {
    let app = spawn_app().await;
    // Before membership: the education bureau sees its own task 29 only.
    let token = app.department("education_bureau").await;
    let data = app.data("{ tasks { edges { node { number } } } }", json!({}), &token).await;
    assert_eq!(edge_numbers(&data["tasks"]), vec![29]);
    add_member(&app, "county_departments", "education_bureau").await;
    let data = app
        .data(
            r#"{ tasks { edges { node { number } } } task(number: 28) { number }
                 me { unit { groups { code } tasks { number } } } }"#,
            json!({}),
            &token,
        )
        .await;
    assert_eq!(edge_numbers(&data["tasks"]), vec![28, 29]);
    assert_eq!(data["task"]["number"], 28);
    assert_eq!(data["me"]["unit"]["groups"], json!([{ "code": "county_departments" }]));
    assert_eq!(numbers(&data["me"]["unit"]["tasks"]), vec![28, 29]);
    let admin = app.admin().await;
    let data = app
        .data(r#"{ unit(code: "county_departments") { members { code } tasks { number } } }"#, json!({}), &admin)
        .await;
    assert_eq!(data["unit"]["members"], json!([{ "code": "education_bureau" }]));
    assert_eq!(numbers(&data["unit"]["tasks"]), vec![28]);
}

#[tokio::test]
async fn integration_and_assessor_tokens_read_everything() {
    let app = spawn_app().await;
    for (token, role) in [(app.integration().await, "INTEGRATION"), (app.assessor().await, "ASSESSOR")] {
        let data = app
            .data(
                r#"{ me { role unit { code } } tasks { totalCount } indicators { totalCount }
                     task(number: 4) { number } indicator(code: "straw_utilization_rate") { code } }"#,
                json!({}),
                &token,
            )
            .await;
        assert_eq!(data["me"]["role"], role);
        assert!(data["me"]["unit"].is_null());
        assert_eq!(data["tasks"]["totalCount"], 29);
        assert_eq!(data["indicators"]["totalCount"], 62);
        assert_eq!(data["task"]["number"], 4);
    }
}

#[tokio::test]
async fn viewer_can_fields_follow_the_policy() {
    let app = spawn_app().await;
    let water = app.department("water_resources_bureau").await;
    let query = r#"{ task(number: 14) { viewerCanUpdate indicators { viewerCanReport } }
                    indicators(first: 100) { edges { node { code viewerCanReport } } }
                    me { canConfigure canReviewValues canReadAssessments canReadAuditLog } }"#;
    let data = app.data(query, json!({}), &water).await;
    assert_eq!(data["task"]["viewerCanUpdate"], true);
    assert_eq!(data["task"]["indicators"][0]["viewerCanReport"], true);
    assert_eq!(
        data["me"],
        json!({ "canConfigure": false, "canReviewValues": false, "canReadAssessments": true, "canReadAuditLog": true })
    );
    for (token, configure, review) in
        [(app.admin().await, true, false), (app.assessor().await, false, true), (app.integration().await, false, false)]
    {
        let data = app.data(query, json!({}), &token).await;
        assert_eq!(data["task"]["viewerCanUpdate"], false);
        assert!(data["indicators"]["edges"].as_array().unwrap().iter().all(|e| e["node"]["viewerCanReport"] == false));
        assert_eq!(data["me"]["canConfigure"], configure);
        assert_eq!(data["me"]["canReviewValues"], review);
    }
    let farm = app.department("agriculture_rural_bureau").await;
    let v = app.report_ok(&farm, "straw_utilization_rate", "2022", "91").await;
    let q = r#"query($id: ID!) { indicatorValue(id: $id) { viewerCanReview } }"#;
    assert_eq!(
        app.data(q, json!({ "id": v["id"] }), &app.assessor().await).await["indicatorValue"]["viewerCanReview"],
        true
    );
    assert_eq!(app.data(q, json!({ "id": v["id"] }), &farm).await["indicatorValue"]["viewerCanReview"], false);
}

/// "A unit answers for its own tasks and its groups' tasks" is stated once, in
/// `policy::acting_units`; the SQL forms of the rule must agree with it everywhere: a unit's
/// `tasks` (one batched statement for all units), `tasks(filter: { unitCode })` and what a
/// department's token sees. Checked for every unit of the plan, with members added to every
/// group so that inheritance is exercised.
#[tokio::test]
async fn every_form_of_the_group_rule_agrees_with_the_policy() {
    use std::collections::{BTreeSet, HashMap};

    use ecoplan::auth::policy::acting_units;
    use sea_orm::{ConnectionTrait, Statement};

    let app = spawn_app().await;
    let admin = app.admin().await;
    let units = app.data("{ units { code isGroup } }", json!({}), &admin).await;
    let units = units["units"].as_array().unwrap().clone();
    let groups: Vec<&str> =
        units.iter().filter(|u| u["isGroup"] == true).map(|u| u["code"].as_str().unwrap()).collect();
    let members: Vec<&str> =
        units.iter().filter(|u| u["isGroup"] == false).map(|u| u["code"].as_str().unwrap()).collect();
    assert!(!groups.is_empty(), "the plan assigns tasks to groups");
    // Every other member unit joins every group; the rest keep only their own tasks.
    for group in &groups {
        for member in members.iter().step_by(2) {
            add_member(&app, group, member).await;
        }
    }

    // The rule applied by hand to the stored rows.
    let rows = |sql: &'static str| {
        let app = &app;
        async move {
            let stmt = Statement::from_string(app.db.backend(), sql);
            app.db.conn.query_all_raw(stmt).await.unwrap()
        }
    };
    let mut id_of = HashMap::new();
    for r in rows("SELECT id, code FROM unit").await {
        id_of.insert(r.try_get::<String>("", "code").unwrap(), r.try_get::<i32>("", "id").unwrap());
    }
    let mut groups_of: HashMap<i32, Vec<i32>> = HashMap::new();
    for r in rows("SELECT group_unit_id, member_unit_id FROM group_membership").await {
        groups_of
            .entry(r.try_get("", "member_unit_id").unwrap())
            .or_default()
            .push(r.try_get("", "group_unit_id").unwrap());
    }
    let assignments: Vec<(i32, i64)> =
        rows("SELECT a.unit_id, t.number FROM task_assignment a JOIN task t ON t.id = a.task_id")
            .await
            .iter()
            .map(|r| (r.try_get::<i32>("", "unit_id").unwrap(), i64::from(r.try_get::<i32>("", "number").unwrap())))
            .collect();
    let by_policy = |code: &str| -> BTreeSet<i64> {
        let id = id_of[code];
        let acting = acting_units(id, groups_of.get(&id).map(Vec::as_slice).unwrap_or_default());
        assignments.iter().filter(|(u, _)| acting.contains(u)).map(|(_, n)| *n).collect()
    };

    let batched = app.data("{ units { code isGroup tasks { number } } }", json!({}), &admin).await;
    let mut inheriting = 0;
    for unit in batched["units"].as_array().unwrap() {
        let code = unit["code"].as_str().unwrap();
        if unit["isGroup"] == true {
            continue;
        }
        let expected = by_policy(code);
        let batched: BTreeSet<i64> = numbers(&unit["tasks"]).into_iter().collect();
        assert_eq!(batched, expected, "{code}: unit.tasks");
        let filtered = app
            .data(
                "query($u: String!) { tasks(first: 100, filter: { unitCode: $u }) { edges { node { number } } } }",
                json!({ "u": code }),
                &admin,
            )
            .await;
        let filtered: BTreeSet<i64> = edge_numbers(&filtered["tasks"]).into_iter().collect();
        assert_eq!(filtered, expected, "{code}: tasks(filter: {{ unitCode }})");
        let own: BTreeSet<i64> = assignments.iter().filter(|(u, _)| *u == id_of[code]).map(|(_, n)| *n).collect();
        if own != expected {
            inheriting += 1;
        }
        {
            let token = app.department(code).await;
            let seen = app.data("{ tasks(first: 100) { edges { node { number } } } }", json!({}), &token).await;
            let seen: BTreeSet<i64> = edge_numbers(&seen["tasks"]).into_iter().collect();
            assert_eq!(seen, expected, "{code}: what its own token sees");
        }
    }
    assert!(inheriting > 0, "some units carry tasks of their groups");
}
