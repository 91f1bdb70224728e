//! The `ecoplan` binary: token issue/revoke, schema, and its refusals.

use std::process::Command;

use serde_json::json;

use crate::helpers::{error_code, run_cli, spawn_app};

#[tokio::test]
async fn token_issue_prints_a_working_token_and_revoke_stops_it() {
    let app = spawn_app().await;
    let out = run_cli(
        &app.database_url,
        &["token", "issue", "--role", "department", "--unit", "water_resources_bureau", "--ttl", "2h"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.trim();
    assert_eq!(stdout.lines().count(), 1, "the token alone on stdout");
    assert_eq!(token.split('.').count(), 3);
    let data = app.data("{ me { role tokenId unit { code } } tasks { totalCount } }", json!({}), token).await;
    assert_eq!(data["me"]["unit"]["code"], "water_resources_bureau");
    assert_eq!(data["tasks"]["totalCount"], 3);
    let jti = data["me"]["tokenId"].as_str().unwrap();
    let out = run_cli(&app.database_url, &["token", "revoke", jti, "--reason", "test"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (status, body) = app.post_graphql("{ me { role } }", json!({}), Some(token)).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let issued = app.count("SELECT COUNT(*) FROM audit_event WHERE action IN ('token.issue', 'token.revoke')").await;
    assert!(issued >= 2);
}

#[tokio::test]
async fn token_issue_refuses_bad_arguments_with_one_line() {
    let app = spawn_app().await;
    for args in [
        vec!["token", "issue", "--role", "department"],
        vec!["token", "issue", "--role", "department", "--unit", "no_such_unit"],
        vec!["token", "issue", "--role", "department", "--unit", "township_governments"],
        vec!["token", "issue", "--role", "admin", "--unit", "water_resources_bureau"],
        vec!["token", "issue", "--role", "admin", "--ttl", "forever"],
        vec!["token", "issue", "--role", "admin", "--ttl", "5000d"],
    ] {
        let out = run_cli(&app.database_url, &args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(out.stdout.is_empty(), "{args:?} printed a token");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{args:?}: {stderr}");
        assert!(lines[0].starts_with("error: "), "{args:?}: {stderr}");
    }
    let out = run_cli(&app.database_url, &["token", "issue", "--role", "superuser"]);
    assert!(!out.status.success());
}

#[test]
fn schema_prints_the_sdl() {
    let out = Command::new(env!("CARGO_BIN_EXE_ecoplan")).arg("schema").output().unwrap();
    assert!(out.status.success());
    let sdl = String::from_utf8(out.stdout).unwrap();
    assert!(sdl.contains("type Query"));
    assert!(sdl.contains("scalar Decimal"));
}
