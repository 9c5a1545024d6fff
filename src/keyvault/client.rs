//! The Key Vault client over reqwest.
//!
//! Rules it keeps (docs/contract.md, "Azure Key Vault"): every request carries
//! `api-version`; the first request to a vault goes out without a token or body, and the 401
//! challenge it draws names the vault's tenant and resource, which must own the vault's host
//! before a token is asked for (and then cached per vault); a later 401 reads the challenge
//! again and retries once with a fresh token; the token only ever goes to that vault's origin
//! and path, paging links included; 429 is retried (Retry-After, else backoff), 5xx only for
//! reads (a retried Set Secret would add a second version); bodies that hold a value are built
//! and read in buffers that are zeroized.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use secrecy::zeroize::Zeroizing;
use url::Url;

use super::challenge;
use super::error::{KeyVaultError, parse_api_error};
use super::models::{SecretProperties, SecretToStore, WirePage, WireProperties};
use super::names::{SecretName, VaultRef};
use super::{API_VERSION, KeyVaultConfig};
use crate::auth::{Resource, ResourceKind, TokenRequest, TokenSource};
use crate::http::{self, Jitter, Place, RetryOn, TransportWords};
use crate::ids::SecretId;

pub use crate::http::RetryPolicy;

/// Key Vault's retries: three, from half a second, without jitter.
pub const DEFAULT_RETRY: RetryPolicy = RetryPolicy {
    max_retries: 3,
    base_delay: Duration::from_millis(500),
    max_delay: Duration::from_secs(30),
};

/// How a request that got no answer from a vault is worded: a vault is named by its host
/// alone, and a failed connect most often means its name does not resolve.
const WORDS: TransportWords = TransportWords {
    connect: "could not connect (the name may not resolve)",
    other: "no answer",
    place: Place::Host,
    ..TransportWords::STANDARD
};

#[derive(Clone)]
pub struct KeyVaultClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: KeyVaultConfig,
    creds: Arc<dyn TokenSource>,
    retry: RetryPolicy,
    /// What each vault's challenge said (keyed by the vault URL).
    discovered: std::sync::Mutex<HashMap<String, TokenRequest>>,
}

/// What a request sends.
enum Payload<'a> {
    None,
    Secret(&'a SecretToStore<'a>),
}

struct Request<'a> {
    operation: &'static str,
    method: Method,
    vault: &'a Url,
    url: Url,
    payload: Payload<'a>,
    /// Reads may be retried on 5xx; Set Secret may not.
    idempotent: bool,
}

