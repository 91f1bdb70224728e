use async_graphql::{Context, Object};
use entity::plan;

use crate::graphql::context;
use crate::graphql::object::{Domain, Section};
use crate::graphql::scalars::Date;

/// The work plan: 沁水县巩固提升国家生态文明建设示范县创建成果工作方案.
pub struct Plan(pub plan::Model);

#[Object]
impl Plan {
    /// Stable code of the plan, e.g. `qinshui-2020-65`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Title as in the document.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Document number, e.g. 沁政办发〔2020〕65号.
    async fn document_number(&self) -> &str {
        &self.0.document_number
    }

    /// Issuing office, e.g. 沁水县人民政府办公室.
    async fn issuer(&self) -> &str {
        &self.0.issuer
    }

    /// Date of issue.
    async fn issued_on(&self) -> Date {
        Date(self.0.issued_on)
    }

    /// The administrative region, 沁水县.
    async fn region(&self) -> &str {
        &self.0.region
    }

    /// The region's administrative division code, 140521.
    async fn region_code(&self) -> &str {
        &self.0.region_code
    }

    /// The six domains (领域) in the document's order.
    async fn domains(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Domain>> {
        context::identity(ctx)?;
        Ok(context::catalog(ctx)?.domains.iter().cloned().map(Domain).collect())
    }

    /// The ten sections in the document's order.
    async fn sections(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Section>> {
        context::identity(ctx)?;
        Ok(context::catalog(ctx)?.sections.iter().cloned().map(Section).collect())
    }
}
