//! Persisted operations: an allow-list of operations by SHA-256 hash, loaded at start.
//!
//! A request names one with `extensions: {"persistedQuery": {"version": 1, "sha256Hash": …}}`
//! (Apollo's protocol; also as the `extensions` parameter of GET). Roles listed in
//! `ECOPLAN_PERSISTED_ONLY_ROLES` may run nothing else. Unknown hashes get the standard
//! `PersistedQueryNotFound` error; the allow-list is never extended by clients.

use std::collections::HashMap;

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

use crate::auth::{policy, Role};
use crate::config::Settings;
use crate::error::AppError;

/// The allow-list and who is bound to it.
#[derive(Debug, Default)]
pub struct PersistedOperations {
    by_hash: HashMap<String, String>,
    restricted: Vec<Role>,
}

/// The SHA-256 of a document, as lowercase hex.
pub fn hash(query: &str) -> String {
    hex::encode(Sha256::digest(query.as_bytes()))
}

impl PersistedOperations {
    pub fn load(settings: &Settings) -> anyhow::Result<PersistedOperations> {
        let restricted = settings.graphql.persisted_only_roles.clone();
        let mut by_hash = HashMap::new();
        if let Some(path) = &settings.graphql.persisted_operations_file {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
            let json: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("{path} is not JSON"))?;
            let entries: Vec<(String, String)> = match json.get("operations").and_then(|o| o.as_array()) {
                // Apollo persisted-query manifest.
                Some(ops) => ops
                    .iter()
                    .map(|o| {
                        let id = o.get("id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
                        let body = o.get("body").and_then(|v| v.as_str()).unwrap_or_default().to_string();
                        (id, body)
                    })
                    .collect(),
                None => json
                    .as_object()
                    .with_context(|| format!("{path}: expected {{\"<sha256>\": \"<query>\"}} or a manifest"))?
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect(),
            };
            for (id, body) in entries {
                if body.is_empty() || hash(&body) != id.to_ascii_lowercase() {
                    bail!("{path}: operation {id} does not hash to its id");
                }
                by_hash.insert(id.to_ascii_lowercase(), body);
            }
        }
        if !restricted.is_empty() && by_hash.is_empty() {
            bail!("ECOPLAN_PERSISTED_ONLY_ROLES needs ECOPLAN_PERSISTED_OPERATIONS_FILE");
        }
        Ok(PersistedOperations { by_hash, restricted })
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The document a request runs: its own text, or the listed document its
    /// `persistedQuery.sha256Hash` names. Raw documents from roles bound to the list are
    /// refused (the rule is the policy's); an unknown hash is `PersistedQueryNotFound`.
    pub fn resolve(
        &self,
        query: String,
        extensions: &serde_json::Map<String, serde_json::Value>,
        role: Role,
    ) -> Result<String, AppError> {
        let named = extensions
            .get("persistedQuery")
            .and_then(|p| p.get("sha256Hash"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_ascii_lowercase);
        let bound = policy::bound_to_persisted_operations(role, &self.restricted);
        match named {
            Some(h) => {
                let Some(body) = self.by_hash.get(&h) else {
                    if bound || query.is_empty() {
                        return Err(AppError::NotFound("PersistedQueryNotFound".into()));
                    }
                    // Not on the list: an unrestricted client's own document runs as usual.
                    return Ok(query);
                };
                if !query.is_empty() && hash(&query) != h {
                    return Err(AppError::validation("the query does not match its sha256Hash"));
                }
                Ok(body.clone())
            }
            None if bound => Err(AppError::forbidden(
                "this token runs persisted operations only: send extensions.persistedQuery.sha256Hash",
            )),
            None => Ok(query),
        }
    }
}
