//! Database migrations for ecoplan: the same files run on SQLite and PostgreSQL.
//!
//! The plan itself is data: `seed/qinshui_plan.json` holds the document's domains, sections,
//! units, tasks and indicators, and [`m20261128_000002_seed_qinshui_plan`] loads it
//! idempotently (running it twice inserts nothing new).

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_core_tables;
pub mod m20261128_000002_seed_qinshui_plan;
mod m20261129_000003_create_assessment_tables;
mod m20261129_000004_index_current_values;
mod m20261129_000005_create_change_log;
mod m20261129_000006_create_data_version;
mod m20261130_000007_create_database_incarnation;
pub mod m20261201_000008_complete_the_plan;
mod m20261202_000009_create_intake_tables;

pub use m20261128_000002_seed_qinshui_plan::{PlanSeed, PLAN_SEED_JSON};
pub use m20261201_000008_complete_the_plan::{Completion, COMPLETION_JSON};

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_core_tables::Migration),
            Box::new(m20261128_000002_seed_qinshui_plan::Migration),
            Box::new(m20261129_000003_create_assessment_tables::Migration),
            Box::new(m20261129_000004_index_current_values::Migration),
            Box::new(m20261129_000005_create_change_log::Migration),
            Box::new(m20261129_000006_create_data_version::Migration),
            Box::new(m20261130_000007_create_database_incarnation::Migration),
            Box::new(m20261201_000008_complete_the_plan::Migration),
            Box::new(m20261202_000009_create_intake_tables::Migration),
        ]
    }
}
