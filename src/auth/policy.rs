//! Every authorization rule of ecoplan, in one place.
//!
//! Resolvers and services ask these functions; nothing else compares roles. The same
//! functions answer the `viewerCan…` fields, so a client never has to copy the rules.

use crate::auth::{Identity, Role};
use crate::error::{AppError, AppResult};

/// Which tasks (and so which indicators, values and progress) an identity may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskScope {
    /// Every task.
    All,
    /// Only tasks assigned to one of these units (the department and its groups).
    AssignedTo(Vec<i32>),
}

impl TaskScope {
    /// Whether a task assigned to `assigned_unit_ids` is inside the scope.
    pub fn covers(&self, assigned_unit_ids: &[i32]) -> bool {
        match self {
            TaskScope::All => true,
            TaskScope::AssignedTo(units) => assigned_unit_ids.iter().any(|u| units.contains(u)),
        }
    }
}

/// The units whose tasks a unit answers for: itself and every group it belongs to (the
/// plan assigns some tasks to a group, such as 各乡镇人民政府, and each member township
/// carries them). The single statement of this rule; the SQL in `service::tasks`
/// (`tasks_of_unit_condition`, `tasks_of_units`) is its set-based form, and
/// `tests/api/scoping.rs` checks the two agree on the seeded plan.
pub fn acting_units(unit_id: i32, group_ids: &[i32]) -> Vec<i32> {
    let mut ids = Vec::with_capacity(1 + group_ids.len());
    ids.push(unit_id);
    ids.extend(group_ids.iter().copied().filter(|g| *g != unit_id));
    ids
}

/// The tasks `identity` may read. Plan metadata (plan, domains, sections) and the unit
/// directory are readable by every role and need no scope.
pub fn task_scope(identity: &Identity) -> TaskScope {
    match identity.role {
        Role::Admin | Role::Assessor | Role::Integration => TaskScope::All,
        Role::Department => TaskScope::AssignedTo(identity.acting_unit_ids()),
    }
}

/// A direct lookup of one task (or of an indicator of it) outside the scope is FORBIDDEN.
pub fn authorize_task_read(identity: &Identity, assigned_unit_ids: &[i32]) -> AppResult<()> {
    if task_scope(identity).covers(assigned_unit_ids) {
        Ok(())
    } else {
        Err(AppError::forbidden("this task is not assigned to your unit"))
    }
}

/// Whether a record (a reported value, a progress entry) of a task with these units is
/// visible to `identity`. One that is not must look exactly like one that does not exist
/// (NOT_FOUND with the same message), so that ids reveal nothing; plan structure (tasks
/// and indicators by number and code) is a public document and answers FORBIDDEN instead.
pub fn record_visible(identity: &Identity, assigned_unit_ids: &[i32]) -> bool {
    task_scope(identity).covers(assigned_unit_ids)
}

/// Whether `identity` may report values and progress on a task with these units: only a
/// department, only on its own tasks (or its groups' tasks).
pub fn may_report_on_task(identity: &Identity, assigned_unit_ids: &[i32]) -> bool {
    identity.role == Role::Department && task_scope(identity).covers(assigned_unit_ids)
}

pub fn authorize_report_on_task(identity: &Identity, assigned_unit_ids: &[i32]) -> AppResult<()> {
    match identity.role {
        Role::Department if may_report_on_task(identity, assigned_unit_ids) => Ok(()),
        Role::Department => Err(AppError::forbidden("this task is not assigned to your unit")),
        _ => Err(AppError::forbidden("only the departments assigned to a task report on it")),
    }
}

/// Evidence files are attached by a department that reports on the task, to its own
/// unit's reports; they are read under the scope of the record they belong to.
pub fn authorize_attach_evidence(
    identity: &Identity,
    assigned_unit_ids: &[i32],
    record_unit_id: Option<i32>,
) -> AppResult<()> {
    match identity.role {
        Role::Department if record_unit_id.is_some_and(|u| identity.unit_id() != Some(u)) => {
            Err(AppError::forbidden("a department attaches evidence to its own unit's reports only"))
        }
        Role::Department if may_report_on_task(identity, assigned_unit_ids) => Ok(()),
        Role::Department => Err(AppError::forbidden("this task is not assigned to your unit")),
        _ => Err(AppError::forbidden("only the departments assigned to a task attach evidence to its reports")),
    }
}

