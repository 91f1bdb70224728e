//! The years of the plan.

use chrono::{Datelike, NaiveDate};

/// The first year the plan covers: it was issued on 2020-12-31.
pub const FIRST_PLAN_YEAR: i32 = 2021;

/// A year of the plan: from [`FIRST_PLAN_YEAR`] to the current year in the county.
/// Built by [`PlanYear::within_plan`] from input; read back from the database as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[cfg_attr(feature = "sea-orm", derive(sea_orm::DeriveValueType))]
#[serde(transparent)]
pub struct PlanYear(i32);

impl PlanYear {
    /// `year`, if the plan covers it on `today` (county time); `None` otherwise.
    pub fn within_plan(year: i32, today: NaiveDate) -> Option<PlanYear> {
        (FIRST_PLAN_YEAR..=today.year()).contains(&year).then_some(PlanYear(year))
    }

    /// The latest year of the plan on `today`.
    pub fn current(today: NaiveDate) -> PlanYear {
        PlanYear(today.year().max(FIRST_PLAN_YEAR))
    }

    pub fn get(self) -> i32 {
        self.0
    }

    /// The year before, if the plan covers it.
    pub fn previous(self) -> Option<PlanYear> {
        (self.0 > FIRST_PLAN_YEAR).then_some(PlanYear(self.0 - 1))
    }
}

impl std::fmt::Display for PlanYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_plans_years_are_plan_years() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default();
        assert!(PlanYear::within_plan(2020, today).is_none());
        assert_eq!(PlanYear::within_plan(2021, today).map(PlanYear::get), Some(2021));
        assert!(PlanYear::within_plan(2026, today).is_some());
        assert!(PlanYear::within_plan(2027, today).is_none());
        assert_eq!(PlanYear::current(today).get(), 2026);
    }
}
