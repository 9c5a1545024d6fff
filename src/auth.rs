//! Credentials: where access tokens come from. Knows no terminal.
//!
//! One trait, [`TokenSource`], used by the Graph, Key Vault and Resource Manager clients: `token`
//! gives a Graph token, `token_for` a token for any [`Resource`] from the same sign-in (Azure
//! CLI with `--resource`, client credentials with `{resource}/.default`, device code through its
//! refresh token; the ready token is Graph-only). Sources: a ready token
//! (`AZSECRETS_ACCESS_TOKEN`, the sandbox), the service principal from the environment
//! ([`client_credentials`]), the Azure CLI ([`azure_cli`]), and device code ([`device_code`],
//! whose refresh token is kept by [`cache`]). [`token_endpoint`] speaks the identity platform's
//! v2.0 endpoints over our one reqwest stack. [`endpoints`] holds the cloud table and the
//! https-only rule for non-loopback hosts.
//!
//! Tokens never reach logs, Debug output, error messages or process arguments: they live in
//! [`SecretString`] and are exposed only to put them in a request.

pub mod azure_cli;
pub mod cache;
pub mod client_credentials;
pub mod device_code;
pub mod endpoints;
pub mod resource;
pub mod token_endpoint;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::SecretString;

pub use azure_cli::AzureCli;
pub use cache::{CacheKey, TokenCache};
pub use client_credentials::ClientCredentials;
pub use device_code::{DeviceCode, DeviceCodeEvent, DevicePrompt, PromptSink};
pub use endpoints::{Cloud, Endpoints};
pub use resource::{Resource, ResourceKind, TokenRequest};
pub use token_endpoint::TokenEndpoint;

/// The public client azsecrets signs in with by default (Microsoft Graph Command Line Tools,
/// contract 11f): it may request Graph scopes dynamically, unlike the Azure CLI's client id.
pub const DEFAULT_PUBLIC_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

/// Tokens are refreshed this long before they expire, so a request never leaves with a token
/// that dies in flight. Capped at half the lifetime for short-lived tokens (see [`Held`]).
pub const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

/// An access token and when it expires.
#[derive(Clone)]
pub struct AccessToken {
    pub token: SecretString,
    pub expires_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &crate::secret::REDACTED)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// How the user signed in, for the header and `whoami`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Sandbox,
    StaticToken,
    ServicePrincipal,
    AzureCli,
    DeviceCode,
}

impl SourceKind {
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Sandbox => "sandbox",
            SourceKind::StaticToken => "access token",
            SourceKind::ServicePrincipal => "service principal",
            SourceKind::AzureCli => "Azure CLI",
            SourceKind::DeviceCode => "device code",
        }
    }

    /// Service principals have no `/me` (contract trap 21).
    pub fn is_app_only(self) -> bool {
        matches!(self, SourceKind::ServicePrincipal)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    #[error("sign-in failed ({source_name}): {message}")]
    Failed {
        source_name: &'static str,
        message: String,
    },
    #[error("{0}")]
    Config(String),
    /// The identity platform refused the request (`error` is the OAuth code, e.g. `invalid_client`).
    #[error("sign-in failed ({source_name}): {error}: {description}")]
    Refused {
        source_name: &'static str,
        error: String,
        description: String,
    },
    /// The login endpoint could not be reached.
    #[error("sign-in failed ({source_name}): could not reach the login endpoint: {detail}")]
    Transport {
        source_name: &'static str,
        detail: String,
    },
    /// A token for a resource other than Graph could not be had (see [`ResourceTokenError`]).
    #[error(transparent)]
    Resource(#[from] ResourceTokenError),
    #[error("device-code sign-in was declined in the browser")]
    Declined,
    #[error("the device code expired before sign-in finished: start again to get a new code")]
    DeviceCodeExpired,
}

/// Why a token for Key Vault or Resource Manager could not be had, beyond the failures every
/// sign-in shares.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceTokenError {
    /// The source cannot give tokens for this resource (the ready token is Graph-only).
    #[error(
        "{source_name} gives Microsoft Graph tokens only, and a Graph token is never sent to {resource}: sign in with the Azure CLI, a service principal or device code to use {resource}"
    )]
    NotForResource {
        source_name: &'static str,
        resource: ResourceKind,
    },
    /// The identity platform refused a token for another resource for want of consent:
    /// AADSTS65001 (the user or an administrator has not consented to the client for that
    /// resource) or AADSTS65002 (a Microsoft first-party client not preauthorized for it).
    #[error("{}", consent_display(.client_id, *.resource, *.code, .description))]
    ConsentRequired {
        client_id: String,
        resource: ResourceKind,
        /// 65001 or 65002.
        code: u64,
        /// The first line of the identity platform's description.
        description: String,
    },
}

