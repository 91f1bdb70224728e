//! The vocabulary of the work reported against the plan.

/// Where a reported value stands with the assessment office.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    serde::Serialize,
    serde::Deserialize,
)]
#[cfg_attr(feature = "sea-orm", derive(sea_orm::DeriveValueType), sea_orm(value_type = "String"))]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValueStatus {
    /// Reported, not yet reviewed; it counts.
    Submitted,
    /// Confirmed by the assessment office; it counts.
    Verified,
    /// Refused by the assessment office (with a reason); it no longer counts.
    Rejected,
}

impl ValueStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A task's state in a period.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    serde::Serialize,
    serde::Deserialize,
)]
#[cfg_attr(feature = "sea-orm", derive(sea_orm::DeriveValueType), sea_orm(value_type = "String"))]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProgressStatus {
    /// Work has not begun (percent, if given, is 0).
    NotStarted,
    /// Work is under way.
    InProgress,
    /// Work is done (percent, if given, is 100).
    Completed,
    /// Work cannot go on; the summary says why.
    Blocked,
}

impl ProgressStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}
