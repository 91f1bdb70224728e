//! Spreadsheet downloads for offices that work in Excel or WPS:
//!
//! - `GET /export/values.{csv|xlsx}?period=2022`: the current indicator values of a period;
//! - `GET /export/self-evaluation.{csv|xlsx}?year=2022`: the annual self-evaluation table;
//! - `GET /export/import-template.{csv|xlsx}?year=2022`: the caller's periods still to report;
//! - `GET /export/import-errors.{csv|xlsx}?run=12`: an import's refused rows, with an error
//!   column (the import's unit, administrators and the assessment office).
//!
//! Authentication and rate limits are those of `POST /graphql`, and the rows are scoped by
//! the same policy (a department gets only its own tasks' indicators). Errors have the
//! GraphQL error shape with a stable `extensions.code`, so clients handle them alike.

use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::policy;
use crate::domain::Period;
use crate::error::{AppError, AppResult};
use crate::http::{authn, refusal, AppState};
use crate::service::export::{self, parse_file_name, Export};

/// GET /export/{file}.
pub async fn download(
    req: HttpRequest,
    file: web::Path<String>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    export_file(&req, &file, &state).await
}

async fn export_file(req: &HttpRequest, file: &str, state: &AppState) -> AppResult<HttpResponse> {
    // Unauthenticated and over-limit callers learn nothing, not even which names exist.
    let params = web::Query::<HashMap<String, String>>::from_query(req.query_string()).map(|q| q.into_inner());
    let peer = req.peer_addr().map(|a| a.ip());
    let caller = match params.as_ref().ok().and_then(|p| Some((p, p.get("ticket")?))) {
        // A browser link: the ticket names this very download, parameters included (a
        // request naming no valid download matches no ticket, and is refused as such).
        Some((params, ticket)) => {
            let resource = export::resource(file, params).unwrap_or_default();
            state.gate.authenticate_ticket(ticket, &resource, peer).await?
        }
        None => state.gate.authenticate(authn::bearer_token(req), peer).await?,
    };
    let params = params.map_err(|_| AppError::validation("malformed query string"))?;
    crate::http::access::note_caller(req, &caller);
    let identity = caller.identity;
    let (what, format) = parse_file_name(file)?;
    let scope = policy::task_scope(&identity);
    let (table, name) = match what {
        Export::Values => {
            let period = Period::parse(export::required(&params, "period", "2022")?)?;
            (export::values_table(&state.db.conn, &scope, period).await?, format!("ecoplan-values-{period}"))
        }
        Export::SelfEvaluation => {
            let year =
                crate::service::assessment::plan_year(export::parse_year(export::required(&params, "year", "2022")?)?)?;
            (
                export::self_evaluation_table(&state.db.conn, &state.catalog, &scope, year).await?,
                format!("ecoplan-self-evaluation-{year}"),
            )
        }
        Export::ImportTemplate => {
            let year =
                crate::service::assessment::plan_year(export::parse_year(export::required(&params, "year", "2022")?)?)?;
            (
                export::import_template_table(&state.db.conn, &state.catalog, &scope, year, crate::clock::now())
                    .await?,
                format!("ecoplan-import-template-{year}"),
            )
        }
        Export::ImportErrors => {
            let id = export::parse_run(export::required(&params, "run", "12")?)?;
            let run = crate::service::import::find_run(&state.db.conn, &identity, id).await?;
            (crate::service::import::error_table(&run), format!("ecoplan-import-errors-{id}"))
        }
    };
    let body = format.render(&table)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.media_type()))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.{}\"", format.extension())))
        // The rows depend on the token's scope: no shared cache may keep them.
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body))
}

/// Any other method on /export/….
pub async fn method_not_allowed() -> HttpResponse {
    let mut resp =
        refusal::refuse_with_status(AppError::validation("exports are read with GET"), StatusCode::METHOD_NOT_ALLOWED);
    resp.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::export::FileFormat;

    #[test]
    fn file_names_name_an_export_and_a_format() {
        assert_eq!(parse_file_name("values.csv").unwrap(), (Export::Values, FileFormat::Csv));
        assert_eq!(parse_file_name("self-evaluation.xlsx").unwrap(), (Export::SelfEvaluation, FileFormat::Xlsx));
        for bad in ["values", "values.xls", "values.CSV", "x.csv", "values.csv.xlsx", ""] {
            assert!(matches!(parse_file_name(bad), Err(AppError::NotFound(_))), "{bad:?}");
        }
    }
}
