//! Spreadsheet exports for offices that work in Excel or WPS: the current indicator values of
//! a period and the annual self-evaluation table (年度自评表) that dynamic supervision asks
//! for, as CSV or XLSX. The tables are built here from the same services as the API (scope,
//! current revisions, compliance); only the file formats are specific to exports.

use std::collections::HashMap;

use entity::indicator_value;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DocProperties, Workbook, XlsxError};
use sea_orm::ConnectionTrait;

use crate::auth::policy::TaskScope;
use crate::domain::compliance::ComplianceStatus;
use crate::domain::period::Span;
use crate::domain::{Commitment, Comparator, ExactDecimal, Frequency, Period, PlanYear, Source, ValueStatus};
use crate::error::{AppError, AppResult};
use crate::service::catalog::PlanCatalog;
use crate::service::indicators::{self, IndicatorWithConditions};
use crate::service::values::CurrentValue;
use crate::service::{compliance, targets, tasks, units, values};

/// One cell of a table: text, an exact number (a numeric cell in XLSX), or a time in the
/// county's zone (a date-time cell in XLSX; the header names the zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Number(ExactDecimal),
    Time(chrono::NaiveDateTime),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn empty() -> Cell {
        Cell::Text(String::new())
    }

    pub fn integer(n: i64) -> Cell {
        Cell::Number(ExactDecimal::from_decimal(n.into()))
    }

    /// The cell as text (numbers in their exact canonical form).
    pub fn as_text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(d) => d.to_string(),
            Cell::Time(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

/// A titled table: one header row, then the rows (each as long as the headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The columns of [`values_table`].
pub const VALUE_HEADERS: [&str; 14] = [
    "任务编号",
    "指标代码",
    "指标名称",
    "周期",
    "数值",
    "完成情况",
    "计量单位",
    "修订版本",
    "状态",
    "填报单位",
    "填报人",
    "填报时间（UTC+8）",
    "备注",
    "佐证材料",
];

/// The columns of [`import_template_table`]: the first seven filled in, the last three for
/// the department to fill.
pub const IMPORT_TEMPLATE_HEADERS: [&str; 10] = [
    "指标代码",
    "指标名称",
    "类型",
    "计量单位",
    "报送频次",
    "周期",
    "按时截止日（UTC+8）",
    "数值",
    "是否完成（是/否）",
    "备注",
];

/// What a unit still has to report in a year, as a spreadsheet to fill in: one row per
/// period of each of its indicators that has begun and has no report that counts yet, in
/// plan order, with the day by which it is on time (the reporting calendar's).
pub async fn import_template_table(
    db: &impl ConnectionTrait,
    catalog: &PlanCatalog,
    scope: &TaskScope,
    year: PlanYear,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Table> {
    let today = crate::domain::period::today_in_county(now);
    let due = crate::service::calendar::calendar(db, catalog, scope, year, now).await?;
    let rows = due
        .into_iter()
        .filter(|d| d.reported_at.is_none() && !d.period.is_future(today))
        .map(|d| {
            let i = &d.indicator.indicator;
            vec![
                Cell::text(i.code.as_str()),
                Cell::text(&i.name),
                Cell::text(i.kind.as_str()),
                Cell::text(i.measurement_unit.clone().unwrap_or_default()),
                Cell::text(frequency_text(i.frequency, i.frequency_source)),
                Cell::text(d.period.to_string()),
                Cell::text(d.due_by().to_string()),
                Cell::empty(),
                Cell::empty(),
                Cell::empty(),
            ]
        })
        .collect();
    Ok(Table {
        title: format!("填报模板 {year}"),
        headers: IMPORT_TEMPLATE_HEADERS.iter().map(|h| h.to_string()).collect(),
        rows,
    })
}

/// The columns of [`self_evaluation_table`].
pub const SELF_EVALUATION_HEADERS: [&str; 11] = [
    "领域",
    "任务编号",
    "指标代码",
    "指标名称",
    "目标",
    "年度值",
    "达标情况",
    "是否下降",
    "责任单位",
    "报送频次",
    "考核规则",
];

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// UTF-8 with a byte-order mark (so that Excel reads the Chinese text correctly).
    Csv,
    /// An Excel workbook of one sheet.
    Xlsx,
}

impl FileFormat {
    /// Parses `csv` or `xlsx` (any case).
    pub fn parse(s: &str) -> AppResult<FileFormat> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(FileFormat::Csv),
            "xlsx" => Ok(FileFormat::Xlsx),
            _ => Err(AppError::validation(format!("format {s:?} is neither csv nor xlsx"))),
        }
    }

    /// The format a file name's extension names, if any.
    pub fn from_path(path: &std::path::Path) -> Option<FileFormat> {
        path.extension().and_then(|e| e.to_str()).and_then(|e| FileFormat::parse(e).ok())
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
        }
    }

    /// The media type of a download.
    pub fn media_type(self) -> &'static str {
        match self {
            FileFormat::Csv => "text/csv; charset=utf-8",
            FileFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The table as a file of this format.
    pub fn render(self, table: &Table) -> AppResult<Vec<u8>> {
        match self {
            FileFormat::Csv => to_csv(table),
            FileFormat::Xlsx => to_xlsx(table),
        }
    }
}

