use async_graphql::{Context, Object};
use entity::section;

use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::loader::{self, TasksOfSection};
use crate::graphql::object::{Domain, Task};

/// A numbered section of the plan (1–10), e.g. 2 环境质量改善.
pub struct Section(pub section::Model);

#[Object]
impl Section {
    /// The global id (see `Node`).
    pub async fn id(&self) -> async_graphql::ID {
        crate::graphql::node::id("Section", self.0.number)
    }

    /// Section number, 1–10.
    async fn number(&self) -> i32 {
        self.0.number
    }

    /// Name as in the document.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The domain the section belongs to.
    async fn domain(&self, ctx: &Context<'_>) -> async_graphql::Result<Domain> {
        let catalog = context::catalog(ctx)?;
        catalog
            .domain(self.0.domain_id)
            .cloned()
            .map(Domain)
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("section without domain")).into())
    }

    /// The section's tasks that the viewer may see.
    async fn tasks(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Task>> {
        let tasks = loader::get::<TasksOfSection>(ctx)?.load_one(self.0.id).await?;
        Ok(tasks.unwrap_or_default().into_iter().map(Task).collect())
    }
}
