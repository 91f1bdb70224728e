//! Live events for subscriptions, fed from the change log.
//!
//! Each instance polls the change log (the same out-of-order-safe feed clients sync from)
//! and broadcasts what it finds to its own subscribers, so a value reported through any
//! instance reaches subscribers on every instance, within one poll interval.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use entity::{change_log, indicator, indicator_value, task_progress};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::broadcast;

use crate::auth::policy::TaskScope;
use crate::db::Db;
use crate::domain::{ChangeKind, ValueStatus};
use crate::error::AppResult;
use crate::service::changes::{self, Position};
use crate::service::tasks;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum EventAction {
    /// A department reported a value (a new revision).
    ValueReported,
    /// The assessment office verified a revision.
    ValueVerified,
    /// The assessment office rejected a revision; it no longer counts.
    ValueRejected,
    /// A department updated a task's progress.
    ProgressUpdated,
}

/// One event, with what a subscriber's scope is checked against.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: EventAction,
    pub value: Option<indicator_value::Model>,
    pub progress: Option<task_progress::Model>,
    pub indicator_code: Option<String>,
    pub task_id: i32,
    /// The units assigned to the task (a subscriber sees the event if its scope covers them).
    pub assigned_unit_ids: Arc<Vec<i32>>,
}

/// What the poller tells subscribers.
#[derive(Debug, Clone)]
pub enum Notice {
    /// Something happened.
    Event(Arc<Event>),
    /// The database became another incarnation (it was restored from a backup): events
    /// between the old and the new data cannot be told; subscribers must resync.
    Resync,
}

/// The broadcast side of one instance.
pub struct EventHub {
    sender: broadcast::Sender<Notice>,
}

impl EventHub {
    pub fn new() -> Arc<EventHub> {
        let (sender, _) = broadcast::channel(1024);
        Arc::new(EventHub { sender })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.sender.subscribe()
    }

    /// How many subscriptions of this instance are listening now.
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }
}

/// The newest position in the feed now (events start after it), and the incarnation.
async fn current_end(db: &Db) -> AppResult<(Option<Position>, String)> {
    let last = change_log::Entity::find()
        .order_by_desc(change_log::Column::Epoch)
        .order_by_desc(change_log::Column::Txid)
        .order_by_desc(change_log::Column::Seq)
        .limit(1)
        .one(&db.conn)
        .await?;
    let incarnation = crate::db::incarnation::current(&db.conn).await?.id;
    Ok((last.as_ref().map(Position::of), incarnation))
}

