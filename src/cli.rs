//! The command line: `serve` (default), `migrate`, `token issue|revoke`, `export`,
//! `import values`, `keys`, `backup`, `restore`, `check`, `schema`.

use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::auth::{keys, Identity, Role};
use crate::config::Settings;
use crate::db::Db;
use crate::domain::UnitCode;
use crate::error::AppError;
use crate::service::{tokens, Actor};
use crate::startup::Application;

/// ecoplan — Qinshui County's ecological-civilization work plan as a GraphQL API.
///
/// Configuration comes from ECOPLAN_* environment variables, DATABASE_URL and an optional
/// ecoplan.toml (see the README).
#[derive(Debug, Parser)]
#[command(name = "ecoplan", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API on ECOPLAN_BIND (default 127.0.0.1:8080); the default command.
    Serve,
    /// Apply database migrations (and load the plan) without serving.
    Migrate,
    /// Issue or revoke tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Write indicator data to a spreadsheet (CSV or XLSX), unscoped like an administrator.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Read indicator data from a spreadsheet (CSV or XLSX), as an administrator.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Rotate, retire or list token-signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the GraphQL schema (SDL) on stdout.
    Schema,
    /// Write a consistent backup of the database to FILE (SQLite: VACUUM INTO; PostgreSQL:
    /// pg_dump --format=custom), safe while the service runs and writes.
    Backup {
        /// The backup file to create (never overwritten).
        file: std::path::PathBuf,
    },
    /// Replace the database's contents with a backup, bring it to this version and start a
    /// new incarnation: clients' cursors and caches from before are refused, not reused.
    Restore {
        /// A file written by `ecoplan backup`.
        file: std::path::PathBuf,
    },
    /// Check the database: migrations, schema, integrity, writability, incarnation, clock.
    /// Exits 1 when a check fails.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a signing key and print its kid: new tokens are signed with it, older tokens stay
    /// valid until they expire. Every instance picks it up by itself.
    Rotate,
    /// Retire a rotated key at once: tokens signed with it are refused.
    Retire {
        /// The key id.
        kid: String,
    },
    /// List the keys (ids and dates; never secrets).
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token and print it alone on stdout.
    Issue {
        /// What the token may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The unit code of a department token (e.g. water_resources_bureau).
        #[arg(long)]
        unit: Option<String>,
        /// Lifetime, e.g. 30d, 12h, 90m.
        #[arg(long, default_value = "30d")]
        ttl: String,
        /// The token's subject (default: the role, or department:UNIT).
        #[arg(long)]
        subject: Option<String>,
    },
    /// Revoke a token by its id (the `jti` claim, or `me { tokenId }`).
    Revoke {
        /// The token id.
        jti: String,
        /// Why the token is revoked (kept in the audit trail).
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Current indicator values of a period, one row per value.
    ///
    /// Each indicator's periods inside --period: a year covers the quarters of quarterly
    /// indicators; a period finer than an indicator's frequency leaves it out.
    Values {
        /// A year (2022), a quarter (2022-Q3) or a month (2022-07).
        #[arg(long)]
        period: String,
        #[command(flatten)]
        file: ExportFile,
    },
    /// The annual self-evaluation table (年度自评表) of a year.
    ///
    /// Every indicator with its target, the year's value, compliance (达标 / 未达标 / 无数据),
    /// whether it declined and its responsible units.
    SelfEvaluation {
        /// A plan year, from 2021 to the current year.
        #[arg(long)]
        year: String,
        #[command(flatten)]
        file: ExportFile,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import indicator values from a filled-in import template (CSV in UTF-8 or GB18030,
    /// or XLSX).
    ///
    /// Every row is checked before anything is written; by default one refused row stores
    /// nothing (all or nothing). A row equal to the current revision stores nothing; any
    /// other row becomes a new revision exactly as reportIndicatorValue makes one (audited,
    /// in the change log). Prints a summary: rows read, stored, unchanged, refused.
    /// Exits 1 when rows were refused.
    Values {
        /// The spreadsheet (its content decides the format, not its name).
        file: std::path::PathBuf,
        /// Report the values for this unit (only its tasks' indicators are accepted);
        /// without it, any indicator, reported by no unit (a county-wide correction).
        #[arg(long)]
        unit: Option<String>,
        /// Check and count; store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Store the valid rows even when others are refused.
        #[arg(long)]
        valid_rows_only: bool,
        /// Write the refused rows to this file (CSV or XLSX by its extension).
        #[arg(long)]
        errors: Option<std::path::PathBuf>,
    },
}

/// Where and how an export is written.
#[derive(Debug, clap::Args)]
pub struct ExportFile {
    /// csv or xlsx; by default the --output file's extension, else csv.
    #[arg(long)]
    format: Option<String>,
    /// The file to write (replaced if it exists).
    #[arg(long, short)]
    output: std::path::PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Admin,
    Assessor,
    Department,
    Integration,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Assessor => Role::Assessor,
            RoleArg::Department => Role::Department,
            RoleArg::Integration => Role::Integration,
        }
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Schema = command {
        print!("{}", crate::graphql::schema::sdl());
        return Ok(());
    }
    let settings = Settings::load()?;
    crate::telemetry::init(&settings);
    match command {
        Command::Schema => Ok(()),
        Command::Serve => {
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "ecoplan is serving /graphql");
            app.run_until_stopped().await?;
            tracing::info!("ecoplan stopped");
            Ok(())
        }
        Command::Migrate => {
            let db = Db::connect(&settings).await?;
            db.migrate().await?;
            eprintln!("migrations applied to {}", crate::db::redact(&settings.database.url));
            if let Some(kid) = keys::ensure_development_key(&settings, &db).await? {
                eprintln!("development signing key {kid} ready (set ECOPLAN_JWT_SECRET in production)");
            }
            Ok(())
        }
        Command::Backup { file } => {
            let db = Db::connect(&settings).await?;
            let started = std::time::Instant::now();
            crate::db::backup::backup(&db, &file).await?;
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            eprintln!("backup written to {} ({size} bytes in {} ms)", file.display(), started.elapsed().as_millis());
            Ok(())
        }
        Command::Restore { file } => {
            let renewed = crate::db::backup::restore(&settings, &file).await?;
            eprintln!(
                "restored {}; new incarnation {} (epoch {}): clients must sync again from the start",
                file.display(),
                renewed.id,
                renewed.epoch
            );
            Ok(())
        }
        Command::Check => {
            let db = Db::connect(&settings).await?;
            crate::db::check::reachable(&db).await.map_err(|e| anyhow::anyhow!("the database does not answer: {e}"))?;
            let findings = crate::db::check::full(&db).await;
            let mut failed = 0;
            for f in &findings {
                println!("{:<12} {:<7} {}", f.check, if f.ok { "ok" } else { "FAILED" }, f.detail);
                failed += usize::from(!f.ok);
            }
            if failed > 0 {
                anyhow::bail!("{failed} check(s) failed");
            }
            Ok(())
        }
        Command::Token(TokenCommand::Issue { role, unit, ttl, subject }) => {
            let ttl: Duration = humantime::parse_duration(&ttl)
                .map_err(|_| AppError::validation(format!("--ttl {ttl:?} is not a duration such as 30d or 12h")))?;
            let unit = unit.as_deref().map(UnitCode::parse).transpose()?;
            // A token is only worth something from the database a server uses: nothing is
            // created here, neither the database nor its key.
            let db = Db::connect_existing(&settings).await?;
            crate::db::migrate::require_current(&db).await?;
            let service = keys::token_service(&settings, &db, keys::MissingKey::Refuse).await?;
            let cli_identity = Identity::command_line();
            let request_id = uuid::Uuid::new_v4().to_string();
            let issued = tokens::issue(
                &db,
                &service,
                Actor { identity: &cli_identity, request_id: &request_id },
                tokens::IssueRequest { role: role.into(), unit, subject, ttl },
                Duration::from_secs(settings.tokens.max_ttl_days * 86_400),
            )
            .await?;
            println!("{}", issued.token);
            eprintln!("token id {} expires at {}", issued.jti, issued.expires_at.to_rfc3339());
            Ok(())
        }
        Command::Export(command) => export(&settings, command).await,
        Command::Import(ImportCommand::Values { file, unit, dry_run, valid_rows_only, errors }) => {
            import_values(&settings, file, unit, dry_run, valid_rows_only, errors).await
        }
        Command::Keys(command) => {
            let db = Db::connect_existing(&settings).await?;
            crate::db::migrate::require_current(&db).await?;
            // Fails early when the master secret is missing or too short.
            keys::hmac_keys(&settings, &db, keys::MissingKey::Refuse).await?;
            let cli_identity = Identity::command_line();
            let request_id = uuid::Uuid::new_v4().to_string();
            let actor = Actor { identity: &cli_identity, request_id: &request_id };
            match command {
                KeysCommand::Rotate => {
                    let kid = crate::service::keys::rotate(&db, actor).await?;
                    println!("{kid}");
                    eprintln!("new tokens are signed with {kid}; older tokens stay valid until they expire");
                }
                KeysCommand::Retire { kid } => {
                    crate::service::keys::retire(&db, actor, kid.trim()).await?;
                    eprintln!("key {kid} retired: tokens signed with it are refused");
                }
                KeysCommand::List => {
                    for k in crate::service::keys::list(&db).await? {
                        let kind = if k.algorithm == "HS256-DERIVED" { "rotated" } else { "development master" };
                        let state = k
                            .retired_at
                            .map(|t| format!("retired {}", t.to_rfc3339()))
                            .unwrap_or_else(|| "active".into());
                        println!("{}\t{kind}\tcreated {}\t{state}", k.kid, k.created_at.to_rfc3339());
                    }
                }
            }
            Ok(())
        }
        Command::Token(TokenCommand::Revoke { jti, reason }) => {
            let db = Db::connect_existing(&settings).await?;
            crate::db::migrate::require_current(&db).await?;
            let cli_identity = Identity::command_line();
            let request_id = uuid::Uuid::new_v4().to_string();
            let newly = tokens::revoke(
                &db,
                Actor { identity: &cli_identity, request_id: &request_id },
                &jti,
                reason.as_deref(),
            )
            .await?;
            if newly {
                eprintln!("token {jti} revoked");
            } else {
                eprintln!("token {jti} was already revoked");
            }
            Ok(())
        }
    }
}

