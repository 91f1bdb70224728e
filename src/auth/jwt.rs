//! Issuing and strictly verifying HS256 tokens.
//!
//! Verification checks, in order: the header's algorithm is on the allow-list (HS256 only),
//! the header has no `jku`, `x5u`, `jwk` or `x5c` (keys are never fetched or taken from a
//! token), the `kid` names a known key, the signature, and the claims `exp`, `nbf` (when
//! present), `iss`, `aud` and `sub` with a small leeway, all of the right JSON types.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::error::{AppError, AuthFailure};

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
    /// The `kid` of the key that signed the token (from its header; not a claim).
    #[serde(skip)]
    pub kid: String,
}

/// A download ticket: a short-lived, single-purpose capability to read one resource (an
/// export with its parameters) as the token that asked for it, for a plain browser link.
/// It is signed with the same keys as tokens but for another audience, so it is never
/// accepted as a bearer token, nor a token as a ticket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ticket {
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The asking token's id: revoking the token revokes its tickets.
    pub jti: String,
    /// The kid of the asking token's key: retiring it retires its tickets.
    pub tkid: String,
    /// The resource: the path and its canonical query, e.g. `/export/values.csv?period=2022`.
    pub res: String,
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

/// Tokens of another system's identity provider, verified with its published keys (JWKS).
pub struct ExternalIdp {
    /// kid → (key, the one algorithm allowed for it: RS256 or ES256).
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    issuer: String,
    audience: String,
    role_claim: String,
    unit_claim: String,
    /// The provider's role names → ecoplan roles (the names ADMIN… map to themselves).
    role_map: HashMap<String, Role>,
}

impl ExternalIdp {
    /// Reads a JWKS; only RSA (RS256) and P-256 (ES256) signing keys with a `kid` are taken.
    pub fn from_jwks(
        jwks: &jsonwebtoken::jwk::JwkSet,
        issuer: &str,
        audience: &str,
        role_claim: &str,
        unit_claim: &str,
        role_map: HashMap<String, Role>,
    ) -> anyhow::Result<ExternalIdp> {
        use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, KeyAlgorithm};
        let mut keys = HashMap::new();
        for jwk in &jwks.keys {
            let Some(kid) = jwk.common.key_id.clone() else { continue };
            let alg = match (&jwk.algorithm, jwk.common.key_algorithm) {
                (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
                (AlgorithmParameters::EllipticCurve(p), None | Some(KeyAlgorithm::ES256))
                    if p.curve == EllipticCurve::P256 =>
                {
                    Algorithm::ES256
                }
                _ => anyhow::bail!("JWKS key {kid}: only RS256 (RSA) and ES256 (P-256) keys are accepted"),
            };
            keys.insert(kid, (DecodingKey::from_jwk(jwk)?, alg));
        }
        if keys.is_empty() {
            anyhow::bail!("the JWKS has no usable key");
        }
        if issuer.is_empty() || audience.is_empty() {
            anyhow::bail!("an identity provider needs its issuer and audience configured");
        }
        Ok(ExternalIdp {
            keys,
            issuer: issuer.into(),
            audience: audience.into(),
            role_claim: role_claim.into(),
            unit_claim: unit_claim.into(),
            role_map,
        })
    }

