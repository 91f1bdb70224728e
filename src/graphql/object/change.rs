use async_graphql::{Context, Object};
use entity::change_log;

use crate::domain::ChangeKind as Kind;
use crate::graphql::enums::{ChangeKind, ChangeOperation};
use crate::graphql::loader::{self, IndicatorById, ProgressById, SuperiorTargetById, TaskById, UnitById, ValueById};
use crate::graphql::object::{Indicator, IndicatorValue, SuperiorTarget, Task, TaskProgress, Unit};
use crate::graphql::scalars::DateTime;

/// One change in the sync feed. The field named after its kind holds the changed item's
/// current state (for a TOMBSTONE: the rejected revision, or for a removed membership the
/// member); the others are null.
pub struct Change(pub change_log::Model);

fn id32(id: i64) -> i32 {
    i32::try_from(id).unwrap_or(i32::MAX)
}

#[Object]
impl Change {
    async fn kind(&self) -> ChangeKind {
        self.0.kind.into()
    }

    /// UPSERT (created or updated) or TOMBSTONE (rejected or removed: no longer counts).
    async fn operation(&self) -> ChangeOperation {
        self.0.operation.into()
    }

    /// The natural key, e.g. `straw_utilization_rate/2022#2` or `township_governments/zhengzhuang_town`.
    async fn key(&self) -> &str {
        &self.0.entity_key
    }

    /// When the change was written.
    async fn changed_at(&self) -> DateTime {
        DateTime(self.0.changed_at)
    }

    /// For VALUE: the revision.
    async fn value(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<IndicatorValue>> {
        if self.0.kind != Kind::Value {
            return Ok(None);
        }
        Ok(loader::get::<ValueById>(ctx)?.load_one(self.0.entity_id).await?.map(IndicatorValue))
    }

    /// For PROGRESS: the progress version.
    async fn progress(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<TaskProgress>> {
        if self.0.kind != Kind::Progress {
            return Ok(None);
        }
        Ok(loader::get::<ProgressById>(ctx)?.load_one(self.0.entity_id).await?.map(TaskProgress))
    }

    /// For TASK: the task.
    async fn task(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Task>> {
        if self.0.kind != Kind::Task {
            return Ok(None);
        }
        Ok(loader::get::<TaskById>(ctx)?.load_one(id32(self.0.entity_id)).await?.map(Task))
    }

    /// For INDICATOR: the indicator.
    async fn indicator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Indicator>> {
        if self.0.kind != Kind::Indicator {
            return Ok(None);
        }
        Ok(loader::get::<IndicatorById>(ctx)?.load_one(id32(self.0.entity_id)).await?.map(Indicator))
    }

    /// For UNIT: the unit; for GROUP_MEMBERSHIP: the member.
    async fn unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        if self.0.kind != Kind::Unit && self.0.kind != Kind::GroupMembership {
            return Ok(None);
        }
        Ok(loader::get::<UnitById>(ctx)?.load_one(id32(self.0.entity_id)).await?.map(Unit))
    }

    /// For GROUP_MEMBERSHIP: the group.
    async fn group(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        match (self.0.kind, self.0.related_id) {
            (Kind::GroupMembership, Some(g)) => Ok(loader::get::<UnitById>(ctx)?.load_one(id32(g)).await?.map(Unit)),
            _ => Ok(None),
        }
    }

    /// For SUPERIOR_TARGET: the target.
    async fn superior_target(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<SuperiorTarget>> {
        if self.0.kind != Kind::SuperiorTarget {
            return Ok(None);
        }
        Ok(loader::get::<SuperiorTargetById>(ctx)?.load_one(id32(self.0.entity_id)).await?.map(SuperiorTarget))
    }
}
