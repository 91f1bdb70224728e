//! GraphQL over WebSocket, graphql-transport-ws protocol, at GET /graphql.
//!
//! The socket is a transport and nothing more: it turns `subscribe` messages into
//! operations and results back into `next` / `error` / `complete` messages. Every
//! operation passes the gate ([`crate::gate`]) as an HTTP request does: its token checked
//! at that moment (revocation, expiry, key retirement, group memberships), the rate limit,
//! the allow-list, the document limits, fresh loaders. On top of that the connection:
//!
//! - closes with 4408 when `connection_init` does not come within `ws_init_timeout_ms`,
//!   4403 when its token is refused, 4401 on a `subscribe` before the acknowledgement,
//!   4409 on a second operation with an id still in use, 4429 on a second
//!   `connection_init` or when the token holds too many connections, 4400 on a message
//!   that is not the protocol's;
//! - re-checks its token every `subscription_recheck_seconds` (and subscriptions before
//!   each event): when it is no longer valid the socket is closed with 4403;
//! - caps its active operations (`ws_max_subscriptions`; one more is an `error` with
//!   LIMIT_EXCEEDED);
//! - closes with 1001 as soon as the server begins to shut down.
//!
//! async-graphql's own WebSocket handler authenticates once per connection and offers no
//! hook per operation, so the protocol (a handful of JSON messages) is implemented here.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::guard::GuardContext;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError};
use async_graphql::parser::types::OperationType;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::error::AppError;
use crate::gate::session::Session;
use crate::gate::{self, RawOperation, SocketSlot};
use crate::graphql::context::LiveIdentity;
use crate::http::{access, authn, metrics, refusal, request_id, AppState};

const PROTOCOL: &str = "graphql-transport-ws";

/// Longest operation id accepted.
const MAX_ID_CHARS: usize = 128;

/// A message from the client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: Value,
    },
    Complete {
        id: String,
    },
}

/// What an operation's task sends to the connection.
enum Outbound {
    Next { id: String, generation: u64, payload: Value },
    Error { id: String, generation: u64, errors: Value },
    Complete { id: String, generation: u64 },
}

/// Whether a GET /graphql asks to upgrade to a WebSocket (the header's value in any case).
pub fn is_upgrade(ctx: &GuardContext<'_>) -> bool {
    ctx.head()
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"))
}

/// The token of a `connection_init` payload: `Authorization`/`authorization` ("Bearer …") or `token`.
fn payload_token(payload: &Value) -> Option<String> {
    let bearer = ["Authorization", "authorization"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(|v| v.as_str()))
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    bearer.or_else(|| payload.get("token").and_then(|v| v.as_str())).map(|t| t.trim().to_string())
}

/// A close frame; its reason is cut to the 123 bytes a control frame allows.
fn close(code: u16, reason: impl Into<String>) -> CloseReason {
    let mut reason = reason.into();
    if reason.len() > 120 {
        let mut cut = 120;
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason.truncate(cut);
    }
    CloseReason { code: CloseCode::Other(code), description: Some(reason) }
}

/// GET /graphql with `Upgrade: websocket`.
pub async fn websocket(req: HttpRequest, body: web::Payload, state: web::Data<AppState>) -> HttpResponse {
    let offers_protocol = req
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim().eq_ignore_ascii_case(PROTOCOL)));
    if !offers_protocol {
        return refusal::refuse_with_status(
            AppError::validation(format!("subscriptions use the {PROTOCOL} subprotocol")),
            StatusCode::BAD_REQUEST,
        );
    }
    let peer = req.peer_addr().map(|a| a.ip());
    if let Err(e) = state.gate.rate_limits().check_address(peer) {
        return refusal::refuse(e);
    }
    let (mut response, session, messages) = match actix_ws::handle(&req, body) {
        Ok(parts) => parts,
        Err(e) => return e.error_response(),
    };
    response.headers_mut().insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(PROTOCOL));
    let limit = state.settings.server.max_body_bytes;
    let messages = messages.max_frame_size(limit).aggregate_continuations().max_continuation_size(limit);
    let connection = Connection {
        state: state.into_inner(),
        peer,
        header_token: authn::bearer_token(&req).ok().map(str::to_string),
        lang: crate::i18n::current(),
        request_id: request_id::of(&req),
        init_seen: false,
        live: None,
        ops: HashMap::new(),
        generation: 0,
    };
    actix_web::rt::spawn(connection.run(session, messages));
    response
}

