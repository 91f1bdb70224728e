//! A version of the scoring scheme for a plan year (configuration set by admin or assessor).
use ecoplan_domain::PlanYear;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scoring_scheme")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub year: PlanYear,
    pub version: i32,
    /// The scheme's weights, deductions and grade thresholds (JSON).
    pub definition: Json,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
