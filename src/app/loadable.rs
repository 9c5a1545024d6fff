//! Remote data as the screen sees it: never asked, on its way, here, or failed. Old data stays
//! visible while a refresh runs or after it fails.

use chrono::{DateTime, Utc};

use crate::auth::AuthError;
use crate::create::{AddError, Settled};
use crate::graph::{Cause, GraphError, RetryEvent, RetryWait};
use crate::keymap::{Command, Context, key_for};
use crate::sanitize::clean;

use super::action::RequestId;

/// What the user can do about a Graph failure, in the TUI's words (keys from the key map).
fn advice(cause: Cause) -> String {
    let fixed = match cause {
        Cause::PolicyLifetime => {
            "Your tenant's app management policy caps secret lifetimes: choose a shorter expiry."
        }
        Cause::PolicySecretsBlocked => {
            "Your tenant's policy does not allow client secrets on this app: use a certificate or a federated credential."
        }
        Cause::SecretLimit => {
            "Apps that allow personal Microsoft accounts can have at most two client secrets: delete one first."
        }
        Cause::Forbidden => {
            "You need to own this app or hold the Application Administrator, Cloud Application Administrator or Application Developer role."
        }
        Cause::Unauthorized => "Your sign-in expired or is not valid for Graph: sign in again.",
        Cause::NotFound => {
            "It may have been deleted, or was created seconds ago: refresh and try again."
        }
        Cause::Throttled => "Graph is throttling or busy: wait a little and try again.",
        Cause::ServerError => "Graph had a problem: try again in a moment.",
        Cause::Rejected => "Check the request and try again.",
        Cause::Network => "Check the network connection and try again.",
        Cause::RequestTooLong => {
            "The request is too long to send: shorten what you typed (display names are at most 256 characters)."
        }
        Cause::TokenNotSendable => {
            "The access token holds a line break or another character a header cannot carry: check AZSECRETS_ACCESS_TOKEN, or sign in another way."
        }
        Cause::NotSent => "This is a bug; the log file has details.",
        Cause::UnreadableReply => {
            "This is a bug or an unexpected Graph change; the log file has details."
        }
        Cause::ForeignLink => "Check --graph-url; if it is right, report this as a bug.",
        Cause::InvalidId => "Give an Object ID or Application ID as a GUID.",
        Cause::SignIn => "Fix the sign-in problem named above, then try again.",
    };
    fixed.to_owned()
}

/// A Graph error turned into what the UI shows: what failed, what to do, Graph's code and
/// request-id (support needs the request-id; the code tells a user which policy bit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorInfo {
    pub message: String,
    pub advice: String,
    pub code: Option<String>,
    pub request_id: Option<String>,
    /// The advice already says which key tries again (a view need not add it).
    pub names_retry: bool,
}

impl ErrorInfo {
    pub fn from_graph(e: &GraphError) -> Self {
        if let GraphError::Auth(a) = e {
            return Self::from_auth(a);
        }
        // Graph's own words without the code and request-id, which `reference()` shows apart.
        // Graph's text is the tenant's: cleaned here, once, for every view that shows it.
        let message = match e.api() {
            Some(a) => format!(
                "Could not {} (HTTP {}): {}",
                a.operation,
                a.status,
                clean(&a.message)
            ),
            None => e.to_string(),
        };
        Self {
            message,
            advice: advice(e.cause()),
            names_retry: false,
            code: e.code().map(|c| clean(c).into_owned()),
            request_id: e.request_id().map(|r| clean(r).into_owned()),
        }
    }

    /// A sign-in failure: what happened and how to start over, in the TUI's keys (after a
    /// failed sign-in the apps screen shows it, so its keys are the ones named).
    pub fn from_auth(e: &AuthError) -> Self {
        let retry = key_for(Context::Apps, Command::Refresh);
        let quit = key_for(Context::Apps, Command::Quit);
        let (advice, names_retry) = match e {
            AuthError::Declined => (
                format!("Press {retry} to get a new code and sign in again, or {quit} to quit."),
                true,
            ),
            AuthError::DeviceCodeExpired => (
                format!(
                    "The code was not entered in time. Press {retry} to get a new code, or {quit} to quit."
                ),
                true,
            ),
            AuthError::Transport { .. } => (
                format!("Check the network connection, then press {retry} to try again."),
                true,
            ),
            AuthError::Refused { .. } | AuthError::Failed { .. } => (
                format!(
                    "Press {retry} to sign in again; if it keeps failing, check --tenant and --client-id, or run `azsecrets logout` and start over."
                ),
                true,
            ),
            AuthError::Config(_) | AuthError::Resource(_) => (
                "Fix the option named above and start azsecrets again.".to_owned(),
                false,
            ),
        };
        let text = clean(&e.to_string()).into_owned();
        let message = match text.strip_prefix("sign-in failed") {
            Some(rest) => format!("Sign-in failed{rest}"),
            None => format!("Sign-in failed: {text}"),
        };
        Self {
            names_retry,
            ..Self::plain(message, advice)
        }
    }

