//! Bulk import of indicator values from a spreadsheet (CSV or XLSX), as a department fills
//! in its import template.
//!
//! Two passes over the file, neither holding it nor its rows in memory:
//!
//! 1. **Check**: every row is read and checked against the plan (the indicator exists and
//!    is within the import's scope, the period has the indicator's granularity and has
//!    begun, the value suits the indicator's kind, the note's length, no row repeats an
//!    indicator and period) by the same rules as `reportIndicatorValue`
//!    ([`values::check_report`]). Refused rows are counted and the first ones kept, with
//!    their row number, column, code and message.
//! 2. **Store** (when nothing was refused, or when the caller asked to store the valid rows
//!    only): in **one** transaction, each row becomes a revision exactly as
//!    `reportIndicatorValue` makes one ([`values::append_revision`]: the optimistic check of
//!    an `expected revision`, the current flag, the audit event and the change-log entry);
//!    a row equal to the current revision stores nothing. A dry run does the same and rolls
//!    back, so its counts are what the import would do.
//!
//! A file that cannot be read as a whole (not CSV or XLSX, truncated, a wrong header, too
//! many rows, a zip bomb) is refused with an error and writes nothing. Otherwise the import
//! leaves a receipt ([`entity::import_run`]) whose refused rows can be downloaded as a
//! spreadsheet with an error column (`/export/import-errors.xlsx?run=ID`).

pub mod read;

use std::collections::HashMap;
use std::sync::Arc;

use entity::{import_run, indicator, indicator_code_alias, task_assignment};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set};
use serde_json::json;

use crate::auth::policy::{ImportScope, TaskScope};
use crate::db::Db;
use crate::domain::{period, ExactDecimal, Period};
use crate::error::{AppError, AppResult};
use crate::service::export::FileFormat;
use crate::service::values::{self, Appended, CheckedReport, Sameness, TextLimits, ValueReport};
use crate::service::write::{Record, Write};
use crate::service::Actor;
use read::{CellValue, RawRow, RowSource};

/// How an import runs.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Check and count, store nothing.
    pub dry_run: bool,
    /// Store the valid rows even when others are refused (default: all or nothing).
    pub valid_rows_only: bool,
    pub max_rows: u64,
    pub max_errors: usize,
    pub max_uncompressed: u64,
    pub limits: TextLimits,
}

impl ImportOptions {
    pub fn from_settings(s: &crate::config::Settings, dry_run: bool, valid_rows_only: bool) -> ImportOptions {
        ImportOptions {
            dry_run,
            valid_rows_only,
            max_rows: s.limits.max_import_rows,
            max_errors: s.limits.max_import_errors,
            max_uncompressed: s.limits.max_xlsx_uncompressed_bytes,
            limits: TextLimits::from(s),
        }
    }
}

/// Why a row was refused: a stable code (clients and the error report key on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum RowCode {
    /// The row could not be read (not valid CSV or text).
    UnreadableRow,
    /// A cell the row needs is empty.
    MissingCell,
    /// No indicator has the code.
    UnknownIndicator,
    /// The indicator belongs to tasks outside the import's scope (another unit's).
    OutOfScope,
    /// Not a period such as 2022, 2022-Q3 or 2022-07.
    InvalidPeriod,
    /// A period of another granularity than the indicator's frequency.
    WrongGranularity,
    /// A period that has not begun.
    FuturePeriod,
    /// Not a number (or an error value such as #DIV/0!).
    NotANumber,
    /// A number the indicator's kind does not admit (e.g. a percentage above 100).
    OutOfRange,
    /// Not 是/否 (yes/no).
    NotYesNo,
    /// A cell holds a formula; imports take entered values only.
    Formula,
    /// The same indicator and period as an earlier row.
    DuplicateRow,
    /// A note longer than allowed.
    TextTooLong,
    /// The expected revision is not a whole number of 0 or more.
    InvalidRevision,
    /// The expected revision is not the current one (someone reported since).
    StaleRevision,
    /// The row breaks another rule of reports (the message says which).
    InvalidValue,
}

