//! Credentials: where the Graph access token comes from. Knows no terminal.
//!
//! One trait, [`TokenSource`], used by the Graph client. Sources: a ready token
//! (`AZSECRETS_ACCESS_TOKEN`, the sandbox), the service principal from the environment (client
//! credentials), the Azure CLI, and device code. [`endpoints`] holds the cloud table and the
//! https-only rule for non-loopback hosts.

pub mod endpoints;

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::SecretString;

pub use endpoints::{Cloud, Endpoints};

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
}

/// Anything that can hand out a Graph access token.
pub trait TokenSource: Send + Sync {
    /// A valid token; `force_refresh` after Graph answered 401 with the previous one.
    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, AuthError>>;
    fn kind(&self) -> SourceKind;
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
