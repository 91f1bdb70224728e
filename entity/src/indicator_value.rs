//! One revision of a reported indicator value for a period.
use ecoplan_domain::{ExactDecimal, Period, ValueStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_value")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub indicator_id: i32,
    /// Canonical period: `2021`, `2021-Q3` or `2021-07`.
    pub period: Period,
    pub revision: i32,
    /// Canonical decimal string for numeric and count indicators.
    pub value: Option<ExactDecimal>,
    /// The answer for yes/no indicators.
    pub implemented: Option<bool>,
    /// SUBMITTED, VERIFIED or REJECTED.
    pub status: ValueStatus,
    pub unit_id: Option<i32>,
    pub reported_by: String,
    pub reported_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// JSON array of evidence strings (links, document numbers).
    pub evidence: Json,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub review_reason: Option<String>,
    /// Whether this is the current revision of its indicator and period (the latest one
    /// not rejected); at most one per key.
    pub is_current: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