/// An acknowledged connection: its session (token, last check) and its place in the
/// per-token count.
struct Live {
    session: Arc<Session>,
    ended: watch::Receiver<Option<(crate::error::AuthFailure, String)>>,
    _slot: SocketSlot,
}

struct Connection {
    state: Arc<AppState>,
    peer: Option<IpAddr>,
    header_token: Option<String>,
    /// The language of its messages: the upgrade request's, unless `connection_init` names one.
    lang: crate::i18n::Lang,
    request_id: String,
    init_seen: bool,
    live: Option<Live>,
    /// Active operations by id: the generation tells a finished operation's late messages
    /// from a new one that reuses the id.
    ops: HashMap<String, (u64, JoinHandle<()>)>,
    generation: u64,
}

/// Waits until the session ends (forever when there is none yet).
async fn session_ended(live: &mut Option<Live>) -> String {
    let Some(live) = live.as_mut() else {
        return std::future::pending().await;
    };
    loop {
        if let Some((_, reason)) = live.ended.borrow_and_update().clone() {
            return reason;
        }
        if live.ended.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}

impl Connection {
    async fn run(mut self, mut socket: actix_ws::Session, mut messages: actix_ws::AggregatedMessageStream) {
        let (out_tx, mut out_rx) = mpsc::channel::<Outbound>(64);
        let init_deadline = tokio::time::sleep(self.state.settings.ws_init_timeout());
        tokio::pin!(init_deadline);
        let recheck_every = self.state.settings.subscription_recheck();
        let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + recheck_every, recheck_every);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let shutdown = self.state.shutdown.clone();
        let reason = loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break Some(close(1001, "the server is shutting down")),
                _ = &mut init_deadline, if self.live.is_none() => {
                    break Some(close(4408, "Connection initialisation timeout"));
                }
                why = session_ended(&mut self.live) => break Some(close(4403, format!("Forbidden: {why}"))),
                _ = recheck.tick(), if self.live.is_some() => {
                    if let Some(live) = &self.live {
                        // A failure ends the session: the branch above closes the socket.
                        let _ = live.session.current(Duration::ZERO).await;
                    }
                }
                Some(out) = out_rx.recv() => {
                    if self.send_outbound(&mut socket, out).await.is_err() {
                        break None;
                    }
                }
                message = messages.next() => match message {
                    None | Some(Ok(AggregatedMessage::Close(_))) => break None,
                    Some(Err(ProtocolError::Overflow)) => break Some(close(1009, "message too big")),
                    Some(Err(_)) => break None,
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        if socket.pong(&bytes).await.is_err() {
                            break None;
                        }
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => {}
                    Some(Ok(AggregatedMessage::Text(text))) => {
                        match self.on_message(&mut socket, text.as_bytes(), &out_tx).await {
                            Ok(None) => {}
                            Ok(Some(reason)) => break Some(reason),
                            Err(()) => break None,
                        }
                    }
                    Some(Ok(AggregatedMessage::Binary(bytes))) => {
                        match self.on_message(&mut socket, &bytes, &out_tx).await {
                            Ok(None) => {}
                            Ok(Some(reason)) => break Some(reason),
                            Err(()) => break None,
                        }
                    }
                },
            }
        };
        for (_, (_, task)) in self.ops.drain() {
            task.abort();
        }
        let _ = socket.close(reason).await;
    }

    /// Writes an operation's message; a final one frees its id.
    async fn send_outbound(&mut self, socket: &mut actix_ws::Session, out: Outbound) -> Result<(), actix_ws::Closed> {
        let (id, generation, message, last) = match out {
            Outbound::Next { id, generation, payload } => {
                let m = json!({ "id": id, "type": "next", "payload": payload });
                (id, generation, m, false)
            }
            Outbound::Error { id, generation, errors } => {
                let m = json!({ "id": id, "type": "error", "payload": errors });
                (id, generation, m, true)
            }
            Outbound::Complete { id, generation } => {
                let m = json!({ "id": id, "type": "complete" });
                (id, generation, m, true)
            }
        };
        // An operation the client completed (or replaced) sends nothing more.
        if self.ops.get(&id).is_none_or(|(g, _)| *g != generation) {
            return Ok(());
        }
        if last {
            self.ops.remove(&id);
        }
        socket.text(message.to_string()).await
    }

    /// Handles one client message; `Ok(Some(reason))` closes the socket, `Err` means the
    /// client is gone.
    async fn on_message(
        &mut self,
        socket: &mut actix_ws::Session,
        bytes: &[u8],
        out: &mpsc::Sender<Outbound>,
    ) -> Result<Option<CloseReason>, ()> {
        let Ok(message) = serde_json::from_slice::<ClientMessage>(bytes) else {
            return Ok(Some(close(4400, "Invalid message received")));
        };
        match message {
            ClientMessage::ConnectionInit { payload } => Ok(self.on_init(socket, payload).await),
            ClientMessage::Ping { .. } => {
                socket.text(json!({ "type": "pong" }).to_string()).await.map(|_| None).map_err(|_| ())
            }
            ClientMessage::Pong { .. } => Ok(None),
            ClientMessage::Subscribe { id, payload } => {
                let Some(session) = self.live.as_ref().map(|l| l.session.clone()) else {
                    return Ok(Some(close(4401, "Unauthorized")));
                };
                if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
                    return Ok(Some(close(4400, format!("an operation id has 1 to {MAX_ID_CHARS} characters"))));
                }
                if self.ops.contains_key(&id) {
                    return Ok(Some(close(4409, format!("Subscriber for {id} already exists"))));
                }
                let max = self.state.settings.subscriptions.max_subscriptions;
                if max > 0 && self.ops.len() >= max {
                    let e = AppError::LimitExceeded(format!(
                        "this connection already runs {max} operations; complete one first"
                    ));
                    let errors = errors_of(&gate::Refused::from(e).into_response());
                    let m = json!({ "id": id, "type": "error", "payload": errors });
                    return socket.text(m.to_string()).await.map(|_| None).map_err(|_| ());
                }
                self.generation += 1;
                let generation = self.generation;
                let task = actix_web::rt::spawn(crate::i18n::scope(
                    self.lang,
                    run_operation(
                        self.state.clone(),
                        session,
                        id.clone(),
                        generation,
                        payload,
                        out.clone(),
                        format!("{}-{generation}", self.request_id),
                    ),
                ));
                self.ops.insert(id, (generation, task));
                Ok(None)
            }
            ClientMessage::Complete { id } => {
                if let Some((_, task)) = self.ops.remove(&id) {
                    task.abort();
                }
                Ok(None)
            }
        }
    }

    /// `connection_init`: the token (from the upgrade request or the payload) passes the
    /// gate; the connection takes a slot of its token and is acknowledged.
    async fn on_init(&mut self, socket: &mut actix_ws::Session, payload: Option<Value>) -> Option<CloseReason> {
        if self.init_seen {
            return Some(close(4429, "Too many initialisation requests"));
        }
        self.init_seen = true;
        if let Some(tag) = payload.as_ref().and_then(|p| {
            ["Accept-Language", "accept-language", "acceptLanguage"].iter().find_map(|k| p.get(*k)?.as_str())
        }) {
            self.lang = crate::i18n::Lang::negotiate(Some(tag), self.lang);
        }
        let token = self.header_token.clone().or_else(|| payload.as_ref().and_then(payload_token));
        let Some(token) = token else {
            return Some(close(4403, "Forbidden: a bearer token is required in connection_init"));
        };
        let caller = match self.state.gate.authenticate(Ok(&token), self.peer).await {
            Ok(caller) => caller,
            Err(e @ AppError::RateLimited { .. }) => return Some(close(4429, e.to_string())),
            Err(e) => return Some(close(4403, format!("Forbidden: {e}"))),
        };
        let slot = match self.state.gate.open_socket(&caller) {
            Ok(slot) => slot,
            Err(e) => return Some(close(4429, e.to_string())),
        };
        let session = Session::new(self.state.gate.clone(), token, self.peer, &caller);
        let ended = session.ended();
        self.live = Some(Live { session, ended, _slot: slot });
        if socket.text(json!({ "type": "connection_ack" }).to_string()).await.is_err() {
            return Some(close(1000, "gone"));
        }
        None
    }
}

