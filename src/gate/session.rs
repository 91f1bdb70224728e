//! A long-lived connection's token, checked again while the connection lives.
//!
//! A WebSocket connection is authenticated at `connection_init`, but that proves nothing
//! about later: every operation it carries passes the gate again ([`Session::authenticate_operation`]),
//! the connection re-checks its token at a fixed interval, and subscriptions ask for an
//! identity no older than a second before each event ([`Session::current`]). The first
//! failed check (revoked, expired, key retired, unit gone) ends the session; the transport
//! then closes the socket with 4403.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use tokio::sync::{watch, Mutex};

use crate::auth::Identity;
use crate::error::{AppError, AppResult, AuthFailure};
use crate::gate::{Caller, Gate};
use crate::graphql::context::LiveIdentity;

struct Checked {
    identity: Identity,
    at: Instant,
}

/// The token of one connection and what its last check found.
pub struct Session {
    gate: Arc<Gate>,
    token: String,
    peer: Option<IpAddr>,
    /// A tokio mutex: concurrent askers wait for one re-check instead of each making one.
    last: Mutex<Checked>,
    ended: watch::Sender<Option<(AuthFailure, String)>>,
}

impl Session {
    pub fn new(gate: Arc<Gate>, token: String, peer: Option<IpAddr>, caller: &Caller) -> Arc<Session> {
        let (ended, _) = watch::channel(None);
        Arc::new(Session {
            gate,
            token,
            peer,
            last: Mutex::new(Checked { identity: caller.identity.clone(), at: Instant::now() }),
            ended,
        })
    }

    /// Why the session ended, once it has: the transport waits on this to close the socket.
    pub fn ended(&self) -> watch::Receiver<Option<(AuthFailure, String)>> {
        self.ended.subscribe()
    }

    fn end(&self, e: &AppError) {
        let reason = match e {
            AppError::Unauthenticated(class, message) => (*class, message.clone()),
            other => (AuthFailure::Revoked, other.to_string()),
        };
        self.ended.send_if_modified(|r| {
            if r.is_none() {
                *r = Some(reason);
                true
            } else {
                false
            }
        });
    }

    fn is_ended(&self) -> Option<(AuthFailure, String)> {
        self.ended.borrow().clone()
    }

    /// Passes one operation of this connection through the gate's token check: fresh,
    /// counted against the token's rate limit. A token that is no longer valid ends the
    /// session.
    pub async fn authenticate_operation(&self) -> AppResult<Caller> {
        if let Some((class, reason)) = self.is_ended() {
            return Err(AppError::Unauthenticated(class, reason));
        }
        match self.gate.authenticate(Ok(&self.token), self.peer).await {
            Ok(caller) => {
                *self.last.lock().await = Checked { identity: caller.identity.clone(), at: Instant::now() };
                Ok(caller)
            }
            Err(e @ AppError::Unauthenticated(..)) => {
                self.end(&e);
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// The identity, re-checked when the last check is older than `max_age`.
    pub async fn current(&self, max_age: Duration) -> AppResult<Identity> {
        if let Some((class, reason)) = self.is_ended() {
            return Err(AppError::Unauthenticated(class, reason));
        }
        let mut last = self.last.lock().await;
        if last.at.elapsed() < max_age {
            return Ok(last.identity.clone());
        }
        match self.gate.recheck(&self.token).await {
            Ok(caller) => {
                *last = Checked { identity: caller.identity, at: Instant::now() };
                Ok(last.identity.clone())
            }
            Err(e @ AppError::Unauthenticated(..)) => {
                self.end(&e);
                Err(e)
            }
            // The database did not answer: keep the last identity until the next check
            // rather than closing every socket during an outage.
            Err(e) => {
                tracing::warn!(error = %e, "cannot re-check a connection's token");
                Ok(last.identity.clone())
            }
        }
    }
}

impl LiveIdentity for Session {
    fn current(&self, max_age: Duration) -> BoxFuture<'_, AppResult<Identity>> {
        Box::pin(Session::current(self, max_age))
    }
}
