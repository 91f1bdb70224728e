use async_graphql::{InputObject, ID};

use crate::graphql::scalars::{DateTime, Decimal, Period};

/// A report of one indicator for one period.
#[derive(Debug, Clone, InputObject)]
pub struct ReportIndicatorValueInput {
    /// The indicator, e.g. `straw_utilization_rate`.
    pub indicator_code: String,
    /// A period of the indicator's frequency, not in the future.
    pub period: Period,
    /// The number, for percentages (0–100), rates of change, quantities (≥ 0) and counts
    /// (whole numbers ≥ 0). Exactly one of `value` and `implemented`.
    pub value: Option<Decimal>,
    /// The answer, for yes/no indicators.
    pub implemented: Option<bool>,
    /// A note (at most the configured length, 2,000 characters by default).
    pub note: Option<String>,
    /// Evidence: links or document numbers (by default at most 20 of 500 characters).
    pub evidence: Option<Vec<String>>,
    /// The current revision this report is based on (0 when there is none yet). When given
    /// and stale, the report fails with CONFLICT and writes nothing.
    pub expected_revision: Option<i32>,
    /// A key of the client's (e.g. a UUID) that makes a retry safe: the same report sent
    /// again with the same key (after a timeout, or an UNAVAILABLE answer) is stored once,
    /// and the retry is answered with the revision the first one stored. Keys belong to the
    /// token's subject, are kept for 7 days, and a key reused for a different report is a
    /// CONFLICT.
    pub idempotency_key: Option<String>,
}

/// The assessment office's confirmation of a revision.
#[derive(Debug, Clone, InputObject)]
pub struct VerifyIndicatorValueInput {
    /// The revision's `id`.
    pub value_id: ID,
    /// An optional remark.
    pub reason: Option<String>,
}

/// The assessment office's refusal of a revision.
#[derive(Debug, Clone, InputObject)]
pub struct RejectIndicatorValueInput {
    /// The revision's `id`.
    pub value_id: ID,
    /// Why (mandatory).
    pub reason: String,
}

/// A progress update of one task for one period.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateTaskProgressInput {
    /// The task number, 1–29.
    pub task_number: i32,
    /// The period (a year, quarter or month), not in the future.
    pub period: Period,
    pub status: crate::graphql::enums::ProgressStatus,
    /// Percent done, 0–100 (0 for NOT_STARTED, 100 for COMPLETED when given).
    pub percent: Option<Decimal>,
    /// What was done, or why the task is blocked (required for BLOCKED).
    pub summary: Option<String>,
    /// Evidence: links or document numbers.
    pub evidence: Option<Vec<String>>,
    /// The latest version this update is based on (0 when there is none yet). When given
    /// and stale, the update fails with CONFLICT and writes nothing.
    pub expected_version: Option<i32>,
    /// A key of the client's that makes a retry safe (see `ReportIndicatorValueInput`).
    pub idempotency_key: Option<String>,
}

/// The target a higher authority set for an indicator in a year.
#[derive(Debug, Clone, InputObject)]
pub struct SetSuperiorTargetInput {
    /// An indicator with a MEETS_SUPERIOR_TARGET condition.
    pub indicator_code: String,
    pub year: i32,
    /// The target, judged in the indicator's direction.
    pub target: Decimal,
    /// Where it comes from (e.g. the superior document's number).
    pub source: Option<String>,
}

/// A reporting frequency set by an administrator where the document states none.
#[derive(Debug, Clone, InputObject)]
pub struct SetIndicatorFrequencyInput {
    pub indicator_code: String,
    pub frequency: crate::graphql::enums::Frequency,
    /// Why (kept as the frequency's basis and in the audit trail), e.g. the city's reporting rules.
    pub reason: String,
}

/// A group and one of its (would-be) members.
#[derive(Debug, Clone, InputObject)]
pub struct GroupMemberInput {
    /// The group, e.g. `township_governments`.
    pub group_code: String,
    /// The member unit, e.g. a township government created with `createUnit`.
    pub member_code: String,
}

impl GroupMemberInput {
    /// The group's and the member's codes, checked.
    pub fn codes(&self) -> Result<(crate::domain::UnitCode, crate::domain::UnitCode), crate::error::AppError> {
        Ok((crate::domain::UnitCode::parse(&self.group_code)?, crate::domain::UnitCode::parse(&self.member_code)?))
    }
}

/// A new unit.
#[derive(Debug, Clone, InputObject)]
pub struct CreateUnitInput {
    /// Stable code: lowercase letters, digits and _, e.g. `zhengzhuang_town`.
    pub code: String,
    /// Name, e.g. 郑庄镇人民政府.
    pub name: String,
    /// Groups to join at once, e.g. `["township_governments"]`.
    pub group_codes: Option<Vec<String>>,
}

