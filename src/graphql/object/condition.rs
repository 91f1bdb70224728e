use async_graphql::Object;
use entity::indicator_condition;

use crate::domain::plan::parse_stored;
use crate::domain::{Comparator, ExactDecimal};
use crate::error::AppError;
use crate::graphql::scalars::Decimal;

/// One condition of an indicator; all of an indicator's conditions must hold.
pub struct IndicatorCondition(pub indicator_condition::Model);

#[Object]
impl IndicatorCondition {
    /// How the value is judged.
    async fn comparator(&self) -> async_graphql::Result<Comparator> {
        Ok(parse_stored("comparator", &self.0.comparator)?)
    }

    /// The fixed target from the document for AT_LEAST, AT_MOST and EQUALS (e.g. "25");
    /// null for the other comparators (a superior target is configuration, see
    /// `Indicator.superiorTarget`).
    async fn target(&self) -> async_graphql::Result<Option<Decimal>> {
        match &self.0.target {
            None => Ok(None),
            Some(t) => ExactDecimal::parse(t)
                .map(|d| Some(Decimal(d)))
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("stored target: {e}")).into()),
        }
    }
}
