//! The GraphQL API: schema construction and limits, resolvers, objects, inputs, loaders.

pub mod access;
pub mod connection;
pub mod context;
pub mod enums;
pub mod error;
pub mod input;
pub mod limits;
pub mod loader;
pub mod mutation;
pub mod node;
pub mod object;
pub mod query;
pub mod scalars;
pub mod schema;
pub mod subscription;

pub use schema::{build_schema, AppSchema, SchemaData};
