//! The unit directory and group membership: reads, and what administrators configure
//! (units the document does not name, such as township governments, and the members of
//! the two groups).

use std::collections::HashMap;

use entity::{group_membership, unit};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::db::Db;
use crate::domain::{text, ChangeKind, ChangeOperation, UnitCode, UnitOrigin};
use crate::error::{AppError, AppResult};
use crate::service::write::{Record, Write};
use crate::service::Actor;

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

/// A unit by its code with the ids of the groups it belongs to (whose tasks are its own too,
/// see `policy::acting_units`): what the scoped reads and writes "for a unit" start from.
pub async fn unit_with_groups(db: &impl ConnectionTrait, code: &UnitCode) -> AppResult<(unit::Model, Vec<i32>)> {
    let unit = get_unit(db, code).await?;
    let groups = groups_of(db, &[unit.id]).await?.remove(&unit.id).unwrap_or_default();
    Ok((unit, groups.iter().map(|g| g.id).collect()))
}

pub async fn units_by_ids(db: &impl ConnectionTrait, ids: &[i32]) -> AppResult<HashMap<i32, unit::Model>> {
    let rows = unit::Entity::find().filter(unit::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(rows.into_iter().map(|u| (u.id, u)).collect())
}

/// Members of each group, keyed by group id, in unit order.
pub async fn members_of(db: &impl ConnectionTrait, group_ids: &[i32]) -> AppResult<HashMap<i32, Vec<unit::Model>>> {
    across_memberships(db, group_ids, Side::Group).await
}

/// Groups of each unit, keyed by member id, in unit order.
pub async fn groups_of(db: &impl ConnectionTrait, member_ids: &[i32]) -> AppResult<HashMap<i32, Vec<unit::Model>>> {
    across_memberships(db, member_ids, Side::Member).await
}

/// The side of a membership the keys are on.
#[derive(Clone, Copy)]
enum Side {
    Group,
    Member,
}

/// The units on the other side of the memberships of `ids`, keyed by those ids.
async fn across_memberships(
    db: &impl ConnectionTrait,
    ids: &[i32],
    side: Side,
) -> AppResult<HashMap<i32, Vec<unit::Model>>> {
    let column = match side {
        Side::Group => group_membership::Column::GroupUnitId,
        Side::Member => group_membership::Column::MemberUnitId,
    };
    let pairs = group_membership::Entity::find().filter(column.is_in(ids.iter().copied())).all(db).await?;
    let ends = |p: &group_membership::Model| match side {
        Side::Group => (p.group_unit_id, p.member_unit_id),
        Side::Member => (p.member_unit_id, p.group_unit_id),
    };
    let units = units_by_ids(db, &pairs.iter().map(|p| ends(p).1).collect::<Vec<_>>()).await?;
    let mut out: HashMap<i32, Vec<unit::Model>> = HashMap::new();
    for p in &pairs {
        let (key, other) = ends(p);
        if let Some(u) = units.get(&other) {
            out.entry(key).or_default().push(u.clone());
        }
    }
    for related in out.values_mut() {
        related.sort_by_key(|u| u.id);
    }
    Ok(out)
}

/// The stored aliases (other spellings in the document) of a unit.
pub fn aliases(u: &unit::Model) -> Vec<String> {
    u.aliases.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// A membership's natural key, e.g. `township_governments/zhengzhuang_town`.
fn membership_key(group: &unit::Model, member: &unit::Model) -> String {
    format!("{}/{}", group.code, member.code)
}

/// The record of a membership that begins (`Upsert`) or ends (`Tombstone`).
fn membership_record(g: &unit::Model, m: &unit::Model, op: ChangeOperation) -> Record {
    let state = Some(json!({ "group": g.code, "member": m.code }));
    let key = membership_key(g, m);
    let record = match op {
        ChangeOperation::Tombstone => Record::new("group_member.remove", "group_membership", key.clone()).before(state),
        _ => Record::new("group_member.add", "group_membership", key.clone()).after(state),
    };
    record.scope(Some(m.id)).also_change(ChangeKind::GroupMembership, op, i64::from(m.id), Some(i64::from(g.id)), key)
}

fn unit_json(u: &unit::Model) -> serde_json::Value {
    json!({ "id": u.id, "code": u.code, "name": u.name, "isGroup": u.is_group, "origin": u.origin })
}

/// A group and a non-group member, both existing.
async fn group_and_member(
    db: &impl ConnectionTrait,
    group: &UnitCode,
    member: &UnitCode,
) -> AppResult<(unit::Model, unit::Model)> {
    let g = get_unit(db, group).await?;
    let m = get_unit(db, member).await?;
    if !g.is_group {
        return Err(AppError::validation(format!("{group} is not a group")));
    }
    if m.is_group {
        return Err(AppError::validation(format!("{member} is a group; groups do not nest")));
    }
    Ok((g, m))
}

/// Creates a unit (e.g. a township government), optionally as a member of groups.
#[tracing::instrument(skip_all, fields(code = %code))]
pub async fn create_unit(
    db: &Db,
    actor: Actor<'_>,
    code: &UnitCode,
    name: &str,
    groups: &[UnitCode],
) -> AppResult<unit::Model> {
    let name = text::bounded("name", name, 100)?;
    let write = Write::begin(db).await?;
    let tx = write.tx();
    let clash = unit::Entity::find()
        .filter(unit::Column::Code.eq(code.as_str()).or(unit::Column::Name.eq(name.clone())))
        .one(tx)
        .await?;
    if let Some(existing) = clash {
        return Err(AppError::conflict(format!(
            "a unit with this code or name already exists: {} {}",
            existing.code, existing.name
        )));
    }
    let mut group_rows = Vec::new();
    for g in groups {
        let row = get_unit(tx, g).await?;
        if !row.is_group {
            return Err(AppError::validation(format!("{g} is not a group")));
        }
        group_rows.push(row);
    }
    let now = crate::clock::now();
    let created = unit::ActiveModel {
        id: NotSet,
        code: Set(code.clone()),
        name: Set(name),
        is_group: Set(false),
        origin: Set(UnitOrigin::Configuration),
        aliases: Set(json!([])),
        created_at: Set(now),
    }
    .insert(tx)
    .await?;
    for g in &group_rows {
        group_membership::Entity::insert(group_membership::ActiveModel {
            group_unit_id: Set(g.id),
            member_unit_id: Set(created.id),
            created_at: Set(now),
        })
        .exec_without_returning(tx)
        .await?;
    }
    let mut after = unit_json(&created);
    after["groups"] = json!(group_rows.iter().map(|g| g.code.clone()).collect::<Vec<_>>());
    let mut record = Record::new("unit.create", "unit", created.code.to_string())
        .scope(Some(created.id))
        .after(Some(after))
        .change(ChangeKind::Unit, ChangeOperation::Upsert, i64::from(created.id), None);
    for g in &group_rows {
        record = record.also_change(
            ChangeKind::GroupMembership,
            ChangeOperation::Upsert,
            i64::from(created.id),
            Some(i64::from(g.id)),
            membership_key(g, &created),
        );
    }
    write.commit(actor, record).await?;
    Ok(created)
}

/// Makes `member` a member of `group`; CONFLICT if it already is.
#[tracing::instrument(skip_all, fields(group = %group, member = %member))]
pub async fn add_group_member(
    db: &Db,
    actor: Actor<'_>,
    group: &UnitCode,
    member: &UnitCode,
) -> AppResult<(unit::Model, unit::Model)> {
    let write = Write::begin(db).await?;
    let tx = write.tx();
    let (g, m) = group_and_member(tx, group, member).await?;
    if group_membership::Entity::find_by_id((g.id, m.id)).one(tx).await?.is_some() {
        return Err(AppError::conflict(format!("{member} is already a member of {group}")));
    }
    let inserted = group_membership::Entity::insert(group_membership::ActiveModel {
        group_unit_id: Set(g.id),
        member_unit_id: Set(m.id),
        created_at: Set(crate::clock::now()),
    })
    .exec_without_returning(tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if crate::service::is_unique_violation(&e) => {
            return Err(AppError::conflict(format!("{member} is already a member of {group}")));
        }
        Err(e) => return Err(e.into()),
    }
    write.commit(actor, membership_record(&g, &m, ChangeOperation::Upsert)).await?;
    Ok((g, m))
}

/// Ends `member`'s membership of `group`; NOT_FOUND if it is not a member.
#[tracing::instrument(skip_all, fields(group = %group, member = %member))]
pub async fn remove_group_member(
    db: &Db,
    actor: Actor<'_>,
    group: &UnitCode,
    member: &UnitCode,
) -> AppResult<(unit::Model, unit::Model)> {
    let write = Write::begin(db).await?;
    let tx = write.tx();
    let (g, m) = group_and_member(tx, group, member).await?;
    let deleted = group_membership::Entity::delete_by_id((g.id, m.id)).exec(tx).await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::not_found(format!("{member} is not a member of {group}")));
    }
    write.commit(actor, membership_record(&g, &m, ChangeOperation::Tombstone)).await?;
    Ok((g, m))
}