impl RowCode {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A refused row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// As a spreadsheet numbers it: the header is row 1.
    pub row: u64,
    /// The header of the offending column, when one is.
    pub column: Option<String>,
    pub code: RowCode,
    /// In English; translated where it leaves the server.
    pub message: String,
    /// The row as the file has it.
    pub cells: Vec<String>,
}

/// Builds a row error (the message is an English template the catalog translates).
fn row_error(code: RowCode, message: String) -> (RowCode, String) {
    (code, message)
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    /// The receipt, when one was kept.
    pub run_id: Option<i64>,
    pub dry_run: bool,
    pub valid_rows_only: bool,
    /// Whether rows were stored.
    pub committed: bool,
    pub rows_read: u64,
    pub stored: u64,
    pub unchanged: u64,
    pub refused: u64,
    /// The first refused rows (see [`ImportOptions::max_errors`]).
    pub errors: Vec<RowError>,
    /// The file's header row, as written.
    pub header: Vec<String>,
}

/// Where an import is (for a progress bar).
pub trait Progress: Send + Sync {
    /// A phase begins: `checking` (total unknown) or `storing` (total rows).
    fn phase(&self, name: &'static str, total: Option<u64>);
    /// `n` more rows done in the current phase.
    fn advance(&self, n: u64);
}

/// No progress reporting.
pub struct Silent;

impl Progress for Silent {
    fn phase(&self, _: &'static str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
}

/// The columns an import understands, by their headers (the template's Chinese, or English).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Indicator,
    Period,
    Value,
    Implemented,
    Note,
    ExpectedRevision,
    /// A column of the template that is there to read, not to import.
    Informational,
}

fn column_of(header: &str) -> Option<Column> {
    let h = header.trim();
    let lower = h.to_ascii_lowercase().replace([' ', '-'], "_");
    Some(match (h, lower.as_str()) {
        ("指标代码", _) | (_, "indicator_code" | "indicator" | "indicatorcode") => Column::Indicator,
        ("周期", _) | (_, "period") => Column::Period,
        ("数值", _) | (_, "value") => Column::Value,
        ("是否完成（是/否）" | "是否完成(是/否)" | "是否完成", _) | (_, "implemented") => {
            Column::Implemented
        }
        ("备注", _) | (_, "note") => Column::Note,
        ("期望修订版本" | "修订版本", _) | (_, "expected_revision" | "expectedrevision") => {
            Column::ExpectedRevision
        }
        ("指标名称" | "类型" | "计量单位" | "报送频次" | "按时截止日（UTC+8）" | "按时截止日", _)
        | (_, "name" | "kind" | "measurement_unit" | "frequency" | "due_by") => Column::Informational,
        _ => return None,
    })
}

/// The header row, read into column positions.
#[derive(Debug, Clone)]
struct Header {
    names: Vec<String>,
    indicator: usize,
    period: usize,
    value: Option<usize>,
    implemented: Option<usize>,
    note: Option<usize>,
    expected_revision: Option<usize>,
}

const EXPECTED_COLUMNS: &str = "指标代码 (indicator_code), 周期 (period), 数值 (value) and/or 是否完成（是/否） \
                                (implemented); optionally 备注 (note) and 期望修订版本 (expected_revision)";

fn read_header(row: &RawRow) -> AppResult<Header> {
    let cells = row.cells.as_ref().map_err(|e| AppError::validation(format!("the header row cannot be read: {e}")))?;
    let names: Vec<String> = cells.iter().map(CellValue::display).collect();
    let mut found: HashMap<usize, Column> = HashMap::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        let Some(column) = column_of(name) else {
            return Err(AppError::validation(format!(
                "the header has an unknown column {name:?}; expected {EXPECTED_COLUMNS}"
            )));
        };
        // The same header twice, or two headers for one column (数值 and value).
        let repeated =
            !seen.insert(name.clone()) || (column != Column::Informational && found.values().any(|c| *c == column));
        if repeated {
            return Err(AppError::validation(format!("the header names the column {name:?} twice")));
        }
        found.insert(i, column);
    }
    let position = |c: Column| found.iter().find(|(_, v)| **v == c).map(|(k, _)| *k);
    let (Some(indicator), Some(period)) = (position(Column::Indicator), position(Column::Period)) else {
        return Err(AppError::validation(format!("the header lacks a required column; expected {EXPECTED_COLUMNS}")));
    };
    let (value, implemented) = (position(Column::Value), position(Column::Implemented));
    if value.is_none() && implemented.is_none() {
        return Err(AppError::validation(format!("the header lacks a required column; expected {EXPECTED_COLUMNS}")));
    }
    Ok(Header {
        names,
        indicator,
        period,
        value,
        implemented,
        note: position(Column::Note),
        expected_revision: position(Column::ExpectedRevision),
    })
}