/// What a download holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    Values,
    SelfEvaluation,
    /// What a department fills in: its indicators' periods still to report.
    ImportTemplate,
    /// The refused rows of an import, with an error column.
    ImportErrors,
}

/// `values.csv` → (Values, Csv); NOT_FOUND for any other name.
pub fn parse_file_name(name: &str) -> AppResult<(Export, FileFormat)> {
    let unknown = || {
        AppError::not_found(format!(
            "no export is named {name:?}; use values, self-evaluation, import-template or import-errors, as .csv or .xlsx"
        ))
    };
    let (stem, extension) = name.rsplit_once('.').ok_or_else(unknown)?;
    let what = match stem {
        "values" => Export::Values,
        "self-evaluation" => Export::SelfEvaluation,
        "import-template" => Export::ImportTemplate,
        "import-errors" => Export::ImportErrors,
        _ => return Err(unknown()),
    };
    let format = match extension {
        "csv" => FileFormat::Csv,
        "xlsx" => FileFormat::Xlsx,
        _ => return Err(unknown()),
    };
    Ok((what, format))
}

/// A required parameter of an export.
pub fn required<'a>(params: &'a HashMap<String, String>, name: &str, example: &str) -> AppResult<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| AppError::validation(format!("the `{name}` parameter is required (e.g. {name}={example})")))
}

/// The export a file name and its parameters name, as one canonical resource string
/// (`/export/values.csv?period=2022`): what a download ticket is bound to. Checks the name
/// and the parameter the export needs; other parameters do not count.
pub fn resource(file: &str, params: &HashMap<String, String>) -> AppResult<String> {
    let (what, _) = parse_file_name(file)?;
    Ok(match what {
        Export::Values => format!("/export/{file}?period={}", Period::parse(required(params, "period", "2022")?)?),
        Export::SelfEvaluation | Export::ImportTemplate => {
            let year = crate::service::assessment::plan_year(parse_year(required(params, "year", "2022")?)?)?;
            format!("/export/{file}?year={}", year.get())
        }
        Export::ImportErrors => format!("/export/{file}?run={}", parse_run(required(params, "run", "12")?)?),
    })
}

/// An import's receipt number.
pub fn parse_run(s: &str) -> AppResult<i64> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::validation(format!("run {s:?} is not an import's number such as 12")))
}

