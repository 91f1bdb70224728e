//! DataLoaders behind every relation field, created per request (so they carry the
//! caller's scope and never share cached rows between callers) and registered here only.

mod assignments;
mod by_id;
mod current_values;
mod evidence;
mod indicator;
mod latest_progress;
pub mod prime;
mod section_tasks;
mod task;
mod task_indicators;
mod unit;
mod unit_groups;
mod unit_members;
mod unit_tasks;

use async_graphql::dataloader::{DataLoader, HashMapCache};

pub use assignments::AssignmentsOfTask;
pub use by_id::{ProgressById, SuperiorTargetById, ValueById};
pub use current_values::CurrentValues;
pub use evidence::EvidenceOf;
pub use indicator::IndicatorById;
pub use latest_progress::LatestProgress;
pub use section_tasks::TasksOfSection;
pub use task::TaskById;
pub use task_indicators::IndicatorsOfTask;
pub use unit::UnitById;
pub use unit_groups::GroupsOfUnit;
pub use unit_members::MembersOfGroup;
pub use unit_tasks::TasksOfUnit;

use crate::auth::{policy, Identity};
use crate::db::Db;

/// Gives every requested key an entry (empty when nothing was found), so that the cache
/// also remembers the absence and a later load of the same key costs nothing.
fn every_key<V>(
    keys: &[i32],
    mut found: std::collections::HashMap<i32, Vec<V>>,
) -> std::collections::HashMap<i32, Vec<V>> {
    for k in keys {
        found.entry(*k).or_default();
    }
    found
}

/// A per-request loader with a per-request cache.
pub type Loader<T> = DataLoader<T, HashMapCache>;

fn loader<K, T>(inner: T) -> Loader<T>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    T: async_graphql::dataloader::Loader<K>,
{
    DataLoader::with_cache(inner, tokio::spawn, HashMapCache::default())
}

/// Adds every loader to an operation's data, fresh for that operation. `caching` off (a
/// subscription, which lives for many events) makes each load read the database again, so
/// no event is resolved from rows an earlier one loaded.
pub fn register_into(data: &mut async_graphql::Data, db: &Db, identity: &Identity, caching: bool) {
    fn add<T: Send + Sync + 'static>(data: &mut async_graphql::Data, l: Loader<T>, caching: bool) {
        l.enable_all_cache(caching);
        data.insert(l);
    }
    let scope = policy::task_scope(identity);
    add(data, loader(AssignmentsOfTask { db: db.clone() }), caching);
    add(data, loader(IndicatorsOfTask { db: db.clone() }), caching);
    add(data, loader(TaskById { db: db.clone() }), caching);
    add(data, loader(UnitById { db: db.clone() }), caching);
    add(data, loader(MembersOfGroup { db: db.clone() }), caching);
    add(data, loader(GroupsOfUnit { db: db.clone() }), caching);
    add(data, loader(TasksOfUnit { db: db.clone(), scope: scope.clone() }), caching);
    add(data, loader(TasksOfSection { db: db.clone(), scope }), caching);
    add(data, loader(IndicatorById { db: db.clone() }), caching);
    add(data, loader(CurrentValues { db: db.clone() }), caching);
    add(data, loader(LatestProgress { db: db.clone() }), caching);
    add(data, loader(ValueById { db: db.clone() }), caching);
    add(data, loader(ProgressById { db: db.clone() }), caching);
    add(data, loader(SuperiorTargetById { db: db.clone() }), caching);
    add(data, loader(EvidenceOf { db: db.clone() }), caching);
}

/// The registered loader of type `T`.
pub fn get<'a, T: Send + Sync + 'static>(ctx: &async_graphql::Context<'a>) -> async_graphql::Result<&'a Loader<T>> {
    ctx.data_opt::<Loader<T>>().ok_or_else(|| {
        crate::error::AppError::Unexpected(anyhow::anyhow!("loader {} not registered", std::any::type_name::<T>()))
            .into()
    })
}