/// The plan's indicators an import may name: by code and former code, each with the units
/// its task is assigned to.
pub struct Known {
    by_code: HashMap<String, Arc<indicator::Model>>,
    assigned: HashMap<i32, Vec<i32>>,
}

impl Known {
    /// Three statements, whatever the file's size.
    pub async fn load(db: &impl ConnectionTrait) -> AppResult<Known> {
        let indicators = indicator::Entity::find().all(db).await?;
        let mut by_id: HashMap<i32, Arc<indicator::Model>> = HashMap::new();
        let mut by_code = HashMap::new();
        for i in indicators {
            let i = Arc::new(i);
            by_code.insert(i.code.as_str().to_string(), i.clone());
            by_id.insert(i.id, i);
        }
        for alias in indicator_code_alias::Entity::find().all(db).await? {
            if let Some(i) = by_id.get(&alias.indicator_id) {
                by_code.entry(alias.code).or_insert_with(|| i.clone());
            }
        }
        let mut assigned: HashMap<i32, Vec<i32>> = HashMap::new();
        for a in task_assignment::Entity::find().all(db).await? {
            assigned.entry(a.task_id).or_default().push(a.unit_id);
        }
        Ok(Known { by_code, assigned })
    }
}

/// A row that passed every check: what will be reported.
struct ValidRow {
    number: u64,
    indicator: Arc<indicator::Model>,
    checked: CheckedReport,
    expected_revision: Option<i32>,
    cells: Vec<String>,
}

/// Checks rows one by one, remembering which indicator and period each valid row took.
struct Checker<'a> {
    known: &'a Known,
    scope: &'a TaskScope,
    header: Header,
    limits: TextLimits,
    today: chrono::NaiveDate,
    taken: HashMap<(i32, Period), u64>,
}