/// A link that downloads `resource` as the caller, without a header, until it expires:
/// signed with the token keys, recorded in the audit trail (the ticket itself never is).
pub async fn create_link(
    db: &crate::db::Db,
    tokens: &crate::auth::TokenService,
    actor: crate::service::Actor<'_>,
    claims: &crate::auth::Claims,
    resource: &str,
    ttl: std::time::Duration,
) -> AppResult<(String, chrono::DateTime<chrono::Utc>)> {
    use chrono::TimeZone;
    let (ticket, exp) = tokens.sign_ticket(claims, resource, ttl)?;
    let expires_at = chrono::Utc
        .timestamp_opt(exp, 0)
        .single()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("ticket expiry out of range")))?;
    let write = crate::service::write::Write::begin(db).await?;
    write
        .commit(
            actor,
            crate::service::write::Record::new("export.link", "export", resource.to_string())
                .scope(actor.identity.unit.as_ref().map(|u| u.id))
                .after(Some(serde_json::json!({ "resource": resource, "expiresAt": expires_at.to_rfc3339() }))),
        )
        .await?;
    let separator = if resource.contains('?') { '&' } else { '?' };
    Ok((format!("{resource}{separator}ticket={ticket}"), expires_at))
}

/// Parses a plan year written as four digits (`2022`); whether the plan covers it is
/// [`assessment::check_year`]'s answer (NOT_FOUND), not a malformed input.
pub fn parse_year(s: &str) -> AppResult<i32> {
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().map_err(|_| AppError::validation(format!("year {s:?} is not a year such as 2022")))
    } else {
        Err(AppError::validation(format!("year {s:?} is not a year such as 2022")))
    }
}

/// The periods of `frequency` that lie inside `period`, in order: a year holds its quarters
/// for a quarterly indicator; a period finer than `frequency` holds none (the indicator is
/// not reported at that granularity).
pub fn periods_within(frequency: Frequency, period: Period) -> Vec<Period> {
    period
        .all_in_year(frequency)
        .into_iter()
        .filter(|p| p.start() >= period.start() && p.end() <= period.end())
        .collect()
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "是"
    } else {
        "否"
    }
}

fn status_label(status: ValueStatus) -> &'static str {
    match status {
        ValueStatus::Submitted => "已提交",
        ValueStatus::Verified => "已核实",
        ValueStatus::Rejected => "已退回",
    }
}

fn evidence_text(v: &indicator_value::Model) -> String {
    v.evidence
        .as_array()
        .map(|a| a.iter().filter_map(|e| e.as_str()).collect::<Vec<_>>().join("; "))
        .unwrap_or_default()
}

/// The current revision of every indicator in `scope` for each period of the indicator's
/// frequency inside `period` (指标数值): one row per revision, in the plan's order. A period
/// without data gives the headers alone.
#[tracing::instrument(skip_all, fields(period = %period))]
pub async fn values_table(db: &impl ConnectionTrait, scope: &TaskScope, period: Period) -> AppResult<Table> {
    let all = indicators::all_in_scope(db, scope).await?;
    let mut keys = Vec::new();
    for ind in &all {
        let frequency = ind.indicator.frequency;
        keys.extend(periods_within(frequency, period).into_iter().map(|p| (ind.indicator.id, p)));
    }
    let current = values::current_values(db, &keys).await?;
    let by_id: HashMap<i32, &IndicatorWithConditions> = all.iter().map(|i| (i.indicator.id, i)).collect();
    let found: Vec<(&IndicatorWithConditions, Period, &CurrentValue)> =
        keys.iter().filter_map(|k| Some((*by_id.get(&k.0)?, k.1, current.get(k)?))).collect();
    let task_ids: Vec<i32> = found.iter().map(|(i, _, _)| i.indicator.task_id).collect();
    let tasks = tasks::tasks_by_ids(db, &task_ids).await?;
    let unit_ids: Vec<i32> = found.iter().filter_map(|(_, _, v)| v.value.unit_id).collect();
    let units = units::units_by_ids(db, &unit_ids).await?;
    let mut rows = Vec::with_capacity(found.len());
    for (ind, p, cv) in found {
        let v = &cv.value;
        let i = &ind.indicator;
        rows.push(vec![
            tasks.get(&i.task_id).map(|t| Cell::integer(t.number.into())).unwrap_or_else(Cell::empty),
            Cell::text(i.code.as_str()),
            Cell::text(&i.name),
            Cell::text(p.to_string()),
            v.value.map(Cell::Number).unwrap_or_else(Cell::empty),
            Cell::text(v.implemented.map(|b| answer_text(i.commitment, b)).unwrap_or_default()),
            Cell::text(i.measurement_unit.clone().unwrap_or_default()),
            Cell::integer(v.revision.into()),
            Cell::text(status_label(v.status)),
            Cell::text(v.unit_id.and_then(|u| units.get(&u)).map(|u| u.name.clone()).unwrap_or_default()),
            Cell::text(&v.reported_by),
            Cell::Time(crate::domain::period::county_time(v.reported_at)),
            Cell::text(v.note.clone().unwrap_or_default()),
            Cell::text(evidence_text(v)),
        ]);
    }
    Ok(Table { title: format!("指标数值 {period}"), headers: headers(&VALUE_HEADERS), rows })
}

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|h| h.to_string()).collect()
}

