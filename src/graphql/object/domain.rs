use async_graphql::{Context, Object};
use entity::domain;

use crate::graphql::context;
use crate::graphql::object::Section;

/// A domain (领域) of the plan, e.g. 生态安全.
pub struct Domain(pub domain::Model);

#[Object]
impl Domain {
    /// The global id (see `Node`).
    pub async fn id(&self) -> async_graphql::ID {
        crate::graphql::node::id("Domain", &self.0.code)
    }

    /// Stable code: institutions, security, space, economy, living or culture.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Name as in the document, e.g. 生态安全.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The ordinal as the document writes it, e.g. （二）.
    async fn label(&self) -> &str {
        &self.0.label
    }

    /// Position in the document, 1–6.
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// The domain's sections.
    async fn sections(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Section>> {
        let catalog = context::catalog(ctx)?;
        Ok(catalog.sections_of_domain(self.0.id).cloned().map(Section).collect())
    }
}
