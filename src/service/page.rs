//! Keyset pagination shared by every list.

use sea_orm::sea_query::{Expr, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Select,
};

use crate::error::AppResult;

/// What a client asked for: at most `first` items after the key `after`.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<i64>,
    /// Whether to count the whole filtered list (only when the client selected `totalCount`).
    pub with_total: bool,
}

/// One page of a list ordered by a unique key.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next: bool,
    pub total: Option<i64>,
}

/// The statements of a page: the page itself (with the total as a scalar subquery when
/// asked) and the standalone count.
pub fn keyset_statement<E, C>(base: Select<E>, key: C, page: PageRequest) -> (SelectStatement, SelectStatement)
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let mut query = base.clone();
    if let Some(after) = page.after {
        query = query.filter(key.gt(after));
    }
    let mut stmt: SelectStatement = query.order_by_asc(key).limit(page.first + 1).into_query();
    let count: SelectStatement = base.select_only().expr(Expr::cust("COUNT(*)")).into_query();
    if page.with_total {
        stmt.expr_as(Expr::from(count.clone()), "page_total_count");
    }
    (stmt, count)
}

/// Fetches one page of `base` ordered by `key`, in one statement: the total count, when
/// asked for, rides along as a scalar subquery.
pub async fn keyset_page<E, C>(
    db: &impl ConnectionTrait,
    base: Select<E>,
    key: C,
    page: PageRequest,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ColumnTrait,
    E::Model: FromQueryResult,
{
    let (stmt, count) = keyset_statement(base, key, page);
    let rows = db.query_all(&stmt).await?;
    let mut total = None;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        if page.with_total && total.is_none() {
            total = Some(row.try_get::<i64>("", "page_total_count")?);
        }
        items.push(E::Model::from_query_result(row, "")?);
    }
    let has_next = items.len() as u64 > page.first;
    items.truncate(usize::try_from(page.first).unwrap_or(usize::MAX));
    if page.with_total && total.is_none() {
        // An empty page carries no row to hold the count.
        let row = db.query_one(&count).await?;
        total = Some(match row {
            Some(r) => r.try_get_by_index::<i64>(0)?,
            None => 0,
        });
    }
    Ok(Page { items, has_next, total })
}
