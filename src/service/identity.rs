//! Turning verified claims into an [`Identity`]: revocation and the department's unit.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::ConnectionTrait;

use crate::auth::{Claims, Identity, Role, UnitRef};
use crate::db::incarnation::CURRENT_INCARNATION;
use crate::error::{AppError, AppResult, AuthFailure};

fn revoked_count(jti: &str) -> SelectStatement {
    Query::select().expr(Expr::cust("COUNT(*)")).from("revoked_token").and_where(Expr::col("jti").eq(jti)).to_owned()
}

/// Whether the key that signed the token has been retired (through any instance or the
/// CLI): checked with the revocation, so a retirement takes effect at the next request.
fn retired_count(kid: &str) -> SelectStatement {
    Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from("signing_key")
        .and_where(Expr::col("kid").eq(kid))
        .and_where(Expr::col("retired_at").is_not_null())
        .to_owned()
}

/// The data version, read in the same statement (see `Db`'s write transactions).
const DATA_VERSION: &str = "(SELECT version FROM data_version WHERE id = 1)";

/// A verified caller and the data version at the start of its request.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub identity: Identity,
    /// Read before anything else of the request: a response computed now is at least this current.
    pub data_version: i64,
    /// The database's incarnation (a restore starts a new one), read in the same statement.
    pub incarnation: String,
}

/// Checks revocation and key retirement and, for a department, loads its unit and groups
/// (and reads the data version): one statement.
///
/// Revocation is read from the database on every request, so a token revoked through any
/// instance (or the CLI) is refused by every instance at once.
pub async fn resolve(db: &impl ConnectionTrait, claims: &Claims) -> AppResult<Resolved> {
    let revoked_unit = || AppError::Unauthenticated(AuthFailure::Revoked, "invalid token: revoked".into());
    let retired_key =
        || AppError::Unauthenticated(AuthFailure::RetiredKey, "invalid token: its signing key was retired".into());
    let mut identity = Identity {
        subject: claims.sub.clone(),
        role: claims.role,
        unit: None,
        group_ids: Vec::new(),
        token_id: claims.jti.clone(),
        expires_at: claims.expires_at(),
    };
    match (&claims.role, &claims.unit) {
        (Role::Department, Some(code)) => {
            let stmt = Query::select()
                .expr_as(Expr::col(("u", "id")), "unit_id")
                .expr_as(Expr::col(("u", "is_group")), "is_group")
                .expr_as(Expr::col(("gm", "group_unit_id")), "group_id")
                .expr_as(Expr::from(revoked_count(&claims.jti)), "revoked")
                .expr_as(Expr::from(retired_count(&claims.kid)), "retired")
                .expr_as(Expr::cust(DATA_VERSION), "data_version")
                .expr_as(Expr::cust(CURRENT_INCARNATION), "incarnation")
                .from_as("unit", "u")
                .join_as(
                    JoinType::LeftJoin,
                    "group_membership",
                    Alias::new("gm"),
                    Expr::col(("gm", "member_unit_id")).equals(("u", "id")),
                )
                .and_where(Expr::col(("u", "code")).eq(code.as_str()))
                .to_owned();
            let rows = db.query_all(&stmt).await?;
            let Some(first) = rows.first() else {
                return Err(AppError::Unauthenticated(
                    AuthFailure::UnknownUnit,
                    "invalid token: the unit does not exist".into(),
                ));
            };
            if first.try_get::<i64>("", "revoked")? > 0 {
                return Err(revoked_unit());
            }
            if first.try_get::<i64>("", "retired")? > 0 {
                return Err(retired_key());
            }
            if first.try_get::<bool>("", "is_group")? {
                return Err(AppError::Unauthenticated(
                    AuthFailure::UnknownUnit,
                    "invalid token: a group cannot hold a token; its member units do".into(),
                ));
            }
            identity.unit = Some(UnitRef { id: first.try_get("", "unit_id")?, code: code.clone() });
            for row in &rows {
                if let Some(group) = row.try_get::<Option<i32>>("", "group_id")? {
                    identity.group_ids.push(group);
                }
            }
            let data_version = first.try_get::<i64>("", "data_version")?;
            let incarnation = first.try_get::<String>("", "incarnation")?;
            Ok(Resolved { identity, data_version, incarnation })
        }
        _ => {
            let stmt = Query::select()
                .expr_as(Expr::from(revoked_count(&claims.jti)), "revoked")
                .expr_as(Expr::from(retired_count(&claims.kid)), "retired")
                .expr_as(Expr::cust(DATA_VERSION), "data_version")
                .expr_as(Expr::cust(CURRENT_INCARNATION), "incarnation")
                .to_owned();
            let row = db.query_one(&stmt).await?.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no row")))?;
            if row.try_get::<i64>("", "revoked")? > 0 {
                return Err(revoked_unit());
            }
            if row.try_get::<i64>("", "retired")? > 0 {
                return Err(retired_key());
            }
            let data_version = row.try_get::<i64>("", "data_version")?;
            let incarnation = row.try_get::<String>("", "incarnation")?;
            Ok(Resolved { identity, data_version, incarnation })
        }
    }
}
