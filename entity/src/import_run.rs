//! The receipt of one bulk import of indicator values.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_run")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The unit the rows were reported for (none: an administrator's county-wide import).
    pub unit_id: Option<i32>,
    pub actor_subject: String,
    pub file_name: String,
    /// `csv` or `xlsx`.
    pub format: String,
    pub dry_run: bool,
    /// Whether valid rows were stored although others were refused.
    pub valid_rows_only: bool,
    /// Whether the rows were stored (false for a dry run and for a refused file).
    pub committed: bool,
    pub rows_read: i64,
    pub stored: i64,
    pub unchanged: i64,
    pub refused: i64,
    /// The header and the refused rows (at most the configured number):
    /// `{header: [...], rows: [{row, column, code, message, cells}]}`.
    pub errors: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
