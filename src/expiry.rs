//! Secret lifetimes and expiry status.
//!
//! Lifetimes are the portal's presets plus a parser for the scripting twin (`180d`, `6m`,
//! `12m`, `24m`, `1y`, `never`, `YYYY-MM-DD`). `m` means calendar months, never minutes.
//! Status bands (`expired`, `≤ 7 days`, `≤ 30 days`, `≤ 90 days`, `ok`) drive colour and words.

use std::fmt;

use chrono::{DateTime, Days, Months, NaiveDate, TimeZone, Utc};

/// What the portal sends for "Never" (and what the portal stopped offering).
pub fn never_end() -> DateTime<Utc> {
    // 2299-12-31T23:59:59Z is a valid date; the literal cannot fail.
    Utc.with_ymd_and_hms(2299, 12, 31, 23, 59, 59)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A lifetime as the user chose it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    Days(u32),
    Months(u32),
    /// An explicit end date (end of that day is not implied: midnight UTC at the start of it
    /// would surprise; we use 23:59:59 UTC of that date).
    Until(NaiveDate),
    Never,
}

/// The portal's choices, in the portal's order, with the recommended one first.
pub const PRESETS: [(Lifetime, &str); 5] = [
    (Lifetime::Days(180), "Recommended: 180 days (6 months)"),
    (Lifetime::Days(90), "90 days (3 months)"),
    (Lifetime::Days(365), "365 days (12 months)"),
    (Lifetime::Days(545), "545 days (18 months)"),
    (Lifetime::Days(730), "730 days (24 months)"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifetimeError {
    #[error(
        "'{0}' is not a lifetime: use Nd (days), Nm (calendar months), Ny (years), 'never' or a date YYYY-MM-DD"
    )]
    Unrecognised(String),
    #[error("the lifetime must be at least one day")]
    Zero,
    #[error("{0} is not in the future")]
    NotInFuture(NaiveDate),
    #[error("the lifetime is too long: the end would be after 2299-12-31")]
    TooLong,
}

impl Lifetime {
    /// Parse `180d`, `6m`, `6mo`, `2y`, `never`, `2027-05-31`.
    pub fn parse(s: &str) -> Result<Self, LifetimeError> {
        let t = s.trim().to_ascii_lowercase();
        if t == "never" {
            return Ok(Lifetime::Never);
        }
        if let Ok(d) = NaiveDate::parse_from_str(&t, "%Y-%m-%d") {
            return Ok(Lifetime::Until(d));
        }
        let split = t
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| LifetimeError::Unrecognised(s.to_owned()))?;
        let (num, unit) = t.split_at(split);
        let n: u32 = num
            .parse()
            .map_err(|_| LifetimeError::Unrecognised(s.to_owned()))?;
        if n == 0 {
            return Err(LifetimeError::Zero);
        }
        match unit {
            "d" => Ok(Lifetime::Days(n)),
            "m" | "mo" => Ok(Lifetime::Months(n)),
            "y" => n
                .checked_mul(12)
                .map(Lifetime::Months)
                .ok_or(LifetimeError::TooLong),
            _ => Err(LifetimeError::Unrecognised(s.to_owned())),
        }
    }

    /// The `endDateTime` to send for a secret starting at `start`.
    pub fn end_from(self, start: DateTime<Utc>) -> Result<DateTime<Utc>, LifetimeError> {
        let end = match self {
            Lifetime::Never => return Ok(never_end()),
            Lifetime::Days(n) => start.checked_add_days(Days::new(u64::from(n))),
            Lifetime::Months(n) => start.checked_add_months(Months::new(n)),
            Lifetime::Until(d) => {
                let end = d
                    .and_hms_opt(23, 59, 59)
                    .map(|n| Utc.from_utc_datetime(&n))
                    .ok_or(LifetimeError::TooLong)?;
                if end <= start {
                    return Err(LifetimeError::NotInFuture(d));
                }
                Some(end)
            }
        }
        .ok_or(LifetimeError::TooLong)?;
        if end > never_end() {
            return Err(LifetimeError::TooLong);
        }
        Ok(end)
    }
}

impl fmt::Display for Lifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lifetime::Days(n) => write!(f, "{n}d"),
            Lifetime::Months(n) => write!(f, "{n}m"),
            Lifetime::Until(d) => write!(f, "{d}"),
            Lifetime::Never => f.write_str("never"),
        }
    }
}

/// Expiry status bands. Ordered from most to least urgent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Expired,
    Within7,
    Within30,
    Within90,
    Ok,
}

impl Status {
    pub fn of(end: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        if end <= now {
            return Status::Expired;
        }
        let d = end - now;
        if d <= chrono::Duration::days(7) {
            Status::Within7
        } else if d <= chrono::Duration::days(30) {
            Status::Within30
        } else if d <= chrono::Duration::days(90) {
            Status::Within90
        } else {
            Status::Ok
        }
    }

    /// The word shown next to the colour (nothing is conveyed by colour alone).
    pub fn label(self) -> &'static str {
        match self {
            Status::Expired => "expired",
            Status::Within7 => "≤ 7 days",
            Status::Within30 => "≤ 30 days",
            Status::Within90 => "≤ 90 days",
            Status::Ok => "ok",
        }
    }

    /// A stable machine name for JSON output.
    pub fn key(self) -> &'static str {
        match self {
            Status::Expired => "expired",
            Status::Within7 => "within_7_days",
            Status::Within30 => "within_30_days",
            Status::Within90 => "within_90_days",
            Status::Ok => "ok",
        }
    }
}

