//! Where signing keys come from, and their rotation.
//!
//! The master secret is `ECOPLAN_JWT_SECRET` (or `ECOPLAN_JWT_SECRET_FILE`), at least 32
//! bytes in production, where the service refuses to start without it. In development, when
//! none is configured, a random master key is created once and kept in the database's
//! `signing_key` table, so that `ecoplan token issue` and `ecoplan serve` agree with no setup.
//!
//! Rotation (`ecoplan keys rotate`) adds a key with a new `kid`. The database keeps only its
//! salt: the key itself is HMAC-SHA256(master, kid and salt), so every instance holding the
//! master derives it, and a copy of the database alone cannot sign tokens. New tokens are
//! signed with the newest key; tokens signed with older keys stay valid until they expire
//! (or until their key is retired). Instances load a kid they do not know from the database
//! when a token names it, and reload all keys every minute. Rotating and retiring keys are
//! audited writes, in `service::keys`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use base64::Engine;
use entity::signing_key;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use sha2::Sha256;

use crate::auth::jwt::{ExternalIdp, HmacKey, TokenService};
use crate::auth::Role;
use crate::config::Settings;
use crate::db::Db;

/// Shortest secret accepted in production.
pub const MIN_SECRET_BYTES: usize = 32;

/// `signing_key.algorithm` of the development master key.
const DEV_MASTER: &str = "HS256";
/// `signing_key.algorithm` of rotated keys (the row holds the salt).
pub(crate) const DERIVED: &str = "HS256-DERIVED";

pub(crate) fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Whether a missing development key is created (by the server and `migrate`) or refused
/// (by `token issue`, whose token would otherwise be signed by a key no server knows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingKey {
    Create,
    Refuse,
}

/// The master secret and the kid of tokens signed with it directly.
async fn master(settings: &Settings, db: &Db, missing: MissingKey) -> anyhow::Result<HmacKey> {
    match settings.configured_jwt_secret()? {
        Some(secret) => {
            let secret = crate::config::secret_bytes(&secret);
            if secret.is_empty() {
                bail!("ECOPLAN_JWT_SECRET is empty");
            }
            if settings.is_production() && secret.len() < MIN_SECRET_BYTES {
                bail!("ECOPLAN_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes in production");
            }
            Ok(HmacKey { kid: settings.tokens.kid.clone(), secret })
        }
        None if settings.is_production() => {
            bail!("ECOPLAN_JWT_SECRET (or ECOPLAN_JWT_SECRET_FILE) must be set in production")
        }
        None => development_master(db, missing).await,
    }
}

