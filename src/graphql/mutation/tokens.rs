use async_graphql::{Context, Object, SimpleObject};

use crate::auth::policy;
use crate::graphql::context;
use crate::graphql::input::RevokeTokenInput;
use crate::service::tokens;

/// The outcome of a revocation.
#[derive(SimpleObject)]
pub struct RevokeTokenPayload {
    pub token_id: String,
    /// false when the token was already revoked (nothing was written).
    pub newly_revoked: bool,
}

#[derive(Default)]
pub struct TokenMutation;

#[Object]
impl TokenMutation {
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