/// Verifying and rejecting reported values is the assessment office's work.
pub fn may_review_values(identity: &Identity) -> bool {
    identity.role == Role::Assessor
}

/// Whether `identity` may verify or reject this revision now: the assessment office, and
/// only a revision not yet rejected (a rejected one no longer counts and stays so).
pub fn may_review_value(identity: &Identity, status: crate::domain::ValueStatus) -> bool {
    may_review_values(identity) && status != crate::domain::ValueStatus::Rejected
}

pub fn authorize_review_values(identity: &Identity) -> AppResult<()> {
    if may_review_values(identity) {
        Ok(())
    } else {
        Err(AppError::forbidden("only the assessment office verifies or rejects values"))
    }
}

/// Configuration (units, group members, superior targets) is the admin's.
pub fn may_configure(identity: &Identity) -> bool {
    identity.role == Role::Admin
}

pub fn authorize_configure(identity: &Identity) -> AppResult<()> {
    if may_configure(identity) {
        Ok(())
    } else {
        Err(AppError::forbidden("only an administrator changes configuration"))
    }
}

/// An administrator revokes any token; every caller may revoke its own (sign out).
pub fn authorize_revoke_token(identity: &Identity, jti: &str) -> AppResult<()> {
    if identity.role == Role::Admin || identity.token_id == jti {
        Ok(())
    } else {
        Err(AppError::forbidden("only an administrator revokes another token"))
    }
}

/// Introspection (`__schema`, `__type`): only where it is on and, when roles are named,
/// for those roles.
pub fn authorize_introspection(role: Role, enabled: bool, roles: &[Role]) -> AppResult<()> {
    if !enabled {
        Err(AppError::forbidden("introspection is disabled in this environment"))
    } else if !roles.is_empty() && !roles.contains(&role) {
        Err(AppError::forbidden(format!("introspection is not open to the {} role here", role.as_str())))
    } else {
        Ok(())
    }
}

/// A viewer (`Viewer`, the caller as its token says) is visible to that token only.
pub fn may_read_viewer(identity: &Identity, token_id: &str) -> bool {
    identity.token_id == token_id
}

/// Download links are for people in a browser; a machine client (integration) sends its
/// bearer token to `/export` itself.
pub fn authorize_export_link(identity: &Identity) -> AppResult<()> {
    if identity.role == Role::Integration {
        Err(AppError::forbidden(
            "download links are for people in a browser; an integration client sends its bearer token to /export",
        ))
    } else {
        Ok(())
    }
}

/// Prometheus metrics are for operators (admin) and monitoring systems (integration).
pub fn may_read_metrics(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Integration)
}

/// Whether a role may run only the persisted operations of the allow-list (the roles
/// configured in `ECOPLAN_PERSISTED_ONLY_ROLES`), on every transport.
pub fn bound_to_persisted_operations(role: Role, restricted: &[Role]) -> bool {
    restricted.contains(&role)
}

/// A token id (`jti`) names a credential: an administrator sees every one, anyone else
/// only its own (an audit event about another token shows no id).
pub fn may_see_token_id(identity: &Identity, jti: &str) -> bool {
    identity.role == Role::Admin || identity.token_id == jti
}

/// Which audit events an identity may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditScope {
    All,
    /// Events about this unit's data or done by this unit.
    Unit(i32),
}

pub fn audit_scope(identity: &Identity) -> AppResult<AuditScope> {
    match (identity.role, identity.unit_id()) {
        (Role::Admin | Role::Assessor, _) => Ok(AuditScope::All),
        (Role::Department, Some(unit)) => Ok(AuditScope::Unit(unit)),
        _ => Err(AppError::forbidden("the audit log is not available to this role")),
    }
}

/// Whose assessments an identity may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssessmentScope {
    All,
    /// Only this unit's own assessments.
    Unit(i32),
}

impl AssessmentScope {
    /// Whether the scope covers this unit's assessment.
    pub fn covers(&self, unit_id: i32) -> bool {
        match self {
            AssessmentScope::All => true,
            AssessmentScope::Unit(own) => *own == unit_id,
        }
    }
}

