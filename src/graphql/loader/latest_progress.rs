use std::collections::HashMap;

use entity::task_progress;

use crate::db::Db;
use crate::domain::Period;
use crate::service::progress;

/// (task id, period) → the latest version of the task's progress.
pub struct LatestProgress {
    pub db: Db,
}

impl async_graphql::dataloader::Loader<(i32, Period)> for LatestProgress {
    /// `None` when there is no progress for the period (remembered, so asking again is free).
    type Value = Option<task_progress::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[(i32, Period)]) -> Result<HashMap<(i32, Period), Self::Value>, Self::Error> {
        let mut found = progress::latest(&self.db.conn, keys).await?;
        Ok(keys.iter().map(|k| (*k, found.remove(k))).collect())
    }
}
