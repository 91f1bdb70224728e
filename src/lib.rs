//! ecoplan: the system of record for Qinshui County's work plan to consolidate its National
//! Ecological Civilization Demonstration County title, as a GraphQL API.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
/// The domain layer, a crate of its own (`domain/`) so that the compiler keeps web, GraphQL
/// and database code out of it.
pub mod domain {
    pub use ecoplan_domain::*;
}
pub mod error;
pub mod gate;
pub mod graphql;
pub mod http;
pub mod i18n;
#[cfg(test)]
mod layers;
pub mod service;
pub mod startup;
pub mod telemetry;
