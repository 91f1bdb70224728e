//! The hostile-input suite: random and mutated GraphQL documents, variables and JSON
//! bodies, generated with proptest, sent over HTTP (POST and GET) and over WebSocket. The
//! server must never panic, must stay alive, and must answer every request with a status
//! below 500 and every GraphQL error with a known `extensions.code` (never INTERNAL: a
//! client's input is never the server's fault).

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::spawn_app_with;
use crate::helpers::ws::{self, next, open, send};

const CLIENT_CODES: &[&str] =
    &["UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "CONFLICT", "LIMIT_EXCEEDED", "RATE_LIMITED"];

/// Valid documents of every kind, to be mutated.
const CORPUS: &[&str] = &[
    "{ me { role unit { code name } } plan { title documentNumber issuedOn } }",
    "query Dashboard { tasks(first: 50) { totalCount edges { node { number title section { number name domain { code name } } assignments { role unit { code name } } indicators { code name conditions { comparator target } compliance(period: \"2022\") { status declined } } } } pageInfo { hasNextPage endCursor } } }",
    "query($c: String!, $p: Period!) { indicator(code: $c) { code values(period: $p) { edges { node { revision value status } } } compliance(period: $p) { status conditions { comparator target satisfied explanation } } } }",
    "{ units { code name isGroup members { code } groups { code } tasks { number } } }",
    "{ ...F } fragment F on QueryRoot { tasks(filter: { numbers: [1, 2, 3] }) { totalCount } }",
    "{ ... on QueryRoot { indicators(filter: { domainCode: \"eco_space\" }) { totalCount } } }",
    "mutation($input: ReportIndicatorValueInput!) { reportIndicatorValue(input: $input) { value { id revision value } } }",
    "mutation { reportIndicatorValue(input: { indicatorCode: \"straw_utilization_rate\", period: \"2022\", value: \"91.5\", note: \"\"\"block \"quoted\" note\"\"\", evidence: [\"沁农字〔2023〕5号\"] }) { value { id } } }",
    "mutation { updateTaskProgress(input: { taskNumber: 18, period: \"2022-Q3\", status: IN_PROGRESS, percent: \"40\" }) { progress { version } } }",
    "mutation { setScoringScheme(input: { year: 2022, declineDeduction: \"3\" }) { scheme { version } } }",
    "{ assessments(year: 2022) { totalCount edges { node { score grade rank unit { code } } } } accountability(year: 2022) { unit { code } } }",
    "{ changes(first: 10) { edges { cursor node { kind operation key } } pageInfo { endCursor } } }",
    "{ auditEvents(first: 5) { edges { node { action targetKey actorSubject } } } }",
    "subscription { indicatorValueChanged { action indicatorCode value { revision } } }",
    "{ indicatorValue(id: \"1\") { value indicator { code } } complianceSummary(period: \"2022\") { met notMet noData } }",
    "query A { me { role } } query B { plan { title } }",
    "{ __typename a: me { role } b: plan { title } }",
    "{ task(number: 13) { number title text indicators { code } viewerCanUpdate } }",
];

/// A change to a document's text, at positions given as fractions of its length.
#[derive(Debug, Clone)]
enum Edit {
    Delete(u16, u8),
    Insert(u16, String),
    Duplicate(u16, u8),
    Truncate(u16),
    Wrap(u8, u16),
}

fn at(len: usize, fraction: u16) -> usize {
    len * usize::from(fraction) / usize::from(u16::MAX)
}

fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(doc: &str, edits: &[Edit]) -> String {
    let mut s = doc.to_string();
    for e in edits {
        let len = s.len();
        match e {
            Edit::Delete(p, n) => {
                let a = floor_char(&s, at(len, *p));
                let b = floor_char(&s, a + usize::from(*n));
                s.replace_range(a..b, "");
            }
            Edit::Insert(p, text) => {
                let a = floor_char(&s, at(len, *p));
                s.insert_str(a, text);
            }
            Edit::Duplicate(p, n) => {
                let a = floor_char(&s, at(len, *p));
                let b = floor_char(&s, a + usize::from(*n));
                let piece = s[a..b].to_string();
                s.insert_str(b, &piece.repeat(3));
            }
            Edit::Truncate(p) => {
                let a = floor_char(&s, at(len, *p));
                s.truncate(a);
            }
            Edit::Wrap(open, times) => {
                let (o, c) = [("{", "}"), ("[", "]"), ("(", ")"), ("{a:", "}"), ("\"", "\""), ("\"\"\"", "\"\"\"")]
                    [usize::from(*open) % 6];
                let n = usize::from(*times);
                s = format!("{}{s}{}", o.repeat(n), c.repeat(n));
            }
        }
    }
    s
}

fn edit() -> impl Strategy<Value = Edit> {
    let significant = prop_oneof![
        "[{}\\[\\]()\"#.:$@!=,|&\\\\]{1,4}",
        "(\\.\\.\\.|\"\"\"|\\\\u[0-9a-f]{4}|__schema|__type|fragment F on QueryRoot|on |\\$v|@skip\\(if: true\\)|@include\\(if: \\$v\\))",
        "\\PC{1,6}",
        "[0-9]{1,40}",
        "-?[0-9]{1,30}\\.[0-9]{0,30}",
    ];
    prop_oneof![
        (any::<u16>(), any::<u8>()).prop_map(|(p, n)| Edit::Delete(p, n % 16)),
        (any::<u16>(), significant).prop_map(|(p, t)| Edit::Insert(p, t)),
        (any::<u16>(), any::<u8>()).prop_map(|(p, n)| Edit::Duplicate(p, n % 64)),
        any::<u16>().prop_map(Edit::Truncate),
        (any::<u8>(), 0u16..80).prop_map(|(o, t)| Edit::Wrap(o, t)),
        // Deep enough to overflow a worker's stack if anything recursed on it.
        (any::<u8>(), 500u16..2400).prop_map(|(o, t)| Edit::Wrap(o, t)),
    ]
}

fn document() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (proptest::sample::select(CORPUS), prop::collection::vec(edit(), 0..5))
            .prop_map(|(doc, edits)| apply(doc, &edits)),
        1 => "\\PC{0,300}",
        1 => proptest::sample::select(CORPUS).prop_map(str::to_string),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
        "\\PC{0,24}".prop_map(Value::from),
        "-?[0-9]{1,35}(\\.[0-9]{1,35})?".prop_map(Value::from),
        "20[0-9]{2}(-Q[0-9]|-[0-9]{2})?".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{0,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn variables() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        json_value(),
        (json_value(), "[a-z]{1,6}", "\\PC{0,12}").prop_map(|(input, c, p)| json!({
            "input": input, "c": c, "p": p,
        })),
        json_value().prop_map(|v| json!({ "input": {
            "indicatorCode": "straw_utilization_rate", "period": "2022", "value": v, "evidence": [v],
        } })),
    ]
}

