//! Many reports at once for the same indicator and period: no lost writes, no gaps, no duplicates.

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{error_code, spawn_app};

const N: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn same_expected_revision_exactly_one_wins() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    app.report_ok(&farm, "straw_utilization_rate", "2022", "90").await;
    let attempts = (0..N).map(|i| {
        let (app, farm) = (&app, &farm);
        async move {
            app.report(
                farm,
                json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": format!("9{}", i % 10), "expectedRevision": 1 }),
            )
            .await
        }
    });
    let bodies = join_all(attempts).await;
    let wins = bodies.iter().filter(|b| b.get("errors").is_none()).count();
    let conflicts = bodies.iter().filter(|b| error_code(b) == "CONFLICT").count();
    assert_eq!(wins, 1, "{bodies:?}");
    assert_eq!(conflicts, N - 1, "{bodies:?}");
    let revisions = app.count("SELECT COUNT(*) FROM indicator_value").await;
    assert_eq!(revisions, 2);
    assert_eq!(app.count("SELECT MAX(revision) FROM indicator_value").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'indicator_value.report'").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_expected_revision_every_report_gets_its_own_revision() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let attempts = (0..N).map(|i| {
        let (app, farm) = (&app, &farm);
        async move {
            app.report(
                farm,
                json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": format!("{}", 80 + i) }),
            )
            .await
        }
    });
    let bodies = join_all(attempts).await;
    for b in &bodies {
        assert!(b.get("errors").is_none(), "{b}");
    }
    let mut revisions: Vec<i64> =
        bodies.iter().map(|b| b["data"]["reportIndicatorValue"]["value"]["revision"].as_i64().unwrap()).collect();
    revisions.sort_unstable();
    assert_eq!(revisions, (1..=N as i64).collect::<Vec<_>>(), "no gaps, no duplicates");
    assert_eq!(app.count("SELECT COUNT(DISTINCT revision) FROM indicator_value").await, N as i64);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'indicator_value.report'").await, N as i64);
}
