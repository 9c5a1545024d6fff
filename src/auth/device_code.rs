//! Device-code sign-in (contract 11a, RFC 8628) with refresh (11c) and a cached refresh token.
//!
//! Order on the first `token()`: a refresh token cached for the same login authority, Graph
//! root, tenant and client is tried first; only when there is none, or it is refused, does the
//! user see a code. Every refresh rotates the refresh token, in memory and in the cache.
//!
//! Tokens for other resources (Key Vault, Resource Manager) are refresh grants with
//! `{resource}/.default`: Entra's refresh tokens serve every resource the client may reach, so the
//! user signs in once. Whether the client may reach it is Entra's call: the default public client
//! is a Microsoft first-party app, and one not preauthorized for a resource is refused with
//! AADSTS65002; an own app without consent with AADSTS65001. Both become
//! [`ResourceTokenError::ConsentRequired`], which says what to do instead.
//!
//! The prompt (user code, URL, message, deadline) goes to a [`PromptSink`]: the CLI prints it to
//! stderr ([`stderr_prompt`]); the TUI passes its own sink (e.g. [`watch_prompt`]) and draws a
//! screen. Polling sleeps with `tokio::time::sleep`, so tests run it on a paused clock.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{Mutex, watch};
use tokio::time::Instant;

use super::cache::{CacheKey, TokenCache};
use super::resource::{ResourceKind, TokenRequest};
use super::token_endpoint::{EndpointError, TokenEndpoint, TokenResponse};
use super::{AccessToken, AuthError, Held, ResourceTokenError, SourceKind, TokenSource};

const NAME: &str = "device code";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628: `slow_down` adds five seconds to the polling interval.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Consecutive network failures tolerated while polling (the user may be on flaky Wi-Fi while
/// typing the code); the code stays valid meanwhile.
const MAX_POLL_TRANSPORT_FAILURES: u32 = 3;

/// What the user must do to sign in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevicePrompt {
    pub user_code: String,
    /// Use the one returned, never a hard-coded URL: national clouds differ.
    pub verification_uri: String,
    /// The identity platform's sentence, naming the URL and the code.
    pub message: String,
    pub expires_at: DateTime<Utc>,
}

/// What a device-code sign-in tells its watcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceCodeEvent {
    /// Show this to the user.
    Prompt(DevicePrompt),
    /// The flow ended (the prompt can go away); the error, if any, comes back from `token()`.
    Finished { signed_in: bool },
}

pub type PromptSink = Arc<dyn Fn(DeviceCodeEvent) + Send + Sync>;

/// Outside the TUI: print the message to stderr (stdout stays clean for pipes).
pub fn stderr_prompt() -> PromptSink {
    stderr_prompt_with_notes(Vec::new())
}

/// [`stderr_prompt`], first saying why the quieter sources were not used (e.g. the Azure CLI is
/// not signed in), so a code prompt does not come as a surprise.
pub fn stderr_prompt_with_notes(notes: Vec<String>) -> PromptSink {
    Arc::new(move |event| match event {
        // Pipe-safe (a closed stderr is ignored) and cleaned: the message is the login
        // endpoint's text.
        DeviceCodeEvent::Prompt(p) => {
            for n in &notes {
                crate::console::err_line_clean(&format!("note: {n}"));
            }
            crate::console::err_line(&crate::sanitize::clean(&p.message));
            crate::console::err_line(&format!(
                "(the code expires at {} UTC)",
                p.expires_at.format("%H:%M:%S")
            ));
        }
        DeviceCodeEvent::Finished { signed_in: true } => crate::console::err_line("Signed in."),
        DeviceCodeEvent::Finished { signed_in: false } => {}
    })
}

/// For the TUI: a sink and a receiver that holds the prompt while one is pending and `None`
/// otherwise.
pub fn watch_prompt() -> (PromptSink, watch::Receiver<Option<DevicePrompt>>) {
    let (tx, rx) = watch::channel(None);
    let sink: PromptSink = Arc::new(move |event| {
        let value = match event {
            DeviceCodeEvent::Prompt(p) => Some(p),
            DeviceCodeEvent::Finished { .. } => None,
        };
        tx.send_replace(value);
    });
    (sink, rx)
}

