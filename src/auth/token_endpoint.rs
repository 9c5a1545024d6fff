//! The Microsoft identity platform's v2.0 endpoints (contract section 11): `/token` for client
//! credentials, device code and refresh, and `/devicecode`. Written on our own reqwest client
//! (crates.md section 2: one HTTP stack). Parameters go in `application/x-www-form-urlencoded`
//! bodies, encoded by the form encoder, so a client secret with `+ / = : @` arrives intact and no
//! secret, code or token ever sits in a URL (which could end up in a log or an error message).

use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use url::Url;

use crate::http::{self, TransportWords};

/// How a request that got no answer from the login endpoint is worded, always naming the
/// endpoint; a reply that broke off is a network error here.
const WORDS: TransportWords = TransportWords {
    cut_off: "network error",
    ..TransportWords::STANDARD
};

/// `{login}/{tenant}/oauth2/v2.0/` for one tenant.
#[derive(Clone, Debug)]
pub struct TokenEndpoint {
    http: reqwest::Client,
    /// The authority root, for [`Self::for_tenant`].
    login: Url,
    base: Url,
    tenant: String,
}

/// What went wrong talking to the endpoint; turned into an [`super::AuthError`] by each source,
/// which knows what the failure means for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("{0}")]
    Transport(String),
    /// An OAuth error answer (contract 11e). `description` is the first line of
    /// `error_description` (no trace ids). Match on `error`, never on the text.
    #[error("{error}: {description}")]
    OAuth {
        status: u16,
        error: String,
        description: String,
        codes: Vec<u64>,
    },
    #[error("unreadable reply from the login endpoint (HTTP {status}): {detail}")]
    Decode { status: u16, detail: String },
}

/// A successful token answer (contract 11a/11d). Unknown fields are ignored.
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: SecretString,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds; integers in v2, strings in v1 answers.
    #[serde(default, deserialize_with = "opt_u64_lenient")]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    #[serde(default)]
    pub scope: Option<String>,
}

impl TokenResponse {
    /// The lifetime to plan refreshes with. A missing `expires_in` is taken as the usual
    /// 3599 s; a 401 recovers if the server meant less.
    pub fn lifetime(&self) -> Duration {
        Duration::from_secs(self.expires_in.unwrap_or(3599))
    }
}

/// The `/devicecode` answer, v2 (`verification_uri`, integers) or v1 (`verification_url`, strings).
#[derive(Deserialize)]
pub struct DeviceAuthorization {
    pub user_code: String,
    pub device_code: SecretString,
    #[serde(alias = "verification_url")]
    pub verification_uri: String,
    /// MSAL's defaults when absent: 1800 s and 5 s.
    #[serde(default, deserialize_with = "opt_u64_lenient")]
    pub expires_in: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64_lenient")]
    pub interval: Option<u64>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Vec<u64>,
}

/// Tenants that may appear in the authority path: a GUID, a domain, or the well-known aliases.
/// Anything else (slashes, `..`, spaces) is refused before it can bend the URL.
pub fn valid_tenant(tenant: &str) -> bool {
    !tenant.is_empty()
        && tenant.len() <= 253
        && !tenant.starts_with('.')
        // Also handed to `az --tenant`: never let it read as an option.
        && !tenant.starts_with('-')
        && !tenant.contains("..")
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
}

/// The aliases that are not one tenant (app-only flows refuse them: AADSTS9001023).
pub fn is_multi_tenant_alias(tenant: &str) -> bool {
    ["organizations", "common", "consumers"]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(tenant))
}

/// The HTTP client for the login endpoint: never following a redirect (it would carry the form
/// body, a secret or a code, to wherever it points; see [`http::client`]), bounded waits.
pub fn http_client() -> Result<reqwest::Client, String> {
    http::client(Duration::from_secs(60)).map_err(|e| format!("could not {}: {e}", http::START))
}

impl TokenEndpoint {
    /// `login` is the authority root, already validated by
    /// [`super::endpoints::parse_endpoint`] (https, or http on loopback).
    pub fn new(login: &Url, tenant: &str) -> Result<Self, super::AuthError> {
        let http = http_client().map_err(super::AuthError::Config)?;
        Self::with_http(login, tenant, http)
    }

