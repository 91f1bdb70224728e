//! A measurable or checkable target stated by a task.
use ecoplan_domain::{Commitment, Direction, Frequency, IndicatorCode, IndicatorKind, Source};
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
    /// The plan's order as one key: task number × 1000 + position (lists page by it).
    pub plan_order: i32,
    /// The rule under which the document's words became this indicator.
    pub commitment: Commitment,
    /// Whether the document states the reporting frequency or it is configuration.
    pub frequency_source: Source,
    /// Why the frequency is what it is (a quote, or the reason for the configuration).
    #[sea_orm(column_type = "Text", nullable)]
    pub frequency_basis: Option<String>,
    /// How to report where the document does not say (e.g. which index to use).
    #[sea_orm(column_type = "Text", nullable)]
    pub reporting_note: Option<String>,
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