fn consent_display(
    client_id: &str,
    resource: ResourceKind,
    code: u64,
    description: &str,
) -> String {
    let why = if code == 65002 {
        format!(
            "the sign-in's client ({client_id}) is a Microsoft first-party app that is not preauthorized for {resource}"
        )
    } else {
        format!("nobody has consented to the sign-in's client ({client_id}) using {resource}")
    };
    format!(
        "could not get a token for {resource}: {why} (AADSTS{code}: {description}). Sign in with the Azure CLI (`az login`, then --auth cli), with a service principal, or pass --client-id of your own public client app that has {resource}'s user_impersonation delegated permission (with consent)"
    )
}

/// Anything that can hand out access tokens.
pub trait TokenSource: Send + Sync {
    /// A valid Microsoft Graph token; `force_refresh` after Graph answered 401 with the
    /// previous one.
    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, AuthError>>;

    /// A valid token for `request`'s resource, from the same sign-in; `force_refresh` after
    /// the resource answered 401. The default serves Graph only (and ignores the tenant).
    fn token_for<'a>(
        &'a self,
        request: &'a TokenRequest,
        force_refresh: bool,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        if request.resource.kind() == ResourceKind::Graph {
            return self.token(force_refresh);
        }
        let err = ResourceTokenError::NotForResource {
            source_name: match self.kind() {
                SourceKind::StaticToken => "the access token in AZSECRETS_ACCESS_TOKEN",
                other => other.label(),
            },
            resource: request.resource.kind(),
        };
        Box::pin(async move { Err(err.into()) })
    }

    fn kind(&self) -> SourceKind;
    /// The application (client) id the token is issued to, when the source knows it: the
    /// service principal's `AZURE_CLIENT_ID`, or the device-code public client.
    fn client_id(&self) -> Option<&str> {
        None
    }
}

/// A ready token (from `AZSECRETS_ACCESS_TOKEN` or the in-process sandbox). It cannot refresh.
pub struct StaticToken {
    token: SecretString,
    kind: SourceKind,
}

impl StaticToken {
    pub fn new(token: SecretString, kind: SourceKind) -> Arc<Self> {
        Arc::new(Self { token, kind })
    }
}

impl TokenSource for StaticToken {
    fn token(&self, _force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        let t = AccessToken {
            token: self.token.clone(),
            expires_at: None,
        };
        Box::pin(async move { Ok(t) })
    }

    fn kind(&self) -> SourceKind {
        self.kind
    }
}

/// A token held by a refreshing source, with its deadlines on tokio's clock (so tests can run
/// with a paused clock and `tokio::time::advance`) and its wall-clock expiry for display.
#[derive(Clone, Debug)]
pub(crate) struct Held {
    pub token: AccessToken,
    /// From here on the source fetches a new token before handing one out.
    pub refresh_at: tokio::time::Instant,
    /// After this the token is useless even as a fallback.
    pub expires: tokio::time::Instant,
}

impl Held {
    /// A token valid for `lifetime` from now.
    pub fn new(token: SecretString, lifetime: Duration) -> Self {
        let now = tokio::time::Instant::now();
        let ahead = REFRESH_AHEAD.min(lifetime / 2);
        let expires_at = chrono::Duration::from_std(lifetime)
            .ok()
            .and_then(|d| Utc::now().checked_add_signed(d));
        Self {
            token: AccessToken { token, expires_at },
            refresh_at: now + (lifetime - ahead),
            expires: now + lifetime,
        }
    }

