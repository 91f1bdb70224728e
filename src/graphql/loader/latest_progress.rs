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
    type Value = task_progress::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[(i32, Period)]) -> Result<HashMap<(i32, Period), Self::Value>, Self::Error> {
        Ok(progress::latest(&self.db.conn, keys).await?)
    }
}
