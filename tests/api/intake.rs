//! Data in the way offices have it: bulk import from spreadsheets (over GraphQL multipart
//! and the command line), row-level errors, evidence files, and the CSRF guard on uploads.

use std::io::Cursor;

use serde_json::{json, Value};

use crate::helpers::{error_code, row_number, run_cli, spawn_app, spawn_app_with, TestApp, Upload};

const IMPORT: &str = r#"mutation($input: ImportIndicatorValuesInput!) {
  importIndicatorValues(input: $input) {
    importRun { id fileName format dryRun validRowsOnly committed rowsRead stored unchanged refused
      errorsTruncated errorReportPath unit { code } errors { row column code message cells } }
  }
}"#;

const ATTACH: &str = r#"mutation($input: AttachEvidenceFileInput!) {
  attachEvidenceFile(input: $input) {
    evidenceFile { id fileName contentType sizeBytes sha256 uploadedBy downloadPath }
  }
}"#;

const CSV: &str = "text/csv";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Sends a spreadsheet to `importIndicatorValues`; returns (status, body).
async fn import(
    app: &TestApp,
    token: &str,
    bytes: Vec<u8>,
    name: &str,
    content_type: &str,
    options: Value,
    language: Option<&str>,
) -> (u16, Value) {
    let mut input = json!({ "file": null });
    for (k, v) in options.as_object().cloned().unwrap_or_default() {
        input[k] = v;
    }
    app.upload_graphql(
        IMPORT,
        json!({ "input": input }),
        Upload { path: "variables.input.file", bytes, name, content_type },
        token,
        language,
    )
    .await
}

/// The receipt of an import that must be answered without a GraphQL error.
async fn import_ok(app: &TestApp, token: &str, bytes: Vec<u8>, name: &str, options: Value) -> Value {
    let content_type = if name.ends_with(".xlsx") { XLSX } else { CSV };
    let (status, body) = import(app, token, bytes, name, content_type, options, None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["importIndicatorValues"]["importRun"].clone()
}

async fn download(app: &TestApp, token: &str, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let resp = app.client.get(format!("{}{path}", app.address)).bearer_auth(token).send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
    reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}

fn to_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        for r in rows {
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
    }
    out
}

/// Fills the template's value columns: 7 for every numeric kind, 是 for yes/no.
fn fill(template: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut rows = template.to_vec();
    for r in rows.iter_mut().skip(1) {
        if r[2] == "YES_NO" {
            r[8] = "是".into();
        } else {
            r[7] = "7".into();
        }
        r[9] = "导入测试".into();
    }
    rows
}

/// The current values of a year, from the values export: (code, period) → (数值, 完成情况).
async fn exported(app: &TestApp, token: &str) -> std::collections::HashMap<(String, String), (String, String)> {
    let (status, _, body) = download(app, token, "/export/values.csv?period=2022").await;
    assert_eq!(status, 200);
    let rows = csv_rows(&body);
    assert_eq!(rows[0][1], "指标代码");
    rows.into_iter().skip(1).map(|r| ((r[1].clone(), r[3].clone()), (r[4].clone(), r[5].clone()))).collect()
}

