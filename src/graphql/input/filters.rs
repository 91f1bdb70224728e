use async_graphql::InputObject;

use crate::service;

/// Narrows a list of tasks; every given part must match.
#[derive(Debug, Clone, Default, InputObject)]
pub struct TaskFilter {
    /// Only tasks of this domain (`institutions`, `security`, `space`, `economy`, `living`, `culture`).
    pub domain_code: Option<String>,
    /// Only tasks of this section (1–10).
    pub section_number: Option<i32>,
    /// Only tasks of this unit: assigned to it or to a group it belongs to.
    pub unit_code: Option<String>,
    /// Only these task numbers.
    pub numbers: Option<Vec<i32>>,
}

impl From<TaskFilter> for service::tasks::TaskFilter {
    fn from(f: TaskFilter) -> Self {
        service::tasks::TaskFilter {
            domain_code: f.domain_code,
            section_number: f.section_number,
            unit_code: f.unit_code,
            numbers: f.numbers,
        }
    }
}

/// Narrows a list of indicators; every given part must match.
#[derive(Debug, Clone, Default, InputObject)]
pub struct IndicatorFilter {
    /// Only indicators of tasks in this domain.
    pub domain_code: Option<String>,
    /// Only indicators of tasks in this section (1–10).
    pub section_number: Option<i32>,
    /// Only indicators of this unit's tasks.
    pub unit_code: Option<String>,
    /// Only indicators of this task.
    pub task_number: Option<i32>,
    /// Only indicators of this kind.
    pub kind: Option<crate::graphql::enums::IndicatorKind>,
}

impl From<IndicatorFilter> for service::indicators::IndicatorFilter {
    fn from(f: IndicatorFilter) -> Self {
        service::indicators::IndicatorFilter {
            tasks: service::tasks::TaskFilter {
                domain_code: f.domain_code,
                section_number: f.section_number,
                unit_code: f.unit_code,
                numbers: f.task_number.map(|n| vec![n]),
            },
            kind: f.kind.map(Into::into),
        }
    }
}
