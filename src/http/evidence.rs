//! `GET /evidence/{id}`: an evidence file's bytes, for a caller whose scope covers the
//! record it is attached to (anyone else is told it does not exist). Authentication and
//! rate limits are those of `POST /graphql`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::{AppError, AppResult};
use crate::http::{authn, refusal, AppState};

/// GET /evidence/{id}.
pub async fn download(req: HttpRequest, id: web::Path<String>, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let caller = state.gate.authenticate(authn::bearer_token(&req), req.peer_addr().map(|a| a.ip())).await?;
    crate::http::access::note_caller(&req, &caller);
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::not_found(format!("no evidence file has the id {id}")))?;
    let (file, bytes) = crate::service::evidence::download(&state.db.conn, &caller.identity, id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, file.content_type.clone()))
        .insert_header((header::CONTENT_DISPOSITION, disposition(&file.file.file_name)))
        // The type was decided from the content; a browser must not guess another.
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::ETAG, format!("\"{}\"", file.file.sha256)))
        .body(bytes))
}

/// `attachment` with the name in ASCII (others replaced) and in UTF-8 (RFC 6266 / 5987).
fn disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Any other method on /evidence/….
pub async fn method_not_allowed() -> HttpResponse {
    let mut resp = refusal::refuse_with_status(
        AppError::validation(
            "evidence files are read with GET; they are uploaded with the attachEvidenceFile mutation",
        ),
        StatusCode::METHOD_NOT_ALLOWED,
    );
    resp.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("GET"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chinese_name_is_kept_in_utf8_and_replaced_in_ascii() {
        assert_eq!(
            disposition("监测报告 2022.pdf"),
            "attachment; filename=\"____ 2022.pdf\"; filename*=UTF-8''%E7%9B%91%E6%B5%8B%E6%8A%A5%E5%91%8A%202022.pdf"
        );
        assert_eq!(disposition("a\"b\r\n.pdf"), "attachment; filename=\"a_b__.pdf\"; filename*=UTF-8''a%22b%0D%0A.pdf");
    }
}
