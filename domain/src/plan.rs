//! The vocabulary of the plan: how indicators are measured and judged.

use crate::ExactDecimal;
use crate::Invalid;

/// How a unit is named by a task.
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
pub enum AssignmentRole {
    /// 责任单位: a unit responsible for the task.
    Responsible,
    /// 牵头单位: the unit that leads the task (task (12)).
    Lead,
}

/// What kind of value an indicator takes.
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

impl IndicatorKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether reports carry `value` (numeric) rather than `implemented` (yes/no).
    pub fn is_numeric(self) -> bool {
        !matches!(self, IndicatorKind::YesNo)
    }

    /// Checks that a numeric value is admissible for this kind.
    pub fn check_value(self, v: ExactDecimal) -> Result<(), Invalid> {
        let hundred = ExactDecimal::parse("100")?;
        match self {
            IndicatorKind::Percentage if v.is_negative() || v > hundred => {
                Err(Invalid::new(format!("{v} is not a percentage between 0 and 100")))
            }
            IndicatorKind::PercentChange if v > hundred => {
                Err(Invalid::new(format!("{v} is not a rate of change of at most 100 percent")))
            }
            IndicatorKind::Quantity if v.is_negative() => {
                Err(Invalid::new(format!("{v} is negative; the quantity must be 0 or more")))
            }
            IndicatorKind::Count if v.is_negative() || !v.is_integer() => {
                Err(Invalid::new(format!("{v} is not a count (a whole number, 0 or more)")))
            }
            IndicatorKind::YesNo => Err(Invalid::new("this is a yes/no indicator: report `implemented`, not `value`")),
            _ => Ok(()),
        }
    }
}

/// Which way is better.
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
pub enum Direction {
    /// A higher value is better (coverage, utilisation rates).
    HigherIsBetter,
    /// A lower value is better (energy use per GDP, incidents).
    LowerIsBetter,
}

/// How a condition judges a period's value.
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

impl Comparator {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Under which rule the document's words became an indicator: what kind of commitment it
/// is. It decides how a yes/no answer reads (已完成, 已落实, 符合) and is stated with each
/// indicator, so a reader can check the reading of the document against the rule.
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
pub enum Commitment {
    /// A number the document states, or the higher authority's target (达, 不低于, 完成上级…目标).
    Target,
    /// A direction of change only (逐年提高, 持续下降, 不减少, 不降低).
    Trend,
    /// Something that must not happen (严禁, 杜绝, 确保无).
    Prohibition,
    /// A state that must hold (不改变, 不明显, 达标排放).
    State,
    /// A named result to produce (制定…计划, 建立…系统, 建设…污水处理厂).
    Deliverable,
    /// A named regime or duty to keep in force (严格落实河（湖）长制, 依法开展规划环评).
    Duty,
}

impl Commitment {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// How a yes/no answer reads for this kind of commitment: (yes, no).
    pub fn answer_words(self) -> (&'static str, &'static str) {
        match self {
            Commitment::Deliverable => ("已完成", "未完成"),
            Commitment::Duty => ("已落实", "未落实"),
            Commitment::State => ("符合", "不符合"),
            Commitment::Target | Commitment::Trend | Commitment::Prohibition => ("是", "否"),
        }
    }

    /// What an IMPLEMENTED condition asks, in words.
    pub fn implemented_target(self) -> &'static str {
        match self {
            Commitment::Deliverable => "完成",
            Commitment::Duty => "落实",
            Commitment::State => "符合",
            Commitment::Target | Commitment::Trend | Commitment::Prohibition => "是",
        }
    }
}

/// Where a setting of the plan comes from: the document's words, or configuration where the
/// document is silent (the API says which, with the reason).
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
pub enum Source {
    /// The document says so (the reason quotes it).
    Document,
    /// The document is silent; ecoplan's data or an administrator set it (the reason says why).
    Configured,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Where a unit comes from.
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
pub enum UnitOrigin {
    /// Named by the plan document.
    Plan,
    /// Created by an administrator (configuration), e.g. a township government.
    Configuration,
}

impl UnitOrigin {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl AssignmentRole {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[cfg(test)]
mod commitment_tests {
    use super::*;

    #[test]
    fn yes_no_answers_read_as_the_commitment_asks() {
        assert_eq!(Commitment::Deliverable.answer_words(), ("已完成", "未完成"));
        assert_eq!(Commitment::Duty.answer_words(), ("已落实", "未落实"));
        assert_eq!(Commitment::State.answer_words(), ("符合", "不符合"));
        assert_eq!(Commitment::State.implemented_target(), "符合");
        assert_eq!("DELIVERABLE".parse::<Commitment>().unwrap(), Commitment::Deliverable);
        assert_eq!(Source::Configured.as_str(), "CONFIGURED");
    }
}
