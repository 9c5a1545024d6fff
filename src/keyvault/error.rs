//! Key Vault errors: typed, with the HTTP status, Key Vault's `code` and `innererror.code`, the
//! message's first line and `x-ms-request-id`, and a typed [`VaultCause`] from which each
//! front-end words its own advice (docs/contract.md, "Key Vault errors").

use serde::Deserialize;

use super::names::NameError;
use crate::auth::AuthError;

/// How a vault authorizes data actions (ARM's `enableRbacAuthorization`); the fix for a 403
/// differs: a role assignment ("Key Vault Secrets Officer") or an access policy with `set`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PermissionModel {
    Rbac,
    AccessPolicy,
    /// Neither the answer nor ARM told.
    Unknown,
}

impl PermissionModel {
    /// From ARM's `properties.enableRbacAuthorization` (absent means access policies).
    pub fn from_arm(enable_rbac_authorization: Option<bool>) -> Self {
        if enable_rbac_authorization == Some(true) {
            PermissionModel::Rbac
        } else {
            PermissionModel::AccessPolicy
        }
    }
}

/// Why a Key Vault request failed, for the front-ends' advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaultCause {
    /// 403 on a data action: the signed-in identity lacks the permission.
    Forbidden(PermissionModel),
    /// 403 `ForbiddenByFirewall`: the vault's network rules refuse this address.
    Firewall,
    /// 403 `SecretDisabled`.
    SecretDisabled,
    /// 409 `ObjectIsDeletedButRecoverable`: the name is held by a soft-deleted secret.
    DeletedButRecoverable,
    /// 409 `ObjectIsBeingDeleted`: try again in a few seconds.
    BeingDeleted,
    /// 400: the name is not a secret name (caught before sending when possible).
    InvalidName,
    /// 404 `SecretNotFound`.
    NotFound,
    /// 401 AKV10032: the token is from another tenant than the vault's.
    WrongTenant,
    /// 401 for any other reason (audience, expiry, signature).
    Unauthorized,
    /// No HTTP answer at all: the vault name does not resolve (it does not exist, or was
    /// created minutes ago), or the network is down.
    VaultNotFound,
    Throttled,
    ServerError,
    /// Any other 4xx.
    Rejected,
    Network,
    UnreadableReply,
    ForeignLink,
    /// The vault's 401 challenge was missing, unreadable, or named a resource that does not own
    /// the vault's host.
    Challenge,
    SignIn,
    /// A name, URL or template given by the user is not valid.
    InvalidInput,
}

