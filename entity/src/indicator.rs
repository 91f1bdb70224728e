//! A measurable or checkable target stated by a task.
use ecoplan_domain::{Direction, Frequency, IndicatorCode, IndicatorKind};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub task_id: i32,
    #[sea_orm(unique)]
    pub code: IndicatorCode,
    pub name: String,
    /// The verbatim phrase of the task's text that states the indicator.
    pub statement: String,
    pub kind: IndicatorKind,
    pub measurement_unit: Option<String>,
    pub direction: Direction,
    pub frequency: Frequency,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::indicator_condition::Entity")]
    Condition,
    #[sea_orm(belongs_to = "super::task::Entity", from = "Column::TaskId", to = "super::task::Column::Id")]
    Task,
}

impl Related<super::indicator_condition::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Condition.def()
    }
}

impl Related<super::task::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Task.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
