use async_graphql::{Context, Object};

use crate::auth::Identity;
use crate::graphql::enums::Role;
use crate::graphql::loader::{self, UnitById};
use crate::graphql::object::Unit;
use crate::graphql::scalars::DateTime;

/// The caller, as its token says.
pub struct Viewer(pub Identity);

#[Object]
impl Viewer {
    /// The global id (see `Node`).
    pub async fn id(&self) -> async_graphql::ID {
        crate::graphql::node::id("Viewer", &self.0.token_id)
    }

    /// The token's subject (`sub`).
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    /// The token's role.
    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// For a department: its unit.
    async fn unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        match self.0.unit_id() {
            None => Ok(None),
            Some(id) => Ok(loader::get::<UnitById>(ctx)?.load_one(id).await?.map(Unit)),
        }
    }

    /// The token's id (`jti`), which `ecoplan token revoke` takes.
    async fn token_id(&self) -> &str {
        &self.0.token_id
    }

    /// When the token expires.
    async fn expires_at(&self) -> Option<DateTime> {
        self.0.expires_at.map(DateTime)
    }

    /// Whether the viewer may change configuration (units, group members, superior targets).
    async fn can_configure(&self) -> bool {
        crate::auth::policy::may_configure(&self.0)
    }

    /// Whether the viewer may verify and reject reported values.
    async fn can_review_values(&self) -> bool {
        crate::auth::policy::may_review_values(&self.0)
    }

    /// Whether the viewer may read assessments (its own unit's, for a department).
    async fn can_read_assessments(&self) -> bool {
        crate::auth::policy::assessment_scope(&self.0).is_ok()
    }

    /// Whether the viewer may read the audit log (its own unit's events, for a department).
    async fn can_read_audit_log(&self) -> bool {
        crate::auth::policy::audit_scope(&self.0).is_ok()
    }
}
