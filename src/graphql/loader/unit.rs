use std::collections::HashMap;

use entity::unit;

use crate::db::Db;
use crate::service::units;

/// Unit id → unit.
pub struct UnitById {
    pub db: Db,
}

impl async_graphql::dataloader::Loader<i32> for UnitById {
    type Value = unit::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(units::units_by_ids(&self.db.conn, keys).await?)
    }
}
