//! The GraphQL endpoint over HTTP, following the GraphQL-over-HTTP specification.
//!
//! - POST takes `application/json` bodies (415 for other types), so a browser form or a
//!   `text/plain` request cannot run a mutation (CSRF); bodies over the limit are refused
//!   with 413 before they are read whole; batches are refused. The one exception is a
//!   file upload (`multipart/form-data`, [`super::upload`]), which must carry a header no
//!   form can set.
//! - GET runs queries only; a mutation by GET is 405 with `Allow: POST`.
//! - The response is `application/graphql-response+json` when the client accepts it (then a
//!   request that fails to parse or validate is 400) and `application/json` otherwise (200).
//! - Every request needs a valid bearer token (401 otherwise); GraphiQL is served to
//!   browsers in development.
//! - Everything else — the token check, rate limits, the allow-list and the document
//!   limits — is the gate's ([`crate::gate`]), the same for the WebSocket transport.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use async_graphql::parser::types::OperationType;
use futures_util::StreamExt;

use crate::error::AppError;
use crate::gate::{self, Caller, RawOperation, Refused};
use crate::http::{access, authn, metrics, refusal, request_id, AppState};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type the response will use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResponseType {
    GraphqlResponse,
    Json,
}

impl ResponseType {
    pub(super) fn mime(self) -> &'static str {
        match self {
            ResponseType::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            ResponseType::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response type from `Accept`; `None` when nothing acceptable is offered (406).
pub(super) fn negotiate(req: &HttpRequest) -> Option<ResponseType> {
    let Some(accept) = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(ResponseType::Json);
    };
    let mut best: Option<(ResponseType, f32)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let mime = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let candidate = match mime.as_str() {
            GRAPHQL_RESPONSE => ResponseType::GraphqlResponse,
            JSON | "application/*" | "*/*" => ResponseType::Json,
            _ => continue,
        };
        let better = match best {
            None => true,
            Some((current, current_q)) => {
                q > current_q || (q == current_q && candidate == ResponseType::GraphqlResponse && current != candidate)
            }
        };
        if better {
            best = Some((candidate, q));
        }
    }
    best.map(|(t, _)| t)
}

fn not_acceptable() -> HttpResponse {
    refusal::refuse_with_status(
        AppError::validation("Accept must allow application/graphql-response+json or application/json"),
        StatusCode::NOT_ACCEPTABLE,
    )
}

/// Whether the body's media type is JSON (`application/json`, any charset parameter utf-8).
fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = ct.split(';');
    let mime = parts.next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case(JSON) {
        return false;
    }
    parts.all(|p| match p.trim().split_once('=') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
            v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    })
}

/// Reads the body, refusing it as soon as it exceeds `limit` bytes (413) or when it has not
/// arrived within the configured time (408: a body trickled a byte a second holds nothing).
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<web::BytesMut, HttpResponse> {
    let too_large = || {
        let mut resp = refusal::refuse_with_status(
            AppError::LimitExceeded(format!("the request body exceeds {limit} bytes")),
            StatusCode::PAYLOAD_TOO_LARGE,
        );
        resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        resp
    };
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let read = async {
        let mut body = web::BytesMut::with_capacity(declared.unwrap_or(1024).min(limit));
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| HttpResponse::BadRequest().finish())?;
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(result) => result,
        Err(_) => {
            let mut resp = refusal::refuse_with_status(
                AppError::LimitExceeded(format!("the request body did not arrive within {} ms", timeout.as_millis())),
                StatusCode::REQUEST_TIMEOUT,
            );
            resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            Err(resp)
        }
    }
}

/// A refusal by the gate, answered as GraphQL-over-HTTP says: a refused document like a
/// validation error (400 under `application/graphql-response+json`, 200 under
/// `application/json`); a refused caller by the error's status, except the standard
/// `PersistedQueryNotFound`, which Apollo's clients read from a 200 body.
pub(super) fn refuse_operation(refused: Refused, rt: ResponseType) -> HttpResponse {
    let status = if refused.of_document {
        Some(if rt == ResponseType::GraphqlResponse { StatusCode::BAD_REQUEST } else { StatusCode::OK })
    } else if matches!(refused.error, AppError::NotFound(_)) {
        Some(StatusCode::OK)
    } else {
        None
    };
    refusal::refuse_as(refused, status, rt.mime())
}

