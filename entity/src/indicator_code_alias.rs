//! A code an indicator had before it was corrected; lookups by it still find the indicator.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_code_alias")]
pub struct Model {
    /// The former code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub indicator_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
