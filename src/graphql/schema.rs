//! Building the schema with its limits.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Schema, ServerError, ServerResult, Variables};

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

/// Refuses documents with too many tokens (before parsing), aliases or root fields
/// (after parsing, before validation and execution).
struct DocumentLimits {
    settings: Arc<Settings>,
}

impl ExtensionFactory for DocumentLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentLimitsExtension { settings: self.settings.clone() })
    }
}

struct DocumentLimitsExtension {
    settings: Arc<Settings>,
}

fn request_error(e: crate::error::AppError) -> ServerError {
    let mut resp = error::error_response(e);
    resp.errors.pop().unwrap_or_else(|| ServerError::new("limit exceeded", None))
}

#[async_graphql::async_trait::async_trait]
impl Extension for DocumentLimitsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        limits::check_token_count(query, self.settings.max_tokens).map_err(request_error)?;
        let doc = next.run(ctx, query, variables).await?;
        limits::check_document(&doc, &self.settings).map_err(request_error)?;
        limits::check_introspection(&doc, &self.settings).map_err(request_error)?;
        Ok(doc)
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
        .extension(DocumentLimits { settings: Arc::new(settings.clone()) })
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
