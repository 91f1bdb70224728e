//! Signing keys: rotation without breaking older tokens, retirement, and tokens of an
//! external identity provider verified with its JWKS (RS256 and ES256) under the same
//! strict rules.

use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::{error_code, run_cli, spawn_app, spawn_app_with, TestApp, TEST_KID, TEST_SECRET};

fn ecoplan(app: &TestApp, args: &[&str]) -> String {
    let out = run_cli(&app.database_url, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

#[tokio::test]
async fn rotation_keeps_older_tokens_valid_and_retirement_ends_a_key() {
    // The default reload interval (a minute): a retirement must not wait for it.
    let app = spawn_app().await;
    let before = ecoplan(&app, &["token", "issue", "--role", "admin"]);
    assert_eq!(kid_of(&before), TEST_KID);
    let new_kid = ecoplan(&app, &["keys", "rotate"]);
    assert!(new_kid.starts_with('k'), "{new_kid}");
    let after = ecoplan(&app, &["token", "issue", "--role", "assessor"]);
    assert_eq!(kid_of(&after), new_kid, "new tokens are signed with the newest key");
    // The running instance learns the new key when a token names it; the old token still works.
    assert_eq!(app.data("{ me { role } }", json!({}), &after).await["me"]["role"], "ASSESSOR");
    assert_eq!(app.data("{ me { role } }", json!({}), &before).await["me"]["role"], "ADMIN");
    let listed = ecoplan(&app, &["keys", "list"]);
    assert!(listed.contains(&new_kid) && listed.contains("active"), "{listed}");
    assert!(!listed.contains(TEST_SECRET));
    // Retired: refused at once, over HTTP and on a socket opened before the retirement.
    let mut socket = crate::helpers::ws::open(&app, &after).await;
    ecoplan(&app, &["keys", "retire", &new_kid]);
    let (status, body) = app.post_graphql("{ me { role } }", json!({}), Some(&after)).await;
    assert_eq!(status, 401, "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("retired"), "{body}");
    let answer = crate::helpers::ws::execute(&mut socket, "1", json!({ "query": "{ me { role } }" })).await;
    assert_eq!(answer, Err(json!({ "closed": 4403 })));
    assert_eq!(app.data("{ me { role } }", json!({}), &before).await["me"]["role"], "ADMIN");
    let events = app
        .count("SELECT COUNT(*) FROM audit_event WHERE action IN ('signing_key.rotate', 'signing_key.retire')")
        .await;
    assert_eq!(events, 2);
}

const ISSUER: &str = "https://idp.qinshui.gov.cn";

fn rsa_key() -> EncodingKey {
    let der = base64::engine::general_purpose::STANDARD
        .decode(include_str!("fixtures/rsa_private_pkcs1.der.b64").trim())
        .unwrap();
    EncodingKey::from_rsa_der(&der)
}

fn ec_key() -> EncodingKey {
    let der = base64::engine::general_purpose::STANDARD
        .decode(include_str!("fixtures/ec_p256_pkcs8.der.b64").trim())
        .unwrap();
    EncodingKey::from_ec_der(&der)
}

fn idp_claims(role: Value) -> Value {
    let now = Utc::now().timestamp();
    json!({ "sub": "zhang.san", "jti": uuid::Uuid::new_v4().to_string(), "iat": now, "nbf": now, "exp": now + 600,
            "iss": ISSUER, "aud": "ecoplan", "groups": role, "org": "water_resources_bureau" })
}

fn sign(alg: Algorithm, kid: &str, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

#[tokio::test]
async fn tokens_of_an_identity_provider_are_verified_with_its_jwks() {
    let jwks = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/fixtures/idp-jwks.json");
    let app = spawn_app_with(|s| {
        s.tokens.jwks.file = Some(jwks.into());
        s.tokens.jwks.issuer = ISSUER.into();
        s.tokens.jwks.audience = "ecoplan".into();
        s.tokens.jwks.role_claim = "groups".into();
        s.tokens.jwks.unit_claim = "org".into();
        s.tokens.jwks.role_map =
            ecoplan::config::parse_role_map("city-platform=INTEGRATION,water-staff=DEPARTMENT").unwrap();
    })
    .await;
    let rs = sign(Algorithm::RS256, "idp-rsa-1", &idp_claims(json!(["staff", "city-platform"])), &rsa_key());
    let data = app.data("{ me { role subject } tasks { totalCount } }", json!({}), &rs).await;
    assert_eq!(data["me"], json!({ "role": "INTEGRATION", "subject": "zhang.san" }));
    assert_eq!(data["tasks"]["totalCount"], 29);
    let es = sign(Algorithm::ES256, "idp-ec-1", &idp_claims(json!("water-staff")), &ec_key());
    let data = app.data("{ me { role unit { code } } tasks { totalCount } }", json!({}), &es).await;
    assert_eq!(data["me"]["unit"]["code"], "water_resources_bureau");
    assert_eq!(data["tasks"]["totalCount"], 3);
    // Our own HS256 tokens keep working beside the provider's.
    assert_eq!(app.data("{ me { role } }", json!({}), &app.admin().await).await["me"]["role"], "ADMIN");

    let refused = |token: String, case: &'static str| {
        let app = &app;
        async move {
            let (status, body) = app.post_graphql("{ me { role } }", json!({}), Some(&token)).await;
            assert_eq!(status, 401, "{case}: {body}");
            assert_eq!(error_code(&body), "UNAUTHENTICATED", "{case}");
        }
    };
    let mut c = idp_claims(json!("city-platform"));
    c["iss"] = json!("https://other-idp.example");
    refused(sign(Algorithm::RS256, "idp-rsa-1", &c, &rsa_key()), "wrong issuer").await;
    let mut c = idp_claims(json!("city-platform"));
    c["exp"] = json!(Utc::now().timestamp() - 120);
    refused(sign(Algorithm::RS256, "idp-rsa-1", &c, &rsa_key()), "expired").await;
    let mut c = idp_claims(json!("city-platform"));
    c.as_object_mut().unwrap().remove("jti");
    refused(sign(Algorithm::RS256, "idp-rsa-1", &c, &rsa_key()), "no jti").await;
    refused(sign(Algorithm::RS256, "idp-rsa-1", &idp_claims(json!("visitor")), &rsa_key()), "no ecoplan role").await;
    refused(
        sign(Algorithm::RS256, "idp-rsa-1", &idp_claims(json!(["city-platform", "water-staff"])), &rsa_key()),
        "two roles",
    )
    .await;
    // The key's algorithm only: ES256 under the RSA kid, and the HS256 "public key as secret" trick.
    refused(sign(Algorithm::ES256, "idp-rsa-1", &idp_claims(json!("city-platform")), &ec_key()), "alg mismatch").await;
    let jwks_text = std::fs::read_to_string(jwks).unwrap();
    let hs = sign(
        Algorithm::HS256,
        "idp-rsa-1",
        &idp_claims(json!("city-platform")),
        &EncodingKey::from_secret(jwks_text.as_bytes()).unwrap(),
    );
    refused(hs, "HS256 with a public key").await;
    refused(sign(Algorithm::RS256, "unknown-kid", &idp_claims(json!("city-platform")), &rsa_key()), "unknown kid")
        .await;
}
