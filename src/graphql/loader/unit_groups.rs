use std::collections::HashMap;

use entity::unit;

use super::every_key;
use crate::db::Db;
use crate::service::units;

/// Unit id → the groups it belongs to.
pub struct GroupsOfUnit {
    pub db: Db,
}

impl async_graphql::dataloader::Loader<i32> for GroupsOfUnit {
    type Value = Vec<unit::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(every_key(keys, units::groups_of(&self.db.conn, keys).await?))
    }
}
