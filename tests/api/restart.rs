//! PostgreSQL restarts while a client keeps reporting: every acknowledged report survives,
//! /readyz follows the outage, and ecoplan recovers without being restarted.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::spawn_app_on;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-cluster")
}

fn pg(args: &[&str]) {
    let status = Command::new(script()).args(args).status().expect("scripts/pg-cluster");
    assert!(status.success(), "pg-cluster {args:?}");
}

/// A cluster of this test's own (the shared test cluster must not be restarted).
struct Cluster {
    dir: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script()).args(["stop", self.dir.to_str().unwrap_or("")]).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_a_postgresql_restart_and_service_recovers() {
    let pgbin = std::env::var("PGBIN").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".into());
    if !Path::new(&pgbin).join("initdb").exists() {
        // In CI the binaries must be there: a missing server is a failure, not a skip.
        assert!(!crate::helpers::in_ci(), "no PostgreSQL server binaries in {pgbin}");
        eprintln!("no PostgreSQL server binaries in {pgbin}: restart test skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("ecoplan-restart-{}", uuid::Uuid::new_v4().simple()));
    let port =
        String::from_utf8(Command::new(script()).arg("free-port").output().unwrap().stdout).unwrap().trim().to_string();
    let cluster = Cluster { dir: dir.clone() };
    pg(&["start", dir.to_str().unwrap(), &port]);
    let admin_url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
    admin.execute_unprepared("CREATE DATABASE ecoplan").await.unwrap();
    admin.close().await.unwrap();
    let url = format!("postgres://postgres@127.0.0.1:{port}/ecoplan");
    let app = Arc::new(spawn_app_on(&url).await);
    let token = app.department("agriculture_rural_bureau").await;

    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let failures = Arc::new(AtomicUsize::new(0));
    let failures_after_recovery = Arc::new(AtomicUsize::new(0));
    let recovered = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn({
        let (app, token, stop, acknowledged, failures, failures_after, recovered) = (
            app.clone(),
            token.clone(),
            stop.clone(),
            acknowledged.clone(),
            failures.clone(),
            failures_after_recovery.clone(),
            recovered.clone(),
        );
        async move {
            let mut i = 0u32;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let input = json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": format!("{}", 80 + i % 20) });
                let sent = Instant::now();
                let resp = app
                    .client
                    .post(format!("{}/graphql", app.address))
                    .header("content-type", "application/json")
                    .bearer_auth(&token)
                    .json(&json!({ "query": crate::helpers::REPORT, "variables": { "input": input } }))
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let retry_after = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
                let body: serde_json::Value = resp.json().await.unwrap_or_default();
                assert!(sent.elapsed() < Duration::from_secs(10), "a request hung for {:?}", sent.elapsed());
                match body["data"]["reportIndicatorValue"]["value"]["id"].as_str() {
                    Some(id) if status == 200 => acknowledged.lock().unwrap().push(crate::helpers::row_number(id)),
                    _ => {
                        failures.fetch_add(1, Ordering::SeqCst);
                        if recovered.load(Ordering::SeqCst) {
                            failures_after.fetch_add(1, Ordering::SeqCst);
                        }
                        // An outage is not a bug: UNAVAILABLE, 503 and when to retry.
                        let code = crate::helpers::error_code(&body);
                        assert_eq!(code, "UNAVAILABLE", "{body}");
                        assert_eq!(status, 503, "{body}");
                        assert!(retry_after.is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n > 0)), "Retry-After");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }
    });
    let ready = |app: Arc<crate::helpers::TestApp>| async move {
        app.client.get(format!("{}/readyz", app.address)).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
    };
    crate::helpers::eventually(Duration::from_secs(10), "reports go through before the outage", || {
        acknowledged.lock().unwrap().len() >= 5
    })
    .await;
    let before_outage = acknowledged.lock().unwrap().len();
    assert!(before_outage > 0, "reports went through before the outage");

    // The outage: stop, observe, start again on the same data directory and port.
    pg(&["stop", dir.to_str().unwrap(), "fast"]);
    let mut saw_503 = false;
    for _ in 0..20 {
        if ready(app.clone()).await == 503 {
            saw_503 = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saw_503, "/readyz turns 503 while the database is down");
    tokio::time::sleep(Duration::from_millis(500)).await;
    pg(&["start", dir.to_str().unwrap(), &port]);
    let started = Instant::now();
    while ready(app.clone()).await != 200 {
        assert!(started.elapsed() < Duration::from_secs(20), "/readyz did not come back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    recovered.store(true, Ordering::SeqCst);
    let at_recovery = acknowledged.lock().unwrap().len();
    crate::helpers::eventually(Duration::from_secs(10), "reports go through after recovery", || {
        acknowledged.lock().unwrap().len() > at_recovery + 5
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();

    let acked = acknowledged.lock().unwrap().clone();
    let after_recovery = acked.len() - at_recovery;
    let failed = failures.load(Ordering::SeqCst);
    let failed_after = failures_after_recovery.load(Ordering::SeqCst);
    eprintln!("{} acknowledged ({after_recovery} after recovery), {failed} failed during the outage, {failed_after} after /readyz was 200 again", acked.len());
    assert!(after_recovery > 5, "service answers normally again");
    assert!(failed_after <= 5, "at most one failure per pooled connection after recovery, got {failed_after}");
    // Every acknowledged report is stored.
    let check = sea_orm::Database::connect(&url).await.unwrap();
    let rows = check
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT id FROM indicator_value".to_string(),
        ))
        .await
        .unwrap();
    let stored: std::collections::HashSet<String> =
        rows.iter().map(|r| r.try_get_by_index::<i64>(0).unwrap().to_string()).collect();
    for id in &acked {
        assert!(stored.contains(id), "acknowledged report {id} was lost");
    }
    check.close().await.unwrap();
    app.handle.stop(false).await;
    drop(cluster);
}
