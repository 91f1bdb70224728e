use async_graphql::{Object, SimpleObject};

use crate::graphql::object::{Domain, Unit};
use crate::graphql::scalars::Period;
use crate::service::compliance::{Counts, Summary};

/// How many indicators are MET, NOT_MET or NO_DATA.
#[derive(SimpleObject)]
pub struct ComplianceCounts {
    pub met: i64,
    pub not_met: i64,
    pub no_data: i64,
    pub total: i64,
}

impl From<Counts> for ComplianceCounts {
    fn from(c: Counts) -> Self {
        ComplianceCounts { met: c.met, not_met: c.not_met, no_data: c.no_data, total: c.total() }
    }
}

/// Counts for one domain.
#[derive(SimpleObject)]
pub struct DomainCompliance {
    pub domain: Domain,
    pub counts: ComplianceCounts,
}

/// Counts for one unit (over the indicators of the tasks assigned to it).
#[derive(SimpleObject)]
pub struct UnitCompliance {
    pub unit: Unit,
    pub counts: ComplianceCounts,
}

/// Compliance of the viewer's indicators in a period.
pub struct ComplianceSummary(pub Summary);

#[Object]
impl ComplianceSummary {
    /// The period judged. A year also judges quarterly and monthly indicators over the year.
    async fn period(&self) -> Period {
        Period(self.0.period)
    }

    /// Counts over every indicator judged.
    async fn counts(&self) -> ComplianceCounts {
        self.0.overall.into()
    }

    /// Counts per domain, in the document's order.
    async fn by_domain(&self) -> Vec<DomainCompliance> {
        self.0
            .by_domain
            .iter()
            .map(|(d, c)| DomainCompliance { domain: Domain(d.clone()), counts: (*c).into() })
            .collect()
    }

    /// Counts per unit; an indicator counts for every unit assigned to its task.
    async fn by_unit(&self) -> Vec<UnitCompliance> {
        self.0.by_unit.iter().map(|(u, c)| UnitCompliance { unit: Unit(u.clone()), counts: (*c).into() }).collect()
    }
}
