//! Subscriptions (graphql-transport-ws): values reported, verified or rejected, and task
//! progress, each delivered only to subscribers whose token may read it.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, Object, Subscription};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use crate::auth::policy::{self, TaskScope};
use crate::error::AppError;
use crate::graphql::context::{self, LiveIdentity};
use crate::graphql::object::{IndicatorValue, TaskProgress};
use crate::service::events::{Event, EventAction, EventHub, Notice};

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

/// How old the connection's token check may be when an event is delivered: events are
/// checked against an identity at most this old (the connection re-checks idle sockets on
/// its own interval).
const EVENT_RECHECK: Duration = Duration::from_secs(1);

/// The events the subscriber may see now. Before each event the connection's identity is
/// re-checked (at most [`EVENT_RECHECK`] old): a token that is no longer valid ends the
/// stream (the transport closes the socket), and when the subscriber's scope is no longer
/// the one it subscribed with (a group membership removed), the stream ends with an error
/// so that the client subscribes again through the gate.
fn visible_events<F>(
    ctx: &Context<'_>,
    keep: F,
) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Arc<Event>>> + use<F>>
where
    F: Fn(&Event) -> bool + Send + Sync + 'static,
{
    let identity = context::identity(ctx)?.clone();
    let live = ctx.data_opt::<Arc<dyn LiveIdentity>>().cloned().ok_or_else(|| {
        async_graphql::Error::from(AppError::validation("subscriptions are served over WebSocket at /graphql"))
    })?;
    let hub = ctx
        .data_opt::<Arc<EventHub>>()
        .cloned()
        .ok_or_else(|| async_graphql::Error::from(AppError::Unexpected(anyhow::anyhow!("event hub missing"))))?;
    struct State {
        receiver: tokio::sync::broadcast::Receiver<Notice>,
        scope: TaskScope,
        live: Arc<dyn LiveIdentity>,
        done: bool,
    }
    let state = State { receiver: hub.subscribe(), scope: policy::task_scope(&identity), live, done: false };
    Ok(stream::unfold((state, keep), |(mut state, keep)| async move {
        if state.done {
            return None;
        }
        loop {
            let event = match state.receiver.recv().await {
                Ok(Notice::Event(e)) => e,
                Ok(Notice::Resync) => {
                    state.done = true;
                    let e = AppError::ResyncRequired(
                        "the database was restored from a backup: read `changes` again from the start, then subscribe again"
                            .into(),
                    );
                    return Some((Err(e.into()), (state, keep)));
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "a slow subscriber missed events; it can resync with `changes`");
                    continue;
                }
                Err(RecvError::Closed) => return None,
            };
            let Ok(now) = state.live.current(EVENT_RECHECK).await else {
                return None;
            };
            if policy::task_scope(&now) != state.scope {
                state.done = true;
                let e = AppError::forbidden("your access changed since you subscribed; subscribe again");
                return Some((Err(e.into()), (state, keep)));
            }
            if state.scope.covers(&event.assigned_unit_ids) && keep(&event) {
                return Some((Ok(event), (state, keep)));
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
    /// viewer may read. The connection is closed (4403) when the token expires or is revoked.
    async fn indicator_value_changed(
        &self,
        ctx: &Context<'_>,
        indicator_code: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<IndicatorValueEvent>>> {
        let events = visible_events(ctx, move |e| {
            e.value.is_some() && indicator_code.as_ref().is_none_or(|c| e.indicator_code.as_ref() == Some(c))
        })?;
        Ok(futures_util::StreamExt::map(events, |e| e.map(IndicatorValueEvent)))
    }

    /// Task progress updates (of one task, when given) on the tasks the viewer may read.
    async fn task_progress_updated(
        &self,
        ctx: &Context<'_>,
        task_number: Option<i32>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<TaskProgressEvent>>> {
        let task_id = match task_number {
            None => None,
            Some(n) => Some(crate::service::tasks::get_task_by_number(&context::db(ctx)?.conn, n).await?.id),
        };
        let events = visible_events(ctx, move |e| e.progress.is_some() && task_id.is_none_or(|t| e.task_id == t))?;
        Ok(futures_util::StreamExt::map(events, |e| e.map(TaskProgressEvent)))
    }
}
