//! Bounded free text (notes, summaries, evidence, reasons).

use crate::error::AppError;

/// Trims `s` and checks it is non-empty and at most `max_chars` characters.
pub fn bounded(field: &str, s: &str, max_chars: usize) -> Result<String, AppError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(AppError::validation(format!("{field} must not be empty")));
    }
    let n = t.chars().count();
    if n > max_chars {
        return Err(AppError::validation(format!("{field} is {n} characters long; at most {max_chars} are accepted")));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(AppError::validation(format!("{field} contains control characters")));
    }
    Ok(t.to_string())
}

/// Like [`bounded`] for an optional field; an empty string counts as absent.
pub fn optional_bounded(field: &str, s: Option<&str>, max_chars: usize) -> Result<Option<String>, AppError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => bounded(field, t, max_chars).map(Some),
    }
}

/// Evidence: at most `max_items` entries of at most `max_chars` characters each.
pub fn evidence(items: &[String], max_items: usize, max_chars: usize) -> Result<Vec<String>, AppError> {
    if items.len() > max_items {
        return Err(AppError::validation(format!(
            "{} evidence entries given; at most {max_items} are accepted",
            items.len()
        )));
    }
    items.iter().map(|e| bounded("evidence entry", e, max_chars)).collect()
}
