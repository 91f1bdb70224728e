//! Reading a spreadsheet row by row, without holding it in memory: CSV (UTF-8 with or
//! without a byte-order mark, or GB18030 as Chinese Excel writes it) and XLSX (its sheet
//! read cell by cell; the archive's directory checked first, so a zip bomb is refused by
//! its declared sizes and a part that inflates beyond its declared size is refused as it
//! is read, without unpacking anything whole).

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

use calamine::{DataRef, Reader as _, Xlsx};

use crate::error::{AppError, AppResult};
use crate::service::export::FileFormat;

/// One cell as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    Empty,
    /// Text, or a number written as the shortest decimal that reads back to it.
    Text(String),
    Bool(bool),
    /// A date (an XLSX date cell, or a CSV cell is always text): year, month, day.
    Date(i32, u32, u32),
    /// A formula: its cached result is not data someone entered.
    Formula,
    /// An error value such as `#DIV/0!`.
    Error(String),
}

impl CellValue {
    /// The cell as text, for the error report (what the department wrote).
    pub fn display(&self) -> String {
        match self {
            CellValue::Empty => String::new(),
            CellValue::Text(t) => t.clone(),
            CellValue::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            CellValue::Date(y, m, d) => format!("{y:04}-{m:02}-{d:02}"),
            CellValue::Formula => "=…".to_string(),
            CellValue::Error(e) => e.clone(),
        }
    }
}

/// A row of the file: its number as a spreadsheet shows it (the header is row 1) and its
/// cells; or why it could not be read.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub number: u64,
    pub cells: Result<Vec<CellValue>, String>,
}

/// The rows of one file, in order.
pub trait RowSource: Send {
    fn next_row(&mut self) -> AppResult<Option<RawRow>>;
}

/// Opens `file` as `format`. The file must be the whole upload (it is read twice: once to
/// check every row, once to store them).
pub fn open(file: File, format: FileFormat, max_uncompressed: u64) -> AppResult<Box<dyn RowSource>> {
    match format {
        FileFormat::Csv => Ok(Box::new(CsvRows::open(file)?)),
        FileFormat::Xlsx => Ok(Box::new(XlsxRows::open(file, max_uncompressed)?)),
    }
}

/// What the first bytes say a file is: XLSX (a zip archive), CSV (text) or neither.
pub fn sniff(file: &mut File) -> AppResult<Option<FileFormat>> {
    let mut head = [0u8; 512];
    let n = read_up_to(file, &mut head)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let head = &head[..n];
    if head.starts_with(b"PK\x03\x04") {
        return Ok(Some(FileFormat::Xlsx));
    }
    // Text has no NUL bytes and no other binary control characters (UTF-16 aside, which
    // Excel does not write for CSV).
    let binary = head.iter().any(|&b| b == 0 || (b < 0x09) || (0x0e..0x1a).contains(&b));
    Ok(if binary || n == 0 { None } else { Some(FileFormat::Csv) })
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> AppResult<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        }
    }
    Ok(n)
}

fn io(e: std::io::Error) -> AppError {
    AppError::Unexpected(anyhow::Error::new(e).context("reading an uploaded file"))
}

/// The encoding of a CSV file without a byte-order mark: UTF-8 when its first 64 KiB are
/// UTF-8 (a character cut at the end aside), else GB18030.
fn is_utf8(head: &[u8]) -> bool {
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

struct CsvRows {
    reader: csv::Reader<Box<dyn Read + Send>>,
    record: csv::ByteRecord,
    /// Line breaks inside quoted cells so far: a spreadsheet shows such a record as one
    /// row, so a record's row is its first line less these.
    inner_line_breaks: u64,
    utf8: bool,
}

impl CsvRows {
    fn open(mut file: File) -> AppResult<CsvRows> {
        let mut head = vec![0u8; 64 * 1024];
        let n = read_up_to(&mut file, &mut head)?;
        head.truncate(n);
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let bom = head.starts_with(b"\xEF\xBB\xBF");
        let utf8 = bom || is_utf8(&head);
        let source: Box<dyn Read + Send> = if utf8 {
            if bom {
                file.seek(SeekFrom::Start(3)).map_err(io)?;
            }
            Box::new(BufReader::with_capacity(64 * 1024, file))
        } else {
            Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(encoding_rs::GB18030))
                    .build(BufReader::with_capacity(64 * 1024, file)),
            )
        };
        let reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(source);
        Ok(CsvRows { reader, record: csv::ByteRecord::new(), inner_line_breaks: 0, utf8 })
    }
}

