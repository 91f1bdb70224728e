//! Subscriptions (graphql-transport-ws): values reported, verified or rejected, and task
//! progress, each delivered only to subscribers whose token may read it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::{Context, Object, Subscription};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use crate::auth::{policy, Claims, Identity};
use crate::db::Db;
use crate::graphql::context;
use crate::graphql::object::{IndicatorValue, TaskProgress};
use crate::service::events::{Event, EventAction, EventHub};

/// A value event.
pub struct IndicatorValueEvent(Arc<Event>);

#[Object]
impl IndicatorValueEvent {
    /// VALUE_REPORTED, VALUE_VERIFIED or VALUE_REJECTED.
    async fn action(&self) -> EventAction {
        self.0.action
    }

    /// The revision, as the event left it.
    async fn value(&self) -> Option<IndicatorValue> {
        self.0.value.clone().map(IndicatorValue)
    }

    /// The indicator's code.
    async fn indicator_code(&self) -> Option<&str> {
        self.0.indicator_code.as_deref()
    }
}

/// A progress event.
pub struct TaskProgressEvent(Arc<Event>);

#[Object]
impl TaskProgressEvent {
    /// PROGRESS_UPDATED.
    async fn action(&self) -> EventAction {
        self.0.action
    }

    /// The new progress version.
    async fn progress(&self) -> Option<TaskProgress> {
        self.0.progress.clone().map(TaskProgress)
    }
}

/// How often a long-lived subscription re-checks that its token is still valid.
const RECHECK: Duration = Duration::from_secs(30);

/// The events `identity` may see, until its token expires or is revoked.
fn visible_events<F>(ctx: &Context<'_>, keep: F) -> async_graphql::Result<impl Stream<Item = Arc<Event>> + use<F>>
where
    F: Fn(&Event) -> bool + Send + Sync + 'static,
{
    let identity = context::identity(ctx)?.clone();
    let claims = ctx.data_opt::<Claims>().cloned();
    let db = context::db(ctx)?.clone();
    let hub = ctx.data_opt::<Arc<EventHub>>().cloned().ok_or_else(|| {
        async_graphql::Error::from(crate::error::AppError::Unexpected(anyhow::anyhow!("event hub missing")))
    })?;
    let receiver = hub.subscribe();
    struct State {
        receiver: tokio::sync::broadcast::Receiver<Arc<Event>>,
        identity: Identity,
        claims: Option<Claims>,
        db: Db,
        checked: Instant,
    }
    let state = State { receiver, identity, claims, db, checked: Instant::now() };
    Ok(stream::unfold((state, keep), |(mut state, keep)| async move {
        loop {
            let event = match state.receiver.recv().await {
                Ok(e) => e,
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "a slow subscriber missed events; it can resync with `changes`");
                    continue;
                }
                Err(RecvError::Closed) => return None,
            };
            if state.identity.expires_at.is_some_and(|at| at <= chrono::Utc::now()) {
                return None;
            }
            if state.checked.elapsed() >= RECHECK {
                if let Some(claims) = &state.claims {
                    if crate::service::identity::resolve(&state.db.conn, claims).await.is_err() {
                        return None;
                    }
                }
                state.checked = Instant::now();
            }
            if policy::task_scope(&state.identity).covers(&event.assigned_unit_ids) && keep(&event) {
                return Some((event, (state, keep)));
            }
        }
    }))
}

/// Every subscription.
#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Values reported, verified or rejected (of one indicator, when given) on the tasks the
    /// viewer may read. The stream ends when the token expires or is revoked.
    async fn indicator_value_changed(
        &self,
        ctx: &Context<'_>,
        indicator_code: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = IndicatorValueEvent>> {
        let events = visible_events(ctx, move |e| {
            e.value.is_some() && indicator_code.as_ref().is_none_or(|c| e.indicator_code.as_ref() == Some(c))
        })?;
        Ok(futures_util::StreamExt::map(events, IndicatorValueEvent))
    }

    /// Task progress updates (of one task, when given) on the tasks the viewer may read.
    async fn task_progress_updated(
        &self,
        ctx: &Context<'_>,
        task_number: Option<i32>,
    ) -> async_graphql::Result<impl Stream<Item = TaskProgressEvent>> {
        let task_id = match task_number {
            None => None,
            Some(n) => Some(crate::service::tasks::get_task_by_number(&context::db(ctx)?.conn, n).await?.id),
        };
        let events = visible_events(ctx, move |e| e.progress.is_some() && task_id.is_none_or(|t| e.task_id == t))?;
        Ok(futures_util::StreamExt::map(events, TaskProgressEvent))
    }
}