    pub fn with_http(
        login: &Url,
        tenant: &str,
        http: reqwest::Client,
    ) -> Result<Self, super::AuthError> {
        if !valid_tenant(tenant) {
            return Err(super::AuthError::Config(format!(
                "'{tenant}' is not a valid tenant: give a tenant GUID, a domain such as contoso.onmicrosoft.com, or `organizations`"
            )));
        }
        let mut base = login.clone();
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let base = base
            .join(&format!("{tenant}/oauth2/v2.0/"))
            .map_err(|e| super::AuthError::Config(format!("bad login URL {login}: {e}")))?;
        Ok(Self {
            http,
            login: login.clone(),
            base,
            tenant: tenant.to_owned(),
        })
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The same authority root and HTTP client, for another tenant (a vault's tenant, named by
    /// its 401 challenge). Validated like any tenant: it goes into the URL path.
    pub fn for_tenant(&self, tenant: &str) -> Result<Self, super::AuthError> {
        if tenant.eq_ignore_ascii_case(&self.tenant) {
            return Ok(self.clone());
        }
        Self::with_http(&self.login, tenant, self.http.clone())
    }

    /// `{login}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self) -> Url {
        self.join("token")
    }

    fn join(&self, leaf: &str) -> Url {
        // `base` ends in `/` and `leaf` is a fixed relative name: joining cannot fail.
        self.base.join(leaf).unwrap_or_else(|_| self.base.clone())
    }

    /// POST a grant to `/token`.
    pub async fn token(&self, form: &[(&str, &str)]) -> Result<TokenResponse, EndpointError> {
        self.post(self.join("token"), form).await
    }

    /// POST to `/devicecode`.
    pub async fn device_authorization(
        &self,
        client_id: &str,
        scope: &str,
    ) -> Result<DeviceAuthorization, EndpointError> {
        self.post(
            self.join("devicecode"),
            &[("client_id", client_id), ("scope", scope)],
        )
        .await
    }

    async fn post<T: for<'de> Deserialize<'de>>(
        &self,
        url: Url,
        form: &[(&str, &str)],
    ) -> Result<T, EndpointError> {
        // Log which grant and where, never the values.
        let grant = form
            .iter()
            .find(|(k, _)| *k == "grant_type")
            .map(|(_, v)| *v)
            .unwrap_or("devicecode");
        let resp = self
            .http
            .post(url.clone())
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .map_err(|e| EndpointError::Transport(WORDS.detail_at(&e, Some(&url))))?;
        let status = resp.status();
        tracing::debug!(
            path = url.path(),
            grant,
            status = status.as_u16(),
            "login endpoint"
        );
        // The body may hold a token: it is wiped when dropped.
        let bytes = http::read_wiped(resp)
            .await
            .map_err(|e| EndpointError::Transport(WORDS.detail_at(&e, Some(&url))))?;
        let result = if status.is_success() {
            serde_json::from_slice::<T>(&bytes).map_err(|e| EndpointError::Decode {
                status: status.as_u16(),
                // serde_json errors name a position and a type, never the content.
                detail: e.to_string(),
            })
        } else {
            Err(match serde_json::from_slice::<OAuthErrorBody>(&bytes) {
                Ok(b) => EndpointError::OAuth {
                    status: status.as_u16(),
                    error: b.error,
                    description: super::first_line(
                        b.error_description.as_deref().unwrap_or(""),
                        300,
                    ),
                    codes: b.error_codes,
                },
                Err(_) => EndpointError::Decode {
                    status: status.as_u16(),
                    detail: "not an OAuth error body".to_owned(),
                },
            })
        };
        if let Err(EndpointError::OAuth { error, codes, .. }) = &result {
            tracing::info!(path = url.path(), grant, error = %error, codes = ?codes, "login endpoint refused");
        }
        result
    }
}

/// Accept `900`, `"900"` or null: v1 answers send numbers as strings (contract 11a).
fn opt_u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Int(u64),
        Float(f64),
        Str(String),
    }
    Ok(match Option::<N>::deserialize(d)? {
        None => None,
        Some(N::Int(n)) => Some(n),
        Some(N::Float(f)) if f.is_finite() && f >= 0.0 => Some(f as u64),
        Some(N::Float(_)) => None,
        Some(N::Str(s)) => s.trim().parse().ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn parses_v2_and_v1_device_authorizations() {
        let v2: DeviceAuthorization = serde_json::from_str(
            r#"{"user_code":"FSBFZMBKC","device_code":"GMMh","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":5,"message":"To sign in..."}"#,
        )
        .unwrap();
        assert_eq!(v2.verification_uri, "https://microsoft.com/devicelogin");
        assert_eq!((v2.expires_in, v2.interval), (Some(900), Some(5)));
        assert_eq!(v2.device_code.expose_secret(), "GMMh");

        let v1: DeviceAuthorization = serde_json::from_str(
            r#"{"user_code":"HNGP5CAF8","device_code":"x","verification_url":"https://aka.ms/devicelogin","expires_in":"900","interval":"5"}"#,
        )
        .unwrap();
        assert_eq!(v1.verification_uri, "https://aka.ms/devicelogin");
        assert_eq!((v1.expires_in, v1.interval), (Some(900), Some(5)));
        assert!(v1.message.is_none());
    }

    #[test]
    fn token_response_tolerates_extra_and_missing_fields() {
        let t: TokenResponse = serde_json::from_str(
            r#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0","refresh_in":1800}"#,
        )
        .unwrap();
        assert_eq!(t.lifetime(), Duration::from_secs(3599));
        assert!(t.refresh_token.is_none());
        let t: TokenResponse = serde_json::from_str(r#"{"access_token":"a"}"#).unwrap();
        assert_eq!(t.lifetime(), Duration::from_secs(3599));
    }

    #[test]
    fn tenants_cannot_bend_the_url() {
        for ok in [
            "organizations",
            "contoso.onmicrosoft.com",
            "84841066-274d-4ec0-a5c1-276be684bdd3",
        ] {
            assert!(valid_tenant(ok), "{ok}");
        }
        for bad in ["", "../x", "a/b", "a b", "x?y", "..", ".x", "--output"] {
            assert!(!valid_tenant(bad), "{bad}");
        }
        let login = Url::parse("https://login.microsoftonline.com/").unwrap();
        let e = TokenEndpoint::new(&login, "contoso.com").unwrap();
        assert_eq!(
            e.token_url().as_str(),
            "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token"
        );
        assert!(TokenEndpoint::new(&login, "a/../b").is_err());
        let other = e
            .for_tenant("84841066-274d-4ec0-a5c1-276be684bdd3")
            .unwrap();
        assert_eq!(
            other.token_url().as_str(),
            "https://login.microsoftonline.com/84841066-274d-4ec0-a5c1-276be684bdd3/oauth2/v2.0/token"
        );
        assert!(e.for_tenant("../x").is_err());
    }

    #[test]
    fn login_roots_with_a_path_keep_it() {
        let login = Url::parse("http://127.0.0.1:9/login").unwrap();
        let e = TokenEndpoint::new(&login, "t").unwrap();
        assert_eq!(
            e.token_url().as_str(),
            "http://127.0.0.1:9/login/t/oauth2/v2.0/token"
        );
    }
}
