//! The Graph client over reqwest.
//!
//! Rules it keeps (graph-contract.md): `$top=999` pages followed by `@odata.nextLink` verbatim,
//! headers resent on every page; the bearer token only ever goes to the configured Graph origin;
//! reads retry 429/500/502/503/504 and transport failures (Retry-After, else exponential backoff
//! with jitter, bounded), telling a [`RetryObserver`] about each wait; `addPassword` and create
//! are never retried (a lost `addPassword` reply is reconciled by the creation transaction in
//! `crate::create`, which reads the app back); removePassword's "No password credential found
//! with keyId" is success.
//!
//! Replies are decoded page by page, fast; only when a page does not decode are lone UTF-16
//! surrogate escapes repaired (to U+FFFD), and then each record decoded on its own: one record
//! azsecrets cannot read is skipped and counted ([`Page::skipped`]) instead of failing the list.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, BoxStream, StreamExt};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use secrecy::zeroize::Zeroizing;
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::{SourceKind, TokenSource};
use crate::graph::claims::TokenClaims;
use crate::graph::error::{GraphError, NotSent, parse_api_error};
use crate::graph::models::{
    AppRegistration, FederatedCredential, KeyCredential, Me, NewApplication, NewClientSecret,
    NewFederatedCredential, ODataPage, Organization, Owner, PasswordCredentialRequest,
};
use crate::graph::odata;
use crate::http::{self, Jitter, RetryOn, TransportWords};
use crate::ids::{ApplicationId, ObjectId, SecretId, is_guid};

/// The fields the UI and the scripting twin need.
pub const APP_SELECT: &str = "id,appId,displayName,createdDateTime,signInAudience,publisherDomain,passwordCredentials,keyCredentials";

/// [`APP_SELECT`] without keyCredentials: what bulk listings ask for, because a `$select` with
/// keyCredentials is limited to 150 requests a minute per tenant (contract §1); certificates
/// come in a paced pass of their own ([`CERT_SELECT`]).
pub const LIST_SELECT: &str =
    "id,appId,displayName,createdDateTime,signInAudience,publisherDomain,passwordCredentials";

/// The certificates pass of a bulk listing.
pub const CERT_SELECT: &str = "id,keyCredentials";

/// Graph's maximum page size for applications.
pub const MAX_TOP: u16 = 999;

/// The longest URL azsecrets sends. Graph's front door refuses far shorter ones; anything this
/// long is a mistake (a pasted file as `--filter`) and is refused before it is sent.
pub const MAX_URL: usize = 16 * 1024;

/// A retry the client is about to wait for, or the end of one, for whoever shows progress
/// (the TUI says "Graph is throttling; retrying in 12 s, attempt 2 of 6").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetryEvent {
    /// A read failed in a way worth retrying; the client waits `wait`, then tries again.
    Waiting(RetryWait),
    /// The request that was being retried has an answer (success or a final error).
    Settled { operation: &'static str },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryWait {
    /// What was being done ("list applications").
    pub operation: &'static str,
    /// Graph's status (429, 5xx), or `None` when the request did not reach Graph.
    pub status: Option<u16>,
    /// How long the client waits before the next attempt.
    pub wait: Duration,
    /// The attempt that follows the wait (the first attempt is 1).
    pub next_attempt: u32,
    /// Attempts in all, the first included.
    pub attempts: u32,
}

impl RetryWait {
    /// "Graph is throttling; retrying in 12 s, attempt 2 of 6", with `secs_left` of the wait.
    pub fn describe(&self, secs_left: u64) -> String {
        let what = match self.status {
            Some(429) => "Graph is throttling".to_owned(),
            Some(s) => format!("Graph answered {s}"),
            None => "Graph did not answer".to_owned(),
        };
        let when = if secs_left == 0 {
            "retrying now".to_owned()
        } else {
            format!("retrying in {secs_left} s")
        };
        format!(
            "{what}; {when}, attempt {} of {}",
            self.next_attempt, self.attempts
        )
    }
}

/// Who hears about retries; called from the client's tasks, so it must be quick.
pub type RetryObserver = Arc<dyn Fn(RetryEvent) + Send + Sync>;

pub use crate::http::RetryPolicy;

/// Graph's retries: five, from half a second, spread out at random ([`Jitter::Full`]).
pub const DEFAULT_RETRY: RetryPolicy = RetryPolicy {
    max_retries: 5,
    base_delay: Duration::from_millis(500),
    max_delay: Duration::from_secs(60),
};

/// How a request that got no answer from Graph is worded.
const WORDS: TransportWords = TransportWords::STANDARD;

/// Which applications to list.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AppQuery {
    /// `startswith(displayName,'…')`.
    pub name_prefix: Option<String>,
    /// `/me/ownedObjects/microsoft.graph.application` instead of `/applications`.
    pub owned: bool,
    /// Page size, 1..=999.
    pub top: Option<u16>,
}

/// One page of a listing.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub count: Option<u64>,
    /// True when another page follows.
    pub has_more: bool,
    /// Records of this page that could not be read and were left out.
    pub skipped: usize,
}

/// Every item of every page, and how many records were skipped as unreadable.
#[derive(Debug)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub skipped: usize,
}

/// What an id a user gave names (see [`GraphClient::find_application`]).
#[derive(Clone, Debug, PartialEq)]
pub enum AppLookup {
    Found(Box<AppRegistration>),
    NotFound,
    /// Several apps share the display name given.
    Ambiguous(Vec<AppRegistration>),
}

