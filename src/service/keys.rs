//! Signing keys, as administrators change them: rotation and retirement (audited writes),
//! and the list. How keys are derived and loaded is `auth::keys`.

use base64::Engine;
use chrono::Utc;
use entity::signing_key;
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::auth::keys::{b64, DERIVED};
use crate::db::Db;
use crate::error::AppResult;
use crate::service::write::{Record, Write};
use crate::service::Actor;

/// Adds a key; new tokens are signed with it. Returns its kid.
pub async fn rotate(db: &Db, actor: Actor<'_>) -> AppResult<String> {
    let mut salt = [0u8; 32];
    rand::rng().fill_bytes(&mut salt);
    let kid = format!("k{}-{}", Utc::now().format("%Y%m%d"), &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let write = Write::begin(db).await?;
    let tx = write.tx();
    signing_key::ActiveModel {
        kid: Set(kid.clone()),
        algorithm: Set(DERIVED.into()),
        secret: Set(b64().encode(salt)),
        created_at: Set(crate::clock::now()),
        retired_at: Set(None),
    }
    .insert(tx)
    .await?;
    write
        .commit(actor, Record::new("signing_key.rotate", "signing_key", kid.clone()).after(Some(json!({ "kid": kid }))))
        .await?;
    Ok(kid)
}

/// Retires a rotated key at once: tokens signed with it are refused at their next
/// operation, on every instance (the retirement is read with the revocation).
pub async fn retire(db: &Db, actor: Actor<'_>, kid: &str) -> AppResult<()> {
    let write = Write::begin(db).await?;
    let tx = write.tx();
    let row = signing_key::Entity::find_by_id(kid.to_string())
        .filter(signing_key::Column::Algorithm.eq(DERIVED))
        .one(tx)
        .await?
        .ok_or_else(|| crate::error::AppError::not_found(format!("no rotated key has the kid {kid}")))?;
    if row.retired_at.is_some() {
        return Err(crate::error::AppError::conflict(format!("key {kid} is already retired")));
    }
    let mut am: signing_key::ActiveModel = row.into();
    am.retired_at = Set(Some(crate::clock::now()));
    am.update(tx).await?;
    let record =
        Record::new("signing_key.retire", "signing_key", kid).after(Some(json!({ "kid": kid, "retired": true })));
    write.commit(actor, record).await?;
    Ok(())
}

/// The keys as a table: kid, kind, created, retired.
pub async fn list(db: &Db) -> AppResult<Vec<signing_key::Model>> {
    Ok(signing_key::Entity::find().order_by_asc(signing_key::Column::CreatedAt).all(&db.conn).await?)
}
