//! `ecoplan check`: is this database sound, complete and writable?
//!
//! The checks, each reported as a line:
//! - migrations: the recorded ones are exactly the ones this binary knows;
//! - schema: every table the code reads exists with every column it reads;
//! - integrity (SQLite): `PRAGMA integrity_check` (`quick_check` at start);
//! - writable: a committed write of one row that changes nothing;
//! - incarnation: the id and epoch, and on PostgreSQL whether the change log carries
//!   another cluster's transaction ids;
//! - clock: this machine's offset from the database's clock.
//!
//! At every start the fast form runs ([`at_start`]): migrations and schema refuse to start
//! a database the code does not match; the integrity check then runs in the background
//! (see `health`).

use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QuerySelect, QueryTrait, Statement};

use crate::db::{health, incarnation, migrate, Db};

/// One finding.
#[derive(Debug, Clone)]
pub struct Finding {
    pub check: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// Reads every column of an entity's table (no rows): fails when one is missing.
async fn columns_of<E: EntityTrait>(db: &Db) -> Result<(), String> {
    let stmt = E::find().limit(0).build(db.backend());
    db.conn.query_all_raw(stmt).await.map(|_| ()).map_err(|e| format!("{}: {e}", E::default().table_name()))
}

async fn raw_columns(db: &Db, table: &str, columns: &str) -> Result<(), String> {
    let sql = format!("SELECT {columns} FROM {table} WHERE 1 = 0");
    db.conn
        .query_all_raw(Statement::from_string(db.backend(), sql))
        .await
        .map(|_| ())
        .map_err(|e| format!("{table}: {e}"))
}

/// Every table and column the code reads.
pub async fn schema(db: &Db) -> Result<(), String> {
    use entity::*;
    columns_of::<assessment_adjustment::Entity>(db).await?;
    columns_of::<assessment_finalization::Entity>(db).await?;
    columns_of::<assessment_snapshot::Entity>(db).await?;
    columns_of::<audit_event::Entity>(db).await?;
    columns_of::<change_log::Entity>(db).await?;
    columns_of::<domain::Entity>(db).await?;
    columns_of::<evidence_blob::Entity>(db).await?;
    columns_of::<evidence_file::Entity>(db).await?;
    columns_of::<import_run::Entity>(db).await?;
    columns_of::<group_membership::Entity>(db).await?;
    columns_of::<indicator::Entity>(db).await?;
    columns_of::<indicator_code_alias::Entity>(db).await?;
    columns_of::<indicator_condition::Entity>(db).await?;
    columns_of::<indicator_value::Entity>(db).await?;
    columns_of::<issued_token::Entity>(db).await?;
    columns_of::<plan::Entity>(db).await?;
    columns_of::<plan_text::Entity>(db).await?;
    columns_of::<revoked_token::Entity>(db).await?;
    columns_of::<scoring_scheme::Entity>(db).await?;
    columns_of::<section::Entity>(db).await?;
    columns_of::<signing_key::Entity>(db).await?;
    columns_of::<superior_target::Entity>(db).await?;
    columns_of::<task::Entity>(db).await?;
    columns_of::<task_assignment::Entity>(db).await?;
    columns_of::<task_progress::Entity>(db).await?;
    columns_of::<unit::Entity>(db).await?;
    raw_columns(db, "data_version", "id, version").await?;
    raw_columns(db, "database_incarnation", "id, incarnation, epoch, created_at").await?;
    raw_columns(db, "idempotency_key", "subject, idempotency_key, operation, request_hash, result_id, created_at")
        .await?;
    Ok(())
}

/// The recorded migrations are all the known ones.
async fn migrations(db: &Db) -> Result<(), String> {
    let known = migrate::known();
    let applied = migrate::applied(db).await.map_err(|e| e.to_string())?;
    migrate::check_recorded(&known, &applied, true).map_err(|e| e.to_string())?;
    if applied.len() < known.len() {
        return Err(format!("{} migration(s) pending: run `ecoplan migrate`", known.len() - applied.len()));
    }
    Ok(())
}

/// The fast form, at every start (after migrating): the code and the database match.
pub async fn at_start(db: &Db) -> anyhow::Result<()> {
    migrations(db).await.map_err(|e| anyhow::anyhow!("database check: {e}"))?;
    schema(db).await.map_err(|e| {
        anyhow::anyhow!(
            "database check: a table or column the code reads is missing ({e}); the database does not match its \
             recorded migrations (run `ecoplan check`)"
        )
    })?;
    if let Err(e) = db.probe_write().await {
        // Reads can still be served; `/readyz` says why writes cannot.
        tracing::error!(error = %e, "the database does not take writes now");
    }
    Ok(())
}

/// Every check, in full (`ecoplan check`).
pub async fn full(db: &Db) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut add = |check: &'static str, r: Result<String, String>| {
        let (ok, detail) = match r {
            Ok(d) => (true, d),
            Err(d) => (false, d),
        };
        out.push(Finding { check, ok, detail });
    };
    add("migrations", migrations(db).await.map(|()| format!("{} applied", migrate::known().len())));
    add("schema", schema(db).await.map(|()| "every table and column the code reads exists".into()));
    if db.backend() == DbBackend::Sqlite {
        let integrity = match health::integrity_findings(db, true).await {
            Ok(f) if f.is_empty() => Ok("integrity_check: ok".into()),
            Ok(f) => Err(f.join("; ")),
            Err(e) => Err(e.to_string()),
        };
        add("integrity", integrity);
    } else {
        add("integrity", Ok("PostgreSQL checks its own pages (initdb --data-checksums)".into()));
    }
    add("writable", db.probe_write().await.map(|()| "a write committed".into()).map_err(|e| e.to_string()));
    let incarnation = match incarnation::current(&db.conn).await {
        Ok(i) => match incarnation::restored_from_another_cluster(&db.conn).await {
            Ok(false) => Ok(format!("{} (epoch {})", i.id, i.epoch)),
            Ok(true) => Err(format!(
                "{} (epoch {}): the change log carries another cluster's transaction ids; the next start begins a new \
                 incarnation",
                i.id, i.epoch
            )),
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(e.to_string()),
    };
    add("incarnation", incarnation);
    add(
        "clock",
        crate::clock::measure(db)
            .await
            .map(|d| format!("this machine's clock is {} ms from the database's", d.num_milliseconds()))
            .map_err(|e| e.to_string()),
    );
    out
}

/// Whether the database answers at all (for a clear first line when it does not).
pub async fn reachable(db: &Db) -> Result<(), String> {
    db.conn.execute_unprepared("SELECT 1").await.map(|_| ()).map_err(|e| e.to_string())
}