/// Lifetimes over two years are flagged `long-lived`.
pub fn is_long_lived(start: Option<DateTime<Utc>>, end: DateTime<Utc>) -> bool {
    let Some(start) = start else { return false };
    start
        .checked_add_months(Months::new(24))
        .is_some_and(|limit| end > limit + chrono::Duration::days(1))
}

/// "in 12 days", "expired 3 days ago", "today".
pub fn relative(end: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (end - now).num_seconds();
    // Round to the nearest day: a 90-day secret created a second ago is "in 90 days", not 89.
    let days = (secs.abs() + 43_199) / 86_400;
    let unit = |n: i64, w: &str| {
        if n == 1 {
            format!("1 {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    let span = if days >= 365 * 2 {
        unit(days / 365, "year")
    } else if secs.abs() >= 86_400 {
        unit(days, "day")
    } else {
        let hours = secs.abs() / 3600;
        if hours >= 1 {
            unit(hours, "hour")
        } else {
            unit((secs.abs() / 60).max(1), "minute")
        }
    };
    if secs > 0 {
        format!("in {span}")
    } else {
        format!("expired {span} ago")
    }
}

/// Whole days left (negative when expired), for tables and JSON.
pub fn days_left(end: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (end - now).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
            .single()
            .expect("valid test date")
    }

    #[test]
    fn months_are_calendar_months_not_minutes() {
        assert_eq!(Lifetime::parse("6m"), Ok(Lifetime::Months(6)));
        assert_eq!(Lifetime::parse("6mo"), Ok(Lifetime::Months(6)));
        assert_eq!(Lifetime::parse("2y"), Ok(Lifetime::Months(24)));
        assert_eq!(Lifetime::parse("180d"), Ok(Lifetime::Days(180)));
        assert_eq!(Lifetime::parse("NEVER"), Ok(Lifetime::Never));
        let end = Lifetime::Months(6).end_from(at(2026, 1, 15)).expect("fits");
        assert_eq!(end, at(2026, 7, 15));
    }

    #[test]
    fn month_end_clamps() {
        assert_eq!(
            Lifetime::Months(1).end_from(at(2026, 1, 31)),
            Ok(at(2026, 2, 28))
        );
        assert_eq!(
            Lifetime::Months(1).end_from(at(2028, 1, 31)),
            Ok(at(2028, 2, 29))
        );
        assert_eq!(
            Lifetime::Months(12).end_from(at(2028, 2, 29)),
            Ok(at(2029, 2, 28))
        );
    }

    #[test]
    fn bad_lifetimes_are_rejected() {
        for bad in ["6x", "", "d", "0d", "-3d", "12", "2026-13-01", "6 minutes"] {
            assert!(Lifetime::parse(bad).is_err(), "{bad} should fail");
        }
        let past = Lifetime::parse("2020-01-01").expect("date parses");
        assert!(matches!(
            past.end_from(at(2026, 1, 1)),
            Err(LifetimeError::NotInFuture(_))
        ));
        assert_eq!(
            Lifetime::Months(4000).end_from(at(2026, 1, 1)),
            Err(LifetimeError::TooLong)
        );
    }

    #[test]
    fn never_is_2299() {
        assert_eq!(
            Lifetime::Never
                .end_from(at(2026, 1, 1))
                .map(|d| d.to_rfc3339()),
            Ok("2299-12-31T23:59:59+00:00".to_owned())
        );
    }

    #[test]
    fn bands() {
        let now = at(2026, 6, 1);
        assert_eq!(Status::of(at(2026, 5, 31), now), Status::Expired);
        assert_eq!(Status::of(at(2026, 6, 8), now), Status::Within7);
        assert_eq!(Status::of(at(2026, 6, 20), now), Status::Within30);
        assert_eq!(Status::of(at(2026, 8, 1), now), Status::Within90);
        assert_eq!(Status::of(at(2027, 1, 1), now), Status::Ok);
        assert!(is_long_lived(Some(now), never_end()));
        assert!(!is_long_lived(Some(now), at(2028, 6, 1)));
        assert_eq!(relative(at(2026, 6, 13), now), "in 12 days");
        assert_eq!(relative(at(2026, 5, 29), now), "expired 3 days ago");
        let just_created = now + chrono::Duration::days(90) - chrono::Duration::seconds(2);
        assert_eq!(relative(just_created, now), "in 90 days");
        assert_eq!(
            relative(now + chrono::Duration::hours(5), now),
            "in 5 hours"
        );
    }

    proptest! {
        #[test]
        fn months_land_on_same_day_or_month_end(y in 2000i32..2200, m in 1u32..=12, d in 1u32..=28, n in 1u32..=36) {
            let start = at(y, m, d);
            let end = Lifetime::Months(n).end_from(start).expect("in range");
            let total = (y * 12 + m as i32 - 1) + n as i32;
            prop_assert_eq!(chrono::Datelike::year(&end), total / 12);
            prop_assert_eq!(chrono::Datelike::month(&end), (total % 12) as u32 + 1);
            prop_assert_eq!(chrono::Datelike::day(&end), d);
        }

        #[test]
        fn days_add_exactly(n in 1u32..3000) {
            let start = at(2026, 2, 28);
            let end = Lifetime::Days(n).end_from(start).expect("in range");
            prop_assert_eq!((end - start).num_days(), i64::from(n));
        }

        #[test]
        fn parse_roundtrips(n in 1u32..5000, unit in prop::sample::select(vec!["d", "m"])) {
            let s = format!("{n}{unit}");
            let l = Lifetime::parse(&s).expect("valid");
            prop_assert_eq!(l.to_string(), s);
        }
    }
}