    /// An add that did not end in a new secret: what exists now, and what to do (keys from
    /// the key map).
    pub fn from_add(e: &AddError) -> Self {
        let settled = match e {
            AddError::Refused(g) => return Self::from_graph(g),
            AddError::Journal(j) => {
                return Self::plain(
                    format!("Nothing was sent to Graph: {j}."),
                    "azsecrets records every new secret in its journal first, so none is ever lost: fix the folder named above, then try again.",
                );
            }
            AddError::Lost { settled, .. } => settled,
        };
        let message = e.to_string();
        let advice = match settled {
            Settled::NothingCreated | Settled::RolledBack(_) => "It is safe to try again.".into(),
            Settled::Orphaned { .. } => format!(
                "Delete it: select it in the table and press {} (azsecrets also offers this at its next start).",
                key_for(Context::App, Command::DeleteSecret)
            ),
            Settled::Unverified { .. } | Settled::NotYetSeen | Settled::Ambiguous(_) => format!(
                "azsecrets checks the app again at its next start and offers to delete what it finds; before adding another, refresh ({}) and look for a secret you did not expect.",
                key_for(Context::App, Command::Refresh)
            ),
        };
        let g = e.graph();
        Self {
            message,
            advice,
            code: g.and_then(GraphError::code).map(str::to_owned),
            request_id: g.and_then(GraphError::request_id).map(str::to_owned),
            names_retry: false,
        }
    }

    pub fn plain(message: impl Into<String>, advice: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            advice: advice.into(),
            code: None,
            request_id: None,
            names_retry: false,
        }
    }

    /// "code X · request-id Y" when Graph gave them.
    pub fn reference(&self) -> Option<String> {
        match (&self.code, &self.request_id) {
            (Some(c), Some(r)) => Some(format!("code {c} · request-id {r}")),
            (Some(c), None) => Some(format!("code {c}")),
            (None, Some(r)) => Some(format!("request-id {r}")),
            (None, None) => None,
        }
    }
}

/// Graph asked to wait: what the screen says until the request it concerns settles ("Graph
/// is throttling; retrying in 12 s, attempt 2 of 6"), so a 429 storm is not just "loading".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retrying {
    pub wait: RetryWait,
    /// When the next attempt starts.
    pub until: DateTime<Utc>,
}

impl Retrying {
    /// The status after `event` (at `now`), given the one shown before.
    pub fn after(shown: Option<Self>, event: RetryEvent, now: DateTime<Utc>) -> Option<Self> {
        match event {
            RetryEvent::Waiting(wait) => {
                let until =
                    now + chrono::Duration::from_std(wait.wait).unwrap_or(chrono::Duration::zero());
                Some(Self { wait, until })
            }
            // Another request's end does not end this one's wait.
            RetryEvent::Settled { operation } => shown.filter(|r| r.wait.operation != operation),
        }
    }

    /// Long past its wait with no word since: the request it was about is gone.
    pub fn stale(&self, now: DateTime<Utc>) -> bool {
        now > self.until + chrono::Duration::seconds(60)
    }

