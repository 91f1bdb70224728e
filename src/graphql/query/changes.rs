use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object};
use base64::Engine;

use crate::auth::policy;
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::object::Change;
use crate::graphql::scalars::DateTime;
use crate::service::changes::{self, Position};

#[derive(Default)]
pub struct ChangesQuery;

fn encode(p: Position) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("change:{}:{}", p.txid, p.seq))
}

fn decode(cursor: &str) -> Result<Position, AppError> {
    let bad = || AppError::validation(format!("{cursor:?} is not a cursor of the change feed"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = text.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("change"), Some(txid), Some(seq), None) => {
            Ok(Position { txid: txid.parse().map_err(|_| bad())?, seq: seq.parse().map_err(|_| bad())? })
        }
        _ => Err(bad()),
    }
}

#[Object]
impl ChangesQuery {
    /// Incremental sync: changes to indicator values, task progress, tasks, indicators, units,
    /// group memberships and superior targets, oldest first, with tombstones for what was
    /// rejected or removed. Keep the last edge's cursor (`pageInfo.endCursor`) and pass it as
    /// `after` on the next poll: no change is ever skipped or returned twice, even when
    /// writes commit out of order. Without `after`, start at `since` (or at the beginning:
    /// the feed starts with the whole plan). A department sees the changes of its own tasks
    /// and of the unit directory.
    #[graphql(complexity = "first.unwrap_or(50).max(1) as usize * child_complexity")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start at changes written at or after this time (when `after` is not given).")] since: Option<
            DateTime,
        >,
        #[graphql(desc = "Page size (default 50, at most the configured maximum, 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last change already received.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Change>> {
        let identity = context::identity(ctx)?;
        let settings = context::settings(ctx)?;
        let first = first.unwrap_or(settings.default_page_size);
        if first < 0 {
            return Err(AppError::validation("first must not be negative").into());
        }
        if first > settings.max_page_size {
            return Err(AppError::LimitExceeded(format!("at most {} changes per page", settings.max_page_size)).into());
        }
        let after = after.as_deref().map(decode).transpose()?;
        let db = context::db(ctx)?;
        let feed = changes::feed(
            &db.conn,
            &policy::task_scope(identity),
            since.map(|s| s.0),
            after,
            u64::try_from(first).unwrap_or(0),
        )
        .await?;
        let mut conn = Connection::new(after.is_some(), feed.has_next);
        conn.edges = feed.changes.into_iter().map(|c| Edge::new(encode(Position::of(&c)), Change(c))).collect();
        Ok(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let p = Position { txid: 812, seq: 77 };
        assert_eq!(decode(&encode(p)).unwrap(), p);
        assert!(decode("garbage").is_err());
        assert!(decode(&crate::graphql::connection::encode_cursor("task", 3)).is_err());
    }
}