/// A cell's text as an error report keeps it: at most 200 characters (a hostile file's huge
/// cells are not copied into every message and receipt).
fn short(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

fn text_of(cell: Option<&CellValue>) -> Option<&str> {
    match cell {
        Some(CellValue::Text(t)) => Some(t.as_str()),
        _ => None,
    }
}

impl Checker<'_> {
    fn column_name(&self, i: usize) -> Option<String> {
        self.header.names.get(i).cloned()
    }

    fn check(&mut self, row: &RawRow) -> Result<ValidRow, RowError> {
        let display =
            |cells: &[CellValue]| cells.iter().take(read::MAX_COLUMNS).map(|c| short(&c.display())).collect::<Vec<_>>();
        let cells = match &row.cells {
            Ok(c) => c,
            Err(message) => {
                return Err(RowError {
                    row: row.number,
                    column: None,
                    code: RowCode::UnreadableRow,
                    message: message.clone(),
                    cells: Vec::new(),
                })
            }
        };
        match self.check_cells(cells) {
            Ok((indicator, checked, expected_revision)) => {
                let key = (indicator.id, checked.period);
                if let Some(first) = self.taken.get(&key) {
                    let (code, message) = row_error(
                        RowCode::DuplicateRow,
                        format!("row {first} already reports {} for {}", indicator.code, checked.period),
                    );
                    return Err(RowError {
                        row: row.number,
                        column: self.column_name(self.header.indicator),
                        code,
                        message,
                        cells: display(cells),
                    });
                }
                self.taken.insert(key, row.number);
                Ok(ValidRow { number: row.number, indicator, checked, expected_revision, cells: display(cells) })
            }
            Err((column, (code, message))) => Err(RowError {
                row: row.number,
                column: column.and_then(|c| self.column_name(c)),
                code,
                message,
                cells: display(cells),
            }),
        }
    }

    #[allow(clippy::type_complexity)]
    fn check_cells(
        &self,
        cells: &[CellValue],
    ) -> Result<(Arc<indicator::Model>, CheckedReport, Option<i32>), (Option<usize>, (RowCode, String))> {
        let h = &self.header;
        let cell = |i: Option<usize>| i.and_then(|i| cells.get(i));
        // A value under no header is a shifted row (a stray separator): refused, not dropped.
        if let Some(i) = cells
            .iter()
            .enumerate()
            .position(|(i, c)| *c != CellValue::Empty && h.names.get(i).is_none_or(String::is_empty))
        {
            return Err((
                None,
                row_error(RowCode::InvalidValue, format!("column {} has a value but no header", i + 1)),
            ));
        }
        // A formula anywhere the import reads is refused first: its cached result may be stale.
        for i in [Some(h.indicator), Some(h.period), h.value, h.implemented, h.note, h.expected_revision]
            .into_iter()
            .flatten()
        {
            if cells.get(i) == Some(&CellValue::Formula) {
                return Err((
                    Some(i),
                    row_error(RowCode::Formula, "the cell holds a formula; enter the value itself".to_string()),
                ));
            }
        }
        let code = match cell(Some(h.indicator)) {
            None | Some(CellValue::Empty) => {
                return Err((
                    Some(h.indicator),
                    row_error(RowCode::MissingCell, "the indicator code is missing".to_string()),
                ))
            }
            Some(c) => c.display(),
        };
        let Some(indicator) = self.known.by_code.get(&code) else {
            let code = short(&code);
            return Err((
                Some(h.indicator),
                row_error(RowCode::UnknownIndicator, format!("no indicator has the code {code}")),
            ));
        };
        let assigned = self.known.assigned.get(&indicator.task_id).map(Vec::as_slice).unwrap_or_default();
        if !self.scope.covers(assigned) {
            return Err((
                Some(h.indicator),
                row_error(RowCode::OutOfScope, format!("{code} is not an indicator of the importing unit's tasks")),
            ));
        }
        let period = match cell(Some(h.period)) {
            None | Some(CellValue::Empty) => {
                return Err((Some(h.period), row_error(RowCode::MissingCell, "the period is missing".to_string())))
            }
            // Excel turns `2022-07` typed into a cell into the date 2022-07-01.
            Some(CellValue::Date(y, m, 1)) => format!("{y:04}-{m:02}"),
            Some(c) => c.display(),
        };
        let period = Period::parse(&period).map_err(|_| {
            let period = short(&period);
            (
                Some(h.period),
                row_error(RowCode::InvalidPeriod, format!("{period} is not a period such as 2022, 2022-Q3 or 2022-07")),
            )
        })?;
        if period.frequency() != indicator.frequency {
            return Err((
                Some(h.period),
                row_error(
                    RowCode::WrongGranularity,
                    format!(
                        "{} is reported {}: period {period} has the wrong granularity",
                        code,
                        values::granularity(indicator.frequency)
                    ),
                ),
            ));
        }
        if period.is_future(self.today) {
            return Err((
                Some(h.period),
                row_error(RowCode::FuturePeriod, format!("period {period} has not begun yet")),
            ));
        }
        let (mut value, mut implemented) = (None, None);
        if indicator.kind.is_numeric() {
            let i = h.value;
            match cell(i) {
                None | Some(CellValue::Empty) => {
                    return Err((
                        i,
                        row_error(RowCode::MissingCell, format!("{code} needs a number in the value column")),
                    ))
                }
                Some(CellValue::Text(t)) => {
                    let v = ExactDecimal::parse(t.trim_end_matches('%').trim())
                        .map_err(|_| (i, row_error(RowCode::NotANumber, format!("{} is not a number", short(t)))))?;
                    indicator.kind.check_value(v).map_err(|e| (i, row_error(RowCode::OutOfRange, e.0)))?;
                    value = Some(v);
                }
                Some(other) => {
                    let shown = short(&other.display());
                    return Err((i, row_error(RowCode::NotANumber, format!("{shown} is not a number"))));
                }
            }
            if !matches!(cell(h.implemented), None | Some(CellValue::Empty)) {
                return Err((
                    h.implemented,
                    row_error(RowCode::InvalidValue, format!("{code} takes a number; leave the yes/no column empty")),
                ));
            }
        } else {
            let i = h.implemented;
            implemented = Some(match cell(i) {
                None | Some(CellValue::Empty) => {
                    return Err((
                        i,
                        row_error(RowCode::MissingCell, format!("{code} needs 是 or 否 in the yes/no column")),
                    ))
                }
                Some(CellValue::Bool(b)) => *b,
                Some(other) => match short(&other.display()).to_lowercase().as_str() {
                    // The template's 是/否, and the values export's words for them (each
                    // commitment's, see `Commitment::answer_words`).
                    "是" | "已落实" | "已完成" | "符合" | "yes" | "true" | "1" | "y" => true,
                    "否" | "未落实" | "未完成" | "不符合" | "no" | "false" | "0" | "n" => false,
                    shown => {
                        return Err((
                            i,
                            row_error(RowCode::NotYesNo, format!("{shown} is neither 是 nor 否 (yes or no)")),
                        ))
                    }
                },
            });
            if !matches!(cell(h.value), None | Some(CellValue::Empty)) {
                return Err((
                    h.value,
                    row_error(
                        RowCode::InvalidValue,
                        format!("{code} is a yes/no indicator; leave the value column empty"),
                    ),
                ));
            }
        }
        let note = text_of(cell(h.note)).map(str::to_string);
        if let Some(n) = &note {
            if n.chars().count() > self.limits.note_chars {
                return Err((
                    h.note,
                    row_error(
                        RowCode::TextTooLong,
                        format!(
                            "the note has {} characters; at most {} are accepted",
                            n.chars().count(),
                            self.limits.note_chars
                        ),
                    ),
                ));
            }
        }
        let expected_revision = match cell(h.expected_revision) {
            None | Some(CellValue::Empty) => None,
            Some(c) => {
                let shown = short(&c.display());
                match shown.parse::<i32>() {
                    Ok(r) if r >= 0 => Some(r),
                    _ => {
                        return Err((
                            h.expected_revision,
                            row_error(
                                RowCode::InvalidRevision,
                                format!("{shown} is not a revision number (a whole number, 0 or more)"),
                            ),
                        ))
                    }
                }
            }
        };
        // The rules of a single report, unchanged (what the checks above did not catch).
        let report = ValueReport { period, value, implemented, note, evidence: Vec::new(), expected_revision };
        let checked = values::check_report(indicator, &report, self.limits)
            .map_err(|e| (None, row_error(RowCode::InvalidValue, e.to_string())))?;
        Ok((indicator.clone(), checked, expected_revision))
    }
}