/// Template → filled in → imported → exported: the values are the ones sent, stored as
/// `reportIndicatorValue` stores them (a revision, an audit event and a change each), and
/// the same file again changes nothing.
#[tokio::test]
async fn a_filled_template_round_trips_through_import_and_export() {
    let app = spawn_app().await;
    let water = app.department("water_resources_bureau").await;
    let (status, _, template) = download(&app, &water, "/export/import-template.csv?year=2022").await;
    assert_eq!(status, 200);
    let filled = fill(&csv_rows(&template));
    let n = filled.len() as i64 - 1;
    assert!(n >= 5, "the template has rows: {n}");

    let values = app.count("SELECT COUNT(*) FROM indicator_value").await;
    let dry = import_ok(&app, &water, to_csv(&filled), "填报.csv", json!({ "dryRun": true })).await;
    assert_eq!((dry["dryRun"].clone(), dry["committed"].clone()), (json!(true), json!(false)));
    assert_eq!(
        (dry["rowsRead"].as_i64(), dry["stored"].as_i64(), dry["refused"].as_i64()),
        (Some(n), Some(n), Some(0))
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value").await, values, "a dry run stores nothing");

    let (events, changes) =
        (app.count("SELECT COUNT(*) FROM audit_event").await, app.count("SELECT COUNT(*) FROM change_log").await);
    let run = import_ok(&app, &water, to_csv(&filled), "填报.csv", json!({})).await;
    assert_eq!(run["committed"], true, "{run}");
    assert_eq!((run["stored"].as_i64(), run["unchanged"].as_i64()), (Some(n), Some(0)));
    assert_eq!(run["unit"]["code"], "water_resources_bureau");
    assert_eq!(run["format"], "csv");
    assert_eq!(run["fileName"], "填报.csv");
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value").await, values + n);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event").await,
        events + n + 1,
        "one event per row and the receipt"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM change_log").await, changes + n, "one change per row");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'indicator_value.report'").await,
        n,
        "the same action as reportIndicatorValue"
    );

    let out = exported(&app, &water).await;
    for r in filled.iter().skip(1) {
        let (value, done) =
            out.get(&(r[0].clone(), r[5].clone())).unwrap_or_else(|| panic!("{} {} exported", r[0], r[5]));
        if r[2] == "YES_NO" {
            assert!(["是", "已完成", "已落实", "符合"].contains(&done.as_str()), "{r:?}: {done}");
        } else {
            assert_eq!(value, "7", "{r:?}");
        }
    }
    // Compliance afterwards, as after a report.
    let c = app.compliance(&water, "natural_shoreline_retention_rate", "2022").await;
    assert_eq!(c["value"]["value"], "7");
    assert_eq!(c["value"]["revision"], 1);

    // Idempotent: the same file again stores nothing.
    let again = import_ok(&app, &water, to_csv(&filled), "填报.csv", json!({})).await;
    assert_eq!((again["stored"].as_i64(), again["unchanged"].as_i64()), (Some(0), Some(n)));
    assert_eq!(again["committed"], false);
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value").await, values + n);
    // The reported periods left the template.
    let (_, _, after) = download(&app, &water, "/export/import-template.csv?year=2022").await;
    assert_eq!(csv_rows(&after).len(), 1, "only the header is left");
}

/// The same from XLSX (the template's own workbook, filled in) and from GB18030 CSV.
#[tokio::test]
async fn xlsx_and_gb18030_files_import_like_utf8_csv() {
    use calamine::Reader;
    let app = spawn_app().await;
    let water = app.department("water_resources_bureau").await;
    let (status, _, template) = download(&app, &water, "/export/import-template.xlsx?year=2022").await;
    assert_eq!(status, 200);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(template)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let filled = fill(&rows);
    let mut out = rust_xlsxwriter::Workbook::new();
    let ws = out.add_worksheet();
    for (i, r) in filled.iter().enumerate() {
        for (j, c) in r.iter().enumerate() {
            // Numbers as numbers, as Excel stores what is typed.
            match c.parse::<f64>() {
                Ok(n) if i > 0 && j == 7 => ws.write_number(i as u32, j as u16, n).unwrap(),
                _ => ws.write_string(i as u32, j as u16, c).unwrap(),
            };
        }
    }
    let bytes = out.save_to_buffer().unwrap();
    let run = import_ok(&app, &water, bytes, "填报.xlsx", json!({})).await;
    assert_eq!(run["format"], "xlsx");
    assert_eq!(run["stored"].as_i64(), Some(filled.len() as i64 - 1), "{run}");
    let out = exported(&app, &water).await;
    assert_eq!(out[&("natural_shoreline_retention_rate".to_string(), "2022".to_string())].0, "7");

    // GB18030, as Chinese Excel saves CSV: the note's Chinese arrives intact.
    let farm = app.department("agriculture_rural_bureau").await;
    let text = "指标代码,周期,数值,备注\r\nstraw_utilization_rate,2022,91.5,秸秆综合利用\r\n";
    let (gb, _, _) = encoding_rs::GB18030.encode(text);
    let run = import_ok(&app, &farm, gb.to_vec(), "gb.csv", json!({})).await;
    assert_eq!(run["stored"], 1, "{run}");
    let body = app.report(&farm, json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "91.5", "expectedRevision": 0 })).await;
    assert_eq!(error_code(&body), "CONFLICT", "the import stored revision 1");
    let note = app.count("SELECT COUNT(*) FROM indicator_value WHERE note = '秸秆综合利用'").await;
    assert_eq!(note, 1);
}

