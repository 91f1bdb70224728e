//! One version of a task's progress report for a period.
use ecoplan_domain::{ExactDecimal, Period, ProgressStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "task_progress")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub task_id: i32,
    pub period: Period,
    pub version: i32,
    /// NOT_STARTED, IN_PROGRESS, COMPLETED or BLOCKED.
    pub status: ProgressStatus,
    /// Canonical decimal string between 0 and 100.
    pub percent: Option<ExactDecimal>,
    #[sea_orm(column_type = "Text", nullable)]
    pub summary: Option<String>,
    pub evidence: Json,
    pub unit_id: Option<i32>,
    pub reported_by: String,
    pub reported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