/// `ecoplan export …`: every argument is checked before the database is opened.
async fn export(settings: &Settings, command: ExportCommand) -> anyhow::Result<()> {
    use crate::service::export::{self as exports, FileFormat};
    use anyhow::Context as _;
    enum Wanted {
        Values(crate::domain::Period),
        SelfEvaluation(crate::domain::PlanYear),
    }
    let (wanted, file) = match command {
        ExportCommand::Values { period, file } => (Wanted::Values(crate::domain::Period::parse(&period)?), file),
        ExportCommand::SelfEvaluation { year, file } => {
            let year = crate::service::assessment::plan_year(exports::parse_year(&year)?)?;
            (Wanted::SelfEvaluation(year), file)
        }
    };
    let format = match file.format.as_deref() {
        Some(f) => FileFormat::parse(f)?,
        None => FileFormat::from_path(&file.output).unwrap_or(FileFormat::Csv),
    };
    let db = Db::connect(settings).await?;
    db.migrate().await?;
    let scope = crate::auth::policy::task_scope(&Identity::command_line());
    let table = match wanted {
        Wanted::Values(period) => exports::values_table(&db.conn, &scope, period).await?,
        Wanted::SelfEvaluation(year) => {
            let catalog = crate::service::catalog::PlanCatalog::load(&db).await?;
            exports::self_evaluation_table(&db.conn, &catalog, &scope, year).await?
        }
    };
    let bytes = format.render(&table)?;
    std::fs::write(&file.output, bytes).with_context(|| format!("cannot write {}", file.output.display()))?;
    eprintln!("{}: {} rows written to {}", table.title, table.rows.len(), file.output.display());
    Ok(())
}

