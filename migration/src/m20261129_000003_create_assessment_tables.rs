//! Assessments (考核): scoring schemes (versioned configuration), assessor adjustments,
//! finalization of a year and the frozen snapshots of finalized scores.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from_table: &'static str, from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .on_update(ForeignKeyAction::Restrict)
        .to_owned()
}

const TABLES: &[&str] = &["scoring_scheme", "assessment_adjustment", "assessment_finalization", "assessment_snapshot"];

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
                    .table("scoring_scheme")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(integer("plan_id"))
                    .col(integer("year"))
                    .col(integer("version"))
                    .col(json_binary("definition"))
                    .col(text_null("note"))
                    .col(string("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("scoring_scheme", "plan_id", "plan"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("assessment_adjustment")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(integer("plan_id"))
                    .col(integer("year"))
                    .col(integer("unit_id"))
                    .col(string("points"))
                    .col(text("reason"))
                    .col(string("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("assessment_adjustment", "plan_id", "plan"))
                    .foreign_key(&mut fk("assessment_adjustment", "unit_id", "unit"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("assessment_finalization")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(integer("plan_id"))
                    .col(integer("year"))
                    .col(integer("scheme_version"))
                    .col(string("finalized_by"))
                    .col(timestamp_with_time_zone("finalized_at"))
                    .foreign_key(&mut fk("assessment_finalization", "plan_id", "plan"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("assessment_snapshot")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(integer("plan_id"))
                    .col(integer("year"))
                    .col(integer("unit_id"))
                    .col(json_binary("result"))
                    .col(timestamp_with_time_zone("finalized_at"))
                    .foreign_key(&mut fk("assessment_snapshot", "plan_id", "plan"))
                    .foreign_key(&mut fk("assessment_snapshot", "unit_id", "unit"))
                    .to_owned(),
            )
            .await?;
        for (table, name, cols, unique) in [
            ("scoring_scheme", "ux_scoring_scheme_version", &["plan_id", "year", "version"][..], true),
            ("assessment_adjustment", "ix_assessment_adjustment_year", &["plan_id", "year", "unit_id"][..], false),
            ("assessment_finalization", "ux_assessment_finalization_year", &["plan_id", "year"][..], true),
            ("assessment_snapshot", "ux_assessment_snapshot_unit", &["plan_id", "year", "unit_id"][..], true),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(table).if_not_exists();
            for c in cols {
                idx.col(*c);
            }
            if unique {
                idx.unique();
            }
            manager.create_index(idx.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager.drop_table(Table::drop().table(*table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
