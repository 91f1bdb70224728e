//! Issuing and strictly verifying HS256 tokens.
//!
//! Verification checks, in order: the header's algorithm is on the allow-list (HS256 only),
//! the header has no `jku`, `x5u`, `jwk` or `x5c` (keys are never fetched or taken from a
//! token), the `kid` names a known key, the signature, and the claims `exp`, `nbf` (when
//! present), `iss`, `aud` and `sub` with a small leeway, all of the right JSON types.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::error::AppError;

/// The claims of an ecoplan token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

impl Claims {
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        Utc.timestamp_opt(self.exp, 0).single()
    }
}

/// One HMAC key.
pub struct HmacKey {
    pub kid: String,
    pub secret: Vec<u8>,
}

/// Signs new tokens with the newest key and verifies tokens signed with any known key.
pub struct TokenService {
    signing: (String, EncodingKey),
    verifying: HashMap<String, DecodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
}

/// Why a token was refused; shown to the client as an UNAUTHENTICATED message.
fn refused(reason: &str) -> AppError {
    AppError::Unauthenticated(format!("invalid token: {reason}"))
}

impl TokenService {
    /// `keys` must be non-empty; the last one signs.
    pub fn new(keys: Vec<HmacKey>, issuer: &str, audience: &str, leeway: Duration) -> anyhow::Result<TokenService> {
        let Some(newest) = keys.last() else {
            anyhow::bail!("no signing key is configured");
        };
        let signing = (newest.kid.clone(), EncodingKey::from_secret(&newest.secret)?);
        let mut verifying = HashMap::new();
        for k in &keys {
            verifying.insert(k.kid.clone(), DecodingKey::from_secret(&k.secret)?);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = leeway.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        Ok(TokenService { signing, verifying, validation, issuer: issuer.to_string(), audience: audience.to_string() })
    }

    /// Signs a token for `role` (and `unit` for departments) valid for `ttl`.
    pub fn issue(
        &self,
        subject: &str,
        role: Role,
        unit: Option<&str>,
        ttl: Duration,
    ) -> Result<(String, Claims), AppError> {
        let now = Utc::now().timestamp();
        let ttl = i64::try_from(ttl.as_secs()).map_err(|_| AppError::validation("ttl is too long"))?;
        let claims = Claims {
            sub: subject.to_string(),
            role,
            unit: unit.map(str::to_string),
            jti: uuid::Uuid::new_v4().to_string(),
            iat: Some(now),
            nbf: Some(now),
            exp: now + ttl,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing.0.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.signing.1)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cannot sign token: {e}")))?;
        Ok((token, claims))
    }

    /// The key id new tokens are signed with.
    pub fn signing_kid(&self) -> &str {
        &self.signing.0
    }

    /// Verifies signature and claims; says nothing about revocation or the unit's existence,
    /// which need the database.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| refused("malformed token"))?;
        if !self.validation.algorithms.contains(&header.alg) {
            return Err(refused("algorithm not allowed"));
        }
        if header.jku.is_some() || header.x5u.is_some() || header.jwk.is_some() || header.x5c.is_some() {
            return Err(refused("key references in the header are not accepted"));
        }
        if header.crit.is_some() {
            return Err(refused("critical header extensions are not supported"));
        }
        let kid = header.kid.ok_or_else(|| refused("no key id"))?;
        let key = self.verifying.get(&kid).ok_or_else(|| refused("unknown key id"))?;
        let data = jsonwebtoken::decode::<Claims>(token, key, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => refused("expired"),
                ErrorKind::ImmatureSignature => refused("not yet valid"),
                ErrorKind::InvalidSignature => refused("bad signature"),
                ErrorKind::InvalidIssuer => refused("wrong issuer"),
                ErrorKind::InvalidAudience => refused("wrong audience"),
                ErrorKind::MissingRequiredClaim(c) => refused(&format!("missing claim {c}")),
                _ => refused("malformed claims"),
            }
        })?;
        let claims = data.claims;
        if claims.sub.trim().is_empty() || claims.jti.trim().is_empty() {
            return Err(refused("empty sub or jti"));
        }
        match (claims.role, &claims.unit) {
            (Role::Department, None) => return Err(refused("a department token must name its unit")),
            (Role::Department, Some(_)) => {}
            (_, Some(_)) => return Err(refused("only department tokens name a unit")),
            (_, None) => {}
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(secret: &[u8]) -> TokenService {
        TokenService::new(
            vec![HmacKey { kid: "k1".into(), secret: secret.to_vec() }],
            "ecoplan",
            "ecoplan-api",
            Duration::from_secs(5),
        )
        .unwrap()
    }

    #[test]
    fn issued_tokens_verify() {
        let s = service(b"0123456789abcdef0123456789abcdef");
        let (token, claims) = s.issue("admin", Role::Admin, None, Duration::from_secs(60)).unwrap();
        let back = s.verify(&token).unwrap();
        assert_eq!(back.jti, claims.jti);
        assert_eq!(back.role, Role::Admin);
    }

    #[test]
    fn a_token_from_another_key_is_refused() {
        let a = service(b"0123456789abcdef0123456789abcdef");
        let b = service(b"fedcba9876543210fedcba9876543210");
        let (token, _) = a.issue("admin", Role::Admin, None, Duration::from_secs(60)).unwrap();
        assert!(matches!(b.verify(&token), Err(AppError::Unauthenticated(_))));
    }

    #[test]
    fn empty_secrets_are_refused() {
        assert!(TokenService::new(vec![HmacKey { kid: "k".into(), secret: vec![] }], "i", "a", Duration::from_secs(1))
            .is_err());
    }
}
