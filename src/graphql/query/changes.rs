use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object};
use base64::Engine;

use crate::auth::policy;
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::object::Change;
use crate::graphql::scalars::DateTime;
use crate::service::changes::{self, Cursor, Position};

#[derive(Default)]
pub struct ChangesQuery;

/// `change:INCARNATION:EPOCH:TXID:SEQ`, base64url.
fn encode(incarnation: &str, p: Position) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("change:{incarnation}:{}:{}:{}", p.epoch, p.txid, p.seq))
}

/// Reads a cursor; the older form `change:TXID:SEQ` (before incarnations) is epoch 1 of the
/// current incarnation.
fn decode(cursor: &str) -> Result<Cursor, AppError> {
    let bad = || AppError::validation(format!("{cursor:?} is not a cursor of the change feed"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts: Vec<&str> = text.split(':').collect();
    let number = |s: &str| s.parse::<i64>().map_err(|_| bad());
    match parts.as_slice() {
        ["change", txid, seq] => {
            Ok(Cursor { incarnation: None, position: Position { epoch: 1, txid: number(txid)?, seq: number(seq)? } })
        }
        ["change", incarnation, epoch, txid, seq] if !incarnation.is_empty() && incarnation.len() <= 64 => Ok(Cursor {
            incarnation: Some(incarnation.to_string()),
            position: Position { epoch: number(epoch)?, txid: number(txid)?, seq: number(seq)? },
        }),
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
    /// and of the unit directory. A cursor handed out before the database was restored from
    /// a backup, or one the log does not hold, is RESYNC_REQUIRED: start again without
    /// `after`.
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
        let first = first.unwrap_or(settings.limits.default_page_size);
        if first < 0 {
            return Err(AppError::validation("first must not be negative").into());
        }
        if first > settings.limits.max_page_size {
            return Err(
                AppError::LimitExceeded(format!("at most {} changes per page", settings.limits.max_page_size)).into()
            );
        }
        let after = after.as_deref().map(decode).transpose()?;
        let db = context::db(ctx)?;
        let incarnation = changes::check_cursor(&db.conn, after.as_ref()).await?;
        let feed = changes::feed(
            &db.conn,
            &policy::task_scope(identity),
            since.map(|s| s.0),
            after.as_ref().map(|c| c.position),
            u64::try_from(first).unwrap_or(0),
        )
        .await?;
        let mut conn = Connection::new(after.is_some(), feed.has_next);
        conn.edges =
            feed.changes.into_iter().map(|c| Edge::new(encode(&incarnation.id, Position::of(&c)), Change(c))).collect();
        Ok(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let p = Position { epoch: 2, txid: 812, seq: 77 };
        assert_eq!(decode(&encode("abc", p)).unwrap(), Cursor { incarnation: Some("abc".into()), position: p });
        let old = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("change:812:77");
        assert_eq!(decode(&old).unwrap().position, Position { epoch: 1, txid: 812, seq: 77 });
        assert!(decode("garbage").is_err());
        assert!(decode(&crate::graphql::connection::encode_cursor("task", 3)).is_err());
    }
}
