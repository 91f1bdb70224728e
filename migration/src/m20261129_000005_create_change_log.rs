//! The change log behind incremental sync: one row per change, written in the same
//! transaction as the change. `txid` is the writing transaction's id on PostgreSQL (0 on
//! SQLite, whose writers are serialized), so readers can withhold changes of transactions
//! that may still commit before earlier ones.
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
                    .table("change_log")
                    .if_not_exists()
                    .col(big_pk_auto("seq"))
                    .col(big_integer("txid").default(0))
                    .col(string("kind"))
                    .col(big_integer("entity_id"))
                    .col(big_integer_null("related_id"))
                    .col(string("entity_key"))
                    .col(string("operation"))
                    .col(string("action"))
                    .col(integer_null("task_id"))
                    .col(timestamp_with_time_zone("changed_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_change_log_order")
                    .table("change_log")
                    .col("txid")
                    .col("seq")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_change_log_changed_at")
                    .table("change_log")
                    .col("changed_at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // What exists already is the first change of everything: a client syncing from the
        // start receives the whole plan and every report.
        let now = if manager.get_database_backend() == DbBackend::Postgres { "now()" } else { "CURRENT_TIMESTAMP" };
        let conn = manager.get_connection();
        let (no_id, no_task) = ("CAST(NULL AS BIGINT)", "CAST(NULL AS INTEGER)");
        let sources = [
            ("UNIT", format!("SELECT id AS a, {no_id} AS b, code AS c, {no_task} AS d, 'UPSERT' AS e FROM unit")),
            ("TASK", format!("SELECT id AS a, {no_id} AS b, CAST(number AS TEXT) AS c, id AS d, 'UPSERT' AS e FROM task")),
            ("INDICATOR", format!("SELECT id AS a, {no_id} AS b, code AS c, task_id AS d, 'UPSERT' AS e FROM indicator")),
            (
                "GROUP_MEMBERSHIP",
                format!(
                    "SELECT m.member_unit_id AS a, m.group_unit_id AS b, g.code || '/' || u.code AS c, {no_task} AS d, \
                     'UPSERT' AS e FROM group_membership m JOIN unit g ON g.id = m.group_unit_id \
                     JOIN unit u ON u.id = m.member_unit_id"
                ),
            ),
            (
                "SUPERIOR_TARGET",
                format!(
                    "SELECT s.id AS a, {no_id} AS b, i.code || '/' || CAST(s.year AS TEXT) AS c, i.task_id AS d, \
                     'UPSERT' AS e FROM superior_target s JOIN indicator i ON i.id = s.indicator_id"
                ),
            ),
            (
                "VALUE",
                format!(
                    "SELECT v.id AS a, {no_id} AS b, i.code || '/' || v.period || '#' || CAST(v.revision AS TEXT) AS c, \
                     i.task_id AS d, CASE WHEN v.status = 'REJECTED' THEN 'TOMBSTONE' ELSE 'UPSERT' END AS e \
                     FROM indicator_value v JOIN indicator i ON i.id = v.indicator_id"
                ),
            ),
            (
                "PROGRESS",
                format!(
                    "SELECT p.id AS a, {no_id} AS b, \
                     CAST(t.number AS TEXT) || '/' || p.period || '#' || CAST(p.version AS TEXT) AS c, t.id AS d, \
                     'UPSERT' AS e FROM task_progress p JOIN task t ON t.id = p.task_id"
                ),
            ),
        ];
        for (kind, select) in sources {
            conn.execute_unprepared(&format!(
                "INSERT INTO change_log (txid, kind, entity_id, related_id, entity_key, operation, action, task_id, changed_at) \
                 SELECT 0, '{kind}', src.a, src.b, src.c, src.e, 'existing', src.d, {now} FROM ({select}) src ORDER BY src.a"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("change_log").if_exists().to_owned()).await
    }
}