/// Assessments are read by administrators and the assessment office, and by a department
/// for its own unit; integration tokens read none (scores are not indicator data).
pub fn assessment_scope(identity: &Identity) -> AppResult<AssessmentScope> {
    match (identity.role, identity.unit_id()) {
        (Role::Admin | Role::Assessor, _) => Ok(AssessmentScope::All),
        (Role::Department, Some(unit)) => Ok(AssessmentScope::Unit(unit)),
        _ => Err(AppError::forbidden("assessments are not available to this role")),
    }
}

/// FORBIDDEN unless the identity may read this unit's assessment.
pub fn authorize_assessment_read(identity: &Identity, unit_id: i32) -> AppResult<()> {
    if assessment_scope(identity)?.covers(unit_id) {
        Ok(())
    } else {
        Err(AppError::forbidden("a department reads only its own assessment"))
    }
}

/// Whose reporting calendar: with no unit, the caller's scope; a unit's (its tasks and its
/// groups') for the roles that read every task, and for a department its own only.
pub fn calendar_scope(identity: &Identity, unit: Option<(i32, &[i32])>) -> AppResult<TaskScope> {
    match unit {
        None => Ok(task_scope(identity)),
        Some((id, _)) if identity.role == Role::Department && identity.unit.as_ref().map(|u| u.id) != Some(id) => {
            Err(AppError::forbidden("a department sees only its own reporting calendar"))
        }
        Some((id, groups)) => Ok(TaskScope::AssignedTo(acting_units(id, groups))),
    }
}

/// What a bulk import may write: the tasks whose indicators its rows may name, and the
/// unit the values are reported for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportScope {
    pub tasks: TaskScope,
    /// The reporting unit (none: an administrator's county-wide import).
    pub unit_id: Option<i32>,
}

/// A department imports its own unit's values (its tasks and its groups'); an
/// administrator imports for a unit it names (that unit's tasks) or for the whole county;
/// no other role imports.
pub fn import_scope(identity: &Identity, unit: Option<(i32, &[i32])>) -> AppResult<ImportScope> {
    match (identity.role, unit) {
        (Role::Department, None) => match &identity.unit {
            Some(own) => Ok(ImportScope { tasks: task_scope(identity), unit_id: Some(own.id) }),
            None => Err(AppError::forbidden("a department token without a unit imports nothing")),
        },
        (Role::Department, Some((id, _))) if identity.unit.as_ref().map(|u| u.id) != Some(id) => {
            Err(AppError::forbidden("a department imports only its own unit's values"))
        }
        (Role::Department, Some(_)) => import_scope(identity, None),
        (Role::Admin, None) => Ok(ImportScope { tasks: TaskScope::All, unit_id: None }),
        (Role::Admin, Some((id, groups))) => {
            Ok(ImportScope { tasks: TaskScope::AssignedTo(acting_units(id, groups)), unit_id: Some(id) })
        }
        _ => Err(AppError::forbidden("only departments and administrators import values")),
    }
}

/// An import's receipt (and its refused rows) is read by administrators and the assessment
/// office, and by a department when the import was its own unit's.
pub fn may_read_import_run(identity: &Identity, run_unit_id: Option<i32>) -> bool {
    match identity.role {
        Role::Admin | Role::Assessor => true,
        Role::Department => run_unit_id.is_some() && identity.unit_id() == run_unit_id,
        Role::Integration => false,
    }
}

/// The scoring scheme is set by an administrator or the assessment office.
pub fn authorize_set_scoring_scheme(identity: &Identity) -> AppResult<()> {
    match identity.role {
        Role::Admin | Role::Assessor => Ok(()),
        _ => Err(AppError::forbidden("only an administrator or the assessment office sets the scoring scheme")),
    }
}