const BAD_ROWS: &str = "指标代码,周期,数值\n\
straw_utilization_rate,2022,120\n\
no_such_indicator,2022,1\n\
natural_shoreline_retention_rate,2022,50\n\
straw_utilization_rate,2022-Q1,50\n\
straw_utilization_rate,2099,50\n\
straw_utilization_rate,2021,abc\n\
straw_utilization_rate,2023,90\n\
straw_utilization_rate,2023,91\n\
straw_utilization_rate,2020,9,0\n";

/// Every row is checked before anything is stored; each refused row says where and why,
/// in the caller's language, and the refused rows download with an error column.
#[tokio::test]
async fn a_department_gets_row_level_errors_in_chinese_and_english() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let values = app.count("SELECT COUNT(*) FROM indicator_value").await;
    let changes = app.count("SELECT COUNT(*) FROM change_log").await;
    let run = import_ok(&app, &farm, BAD_ROWS.as_bytes().to_vec(), "bad.csv", json!({})).await;
    let got: Vec<(i64, String, String)> = run["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["column"].as_str().unwrap_or("").to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(i64, String, String)> = [
        (2, "数值", "OUT_OF_RANGE"),
        (3, "指标代码", "UNKNOWN_INDICATOR"),
        (4, "指标代码", "OUT_OF_SCOPE"),
        (5, "周期", "WRONG_GRANULARITY"),
        (6, "周期", "FUTURE_PERIOD"),
        (7, "数值", "NOT_A_NUMBER"),
        (9, "指标代码", "DUPLICATE_ROW"),
        (10, "", "INVALID_VALUE"),
    ]
    .iter()
    .map(|(r, c, k)| (*r, c.to_string(), k.to_string()))
    .collect();
    assert_eq!(got, want, "{run}");
    assert_eq!(
        (run["rowsRead"].as_i64(), run["refused"].as_i64(), run["stored"].as_i64()),
        (Some(9), Some(8), Some(0))
    );
    assert_eq!(run["committed"], false);
    assert_eq!(run["errors"][0]["message"], "120 is not a percentage between 0 and 100");
    assert_eq!(run["errors"][0]["cells"], json!(["straw_utilization_rate", "2022", "120"]));
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value").await, values, "all or nothing");
    assert_eq!(app.count("SELECT COUNT(*) FROM change_log").await, changes);

    // The same in Chinese.
    let (_, zh) =
        import(&app, &farm, BAD_ROWS.as_bytes().to_vec(), "bad.csv", CSV, json!({ "dryRun": true }), Some("zh-CN"))
            .await;
    let errors = zh["data"]["importIndicatorValues"]["importRun"]["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 8);
    for e in &errors {
        let m = e["message"].as_str().unwrap();
        assert!(m.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "Chinese: {m}");
    }
    assert_eq!(errors[0]["message"], "120 不是 0 至 100 之间的百分比");
    assert_eq!(errors[0]["code"], "OUT_OF_RANGE", "codes do not change with the language");

    // The refused rows as a spreadsheet with an error column, for the importing unit only.
    let path = run["errorReportPath"].as_str().unwrap();
    assert_eq!(path, format!("/export/import-errors.xlsx?run={}", row_number(run["id"].as_str().unwrap())));
    // The receipt is a Node, under the same scope as its download.
    let node = r#"query($id: ID!) { node(id: $id) { ... on ImportRun { refused } } }"#;
    assert_eq!(app.data(node, json!({ "id": run["id"] }), &farm).await["node"]["refused"], 8);
    let water = app.department("water_resources_bureau").await;
    assert!(app.data(node, json!({ "id": run["id"] }), &water).await["node"].is_null());
    let (status, headers, body) = download(&app, &farm, &path.replace(".xlsx", ".csv")).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let rows = csv_rows(&body);
    assert_eq!(rows[0][..7], ["行号", "出错列", "错误代码", "错误说明", "指标代码", "周期", "数值"]);
    assert_eq!(rows.len(), 9);
    assert_eq!(
        rows[1][..7],
        [
            "2",
            "数值",
            "OUT_OF_RANGE",
            "120 is not a percentage between 0 and 100",
            "straw_utilization_rate",
            "2022",
            "120"
        ]
    );
    let (status, _, xlsx) = download(&app, &farm, path).await;
    assert_eq!(status, 200);
    assert!(xlsx.starts_with(b"PK"));
    let (status, _, _) = download(&app, &app.department("water_resources_bureau").await, path).await;
    assert_eq!(status, 404, "another unit's import looks absent");
    let (status, _, _) = download(&app, &app.assessor().await, path).await;
    assert_eq!(status, 200);

    // Store the valid rows only, when asked.
    let run = import_ok(&app, &farm, BAD_ROWS.as_bytes().to_vec(), "bad.csv", json!({ "validRowsOnly": true })).await;
    assert_eq!(
        (run["stored"].as_i64(), run["refused"].as_i64(), run["committed"].as_bool()),
        (Some(1), Some(8), Some(true))
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value").await, values + 1);
}

/// A stale `expected revision` undoes the whole import (all or nothing).
#[tokio::test]
async fn a_stale_expected_revision_stores_nothing() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    app.report_ok(&farm, "straw_utilization_rate", "2022", "90").await;
    let file = "指标代码,周期,数值,期望修订版本\nstraw_utilization_rate,2021,80,0\nstraw_utilization_rate,2022,91,0\n";
    let values = app.count("SELECT COUNT(*) FROM indicator_value").await;
    let run = import_ok(&app, &farm, file.as_bytes().to_vec(), "stale.csv", json!({})).await;
    assert_eq!(run["errors"][0]["code"], "STALE_REVISION", "{run}");
    assert_eq!(run["errors"][0]["row"], 3);
    assert_eq!((run["stored"].as_i64(), run["committed"].as_bool()), (Some(0), Some(false)));
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value").await, values);
    let ok = "指标代码,周期,数值,期望修订版本\nstraw_utilization_rate,2021,80,0\nstraw_utilization_rate,2022,91,1\n";
    let run = import_ok(&app, &farm, ok.as_bytes().to_vec(), "ok.csv", json!({})).await;
    assert_eq!(run["stored"], 2, "{run}");
}

