//! Uploads: `POST /graphql` as a GraphQL multipart request
//! (<https://github.com/jaydenseric/graphql-multipart-request-spec>): an `operations` part
//! (the usual JSON request, files as `null`), a `map` part (which file goes to which
//! variable), then the files.
//!
//! The same gate as any other operation, in this order, before a file byte is kept:
//!
//! 1. **CSRF**: `multipart/form-data` is a "simple" request a browser sends cross-site
//!    without asking (a plain HTML form can post it), so an upload must carry a header no
//!    form can set — `Apollo-Require-Preflight` or `X-Apollo-Operation-Name`, as Apollo
//!    Server requires; that header makes a browser ask (CORS preflight) first.
//! 2. The bearer token ([`crate::gate::Gate::authenticate`]) and the rate limit, before the
//!    body is read.
//! 3. The `operations` part (at most the body limit) is admitted by the gate like any
//!    request: allow-list, nesting, document limits; then it runs as a POST would (a
//!    subscription is refused, a query answered).
//! 4. Files are streamed to temporary files (deleted when the request ends), each refused
//!    with 413 as soon as the request's files together exceed the limit — the evidence
//!    limit, or the import limit when the operation imports values — so memory stays flat
//!    and the disk bounded whatever is sent. A part named twice, or not in the `map`, is
//!    refused. The whole
//!    request must arrive within the upload timeout (408).

use std::collections::HashMap;
use std::io::{Seek, SeekFrom, Write as _};

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use async_graphql::UploadValue;
use futures_util::StreamExt;

use super::graphql::{self as transport, Method, ResponseType};
use crate::error::AppError;
use crate::gate::RawOperation;
use crate::http::{refusal, AppState};

/// Most files in one request.
const MAX_FILES: usize = 10;
/// Largest `map` part.
const MAX_MAP_BYTES: usize = 64 * 1024;

/// Whether the request is `multipart/form-data`.
pub fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// Whether the request carries a header that a cross-site HTML form cannot set.
fn forces_preflight(req: &HttpRequest) -> bool {
    ["apollo-require-preflight", "x-apollo-operation-name"]
        .iter()
        .any(|h| req.headers().get(*h).and_then(|v| v.to_str().ok()).is_some_and(|v| !v.trim().is_empty()))
}

