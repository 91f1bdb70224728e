//! GraphQL subscriptions over WebSocket, graphql-transport-ws protocol, at GET /graphql.
//!
//! The token is checked at `connection_init` (payload `{"Authorization": "Bearer …"}`, or
//! the upgrade request's Authorization header): without a valid one the socket is closed
//! with 4403 Forbidden; a `subscribe` before the acknowledgement is closed with 4401
//! Unauthorized, as the protocol says.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason};
use async_graphql::http::{WebSocket, WebSocketProtocols, WsMessage};
use futures_util::StreamExt;
use serde_json::json;

use crate::error::AppError;
use crate::graphql::context::RequestId;
use crate::graphql::loader;
use crate::http::{authn, request_id, AppState};

const PROTOCOL: &str = "graphql-transport-ws";

/// The token of a `connection_init` payload: `Authorization`/`authorization` ("Bearer …") or `token`.
fn payload_token(payload: &serde_json::Value) -> Option<String> {
    let bearer = ["Authorization", "authorization"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(|v| v.as_str()))
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    bearer.or_else(|| payload.get("token").and_then(|v| v.as_str())).map(|t| t.trim().to_string())
}

/// async-graphql closes with 1002 for a refused `connection_init` and with 1011 for a
/// `subscribe` before the handshake; the protocol's codes are 4403 and 4401.
fn protocol_close(code: u16, reason: String) -> CloseReason {
    let code = match code {
        1002 if reason.starts_with("Forbidden") => 4403,
        1011 => 4401,
        other => other,
    };
    CloseReason { code: CloseCode::Other(code), description: Some(reason) }
}

/// GET /graphql with `Upgrade: websocket`.
pub async fn websocket(req: HttpRequest, body: web::Payload, state: web::Data<AppState>) -> HttpResponse {
    let offers_protocol = req
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim().eq_ignore_ascii_case(PROTOCOL)));
    let refuse = |status: actix_web::http::StatusCode, e: AppError| {
        HttpResponse::build(status)
            .content_type("application/json")
            .body(json!({ "errors": [{ "message": e.to_string(), "extensions": { "code": e.code() } }] }).to_string())
    };
    if !offers_protocol {
        return refuse(
            actix_web::http::StatusCode::BAD_REQUEST,
            AppError::validation(format!("subscriptions use the {PROTOCOL} subprotocol")),
        );
    }
    if let Err(e) = state.rate_limits.check_address(req.peer_addr().map(|a| a.ip())) {
        return refuse(actix_web::http::StatusCode::TOO_MANY_REQUESTS, e);
    }
    let (mut response, session, messages) = match actix_ws::handle(&req, body) {
        Ok(parts) => parts,
        Err(e) => return e.error_response(),
    };
    response.headers_mut().insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(PROTOCOL));
    let limit = state.settings.max_body_bytes;
    let mut messages = messages.max_frame_size(limit).aggregate_continuations().max_continuation_size(limit);
    let header_token = authn::bearer_token(&req).ok().map(str::to_string);
    let request_id = request_id::of(&req);
    let state = state.into_inner();

    // Client frames → text for the protocol machine; pings are answered here.
    let (to_protocol, from_client) = tokio::sync::mpsc::channel::<String>(32);
    let mut pong_session = session.clone();
    actix_web::rt::spawn(async move {
        while let Some(Ok(msg)) = messages.next().await {
            match msg {
                AggregatedMessage::Text(text) => {
                    if to_protocol.send(text.to_string()).await.is_err() {
                        break;
                    }
                }
                AggregatedMessage::Binary(bytes) => {
                    let Ok(text) = String::from_utf8(bytes.to_vec()) else { break };
                    if to_protocol.send(text).await.is_err() {
                        break;
                    }
                }
                AggregatedMessage::Ping(bytes) => {
                    if pong_session.pong(&bytes).await.is_err() {
                        break;
                    }
                }
                AggregatedMessage::Pong(_) => {}
                AggregatedMessage::Close(_) => break,
            }
        }
    });
    let input = futures_util::stream::unfold(from_client, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });

    let init_state = state.clone();
    let protocol = WebSocket::new(state.schema.clone(), input, WebSocketProtocols::GraphQLWS).on_connection_init(
        move |payload| async move {
            let forbidden = |e: AppError| async_graphql::Error::new(format!("Forbidden: {e}"));
            let Some(token) = header_token.or_else(|| payload_token(&payload)) else {
                return Err(forbidden(AppError::Unauthenticated(
                    "a bearer token is required in connection_init".into(),
                )));
            };
            let claims = authn::verify_token(&init_state, &token).await.map_err(forbidden)?;
            init_state.rate_limits.check_token(&claims.jti).map_err(forbidden)?;
            let identity = authn::resolve(&init_state, &claims).await.map_err(forbidden)?.identity;
            let mut data = async_graphql::Data::default();
            loader::register_into(&mut data, &init_state.db, &identity);
            data.insert(identity);
            data.insert(claims);
            data.insert(RequestId(request_id));
            Ok(data)
        },
    );
    actix_web::rt::spawn(async move {
        let mut session = session;
        let mut protocol = std::pin::pin!(protocol);
        while let Some(msg) = protocol.next().await {
            match msg {
                WsMessage::Text(text) => {
                    if session.text(text).await.is_err() {
                        return;
                    }
                }
                WsMessage::Close(code, reason) => {
                    let _ = session.close(Some(protocol_close(code, reason))).await;
                    return;
                }
            }
        }
        let _ = session.close(None).await;
    });
    response
}
