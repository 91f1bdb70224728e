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

/// The binary in an empty directory of its own, with nothing of the test's environment.
fn in_empty_directory() -> (std::path::PathBuf, impl Fn(&[&str]) -> std::process::Output) {
    let dir = std::env::temp_dir().join(format!("ecoplan-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let cwd = dir.clone();
    let run = move |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ecoplan"));
        cmd.env_clear().current_dir(&cwd).env("RUST_LOG", "warn");
        for pair in args.iter().take_while(|a| a.contains('=')) {
            let (k, v) = pair.split_once('=').unwrap();
            cmd.env(k, v);
        }
        cmd.args(args.iter().skip_while(|a| a.contains('='))).output().expect("run ecoplan")
    };
    (dir, run)
}

fn stderr_line(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(stderr.lines().count(), 1, "one error line: {stderr}");
    stderr
}

/// `token issue` run away from the server's database used to create a new database and
/// key, and print a token every server refused: now it creates nothing and says which
/// database it looked at; `migrate` creates the database and the development key.
#[test]
fn token_issue_creates_no_database_and_no_key() {
    let (dir, ecoplan) = in_empty_directory();
    let out = ecoplan(&["token", "issue", "--role", "admin"]);
    assert!(!out.status.success());
    let line = stderr_line(&out);
    assert!(line.starts_with("error: there is no database at ecoplan.db"), "{line}");
    assert!(line.contains(&dir.display().to_string()), "names the directory: {line}");
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none(), "nothing was created");

    let out = ecoplan(&["migrate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("development signing key dev-"));
    let out = ecoplan(&["token", "issue", "--role", "admin"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim().split('.').count(), 3);

    // A database that cannot be opened: one line, its cause said once.
    let out = ecoplan(&["DATABASE_URL=sqlite:///no-such-directory/x.db?mode=rwc", "migrate"]);
    assert!(!out.status.success());
    let line = stderr_line(&out);
    assert_eq!(line.matches("unable to open database file").count(), 1, "{line}");

    // A database of ecoplan's that has no key yet (made by another tool) is not given one.
    std::fs::remove_dir_all(&dir).unwrap();
    let (dir, ecoplan) = in_empty_directory();
    let out = ecoplan(&["DATABASE_URL=sqlite://other.db?mode=rwc", "migrate"]);
    assert!(out.status.success());
    let url = format!("sqlite://{}?mode=rwc", dir.join("other.db").display());
    delete_signing_keys(&url);
    let out = ecoplan(&[&format!("DATABASE_URL={url}"), "token", "issue", "--role", "admin"]);
    assert!(!out.status.success());
    let line = stderr_line(&out);
    assert!(line.contains("has no signing key yet") && line.contains("other.db"), "{line}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Removes the signing keys of an SQLite database.
fn delete_signing_keys(url: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        use sea_orm::ConnectionTrait;
        let conn = sea_orm::Database::connect(url).await.unwrap();
        conn.execute_unprepared("DELETE FROM signing_key").await.unwrap();
        conn.close().await.unwrap();
    });
}

/// A misspelt setting, in the file or the environment, stops the start with the nearest
/// valid name (it used to be ignored: `grapiql = false` left GraphiQL on).
#[test]
fn unknown_settings_are_refused_with_the_nearest_name() {
    let (dir, ecoplan) = in_empty_directory();
    std::fs::write(dir.join("ecoplan.toml"), "grapiql = false\n").unwrap();
    let out = ecoplan(&["migrate"]);
    assert!(!out.status.success());
    let line = stderr_line(&out);
    assert!(line.contains("`grapiql` in ecoplan.toml (did you mean `graphiql`?)"), "{line}");
    std::fs::remove_file(dir.join("ecoplan.toml")).unwrap();
    let out = ecoplan(&["ECOPLAN_MAX_DEPHT=20", "migrate"]);
    assert!(!out.status.success());
    let line = stderr_line(&out);
    assert!(line.contains("ECOPLAN_MAX_DEPHT (did you mean ECOPLAN_MAX_DEPTH?)"), "{line}");
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none(), "nothing was created");
    // The names the README documents are all known.
    let readme = include_str!("../../README.md");
    let documented: Vec<&str> = readme
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("ECOPLAN_") && w.len() > 8 && *w != "ECOPLAN_CONFIG")
        .collect();
    assert!(documented.len() > 40);
    let vars: Vec<String> = documented.iter().map(|v| format!("{v}=")).collect();
    for var in vars.chunks(20) {
        let mut args: Vec<&str> = var.iter().map(String::as_str).collect();
        args.push("check");
        let out = ecoplan(&args);
        assert!(!String::from_utf8_lossy(&out.stderr).contains("unknown setting"), "{var:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
