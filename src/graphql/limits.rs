//! The complexity limit, applied where async-graphql has computed a document's cost (its
//! validation, which knows each field's cost from the schema) and refused here with a typed
//! [`AppError::LimitExceeded`], so a refusal carries its code from the start instead of being
//! recognised afterwards by the words of a library's message. The gate refuses everything
//! that needs no schema (nesting, tokens, depth, aliases, directives, root fields,
//! expansion) before parsing ends, so those come first; a document that is both invalid and
//! too costly gets its validation errors (BAD_USER_INPUT), since it would not run anyway.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};

use crate::error::AppError;
use crate::graphql::error::server_error;

/// The extension's setting: the highest cost allowed.
#[derive(Debug, Clone, Copy)]
pub struct Complexity {
    pub max_complexity: usize,
}

impl ExtensionFactory for Complexity {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_trait::async_trait]
impl Extension for Complexity {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.complexity > self.max_complexity {
            return Err(vec![server_error(AppError::LimitExceeded(format!(
                "the query costs {} (connections count `first` times); at most {} is allowed",
                result.complexity, self.max_complexity
            )))]);
        }
        Ok(result)
    }
}
