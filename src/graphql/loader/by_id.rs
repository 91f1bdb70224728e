//! Rows by id for the sync feed: revisions, progress versions, superior targets.

use std::collections::HashMap;

use entity::{indicator_value, superior_target, task_progress};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::db::Db;

/// Value id → revision.
pub struct ValueById {
    pub db: Db,
}

impl async_graphql::dataloader::Loader<i64> for ValueById {
    type Value = indicator_value::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = indicator_value::Entity::find()
            .filter(indicator_value::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db.conn)
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// Progress id → version.
pub struct ProgressById {
    pub db: Db,
}

impl async_graphql::dataloader::Loader<i64> for ProgressById {
    type Value = task_progress::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = task_progress::Entity::find()
            .filter(task_progress::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db.conn)
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// Superior target id → target.
pub struct SuperiorTargetById {
    pub db: Db,
}

impl async_graphql::dataloader::Loader<i32> for SuperiorTargetById {
    type Value = superior_target::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let rows = superior_target::Entity::find()
            .filter(superior_target::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db.conn)
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}
