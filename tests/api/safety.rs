//! Data safety (issue 12): no acknowledged write is ever lost, and a restored database is
//! never served as if nothing happened.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::helpers::ws::{next, open, subscribe};
use crate::helpers::{
    empty_database, error_code, eventually, on_postgres, run_cli, spawn_app, spawn_app_on, spawn_app_on_with,
    template_file, try_spawn_app_on, TestApp, Tmpfs, REPORT,
};

/// What a writer was told about one report.
#[derive(Debug, Clone)]
struct Ack {
    id: String,
    value: String,
    acknowledged_at: Instant,
}

/// Reports `value` for `code`/`period`; `Ok(ack)` when acknowledged, `Err((status, code,
/// retry-after))` when refused.
async fn report(
    app: &TestApp,
    token: &str,
    code: &str,
    period: &str,
    value: &str,
    key: Option<&str>,
) -> Result<Ack, (u16, String, Option<String>)> {
    let mut input = json!({ "indicatorCode": code, "period": period, "value": value });
    if let Some(k) = key {
        input["idempotencyKey"] = json!(k);
    }
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .bearer_auth(token)
        .json(&json!({ "query": REPORT, "variables": { "input": input } }))
        .send()
        .await
        .map_err(|e| (0, format!("transport: {e}"), None))?;
    let status = resp.status().as_u16();
    let retry_after = resp.headers().get("retry-after").map(|v| v.to_str().unwrap_or_default().to_string());
    let body: Value = resp.json().await.unwrap_or_default();
    match body["data"]["reportIndicatorValue"]["value"]["id"].as_str() {
        Some(id) if status == 200 => {
            Ok(Ack { id: crate::helpers::row_number(id), value: value.to_string(), acknowledged_at: Instant::now() })
        }
        _ => Err((status, error_code(&body), retry_after)),
    }
}