/// What the check pass found.
struct Checked {
    header: Vec<String>,
    rows_read: u64,
    valid: u64,
    refused: u64,
    errors: Vec<RowError>,
}

/// Reads the header and hands each further row to `each`; refuses a file without a
/// header or with more rows than allowed.
fn for_each_row(
    source: &mut dyn RowSource,
    known: &Known,
    scope: &TaskScope,
    options: &ImportOptions,
    mut each: impl FnMut(Result<ValidRow, RowError>) -> bool,
) -> AppResult<(Vec<String>, u64)> {
    let Some(first) = source.next_row()? else {
        return Err(AppError::validation("the file is empty; expected a header row and rows of values"));
    };
    let header = read_header(&first)?;
    let names = header.names.clone();
    let mut checker = Checker {
        known,
        scope,
        header,
        limits: options.limits,
        today: period::today_in_county(crate::clock::now()),
        taken: HashMap::new(),
    };
    let mut rows: u64 = 0;
    while let Some(row) = source.next_row()? {
        rows += 1;
        if rows > options.max_rows {
            return Err(AppError::LimitExceeded(format!("the file has more than {} rows; split it", options.max_rows)));
        }
        if !each(checker.check(&row)) {
            break;
        }
    }
    Ok((names, rows))
}

fn check_pass(
    file: std::fs::File,
    format: FileFormat,
    known: &Known,
    scope: &TaskScope,
    options: &ImportOptions,
    progress: &dyn Progress,
) -> AppResult<Checked> {
    let mut source = read::open(file, format, options.max_uncompressed)?;
    let (mut valid, mut refused, mut errors) = (0u64, 0u64, Vec::new());
    progress.phase("checking", None);
    let (header, rows_read) = for_each_row(source.as_mut(), known, scope, options, |r| {
        match r {
            Ok(_) => valid += 1,
            Err(e) => {
                refused += 1;
                if errors.len() < options.max_errors {
                    errors.push(e);
                }
            }
        }
        progress.advance(1);
        true
    })?;
    Ok(Checked { header, rows_read, valid, refused, errors })
}

