use std::collections::HashMap;

use entity::unit;

use super::every_key;
use crate::db::Db;
use crate::service::units;

/// Group id → member units.
pub struct MembersOfGroup {
    pub db: Db,
}

impl async_graphql::dataloader::Loader<i32> for MembersOfGroup {
    type Value = Vec<unit::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        Ok(every_key(keys, units::members_of(&self.db.conn, keys).await?))
    }
}
