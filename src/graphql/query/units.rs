use async_graphql::{Context, Object};

use crate::domain::UnitCode;
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::object::Unit;
use crate::service::units;

#[derive(Default)]
pub struct UnitQuery;

#[Object]
impl UnitQuery {
    /// The unit directory: every unit and group, in the document's order (readable by every role).
    async fn units(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only groups (true) or only individual units (false).")] is_group: Option<bool>,
    ) -> async_graphql::Result<Vec<Unit>> {
        context::identity(ctx)?;
        let db = context::db(ctx)?;
        Ok(units::list_units(&db.conn, is_group).await?.into_iter().map(Unit).collect())
    }

    /// One unit by code; NOT_FOUND if there is none.
    async fn unit(&self, ctx: &Context<'_>, code: String) -> async_graphql::Result<Option<Unit>> {
        context::identity(ctx)?;
        let code = UnitCode::parse(&code).map_err(AppError::from)?;
        let db = context::db(ctx)?;
        Ok(Some(Unit(units::get_unit(&db.conn, &code).await?)))
    }
}
