use async_graphql::{Context, Json, Object, ID};
use entity::audit_event;

use crate::auth::policy;
use crate::graphql::context;
use crate::graphql::enums::Role;

/// `target_type` of token events, whose key is the token id.
const TOKEN: &str = "token";
/// What a token id not for the viewer's eyes shows.
const HIDDEN: &str = "hidden";
use crate::graphql::loader::{self, UnitById};
use crate::graphql::object::Unit;
use crate::graphql::scalars::DateTime;

/// One successful write, recorded in the same transaction as the write.
pub struct AuditEvent(pub audit_event::Model);

#[Object]
impl AuditEvent {
    /// The global id (see `Node`).
    pub async fn id(&self) -> ID {
        crate::graphql::node::id("AuditEvent", self.0.id)
    }

    /// When the write committed.
    async fn occurred_at(&self) -> DateTime {
        DateTime(self.0.occurred_at)
    }

    /// The token subject that wrote.
    async fn actor_subject(&self) -> &str {
        &self.0.actor_subject
    }

    /// The writer's role.
    async fn actor_role(&self) -> Role {
        self.0.actor_role.into()
    }

    /// The writer's unit (departments).
    async fn actor_unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        match self.0.actor_unit_id {
            None => Ok(None),
            Some(id) => Ok(loader::get::<UnitById>(ctx)?.load_one(id).await?.map(Unit)),
        }
    }

    /// What was done, e.g. `indicator_value.report`, `superior_target.set`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// The kind of thing written, e.g. `indicator_value`.
    async fn target_type(&self) -> &str {
        &self.0.target_type
    }

    /// Its natural key, e.g. `straw_utilization_rate/2022#2`. For a token, its id (`jti`),
    /// shown to administrators and to the token itself only (`hidden` otherwise).
    async fn target_key(&self, ctx: &Context<'_>) -> async_graphql::Result<&str> {
        if self.0.target_type == TOKEN && !policy::may_see_token_id(context::identity(ctx)?, &self.0.target_key) {
            return Ok(HIDDEN);
        }
        Ok(&self.0.target_key)
    }

    /// The state before the write (null for a creation).
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0.before.clone().map(Json)
    }

    /// The state after the write (null for a removal).
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0.after.clone().map(Json)
    }

    /// The request id (`x-request-id`) of the write.
    async fn request_id(&self) -> &str {
        &self.0.request_id
    }
}
