//! One of the plan's numbered tasks.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "task")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub section_id: i32,
    pub number: i32,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    /// Why the task has no indicator (or which of its words are left to progress reports).
    #[sea_orm(column_type = "Text", nullable)]
    pub indicator_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::task_assignment::Entity")]
    Assignment,
    #[sea_orm(has_many = "super::indicator::Entity")]
    Indicator,
}

impl Related<super::task_assignment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Assignment.def()
    }
}

impl Related<super::indicator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Indicator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
