use async_graphql::{Context, Object};
use entity::{plan, plan_text};

use crate::service::catalog::Rule;

use crate::graphql::context;
use crate::graphql::object::{Domain, Section};
use crate::graphql::scalars::Date;

/// The work plan: 沁水县巩固提升国家生态文明建设示范县创建成果工作方案.
pub struct Plan(pub plan::Model);

#[Object]
impl Plan {
    /// The global id (see `Node`).
    pub async fn id(&self) -> async_graphql::ID {
        crate::graphql::node::id("Plan", &self.0.code)
    }

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

    /// The rest of the document, verbatim and in its order: the notice that issued the plan
    /// (recipients, body, signature, date), the preamble, 一、指导思想, 二、总体目标, the four
    /// 保障措施 and the distribution list (抄送).
    async fn text(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PlanText>> {
        context::identity(ctx)?;
        Ok(context::catalog(ctx)?.text.iter().cloned().map(PlanText).collect())
    }

    /// The rules by which the document's words were read into indicators, one per kind of
    /// commitment, plus EFFORT (words that became no indicator), in Chinese and English.
    async fn commitment_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CommitmentRule>> {
        context::identity(ctx)?;
        Ok(context::catalog(ctx)?.rules.iter().cloned().map(CommitmentRule).collect())
    }

    /// The ten sections in the document's order.
    async fn sections(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Section>> {
        context::identity(ctx)?;
        Ok(context::catalog(ctx)?.sections.iter().cloned().map(Section).collect())
    }
}

/// A part of the document other than its tasks, verbatim.
pub struct PlanText(pub plan_text::Model);

#[Object]
impl PlanText {
    /// Stable key: `notice_recipients`, `notice_body`, `notice_signature`, `notice_date`,
    /// `notice_publication`, `preamble`, `guiding_ideology`, `overall_goal`,
    /// `safeguard_organization`, `safeguard_coordination`, `safeguard_accountability`,
    /// `safeguard_publicity`, `copied_to`, `also_to`.
    async fn key(&self) -> &str {
        &self.0.key
    }

    /// The heading as printed, e.g. 一、指导思想; null for parts without one.
    async fn heading(&self) -> Option<&str> {
        self.0.heading.as_deref()
    }

    /// The text, verbatim (page breaks mended).
    async fn text(&self) -> &str {
        &self.0.text
    }
}

/// A rule for reading the document's words into indicators.
pub struct CommitmentRule(pub Rule);

#[Object]
impl CommitmentRule {
    /// TARGET, TREND, PROHIBITION, STATE, DELIVERABLE, DUTY (the values of `Commitment`),
    /// or EFFORT for words that became no indicator.
    async fn kind(&self) -> &str {
        &self.0.kind
    }

    /// The rule in Chinese.
    async fn zh(&self) -> &str {
        &self.0.zh
    }

    /// The rule in English.
    async fn en(&self) -> &str {
        &self.0.en
    }
}