fn xlsx_with(rows: &[&[&str]], formula_at: Option<(u32, u16, &str)>) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (i, r) in rows.iter().enumerate() {
        for (j, c) in r.iter().enumerate() {
            ws.write_string(i as u32, j as u16, *c).unwrap();
        }
    }
    if let Some((r, c, f)) = formula_at {
        ws.write_formula(r, c, f).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// A zip archive that looks like a workbook and declares `inflated` bytes of sheet.
fn zip_bomb(inflated: usize) -> Vec<u8> {
    use std::io::Write;
    let mut out = Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/workbook.xml", options).unwrap();
        zip.write_all(b"<workbook/>").unwrap();
        zip.start_file("xl/worksheets/sheet1.xml", options.large_file(false)).unwrap();
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..inflated >> 20 {
            zip.write_all(&zeros).unwrap();
        }
        zip.finish().unwrap();
    }
    out.into_inner()
}

/// Files that cannot be imported as a whole are refused with a code, and store nothing.
#[tokio::test]
async fn bad_files_are_refused_and_store_nothing() {
    let app = spawn_app_with(|s| s.limits.max_xlsx_uncompressed_bytes = 8 << 20).await;
    let farm = app.department("agriculture_rural_bureau").await;
    let values = app.count("SELECT COUNT(*) FROM indicator_value").await;
    let runs = app.count("SELECT COUNT(*) FROM import_run").await;
    let good = xlsx_with(&[&["指标代码", "周期", "数值"], &["straw_utilization_rate", "2022", "90"]], None);
    let png = [&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a][..], &[0u8; 64]].concat();
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("a PNG", png, "values.csv", "BAD_USER_INPUT"),
        ("a truncated workbook", good[..good.len() / 2].to_vec(), "values.xlsx", "BAD_USER_INPUT"),
        (
            "a wrong header",
            b"code,year,amount\nstraw_utilization_rate,2022,90\n".to_vec(),
            "values.csv",
            "BAD_USER_INPUT",
        ),
        (
            "two headers for one column",
            "指标代码,周期,数值,value\nstraw_utilization_rate,2022,90,91\n".as_bytes().to_vec(),
            "values.csv",
            "BAD_USER_INPUT",
        ),
        ("a header only", "指标代码,周期,数值\n".as_bytes().to_vec(), "values.csv", "OK"),
        ("an empty file", Vec::new(), "values.csv", "BAD_USER_INPUT"),
        ("a zip bomb", zip_bomb(64 << 20), "values.xlsx", "LIMIT_EXCEEDED"),
    ];
    for (what, bytes, name, code) in cases {
        let (status, body) = import(&app, &farm, bytes, name, XLSX, json!({}), None).await;
        assert_eq!(status, 200, "{what}: {body}");
        if code == "OK" {
            assert_eq!(body["data"]["importIndicatorValues"]["importRun"]["rowsRead"], 0, "{what}: {body}");
        } else {
            assert_eq!(error_code(&body), code, "{what}: {body}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value").await, values, "{what}: nothing stored");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM import_run").await, runs + 1, "only the readable file left a receipt");

    // A formula is not an entered value.
    let formula =
        xlsx_with(&[&["指标代码", "周期", "数值"], &["straw_utilization_rate", "2022"]], Some((1, 2, "=45+45")));
    let run = import_ok(&app, &farm, formula, "formula.xlsx", json!({})).await;
    assert_eq!(run["errors"][0]["code"], "FORMULA", "{run}");
    assert_eq!(run["errors"][0]["column"], "数值");
    // Another unit's import is the department's to refuse; a department names only itself.
    let (_, body) =
        import(&app, &farm, good.clone(), "v.xlsx", XLSX, json!({ "unitCode": "water_resources_bureau" }), None).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let (_, body) = import(&app, &app.assessor().await, good.clone(), "v.xlsx", XLSX, json!({}), None).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    // An administrator imports for a unit it names, only that unit's indicators.
    let admin = app.admin().await;
    let run = import_ok(&app, &admin, good, "v.xlsx", json!({ "unitCode": "agriculture_rural_bureau" })).await;
    assert_eq!((run["stored"].as_i64(), run["unit"]["code"].as_str()), (Some(1), Some("agriculture_rural_bureau")));
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value").await, values + 1);
}

