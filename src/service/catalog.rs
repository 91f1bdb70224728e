//! The plan's fixed structure (plan, domains, sections), read once at start.
//!
//! These rows come only from the seed migration and no API writes them, so every instance
//! can hold the same copy without going back to the database on each request.

use anyhow::Context;
use entity::{domain, plan, section};
use sea_orm::{EntityTrait, QueryOrder};

use crate::db::Db;

/// The plan with its domains and sections.
#[derive(Debug, Clone)]
pub struct PlanCatalog {
    pub plan: plan::Model,
    pub domains: Vec<domain::Model>,
    pub sections: Vec<section::Model>,
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
        Ok(PlanCatalog { plan, domains, sections })
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