    fn role_of(&self, value: &serde_json::Value) -> Option<Role> {
        let names: Vec<&str> = match value {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
            _ => vec![],
        };
        let roles: Vec<Role> = names.iter().filter_map(|n| self.role_map.get(*n).copied()).collect();
        // Exactly one ecoplan role, or the token is ambiguous.
        match roles.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    fn verify(&self, token: &str, key: &DecodingKey, alg: Algorithm, leeway: u64) -> Result<Claims, AppError> {
        let mut validation = Validation::new(alg);
        validation.algorithms = vec![alg];
        validation.leeway = leeway;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(token, key, &validation)
            .map_err(decode_error)?;
        let c = data.claims;
        let text = |name: &str| c.get(name).and_then(|v| v.as_str()).map(str::to_string);
        let number = |name: &str| c.get(name).and_then(|v| v.as_i64());
        let role = c
            .get(&self.role_claim)
            .and_then(|v| self.role_of(v))
            .ok_or_else(|| refused(AuthFailure::Malformed, "no ecoplan role in the token"))?;
        let unit = text(&self.unit_claim);
        let claims = Claims {
            sub: text("sub").ok_or_else(|| refused(AuthFailure::Malformed, "malformed claims"))?,
            role,
            unit: if role == Role::Department { unit } else { None },
            jti: text("jti").ok_or_else(|| refused(AuthFailure::Malformed, "missing claim jti"))?,
            iat: number("iat"),
            nbf: number("nbf"),
            exp: number("exp").ok_or_else(|| refused(AuthFailure::Malformed, "missing claim exp"))?,
            iss: text("iss").unwrap_or_default(),
            aud: self.audience.clone(),
            kid: String::new(),
        };
        Ok(claims)
    }
}

/// Signs new tokens with the newest key and verifies tokens signed with any known key, or
/// by the configured identity provider.
pub struct TokenService {
    signing: RwLock<(String, EncodingKey)>,
    verifying: RwLock<HashMap<String, DecodingKey>>,
    validation: Validation,
    external: Option<ExternalIdp>,
    issuer: String,
    audience: String,
}

/// Why a token was refused; shown to the client as an UNAUTHENTICATED message.
fn refused(class: AuthFailure, reason: &str) -> AppError {
    AppError::Unauthenticated(class, format!("invalid token: {reason}"))
}

fn decode_error(e: jsonwebtoken::errors::Error) -> AppError {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => refused(AuthFailure::Expired, "expired"),
        ErrorKind::ImmatureSignature => refused(AuthFailure::NotYetValid, "not yet valid"),
        ErrorKind::InvalidSignature => refused(AuthFailure::BadSignature, "bad signature"),
        ErrorKind::InvalidIssuer => refused(AuthFailure::WrongIssuer, "wrong issuer"),
        ErrorKind::InvalidAudience => refused(AuthFailure::WrongAudience, "wrong audience"),
        ErrorKind::MissingRequiredClaim(c) => refused(AuthFailure::Malformed, &format!("missing claim {c}")),
        _ => refused(AuthFailure::Malformed, "malformed claims"),
    }
}

/// The key maps of a key set.
fn key_maps(keys: &[HmacKey]) -> anyhow::Result<((String, EncodingKey), HashMap<String, DecodingKey>)> {
    let Some(newest) = keys.last() else {
        anyhow::bail!("no signing key is configured");
    };
    let signing = (newest.kid.clone(), EncodingKey::from_secret(&newest.secret)?);
    let mut verifying = HashMap::new();
    for k in keys {
        verifying.insert(k.kid.clone(), DecodingKey::from_secret(&k.secret)?);
    }
    Ok((signing, verifying))
}

impl TokenService {
    /// `keys` must be non-empty; the last one signs.
    pub fn new(
        keys: Vec<HmacKey>,
        issuer: &str,
        audience: &str,
        leeway: Duration,
        external: Option<ExternalIdp>,
    ) -> anyhow::Result<TokenService> {
        let (signing, verifying) = key_maps(&keys)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = leeway.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        Ok(TokenService {
            signing: RwLock::new(signing),
            verifying: RwLock::new(verifying),
            validation,
            external,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
        })
    }