/// A refusal with a status, closing the connection (the rest of the body is not read).
fn refuse_and_close(error: AppError, status: StatusCode, rt: ResponseType) -> HttpResponse {
    let mut resp = refusal::refuse_as(error.into(), Some(status), rt.mime());
    resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// POST /graphql with `multipart/form-data`.
pub(super) async fn post(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    rt: ResponseType,
) -> HttpResponse {
    if !forces_preflight(&req) {
        return refusal::refuse_as(
            AppError::validation(
                "an upload must carry the header Apollo-Require-Preflight (or X-Apollo-Operation-Name): \
                 multipart requests without it are refused as possible cross-site requests",
            )
            .into(),
            Some(StatusCode::BAD_REQUEST),
            rt.mime(),
        );
    }
    let caller = match transport::authenticate(&req, &state).await {
        Ok(c) => c,
        Err(e) => return refusal::refuse_as(e.into(), None, rt.mime()),
    };
    let started = std::time::Instant::now();
    // The timeout bounds the upload's arrival, not the operation it carries (an import that
    // takes longer runs to its end; cutting it would not say whether it committed).
    let received =
        tokio::time::timeout(state.settings.upload_timeout(), receive(&req, payload, &state, &caller, rt, started))
            .await;
    match received {
        Ok(Ok(admitted)) => transport::run_admitted(&req, &state, caller, admitted, Method::Post, rt, started).await,
        Ok(Err(resp)) => *resp,
        Err(_) => refuse_and_close(
            AppError::LimitExceeded(format!(
                "the upload did not arrive within {} ms",
                state.settings.upload_timeout().as_millis()
            )),
            StatusCode::REQUEST_TIMEOUT,
            rt,
        ),
    }
}

/// Reads a field whole, refusing it beyond `limit` bytes.
async fn read_small(field: &mut actix_multipart::Field, limit: usize, what: &str) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| AppError::validation(format!("the multipart body is malformed: {e}")))?;
        if out.len() + chunk.len() > limit {
            return Err(AppError::LimitExceeded(format!("the {what} part exceeds {limit} bytes")));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Reads the request: the operation (admitted by the gate) with its files attached.
async fn receive(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    caller: &crate::gate::Caller,
    rt: ResponseType,
    started: std::time::Instant,
) -> Result<crate::gate::Admitted, Box<HttpResponse>> {
    let bad = |e: AppError| Box::new(refusal::refuse_as(e.into(), Some(StatusCode::BAD_REQUEST), rt.mime()));
    let too_large = |e: AppError| Box::new(refuse_and_close(e, StatusCode::PAYLOAD_TOO_LARGE, rt));
    let malformed =
        |e: actix_multipart::MultipartError| AppError::validation(format!("the multipart body is malformed: {e}"));
    let mut parts = actix_multipart::Multipart::new(req.headers(), payload);
    // 1. `operations`, 2. `map`, in this order (the spec's).
    let mut operations = match parts.next().await {
        Some(Ok(field)) if field.name() == Some("operations") => field,
        Some(Err(e)) => return Err(bad(malformed(e))),
        _ => return Err(bad(AppError::validation("a multipart request begins with the `operations` part"))),
    };
    let read = read_small(&mut operations, state.settings.server.max_body_bytes, "operations").await;
    // The multipart stream moves on to the next part only once this one is dropped.
    drop(operations);
    let operations = match read {
        Ok(bytes) => bytes,
        Err(e @ AppError::LimitExceeded(_)) => return Err(too_large(e)),
        Err(e) => return Err(bad(e)),
    };
    let operation = match serde_json::from_slice::<serde_json::Value>(&operations) {
        Ok(v) => RawOperation::from_json(v),
        Err(_) => Err(AppError::validation("the `operations` part is not valid JSON")),
    };
    let operation = operation.map_err(bad)?;
    let mut map_field = match parts.next().await {
        Some(Ok(field)) if field.name() == Some("map") => field,
        Some(Err(e)) => return Err(bad(malformed(e))),
        _ => return Err(bad(AppError::validation("the `operations` part is followed by the `map` part"))),
    };
    let read = read_small(&mut map_field, MAX_MAP_BYTES, "map").await;
    drop(map_field);
    let map: HashMap<String, Vec<String>> = serde_json::from_slice(&read.map_err(bad)?).map_err(|_| {
        bad(AppError::validation("the `map` part must be a JSON object of file names to variable paths"))
    })?;
    if map.len() > MAX_FILES {
        return Err(bad(AppError::LimitExceeded(format!("at most {MAX_FILES} files are accepted in one request"))));
    }
    // The gate admits the operation before any file is read.
    let mut admitted = transport::admit(req, state, caller, operation, started, rt)?;
    let limits = &state.settings.limits;
    // The limit applies to the request's files together.
    let limit = if admitted.root_fields.iter().any(|f| f == "importIndicatorValues") {
        limits.max_upload_bytes
    } else {
        limits.max_evidence_bytes
    };
    let mut left = limit;
    let mut received: std::collections::HashSet<String> = std::collections::HashSet::new();
    while let Some(field) = parts.next().await {
        let mut field = field.map_err(|e| bad(malformed(e)))?;
        let name = field.name().unwrap_or_default().to_string();
        let Some(paths) = map.get(&name) else {
            return Err(bad(AppError::validation(format!("the file part {name:?} is not in the `map`"))));
        };
        if !received.insert(name.clone()) {
            return Err(bad(AppError::validation(format!("the file part {name:?} is sent twice"))));
        }
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string)
            .unwrap_or_else(|| name.clone());
        let content_type = field.content_type().map(|m| m.essence_str().to_string());
        let spooled = spool(&mut field, &mut left, limit).await;
        drop(field);
        let spooled = match spooled {
            Ok(f) => f,
            Err(e @ AppError::LimitExceeded(_)) => return Err(too_large(e)),
            Err(e @ AppError::Validation(_)) => return Err(bad(e)),
            Err(e) => return Err(Box::new(refusal::refuse_as(e.into(), None, rt.mime()))),
        };
        for path in paths {
            let content = spooled
                .try_clone()
                .map_err(|e| Box::new(refusal::refuse_as(AppError::Unexpected(e.into()).into(), None, rt.mime())))?;
            admitted.request.set_upload(
                path,
                UploadValue { filename: file_name.clone(), content_type: content_type.clone(), content },
            );
        }
    }
    if received.len() != map.len() {
        return Err(bad(AppError::validation("the `map` names files the request does not carry")));
    }
    Ok(admitted)
}

/// Streams a file part to an anonymous temporary file (removed by the system when closed),
/// refusing it at the first byte beyond what is `left` of the request's limit.
async fn spool(field: &mut actix_multipart::Field, left: &mut u64, limit: u64) -> Result<std::fs::File, AppError> {
    let mut file = tempfile::tempfile().map_err(|e| AppError::Unexpected(e.into()))?;
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| AppError::validation(format!("the multipart body is malformed: {e}")))?;
        *left = left
            .checked_sub(chunk.len() as u64)
            .ok_or_else(|| AppError::LimitExceeded(format!("the files exceed {limit} bytes")))?;
        file.write_all(&chunk).map_err(|e| AppError::Unexpected(e.into()))?;
    }
    file.seek(SeekFrom::Start(0)).map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(file)
}
