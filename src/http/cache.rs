//! A validated cache of query responses.
//!
//! Dashboards and municipal systems ask the same queries all day. A response is kept with
//! the database's incarnation and the data version read at the start of the request that
//! computed it (every write transaction increments that version before it commits, see
//! `Db`), and is served again only while the incarnation and version read by a later
//! request — in the same statement that checks its token — are still the same. A served
//! response is therefore never older than the data at the moment of the request; any
//! write anywhere, through any instance, retires every cached response.
//!
//! Versions only grow within an incarnation, so a version lower than one already seen
//! means the database went back in time (a failover to a replica that lags, or the moment
//! between a restore's data and its new incarnation): the whole cache is dropped then, so
//! a version that climbs back to a number seen before can never match a response computed
//! from data that no longer exists.
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
    pub lang: crate::i18n::Lang,
}

#[derive(Debug, Clone)]
pub struct CacheEntry {
    pub incarnation: String,
    pub data_version: i64,
    pub body: actix_web::web::Bytes,
}

/// The newest (incarnation, version) this instance has seen.
#[derive(Debug, Default)]
struct Seen {
    incarnation: String,
    version: i64,
}

/// The cache of one instance.
pub struct ResponseCache {
    entries: Option<Mutex<LruCache<CacheKey, CacheEntry>>>,
    seen: Mutex<Seen>,
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
        ResponseCache {
            entries: NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))),
            seen: Mutex::new(Seen::default()),
        }
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
            // Messages and explanations are in the request's language.
            lang: crate::i18n::current(),
        })
    }

    /// Notes the (incarnation, version) a request read; drops every entry when the
    /// database went back in time or became another incarnation.
    pub fn observe(&self, incarnation: &str, data_version: i64) {
        let Some(entries) = self.entries.as_ref() else { return };
        let Ok(mut seen) = self.seen.lock() else { return };
        if seen.incarnation == incarnation && data_version >= seen.version {
            seen.version = data_version;
            return;
        }
        if !seen.incarnation.is_empty() {
            tracing::warn!(
                from_version = seen.version,
                to_version = data_version,
                restored = seen.incarnation != incarnation,
                "the database went back in time or was restored: dropping every cached response"
            );
        }
        if let Ok(mut entries) = entries.lock() {
            entries.clear();
        }
        *seen = Seen { incarnation: incarnation.to_string(), version: data_version };
    }

    /// The cached body, if it was computed at this incarnation and version.
    pub fn get(&self, key: &CacheKey, incarnation: &str, data_version: i64) -> Option<actix_web::web::Bytes> {
        self.observe(incarnation, data_version);
        let mut entries = self.entries.as_ref()?.lock().ok()?;
        match entries.get(key) {
            Some(e) if e.data_version == data_version && e.incarnation == incarnation => Some(e.body.clone()),
            Some(_) => {
                entries.pop(key);
                None
            }
            None => None,
        }
    }

    /// Keeps a successful response computed from data at least as new as `data_version`.
    pub fn put(&self, key: CacheKey, incarnation: &str, data_version: i64, body: actix_web::web::Bytes) {
        if body.len() > MAX_ENTRY_BYTES {
            return;
        }
        if let Some(Ok(mut entries)) = self.entries.as_ref().map(|e| e.lock()) {
            entries.put(key, CacheEntry { incarnation: incarnation.to_string(), data_version, body });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::document::{check, DocumentLimits};

    fn decide(query: &str, operation: Option<&str>) -> bool {
        match check(query, operation, &DocumentLimits::default()) {
            Ok(c) => cacheable(c.kind, &c.root_fields),
            Err(_) => false,
        }
    }

    fn key(n: u8) -> CacheKey {
        CacheKey {
            token_id: "t".into(),
            query: format!("q{n}"),
            operation: None,
            variables: String::new(),
            graphql_response: false,
            lang: crate::i18n::Lang::En,
        }
    }

    #[test]
    fn nothing_is_served_across_incarnations_or_after_the_version_went_back() {
        let cache = ResponseCache::new(8);
        let body = actix_web::web::Bytes::from_static(b"old");
        cache.observe("a", 10);
        cache.put(key(1), "a", 10, body.clone());
        assert_eq!(cache.get(&key(1), "a", 10), Some(body.clone()));
        // Another incarnation with the same version number.
        assert_eq!(cache.get(&key(1), "b", 10), None);
        // Back in time, then forward again to the same number: the entry is gone.
        let cache = ResponseCache::new(8);
        cache.observe("a", 10);
        cache.put(key(1), "a", 10, body.clone());
        cache.observe("a", 7);
        assert_eq!(cache.get(&key(1), "a", 10), None);
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