/// The indicator's conditions in words: "≥ 25%", "持续下降", "完成上级下达目标（2022年：0.51）" …
fn target_text(ind: &IndicatorWithConditions, year: PlanYear, superior: Option<ExactDecimal>) -> AppResult<String> {
    let unit = ind.indicator.measurement_unit.as_deref().unwrap_or("");
    let fixed = |sign: &str, t: Option<ExactDecimal>| match t {
        Some(t) => format!("{sign} {t}{unit}"),
        None => format!("{sign} 未设定"),
    };
    let parts: Vec<String> = indicators::parsed_conditions(&ind.conditions)
        .into_iter()
        .map(|(comparator, target)| match comparator {
            Comparator::AtLeast => fixed("≥", target),
            Comparator::AtMost => fixed("≤", target),
            // 达 as the document writes it; a cell never starts with a formula character.
            Comparator::Equals => fixed("达", target),
            Comparator::Increasing => "逐年提高".into(),
            Comparator::Decreasing => "持续下降".into(),
            Comparator::NotDecreasing => "不减少".into(),
            Comparator::MeetsSuperiorTarget => match superior {
                Some(t) => format!("完成上级下达目标（{year}年：{t}{unit}）"),
                None => format!("完成上级下达目标（{year}年：未设定）"),
            },
            Comparator::NoOccurrence => "无发生".into(),
            Comparator::Implemented => ind.indicator.commitment.implemented_target().into(),
        })
        .collect();
    Ok(parts.join("；"))
}

/// A yes/no answer in the words its commitment calls for: 已完成, 已落实, 符合 …
fn answer_text(commitment: Commitment, b: bool) -> &'static str {
    let (yes, no) = commitment.answer_words();
    if b {
        yes
    } else {
        no
    }
}

/// What a revision says, as text: the number, or the yes/no answer in words.
fn observed_text(commitment: Commitment, v: &indicator_value::Model) -> String {
    match (&v.value, v.implemented) {
        (Some(d), _) => d.to_string(),
        (None, Some(b)) => answer_text(commitment, b).to_string(),
        (None, None) => String::new(),
    }
}

/// How often an indicator is reported and who says so, e.g. 每年（配置）, 每季度（文件）.
fn frequency_text(frequency: Frequency, source: Source) -> String {
    let how = match frequency {
        Frequency::Annual => "每年",
        Frequency::Quarterly => "每季度",
        Frequency::Monthly => "每月",
    };
    let who = match source {
        Source::Document => "文件",
        Source::Configured => "配置",
    };
    format!("{how}（{who}）")
}

