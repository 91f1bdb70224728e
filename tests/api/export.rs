//! Spreadsheet exports over HTTP and from the CLI: files parsed back and checked cell by cell.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use serde_json::{json, Value};

use crate::helpers::{error_code, run_cli, spawn_app, spawn_app_with, TempFile, TestApp};

const VALUE_HEADERS: [&str; 14] = [
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

const SELF_EVALUATION_HEADERS: [&str; 11] = [
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

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const CSV: &str = "text/csv; charset=utf-8";

/// GET a path; returns the response.
async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(format!("{}{path}", app.address));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// GET an export that must succeed; checks its media type and file name; returns the bytes.
async fn download(app: &TestApp, path: &str, token: &str, content_type: &str, file_name: &str) -> Vec<u8> {
    let resp = get(app, path, Some(token)).await;
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap().to_vec();
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&bytes));
    assert_eq!(headers["content-type"], content_type, "{path}");
    assert_eq!(headers["content-disposition"], format!("attachment; filename=\"{file_name}\""), "{path}");
    assert_eq!(headers["cache-control"], "private, no-store");
    bytes
}

/// The one sheet of a workbook: its name and its rows (header first).
fn xlsx_sheet(bytes: Vec<u8>) -> (String, Vec<Vec<Data>>) {
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("a valid XLSX file");
    let names = workbook.sheet_names();
    assert_eq!(names.len(), 1, "{names:?}");
    let range = workbook.worksheet_range(&names[0]).unwrap();
    (names[0].clone(), range.rows().map(<[Data]>::to_vec).collect())
}

/// Rows of a CSV export (header first), after checking and stripping the UTF-8 BOM.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("the CSV starts with a UTF-8 BOM");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body);
    reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}

/// A cell as the text a spreadsheet shows (numbers without a trailing `.0`).
fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        // A date-time cell: days since 1899-12-30, as spreadsheets count them.
        Data::DateTime(d) => {
            let seconds = (d.as_f64() * 86_400.0).round() as i64;
            let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap().and_hms_opt(0, 0, 0).unwrap();
            (epoch + chrono::Duration::seconds(seconds)).format("%Y-%m-%d %H:%M:%S").to_string()
        }
        other => panic!("unexpected cell {other:?}"),
    }
}

fn texts(rows: &[Vec<Data>]) -> Vec<Vec<String>> {
    rows.iter().map(|r| r.iter().map(text).collect()).collect()
}

fn headers_of<const N: usize>(h: [&str; N]) -> Vec<String> {
    h.iter().map(|s| s.to_string()).collect()
}

async fn report(app: &TestApp, token: &str, input: Value) {
    let body = app.report(token, input.clone()).await;
    assert!(body.get("errors").is_none(), "report {input}: {body}");
}

/// Values reported by three departments in 2021 and 2022.
/// Rows of the values export with the report time (column 12) masked.
fn masked(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    for row in &mut rows {
        let at = &mut row[11];
        assert!(chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S").is_ok(), "{at}");
        *at = "<time>".into();
    }
    rows
}

async fn seed_values(app: &TestApp) {
    let farm = app.department("agriculture_rural_bureau").await;
    let eco = app.department("ecology_environment_branch").await;
    report(
        app,
        &farm,
        json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "89.9",
                "note": "秋收后统计", "evidence": ["沁农字〔2023〕5号", "https://example.org/straw"] }),
    )
    .await;
    app.report_ok(&farm, "straw_utilization_rate", "2021", "92").await;
    for (quarter, value) in [("Q1", "100"), ("Q2", "100"), ("Q3", "98.5"), ("Q4", "100")] {
        app.report_ok(&eco, "drinking_water_source_quality_rate", &format!("2022-{quarter}"), value).await;
    }
    report(
        app,
        &eco,
        json!({ "indicatorCode": "environmental_emergency_plan", "period": "2022", "implemented": true }),
    )
    .await;
}

