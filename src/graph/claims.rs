//! What an access token says about itself: the claims in its payload, read without verifying
//! the signature (Graph verifies; this is only for telling the user who they are when Graph
//! will not, e.g. `whoami` without permission to read the tenant). The token itself is never
//! kept or shown: only these claims.

use base64::Engine;
use serde::Deserialize;

/// The claims azsecrets shows (Microsoft identity platform v1 and v2 access tokens).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TokenClaims {
    /// Directory (tenant) ID.
    #[serde(default)]
    pub tid: Option<String>,
    /// The signed-in user's or service principal's object id.
    #[serde(default)]
    pub oid: Option<String>,
    /// The client application's id (v1 tokens).
    #[serde(default)]
    pub appid: Option<String>,
    /// The client application's id (v2 tokens).
    #[serde(default)]
    pub azp: Option<String>,
    #[serde(default)]
    pub app_displayname: Option<String>,
    /// The user's sign-in name (delegated tokens).
    #[serde(default)]
    pub upn: Option<String>,
    #[serde(default)]
    pub unique_name: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// `app` for app-only tokens (optional claim).
    #[serde(default)]
    pub idtyp: Option<String>,
    /// Delegated permissions, space-separated.
    #[serde(default)]
    pub scp: Option<String>,
    /// Application permissions.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl TokenClaims {
    /// The payload of a JWT (`header.payload.signature`); `None` when `token` is not one.
    pub fn decode(token: &str) -> Option<Self> {
        let mut parts = token.trim().split('.');
        let (_header, payload) = (parts.next()?, parts.next()?);
        parts.next()?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The application the token was issued to.
    pub fn app_id(&self) -> Option<&str> {
        self.appid.as_deref().or(self.azp.as_deref())
    }

    /// The user's sign-in name, for a delegated token.
    pub fn user(&self) -> Option<&str> {
        self.upn
            .as_deref()
            .or(self.preferred_username.as_deref())
            .or(self.unique_name.as_deref())
    }

    /// App-only: no user and no delegated scopes (or `idtyp` says so).
    pub fn is_app_only(&self) -> bool {
        self.idtyp.as_deref() == Some("app") || (self.scp.is_none() && self.user().is_none())
    }

    /// The token carries `permission` (a delegated scope or an application role).
    pub fn has(&self, permission: &str) -> bool {
        let scopes = self.scp.as_deref().unwrap_or("").split_whitespace();
        scopes
            .chain(self.roles.iter().map(String::as_str))
            .any(|p| p.eq_ignore_ascii_case(permission))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &serde_json::Value) -> String {
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.sig",
            b64(br#"{"typ":"JWT","alg":"none"}"#),
            b64(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn reads_app_only_and_delegated_tokens() {
        let app = TokenClaims::decode(&jwt(&serde_json::json!({
            "tid": "t", "oid": "o", "appid": "a", "idtyp": "app",
            "roles": ["Application.ReadWrite.All"]
        })))
        .unwrap();
        assert_eq!(app.tid.as_deref(), Some("t"));
        assert_eq!(app.app_id(), Some("a"));
        assert!(app.is_app_only());
        assert!(app.has("application.readwrite.all"));
        assert!(!app.has("Organization.Read.All"));

        let user = TokenClaims::decode(&jwt(&serde_json::json!({
            "tid": "t", "azp": "c", "upn": "u@x", "scp": "User.Read Application.ReadWrite.All"
        })))
        .unwrap();
        assert_eq!(user.user(), Some("u@x"));
        assert!(!user.is_app_only());
        assert!(user.has("User.Read"));
    }

    #[test]
    fn opaque_tokens_say_nothing() {
        assert_eq!(TokenClaims::decode("opaque-token"), None);
        assert_eq!(TokenClaims::decode("a.b"), None);
        assert_eq!(TokenClaims::decode("a.!!!.c"), None);
    }
}
