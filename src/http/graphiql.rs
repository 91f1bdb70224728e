//! GraphiQL, served from the server itself so that it works without the internet.
//!
//! The page loads `/graphiql/graphiql.js` and `/graphiql/graphiql.css`, which `npm run build`
//! in `web/graphiql` bundles (React, GraphiQL, graphql-ws) and which are embedded here with
//! rust-embed: a release build carries them in the binary, a debug build reads them from
//! `web/graphiql/dist/` when asked. Without them (a fresh checkout: the bundle is not in git)
//! the crate still builds and `GET /graphql` explains, in English and Chinese, how to build
//! them. Nothing is ever loaded from another origin: the page's Content-Security-Policy
//! forbids it.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

use crate::error::AppError;
use crate::http::{refusal, AppState};

/// The bundle built by `npm run build` in `web/graphiql`.
#[derive(RustEmbed)]
#[folder = "web/graphiql/dist/"]
#[allow_missing = true]
struct Assets;

/// The files the page needs, with their media types; nothing else in `dist/` is served.
const FILES: [(&str, &str); 2] =
    [("graphiql.js", "text/javascript; charset=utf-8"), ("graphiql.css", "text/css; charset=utf-8")];

/// No script, style, font, image or connection from anywhere but this server.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// A build's fingerprint of a file: the first 16 hex digits of its SHA-256.
fn version(file: &rust_embed::EmbeddedFile) -> String {
    hex::encode(&file.metadata.sha256_hash()[..8])
}

/// The GraphiQL page (`GET /graphql` from a browser), or, when the assets were not built,
/// a page that says how to build them.
pub fn page() -> HttpResponse {
    let (js, css) = match (Assets::get(FILES[0].0), Assets::get(FILES[1].0)) {
        (Some(js), Some(css)) => (js, css),
        _ => return html(MISSING_PAGE.to_string()),
    };
    html(PAGE.replace("{js_version}", &version(&js)).replace("{css_version}", &version(&css)))
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body)
}

/// GET/HEAD /graphiql/{file}: the page's script and style sheet, while GraphiQL is enabled.
///
/// The page asks for `?v=<fingerprint>`; such a URL names one build's file for good and may be
/// cached for a year. Any other request revalidates with the `ETag`.
pub async fn asset(req: HttpRequest, file: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let not_found = || refusal::refuse(AppError::not_found("no such file"));
    if !state.settings.graphiql_enabled() {
        return not_found();
    }
    let Some(&(name, media_type)) = FILES.iter().find(|(name, _)| *name == file.as_str()) else {
        return not_found();
    };
    let Some(content) = Assets::get(name) else {
        return not_found();
    };
    let version = version(&content);
    let etag = format!("\"{version}\"");
    let pinned = web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .is_ok_and(|q| q.get("v").is_some_and(|v| *v == version));
    let cache_control = if pinned { "public, max-age=31536000, immutable" } else { "no-cache" };
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    let mut resp = if unchanged {
        HttpResponse::build(StatusCode::NOT_MODIFIED).finish()
    } else {
        HttpResponse::Ok().insert_header((header::CONTENT_TYPE, media_type)).body(content.data.into_owned())
    };
    let headers = resp.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    resp
}

/// Any other method on /graphiql/….
pub async fn method_not_allowed() -> HttpResponse {
    let mut resp = refusal::refuse_with_status(
        AppError::validation("GraphiQL's files are read with GET"),
        StatusCode::METHOD_NOT_ALLOWED,
    );
    resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    resp
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ecoplan · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/graphiql/graphiql.css?v={css_version}">
<style>
  html, body { height: 100%; margin: 0; }
  body { display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
  #ecoplan-hint { flex: none; padding: 6px 12px; font-size: 13px; line-height: 1.5;
    background: #fff8e1; color: #3e2f00; border-bottom: 1px solid #f0d98c; }
  #ecoplan-hint code { background: #fff0c2; padding: 0 3px; border-radius: 3px; }
  #graphiql { flex: 1; min-height: 0; }
</style>
</head>
<body>
<div id="ecoplan-hint" role="note">
  <strong>ecoplan</strong> — every request needs a bearer token: run
  <code>ecoplan token issue --role admin</code> and paste the token into the <b>Headers</b> tab
  below as <code>{"Authorization": "Bearer &lt;token&gt;"}</code>; the Docs load once the token is accepted.
  <br><span lang="zh">每个请求都需要令牌：运行 <code>ecoplan token issue --role admin</code>，
  将令牌粘贴到下方 <b>Headers</b> 标签页中的 <code>{"Authorization": "Bearer &lt;令牌&gt;"}</code>。</span>
</div>
<div id="graphiql">Loading GraphiQL… / 正在加载 GraphiQL…</div>
<noscript>GraphiQL needs JavaScript. / GraphiQL 需要启用 JavaScript。</noscript>
<script src="/graphiql/graphiql.js?v={js_version}" defer></script>
</body>
</html>
"#;

const MISSING_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ecoplan · GraphiQL is not built</title>
<link rel="icon" href="data:,">
<style>
  body { max-width: 46em; margin: 3em auto; padding: 0 1em; font-family: system-ui, sans-serif; line-height: 1.6; }
  code, pre { background: #f3f3f3; padding: 0 4px; border-radius: 3px; }
  pre { padding: 8px 12px; }
</style>
</head>
<body>
<h1>GraphiQL's assets are not built</h1>
<p>This ecoplan server has no GraphiQL files (<code>web/graphiql/dist/graphiql.js</code> and
<code>graphiql.css</code>): they are built from <code>web/graphiql</code> and are not kept in git.
To build them, run in <code>web/graphiql</code> (Node.js 20 or later; npm needs its registry once):</p>
<pre>npm ci &amp;&amp; npm run build</pre>
<p>then rebuild the server (<code>cargo build</code>) and restart it.
The GraphQL API itself works without them: <code>POST /graphql</code> with a bearer token.</p>
<hr>
<h1 lang="zh">GraphiQL 的前端资源尚未构建</h1>
<p lang="zh">此 ecoplan 服务器缺少 GraphiQL 的文件（<code>web/graphiql/dist/graphiql.js</code> 和
<code>graphiql.css</code>）：它们由 <code>web/graphiql</code> 构建，不保存在 git 中。
请在 <code>web/graphiql</code> 目录中运行（需要 Node.js 20 或更高版本；npm 需要访问一次其软件源）：</p>
<pre>npm ci &amp;&amp; npm run build</pre>
<p lang="zh">然后重新构建服务器（<code>cargo build</code>）并重新启动。
GraphQL API 本身不受影响：使用 bearer 令牌 <code>POST /graphql</code> 即可。</p>
</body>
</html>
"#;