#[tokio::test]
async fn values_xlsx_parses_back_with_exact_cells() {
    let app = spawn_app().await;
    seed_values(&app).await;
    let admin = app.admin().await;

    let bytes = download(&app, "/export/values.xlsx?period=2022", &admin, XLSX, "ecoplan-values-2022.xlsx").await;
    let (sheet, rows) = xlsx_sheet(bytes);

    assert_eq!(sheet, "指标数值 2022");
    assert_eq!(texts(&rows[..1]), vec![headers_of(VALUE_HEADERS)]);
    let body = &rows[1..];
    // Plan order, then period order; 2021's straw value is outside the period.
    let keys: Vec<(String, String)> = body.iter().map(|r| (text(&r[1]), text(&r[3]))).collect();
    assert_eq!(
        keys,
        [
            ("environmental_emergency_plan", "2022"),
            ("straw_utilization_rate", "2022"),
            ("drinking_water_source_quality_rate", "2022-Q1"),
            ("drinking_water_source_quality_rate", "2022-Q2"),
            ("drinking_water_source_quality_rate", "2022-Q3"),
            ("drinking_water_source_quality_rate", "2022-Q4"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let straw = &body[1];
    // Numbers are numeric cells, not text.
    assert_eq!(straw[0], Data::Float(18.0));
    assert_eq!(straw[4], Data::Float(89.9));
    assert_eq!(straw[7], Data::Float(1.0));
    // Times are date-time cells in the county's zone (named in the header).
    assert!(matches!(straw[11], Data::DateTime(_)), "{:?}", straw[11]);
    let reported_at = text(&straw[11]);
    assert_eq!(reported_at.len(), 19, "{reported_at}");
    let county = chrono::NaiveDateTime::parse_from_str(&reported_at, "%Y-%m-%d %H:%M:%S").unwrap();
    let ago = chrono::Utc::now().naive_utc() + chrono::Duration::hours(8) - county;
    assert!(ago >= chrono::Duration::zero() && ago < chrono::Duration::minutes(5), "UTC+8 wall time: {reported_at}");
    assert!(chrono::NaiveDateTime::parse_from_str(&reported_at, "%Y-%m-%d %H:%M:%S").is_ok(), "{reported_at}");
    // Every cell as text, the report times masked: one snapshot for the CSV and the XLSX.
    insta::assert_yaml_snapshot!("values_2022", masked(texts(body)));
    let q3 = &body[4];
    assert_eq!(q3[4], Data::Float(98.5));
    assert_eq!(text(&q3[6]), "%");
    assert_eq!(text(&q3[10]), "department:ecology_environment_branch");
}

#[tokio::test]
async fn values_csv_has_a_bom_and_the_same_cells() {
    let app = spawn_app().await;
    seed_values(&app).await;
    let eco = app.department("ecology_environment_branch").await;
    let assessor = app.assessor().await;
    // A verified revision says so; a rejected one no longer counts (the previous one is current).
    let q3 = app.report_ok(&eco, "drinking_water_source_quality_rate", "2022-Q3", "99").await;
    let reject =
        r#"mutation($id: ID!) { rejectIndicatorValue(input: { valueId: $id, reason: "typo" }) { value { status } } }"#;
    app.data(reject, json!({ "id": q3["id"] }), &assessor).await;

    let bytes = download(
        &app,
        "/export/values.csv?period=2022",
        &assessor,
        "text/csv; charset=utf-8",
        "ecoplan-values-2022.csv",
    )
    .await;
    let rows = csv_rows(&bytes);

    assert_eq!(rows[0], headers_of(VALUE_HEADERS));
    assert_eq!(rows.len(), 7, "{rows:?}");
    // The same cells as the XLSX export (the rejected revision leaves 98.5 current).
    insta::assert_yaml_snapshot!("values_2022", masked(rows[1..].to_vec()));
    let q3_row = &rows[5];
    assert_eq!((q3_row[3].as_str(), q3_row[4].as_str(), q3_row[7].as_str()), ("2022-Q3", "98.5", "1"));
    // A quarter holds only that quarter's rows of quarterly indicators.
    let bytes = download(
        &app,
        "/export/values.csv?period=2022-Q3",
        &assessor,
        "text/csv; charset=utf-8",
        "ecoplan-values-2022-Q3.csv",
    )
    .await;
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!((rows[1][1].as_str(), rows[1][3].as_str()), ("drinking_water_source_quality_rate", "2022-Q3"));
}

#[tokio::test]
async fn the_self_evaluation_table_of_a_seeded_year() {
    let app = spawn_app().await;
    seed_values(&app).await;
    let admin = app.admin().await;
    let drc = app.department("development_reform_bureau").await;
    let forestry = app.department("forestry_bureau").await;
    app.data(
        r#"mutation { setSuperiorTarget(input: { indicatorCode: "energy_consumption_per_gdp", year: 2022, target: "0.51" }) { superiorTarget { year } } }"#,
        json!({}),
        &admin,
    )
    .await;
    app.report_ok(&drc, "energy_consumption_per_gdp", "2021", "0.52").await;
    app.report_ok(&drc, "energy_consumption_per_gdp", "2022", "0.5").await;
    app.report_ok(&forestry, "illegal_wildlife_harvest_incidents", "2022", "0").await;

    let bytes =
        download(&app, "/export/self-evaluation.xlsx?year=2022", &admin, XLSX, "ecoplan-self-evaluation-2022.xlsx")
            .await;
    let (sheet, rows) = xlsx_sheet(bytes);

    assert_eq!(sheet, "年度自评表 2022");
    assert_eq!(texts(&rows[..1]), vec![headers_of(SELF_EVALUATION_HEADERS)]);
    assert_eq!(rows.len() - 1, 62, "one row per indicator of the plan");
    let table = texts(&rows[1..]);
    let row = |code: &str| table.iter().find(|r| r[2] == code).unwrap_or_else(|| panic!("no row for {code}")).clone();
    // The whole table, reviewed once and kept as a snapshot: targets and answers in the words
    // each commitment calls for, where each frequency comes from, the veto column empty (the
    // default scheme has none).
    insta::assert_yaml_snapshot!("self_evaluation_2022", table);
    assert_eq!(row("environmental_emergency_plan")[5], "已完成");
    assert_eq!(row("invasive_species_not_evident")[4], "符合");
    assert_eq!(row("drinking_water_source_quality_rate")[4], "达 100%", "no cell starts with a formula character");
    assert_eq!(row("drinking_water_source_quality_rate")[9], "每季度（配置）");
    assert_eq!(row("water_source_monitoring_disclosure")[9], "每季度（文件）");
    assert!(table.iter().all(|r| r[10].is_empty()), "no veto in the default scheme");
    // Numbers stay numeric cells; the rows follow the plan's order.
    let straw = rows.iter().find(|r| text(&r[2]) == "straw_utilization_rate").unwrap();
    assert_eq!(straw[5], Data::Float(89.9));
    assert_eq!(table[0][2], "implementation_plan_in_force");
    let numbers: Vec<i64> = table.iter().map(|r| r[1].parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[0] <= w[1]), "{numbers:?}");
    // The verdicts are the API's own.
    for (code, status) in [
        ("straw_utilization_rate", "NOT_MET"),
        ("energy_consumption_per_gdp", "MET"),
        ("forest_grass_coverage_rate", "NO_DATA"),
    ] {
        assert_eq!(app.compliance(&admin, code, "2022").await["status"], status, "{code}");
    }

    // The CSV says the same, cell for cell: targets are written as the document writes them
    // ("达 100%"), so none starts like a formula and needs the CSV writer's guard.
    let bytes = download(
        &app,
        "/export/self-evaluation.csv?year=2022",
        &admin,
        "text/csv; charset=utf-8",
        "ecoplan-self-evaluation-2022.csv",
    )
    .await;
    let csv = csv_rows(&bytes);
    assert_eq!(csv[0], headers_of(SELF_EVALUATION_HEADERS));
    assert_eq!(csv[1..], table[..]);
    assert!(csv.iter().flatten().all(|c| !c.starts_with(['=', '+', '@', '\''])), "no formula-like cell");
}

#[tokio::test]
async fn a_department_exports_only_its_own_indicators() {
    let app = spawn_app().await;
    seed_values(&app).await;
    let water = app.department("water_resources_bureau").await;
    app.report_ok(&water, "water_consumption_per_gdp", "2022", "30").await;

    let bytes =
        download(&app, "/export/self-evaluation.xlsx?year=2022", &water, XLSX, "ecoplan-self-evaluation-2022.xlsx")
            .await;
    let (_, rows) = xlsx_sheet(bytes);
    let codes: Vec<String> = rows[1..].iter().map(|r| text(&r[2])).collect();
    assert_eq!(
        codes,
        [
            "river_lake_chief_system",
            "river_lake_encroachment_incidents",
            "river_lake_management_scope_delineated",
            "natural_shoreline_retention_rate",
            "river_reservoir_shoreline_protection_rate",
            "shoreline_encroachment_incidents",
            "water_consumption_per_gdp",
        ]
    );

    let bytes =
        download(&app, "/export/values.csv?period=2022", &water, "text/csv; charset=utf-8", "ecoplan-values-2022.csv")
            .await;
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!((rows[1][1].as_str(), rows[1][4].as_str()), ("water_consumption_per_gdp", "30"));

    // Every role may export indicator data: an integration token sees every value.
    let integration = app.integration().await;
    let bytes = download(
        &app,
        "/export/values.csv?period=2022",
        &integration,
        "text/csv; charset=utf-8",
        "ecoplan-values-2022.csv",
    )
    .await;
    assert_eq!(csv_rows(&bytes).len(), 1 + 7);
}

#[tokio::test]
async fn a_period_without_data_gives_the_headers_alone() {
    let app = spawn_app().await;
    seed_values(&app).await;
    let admin = app.admin().await;

    let bytes = download(&app, "/export/values.xlsx?period=2021-Q2", &admin, XLSX, "ecoplan-values-2021-Q2.xlsx").await;
    let (sheet, rows) = xlsx_sheet(bytes);
    assert_eq!(sheet, "指标数值 2021-Q2");
    assert_eq!(texts(&rows), vec![headers_of(VALUE_HEADERS)]);

    let bytes =
        download(&app, "/export/values.csv?period=2023", &admin, "text/csv; charset=utf-8", "ecoplan-values-2023.csv")
            .await;
    assert_eq!(bytes, format!("\u{feff}{}\r\n", VALUE_HEADERS.join(",")).into_bytes());
    // No indicator is monthly: a month holds nothing either.
    let bytes = download(
        &app,
        "/export/values.csv?period=2022-07",
        &admin,
        "text/csv; charset=utf-8",
        "ecoplan-values-2022-07.csv",
    )
    .await;
    assert_eq!(csv_rows(&bytes), vec![headers_of(VALUE_HEADERS)]);
}

#[tokio::test]
async fn bad_requests_are_refused_with_graphql_style_errors() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cases: [(&str, Option<&str>, u16, &str); 10] = [
        ("/export/values.xlsx?period=2022", None, 401, "UNAUTHENTICATED"),
        ("/export/values.csv?period=2022", Some("not-a-token"), 401, "UNAUTHENTICATED"),
        ("/export/nothing.csv?period=2022", None, 401, "UNAUTHENTICATED"),
        ("/export/values.csv?period=2021-Q5", Some(admin.as_str()), 400, "BAD_USER_INPUT"),
        ("/export/values.xlsx", Some(admin.as_str()), 400, "BAD_USER_INPUT"),
        ("/export/self-evaluation.csv?year=2022-Q1", Some(admin.as_str()), 400, "BAD_USER_INPUT"),
        ("/export/self-evaluation.xlsx?year=2019", Some(admin.as_str()), 404, "NOT_FOUND"),
        ("/export/self-evaluation.xlsx?year=2100", Some(admin.as_str()), 404, "NOT_FOUND"),
        ("/export/values.pdf?period=2022", Some(admin.as_str()), 404, "NOT_FOUND"),
        ("/export/everything.csv?period=2022", Some(admin.as_str()), 404, "NOT_FOUND"),
    ];
    for (path, token, status, code) in cases {
        let resp = get(&app, path, token).await;
        assert_eq!(resp.status(), status, "{path}");
        assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "{path}");
        if status == 401 {
            assert!(resp.headers().contains_key("www-authenticate"), "{path}");
        }
        let body: Value = resp.json().await.unwrap();
        assert_eq!(error_code(&body), code, "{path}: {body}");
        assert!(body["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}: {body}");
    }
    let resp =
        app.client.post(format!("{}/export/values.csv?period=2022", app.address)).bearer_auth(&admin).send().await;
    assert_eq!(resp.unwrap().status(), 405);
}

#[tokio::test]
async fn exports_count_against_the_token_rate_limit() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.rate_limits.per_minute = 1;
        s.rate_limits.burst = 2;
    })
    .await;
    let admin = app.admin().await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(get(&app, "/export/values.csv?period=2022", Some(admin.as_str())).await);
    }
    let last = statuses.pop().unwrap();
    assert!(statuses.iter().all(|r| r.status() == 200));
    assert_eq!(last.status(), 429);
    assert!(last.headers().contains_key("retry-after"));
    let body: Value = last.json().await.unwrap();
    assert_eq!(error_code(&body), "RATE_LIMITED");
}

