//! The one way to write: a transaction that commits only together with its audit event
//! and, for data other systems sync, its change-log entries.
//!
//! A service begins a [`Write`], does its statements on [`Write::tx`], and ends with
//! [`Write::commit`], which takes the [`Record`] of what was done: there is no other commit,
//! so a write without its audit event cannot be written. A write of many records (a bulk
//! import) records each with [`Write::append`] and ends with [`Write::finish`], which
//! commits only when something was recorded. The record's key is built once and serves the
//! audit event and the change alike. Dropping a `Write` (an error, a lost race, a dry run)
//! rolls everything back.

use sea_orm::DatabaseTransaction;
use serde_json::Value as Json;

use crate::db::{Db, WriteTx};
use crate::domain::{ChangeKind, ChangeOperation};
use crate::error::AppResult;
use crate::service::audit::{self, AuditRecord};
use crate::service::changes::{self, Change};
use crate::service::Actor;

/// A change-log entry of a record; its key and action are the record's unless given.
#[derive(Debug, Clone)]
struct RecordedChange {
    kind: ChangeKind,
    operation: ChangeOperation,
    entity_id: i64,
    related_id: Option<i64>,
    task_id: Option<i32>,
    key: Option<String>,
}

/// What a write did: the audit event's content and the changes it made.
#[derive(Debug, Clone)]
#[must_use = "a record is written only by `Write::commit`"]
pub struct Record {
    action: &'static str,
    target_type: &'static str,
    key: String,
    scope_unit_id: Option<i32>,
    before: Option<Json>,
    after: Option<Json>,
    changes: Vec<RecordedChange>,
}

impl Record {
    /// `action` (e.g. `indicator_value.report`) on a `target_type` (`indicator_value`)
    /// with its natural key (`straw_utilization_rate/2022#2`).
    pub fn new(action: &'static str, target_type: &'static str, key: impl Into<String>) -> Record {
        Record {
            action,
            target_type,
            key: key.into(),
            scope_unit_id: None,
            before: None,
            after: None,
            changes: Vec::new(),
        }
    }

    /// The unit whose data this is (a department reads the events about its own data).
    pub fn scope(mut self, unit_id: Option<i32>) -> Record {
        self.scope_unit_id = unit_id;
        self
    }

    /// The state before (none for a creation).
    pub fn before(mut self, state: Option<Json>) -> Record {
        self.before = state;
        self
    }

    /// The state after (none for a removal).
    pub fn after(mut self, state: Option<Json>) -> Record {
        self.after = state;
        self
    }

    /// A change of the feed under the record's own key.
    pub fn change(
        mut self,
        kind: ChangeKind,
        operation: ChangeOperation,
        entity_id: i64,
        task_id: Option<i32>,
    ) -> Record {
        self.changes.push(RecordedChange { kind, operation, entity_id, related_id: None, task_id, key: None });
        self
    }

    /// A further change with a key of its own (e.g. the memberships a new unit joins).
    pub fn also_change(
        mut self,
        kind: ChangeKind,
        operation: ChangeOperation,
        entity_id: i64,
        related_id: Option<i64>,
        key: String,
    ) -> Record {
        self.changes.push(RecordedChange { kind, operation, entity_id, related_id, task_id: None, key: Some(key) });
        self
    }
}

/// A write transaction in progress.
pub struct Write {
    tx: WriteTx,
    /// How many records [`Write::append`] wrote.
    recorded: usize,
}

impl Write {
    /// Begins a write (on SQLite: takes the write lock first).
    pub async fn begin(db: &Db) -> AppResult<Write> {
        Ok(Write { tx: db.begin_unaudited().await?, recorded: 0 })
    }

    /// The transaction, for the write's own statements.
    pub fn tx(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// Records the audit event and the changes, and commits all of it at once.
    pub async fn commit(mut self, actor: Actor<'_>, record: Record) -> AppResult<()> {
        self.append(actor, record).await?;
        self.tx.commit().await
    }

    /// Records one of the many writes of one transaction (a bulk import): its audit event
    /// and changes now, in the transaction; [`Write::finish`] commits them all.
    pub async fn append(&mut self, actor: Actor<'_>, record: Record) -> AppResult<()> {
        let conn: &DatabaseTransaction = &self.tx;
        for c in &record.changes {
            changes::record(
                conn,
                Change {
                    action: record.action,
                    kind: c.kind,
                    operation: c.operation,
                    entity_id: c.entity_id,
                    related_id: c.related_id,
                    key: c.key.clone().unwrap_or_else(|| record.key.clone()),
                    task_id: c.task_id,
                },
            )
            .await?;
        }
        audit::record(
            conn,
            actor,
            AuditRecord {
                action: record.action,
                target_type: record.target_type,
                target_key: record.key,
                scope_unit_id: record.scope_unit_id,
                before: record.before,
                after: record.after,
            },
        )
        .await?;
        self.recorded += 1;
        Ok(())
    }

    /// Commits what [`Write::append`] recorded; with nothing recorded, rolls back instead
    /// (a transaction without an audit event never commits).
    pub async fn finish(self) -> AppResult<()> {
        if self.recorded == 0 {
            return Ok(());
        }
        self.tx.commit().await
    }
}
