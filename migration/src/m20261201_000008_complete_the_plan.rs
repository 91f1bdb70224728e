//! The plan, completed: loads `seed/qinshui_plan_completion.json` over what
//! `m20261128_000002` loaded (that migration and its file are never edited).
//!
//! - every checkable commitment of the document becomes an indicator, each naming the rule
//!   under which the document's words became it (`indicator.commitment`);
//! - each condition carries the document's words for it (`indicator_condition.statement`);
//! - what the document does not say is marked as such: the reporting frequency's source
//!   (`DOCUMENT` or `CONFIGURED`) and reason, and a reporting note where the unit must
//!   choose a measure;
//! - two codes that misnamed their indicators are corrected; the former codes stay valid
//!   (`indicator_code_alias`);
//! - tasks without an indicator say why (`task.indicator_note`);
//! - the rest of the document (the notice, preamble, 指导思想, 总体目标, 保障措施, the
//!   distribution list) is kept verbatim (`plan_text`).
//!
//! Values already reported are untouched. Every indicator it adds or changes gets a change-log
//! entry, so clients that sync see the completed plan. Idempotent: a second run changes
//! nothing.

use sea_orm::{DbBackend, Value};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use serde::Deserialize;

/// The completion file, compiled in.
pub const COMPLETION_JSON: &str = include_str!("../seed/qinshui_plan_completion.json");

/// The frequency's reason where the completion file gives none.
const DEFAULT_FREQUENCY_BASIS: &str = "文件未规定报送频次；配置为每年一次，与年度自评（动态监管）一致。";

/// The completion file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Completion {
    pub plan: CompletionPlan,
    pub rules: Vec<RuleRow>,
    pub tasks: Vec<TaskNoteRow>,
    pub indicators: Vec<IndicatorEntry>,
}

#[derive(Debug, Deserialize)]
pub struct CompletionPlan {
    pub code: String,
    pub text: Vec<PlanTextRow>,
}

#[derive(Debug, Deserialize)]
pub struct PlanTextRow {
    pub key: String,
    pub heading: Option<String>,
    pub text: String,
}

/// One rule that turns the document's words into an indicator (or not).
#[derive(Debug, Deserialize)]
pub struct RuleRow {
    pub commitment: String,
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskNoteRow {
    pub number: i32,
    pub indicator_note: String,
}

/// An indicator: for one of the seed's, what to add or correct; for a new one, all of it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndicatorEntry {
    pub code: String,
    #[serde(default)]
    pub former_codes: Vec<String>,
    pub name: Option<String>,
    pub commitment: String,
    pub frequency_source: Option<String>,
    pub frequency_basis: Option<String>,
    pub reporting_note: Option<String>,
    pub conditions: Vec<ConditionEntry>,
    // Only for a new indicator:
    pub task: Option<i32>,
    pub statement: Option<String>,
    pub kind: Option<String>,
    pub measurement_unit: Option<String>,
    pub direction: Option<String>,
    pub frequency: Option<String>,
}

/// A condition: the n-th one's words, or (past the existing ones) a new condition.
#[derive(Debug, Deserialize)]
pub struct ConditionEntry {
    pub comparator: Option<String>,
    pub target: Option<String>,
    pub statement: String,
}

impl Completion {
    /// Parses the compiled-in completion file.
    pub fn load() -> Result<Self, DbErr> {
        serde_json::from_str(COMPLETION_JSON)
            .map_err(|e| DbErr::Custom(format!("seed/qinshui_plan_completion.json is invalid: {e}")))
    }
}

#[derive(DeriveMigrationName)]
pub struct Migration;

fn custom(e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(e.to_string())
}

fn int(n: usize) -> Result<i32, DbErr> {
    <i32 as std::convert::TryFrom<usize>>::try_from(n).map_err(custom)
}

/// One value of the first row of a query, if any.
async fn scalar<T: sea_orm::TryGetable>(
    manager: &SchemaManager<'_>,
    select: SelectStatement,
) -> Result<Option<T>, DbErr> {
    match manager.get_connection().query_one(&select).await? {
        Some(row) => Ok(Some(row.try_get_by_index::<T>(0)?)),
        None => Ok(None),
    }
}

