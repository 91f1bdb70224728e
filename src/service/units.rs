//! The unit directory and group membership.

use std::collections::HashMap;

use entity::{group_membership, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::UnitCode;
use crate::error::{AppError, AppResult};

/// Every unit, in the document's order (configured units after the seeded ones).
pub async fn list_units(db: &impl ConnectionTrait, is_group: Option<bool>) -> AppResult<Vec<unit::Model>> {
    let mut q = unit::Entity::find().order_by_asc(unit::Column::Id);
    if let Some(g) = is_group {
        q = q.filter(unit::Column::IsGroup.eq(g));
    }
    Ok(q.all(db).await?)
}

pub async fn find_unit(db: &impl ConnectionTrait, code: &UnitCode) -> AppResult<Option<unit::Model>> {
    Ok(unit::Entity::find().filter(unit::Column::Code.eq(code.as_str())).one(db).await?)
}

/// Like [`find_unit`], with NOT_FOUND when there is no such unit.
pub async fn get_unit(db: &impl ConnectionTrait, code: &UnitCode) -> AppResult<unit::Model> {
    find_unit(db, code).await?.ok_or_else(|| AppError::not_found(format!("no unit has the code {code}")))
}

pub async fn units_by_ids(db: &impl ConnectionTrait, ids: &[i32]) -> AppResult<HashMap<i32, unit::Model>> {
    let rows = unit::Entity::find().filter(unit::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(rows.into_iter().map(|u| (u.id, u)).collect())
}

/// Members of each group, keyed by group id.
pub async fn members_of(db: &impl ConnectionTrait, group_ids: &[i32]) -> AppResult<HashMap<i32, Vec<unit::Model>>> {
    let pairs = group_membership::Entity::find()
        .filter(group_membership::Column::GroupUnitId.is_in(group_ids.iter().copied()))
        .all(db)
        .await?;
    let units = units_by_ids(db, &pairs.iter().map(|p| p.member_unit_id).collect::<Vec<_>>()).await?;
    let mut out: HashMap<i32, Vec<unit::Model>> = HashMap::new();
    for p in pairs {
        if let Some(u) = units.get(&p.member_unit_id) {
            out.entry(p.group_unit_id).or_default().push(u.clone());
        }
    }
    for members in out.values_mut() {
        members.sort_by_key(|u| u.id);
    }
    Ok(out)
}

/// Groups of each unit, keyed by member id.
pub async fn groups_of(db: &impl ConnectionTrait, member_ids: &[i32]) -> AppResult<HashMap<i32, Vec<unit::Model>>> {
    let pairs = group_membership::Entity::find()
        .filter(group_membership::Column::MemberUnitId.is_in(member_ids.iter().copied()))
        .all(db)
        .await?;
    let units = units_by_ids(db, &pairs.iter().map(|p| p.group_unit_id).collect::<Vec<_>>()).await?;
    let mut out: HashMap<i32, Vec<unit::Model>> = HashMap::new();
    for p in pairs {
        if let Some(u) = units.get(&p.group_unit_id) {
            out.entry(p.member_unit_id).or_default().push(u.clone());
        }
    }
    Ok(out)
}

/// The stored aliases (other spellings in the document) of a unit.
pub fn aliases(u: &unit::Model) -> Vec<String> {
    u.aliases.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default()
}
