//! No N+1: the dashboard costs a fixed number of SQL statements however large the plan;
//! hot queries use their indexes on a large table (PostgreSQL); two instances on one
//! database behave as one service.

use chrono::Utc;
use ecoplan::domain::{
    AssignmentRole, Commitment, Comparator, Direction, ExactDecimal, Frequency, IndicatorCode, IndicatorKind, Period,
    Source, ValueStatus,
};
use entity::{indicator, indicator_condition, indicator_value, task, task_assignment};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set};
use serde_json::json;

use crate::helpers::{error_code, on_postgres, spawn_app, spawn_app_on, TestApp};

pub const DASHBOARD: &str = r#"query Dashboard($period: Period!) { tasks(first: 100) { totalCount edges { node {
  number title section { number name domain { code name } } assignments { role unit { code name } }
  indicators { code name kind measurementUnit conditions { comparator target }
    compliance(period: $period) { status declined value { value implemented revision status } } } } } } }"#;

/// Statements the application ran for one request.
async fn statements(app: &TestApp, token: &str) -> (u64, serde_json::Value) {
    let before = app.db.statement_count();
    let data = app.data(DASHBOARD, json!({ "period": "2022" }), token).await;
    (app.db.statement_count() - before, data)
}

/// Adds `n` tasks to section 6 assigned to 县水务局, each with two indicators (one with a
/// value for 2021 and 2022).
async fn grow_plan(app: &TestApp, n: i32) {
    let db = &app.db.conn;
    let water = entity::unit::Entity::find()
        .filter(entity::unit::Column::Code.eq("water_resources_bureau"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let section =
        entity::section::Entity::find().filter(entity::section::Column::Number.eq(6)).one(db).await.unwrap().unwrap();
    for k in 0..n {
        let t = task::ActiveModel {
            id: NotSet,
            plan_id: Set(section.plan_id),
            section_id: Set(section.id),
            number: Set(100 + k),
            title: Set(format!("test task {k}")),
            text: Set(format!("test task {k}")),
            indicator_note: Set(None),
        }
        .insert(db)
        .await
        .unwrap();
        task_assignment::ActiveModel {
            id: NotSet,
            task_id: Set(t.id),
            unit_id: Set(water.id),
            role: Set(AssignmentRole::Responsible),
            as_written: Set("县水务局".into()),
            position: Set(0),
        }
        .insert(db)
        .await
        .unwrap();
        for j in 0..2 {
            let i = indicator::ActiveModel {
                id: NotSet,
                plan_id: Set(section.plan_id),
                task_id: Set(t.id),
                code: Set(IndicatorCode::parse(&format!("test_indicator_{k}_{j}")).unwrap()),
                name: Set(format!("test indicator {k} {j}")),
                statement: Set("test".into()),
                kind: Set(IndicatorKind::Percentage),
                measurement_unit: Set(Some("%".into())),
                direction: Set(Direction::HigherIsBetter),
                frequency: Set(Frequency::Annual),
                position: Set(j + 1),
                plan_order: Set((100 + k) * 1000 + j + 1),
                commitment: Set(Commitment::Target),
                frequency_source: Set(Source::Configured),
                frequency_basis: Set(None),
                reporting_note: Set(None),
            }
            .insert(db)
            .await
            .unwrap();
            for (position, comparator) in [(1, Comparator::AtLeast), (2, Comparator::Increasing)] {
                indicator_condition::ActiveModel {
                    id: NotSet,
                    indicator_id: Set(i.id),
                    position: Set(position),
                    comparator: Set(comparator),
                    target: Set((comparator == Comparator::AtLeast).then(|| ExactDecimal::parse("50").unwrap())),
                    statement: Set(None),
                }
                .insert(db)
                .await
                .unwrap();
            }
            if j == 0 {
                for (period, value) in [("2021", "55"), ("2022", "60")] {
                    indicator_value::ActiveModel {
                        id: NotSet,
                        indicator_id: Set(i.id),
                        period: Set(Period::parse(period).unwrap()),
                        revision: Set(1),
                        value: Set(Some(ExactDecimal::parse(value).unwrap())),
                        implemented: Set(None),
                        status: Set(ValueStatus::Submitted),
                        unit_id: Set(Some(water.id)),
                        reported_by: Set("test".into()),
                        reported_at: Set(Utc::now()),
                        note: Set(None),
                        evidence: Set(json!([])),
                        reviewed_by: Set(None),
                        reviewed_at: Set(None),
                        review_reason: Set(None),
                        is_current: Set(true),
                    }
                    .insert(db)
                    .await
                    .unwrap();
                }
            }
        }
    }
    app.bump_data_version().await;
}

#[tokio::test]
async fn the_dashboard_costs_five_statements_whatever_the_size_of_the_plan() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let water = app.department("water_resources_bureau").await;
    let farm = app.department("agriculture_rural_bureau").await;
    app.report_ok(&farm, "straw_utilization_rate", "2021", "88").await;
    app.report_ok(&farm, "straw_utilization_rate", "2022", "91").await;

    let (admin_small, data) = statements(&app, &admin).await;
    assert_eq!(data["tasks"]["totalCount"], 29);
    let (water_small, data) = statements(&app, &water).await;
    assert_eq!(data["tasks"]["totalCount"], 3);
    eprintln!("dashboard statements: admin {admin_small}, department {water_small}");
    assert!(admin_small <= 5, "admin dashboard used {admin_small} statements");
    assert!(water_small <= 5, "department dashboard used {water_small} statements");

    grow_plan(&app, 40).await;
    let (admin_large, data) = statements(&app, &admin).await;
    assert_eq!(data["tasks"]["totalCount"], 69);
    let (water_large, data) = statements(&app, &water).await;
    assert_eq!(data["tasks"]["totalCount"], 43);
    let compliances: Vec<&str> = data["tasks"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["node"]["indicators"].as_array().unwrap().iter())
        .filter(|i| i["code"].as_str().unwrap().ends_with("_0"))
        .map(|i| i["compliance"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(compliances.len(), 40);
    assert!(compliances.iter().all(|s| *s == "MET"), "60 ≥ 50 and up from 55");
    assert_eq!(admin_large, admin_small, "the statement count does not grow with the plan");
    assert_eq!(water_large, water_small);
}

#[tokio::test]
async fn hot_queries_use_their_indexes_on_a_large_table() {
    if !on_postgres() {
        eprintln!("EXPLAIN check runs on PostgreSQL (TEST_DATABASE_URL)");
        return;
    }
    // Loading the large table takes longer than the default statement timeout.
    let app = crate::helpers::spawn_app_with(|s| s.database.statement_timeout_ms = 300_000).await;
    let db = &app.db.conn;
    // 300,000 revisions over every indicator and 25 years.
    db.execute_unprepared(
        "INSERT INTO indicator_value (indicator_id, period, revision, value, implemented, status, unit_id, \
         reported_by, reported_at, note, evidence, is_current) \
         SELECT i.id, (2000 + y)::text, r, '50', NULL, 'SUBMITTED', NULL, 'bench', now(), NULL, '[]', r = 330 \
         FROM indicator i, generate_series(1, 25) y, generate_series(1, 330) r",
    )
    .await
    .unwrap();
    db.execute_unprepared("ANALYZE").await.unwrap();
    let rows = app.count("SELECT COUNT(*) FROM indicator_value").await;
    assert!(rows >= 290_000, "{rows}");
    let backend = app.db.backend();
    let explain = |stmt: sea_orm::Statement| async move {
        let plan = db.query_all_raw(sea_orm::Statement { sql: format!("EXPLAIN {}", stmt.sql), ..stmt }).await.unwrap();
        plan.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect::<Vec<_>>().join("\n")
    };
    let ids: Vec<i32> = indicator::Entity::find().all(db).await.unwrap().iter().map(|i| i.id).collect();
    let current = ecoplan::service::values::current_values_statement(&ids, &["2021".into(), "2022".into()]);
    let plan = explain(backend.build(&current)).await;
    eprintln!("current values:\n{plan}");
    assert!(plan.contains("ux_indicator_value_current"), "{plan}");
    assert!(!plan.contains("Seq Scan on indicator_value"), "{plan}");

    let page = ecoplan::service::page::PageRequest { first: 50, after: Some(1000), with_total: false };
    let (stmt, _) = ecoplan::service::page::keyset_statement(
        ecoplan::service::values::values_of(ids[5], None),
        indicator_value::Column::Id,
        page,
    );
    let plan = explain(backend.build(&stmt)).await;
    eprintln!("values page:\n{plan}");
    assert!(plan.contains("Index Scan") || plan.contains("Index Only Scan"), "{plan}");
    assert!(!plan.contains("Seq Scan on indicator_value"), "{plan}");
}

#[tokio::test]
async fn two_instances_on_one_database_behave_as_one_service() {
    let a = spawn_app().await;
    let b = spawn_app_on(&a.database_url).await;
    let farm = a.department("agriculture_rural_bureau").await;
    let admin = a.admin().await;
    // A value reported through A is read through B at once.
    let stored = a.report_ok(&farm, "straw_utilization_rate", "2022", "91.5").await;
    let data = b
        .data(
            r#"{ indicator(code: "straw_utilization_rate") { currentValue(period: "2022") { id value } } }"#,
            json!({}),
            &farm,
        )
        .await;
    assert_eq!(data["indicator"]["currentValue"]["id"], stored["id"]);
    assert_eq!(data["indicator"]["currentValue"]["value"], "91.5");
    // A token revoked through A is refused by B on its next request.
    let jti = b.data("{ me { tokenId } }", json!({}), &farm).await["me"]["tokenId"].as_str().unwrap().to_string();
    let data = a
        .data(
            r#"mutation($t: String!) { revokeToken(input: { tokenId: $t, reason: "moved" }) { tokenId newlyRevoked } }"#,
            json!({ "t": jti }),
            &admin,
        )
        .await;
    assert_eq!(data["revokeToken"]["newlyRevoked"], true);
    let (status, body) = b.post_graphql("{ me { role } }", json!({}), Some(&farm)).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_token_may_revoke_itself_but_not_another() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let water = app.department("water_resources_bureau").await;
    let water_jti =
        app.data("{ me { tokenId } }", json!({}), &water).await["me"]["tokenId"].as_str().unwrap().to_string();
    let revoke = r#"mutation($t: String!) { revokeToken(input: { tokenId: $t }) { newlyRevoked } }"#;
    let body = app.graphql(revoke, json!({ "t": water_jti }), &farm).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let own = app.data("{ me { tokenId } }", json!({}), &farm).await["me"]["tokenId"].as_str().unwrap().to_string();
    let data = app.data(revoke, json!({ "t": own }), &farm).await;
    assert_eq!(data["revokeToken"]["newlyRevoked"], true);
    let (status, _) = app.post_graphql("{ me { role } }", json!({}), Some(&farm)).await;
    assert_eq!(status, 401);
}
