//! Who is asking: the verified token's role and, for departments, the unit.

use chrono::{DateTime, Utc};

pub use crate::domain::access::Role;

/// A unit an identity acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub id: i32,
    pub code: String,
}

/// A verified caller. Built once per request from a token (or for the CLI).
#[derive(Debug, Clone)]
pub struct Identity {
    /// The token's `sub`.
    pub subject: String,
    pub role: Role,
    /// The department's unit (only for [`Role::Department`]).
    pub unit: Option<UnitRef>,
    /// Ids of the groups the unit belongs to: their tasks are the unit's too.
    pub group_ids: Vec<i32>,
    /// The token's `jti` (empty for the CLI).
    pub token_id: String,
    pub expires_at: Option<DateTime<Utc>>,
}

impl Identity {
    /// The identity of a command run on the server itself (`ecoplan token …`).
    pub fn command_line() -> Identity {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Identity {
            subject: format!("cli:{user}"),
            role: Role::Admin,
            unit: None,
            group_ids: Vec::new(),
            token_id: String::new(),
            expires_at: None,
        }
    }

    pub fn unit_id(&self) -> Option<i32> {
        self.unit.as_ref().map(|u| u.id)
    }

    /// The unit and the groups it belongs to: whose tasks this identity works on.
    pub fn acting_unit_ids(&self) -> Vec<i32> {
        self.unit.as_ref().map(|u| crate::auth::policy::acting_units(u.id, &self.group_ids)).unwrap_or_default()
    }
}