/// The year's value: a number cell for an annual indicator; for a quarterly (monthly) one
/// the reported sub-periods in words, e.g. "Q1 100; Q2 98".
fn year_value(
    ind: &IndicatorWithConditions,
    frequency: Frequency,
    year: PlanYear,
    current: &HashMap<(i32, Period), CurrentValue>,
) -> AppResult<Cell> {
    let id = ind.indicator.id;
    if frequency == Frequency::Annual {
        return match current.get(&(id, Period::of_year(year))).map(|c| &c.value) {
            Some(indicator_value::Model { value: Some(d), .. }) => Ok(Cell::Number(*d)),
            Some(v) => Ok(Cell::text(observed_text(ind.indicator.commitment, v))),
            None => Ok(Cell::empty()),
        };
    }
    let parts: Vec<String> = Period::of_year(year)
        .all_in_year(frequency)
        .into_iter()
        .filter_map(|p| {
            let v = &current.get(&(id, p))?.value;
            let label = match p.span() {
                Span::Quarter(_, q) => format!("Q{q}"),
                Span::Month(_, m) => format!("{m}月"),
                Span::Year(y) => y.to_string(),
            };
            Some(format!("{label} {}", observed_text(ind.indicator.commitment, v)))
        })
        .collect();
    Ok(Cell::text(parts.join("; ")))
}

fn compliance_label(status: ComplianceStatus) -> &'static str {
    match status {
        ComplianceStatus::Met => "达标",
        ComplianceStatus::NotMet => "未达标",
        ComplianceStatus::NoData => "无数据",
    }
}

/// The annual self-evaluation table (年度自评表) of `year`: one row per indicator in `scope`,
/// in the plan's order, with its target, the year's value, compliance over the year (as
/// `compliance(period: "YEAR")` judges it), whether it declined and the responsible units.
/// NOT_FOUND outside the plan's years.
#[tracing::instrument(skip_all, fields(year = %year))]
pub async fn self_evaluation_table(
    db: &impl ConnectionTrait,
    catalog: &PlanCatalog,
    scope: &TaskScope,
    year: PlanYear,
) -> AppResult<Table> {
    let period = Period::of_year(year);
    let all = indicators::all_in_scope(db, scope).await?;
    let mut keys = Vec::new();
    let mut frequencies = Vec::with_capacity(all.len());
    for ind in &all {
        let frequency = ind.indicator.frequency;
        keys.extend(compliance::periods_to_load(frequency, period)?.into_iter().map(|p| (ind.indicator.id, p)));
        frequencies.push(frequency);
    }
    let current = values::current_values(db, &keys).await?;
    let ids: Vec<i32> = all.iter().map(|i| i.indicator.id).collect();
    let superior: HashMap<i32, ExactDecimal> = targets::of_year(db, &ids, year.get()).await?;
    let task_ids: Vec<i32> = all.iter().map(|i| i.indicator.task_id).collect();
    let tasks = tasks::tasks_by_ids(db, &task_ids).await?;
    let assignments = tasks::assignments_of(db, &task_ids).await?;
    let scheme = crate::service::assessment::scheme_for(db, catalog.plan.id, year).await?;
    let veto = crate::service::assessment::veto_basis(&scheme);
    let mut rows = Vec::with_capacity(all.len());
    for (ind, frequency) in all.iter().zip(frequencies) {
        let i = &ind.indicator;
        let task = tasks.get(&i.task_id);
        let domain = task
            .and_then(|t| catalog.section(t.section_id))
            .and_then(|s| catalog.domain(s.domain_id))
            .map(|d| d.name.clone())
            .unwrap_or_default();
        let verdict = compliance::evaluate(ind, period, &current)?.verdict;
        let responsible: Vec<&str> =
            assignments.get(&i.task_id).into_iter().flatten().map(|(_, u)| u.name.as_str()).collect();
        rows.push(vec![
            Cell::text(domain),
            task.map(|t| Cell::integer(t.number.into())).unwrap_or_else(Cell::empty),
            Cell::text(i.code.as_str()),
            Cell::text(&i.name),
            Cell::text(target_text(ind, year, superior.get(&i.id).copied())?),
            year_value(ind, frequency, year, &current)?,
            Cell::text(compliance_label(verdict.status)),
            Cell::text(yes_no(verdict.declined)),
            Cell::text(responsible.join("、")),
            Cell::text(frequency_text(frequency, i.frequency_source)),
            Cell::text(match (&veto, i.commitment) {
                (Some(basis), Commitment::Prohibition) => basis.clone(),
                _ => String::new(),
            }),
        ]);
    }
    Ok(Table { title: format!("年度自评表 {year}"), headers: headers(&SELF_EVALUATION_HEADERS), rows })
}

