//! Authentication: every malformed, forged, expired or revoked token is UNAUTHENTICATED
//! with no data, and production refuses to start without a proper secret.

use base64::Engine;
use chrono::Utc;
use ecoplan::auth::Identity;
use ecoplan::config::Environment;
use ecoplan::service::{tokens, Actor};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp, TEST_KID, TEST_SECRET};

const QUERY: &str = "{ me { role } tasks { totalCount } }";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Valid claims for an admin, as JSON so tests can break them.
fn claims() -> Value {
    let now = Utc::now().timestamp();
    json!({
        "sub": "tester", "role": "ADMIN", "jti": uuid::Uuid::new_v4().to_string(),
        "iat": now, "nbf": now, "exp": now + 600, "iss": "ecoplan", "aud": "ecoplan-api"
    })
}

fn sign_with(header: Header, claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret).unwrap()).unwrap()
}

fn hs256(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(TEST_KID.into());
    sign_with(header, claims, TEST_SECRET.as_bytes())
}

/// Asserts 401, UNAUTHENTICATED and no data.
async fn assert_refused(app: &TestApp, token: Option<&str>, case: &str) {
    let (status, body) = app.post_graphql(QUERY, json!({}), token).await;
    assert_eq!(status, 401, "{case}: {body}");
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{case}: {body}");
    assert!(body.get("data").is_none() || body["data"].is_null(), "{case}: {body}");
}

#[tokio::test]
async fn a_valid_token_is_accepted() {
    let app = spawn_app().await;
    let data = app.data(QUERY, json!({}), &hs256(&claims())).await;
    assert_eq!(data["me"]["role"], "ADMIN");
}

