//! The audit trail: one event per successful write, inside the write's transaction.

use chrono::Utc;
use entity::audit_event;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set};
use serde_json::Value as Json;

use crate::auth::policy::AuditScope;
use crate::error::AppResult;
use crate::service::page::{keyset_page, Page, PageRequest};
use crate::service::Actor;

/// What a write did.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    /// A stable verb such as `indicator_value.report`.
    pub action: &'static str,
    /// The kind of thing written, e.g. `indicator_value`.
    pub target_type: &'static str,
    /// Its natural key, e.g. `straw_utilization_rate/2022#2`.
    pub target_key: String,
    /// The unit whose data this is (lets a department read events about its own data).
    pub scope_unit_id: Option<i32>,
    pub before: Option<Json>,
    pub after: Option<Json>,
}

/// Appends the event, in the write's transaction (only `write::Write::commit` calls it).
pub(super) async fn record(conn: &sea_orm::DatabaseTransaction, actor: Actor<'_>, rec: AuditRecord) -> AppResult<()> {
    let event = audit_event::ActiveModel {
        id: NotSet,
        occurred_at: Set(crate::clock::now()),
        actor_subject: Set(actor.identity.subject.clone()),
        actor_role: Set(actor.identity.role),
        actor_unit_id: Set(actor.identity.unit_id()),
        action: Set(rec.action.to_string()),
        target_type: Set(rec.target_type.to_string()),
        target_key: Set(rec.target_key),
        scope_unit_id: Set(rec.scope_unit_id),
        before: Set(rec.before),
        after: Set(rec.after),
        request_id: Set(actor.request_id.to_string()),
    };
    audit_event::Entity::insert(event).exec_without_returning(conn).await?;
    Ok(())
}

/// A filter on the audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub actor_subject: Option<String>,
    pub since: Option<chrono::DateTime<Utc>>,
    pub until: Option<chrono::DateTime<Utc>>,
}

/// A page of audit events in the order they were recorded.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &AuditScope,
    filter: &AuditFilter,
    page: PageRequest,
) -> AppResult<Page<audit_event::Model>> {
    let mut q = audit_event::Entity::find();
    if let AuditScope::Unit(unit) = scope {
        q = q.filter(
            Condition::any()
                .add(audit_event::Column::ScopeUnitId.eq(*unit))
                .add(audit_event::Column::ActorUnitId.eq(*unit)),
        );
    }
    if let Some(a) = &filter.action {
        q = q.filter(audit_event::Column::Action.eq(a.clone()));
    }
    if let Some(t) = &filter.target_type {
        q = q.filter(audit_event::Column::TargetType.eq(t.clone()));
    }
    if let Some(s) = &filter.actor_subject {
        q = q.filter(audit_event::Column::ActorSubject.eq(s.clone()));
    }
    if let Some(since) = filter.since {
        q = q.filter(audit_event::Column::OccurredAt.gte(since));
    }
    if let Some(until) = filter.until {
        q = q.filter(audit_event::Column::OccurredAt.lt(until));
    }
    keyset_page(db, q, audit_event::Column::Id, page).await
}

/// One audit event by id, if the scope covers it.
pub async fn find(db: &impl ConnectionTrait, scope: &AuditScope, id: i64) -> AppResult<Option<audit_event::Model>> {
    let mut q = audit_event::Entity::find().filter(audit_event::Column::Id.eq(id));
    if let AuditScope::Unit(unit) = scope {
        q = q.filter(
            Condition::any()
                .add(audit_event::Column::ScopeUnitId.eq(*unit))
                .add(audit_event::Column::ActorUnitId.eq(*unit)),
        );
    }
    Ok(q.one(db).await?)
}
