use async_graphql::{Context, Object, SimpleObject};

use crate::auth::policy;
use crate::domain::UnitCode;
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::input::{CreateUnitInput, GroupMemberInput, SetIndicatorFrequencyInput, SetSuperiorTargetInput};
use crate::graphql::object::{Indicator, SuperiorTarget, Unit};
use crate::service::{indicators, targets, units};

/// The stored superior target.
#[derive(SimpleObject)]
pub struct SuperiorTargetPayload {
    pub superior_target: SuperiorTarget,
}

/// The indicator after the change.
#[derive(SimpleObject)]
pub struct IndicatorPayload {
    pub indicator: Indicator,
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

    /// Sets how often an indicator is reported (an administrator), where the document states
    /// no frequency: configuration, audited, with the reason kept as `frequencyBasis`. Refused
    /// with CONFLICT once values were reported for periods of another frequency (they would
    /// stop counting), and with BAD_USER_INPUT where the document states the frequency.
    async fn set_indicator_frequency(
        &self,
        ctx: &Context<'_>,
        input: SetIndicatorFrequencyInput,
    ) -> async_graphql::Result<IndicatorPayload> {
        let actor = context::actor(ctx)?;
        policy::authorize_configure(actor.identity)?;
        let db = context::db(ctx)?;
        let code = crate::domain::IndicatorCode::parse(&input.indicator_code).map_err(AppError::from)?;
        let stored = indicators::set_frequency(db, actor, &code, input.frequency.into(), &input.reason).await?;
        Ok(IndicatorPayload { indicator: Indicator(stored) })
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
