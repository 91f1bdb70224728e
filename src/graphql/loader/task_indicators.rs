use std::collections::HashMap;

use super::every_key;
use crate::db::Db;
use crate::service::indicators::{self, IndicatorWithConditions};

/// Task id → its indicators with their conditions.
pub struct IndicatorsOfTask {
    pub db: Db,
}

impl async_graphql::dataloader::Loader<i32> for IndicatorsOfTask {
    type Value = Vec<IndicatorWithConditions>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(every_key(keys, indicators::indicators_of_tasks(&self.db.conn, keys).await?))
    }
}
