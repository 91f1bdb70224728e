//! Intake: evidence files and the receipts of bulk imports.
//!
//! - `evidence_blob` holds each distinct file once, by its SHA-256 (identical uploads share
//!   one row), with the content type decided from its bytes.
//! - `evidence_file` attaches a blob to exactly one value revision or progress version,
//!   with the name it was uploaded under, its uploader and the unit whose record it is.
//! - `import_run` is the receipt of one bulk import of indicator values: who sent which
//!   file, what was stored, unchanged or refused, and the refused rows (capped), so that a
//!   department can download them as a spreadsheet with an error column.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction with its migration row, on SQLite too.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("evidence_blob")
                    .if_not_exists()
                    .col(string("sha256").primary_key())
                    .col(string("content_type"))
                    .col(big_integer("size_bytes"))
                    .col(blob("content"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("evidence_file")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string("sha256"))
                    .col(string("file_name"))
                    .col(big_integer_null("value_id"))
                    .col(big_integer_null("progress_id"))
                    .col(integer_null("unit_id"))
                    .col(string("uploaded_by"))
                    .col(timestamp_with_time_zone("uploaded_at"))
                    .foreign_key(ForeignKey::create().from("evidence_file", "sha256").to("evidence_blob", "sha256"))
                    .foreign_key(ForeignKey::create().from("evidence_file", "value_id").to("indicator_value", "id"))
                    .foreign_key(ForeignKey::create().from("evidence_file", "progress_id").to("task_progress", "id"))
                    .check(Expr::cust("(value_id IS NULL) <> (progress_id IS NULL)"))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [("ix_evidence_file_value", "value_id"), ("ix_evidence_file_progress", "progress_id")] {
            manager
                .create_index(Index::create().name(name).table("evidence_file").col(column).if_not_exists().to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("import_run")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(integer_null("unit_id"))
                    .col(string("actor_subject"))
                    .col(string("file_name"))
                    .col(string("format"))
                    .col(boolean("dry_run"))
                    .col(boolean("valid_rows_only"))
                    .col(boolean("committed"))
                    .col(big_integer("rows_read"))
                    .col(big_integer("stored"))
                    .col(big_integer("unchanged"))
                    .col(big_integer("refused"))
                    .col(json("errors"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["import_run", "evidence_file", "evidence_blob"] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