/// The file an import reads (twice: to check, then to store).
pub struct ImportFile {
    pub source: ImportSource,
    /// The name to keep on the receipt (the upload's, or the path's).
    pub name: String,
}

/// Where an import's file is.
pub enum ImportSource {
    /// A file on disk (the command line).
    Path(std::path::PathBuf),
    /// An open file, e.g. an upload spooled to a temporary file.
    Handle(std::fs::File),
}

impl ImportFile {
    /// The file, read from its start.
    fn open(&self) -> AppResult<std::fs::File> {
        use std::io::Seek as _;
        let failed = |e: std::io::Error| AppError::Unexpected(anyhow::Error::new(e).context("opening the import"));
        let mut file = match &self.source {
            ImportSource::Path(p) => std::fs::File::open(p).map_err(failed)?,
            ImportSource::Handle(f) => f.try_clone().map_err(failed)?,
        };
        file.seek(std::io::SeekFrom::Start(0)).map_err(failed)?;
        Ok(file)
    }
}

/// Imports the values of `file` for `scope`, as `actor`.
#[tracing::instrument(skip_all, fields(file = %file.name, dry_run = options.dry_run))]
pub async fn import_values(
    db: &Db,
    actor: Actor<'_>,
    scope: &ImportScope,
    file: &ImportFile,
    options: ImportOptions,
    progress: Arc<dyn Progress>,
) -> AppResult<ImportSummary> {
    let mut first = file.open()?;
    let format = read::sniff(&mut first)?.ok_or_else(|| {
        AppError::validation("the file is neither CSV nor an XLSX workbook (its content decides, not its name)")
    })?;
    let known = Arc::new(Known::load(&db.conn).await?);
    let checked = {
        let (known, tasks, progress) = (known.clone(), scope.tasks.clone(), progress.clone());
        tokio::task::spawn_blocking(move || check_pass(first, format, &known, &tasks, &options, progress.as_ref()))
            .await
            .map_err(|e| AppError::Unexpected(anyhow::Error::new(e).context("the import's check")))??
    };
    let mut summary = ImportSummary {
        run_id: None,
        dry_run: options.dry_run,
        valid_rows_only: options.valid_rows_only,
        committed: false,
        rows_read: checked.rows_read,
        stored: 0,
        unchanged: 0,
        refused: checked.refused,
        errors: checked.errors,
        header: checked.header,
    };
    let store = checked.valid > 0 && (checked.refused == 0 || options.valid_rows_only);
    if !store {
        summary.run_id = Some(keep_receipt(db, actor, scope, file, format, &summary).await?);
        return Ok(summary);
    }
    // The second pass: rows are read by a thread of their own and stored here, as they come.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<ValidRow>(1024);
    let reader = {
        let (known, tasks, again) = (known.clone(), scope.tasks.clone(), file.open()?);
        tokio::task::spawn_blocking(move || -> AppResult<()> {
            let mut source = read::open(again, format, options.max_uncompressed)?;
            for_each_row(source.as_mut(), &known, &tasks, &options, |r| match r {
                Ok(row) => tx.blocking_send(row).is_ok(),
                Err(_) => true,
            })?;
            Ok(())
        })
    };
    progress.phase("storing", Some(checked.valid));
    let mut write = Write::begin(db).await?;
    let mut conflict: Option<RowError> = None;
    while let Some(row) = rx.recv().await {
        let appended = values::append_revision(
            write.tx(),
            &actor.identity.subject,
            scope.unit_id,
            &row.indicator,
            &row.checked,
            row.expected_revision,
            Sameness::SkipEqual,
        )
        .await;
        progress.advance(1);
        match appended {
            Ok(Appended::Stored(_, record)) => {
                write.append(actor, record).await?;
                summary.stored += 1;
            }
            Ok(Appended::Unchanged(_)) => summary.unchanged += 1,
            Ok(Appended::LostRace) => {
                return Err(AppError::conflict(
                    "another write reported the same values while the file was imported; nothing was stored, import it again",
                ))
            }
            Err(AppError::Conflict(message)) => {
                let error = RowError {
                    row: row.number,
                    column: None,
                    code: RowCode::StaleRevision,
                    message,
                    cells: row.cells,
                };
                summary.refused += 1;
                if options.valid_rows_only {
                    if summary.errors.len() < options.max_errors {
                        summary.errors.push(error);
                    }
                } else {
                    conflict = Some(error);
                    break;
                }
            }
            Err(e) => return Err(e),
        }
    }
    drop(rx);
    reader.await.map_err(|e| AppError::Unexpected(anyhow::Error::new(e).context("the import's reader")))??;
    if let Some(error) = conflict {
        // All or nothing: a stale row undoes the others.
        drop(write);
        summary.stored = 0;
        summary.unchanged = 0;
        summary.errors.insert(0, error);
        summary.errors.truncate(options.max_errors.max(1));
        summary.run_id = Some(keep_receipt(db, actor, scope, file, format, &summary).await?);
        return Ok(summary);
    }
    if options.dry_run {
        drop(write);
        summary.run_id = Some(keep_receipt(db, actor, scope, file, format, &summary).await?);
        return Ok(summary);
    }
    summary.committed = summary.stored > 0;
    let (id, record) = receipt(write.tx(), actor, scope, file, format, &summary).await?;
    write.append(actor, record).await?;
    write.finish().await?;
    summary.run_id = Some(id);
    Ok(summary)
}