impl RowSource for CsvRows {
    fn next_row(&mut self) -> AppResult<Option<RawRow>> {
        loop {
            let read = self.reader.read_byte_record(&mut self.record);
            match read {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    // The row a spreadsheet shows it on: blank lines count, line breaks
                    // inside quoted cells do not.
                    let line = self.record.position().map_or(1, csv::Position::line);
                    let number = line.saturating_sub(self.inner_line_breaks);
                    self.inner_line_breaks +=
                        self.record.iter().map(|c| c.iter().filter(|b| **b == b'\n').count() as u64).sum::<u64>();
                    // A line with nothing in it (Excel's trailing lines) is no row.
                    if self.record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
                        continue;
                    }
                    let mut cells = Vec::with_capacity(self.record.len().min(MAX_COLUMNS));
                    // Cells beyond MAX_COLUMNS are read as one more non-empty cell at most
                    // (so that a value under no header is still seen and refused).
                    for (i, c) in self.record.iter().enumerate() {
                        if i > MAX_COLUMNS {
                            break;
                        }
                        match std::str::from_utf8(c) {
                            Ok(t) if t.trim().is_empty() => cells.push(CellValue::Empty),
                            Ok(t) => cells.push(CellValue::Text(t.trim().to_string())),
                            Err(_) => {
                                let encoding = if self.utf8 { "UTF-8" } else { "GB18030" };
                                return Ok(Some(RawRow {
                                    number,
                                    cells: Err(format!("the row is not valid {encoding} text")),
                                }));
                            }
                        }
                    }
                    return Ok(Some(RawRow { number, cells: Ok(cells) }));
                }
                Err(e) => match e.kind() {
                    csv::ErrorKind::Io(_) => return Err(AppError::Unexpected(anyhow::Error::new(e))),
                    _ => {
                        let line = e.position().map_or(1, csv::Position::line);
                        let number = line.saturating_sub(self.inner_line_breaks);
                        return Ok(Some(RawRow { number, cells: Err(format!("the row is not valid CSV: {e}")) }));
                    }
                },
            }
        }
    }
}

/// Refuses an XLSX file whose parts would unpack to more than `limit` bytes, by the sizes
/// its directory declares (nothing is inflated); an archive that cannot be read, or one
/// without a workbook part, is not an XLSX file.
fn check_archive(file: &mut File, limit: u64) -> AppResult<()> {
    let mut archive = zip::ZipArchive::new(&mut *file).map_err(|_| not_xlsx())?;
    if !archive.file_names().any(|n| n == "xl/workbook.xml") {
        return Err(not_xlsx());
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| not_xlsx())?;
        total = total.saturating_add(entry.size());
    }
    if total > limit {
        return Err(AppError::LimitExceeded(format!(
            "the workbook would unpack to {total} bytes; at most {limit} are accepted"
        )));
    }
    Ok(())
}

fn not_xlsx() -> AppError {
    AppError::validation("the file is not a readable XLSX workbook (damaged or truncated)")
}

/// Inflates every part once, counting, and refuses the file when a part inflates beyond
/// its declared size or all of them beyond `limit`: a directory that lies about sizes is
/// caught too. Stops at the first byte too many; never holds a part.
fn check_inflated(file: &mut File, limit: u64) -> AppResult<()> {
    let mut archive = zip::ZipArchive::new(&mut *file).map_err(|_| not_xlsx())?;
    let mut left = limit;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|_| not_xlsx())?;
        let declared = entry.size();
        let mut seen: u64 = 0;
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(_) => return Err(not_xlsx()),
            };
            seen += n as u64;
            if seen > declared {
                return Err(AppError::LimitExceeded(
                    "a part of the workbook inflates beyond the size its directory declares".to_string(),
                ));
            }
            left = left
                .checked_sub(n as u64)
                .ok_or_else(|| AppError::LimitExceeded(format!("the workbook unpacks to more than {limit} bytes")))?;
        }
    }
    drop(archive);
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(())
}

