//! Data safety: which incarnation of the database this is, the change log's epochs, and
//! idempotency keys.
//!
//! - `database_incarnation` holds one row: an id created with the database and replaced
//!   by every restore, and an `epoch` that a restore increments. Cursors, cached responses
//!   and subscription positions carry the incarnation, so nothing handed out before a
//!   restore is taken for a position in the restored data.
//! - `change_log.epoch` orders the feed across restores: a PostgreSQL restore into another
//!   cluster brings transaction ids from that cluster, which mean nothing here; changes of
//!   earlier epochs come first and are always visible, and the transaction-id rule applies
//!   within the current epoch only.
//! - `idempotency_key` remembers a client's key for a write with the write itself, so a
//!   retried request (a commit cut off in flight) is stored once.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

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
            .create_table(
                Table::create()
                    .table("database_incarnation")
                    .if_not_exists()
                    .col(integer("id").primary_key())
                    .col(string("incarnation"))
                    .col(big_integer("epoch"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        let (random_id, now) = match manager.get_database_backend() {
            DbBackend::Postgres => ("md5(random()::text || clock_timestamp()::text)", "now()"),
            _ => ("lower(hex(randomblob(16)))", "CURRENT_TIMESTAMP"),
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO database_incarnation (id, incarnation, epoch, created_at) VALUES (1, {random_id}, 1, {now})"
            ))
            .await?;
        manager
            .alter_table(Table::alter().table("change_log").add_column(big_integer("epoch").default(1)).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_change_log_epoch_order")
                    .table("change_log")
                    .col("epoch")
                    .col("txid")
                    .col("seq")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("idempotency_key")
                    .if_not_exists()
                    .col(string("subject"))
                    .col(string("idempotency_key"))
                    .col(string("operation"))
                    .col(string("request_hash"))
                    .col(big_integer("result_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("subject").col("idempotency_key"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_idempotency_key_created_at")
                    .table("idempotency_key")
                    .col("created_at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("idempotency_key").if_exists().to_owned()).await?;
        manager.drop_index(Index::drop().name("ix_change_log_epoch_order").table("change_log").to_owned()).await?;
        manager.alter_table(Table::alter().table("change_log").drop_column("epoch").to_owned()).await?;
        manager.drop_table(Table::drop().table("database_incarnation").if_exists().to_owned()).await
    }
}
