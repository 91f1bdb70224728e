//! A responsible unit (bureau, office, township government) or a group of units.
use ecoplan_domain::{UnitCode, UnitOrigin};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: UnitCode,
    pub name: String,
    pub is_group: bool,
    /// `PLAN` when the document names the unit, `CONFIGURATION` when an admin created it.
    pub origin: UnitOrigin,
    /// Other spellings of the name in the document (JSON array of strings).
    pub aliases: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::task_assignment::Entity")]
    Assignment,
}

impl Related<super::task_assignment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Assignment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
