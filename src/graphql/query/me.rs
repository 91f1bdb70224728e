use async_graphql::{Context, Object};

use crate::graphql::context;
use crate::graphql::object::Viewer;

#[derive(Default)]
pub struct MeQuery;

#[Object]
impl MeQuery {
    /// Who the token says the caller is.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        Ok(Viewer(context::identity(ctx)?.clone()))
    }
}
