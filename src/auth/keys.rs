//! Where signing keys come from.
//!
//! Production: `ECOPLAN_JWT_SECRET` (or `ECOPLAN_JWT_SECRET_FILE`), at least 32 bytes;
//! without it the service refuses to start. Development: when no secret is configured, a
//! random key is created once and kept in the database's `signing_key` table, so that
//! `ecoplan token issue` and `ecoplan serve` on the same database agree with no setup.

use anyhow::{bail, Context};
use base64::Engine;
use chrono::Utc;
use entity::signing_key;
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::auth::jwt::{HmacKey, TokenService};
use crate::config::Settings;
use crate::db::Db;

/// Shortest secret accepted in production.
pub const MIN_SECRET_BYTES: usize = 32;

/// Builds the token service from configuration (and, in development, the database).
pub async fn token_service(settings: &Settings, db: &Db) -> anyhow::Result<TokenService> {
    let keys = match settings.configured_jwt_secret()? {
        Some(secret) => {
            if secret.is_empty() {
                bail!("ECOPLAN_JWT_SECRET is empty");
            }
            if settings.is_production() && secret.len() < MIN_SECRET_BYTES {
                bail!("ECOPLAN_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes in production");
            }
            vec![HmacKey { kid: settings.jwt_kid.clone(), secret: secret.into_bytes() }]
        }
        None if settings.is_production() => {
            bail!("ECOPLAN_JWT_SECRET (or ECOPLAN_JWT_SECRET_FILE) must be set in production")
        }
        None => development_keys(db).await?,
    };
    TokenService::new(
        keys,
        &settings.jwt_issuer,
        &settings.jwt_audience,
        std::time::Duration::from_secs(settings.jwt_leeway_seconds),
    )
}

/// The development keys kept in the database, creating the first one if there is none.
async fn development_keys(db: &Db) -> anyhow::Result<Vec<HmacKey>> {
    let load = || async {
        signing_key::Entity::find()
            .filter(signing_key::Column::RetiredAt.is_null())
            .filter(signing_key::Column::Algorithm.eq("HS256"))
            .order_by_asc(signing_key::Column::CreatedAt)
            .order_by_asc(signing_key::Column::Kid)
            .all(&db.conn)
            .await
    };
    let mut rows = load().await.context("cannot read signing keys")?;
    if rows.is_empty() {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let kid = format!("dev-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        signing_key::ActiveModel {
            kid: Set(kid),
            algorithm: Set("HS256".into()),
            secret: Set(base64::engine::general_purpose::STANDARD.encode(secret)),
            created_at: Set(Utc::now()),
            retired_at: Set(None),
        }
        .insert(&db.conn)
        .await
        .context("cannot store the development signing key")?;
        tracing::info!("created a development signing key; set ECOPLAN_JWT_SECRET in production");
        rows = load().await.context("cannot read signing keys")?;
    }
    rows.into_iter()
        .map(|r| {
            let secret = base64::engine::general_purpose::STANDARD
                .decode(&r.secret)
                .with_context(|| format!("signing key {} is not valid base64", r.kid))?;
            Ok(HmacKey { kid: r.kid, secret })
        })
        .collect()
}