/// Progress of an import on the terminal: a bar (indicatif) when stderr is a terminal,
/// else a plain line every 10,000 rows.
struct ImportProgress {
    bar: Option<indicatif::ProgressBar>,
    phase: std::sync::Mutex<(&'static str, u64)>,
}

impl ImportProgress {
    fn new() -> ImportProgress {
        use std::io::IsTerminal as _;
        let bar = std::io::stderr().is_terminal().then(indicatif::ProgressBar::no_length);
        ImportProgress { bar, phase: std::sync::Mutex::new(("", 0)) }
    }
}

impl crate::service::import::Progress for ImportProgress {
    fn phase(&self, name: &'static str, total: Option<u64>) {
        if let Ok(mut p) = self.phase.lock() {
            *p = (name, 0);
        }
        match &self.bar {
            Some(bar) => {
                let style = match total {
                    Some(_) => indicatif::ProgressStyle::with_template(
                        "{msg:>9} [{bar:40}] {human_pos}/{human_len} rows ({elapsed}, {eta} left)",
                    ),
                    None => indicatif::ProgressStyle::with_template("{msg:>9} {spinner} {human_pos} rows ({elapsed})"),
                };
                if let Ok(style) = style {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.reset();
                bar.set_length(total.unwrap_or(0));
                if total.is_none() {
                    bar.unset_length();
                }
                bar.set_message(name);
            }
            None => eprintln!("{name}: started{}", total.map(|t| format!(" ({t} rows)")).unwrap_or_default()),
        }
    }

    fn advance(&self, n: u64) {
        match &self.bar {
            Some(bar) => bar.inc(n),
            None => {
                if let Ok(mut p) = self.phase.lock() {
                    p.1 += n;
                    if p.1 % 10_000 < n {
                        eprintln!("{}: {} rows", p.0, p.1);
                    }
                }
            }
        }
    }
}

/// `ecoplan import values FILE`.
async fn import_values(
    settings: &Settings,
    file: std::path::PathBuf,
    unit: Option<String>,
    dry_run: bool,
    valid_rows_only: bool,
    errors: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    use crate::service::export::FileFormat;
    use crate::service::import::{self, ImportFile, ImportOptions, ImportSource};
    use anyhow::Context as _;
    let unit = unit.as_deref().map(UnitCode::parse).transpose()?;
    let errors_format = match &errors {
        Some(path) => Some(FileFormat::from_path(path).context("--errors must name a .csv or .xlsx file")?),
        None => None,
    };
    std::fs::metadata(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let db = Db::connect_existing(settings).await?;
    crate::db::migrate::require_current(&db).await?;
    let unit = match unit {
        Some(code) => {
            let (unit, groups) = crate::service::units::unit_with_groups(&db.conn, &code).await?;
            Some((unit.id, groups))
        }
        None => None,
    };
    let identity = Identity::command_line();
    let scope = crate::auth::policy::import_scope(&identity, unit.as_ref().map(|(id, g)| (*id, g.as_slice())))?;
    let request_id = uuid::Uuid::new_v4().to_string();
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let progress = std::sync::Arc::new(ImportProgress::new());
    let started = std::time::Instant::now();
    let summary = import::import_values(
        &db,
        Actor { identity: &identity, request_id: &request_id },
        &scope,
        &ImportFile { source: ImportSource::Path(file.clone()), name },
        ImportOptions::from_settings(settings, dry_run, valid_rows_only),
        progress.clone(),
    )
    .await?;
    if let Some(bar) = &progress.bar {
        bar.finish_and_clear();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}: {} rows read, {} stored, {} unchanged, {} refused{} in {:.1} s ({:.0} rows/s); receipt {}",
        file.display(),
        summary.rows_read,
        summary.stored,
        summary.unchanged,
        summary.refused,
        match (summary.dry_run, summary.committed) {
            (true, _) => " (dry run: nothing written)",
            (false, false) if summary.refused > 0 && !summary.valid_rows_only => " (all or nothing: nothing written)",
            _ => "",
        },
        seconds,
        summary.rows_read as f64 / seconds.max(1e-9),
        summary.run_id.map(|i| i.to_string()).unwrap_or_default(),
    );
    for e in summary.errors.iter().take(20) {
        eprintln!(
            "row {}{}: {} {}",
            e.row,
            e.column.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(),
            e.code.as_str(),
            e.message
        );
    }
    if summary.errors.len() > 20 || summary.refused > summary.errors.len() as u64 {
        eprintln!("… {} refused rows in all", summary.refused);
    }
    if let (Some(path), Some(format), Some(id)) = (&errors, errors_format, summary.run_id) {
        let run = import::find_run(&db.conn, &identity, id).await?;
        std::fs::write(path, format.render(&import::error_table(&run))?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("refused rows written to {}", path.display());
    }
    if summary.refused > 0 {
        anyhow::bail!("{} rows were refused", summary.refused);
    }
    Ok(())
}

/// An error on one line: the outermost message, then each cause that says something new (a
/// context that already quotes its cause does not print it twice).
pub fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let text = text.trim();
        if text.is_empty() || parts.iter().any(|p| p.contains(text)) {
            continue;
        }
        parts.push(text.replace('\n', " "));
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_prints_each_message_once_on_one_line() {
        let root = anyhow::anyhow!("error returned from database: password authentication failed");
        let e = root.context("cannot connect: error returned from database: password authentication failed");
        assert_eq!(one_line(&e), "cannot connect: error returned from database: password authentication failed");
        let e = anyhow::anyhow!("disk full").context("cannot store the key");
        assert_eq!(one_line(&e), "cannot store the key: disk full");
    }
}