    /// The words, counting down from `now`.
    pub fn words(&self, now: DateTime<Utc>) -> String {
        let left = (self.until - now).num_milliseconds().max(0);
        // Rounded up: "in 1 s" until the second is over.
        let secs = u64::try_from((left + 999) / 1000).unwrap_or(0);
        self.wait.describe(secs)
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub enum Loadable<T> {
    #[default]
    Idle,
    /// `stale` is what was shown before the refresh; it stays on screen.
    Loading {
        request: RequestId,
        stale: Option<T>,
    },
    Loaded(T),
    Failed {
        error: ErrorInfo,
        stale: Option<T>,
    },
}

impl<T> Loadable<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Loadable::Loaded(v) => Some(v),
            Loadable::Loading { stale, .. } | Loadable::Failed { stale, .. } => stale.as_ref(),
            Loadable::Idle => None,
        }
    }

    pub fn is_loading(&self) -> bool {
        matches!(self, Loadable::Loading { .. })
    }

    pub fn error(&self) -> Option<&ErrorInfo> {
        match self {
            Loadable::Failed { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Start a (re)load with `request`, keeping whatever is shown now.
    pub fn start(&mut self, request: RequestId) {
        let stale = match std::mem::take(self) {
            Loadable::Loaded(v) => Some(v),
            Loadable::Loading { stale, .. } | Loadable::Failed { stale, .. } => stale,
            Loadable::Idle => None,
        };
        *self = Loadable::Loading { request, stale };
    }

    /// True when `request` is the one in flight (older answers are dropped).
    pub fn awaits(&self, request: RequestId) -> bool {
        matches!(self, Loadable::Loading { request: r, .. } if *r == request)
    }

    /// Settle with a result; ignored (returns false) when `request` is stale.
    pub fn settle(&mut self, request: RequestId, result: Result<T, ErrorInfo>) -> bool {
        if !self.awaits(request) {
            return false;
        }
        *self = match result {
            Ok(v) => Loadable::Loaded(v),
            Err(error) => {
                let stale = match std::mem::take(self) {
                    Loadable::Loading { stale, .. } => stale,
                    _ => None,
                };
                Loadable::Failed { error, stale }
            }
        };
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_answers_are_dropped_and_old_data_stays() {
        let mut l: Loadable<u32> = Loadable::Idle;
        l.start(1);
        assert!(l.settle(1, Ok(7)));
        l.start(2);
        assert_eq!(l.value(), Some(&7), "old data stays while reloading");
        assert!(!l.settle(1, Ok(8)), "an answer to request 1 is stale");
        assert!(l.settle(2, Err(ErrorInfo::plain("boom", "retry"))));
        assert_eq!(l.value(), Some(&7), "old data stays after a failed refresh");
        assert!(l.error().is_some());
    }

    #[test]
    fn retry_status_counts_down_and_ends_with_its_request() {
        use chrono::TimeZone;
        let now = Utc
            .with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
            .single()
            .expect("date");
        let wait = RetryWait {
            operation: "list applications",
            status: Some(429),
            wait: std::time::Duration::from_millis(11_500),
            next_attempt: 2,
            attempts: 6,
        };
        let r = Retrying::after(None, RetryEvent::Waiting(wait), now).expect("waiting");
        assert_eq!(
            r.words(now),
            "Graph is throttling; retrying in 12 s, attempt 2 of 6"
        );
        let later = now + chrono::Duration::seconds(12);
        assert_eq!(
            r.words(later),
            "Graph is throttling; retrying now, attempt 2 of 6"
        );
        let other = RetryEvent::Settled {
            operation: "read the tenant",
        };
        let r = Retrying::after(Some(r), other, now).expect("another request's end");
        assert!(!r.stale(later) && r.stale(later + chrono::Duration::seconds(61)));
        let own = RetryEvent::Settled {
            operation: "list applications",
        };
        assert_eq!(Retrying::after(Some(r), own, now), None);
    }

    use crate::keymap::test_rebind;

    /// Rebind a key and the advice says the new one: the words follow the key map.
    #[test]
    fn advice_names_keys_from_the_key_map() {
        let secret: crate::graph::ClientSecret = serde_json::from_value(serde_json::json!({
            "keyId": "11112222-3333-4444-8555-666677778888", "displayName": "ci", "hint": "Fk3"
        }))
        .unwrap();
        let orphaned = AddError::Lost {
            cause: crate::create::Interruption::Cancelled,
            settled: Settled::Orphaned {
                secret,
                error: GraphError::Transport {
                    operation: "delete the client secret",
                    detail: "timed out".into(),
                },
            },
        };
        let orphan = test_rebind::with(Context::App, Command::DeleteSecret, "Del", || {
            ErrorInfo::from_add(&orphaned).advice
        });
        assert!(orphan.contains("press Del"), "{orphan}");
        let info = ErrorInfo::from_add(&orphaned);
        assert!(
            info.message
                .starts_with("Adding the client secret was interrupted")
        );
        assert!(
            info.message
                .contains("11112222-3333-4444-8555-666677778888")
        );
        let unverified = AddError::Lost {
            cause: crate::create::Interruption::Cancelled,
            settled: Settled::NotYetSeen,
        };
        let words = test_rebind::with(Context::App, Command::Refresh, "F5", || {
            ErrorInfo::from_add(&unverified).advice
        });
        assert!(words.contains("refresh (F5)"), "{words}");

        let declined = test_rebind::with(Context::Apps, Command::Refresh, "F5", || {
            test_rebind::with(Context::Apps, Command::Quit, "Ctrl-Q", || {
                ErrorInfo::from_auth(&AuthError::Declined)
            })
        });
        assert_eq!(
            declined.advice,
            "Press F5 to get a new code and sign in again, or Ctrl-Q to quit."
        );
        assert!(declined.names_retry);
        let expired = ErrorInfo::from_auth(&AuthError::DeviceCodeExpired);
        assert!(
            expired
                .advice
                .contains("Press r to get a new code, or q to quit")
        );
    }
}
