//! Membership of a unit in a group unit (configuration, not plan content).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_membership")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_unit_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_unit_id: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
