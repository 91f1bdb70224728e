//! Stable codes: of units (`water_resources_bureau`) and of indicators
//! (`straw_utilization_rate`).

use std::fmt;

use crate::Invalid;

/// Whether `s` has the shape of a code: 2–64 characters of `a-z`, `0-9` and `_`, starting
/// with a letter.
fn is_code(s: &str) -> bool {
    (2..=64).contains(&s.len())
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A code type: a checked string with `parse`, `as_str`, `Display` and `FromStr` (so it is
/// stored as text by the entities).
macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "sea-orm", derive(sea_orm::DeriveValueType), sea_orm(value_type = "String"))]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<$name, Invalid> {
                if is_code(s) {
                    Ok($name(s.to_string()))
                } else {
                    Err(Invalid::new(format!(
                        concat!("{:?} is not ", $what, " (lowercase letters, digits and _, 2–64 characters)"),
                        s
                    )))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Invalid;
            fn from_str(s: &str) -> Result<$name, Invalid> {
                $name::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

code_type!(
    /// A unit code, e.g. `water_resources_bureau`.
    UnitCode,
    "a unit code"
);

code_type!(
    /// An indicator code, e.g. `straw_utilization_rate`.
    IndicatorCode,
    "an indicator code"
);

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