/// An error answer from Key Vault (`{"error":{"code","message","innererror":{"code"}}}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultApiError {
    /// What azsecrets was doing ("store the secret in the vault").
    pub operation: &'static str,
    /// The vault's URL.
    pub vault: String,
    pub status: u16,
    pub code: String,
    /// The innermost `innererror.code` (e.g. `ForbiddenByRbac`).
    pub inner_code: Option<String>,
    /// The message's first line (Key Vault's RBAC messages run on for lines).
    pub message: String,
    pub request_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyVaultError {
    #[error("{}", api_display(.0))]
    Api(Box<VaultApiError>),
    #[error(
        "could not reach the key vault at {vault} ({detail}): the vault may not exist (its name does not resolve), may have been created minutes ago, or the network is down"
    )]
    Unreachable { vault: String, detail: String },
    #[error("could not {operation}: {detail}")]
    Transport {
        operation: &'static str,
        detail: String,
    },
    #[error("could not {operation}: the vault sent a reply azsecrets cannot read ({detail})")]
    Decode {
        operation: &'static str,
        detail: String,
    },
    #[error(
        "refused to follow a paging link to {url}: it is not the vault {expected}, and the access token is only sent there"
    )]
    ForeignLink { url: String, expected: String },
    #[error("the key vault at {vault} cannot be signed in to: {detail}")]
    Challenge { vault: String, detail: String },
    #[error(transparent)]
    Name(#[from] NameError),
    /// The request breaks a documented Key Vault limit (caught before sending).
    #[error("cannot store the secret: {0}")]
    Invalid(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl From<crate::http::ForeignLink> for KeyVaultError {
    fn from(f: crate::http::ForeignLink) -> Self {
        KeyVaultError::ForeignLink {
            url: f.url,
            expected: f.expected,
        }
    }
}

fn api_display(e: &VaultApiError) -> String {
    let mut s = format!(
        "could not {} ({}): {} {}",
        e.operation, e.vault, e.status, e.code
    );
    if let Some(i) = &e.inner_code {
        s.push_str(&format!("/{i}"));
    }
    s.push_str(&format!(" — {}", e.message));
    if let Some(id) = &e.request_id {
        s.push_str(&format!(" (x-ms-request-id {id})"));
    }
    s
}

impl KeyVaultError {
    pub fn api(&self) -> Option<&VaultApiError> {
        match self {
            KeyVaultError::Api(e) => Some(e),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        self.api().map(|e| e.status)
    }

    pub fn cause(&self) -> VaultCause {
        match self {
            KeyVaultError::Api(e) => cause_of(e),
            KeyVaultError::Unreachable { .. } => VaultCause::VaultNotFound,
            KeyVaultError::Transport { .. } => VaultCause::Network,
            KeyVaultError::Decode { .. } => VaultCause::UnreadableReply,
            KeyVaultError::ForeignLink { .. } => VaultCause::ForeignLink,
            KeyVaultError::Challenge { .. } => VaultCause::Challenge,
            KeyVaultError::Name(_) | KeyVaultError::Invalid(_) => VaultCause::InvalidInput,
            KeyVaultError::Auth(_) => VaultCause::SignIn,
        }
    }
}

fn cause_of(e: &VaultApiError) -> VaultCause {
    let inner = e.inner_code.as_deref().unwrap_or("");
    match e.status {
        401 if e.message.starts_with("AKV10032") => VaultCause::WrongTenant,
        401 => VaultCause::Unauthorized,
        403 => match inner {
            "ForbiddenByRbac" => VaultCause::Forbidden(PermissionModel::Rbac),
            "AccessDenied" => VaultCause::Forbidden(PermissionModel::AccessPolicy),
            "ForbiddenByFirewall" => VaultCause::Firewall,
            "SecretDisabled" => VaultCause::SecretDisabled,
            // The inner code is "not part of the service contract": fall back on the wording.
            _ if e.message.contains("DeniedWithNoValidRBAC")
                || e.message.starts_with("Caller is not authorized") =>
            {
                VaultCause::Forbidden(PermissionModel::Rbac)
            }
            _ if e.message.contains("does not have secrets") => {
                VaultCause::Forbidden(PermissionModel::AccessPolicy)
            }
            _ => VaultCause::Forbidden(PermissionModel::Unknown),
        },
        409 if inner == "ObjectIsDeletedButRecoverable"
            || e.message.contains("deleted but recoverable") =>
        {
            VaultCause::DeletedButRecoverable
        }
        409 if inner == "ObjectIsBeingDeleted" => VaultCause::BeingDeleted,
        404 => VaultCause::NotFound,
        400 if e.message.contains("invalid name") => VaultCause::InvalidName,
        429 => VaultCause::Throttled,
        500..=599 => VaultCause::ServerError,
        _ => VaultCause::Rejected,
    }
}

#[derive(Deserialize)]
struct Envelope {
    error: Body,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    innererror: Option<Inner>,
}

#[derive(Deserialize)]
struct Inner {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    innererror: Option<Box<Inner>>,
}

/// Build a [`VaultApiError`] from an error answer; bodies that are not Key Vault's shape keep
/// the status and say so.
pub(crate) fn parse_api_error(
    operation: &'static str,
    vault: &str,
    status: u16,
    request_id: Option<String>,
    body: &[u8],
) -> VaultApiError {
    let (code, message, inner_code) = match serde_json::from_slice::<Envelope>(body) {
        Ok(env) => {
            let mut inner = env.error.innererror.as_ref();
            let mut deepest = None;
            while let Some(i) = inner {
                if i.code.is_some() {
                    deepest = i.code.clone();
                }
                inner = i.innererror.as_deref();
            }
            (
                env.error.code.unwrap_or_default(),
                env.error.message.unwrap_or_default(),
                deepest,
            )
        }
        Err(_) => (
            format!("HTTP{status}"),
            "the vault's answer was not a Key Vault error".to_owned(),
            None,
        ),
    };
    VaultApiError {
        operation,
        vault: vault.to_owned(),
        status,
        code,
        inner_code,
        message: crate::auth::first_line(&message, 400),
        request_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, body: &str) -> KeyVaultError {
        KeyVaultError::Api(Box::new(parse_api_error(
            "store the secret",
            "https://kv.vault.azure.net/",
            status,
            Some("r".into()),
            body.as_bytes(),
        )))
    }

    #[test]
    fn causes_tell_the_permission_model() {
        let rbac = err(
            403,
            r#"{"error":{"code":"Forbidden","message":"Caller is not authorized to perform action on resource.\r\nIf role assignments...","innererror":{"code":"ForbiddenByRbac"}}}"#,
        );
        assert_eq!(rbac.cause(), VaultCause::Forbidden(PermissionModel::Rbac));
        assert!(
            !rbac.to_string().contains("If role assignments"),
            "first line only"
        );
        let policy = err(
            403,
            r#"{"error":{"code":"Forbidden","message":"The user, group or application 'appid=x' does not have secrets set permission on key vault 'kv;location=westeurope'.","innererror":{"code":"AccessDenied"}}}"#,
        );
        assert_eq!(
            policy.cause(),
            VaultCause::Forbidden(PermissionModel::AccessPolicy)
        );
        let no_inner = err(
            403,
            r#"{"error":{"code":"Forbidden","message":"The user, group or application 'x' does not have secrets get permission"}}"#,
        );
        assert_eq!(
            no_inner.cause(),
            VaultCause::Forbidden(PermissionModel::AccessPolicy)
        );
        assert_eq!(
            err(403, r#"{"error":{"code":"Forbidden","message":"?"}}"#).cause(),
            VaultCause::Forbidden(PermissionModel::Unknown)
        );
    }

    #[test]
    fn other_causes() {
        assert_eq!(
            err(409, r#"{"error":{"code":"Conflict","message":"Secret x is currently in a deleted but recoverable state","innererror":{"code":"ObjectIsDeletedButRecoverable"}}}"#).cause(),
            VaultCause::DeletedButRecoverable
        );
        assert_eq!(
            err(
                401,
                r#"{"error":{"code":"Unauthorized","message":"AKV10032: Invalid issuer."}}"#
            )
            .cause(),
            VaultCause::WrongTenant
        );
        assert_eq!(
            err(400, r#"{"error":{"code":"BadParameter","message":"The request URI contains an invalid name: a.b"}}"#).cause(),
            VaultCause::InvalidName
        );
        assert_eq!(err(404, "{}").cause(), VaultCause::NotFound);
        assert_eq!(err(502, "<html>").cause(), VaultCause::ServerError);
        let nested = err(
            403,
            r#"{"error":{"code":"Forbidden","message":"x","innererror":{"code":"Outer","innererror":{"code":"ForbiddenByFirewall"}}}}"#,
        );
        assert_eq!(nested.cause(), VaultCause::Firewall);
    }
}
