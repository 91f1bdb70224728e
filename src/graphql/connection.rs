//! Relay connections: opaque cursors, page-size rules and `totalCount`.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, OutputType};
use base64::Engine;

use crate::error::AppError;
use crate::graphql::context;
use crate::service::page::{Page, PageRequest};

/// Extra fields of every connection.
pub struct ConnectionTotal {
    total: Option<i64>,
}

#[Object]
impl ConnectionTotal {
    /// How many items match the filter, over all pages.
    async fn total_count(&self) -> async_graphql::Result<i64> {
        self.total.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("totalCount was not computed")).into())
    }
}

/// A page of `N` nodes with cursors, `pageInfo` and `totalCount`.
pub type Conn<N> = Connection<String, N, ConnectionTotal>;

/// Encodes a position in a list as an opaque cursor.
pub fn encode_cursor(list: &str, key: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{list}:{key}"))
}

/// Decodes a cursor made by [`encode_cursor`] for the same list; anything else is
/// BAD_USER_INPUT.
pub fn decode_cursor(list: &str, cursor: &str) -> Result<i64, AppError> {
    let bad = || AppError::validation(format!("{cursor:?} is not a cursor of this list"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (prefix, key) = text.split_once(':').ok_or_else(bad)?;
    if prefix != list {
        return Err(bad());
    }
    key.parse().map_err(|_| bad())
}

/// Checks `first` against the configured page sizes and decodes `after`.
pub fn page_request(
    ctx: &Context<'_>,
    list: &str,
    first: Option<i32>,
    after: Option<&str>,
) -> async_graphql::Result<PageRequest> {
    let settings = context::settings(ctx)?;
    let first = first.unwrap_or(settings.limits.default_page_size);
    if first < 0 {
        return Err(AppError::validation("first must not be negative").into());
    }
    if first > settings.limits.max_page_size {
        return Err(AppError::LimitExceeded(format!(
            "first is {first}; at most {} items are returned per page",
            settings.limits.max_page_size
        ))
        .into());
    }
    let after = after.map(|c| decode_cursor(list, c)).transpose()?;
    Ok(PageRequest {
        first: u64::try_from(first).unwrap_or(0),
        after,
        with_total: ctx.look_ahead().field("totalCount").exists(),
    })
}

/// Builds the connection for a page; `key` gives each item's position in the list.
pub fn connection<T, N: OutputType>(
    list: &str,
    request: &PageRequest,
    page: Page<T>,
    key: impl Fn(&T) -> i64,
    node: impl Fn(T) -> N,
) -> Conn<N> {
    let mut conn = Connection::with_additional_fields(
        request.after.is_some(),
        page.has_next,
        ConnectionTotal { total: page.total },
    );
    conn.edges = page.items.into_iter().map(|item| Edge::new(encode_cursor(list, key(&item)), node(item))).collect();
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_list_specific() {
        let c = encode_cursor("task", 12);
        assert_eq!(decode_cursor("task", &c).unwrap(), 12);
        assert!(decode_cursor("indicator", &c).is_err());
        assert!(decode_cursor("task", "not a cursor").is_err());
        assert!(decode_cursor("task", "").is_err());
    }
}
