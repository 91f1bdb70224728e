//! ecoplan: the system of record for Qinshui County's work plan to consolidate its National
//! Ecological Civilization Demonstration County title, as a GraphQL API.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod gate;
pub mod graphql;
pub mod http;
pub mod service;
pub mod startup;
pub mod telemetry;
