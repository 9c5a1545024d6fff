//! Proving a new client secret signs in (docs/contract.md, "Client-credentials verification"):
//! a client-credentials token request for `{graph}/.default` to the tenant's token endpoint,
//! with the new secret. Entra refuses a secret that is still replicating exactly as it refuses a
//! wrong one (`invalid_client`, AADSTS7000215; sometimes 7000222 "expired", or 700016 when the
//! app itself is new), so those answers are retried with backoff for up to two minutes, and an
//! observer hears of every attempt and every wait so a screen can count down. Success says how
//! long it took; any other answer is a typed [`VerifyCause`]. The token obtained is dropped
//! unread: never kept, logged or shown. Knows no terminal.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use crate::auth::token_endpoint::{EndpointError, TokenEndpoint, is_multi_tenant_alias};
use crate::ids::ApplicationId;
use crate::secret::SecretValue;

/// How long a new secret is given to start working.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);
/// Waits between attempts; the last one repeats (2, 4, 8, 16, 30, 30, 30 s: eight attempts
/// within two minutes, the first ones quick because most secrets work within seconds).
pub const DEFAULT_DELAYS: [Duration; 5] = [
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
    Duration::from_secs(16),
    Duration::from_secs(30),
];
/// Network failures tolerated in a row before giving up.
const MAX_TRANSPORT_FAILURES: u32 = 3;

/// Entra's answers while a new secret (or app) replicates.
const REPLICATING: [u64; 3] = [7_000_215, 7_000_222, 700_016];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyPolicy {
    /// No attempt starts after this much time.
    pub deadline: Duration,
    /// Waits between attempts; the last repeats.
    pub delays: Vec<Duration>,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        Self {
            deadline: DEFAULT_DEADLINE,
            delays: DEFAULT_DELAYS.to_vec(),
        }
    }
}

impl VerifyPolicy {
    fn delay(&self, retry: usize) -> Duration {
        self.delays
            .get(retry)
            .or(self.delays.last())
            .copied()
            .unwrap_or(Duration::from_secs(1))
    }
}

/// What the check tells its observer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyEvent {
    /// Attempt `attempt` (from 1) is being sent, `elapsed` after the check started.
    Attempt { attempt: u32, elapsed: Duration },
    /// Attempt `attempt` was refused as a replicating secret is (`code`: the AADSTS number, or
    /// 0 for a network failure); the next attempt starts in `next_in`.
    Waiting {
        attempt: u32,
        elapsed: Duration,
        next_in: Duration,
        code: u64,
    },
}

pub type VerifyObserver = Arc<dyn Fn(VerifyEvent) + Send + Sync>;

/// An observer that ignores everything.
pub fn quiet() -> VerifyObserver {
    Arc::new(|_| {})
}

/// The secret signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// From the start of the check to the successful answer.
    pub elapsed: Duration,
    pub attempts: u32,
}

/// Why the secret did not sign in, for the front-ends' advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyCause {
    /// AADSTS7000215 until the deadline: the value is not this app's secret (a copy error, or
    /// the Secret ID instead of the value), or replication is unusually slow.
    InvalidSecret,
    /// AADSTS7000222 until the deadline: the secret has expired (or has not started).
    Expired,
    /// AADSTS700016 until the deadline: no such app in this tenant (wrong tenant, or the app is
    /// brand new and not yet replicated).
    AppNotFound,
    /// AADSTS90002: the tenant does not exist (or belongs to another cloud).
    TenantNotFound,
    /// AADSTS7000112: the app (its service principal) is disabled.
    AppDisabled,
    /// AADSTS53003: Conditional Access blocks the app's sign-in; the secret itself is fine.
    ConditionalAccess,
    /// AADSTS7000218: the request had no secret.
    EmptySecret,
    /// Any other refusal.
    Refused,
    /// The login endpoint could not be reached.
    Network,
    /// An answer that was not OAuth.
    UnreadableReply,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum VerifyError {
    #[error("the new secret did not sign in after {attempts} attempt(s) in {}s: {error}: {description}", elapsed.as_secs())]
    Refused {
        cause: VerifyCause,
        /// The OAuth `error` (e.g. `invalid_client`).
        error: String,
        codes: Vec<u64>,
        /// The first line of `error_description` (no trace ids).
        description: String,
        attempts: u32,
        elapsed: Duration,
    },
    #[error("could not reach the login endpoint to check the new secret ({detail})")]
    Transport {
        detail: String,
        attempts: u32,
        elapsed: Duration,
    },
    #[error("the login endpoint's answer could not be read: {0}")]
    Decode(String),
    #[error("{0}")]
    Config(String),
}

