//! Incremental sync: a client polling the change feed gets every change exactly once, with
//! tombstones, even when two writers commit out of order.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sea_orm::ConnectionTrait;
use sea_orm::TransactionTrait;
use serde_json::{json, Value};

use crate::helpers::{error_code, on_postgres, spawn_app, TestApp};

const FEED: &str = r#"query($after: String, $since: DateTime) { changes(first: 100, after: $after, since: $since) {
  pageInfo { hasNextPage endCursor } edges { cursor node { kind operation key value { revision status } unit { code } group { code } } } } }"#;

/// Polls until the feed is drained; returns the changes received and the last cursor.
async fn drain(app: &TestApp, token: &str, mut after: Value) -> (Vec<Value>, Value) {
    let mut got = Vec::new();
    loop {
        let data = app.data(FEED, json!({ "after": after }), token).await;
        let page = &data["changes"];
        for e in page["edges"].as_array().unwrap() {
            got.push(e["node"].clone());
        }
        if !page["pageInfo"]["endCursor"].is_null() {
            after = page["pageInfo"]["endCursor"].clone();
        }
        if page["pageInfo"]["hasNextPage"] == false {
            return (got, after);
        }
    }
}

/// Waits until the feed holds nothing back. On PostgreSQL a change is withheld while any
/// older transaction on the cluster is still open (other tests' too, as they share the
/// cluster), so a poll may briefly lag the log; a client polling again gets the rest.
async fn settle(app: &TestApp) {
    let integration = app.integration().await;
    let logged = app.count("SELECT COUNT(*) FROM change_log").await as usize;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while drain(app, &integration, Value::Null).await.0.len() < logged && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn keys(changes: &[Value]) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            format!(
                "{}:{}:{}",
                c["kind"].as_str().unwrap(),
                c["operation"].as_str().unwrap(),
                c["key"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn the_feed_starts_with_the_plan_and_carries_upserts_and_tombstones() {
    let app = spawn_app().await;
    let integration = app.integration().await;
    settle(&app).await;
    let (initial, cursor) = drain(&app, &integration, Value::Null).await;
    let count = |kind: &str| initial.iter().filter(|c| c["kind"] == kind).count();
    let distinct = |kind: &str| {
        initial
            .iter()
            .filter(|c| c["kind"] == kind)
            .map(|c| c["key"].as_str().unwrap())
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    assert_eq!((count("TASK"), count("UNIT")), (29, 23));
    // The seed's 36 indicators, then the completion's upserts of all 62 (26 added, 36
    // completed; two under corrected codes).
    assert_eq!(count("INDICATOR"), 36 + 62);
    assert_eq!(distinct("INDICATOR"), 62 + 2, "the two former codes appear in the seed's entries");

    let farm = app.department("agriculture_rural_bureau").await;
    let admin = app.admin().await;
    let assessor = app.assessor().await;
    let v = app.report_ok(&farm, "straw_utilization_rate", "2022", "91").await;
    app.data(
        r#"mutation($id: ID!) { rejectIndicatorValue(input: { valueId: $id, reason: "不符" }) { value { id } } }"#,
        json!({ "id": v["id"] }),
        &assessor,
    )
    .await;
    app.data(r#"mutation { createUnit(input: { code: "town_a", name: "甲镇人民政府", groupCodes: ["township_governments"] }) { unit { code } } }"#, json!({}), &admin).await;
    app.data(r#"mutation { removeGroupMember(input: { groupCode: "township_governments", memberCode: "town_a" }) { group { code } } }"#, json!({}), &admin).await;
    settle(&app).await;
    let (changes, _) = drain(&app, &integration, cursor).await;
    assert_eq!(
        keys(&changes),
        vec![
            "VALUE:UPSERT:straw_utilization_rate/2022#1",
            "VALUE:TOMBSTONE:straw_utilization_rate/2022#1",
            "UNIT:UPSERT:town_a",
            "GROUP_MEMBERSHIP:UPSERT:township_governments/town_a",
            "GROUP_MEMBERSHIP:TOMBSTONE:township_governments/town_a",
        ]
    );
    assert_eq!(changes[1]["value"]["status"], "REJECTED");
    assert_eq!(changes[4]["group"]["code"], "township_governments");
    assert_eq!(changes[4]["unit"]["code"], "town_a");
}

#[tokio::test]
async fn a_department_follows_its_own_tasks_and_bad_cursors_are_refused() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let water = app.department("water_resources_bureau").await;
    settle(&app).await;
    let (_, cursor) = drain(&app, &water, Value::Null).await;
    app.report_ok(&farm, "straw_utilization_rate", "2022", "91").await;
    app.report_ok(&water, "water_consumption_per_gdp", "2022", "30").await;
    settle(&app).await;
    let (changes, _) = drain(&app, &water, cursor).await;
    assert_eq!(keys(&changes), vec!["VALUE:UPSERT:water_consumption_per_gdp/2022#1"]);

    for vars in [json!({ "after": "not-a-cursor" }), json!({ "since": "2999-01-01T00:00:00Z" })] {
        let body = app.graphql(FEED, vars.clone(), &water).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{vars}: {body}");
    }
    let since = chrono::Utc::now() - chrono::Duration::seconds(60);
    let data = app.data(FEED, json!({ "since": since.to_rfc3339() }), &water).await;
    assert!(!data["changes"]["edges"].as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_writers_committing_out_of_order_lose_nothing_and_duplicate_nothing() {
    let app = Arc::new(spawn_app().await);
    let integration = app.integration().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let water = app.department("water_resources_bureau").await;
    settle(&app).await;
    let (_, mut cursor) = drain(&app, &integration, Value::Null).await;
    let mut received: Vec<Value> = Vec::new();

    if on_postgres() {
        // Writer A starts first and commits last; writer B commits in between.
        let a_conn = sea_orm::Database::connect(&app.database_url).await.unwrap();
        let a = a_conn.begin().await.unwrap();
        // A write's change, as `Write::commit` records it, in a transaction still open.
        a.execute_unprepared(
            "INSERT INTO change_log (epoch, txid, kind, entity_id, entity_key, operation, action, changed_at) \
             VALUES ((SELECT epoch FROM database_incarnation WHERE id = 1), (pg_current_xact_id()::text)::bigint, \
             'VALUE', 0, 'writer-a/first', 'UPSERT', 'test.write', now())",
        )
        .await
        .unwrap();
        app.report_ok(&farm, "straw_utilization_rate", "2022", "91").await; // writer B, committed
        let (got, next) = drain(&app, &integration, cursor.clone()).await;
        assert!(got.is_empty(), "B is held back while A, which started first, is running: {got:?}");
        cursor = next;
        a.commit().await.unwrap();
        settle(&app).await;
        let (got, next) = drain(&app, &integration, cursor).await;
        assert_eq!(keys(&got), vec!["VALUE:UPSERT:writer-a/first", "VALUE:UPSERT:straw_utilization_rate/2022#1"]);
        received.extend(got);
        cursor = next;
    }

    // Two writers at full speed while the client keeps polling.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = |token: String, code: &'static str| {
        let app = app.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                app.report_ok(&token, code, "2022", &format!("{}", 40 + i)).await;
            }
        })
    };
    let w1 = writer(farm.clone(), "livestock_manure_utilization_rate");
    let w2 = writer(water.clone(), "water_consumption_per_gdp");
    let poller = {
        let (app, token, stop) = (app.clone(), integration.clone(), stop.clone());
        let mut cursor = cursor.clone();
        tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let done = stop.load(Ordering::SeqCst);
                let (page, next) = drain(&app, &token, cursor).await;
                got.extend(page);
                cursor = next;
                if done {
                    return got;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
    };
    w1.await.unwrap();
    w2.await.unwrap();
    settle(&app).await;
    stop.store(true, Ordering::SeqCst);
    received.extend(poller.await.unwrap());

    let got = keys(&received);
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "a change was received twice");
    let reports =
        got.iter().filter(|k| k.starts_with("VALUE:UPSERT:livestock") || k.starts_with("VALUE:UPSERT:water")).count();
    assert_eq!(reports, 40, "every report arrives once");
    let expected = app.count("SELECT COUNT(*) FROM change_log WHERE kind = 'VALUE'").await;
    let received_values = got.iter().filter(|k| k.starts_with("VALUE:")).count() as i64;
    assert_eq!(received_values, expected, "the client ends with exactly the log's changes");
}
