use async_graphql::{Context, Object};

use crate::auth::policy;
use crate::graphql::connection::{self, Conn};
use crate::graphql::context;
use crate::graphql::input::AuditEventFilter;
use crate::graphql::object::AuditEvent;
use crate::service::audit::{self, AuditFilter};

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit trail, oldest first: administrators and the assessment office see every
    /// event; a department sees the events about its own unit's data or done by it.
    #[graphql(complexity = "first.unwrap_or(50).max(1) as usize * child_complexity")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditEventFilter>,
        #[graphql(desc = "Page size (default 50, at most the configured maximum, 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<AuditEvent>> {
        let identity = context::identity(ctx)?;
        let scope = policy::audit_scope(identity)?;
        let db = context::db(ctx)?;
        let request = connection::page_request(ctx, "audit", first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = AuditFilter {
            action: f.action,
            target_type: f.target_type,
            actor_subject: f.actor_subject,
            since: f.since.map(|d| d.0),
            until: f.until.map(|d| d.0),
        };
        let page = audit::list(&db.conn, &scope, &filter, request).await?;
        Ok(connection::connection("audit", &request, page, |e| e.id, AuditEvent))
    }
}