impl VerifyError {
    pub fn cause(&self) -> VerifyCause {
        match self {
            VerifyError::Refused { cause, .. } => *cause,
            VerifyError::Transport { .. } => VerifyCause::Network,
            VerifyError::Decode(_) => VerifyCause::UnreadableReply,
            VerifyError::Config(_) => VerifyCause::Refused,
        }
    }
}

fn cause_of(codes: &[u64]) -> VerifyCause {
    let has = |c| codes.contains(&c);
    if has(7_000_215) {
        VerifyCause::InvalidSecret
    } else if has(7_000_222) {
        VerifyCause::Expired
    } else if has(700_016) {
        VerifyCause::AppNotFound
    } else if has(90_002) {
        VerifyCause::TenantNotFound
    } else if has(7_000_112) {
        VerifyCause::AppDisabled
    } else if has(53_003) {
        VerifyCause::ConditionalAccess
    } else if has(7_000_218) {
        VerifyCause::EmptySecret
    } else {
        VerifyCause::Refused
    }
}

/// A client-credentials check for one app in one tenant.
pub struct Verifier {
    endpoint: TokenEndpoint,
    client_id: String,
    scope: String,
    policy: VerifyPolicy,
}

impl Verifier {
    /// `login`: the authority root; `tenant`: the app's tenant (a GUID or domain, not an alias:
    /// app-only sign-in needs one tenant); `scope`: `{graph}/.default`.
    pub fn new(
        login: &Url,
        tenant: &str,
        application: &ApplicationId,
        scope: &str,
    ) -> Result<Self, VerifyError> {
        if is_multi_tenant_alias(tenant) {
            return Err(VerifyError::Config(format!(
                "checking a secret needs the app's tenant (a GUID or domain), not '{tenant}'"
            )));
        }
        let endpoint =
            TokenEndpoint::new(login, tenant).map_err(|e| VerifyError::Config(e.to_string()))?;
        Ok(Self {
            endpoint,
            client_id: application.as_str().to_owned(),
            scope: scope.to_owned(),
            policy: VerifyPolicy::default(),
        })
    }

    pub fn with_policy(mut self, policy: VerifyPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Check that `secret` signs in, retrying while it may still be replicating.
    pub async fn verify(
        &self,
        secret: &SecretValue,
        observer: &VerifyObserver,
    ) -> Result<Verified, VerifyError> {
        tracing::info!(client_id = %self.client_id, tenant = self.endpoint.tenant(), "checking that the new secret signs in");
        let result = run(&self.policy, observer, || self.attempt(secret)).await;
        match &result {
            Ok(v) => tracing::info!(
                client_id = %self.client_id,
                attempts = v.attempts,
                ms = v.elapsed.as_millis() as u64,
                "the new secret signs in"
            ),
            Err(e) => {
                tracing::warn!(client_id = %self.client_id, error = %e, "the new secret did not sign in")
            }
        }
        result
    }

    async fn attempt(&self, secret: &SecretValue) -> Result<(), EndpointError> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("scope", self.scope.as_str()),
            // Only ever in the form body, encoded by the form encoder.
            ("client_secret", secret.expose()),
        ];
        // The check needs the answer, not the token: it is dropped (and zeroized) unread.
        drop(self.endpoint.token(&form).await?);
        Ok(())
    }
}

