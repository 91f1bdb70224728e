//! An evidence file attached to one value revision or one progress version.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evidence_file")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The blob's SHA-256.
    pub sha256: String,
    /// The name the file was uploaded under.
    pub file_name: String,
    /// The value revision it supports (exactly one of this and `progress_id`).
    pub value_id: Option<i64>,
    /// The progress version it supports.
    pub progress_id: Option<i64>,
    /// The unit whose record it is (scoping).
    pub unit_id: Option<i32>,
    pub uploaded_by: String,
    pub uploaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
