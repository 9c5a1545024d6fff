//! Graph errors: typed, carrying what failed, the HTTP status, Graph's `code`, `message` and
//! `request-id`, and what the user can do about it.

use std::time::Duration;

use serde::Deserialize;

use crate::auth::AuthError;
use crate::graph::models::ClientSecret;

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
    #[error("could not {operation}: {detail}")]
    Transport {
        operation: &'static str,
        detail: String,
    },
    #[error("could not {operation}: Graph sent a reply azsecrets cannot read ({detail})")]
    Decode {
        operation: &'static str,
        detail: String,
    },
    #[error(
        "refused to follow a paging link to {url}: it is not the configured Graph endpoint {expected}, and the access token is only sent there"
    )]
    ForeignLink { url: String, expected: String },
    #[error("'{0}' is not a valid identifier (expected a GUID)")]
    InvalidId(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(
        "Graph's reply to add a client secret was lost ({detail}) and the app could not be read back: check the app's secrets before trying again"
    )]
    AddPasswordUnverified { detail: String },
    #[error("{}", lost_display(.created))]
    AddPasswordLost {
        /// The secret found when the app was read back, if one was created.
        created: Option<Box<ClientSecret>>,
        detail: String,
    },
}

fn api_display(e: &ApiError) -> String {
    let mut s = format!(
        "could not {}: {} {} — {}",
        e.operation, e.status, e.code, e.message
    );
    if let Some(id) = &e.request_id {
        s.push_str(&format!(" (request-id {id})"));
    }
    s
}

fn lost_display(created: &Option<Box<ClientSecret>>) -> String {
    match created {
        Some(s) => format!(
            "the secret was created (Secret ID {}, hint {}) but Graph's reply was lost, so its value can never be shown; delete it and add a new one",
            s.key_id,
            s.hint.as_deref().unwrap_or("none")
        ),
        None => "Graph's reply was lost and reading the app back shows no new secret: nothing was created, it is safe to try again".to_owned(),
    }
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

    /// What the user can do, in plain words, for the errors we know.
    pub fn advice(&self) -> &'static str {
        match self {
            GraphError::Api(e) => advice_for(e),
            GraphError::Transport { .. } => "Check the network connection and try again.",
            GraphError::Decode { .. } => {
                "This is a bug or an unexpected Graph change; the log file has details."
            }
            GraphError::ForeignLink { .. } => {
                "Check --graph-url; if it is right, report this as a bug."
            }
            GraphError::InvalidId(_) => "Give an Object ID or Application ID as a GUID.",
            GraphError::Auth(_) => "Fix the sign-in problem named above, then try again.",
            GraphError::AddPasswordLost {
                created: Some(_), ..
            } => "Delete the orphaned secret (press d on it) and add a new one.",
            GraphError::AddPasswordLost { created: None, .. } => "Try again.",
            GraphError::AddPasswordUnverified { .. } => {
                "Refresh the app (r) and look for a secret you did not expect before adding another."
            }
        }
    }
}

fn advice_for(e: &ApiError) -> &'static str {
    match (e.status, e.code.as_str()) {
        (_, "CredentialInvalidLifetimeAsPerAppPolicy") => {
            "Your tenant's app management policy caps secret lifetimes: choose a shorter expiry."
        }
        (_, "CredentialTypeNotAllowedAsPerAppPolicy") => {
            "Your tenant's policy does not allow client secrets on this app: use a certificate or a federated credential."
        }
        _ if e.message.contains("maximum of 2") => {
            "Apps that allow personal Microsoft accounts can have at most two client secrets: delete one first."
        }
        (403, _) | (_, "Authorization_RequestDenied") => {
            "You need to own this app or hold the Application Administrator, Cloud Application Administrator or Application Developer role."
        }
        (401, _) => "Your sign-in expired or is not valid for Graph: sign in again.",
        (404, _) => "It may have been deleted, or was created seconds ago: refresh and try again.",
        (429, _) | (503, _) | (504, _) => {
            "Graph is throttling or busy: wait a little and try again."
        }
        (s, _) if s >= 500 => "Graph had a problem: try again in a moment.",
        _ => "Check the request and try again.",
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
