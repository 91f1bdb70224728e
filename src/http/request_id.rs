//! A request id on every request: taken from a sane `x-request-id` header or generated,
//! returned in the response header, recorded in the audit trail and on log lines.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use tracing::Instrument;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, stored in the request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable(v: &str) -> bool {
    (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let started = std::time::Instant::now();
    let route = req.match_pattern().unwrap_or_else(|| "other".into());
    let method = req.method().clone();
    // The language of this request's messages (errors, explanations).
    let default = req
        .app_data::<actix_web::web::Data<crate::http::AppState>>()
        .map(|s| s.settings.server.default_language)
        .unwrap_or_default();
    let accept = req.headers().get(actix_web::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = crate::i18n::Lang::negotiate(accept, default);
    let mut res = crate::i18n::scope(lang, next.call(req).instrument(span.clone())).await?;
    let status = res.status();
    crate::http::metrics::record_http(&route, &method, status.as_u16(), started.elapsed());
    span.in_scope(|| {
        let access = res.request().extensions().get::<crate::http::access::Access>().cloned();
        crate::http::access::log_request(access.as_ref(), method.as_str(), &route, status.as_u16(), started, &id);
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), "request failed");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, v);
    }
    res.headers_mut().insert(actix_web::http::header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.as_str()));
    Ok(res)
}

/// The id of a request that went through [`middleware`].
pub fn of(req: &actix_web::HttpRequest) -> String {
    req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default()
}
