//! SeaORM entities for ecoplan.
//!
//! Each module is one table. Columns holding enumerations are stored as their stable
//! upper-case names (`"AT_LEAST"`, `"RESPONSIBLE"` …) and decimals as canonical strings
//! (`"4.5"`), so both SQLite and PostgreSQL keep them exact and readable; the application's
//! `domain` module parses them. Nothing here is exposed to GraphQL directly.

pub mod assessment_adjustment;
pub mod assessment_finalization;
pub mod assessment_snapshot;
pub mod audit_event;
pub mod change_log;
pub mod domain;
pub mod evidence_blob;
pub mod evidence_file;
pub mod group_membership;
pub mod import_run;
pub mod indicator;
pub mod indicator_code_alias;
pub mod indicator_condition;
pub mod indicator_value;
pub mod issued_token;
pub mod plan;
pub mod plan_text;
pub mod revoked_token;
pub mod scoring_scheme;
pub mod section;
pub mod signing_key;
pub mod superior_target;
pub mod task;
pub mod task_assignment;
pub mod task_progress;
pub mod unit;
