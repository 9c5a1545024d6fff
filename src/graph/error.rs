//! Graph errors: typed, carrying what failed, the HTTP status, Graph's `code`, `message` and
//! `request-id`, and a typed [`Cause`] (the front-ends word what to do about it).
//!
//! Graph's own words (code, message, request ids) are tenant-controlled text: the `Display`
//! forms here pass them through [`crate::sanitize::clean`], so no message built from an error
//! can carry an escape sequence or a line break to a terminal (or into a log).

use std::time::Duration;

use serde::Deserialize;

use crate::auth::AuthError;
use crate::sanitize::clean;

/// An error answer from Graph (`{"error":{"code","message","innerError":{...}}}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// What azsecrets was doing ("list applications", "add a client secret").
    pub operation: &'static str,
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
    pub retry_after: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("{}", api_display(.0))]
    Api(Box<ApiError>),
    #[error("could not {operation}: {}", clean(.detail))]
    Transport {
        operation: &'static str,
        detail: String,
    },
    #[error(
        "could not {operation}: Graph sent a reply azsecrets cannot read ({})",
        clean(.detail)
    )]
    Decode {
        operation: &'static str,
        detail: String,
    },
    /// The request never left: azsecrets refused or could not build it. Not a network error.
    #[error("could not {operation}: the request was not sent: {reason}")]
    NotSent {
        operation: &'static str,
        reason: NotSent,
    },
    #[error(
        "refused to follow a paging link to {}: it is not the configured Graph endpoint {expected}, and the access token is only sent there", clean(.url)
    )]
    ForeignLink { url: String, expected: String },
    #[error("'{}' is not a valid identifier (expected a GUID)", clean(.0))]
    InvalidId(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl From<crate::http::ForeignLink> for GraphError {
    fn from(f: crate::http::ForeignLink) -> Self {
        GraphError::ForeignLink {
            url: f.url,
            expected: f.expected,
        }
    }
}

/// Why a request was not sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotSent {
    /// The URL is longer than Graph accepts (a huge filter).
    #[error(
        "it would be {len} characters long, and Graph takes URLs of at most {max} (is the filter that long?)"
    )]
    UrlTooLong { len: usize, max: usize },
    /// The access token holds characters an HTTP header cannot carry (a line break, a
    /// control character). The token itself is never shown.
    #[error("the access token holds characters an HTTP header cannot carry")]
    TokenNotSendable,
    /// The HTTP client could not build the request.
    #[error("the HTTP request could not be built ({0})")]
    Build(String),
}

fn api_display(e: &ApiError) -> String {
    let mut s = format!(
        "could not {}: {} {} — {}",
        e.operation,
        e.status,
        clean(&e.code),
        clean(&e.message)
    );
    if let Some(id) = &e.request_id {
        s.push_str(&format!(" (request-id {})", clean(id)));
    }
    s
}

impl GraphError {
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            GraphError::Api(e) => Some(e.as_ref()),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        self.api().map(|e| e.status)
    }

    pub fn code(&self) -> Option<&str> {
        self.api().map(|e| e.code.as_str())
    }

    pub fn request_id(&self) -> Option<&str> {
        self.api().and_then(|e| e.request_id.as_deref())
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Why it failed, as a typed cause; each front-end words its own advice from it (the TUI
    /// with its keys, the CLI with its flags).
    pub fn cause(&self) -> Cause {
        match self {
            GraphError::Api(e) => cause_of(e),
            GraphError::Transport { .. } => Cause::Network,
            GraphError::Decode { .. } => Cause::UnreadableReply,
            GraphError::NotSent { reason, .. } => match reason {
                NotSent::UrlTooLong { .. } => Cause::RequestTooLong,
                NotSent::TokenNotSendable => Cause::TokenNotSendable,
                NotSent::Build(_) => Cause::NotSent,
            },
            GraphError::ForeignLink { .. } => Cause::ForeignLink,
            GraphError::InvalidId(_) => Cause::InvalidId,
            GraphError::Auth(_) => Cause::SignIn,
        }
    }
}

/// Why a Graph call failed, without words: the front-ends say what to do about each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The tenant's app management policy caps the lifetime of secrets.
    PolicyLifetime,
    /// The tenant's policy forbids client secrets on this app.
    PolicySecretsBlocked,
    /// Apps that allow personal Microsoft accounts hold at most two secrets.
    SecretLimit,
    /// The identity lacks the role or ownership (403, Authorization_RequestDenied).
    Forbidden,
    /// The token was refused (401).
    Unauthorized,
    /// The object is gone, or was created seconds ago and has not replicated (404).
    NotFound,
    /// Graph throttled (429) or was briefly unavailable (502, 503, 504).
    Throttled,
    /// Graph failed (other 5xx).
    ServerError,
    /// Graph refused the request for another reason (other 4xx).
    Rejected,
    /// The request did not reach Graph, or the reply did not come back.
    Network,
    /// The request was too long to send (a huge filter): it never left.
    RequestTooLong,
    /// The access token cannot be sent in a header (a line break in it): it never left.
    TokenNotSendable,
    /// The request could not be built: it never left.
    NotSent,
    /// Graph's reply could not be read: a bug, or a Graph change.
    UnreadableReply,
    /// A paging link pointed away from the configured Graph endpoint.
    ForeignLink,
    /// An id that is not a GUID.
    InvalidId,
    /// Signing in failed (the sign-in error says why).
    SignIn,
}

fn cause_of(e: &ApiError) -> Cause {
    match (e.status, e.code.as_str()) {
        (_, "CredentialInvalidLifetimeAsPerAppPolicy") => Cause::PolicyLifetime,
        (_, "CredentialTypeNotAllowedAsPerAppPolicy") => Cause::PolicySecretsBlocked,
        _ if e.message.contains("maximum of 2") => Cause::SecretLimit,
        (403, _) | (_, "Authorization_RequestDenied") => Cause::Forbidden,
        (401, _) => Cause::Unauthorized,
        (404, _) => Cause::NotFound,
        (429, _) | (502, _) | (503, _) | (504, _) => Cause::Throttled,
        (s, _) if s >= 500 => Cause::ServerError,
        _ => Cause::Rejected,
    }
}

/// Graph's error body.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub struct ErrorDetail {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "innerError")]
    pub inner_error: Option<InnerError>,
}

#[derive(Debug, Deserialize)]
pub struct InnerError {
    #[serde(default, rename = "request-id")]
    pub request_id: Option<String>,
    #[serde(default, rename = "client-request-id")]
    pub client_request_id: Option<String>,
}

/// Build an [`ApiError`] from a status, headers and body text.
pub fn parse_api_error(
    operation: &'static str,
    status: u16,
    header_request_id: Option<String>,
    header_client_request_id: Option<String>,
    retry_after: Option<Duration>,
    body: &str,
) -> ApiError {
    let parsed = serde_json::from_str::<ErrorBody>(body).ok();
    let (code, message, inner) = match parsed {
        Some(b) => (b.error.code, b.error.message, b.error.inner_error),
        None => (
            String::new(),
            body.chars().take(200).collect::<String>(),
            None,
        ),
    };
    let code = if code.is_empty() {
        format!("HTTP{status}")
    } else {
        code
    };
    let message = if message.is_empty() {
        "(no message)".to_owned()
    } else {
        message
    };
    ApiError {
        operation,
        status,
        code,
        message,
        request_id: header_request_id.or_else(|| inner.as_ref().and_then(|i| i.request_id.clone())),
        client_request_id: header_client_request_id
            .or_else(|| inner.and_then(|i| i.client_request_id)),
        retry_after,
    }
}
