use std::collections::HashMap;

use crate::db::Db;
use crate::service::evidence::{self, Attachment, EvidenceFile};

/// A value revision or progress version → its evidence files, oldest first.
pub struct EvidenceOf {
    pub db: Db,
}

impl async_graphql::dataloader::Loader<Attachment> for EvidenceOf {
    type Value = Vec<EvidenceFile>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Attachment]) -> Result<HashMap<Attachment, Self::Value>, Self::Error> {
        let (mut values, mut progress) = (Vec::new(), Vec::new());
        for k in keys {
            match k {
                Attachment::Value(id) => values.push(*id),
                Attachment::Progress(id) => progress.push(*id),
            }
        }
        let mut out: HashMap<Attachment, Vec<EvidenceFile>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for f in evidence::files_of(&self.db.conn, &values, &progress).await? {
            let key = match (f.file.value_id, f.file.progress_id) {
                (Some(v), _) => Attachment::Value(v),
                (None, Some(p)) => Attachment::Progress(p),
                (None, None) => continue,
            };
            out.entry(key).or_default().push(f);
        }
        Ok(out)
    }
}
