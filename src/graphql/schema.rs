//! Building the schema with its limits.

use std::sync::Arc;

use async_graphql::Schema;

use crate::config::Settings;
use crate::db::Db;
use crate::graphql::limits::Complexity;
use crate::graphql::mutation::MutationRoot;
use crate::graphql::query::QueryRoot;
use crate::graphql::subscription::SubscriptionRoot;
use crate::service::catalog::PlanCatalog;
use crate::service::events::EventHub;

/// The ecoplan schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// What resolvers need from the running application.
pub struct SchemaData {
    pub db: Db,
    pub catalog: PlanCatalog,
    pub events: Arc<EventHub>,
    /// Signs download tickets.
    pub tokens: Arc<crate::auth::TokenService>,
}

/// Builds the schema; `data` is absent only when printing the SDL.
pub fn build_schema(settings: &Settings, data: Option<SchemaData>) -> AppSchema {
    let mut builder = Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot)
        // Complexity is refused with its code by this extension (no message matching);
        // depth, directives, nesting and expansion by the gate, before parsing ends.
        .extension(Complexity { max_complexity: settings.limits.max_complexity })
        // A backstop the gate's nesting bound (at most MAX_NESTING_CEILING) keeps out of reach.
        .limit_recursive_depth(crate::config::MAX_NESTING_CEILING + 1)
        .data(settings.clone());
    if !settings.introspection_enabled() {
        builder = builder.disable_introspection();
    }
    if settings.is_production() {
        builder = builder.disable_suggestions();
    }
    if let Some(data) = data {
        builder = builder.data(data.db).data(data.catalog).data(data.events).data(data.tokens);
    }
    builder.finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    build_schema(&Settings::default(), None).sdl()
}
