//! Hot paths: the current revision of each indicator and period is flagged (`is_current`,
//! at most one per key, kept in the same transaction as every report and review), so the
//! dashboard reads it by index however many revisions pile up; values of an indicator are
//! paged by (indicator_id, id).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction with its migration row, on SQLite too: a process killed halfway
    /// leaves the database as it was, and the next start applies the migration again.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("indicator_value")
                    .add_column(ColumnDef::new("is_current").boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;
        let conn = manager.get_connection();
        // The current revision: the latest one not rejected.
        conn.execute_unprepared(
            "UPDATE indicator_value SET is_current = TRUE WHERE status <> 'REJECTED' AND NOT EXISTS ( \
             SELECT 1 FROM indicator_value later WHERE later.indicator_id = indicator_value.indicator_id \
             AND later.period = indicator_value.period AND later.status <> 'REJECTED' \
             AND later.revision > indicator_value.revision)",
        )
        .await?;
        // Same syntax on SQLite and PostgreSQL: a partial unique index.
        conn.execute_unprepared(
            "CREATE UNIQUE INDEX IF NOT EXISTS ux_indicator_value_current \
             ON indicator_value (indicator_id, period) WHERE is_current",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_indicator_value_indicator_id")
                    .table("indicator_value")
                    .col("indicator_id")
                    .col("id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ix_indicator_value_indicator_id").table("indicator_value").to_owned())
            .await?;
        manager
            .drop_index(Index::drop().name("ux_indicator_value_current").table("indicator_value").to_owned())
            .await?;
        manager.alter_table(Table::alter().table("indicator_value").drop_column("is_current").to_owned()).await?;
        Ok(())
    }
}