/// A request body: a GraphQL request (often malformed in its shape), any JSON, or text.
#[derive(Debug, Clone)]
enum Body {
    Json(Value),
    Text(String),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        6 => (document(), variables()).prop_map(|(q, v)| Body::Json(json!({ "query": q, "variables": v }))),
        1 => (json_value(), json_value(), json_value(), json_value()).prop_map(|(q, n, v, e)| Body::Json(json!({
            "query": q, "operationName": n, "variables": v, "extensions": e,
        }))),
        1 => json_value().prop_map(Body::Json),
        1 => "\\PC{0,200}".prop_map(Body::Text),
    ]
}

/// A case: what is sent, with which token.
#[derive(Debug, Clone)]
struct Case {
    token: usize,
    body: Body,
}

/// The cases' seed: `PROPTEST_RNG_SEED` when set (to replay a failure), otherwise a new one,
/// printed so that a failing run can be replayed.
fn seed() -> u64 {
    let seed = std::env::var("PROPTEST_RNG_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
    });
    eprintln!("hostile input: PROPTEST_RNG_SEED={seed}");
    seed
}

fn generate<S: Strategy>(strategy: S, n: usize, seed: u64) -> Vec<S::Value> {
    let mut runner = TestRunner::new(Config { cases: n as u32, rng_seed: RngSeed::Fixed(seed), ..Config::default() });
    (0..n).map(|_| strategy.new_tree(&mut runner).expect("generate").current()).collect()
}

/// Longest URL sent through the HTTP client; longer ones (which the client's URI type cannot
/// hold) go over a plain socket, as a hostile client would send them.
const CLIENT_URL_LIMIT: usize = 16 * 1024;

/// Sends a GET over a plain TCP connection and returns the response's status, or `None`
/// when the server closed the connection without one (it may reset a connection whose
/// head it refused before the client has finished sending).
async fn raw_get(address: &str, path_and_query: &str, token: &str) -> Option<u16> {
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let head = format!(
        "GET {path_and_query} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = stream.read(&mut buf).await {
        answer.extend_from_slice(&buf[..n]);
    }
    let status_line = String::from_utf8_lossy(&answer[..answer.len().min(64)]).to_string();
    status_line.split(' ').nth(1).and_then(|s| s.parse().ok())
}

