use async_graphql::Object;
use entity::{task_assignment, unit};

use crate::graphql::enums::AssignmentRole;
use crate::graphql::object::Unit;

/// A unit named by a task.
pub struct TaskAssignment {
    pub assignment: task_assignment::Model,
    pub unit: unit::Model,
}

#[Object]
impl TaskAssignment {
    /// RESPONSIBLE (责任单位) or LEAD (牵头单位).
    async fn role(&self) -> AssignmentRole {
        self.assignment.role.into()
    }

    /// The unit.
    async fn unit(&self) -> Unit {
        Unit(self.unit.clone())
    }

    /// The unit's name exactly as this task's text writes it (e.g. 各乡<镇>人民政府).
    async fn as_written(&self) -> &str {
        &self.assignment.as_written
    }
}