/// Keeps the receipt of an import that stored nothing, in a write of its own.
async fn keep_receipt(
    db: &Db,
    actor: Actor<'_>,
    scope: &ImportScope,
    file: &ImportFile,
    format: FileFormat,
    summary: &ImportSummary,
) -> AppResult<i64> {
    let write = Write::begin(db).await?;
    let (id, record) = receipt(write.tx(), actor, scope, file, format, summary).await?;
    write.commit(actor, record).await?;
    Ok(id)
}

/// Inserts the receipt; returns its id and the record of the write (audited as
/// `indicator_value.import`).
async fn receipt(
    tx: &sea_orm::DatabaseTransaction,
    actor: Actor<'_>,
    scope: &ImportScope,
    file: &ImportFile,
    format: FileFormat,
    s: &ImportSummary,
) -> AppResult<(i64, Record)> {
    let errors: Vec<serde_json::Value> = s
        .errors
        .iter()
        .map(|e| json!({"row": e.row, "column": e.column, "code": e.code.as_str(), "message": e.message, "cells": e.cells}))
        .collect();
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let run = import_run::ActiveModel {
        id: NotSet,
        unit_id: Set(scope.unit_id),
        actor_subject: Set(actor.identity.subject.clone()),
        file_name: Set(file.name.chars().take(200).collect()),
        format: Set(format.extension().to_string()),
        dry_run: Set(s.dry_run),
        valid_rows_only: Set(s.valid_rows_only),
        committed: Set(s.committed),
        rows_read: Set(count(s.rows_read)),
        stored: Set(count(s.stored)),
        unchanged: Set(count(s.unchanged)),
        refused: Set(count(s.refused)),
        errors: Set(json!({ "header": s.header, "rows": errors })),
        created_at: Set(crate::clock::now()),
    }
    .insert(tx)
    .await?;
    let record = Record::new("indicator_value.import", "import_run", run.id.to_string()).scope(scope.unit_id).after(
        Some(json!({
            "id": run.id, "file": run.file_name, "format": run.format, "dryRun": run.dry_run,
            "validRowsOnly": run.valid_rows_only, "committed": run.committed, "rowsRead": run.rows_read,
            "stored": run.stored, "unchanged": run.unchanged, "refused": run.refused,
        })),
    );
    Ok((run.id, record))
}

/// An import's receipt, if the identity may read it (else it looks absent).
pub async fn find_run(
    db: &impl ConnectionTrait,
    identity: &crate::auth::Identity,
    id: i64,
) -> AppResult<import_run::Model> {
    let run = import_run::Entity::find()
        .filter(import_run::Column::Id.eq(id))
        .one(db)
        .await?
        .filter(|r| crate::auth::policy::may_read_import_run(identity, r.unit_id))
        .ok_or_else(|| AppError::not_found(format!("no import has the id {id}")))?;
    Ok(run)
}

