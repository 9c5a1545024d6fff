//! The one rule for a new client secret's request, shared by the TUI's Add form and
//! `azsecrets secrets add`: description length (Graph's limit, docs/contract.md section 1),
//! start and end dates. Pure: it reads the clock it is given and does no I/O. Words here are
//! neutral; each front-end names its own field or flag.

use chrono::{DateTime, NaiveDate, NaiveTime, SubsecRound, TimeZone, Utc};

use crate::expiry::{Lifetime, LifetimeError};
use crate::graph::PasswordCredentialRequest;

/// The longest description azsecrets sends, in UTF-16 code units as Graph counts (see
/// docs/contract.md section 1 for the sources and why).
pub const MAX_DESCRIPTION: usize = 256;

/// Why a new secret's request cannot be sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRequest {
    #[error("the description is too long: {len} characters, at most {MAX_DESCRIPTION}")]
    DescriptionTooLong { len: usize },
    #[error("the start date {0} is in the past")]
    StartInPast(NaiveDate),
    #[error(transparent)]
    Lifetime(#[from] LifetimeError),
}

/// A validated `addPassword` request: a description Graph accepts and both dates, to the second
/// (azsecrets always sends both: graph-contract trap 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSecretRequest {
    description: Option<String>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl NewSecretRequest {
    /// A secret valid from `now` for `lifetime` (`--expires`, the form's presets).
    pub fn new(
        description: &str,
        lifetime: Lifetime,
        now: DateTime<Utc>,
    ) -> Result<Self, InvalidRequest> {
        let description = check_description(description)?;
        let start = now.trunc_subsecs(0);
        let end = lifetime.end_from(start)?;
        Ok(Self {
            description,
            start,
            end,
        })
    }

    /// A secret valid from the start of `start` (UTC) for `lifetime`, as the portal's Custom
    /// start date; today means now.
    pub fn starting(
        description: &str,
        start: NaiveDate,
        lifetime: Lifetime,
        now: DateTime<Utc>,
    ) -> Result<Self, InvalidRequest> {
        let description = check_description(description)?;
        let now = now.trunc_subsecs(0);
        let today = now.date_naive();
        let start = if start < today {
            return Err(InvalidRequest::StartInPast(start));
        } else if start == today {
            now
        } else {
            Utc.from_utc_datetime(&start.and_time(NaiveTime::MIN))
        };
        let end = lifetime.end_from(start)?;
        Ok(Self {
            description,
            start,
            end,
        })
    }

    /// The trimmed description, or `None` when it was empty.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// The body Graph receives.
    pub fn to_graph(&self) -> PasswordCredentialRequest {
        PasswordCredentialRequest {
            display_name: self.description.clone(),
            start_date_time: Some(self.start),
            end_date_time: Some(self.end),
        }
    }
}

impl From<&NewSecretRequest> for PasswordCredentialRequest {
    fn from(r: &NewSecretRequest) -> Self {
        r.to_graph()
    }
}

/// Trimmed, empty as `None`, and no longer than Graph accepts.
fn check_description(description: &str) -> Result<Option<String>, InvalidRequest> {
    let d = description.trim();
    let len = description_len(d);
    if len > MAX_DESCRIPTION {
        return Err(InvalidRequest::DescriptionTooLong { len });
    }
    Ok((!d.is_empty()).then(|| d.to_owned()))
}

/// A description's length as Graph counts it: UTF-16 code units (an emoji outside the Basic
/// Multilingual Plane counts two). Front-ends may show it as a counter.
pub fn description_len(s: &str) -> usize {
    s.encode_utf16().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 9, 30, 15)
            .single()
            .unwrap()
            .checked_add_signed(chrono::Duration::milliseconds(250))
            .unwrap()
    }

    #[test]
    fn the_boundary_is_graphs_limit() {
        let now = at(2026, 3, 1);
        let max = "a".repeat(MAX_DESCRIPTION);
        let r = NewSecretRequest::new(&max, Lifetime::Days(180), now).unwrap();
        assert_eq!(r.description().map(str::len), Some(MAX_DESCRIPTION));
        let over = "a".repeat(MAX_DESCRIPTION + 1);
        assert_eq!(
            NewSecretRequest::new(&over, Lifetime::Days(180), now),
            Err(InvalidRequest::DescriptionTooLong {
                len: MAX_DESCRIPTION + 1
            })
        );
        // Surrounding whitespace is not sent, so it does not count.
        let padded = format!("  {max}\t");
        assert!(NewSecretRequest::new(&padded, Lifetime::Days(1), now).is_ok());
    }

    #[test]
    fn length_is_counted_in_utf16_units() {
        let now = at(2026, 3, 1);
        // 128 rockets are 128 characters but 256 UTF-16 units: exactly the limit.
        let rockets = "🚀".repeat(MAX_DESCRIPTION / 2);
        assert!(NewSecretRequest::new(&rockets, Lifetime::Days(1), now).is_ok());
        let one_more = format!("{rockets}a");
        assert!(matches!(
            NewSecretRequest::new(&one_more, Lifetime::Days(1), now),
            Err(InvalidRequest::DescriptionTooLong { len }) if len == MAX_DESCRIPTION + 1
        ));
        // CJK in the BMP counts one each.
        assert_eq!(description_len("支払い"), 3);
    }

    #[test]
    fn empty_description_is_none_and_dates_are_whole_seconds() {
        let now = at(2026, 3, 1);
        let r = NewSecretRequest::new("   ", Lifetime::Months(6), now).unwrap();
        assert_eq!(r.description(), None);
        assert_eq!(r.start(), now.trunc_subsecs(0));
        assert_eq!(r.end(), at(2026, 9, 1).trunc_subsecs(0));
        let body = serde_json::to_value(r.to_graph()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "startDateTime": "2026-03-01T09:30:15Z",
                "endDateTime": "2026-09-01T09:30:15Z"
            })
        );
    }

    #[test]
    fn lifetimes_and_start_dates_are_checked() {
        let now = at(2026, 3, 1);
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            NewSecretRequest::new(
                "x",
                Lifetime::Until(day(2026, 3, 1)),
                now + chrono::Days::new(1)
            ),
            Err(InvalidRequest::Lifetime(LifetimeError::NotInFuture(day(
                2026, 3, 1
            ))))
        );
        assert!(matches!(
            NewSecretRequest::starting("x", day(2026, 2, 28), Lifetime::Days(1), now),
            Err(InvalidRequest::StartInPast(_))
        ));
        let today =
            NewSecretRequest::starting("x", day(2026, 3, 1), Lifetime::Days(1), now).unwrap();
        assert_eq!(today.start(), now.trunc_subsecs(0));
        let later =
            NewSecretRequest::starting("x", day(2026, 4, 1), Lifetime::Until(day(2026, 5, 1)), now)
                .unwrap();
        assert_eq!(later.start().to_rfc3339(), "2026-04-01T00:00:00+00:00");
        assert_eq!(later.end().to_rfc3339(), "2026-05-01T23:59:59+00:00");
        assert!(matches!(
            NewSecretRequest::starting(
                "x",
                day(2026, 4, 1),
                Lifetime::Until(day(2026, 3, 20)),
                now
            ),
            Err(InvalidRequest::Lifetime(LifetimeError::NotInFuture(_)))
        ));
        assert_eq!(
            InvalidRequest::DescriptionTooLong { len: 300 }.to_string(),
            "the description is too long: 300 characters, at most 256"
        );
    }
}
