use std::collections::HashMap;

use entity::task;

use crate::db::Db;
use crate::service::tasks;

/// Task id → task.
pub struct TaskById {
    pub db: Db,
}

impl async_graphql::dataloader::Loader<i32> for TaskById {
    type Value = task::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(tasks::tasks_by_ids(&self.db.conn, keys).await?)
    }
}
