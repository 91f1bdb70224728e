use async_graphql::{Context, Object, ID};

use crate::auth::policy;
use crate::error::AppError;
use crate::graphql::access;
use crate::graphql::connection::{self, Conn};
use crate::graphql::context;
use crate::graphql::input::IndicatorFilter;
use crate::graphql::loader::{self, IndicatorById};
use crate::graphql::object::{Indicator, IndicatorValue};
use crate::service::{indicators, values};

#[derive(Default)]
pub struct IndicatorQuery;

#[Object]
impl IndicatorQuery {
    /// The indicators of the tasks the viewer may see, in the plan's order.
    #[graphql(complexity = "first.unwrap_or(50).max(1) as usize * child_complexity")]
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        filter: Option<IndicatorFilter>,
        #[graphql(desc = "Page size (default 50, at most the configured maximum, 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<Indicator>> {
        let identity = context::identity(ctx)?;
        let db = context::db(ctx)?;
        let request = connection::page_request(ctx, "indicator_in_plan", first, after.as_deref())?;
        let filter =
            indicators::filter_condition(&db.conn, context::catalog(ctx)?, &filter.unwrap_or_default().into()).await?;
        let page = indicators::list_indicators(&db.conn, &policy::task_scope(identity), filter, request).await?;
        loader::prime::indicators(ctx, &page.items).await?;
        // Cursors name the plan's order (`indicator_in_plan`); the earlier id-based ones are
        // refused as foreign rather than read as positions.
        Ok(connection::connection(
            "indicator_in_plan",
            &request,
            page,
            |i| i64::from(i.indicator.plan_order),
            Indicator,
        ))
    }

    /// One indicator by code: NOT_FOUND if there is none, FORBIDDEN if its task is not the
    /// viewer's.
    async fn indicator(&self, ctx: &Context<'_>, code: String) -> async_graphql::Result<Option<Indicator>> {
        let db = context::db(ctx)?;
        let found = indicators::get_indicator(&db.conn, &code).await?;
        access::ensure_task_readable(ctx, found.indicator.task_id).await?;
        Ok(Some(Indicator(found)))
    }

    /// One reported revision by id: NOT_FOUND if there is none or if its indicator is not
    /// the viewer's (the two answers are the same, so ids reveal nothing).
    async fn indicator_value(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<IndicatorValue>> {
        let db = context::db(ctx)?;
        let absent = || AppError::not_found(format!("no reported value has the id {:?}", id.as_str()));
        let value_id = crate::graphql::node::row_id(&id, "IndicatorValue").ok_or_else(absent)?;
        let value = match values::find_value(&db.conn, value_id).await {
            Ok(v) => v,
            Err(AppError::NotFound(_)) => return Err(absent().into()),
            Err(e) => return Err(e.into()),
        };
        let ind = loader::get::<IndicatorById>(ctx)?
            .load_one(value.indicator_id)
            .await?
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("value without indicator")))?;
        let units = access::assigned_units(ctx, ind.indicator.task_id).await?;
        if !policy::record_visible(context::identity(ctx)?, &units) {
            return Err(absent().into());
        }
        Ok(Some(IndicatorValue(value)))
    }
}