/// Sends a multipart upload of `size` bytes over a raw connection, as fast as the server
/// takes it, and reads the answer: (status line, bytes sent when the answer came).
async fn stream_upload(app: &TestApp, token: &str, operations: &str, size: usize) -> (String, usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let boundary = "----ecoplan-test-boundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.input.file\"]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let length = head.len() + size + tail.len();
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Apollo-Require-Preflight: true\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {length}\r\n\r\n{head}"
    );
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    let writing = tokio::spawn(async move {
        writer.write_all(request.as_bytes()).await?;
        let chunk = vec![b'1'; 64 * 1024];
        let mut left = size;
        while left > 0 {
            let n = left.min(chunk.len());
            writer.write_all(&chunk[..n]).await?;
            counter.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
            left -= n;
        }
        writer.write_all(tail.as_bytes()).await
    });
    let mut answer = vec![0u8; 4096];
    let n = reader.read(&mut answer).await.unwrap();
    let at = sent.load(std::sync::atomic::Ordering::SeqCst);
    writing.abort();
    let text = String::from_utf8_lossy(&answer[..n]).to_string();
    (text.lines().next().unwrap_or_default().to_string(), at)
}

/// A 200 MB spreadsheet and an evidence file over the limit are refused while they stream:
/// the answer comes long before the body is sent, and nothing is written.
#[tokio::test]
async fn files_over_the_limit_are_refused_while_they_stream() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let value = app.report_ok(&farm, "straw_utilization_rate", "2022", "90").await;
    let footprint = app.write_footprint().await;
    let operations = json!({ "query": IMPORT, "variables": { "input": { "file": null } } }).to_string();
    let (status, sent) = stream_upload(&app, &farm, &operations, 200 << 20).await;
    assert!(status.contains(" 413 "), "{status}");
    assert!(sent < 100 << 20, "refused after {sent} bytes of 200 MB");
    let operations =
        json!({ "query": ATTACH, "variables": { "input": { "valueId": value["id"], "file": null } } }).to_string();
    let (status, sent) = stream_upload(&app, &farm, &operations, 30 << 20).await;
    assert!(status.contains(" 413 "), "{status}");
    assert!(sent < 30 << 20, "refused after {sent} bytes of 30 MB");
    assert_eq!(app.write_footprint().await, footprint);
    assert_eq!(app.count("SELECT COUNT(*) FROM evidence_file").await, 0);
    assert!(app.is_alive().await);
}