/// The first sheet's rows, read by a thread of its own (calamine's cell reader borrows the
/// workbook) and handed over a bounded channel: at most a few thousand rows in memory.
struct XlsxRows {
    rows: std::sync::mpsc::Receiver<AppResult<RawRow>>,
}

impl XlsxRows {
    fn open(mut file: File, max_uncompressed: u64) -> AppResult<XlsxRows> {
        check_archive(&mut file, max_uncompressed)?;
        check_inflated(&mut file, max_uncompressed)?;
        let mut workbook: Xlsx<_> =
            calamine::open_workbook_from_rs(BufReader::with_capacity(64 * 1024, file)).map_err(|_| not_xlsx())?;
        let sheet =
            workbook.sheet_names().first().cloned().ok_or_else(|| AppError::validation("the workbook has no sheet"))?;
        // Where the formulas are: one streaming pass over the sheet.
        let mut formulas = HashSet::new();
        {
            let mut cells = workbook.worksheet_cells_reader(&sheet).map_err(|_| not_xlsx())?;
            while let Some(cell) = cells.next_formula().map_err(|_| not_xlsx())? {
                if !cell.get_value().is_empty() {
                    formulas.insert(cell.get_position());
                }
            }
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1024);
        std::thread::Builder::new()
            .name("xlsx-rows".into())
            .spawn(move || {
                if let Err(e) = send_rows(&mut workbook, &sheet, &formulas, &tx) {
                    let _ = tx.send(Err(e));
                }
            })
            .map_err(|e| AppError::Unexpected(anyhow::Error::new(e).context("starting the XLSX reader")))?;
        Ok(XlsxRows { rows: rx })
    }
}

/// Sends the sheet's rows in order; stops when the receiver is gone.
fn send_rows<RS: Read + Seek>(
    workbook: &mut Xlsx<RS>,
    sheet: &str,
    formulas: &HashSet<(u32, u32)>,
    tx: &std::sync::mpsc::SyncSender<AppResult<RawRow>>,
) -> AppResult<()> {
    let mut cells = workbook.worksheet_cells_reader(sheet).map_err(|_| not_xlsx())?;
    let mut current: Option<(u32, Vec<CellValue>)> = None;
    let send = |row: u32, values: Vec<CellValue>| -> bool {
        if values.iter().all(|v| *v == CellValue::Empty) {
            return true;
        }
        tx.send(Ok(RawRow { number: u64::from(row) + 1, cells: Ok(values) })).is_ok()
    };
    while let Some(cell) = cells.next_cell().map_err(|_| not_xlsx())? {
        let (row, col) = cell.get_position();
        if current.as_ref().is_some_and(|(r, _)| *r != row) {
            if let Some((r, values)) = current.take() {
                if !send(r, values) {
                    return Ok(());
                }
            }
        }
        let entry = current.get_or_insert_with(|| (row, Vec::new()));
        let index = col as usize;
        // A cell far to the right of the columns that matter is not read into memory.
        if index > MAX_COLUMNS {
            continue;
        }
        if entry.1.len() <= index {
            entry.1.resize(index + 1, CellValue::Empty);
        }
        entry.1[index] = if formulas.contains(&(row, col)) { CellValue::Formula } else { cell_value(cell.get_value()) };
    }
    if let Some((r, values)) = current.take() {
        send(r, values);
    }
    Ok(())
}

/// Columns beyond this are not read (an import has a dozen).
pub const MAX_COLUMNS: usize = 64;

