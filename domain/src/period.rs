//! Reporting periods: a year (`2021`), a quarter (`2021-Q3`) or a month (`2021-07`).

use std::fmt;

use chrono::NaiveDate;

use crate::Invalid;

/// How often an indicator is reported.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    serde::Serialize,
    serde::Deserialize,
)]
#[cfg_attr(feature = "sea-orm", derive(sea_orm::DeriveValueType), sea_orm(value_type = "String"))]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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

/// What a period spans, to match on ([`Period::span`]). Building one builds no period:
/// only [`Period`]'s constructors do, and they check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Span {
    Year(i32),
    Quarter(i32, u8),
    Month(i32, u8),
}

/// A reporting period: a year from 2000 to 2100, a quarter 1–4 or a month 1–12 of one.
/// Built by [`Period::parse`], [`Period::of_year`] or [`Period::year`]; its `Display` is
/// canonical (`2021`, `2021-Q3`, `2021-07`), and that is how it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "sea-orm", derive(sea_orm::DeriveValueType), sea_orm(value_type = "String"))]
pub struct Period(Span);

impl Period {
    /// The year of a plan year (always a valid period).
    pub fn of_year(year: crate::PlanYear) -> Period {
        Period(Span::Year(year.get()))
    }

    /// A year, checked.
    pub fn year_of(year: i32) -> Result<Period, Invalid> {
        if (MIN_YEAR..=MAX_YEAR).contains(&year) {
            Ok(Period(Span::Year(year)))
        } else {
            Err(Invalid::new(format!("the year must be between {MIN_YEAR} and {MAX_YEAR}, not {year}")))
        }
    }

    /// A quarter (1–4) of a year, checked.
    pub fn quarter(year: i32, quarter: u8) -> Result<Period, Invalid> {
        Period::year_of(year)?;
        if (1..=4).contains(&quarter) {
            Ok(Period(Span::Quarter(year, quarter)))
        } else {
            Err(Invalid::new(format!("a quarter is 1 to 4, not {quarter}")))
        }
    }

    /// A month (1–12) of a year, checked.
    pub fn month(year: i32, month: u8) -> Result<Period, Invalid> {
        Period::year_of(year)?;
        if (1..=12).contains(&month) {
            Ok(Period(Span::Month(year, month)))
        } else {
            Err(Invalid::new(format!("a month is 1 to 12, not {month}")))
        }
    }

    /// What the period spans.
    pub fn span(self) -> Span {
        self.0
    }

    /// Parses `2021`, `2021-Q3` or `2021-07` (exactly these shapes).
    pub fn parse(s: &str) -> Result<Period, Invalid> {
        let bad =
            || Invalid::new(format!("period {s:?} is not a year (2021), a quarter (2021-Q3) or a month (2021-07)"));
        let bytes = s.as_bytes();
        if bytes.len() < 4 || !bytes[..4].iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        let year: i32 = s[..4].parse().map_err(|_| bad())?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(Invalid::new(format!("period {s:?}: the year must be between {MIN_YEAR} and {MAX_YEAR}")));
        }
        let rest = &s[4..];
        let period = if rest.is_empty() {
            Span::Year(year)
        } else if let Some(q) = rest.strip_prefix("-Q") {
            match q {
                "1" | "2" | "3" | "4" => Span::Quarter(year, q.parse().map_err(|_| bad())?),
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
            Span::Month(year, month)
        } else {
            return Err(bad());
        };
        Ok(Period(period))
    }

    pub fn frequency(self) -> Frequency {
        match self.0 {
            Span::Year(_) => Frequency::Annual,
            Span::Quarter(..) => Frequency::Quarterly,
            Span::Month(..) => Frequency::Monthly,
        }
    }

    /// The calendar year the period falls in.
    pub fn calendar_year(self) -> i32 {
        match self.0 {
            Span::Year(y) | Span::Quarter(y, _) | Span::Month(y, _) => y,
        }
    }

    /// The period just before this one, of the same frequency (a year's is one year back,
    /// even before 2000: periods are compared, never stored, that far back).
    pub fn previous(self) -> Period {
        Period(match self.0 {
            Span::Year(y) => Span::Year(y - 1),
            Span::Quarter(y, 1) => Span::Quarter(y - 1, 4),
            Span::Quarter(y, q) => Span::Quarter(y, q - 1),
            Span::Month(y, 1) => Span::Month(y - 1, 12),
            Span::Month(y, m) => Span::Month(y, m - 1),
        })
    }

    /// The period just after this one, of the same frequency.
    pub fn next(self) -> Period {
        Period(match self.0 {
            Span::Year(y) => Span::Year(y + 1),
            Span::Quarter(y, 4) => Span::Quarter(y + 1, 1),
            Span::Quarter(y, q) => Span::Quarter(y, q + 1),
            Span::Month(y, 12) => Span::Month(y + 1, 1),
            Span::Month(y, m) => Span::Month(y, m + 1),
        })
    }

