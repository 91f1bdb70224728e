//! One distinct evidence file's bytes, stored once however often it is attached.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evidence_blob")]
pub struct Model {
    /// The SHA-256 of the content, lower-case hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256: String,
    /// Decided from the content (magic bytes), e.g. `application/pdf`.
    pub content_type: String,
    pub size_bytes: i64,
    #[sea_orm(column_type = "Blob")]
    pub content: Vec<u8>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