/// The delegated scopes for a Graph root: what azsecrets needs, plus `offline_access` for a
/// refresh token.
pub fn scopes_for(graph_root: &str) -> String {
    let g = graph_root.trim_end_matches('/');
    format!("{g}/Application.ReadWrite.All {g}/User.Read offline_access")
}

struct State {
    held: Option<Held>,
    /// Tokens for other resources (or tenants), from refresh grants.
    others: std::collections::HashMap<TokenRequest, Held>,
    refresh: Option<SecretString>,
    /// The cache is read once, on the first need.
    cache_loaded: bool,
    /// Device-code sign-ins finished so far (either way), and how the last one failed: a request
    /// that waited on the lock while a sign-in failed gets that failure instead of a new prompt.
    sign_ins: u64,
    last_failure: Option<AuthError>,
}

pub struct DeviceCode {
    endpoint: TokenEndpoint,
    client_id: String,
    scopes: String,
    prompt: PromptSink,
    cache: Option<(TokenCache, CacheKey)>,
    state: Mutex<State>,
    /// Mirrors `State::sign_ins`, readable before waiting on the lock.
    sign_ins: std::sync::atomic::AtomicU64,
}

impl DeviceCode {
    pub fn new(
        endpoint: TokenEndpoint,
        client_id: impl Into<String>,
        scopes: impl Into<String>,
        prompt: PromptSink,
    ) -> Self {
        Self {
            endpoint,
            client_id: client_id.into(),
            scopes: scopes.into(),
            prompt,
            cache: None,
            state: Mutex::new(State {
                held: None,
                others: std::collections::HashMap::new(),
                refresh: None,
                cache_loaded: false,
                sign_ins: 0,
                last_failure: None,
            }),
            sign_ins: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Keep the refresh token in `cache` under `key`.
    pub fn with_cache(mut self, cache: TokenCache, key: CacheKey) -> Self {
        self.cache = Some((cache, key));
        self
    }

    /// Whether a refresh token is at hand (in memory or cached), i.e. whether the next
    /// `token()` may succeed without showing a code.
    pub async fn has_refresh_token(&self) -> bool {
        let mut st = self.state.lock().await;
        self.load_cache(&mut st);
        st.refresh.is_some()
    }

    fn load_cache(&self, st: &mut State) {
        if st.cache_loaded {
            return;
        }
        st.cache_loaded = true;
        if let Some((cache, key)) = &self.cache {
            match cache.load(key) {
                Ok(Some(rt)) => {
                    tracing::info!(path = %cache.path().display(), "found a cached device-code sign-in");
                    st.refresh = Some(rt);
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not read the sign-in cache"),
            }
        }
    }

    /// Start from a refresh token obtained elsewhere (the in-process sandbox hands one out): the
    /// first `token_for` refreshes with it instead of asking for a code.
    pub fn with_refresh_token(self, refresh_token: SecretString) -> Self {
        if let Ok(mut st) = self.state.try_lock() {
            st.refresh = Some(refresh_token);
        }
        self
    }

    /// Remember a token answer: the access token, and the rotated refresh token (contract 11c:
    /// always replace the stored one; keep the old one only if none came back).
    fn accept(&self, st: &mut State, resp: TokenResponse) -> AccessToken {
        let held = self.keep_refresh(st, resp);
        let token = held.token.clone();
        st.held = Some(held);
        token
    }

    /// [`Self::accept`] for a token of another resource: the Graph token stays as it is.
    fn accept_other(
        &self,
        st: &mut State,
        request: &TokenRequest,
        resp: TokenResponse,
    ) -> AccessToken {
        let held = self.keep_refresh(st, resp);
        let token = held.token.clone();
        st.others.insert(request.clone(), held);
        token
    }

    /// Store the rotated refresh token, if one came back; the access token as held.
    fn keep_refresh(&self, st: &mut State, resp: TokenResponse) -> Held {
        let lifetime = resp.lifetime();
        if let Some(rt) = resp.refresh_token {
            if let Some((cache, key)) = &self.cache
                && let Err(e) = cache.store(key, &rt)
            {
                // The session still works; only the next start will ask again.
                tracing::warn!(error = %e, "could not save the sign-in cache");
            }
            st.refresh = Some(rt);
        }
        Held::new(resp.access_token, lifetime)
    }

    fn forget_refresh(&self, st: &mut State) {
        st.refresh = None;
        if let Some((cache, key)) = &self.cache
            && let Err(e) = cache.forget(key)
        {
            tracing::warn!(error = %e, "could not update the sign-in cache");
        }
    }

    async fn refresh(&self, rt: &SecretString) -> Result<TokenResponse, EndpointError> {
        refresh_grant(&self.endpoint, &self.client_id, &self.scopes, rt).await
    }

    /// A token for another resource (or tenant) through the refresh token; signs in first when
    /// there is none, and once more when the refresh token was refused.
    async fn other_token(
        &self,
        request: &TokenRequest,
        force_refresh: bool,
    ) -> Result<AccessToken, AuthError> {
        let resource = request.resource.kind();
        let endpoint = match request.tenant.as_deref() {
            Some(t) => self.endpoint.for_tenant(t)?,
            None => self.endpoint.clone(),
        };
        let scope = format!("{} offline_access", request.resource.default_scope());
        let mut signed_in_again = false;
        loop {
            let mut st = self.state.lock().await;
            if let Some(h) = st.others.get(request)
                && !force_refresh
                && h.is_fresh()
            {
                return Ok(h.token.clone());
            }
            self.load_cache(&mut st);
            let Some(rt) = st.refresh.clone() else {
                if signed_in_again {
                    return Err(AuthError::Failed {
                        source_name: NAME,
                        message: format!(
                            "the sign-in gave no refresh token, which a token for {resource} needs: sign in again"
                        ),
                    });
                }
                // Sign in (the Graph scopes, with a code if need be): its refresh token serves
                // the other resource too.
                drop(st);
                self.token(false).await?;
                signed_in_again = true;
                continue;
            };
            match refresh_grant(&endpoint, &self.client_id, &scope, &rt).await {
                Ok(resp) => {
                    tracing::info!(%resource, "token for another resource obtained through the refresh token");
                    return Ok(self.accept_other(&mut st, request, resp));
                }
                Err(e) => {
                    if let Some(consent) = consent_error(&e, &self.client_id, resource) {
                        tracing::info!(%resource, error = %e, "no consent for the resource");
                        return Err(consent.into());
                    }
                    if needs_new_sign_in(&e) && !signed_in_again {
                        tracing::info!(error = %e, "refresh token refused; signing in again");
                        self.forget_refresh(&mut st);
                        st.held = None;
                        drop(st);
                        self.token(false).await?;
                        signed_in_again = true;
                        continue;
                    }
                    if !needs_new_sign_in(&e)
                        && let Some(h) = st.others.get(request)
                        && !force_refresh
                        && h.is_valid()
                    {
                        tracing::warn!(error = %e, "token refresh failed; using the current token until it expires");
                        return Ok(h.token.clone());
                    }
                    return Err(explain(e, &format!("get a token for {resource}")));
                }
            }
        }
    }

    /// The interactive flow: get a code, show it, poll until the user finishes.
    async fn sign_in(&self) -> Result<TokenResponse, AuthError> {
        let auth = self
            .endpoint
            .device_authorization(&self.client_id, &self.scopes)
            .await
            .map_err(|e| explain(e, "start device-code sign-in"))?;
        let expires_in = Duration::from_secs(auth.expires_in.unwrap_or(1800));
        let mut interval = Duration::from_secs(auth.interval.unwrap_or(5).max(1));
        let deadline = Instant::now() + expires_in;
        let expires_at = chrono::Duration::from_std(expires_in)
            .ok()
            .and_then(|d| Utc::now().checked_add_signed(d))
            .unwrap_or_else(Utc::now);
        let message = auth.message.clone().unwrap_or_else(|| {
            format!(
                "To sign in, use a web browser to open the page {} and enter the code {} to authenticate.",
                auth.verification_uri, auth.user_code
            )
        });
        (self.prompt)(DeviceCodeEvent::Prompt(DevicePrompt {
            user_code: auth.user_code.clone(),
            verification_uri: auth.verification_uri.clone(),
            message,
            expires_at,
        }));
        tracing::info!(
            expires_in_s = expires_in.as_secs(),
            interval_s = interval.as_secs(),
            "device code issued; polling"
        );

        let mut transport_failures = 0;
        let result = loop {
            tokio::time::sleep(interval).await;
            if Instant::now() >= deadline {
                break Err(AuthError::DeviceCodeExpired);
            }
            let polled = self
                .endpoint
                .token(&[
                    ("grant_type", DEVICE_GRANT),
                    ("client_id", self.client_id.as_str()),
                    ("device_code", auth.device_code.expose_secret()),
                ])
                .await;
            match polled {
                Ok(resp) => break Ok(resp),
                Err(EndpointError::OAuth { error, .. }) if error == "authorization_pending" => {
                    transport_failures = 0;
                }
                Err(EndpointError::OAuth { error, .. }) if error == "slow_down" => {
                    transport_failures = 0;
                    interval += SLOW_DOWN_STEP;
                    tracing::info!(
                        interval_s = interval.as_secs(),
                        "login endpoint asked to slow down"
                    );
                }
                Err(EndpointError::OAuth { error, .. }) if error == "authorization_declined" => {
                    break Err(AuthError::Declined);
                }
                Err(EndpointError::OAuth { error, .. }) if error == "expired_token" => {
                    break Err(AuthError::DeviceCodeExpired);
                }
                Err(EndpointError::Transport(detail))
                    if transport_failures < MAX_POLL_TRANSPORT_FAILURES =>
                {
                    transport_failures += 1;
                    tracing::warn!(%detail, "device-code poll failed in transport; retrying");
                }
                // bad_verification_code and anything else: MSAL treats them as terminal.
                Err(e) => break Err(explain(e, "finish device-code sign-in")),
            }
        };
        (self.prompt)(DeviceCodeEvent::Finished {
            signed_in: result.is_ok(),
        });
        result
    }
}

async fn refresh_grant(
    endpoint: &TokenEndpoint,
    client_id: &str,
    scope: &str,
    rt: &SecretString,
) -> Result<TokenResponse, EndpointError> {
    endpoint
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("scope", scope),
            // Public client: no secret (AADSTS700025).
            ("refresh_token", rt.expose_secret()),
        ])
        .await
}

/// AADSTS65001 / 65002 (or a bare `consent_required`) as the typed cause.
fn consent_error(
    e: &EndpointError,
    client_id: &str,
    resource: ResourceKind,
) -> Option<ResourceTokenError> {
    let EndpointError::OAuth {
        error,
        description,
        codes,
        ..
    } = e
    else {
        return None;
    };
    let code = if codes.contains(&65002) {
        65002
    } else if codes.contains(&65001) || error == "consent_required" {
        65001
    } else {
        return None;
    };
    Some(ResourceTokenError::ConsentRequired {
        client_id: client_id.to_owned(),
        resource,
        code,
        description: description
            .trim_start_matches(&format!("AADSTS{code}:"))
            .trim()
            .to_owned(),
    })
}

fn explain(e: EndpointError, doing: &str) -> AuthError {
    match e {
        EndpointError::Transport(detail) => AuthError::Transport {
            source_name: NAME,
            detail,
        },
        EndpointError::OAuth {
            error, description, ..
        } => {
            let hint = match error.as_str() {
                "bad_verification_code" => {
                    " (the login endpoint did not recognise the device code)"
                }
                "invalid_client" | "unauthorized_client" => {
                    " (check --client-id: it must be a public client app that allows device code)"
                }
                "invalid_scope" | "consent_required" => {
                    " (an administrator may need to consent to Application.ReadWrite.All for this client)"
                }
                _ => "",
            };
            AuthError::Refused {
                source_name: NAME,
                error,
                description: format!("could not {doing}: {description}{hint}"),
            }
        }
        EndpointError::Decode { .. } => AuthError::Failed {
            source_name: NAME,
            message: format!("could not {doing}: {e}"),
        },
    }
}

/// Refresh-token refusals that mean "sign in again", not "try later" (contract 11c).
fn needs_new_sign_in(e: &EndpointError) -> bool {
    matches!(e, EndpointError::OAuth { error, .. }
        if matches!(error.as_str(), "invalid_grant" | "interaction_required" | "consent_required" | "invalid_client" | "unauthorized_client"))
}

impl TokenSource for DeviceCode {
    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(async move {
            // Held for the whole call: concurrent requests wait for one sign-in, not many.
            let seen = self.sign_ins.load(std::sync::atomic::Ordering::SeqCst);
            let mut st = self.state.lock().await;
            if let Some(h) = st.held.as_ref()
                && !force_refresh
                && h.is_fresh()
            {
                return Ok(h.token.clone());
            }
            // A sign-in finished while this request waited, and it failed: share its answer.
            if st.sign_ins != seen
                && let Some(e) = st.last_failure.clone()
            {
                return Err(e);
            }
            self.load_cache(&mut st);
            if let Some(rt) = st.refresh.clone() {
                match self.refresh(&rt).await {
                    Ok(resp) => {
                        tracing::info!("access token refreshed; refresh token rotated");
                        return Ok(self.accept(&mut st, resp));
                    }
                    Err(e) if needs_new_sign_in(&e) => {
                        tracing::info!(error = %e, "refresh token refused; signing in again");
                        self.forget_refresh(&mut st);
                    }
                    Err(e) => {
                        if let Some(h) = st.held.as_ref()
                            && !force_refresh
                            && h.is_valid()
                        {
                            tracing::warn!(error = %e, "token refresh failed; using the current token until it expires");
                            return Ok(h.token.clone());
                        }
                        return Err(explain(e, "refresh the sign-in"));
                    }
                }
            }
            let result = self.sign_in().await;
            st.sign_ins += 1;
            self.sign_ins
                .store(st.sign_ins, std::sync::atomic::Ordering::SeqCst);
            let resp = match result {
                Ok(r) => {
                    st.last_failure = None;
                    r
                }
                Err(e) => {
                    st.last_failure = Some(e.clone());
                    return Err(e);
                }
            };
            tracing::info!("signed in with a device code");
            Ok(self.accept(&mut st, resp))
        })
    }

    fn token_for<'a>(
        &'a self,
        request: &'a TokenRequest,
        force_refresh: bool,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        if request.resource.kind() == ResourceKind::Graph && request.tenant.is_none() {
            return self.token(force_refresh);
        }
        Box::pin(self.other_token(request, force_refresh))
    }

    fn kind(&self) -> SourceKind {
        SourceKind::DeviceCode
    }

    fn client_id(&self) -> Option<&str> {
        Some(&self.client_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_the_cloud() {
        assert_eq!(
            scopes_for("https://graph.microsoft.us/"),
            "https://graph.microsoft.us/Application.ReadWrite.All https://graph.microsoft.us/User.Read offline_access"
        );
    }

    #[test]
    fn watch_prompt_shows_then_clears() {
        let (sink, rx) = watch_prompt();
        let p = DevicePrompt {
            user_code: "ABC".into(),
            verification_uri: "https://microsoft.com/devicelogin".into(),
            message: "m".into(),
            expires_at: Utc::now(),
        };
        sink(DeviceCodeEvent::Prompt(p.clone()));
        assert_eq!(rx.borrow().as_ref(), Some(&p));
        sink(DeviceCodeEvent::Finished { signed_in: true });
        assert!(rx.borrow().is_none());
    }
}
