use async_graphql::Object;
use entity::superior_target;

use crate::graphql::scalars::{DateTime, Decimal};

/// The target a higher authority set for an indicator in a year: configuration entered by
/// an administrator, not plan content.
pub struct SuperiorTarget(pub superior_target::Model);

#[Object]
impl SuperiorTarget {
    /// The global id (see `Node`).
    pub async fn id(&self) -> async_graphql::ID {
        crate::graphql::node::id("SuperiorTarget", format!("{}:{}", self.0.indicator_id, self.0.year))
    }

    /// The year it applies to.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// The target value, judged in the indicator's direction.
    async fn target(&self) -> Decimal {
        Decimal(self.0.target)
    }

    /// Where the target comes from (e.g. the superior document's number).
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }

    /// Who set it (token subject).
    async fn set_by(&self) -> &str {
        &self.0.set_by
    }

    /// When it was set.
    async fn set_at(&self) -> DateTime {
        DateTime(self.0.set_at)
    }
}
