use std::collections::HashMap;

use entity::{task_assignment, unit};

use super::every_key;
use crate::db::Db;
use crate::service::tasks;

/// Task id → its assignments with units, in the document's order.
pub struct AssignmentsOfTask {
    pub db: Db,
}

impl async_graphql::dataloader::Loader<i32> for AssignmentsOfTask {
    type Value = Vec<(task_assignment::Model, unit::Model)>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(every_key(keys, tasks::assignments_of(&self.db.conn, keys).await?))
    }
}
