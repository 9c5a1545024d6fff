//! What the reveal dialog shows under the value: each destination's answer (in the order they
//! came) and the sign-in check's state, with the countdown while Entra says the new secret is
//! still replicating. Plain state; the dialog changes it, the view draws it.

use chrono::{DateTime, Utc};

use crate::app::action::RequestId;
use crate::destination::{SendError, Sent, words};
use crate::verify::{Verified, VerifyError, VerifyEvent};

/// One destination's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentLine {
    pub ok: bool,
    /// The destination, as the target names it ("key vault contoso-kv, secret app").
    pub destination: String,
    /// Where the value is now, or why it is not there.
    pub answer: String,
    pub advice: Option<String>,
    /// A part that failed though the value arrived (GitHub variables).
    pub warning: Option<String>,
    /// What a command printed (value redacted; not yet cleaned for the terminal).
    pub output: Vec<String>,
}

impl SentLine {
    pub fn of(destination: String, result: &Result<Sent, SendError>) -> Self {
        match result {
            Ok(s) => Self {
                ok: true,
                destination,
                answer: s.describe(),
                advice: None,
                warning: s.warning().map(str::to_owned),
                output: s
                    .output()
                    .map(|o| lines(&o.stdout, &o.stderr))
                    .unwrap_or_default(),
            },
            Err(e) => Self {
                ok: false,
                destination,
                answer: e.reason(),
                advice: e.advice(),
                warning: None,
                output: e.output().map(|(o, r)| lines(o, r)).unwrap_or_default(),
            },
        }
    }
}

fn lines(stdout: &str, stderr: &str) -> Vec<String> {
    stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// A refused attempt and when the next one starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub attempt: u32,
    /// Entra's AADSTS code (0: no answer).
    pub code: u64,
    pub next_at: DateTime<Utc>,
}

/// The check that the new secret signs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInCheck {
    NotRun,
    Running {
        request: RequestId,
        started: DateTime<Utc>,
        attempt: u32,
        waiting: Option<Waiting>,
        /// Started by closing after a rotation: success offers to delete the old secret.
        then_rotate: bool,
    },
    SignsIn {
        seconds: u64,
        attempts: u32,
    },
    Failed {
        what: String,
        advice: String,
    },
    /// Esc stopped it.
    Stopped,
}

impl SignInCheck {
    pub fn running(&self) -> Option<RequestId> {
        match self {
            SignInCheck::Running { request, .. } => Some(*request),
            _ => None,
        }
    }

    /// A step of the retry loop.
    pub fn progress(&mut self, event: VerifyEvent) {
        let SignInCheck::Running {
            started,
            attempt: at,
            waiting,
            ..
        } = self
        else {
            return;
        };
        match event {
            VerifyEvent::Attempt { attempt, .. } => {
                *at = attempt;
                *waiting = None;
            }
            VerifyEvent::Waiting {
                attempt,
                elapsed,
                next_in,
                code,
            } => {
                *at = attempt;
                let after = chrono::Duration::from_std(elapsed + next_in).unwrap_or_default();
                *waiting = Some(Waiting {
                    attempt,
                    code,
                    next_at: *started + after,
                });
            }
        }
    }

    /// How it ended.
    pub fn finish(&mut self, result: Result<Verified, VerifyError>) {
        *self = match result {
            Ok(v) => SignInCheck::SignsIn {
                seconds: v.elapsed.as_secs(),
                attempts: v.attempts,
            },
            Err(e) => {
                let (what, advice) = words::not_signing_in(&e);
                SignInCheck::Failed { what, advice }
            }
        };
    }

    /// "signs in ✓ after 14 s".
    pub fn success_words(seconds: u64, attempts: u32) -> String {
        words::signs_in(&Verified {
            elapsed: std::time::Duration::from_secs(seconds),
            attempts,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_countdown_is_counted_from_the_start() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
        let mut c = SignInCheck::Running {
            request: 1,
            started: t0,
            attempt: 0,
            waiting: None,
            then_rotate: false,
        };
        c.progress(VerifyEvent::Attempt {
            attempt: 1,
            elapsed: Duration::ZERO,
        });
        c.progress(VerifyEvent::Waiting {
            attempt: 2,
            elapsed: Duration::from_secs(2),
            next_in: Duration::from_secs(4),
            code: 7_000_215,
        });
        let SignInCheck::Running {
            waiting: Some(w), ..
        } = &c
        else {
            panic!()
        };
        assert_eq!(w.next_at, t0 + chrono::Duration::seconds(6));
        c.finish(Ok(Verified {
            elapsed: Duration::from_secs(14),
            attempts: 4,
        }));
        assert_eq!(
            c,
            SignInCheck::SignsIn {
                seconds: 14,
                attempts: 4
            }
        );
        assert_eq!(SignInCheck::success_words(14, 4), "signs in ✓ after 14 s");
    }
}