#[tokio::test]
async fn missing_and_malformed_authorization_is_refused() {
    let app = spawn_app().await;
    assert_refused(&app, None, "no token").await;
    for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "Bearer a b", "bearer not.a.jwt"] {
        let resp = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .header("authorization", header)
            .body(json!({ "query": QUERY }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{header}");
        assert!(resp.headers().get("www-authenticate").is_some());
        let body: Value = resp.json().await.unwrap();
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{header}");
    }
}

#[tokio::test]
async fn the_jwt_attack_suite_is_refused() {
    let app = spawn_app().await;
    let now = Utc::now().timestamp();

    // alg: none, unsigned.
    let none =
        format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT","kid":"test"}"#), b64(claims().to_string().as_bytes()));
    assert_refused(&app, Some(&none), "alg none").await;

    // HS256 with another key.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(TEST_KID.into());
    let other = sign_with(header, &claims(), b"another-secret-another-secret-1234567");
    assert_refused(&app, Some(&other), "other key").await;

    // An RS256 token presented to the HS256 verifier.
    let der = base64::engine::general_purpose::STANDARD
        .decode(include_str!("fixtures/rsa_private_pkcs1.der.b64").trim())
        .unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(TEST_KID.into());
    let rs = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_rsa_der(&der)).unwrap();
    assert_refused(&app, Some(&rs), "RS256").await;

    // HS512 with the right secret: the algorithm is outside the allow-list.
    let mut header = Header::new(Algorithm::HS512);
    header.kid = Some(TEST_KID.into());
    let hs512 = sign_with(header, &claims(), TEST_SECRET.as_bytes());
    assert_refused(&app, Some(&hs512), "HS512").await;

    // Time claims.
    let mut c = claims();
    c["exp"] = json!(now - 120);
    assert_refused(&app, Some(&hs256(&c)), "expired").await;
    let mut c = claims();
    c["nbf"] = json!(now + 600);
    assert_refused(&app, Some(&hs256(&c)), "not yet valid").await;
    let mut c = claims();
    c["exp"] = json!((now + 600).to_string());
    assert_refused(&app, Some(&hs256(&c)), "exp as string").await;
    let mut c = claims();
    c["nbf"] = json!(now.to_string());
    assert_refused(&app, Some(&hs256(&c)), "nbf as string").await;

    // Required claims.
    for missing in ["exp", "sub", "iss", "aud", "jti", "role"] {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(missing);
        assert_refused(&app, Some(&hs256(&c)), &format!("missing {missing}")).await;
    }
    let mut c = claims();
    c["iss"] = json!("someone-else");
    assert_refused(&app, Some(&hs256(&c)), "wrong iss").await;
    let mut c = claims();
    c["aud"] = json!("another-api");
    assert_refused(&app, Some(&hs256(&c)), "wrong aud").await;
    let mut c = claims();
    c["sub"] = json!(42);
    assert_refused(&app, Some(&hs256(&c)), "sub as number").await;

    // Key ids and key references.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("unknown-kid".into());
    assert_refused(&app, Some(&sign_with(header, &claims(), TEST_SECRET.as_bytes())), "unknown kid").await;
    let header = Header::new(Algorithm::HS256);
    assert_refused(&app, Some(&sign_with(header, &claims(), TEST_SECRET.as_bytes())), "no kid").await;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(TEST_KID.into());
    header.jku = Some("http://127.0.0.1:1/jwks.json".into());
    assert_refused(&app, Some(&sign_with(header, &claims(), TEST_SECRET.as_bytes())), "jku").await;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(TEST_KID.into());
    header.x5u = Some("http://127.0.0.1:1/cert.pem".into());
    assert_refused(&app, Some(&sign_with(header, &claims(), TEST_SECRET.as_bytes())), "x5u").await;

    // A role edited after signing.
    let mut c = claims();
    c["role"] = json!("DEPARTMENT");
    c["unit"] = json!("water_resources_bureau");
    let token = hs256(&c);
    let parts: Vec<&str> = token.split('.').collect();
    let mut edited = c.clone();
    edited["role"] = json!("ADMIN");
    edited.as_object_mut().unwrap().remove("unit");
    let forged = format!("{}.{}.{}", parts[0], b64(edited.to_string().as_bytes()), parts[2]);
    assert_refused(&app, Some(&forged), "edited role").await;

    // A department token whose unit names no unit, or no unit at all, or a group.
    let mut c = claims();
    c["role"] = json!("DEPARTMENT");
    c["unit"] = json!("no_such_unit");
    assert_refused(&app, Some(&hs256(&c)), "unknown unit").await;
    c.as_object_mut().unwrap().remove("unit");
    assert_refused(&app, Some(&hs256(&c)), "department without unit").await;
    c["unit"] = json!("township_governments");
    assert_refused(&app, Some(&hs256(&c)), "group unit").await;
    let mut c = claims();
    c["role"] = json!("SUPERUSER");
    assert_refused(&app, Some(&hs256(&c)), "unknown role").await;
}

#[tokio::test]
async fn a_revoked_token_is_refused() {
    let app = spawn_app().await;
    let token = app.admin().await;
    let data = app.data("{ me { tokenId } }", json!({}), &token).await;
    let jti = data["me"]["tokenId"].as_str().unwrap().to_string();
    let cli = Identity::command_line();
    let newly =
        tokens::revoke(&app.db, Actor { identity: &cli, request_id: "t" }, &jti, Some("lost laptop")).await.unwrap();
    assert!(newly);
    assert_refused(&app, Some(&token), "revoked").await;
    // Revoking again changes nothing and records nothing.
    let events = app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'token.revoke'").await;
    assert!(!tokens::revoke(&app.db, Actor { identity: &cli, request_id: "t" }, &jti, None).await.unwrap());
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'token.revoke'").await, events);
}

#[tokio::test]
async fn production_refuses_to_start_without_a_proper_secret() {
    for secret in [None, Some(String::new()), Some("too-short".to_string())] {
        let (url, _file) = crate::helpers::fresh_database().await;
        let settings = ecoplan::config::RawSettings {
            env: Environment::Production,
            bind: "127.0.0.1:0".into(),
            database_url: url,
            jwt_secret: secret.clone(),
            ..Default::default()
        }
        .into_settings()
        .unwrap();
        let result = ecoplan::startup::Application::build(settings).await;
        let err = result.err().unwrap_or_else(|| panic!("started with secret {secret:?}"));
        assert!(err.to_string().contains("ECOPLAN_JWT_SECRET"), "{err}");
    }
}