fn cell_value(value: &DataRef<'_>) -> CellValue {
    match value {
        DataRef::Empty => CellValue::Empty,
        DataRef::String(s) if s.trim().is_empty() => CellValue::Empty,
        DataRef::String(s) => CellValue::Text(s.trim().to_string()),
        DataRef::SharedString(s) if s.trim().is_empty() => CellValue::Empty,
        DataRef::SharedString(s) => CellValue::Text(s.trim().to_string()),
        DataRef::Int(i) => CellValue::Text(i.to_string()),
        // Rust prints the shortest decimal that reads back to the same double: 0.1, not
        // 0.1000000000000000055….
        DataRef::Float(f) if f.is_finite() => CellValue::Text(format!("{f}")),
        DataRef::Float(_) => CellValue::Error("#NUM!".to_string()),
        DataRef::Bool(b) => CellValue::Bool(*b),
        DataRef::DateTime(d) => match d.as_datetime() {
            Some(dt) => {
                use chrono::Datelike;
                CellValue::Date(dt.year(), dt.month(), dt.day())
            }
            None => CellValue::Error("#DATE!".to_string()),
        },
        DataRef::DateTimeIso(s) => CellValue::Text(s.clone()),
        DataRef::DurationIso(s) => CellValue::Text(s.clone()),
        DataRef::Error(e) => CellValue::Error(e.to_string()),
    }
}

impl RowSource for XlsxRows {
    fn next_row(&mut self) -> AppResult<Option<RawRow>> {
        match self.rows.recv() {
            Ok(row) => row.map(Some),
            // The reader finished (and dropped its sender).
            Err(_) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utf8_character_cut_at_the_end_of_the_sample_is_still_utf8() {
        let text = "指标代码,周期".as_bytes();
        assert!(is_utf8(text));
        // The sample ends in the middle of 期 (three bytes).
        assert!(is_utf8(&text[..text.len() - 1]));
        let (gb, _, _) = encoding_rs::GB18030.encode("指标代码,周期");
        assert!(!is_utf8(&gb), "GB18030 Chinese is not UTF-8");
    }

    #[test]
    fn the_content_decides_the_format() {
        let sniffed = |bytes: &[u8]| {
            let mut f = tempfile::tempfile().unwrap();
            std::io::Write::write_all(&mut f, bytes).unwrap();
            f.seek(SeekFrom::Start(0)).unwrap();
            sniff(&mut f).unwrap()
        };
        assert_eq!(sniffed(b"PK\x03\x04rest"), Some(FileFormat::Xlsx));
        assert_eq!(sniffed("指标代码,周期\n".as_bytes()), Some(FileFormat::Csv));
        assert_eq!(sniffed(b"\x89PNG\r\n\x1a\n\0\0"), None);
        assert_eq!(sniffed(b"MZ\x90\x00"), None);
        assert_eq!(sniffed(b""), None);
    }

    #[test]
    fn a_csv_row_reads_trimmed_cells_and_skips_blank_lines() {
        let mut f = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut f, "\u{feff}a, b ,\n\n , \nc,\"d,e\"\n\"two\nlines\",x\ny\n".as_bytes())
            .unwrap();
        f.seek(SeekFrom::Start(0)).unwrap();
        let mut rows = CsvRows::open(f).unwrap();
        let first = rows.next_row().unwrap().unwrap();
        assert_eq!(first.number, 1);
        assert_eq!(
            first.cells.unwrap(),
            vec![CellValue::Text("a".into()), CellValue::Text("b".into()), CellValue::Empty]
        );
        let next = rows.next_row().unwrap().unwrap();
        assert_eq!(next.number, 4, "blank lines are counted as rows, as a spreadsheet shows them");
        assert_eq!(next.cells.unwrap(), vec![CellValue::Text("c".into()), CellValue::Text("d,e".into())]);
        let quoted = rows.next_row().unwrap().unwrap();
        assert_eq!((quoted.number, quoted.cells.unwrap()[0].clone()), (5, CellValue::Text("two\nlines".into())));
        assert_eq!(rows.next_row().unwrap().unwrap().number, 6, "a cell's line break is not a row");
        assert!(rows.next_row().unwrap().is_none());
    }
}
