//! Building the schema with its limits.

use std::sync::Arc;

use async_graphql::{Data, Executor, Request, Response, Schema};
use futures_util::stream::{BoxStream, StreamExt};

use crate::config::Settings;
use crate::db::Db;
use crate::graphql::error;
use crate::graphql::limits;
use crate::graphql::mutation::MutationRoot;
use crate::graphql::query::QueryRoot;
use crate::graphql::subscription::SubscriptionRoot;
use crate::service::catalog::PlanCatalog;
use crate::service::events::EventHub;

/// The ecoplan schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema behind the document limits of [`limits::prepare`]: what HTTP and WebSocket
/// requests execute. The limits are checked here rather than in an async-graphql extension
/// because any extension puts every field's resolution through the extension chain (about a
/// tenth of the time of a large query).
#[derive(Clone)]
pub struct LimitedSchema {
    schema: AppSchema,
    settings: Arc<Settings>,
}

impl LimitedSchema {
    pub fn new(schema: AppSchema, settings: &Settings) -> LimitedSchema {
        LimitedSchema { schema, settings: Arc::new(settings.clone()) }
    }
}

impl Executor for LimitedSchema {
    async fn execute(&self, mut request: Request) -> Response {
        if let Err(e) = limits::prepare(&mut request, &self.settings) {
            return error::error_response(e);
        }
        self.schema.execute(request).await
    }

    fn execute_stream(&self, mut request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        if let Err(e) = limits::prepare(&mut request, &self.settings) {
            return futures_util::stream::once(std::future::ready(error::error_response(e))).boxed();
        }
        self.schema.execute_stream_with_session_data(request, session_data.unwrap_or_default())
    }
}

/// What resolvers need from the running application.
pub struct SchemaData {
    pub db: Db,
    pub catalog: PlanCatalog,
    pub events: Arc<EventHub>,
}

/// Builds the schema; `data` is absent only when printing the SDL.
pub fn build_schema(settings: &Settings, data: Option<SchemaData>) -> AppSchema {
    let mut builder = Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot)
        .limit_depth(settings.max_depth)
        .limit_complexity(settings.max_complexity)
        .limit_directives(settings.max_directives)
        .limit_recursive_depth(64)
        .data(settings.clone());
    if !settings.introspection_enabled() {
        builder = builder.disable_introspection();
    }
    if settings.is_production() {
        builder = builder.disable_suggestions();
    }
    if let Some(data) = data {
        builder = builder.data(data.db).data(data.catalog).data(data.events);
    }
    builder.finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    build_schema(&Settings::default(), None).sdl()
}