async fn indicator_id(manager: &SchemaManager<'_>, code: &str) -> Result<Option<i32>, DbErr> {
    scalar(manager, Query::select().column("id").from("indicator").and_where(Expr::col("code").eq(code)).to_owned())
        .await
}

async fn execute(manager: &SchemaManager<'_>, stmt: impl sea_orm::StatementBuilder) -> Result<(), DbErr> {
    manager.get_connection().execute(&stmt).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction with its migration row, on SQLite too.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let completion = Completion::load()?;
        add_columns_and_tables(manager).await?;

        let plan_id: i32 = scalar(
            manager,
            Query::select()
                .column("id")
                .from("plan")
                .and_where(Expr::col("code").eq(completion.plan.code.as_str()))
                .to_owned(),
        )
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("plan {}", completion.plan.code)))?;

        for (position, part) in completion.plan.text.iter().enumerate() {
            let mut conflict = OnConflict::columns(["plan_id", "key"]);
            conflict.do_nothing();
            execute(
                manager,
                Query::insert()
                    .into_table("plan_text")
                    .columns(["plan_id", "key", "position", "heading", "text"])
                    .values([
                        plan_id.into(),
                        part.key.as_str().into(),
                        (int(position)? + 1).into(),
                        part.heading.clone().into(),
                        part.text.as_str().into(),
                    ])
                    .map_err(custom)?
                    .on_conflict(conflict)
                    .to_owned(),
            )
            .await?;
        }

        for t in &completion.tasks {
            execute(
                manager,
                Query::update()
                    .table("task")
                    .value("indicator_note", t.indicator_note.as_str())
                    .and_where(Expr::col("plan_id").eq(plan_id))
                    .and_where(Expr::col("number").eq(t.number))
                    .to_owned(),
            )
            .await?;
        }

        let mut touched = Vec::new();
        for entry in &completion.indicators {
            touched.push(apply_indicator(manager, plan_id, entry).await?);
        }
        // The plan's order as one key (task number, then position in the task), for lists
        // paged in that order.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE indicator SET plan_order = (SELECT t.number FROM task t WHERE t.id = indicator.task_id) * 1000 + position",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_indicator_plan_order")
                    .table("indicator")
                    .col("plan_id")
                    .col("plan_order")
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        record_changes(manager, &touched).await?;
        // Every write bumps the data version; so does this one (caches and cursors move on).
        manager
            .get_connection()
            .execute_unprepared("UPDATE data_version SET version = version + 1 WHERE id = 1")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let completion = Completion::load()?;
        let conn = manager.get_connection();
        for entry in &completion.indicators {
            if entry.task.is_some() {
                if let Some(id) = indicator_id(manager, &entry.code).await? {
                    execute(
                        manager,
                        Query::delete()
                            .from_table("indicator_condition")
                            .and_where(Expr::col("indicator_id").eq(id))
                            .to_owned(),
                    )
                    .await?;
                    execute(
                        manager,
                        Query::delete().from_table("indicator").and_where(Expr::col("id").eq(id)).to_owned(),
                    )
                    .await?;
                }
            } else if let (Some(former), Some(id)) =
                (entry.former_codes.first(), indicator_id(manager, &entry.code).await?)
            {
                execute(
                    manager,
                    Query::update()
                        .table("indicator")
                        .value("code", former.as_str())
                        .and_where(Expr::col("id").eq(id))
                        .to_owned(),
                )
                .await?;
            }
        }
        conn.execute_unprepared("DELETE FROM indicator_condition WHERE id IN (SELECT c.id FROM indicator_condition c JOIN indicator i ON i.id = c.indicator_id WHERE i.code = 'public_satisfaction' AND c.position = 2)").await?;
        manager.drop_table(Table::drop().table("indicator_code_alias").if_exists().to_owned()).await?;
        manager.drop_table(Table::drop().table("plan_text").if_exists().to_owned()).await?;
        manager
            .drop_index(Index::drop().name("ux_indicator_plan_order").table("indicator").if_exists().to_owned())
            .await?;
        for (table, column) in [
            ("indicator", "plan_order"),
            ("indicator", "commitment"),
            ("indicator", "frequency_source"),
            ("indicator", "frequency_basis"),
            ("indicator", "reporting_note"),
            ("indicator_condition", "statement"),
            ("task", "indicator_note"),
        ] {
            manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

async fn add_columns_and_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let columns = [
        ("indicator", string("commitment").default("TARGET").to_owned()),
        ("indicator", string("frequency_source").default("CONFIGURED").to_owned()),
        ("indicator", text_null("frequency_basis").to_owned()),
        ("indicator", text_null("reporting_note").to_owned()),
        ("indicator_condition", text_null("statement").to_owned()),
        ("task", text_null("indicator_note").to_owned()),
        ("indicator", integer("plan_order").default(0).to_owned()),
    ];
    for (table, mut column) in columns {
        let name = column.get_column_name();
        if !manager.has_column(table, &name).await? {
            manager.alter_table(Table::alter().table(table).add_column(&mut column).to_owned()).await?;
        }
    }
    manager
        .create_table(
            Table::create()
                .table("plan_text")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("plan_id"))
                .col(string("key"))
                .col(integer("position"))
                .col(string_null("heading"))
                .col(text("text"))
                .foreign_key(
                    ForeignKey::create()
                        .from("plan_text", "plan_id")
                        .to("plan", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .index(Index::create().name("ux_plan_text_key").col("plan_id").col("key").unique())
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table("indicator_code_alias")
                .if_not_exists()
                .col(string("code").primary_key())
                .col(integer("indicator_id"))
                .foreign_key(
                    ForeignKey::create()
                        .from("indicator_code_alias", "indicator_id")
                        .to("indicator", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// Adds or completes one indicator; returns its id and task id.
async fn apply_indicator(
    manager: &SchemaManager<'_>,
    plan_id: i32,
    entry: &IndicatorEntry,
) -> Result<(i32, i32, String), DbErr> {
    let mut id = indicator_id(manager, &entry.code).await?;
    if id.is_none() {
        for former in &entry.former_codes {
            if let Some(found) = indicator_id(manager, former).await? {
                execute(
                    manager,
                    Query::update()
                        .table("indicator")
                        .value("code", entry.code.as_str())
                        .and_where(Expr::col("id").eq(found))
                        .to_owned(),
                )
                .await?;
                id = Some(found);
            }
        }
    }
    let id = match id {
        Some(id) => id,
        None => insert_indicator(manager, plan_id, entry).await?,
    };
    for former in &entry.former_codes {
        let mut conflict = OnConflict::column("code");
        conflict.do_nothing();
        execute(
            manager,
            Query::insert()
                .into_table("indicator_code_alias")
                .columns(["code", "indicator_id"])
                .values([former.as_str().into(), id.into()])
                .map_err(custom)?
                .on_conflict(conflict)
                .to_owned(),
        )
        .await?;
    }

    let mut update = Query::update();
    update
        .table("indicator")
        .value("commitment", entry.commitment.as_str())
        .value("frequency_source", entry.frequency_source.as_deref().unwrap_or("CONFIGURED"))
        .value("frequency_basis", entry.frequency_basis.as_deref().unwrap_or(DEFAULT_FREQUENCY_BASIS))
        .value("reporting_note", entry.reporting_note.clone())
        .and_where(Expr::col("id").eq(id));
    if let Some(name) = &entry.name {
        update.value("name", name.as_str());
    }
    execute(manager, update.to_owned()).await?;

    // Conditions by position: the existing ones get their words, the ones past them are new.
    let rows = manager
        .get_connection()
        .query_all(
            &Query::select()
                .columns(["id", "comparator"])
                .from("indicator_condition")
                .and_where(Expr::col("indicator_id").eq(id))
                .order_by("position", Order::Asc)
                .to_owned(),
        )
        .await?;
    for (i, c) in entry.conditions.iter().enumerate() {
        match rows.get(i) {
            Some(row) => {
                let existing: String = row.try_get("", "comparator")?;
                if let Some(comparator) = &c.comparator {
                    if *comparator != existing {
                        return Err(custom(format!(
                            "{}: condition {} is {existing}, the completion file says {comparator}",
                            entry.code,
                            i + 1
                        )));
                    }
                }
                let condition_id: i32 = row.try_get("", "id")?;
                execute(
                    manager,
                    Query::update()
                        .table("indicator_condition")
                        .value("statement", c.statement.as_str())
                        .and_where(Expr::col("id").eq(condition_id))
                        .to_owned(),
                )
                .await?;
            }
            None => {
                let comparator = c
                    .comparator
                    .as_deref()
                    .ok_or_else(|| custom(format!("{}: a new condition needs a comparator", entry.code)))?;
                execute(
                    manager,
                    Query::insert()
                        .into_table("indicator_condition")
                        .columns(["indicator_id", "position", "comparator", "target", "statement"])
                        .values([
                            id.into(),
                            (int(i)? + 1).into(),
                            comparator.into(),
                            c.target.clone().into(),
                            c.statement.as_str().into(),
                        ])
                        .map_err(custom)?
                        .to_owned(),
                )
                .await?;
            }
        }
    }
    let task_id: i32 = scalar(
        manager,
        Query::select().column("task_id").from("indicator").and_where(Expr::col("id").eq(id)).to_owned(),
    )
    .await?
    .ok_or_else(|| custom(format!("indicator {} vanished", entry.code)))?;
    Ok((id, task_id, entry.code.clone()))
}

/// Inserts an indicator the seed did not have, after the task's others.
async fn insert_indicator(manager: &SchemaManager<'_>, plan_id: i32, entry: &IndicatorEntry) -> Result<i32, DbErr> {
    let missing = |what: &str| custom(format!("{}: a new indicator needs `{what}`", entry.code));
    let number = entry.task.ok_or_else(|| missing("task"))?;
    let task_id: i32 = scalar(
        manager,
        Query::select()
            .column("id")
            .from("task")
            .and_where(Expr::col("plan_id").eq(plan_id))
            .and_where(Expr::col("number").eq(number))
            .to_owned(),
    )
    .await?
    .ok_or_else(|| custom(format!("{}: no task {number}", entry.code)))?;
    let last: Option<Option<i32>> = scalar(
        manager,
        Query::select()
            .expr(Expr::col("position").max())
            .from("indicator")
            .and_where(Expr::col("task_id").eq(task_id))
            .to_owned(),
    )
    .await?;
    let values: Vec<(&str, Value)> = vec![
        ("plan_id", plan_id.into()),
        ("task_id", task_id.into()),
        ("code", entry.code.as_str().into()),
        ("name", entry.name.clone().ok_or_else(|| missing("name"))?.into()),
        ("statement", entry.statement.clone().ok_or_else(|| missing("statement"))?.into()),
        ("kind", entry.kind.clone().ok_or_else(|| missing("kind"))?.into()),
        ("measurement_unit", entry.measurement_unit.clone().into()),
        ("direction", entry.direction.clone().ok_or_else(|| missing("direction"))?.into()),
        ("frequency", entry.frequency.clone().ok_or_else(|| missing("frequency"))?.into()),
        ("position", (last.flatten().unwrap_or(0) + 1).into()),
    ];
    let (columns, values): (Vec<_>, Vec<_>) = values.into_iter().unzip();
    execute(
        manager,
        Query::insert()
            .into_table("indicator")
            .columns(columns)
            .values(values.into_iter().map(SimpleExpr::from))
            .map_err(custom)?
            .to_owned(),
    )
    .await?;
    indicator_id(manager, &entry.code).await?.ok_or_else(|| custom(format!("{}: not inserted", entry.code)))
}

/// One change-log entry per indicator added or changed, as a write would record it.
async fn record_changes(manager: &SchemaManager<'_>, touched: &[(i32, i32, String)]) -> Result<(), DbErr> {
    let postgres = manager.get_database_backend() == DbBackend::Postgres;
    let (txid, now) =
        if postgres { ("(pg_current_xact_id()::text)::bigint", "now()") } else { ("0", "CURRENT_TIMESTAMP") };
    for (id, task_id, code) in touched {
        let stmt = Query::insert()
            .into_table("change_log")
            .columns([
                "epoch",
                "txid",
                "kind",
                "entity_id",
                "related_id",
                "entity_key",
                "operation",
                "action",
                "task_id",
                "changed_at",
            ])
            .values([
                Expr::cust("(SELECT epoch FROM database_incarnation WHERE id = 1)"),
                Expr::cust(txid),
                Expr::val("INDICATOR"),
                Expr::val(i64::from(*id)),
                Expr::val(Option::<i64>::None),
                Expr::val(code.as_str()),
                Expr::val("UPSERT"),
                Expr::val("plan.complete"),
                Expr::val(*task_id),
                Expr::cust(now),
            ])
            .map_err(custom)?
            .to_owned();
        execute(manager, stmt).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::PlanSeed;

    /// The document as published, with its line breaks removed (they are page breaks and
    /// Markdown layout, never part of a sentence).
    fn document() -> String {
        include_str!("../seed/qinshui_plan_document.md").replace('\n', "")
    }

    #[test]
    fn every_text_of_both_seed_files_is_the_documents_verbatim() {
        let doc = document();
        let seed = PlanSeed::load().unwrap();
        let completion = Completion::load().unwrap();
        for t in &seed.tasks {
            assert!(doc.contains(&t.text), "task {}", t.number);
        }
        for p in &completion.plan.text {
            assert!(doc.contains(&p.text), "plan text {}", p.key);
            if let Some(h) = &p.heading {
                assert!(doc.contains(h.as_str()), "heading {h}");
            }
        }
        let task_text = |n: i32| seed.tasks.iter().find(|t| t.number == n).map(|t| t.text.as_str()).unwrap();
        for i in &seed.indicators {
            assert!(task_text(i.task).contains(&i.statement), "{}", i.code);
        }
        for e in &completion.indicators {
            let task = e.task.or_else(|| {
                seed.indicators.iter().find(|i| i.code == e.code || e.former_codes.contains(&i.code)).map(|i| i.task)
            });
            let text = task_text(task.unwrap_or_else(|| panic!("{}: neither new nor in the seed", e.code)));
            if let Some(s) = &e.statement {
                assert!(text.contains(s.as_str()), "{}: {s}", e.code);
            }
            for c in &e.conditions {
                assert!(text.contains(&c.statement), "{}: {}", e.code, c.statement);
            }
        }
    }

    #[test]
    fn the_completion_names_every_indicator_of_the_seed_once_and_only_known_words() {
        let seed = PlanSeed::load().unwrap();
        let completion = Completion::load().unwrap();
        let mut named: Vec<&str> = Vec::new();
        for e in &completion.indicators {
            let old = seed.indicators.iter().find(|i| i.code == e.code || e.former_codes.contains(&i.code));
            match old {
                Some(i) => named.push(i.code.as_str()),
                None => {
                    assert!(
                        e.task.is_some() && e.kind.is_some() && e.statement.is_some(),
                        "{} is new: all of it",
                        e.code
                    );
                    assert!(e.conditions.iter().all(|c| c.comparator.is_some()), "{}", e.code);
                }
            }
            for word in [Some(e.commitment.as_str()), e.frequency_source.as_deref()].into_iter().flatten() {
                assert!(
                    ["TARGET", "TREND", "PROHIBITION", "STATE", "DELIVERABLE", "DUTY", "DOCUMENT", "CONFIGURED"]
                        .contains(&word),
                    "{}: {word}",
                    e.code
                );
            }
        }
        named.sort_unstable();
        let mut all: Vec<&str> = seed.indicators.iter().map(|i| i.code.as_str()).collect();
        all.sort_unstable();
        assert_eq!(named, all, "every indicator of the seed is completed, once");
        assert_eq!(completion.indicators.len(), 62);
        let rules: Vec<&str> = completion.rules.iter().map(|r| r.commitment.as_str()).collect();
        assert_eq!(rules, ["TARGET", "TREND", "PROHIBITION", "STATE", "DELIVERABLE", "DUTY", "EFFORT"]);
    }
}