    /// A token that expires at a known wall-clock moment (the Azure CLI says when).
    pub fn until(token: SecretString, expires_at: DateTime<Utc>) -> Self {
        let lifetime = (expires_at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        let mut held = Self::new(token, lifetime);
        held.token.expires_at = Some(expires_at);
        held
    }

    /// Early enough that no refresh is due.
    pub fn is_fresh(&self) -> bool {
        tokio::time::Instant::now() < self.refresh_at
    }

    /// Not yet expired (usable when a due refresh failed for a passing reason).
    pub fn is_valid(&self) -> bool {
        tokio::time::Instant::now() < self.expires
    }
}

/// The held-token rule shared by the sources that fetch a whole new token each time (Azure CLI,
/// client credentials): hand out the held token while it is fresh, else `fetch` one, holding
/// the lock across the fetch so concurrent callers share it. When a due refresh fails for a
/// passing reason (`passing`) and the held token has not expired, keep using it — but not right
/// after a 401 (`force_refresh`), which proved it no longer works.
pub(crate) async fn held_or_fetch<E, F>(
    held: &tokio::sync::Mutex<Option<Held>>,
    force_refresh: bool,
    fetch: impl FnOnce() -> F,
    passing: impl Fn(&E) -> bool,
) -> Result<AccessToken, AuthError>
where
    E: std::fmt::Display + Into<AuthError>,
    F: std::future::Future<Output = Result<Held, E>>,
{
    let mut held = held.lock().await;
    if let Some(h) = held.as_ref()
        && !force_refresh
        && h.is_fresh()
    {
        return Ok(h.token.clone());
    }
    match fetch().await {
        Ok(h) => {
            let t = h.token.clone();
            *held = Some(h);
            Ok(t)
        }
        Err(e) if passing(&e) => match held.as_ref() {
            Some(h) if !force_refresh && h.is_valid() => {
                tracing::warn!(error = %e, "token refresh failed; using the current token until it expires");
                Ok(h.token.clone())
            }
            _ => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// One held token per [`TokenRequest`], each behind its own lock so a slow fetch for one
/// resource does not hold up another (used with [`held_or_fetch`]).
#[derive(Default)]
pub(crate) struct HeldByRequest(
    std::sync::Mutex<
        std::collections::HashMap<TokenRequest, Arc<tokio::sync::Mutex<Option<Held>>>>,
    >,
);

impl HeldByRequest {
    pub fn slot(&self, request: &TokenRequest) -> Arc<tokio::sync::Mutex<Option<Held>>> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(request.clone()).or_default().clone()
    }
}

/// The first line of an identity-platform or CLI message, trimmed and bounded: AADSTS
/// descriptions carry trace and correlation ids on later lines that only clutter a terminal.
pub(crate) fn first_line(s: &str, max: usize) -> String {
    let line = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.chars().count() > max {
        let mut t: String = line.chars().take(max).collect();
        t.push('…');
        t
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn held_tokens_refresh_five_minutes_ahead_or_at_half_life() {
        let long = Held::new(SecretString::from("a"), Duration::from_secs(3600));
        assert!(long.is_fresh());
        tokio::time::advance(Duration::from_secs(3600 - 301)).await;
        assert!(long.is_fresh());
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(!long.is_fresh(), "due 5 minutes before expiry");
        assert!(long.is_valid());
        tokio::time::advance(Duration::from_secs(300)).await;
        assert!(!long.is_valid());

        let short = Held::new(SecretString::from("b"), Duration::from_secs(60));
        tokio::time::advance(Duration::from_secs(29)).await;
        assert!(short.is_fresh());
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(!short.is_fresh(), "a 60 s token is refreshed after 30 s");
        assert!(short.is_valid());
    }

    #[test]
    fn access_token_debug_is_redacted() {
        let t = AccessToken {
            token: SecretString::from("eyJ0-very-secret"),
            expires_at: None,
        };
        let s = format!("{t:?}");
        assert!(!s.contains("very-secret"), "{s}");
    }

    #[test]
    fn first_line_drops_trace_ids_and_bounds_length() {
        let d =
            "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x\r\nCorrelation ID: y";
        assert_eq!(
            first_line(d, 200),
            "AADSTS7000215: Invalid client secret provided."
        );
        assert_eq!(first_line("\n  abcdef", 3), "abc…");
    }
}
