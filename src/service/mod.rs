//! The business logic: plain async functions over the database, free of GraphQL types.

pub mod assessment;
pub mod audit;
pub mod catalog;
pub mod changes;
pub mod compliance;
pub mod configuration;
pub mod events;
pub mod export;
pub mod identity;
pub mod indicators;
pub mod page;
pub mod progress;
pub mod tasks;
pub mod tokens;
pub mod units;
pub mod values;

use crate::auth::Identity;

/// Who is writing, and under which request id (for the audit trail).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub identity: &'a Identity,
    pub request_id: &'a str,
}
