//! A part of the plan document other than its tasks, verbatim: the notice that issued it,
//! the preamble, 指导思想, 总体目标, 保障措施 and the distribution list.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_text")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    /// A stable key, e.g. `guiding_ideology`, `safeguard_accountability`.
    pub key: String,
    /// Order in the document.
    pub position: i32,
    /// The heading as printed (e.g. `一、指导思想`), if the part has one.
    pub heading: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
