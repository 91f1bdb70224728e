//! The vocabulary of the change feed.

/// What changed.
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
pub enum ChangeKind {
    /// A revision of an indicator value (reported, verified or rejected).
    Value,
    /// A version of a task's progress.
    Progress,
    Task,
    Indicator,
    Unit,
    /// A unit joined or left a group.
    GroupMembership,
    /// A superior target was set.
    SuperiorTarget,
}

/// How it changed.
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
pub enum ChangeOperation {
    /// Created or updated: fetch or apply the current state.
    Upsert,
    /// Rejected or removed: it no longer counts.
    Tombstone,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl ChangeOperation {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}
