//! The plan's structure, the work reported against it, the audit trail and token records.
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

fn index(table: &'static str, name: &str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table).if_not_exists();
    for col in cols {
        stmt.col(*col);
    }
    if unique {
        stmt.unique();
    }
    stmt.to_owned()
}

/// Tables in creation order; `down` drops them in reverse.
const TABLES: &[&str] = &[
    "plan",
    "domain",
    "section",
    "unit",
    "group_membership",
    "task",
    "task_assignment",
    "indicator",
    "indicator_condition",
    "indicator_value",
    "task_progress",
    "superior_target",
    "audit_event",
    "issued_token",
    "revoked_token",
    "signing_key",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction with its migration row, on SQLite too: a process killed halfway
    /// leaves the database as it was, and the next start applies the migration again.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            Table::create()
                .table("plan")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_uniq("code"))
                .col(string("title"))
                .col(string("document_number"))
                .col(string("issuer"))
                .col(date("issued_on"))
                .col(string("region"))
                .col(string("region_code"))
                .to_owned(),
            Table::create()
                .table("domain")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("plan_id"))
                .col(string("code"))
                .col(string("name"))
                .col(string("label"))
                .col(integer("position"))
                .foreign_key(&mut fk("domain", "plan_id", "plan"))
                .to_owned(),
            Table::create()
                .table("section")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("plan_id"))
                .col(integer("domain_id"))
                .col(integer("number"))
                .col(string("name"))
                .foreign_key(&mut fk("section", "plan_id", "plan"))
                .foreign_key(&mut fk("section", "domain_id", "domain"))
                .to_owned(),
            Table::create()
                .table("unit")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_uniq("code"))
                .col(string_uniq("name"))
                .col(boolean("is_group"))
                .col(string("origin"))
                .col(json_binary("aliases"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
            Table::create()
                .table("group_membership")
                .if_not_exists()
                .col(integer("group_unit_id"))
                .col(integer("member_unit_id"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("group_unit_id").col("member_unit_id"))
                .foreign_key(&mut fk("group_membership", "group_unit_id", "unit"))
                .foreign_key(&mut fk("group_membership", "member_unit_id", "unit"))
                .to_owned(),
            Table::create()
                .table("task")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("plan_id"))
                .col(integer("section_id"))
                .col(integer("number"))
                .col(string("title"))
                .col(text("text"))
                .foreign_key(&mut fk("task", "plan_id", "plan"))
                .foreign_key(&mut fk("task", "section_id", "section"))
                .to_owned(),
            Table::create()
                .table("task_assignment")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("task_id"))
                .col(integer("unit_id"))
                .col(string("role"))
                .col(string("as_written"))
                .col(integer("position"))
                .foreign_key(&mut fk("task_assignment", "task_id", "task"))
                .foreign_key(&mut fk("task_assignment", "unit_id", "unit"))
                .to_owned(),
            Table::create()
                .table("indicator")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("plan_id"))
                .col(integer("task_id"))
                .col(string_uniq("code"))
                .col(string("name"))
                .col(text("statement"))
                .col(string("kind"))
                .col(string_null("measurement_unit"))
                .col(string("direction"))
                .col(string("frequency"))
                .col(integer("position"))
                .foreign_key(&mut fk("indicator", "plan_id", "plan"))
                .foreign_key(&mut fk("indicator", "task_id", "task"))
                .to_owned(),
            Table::create()
                .table("indicator_condition")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("indicator_id"))
                .col(integer("position"))
                .col(string("comparator"))
                .col(string_null("target"))
                .foreign_key(&mut fk("indicator_condition", "indicator_id", "indicator"))
                .to_owned(),
            Table::create()
                .table("indicator_value")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(integer("indicator_id"))
                .col(string("period"))
                .col(integer("revision"))
                .col(string_null("value"))
                .col(boolean_null("implemented"))
                .col(string("status"))
                .col(integer_null("unit_id"))
                .col(string("reported_by"))
                .col(timestamp_with_time_zone("reported_at"))
                .col(text_null("note"))
                .col(json_binary("evidence"))
                .col(string_null("reviewed_by"))
                .col(timestamp_with_time_zone_null("reviewed_at"))
                .col(text_null("review_reason"))
                .foreign_key(&mut fk("indicator_value", "indicator_id", "indicator"))
                .foreign_key(&mut fk("indicator_value", "unit_id", "unit"))
                .to_owned(),
            Table::create()
                .table("task_progress")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(integer("task_id"))
                .col(string("period"))
                .col(integer("version"))
                .col(string("status"))
                .col(string_null("percent"))
                .col(text_null("summary"))
                .col(json_binary("evidence"))
                .col(integer_null("unit_id"))
                .col(string("reported_by"))
                .col(timestamp_with_time_zone("reported_at"))
                .foreign_key(&mut fk("task_progress", "task_id", "task"))
                .foreign_key(&mut fk("task_progress", "unit_id", "unit"))
                .to_owned(),
            Table::create()
                .table("superior_target")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("indicator_id"))
                .col(integer("year"))
                .col(string("target"))
                .col(text_null("source"))
                .col(string("set_by"))
                .col(timestamp_with_time_zone("set_at"))
                .foreign_key(&mut fk("superior_target", "indicator_id", "indicator"))
                .to_owned(),
            Table::create()
                .table("audit_event")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(timestamp_with_time_zone("occurred_at"))
                .col(string("actor_subject"))
                .col(string("actor_role"))
                .col(integer_null("actor_unit_id"))
                .col(string("action"))
                .col(string("target_type"))
                .col(string("target_key"))
                .col(integer_null("scope_unit_id"))
                .col(json_binary_null("before"))
                .col(json_binary_null("after"))
                .col(string("request_id"))
                .to_owned(),
            Table::create()
                .table("issued_token")
                .if_not_exists()
                .col(string("jti").primary_key())
                .col(string("subject"))
                .col(string("role"))
                .col(integer_null("unit_id"))
                .col(string("kid"))
                .col(timestamp_with_time_zone("issued_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .foreign_key(&mut fk("issued_token", "unit_id", "unit"))
                .to_owned(),
            Table::create()
                .table("revoked_token")
                .if_not_exists()
                .col(string("jti").primary_key())
                .col(timestamp_with_time_zone("revoked_at"))
                .col(string("revoked_by"))
                .col(text_null("reason"))
                .to_owned(),
            Table::create()
                .table("signing_key")
                .if_not_exists()
                .col(string("kid").primary_key())
                .col(string("algorithm"))
                .col(string("secret"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("retired_at"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }

        let indexes = [
            index("domain", "ux_domain_plan_code", &["plan_id", "code"], true),
            index("section", "ux_section_plan_number", &["plan_id", "number"], true),
            index("task", "ux_task_plan_number", &["plan_id", "number"], true),
            index("group_membership", "ix_group_membership_member", &["member_unit_id"], false),
            index("task_assignment", "ux_task_assignment_task_unit", &["task_id", "unit_id"], true),
            index("task_assignment", "ix_task_assignment_unit_task", &["unit_id", "task_id"], false),
            index("indicator", "ix_indicator_task", &["task_id", "position"], false),
            index("indicator_condition", "ix_indicator_condition_indicator", &["indicator_id", "position"], false),
            // One row per revision: the unique key is what makes concurrent reports safe.
            index("indicator_value", "ux_indicator_value_revision", &["indicator_id", "period", "revision"], true),
            index("indicator_value", "ix_indicator_value_reported_at", &["reported_at"], false),
            index("task_progress", "ux_task_progress_version", &["task_id", "period", "version"], true),
            index("superior_target", "ux_superior_target_year", &["indicator_id", "year"], true),
            index("audit_event", "ix_audit_event_occurred", &["occurred_at"], false),
            index("audit_event", "ix_audit_event_scope", &["scope_unit_id", "id"], false),
        ];
        for idx in indexes {
            manager.create_index(idx).await?;
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
