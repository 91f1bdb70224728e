//! Bounded free text (notes, summaries, evidence, reasons).

use crate::Invalid;

/// Unicode's bidirectional formatting characters: embeddings, overrides, isolates and
/// marks. In free text they can make a note or an evidence reference display differently
/// from its stored characters (CVE-2021-42574, "Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Trims `s` and checks it is non-empty and at most `max_chars` characters.
pub fn bounded(field: &str, s: &str, max_chars: usize) -> Result<String, Invalid> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Invalid::new(format!("{field} must not be empty")));
    }
    let n = t.chars().count();
    if n > max_chars {
        return Err(Invalid::new(format!("{field} is {n} characters long; at most {max_chars} are accepted")));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Invalid::new(format!("{field} contains control characters")));
    }
    if t.chars().any(is_bidi_control) {
        return Err(Invalid::new(format!(
            "{field} contains bidirectional control characters (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), which can make text read differently from what it says"
        )));
    }
    Ok(t.to_string())
}

/// Like [`bounded`] for an optional field; an empty string counts as absent.
pub fn optional_bounded(field: &str, s: Option<&str>, max_chars: usize) -> Result<Option<String>, Invalid> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => bounded(field, t, max_chars).map(Some),
    }
}

/// Evidence: at most `max_items` entries of at most `max_chars` characters each.
pub fn evidence(items: &[String], max_items: usize, max_chars: usize) -> Result<Vec<String>, Invalid> {
    if items.len() > max_items {
        return Err(Invalid::new(format!("{} evidence entries given; at most {max_items} are accepted", items.len())));
    }
    items.iter().map(|e| bounded("evidence entry", e, max_chars)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidirectional_controls_are_refused_and_chinese_is_not() {
        assert!(bounded("note", "沁水县 2022 年报告", 100).is_ok());
        for bad in ["a\u{202E}gnp.exe", "\u{2066}x\u{2069}", "x\u{200F}", "\u{061C}"] {
            assert!(bounded("note", bad, 100).is_err(), "{bad:?}");
        }
        assert!(bounded("note", "a\u{0007}", 100).is_err(), "other controls too");
    }
}