    /// Replaces the HMAC keys (after a rotation or a retirement elsewhere).
    pub fn replace_keys(&self, keys: &[HmacKey]) -> anyhow::Result<()> {
        let (signing, verifying) = key_maps(keys)?;
        *self.signing.write().map_err(|_| anyhow::anyhow!("key lock poisoned"))? = signing;
        *self.verifying.write().map_err(|_| anyhow::anyhow!("key lock poisoned"))? = verifying;
        Ok(())
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
            kid: String::new(),
        };
        let signing = self.signing.read().map_err(|_| AppError::Unexpected(anyhow::anyhow!("key lock poisoned")))?;
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(signing.0.clone());
        let token = jsonwebtoken::encode(&header, &claims, &signing.1)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cannot sign token: {e}")))?;
        let claims = Claims { kid: signing.0.clone(), ..claims };
        Ok((token, claims))
    }

    /// The audience of download tickets.
    fn ticket_audience(&self) -> String {
        format!("{}#download", self.audience)
    }

    /// Signs a ticket for `resource`, as `claims`, valid for `ttl` (never beyond the token).
    pub fn sign_ticket(&self, claims: &Claims, resource: &str, ttl: Duration) -> Result<(String, i64), AppError> {
        let ttl = i64::try_from(ttl.as_secs()).map_err(|_| AppError::validation("ttl is too long"))?;
        let exp = (Utc::now().timestamp() + ttl).min(claims.exp);
        let ticket = Ticket {
            sub: claims.sub.clone(),
            role: claims.role,
            unit: claims.unit.clone(),
            jti: claims.jti.clone(),
            tkid: claims.kid.clone(),
            res: resource.to_string(),
            exp,
            iss: self.issuer.clone(),
            aud: self.ticket_audience(),
        };
        let signing = self.signing.read().map_err(|_| AppError::Unexpected(anyhow::anyhow!("key lock poisoned")))?;
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(signing.0.clone());
        let signed = jsonwebtoken::encode(&header, &ticket, &signing.1)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cannot sign ticket: {e}")))?;
        Ok((signed, exp))
    }

    /// Verifies a ticket's signature, audience and expiry (no leeway: tickets live a minute)
    /// and returns the claims of the token that asked for it, bound to the ticket's resource.
    pub fn verify_ticket(&self, ticket: &str) -> Result<Ticket, AppError> {
        let header =
            jsonwebtoken::decode_header(ticket).map_err(|_| refused(AuthFailure::Malformed, "malformed ticket"))?;
        if header.alg != Algorithm::HS256 || header.jku.is_some() || header.jwk.is_some() || header.crit.is_some() {
            return Err(refused(AuthFailure::NotAccepted, "ticket header not accepted"));
        }
        let kid = header.kid.ok_or_else(|| refused(AuthFailure::Malformed, "no key id"))?;
        let verifying =
            self.verifying.read().map_err(|_| AppError::Unexpected(anyhow::anyhow!("key lock poisoned")))?;
        let key = verifying.get(&kid).ok_or_else(|| refused(AuthFailure::UnknownKey, "unknown key id"))?;
        let mut validation = self.validation.clone();
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_audience(&[self.ticket_audience()]);
        let ticket = jsonwebtoken::decode::<Ticket>(ticket, key, &validation).map_err(decode_error)?.claims;
        Ok(ticket)
    }

    /// The key id new tokens are signed with.
    pub fn signing_kid(&self) -> String {
        self.signing.read().map(|s| s.0.clone()).unwrap_or_default()
    }

    /// The `kid` of a token whose key is unknown here (a rotation this instance has not
    /// seen yet), so the caller can reload keys and try again.
    pub fn unknown_kid(&self, token: &str) -> Option<String> {
        let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
        let known = self.verifying.read().map(|v| v.contains_key(&kid)).unwrap_or(false)
            || self.external.as_ref().is_some_and(|x| x.keys.contains_key(&kid));
        (!known).then_some(kid)
    }

    /// Verifies signature and claims; says nothing about revocation or the unit's existence,
    /// which need the database.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| refused(AuthFailure::Malformed, "malformed token"))?;
        if header.jku.is_some() || header.x5u.is_some() || header.jwk.is_some() || header.x5c.is_some() {
            return Err(refused(AuthFailure::NotAccepted, "key references in the header are not accepted"));
        }
        if header.crit.is_some() {
            return Err(refused(AuthFailure::NotAccepted, "critical header extensions are not supported"));
        }
        let kid = header.kid.ok_or_else(|| refused(AuthFailure::Malformed, "no key id"))?;
        let mut claims = if let Some((key, alg)) = self.external.as_ref().and_then(|x| x.keys.get(&kid)) {
            if header.alg != *alg {
                return Err(refused(AuthFailure::NotAccepted, "algorithm not allowed"));
            }
            let idp = self.external.as_ref().ok_or_else(|| refused(AuthFailure::UnknownKey, "unknown key id"))?;
            idp.verify(token, key, *alg, self.validation.leeway)?
        } else {
            if !self.validation.algorithms.contains(&header.alg) {
                return Err(refused(AuthFailure::NotAccepted, "algorithm not allowed"));
            }
            let verifying =
                self.verifying.read().map_err(|_| AppError::Unexpected(anyhow::anyhow!("key lock poisoned")))?;
            let key = verifying.get(&kid).ok_or_else(|| refused(AuthFailure::UnknownKey, "unknown key id"))?;
            jsonwebtoken::decode::<Claims>(token, key, &self.validation).map_err(decode_error)?.claims
        };
        claims.kid = kid;
        if claims.sub.trim().is_empty() || claims.jti.trim().is_empty() {
            return Err(refused(AuthFailure::Malformed, "empty sub or jti"));
        }
        match (claims.role, &claims.unit) {
            (Role::Department, None) => {
                return Err(refused(AuthFailure::Malformed, "a department token must name its unit"))
            }
            (Role::Department, Some(_)) => {}
            (_, Some(_)) => return Err(refused(AuthFailure::Malformed, "only department tokens name a unit")),
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
            None,
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
        assert!(matches!(b.verify(&token), Err(AppError::Unauthenticated(..))));
    }

    #[test]
    fn empty_secrets_are_refused() {
        assert!(TokenService::new(
            vec![HmacKey { kid: "k".into(), secret: vec![] }],
            "i",
            "a",
            Duration::from_secs(1),
            None
        )
        .is_err());
    }
}