/// The bytes of a body that may hold a secret value, zeroized when the last reference goes.
struct ZeroOnDrop(Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for ZeroOnDrop {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// A successful answer's body.
struct Answer {
    body: Zeroizing<Vec<u8>>,
}

impl KeyVaultClient {
    pub fn new(config: KeyVaultConfig, creds: Arc<dyn TokenSource>) -> Result<Self, KeyVaultError> {
        let http = http::client(Duration::from_secs(60)).map_err(|e| KeyVaultError::Transport {
            operation: http::START,
            detail: e.to_string(),
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                creds,
                retry: DEFAULT_RETRY,
                discovered: std::sync::Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn with_retry(self, retry: RetryPolicy) -> Self {
        let i = &self.inner;
        Self {
            inner: Arc::new(Inner {
                http: i.http.clone(),
                config: i.config.clone(),
                creds: i.creds.clone(),
                retry,
                discovered: std::sync::Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn config(&self) -> &KeyVaultConfig {
        &self.inner.config
    }

    /// A vault's URL: a name through the configured template, a URL as given.
    pub fn vault_url(&self, vault: &VaultRef) -> Result<Url, KeyVaultError> {
        Ok(self.inner.config.vault_url(vault)?)
    }

    /// Set Secret: `PUT {vault}secrets/{name}`. A new version when the name exists. Never
    /// retried on 5xx (a repeat would store a second version).
    pub async fn set_secret(
        &self,
        vault: &Url,
        name: &SecretName,
        secret: &SecretToStore<'_>,
    ) -> Result<SecretProperties, KeyVaultError> {
        secret.check_limits().map_err(KeyVaultError::Invalid)?;
        let answer = self
            .execute(Request {
                operation: "store the secret in the key vault",
                method: Method::PUT,
                vault,
                url: secret_url(vault, &[name.as_str()])?,
                payload: Payload::Secret(secret),
                idempotent: false,
            })
            .await?;
        decode_properties("store the secret in the key vault", &answer)
    }

    /// The latest version's properties (`GET {vault}secrets/{name}/`). The answer carries the
    /// value; it is skipped while reading and its buffer zeroized.
    pub async fn get_secret_properties(
        &self,
        vault: &Url,
        name: &SecretName,
    ) -> Result<SecretProperties, KeyVaultError> {
        const OP: &str = "read the key vault secret";
        let answer = self
            .execute(Request {
                operation: OP,
                method: Method::GET,
                vault,
                url: secret_url(vault, &[name.as_str(), ""])?,
                payload: Payload::None,
                idempotent: true,
            })
            .await?;
        decode_properties(OP, &answer)
    }

    /// Every version of a secret, newest first.
    pub async fn list_versions(
        &self,
        vault: &Url,
        name: &SecretName,
    ) -> Result<Vec<SecretProperties>, KeyVaultError> {
        let first = secret_url(vault, &[name.as_str(), "versions"])?;
        let mut all = self
            .list("list the secret's versions", vault, first)
            .await?;
        // The service's order is not documented: newest first by creation.
        all.sort_by_key(|p| std::cmp::Reverse(p.created));
        Ok(all)
    }

    /// Whether a soft-deleted secret holds `name` (`GET {vault}deletedsecrets/{name}`): a Set
    /// would then be refused with 409 `ObjectIsDeletedButRecoverable`. Asked before a secret is
    /// created, so that conflict refuses first. The answer is not parsed (its buffer is
    /// zeroized).
    pub async fn is_deleted(&self, vault: &Url, name: &SecretName) -> Result<bool, KeyVaultError> {
        let mut url = vault
            .join(&format!("deletedsecrets/{}", name.as_str()))
            .map_err(|e| KeyVaultError::Decode {
                operation: "build a request",
                detail: e.to_string(),
            })?;
        url.query_pairs_mut()
            .append_pair("api-version", API_VERSION);
        let answer = self
            .execute(Request {
                operation: "look for a deleted secret of that name",
                method: Method::GET,
                vault,
                url,
                payload: Payload::None,
                idempotent: true,
            })
            .await;
        match answer {
            Ok(_) => Ok(true),
            Err(e) if e.cause() == super::VaultCause::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Every secret of a vault (latest versions' properties and tags; never values).
    pub async fn list_secrets(&self, vault: &Url) -> Result<Vec<SecretProperties>, KeyVaultError> {
        let first = secret_url(vault, &[])?;
        self.list("list the key vault's secrets", vault, first)
            .await
    }

    /// The secret azsecrets tagged with `secret_id` (the Secret ID of the client secret it
    /// holds), if the signed-in identity may list the vault; the most recently updated when
    /// several are.
    pub async fn find_by_secret_id(
        &self,
        vault: &Url,
        secret_id: &SecretId,
    ) -> Result<Option<SecretProperties>, KeyVaultError> {
        let mut found: Vec<SecretProperties> = self
            .list_secrets(vault)
            .await?
            .into_iter()
            .filter(|s| {
                s.secret_id_tag()
                    .is_some_and(|t| t.eq_ignore_ascii_case(secret_id.as_str()))
            })
            .collect();
        found.sort_by_key(|p| std::cmp::Reverse(p.updated));
        Ok(found.into_iter().next())
    }

    async fn list(
        &self,
        operation: &'static str,
        vault: &Url,
        first: Url,
    ) -> Result<Vec<SecretProperties>, KeyVaultError> {
        let fetch = |url| async move {
            let answer = self
                .execute(Request {
                    operation,
                    method: Method::GET,
                    vault,
                    url,
                    payload: Payload::None,
                    idempotent: true,
                })
                .await?;
            let page: WirePage =
                serde_json::from_slice(&answer.body).map_err(|e| KeyVaultError::Decode {
                    operation,
                    detail: e.to_string(),
                })?;
            let items = page.value.into_iter().map(WireProperties::into_properties);
            Ok((items.collect(), page.next_link))
        };
        http::collect_linked(
            first,
            fetch,
            |link| self.next_url(vault, link, operation),
            |detail| KeyVaultError::Decode { operation, detail },
        )
        .await
    }

    /// A `nextLink` on the same vault, with an api-version (the link carries its own).
    fn next_url(
        &self,
        vault: &Url,
        link: &str,
        operation: &'static str,
    ) -> Result<Url, KeyVaultError> {
        let mut url = Url::parse(link).map_err(|e| KeyVaultError::Decode {
            operation,
            detail: format!("bad nextLink: {e}"),
        })?;
        check_origin(vault, &url)?;
        if !url.query_pairs().any(|(k, _)| k == "api-version") {
            url.query_pairs_mut()
                .append_pair("api-version", API_VERSION);
        }
        Ok(url)
    }

    /// The token request a vault's challenge calls for, from the cache or by asking: the
    /// request goes out once without token or body. `Err(Ok(answer))` when the vault answered
    /// without a challenge (that answer is the result).
    async fn discover(&self, req: &Request<'_>) -> Result<TokenRequest, Discovery> {
        let key = req.vault.as_str().to_owned();
        if let Some(t) = self.cached(&key) {
            return Ok(t);
        }
        let sent = self
            .inner
            .http
            .request(req.method.clone(), req.url.clone())
            .header("Accept", "application/json")
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            // The first contact with the vault got no HTTP answer at all.
            Err(e) => {
                return Err(Discovery::Failed(KeyVaultError::Unreachable {
                    vault: req.vault.to_string(),
                    detail: WORDS.detail(&e),
                }));
            }
        };
        let status = resp.status();
        tracing::debug!(
            op = req.operation,
            path = req.url.path(),
            status = status.as_u16(),
            "key vault challenge probe"
        );
        if status != StatusCode::UNAUTHORIZED {
            return Err(Discovery::Answered(self.finish(req, resp, status).await));
        }
        let t = self.read_challenge(req.vault, &resp)?;
        self.remember(&key, &t);
        Ok(t)
    }

    fn cached(&self, key: &str) -> Option<TokenRequest> {
        self.inner
            .discovered
            .lock()
            .ok()
            .and_then(|m| m.get(key).cloned())
    }

    fn remember(&self, key: &str, t: &TokenRequest) {
        if let Ok(mut m) = self.inner.discovered.lock() {
            m.insert(key.to_owned(), t.clone());
        }
    }

    /// The token request a 401's challenge names, once its resource is checked against the
    /// vault's host.
    fn read_challenge(
        &self,
        vault: &Url,
        resp: &reqwest::Response,
    ) -> Result<TokenRequest, Discovery> {
        let fail = |detail: String| {
            Discovery::Failed(KeyVaultError::Challenge {
                vault: vault.to_string(),
                detail,
            })
        };
        let header = resp
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| fail("it answered 401 without a Bearer challenge".into()))?;
        let c = challenge::parse(header)
            .ok_or_else(|| fail("its 401 challenge is not a Bearer challenge".into()))?;
        let configured = &self.inner.config.resource;
        let resource = c.resource.clone().unwrap_or_else(|| configured.clone());
        if !challenge::resource_owns_vault(vault, &resource, configured) {
            return Err(fail(format!(
                "its challenge names the resource {resource}, which {} does not belong to; a Key Vault token is never sent there (see https://aka.ms/azsdk/blog/vault-uri)",
                vault.host_str().unwrap_or("")
            )));
        }
        let mut t = TokenRequest::new(Resource::new(ResourceKind::KeyVault, resource));
        t.tenant = c.tenant;
        Ok(t)
    }

    async fn execute(&self, req: Request<'_>) -> Result<Answer, KeyVaultError> {
        check_origin(req.vault, &req.url)?;
        let mut token_req = match self.discover(&req).await {
            Ok(t) => t,
            Err(Discovery::Answered(r)) => return r,
            Err(Discovery::Failed(e)) => return Err(e),
        };
        let policy = &self.inner.retry;
        let mut attempt = 0u32;
        let mut reauthenticated = false;
        let mut force_refresh = false;
        loop {
            let token = self
                .inner
                .creds
                .token_for(&token_req, force_refresh)
                .await?;
            force_refresh = false;
            let mut rb = self
                .inner
                .http
                .request(req.method.clone(), req.url.clone())
                .bearer_auth(token.token.expose_secret())
                .header("Accept", "application/json")
                .header("x-ms-client-request-id", uuid::Uuid::new_v4().to_string());
            rb = match &req.payload {
                Payload::None => rb.header(reqwest::header::CONTENT_LENGTH, "0"),
                Payload::Secret(s) => rb
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(reqwest::Body::from(Bytes::from_owner(ZeroOnDrop(s.body())))),
            };
            let sent = rb.send().await;
            drop(token);
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(op = req.operation, path = req.url.path(), error = %e, "key vault request failed in transport");
                    return Err(KeyVaultError::Transport {
                        operation: req.operation,
                        detail: WORDS.detail(&e),
                    });
                }
            };
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && !reauthenticated {
                // The token was refused: the challenge may name another tenant now.
                reauthenticated = true;
                force_refresh = true;
                if let Ok(t) = self.read_challenge(req.vault, &resp) {
                    self.remember(req.vault.as_str(), &t);
                    token_req = t;
                }
                continue;
            }
            // A repeated Set Secret would store a second version: only a 429 (refused before
            // anything was stored) is retried for it.
            let retry_on = if req.idempotent {
                RetryOn::Transient
            } else {
                RetryOn::Throttling
            };
            if retry_on.covers(status)
                && let Some(wait) =
                    policy.next_wait(attempt, http::retry_after(resp.headers()), Jitter::None)
            {
                tracing::info!(
                    op = req.operation,
                    status = status.as_u16(),
                    wait_ms = wait.as_millis() as u64,
                    "key vault asked to retry"
                );
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            return self.finish(&req, resp, status).await;
        }
    }

    /// Read an answer: the body of a success (zeroized when dropped), or the typed error.
    async fn finish(
        &self,
        req: &Request<'_>,
        resp: reqwest::Response,
        status: StatusCode,
    ) -> Result<Answer, KeyVaultError> {
        let request_id = http::header(resp.headers(), "x-ms-request-id");
        tracing::debug!(
            op = req.operation,
            method = %req.method,
            path = req.url.path(),
            status = status.as_u16(),
            request_id = request_id.as_deref().unwrap_or(""),
            "key vault"
        );
        let body = http::read_wiped(resp)
            .await
            .map_err(|e| KeyVaultError::Transport {
                operation: req.operation,
                detail: WORDS.detail(&e),
            })?;
        if status.is_success() {
            return Ok(Answer { body });
        }
        let err = parse_api_error(
            req.operation,
            req.vault.as_str(),
            status.as_u16(),
            request_id,
            &body,
        );
        tracing::warn!(
            op = req.operation,
            status = err.status,
            code = %err.code,
            inner = err.inner_code.as_deref().unwrap_or(""),
            request_id = err.request_id.as_deref().unwrap_or(""),
            "key vault error"
        );
        Err(KeyVaultError::Api(Box::new(err)))
    }
}

enum Discovery {
    Answered(Result<Answer, KeyVaultError>),
    Failed(KeyVaultError),
}

/// `{vault}secrets[/{segment}…]?api-version=…`; segments are secret names (validated), a
/// version, `versions`, or empty for a trailing slash.
fn secret_url(vault: &Url, segments: &[&str]) -> Result<Url, KeyVaultError> {
    let mut path = String::from("secrets");
    for s in segments {
        path.push('/');
        path.push_str(s);
    }
    let mut url = vault.join(&path).map_err(|e| KeyVaultError::Decode {
        operation: "build a request",
        detail: e.to_string(),
    })?;
    url.query_pairs_mut()
        .append_pair("api-version", API_VERSION);
    Ok(url)
}

/// The token goes only to the vault's origin and path (not to another vault on the host).
fn check_origin(vault: &Url, url: &Url) -> Result<(), KeyVaultError> {
    Ok(http::check_origin(vault, url)?)
}

fn decode_properties(
    operation: &'static str,
    answer: &Answer,
) -> Result<SecretProperties, KeyVaultError> {
    serde_json::from_slice::<WireProperties>(&answer.body)
        .map(WireProperties::into_properties)
        .map_err(|e| KeyVaultError::Decode {
            operation,
            // serde_json errors name a position and a type, never the content.
            detail: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_stay_on_the_vault() {
        let vault = Url::parse("https://kv.vault.azure.net/").unwrap();
        let u = secret_url(&vault, &["app-secret", ""]).unwrap();
        assert_eq!(
            u.as_str(),
            "https://kv.vault.azure.net/secrets/app-secret/?api-version=7.5"
        );
        assert!(check_origin(&vault, &u).is_ok());
        // Key Vault's nextLinks carry :443.
        let next = Url::parse("https://kv.vault.azure.net:443/secrets?$skiptoken=x").unwrap();
        assert!(check_origin(&vault, &next).is_ok());
        for foreign in [
            "https://other.vault.azure.net/secrets",
            "http://kv.vault.azure.net/secrets",
            "https://kv.vault.azure.net:8443/secrets",
            "https://u@kv.vault.azure.net/secrets",
        ] {
            let u = Url::parse(foreign).unwrap();
            assert!(check_origin(&vault, &u).is_err(), "{foreign}");
        }
        let local = Url::parse("http://127.0.0.1:9/kv/a/").unwrap();
        let sibling = Url::parse("http://127.0.0.1:9/kv/b/secrets").unwrap();
        assert!(
            check_origin(&local, &sibling).is_err(),
            "another vault on the same port"
        );
    }
}
