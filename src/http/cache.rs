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

use async_graphql::parser::types::OperationType;
use lru::LruCache;

use crate::gate::Admitted;

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
}

/// Whether an operation is a query reading only cacheable root fields (fragments
/// expanded, as the gate found them).
fn cacheable(kind: Option<OperationType>, root_fields: &[String]) -> bool {
    kind == Some(OperationType::Query)
        && !root_fields.is_empty()
        && root_fields.iter().all(|f| CACHEABLE_ROOTS.contains(&f.as_str()))
}

impl ResponseCache {
    /// `capacity` 0 turns the cache off.
    pub fn new(capacity: usize) -> ResponseCache {
        ResponseCache { entries: NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))) }
    }

    /// The cache key of an admitted operation, or `None` when it must not be cached.
    pub fn key(&self, op: &Admitted, token_id: &str, graphql_response: bool) -> Option<CacheKey> {
        self.entries.as_ref()?;
        if !cacheable(op.kind, &op.root_fields) {
            return None;
        }
        if op.request.extensions.keys().any(|k| k != "persistedQuery") {
            return None;
        }
        Some(CacheKey {
            token_id: token_id.to_string(),
            query: op.query.clone(),
            operation: op.operation_name.clone(),
            variables: serde_json::to_string(&op.variables).ok()?,
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
    use crate::gate::document::{check, DocumentLimits};

    fn decide(query: &str, operation: Option<&str>) -> bool {
        let limits = DocumentLimits {
            max_tokens: 5000,
            max_nesting: 40,
            max_aliases: 30,
            max_root_fields: 20,
            max_fields: 20_000,
            introspection: true,
        };
        match check(query, operation, &limits) {
            Ok(c) => cacheable(c.kind, &c.root_fields),
            Err(_) => false,
        }
    }

    #[test]
    fn only_data_queries_are_cacheable() {
        assert!(decide("{ tasks { totalCount } plan { title } }", None));
        assert!(decide("query A { me { role } } query B { auditEvents { totalCount } }", Some("A")));
        assert!(!decide("query A { me { role } } query B { auditEvents { totalCount } }", Some("B")));
        assert!(!decide("query A { me { role } } query B { tasks { totalCount } }", None));
        assert!(!decide("{ assessment(unitCode: \"x\", year: 2022) { score } }", None));
        assert!(!decide("{ changes { edges { cursor } } }", None));
        assert!(!decide("mutation { revokeToken(input: { tokenId: \"x\" }) { newlyRevoked } }", None));
        assert!(!decide("{ ... F } fragment F on QueryRoot { auditEvents { totalCount } }", None));
        assert!(decide("{ ... F } fragment F on QueryRoot { tasks { totalCount } }", None));
        assert!(!decide("{ tasks { ", None));
    }
}
