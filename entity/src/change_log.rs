//! One change for incremental sync, recorded in the same transaction as the change.
use ecoplan_domain::{ChangeKind, ChangeOperation};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// The database's epoch when the change was written (a restore starts a new one).
    pub epoch: i64,
    /// The writing transaction's id on PostgreSQL; 0 on SQLite.
    pub txid: i64,
    /// VALUE, PROGRESS, TASK, INDICATOR, UNIT, GROUP_MEMBERSHIP or SUPERIOR_TARGET.
    pub kind: ChangeKind,
    /// The id of the changed row (for GROUP_MEMBERSHIP: the member unit).
    pub entity_id: i64,
    /// For GROUP_MEMBERSHIP: the group unit.
    pub related_id: Option<i64>,
    /// The natural key, e.g. `straw_utilization_rate/2022#2`.
    pub entity_key: String,
    /// UPSERT, or TOMBSTONE for what was rejected or removed.
    pub operation: ChangeOperation,
    /// The write that made the change (an audit action such as `indicator_value.verify`;
    /// `existing` for what was there when the log began).
    pub action: String,
    /// The task the change belongs to (for scoping), if any.
    pub task_id: Option<i32>,
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