/// Turns a page of changes into events (3 statements for the page).
async fn events_of(db: &Db, page: &[change_log::Model]) -> AppResult<Vec<Event>> {
    let wanted: Vec<&change_log::Model> =
        page.iter().filter(|c| matches!(c.kind, ChangeKind::Value | ChangeKind::Progress)).collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let value_ids: Vec<i64> = wanted.iter().filter(|c| c.kind == ChangeKind::Value).map(|c| c.entity_id).collect();
    let progress_ids: Vec<i64> =
        wanted.iter().filter(|c| c.kind == ChangeKind::Progress).map(|c| c.entity_id).collect();
    let values: HashMap<i64, indicator_value::Model> = if value_ids.is_empty() {
        HashMap::new()
    } else {
        indicator_value::Entity::find()
            .filter(indicator_value::Column::Id.is_in(value_ids))
            .all(&db.conn)
            .await?
            .into_iter()
            .map(|v| (v.id, v))
            .collect()
    };
    let progress: HashMap<i64, task_progress::Model> = if progress_ids.is_empty() {
        HashMap::new()
    } else {
        task_progress::Entity::find()
            .filter(task_progress::Column::Id.is_in(progress_ids))
            .all(&db.conn)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect()
    };
    let indicator_ids: Vec<i32> = values.values().map(|v| v.indicator_id).collect();
    let codes: HashMap<i32, String> = if indicator_ids.is_empty() {
        HashMap::new()
    } else {
        indicator::Entity::find()
            .filter(indicator::Column::Id.is_in(indicator_ids))
            .all(&db.conn)
            .await?
            .into_iter()
            .map(|i| (i.id, i.code.to_string()))
            .collect()
    };
    let task_ids: Vec<i32> = wanted.iter().filter_map(|c| c.task_id).collect();
    let assignments = tasks::assignments_of(&db.conn, &task_ids).await?;
    let mut out = Vec::new();
    for c in wanted {
        let Some(task_id) = c.task_id else { continue };
        let units =
            Arc::new(assignments.get(&task_id).map(|a| a.iter().map(|(x, _)| x.unit_id).collect()).unwrap_or_default());
        let event = match c.kind {
            ChangeKind::Value => values.get(&c.entity_id).map(|v| Event {
                action: match c.action.as_str() {
                    "indicator_value.verify" => EventAction::ValueVerified,
                    "indicator_value.reject" => EventAction::ValueRejected,
                    _ => EventAction::ValueReported,
                },
                // The revision as the change left it (a later review must not rewrite history).
                value: Some(indicator_value::Model {
                    status: match c.action.as_str() {
                        "indicator_value.report" => ValueStatus::Submitted,
                        "indicator_value.verify" => ValueStatus::Verified,
                        "indicator_value.reject" => ValueStatus::Rejected,
                        _ => v.status,
                    },
                    ..v.clone()
                }),
                progress: None,
                indicator_code: codes.get(&v.indicator_id).cloned(),
                task_id,
                assigned_unit_ids: units,
            }),
            _ => progress.get(&c.entity_id).map(|p| Event {
                action: EventAction::ProgressUpdated,
                value: None,
                progress: Some(p.clone()),
                indicator_code: None,
                task_id,
                assigned_unit_ids: units,
            }),
        };
        out.extend(event);
    }
    Ok(out)
}

/// Polls the change log every `every` and broadcasts new events, for the life of the
/// process. While nobody listens it only keeps its place at the end of the log.
pub fn spawn_poller(db: Db, hub: Arc<EventHub>, every: Duration) {
    tokio::spawn(async move {
        let (mut after, mut incarnation) = loop {
            match current_end(&db).await {
                Ok(end) => break end,
                Err(e) => {
                    tracing::warn!(error = %e, "event poller cannot read the change log yet");
                    tokio::time::sleep(every.max(Duration::from_secs(1))).await;
                }
            }
        };
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if hub.sender.receiver_count() == 0 {
                match current_end(&db).await {
                    Ok(end) => (after, incarnation) = end,
                    Err(e) => tracing::debug!(error = %e, "event poller cannot read the change log"),
                }
                continue;
            }
            // A restore (a new incarnation) invalidates every position: subscribers resync,
            // and events start again at the new end of the log.
            match crate::db::incarnation::current(&db.conn).await {
                Ok(now) if now.id != incarnation => {
                    tracing::warn!(incarnation = %now.id, "the database was restored: subscribers must resync");
                    let _ = hub.sender.send(Notice::Resync);
                    match current_end(&db).await {
                        Ok(end) => (after, incarnation) = end,
                        Err(e) => tracing::warn!(error = %e, "event poller cannot read the change log"),
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "event poller cannot read the incarnation");
                    continue;
                }
            }
            loop {
                let page = match changes::feed(&db.conn, &TaskScope::All, None, after, 500).await {
                    Ok(page) => page,
                    Err(e) => {
                        tracing::warn!(error = %e, "event poller cannot read the change log");
                        break;
                    }
                };
                let events = match events_of(&db, &page.changes).await {
                    Ok(events) => events,
                    Err(e) => {
                        tracing::warn!(error = %e, "event poller cannot load changed rows");
                        break;
                    }
                };
                if let Some(last) = page.changes.last() {
                    after = Some(Position::of(last));
                }
                for e in events {
                    // No receiver left is fine.
                    let _ = hub.sender.send(Notice::Event(Arc::new(e)));
                }
                if !page.has_next {
                    break;
                }
            }
        }
    });
}