fn errors_of(response: &async_graphql::Response) -> Value {
    serde_json::to_value(&response.errors).unwrap_or_else(|_| json!([{ "message": "internal error" }]))
}

/// One operation of a connection: through the gate, then executed; its results go back to
/// the connection as messages.
async fn run_operation(
    state: Arc<AppState>,
    session: Arc<Session>,
    id: String,
    generation: u64,
    payload: Value,
    out: mpsc::Sender<Outbound>,
    request_id: String,
) {
    let started = std::time::Instant::now();
    let error = |errors: Value| Outbound::Error { id: id.clone(), generation, errors };
    let refused = |e: AppError| errors_of(&gate::Refused::from(e).into_response());
    let operation = match RawOperation::from_json(payload) {
        Ok(o) => o,
        Err(e) => {
            let _ = out.send(error(refused(e))).await;
            return;
        }
    };
    let label = operation.operation_name.clone();
    let caller = match session.authenticate_operation().await {
        Ok(caller) => caller,
        // The session has ended: the connection closes the socket with 4403.
        Err(AppError::Unauthenticated(..)) => return,
        Err(e) => {
            metrics::record_graphql(label.as_deref(), e.code(), started.elapsed());
            let _ = out.send(error(refused(e))).await;
            return;
        }
    };
    let mut log = access::OperationLog::start(&request_id, &id, &caller);
    log.operation(label.as_deref(), None);
    let admitted = match state.gate.admit(&caller, operation, &request_id) {
        Ok(a) => a,
        Err(r) => {
            metrics::record_graphql(label.as_deref(), r.error.code(), started.elapsed());
            log.outcome(r.error.code());
            let _ = out.send(error(errors_of(&r.into_response()))).await;
            return;
        }
    };
    let kind = admitted.kind;
    log.operation(admitted.name.as_deref(), kind);
    let mut request = admitted.request;
    let live: Arc<dyn LiveIdentity> = session;
    request.data.insert(live);
    if kind == Some(OperationType::Subscription) {
        let mut stream = gate::execute_stream(&state.schema, request);
        let mut first = true;
        while let Some(response) = stream.next().await {
            if first {
                let outcome = gate::outcome(&response);
                metrics::record_graphql(label.as_deref(), &outcome, started.elapsed());
                log.outcome(&outcome);
                if gate::is_request_error(&response) {
                    let _ = out.send(error(errors_of(&response))).await;
                    return;
                }
                first = false;
            }
            let payload = serde_json::to_value(&response).unwrap_or(Value::Null);
            if out.send(Outbound::Next { id: id.clone(), generation, payload }).await.is_err() {
                return;
            }
            log.results += 1;
        }
    } else {
        let response = gate::execute(&state.schema, request).await;
        let outcome = gate::outcome(&response);
        metrics::record_graphql(label.as_deref(), &outcome, started.elapsed());
        log.outcome(&outcome);
        if gate::is_request_error(&response) {
            let _ = out.send(error(errors_of(&response))).await;
            return;
        }
        let payload = serde_json::to_value(&response).unwrap_or(Value::Null);
        if out.send(Outbound::Next { id: id.clone(), generation, payload }).await.is_err() {
            return;
        }
        log.results += 1;
    }
    let _ = out.send(Outbound::Complete { id, generation }).await;
}