/// Every error of a GraphQL body carries a client code.
fn check_errors(errors: &Value, what: &str) {
    if let Some(errors) = errors.as_array() {
        for e in errors {
            let code = e["extensions"]["code"].as_str().unwrap_or("<none>");
            assert!(CLIENT_CODES.contains(&code), "{what}: error without a client code: {e}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_never_panics_never_kills_and_always_gets_a_coded_answer() {
    let app = spawn_app_with(|s| {
        s.subscriptions.max_subscriptions = 0;
        s.subscriptions.max_connections_per_token = 0;
    })
    .await;
    let tokens = [
        app.admin().await,
        app.department("agriculture_rural_bureau").await,
        app.integration().await,
        app.assessor().await,
    ];
    let started = Instant::now();
    let seed = seed();
    let http_cases = generate((0..tokens.len(), body()).prop_map(|(token, body)| Case { token, body }), 2400, seed);
    let mut get_cases = generate((0..tokens.len(), document(), variables()), 600, seed ^ 1);
    // Always one URL longer than the server reads (a 300 KB query string).
    get_cases.push((1, "\"".repeat(100_000), Value::Null));
    let ws_cases = generate((0..tokens.len(), document(), variables()), 1000, seed ^ 2);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();

    for (i, case) in http_cases.iter().enumerate() {
        let request = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .bearer_auth(&tokens[case.token]);
        let request = match &case.body {
            Body::Json(v) => request.body(v.to_string()),
            Body::Text(t) => request.body(t.clone()),
        };
        let resp = request.send().await.unwrap_or_else(|e| panic!("case {i} {case:?}: no answer: {e}"));
        let status = resp.status().as_u16();
        *statuses.entry(status).or_default() += 1;
        let body: Value = resp.json().await.unwrap_or_else(|e| panic!("case {i} {case:?}: body not JSON: {e}"));
        assert!(status < 500, "case {i} {case:?}: HTTP {status} {body}");
        check_errors(&body["errors"], &format!("POST case {i} {case:?}"));
    }
    assert!(app.is_alive().await);

    for (i, (token, query, variables)) in get_cases.iter().enumerate() {
        let mut url = reqwest::Url::parse(&format!("{}/graphql", app.address)).unwrap();
        url.query_pairs_mut().append_pair("query", query);
        if !variables.is_null() {
            url.query_pairs_mut().append_pair("variables", &variables.to_string());
        }
        if url.as_str().len() > CLIENT_URL_LIMIT {
            let path = &url.as_str()[app.address.len()..];
            // 0 counts the connections the server closed without an answer.
            let status = raw_get(&app.address, path, &tokens[*token]).await.unwrap_or(0);
            *statuses.entry(status).or_default() += 1;
            assert!(status < 500, "GET case {i} (a {} byte URL): HTTP {status}", url.as_str().len());
            assert!(app.is_alive().await, "GET case {i} (a {} byte URL)", url.as_str().len());
            continue;
        }
        let resp = app
            .client
            .get(url)
            .bearer_auth(&tokens[*token])
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET case {i}: no answer: {e}"));
        let status = resp.status().as_u16();
        *statuses.entry(status).or_default() += 1;
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status < 500, "GET case {i} {query:?}: HTTP {status} {body}");
        check_errors(&body["errors"], &format!("GET case {i} {query:?}"));
    }
    assert!(app.is_alive().await);

    let mut sockets = Vec::new();
    for t in &tokens {
        sockets.push(open(&app, t).await);
    }
    let mut closes = 0usize;
    let mut running = 0usize;
    for (i, (token, query, variables)) in ws_cases.iter().enumerate() {
        let id = format!("c{i}");
        let socket = &mut sockets[*token];
        send(socket, json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
        match next(socket, Duration::from_millis(300)).await {
            Ok(m) => {
                let what = format!("WS case {i} {query:?}");
                match m["type"].as_str() {
                    Some("next") => check_errors(&m["payload"]["errors"], &what),
                    Some("error") => check_errors(&m["payload"], &what),
                    Some("complete") => {}
                    other => panic!("{what}: unexpected message {other:?}: {m}"),
                }
                // A running subscription (or a finished operation) is completed; drain
                // what the operation still sends so the next case reads its own answer.
                send(socket, json!({ "id": id, "type": "complete" })).await;
                while let Ok(m) = next(socket, Duration::from_millis(20)).await {
                    if m["id"] != id {
                        panic!("WS case {i}: message of another operation: {m}");
                    }
                }
            }
            // No answer yet: a subscription waiting for events. It is completed, and the
            // connection must still answer a ping.
            Err(0) => {
                running += 1;
                send(socket, json!({ "id": id, "type": "complete" })).await;
                send(socket, json!({ "type": "ping" })).await;
                loop {
                    let m = next(socket, Duration::from_secs(10))
                        .await
                        .unwrap_or_else(|c| panic!("WS case {i}: closed {c}"));
                    if m["type"] == "pong" {
                        break;
                    }
                }
            }
            Err(code) => {
                // Only the protocol's own closes are acceptable, never an abnormal one.
                assert!([4400, 4403, 4409, 4429, 1009].contains(&code), "WS case {i} {query:?}: closed {code}");
                closes += 1;
                sockets[*token] = open(&app, &tokens[*token]).await;
            }
        }
    }
    assert!(app.is_alive().await);
    let n = http_cases.len() + get_cases.len() + ws_cases.len();
    eprintln!(
        "hostile input: {n} cases ({} POST, {} GET, {} WebSocket) in {:.1} s; HTTP statuses {statuses:?}; {running} subscriptions left running; {closes} sockets closed by the protocol",
        http_cases.len(),
        get_cases.len(),
        ws_cases.len(),
        started.elapsed().as_secs_f64()
    );
    // The same socket helper the attack table uses must still work afterwards.
    let answer = ws::execute(&mut sockets[0], "last", json!({ "query": "{ me { role } }" })).await.unwrap();
    assert_eq!(answer["data"]["me"]["role"], "ADMIN");
}