/// Narrows the audit trail.
#[derive(Debug, Clone, Default, InputObject)]
pub struct AuditEventFilter {
    /// e.g. `indicator_value.report`.
    pub action: Option<String>,
    /// e.g. `indicator_value`.
    pub target_type: Option<String>,
    /// A token subject.
    pub actor_subject: Option<String>,
    /// Events at or after this time.
    pub since: Option<DateTime>,
    /// Events before this time.
    pub until: Option<DateTime>,
}

/// A new version of a year's scoring scheme; fields left out keep the current values.
#[derive(Debug, Clone, InputObject)]
pub struct SetScoringSchemeInput {
    pub year: i32,
    /// With `progressPoints` and `timelinessPoints`, sums to 100.
    pub indicator_points: Option<Decimal>,
    pub progress_points: Option<Decimal>,
    pub timeliness_points: Option<Decimal>,
    /// Points deducted per declined indicator.
    pub decline_deduction: Option<Decimal>,
    /// One-vote veto on a breached NO_OCCURRENCE condition.
    pub veto_on_occurrence: Option<bool>,
    /// Share (0–1) of a task's points for IN_PROGRESS without a percent.
    pub in_progress_share: Option<Decimal>,
    /// Days after a period's end within which a report is on time (0–366).
    pub reporting_grace_days: Option<u32>,
    pub excellent_from: Option<Decimal>,
    pub good_from: Option<Decimal>,
    pub pass_from: Option<Decimal>,
    /// Why the scheme changes (kept with the version).
    pub note: Option<String>,
}

/// An assessor's adjustment of a unit's score.
#[derive(Debug, Clone, InputObject)]
pub struct AdjustAssessmentInput {
    pub unit_code: String,
    pub year: i32,
    /// Points to add (negative to subtract); the score must stay within 0–100.
    pub points: Decimal,
    /// Why (mandatory).
    pub reason: String,
}

/// The year to finalize.
#[derive(Debug, Clone, InputObject)]
pub struct FinalizeAssessmentsInput {
    pub year: i32,
}

/// Narrows a year's assessments.
#[derive(Debug, Clone, Default, InputObject)]
pub struct AssessmentFilter {
    /// Only this grade.
    pub grade: Option<crate::graphql::enums::Grade>,
    /// Only units whose scores are tied with another's.
    pub tied: Option<bool>,
}

/// A download to make a browser link for.
#[derive(Debug, Clone, InputObject)]
pub struct CreateExportLinkInput {
    /// `values`, `self-evaluation`, `import-template` or `import-errors`, as `.csv` or
    /// `.xlsx` (e.g. `values.xlsx`).
    pub file: String,
    /// For `values.*`: the period.
    pub period: Option<Period>,
    /// For `self-evaluation.*` and `import-template.*`: the year.
    pub year: Option<i32>,
    /// For `import-errors.*`: the import's `id`.
    pub run: Option<ID>,
}

/// A token to revoke.
#[derive(Debug, Clone, InputObject)]
pub struct RevokeTokenInput {
    /// The token's id (`jti`, also `me { tokenId }`).
    pub token_id: String,
    /// Why (kept in the audit trail).
    pub reason: Option<String>,
}

/// A spreadsheet of indicator values to import (the import template, filled in).
#[derive(InputObject)]
pub struct ImportIndicatorValuesInput {
    /// The file, as a GraphQL multipart request sends it: CSV (UTF-8 with or without a BOM,
    /// or GB18030) or XLSX, decided by its content.
    pub file: async_graphql::Upload,
    /// An administrator's import for one unit (only its tasks' indicators); a department's
    /// import is always its own unit's (naming another unit is FORBIDDEN).
    pub unit_code: Option<String>,
    /// Check and count; store nothing.
    #[graphql(default = false)]
    pub dry_run: bool,
    /// Store the valid rows even when others are refused (default: one refused row stores
    /// nothing).
    #[graphql(default = false)]
    pub valid_rows_only: bool,
}

/// A file to attach as evidence to exactly one value revision or progress version.
#[derive(InputObject)]
pub struct AttachEvidenceFileInput {
    /// The value revision's `id`.
    pub value_id: Option<ID>,
    /// The progress version's `id`.
    pub progress_id: Option<ID>,
    /// The file (PDF, OFD, JPEG, PNG, DOCX or XLSX, decided by its content; at most the
    /// configured size, 20 MB by default).
    pub file: async_graphql::Upload,
}