/// How an operation came over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Post,
    Get,
}

/// Admits, executes and answers one operation of an authenticated caller.
async fn execute(
    req: &HttpRequest,
    state: &AppState,
    caller: Caller,
    operation: RawOperation,
    method: Method,
    rt: ResponseType,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let admitted = match admit(req, state, &caller, operation, started, rt) {
        Ok(a) => a,
        Err(resp) => return *resp,
    };
    run_admitted(req, state, caller, admitted, method, rt, started).await
}

/// The gate's admission of an operation, or the refusal to answer with.
pub(super) fn admit(
    req: &HttpRequest,
    state: &AppState,
    caller: &Caller,
    operation: RawOperation,
    started: std::time::Instant,
    rt: ResponseType,
) -> Result<gate::Admitted, Box<HttpResponse>> {
    let label = operation.operation_name.clone();
    access::note_caller(req, caller);
    access::note_operation(req, label.as_deref(), None);
    match state.gate.admit(caller, operation, &request_id::of(req)) {
        Ok(a) => {
            access::note_operation(req, a.name.as_deref(), a.kind);
            Ok(a)
        }
        Err(refused) => {
            metrics::record_graphql(label.as_deref(), refused.error.code(), started.elapsed());
            access::note_outcome(req, refused.error.code());
            Err(Box::new(refuse_operation(refused, rt)))
        }
    }
}

/// Executes and answers an admitted operation.
pub(super) async fn run_admitted(
    req: &HttpRequest,
    state: &AppState,
    caller: Caller,
    admitted: gate::Admitted,
    method: Method,
    rt: ResponseType,
    started: std::time::Instant,
) -> HttpResponse {
    let label = admitted.operation_name.clone().or_else(|| admitted.name.clone());
    if admitted.kind == Some(OperationType::Subscription) && method == Method::Post {
        return refuse_operation(
            Refused::of_document(AppError::validation(
                "subscriptions are served over WebSocket (graphql-transport-ws) at /graphql",
            )),
            rt,
        );
    }
    // Mutations only over POST: a GET must never change anything (CSRF, caches, prefetch).
    if method == Method::Get && matches!(admitted.kind, Some(OperationType::Mutation | OperationType::Subscription)) {
        let mut resp = refusal::refuse_as(
            AppError::validation("mutations are accepted only with POST").into(),
            Some(StatusCode::METHOD_NOT_ALLOWED),
            rt.mime(),
        );
        resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return resp;
    }
    let cache_key = state.cache.key(&admitted, &caller.claims.jti, rt == ResponseType::GraphqlResponse);
    if let Some(body) = cache_key.as_ref().and_then(|k| state.cache.get(k, &caller.incarnation, caller.data_version)) {
        metrics::record_graphql(label.as_deref(), "ok", started.elapsed());
        access::note_outcome(req, "ok");
        metrics::record_cache(true);
        return HttpResponse::Ok().insert_header((header::CONTENT_TYPE, rt.mime())).body(body);
    }
    let response = gate::execute(&state.schema, admitted.request).await;
    let outcome = gate::outcome(&response);
    metrics::record_graphql(label.as_deref(), &outcome, started.elapsed());
    access::note_outcome(req, &outcome);
    if gate::is_request_error(&response) {
        // Nothing was executed: the body has no `data` entry (GraphQL-over-HTTP).
        let status = if rt == ResponseType::GraphqlResponse { StatusCode::BAD_REQUEST } else { StatusCode::OK };
        return HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, rt.mime()))
            .body(refusal::errors_only_body(&response));
    }
    // The database could not serve it (unreachable, out of space, read-only): nothing was
    // written, and the client is told when to retry, as for a refusal.
    let unavailable = response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from("UNAVAILABLE"))
    });
    match serde_json::to_vec(&response) {
        Ok(body) if unavailable => HttpResponse::ServiceUnavailable()
            .insert_header((header::CONTENT_TYPE, rt.mime()))
            .insert_header((header::RETRY_AFTER, crate::error::RETRY_AFTER_UNAVAILABLE.as_secs().to_string()))
            .body(body),
        Ok(body) => {
            let body = web::Bytes::from(body);
            if let Some(key) = cache_key {
                metrics::record_cache(false);
                if response.errors.is_empty() {
                    state.cache.put(key, &caller.incarnation, caller.data_version, body.clone());
                }
            }
            HttpResponse::Ok().insert_header((header::CONTENT_TYPE, rt.mime())).body(body)
        }
        Err(e) => refusal::refuse_as(AppError::Unexpected(e.into()).into(), None, rt.mime()),
    }
}

