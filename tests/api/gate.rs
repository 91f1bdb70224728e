//! One gate for every operation (issue 11): the same table of attacks is sent through every
//! transport, so a check cannot be added to one door only. Each row is named after the
//! finding it reproduces; then come the findings that need more than one request.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use ecoplan::auth::Role;
use serde_json::{json, Value};

use crate::helpers::ws::{self, connect, next, open, send, subscribe};
use crate::helpers::{error_code, spawn_app, spawn_app_with, TempFile, TestApp};

/// The transports an operation can come through.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Door {
    HttpPost,
    HttpGet,
    WebSocket,
    /// A GraphQL multipart request (an upload), with a file.
    Upload,
}

const DOORS: [Door; 4] = [Door::HttpPost, Door::HttpGet, Door::WebSocket, Door::Upload];

/// What happens to the token between opening a WebSocket and sending the attack.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Before {
    Nothing,
    Revoke,
    Expire,
}

/// One attack and the code it must get, on every door.
struct Attack {
    name: &'static str,
    role: Role,
    unit: Option<&'static str>,
    before: Before,
    payload: Value,
    /// Mutations are not sent by GET (that door refuses every mutation with 405).
    mutation: bool,
    /// Sent this many times with the same token; the last answer is checked.
    repeat: usize,
    expect: &'static str,
}

fn attack(name: &'static str, role: Role, unit: Option<&'static str>, query: String, expect: &'static str) -> Attack {
    Attack {
        name,
        role,
        unit,
        before: Before::Nothing,
        payload: json!({ "query": query }),
        mutation: false,
        repeat: 1,
        expect,
    }
}

const DEPT: Option<&str> = Some("water_resources_bureau");
const FARM: Option<&str> = Some("agriculture_rural_bureau");
const PERSISTED: &str = "query Plan { plan { title } }";

/// The first error code of an answer (`ok` when there is none); a WebSocket closed because
/// its token is no longer valid (4403) counts as UNAUTHENTICATED.
fn code_of(answer: &Result<Value, Value>) -> String {
    match answer {
        Ok(body) => match body["errors"].as_array() {
            Some(errors) if !errors.is_empty() => error_code(body),
            _ => "ok".into(),
        },
        Err(e) if e["closed"] == 4403 => "UNAUTHENTICATED".into(),
        Err(e) if e["closed"].is_number() => format!("closed {}", e["closed"]),
        Err(errors) => errors[0]["extensions"]["code"].as_str().unwrap_or("<none>").to_string(),
    }
}

async fn http(app: &TestApp, door: Door, token: &str, payload: &Value) -> Result<Value, Value> {
    let resp = match door {
        Door::HttpPost => app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .bearer_auth(token)
            .json(payload)
            .send()
            .await
            .unwrap(),
        Door::Upload => {
            let form = reqwest::multipart::Form::new()
                .text("operations", payload.to_string())
                .text("map", json!({ "0": ["variables.file"] }).to_string())
                .part("0", reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec()).file_name("a.pdf"));
            app.client
                .post(format!("{}/graphql", app.address))
                .header("apollo-require-preflight", "true")
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
        _ => {
            let mut params = vec![("query", payload["query"].as_str().unwrap_or_default().to_string())];
            if let Some(v) = payload.get("variables") {
                params.push(("variables", v.to_string()));
            }
            if let Some(e) = payload.get("extensions") {
                params.push(("extensions", e.to_string()));
            }
            app.client.get(format!("{}/graphql", app.address)).bearer_auth(token).query(&params).send().await.unwrap()
        }
    };
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status < 500, "HTTP {status}: {body}");
    Ok(body)
}

