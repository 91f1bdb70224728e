//! Who may do what: the roles a token carries.

use serde::{Deserialize, Serialize};

/// What a token may do; see the roles table in the README.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
)]
#[cfg_attr(feature = "sea-orm", derive(sea_orm::DeriveValueType), sea_orm(value_type = "String"))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE", ascii_case_insensitive)]
pub enum Role {
    /// The county government office: configuration, units, tokens; reads everything.
    Admin,
    /// The performance-assessment office (县考核办): reads everything, verifies values, scores units.
    Assessor,
    /// A county department: its own tasks, indicators and reports only.
    Department,
    /// A municipal system: reads plan and indicator data, writes nothing.
    Integration,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}
