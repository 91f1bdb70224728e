//! The frozen result of a unit's assessment in a finalized year.
use ecoplan_domain::PlanYear;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assessment_snapshot")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub year: PlanYear,
    pub unit_id: i32,
    /// The whole result (score, grade, rank, breakdown …) as JSON.
    pub result: Json,
    pub finalized_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
