//! Loads the plan of 沁政办发〔2020〕65号 from `seed/qinshui_plan.json`.
//!
//! Idempotent: every row is inserted with `ON CONFLICT DO NOTHING` on its natural key, so a
//! second run (or a run over a database that already has the plan) changes nothing.
use sea_orm::Value;
use sea_orm_migration::prelude::*;
use serde::Deserialize;

/// The seed file, compiled in so the binary needs no data directory.
pub const PLAN_SEED_JSON: &str = include_str!("../seed/qinshui_plan.json");

/// The plan document as data.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSeed {
    pub plan: PlanRow,
    pub domains: Vec<DomainRow>,
    pub sections: Vec<SectionRow>,
    pub units: Vec<UnitRow>,
    pub tasks: Vec<TaskRow>,
    pub indicators: Vec<IndicatorRow>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanRow {
    pub code: String,
    pub title: String,
    pub document_number: String,
    pub issuer: String,
    pub issued_on: chrono::NaiveDate,
    pub region: String,
    pub region_code: String,
}

#[derive(Debug, Deserialize)]
pub struct DomainRow {
    pub code: String,
    pub name: String,
    pub label: String,
    pub position: i32,
}

#[derive(Debug, Deserialize)]
pub struct SectionRow {
    pub number: i32,
    pub name: String,
    pub domain: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub is_group: bool,
    pub aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRow {
    pub number: i32,
    pub section: i32,
    pub title: String,
    pub text: String,
    pub units: Vec<TaskUnitRow>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskUnitRow {
    pub unit: String,
    pub role: String,
    pub as_written: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndicatorRow {
    pub code: String,
    pub task: i32,
    pub name: String,
    pub statement: String,
    pub kind: String,
    pub measurement_unit: Option<String>,
    pub direction: String,
    pub frequency: String,
    pub conditions: Vec<ConditionRow>,
}

#[derive(Debug, Deserialize)]
pub struct ConditionRow {
    pub comparator: String,
    pub target: Option<String>,
}

impl PlanSeed {
    /// Parses the compiled-in seed file.
    pub fn load() -> Result<Self, DbErr> {
        serde_json::from_str(PLAN_SEED_JSON)
            .map_err(|e| DbErr::Custom(format!("seed/qinshui_plan.json is invalid: {e}")))
    }
}

#[derive(DeriveMigrationName)]
pub struct Migration;

fn custom(e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(e.to_string())
}

/// Inserts one row unless a row with the same natural key exists.
async fn insert_ignore(
    manager: &SchemaManager<'_>,
    table: &'static str,
    key: &[&'static str],
    row: Vec<(&'static str, Value)>,
) -> Result<(), DbErr> {
    let (cols, vals): (Vec<_>, Vec<_>) = row.into_iter().unzip();
    let mut conflict = OnConflict::columns(key.iter().copied());
    conflict.do_nothing();
    let stmt = Query::insert()
        .into_table(table)
        .columns(cols)
        .values(vals.into_iter().map(SimpleExpr::from))
        .map_err(custom)?
        .on_conflict(conflict)
        .to_owned();
    manager.get_connection().execute(&stmt).await?;
    Ok(())
}

/// The id of the row whose columns equal the given values.
async fn id_of(
    manager: &SchemaManager<'_>,
    table: &'static str,
    key: Vec<(&'static str, Value)>,
) -> Result<i32, DbErr> {
    let mut select = Query::select();
    select.column("id").from(table);
    let described = format!("{key:?}");
    for (col, val) in key {
        select.and_where(Expr::col(col).eq(val));
    }
    let row = manager
        .get_connection()
        .query_one(&select)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("{table} {described}")))?;
    row.try_get::<i32>("", "id")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction with its migration row, on SQLite too: a process killed halfway
    /// leaves the database as it was, and the next start applies the migration again.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let seed = PlanSeed::load()?;
        let now = chrono::Utc::now();
        let p = &seed.plan;
        insert_ignore(
            manager,
            "plan",
            &["code"],
            vec![
                ("code", p.code.clone().into()),
                ("title", p.title.clone().into()),
                ("document_number", p.document_number.clone().into()),
                ("issuer", p.issuer.clone().into()),
                ("issued_on", p.issued_on.into()),
                ("region", p.region.clone().into()),
                ("region_code", p.region_code.clone().into()),
            ],
        )
        .await?;
        let plan_id = id_of(manager, "plan", vec![("code", p.code.clone().into())]).await?;

        for d in &seed.domains {
            insert_ignore(
                manager,
                "domain",
                &["plan_id", "code"],
                vec![
                    ("plan_id", plan_id.into()),
                    ("code", d.code.clone().into()),
                    ("name", d.name.clone().into()),
                    ("label", d.label.clone().into()),
                    ("position", d.position.into()),
                ],
            )
            .await?;
        }
        for s in &seed.sections {
            let domain_id =
                id_of(manager, "domain", vec![("plan_id", plan_id.into()), ("code", s.domain.clone().into())]).await?;
            insert_ignore(
                manager,
                "section",
                &["plan_id", "number"],
                vec![
                    ("plan_id", plan_id.into()),
                    ("domain_id", domain_id.into()),
                    ("number", s.number.into()),
                    ("name", s.name.clone().into()),
                ],
            )
            .await?;
        }
        for u in &seed.units {
            insert_ignore(
                manager,
                "unit",
                &["code"],
                vec![
                    ("code", u.code.clone().into()),
                    ("name", u.name.clone().into()),
                    ("is_group", u.is_group.into()),
                    ("origin", "PLAN".into()),
                    ("aliases", serde_json::json!(u.aliases).into()),
                    ("created_at", now.into()),
                ],
            )
            .await?;
        }
        for t in &seed.tasks {
            let section_id =
                id_of(manager, "section", vec![("plan_id", plan_id.into()), ("number", t.section.into())]).await?;
            insert_ignore(
                manager,
                "task",
                &["plan_id", "number"],
                vec![
                    ("plan_id", plan_id.into()),
                    ("section_id", section_id.into()),
                    ("number", t.number.into()),
                    ("title", t.title.clone().into()),
                    ("text", t.text.clone().into()),
                ],
            )
            .await?;
            let task_id =
                id_of(manager, "task", vec![("plan_id", plan_id.into()), ("number", t.number.into())]).await?;
            for (position, a) in t.units.iter().enumerate() {
                let unit_id = id_of(manager, "unit", vec![("code", a.unit.clone().into())]).await?;
                insert_ignore(
                    manager,
                    "task_assignment",
                    &["task_id", "unit_id"],
                    vec![
                        ("task_id", task_id.into()),
                        ("unit_id", unit_id.into()),
                        ("role", a.role.clone().into()),
                        ("as_written", a.as_written.clone().into()),
                        ("position", <i32 as std::convert::TryFrom<usize>>::try_from(position).map_err(custom)?.into()),
                    ],
                )
                .await?;
            }
        }
        let mut position_in_task = std::collections::HashMap::<i32, i32>::new();
        for i in &seed.indicators {
            let task_id = id_of(manager, "task", vec![("plan_id", plan_id.into()), ("number", i.task.into())]).await?;
            let position = position_in_task.entry(i.task).or_insert(0);
            *position += 1;
            insert_ignore(
                manager,
                "indicator",
                &["code"],
                vec![
                    ("plan_id", plan_id.into()),
                    ("task_id", task_id.into()),
                    ("code", i.code.clone().into()),
                    ("name", i.name.clone().into()),
                    ("statement", i.statement.clone().into()),
                    ("kind", i.kind.clone().into()),
                    ("measurement_unit", i.measurement_unit.clone().into()),
                    ("direction", i.direction.clone().into()),
                    ("frequency", i.frequency.clone().into()),
                    ("position", (*position).into()),
                ],
            )
            .await?;
            let indicator_id = id_of(manager, "indicator", vec![("code", i.code.clone().into())]).await?;
            // Conditions have no natural key of their own: insert them only with a new indicator.
            let existing = manager
                .get_connection()
                .query_one(
                    Query::select()
                        .expr(Expr::col("id").count())
                        .from("indicator_condition")
                        .and_where(Expr::col("indicator_id").eq(indicator_id)),
                )
                .await?
                .map(|r| r.try_get_by_index::<i64>(0))
                .transpose()?
                .unwrap_or(0);
            if existing == 0 {
                for (position, c) in i.conditions.iter().enumerate() {
                    let stmt = Query::insert()
                        .into_table("indicator_condition")
                        .columns(["indicator_id", "position", "comparator", "target"])
                        .values([
                            indicator_id.into(),
                            (<i32 as std::convert::TryFrom<usize>>::try_from(position).map_err(custom)? + 1).into(),
                            c.comparator.clone().into(),
                            c.target.clone().into(),
                        ])
                        .map_err(custom)?
                        .to_owned();
                    manager.get_connection().execute(&stmt).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let seed = PlanSeed::load()?;
        let conn = manager.get_connection();
        let plan_ids = Query::select()
            .column("id")
            .from("plan")
            .and_where(Expr::col("code").eq(seed.plan.code.clone()))
            .to_owned();
        let task_ids = Query::select()
            .column("id")
            .from("task")
            .and_where(Expr::col("plan_id").in_subquery(plan_ids.clone()))
            .to_owned();
        let indicator_ids = Query::select()
            .column("id")
            .from("indicator")
            .and_where(Expr::col("plan_id").in_subquery(plan_ids.clone()))
            .to_owned();
        conn.execute(
            Query::delete()
                .from_table("indicator_condition")
                .and_where(Expr::col("indicator_id").in_subquery(indicator_ids)),
        )
        .await?;
        conn.execute(
            Query::delete().from_table("indicator").and_where(Expr::col("plan_id").in_subquery(plan_ids.clone())),
        )
        .await?;
        conn.execute(
            Query::delete().from_table("task_assignment").and_where(Expr::col("task_id").in_subquery(task_ids)),
        )
        .await?;
        for table in ["task", "section", "domain"] {
            conn.execute(
                Query::delete().from_table(table).and_where(Expr::col("plan_id").in_subquery(plan_ids.clone())),
            )
            .await?;
        }
        conn.execute(Query::delete().from_table("plan").and_where(Expr::col("code").eq(seed.plan.code.clone())))
            .await?;
        conn.execute(
            Query::delete()
                .from_table("unit")
                .and_where(Expr::col("origin").eq("PLAN"))
                .and_where(Expr::col("code").is_in(seed.units.iter().map(|u| u.code.clone()))),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_parses_and_is_consistent() {
        let seed = PlanSeed::load().unwrap();
        assert_eq!(seed.domains.len(), 6);
        assert_eq!(seed.sections.len(), 10);
        assert_eq!(seed.tasks.len(), 29);
        assert_eq!(seed.units.len(), 23);
        let numbers: Vec<i32> = seed.tasks.iter().map(|t| t.number).collect();
        assert_eq!(numbers, (1..=29).collect::<Vec<_>>());
        for t in &seed.tasks {
            assert!(seed.sections.iter().any(|s| s.number == t.section));
            for a in &t.units {
                assert!(seed.units.iter().any(|u| u.code == a.unit), "{}", a.unit);
                let unit = seed.units.iter().find(|u| u.code == a.unit).unwrap();
                assert!(
                    unit.name == a.as_written || unit.aliases.contains(&a.as_written),
                    "task {} writes {} for {}",
                    t.number,
                    a.as_written,
                    unit.name
                );
                assert!(t.text.contains(&a.as_written));
            }
            // Page-break artefacts are mended: no line breaks inside a paragraph.
            assert!(!t.text.contains('\n'), "task {}", t.number);
            assert!(t.text.starts_with(&t.title), "task {}", t.number);
        }
        for i in &seed.indicators {
            let task = seed.tasks.iter().find(|t| t.number == i.task).unwrap();
            assert!(task.text.contains(&i.statement), "{} is not verbatim", i.code);
            assert!(!i.conditions.is_empty(), "{}", i.code);
            assert!(i.code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{}", i.code);
        }
        for u in &seed.units {
            assert!(u.code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{}", u.code);
        }
    }
}