/// Polls `/readyz` until its answer contains `needle` (or `wait` passes); returns the last
/// answer as "STATUS BODY".
async fn readyz_until(app: &TestApp, needle: &str, wait: Duration) -> String {
    let started = Instant::now();
    loop {
        let r = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
        let said = format!("{} {}", r.status().as_u16(), r.text().await.unwrap());
        if said.contains(needle) || started.elapsed() > wait {
            return said;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The indicators the writers report on: (unit, indicator, annual periods).
const WRITERS: &[(&str, &str)] = &[
    ("agriculture_rural_bureau", "straw_utilization_rate"),
    ("water_resources_bureau", "water_consumption_per_gdp"),
    ("agriculture_rural_bureau", "livestock_manure_utilization_rate"),
    ("housing_construction_bureau", "urban_sewage_treatment_rate"),
];

/// Every acknowledged report must be stored with the acknowledged value, under its id.
async fn assert_all_stored(database_url: &str, acked: &[Ack]) {
    let conn = sea_orm::Database::connect(database_url).await.unwrap();
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT id, value FROM indicator_value".to_string(),
        ))
        .await
        .unwrap();
    let stored: HashMap<String, String> = rows
        .iter()
        .map(|r| {
            (
                r.try_get_by_index::<i64>(0).unwrap().to_string(),
                r.try_get_by_index::<Option<String>>(1).unwrap().unwrap_or_default(),
            )
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for a in acked {
        assert!(ids.insert(a.id.clone()), "id {} was acknowledged twice", a.id);
        assert_eq!(
            stored.get(&a.id),
            Some(&a.value),
            "acknowledged report {} ({}) is not on disk as acknowledged",
            a.id,
            a.value
        );
    }
    conn.close().await.ok();
}

/// A full disk on SQLite: writes are refused with UNAVAILABLE (503, Retry-After) and
/// nothing refused is stored; nothing acknowledged is lost; reads go on; `/readyz` says
/// so; writes resume by themselves when space returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_loses_no_acknowledged_write_and_writes_resume_when_space_returns() {
    if on_postgres() {
        return; // The SQLite file is what fills the disk here; the PostgreSQL pass has its own outage test.
    }
    let Some(disk) = Tmpfs::mount("6m") else { return };
    let db_path = disk.0.join("ecoplan.db");
    std::fs::copy(template_file().await, &db_path).unwrap();
    let url = format!("sqlite://{}?mode=rwc", db_path.display());
    let app = Arc::new(spawn_app_on_with(&url, |s| s.database.health_probe_seconds = 1).await);
    let filler = disk.0.join("filler");
    let fill = || {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 16 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
    };
    let mut tokens = Vec::new();
    for (unit, _) in WRITERS {
        tokens.push(app.department(unit).await);
    }
    let acked = Arc::new(Mutex::new(Vec::<Ack>::new()));
    let refusals = Arc::new(Mutex::new(Vec::<(u16, String, Option<String>)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..20 {
        let (app, acked, refusals, stop) = (app.clone(), acked.clone(), refusals.clone(), stop.clone());
        let (_, code) = WRITERS[w % WRITERS.len()];
        let token = tokens[w % WRITERS.len()].clone();
        writers.push(tokio::spawn(async move {
            let mut i = 0u32;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let period = format!("{}", 2021 + (w as u32 + i) % 4);
                // Canonical (no trailing zero), as it is stored.
                let value = format!("{}.{}1", 50 + w, i);
                match report(&app, &token, code, &period, &value, None).await {
                    Ok(ack) => acked.lock().unwrap().push(ack),
                    Err(r) => {
                        refusals.lock().unwrap().push(r);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }));
    }
    let reader = app.admin().await;
    eventually(Duration::from_secs(10), "writes go through before the disk fills", || {
        acked.lock().unwrap().len() >= 20
    })
    .await;
    fill();
    let full_at = Instant::now();
    // Refusals appear, reads go on, readiness turns off.
    let mut ready_said = String::new();
    while full_at.elapsed() < Duration::from_secs(8) {
        let r = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
        ready_said = format!("{} {}", r.status(), r.text().await.unwrap());
        if ready_said.contains("out of space") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        ready_said.starts_with("503") && ready_said.contains("out of space"),
        "/readyz: {ready_said}; refusals {:?}",
        refusals.lock().unwrap().iter().take(3).collect::<Vec<_>>()
    );
    assert_eq!(app.data("{ tasks { totalCount } }", json!({}), &reader).await["tasks"]["totalCount"], 29);
    let refused_while_full = refusals.lock().unwrap().len();
    assert!(refused_while_full > 0, "writes are refused while the disk is full");
    for (status, code, retry_after) in refusals.lock().unwrap().iter() {
        assert_eq!((*status, code.as_str()), (503, "UNAVAILABLE"), "a refused write is UNAVAILABLE");
        assert!(retry_after.is_some(), "with Retry-After");
    }
    // Space returns: writes resume without a restart, on every writer.
    std::fs::remove_file(&filler).unwrap();
    let freed_at = Instant::now();
    let acked_at_free = acked.lock().unwrap().len();
    eventually(Duration::from_secs(10), "writes resume when space returns", || {
        acked.lock().unwrap().iter().filter(|a| a.acknowledged_at > freed_at).count() >= 20
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let resumed = acked.iter().filter(|a| a.acknowledged_at > freed_at).count();
    eprintln!(
        "disk full: {} acknowledged ({} after space returned), {} refused while full",
        acked.len(),
        resumed,
        refusals.lock().unwrap().len()
    );
    assert!(resumed >= 20, "writes resume when space returns ({resumed} after, {acked_at_free} before)");
    let mut ready = 0;
    let since = Instant::now();
    while ready != 200 && since.elapsed() < Duration::from_secs(15) {
        ready = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap().status().as_u16();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ready, 200, "ready again within the health probe's interval");
    // After a restart: every acknowledged write is on disk, none twice.
    app.handle.stop(false).await;
    drop(app);
    assert_all_stored(&url, &acked).await;
    let reopened = spawn_app_on(&url).await;
    assert!(reopened.is_alive().await);
}

/// A read-only database (a read-only SQLite file; on PostgreSQL, a database switched to
/// read-only as a standby is): writes are UNAVAILABLE, reads go on, `/readyz` says why; on
/// PostgreSQL writes resume when it takes writes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_refuses_writes_clearly_and_is_not_ready() {
    let writable = spawn_app().await;
    let farm = writable.department("agriculture_rural_bureau").await;
    report(&writable, &farm, "straw_utilization_rate", "2021", "90", None).await.unwrap();
    let url = writable.database_url.clone();
    let database = |ro: bool| {
        let url = url.clone();
        async move {
            if on_postgres() {
                // From the cluster's own database: the target may already refuse writes.
                let conn = sea_orm::Database::connect(std::env::var("TEST_DATABASE_URL").unwrap()).await.unwrap();
                let name = url.rsplit('/').next().unwrap().split('?').next().unwrap().to_string();
                conn.execute_unprepared(&format!("ALTER DATABASE {name} SET default_transaction_read_only = {ro}"))
                    .await
                    .unwrap();
                // Sessions read the setting when they start: end the target's.
                conn.execute_unprepared(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                ))
                .await
                .unwrap();
                conn.close().await.ok();
            }
        }
    };
    let app = if on_postgres() {
        database(true).await;
        writable
    } else {
        writable.db.conn.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await.unwrap();
        writable.handle.stop(false).await;
        let url = writable.database_url.replace("mode=rwc", "mode=ro");
        spawn_app_on_with(&url, |s| s.database.health_probe_seconds = 1).await
    };
    let mut refused = None;
    for _ in 0..20 {
        match report(&app, &farm, "straw_utilization_rate", "2022", "91", None).await {
            Err(r) if r.1 == "UNAVAILABLE" => {
                refused = Some(r);
                break;
            }
            // On PostgreSQL a pooled connection may be found terminated first.
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let refused = refused.expect("a write to a read-only database is refused");
    assert_eq!(refused.0, 503);
    assert!(refused.2.is_some(), "with Retry-After");
    // Reads go on (on PostgreSQL once the pool has replaced the connections that were ended).
    let mut read = false;
    for _ in 0..20 {
        let (status, body) = app.post_graphql("{ tasks { totalCount } }", json!({}), Some(&farm)).await;
        if status == 200 && body["data"]["tasks"]["totalCount"].as_i64().is_some() {
            read = true;
            break;
        }
    }
    assert!(read, "reads go on");
    let said = readyz_until(&app, "read-only", Duration::from_secs(6)).await;
    assert!(said.starts_with("503") && said.contains("read-only"), "{said}");
    if on_postgres() {
        database(false).await;
        let mut written = false;
        for _ in 0..40 {
            if report(&app, &farm, "straw_utilization_rate", "2022", "91", None).await.is_ok() {
                written = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(written, "writes resume when the database takes writes again");
    }
}

/// kill -9 during the first migration, 30 times at different moments: every database
/// starts afterwards, with the plan and its change log whole (never doubled).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_the_first_migration_every_database_starts_afterwards() {
    if on_postgres() {
        return; // PostgreSQL migrations were transactional already; this is SQLite's case.
    }
    let dir = std::env::temp_dir().join(format!("ecoplan-kill-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let migrate = |path: &Path| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ecoplan"));
        cmd.arg("migrate")
            .env("DATABASE_URL", format!("sqlite://{}?mode=rwc", path.display()))
            .env("ECOPLAN_JWT_SECRET", crate::helpers::TEST_SECRET)
            .env_remove("ECOPLAN_CONFIG")
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        cmd
    };
    let counts = sqlite_counts;
    // A reference: how long a whole first migration takes (the fastest of three, so that a
    // busy machine during one of them does not push every kill past the end), and what it
    // leaves.
    let mut whole = Duration::MAX;
    let mut expected = None;
    for i in 0..3 {
        let reference = dir.join(format!("reference-{i}.db"));
        let started = Instant::now();
        assert!(migrate(&reference).status().unwrap().success());
        whole = whole.min(started.elapsed());
        expected = Some(counts(&reference));
    }
    let expected = expected.unwrap();
    let mut killed_midway = 0;
    for i in 0..30u32 {
        let path = dir.join(format!("db-{i}.db"));
        let mut child = migrate(&path).spawn().unwrap();
        std::thread::sleep(whole * i / 30 + Duration::from_millis(u64::from(i % 7)));
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        killed_midway += usize::from(!finished);
        let out = migrate(&path).output().unwrap();
        assert!(
            out.status.success(),
            "run {i}: the database does not start again: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(counts(&path), expected, "run {i}: the plan or its change log is not whole");
    }
    eprintln!(
        "first migration ({} ms) killed midway in {killed_midway} of 30 runs; every database started",
        whole.as_millis()
    );
    assert!(killed_midway >= 20, "most kills land during the migration ({killed_midway})");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Units, tasks, indicators and changes of a SQLite file, read with the binary's own
/// dependencies (sqlx through sea-orm) on a blocking runtime.
fn sqlite_counts(path: &Path) -> [i64; 4] {
    let url = format!("sqlite://{}?mode=ro", path.display());
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let conn = sea_orm::Database::connect(&url).await.unwrap();
                let mut out = [0i64; 4];
                for (i, t) in ["unit", "task", "indicator", "change_log"].iter().enumerate() {
                    let row = conn
                        .query_one_raw(Statement::from_string(
                            conn.get_database_backend(),
                            format!("SELECT COUNT(*) FROM {t}"),
                        ))
                        .await
                        .unwrap()
                        .unwrap();
                    out[i] = row.try_get_by_index(0).unwrap();
                }
                conn.close().await.ok();
                out
            })
        })
        .join()
        .unwrap()
    })
}

/// Instances started together on an empty database: both start (on PostgreSQL one waits
/// for the other's migrations behind the advisory lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_started_together_on_an_empty_database_both_start() {
    let (url, _file) = empty_database().await;
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ecoplan"))
            .arg("migrate")
            .env("DATABASE_URL", &url)
            .env("ECOPLAN_JWT_SECRET", crate::helpers::TEST_SECRET)
            .env_remove("ECOPLAN_CONFIG")
            .env("RUST_LOG", "error")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children: Vec<_> = (0..3).map(|_| spawn()).collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let app = spawn_app_on(&url).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM task").await, 29);
    let units = app.count("SELECT COUNT(*) FROM unit").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM change_log WHERE kind = 'UNIT'").await, units, "no doubled change log");
}

/// A migration row removed (or one from a newer version) is refused with a clear message,
/// never re-applied over the data.
#[tokio::test]
async fn a_missing_or_unknown_migration_row_is_refused() {
    let app = spawn_app().await;
    let changes = app.count("SELECT COUNT(*) FROM change_log").await;
    app.db.conn.execute_unprepared("DELETE FROM seaql_migrations WHERE version LIKE '%seed%'").await.unwrap();
    let out = run_cli(&app.database_url, &["migrate"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("edited by hand") && stderr.contains("seed"), "{stderr}");
    let refused = try_spawn_app_on(&app.database_url).await.err().unwrap_or_default();
    assert!(refused.contains("edited by hand"), "{refused}");
    assert_eq!(app.count("SELECT COUNT(*) FROM change_log").await, changes, "nothing re-applied");
    // A row this version does not know: a newer ecoplan migrated the database.
    let (url, _file) = crate::helpers::fresh_database().await;
    let other = spawn_app_on(&url).await;
    other
        .db
        .conn
        .execute_unprepared("INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29990101_000001_future', 0)")
        .await
        .unwrap();
    let out = run_cli(&url, &["migrate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("newer"), "{stderr}");
}

/// The change feed as an integration system reads it: (cursors, keys).
async fn sync(app: &TestApp, token: &str, after: Option<&str>) -> Result<(Vec<String>, Vec<String>), String> {
    let mut keys = Vec::new();
    let mut cursors = Vec::new();
    let mut after = after.map(str::to_string);
    loop {
        let body = app
            .graphql(
                "query($a: String) { changes(first: 100, after: $a) { edges { cursor node { key } } pageInfo { hasNextPage endCursor } } }",
                json!({ "a": after }),
                token,
            )
            .await;
        if body.get("errors").is_some() {
            return Err(error_code(&body));
        }
        let page = &body["data"]["changes"];
        for e in page["edges"].as_array().unwrap() {
            keys.push(e["node"]["key"].as_str().unwrap().to_string());
            cursors.push(e["cursor"].as_str().unwrap().to_string());
        }
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return Ok((cursors, keys));
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
}

/// A restore, with the service running, on both databases: a client whose cursor is from
/// before gets RESYNC_REQUIRED; a fresh sync gets every change of the restored data; the
/// cache serves nothing from before; subscriptions are told to resync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restore_nothing_from_before_is_served_as_if_nothing_happened() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let integration = app.integration().await;
    app.report_ok(&farm, "straw_utilization_rate", "2021", "91").await;
    let backup = std::env::temp_dir().join(format!("ecoplan-backup-{}", uuid::Uuid::new_v4().simple()));
    let out = run_cli(&app.database_url, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let in_backup = app.count("SELECT COUNT(*) FROM change_log").await;

    // After the backup: more data, a client's cursor at its end, a cached answer, a subscriber.
    app.report_ok(&farm, "straw_utilization_rate", "2022", "95").await;
    let (cursors, _) = sync(&app, &integration, None).await.unwrap();
    let cursor = cursors.last().unwrap().clone();
    let current = r#"{ indicator(code: "straw_utilization_rate") { currentValue(period: "2022") { value } } }"#;
    for _ in 0..2 {
        assert_eq!(app.data(current, json!({}), &farm).await["indicator"]["currentValue"]["value"], "95");
    }
    let mut socket = open(&app, &integration).await;
    subscribe(&mut socket, "s", json!({ "query": "subscription { indicatorValueChanged { indicatorCode } }" })).await;
    app.wait_for_subscribers(1).await;

    let out = run_cli(&app.database_url, &["restore", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_file(&backup);

    assert_eq!(sync(&app, &integration, Some(&cursor)).await.unwrap_err(), "RESYNC_REQUIRED");
    // The subscriber may first receive events from before the restore; then it is told.
    let told = loop {
        let m = next(&mut socket, Duration::from_secs(10)).await.unwrap();
        if m["payload"]["errors"].is_array() {
            break m;
        }
    };
    assert_eq!(told["payload"]["errors"][0]["extensions"]["code"], "RESYNC_REQUIRED", "{told}");
    assert!(app.data(current, json!({}), &farm).await["indicator"]["currentValue"].is_null(), "no answer from before");
    let (fresh, keys) = sync(&app, &integration, None).await.unwrap();
    assert_eq!(fresh.len() as i64, in_backup, "a fresh sync gets every change of the restored data");
    assert!(keys.iter().any(|k| k == "straw_utilization_rate/2021#1"));
    assert!(!keys.iter().any(|k| k.starts_with("straw_utilization_rate/2022")));
    // The feed goes on after the restored changes.
    app.report_ok(&farm, "straw_utilization_rate", "2022", "96").await;
    let (_, more) = sync(&app, &integration, fresh.last().map(String::as_str)).await.unwrap();
    assert_eq!(more, vec!["straw_utilization_rate/2022#1".to_string()]);
}

/// PostgreSQL: a database restored into another cluster by hand (`pg_restore` without
/// `ecoplan restore`) carries that cluster's transaction ids; the feed would withhold
/// them. The next start sees it, begins a new epoch, and a fresh sync gets everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_log_from_another_cluster_starts_a_new_epoch() {
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let integration = app.integration().await;
    let farm = app.department("agriculture_rural_bureau").await;
    app.report_ok(&farm, "straw_utilization_rate", "2021", "91").await;
    let all = app.count("SELECT COUNT(*) FROM change_log").await;
    // As if written by a cluster a hundred million transactions ahead of this one.
    app.db.conn.execute_unprepared("UPDATE change_log SET txid = txid + 100000000").await.unwrap();
    let (seen, _) = sync(&app, &integration, None).await.unwrap();
    assert!((seen.len() as i64) < all, "withheld before the fix ({} of {all})", seen.len());
    let check = run_cli(&app.database_url, &["check"]);
    assert!(!check.status.success(), "ecoplan check names it");
    assert!(String::from_utf8_lossy(&check.stdout).contains("another cluster"));
    let restarted = spawn_app_on(&app.database_url).await;
    let integration = restarted.integration().await;
    let (fresh, _) = sync(&restarted, &integration, None).await.unwrap();
    assert_eq!(fresh.len() as i64, all, "after the start, every change is served");
    let farm = restarted.department("agriculture_rural_bureau").await;
    restarted.report_ok(&farm, "straw_utilization_rate", "2022", "92").await;
    let (_, more) = sync(&restarted, &integration, fresh.last().map(String::as_str)).await.unwrap();
    assert_eq!(more, vec!["straw_utilization_rate/2022#1".to_string()], "new changes come after");
}

/// A backup taken while 10 writers report is consistent, and holds every write
/// acknowledged before it began.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_write_load_is_consistent_and_complete() {
    let app = Arc::new(spawn_app().await);
    let mut tokens = Vec::new();
    for (unit, _) in WRITERS {
        tokens.push(app.department(unit).await);
    }
    let acked = Arc::new(Mutex::new(Vec::<Ack>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..10 {
        let (app, acked, stop) = (app.clone(), acked.clone(), stop.clone());
        let (_, code) = WRITERS[w % WRITERS.len()];
        let token = tokens[w % WRITERS.len()].clone();
        writers.push(tokio::spawn(async move {
            let mut i = 0u32;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let value = format!("{}.{}1", 50 + w, i);
                if let Ok(a) = report(&app, &token, code, "2022", &value, None).await {
                    acked.lock().unwrap().push(a);
                }
            }
        }));
    }
    eventually(Duration::from_secs(10), "writes go through before the backup", || acked.lock().unwrap().len() > 10)
        .await;
    let backup = std::env::temp_dir().join(format!("ecoplan-backup-{}", uuid::Uuid::new_v4().simple()));
    let began = Instant::now();
    let url = app.database_url.clone();
    let path = backup.clone();
    let out = tokio::task::spawn_blocking(move || run_cli(&url, &["backup", path.to_str().unwrap()])).await.unwrap();
    let took = began.elapsed();
    eventually(Duration::from_secs(10), "writes go on after the backup", || {
        acked.lock().unwrap().iter().filter(|a| a.acknowledged_at > began + took).count() > 0
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let acked = acked.lock().unwrap().clone();
    let before: Vec<Ack> = acked.iter().filter(|a| a.acknowledged_at < began).cloned().collect();
    eprintln!(
        "backup under load took {} ms; {} writes acknowledged before it began, {} in all",
        took.as_millis(),
        before.len(),
        acked.len()
    );
    assert!(before.len() > 10);
    // Restore the backup into a database of its own and look.
    let (restored_url, _file) = empty_database().await;
    let out = run_cli(&restored_url, &["restore", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_file(&backup);
    assert_all_stored(&restored_url, &before).await;
    let restored = spawn_app_on(&restored_url).await;
    // Consistent: every revision has its audit event and its change, and one current per key.
    let values = restored.count("SELECT COUNT(*) FROM indicator_value").await;
    let audited = restored.count("SELECT COUNT(*) FROM audit_event WHERE action = 'indicator_value.report'").await;
    let changed = restored.count("SELECT COUNT(*) FROM change_log WHERE kind = 'VALUE'").await;
    assert_eq!((audited, changed), (values, values), "every stored report has its audit event and change");
    let keys = restored.count("SELECT COUNT(DISTINCT indicator_id || '/' || period) FROM indicator_value").await;
    let current = restored.count("SELECT COUNT(*) FROM indicator_value WHERE is_current").await;
    assert_eq!(current, keys, "one current revision per indicator and period");
}

/// A retried report with the same idempotency key is stored once; the same key for
/// another report is a CONFLICT; concurrent retries agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_write_with_an_idempotency_key_is_stored_once() {
    let app = Arc::new(spawn_app().await);
    let farm = app.department("agriculture_rural_bureau").await;
    let before = app.count("SELECT COUNT(*) FROM indicator_value").await;
    let first = report(&app, &farm, "straw_utilization_rate", "2022", "91", Some("k-1")).await.unwrap();
    let again = report(&app, &farm, "straw_utilization_rate", "2022", "91", Some("k-1")).await.unwrap();
    assert_eq!(first.id, again.id, "the retry is answered with the first write");
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value").await, before + 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'indicator_value.report'").await, 1);
    let other = report(&app, &farm, "straw_utilization_rate", "2022", "92", Some("k-1")).await.unwrap_err();
    assert_eq!(other.1, "CONFLICT");
    // Ten at once with one key: one revision, one answer.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (app, farm) = (app.clone(), farm.clone());
        tasks.push(tokio::spawn(async move {
            report(&app, &farm, "straw_utilization_rate", "2023", "93", Some("k-2")).await.unwrap().id
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value WHERE period = '2023'").await, 1);
    // Progress too.
    let update = r#"mutation($k: String) { updateTaskProgress(input: { taskNumber: 18, period: "2022", status: IN_PROGRESS, percent: "40", idempotencyKey: $k }) { progress { id version } } }"#;
    let a = app.data(update, json!({ "k": "p-1" }), &farm).await;
    let b = app.data(update, json!({ "k": "p-1" }), &farm).await;
    assert_eq!(a, b);
    assert_eq!(app.count("SELECT COUNT(*) FROM task_progress").await, 1);
    let body = app.graphql(update, json!({ "k": "not a key!" }), &farm).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

/// `ecoplan check` passes on a sound database and names damage; an instance on a damaged
/// SQLite file is not ready, and a write into the damage is INTERNAL, not a CONFLICT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_finds_damage_and_readiness_follows() {
    let app = spawn_app().await;
    let out = run_cli(&app.database_url, &["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    for check in ["migrations", "schema", "integrity", "writable", "incarnation", "clock"] {
        assert!(stdout.lines().any(|l| l.starts_with(check) && l.contains(" ok ")), "{check}: {stdout}");
    }
    if on_postgres() {
        return;
    }
    // Damage the root page of a table that starting does not read.
    let root = app.count("SELECT rootpage FROM sqlite_master WHERE name = 'idempotency_key'").await;
    let page_size = app.count("PRAGMA page_size").await;
    app.db.conn.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await.unwrap();
    app.handle.stop(false).await;
    let path = app.database_url.trim_start_matches("sqlite://").split('?').next().unwrap().to_string();
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.seek(SeekFrom::Start(((root - 1) * page_size) as u64)).unwrap();
        f.write_all(&vec![0x5a; page_size as usize]).unwrap();
        f.sync_all().unwrap();
    }
    let out = run_cli(&app.database_url, &["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.lines().any(|l| l.starts_with("integrity") && l.contains("FAILED")), "{stdout}");
    let damaged = spawn_app_on(&app.database_url).await;
    let reason = readyz_until(&damaged, "damaged", Duration::from_secs(5)).await;
    assert!(reason.starts_with("503") && reason.contains("damaged"), "{reason}");
    let farm = damaged.department("agriculture_rural_bureau").await;
    let refused = report(&damaged, &farm, "straw_utilization_rate", "2022", "91", Some("k")).await.unwrap_err();
    assert_eq!(refused.1, "INTERNAL", "damage is not a CONFLICT: {refused:?}");
}

/// The offset from the database's clock is measured and exposed.
#[tokio::test]
async fn clock_skew_is_measured_and_exposed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let text = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = text.lines().find(|l| l.starts_with("ecoplan_clock_skew_seconds")).unwrap_or_default();
    let skew: f64 = line.split_whitespace().last().unwrap_or("x").parse().expect("a skew gauge");
    assert!(skew.abs() < 2.0, "the database runs on this machine: {skew}");
}