    /// The first day after the period.
    pub fn end(self) -> NaiveDate {
        self.next().start()
    }

    /// The first day of the period.
    pub fn start(self) -> NaiveDate {
        let (y, m) = match self.0 {
            Span::Year(y) => (y, 1),
            Span::Quarter(y, q) => (y, u32::from(q - 1) * 3 + 1),
            Span::Month(y, m) => (y, u32::from(m)),
        };
        // Year, month and day are validated by construction.
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Whether the period has not begun by `today` (reports for it are refused).
    pub fn is_future(self, today: NaiveDate) -> bool {
        self.start() > today
    }

    /// The periods of `frequency` that fall in the calendar year of this period, in order.
    pub fn all_in_year(self, frequency: Frequency) -> Vec<Period> {
        let year = self.calendar_year();
        match frequency {
            Frequency::Annual => vec![Period(Span::Year(year))],
            Frequency::Quarterly => (1..=4).map(|q| Period(Span::Quarter(year, q))).collect(),
            Frequency::Monthly => (1..=12).map(|m| Period(Span::Month(year, m))).collect(),
        }
    }
}

/// The county's offset from UTC: China Standard Time, UTC+8, no daylight saving. The one
/// statement of the county's time; every date and time shown or judged in it comes from
/// the functions below.
const COUNTY_UTC_OFFSET_SECONDS: i64 = 8 * 3600;

/// A moment as the county's wall-clock time.
pub fn county_time(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    at.naive_utc() + chrono::Duration::seconds(COUNTY_UTC_OFFSET_SECONDS)
}

/// Today's date in the county: a period that has not begun there is in the future.
pub fn today_in_county(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    county_time(now).date()
}

/// The moment a day begins in the county (its midnight).
pub fn county_midnight(day: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    let local = day.and_time(chrono::NaiveTime::MIN);
    chrono::DateTime::from_naive_utc_and_offset(
        local - chrono::Duration::seconds(COUNTY_UTC_OFFSET_SECONDS),
        chrono::Utc,
    )
}

impl serde::Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Period::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for Period {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Period, Invalid> {
        Period::parse(s)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Span::Year(y) => write!(f, "{y}"),
            Span::Quarter(y, q) => write!(f, "{y}-Q{q}"),
            Span::Month(y, m) => write!(f, "{y}-{m:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_three_shapes() {
        assert_eq!(Period::parse("2021").unwrap(), Period::year_of(2021).unwrap());
        assert_eq!(Period::parse("2021-Q3").unwrap(), Period::quarter(2021, 3).unwrap());
        assert_eq!(Period::parse("2021-07").unwrap(), Period::month(2021, 7).unwrap());
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
        assert_eq!(Period::quarter(2021, 1).unwrap().previous(), Period::quarter(2020, 4).unwrap());
        assert_eq!(Period::month(2021, 1).unwrap().previous(), Period::month(2020, 12).unwrap());
        assert_eq!(Period::year_of(2021).unwrap().previous(), Period::year_of(2020).unwrap());
    }

    #[test]
    fn constructors_check_what_they_build() {
        assert!(Period::quarter(2021, 7).is_err());
        assert!(Period::month(2021, 13).is_err());
        assert!(Period::year_of(1999).is_err());
        assert_eq!(Period::quarter(2021, 3).unwrap().span(), Span::Quarter(2021, 3));
    }

    #[test]
    fn future_means_not_begun() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert!(!Period::year_of(2026).unwrap().is_future(today));
        assert!(Period::year_of(2027).unwrap().is_future(today));
        assert!(!Period::quarter(2026, 4).unwrap().is_future(today));
        assert!(Period::month(2026, 12).unwrap().is_future(today));
    }

    proptest! {
        #[test]
        fn display_round_trips(y in 2000i32..=2100, q in 1u8..=4, m in 1u8..=12) {
            for p in [Period::year_of(y).unwrap(), Period::quarter(y, q).unwrap(), Period::month(y, m).unwrap()] {
                prop_assert_eq!(Period::parse(&p.to_string()).unwrap(), p);
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,12}") {
            let _ = Period::parse(&s);
        }

        #[test]
        fn previous_is_one_step_back(y in 2001i32..=2100, q in 1u8..=4, m in 1u8..=12) {
            for p in [Period::year_of(y).unwrap(), Period::quarter(y, q).unwrap(), Period::month(y, m).unwrap()] {
                let prev = p.previous();
                prop_assert!(prev < p);
                prop_assert_eq!(prev.frequency(), p.frequency());
                prop_assert!(prev.start() < p.start());
            }
        }
    }
}
