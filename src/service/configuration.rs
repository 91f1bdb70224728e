//! What administrators configure beyond the document: units, group members, superior targets.

use entity::{group_membership, indicator, superior_target, unit};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set};
use serde_json::json;

use crate::db::Db;
use crate::domain::{text, Comparator, ExactDecimal, IndicatorCode, UnitCode, UnitOrigin};
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, AuditRecord};
use crate::service::changes::{self, Change, ChangeKind, ChangeOperation};
use crate::service::{indicators, units, Actor};

/// The change of a membership, for the sync feed.
fn membership_change(
    group: &unit::Model,
    member: &unit::Model,
    operation: ChangeOperation,
    action: &'static str,
) -> Change {
    Change {
        action,
        kind: ChangeKind::GroupMembership,
        operation,
        entity_id: i64::from(member.id),
        related_id: Some(i64::from(group.id)),
        key: format!("{}/{}", group.code, member.code),
        task_id: None,
    }
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
    let g = units::get_unit(db, group).await?;
    let m = units::get_unit(db, member).await?;
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
    let tx = db.begin_write().await?;
    let clash = unit::Entity::find()
        .filter(unit::Column::Code.eq(code.as_str()).or(unit::Column::Name.eq(name.clone())))
        .one(&*tx)
        .await?;
    if let Some(existing) = clash {
        return Err(AppError::conflict(format!(
            "a unit with this code or name already exists: {} {}",
            existing.code, existing.name
        )));
    }
    let mut group_rows = Vec::new();
    for g in groups {
        let row = units::get_unit(&*tx, g).await?;
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
    .insert(&*tx)
    .await?;
    for g in &group_rows {
        group_membership::Entity::insert(group_membership::ActiveModel {
            group_unit_id: Set(g.id),
            member_unit_id: Set(created.id),
            created_at: Set(now),
        })
        .exec_without_returning(&*tx)
        .await?;
    }
    let mut after = unit_json(&created);
    after["groups"] = json!(group_rows.iter().map(|g| g.code.clone()).collect::<Vec<_>>());
    changes::record(
        &*tx,
        Change {
            action: "unit.create",
            kind: ChangeKind::Unit,
            operation: ChangeOperation::Upsert,
            entity_id: i64::from(created.id),
            related_id: None,
            key: created.code.to_string(),
            task_id: None,
        },
    )
    .await?;
    for g in &group_rows {
        changes::record(&*tx, membership_change(g, &created, ChangeOperation::Upsert, "unit.create")).await?;
    }
    audit::record(
        &*tx,
        actor,
        AuditRecord {
            action: "unit.create",
            target_type: "unit",
            target_key: created.code.to_string(),
            scope_unit_id: Some(created.id),
            before: None,
            after: Some(after),
        },
    )
    .await?;
    tx.commit().await?;
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
    let tx = db.begin_write().await?;
    let (g, m) = group_and_member(&*tx, group, member).await?;
    if group_membership::Entity::find_by_id((g.id, m.id)).one(&*tx).await?.is_some() {
        return Err(AppError::conflict(format!("{member} is already a member of {group}")));
    }
    let inserted = group_membership::Entity::insert(group_membership::ActiveModel {
        group_unit_id: Set(g.id),
        member_unit_id: Set(m.id),
        created_at: Set(crate::clock::now()),
    })
    .exec_without_returning(&*tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if crate::service::is_unique_violation(&e) => {
            return Err(AppError::conflict(format!("{member} is already a member of {group}")));
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(
        &*tx,
        actor,
        AuditRecord {
            action: "group_member.add",
            target_type: "group_membership",
            target_key: format!("{group}/{member}"),
            scope_unit_id: Some(m.id),
            before: None,
            after: Some(json!({ "group": g.code, "member": m.code })),
        },
    )
    .await?;
    changes::record(&*tx, membership_change(&g, &m, ChangeOperation::Upsert, "group_member.add")).await?;
    tx.commit().await?;
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
    let tx = db.begin_write().await?;
    let (g, m) = group_and_member(&*tx, group, member).await?;
    let deleted = group_membership::Entity::delete_by_id((g.id, m.id)).exec(&*tx).await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::not_found(format!("{member} is not a member of {group}")));
    }
    audit::record(
        &*tx,
        actor,
        AuditRecord {
            action: "group_member.remove",
            target_type: "group_membership",
            target_key: format!("{group}/{member}"),
            scope_unit_id: Some(m.id),
            before: Some(json!({ "group": g.code, "member": m.code })),
            after: None,
        },
    )
    .await?;
    changes::record(&*tx, membership_change(&g, &m, ChangeOperation::Tombstone, "group_member.remove")).await?;
    tx.commit().await?;
    Ok((g, m))
}

fn target_json(t: &superior_target::Model, code: &IndicatorCode) -> serde_json::Value {
    json!({ "indicator": code, "year": t.year, "target": t.target, "source": t.source })
}

/// Sets (or replaces) the target the higher authority set for an indicator in a year.
#[tracing::instrument(skip_all, fields(indicator = %indicator.code, year = year))]
pub async fn set_superior_target(
    db: &Db,
    actor: Actor<'_>,
    indicator: &indicator::Model,
    year: i32,
    target: ExactDecimal,
    source: Option<&str>,
) -> AppResult<superior_target::Model> {
    if !(2000..=2100).contains(&year) {
        return Err(AppError::validation("year must be between 2000 and 2100"));
    }
    let source = text::optional_bounded("source", source, 500)?;
    let tx = db.begin_write().await?;
    let with_conditions = indicators::get_indicator(&*tx, indicator.code.as_str()).await?;
    let has_condition = indicators::parsed_conditions(&with_conditions.conditions)
        .iter()
        .any(|(c, _)| *c == Comparator::MeetsSuperiorTarget);
    if !has_condition {
        return Err(AppError::validation(format!(
            "{} has no MEETS_SUPERIOR_TARGET condition; the document sets its target itself",
            indicator.code
        )));
    }
    indicator.kind.check_value(target)?;
    let existing = superior_target::Entity::find()
        .filter(superior_target::Column::IndicatorId.eq(indicator.id))
        .filter(superior_target::Column::Year.eq(year))
        .one(&*tx)
        .await?;
    let now = crate::clock::now();
    let stored = match &existing {
        Some(e) => {
            let mut am: superior_target::ActiveModel = e.clone().into();
            am.target = Set(target);
            am.source = Set(source);
            am.set_by = Set(actor.identity.subject.clone());
            am.set_at = Set(now);
            am.update(&*tx).await?
        }
        None => {
            superior_target::ActiveModel {
                id: NotSet,
                indicator_id: Set(indicator.id),
                year: Set(year),
                target: Set(target),
                source: Set(source),
                set_by: Set(actor.identity.subject.clone()),
                set_at: Set(now),
            }
            .insert(&*tx)
            .await?
        }
    };
    audit::record(
        &*tx,
        actor,
        AuditRecord {
            action: "superior_target.set",
            target_type: "superior_target",
            target_key: format!("{}/{year}", indicator.code),
            scope_unit_id: None,
            before: existing.as_ref().map(|e| target_json(e, &indicator.code)),
            after: Some(target_json(&stored, &indicator.code)),
        },
    )
    .await?;
    changes::record(
        &*tx,
        Change {
            action: "superior_target.set",
            kind: ChangeKind::SuperiorTarget,
            operation: ChangeOperation::Upsert,
            entity_id: i64::from(stored.id),
            related_id: None,
            key: format!("{}/{year}", indicator.code),
            task_id: Some(indicator.task_id),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(stored)
}

/// The superior target of an indicator for a year, if configured.
pub async fn superior_target(
    db: &impl ConnectionTrait,
    indicator_id: i32,
    year: i32,
) -> AppResult<Option<superior_target::Model>> {
    Ok(superior_target::Entity::find()
        .filter(superior_target::Column::IndicatorId.eq(indicator_id))
        .filter(superior_target::Column::Year.eq(year))
        .one(db)
        .await?)
}