/// The byte-order mark that makes Excel read a CSV file as UTF-8.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A text field as CSV: one that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`,
/// tab, carriage return) gets a leading `'` (CSV injection). Number cells are left alone.
fn csv_field(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
        other => other.as_text(),
    }
}

/// The table as CSV: UTF-8 with a byte-order mark, CRLF line ends, the header row first.
pub fn to_csv(table: &Table) -> AppResult<Vec<u8>> {
    let fail = |e: csv::Error| AppError::Unexpected(anyhow::Error::new(e).context("cannot write the CSV"));
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(UTF8_BOM.to_vec());
    writer.write_record(&table.headers).map_err(fail)?;
    for row in &table.rows {
        writer.write_record(row.iter().map(csv_field)).map_err(fail)?;
    }
    writer.into_inner().map_err(|e| AppError::Unexpected(anyhow::anyhow!("cannot write the CSV: {}", e.error())))
}

/// How wide a text shows, in character widths (CJK characters take two).
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if u32::from(c) >= 0x2E80 { 2 } else { 1 }).sum()
}

/// A valid sheet name from a title: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    let name: String = title.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).take(31).collect::<String>();
    let name = name.trim_matches('\'').trim().to_string();
    if name.is_empty() {
        "Sheet1".into()
    } else {
        name
    }
}

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::Unexpected(anyhow::Error::new(e).context("cannot write the XLSX workbook"))
}

/// Narrowest and widest column, in character widths.
const MIN_COLUMN_WIDTH: usize = 6;
const MAX_COLUMN_WIDTH: usize = 60;

