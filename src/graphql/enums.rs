//! The domain's enumerations as GraphQL enums.
//!
//! The domain crate knows nothing of GraphQL; each enum here mirrors one of its enums
//! (`remote`: async-graphql generates the conversions both ways) with the same names and
//! documentation, which become the schema's descriptions.

use async_graphql::Enum;

/// How a unit is named by a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::plan::AssignmentRole")]
pub enum AssignmentRole {
    /// 责任单位: a unit responsible for the task.
    Responsible,
    /// 牵头单位: the unit that leads the task (task (12)).
    Lead,
}

/// What kind of value an indicator takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::plan::IndicatorKind")]
pub enum IndicatorKind {
    /// A share in percent, between 0 and 100 inclusive (e.g. 林草覆盖率).
    Percentage,
    /// A rate of change in percent, at most 100 and possibly negative (e.g. a decline rate).
    PercentChange,
    /// A non-negative quantity whose unit the plan does not state (e.g. energy use per GDP).
    Quantity,
    /// A whole number of occurrences, 0 or more (e.g. pollution incidents).
    Count,
    /// Yes or no: whether something is done or holds (e.g. an emergency plan is in force).
    YesNo,
}

/// Under which rule the document's words became an indicator (see `Plan.commitmentRules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::plan::Commitment")]
pub enum Commitment {
    /// A number the document states, or the higher authority's target (达, 不低于, 完成上级…目标).
    Target,
    /// A direction of change only (逐年提高, 持续下降, 不减少, 不降低).
    Trend,
    /// Something that must not happen (严禁, 杜绝, 确保无).
    Prohibition,
    /// A state that must hold (不改变, 不明显, 达标排放); yes/no answers read 符合/不符合.
    State,
    /// A named result to produce (制定…计划, 建立…系统); yes/no answers read 已完成/未完成.
    Deliverable,
    /// A named regime or duty to keep in force (严格落实河（湖）长制); yes/no answers read 已落实/未落实.
    Duty,
}

/// Where a setting comes from: the document, or configuration where the document is silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::plan::Source")]
pub enum Source {
    /// The document says so (the accompanying reason quotes it).
    Document,
    /// The document is silent; ecoplan's data or an administrator set it (the reason says why).
    Configured,
}

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::plan::Direction")]
pub enum Direction {
    /// A higher value is better (coverage, utilisation rates).
    HigherIsBetter,
    /// A lower value is better (energy use per GDP, incidents).
    LowerIsBetter,
}

/// How a condition judges a period's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::plan::Comparator")]
pub enum Comparator {
    /// The value is at least the target (不低于, 不小于, 以上).
    AtLeast,
    /// The value is at most the target.
    AtMost,
    /// The value equals the target (达100%).
    Equals,
    /// Strictly higher than the previous period's value (逐年提高).
    Increasing,
    /// Strictly lower than the previous period's value (持续下降).
    Decreasing,
    /// Not lower than the previous period's value (不减少).
    NotDecreasing,
    /// Meets the target the higher authority set for the year (完成上级下达的目标任务); the
    /// target is configuration (`setSuperiorTarget`), judged in the indicator's direction.
    MeetsSuperiorTarget,
    /// Nothing occurred in the period: the reported count is 0 (无…发生).
    NoOccurrence,
    /// Done or in force: the yes/no answer is yes (制定…预案).
    Implemented,
}

/// How often an indicator is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::period::Frequency")]
pub enum Frequency {
    /// Once a year; periods look like `2021`.
    Annual,
    /// Every quarter; periods look like `2021-Q3`.
    Quarterly,
    /// Every month; periods look like `2021-07`.
    Monthly,
}

/// Where a reported value stands with the assessment office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::work::ValueStatus")]
pub enum ValueStatus {
    /// Reported, not yet reviewed; it counts.
    Submitted,
    /// Confirmed by the assessment office; it counts.
    Verified,
    /// Refused by the assessment office (with a reason); it no longer counts.
    Rejected,
}

/// A task's state in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::work::ProgressStatus")]
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

/// The overall result for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::compliance::ComplianceStatus")]
pub enum ComplianceStatus {
    /// Every condition holds.
    Met,
    /// At least one condition fails.
    NotMet,
    /// No condition fails, but at least one cannot be judged: no current value, no previous
    /// period's value for a trend, or no superior target configured for the year.
    NoData,
}

/// 考核等次.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::scoring::Grade")]
pub enum Grade {
    /// 优秀
    Excellent,
    /// 良好
    Good,
    /// 合格
    Pass,
    /// 不合格
    Fail,
}

/// What part of the scheme a breakdown line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::scoring::Component")]
pub enum Component {
    /// An indicator's compliance for the year (subject: the indicator code).
    IndicatorCompliance,
    /// A task's progress for the year (subject: the task number).
    TaskProgress,
    /// Whether an indicator's values were reported on time (subject: the indicator code).
    TimelyReporting,
    /// A deduction for a declined indicator (subject: the indicator code).
    DeclineDeduction,
    /// The score would be below 0: this line brings it back to 0.
    ScoreFloor,
    /// An assessor's adjustment (subject: the adjustment id).
    Adjustment,
    /// The one-vote veto (no points; the grade is 不合格).
    Veto,
}

/// What a token may do; see the roles table in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::access::Role")]
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

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::sync::ChangeKind")]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::sync::ChangeOperation")]
pub enum ChangeOperation {
    /// Created or updated: fetch or apply the current state.
    Upsert,
    /// Rejected or removed: it no longer counts.
    Tombstone,
}

/// Where a unit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::plan::UnitOrigin")]
pub enum UnitOrigin {
    /// Named by the plan document.
    Plan,
    /// Created by an administrator (configuration), e.g. a township government.
    Configuration,
}

/// Where a period's report stands in the reporting calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::service::calendar::DueStatus")]
pub enum DueStatus {
    /// The period has not ended: nothing is due yet.
    Upcoming,
    /// The period has ended and the deadline has not passed: due now.
    Open,
    /// Reported before the deadline.
    OnTime,
    /// Reported, after the deadline.
    Late,
    /// The deadline has passed and nothing that counts was reported.
    Overdue,
}

/// Why a row of an import was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::service::import::RowCode")]
pub enum ImportRowCode {
    /// The row could not be read (not valid CSV, or not valid text in the file's encoding).
    UnreadableRow,
    /// A cell the row needs is empty.
    MissingCell,
    /// No indicator has the code.
    UnknownIndicator,
    /// The indicator belongs to tasks outside the import's scope (another unit's).
    OutOfScope,
    /// Not a period such as 2022, 2022-Q3 or 2022-07.
    InvalidPeriod,
    /// A period of another granularity than the indicator's frequency.
    WrongGranularity,
    /// A period that has not begun.
    FuturePeriod,
    /// Not a number (or an error value such as #DIV/0!).
    NotANumber,
    /// A number the indicator's kind does not admit (e.g. a percentage above 100).
    OutOfRange,
    /// Not 是/否 (yes/no).
    NotYesNo,
    /// A cell holds a formula; imports take entered values only.
    Formula,
    /// The same indicator and period as an earlier row.
    DuplicateRow,
    /// A note longer than allowed.
    TextTooLong,
    /// The expected revision is not a whole number of 0 or more.
    InvalidRevision,
    /// The expected revision is not the current one (someone reported since).
    StaleRevision,
    /// The row breaks another rule of reports (the message says which).
    InvalidValue,
}
