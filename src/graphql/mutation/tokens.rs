use async_graphql::{Context, Object, SimpleObject};

use crate::auth::policy;
use crate::graphql::context;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::{Claims, TokenService};
use crate::error::AppError;
use crate::graphql::input::{CreateExportLinkInput, RevokeTokenInput};
use crate::graphql::scalars::DateTime;
use crate::service::{export, tokens};

/// The outcome of a revocation.
#[derive(SimpleObject)]
pub struct RevokeTokenPayload {
    pub token_id: String,
    /// false when the token was already revoked (nothing was written).
    pub newly_revoked: bool,
}

/// A browser link to a download.
#[derive(SimpleObject)]
pub struct ExportLinkPayload {
    /// The path and query to open, relative to the API's origin
    /// (`/export/values.xlsx?period=2022&ticket=…`): a plain `<a href>` works, no header.
    pub url: String,
    /// When the link stops working (`ECOPLAN_DOWNLOAD_LINK_SECONDS`, 60 s by default, and
    /// never after the token that asked for it).
    pub expires_at: DateTime,
}

#[derive(Default)]
pub struct TokenMutation;

#[Object]
impl TokenMutation {
    /// A short-lived link that downloads an export as the caller, for a browser that cannot
    /// send a bearer header: bound to this one file and its parameters, and to the caller's
    /// token (revoking it revokes the link). Not for integration tokens.
    async fn create_export_link(
        &self,
        ctx: &Context<'_>,
        input: CreateExportLinkInput,
    ) -> async_graphql::Result<ExportLinkPayload> {
        let actor = context::actor(ctx)?;
        policy::authorize_export_link(actor.identity)?;
        let mut params = std::collections::HashMap::new();
        if let Some(p) = input.period {
            params.insert("period".to_string(), p.0.to_string());
        }
        if let Some(y) = input.year {
            params.insert("year".to_string(), y.to_string());
        }
        if let Some(r) = input.run {
            params.insert("run".to_string(), r.to_string());
        }
        let resource = export::resource(&input.file, &params).map_err(|e| match e {
            AppError::NotFound(m) => AppError::Validation(m),
            other => other,
        })?;
        let claims = ctx.data::<Claims>()?;
        let tokens = ctx.data::<Arc<TokenService>>()?;
        let settings = context::settings(ctx)?;
        let ttl = Duration::from_secs(settings.server.download_link_seconds);
        let (url, expires_at) = export::create_link(context::db(ctx)?, tokens, actor, claims, &resource, ttl).await?;
        Ok(ExportLinkPayload { url, expires_at: DateTime(expires_at) })
    }

    /// Revokes a token at once on every instance (an administrator: any token; anyone: its
    /// own, to sign out).
    async fn revoke_token(
        &self,
        ctx: &Context<'_>,
        input: RevokeTokenInput,
    ) -> async_graphql::Result<RevokeTokenPayload> {
        let actor = context::actor(ctx)?;
        policy::authorize_revoke_token(actor.identity, input.token_id.trim())?;
        let db = context::db(ctx)?;
        let newly = tokens::revoke(db, actor, &input.token_id, input.reason.as_deref()).await?;
        Ok(RevokeTokenPayload { token_id: input.token_id.trim().to_string(), newly_revoked: newly })
    }
}
