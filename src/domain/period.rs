//! Reporting periods: a year (`2021`), a quarter (`2021-Q3`) or a month (`2021-07`).

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::error::AppError;

/// How often an indicator is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Frequency {
    /// Once a year; periods look like `2021`.
    Annual,
    /// Every quarter; periods look like `2021-Q3`.
    Quarterly,
    /// Every month; periods look like `2021-07`.
    Monthly,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Earliest and latest years a period may name.
const MIN_YEAR: i32 = 2000;
const MAX_YEAR: i32 = 2100;

/// A reporting period. Construct it with [`Period::parse`]; its `Display` is canonical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Year(i32),
    Quarter(i32, u8),
    Month(i32, u8),
}

impl Period {
    /// Parses `2021`, `2021-Q3` or `2021-07` (exactly these shapes).
    pub fn parse(s: &str) -> Result<Period, AppError> {
        let bad = || {
            AppError::validation(format!("period {s:?} is not a year (2021), a quarter (2021-Q3) or a month (2021-07)"))
        };
        let bytes = s.as_bytes();
        if bytes.len() < 4 || !bytes[..4].iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        let year: i32 = s[..4].parse().map_err(|_| bad())?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(AppError::validation(format!(
                "period {s:?}: the year must be between {MIN_YEAR} and {MAX_YEAR}"
            )));
        }
        let rest = &s[4..];
        let period = if rest.is_empty() {
            Period::Year(year)
        } else if let Some(q) = rest.strip_prefix("-Q") {
            match q {
                "1" | "2" | "3" | "4" => Period::Quarter(year, q.parse().map_err(|_| bad())?),
                _ => return Err(bad()),
            }
        } else if let Some(m) = rest.strip_prefix('-') {
            if m.len() != 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let month: u8 = m.parse().map_err(|_| bad())?;
            if !(1..=12).contains(&month) {
                return Err(bad());
            }
            Period::Month(year, month)
        } else {
            return Err(bad());
        };
        Ok(period)
    }

    pub fn frequency(self) -> Frequency {
        match self {
            Period::Year(_) => Frequency::Annual,
            Period::Quarter(..) => Frequency::Quarterly,
            Period::Month(..) => Frequency::Monthly,
        }
    }

    pub fn year(self) -> i32 {
        match self {
            Period::Year(y) | Period::Quarter(y, _) | Period::Month(y, _) => y,
        }
    }

    /// The period just before this one, of the same frequency.
    pub fn previous(self) -> Period {
        match self {
            Period::Year(y) => Period::Year(y - 1),
            Period::Quarter(y, 1) => Period::Quarter(y - 1, 4),
            Period::Quarter(y, q) => Period::Quarter(y, q - 1),
            Period::Month(y, 1) => Period::Month(y - 1, 12),
            Period::Month(y, m) => Period::Month(y, m - 1),
        }
    }

    /// The period just after this one, of the same frequency.
    pub fn next(self) -> Period {
        match self {
            Period::Year(y) => Period::Year(y + 1),
            Period::Quarter(y, 4) => Period::Quarter(y + 1, 1),
            Period::Quarter(y, q) => Period::Quarter(y, q + 1),
            Period::Month(y, 12) => Period::Month(y + 1, 1),
            Period::Month(y, m) => Period::Month(y, m + 1),
        }
    }

    /// The first day after the period.
    pub fn end(self) -> NaiveDate {
        self.next().start()
    }

    /// The first day of the period.
    pub fn start(self) -> NaiveDate {
        let (y, m) = match self {
            Period::Year(y) => (y, 1),
            Period::Quarter(y, q) => (y, u32::from(q - 1) * 3 + 1),
            Period::Month(y, m) => (y, u32::from(m)),
        };
        // Year, month and day are validated by construction.
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Whether the period has not begun by `today` (reports for it are refused).
    pub fn is_future(self, today: NaiveDate) -> bool {
        self.start() > today
    }

    /// The periods of `frequency` that fall in `year`, in order.
    pub fn all_in_year(year: i32, frequency: Frequency) -> Vec<Period> {
        match frequency {
            Frequency::Annual => vec![Period::Year(year)],
            Frequency::Quarterly => (1..=4).map(|q| Period::Quarter(year, q)).collect(),
            Frequency::Monthly => (1..=12).map(|m| Period::Month(year, m)).collect(),
        }
    }

    /// The period of `frequency` that contains `date`.
    pub fn containing(date: NaiveDate, frequency: Frequency) -> Period {
        let y = date.year();
        match frequency {
            Frequency::Annual => Period::Year(y),
            Frequency::Quarterly => Period::Quarter(y, (date.month0() / 3 + 1) as u8),
            Frequency::Monthly => Period::Month(y, date.month() as u8),
        }
    }
}

/// Today's date in the county (China Standard Time, UTC+8, no daylight saving): a period
/// that has not begun there is in the future.
pub fn today_in_county(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    match chrono::FixedOffset::east_opt(8 * 3600) {
        Some(cst) => now.with_timezone(&cst).date_naive(),
        None => now.date_naive(),
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Quarter(y, q) => write!(f, "{y}-Q{q}"),
            Period::Month(y, m) => write!(f, "{y}-{m:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_three_shapes() {
        assert_eq!(Period::parse("2021").unwrap(), Period::Year(2021));
        assert_eq!(Period::parse("2021-Q3").unwrap(), Period::Quarter(2021, 3));
        assert_eq!(Period::parse("2021-07").unwrap(), Period::Month(2021, 7));
    }

    #[test]
    fn refuses_malformed_periods() {
        for bad in [
            "",
            "21",
            "2021-Q5",
            "2021-Q0",
            "2021-13",
            "2021-00",
            "2021-7",
            "2021-q3",
            " 2021",
            "2021 ",
            "1999",
            "2101",
            "2021-Q",
            "20211",
            "２０２１",
            "2021-Q3x",
            "+2021",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn previous_crosses_years() {
        assert_eq!(Period::Quarter(2021, 1).previous(), Period::Quarter(2020, 4));
        assert_eq!(Period::Month(2021, 1).previous(), Period::Month(2020, 12));
        assert_eq!(Period::Year(2021).previous(), Period::Year(2020));
    }

    #[test]
    fn future_means_not_begun() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert!(!Period::Year(2026).is_future(today));
        assert!(Period::Year(2027).is_future(today));
        assert!(!Period::Quarter(2026, 4).is_future(today));
        assert!(Period::Month(2026, 12).is_future(today));
    }

    proptest! {
        #[test]
        fn display_round_trips(y in 2000i32..=2100, q in 1u8..=4, m in 1u8..=12) {
            for p in [Period::Year(y), Period::Quarter(y, q), Period::Month(y, m)] {
                prop_assert_eq!(Period::parse(&p.to_string()).unwrap(), p);
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,12}") {
            let _ = Period::parse(&s);
        }

        #[test]
        fn previous_is_one_step_back(y in 2001i32..=2100, q in 1u8..=4, m in 1u8..=12) {
            for p in [Period::Year(y), Period::Quarter(y, q), Period::Month(y, m)] {
                let prev = p.previous();
                prop_assert!(prev < p);
                prop_assert_eq!(prev.frequency(), p.frequency());
                prop_assert!(prev.start() < p.start());
            }
        }
    }
}
