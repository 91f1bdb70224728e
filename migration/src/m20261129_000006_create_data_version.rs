//! One counter that every write transaction increments before it commits: readers compare it
//! to decide whether a cached response is still current.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

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
                    .table("data_version")
                    .if_not_exists()
                    .col(integer("id").primary_key())
                    .col(big_integer("version").default(0))
                    .to_owned(),
            )
            .await?;
        let insert = Query::insert()
            .into_table("data_version")
            .columns(["id", "version"])
            .values([1.into(), 0i64.into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .on_conflict(OnConflict::column("id").do_nothing().to_owned())
            .to_owned();
        manager.get_connection().execute(&insert).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("data_version").if_exists().to_owned()).await
    }
}