/// The refused rows of a receipt, from its JSON.
pub fn run_errors(run: &import_run::Model) -> Vec<RowError> {
    let Some(items) = run.errors.get("rows").and_then(|r| r.as_array()) else { return Vec::new() };
    items
        .iter()
        .filter_map(|e| {
            Some(RowError {
                row: e.get("row")?.as_u64()?,
                column: e.get("column").and_then(|c| c.as_str()).map(str::to_string),
                code: e.get("code")?.as_str()?.parse().ok()?,
                message: e.get("message")?.as_str()?.to_string(),
                cells: e
                    .get("cells")
                    .and_then(|c| c.as_array())
                    .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_string)).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// The refused rows of an import as a spreadsheet: the row number, the error (code and
/// message in the reader's language) and the row as it was sent.
pub fn error_table(run: &import_run::Model) -> crate::service::export::Table {
    use crate::service::export::Cell;
    let errors = run_errors(run);
    let header: Vec<String> = run
        .errors
        .get("header")
        .and_then(|h| h.as_array())
        .map(|a| a.iter().map(|c| c.as_str().unwrap_or_default().to_string()).collect())
        .unwrap_or_default();
    let width = errors.iter().map(|e| e.cells.len()).max().unwrap_or(0).max(header.len());
    let mut headers: Vec<String> = ["行号", "出错列", "错误代码", "错误说明"].iter().map(|h| h.to_string()).collect();
    headers.extend(
        (0..width)
            .map(|i| header.get(i).filter(|h| !h.is_empty()).cloned().unwrap_or_else(|| format!("第{}列", i + 1))),
    );
    let rows = errors
        .into_iter()
        .map(|e| {
            let mut row = vec![
                Cell::text(e.row.to_string()),
                Cell::text(e.column.unwrap_or_default()),
                Cell::text(e.code.as_str()),
                Cell::text(crate::i18n::text(&e.message)),
            ];
            row.extend(e.cells.into_iter().map(Cell::text));
            row.resize_with(4 + width, Cell::empty);
            row
        })
        .collect();
    crate::service::export::Table { title: format!("导入错误 {}", run.id), headers, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_the_templates_chinese_or_english() {
        assert_eq!(column_of("指标代码"), Some(Column::Indicator));
        assert_eq!(column_of(" Indicator Code "), Some(Column::Indicator));
        assert_eq!(column_of("是否完成（是/否）"), Some(Column::Implemented));
        assert_eq!(column_of("expected-revision"), Some(Column::ExpectedRevision));
        assert_eq!(column_of("按时截止日（UTC+8）"), Some(Column::Informational));
        assert_eq!(column_of("数值2"), None);
    }

    #[test]
    fn every_column_of_the_import_template_is_understood() {
        // The template (service::export) and the import name the columns twice; this keeps
        // them the same.
        for h in crate::service::export::IMPORT_TEMPLATE_HEADERS {
            assert!(column_of(h).is_some(), "{h}");
        }
    }

    #[test]
    fn a_header_needs_its_columns_once() {
        let header = |cells: &[&str]| {
            read_header(&RawRow {
                number: 1,
                cells: Ok(cells.iter().map(|c| CellValue::Text(c.to_string())).collect()),
            })
        };
        assert!(header(&["指标代码", "周期", "数值"]).is_ok());
        assert!(header(&["指标代码", "周期", "是否完成"]).is_ok());
        for bad in [
            &["指标代码", "周期"][..],
            &["周期", "数值"],
            &["指标代码", "周期", "数值", "value"],
            &["指标代码", "周期", "数值", "x"],
        ] {
            assert!(matches!(header(bad), Err(AppError::Validation(_))), "{bad:?}");
        }
    }

    #[test]
    fn long_cells_are_cut_for_messages() {
        assert_eq!(short("abc"), "abc");
        let long = "数".repeat(300);
        let cut = short(&long);
        assert_eq!(cut.chars().count(), 201);
        assert!(cut.ends_with('…'));
    }
}
