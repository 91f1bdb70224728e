//! Priming: a list resolver loads, in one batch per relation, what its items' fields will
//! ask for, so the fields hit the request's cache. Batching by timer alone can split a
//! large list over two batches; priming keeps the statement count fixed.

use async_graphql::{Context, Lookahead, Value};

use super::{get, AssignmentsOfTask, CurrentValues, IndicatorsOfTask, TaskById};
use crate::domain::Period;
use crate::service::compliance;
use crate::service::indicators::IndicatorWithConditions;

/// The item selections of a connection field: `edges { node }` and `nodes`.
fn items<'a>(connection: &Lookahead<'a>) -> [Lookahead<'a>; 2] {
    [connection.field("edges").field("node"), connection.field("nodes")]
}

/// The `period` argument of every selection named `field` under `parent`.
fn periods(parent: &Lookahead<'_>, field: &str) -> Vec<Period> {
    let mut out = Vec::new();
    for sf in parent.selection_fields() {
        for f in sf.selection_set().filter(|f| f.name() == field) {
            if let Ok(args) = f.arguments() {
                for (name, value) in args {
                    if let (true, Value::String(s)) = (name.as_str() == "period", value) {
                        // A malformed period is refused by the field itself.
                        if let Ok(p) = Period::parse(&s) {
                            out.push(p);
                        }
                    }
                }
            }
        }
    }
    out
}

/// Loads the current values that `compliance(period)` and `currentValue(period)` of these
/// indicators will ask for.
async fn values_for(
    ctx: &Context<'_>,
    indicator_selection: &Lookahead<'_>,
    indicators: &[&IndicatorWithConditions],
) -> async_graphql::Result<()> {
    let compliance_periods = periods(indicator_selection, "compliance");
    let current_periods = periods(indicator_selection, "currentValue");
    if compliance_periods.is_empty() && current_periods.is_empty() {
        return Ok(());
    }
    let mut keys = Vec::new();
    for ind in indicators {
        let frequency = ind.indicator.frequency;
        for p in &compliance_periods {
            if let Ok(needed) = compliance::periods_to_load(frequency, *p) {
                keys.extend(needed.into_iter().map(|q| (ind.indicator.id, q)));
            }
        }
        keys.extend(current_periods.iter().filter(|p| p.frequency() == frequency).map(|p| (ind.indicator.id, *p)));
    }
    get::<CurrentValues>(ctx)?.load_many(keys).await?;
    Ok(())
}

/// Primes what the items of a page of tasks select.
pub async fn tasks(ctx: &Context<'_>, task_ids: &[i32]) -> async_graphql::Result<()> {
    let look = ctx.look_ahead();
    for node in items(&look) {
        if !node.exists() {
            continue;
        }
        let assignments = async {
            if node.field("assignments").exists() {
                get::<AssignmentsOfTask>(ctx)?.load_many(task_ids.iter().copied()).await?;
            }
            Ok::<_, async_graphql::Error>(())
        };
        let indicators = async {
            let selection = node.field("indicators");
            if selection.exists() {
                let loaded = get::<IndicatorsOfTask>(ctx)?.load_many(task_ids.iter().copied()).await?;
                let all: Vec<&IndicatorWithConditions> = loaded.values().flatten().collect();
                values_for(ctx, &selection, &all).await?;
            }
            Ok::<_, async_graphql::Error>(())
        };
        futures_util::future::try_join(assignments, indicators).await?;
    }
    Ok(())
}

/// Primes what the items of a page of indicators select.
pub async fn indicators(ctx: &Context<'_>, page: &[IndicatorWithConditions]) -> async_graphql::Result<()> {
    let look = ctx.look_ahead();
    for node in items(&look) {
        if !node.exists() {
            continue;
        }
        if node.field("task").exists() {
            get::<TaskById>(ctx)?.load_many(page.iter().map(|i| i.indicator.task_id)).await?;
        }
        let all: Vec<&IndicatorWithConditions> = page.iter().collect();
        values_for(ctx, &node, &all).await?;
    }
    Ok(())
}
