//! Writes the import benchmark's spreadsheet (`bench/import`): ROWS rows for the 400
//! `bench_indicator_NNN` monthly indicators the benchmark adds, months from 2001-01, as
//! XLSX (numbers as numeric cells, as Excel stores what is typed).
//!
//!     cargo run --release --example import_file -- PATH ROWS

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: import_file PATH ROWS")?;
    let rows: u32 = args.next().ok_or("usage: import_file PATH ROWS")?.parse()?;
    let per = rows.div_ceil(400);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["指标代码", "周期", "数值", "备注"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    let mut n = 0u32;
    'all: for i in 1..=400u32 {
        for m in 0..per {
            if n == rows {
                break 'all;
            }
            let r = n + 1;
            sheet.write_string(r, 0, format!("bench_indicator_{i:03}"))?;
            sheet.write_string(r, 1, format!("{}-{:02}", 2001 + m / 12, m % 12 + 1))?;
            sheet.write_number(r, 2, 50.0 + f64::from((i * 7 + m) % 500) / 10.0)?;
            sheet.write_string(r, 3, format!("基准测试第{n}行"))?;
            n += 1;
        }
    }
    book.save(&path)?;
    Ok(())
}
