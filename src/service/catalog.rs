//! The plan's fixed structure (plan, domains, sections, the document's other text, the
//! reading rules and former indicator codes), read once at start.
//!
//! These rows come only from the seed migrations and no API writes them, so every instance
//! can hold the same copy without going back to the database on each request.

use anyhow::Context;
use std::collections::HashMap;

use entity::{domain, indicator_code_alias, plan, plan_text, section};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::db::Db;

/// The plan with its domains and sections.
#[derive(Debug, Clone)]
pub struct PlanCatalog {
    pub plan: plan::Model,
    pub domains: Vec<domain::Model>,
    pub sections: Vec<section::Model>,
    /// The document's text other than its tasks, in order.
    pub text: Vec<plan_text::Model>,
    /// How the document's words were read into indicators.
    pub rules: Vec<Rule>,
    /// Indicator id → its former codes.
    former_codes: HashMap<i32, Vec<String>>,
}

/// A rule for reading the document's words into indicators (or into none).
#[derive(Debug, Clone)]
pub struct Rule {
    /// A `Commitment` name, or EFFORT.
    pub kind: String,
    pub zh: String,
    pub en: String,
}

impl PlanCatalog {
    pub async fn load(db: &Db) -> anyhow::Result<PlanCatalog> {
        let plan = plan::Entity::find()
            .order_by_asc(plan::Column::Id)
            .one(&db.conn)
            .await
            .context("cannot read the plan")?
            .context("the database holds no plan; run `ecoplan migrate`")?;
        let domains = domain::Entity::find()
            .order_by_asc(domain::Column::Position)
            .all(&db.conn)
            .await
            .context("cannot read the domains")?;
        let sections = section::Entity::find()
            .order_by_asc(section::Column::Number)
            .all(&db.conn)
            .await
            .context("cannot read the sections")?;
        let text = plan_text::Entity::find()
            .filter(plan_text::Column::PlanId.eq(plan.id))
            .order_by_asc(plan_text::Column::Position)
            .all(&db.conn)
            .await
            .context("cannot read the plan's text")?;
        let mut former_codes: HashMap<i32, Vec<String>> = HashMap::new();
        for alias in indicator_code_alias::Entity::find()
            .order_by_asc(indicator_code_alias::Column::Code)
            .all(&db.conn)
            .await
            .context("cannot read former indicator codes")?
        {
            former_codes.entry(alias.indicator_id).or_default().push(alias.code);
        }
        let rules = migration::Completion::load()
            .context("the plan's reading rules")?
            .rules
            .into_iter()
            .map(|r| Rule { kind: r.commitment, zh: r.zh, en: r.en })
            .collect();
        Ok(PlanCatalog { plan, domains, sections, text, rules, former_codes })
    }

    /// The codes an indicator had before they were corrected.
    pub fn former_codes(&self, indicator_id: i32) -> &[String] {
        self.former_codes.get(&indicator_id).map(Vec::as_slice).unwrap_or_default()
    }

    pub fn domain(&self, id: i32) -> Option<&domain::Model> {
        self.domains.iter().find(|d| d.id == id)
    }

    pub fn domain_by_code(&self, code: &str) -> Option<&domain::Model> {
        self.domains.iter().find(|d| d.code == code)
    }

    pub fn section(&self, id: i32) -> Option<&section::Model> {
        self.sections.iter().find(|s| s.id == id)
    }

    pub fn section_by_number(&self, number: i32) -> Option<&section::Model> {
        self.sections.iter().find(|s| s.number == number)
    }

    pub fn sections_of_domain(&self, domain_id: i32) -> impl Iterator<Item = &section::Model> {
        self.sections.iter().filter(move |s| s.domain_id == domain_id)
    }
}