/// The table as an XLSX workbook of one sheet named after the title: a bold, frozen header
/// row with filters, columns as wide as their content (within limits), numbers as numeric
/// cells.
pub fn to_xlsx(table: &Table) -> AppResult<Vec<u8>> {
    let mut workbook = Workbook::new();
    workbook.set_properties(&DocProperties::new().set_title(&table.title).set_author("ecoplan"));
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(&table.title)).map_err(xlsx_error)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let time_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let too_big = || AppError::LimitExceeded("the table is too large for a spreadsheet".into());
    let mut widths: Vec<usize> = table.headers.iter().map(|h| display_width(h)).collect();
    for (c, header) in table.headers.iter().enumerate() {
        let col = u16::try_from(c).map_err(|_| too_big())?;
        sheet.write_string_with_format(0, col, header, &bold).map_err(xlsx_error)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let row_num = u32::try_from(r + 1).map_err(|_| too_big())?;
        for (c, cell) in row.iter().enumerate() {
            let col = u16::try_from(c).map_err(|_| too_big())?;
            let width = match cell {
                Cell::Text(s) if s.is_empty() => 0,
                Cell::Text(s) => {
                    sheet.write_string(row_num, col, s).map_err(xlsx_error)?;
                    display_width(s)
                }
                Cell::Time(t) => {
                    use chrono::{Datelike, Timelike};
                    let (year, month, day) = (t.year(), t.month(), t.day());
                    let when = u16::try_from(year)
                        .ok()
                        .and_then(|y| rust_xlsxwriter::ExcelDateTime::from_ymd(y, month as u8, day as u8).ok())
                        .and_then(|d| d.and_hms(t.hour() as u16, t.minute() as u8, t.second()).ok());
                    match when {
                        Some(when) => sheet.write_datetime_with_format(row_num, col, &when, &time_format),
                        None => sheet.write_string(row_num, col, cell.as_text()),
                    }
                    .map_err(xlsx_error)?;
                    19
                }
                Cell::Number(d) => {
                    match d.inner().to_f64() {
                        Some(f) => sheet.write_number(row_num, col, f).map_err(xlsx_error)?,
                        None => sheet.write_string(row_num, col, d.to_string()).map_err(xlsx_error)?,
                    };
                    d.to_string().len()
                }
            };
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(width);
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    if let Some(last_col) = table.headers.len().checked_sub(1) {
        let last_col = u16::try_from(last_col).map_err(|_| too_big())?;
        let last_row = u32::try_from(table.rows.len()).map_err(|_| too_big())?;
        sheet.autofilter(0, 0, last_row, last_col).map_err(xlsx_error)?;
    }
    for (c, w) in widths.into_iter().enumerate() {
        let col = u16::try_from(c).map_err(|_| too_big())?;
        // Two more for the filter button; widths are small integers, exact in f64.
        let width = u32::try_from((w + 2).clamp(MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH)).unwrap_or(60);
        sheet.set_column_width(col, width).map_err(xlsx_error)?;
    }
    workbook.save_to_buffer().map_err(xlsx_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> ExactDecimal {
        ExactDecimal::parse(s).unwrap()
    }

    #[test]
    fn periods_within_a_period() {
        assert_eq!(
            periods_within(Frequency::Annual, Period::year_of(2022).unwrap()),
            vec![Period::year_of(2022).unwrap()]
        );
        assert_eq!(periods_within(Frequency::Quarterly, Period::year_of(2022).unwrap()).len(), 4);
        assert_eq!(
            periods_within(Frequency::Quarterly, Period::quarter(2022, 3).unwrap()),
            vec![Period::quarter(2022, 3).unwrap()]
        );
        assert_eq!(
            periods_within(Frequency::Monthly, Period::quarter(2022, 3).unwrap()),
            vec![Period::month(2022, 7).unwrap(), Period::month(2022, 8).unwrap(), Period::month(2022, 9).unwrap()]
        );
        assert!(periods_within(Frequency::Annual, Period::quarter(2022, 1).unwrap()).is_empty());
        assert!(periods_within(Frequency::Quarterly, Period::month(2022, 1).unwrap()).is_empty());
    }

    #[test]
    fn years_are_four_digits() {
        assert_eq!(parse_year("2022").unwrap(), 2022);
        for bad in ["", "22", "2022-Q1", "+202", " 2022", "２０２２", "20222"] {
            assert!(matches!(parse_year(bad), Err(AppError::Validation(_))), "{bad:?}");
        }
    }

    #[test]
    fn formats_come_from_names() {
        assert_eq!(FileFormat::parse("XLSX").unwrap(), FileFormat::Xlsx);
        assert!(FileFormat::parse("xls").is_err());
        assert_eq!(FileFormat::from_path(std::path::Path::new("a/b.CSV")), Some(FileFormat::Csv));
        assert_eq!(FileFormat::from_path(std::path::Path::new("a/b")), None);
    }

    #[test]
    fn csv_has_a_bom_and_defuses_formulas() {
        let table = Table {
            title: "t".into(),
            headers: vec!["名称".into(), "数值".into()],
            rows: vec![vec![Cell::text("=HYPERLINK(\"x\")"), Cell::Number(d("-3.5"))]],
        };
        let bytes = to_csv(&table).unwrap();
        assert!(bytes.starts_with(UTF8_BOM));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(text, "名称,数值\r\n\"'=HYPERLINK(\"\"x\"\")\",-3.5\r\n");
    }

    #[test]
    fn sheet_names_are_valid() {
        assert_eq!(sheet_name("指标数值 2022-Q1"), "指标数值 2022-Q1");
        assert_eq!(sheet_name("a/b:c"), "a_b_c");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
        assert_eq!(sheet_name(""), "Sheet1");
    }

    #[test]
    fn an_empty_table_is_a_valid_workbook() {
        let table = Table { title: "空".into(), headers: vec!["a".into()], rows: vec![] };
        let bytes = to_xlsx(&table).unwrap();
        assert!(bytes.starts_with(b"PK"));
    }
}
