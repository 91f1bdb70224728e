//! The GraphQL endpoint over HTTP, following the GraphQL-over-HTTP specification.
//!
//! - POST takes `application/json` bodies only (415 otherwise), so a browser form or a
//!   `text/plain` request cannot run a mutation (CSRF); bodies over the limit are refused
//!   with 413 before they are read whole; batches are refused.
//! - GET runs queries only; a mutation by GET is 405 with `Allow: POST`.
//! - The response is `application/graphql-response+json` when the client accepts it (then a
//!   request that fails to parse or validate is 400) and `application/json` otherwise (200).
//! - Every request needs a valid bearer token (401 otherwise); GraphiQL is served to
//!   browsers in development.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql::Executor;
use futures_util::StreamExt;

use crate::auth::Claims;
use crate::error::AppError;
use crate::graphql::context::RequestId;
use crate::graphql::{error as gql_error, loader};
use crate::http::{authn, metrics, request_id, AppState};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type the response will use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResponseType {
    GraphqlResponse,
    Json,
}

impl ResponseType {
    fn mime(self) -> &'static str {
        match self {
            ResponseType::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            ResponseType::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response type from `Accept`; `None` when nothing acceptable is offered (406).
fn negotiate(req: &HttpRequest) -> Option<ResponseType> {
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

fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Validation(_) | AppError::LimitExceeded(_) => StatusCode::BAD_REQUEST,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The body of a response that executed nothing: `errors` (and `extensions`), no `data`.
fn errors_only_body(resp: &async_graphql::Response) -> Vec<u8> {
    let mut body = serde_json::Map::new();
    body.insert("errors".into(), serde_json::to_value(&resp.errors).unwrap_or_default());
    if !resp.extensions.is_empty() {
        body.insert("extensions".into(), serde_json::to_value(&resp.extensions).unwrap_or_default());
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

/// A request refused before execution, as a GraphQL error body.
fn refuse(e: AppError, status: Option<StatusCode>, rt: ResponseType) -> HttpResponse {
    let status = status.unwrap_or_else(|| status_of(&e));
    let mut builder = HttpResponse::build(status);
    builder.insert_header((header::CONTENT_TYPE, rt.mime()));
    match &e {
        AppError::Unauthenticated(_) => {
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"ecoplan\", error=\"invalid_token\""));
        }
        AppError::RateLimited { retry_after, .. } => {
            builder.insert_header((header::RETRY_AFTER, retry_after.as_secs().max(1).to_string()));
        }
        _ => {}
    }
    builder.body(errors_only_body(&gql_error::error_response(e)))
}

fn not_acceptable() -> HttpResponse {
    HttpResponse::NotAcceptable()
        .insert_header((header::CONTENT_TYPE, ResponseType::Json.mime()))
        .body(r#"{"errors":[{"message":"Accept must allow application/graphql-response+json or application/json","extensions":{"code":"BAD_USER_INPUT"}}]}"#)
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

/// Reads the body, refusing it as soon as it exceeds `limit` bytes.
async fn read_body(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<web::BytesMut, HttpResponse> {
    let too_large = || {
        HttpResponse::PayloadTooLarge()
            .insert_header((header::CONTENT_TYPE, ResponseType::Json.mime()))
            .insert_header((header::CONNECTION, "close"))
            .body(format!(
                r#"{{"errors":[{{"message":"the request body exceeds {limit} bytes","extensions":{{"code":"LIMIT_EXCEEDED"}}}}]}}"#
            ))
    };
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| HttpResponse::BadRequest().finish())?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Authenticates, executes and answers.
async fn execute(
    req: &HttpRequest,
    state: &AppState,
    claims: Claims,
    request: async_graphql::Request,
    rt: ResponseType,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let resolved = match authn::resolve(state, &claims).await {
        Ok(resolved) => resolved,
        Err(e) => return refuse(e, None, rt),
    };
    let operation = request.operation_name.clone();
    let cache_key = state.cache.key(&request, &claims.jti, rt == ResponseType::GraphqlResponse);
    if let Some(body) = cache_key.as_ref().and_then(|k| state.cache.get(k, resolved.data_version)) {
        metrics::record_graphql(operation.as_deref(), "ok", started.elapsed());
        metrics::record_cache(true);
        return HttpResponse::Ok().insert_header((header::CONTENT_TYPE, rt.mime())).body(body);
    }
    let identity = resolved.identity;
    let request_id = request_id::of(req);
    let request = loader::register(request, &state.db, &identity).data(identity).data(RequestId(request_id));
    let mut response = state.schema.execute(request).await;
    gql_error::ensure_codes(&mut response);
    let outcome = response
        .errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|x| x.get("code"))
        .map(|c| c.to_string().trim_matches('"').to_string())
        .unwrap_or_else(|| "ok".into());
    metrics::record_graphql(operation.as_deref(), &outcome, started.elapsed());
    if gql_error::is_request_error(&response) {
        // Nothing was executed: the body has no `data` entry (GraphQL-over-HTTP).
        let status = if rt == ResponseType::GraphqlResponse { StatusCode::BAD_REQUEST } else { StatusCode::OK };
        return HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, rt.mime()))
            .body(errors_only_body(&response));
    }
    match serde_json::to_vec(&response) {
        Ok(body) => {
            let body = web::Bytes::from(body);
            if let Some(key) = cache_key {
                metrics::record_cache(false);
                if response.errors.is_empty() {
                    state.cache.put(key, resolved.data_version, body.clone());
                }
            }
            HttpResponse::Ok().insert_header((header::CONTENT_TYPE, rt.mime())).body(body)
        }
        Err(e) => refuse(AppError::Unexpected(e.into()), None, rt),
    }
}

/// POST /graphql.
pub async fn post(req: HttpRequest, payload: web::Payload, state: web::Data<AppState>) -> HttpResponse {
    let Some(rt) = negotiate(&req) else {
        return not_acceptable();
    };
    if !is_json_content_type(&req) {
        return refuse(
            AppError::validation("the request body must be application/json"),
            Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            rt,
        );
    }
    // Refuse unauthenticated and over-limit callers before reading their body.
    let claims = match authn::admit(&req, &state).await {
        Ok(c) => c,
        Err(e) => return refuse(e, None, rt),
    };
    let body = match read_body(&req, payload, state.settings.max_body_bytes).await {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return refuse(AppError::validation("the request body is not valid JSON"), None, rt),
    };
    if value.is_array() {
        return refuse(
            AppError::validation("batched requests are not supported; send one operation per request"),
            None,
            rt,
        );
    }
    let persisted = value.pointer("/extensions/persistedQuery/sha256Hash").is_some_and(serde_json::Value::is_string);
    let has_query = value.get("query").is_some_and(serde_json::Value::is_string);
    let persisted_only = persisted && value.get("query").is_none_or(serde_json::Value::is_null);
    if !(has_query || persisted_only) {
        return refuse(AppError::validation("the request needs a `query` string"), None, rt);
    }
    let mut request: async_graphql::Request = match serde_json::from_value(value) {
        Ok(r) => r,
        Err(e) => {
            return refuse(AppError::validation(format!("the request body is not a GraphQL request: {e}")), None, rt)
        }
    };
    if let Err(e) = state.persisted.apply(&mut request, claims.role) {
        return refuse_persisted(e, rt);
    }
    execute(&req, &state, claims, request, rt).await
}

/// Persisted-operation refusals: PersistedQueryNotFound is answered with 200, as clients
/// of Apollo's protocol expect to read it from the body.
fn refuse_persisted(e: AppError, rt: ResponseType) -> HttpResponse {
    let status = match &e {
        AppError::NotFound(_) => Some(StatusCode::OK),
        _ => None,
    };
    refuse(e, status, rt)
}

/// GET /graphql: queries from the URL; GraphiQL for a browser in development.
pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = match web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string()) {
        Ok(p) => p.into_inner(),
        Err(_) => return refuse(AppError::validation("malformed query string"), None, ResponseType::Json),
    };
    let wants_html =
        req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if !params.contains_key("query") && wants_html && state.settings.graphiql_enabled() {
        let page = GraphiQLSource::build().endpoint("/graphql").title("ecoplan").finish();
        return HttpResponse::Ok().insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8")).body(page);
    }
    let Some(rt) = negotiate(&req) else {
        return not_acceptable();
    };
    let claims = match authn::admit(&req, &state).await {
        Ok(c) => c,
        Err(e) => return refuse(e, None, rt),
    };
    let extensions = match params.get("extensions").filter(|v| !v.is_empty()) {
        None => None,
        Some(ext) => match serde_json::from_str::<serde_json::Value>(ext) {
            Ok(v @ serde_json::Value::Object(_)) => Some(v),
            _ => return refuse(AppError::validation("`extensions` must be a JSON object"), None, rt),
        },
    };
    let persisted = extensions.as_ref().is_some_and(|e| e.pointer("/persistedQuery/sha256Hash").is_some());
    let query = match params.get("query") {
        Some(q) => q.clone(),
        None if persisted => String::new(),
        None => return refuse(AppError::validation("the `query` parameter is required"), None, rt),
    };
    let mut request = async_graphql::Request::new(query);
    if let Some(serde_json::Value::Object(ext)) = extensions {
        for (k, v) in ext {
            if let Ok(v) = async_graphql::Value::from_json(v) {
                request.extensions.insert(k, v);
            }
        }
    }
    if let Err(e) = state.persisted.apply(&mut request, claims.role) {
        return refuse_persisted(e, rt);
    }
    let query = request.query.clone();
    if let Some(name) = params.get("operationName").filter(|n| !n.is_empty()) {
        request = request.operation_name(name.clone());
    }
    if let Some(vars) = params.get("variables").filter(|v| !v.is_empty()) {
        match serde_json::from_str::<serde_json::Value>(vars) {
            Ok(v @ serde_json::Value::Object(_)) => {
                request = request.variables(async_graphql::Variables::from_json(v));
            }
            _ => return refuse(AppError::validation("`variables` must be a JSON object"), None, rt),
        }
    }
    // Mutations only over POST: a GET must never change anything (CSRF, caches, prefetch).
    if let Ok(doc) = async_graphql::parser::parse_query(&query) {
        let op_type = match request.operation_name.as_deref() {
            Some(name) => {
                doc.operations.iter().find(|(n, _)| n.map(|n| n.as_str()) == Some(name)).map(|(_, op)| op.node.ty)
            }
            None => doc.operations.iter().next().map(|(_, op)| op.node.ty),
        };
        if matches!(op_type, Some(OperationType::Mutation | OperationType::Subscription)) {
            return method_not_allowed_for_mutation(rt);
        }
    }
    execute(&req, &state, claims, request, rt).await
}

fn method_not_allowed_for_mutation(rt: ResponseType) -> HttpResponse {
    let mut resp =
        refuse(AppError::validation("mutations are accepted only with POST"), Some(StatusCode::METHOD_NOT_ALLOWED), rt);
    resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    resp
}

/// Any other method on /graphql.
pub async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "GET, POST"))
        .insert_header((header::CONTENT_TYPE, ResponseType::Json.mime()))
        .body(r#"{"errors":[{"message":"use GET or POST","extensions":{"code":"BAD_USER_INPUT"}}]}"#)
}
