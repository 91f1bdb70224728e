use async_graphql::Object;
use entity::indicator_condition;

use crate::graphql::enums::Comparator;
use crate::graphql::scalars::Decimal;

/// One condition of an indicator; all of an indicator's conditions must hold.
pub struct IndicatorCondition(pub indicator_condition::Model);

#[Object]
impl IndicatorCondition {
    /// How the value is judged.
    async fn comparator(&self) -> Comparator {
        self.0.comparator.into()
    }

    /// The fixed target from the document for AT_LEAST, AT_MOST and EQUALS (e.g. "25");
    /// null for the other comparators (a superior target is configuration, see
    /// `Indicator.superiorTarget`).
    async fn target(&self) -> Option<Decimal> {
        self.0.target.map(Decimal)
    }

    /// The document's words for this condition, verbatim from the task's text.
    async fn statement(&self) -> Option<&str> {
        self.0.statement.as_deref()
    }
}