/// Every item of every page, in order; the first failed page fails the whole.
pub async fn collect_pages<T>(
    pages: BoxStream<'_, Result<Page<T>, GraphError>>,
) -> Result<Vec<T>, GraphError> {
    Ok(collect_listing(pages).await?.items)
}

/// [`collect_pages`], counting the records skipped as unreadable.
pub async fn collect_listing<T>(
    mut pages: BoxStream<'_, Result<Page<T>, GraphError>>,
) -> Result<Listing<T>, GraphError> {
    let mut out = Listing {
        items: Vec::new(),
        skipped: 0,
    };
    while let Some(page) = pages.next().await {
        let page = page?;
        out.items.extend(page.items);
        out.skipped += page.skipped;
    }
    Ok(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoveOutcome {
    Removed,
    /// Graph said "No password credential found with keyId": it was already gone.
    AlreadyGone,
}

#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    root: Url,
    v1: Url,
    creds: Arc<dyn TokenSource>,
    retry: RetryPolicy,
    observer: Option<RetryObserver>,
    /// One per client (one tenant): a 429 on any request holds every request back.
    gate: Arc<super::listing::ThrottleGate>,
    /// Listings with keyCredentials selected, kept under Graph's 150 a minute.
    pacer: Arc<super::listing::Pacer>,
}

struct Request<'a> {
    operation: &'static str,
    method: Method,
    url: Url,
    body: Option<&'a serde_json::Value>,
    retry: bool,
    /// The `client-request-id` to send (a fresh one per attempt when `None`).
    client_request_id: Option<&'a str>,
}

