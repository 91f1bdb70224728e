use std::collections::HashMap;

use crate::db::Db;
use crate::service::indicators::{self, IndicatorWithConditions};

/// Indicator id → indicator with its conditions.
pub struct IndicatorById {
    pub db: Db,
}

impl async_graphql::dataloader::Loader<i32> for IndicatorById {
    type Value = IndicatorWithConditions;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(indicators::indicators_by_ids(&self.db.conn, keys).await?)
    }
}