/// The caller of an HTTP request, checked by the gate before anything else is read.
pub(super) async fn authenticate(req: &HttpRequest, state: &AppState) -> Result<Caller, AppError> {
    state.gate.authenticate(authn::bearer_token(req), req.peer_addr().map(|a| a.ip())).await
}

/// POST /graphql.
pub async fn post(req: HttpRequest, payload: web::Payload, state: web::Data<AppState>) -> HttpResponse {
    let Some(rt) = negotiate(&req) else {
        return not_acceptable();
    };
    if super::upload::is_multipart(&req) {
        return super::upload::post(req, payload, state, rt).await;
    }
    if !is_json_content_type(&req) {
        return refusal::refuse_as(
            AppError::validation("the request body must be application/json").into(),
            Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            rt.mime(),
        );
    }
    // Refuse unauthenticated and over-limit callers before reading their body.
    let caller = match authenticate(&req, &state).await {
        Ok(c) => c,
        Err(e) => return refusal::refuse_as(e.into(), None, rt.mime()),
    };
    let body = match read_body(&req, payload, state.settings.server.max_body_bytes, state.settings.body_timeout()).await
    {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    let operation = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(value) => RawOperation::from_json(value),
        Err(_) => Err(AppError::validation("the request body is not valid JSON")),
    };
    match operation {
        Ok(operation) => execute(&req, &state, caller, operation, Method::Post, rt).await,
        Err(e) => refusal::refuse_as(e.into(), None, rt.mime()),
    }
}

/// GET /graphql: queries from the URL; GraphiQL for a browser in development.
pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = match web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string()) {
        Ok(p) => p.into_inner(),
        Err(_) => return refusal::refuse(AppError::validation("malformed query string")),
    };
    let wants_html =
        req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if !params.contains_key("query") && wants_html && state.settings.graphiql_enabled() {
        return super::graphiql::page();
    }
    let Some(rt) = negotiate(&req) else {
        return not_acceptable();
    };
    let caller = match authenticate(&req, &state).await {
        Ok(c) => c,
        Err(e) => return refusal::refuse_as(e.into(), None, rt.mime()),
    };
    match operation_from_params(&params) {
        Ok(operation) => execute(&req, &state, caller, operation, Method::Get, rt).await,
        Err(e) => refusal::refuse_as(e.into(), None, rt.mime()),
    }
}

/// The operation of a GET: `query`, `operationName`, and `variables` / `extensions` as
/// JSON objects in the URL.
fn operation_from_params(params: &std::collections::HashMap<String, String>) -> Result<RawOperation, AppError> {
    let object = |name: &str| -> Result<serde_json::Value, AppError> {
        match params.get(name).filter(|v| !v.is_empty()) {
            None => Ok(serde_json::Value::Null),
            Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(v @ serde_json::Value::Object(_)) => Ok(v),
                _ => Err(AppError::validation(format!("`{name}` must be a JSON object"))),
            },
        }
    };
    let mut body = serde_json::Map::new();
    if let Some(q) = params.get("query") {
        body.insert("query".into(), serde_json::Value::String(q.clone()));
    }
    if let Some(name) = params.get("operationName") {
        body.insert("operationName".into(), serde_json::Value::String(name.clone()));
    }
    body.insert("variables".into(), object("variables")?);
    body.insert("extensions".into(), object("extensions")?);
    let has_document = params.contains_key("query") || params.contains_key("extensions");
    RawOperation::from_json(serde_json::Value::Object(body)).map_err(|e| {
        // In a URL the document is a parameter: say so rather than name a JSON member.
        if has_document {
            e
        } else {
            AppError::validation("the `query` parameter is required")
        }
    })
}

/// Any other method on /graphql.
pub async fn method_not_allowed() -> HttpResponse {
    let mut resp = refusal::refuse_with_status(AppError::validation("use GET or POST"), StatusCode::METHOD_NOT_ALLOWED);
    resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
    resp
}
