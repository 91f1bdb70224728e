use async_graphql::{Context, Object};

use crate::auth::policy;
use crate::graphql::access;
use crate::graphql::connection::{self, Conn};
use crate::graphql::context;
use crate::graphql::input::TaskFilter;
use crate::graphql::loader;
use crate::graphql::object::Task;
use crate::service::tasks;

#[derive(Default)]
pub struct TaskQuery;

#[Object]
impl TaskQuery {
    /// The tasks the viewer may see, in the plan's order. A department sees only the tasks
    /// assigned to its unit or to a group its unit belongs to; others are left out silently.
    #[graphql(complexity = "first.unwrap_or(50).max(1) as usize * child_complexity")]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        filter: Option<TaskFilter>,
        #[graphql(desc = "Page size (default 50, at most the configured maximum, 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the edge after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<Task>> {
        let identity = context::identity(ctx)?;
        let db = context::db(ctx)?;
        let request = connection::page_request(ctx, "task", first, after.as_deref())?;
        let filter =
            tasks::filter_condition(&db.conn, context::catalog(ctx)?, &filter.unwrap_or_default().into()).await?;
        let page = tasks::list_tasks(&db.conn, &policy::task_scope(identity), filter, request).await?;
        loader::prime::tasks(ctx, &page.items.iter().map(|t| t.id).collect::<Vec<_>>()).await?;
        Ok(connection::connection("task", &request, page, |t| i64::from(t.number), Task))
    }

    /// One task by number: NOT_FOUND if the plan has none, FORBIDDEN if it is not the
    /// viewer's.
    async fn task(&self, ctx: &Context<'_>, number: i32) -> async_graphql::Result<Option<Task>> {
        let db = context::db(ctx)?;
        let task = tasks::get_task_by_number(&db.conn, number).await?;
        access::ensure_task_readable(ctx, task.id).await?;
        Ok(Some(Task(task)))
    }
}
