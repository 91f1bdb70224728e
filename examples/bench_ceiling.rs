//! The benchmark ceiling: a bare actix-web server with one worker that answers every
//! `POST /graphql` by reading the request body and returning a fixed JSON body.
//!
//! It measures what the HTTP stack alone costs on this machine, so that `bench/run` can
//! report ecoplan's throughput as a fraction of it. Not part of the product.
//!
//! ```text
//! CEILING_BIND=127.0.0.1:18090 CEILING_BODY_FILE=dashboard.json \
//!     target/release/examples/bench_ceiling
//! ```
//!
//! `CEILING_BODY_FILE` is served verbatim (e.g. a captured ecoplan dashboard response);
//! without it, `CEILING_BODY_BYTES` (default 1024) sizes a generated JSON body.
//! `GET /livez` answers 200 for readiness checks.

use std::io;

use actix_web::http::header::ContentType;
use actix_web::{web, App, HttpResponse, HttpServer};

/// Builds a valid JSON body of exactly `len` bytes (at least the 16 bytes of the frame).
fn padded_json(len: usize) -> Vec<u8> {
    let frame = br#"{"data":{"p":""}}"#;
    let pad = len.saturating_sub(frame.len());
    let mut body = Vec::with_capacity(frame.len() + pad);
    body.extend_from_slice(br#"{"data":{"p":""#);
    body.extend(std::iter::repeat_n(b'x', pad));
    body.extend_from_slice(br#""}}"#);
    body
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

async fn graphql(request: web::Bytes, body: web::Data<web::Bytes>) -> HttpResponse {
    // The request body has been read in full by the extractor; touch it so the work is kept.
    std::hint::black_box(request.len());
    HttpResponse::Ok().content_type(ContentType::json()).body(body.get_ref().clone())
}

async fn livez() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::main]
async fn main() -> io::Result<()> {
    let bind = std::env::var("CEILING_BIND").unwrap_or_else(|_| "127.0.0.1:18090".to_owned());
    let body = match std::env::var("CEILING_BODY_FILE") {
        Ok(path) => std::fs::read(&path).map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?,
        Err(_) => {
            let len = match std::env::var("CEILING_BODY_BYTES") {
                Ok(s) => s.parse::<usize>().map_err(|e| invalid(format!("CEILING_BODY_BYTES={s:?}: {e}")))?,
                Err(_) => 1024,
            };
            padded_json(len)
        }
    };
    eprintln!("bench_ceiling: serving a {}-byte body on {bind}", body.len());
    let body = web::Data::new(web::Bytes::from(body));
    HttpServer::new(move || {
        App::new()
            .app_data(body.clone())
            .app_data(web::PayloadConfig::new(1024 * 1024))
            .route("/graphql", web::post().to(graphql))
            .route("/livez", web::get().to(livez))
    })
    .workers(1)
    .bind(bind)?
    .run()
    .await
}
