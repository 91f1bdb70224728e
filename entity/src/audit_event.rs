//! One successful write, recorded in the same transaction as the write.
use ecoplan_domain::Role;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: DateTimeUtc,
    pub actor_subject: String,
    pub actor_role: Role,
    pub actor_unit_id: Option<i32>,
    pub action: String,
    pub target_type: String,
    pub target_key: String,
    /// The unit whose data the write touched, for scoping the log to departments.
    pub scope_unit_id: Option<i32>,
    pub before: Option<Json>,
    pub after: Option<Json>,
    pub request_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