/// The development master key kept in the database, created on first use.
async fn development_master(db: &Db, missing: MissingKey) -> anyhow::Result<HmacKey> {
    let find = || async {
        signing_key::Entity::find()
            .filter(signing_key::Column::Algorithm.eq(DEV_MASTER))
            .order_by_asc(signing_key::Column::CreatedAt)
            .order_by_asc(signing_key::Column::Kid)
            .one(&db.conn)
            .await
    };
    let row = match find().await.context("cannot read signing keys")? {
        Some(row) => row,
        None if missing == MissingKey::Refuse => bail!(
            "the database {} has no signing key yet: run `ecoplan migrate` (or start `ecoplan serve`) on it first, or set \
             ECOPLAN_JWT_SECRET as the server does",
            crate::db::redact(&db.url)
        ),
        None => {
            let mut secret = [0u8; 32];
            rand::rng().fill_bytes(&mut secret);
            signing_key::ActiveModel {
                kid: Set(format!("dev-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])),
                algorithm: Set(DEV_MASTER.into()),
                secret: Set(b64().encode(secret)),
                created_at: Set(crate::clock::now()),
                retired_at: Set(None),
            }
            .insert(&db.conn)
            .await
            .context("cannot store the development signing key")?;
            tracing::info!("created a development signing key; set ECOPLAN_JWT_SECRET in production");
            find().await.context("cannot read signing keys")?.context("the development key vanished")?
        }
    };
    let secret = b64().decode(&row.secret).with_context(|| format!("signing key {} is not valid base64", row.kid))?;
    Ok(HmacKey { kid: row.kid, secret })
}

fn derive(master: &[u8], kid: &str, salt: &str) -> anyhow::Result<Vec<u8>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(master).map_err(|e| anyhow::anyhow!("master key: {e}"))?;
    mac.update(format!("ecoplan-jwt-key|{kid}|{salt}").as_bytes());
    Ok(mac.finalize().into_bytes().to_vec())
}

/// Every usable HMAC key, oldest first: the master, then the rotated keys not retired.
pub async fn hmac_keys(settings: &Settings, db: &Db, missing: MissingKey) -> anyhow::Result<Vec<HmacKey>> {
    let master = master(settings, db, missing).await?;
    let rotated = signing_key::Entity::find()
        .filter(signing_key::Column::Algorithm.eq(DERIVED))
        .filter(signing_key::Column::RetiredAt.is_null())
        .order_by_asc(signing_key::Column::CreatedAt)
        .order_by_asc(signing_key::Column::Kid)
        .all(&db.conn)
        .await
        .context("cannot read signing keys")?;
    let mut keys = Vec::with_capacity(rotated.len() + 1);
    for row in rotated {
        keys.push(HmacKey { secret: derive(&master.secret, &row.kid, &row.secret)?, kid: row.kid });
    }
    keys.insert(0, master);
    Ok(keys)
}

fn external_idp(settings: &Settings) -> anyhow::Result<Option<ExternalIdp>> {
    let Some(path) = &settings.tokens.jwks.file else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read ECOPLAN_JWKS_FILE {path}"))?;
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_str(&text).with_context(|| format!("{path} is not a JSON Web Key Set"))?;
    let mut role_map: HashMap<String, Role> = [Role::Admin, Role::Assessor, Role::Department, Role::Integration]
        .iter()
        .map(|r| (r.as_str().to_string(), *r))
        .collect();
    role_map.extend(settings.tokens.jwks.role_map.iter().cloned());
    ExternalIdp::from_jwks(
        &jwks,
        &settings.tokens.jwks.issuer,
        &settings.tokens.jwks.audience,
        &settings.tokens.jwks.role_claim,
        &settings.tokens.jwks.unit_claim,
        role_map,
    )
    .map(Some)
}

/// Creates the development signing key if this deployment uses one (no configured secret,
/// not production) and returns its kid; `None` when tokens are signed with a configured
/// secret.
pub async fn ensure_development_key(settings: &Settings, db: &Db) -> anyhow::Result<Option<String>> {
    if settings.is_production() || settings.configured_jwt_secret()?.is_some() {
        return Ok(None);
    }
    Ok(Some(development_master(db, MissingKey::Create).await?.kid))
}

/// Builds the token service from configuration and the database.
pub async fn token_service(settings: &Settings, db: &Db, missing: MissingKey) -> anyhow::Result<TokenService> {
    TokenService::new(
        hmac_keys(settings, db, missing).await?,
        &settings.tokens.issuer,
        &settings.tokens.audience,
        Duration::from_secs(settings.tokens.leeway_seconds),
        external_idp(settings)?,
    )
}

/// Reloads the keys of a running service, at most once per `min_interval`.
pub struct KeyRefresher {
    last: tokio::sync::Mutex<Option<Instant>>,
    min_interval: Duration,
}

impl KeyRefresher {
    pub fn new(min_interval: Duration) -> KeyRefresher {
        KeyRefresher { last: tokio::sync::Mutex::new(None), min_interval }
    }

    /// Reloads unless it did so recently; returns whether it reloaded.
    pub async fn refresh(&self, settings: &Settings, db: &Db, tokens: &TokenService) -> anyhow::Result<bool> {
        let mut last = self.last.lock().await;
        if last.is_some_and(|t| t.elapsed() < self.min_interval) {
            return Ok(false);
        }
        *last = Some(Instant::now());
        tokens.replace_keys(&hmac_keys(settings, db, MissingKey::Create).await?)?;
        Ok(true)
    }
}
