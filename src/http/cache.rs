//! A validated cache of query responses.
//!
//! Dashboards and municipal systems ask the same queries all day. A response is kept with
//! the data version read at the start of the request that computed it (every write
//! transaction increments that version before it commits, see `Db`), and is served again
//! only while the version read by a later request — in the same statement that checks its
//! token — is still the same. A served response is therefore never older than the data at
//! the moment of the request; any write anywhere, through any instance, retires every
//! cached response.
//!
//! Only queries whose root fields read plan data, reports and configuration are cached
//! (not assessments, the audit log or the change feed), and only per token: the key holds
//! the token id, so nothing ever crosses from one token to another.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use lru::LruCache;

/// Root fields whose answers depend only on data that every write versions.
const CACHEABLE_ROOTS: &[&str] = &[
    "__typename",
    "me",
    "plan",
    "domains",
    "domain",
    "sections",
    "section",
    "units",
    "unit",
    "tasks",
    "task",
    "indicators",
    "indicator",
    "indicatorValue",
    "complianceSummary",
];

/// Largest response kept.
const MAX_ENTRY_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub token_id: String,
    pub query: String,
    pub operation: Option<String>,
    pub variables: String,
    pub graphql_response: bool,
}

#[derive(Debug, Clone)]
pub struct CacheEntry {
    pub data_version: i64,
    pub body: actix_web::web::Bytes,
}

/// The cache of one instance.
pub struct ResponseCache {
    entries: Option<Mutex<LruCache<CacheKey, CacheEntry>>>,
    /// Whether a document (by text and operation) may be cached, decided once.
    decisions: Mutex<LruCache<(String, Option<String>), bool>>,
}

fn roots_cacheable(doc: &ExecutableDocument, set: &SelectionSet, depth: usize) -> bool {
    depth < 8
        && set.items.iter().all(|s| match &s.node {
            Selection::Field(f) => CACHEABLE_ROOTS.contains(&f.node.name.node.as_str()),
            Selection::InlineFragment(i) => roots_cacheable(doc, &i.node.selection_set.node, depth + 1),
            Selection::FragmentSpread(spread) => doc
                .fragments
                .get(&spread.node.fragment_name.node)
                .is_some_and(|f| roots_cacheable(doc, &f.node.selection_set.node, depth + 1)),
        })
}

/// Whether the operation is a query reading only cacheable root fields.
fn cacheable(query: &str, operation: Option<&str>) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    let op = match operation {
        Some(name) => doc.operations.iter().find(|(n, _)| n.map(|n| n.as_str()) == Some(name)).map(|(_, op)| op),
        None => {
            let mut ops = doc.operations.iter();
            match (ops.next(), ops.next()) {
                (Some((_, op)), None) => Some(op),
                _ => None,
            }
        }
    };
    op.is_some_and(|op| op.node.ty == OperationType::Query && roots_cacheable(&doc, &op.node.selection_set.node, 0))
}

impl ResponseCache {
    /// `capacity` 0 turns the cache off.
    pub fn new(capacity: usize) -> ResponseCache {
        let decisions = NonZeroUsize::new(capacity.max(16)).unwrap_or(NonZeroUsize::MIN);
        ResponseCache {
            entries: NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))),
            decisions: Mutex::new(LruCache::new(decisions)),
        }
    }

    /// The cache key of a request, or `None` when it must not be cached.
    pub fn key(&self, request: &async_graphql::Request, token_id: &str, graphql_response: bool) -> Option<CacheKey> {
        self.entries.as_ref()?;
        let decision_key = (request.query.clone(), request.operation_name.clone());
        let known = self.decisions.lock().ok()?.get(&decision_key).copied();
        let ok = match known {
            Some(ok) => ok,
            None => {
                let ok = cacheable(&request.query, request.operation_name.as_deref());
                self.decisions.lock().ok()?.put(decision_key, ok);
                ok
            }
        };
        if !ok || !request.extensions.is_empty() && !request.extensions.contains_key("persistedQuery") {
            return None;
        }
        Some(CacheKey {
            token_id: token_id.to_string(),
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
            graphql_response,
        })
    }

    /// The cached body, if it was computed at `data_version`.
    pub fn get(&self, key: &CacheKey, data_version: i64) -> Option<actix_web::web::Bytes> {
        let mut entries = self.entries.as_ref()?.lock().ok()?;
        match entries.get(key) {
            Some(e) if e.data_version == data_version => Some(e.body.clone()),
            Some(_) => {
                entries.pop(key);
                None
            }
            None => None,
        }
    }

    /// Keeps a successful response computed from data at least as new as `data_version`.
    pub fn put(&self, key: CacheKey, data_version: i64, body: actix_web::web::Bytes) {
        if body.len() > MAX_ENTRY_BYTES {
            return;
        }
        if let Some(Ok(mut entries)) = self.entries.as_ref().map(|e| e.lock()) {
            entries.put(key, CacheEntry { data_version, body });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_data_queries_are_cacheable() {
        assert!(cacheable("{ tasks { totalCount } plan { title } }", None));
        assert!(cacheable("query A { me { role } } query B { auditEvents { totalCount } }", Some("A")));
        assert!(!cacheable("query A { me { role } } query B { auditEvents { totalCount } }", Some("B")));
        assert!(!cacheable("query A { me { role } } query B { tasks { totalCount } }", None));
        assert!(!cacheable("{ assessment(unitCode: \"x\", year: 2022) { score } }", None));
        assert!(!cacheable("{ changes { edges { cursor } } }", None));
        assert!(!cacheable("mutation { revokeToken(input: { tokenId: \"x\" }) { newlyRevoked } }", None));
        assert!(!cacheable("{ ... F } fragment F on QueryRoot { auditEvents { totalCount } }", None));
        assert!(cacheable("{ ... F } fragment F on QueryRoot { tasks { totalCount } }", None));
        assert!(!cacheable("{ tasks { ", None));
    }
}