/// A multipart request is a "simple" request a cross-site form can send: without a header
/// no form can set, it is refused before anything is read, whatever it carries.
#[tokio::test]
async fn a_cross_site_form_post_is_refused() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let file = "指标代码,周期,数值\nstraw_utilization_rate,2022,90\n";
    let form = || {
        reqwest::multipart::Form::new()
            .text("operations", json!({ "query": IMPORT, "variables": { "input": { "file": null } } }).to_string())
            .text("map", json!({ "0": ["variables.input.file"] }).to_string())
            .part("0", reqwest::multipart::Part::bytes(file.as_bytes().to_vec()).file_name("v.csv"))
    };
    let footprint = app.write_footprint().await;
    for token in [Some(farm.clone()), None] {
        let mut req = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("origin", "https://evil.example")
            .multipart(form());
        if let Some(t) = &token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 400);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(error_code(&body), "BAD_USER_INPUT");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("Apollo-Require-Preflight"), "{body}");
    }
    assert_eq!(app.write_footprint().await, footprint, "nothing written");
    // The browser's preflight for the header is answered only for allowed origins.
    let resp = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "apollo-require-preflight, authorization")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    // With the header (what Apollo's upload link sends), the same request is served.
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("apollo-require-preflight", "true")
        .bearer_auth(&farm)
        .multipart(form())
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["importIndicatorValues"]["importRun"]["stored"], 1, "{body}");
}

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {text}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n").into_bytes()
}

