//! Stable unit codes such as `water_resources_bureau`.

use std::fmt;

use crate::error::AppError;

/// A unit code: 2–64 characters of `a-z`, `0-9` and `_`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(s: &str) -> Result<UnitCode, AppError> {
        let ok = (2..=64).contains(&s.len())
            && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(UnitCode(s.to_string()))
        } else {
            Err(AppError::validation(format!(
                "{s:?} is not a unit code (lowercase letters, digits and _, 2–64 characters)"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_codes_and_refuses_others() {
        assert!(UnitCode::parse("water_resources_bureau").is_ok());
        assert!(UnitCode::parse("zhengzhuang_town2").is_ok());
        for bad in ["", "a", "Water", "1abc", "水务局", "a-b", "a b", &"x".repeat(65)] {
            assert!(UnitCode::parse(bad).is_err(), "{bad:?}");
        }
    }
}
