//! An assessor's adjustment of a unit's score for a year, with its reason.
use ecoplan_domain::{ExactDecimal, PlanYear};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assessment_adjustment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub year: PlanYear,
    pub unit_id: i32,
    /// Canonical decimal string, positive or negative.
    pub points: ExactDecimal,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