/// The retry loop over any attempt (the tests drive it on a paused clock).
pub async fn run<F, Fut>(
    policy: &VerifyPolicy,
    observer: &VerifyObserver,
    mut attempt: F,
) -> Result<Verified, VerifyError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), EndpointError>>,
{
    let start = Instant::now();
    let mut n: u32 = 0;
    let mut transport_failures = 0;
    loop {
        n += 1;
        observer(VerifyEvent::Attempt {
            attempt: n,
            elapsed: start.elapsed(),
        });
        let e = match attempt().await {
            Ok(()) => {
                return Ok(Verified {
                    elapsed: start.elapsed(),
                    attempts: n,
                });
            }
            Err(e) => e,
        };
        let code = match &e {
            EndpointError::OAuth { codes, .. } => {
                transport_failures = 0;
                codes.iter().copied().find(|c| REPLICATING.contains(c))
            }
            EndpointError::Transport(_) => {
                transport_failures += 1;
                (transport_failures < MAX_TRANSPORT_FAILURES).then_some(0)
            }
            EndpointError::Decode { .. } => None,
        };
        let elapsed = start.elapsed();
        if let Some(code) = code
            && elapsed < policy.deadline
        {
            let wait = policy.delay(n as usize - 1).min(policy.deadline - elapsed);
            if !wait.is_zero() {
                observer(VerifyEvent::Waiting {
                    attempt: n,
                    elapsed,
                    next_in: wait,
                    code,
                });
                tokio::time::sleep(wait).await;
                continue;
            }
        }
        return Err(match e {
            EndpointError::OAuth {
                error,
                description,
                codes,
                ..
            } => VerifyError::Refused {
                cause: cause_of(&codes),
                error,
                codes,
                description,
                attempts: n,
                elapsed,
            },
            EndpointError::Transport(detail) => VerifyError::Transport {
                detail,
                attempts: n,
                elapsed,
            },
            EndpointError::Decode { .. } => VerifyError::Decode(e.to_string()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn refused(code: u64) -> EndpointError {
        EndpointError::OAuth {
            status: 401,
            error: "invalid_client".into(),
            description: format!("AADSTS{code}: refused."),
            codes: vec![code],
        }
    }

    fn recorder() -> (VerifyObserver, Arc<Mutex<Vec<VerifyEvent>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        (Arc::new(move |e| s.lock().unwrap().push(e)), seen)
    }

    #[tokio::test(start_paused = true)]
    async fn a_replicating_secret_is_retried_until_it_works() {
        let (observer, seen) = recorder();
        let mut left = 3;
        let v = run(&VerifyPolicy::default(), &observer, || {
            let r = if left > 0 {
                left -= 1;
                Err(refused(7_000_215))
            } else {
                Ok(())
            };
            async move { r }
        })
        .await
        .unwrap();
        assert_eq!(v.attempts, 4);
        assert_eq!(v.elapsed, Duration::from_secs(2 + 4 + 8));
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen[1],
            VerifyEvent::Waiting {
                attempt: 1,
                elapsed: Duration::ZERO,
                next_in: Duration::from_secs(2),
                code: 7_000_215
            }
        );
        assert_eq!(
            seen.last(),
            Some(&VerifyEvent::Attempt {
                attempt: 4,
                elapsed: Duration::from_secs(14)
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn it_gives_up_at_the_deadline_with_the_cause() {
        let (observer, seen) = recorder();
        let e = run(&VerifyPolicy::default(), &observer, || async {
            Err(refused(7_000_215))
        })
        .await
        .unwrap_err();
        assert_eq!(e.cause(), VerifyCause::InvalidSecret);
        let VerifyError::Refused {
            attempts, elapsed, ..
        } = e
        else {
            panic!("refused")
        };
        // 0, 2, 6, 14, 30, 60, 90, 120: the last attempt starts at the deadline.
        assert_eq!((attempts, elapsed), (8, Duration::from_secs(120)));
        let waits: Vec<Duration> = seen
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                VerifyEvent::Waiting { next_in, .. } => Some(*next_in),
                _ => None,
            })
            .collect();
        assert_eq!(waits.iter().sum::<Duration>(), Duration::from_secs(120));
    }

    #[tokio::test(start_paused = true)]
    async fn other_refusals_stop_at_once() {
        for (code, cause) in [
            (7_000_112, VerifyCause::AppDisabled),
            (53_003, VerifyCause::ConditionalAccess),
            (90_002, VerifyCause::TenantNotFound),
            (7_000_218, VerifyCause::EmptySecret),
            (50_000, VerifyCause::Refused),
        ] {
            let mut calls = 0;
            let e = run(&VerifyPolicy::default(), &quiet(), || {
                calls += 1;
                async move { Err(refused(code)) }
            })
            .await
            .unwrap_err();
            assert_eq!(e.cause(), cause, "{code}");
            assert_eq!(calls, 1, "{code} is not retried");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn expiry_and_unknown_app_are_retried_then_named() {
        for (code, cause) in [
            (7_000_222, VerifyCause::Expired),
            (700_016, VerifyCause::AppNotFound),
        ] {
            let e = run(&VerifyPolicy::default(), &quiet(), || async move {
                Err(refused(code))
            })
            .await
            .unwrap_err();
            assert_eq!(e.cause(), cause);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn network_failures_are_tolerated_briefly() {
        let mut calls = 0;
        let v = run(&VerifyPolicy::default(), &quiet(), || {
            calls += 1;
            let r = if calls < 3 {
                Err(EndpointError::Transport("could not connect".into()))
            } else {
                Ok(())
            };
            async move { r }
        })
        .await
        .unwrap();
        assert_eq!(v.attempts, 3);
        let e = run(&VerifyPolicy::default(), &quiet(), || async {
            Err(EndpointError::Transport("down".into()))
        })
        .await
        .unwrap_err();
        assert_eq!(e.cause(), VerifyCause::Network);
    }

    #[test]
    fn a_tenant_alias_is_refused() {
        let login = Url::parse("https://login.microsoftonline.com/").unwrap();
        let app = ApplicationId::new("8ce4b1cd-654a-4d3b-9b85-7a1b0c8e7f10");
        assert!(Verifier::new(&login, "organizations", &app, "x/.default").is_err());
        assert!(Verifier::new(&login, "contoso.com", &app, "x/.default").is_ok());
    }
}