/// Adjusting and finalizing scores is the assessment office's work.
pub fn authorize_assess(identity: &Identity) -> AppResult<()> {
    if identity.role == Role::Assessor {
        Ok(())
    } else {
        Err(AppError::forbidden("only the assessment office adjusts and finalizes assessments"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::UnitRef;

    fn who(role: Role, unit: Option<i32>, groups: Vec<i32>) -> Identity {
        Identity {
            subject: "t".into(),
            role,
            unit: unit.map(|id| UnitRef { id, code: format!("u{id}") }),
            group_ids: groups,
            token_id: "j".into(),
            expires_at: None,
        }
    }

    #[test]
    fn a_unit_acts_for_itself_and_its_groups() {
        assert_eq!(acting_units(3, &[]), vec![3]);
        assert_eq!(acting_units(3, &[22, 23]), vec![3, 22, 23]);
        assert_eq!(acting_units(3, &[3, 22]), vec![3, 22], "no unit twice");
        assert_eq!(who(Role::Department, Some(3), vec![22]).acting_unit_ids(), vec![3, 22]);
        assert!(who(Role::Admin, None, vec![]).acting_unit_ids().is_empty());
    }

    #[test]
    fn departments_see_their_own_and_their_groups_tasks() {
        let d = who(Role::Department, Some(3), vec![22]);
        assert!(authorize_task_read(&d, &[3, 9]).is_ok());
        assert!(authorize_task_read(&d, &[22]).is_ok());
        assert!(matches!(authorize_task_read(&d, &[4]), Err(AppError::Forbidden(_))));
    }

    #[test]
    fn readers_see_everything_but_write_nothing() {
        for role in [Role::Admin, Role::Assessor, Role::Integration] {
            let r = who(role, None, vec![]);
            assert_eq!(task_scope(&r), TaskScope::All);
            assert!(!may_report_on_task(&r, &[1]));
        }
        assert!(!may_review_values(&who(Role::Integration, None, vec![])));
        assert!(!may_configure(&who(Role::Assessor, None, vec![])));
        assert!(audit_scope(&who(Role::Integration, None, vec![])).is_err());
    }

    #[test]
    fn only_the_assessment_office_reviews_and_not_a_rejected_revision() {
        use crate::domain::ValueStatus;
        let assessor = who(Role::Assessor, None, vec![]);
        assert!(may_review_value(&assessor, ValueStatus::Submitted));
        assert!(may_review_value(&assessor, ValueStatus::Verified));
        assert!(!may_review_value(&assessor, ValueStatus::Rejected));
        assert!(!may_review_value(&who(Role::Admin, None, vec![]), ValueStatus::Submitted));
    }

    #[test]
    fn a_department_reads_its_own_assessment_only() {
        let d = who(Role::Department, Some(3), vec![22]);
        assert!(assessment_scope(&d).unwrap().covers(3));
        assert!(!assessment_scope(&d).unwrap().covers(22), "not its group's");
        assert!(authorize_assessment_read(&d, 4).is_err());
        assert!(assessment_scope(&who(Role::Assessor, None, vec![])).unwrap().covers(4));
        assert!(assessment_scope(&who(Role::Integration, None, vec![])).is_err());
    }

    #[test]
    fn records_of_other_units_are_invisible() {
        let d = who(Role::Department, Some(3), vec![22]);
        assert!(record_visible(&d, &[3]));
        assert!(record_visible(&d, &[22]));
        assert!(!record_visible(&d, &[4]));
        assert!(record_visible(&who(Role::Integration, None, vec![]), &[4]));
    }

    #[test]
    fn token_ids_are_shown_to_admins_and_to_their_own_token_only() {
        let admin = who(Role::Admin, None, vec![]);
        let dept = who(Role::Department, Some(3), vec![]);
        assert!(may_see_token_id(&admin, "other"));
        assert!(may_see_token_id(&dept, "j"), "its own");
        assert!(!may_see_token_id(&dept, "other"));
        assert!(!may_see_token_id(&who(Role::Assessor, None, vec![]), "other"));
    }

    #[test]
    fn persisted_only_roles_are_bound_to_the_list() {
        assert!(bound_to_persisted_operations(Role::Integration, &[Role::Integration]));
        assert!(!bound_to_persisted_operations(Role::Admin, &[Role::Integration]));
        assert!(!bound_to_persisted_operations(Role::Integration, &[]));
    }

    #[test]
    fn departments_report_only_on_their_tasks() {
        let d = who(Role::Department, Some(3), vec![]);
        assert!(may_report_on_task(&d, &[3]));
        assert!(!may_report_on_task(&d, &[4]));
        assert!(!may_review_values(&d));
    }
}