/// The app every attack runs against: introspection off, an allow-list that binds
/// integration tokens, a small per-token rate limit, no clock leeway.
async fn target() -> (TestApp, TempFile) {
    let hash = ecoplan::gate::persisted::hash(PERSISTED);
    let path = std::env::temp_dir().join(format!("ecoplan-gate-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, json!({ hash: PERSISTED }).to_string()).unwrap();
    let file = TempFile(path);
    let manifest = file.0.display().to_string();
    let app = spawn_app_with(move |s| {
        s.graphql.introspection = Some(false);
        s.graphql.persisted_operations_file = Some(manifest);
        s.graphql.persisted_only_roles = vec![ecoplan::auth::Role::Integration];
        s.rate_limits.per_minute = 6;
        s.rate_limits.burst = 6;
        s.tokens.leeway_seconds = 0;
    })
    .await;
    (app, file)
}

/// The attacks. Every one is refused before anything is written, on every door.
async fn attacks(app: &TestApp) -> Vec<Attack> {
    let farm = app.department("agriculture_rural_bureau").await;
    let others = app.report_ok(&farm, "straw_utilization_rate", "2022", "91").await;
    let others_value_id = others["id"].as_str().unwrap().to_string();
    let twenty_one: String = (0..21).map(|i| format!(" r{i}: plan {{ title }}")).collect();
    let thirty_one: String = (0..31).map(|i| format!(" a{i}: plan {{ title }}")).collect();
    let mut bomb = String::from("query { ...F0 }");
    for i in 0..7 {
        bomb.push_str(&format!(" fragment F{i} on QueryRoot {{ {} }}", format!("...F{} ", i + 1).repeat(10)));
    }
    bomb.push_str(" fragment F7 on QueryRoot { plan { title } }");
    let mut variables = json!(1);
    for _ in 0..60 {
        variables = json!([variables]);
    }
    let deep_selection = format!("{{ {}title{} }}", "plan { ".repeat(13), " }".repeat(13));
    let mut chain = String::from("{ ...F0 }");
    for i in 0..200 {
        chain.push_str(&format!(" fragment F{i} on QueryRoot {{ plan {{ title }} ...F{} }}", i + 1));
    }
    chain.push_str(" fragment F200 on QueryRoot { __typename }");
    let mut rows = vec![
        attack(
            "a chain of 200 fragments, each spread inside the last",
            Role::Department,
            DEPT,
            chain,
            "LIMIT_EXCEEDED",
        ),
        attack(
            "finding 1: lists nested 2,000 deep",
            Role::Department,
            DEPT,
            format!("{{ tasks(filter: {{numbers: {}1{}}}) {{ totalCount }} }}", "[".repeat(2000), "]".repeat(2000)),
            "LIMIT_EXCEEDED",
        ),
        attack(
            "finding 1: objects nested 1,240 deep",
            Role::Department,
            DEPT,
            format!("{{ tasks(filter: {}1{}) {{ totalCount }} }}", "{a:".repeat(1240), "}".repeat(1240)),
            "LIMIT_EXCEEDED",
        ),
        attack(
            "finding 1: selection sets nested 1,650 deep",
            Role::Department,
            DEPT,
            format!("{}{}", "{a".repeat(1650), "}".repeat(1650)),
            "LIMIT_EXCEEDED",
        ),
        attack(
            "finding 1: a deep document from a token bound to persisted operations",
            Role::Integration,
            None,
            format!("{{ tasks(filter: {{numbers: {}1{}}}) {{ totalCount }} }}", "[".repeat(2000), "]".repeat(2000)),
            "FORBIDDEN",
        ),
        Attack {
            payload: json!({ "query": "query($n: [Int!]) { tasks(filter: { numbers: $n }) { totalCount } }", "variables": { "n": variables } }),
            ..attack("finding 1: variables nested 60 deep", Role::Department, DEPT, String::new(), "LIMIT_EXCEEDED")
        },
        Attack {
            before: Before::Revoke,
            ..attack(
                "finding 2: a revoked token",
                Role::Department,
                DEPT,
                "{ tasks { totalCount } }".into(),
                "UNAUTHENTICATED",
            )
        },
        Attack {
            before: Before::Expire,
            ..attack(
                "finding 2: an expired token",
                Role::Department,
                DEPT,
                "{ tasks { totalCount } }".into(),
                "UNAUTHENTICATED",
            )
        },
        Attack {
            before: Before::Revoke,
            mutation: true,
            payload: json!({ "query": "mutation { updateTaskProgress(input: { taskNumber: 18, period: \"2022\", status: IN_PROGRESS }) { progress { version } } }" }),
            ..attack(
                "finding 2: a write with a revoked token",
                Role::Department,
                FARM,
                String::new(),
                "UNAUTHENTICATED",
            )
        },
        attack(
            "finding 3: a raw document from a token bound to persisted operations",
            Role::Integration,
            None,
            "{ tasks { totalCount } }".into(),
            "FORBIDDEN",
        ),
        Attack {
            payload: json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": ecoplan::gate::persisted::hash(PERSISTED) } } }),
            ..attack(
                "finding 3: a persisted operation from a bound token runs",
                Role::Integration,
                None,
                String::new(),
                "ok",
            )
        },
        Attack {
            repeat: 8,
            ..attack("finding 3: the rate limit", Role::Department, DEPT, "{ me { role } }".into(), "RATE_LIMITED")
        },
        Attack {
            mutation: true,
            payload: json!({ "query": "mutation { reportIndicatorValue(input: { indicatorCode: \"water_consumption_per_gdp\", period: \"2022\", value: \"99.999999999999999999999999999\" }) { value { value } } }" }),
            ..attack(
                "finding 4: a value with 29 significant digits",
                Role::Department,
                DEPT,
                String::new(),
                "BAD_USER_INPUT",
            )
        },
        Attack {
            mutation: true,
            payload: json!({ "query": "mutation { setScoringScheme(input: { year: 2022, indicatorPoints: \"79228162514264337593543950335\", progressPoints: \"79228162514264337593543950335\" }) { scheme { version } } }" }),
            ..attack("finding 4: scheme parts that overflow", Role::Admin, None, String::new(), "BAD_USER_INPUT")
        },
        Attack {
            mutation: true,
            payload: json!({ "query": "mutation { adjustAssessment(input: { unitCode: \"water_resources_bureau\", year: 2022, points: \"79228162514264337593543950335\", reason: \"x\" }) { assessment { score } } }" }),
            ..attack("finding 4: an adjustment that overflows", Role::Assessor, None, String::new(), "BAD_USER_INPUT")
        },
        attack(
            "finding 5: a lone quote in a block string hides 8,000 tokens",
            Role::Department,
            DEPT,
            format!(
                "{{ tasks(filter: {{ text: \"\"\"a\"b\"\"\" }}) {{ totalCount }} {} }}",
                "plan { title } ".repeat(2000)
            ),
            "LIMIT_EXCEEDED",
        ),
        attack(
            "finding 5: root fields hidden in a fragment",
            Role::Department,
            DEPT,
            format!("{{ ...F }} fragment F on QueryRoot {{ {twenty_one} }}"),
            "LIMIT_EXCEEDED",
        ),
        attack(
            "finding 5: root fields hidden in an inline fragment",
            Role::Department,
            DEPT,
            format!("{{ ... on QueryRoot {{ {twenty_one} }} }}"),
            "LIMIT_EXCEEDED",
        ),
        attack(
            "finding 5: another unit's value id looks absent",
            Role::Department,
            DEPT,
            format!("{{ indicatorValue(id: \"{others_value_id}\") {{ value }} }}"),
            "NOT_FOUND",
        ),
        Attack {
            mutation: true,
            payload: json!({ "query": "mutation($n: String) { reportIndicatorValue(input: { indicatorCode: \"water_consumption_per_gdp\", period: \"2022\", value: \"30\", note: $n }) { value { id } } }", "variables": { "n": "正常\u{202E}txt.exe" } }),
            ..attack(
                "finding 5: a bidirectional override in a note",
                Role::Department,
                DEPT,
                String::new(),
                "BAD_USER_INPUT",
            )
        },
        attack("a fragment bomb (10^7 fields expanded)", Role::Department, DEPT, bomb, "LIMIT_EXCEEDED"),
        attack(
            "a fragment cycle",
            Role::Department,
            DEPT,
            "{ ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }".into(),
            "BAD_USER_INPUT",
        ),
        attack("31 aliases", Role::Department, DEPT, format!("{{ {thirty_one} }}"), "LIMIT_EXCEEDED"),
        attack("selections 14 deep", Role::Department, DEPT, deep_selection, "LIMIT_EXCEEDED"),
        attack(
            "introspection when it is off",
            Role::Department,
            DEPT,
            "{ __schema { queryType { name } } }".into(),
            "FORBIDDEN",
        ),
        attack("a syntax error", Role::Department, DEPT, "{ tasks { ".into(), "BAD_USER_INPUT"),
        attack("another unit's task", Role::Department, DEPT, "{ task(number: 18) { title } }".into(), "FORBIDDEN"),
    ];
    // The first mutation needs an admin-only field: a department may not configure.
    rows.push(Attack {
        mutation: true,
        payload: json!({ "query": "mutation { setSuperiorTarget(input: { indicatorCode: \"energy_consumption_per_gdp\", year: 2022, target: \"1\" }) { superiorTarget { year } } }" }),
        ..attack("the policy: a department configures", Role::Department, DEPT, String::new(), "FORBIDDEN")
    });
    rows
}

/// The rows a write could add, and its audit events; token issues and revocations made
/// to arrange the tests are not counted.
async fn data_footprint(app: &TestApp) -> [i64; 6] {
    let mut f = app.write_footprint().await;
    f[5] = app.count("SELECT COUNT(*) FROM audit_event WHERE target_type <> 'token'").await;
    f
}

/// Sends one attack through one door; returns the code of the (last) answer.
async fn run(app: &TestApp, door: Door, a: &Attack) -> String {
    let ttl = if a.before == Before::Expire { Duration::from_secs(1) } else { Duration::from_secs(3600) };
    let (token, jti) = app.token_with_ttl(a.role, a.unit, ttl).await;
    let mut socket = match door {
        Door::WebSocket => Some(open(app, &token).await),
        _ => None,
    };
    match a.before {
        Before::Nothing => {}
        Before::Revoke => app.revoke(&jti).await,
        Before::Expire => tokio::time::sleep(Duration::from_millis(2100)).await,
    }
    let mut last = Ok(Value::Null);
    for i in 0..a.repeat {
        last = match socket.as_mut() {
            Some(s) => ws::execute(s, &format!("op{i}"), a.payload.clone()).await,
            None => http(app, door, &token, &a.payload).await,
        };
    }
    code_of(&last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attack_gets_the_same_answer_on_every_transport_and_the_server_lives() {
    let (app, _manifest) = target().await;
    let rows = attacks(&app).await;
    let before = data_footprint(&app).await;
    let mut failures = Vec::new();
    for row in &rows {
        for door in DOORS {
            if door == Door::HttpGet && row.mutation {
                continue;
            }
            let got = run(&app, door, row).await;
            if got != row.expect {
                failures.push(format!("{} over {door:?}: expected {}, got {got}", row.name, row.expect));
            }
            assert!(app.is_alive().await, "{} over {door:?} killed the server", row.name);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing was written by any of them (the arranging report is counted in `before`).
    assert_eq!(data_footprint(&app).await, before);
}

/// Finding 1, as the issue states it: the three deep shapes over HTTP and over WebSocket are
/// LIMIT_EXCEEDED and `/livez` answers right after each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_1_deep_documents_are_refused_before_parsing_and_the_process_lives() {
    let app = spawn_app().await;
    let token = app.integration().await;
    let docs = [
        format!("{{ tasks(filter: {{numbers: {}1{}}}) {{ totalCount }} }}", "[".repeat(2000), "]".repeat(2000)),
        format!("{{ tasks(filter: {}1{}) {{ totalCount }} }}", "{a:".repeat(1240), "}".repeat(1240)),
        format!("{}{}", "{a".repeat(1650), "}".repeat(1650)),
    ];
    let mut socket = open(&app, &token).await;
    for (i, doc) in docs.iter().enumerate() {
        let (status, body) = app.post_graphql(doc, json!({}), Some(&token)).await;
        assert_eq!((status, error_code(&body)), (200, "LIMIT_EXCEEDED".to_string()), "{body}");
        assert!(app.is_alive().await);
        let answer = ws::execute(&mut socket, &format!("d{i}"), json!({ "query": doc })).await;
        assert_eq!(code_of(&answer), "LIMIT_EXCEEDED");
        assert!(app.is_alive().await);
    }
}

const TOWN_TASKS: &str = "{ tasks { totalCount } }";

/// Finding 2: an open socket's later operations run with the token's identity at that
/// moment: revocation, expiry and a removed group membership are seen at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_2_each_operation_on_a_socket_is_authenticated_now() {
    let app = spawn_app_with(|s| s.tokens.leeway_seconds = 0).await;
    let admin = app.admin().await;
    let before = data_footprint(&app).await;

    // Revoked: the next operation closes the socket with 4403 and writes nothing.
    let (farm, jti) = app.token_with_ttl(Role::Department, FARM, Duration::from_secs(3600)).await;
    let mut socket = open(&app, &farm).await;
    assert!(ws::execute(&mut socket, "1", json!({ "query": "{ me { role } }" })).await.is_ok());
    app.revoke(&jti).await;
    let (status, _) = app.post_graphql("{ me { role } }", json!({}), Some(&farm)).await;
    assert_eq!(status, 401);
    let report = json!({ "query": "mutation { reportIndicatorValue(input: { indicatorCode: \"straw_utilization_rate\", period: \"2022\", value: \"91\" }) { value { id } } }" });
    assert_eq!(ws::execute(&mut socket, "2", report.clone()).await, Err(json!({ "closed": 4403 })));

    // Expired: the same.
    let (short, _) = app.token_with_ttl(Role::Department, FARM, Duration::from_secs(1)).await;
    let mut socket = open(&app, &short).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let progress = json!({ "query": "mutation { updateTaskProgress(input: { taskNumber: 18, period: \"2022\", status: IN_PROGRESS }) { progress { version } } }" });
    assert_eq!(ws::execute(&mut socket, "3", progress).await, Err(json!({ "closed": 4403 })));
    assert_eq!(data_footprint(&app).await, before, "nothing written by revoked or expired tokens");

    // A member removed from its group: the old socket no longer reads the group's tasks.
    app.data(
        r#"mutation { createUnit(input: { code: "zhengzhuang_town", name: "郑庄镇人民政府", groupCodes: ["township_governments"] }) { unit { code } } }"#,
        json!({}),
        &admin,
    )
    .await;
    let town = app.department("zhengzhuang_town").await;
    let mut socket = open(&app, &town).await;
    let seen = ws::execute(&mut socket, "4", json!({ "query": TOWN_TASKS })).await.unwrap();
    assert_eq!(seen["data"]["tasks"]["totalCount"], 3);
    subscribe(&mut socket, "events", json!({ "query": "subscription { indicatorValueChanged { indicatorCode } }" }))
        .await;
    app.wait_for_subscribers(1).await;
    app.data(
        r#"mutation { removeGroupMember(input: { groupCode: "township_governments", memberCode: "zhengzhuang_town" }) { group { code } } }"#,
        json!({}),
        &admin,
    )
    .await;
    let seen = ws::execute(&mut socket, "5", json!({ "query": TOWN_TASKS })).await.unwrap();
    assert_eq!(seen["data"]["tasks"]["totalCount"], 0, "the membership is read per operation");
    // An event on the group's task: the old subscription does not deliver it; it ends
    // with an error asking to subscribe again.
    app.data(
        r#"mutation { createUnit(input: { code: "jiafeng_town", name: "嘉峰镇人民政府", groupCodes: ["township_governments"] }) { unit { code } } }"#,
        json!({}),
        &admin,
    )
    .await;
    let other_town = app.department("jiafeng_town").await;
    app.report_ok(&other_town, "village_drinking_water_sanitation_rate", "2022", "100").await;
    let m = next(&mut socket, Duration::from_secs(10)).await.unwrap();
    assert_eq!(m["id"], "events");
    assert!(m["payload"]["data"].is_null(), "no event of a task left behind: {m}");
    assert_eq!(m["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{m}");
    assert_eq!(next(&mut socket, Duration::from_secs(10)).await.unwrap()["type"], "complete");
}

/// Finding 2: an idle subscription of a revoked token is closed within the re-check
/// interval (the default, 5 s), and a new connection with it is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_2_an_idle_subscription_of_a_revoked_token_is_closed_within_the_interval() {
    let app = spawn_app().await;
    let interval = Duration::from_secs(app.settings.subscriptions.recheck_seconds);
    assert_eq!(interval, Duration::from_secs(5), "the default interval");
    let (token, jti) = app.token_with_ttl(Role::Integration, None, Duration::from_secs(3600)).await;
    let mut socket = open(&app, &token).await;
    subscribe(&mut socket, "idle", json!({ "query": "subscription { indicatorValueChanged { indicatorCode } }" }))
        .await;
    app.wait_for_subscribers(1).await;
    app.revoke(&jti).await;
    let revoked_at = Instant::now();
    assert_eq!(next(&mut socket, interval + Duration::from_secs(2)).await, Err(4403));
    let took = revoked_at.elapsed();
    eprintln!("an idle subscription of a revoked token was closed {} ms after the revocation", took.as_millis());
    assert!(took <= interval + Duration::from_millis(500), "{took:?}");
    let mut again = connect(&app).await;
    send(&mut again, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
        .await;
    assert_eq!(next(&mut again, Duration::from_secs(5)).await, Err(4403));
}

/// Finding 3: the socket's own limits — connection_init timeout, duplicate ids,
/// operations per connection, connections per token, a second connection_init.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_3_sockets_are_bounded() {
    let app = spawn_app_with(|s| {
        s.subscriptions.init_timeout_ms = 300;
        s.subscriptions.max_subscriptions = 5;
        s.subscriptions.max_connections_per_token = 3;
    })
    .await;
    let token = app.integration().await;

    let mut silent = connect(&app).await;
    let started = Instant::now();
    assert_eq!(next(&mut silent, Duration::from_secs(5)).await, Err(4408));
    assert!(started.elapsed() < Duration::from_secs(2));

    let mut socket = open(&app, &token).await;
    let sub = json!({ "query": "subscription { indicatorValueChanged { indicatorCode } }" });
    for i in 0..5 {
        subscribe(&mut socket, &format!("s{i}"), sub.clone()).await;
    }
    subscribe(&mut socket, "s5", sub.clone()).await;
    let m = next(&mut socket, Duration::from_secs(5)).await.unwrap();
    assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("error"), Some("s5")));
    assert_eq!(m["payload"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
    // Completing one frees its place.
    send(&mut socket, json!({ "id": "s0", "type": "complete" })).await;
    subscribe(&mut socket, "s6", sub.clone()).await;
    // 300 subscriptions would have been accepted before; one report now reaches each of
    // the five active ones once.
    app.wait_for_subscribers(5).await;
    let farm = app.department("agriculture_rural_bureau").await;
    app.report_ok(&farm, "straw_utilization_rate", "2022", "91").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(next(&mut socket, Duration::from_secs(10)).await.unwrap()["id"].as_str().unwrap().to_string());
    }
    ids.sort();
    assert_eq!(ids, vec!["s1", "s2", "s3", "s4", "s6"]);
    assert_eq!(next(&mut socket, Duration::from_millis(500)).await, Err(0), "no duplicate delivery");
    // A duplicate id closes the socket with 4409.
    subscribe(&mut socket, "s1", sub.clone()).await;
    assert_eq!(next(&mut socket, Duration::from_secs(5)).await, Err(4409));

    // Connections per token: the fourth is refused.
    let _a = open(&app, &token).await;
    let _b = open(&app, &token).await;
    let _c = open(&app, &token).await;
    let mut fourth = connect(&app).await;
    send(&mut fourth, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
        .await;
    assert_eq!(next(&mut fourth, Duration::from_secs(5)).await, Err(4429));

    // A second connection_init on one socket.
    let mut twice = open(&app, &app.integration().await).await;
    send(&mut twice, json!({ "type": "connection_init", "payload": {} })).await;
    assert_eq!(next(&mut twice, Duration::from_secs(5)).await, Err(4429));
}

/// Finding 3: a socket's operations read current data: loaders are fresh per operation,
/// and a subscription's resolve each event from the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_3_a_socket_reads_the_current_revision() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let mut socket = open(&app, &farm).await;
    let current = json!({ "query": "{ indicator(code: \"straw_utilization_rate\") { currentValue(period: \"2022\") { revision } } }" });
    subscribe(
        &mut socket,
        "events",
        json!({ "query": "subscription { indicatorValueChanged { value { revision indicator { currentValue(period: \"2022\") { revision } } } } }" }),
    )
    .await;
    app.wait_for_subscribers(1).await;
    for revision in 1..=2 {
        app.report_ok(&farm, "straw_utilization_rate", "2022", &format!("9{revision}")).await;
        let event = next(&mut socket, Duration::from_secs(10)).await.unwrap();
        let value = &event["payload"]["data"]["indicatorValueChanged"]["value"];
        assert_eq!(value["revision"], revision);
        assert_eq!(value["indicator"]["currentValue"]["revision"], revision, "{event}");
        let answer = ws::execute(&mut socket, &format!("q{revision}"), current.clone()).await.unwrap();
        assert_eq!(answer["data"]["indicator"]["currentValue"]["revision"], revision);
    }
}

/// Finding 5: /metrics uses the gate's token check (a revoked admin token is refused), and
/// made-up methods add no series.
#[tokio::test]
async fn finding_5_metrics_check_revocation_and_made_up_methods_share_one_label() {
    let app = spawn_app().await;
    let (admin, jti) = app.token_with_ttl(Role::Admin, None, Duration::from_secs(3600)).await;
    let metrics = |token: String| {
        let app = &app;
        async move { app.client.get(format!("{}/metrics", app.address)).bearer_auth(token).send().await.unwrap() }
    };
    for i in 0..30 {
        let method = reqwest::Method::from_bytes(format!("RTM{i}").as_bytes()).unwrap();
        let resp = app.client.request(method, format!("{}/graphql", app.address)).send().await.unwrap();
        assert_eq!(resp.status(), 405);
    }
    let resp = metrics(admin.clone()).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(!text.contains("RTM"), "made-up methods must not become labels");
    assert!(text.contains("method=\"other\""), "{text}");
    app.revoke(&jti).await;
    assert_eq!(metrics(admin).await.status(), 401);
}

/// Finding 5: another unit's value id answers exactly as an absent one; the plan's
/// structure stays FORBIDDEN.
#[tokio::test]
async fn finding_5_out_of_scope_ids_look_absent() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let water = app.department("water_resources_bureau").await;
    let id = app.report_ok(&farm, "straw_utilization_rate", "2022", "91").await["id"].as_str().unwrap().to_string();
    let number = crate::helpers::row_number(&id).parse::<i64>().unwrap();
    let absent_id = ecoplan::graphql::node::id("IndicatorValue", number + 1000).to_string();
    let ask = |id: &str| format!("{{ indicatorValue(id: \"{id}\") {{ value }} }}");
    let theirs = app.graphql(&ask(&id), json!({}), &water).await;
    let absent = app.graphql(&ask(&absent_id), json!({}), &water).await;
    assert_eq!(error_code(&theirs), "NOT_FOUND");
    let message = |b: &Value, id: &str| b["errors"][0]["message"].as_str().unwrap().replace(id, "ID");
    assert_eq!(message(&theirs, &id), message(&absent, &absent_id), "the same answer");
    assert!(app.graphql(&ask(&id), json!({}), &farm).await.get("errors").is_none(), "its owner reads it");
    let body = app.graphql("{ indicator(code: \"straw_utilization_rate\") { code } }", json!({}), &water).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "plan structure is a public document");
}

/// Finding 5: a department's audit events do not show other tokens' ids; an admin sees them.
#[tokio::test]
async fn finding_5_token_ids_are_shown_to_admins_only() {
    let app = spawn_app().await;
    let (farm, farm_jti) = app.token_with_ttl(Role::Department, FARM, Duration::from_secs(3600)).await;
    let (_, other_jti) = app.token_with_ttl(Role::Department, FARM, Duration::from_secs(3600)).await;
    let query = r#"{ auditEvents(filter: { targetType: "token" }, first: 100) { edges { node { targetKey } } } }"#;
    let keys = |data: Value| -> Vec<String> {
        data["auditEvents"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["targetKey"].as_str().unwrap().to_string())
            .collect()
    };
    let seen = keys(app.data(query, json!({}), &farm).await);
    assert!(seen.contains(&farm_jti), "its own id: {seen:?}");
    assert!(!seen.contains(&other_jti), "{seen:?}");
    assert!(seen.contains(&"hidden".to_string()), "{seen:?}");
    let seen = keys(app.data(query, json!({}), &app.admin().await).await);
    assert!(seen.contains(&other_jti));
}

/// Finding 5: a body trickled a byte a second is answered 408 once the configured time
/// has passed, not read for as long as it lasts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_5_a_slow_body_gets_408() {
    let app = spawn_app_with(|s| s.server.body_timeout_ms = 1000).await;
    let token = app.admin().await;
    let port = app.port;
    let started = Instant::now();
    let response = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let body = r#"{"query":"{ me { role } }"}"#;
        write!(
            stream,
            "POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer {token}\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        for b in body.bytes() {
            if stream.write_all(&[b]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(300));
            let mut buf = [0u8; 1024];
            stream.set_nonblocking(true).unwrap();
            if let Ok(n) = stream.read(&mut buf) {
                answer.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            stream.set_nonblocking(false).unwrap();
            if !answer.is_empty() {
                break;
            }
        }
        if answer.is_empty() {
            let mut buf = [0u8; 1024];
            let n = stream.read(&mut buf).unwrap_or(0);
            answer.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        answer
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("LIMIT_EXCEEDED"), "{response}");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

/// On shutdown, open sockets are closed with 1001 at once instead of holding the grace period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_are_closed_with_1001_when_the_server_stops() {
    let app = spawn_app().await;
    let mut socket = open(&app, &app.integration().await).await;
    subscribe(&mut socket, "s", json!({ "query": "subscription { indicatorValueChanged { indicatorCode } }" })).await;
    app.wait_for_subscribers(1).await;
    let started = Instant::now();
    let handle = app.handle.clone();
    let stopping = tokio::spawn(async move { handle.stop(true).await });
    assert_eq!(next(&mut socket, Duration::from_secs(5)).await, Err(1001));
    tokio::time::timeout(Duration::from_secs(10), stopping).await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}
