use async_graphql::{Context, Object};
use entity::unit;

use crate::graphql::enums::UnitOrigin;
use crate::graphql::loader::{self, GroupsOfUnit, MembersOfGroup, TasksOfUnit};
use crate::graphql::object::Task;
use crate::service::units;

/// A responsible unit (a bureau, an office, a township government) or a group of units.
pub struct Unit(pub unit::Model);

#[Object]
impl Unit {
    /// The global id (see `Node`).
    pub async fn id(&self) -> async_graphql::ID {
        crate::graphql::node::id("Unit", &self.0.code)
    }

    /// Stable code, e.g. `water_resources_bureau`.
    async fn code(&self) -> &str {
        self.0.code.as_str()
    }

    /// Name as in the document, e.g. 县水务局.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Whether this is a group (各乡（镇）人民政府, 县直相关单位) whose members inherit its tasks.
    async fn is_group(&self) -> bool {
        self.0.is_group
    }

    /// Whether the document names the unit or an administrator added it.
    async fn origin(&self) -> UnitOrigin {
        self.0.origin.into()
    }

    /// Other spellings of the name in the document (e.g. 各乡<镇>人民政府).
    async fn aliases(&self) -> Vec<String> {
        units::aliases(&self.0)
    }

    /// For a group: its member units (configuration; the document lists none).
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Unit>> {
        if !self.0.is_group {
            return Ok(Vec::new());
        }
        let rows = loader::get::<MembersOfGroup>(ctx)?.load_one(self.0.id).await?;
        Ok(rows.unwrap_or_default().into_iter().map(Unit).collect())
    }

    /// The groups this unit is a member of.
    async fn groups(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Unit>> {
        let rows = loader::get::<GroupsOfUnit>(ctx)?.load_one(self.0.id).await?;
        Ok(rows.unwrap_or_default().into_iter().map(Unit).collect())
    }

    /// The unit's tasks (assigned to it or to a group it belongs to) that the viewer may see.
    async fn tasks(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Task>> {
        let rows = loader::get::<TasksOfUnit>(ctx)?.load_one(self.0.id).await?;
        Ok(rows.unwrap_or_default().into_iter().map(Task).collect())
    }
}