#[tokio::test]
async fn the_cli_writes_files_that_spreadsheets_open() {
    let app = spawn_app().await;
    seed_values(&app).await;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let xlsx = TempFile(std::env::temp_dir().join(format!("ecoplan-export-{id}.xlsx")));
    let csv = TempFile(std::env::temp_dir().join(format!("ecoplan-export-{id}.out")));

    let out =
        run_cli(&app.database_url, &["export", "values", "--period", "2022", "--output", xlsx.0.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut workbook: Xlsx<_> = calamine::open_workbook(&xlsx.0).unwrap();
    let range = workbook.worksheet_range("指标数值 2022").unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(texts(&rows[..1]), vec![headers_of(VALUE_HEADERS)]);
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[2][4], Data::Float(89.9));

    // No recognised extension: CSV unless --format says otherwise.
    let path = csv.0.to_str().unwrap();
    let out = run_cli(&app.database_url, &["export", "self-evaluation", "--year", "2022", "-o", path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = csv_rows(&std::fs::read(&csv.0).unwrap());
    assert_eq!(rows.len(), 63);
    assert_eq!(rows[0], headers_of(SELF_EVALUATION_HEADERS));
    let out =
        run_cli(&app.database_url, &["export", "self-evaluation", "--year", "2022", "--format", "xlsx", "-o", path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, rows) = xlsx_sheet(std::fs::read(&csv.0).unwrap());
    assert_eq!(rows.len(), 63);

    for args in [
        vec!["export", "values", "--period", "2021-Q5", "-o", path],
        vec!["export", "self-evaluation", "--year", "2019", "-o", path],
        vec!["export", "self-evaluation", "--year", "last", "-o", path],
        vec!["export", "values", "--period", "2022", "--format", "ods", "-o", path],
    ] {
        let out = run_cli(&app.database_url, &args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{args:?}: {stderr}");
        assert!(lines[0].starts_with("error: "), "{args:?}: {stderr}");
    }
}

/// Text a department typed that starts like a spreadsheet formula is written to the CSV with
/// a leading apostrophe, so Excel and WPS show it instead of computing it.
#[tokio::test]
async fn text_that_starts_like_a_formula_is_defused_in_the_csv() {
    let app = spawn_app().await;
    let farm = app.department("agriculture_rural_bureau").await;
    report(
        &app,
        &farm,
        json!({ "indicatorCode": "straw_utilization_rate", "period": "2022", "value": "91",
                "note": "=HYPERLINK(\"http://example.org\",\"点击\")", "evidence": ["+cmd", "@SUM(1)"] }),
    )
    .await;
    let admin = app.admin().await;
    let bytes =
        download(&app, "/export/values.csv?period=2022", &admin, "text/csv; charset=utf-8", "ecoplan-values-2022.csv")
            .await;
    let rows = csv_rows(&bytes);
    assert_eq!(rows[1][12], "'=HYPERLINK(\"http://example.org\",\"点击\")");
    assert_eq!(rows[1][13], "'+cmd; @SUM(1)");
    assert_eq!(rows[1][4], "91", "numbers are left alone");
}

/// HEAD answers like GET without the body (download managers and browsers ask it first).
#[tokio::test]
async fn head_answers_an_export_like_get_without_the_body() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let resp = app
        .client
        .head(format!("{}/export/self-evaluation.xlsx?year=2022", app.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], XLSX);
    assert_eq!(resp.headers()["content-disposition"], "attachment; filename=\"ecoplan-self-evaluation-2022.xlsx\"");
    assert!(resp.bytes().await.unwrap().is_empty());
    let resp = app.client.head(format!("{}/export/self-evaluation.xlsx?year=2022", app.address)).send().await.unwrap();
    assert_eq!(resp.status(), 401, "HEAD authenticates like GET");
    let resp = app
        .client
        .delete(format!("{}/export/self-evaluation.xlsx?year=2022", app.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "GET, HEAD");
}

const LINK: &str = "mutation($input: CreateExportLinkInput!) { createExportLink(input: $input) { url expiresAt } }";

/// A browser downloads with a plain link: a short-lived ticket bound to one file, its
/// parameters and the token that asked for it, accepted nowhere else.
#[tokio::test]
async fn a_download_link_works_without_a_header_for_that_file_only() {
    let app = spawn_app().await;
    seed_values(&app).await;
    let farm = app.department("agriculture_rural_bureau").await;
    let data = app.data(LINK, json!({ "input": { "file": "values.csv", "period": "2022" } }), &farm).await;
    let url = data["createExportLink"]["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("/export/values.csv?period=2022&ticket="), "{url}");
    let expires =
        chrono::DateTime::parse_from_rfc3339(data["createExportLink"]["expiresAt"].as_str().unwrap()).unwrap();
    let lifetime = expires.timestamp() - chrono::Utc::now().timestamp();
    assert!((55..=61).contains(&lifetime), "a minute: {lifetime}");

    let with_link = get(&app, &url, None).await;
    assert_eq!(with_link.status(), 200);
    assert_eq!(with_link.headers()["content-disposition"], "attachment; filename=\"ecoplan-values-2022.csv\"");
    let by_link = with_link.bytes().await.unwrap();
    let by_header = download(&app, "/export/values.csv?period=2022", &farm, CSV, "ecoplan-values-2022.csv").await;
    assert_eq!(by_link.as_ref(), by_header.as_slice(), "the same file, in the caller's scope");
    let head = app.client.head(format!("{}{url}", app.address)).send().await.unwrap();
    assert_eq!(head.status(), 200);

    let ticket = url.split("ticket=").nth(1).unwrap().to_string();
    for other in [
        format!("/export/values.csv?period=2021&ticket={ticket}"),
        format!("/export/values.xlsx?period=2022&ticket={ticket}"),
        format!("/export/self-evaluation.csv?year=2022&ticket={ticket}"),
        format!("/export/values.csv?ticket={ticket}"),
        format!("/export/values.csv?period=2022&ticket={}x", &ticket[..ticket.len() - 1]),
    ] {
        let resp = get(&app, &other, None).await;
        assert_eq!(resp.status(), 401, "{other}");
        assert_eq!(error_code(&resp.json().await.unwrap()), "UNAUTHENTICATED");
    }
    // A ticket is not a token, and a token is not a ticket.
    let (status, body) = app.post_graphql("{ me { role } }", json!({}), Some(&ticket)).await;
    assert_eq!((status, error_code(&body)), (401, "UNAUTHENTICATED".to_string()));
    let resp = get(&app, &format!("/export/values.csv?period=2022&ticket={farm}"), None).await;
    assert_eq!(resp.status(), 401);

    // Revoking the token that asked revokes its links.
    let jti = app.data("{ me { tokenId } }", json!({}), &farm).await["me"]["tokenId"].as_str().unwrap().to_string();
    app.revoke(&jti).await;
    assert_eq!(get(&app, &url, None).await.status(), 401);
}

#[tokio::test]
async fn download_links_expire_and_are_refused_to_machines_and_bad_requests() {
    let app = spawn_app_with(|s| s.server.download_link_seconds = 1).await;
    let admin = app.admin().await;
    let data = app.data(LINK, json!({ "input": { "file": "self-evaluation.xlsx", "year": 2022 } }), &admin).await;
    let url = data["createExportLink"]["url"].as_str().unwrap().to_string();
    assert_eq!(get(&app, &url, None).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(get(&app, &url, None).await.status(), 401, "expired");

    let integration = app.integration().await;
    let body = app.graphql(LINK, json!({ "input": { "file": "values.csv", "period": "2022" } }), &integration).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    for input in [
        json!({ "file": "passwords.csv", "period": "2022" }),
        json!({ "file": "values.csv" }),
        json!({ "file": "self-evaluation.csv", "year": 1999 }),
    ] {
        let body = app.graphql(LINK, json!({ "input": input }), &admin).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
    }
}