async fn attach(app: &TestApp, token: &str, target: Value, bytes: Vec<u8>, name: &str, content_type: &str) -> Value {
    let mut input = target;
    input["file"] = Value::Null;
    let (status, body) = app
        .upload_graphql(
            ATTACH,
            json!({ "input": input }),
            Upload { path: "variables.input.file", bytes, name, content_type },
            token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Evidence files: uploaded to one's own report, listed with their facts, downloaded by the
/// owner and the assessment office, absent for another department; the type comes from the
/// content; identical files are stored once.
#[tokio::test]
async fn evidence_files_are_attached_listed_and_downloaded_within_scope() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let water = app.department("water_resources_bureau").await;
    let value = app.report_ok(&farm, "straw_utilization_rate", "2022", "90").await;
    let target = json!({ "valueId": value["id"] });
    let report = pdf("秸秆综合利用监测报告");
    let body = attach(&app, &farm, target.clone(), report.clone(), "监测报告.pdf", "application/pdf").await;
    let file = body["data"]["attachEvidenceFile"]["evidenceFile"].clone();
    assert_eq!(file["contentType"], "application/pdf", "{body}");
    assert_eq!(file["sizeBytes"], report.len());
    assert_eq!(file["fileName"], "监测报告.pdf");
    assert_eq!(file["uploadedBy"], "department:agriculture_rural_bureau");
    assert_eq!(file["sha256"], hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&report)));

    let listed = app
        .data(
            r#"query($id: ID!) { node(id: $id) { ... on IndicatorValue { evidenceFiles { id fileName contentType sha256 downloadPath } } } }"#,
            json!({ "id": value["id"] }),
            &farm,
        )
        .await;
    assert_eq!(listed["node"]["evidenceFiles"][0]["id"], file["id"]);
    let node = r#"query($id: ID!) { node(id: $id) { ... on EvidenceFile { fileName } } }"#;
    assert_eq!(
        app.data(node, json!({ "id": file["id"] }), &app.assessor().await).await["node"]["fileName"],
        "监测报告.pdf"
    );
    assert!(app.data(node, json!({ "id": file["id"] }), &water).await["node"].is_null(), "absent out of scope");
    let path = file["downloadPath"].as_str().unwrap();
    for token in [&farm, &app.assessor().await, &app.admin().await] {
        let (status, headers, bytes) = download(&app, token, path).await;
        assert_eq!(status, 200);
        assert_eq!(bytes, report);
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''%E7%9B%91"));
    }
    let (status, _, _) = download(&app, &water, path).await;
    assert_eq!(status, 404, "another department's evidence looks absent");
    let (status, _, _) = download(&app, &water, "/evidence/999999").await;
    assert_eq!(status, 404);
    let resp = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
    assert_eq!(resp.status(), 401, "downloads need the token");

    // Another department cannot attach to this report.
    let body = attach(&app, &water, target.clone(), pdf("x"), "x.pdf", "application/pdf").await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    // Identical content is stored once; the name does not decide the type.
    let body = attach(&app, &farm, target.clone(), report.clone(), "副本.pdf", "application/octet-stream").await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM evidence_blob").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM evidence_file").await, 2);
    let png = [&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a][..], b"rest of a picture"].concat();
    let body = attach(&app, &farm, target.clone(), png.clone(), "photo.pdf", "application/octet-stream").await;
    assert_eq!(body["data"]["attachEvidenceFile"]["evidenceFile"]["contentType"], "image/png", "{body}");
    // Refused: content that is not its declared type, and types outside the allow-list.
    let before = app.count("SELECT COUNT(*) FROM evidence_file").await;
    let body = attach(&app, &farm, target.clone(), png, "photo.png", "application/pdf").await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let body =
        attach(&app, &farm, target.clone(), b"MZ\x90\x00 an executable".to_vec(), "a.pdf", "application/pdf").await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let body = attach(&app, &farm, target, b"<html><script>alert(1)</script>".to_vec(), "a.html", "text/html").await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM evidence_file").await, before);

    // A progress report takes evidence too.
    let progress = app
        .data(
            r#"mutation { updateTaskProgress(input: { taskNumber: 18, period: "2022", status: IN_PROGRESS, percent: "40" }) { progress { id } } }"#,
            json!({}),
            &farm,
        )
        .await;
    let pid = progress["updateTaskProgress"]["progress"]["id"].clone();
    let body = attach(&app, &farm, json!({ "progressId": pid }), pdf("进度"), "进度.pdf", "application/pdf").await;
    assert!(body.get("errors").is_none(), "{body}");
    let body =
        attach(&app, &farm, json!({ "progressId": pid, "valueId": value["id"] }), pdf("y"), "y.pdf", "application/pdf")
            .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

