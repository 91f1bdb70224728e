#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The API test suite: every test starts the real application (`spawn_app`) on a fresh
//! database and talks to it over HTTP. Set `TEST_DATABASE_URL` to run the same tests on
//! PostgreSQL; without it they run on SQLite.

mod helpers;

mod assessments;
mod audit;
mod auth;
mod authorization;
mod cache;
mod calendar;
mod cli;
mod completion;
mod compliance;
mod concurrency;
mod configuration;
mod export;
mod gate;
mod health;
mod hostile;
mod http;
mod i18n;
mod intake;
mod integration;
mod keys;
mod limits;
mod node;
mod performance;
mod plan;
mod process;
mod progress;
mod rate_limit;
mod restart;
mod safety;
mod schema;
mod scoping;
mod subscriptions;
mod sync;
mod values;
