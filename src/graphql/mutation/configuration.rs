use async_graphql::{Context, Object, SimpleObject};

use crate::auth::policy;
use crate::domain::UnitCode;
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::input::{CreateUnitInput, GroupMemberInput, SetSuperiorTargetInput};
use crate::graphql::object::{SuperiorTarget, Unit};
use crate::service::{indicators, targets, units};

/// The stored superior target.
#[derive(SimpleObject)]
pub struct SuperiorTargetPayload {
    pub superior_target: SuperiorTarget,
}

/// The group and the member after the change.
#[derive(SimpleObject)]
pub struct GroupMemberPayload {
    pub group: Unit,
    pub member: Unit,
}

/// The created unit.
#[derive(SimpleObject)]
pub struct CreateUnitPayload {
    pub unit: Unit,
}

#[derive(Default)]
pub struct ConfigurationMutation;

#[Object]
impl ConfigurationMutation {
    /// Sets the target the higher authority set for an indicator in a year (an administrator).
    /// This is configuration, not plan content: MEETS_SUPERIOR_TARGET conditions use it.
    async fn set_superior_target(
        &self,
        ctx: &Context<'_>,
        input: SetSuperiorTargetInput,
    ) -> async_graphql::Result<SuperiorTargetPayload> {
        let actor = context::actor(ctx)?;
        policy::authorize_configure(actor.identity)?;
        let db = context::db(ctx)?;
        let found = indicators::get_indicator(&db.conn, &input.indicator_code).await?;
        let stored =
            targets::set(db, actor, &found.indicator, input.year, input.target.0, input.source.as_deref()).await?;
        Ok(SuperiorTargetPayload { superior_target: SuperiorTarget(stored) })
    }

    /// Makes a unit a member of a group (an administrator); the member inherits the group's tasks.
    async fn add_group_member(
        &self,
        ctx: &Context<'_>,
        input: GroupMemberInput,
    ) -> async_graphql::Result<GroupMemberPayload> {
        let actor = context::actor(ctx)?;
        policy::authorize_configure(actor.identity)?;
        let db = context::db(ctx)?;
        let (group, member) = input.codes()?;
        let (g, m) = units::add_group_member(db, actor, &group, &member).await?;
        Ok(GroupMemberPayload { group: Unit(g), member: Unit(m) })
    }

    /// Ends a unit's membership of a group (an administrator).
    async fn remove_group_member(
        &self,
        ctx: &Context<'_>,
        input: GroupMemberInput,
    ) -> async_graphql::Result<GroupMemberPayload> {
        let actor = context::actor(ctx)?;
        policy::authorize_configure(actor.identity)?;
        let db = context::db(ctx)?;
        let (group, member) = input.codes()?;
        let (g, m) = units::remove_group_member(db, actor, &group, &member).await?;
        Ok(GroupMemberPayload { group: Unit(g), member: Unit(m) })
    }

    /// Creates a unit, e.g. a township government, optionally joining groups (an administrator).
    async fn create_unit(&self, ctx: &Context<'_>, input: CreateUnitInput) -> async_graphql::Result<CreateUnitPayload> {
        let actor = context::actor(ctx)?;
        policy::authorize_configure(actor.identity)?;
        let db = context::db(ctx)?;
        let code = UnitCode::parse(&input.code).map_err(AppError::from)?;
        let groups = input
            .group_codes
            .unwrap_or_default()
            .iter()
            .map(|g| UnitCode::parse(g))
            .collect::<Result<Vec<_>, _>>()
            .map_err(AppError::from)?;
        let created = units::create_unit(db, actor, &code, &input.name, &groups).await?;
        Ok(CreateUnitPayload { unit: Unit(created) })
    }
}
