use async_graphql::{Context, Object};

use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::object::{Domain, Plan, Section};

#[derive(Default)]
pub struct PlanQuery;

#[Object]
impl PlanQuery {
    /// The plan document's metadata.
    async fn plan(&self, ctx: &Context<'_>) -> async_graphql::Result<Plan> {
        context::identity(ctx)?;
        Ok(Plan(context::catalog(ctx)?.plan.clone()))
    }

    /// The six domains, in the document's order.
    async fn domains(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Domain>> {
        context::identity(ctx)?;
        Ok(context::catalog(ctx)?.domains.iter().cloned().map(Domain).collect())
    }

    /// One domain by code; NOT_FOUND if there is none.
    async fn domain(&self, ctx: &Context<'_>, code: String) -> async_graphql::Result<Option<Domain>> {
        context::identity(ctx)?;
        let found = context::catalog(ctx)?.domain_by_code(&code).cloned();
        match found {
            Some(d) => Ok(Some(Domain(d))),
            None => Err(AppError::not_found(format!("no domain has the code {code:?}")).into()),
        }
    }

    /// The ten sections, in the document's order.
    async fn sections(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Section>> {
        context::identity(ctx)?;
        Ok(context::catalog(ctx)?.sections.iter().cloned().map(Section).collect())
    }

    /// One section by number (1–10); NOT_FOUND if there is none.
    async fn section(&self, ctx: &Context<'_>, number: i32) -> async_graphql::Result<Option<Section>> {
        context::identity(ctx)?;
        match context::catalog(ctx)?.section_by_number(number).cloned() {
            Some(s) => Ok(Some(Section(s))),
            None => Err(AppError::not_found(format!("there is no section {number}")).into()),
        }
    }
}
