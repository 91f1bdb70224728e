//! Rate limits per token (by `jti`) and per client address for requests without a valid
//! token, answered with 429, RATE_LIMITED and `Retry-After`.
//!
//! The state lives in each instance's memory (governor's GCRA): with N instances behind a
//! load balancer a client can reach up to N times the configured rate. Stale keys are
//! dropped every minute so memory stays bounded.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Settings;
use crate::error::AppError;

/// The limiters of one instance.
pub struct RateLimits {
    per_token: Option<DefaultKeyedRateLimiter<String>>,
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

fn quota(per_minute: u32, burst: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(per_minute)?;
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(rate);
    Some(Quota::per_minute(rate).allow_burst(burst))
}

impl RateLimits {
    pub fn new(settings: &Settings) -> Arc<RateLimits> {
        let anonymous_burst = (settings.rate_limits.anonymous_per_minute / 2).max(1);
        Arc::new(RateLimits {
            per_token: quota(settings.rate_limits.per_minute, settings.rate_limits.burst).map(RateLimiter::keyed),
            per_address: quota(settings.rate_limits.anonymous_per_minute, anonymous_burst).map(RateLimiter::keyed),
            clock: DefaultClock::default(),
        })
    }

    fn refused(&self, wait: Duration, whose: &str) -> AppError {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        AppError::RateLimited {
            message: format!("too many requests for this {whose}; retry in {secs} s"),
            retry_after: Duration::from_secs(secs.max(1)),
        }
    }

    /// Counts a request made with a valid token.
    pub fn check_token(&self, jti: &str) -> Result<(), AppError> {
        match &self.per_token {
            None => Ok(()),
            Some(l) => l
                .check_key(&jti.to_string())
                .map_err(|not_until| self.refused(not_until.wait_time_from(self.clock.now()), "token")),
        }
    }

    /// Counts a request without a valid token.
    pub fn check_address(&self, addr: Option<IpAddr>) -> Result<(), AppError> {
        match (&self.per_address, addr) {
            (Some(l), Some(ip)) => l
                .check_key(&ip)
                .map_err(|not_until| self.refused(not_until.wait_time_from(self.clock.now()), "client address")),
            _ => Ok(()),
        }
    }

    /// Forgets keys whose limits have fully replenished.
    pub fn prune(&self) {
        if let Some(l) = &self.per_token {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.per_address {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}