impl GraphClient {
    /// `root` is the Graph origin (e.g. `https://graph.microsoft.com/`), already validated by
    /// [`crate::auth::endpoints::parse_endpoint`].
    pub fn new(root: Url, creds: Arc<dyn TokenSource>) -> Result<Self, GraphError> {
        let http = http::client(Duration::from_secs(90)).map_err(|e| GraphError::Transport {
            operation: http::START,
            detail: e.to_string(),
        })?;
        let v1 = root.join("v1.0/").map_err(|_| GraphError::ForeignLink {
            url: root.to_string(),
            expected: root.to_string(),
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                root,
                v1,
                creds,
                retry: DEFAULT_RETRY,
                observer: None,
                gate: Arc::default(),
                pacer: Arc::default(),
            }),
        })
    }

    pub fn with_retry(self, retry: RetryPolicy) -> Self {
        let observer = self.inner.observer.clone();
        self.rebuilt(retry, observer)
    }

    /// The same client, telling `observer` about every retry wait (the TUI shows them).
    pub fn with_observer(self, observer: RetryObserver) -> Self {
        let retry = self.inner.retry.clone();
        self.rebuilt(retry, Some(observer))
    }

    fn rebuilt(&self, retry: RetryPolicy, observer: Option<RetryObserver>) -> Self {
        let i = &self.inner;
        Self {
            inner: Arc::new(Inner {
                http: i.http.clone(),
                root: i.root.clone(),
                v1: i.v1.clone(),
                creds: i.creds.clone(),
                retry,
                observer,
                gate: i.gate.clone(),
                pacer: i.pacer.clone(),
            }),
        }
    }

    /// The client's throttle gate (shared by every request it sends).
    pub fn throttle_gate(&self) -> &super::listing::ThrottleGate {
        &self.inner.gate
    }

    fn notify(&self, event: RetryEvent) {
        if let Some(o) = &self.inner.observer {
            o(event);
        }
    }

    /// What the current access token says about itself (tenant, app, user), read from its
    /// payload without verifying it: for `whoami` when Graph will not say. `None` when the
    /// token is not a JWT (the token itself is never returned or shown).
    pub async fn token_claims(&self) -> Result<Option<TokenClaims>, GraphError> {
        let token = self.inner.creds.token(false).await?;
        Ok(TokenClaims::decode(token.token.expose_secret()))
    }

    pub fn source_kind(&self) -> SourceKind {
        self.inner.creds.kind()
    }

    pub fn graph_root(&self) -> &Url {
        &self.inner.root
    }

    pub(super) fn v1(&self, path_and_query: &str) -> Result<Url, GraphError> {
        self.inner
            .v1
            .join(path_and_query)
            .map_err(|e| GraphError::Decode {
                operation: "build a request",
                detail: e.to_string(),
            })
    }

    /// The token goes only to the configured Graph origin and path.
    pub(super) fn check_origin(&self, url: &Url) -> Result<(), GraphError> {
        Ok(http::check_origin(&self.inner.root, url)?)
    }

    async fn execute(&self, req: Request<'_>) -> Result<reqwest::Response, GraphError> {
        self.check_origin(&req.url)?;
        let len = req.url.as_str().len();
        if len > MAX_URL {
            return Err(GraphError::NotSent {
                operation: req.operation,
                reason: NotSent::UrlTooLong { len, max: MAX_URL },
            });
        }
        self.execute_retrying(&req).await
    }

    /// [`Self::execute`]'s loop: one attempt after another while the answer is worth retrying
    /// and the request may be repeated; the observer hears of every wait and of the end.
    async fn execute_retrying(&self, req: &Request<'_>) -> Result<reqwest::Response, GraphError> {
        let policy = &self.inner.retry;
        let attempts = policy.max_retries + 1;
        let mut attempt = 0u32;
        let mut refreshed = false;
        let mut force_refresh = false;
        let mut waited = false;
        let settled = |client: &Self, waited: bool| {
            if waited {
                client.notify(RetryEvent::Settled {
                    operation: req.operation,
                });
            }
        };
        // Advanced queries need the header on every page: it is not carried in nextLinks.
        let eventual = super::listing::needs_eventual(&req.url);
        let legacy_search_off = super::listing::search_has_ampersand(&req.url);
        let paced = super::listing::is_key_credentials_listing(&req.url);
        loop {
            // Graph asked this client to wait (a 429 on any request): every request waits.
            self.inner.gate.pass().await;
            if paced {
                self.inner.pacer.acquire().await;
            }
            // Force a refresh only right after a 401, never on later retries of the same request.
            let token = match self.inner.creds.token(force_refresh).await {
                Ok(t) => t,
                Err(e) => {
                    settled(self, waited);
                    return Err(e.into());
                }
            };
            force_refresh = false;
            // Checked here so a token with a line break is named as such, never as the network.
            let Ok(mut auth) = reqwest::header::HeaderValue::from_str(&format!(
                "Bearer {}",
                token.token.expose_secret()
            )) else {
                settled(self, waited);
                return Err(GraphError::NotSent {
                    operation: req.operation,
                    reason: NotSent::TokenNotSendable,
                });
            };
            auth.set_sensitive(true);
            drop(token);
            let client_request_id = req
                .client_request_id
                .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
            let mut rb = self
                .inner
                .http
                .request(req.method.clone(), req.url.clone())
                .header(reqwest::header::AUTHORIZATION, auth)
                .header("client-request-id", &client_request_id)
                .header("Accept", "application/json");
            if eventual {
                rb = rb.header("ConsistencyLevel", "eventual");
            }
            if legacy_search_off {
                // v1.0 fails `$search` with an encoded `&` unless told (docs/contract.md §9).
                rb = rb.header("Prefer", "legacySearch=false");
            }
            if let Some(body) = req.body {
                rb = rb.json(body);
            }
            let started = Instant::now();
            let sent = rb.send().await;
            match sent {
                Err(e) if e.is_builder() => {
                    settled(self, waited);
                    return Err(GraphError::NotSent {
                        operation: req.operation,
                        reason: NotSent::Build(WORDS.detail(&e)),
                    });
                }
                Err(e) => {
                    tracing::warn!(
                        op = req.operation,
                        method = %req.method,
                        path = req.url.path(),
                        attempt,
                        error = %e,
                        "graph request failed in transport"
                    );
                    if req.retry
                        && let Some(wait) = policy.next_wait(attempt, None, Jitter::Full)
                    {
                        attempt += 1;
                        waited = true;
                        self.notify(RetryEvent::Waiting(RetryWait {
                            operation: req.operation,
                            status: None,
                            wait,
                            next_attempt: attempt + 1,
                            attempts,
                        }));
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    settled(self, waited);
                    return Err(GraphError::Transport {
                        operation: req.operation,
                        detail: WORDS.detail(&e),
                    });
                }
                Ok(resp) => {
                    let status = resp.status();
                    let request_id = http::header(resp.headers(), "request-id");
                    tracing::debug!(
                        op = req.operation,
                        method = %req.method,
                        path = req.url.path(),
                        status = status.as_u16(),
                        request_id = request_id.as_deref().unwrap_or(""),
                        ms = started.elapsed().as_millis() as u64,
                        "graph"
                    );
                    if status.is_success() {
                        settled(self, waited);
                        return Ok(resp);
                    }
                    if status == StatusCode::UNAUTHORIZED && !refreshed {
                        refreshed = true;
                        force_refresh = true;
                        continue;
                    }
                    let retry_after = http::retry_after(resp.headers());
                    if req.retry
                        && RetryOn::Transient.covers(status)
                        && let Some(wait) = policy.next_wait(attempt, retry_after, Jitter::Full)
                    {
                        tracing::info!(
                            op = req.operation,
                            status = status.as_u16(),
                            wait_ms = wait.as_millis() as u64,
                            "graph asked to retry"
                        );
                        attempt += 1;
                        waited = true;
                        if status == StatusCode::TOO_MANY_REQUESTS {
                            self.inner.gate.throttled(wait);
                        }
                        self.notify(RetryEvent::Waiting(RetryWait {
                            operation: req.operation,
                            status: Some(status.as_u16()),
                            wait,
                            next_attempt: attempt + 1,
                            attempts,
                        }));
                        // Read the body away so the connection can be reused.
                        let _ = resp.bytes().await;
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    settled(self, waited);
                    let client_request_id = http::header(resp.headers(), "client-request-id");
                    let body = resp.text().await.unwrap_or_default();
                    let err = parse_api_error(
                        req.operation,
                        status.as_u16(),
                        request_id,
                        client_request_id,
                        retry_after,
                        &body,
                    );
                    tracing::warn!(
                        op = req.operation,
                        status = err.status,
                        code = %crate::sanitize::clean(&err.code),
                        request_id = err.request_id.as_deref().unwrap_or(""),
                        "graph error"
                    );
                    return Err(GraphError::Api(Box::new(err)));
                }
            }
        }
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: Url,
    ) -> Result<T, GraphError> {
        let body = self.get_bytes(operation, url).await?;
        decode_repairing(operation, &body)
    }

    /// A GET (retried as reads are) and its whole reply.
    pub(super) async fn get_bytes(
        &self,
        operation: &'static str,
        url: Url,
    ) -> Result<bytes::Bytes, GraphError> {
        let resp = self
            .execute(Request {
                operation,
                method: Method::GET,
                url,
                body: None,
                retry: true,
                client_request_id: None,
            })
            .await?;
        read_body(operation, resp).await
    }

    /// Every application in the tenant (or owned by the signed-in user), page by page.
    pub fn list_applications(
        &self,
        query: &AppQuery,
    ) -> BoxStream<'static, Result<Page<AppRegistration>, GraphError>> {
        let top = query.top.unwrap_or(MAX_TOP).clamp(1, MAX_TOP);
        let mut q = format!("$select={APP_SELECT}&$top={top}");
        if let Some(prefix) = &query.name_prefix {
            q.push_str("&$filter=");
            q.push_str(&odata::encode(&odata::startswith_display_name(prefix)));
        }
        let (operation, path) = if query.owned {
            (
                "list your owned applications",
                "me/ownedObjects/microsoft.graph.application",
            )
        } else {
            ("list applications", "applications")
        };
        let first = self.v1(&format!("{path}?{q}"));
        self.pages(operation, first)
    }

    /// Follow `@odata.nextLink` page by page. The next page is requested as soon as its link is
    /// known — read from the raw reply before the page is decoded — while the caller still works
    /// on the current one (one page in flight, never more), so decoding and drawing overlap with
    /// Graph's paging instead of adding to it.
    pub(super) fn pages<T: DeserializeOwned + Send + 'static>(
        &self,
        operation: &'static str,
        first: Result<Url, GraphError>,
    ) -> BoxStream<'static, Result<Page<T>, GraphError>> {
        let client = self.clone();
        let start = match first {
            Ok(url) => PageState::InFlight(client.fetch_page(operation, url)),
            Err(e) => PageState::Failed(e),
        };
        stream::unfold(start, move |state| {
            let client = client.clone();
            async move {
                let pending = match state {
                    PageState::InFlight(p) => p,
                    PageState::Failed(e) => return Some((Err(e), PageState::Done)),
                    PageState::Done => return None,
                };
                let body = match pending.join().await {
                    Ok(b) => b,
                    Err(e) => return Some((Err(e), PageState::Done)),
                };
                // Start the next request first, then decode this page while it travels.
                let peeked = peek_next_link(&body);
                let mut next_state = match peeked.as_deref().map(|l| client.next_url(operation, l))
                {
                    Some(Ok(url)) => PageState::InFlight(client.fetch_page(operation, url)),
                    Some(Err(e)) => PageState::Failed(e),
                    None => PageState::Done,
                };
                let (page, skipped): (ODataPage<T>, usize) = match decode_page(operation, &body) {
                    Ok(p) => p,
                    Err(e) => return Some((Err(e), PageState::Done)),
                };
                // The peek is a shortcut; the decoded page is the truth.
                if page.next_link != peeked {
                    next_state = match page
                        .next_link
                        .as_deref()
                        .map(|l| client.next_url(operation, l))
                    {
                        Some(Ok(url)) => PageState::InFlight(client.fetch_page(operation, url)),
                        Some(Err(e)) => PageState::Failed(e),
                        None => PageState::Done,
                    };
                }
                let out = Page {
                    has_more: !matches!(next_state, PageState::Done),
                    count: page.count,
                    items: page.value,
                    skipped,
                };
                Some((Ok(out), next_state))
            }
        })
        .boxed()
    }

    /// A nextLink as a URL on the configured Graph origin (the token goes nowhere else).
    pub(super) fn next_url(&self, operation: &'static str, link: &str) -> Result<Url, GraphError> {
        let url = Url::parse(link).map_err(|e| GraphError::Decode {
            operation,
            detail: format!("bad @odata.nextLink: {e}"),
        })?;
        self.check_origin(&url)?;
        Ok(url)
    }

    fn fetch_page(&self, operation: &'static str, url: Url) -> PendingPage {
        let client = self.clone();
        PendingPage(tokio::spawn(async move {
            client.get_bytes(operation, url).await
        }))
    }

    /// Every application the query matches, all pages collected (for callers that need them all
    /// at once; the TUI streams [`Self::list_applications`] instead). Records that could not
    /// be read are left out; [`Self::collect_applications`] counts them.
    pub async fn list_all_applications(
        &self,
        query: &AppQuery,
    ) -> Result<Vec<AppRegistration>, GraphError> {
        collect_pages(self.list_applications(query)).await
    }

    /// [`Self::list_all_applications`], with the number of records skipped as unreadable.
    pub async fn collect_applications(
        &self,
        query: &AppQuery,
    ) -> Result<Listing<AppRegistration>, GraphError> {
        collect_listing(self.list_applications(query)).await
    }

    /// `GET /applications/{id}` by Object ID.
    pub async fn get_application(&self, id: &ObjectId) -> Result<AppRegistration, GraphError> {
        guid(id.as_str())?;
        let url = self.v1(&format!("applications/{id}?$select={APP_SELECT}"))?;
        self.get_json("read the application", url).await
    }

    /// `GET /applications(appId='…')` by Application (client) ID.
    pub async fn get_application_by_app_id(
        &self,
        app_id: &ApplicationId,
    ) -> Result<AppRegistration, GraphError> {
        guid(app_id.as_str())?;
        let url = self.v1(&format!(
            "applications(appId='{app_id}')?$select={APP_SELECT}"
        ))?;
        self.get_json("read the application", url).await
    }

    /// Applications whose display name equals `name` exactly (case-insensitive, as Graph's eq).
    pub async fn find_applications_by_name(
        &self,
        name: &str,
    ) -> Result<Vec<AppRegistration>, GraphError> {
        let all = self
            .list_all_applications(&AppQuery {
                name_prefix: Some(name.to_owned()),
                ..AppQuery::default()
            })
            .await?;
        Ok(all
            .into_iter()
            .filter(|a| a.display_name.eq_ignore_ascii_case(name))
            .collect())
    }

    /// The app `id` names, as a user gives it: a GUID is tried as an Application (client) ID,
    /// then as an Object ID (a pasted GUID may be either); anything else is an exact display
    /// name, ignoring case, which may name several apps. The one lookup both front-ends use.
    pub async fn find_application(&self, id: &str) -> Result<AppLookup, GraphError> {
        let id = id.trim();
        if id.is_empty() {
            return Ok(AppLookup::NotFound);
        }
        if let Ok(app_id) = ApplicationId::parse(id) {
            match self.get_application_by_app_id(&app_id).await {
                Ok(app) => return Ok(AppLookup::Found(Box::new(app))),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
            return match self.get_application(&ObjectId(app_id.0)).await {
                Ok(app) => Ok(AppLookup::Found(Box::new(app))),
                Err(e) if e.is_not_found() => Ok(AppLookup::NotFound),
                Err(e) => Err(e),
            };
        }
        let mut matches = self.find_applications_by_name(id).await?;
        Ok(match matches.len() {
            0 => AppLookup::NotFound,
            1 => AppLookup::Found(Box::new(matches.remove(0))),
            _ => AppLookup::Ambiguous(matches),
        })
    }

    pub async fn organization(&self) -> Result<Organization, GraphError> {
        let url = self.v1("organization?$select=id,displayName,verifiedDomains")?;
        let page: ODataPage<Organization> = self.get_json("read the tenant", url).await?;
        page.value.into_iter().next().ok_or(GraphError::Decode {
            operation: "read the tenant",
            detail: "/organization returned no element".into(),
        })
    }

    pub async fn me(&self) -> Result<Me, GraphError> {
        let url = self.v1("me?$select=id,displayName,userPrincipalName,mail")?;
        self.get_json("read the signed-in user", url).await
    }

    pub async fn federated_credentials(
        &self,
        id: &ObjectId,
    ) -> Result<Vec<FederatedCredential>, GraphError> {
        guid(id.as_str())?;
        collect_pages(self.pages::<FederatedCredential>(
            "list federated credentials",
            self.v1(&format!("applications/{id}/federatedIdentityCredentials")),
        ))
        .await
    }

    /// The app's certificates with their `key` (base64 DER): Graph fills `key` only under
    /// `$select` on a single application (research 14 §1.1), which a whole-set PATCH needs.
    pub async fn key_credentials(&self, id: &ObjectId) -> Result<Vec<KeyCredential>, GraphError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Keys {
            #[serde(default)]
            key_credentials: Option<Vec<KeyCredential>>,
        }
        guid(id.as_str())?;
        let url = self.v1(&format!("applications/{id}?$select=id,keyCredentials"))?;
        let keys: Keys = self.get_json("read the certificates", url).await?;
        Ok(keys.key_credentials.unwrap_or_default())
    }

    /// `PATCH /applications/{id}` with the whole `keyCredentials` set (Graph replaces it).
    /// Never retried: the caller reads the set back to see what happened.
    pub async fn patch_key_credentials(
        &self,
        id: &ObjectId,
        set: &[KeyCredential],
    ) -> Result<(), GraphError> {
        guid(id.as_str())?;
        let body = serde_json::json!({ "keyCredentials": set });
        let url = self.v1(&format!("applications/{id}"))?;
        self.execute(Request {
            operation: "change the certificates",
            method: Method::PATCH,
            url,
            body: Some(&body),
            retry: false,
            client_request_id: None,
        })
        .await?;
        Ok(())
    }

    /// `POST …/federatedIdentityCredentials`. Never retried (a repeat is a 409 on the name).
    pub async fn create_federated_credential(
        &self,
        id: &ObjectId,
        credential: &NewFederatedCredential,
    ) -> Result<FederatedCredential, GraphError> {
        guid(id.as_str())?;
        let url = self.v1(&format!("applications/{id}/federatedIdentityCredentials"))?;
        self.create("add the federated credential", url, credential)
            .await
    }

    /// `DELETE …/federatedIdentityCredentials/{id}`; a 404 means it is already gone.
    pub async fn delete_federated_credential(
        &self,
        id: &ObjectId,
        credential_id: &str,
    ) -> Result<RemoveOutcome, GraphError> {
        guid(id.as_str())?;
        if !is_guid(credential_id) {
            return Err(GraphError::InvalidId(credential_id.to_owned()));
        }
        let url = self.v1(&format!(
            "applications/{id}/federatedIdentityCredentials/{credential_id}"
        ))?;
        match self
            .execute(Request {
                operation: "delete the federated credential",
                method: Method::DELETE,
                url,
                body: None,
                // Safe to repeat: a second delete is a 404, read as "already gone".
                retry: true,
                client_request_id: None,
            })
            .await
        {
            Ok(_) => Ok(RemoveOutcome::Removed),
            Err(e) if e.is_not_found() => Ok(RemoveOutcome::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    /// `GET /applications/{id}/owners`: users and service principals.
    pub async fn owners(&self, id: &ObjectId) -> Result<Vec<Owner>, GraphError> {
        guid(id.as_str())?;
        collect_pages(self.pages::<Owner>(
            "list the owners",
            self.v1(&format!(
                "applications/{id}/owners?$select=id,displayName,userPrincipalName,appId"
            )),
        ))
        .await
    }

    /// `GET /policies/defaultAppManagementPolicy` (needs Policy.Read.All and a directory role).
    pub async fn default_app_management_policy(
        &self,
    ) -> Result<crate::policy::TenantPolicyWire, GraphError> {
        let url = self.v1("policies/defaultAppManagementPolicy")?;
        self.get_json("read the tenant's app management policy", url)
            .await
    }

    /// `GET /applications/{id}/appManagementPolicies`: at most one.
    pub async fn app_management_policies(
        &self,
        id: &ObjectId,
    ) -> Result<Vec<crate::policy::AppPolicyWire>, GraphError> {
        guid(id.as_str())?;
        collect_pages(self.pages::<crate::policy::AppPolicyWire>(
            "read the app's management policy",
            self.v1(&format!("applications/{id}/appManagementPolicies")),
        ))
        .await
    }

    /// What the policies in force say about adding credentials to `app`. An identity that
    /// may not read policies (403) gets [`PolicyView::Unknown`]: Graph decides at the submit.
    pub async fn policy_view(
        &self,
        app: &AppRegistration,
    ) -> Result<crate::policy::PolicyView, GraphError> {
        use crate::policy::{PolicyView, effective};
        let forbidden = |e: &GraphError| matches!(e.status(), Some(403));
        let assigned = match self.app_management_policies(&app.id).await {
            Ok(a) => a,
            Err(e) if forbidden(&e) => return Ok(PolicyView::Unknown),
            Err(e) => return Err(e),
        };
        let default = if assigned.is_empty() {
            match self.default_app_management_policy().await {
                Ok(d) => Some(d),
                Err(e) if forbidden(&e) => return Ok(PolicyView::Unknown),
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        Ok(PolicyView::Known(effective(
            default.as_ref(),
            &assigned,
            app.created_date_time,
        )))
    }

    /// `addPassword` with a fresh `client-request-id`. See [`Self::add_password_as`].
    pub async fn add_password(
        &self,
        id: &ObjectId,
        credential: &PasswordCredentialRequest,
    ) -> Result<NewClientSecret, GraphError> {
        let client_request_id = uuid::Uuid::new_v4().to_string();
        self.add_password_as(id, credential, &client_request_id)
            .await
    }

    /// `addPassword`, sending `client_request_id` (journaled by the caller). Never retried and
    /// never reconciled here: an answer that is not a clean success says nothing certain about
    /// what exists, and the creation transaction (`crate::create`) reads the app back. The
    /// reply, which holds the value, is read into a buffer that is wiped once it is parsed, so
    /// the value lives only in the [`NewClientSecret`]'s secret type.
    pub async fn add_password_as(
        &self,
        id: &ObjectId,
        credential: &PasswordCredentialRequest,
        client_request_id: &str,
    ) -> Result<NewClientSecret, GraphError> {
        const OP: &str = "add a client secret";
        guid(id.as_str())?;
        let body = serde_json::json!({ "passwordCredential": credential });
        let url = self.v1(&format!("applications/{id}/addPassword"))?;
        let resp = self
            .execute(Request {
                operation: OP,
                method: Method::POST,
                url,
                body: Some(&body),
                retry: false,
                client_request_id: Some(client_request_id),
            })
            .await?;
        let reply = read_secret_body(OP, resp).await?;
        decode_bytes(OP, &reply)
    }

    /// `removePassword`; "No password credential found with keyId" means already gone.
    pub async fn remove_password(
        &self,
        id: &ObjectId,
        key_id: &SecretId,
    ) -> Result<RemoveOutcome, GraphError> {
        guid(id.as_str())?;
        guid(key_id.as_str())?;
        let body = serde_json::json!({ "keyId": key_id });
        let url = self.v1(&format!("applications/{id}/removePassword"))?;
        match self
            .execute(Request {
                operation: "delete the client secret",
                method: Method::POST,
                url,
                body: Some(&body),
                // Safe to retry: a repeat of a removal that went through reports "already gone".
                retry: true,
                client_request_id: None,
            })
            .await
        {
            Ok(_) => Ok(RemoveOutcome::Removed),
            Err(GraphError::Api(e))
                if e.message
                    .starts_with("No password credential found with keyId") =>
            {
                Ok(RemoveOutcome::AlreadyGone)
            }
            Err(e) => Err(e),
        }
    }

    /// `POST /applications` (New registration). Never retried.
    pub async fn create_application(
        &self,
        app: &NewApplication,
    ) -> Result<AppRegistration, GraphError> {
        let url = self.v1("applications")?;
        self.create("create the application", url, app).await
    }

    /// POST `object` to a collection and read back what Graph made of it. Never retried: a
    /// repeat could create a second one (or fail on the first one's name).
    async fn create<T: serde::Serialize, R: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: Url,
        object: &T,
    ) -> Result<R, GraphError> {
        let body = serde_json::to_value(object).map_err(|e| GraphError::Decode {
            operation,
            detail: e.to_string(),
        })?;
        let resp = self
            .execute(Request {
                operation,
                method: Method::POST,
                url,
                body: Some(&body),
                retry: false,
                client_request_id: None,
            })
            .await?;
        decode(operation, resp).await
    }
}

enum PageState {
    InFlight(PendingPage),
    Failed(GraphError),
    Done,
}

/// A page's raw reply being fetched on its own task; dropping it (the stream was dropped)
/// cancels the request.
struct PendingPage(tokio::task::JoinHandle<Result<bytes::Bytes, GraphError>>);

impl PendingPage {
    async fn join(mut self) -> Result<bytes::Bytes, GraphError> {
        let handle = &mut self.0;
        handle.await.map_err(|e| GraphError::Transport {
            operation: "read a page",
            detail: format!("the page request stopped: {e}"),
        })?
    }
}

impl Drop for PendingPage {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `@odata.nextLink` read straight from a reply's bytes, without decoding the page. Graph puts
/// it before `value`; a match inside a string value cannot happen (quotes there are escaped).
fn peek_next_link(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"@odata.nextLink\"";
    let at = memchr::memmem::find(body, KEY)? + KEY.len();
    let rest = body.get(at..)?;
    let colon = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    if rest.get(colon) != Some(&b':') {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(rest.get(colon + 1..)?);
    <String as serde::Deserialize>::deserialize(&mut de).ok()
}

pub(super) fn decode_bytes<T: DeserializeOwned>(
    operation: &'static str,
    body: &[u8],
) -> Result<T, GraphError> {
    serde_json::from_slice(body).map_err(|e| GraphError::Decode {
        operation,
        // serde_json errors name a position and a type, rarely the content (cleaned on display).
        detail: e.to_string(),
    })
}

/// One object: decoded as sent, or else after lone surrogate escapes are repaired.
fn decode_repairing<T: DeserializeOwned>(
    operation: &'static str,
    body: &[u8],
) -> Result<T, GraphError> {
    match serde_json::from_slice(body) {
        Ok(v) => Ok(v),
        Err(first) => match repair_lone_surrogates(body) {
            Some(fixed) => decode_bytes(operation, &fixed),
            None => Err(GraphError::Decode {
                operation,
                detail: first.to_string(),
            }),
        },
    }
}

/// A page: decoded whole (the fast path, almost always); else with lone surrogate escapes
/// repaired; else record by record, leaving out (and counting) those that cannot be read. Only
/// a reply that is not a page at all is an error.
pub(super) fn decode_page<T: DeserializeOwned>(
    operation: &'static str,
    body: &[u8],
) -> Result<(ODataPage<T>, usize), GraphError> {
    let first = match serde_json::from_slice::<ODataPage<T>>(body) {
        Ok(p) => return Ok((p, 0)),
        Err(e) => e,
    };
    let repaired = repair_lone_surrogates(body);
    let body: &[u8] = match &repaired {
        Some(fixed) => {
            tracing::info!(
                op = operation,
                "a page held lone UTF-16 surrogate escapes; shown as U+FFFD"
            );
            if let Ok(p) = serde_json::from_slice::<ODataPage<T>>(fixed) {
                return Ok((p, 0));
            }
            fixed
        }
        None => body,
    };
    let loose: ODataPage<serde_json::Value> =
        serde_json::from_slice(body).map_err(|_| GraphError::Decode {
            operation,
            detail: first.to_string(),
        })?;
    let mut items = Vec::with_capacity(loose.value.len());
    let mut skipped = 0;
    for (i, record) in loose.value.into_iter().enumerate() {
        match serde_json::from_value::<T>(record) {
            Ok(item) => items.push(item),
            Err(e) => {
                skipped += 1;
                tracing::warn!(
                    op = operation,
                    index = i,
                    error = %crate::sanitize::clean(&e.to_string()),
                    "skipped a record that cannot be read"
                );
            }
        }
    }
    Ok((
        ODataPage {
            next_link: loose.next_link,
            count: loose.count,
            value: items,
        },
        skipped,
    ))
}

/// `body` with every lone UTF-16 surrogate escape (`\ud800` without its pair, which Graph can
/// send and serde_json refuses) replaced by `\ufffd`; `None` when there is none. Escaped
/// backslashes are skipped, so `\\ud800` (a backslash and text) is left alone.
pub fn repair_lone_surrogates(body: &[u8]) -> Option<Vec<u8>> {
    fn hex4(b: &[u8]) -> Option<u16> {
        let s = std::str::from_utf8(b.get(..4)?).ok()?;
        u16::from_str_radix(s, 16).ok()
    }
    fn escape_at(body: &[u8], i: usize) -> Option<u16> {
        (body.get(i) == Some(&b'\\') && body.get(i + 1) == Some(&b'u'))
            .then(|| hex4(body.get(i + 2..)?))
            .flatten()
    }
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'\\' {
            if let Some(o) = out.as_mut() {
                o.push(body[i]);
            }
            i += 1;
            continue;
        }
        let Some(unit) = escape_at(body, i) else {
            // Another escape (`\"`, `\\`, `\n`…): copy both bytes.
            let end = (i + 2).min(body.len());
            if let Some(o) = out.as_mut() {
                o.extend_from_slice(&body[i..end]);
            }
            i = end;
            continue;
        };
        let high = (0xD800..0xDC00).contains(&unit);
        let low = (0xDC00..0xE000).contains(&unit);
        let paired = high && escape_at(body, i + 6).is_some_and(|u| (0xDC00..0xE000).contains(&u));
        if paired {
            if let Some(o) = out.as_mut() {
                o.extend_from_slice(&body[i..i + 12]);
            }
            i += 12;
        } else if high || low {
            let o = out.get_or_insert_with(|| {
                let mut v = Vec::with_capacity(body.len());
                v.extend_from_slice(&body[..i]);
                v
            });
            o.extend_from_slice(b"\\ufffd");
            i += 6;
        } else {
            if let Some(o) = out.as_mut() {
                o.extend_from_slice(&body[i..i + 6]);
            }
            i += 6;
        }
    }
    out
}

fn guid(s: &str) -> Result<(), GraphError> {
    if is_guid(s) {
        Ok(())
    } else {
        Err(GraphError::InvalidId(s.to_owned()))
    }
}

async fn decode<T: DeserializeOwned>(
    operation: &'static str,
    resp: reqwest::Response,
) -> Result<T, GraphError> {
    decode_repairing(operation, &read_body(operation, resp).await?)
}

async fn read_body(
    operation: &'static str,
    resp: reqwest::Response,
) -> Result<bytes::Bytes, GraphError> {
    resp.bytes().await.map_err(|e| GraphError::Transport {
        operation,
        detail: WORDS.detail(&e),
    })
}

/// A reply that holds a secret value, read chunk by chunk into one buffer that is wiped when
/// dropped. The buffer never reallocates in place (a larger one is made and the old one wiped),
/// and each chunk reqwest hands over is wiped too when nothing else shares it.
async fn read_secret_body(
    operation: &'static str,
    mut resp: reqwest::Response,
) -> Result<Zeroizing<Vec<u8>>, GraphError> {
    use secrecy::zeroize::Zeroize;
    let hint = resp
        .content_length()
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(0);
    let mut buf = Zeroizing::new(Vec::with_capacity(hint.clamp(1024, 64 * 1024)));
    loop {
        let chunk = resp.chunk().await.map_err(|e| GraphError::Transport {
            operation,
            detail: WORDS.detail(&e),
        })?;
        let Some(chunk) = chunk else {
            break;
        };
        if buf.len() + chunk.len() > buf.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity((buf.len() + chunk.len()) * 2));
            bigger.extend_from_slice(&buf);
            buf = bigger;
        }
        buf.extend_from_slice(&chunk);
        if let Ok(mut owned) = chunk.try_into_mut() {
            owned.as_mut().zeroize();
        }
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogate_escapes_are_repaired_and_nothing_else() {
        let fix = |s: &[u8]| repair_lone_surrogates(s).map(|v| String::from_utf8(v).unwrap());
        assert_eq!(
            fix(br#"{"a":"x\ud800y"}"#).as_deref(),
            Some(r#"{"a":"x\ufffdy"}"#)
        );
        assert_eq!(
            fix(br#"{"a":"\udc00"}"#).as_deref(),
            Some(r#"{"a":"\ufffd"}"#)
        );
        assert_eq!(
            fix(br#"{"a":"\ud800\ud800\udc00"}"#).as_deref(),
            Some(r#"{"a":"\ufffd\ud800\udc00"}"#),
            "a lone high before a pair"
        );
        // A valid pair, an escaped backslash before "ud800", other escapes: untouched.
        assert_eq!(fix(br#"{"a":"\ud83d\ude80"}"#), None);
        assert_eq!(fix(br#"{"a":"\\ud800"}"#), None);
        assert_eq!(fix(br#"{"a":"\n\"\u0041"}"#), None);
        let page: ODataPage<serde_json::Value> =
            serde_json::from_slice(&repair_lone_surrogates(br#"{"value":["\ud800"]}"#).unwrap())
                .unwrap();
        assert_eq!(page.value[0], "\u{fffd}");
    }

    #[test]
    fn a_page_decodes_record_by_record_only_when_it_must() {
        #[derive(serde::Deserialize)]
        struct R {
            #[allow(dead_code)]
            id: u32,
        }
        let (p, skipped) = decode_page::<R>("list", br#"{"value":[{"id":1},{"id":2}]}"#).unwrap();
        assert_eq!((p.value.len(), skipped), (2, 0));
        let (p, skipped) =
            decode_page::<R>("list", br#"{"value":[{"id":1},{"id":"x"},{"nope":1}]}"#).unwrap();
        assert_eq!((p.value.len(), skipped), (1, 2));
        assert!(decode_page::<R>("list", b"not json").is_err());
    }

    #[test]
    fn next_link_is_peeked_from_raw_bytes() {
        let body = br#"{"@odata.context":"x","@odata.nextLink" : "https:\/\/graph.microsoft.com\/v1.0\/applications?$skiptoken=A\u0026b","value":[]}"#;
        assert_eq!(
            peek_next_link(body).as_deref(),
            Some("https://graph.microsoft.com/v1.0/applications?$skiptoken=A&b")
        );
        assert_eq!(peek_next_link(br#"{"value":[{"displayName":"x"}]}"#), None);
        // The key's text inside a string value is escaped, so it is never mistaken for the key.
        let tricky = br#"{"value":[{"displayName":"\"@odata.nextLink\": \"https://evil\""}]}"#;
        assert_eq!(peek_next_link(tricky), None);
        assert_eq!(peek_next_link(br#"{"@odata.nextLink": 5}"#), None);
    }
}