/// The command line: a dry run, an import with its summary, and refused rows written to a
/// file (exit status 1).
#[tokio::test]
async fn the_command_line_imports_a_file_with_a_summary() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("values.csv");
    std::fs::write(&file, "指标代码,周期,数值\nstraw_utilization_rate,2022,90\nstraw_utilization_rate,2021,88\n")
        .unwrap();
    let path = file.to_str().unwrap();
    let values = app.count("SELECT COUNT(*) FROM indicator_value").await;
    let out =
        run_cli(&app.database_url, &["import", "values", path, "--unit", "agriculture_rural_bureau", "--dry-run"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("2 rows read, 2 stored, 0 unchanged, 0 refused (dry run: nothing written)"), "{stdout}");
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value").await, values);
    let out = run_cli(&app.database_url, &["import", "values", path, "--unit", "agriculture_rural_bureau"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 rows read, 2 stored, 0 unchanged, 0 refused"), "{stdout}");
    // Without a terminal, progress is plain lines.
    assert!(String::from_utf8_lossy(&out.stderr).contains("storing: started (2 rows)"));
    assert_eq!(app.count("SELECT COUNT(*) FROM indicator_value WHERE unit_id IS NOT NULL").await, values + 2);

    std::fs::write(&file, "指标代码,周期,数值\nstraw_utilization_rate,2022,190\n").unwrap();
    let errors = dir.path().join("errors.xlsx");
    let out = run_cli(
        &app.database_url,
        &["import", "values", path, "--unit", "agriculture_rural_bureau", "--errors", errors.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("row 2 (数值): OUT_OF_RANGE"), "{stderr}");
    assert!(std::fs::read(&errors).unwrap().starts_with(b"PK"));
    // Another unit's indicator with --unit is refused.
    std::fs::write(&file, "指标代码,周期,数值\nnatural_shoreline_retention_rate,2022,60\n").unwrap();
    let out = run_cli(&app.database_url, &["import", "values", path, "--unit", "agriculture_rural_bureau"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("OUT_OF_SCOPE"));
}

/// Malformed multipart requests are refused before anything runs, and write nothing.
#[tokio::test]
async fn malformed_multipart_requests_are_refused() {
    use reqwest::multipart::{Form, Part};
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    let operations = json!({ "query": IMPORT, "variables": { "input": { "file": null } } }).to_string();
    let file =
        || Part::bytes("指标代码,周期,数值\nstraw_utilization_rate,2022,90\n".as_bytes().to_vec()).file_name("v.csv");
    let map = json!({ "0": ["variables.input.file"] }).to_string();
    let cases: Vec<(&str, Form)> = vec![
        (
            "a part sent twice",
            Form::new()
                .text("operations", operations.clone())
                .text("map", map.clone())
                .part("0", file())
                .part("0", file()),
        ),
        (
            "a part not in the map",
            Form::new()
                .text("operations", operations.clone())
                .text("map", map.clone())
                .part("0", file())
                .part("1", file()),
        ),
        (
            "a file the map names is missing",
            Form::new().text("operations", operations.clone()).text("map", map.clone()),
        ),
        ("no map", Form::new().text("operations", operations.clone()).part("0", file())),
        (
            "the map first",
            Form::new().text("map", map.clone()).text("operations", operations.clone()).part("0", file()),
        ),
        (
            "operations that are not JSON",
            Form::new().text("operations", "{").text("map", map.clone()).part("0", file()),
        ),
        (
            "a map that is not an object of lists",
            Form::new().text("operations", operations.clone()).text("map", "[1]").part("0", file()),
        ),
        (
            "a batch",
            Form::new().text("operations", format!("[{operations}]")).text("map", map.clone()).part("0", file()),
        ),
    ];
    let footprint = app.write_footprint().await;
    for (what, form) in cases {
        let resp = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("apollo-require-preflight", "true")
            .bearer_auth(&farm)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{what}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{what}: {body}");
    }
    // A subscription is served over WebSocket only, whatever carries it.
    let subscription =
        json!({ "query": "subscription { indicatorValueChanged { action } }", "variables": {} }).to_string();
    let form = Form::new().text("operations", subscription).text("map", "{}");
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("apollo-require-preflight", "true")
        .bearer_auth(&farm)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(app.write_footprint().await, footprint);
    assert_eq!(app.count("SELECT COUNT(*) FROM import_run").await, 0);
}

/// An upload that trickles in is cut at the upload timeout (408), and stores nothing.
#[tokio::test]
async fn a_slow_upload_is_cut_at_the_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(|s| s.server.upload_timeout_ms = 500).await;
    let farm = app.department("agriculture_rural_bureau").await;
    let boundary = "b0undary";
    let operations = json!({ "query": IMPORT, "variables": { "input": { "file": null } } }).to_string();
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.input.file\"]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"v.csv\"\r\n\r\n指标代码,周期,数值\n"
    );
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {farm}\r\nApollo-Require-Preflight: 1\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 100000\r\n\r\n{head}"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(app.count("SELECT COUNT(*) FROM import_run").await, 0);
}
