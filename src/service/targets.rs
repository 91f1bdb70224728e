//! Superior targets: what a higher authority set for a MEETS_SUPERIOR_TARGET indicator in a
//! year. Configuration an administrator enters, not plan content. The current-values
//! statement of `values` reads the same row (the target of the period's calendar year) in
//! its own query, so the dashboard needs no statement more.

use entity::{indicator, superior_target};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set};
use serde_json::json;

use crate::db::Db;
use crate::domain::{text, ChangeKind, ChangeOperation, Comparator, ExactDecimal, IndicatorCode};
use crate::error::{AppError, AppResult};
use crate::service::write::{Record, Write};
use crate::service::{indicators, Actor};

fn target_json(t: &superior_target::Model, code: &IndicatorCode) -> serde_json::Value {
    json!({ "indicator": code, "year": t.year, "target": t.target, "source": t.source })
}

/// Sets (or replaces) the target the higher authority set for an indicator in a year.
#[tracing::instrument(skip_all, fields(indicator = %indicator.code, year = year))]
pub async fn set(
    db: &Db,
    actor: Actor<'_>,
    indicator: &indicator::Model,
    year: i32,
    target: ExactDecimal,
    source: Option<&str>,
) -> AppResult<superior_target::Model> {
    if !(2000..=2100).contains(&year) {
        return Err(AppError::validation("year must be between 2000 and 2100"));
    }
    let source = text::optional_bounded("source", source, 500)?;
    let write = Write::begin(db).await?;
    let tx = write.tx();
    let with_conditions = indicators::get_indicator(tx, indicator.code.as_str()).await?;
    let has_condition = indicators::parsed_conditions(&with_conditions.conditions)
        .iter()
        .any(|(c, _)| *c == Comparator::MeetsSuperiorTarget);
    if !has_condition {
        return Err(AppError::validation(format!(
            "{} has no MEETS_SUPERIOR_TARGET condition; the document sets its target itself",
            indicator.code
        )));
    }
    indicator.kind.check_value(target)?;
    let existing = superior_target::Entity::find()
        .filter(superior_target::Column::IndicatorId.eq(indicator.id))
        .filter(superior_target::Column::Year.eq(year))
        .one(tx)
        .await?;
    let now = crate::clock::now();
    let stored = match &existing {
        Some(e) => {
            let mut am: superior_target::ActiveModel = e.clone().into();
            am.target = Set(target);
            am.source = Set(source);
            am.set_by = Set(actor.identity.subject.clone());
            am.set_at = Set(now);
            am.update(tx).await?
        }
        None => {
            superior_target::ActiveModel {
                id: NotSet,
                indicator_id: Set(indicator.id),
                year: Set(year),
                target: Set(target),
                source: Set(source),
                set_by: Set(actor.identity.subject.clone()),
                set_at: Set(now),
            }
            .insert(tx)
            .await?
        }
    };
    let record = Record::new("superior_target.set", "superior_target", format!("{}/{year}", indicator.code))
        .before(existing.as_ref().map(|e| target_json(e, &indicator.code)))
        .after(Some(target_json(&stored, &indicator.code)))
        .change(ChangeKind::SuperiorTarget, ChangeOperation::Upsert, i64::from(stored.id), Some(indicator.task_id));
    write.commit(actor, record).await?;
    Ok(stored)
}

/// The superior target of an indicator for a year, if configured.
pub async fn of_indicator(
    db: &impl ConnectionTrait,
    indicator_id: i32,
    year: i32,
) -> AppResult<Option<superior_target::Model>> {
    Ok(superior_target::Entity::find()
        .filter(superior_target::Column::IndicatorId.eq(indicator_id))
        .filter(superior_target::Column::Year.eq(year))
        .one(db)
        .await?)
}

/// The superior targets of some indicators for a year, by indicator id.
pub async fn of_year(
    db: &impl ConnectionTrait,
    indicator_ids: &[i32],
    year: i32,
) -> AppResult<std::collections::HashMap<i32, ExactDecimal>> {
    Ok(superior_target::Entity::find()
        .filter(superior_target::Column::Year.eq(year))
        .filter(superior_target::Column::IndicatorId.is_in(indicator_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.indicator_id, t.target))
        .collect())
}
