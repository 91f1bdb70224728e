//! Issuing and revoking tokens (the `ecoplan token` commands).

use std::time::Duration;

use chrono::{TimeZone, Utc};
use entity::{issued_token, revoked_token};
use sea_orm::{EntityTrait, Set};
use serde_json::json;

use crate::auth::{Role, TokenService};
use crate::db::Db;
use crate::domain::UnitCode;
use crate::error::{AppError, AppResult};
use crate::service::write::{Record, Write};
use crate::service::{units, Actor};

/// A request to issue a token.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    pub role: Role,
    pub unit: Option<UnitCode>,
    pub subject: Option<String>,
    pub ttl: Duration,
}

/// A signed token and what it says.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub jti: String,
    pub expires_at: chrono::DateTime<Utc>,
}

/// Signs a token and records it (never the token itself) with an audit event.
pub async fn issue(
    db: &Db,
    tokens: &TokenService,
    actor: Actor<'_>,
    req: IssueRequest,
    max_ttl: Duration,
) -> AppResult<IssuedToken> {
    if req.ttl.is_zero() || req.ttl > max_ttl {
        return Err(AppError::validation(format!(
            "the lifetime must be between 1 second and {} days",
            max_ttl.as_secs() / 86_400
        )));
    }
    let unit = match (req.role, &req.unit) {
        (Role::Department, None) => return Err(AppError::validation("--role department needs --unit CODE")),
        (Role::Department, Some(code)) => {
            let unit = units::find_unit(&db.conn, code)
                .await?
                .ok_or_else(|| AppError::validation(format!("no unit has the code {code}")))?;
            if unit.is_group {
                return Err(AppError::validation(format!("{code} is a group; issue tokens to its member units")));
            }
            Some(unit)
        }
        (_, Some(_)) => return Err(AppError::validation("--unit is only for --role department")),
        (_, None) => None,
    };
    let subject = match &req.subject {
        Some(s) => crate::domain::text::bounded("subject", s, 200)?,
        None => match &unit {
            Some(u) => format!("department:{}", u.code),
            None => req.role.as_str().to_lowercase(),
        },
    };
    let (token, claims) = tokens.issue(&subject, req.role, unit.as_ref().map(|u| u.code.as_str()), req.ttl)?;
    let expires_at =
        Utc.timestamp_opt(claims.exp, 0).single().ok_or_else(|| AppError::validation("the lifetime is too long"))?;
    let write = Write::begin(db).await?;
    let tx = write.tx();
    issued_token::Entity::insert(issued_token::ActiveModel {
        jti: Set(claims.jti.clone()),
        subject: Set(subject.clone()),
        role: Set(req.role),
        unit_id: Set(unit.as_ref().map(|u| u.id)),
        kid: Set(tokens.signing_kid().to_string()),
        issued_at: Set(crate::clock::now()),
        expires_at: Set(expires_at),
    })
    .exec_without_returning(tx)
    .await?;
    let record =
        Record::new("token.issue", "token", claims.jti.clone()).scope(unit.as_ref().map(|u| u.id)).after(Some(json!({
            "subject": subject,
            "role": req.role.as_str(),
            "unit": unit.as_ref().map(|u| u.code.clone()),
            "expiresAt": expires_at,
        })));
    write.commit(actor, record).await?;
    Ok(IssuedToken { token, jti: claims.jti, expires_at })
}

/// Revokes a token id. Returns false when it was already revoked (nothing is written).
pub async fn revoke(db: &Db, actor: Actor<'_>, jti: &str, reason: Option<&str>) -> AppResult<bool> {
    let jti = jti.trim();
    if jti.is_empty() || jti.len() > 200 {
        return Err(AppError::validation("a token id (jti) is 1–200 characters"));
    }
    let reason = crate::domain::text::optional_bounded("reason", reason, 500)?;
    let write = Write::begin(db).await?;
    let tx = write.tx();
    if revoked_token::Entity::find_by_id(jti.to_string()).one(tx).await?.is_some() {
        return Ok(false);
    }
    let known = issued_token::Entity::find_by_id(jti.to_string()).one(tx).await?;
    revoked_token::Entity::insert(revoked_token::ActiveModel {
        jti: Set(jti.to_string()),
        revoked_at: Set(crate::clock::now()),
        revoked_by: Set(actor.identity.subject.clone()),
        reason: Set(reason.clone()),
    })
    .exec_without_returning(tx)
    .await?;
    let record = Record::new("token.revoke", "token", jti)
        .scope(known.as_ref().and_then(|t| t.unit_id))
        .after(Some(json!({ "reason": reason, "issuedHere": known.is_some() })));
    write.commit(actor, record).await?;
    Ok(true)
}
