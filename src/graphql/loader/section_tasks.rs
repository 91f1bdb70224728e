use std::collections::HashMap;

use entity::task;

use super::every_key;
use crate::auth::policy::TaskScope;
use crate::db::Db;
use crate::service::tasks;

/// Section id → its tasks that the caller may see.
pub struct TasksOfSection {
    pub db: Db,
    pub scope: TaskScope,
}

impl async_graphql::dataloader::Loader<i32> for TasksOfSection {
    type Value = Vec<task::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(every_key(keys, tasks::tasks_of_sections(&self.db.conn, &self.scope, keys).await?))
    }
}
