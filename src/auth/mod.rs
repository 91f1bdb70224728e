//! Authentication (tokens, keys) and authorization (the policy).
//!
//! Tokens are verified once, at the HTTP edge; the resulting [`Identity`] goes into the
//! GraphQL request data, and every rule about what it may do lives in [`policy`].

pub mod identity;
pub mod jwt;
pub mod keys;
pub mod policy;

pub use identity::{Identity, Role, UnitRef};
pub use jwt::{Claims, Ticket, TokenService};
