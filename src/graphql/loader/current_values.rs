use std::collections::HashMap;

use crate::db::Db;
use crate::domain::Period;
use crate::service::values::{self, CurrentValue};

/// (indicator id, period) → the period's current revision and the year's superior target.
pub struct CurrentValues {
    pub db: Db,
}

impl async_graphql::dataloader::Loader<(i32, Period)> for CurrentValues {
    /// `None` when the period has no current revision (remembered, so asking again is free).
    type Value = Option<CurrentValue>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[(i32, Period)]) -> Result<HashMap<(i32, Period), Self::Value>, Self::Error> {
        let mut found = values::current_values(&self.db.conn, keys).await?;
        Ok(keys.iter().map(|k| (*k, found.remove(k))).collect())
    }
}
