//! Exact decimals: targets and reported values are never floats.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::Invalid;

/// Most characters accepted in a decimal's text.
const MAX_DECIMAL_CHARS: usize = 30;

/// An exact decimal number. Parsed only from plain text such as `"26.5"`, `"-3"` or
/// `"100"` (no exponent, no `+`, no spaces) that a 96-bit decimal holds exactly (at most
/// 28 significant digits: `"99.999999999999999999999999999"` is refused, never rounded);
/// displayed without trailing zeros, so `"4.50"` is stored and shown as `"4.5"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "sea-orm", derive(sea_orm::DeriveValueType), sea_orm(value_type = "String"))]
pub struct ExactDecimal(Decimal);

impl FromStr for ExactDecimal {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<ExactDecimal, Invalid> {
        ExactDecimal::parse(s)
    }
}

impl ExactDecimal {
    pub fn parse(s: &str) -> Result<ExactDecimal, Invalid> {
        let bad = || Invalid::new(format!("{s:?} is not a decimal number such as \"26.5\""));
        if s.is_empty() || s.len() > MAX_DECIMAL_CHARS {
            return Err(bad());
        }
        let digits = s.strip_prefix('-').unwrap_or(s);
        let mut parts = digits.splitn(2, '.');
        let int = parts.next().unwrap_or("");
        let frac = parts.next();
        let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
            return Err(bad());
        }
        let d = ExactDecimal(Decimal::from_str(s).map_err(|_| bad())?.normalize());
        // rust_decimal rounds what it cannot hold; a value is taken only when it is exact.
        if d.to_string() != canonical(s) {
            return Err(Invalid::new(format!(
                "{s:?} has more significant digits than can be stored exactly (at most 28)"
            )));
        }
        Ok(d)
    }

    /// `self + other`, or an error instead of an overflow.
    pub fn checked_add(self, other: ExactDecimal) -> Result<ExactDecimal, Invalid> {
        self.0
            .checked_add(other.0)
            .map(ExactDecimal::from_decimal)
            .ok_or_else(|| Invalid::new("the sum is too large to compute exactly"))
    }

    pub fn from_decimal(d: Decimal) -> ExactDecimal {
        ExactDecimal(d.normalize())
    }

    pub fn zero() -> ExactDecimal {
        ExactDecimal(Decimal::ZERO)
    }

    pub fn inner(self) -> Decimal {
        self.0
    }

    pub fn is_integer(self) -> bool {
        self.0.fract().is_zero()
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }
}

/// The text of a plain decimal without redundant zeros and sign: `"-004.500"` → `"-4.5"`,
/// `"-0.0"` → `"0"` (what [`ExactDecimal`]'s display gives for an exact value).
fn canonical(s: &str) -> String {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let mut out = String::new();
    if int.is_empty() && frac.is_empty() {
        return "0".into();
    }
    if negative {
        out.push('-');
    }
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

impl fmt::Display for ExactDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `-0` normalises to "0".
        if self.0.is_zero() {
            return f.write_str("0");
        }
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_values_exact() {
        assert_eq!(ExactDecimal::parse("4.5").unwrap().to_string(), "4.5");
        assert_eq!(ExactDecimal::parse("4.50").unwrap().to_string(), "4.5");
        assert_eq!(ExactDecimal::parse("100").unwrap().to_string(), "100");
        assert_eq!(ExactDecimal::parse("0.1").unwrap().to_string(), "0.1");
        assert_eq!(ExactDecimal::parse("-0").unwrap().to_string(), "0");
        assert!(ExactDecimal::parse("89.9").unwrap() < ExactDecimal::parse("90").unwrap());
    }

    #[test]
    fn refuses_non_numbers() {
        for bad in [
            "",
            "abc",
            "1e3",
            "+1",
            " 1",
            "1 ",
            "1.",
            ".5",
            "1..2",
            "NaN",
            "inf",
            "0x10",
            "1,5",
            "--1",
            "1234567890123456789012345678901",
            "99.999999999999999999999999999",
            "0.00000000000000000000000000001",
            "79228162514264337593543950336",
        ] {
            assert!(ExactDecimal::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn keeps_every_value_it_can_hold_exactly() {
        for ok in [
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "9.999999999999999999999999999",
            "0.0000000000000000000000000001",
            "007.50",
            "-0.000",
        ] {
            let d = ExactDecimal::parse(ok).unwrap();
            assert_eq!(d.to_string(), canonical(ok), "{ok}");
        }
        let max = ExactDecimal::parse("79228162514264337593543950335").unwrap();
        assert!(max.checked_add(max).is_err());
    }

    proptest! {
        #[test]
        fn round_trips(int in -1_000_000i64..1_000_000, frac in 0u32..10_000) {
            let text = format!("{int}.{frac:04}");
            let d = ExactDecimal::parse(&text).unwrap();
            prop_assert_eq!(ExactDecimal::parse(&d.to_string()).unwrap(), d);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = ExactDecimal::parse(&s);
        }

        #[test]
        fn what_is_accepted_is_exact(s in "-?[0-9]{1,20}(\\.[0-9]{1,12})?") {
            if let Ok(d) = ExactDecimal::parse(&s) {
                prop_assert_eq!(d.to_string(), canonical(&s));
            }
        }
    }
}
