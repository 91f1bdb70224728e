//! One condition of an indicator; all of an indicator's conditions must hold.
use ecoplan_domain::{Comparator, ExactDecimal};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_condition")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub indicator_id: i32,
    pub position: i32,
    pub comparator: Comparator,
    /// Canonical decimal string for AT_LEAST / AT_MOST / EQUALS, otherwise NULL.
    pub target: Option<ExactDecimal>,
    /// The document's words for this condition (verbatim, part of the task's text).
    #[sea_orm(column_type = "Text", nullable)]
    pub statement: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::indicator::Entity",
        from = "Column::IndicatorId",
        to = "super::indicator::Column::Id"
    )]
    Indicator,
}

impl Related<super::indicator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Indicator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
