use async_graphql::{Context, Object, ID};
use entity::indicator_value;

use crate::error::AppError;
use crate::graphql::enums::ValueStatus;
use crate::graphql::loader::{self, IndicatorById, UnitById};
use crate::graphql::object::{Indicator, Unit};
use crate::graphql::scalars::{DateTime, Decimal, Period};

/// One revision of a reported indicator value. A correction is a new revision; earlier
/// revisions stay readable.
pub struct IndicatorValue(pub indicator_value::Model);

#[Object]
impl IndicatorValue {
    /// The global id (see `Node`).
    pub async fn id(&self) -> ID {
        crate::graphql::node::id("IndicatorValue", self.0.id)
    }

    /// The indicator reported on.
    async fn indicator(&self, ctx: &Context<'_>) -> async_graphql::Result<Indicator> {
        loader::get::<IndicatorById>(ctx)?
            .load_one(self.0.indicator_id)
            .await?
            .map(Indicator)
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("value without indicator")).into())
    }

    /// The period reported on.
    async fn period(&self) -> Period {
        Period(self.0.period)
    }

    /// 1 for the first report of the period, then 2, 3 … with no gaps.
    async fn revision(&self) -> i32 {
        self.0.revision
    }

    /// The reported number (percentages, quantities, counts); null for yes/no indicators.
    async fn value(&self) -> Option<Decimal> {
        self.0.value.map(Decimal)
    }

    /// The reported answer of a yes/no indicator; null for numeric ones.
    async fn implemented(&self) -> Option<bool> {
        self.0.implemented
    }

    /// SUBMITTED, VERIFIED or REJECTED.
    async fn status(&self) -> ValueStatus {
        self.0.status.into()
    }

    /// The unit that reported it.
    async fn reported_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        match self.0.unit_id {
            None => Ok(None),
            Some(id) => Ok(loader::get::<UnitById>(ctx)?.load_one(id).await?.map(Unit)),
        }
    }

    /// The token subject that reported it.
    async fn reporter(&self) -> &str {
        &self.0.reported_by
    }

    /// When it was reported.
    async fn reported_at(&self) -> DateTime {
        DateTime(self.0.reported_at)
    }

    /// The reporter's note.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// Evidence files attached to this revision (documents, photos), oldest first.
    async fn evidence_files(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::object::EvidenceFile>> {
        let files = loader::get::<crate::graphql::loader::EvidenceOf>(ctx)?
            .load_one(crate::service::evidence::Attachment::Value(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(files.into_iter().map(crate::graphql::object::EvidenceFile).collect())
    }

    /// Evidence: links or document numbers.
    async fn evidence(&self) -> Vec<String> {
        json_strings(&self.0.evidence)
    }

    /// The assessor (token subject) who verified or rejected it.
    async fn reviewed_by(&self) -> Option<&str> {
        self.0.reviewed_by.as_deref()
    }

    /// When it was verified or rejected.
    async fn reviewed_at(&self) -> Option<DateTime> {
        self.0.reviewed_at.map(DateTime)
    }

    /// The assessor's reason (mandatory for a rejection).
    async fn review_reason(&self) -> Option<&str> {
        self.0.review_reason.as_deref()
    }

    /// Whether the viewer may verify or reject this revision now.
    async fn viewer_can_review(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let identity = crate::graphql::context::identity(ctx)?;
        Ok(crate::auth::policy::may_review_value(identity, self.0.status))
    }
}

/// The strings of a JSON array column.
pub fn json_strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default()
}
