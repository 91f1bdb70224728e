//! Turning verified claims into an [`Identity`]: revocation and the department's unit.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::ConnectionTrait;

use crate::auth::{Claims, Identity, Role, UnitRef};
use crate::error::{AppError, AppResult};

fn revoked_count(jti: &str) -> SelectStatement {
    Query::select().expr(Expr::cust("COUNT(*)")).from("revoked_token").and_where(Expr::col("jti").eq(jti)).to_owned()
}

/// Checks revocation and, for a department, loads its unit and groups: one statement.
///
/// Revocation is read from the database on every request, so a token revoked through any
/// instance (or the CLI) is refused by every instance at once.
pub async fn resolve(db: &impl ConnectionTrait, claims: &Claims) -> AppResult<Identity> {
    let revoked_unit = || AppError::Unauthenticated("invalid token: revoked".into());
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
                return Err(AppError::Unauthenticated("invalid token: the unit does not exist".into()));
            };
            if first.try_get::<i64>("", "revoked")? > 0 {
                return Err(revoked_unit());
            }
            if first.try_get::<bool>("", "is_group")? {
                return Err(AppError::Unauthenticated(
                    "invalid token: a group cannot hold a token; its member units do".into(),
                ));
            }
            identity.unit = Some(UnitRef { id: first.try_get("", "unit_id")?, code: code.clone() });
            for row in &rows {
                if let Some(group) = row.try_get::<Option<i32>>("", "group_id")? {
                    identity.group_ids.push(group);
                }
            }
        }
        _ => {
            let row = db.query_one(&revoked_count(&claims.jti)).await?;
            let revoked = match row {
                Some(r) => r.try_get_by_index::<i64>(0)?,
                None => 0,
            };
            if revoked > 0 {
                return Err(revoked_unit());
            }
        }
    }
    Ok(identity)
}
