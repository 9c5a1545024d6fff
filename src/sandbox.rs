//! The emulated tenant: an axum server that follows graph-contract.md (Graph v1.0 routes and the
//! identity platform's token endpoints), with fault injection. Used by `--sandbox`,
//! `azsecrets sandbox serve`, and every test. Shares no code with the client beyond wire shapes.
//!
//! Layout: `model` (state), `seed` (the embedded tenant and generated apps), `odata` (query
//! options and page tokens), `json` (wire shapes), `reply` (Graph framing and errors), `graph`
//! (the v1.0 routes), `token` (sign-in endpoints and issued tokens). The sandbox is never looser
//! than Graph: where the contract documents a rule, the sandbox enforces it.

mod graph;
mod json;
mod model;
mod odata;
mod reply;
mod seed;
mod token;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use tokio::sync::oneshot;
use url::Url;

use model::Tenant;
use token::AuthState;

/// How the emulator behaves.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Generated apps added to the seed tenant.
    pub extra_apps: usize,
    /// Added latency per request.
    pub latency: Duration,
    /// Every Nth Graph request gets 429 + Retry-After.
    pub throttle_every: Option<u32>,
    /// Retry-After seconds sent with injected 429s.
    pub throttle_retry_after: u64,
    /// Fraction of Graph requests answered with a random 5xx (503 with Retry-After, 500, 504).
    pub fail_rate: f64,
    /// Device code: polls answered `authorization_pending` before the outcome.
    pub device_polls: u32,
    /// What the device-code flow ends with.
    pub device_outcome: DeviceOutcome,
    /// Drop the reply of the first N addPassword calls (the secret is still created).
    pub drop_add_password: u32,
    /// Hold every addPassword reply this long after the secret is created.
    pub add_password_delay: Duration,
    /// Create the secret, then answer every addPassword with this status and a Graph error body.
    pub add_password_status: Option<u16>,
    /// Lifetime of issued access tokens (the ready token included).
    pub token_lifetime: Duration,
    /// The `interval` the device-code endpoint advertises (Entra sends 5).
    pub device_interval_secs: u64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            port: 0,
            extra_apps: 0,
            latency: Duration::ZERO,
            throttle_every: None,
            throttle_retry_after: 1,
            fail_rate: 0.0,
            device_polls: 2,
            device_outcome: DeviceOutcome::Approve,
            drop_add_password: 0,
            add_password_delay: Duration::ZERO,
            add_password_status: None,
            token_lifetime: Duration::from_secs(3600),
            device_interval_secs: 5,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceOutcome {
    Approve,
    Decline,
    Expire,
    /// Answer `slow_down` once, then behave like Approve.
    SlowDownThenApprove,
}

/// Fault knobs that can change while the sandbox runs ([`SandboxControl::set_faults`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Faults {
    pub latency: Duration,
    pub throttle_every: Option<u32>,
    pub throttle_retry_after: u64,
    pub fail_rate: f64,
    /// Replies of the next N successful addPassword calls are lost.
    pub drop_add_password: u32,
    /// Every addPassword reply is held this long after the secret is created (a slow gateway).
    pub add_password_delay: Duration,
    /// Every addPassword creates the secret, then answers this status with a Graph-shaped
    /// error body (a gateway that lost Graph's answer).
    pub add_password_status: Option<u16>,
}

impl Faults {
    pub fn none() -> Self {
        Self {
            latency: Duration::ZERO,
            throttle_every: None,
            throttle_retry_after: 1,
            fail_rate: 0.0,
            drop_add_password: 0,
            add_password_delay: Duration::ZERO,
            add_password_status: None,
        }
    }

    fn from_config(c: &SandboxConfig) -> Self {
        Self {
            latency: c.latency,
            throttle_every: c.throttle_every,
            throttle_retry_after: c.throttle_retry_after,
            fail_rate: c.fail_rate,
            drop_add_password: c.drop_add_password,
            add_password_delay: c.add_password_delay,
            add_password_status: c.add_password_status,
        }
    }
}

/// What a request was, for [`SandboxControl::requests`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    ListApplications,
    GetApplication,
    CountApplications,
    CreateApplication,
    AddPassword,
    RemovePassword,
    FederatedCredentials,
    Me,
    OwnedObjects,
    Organization,
    /// `/{tenant}/oauth2/v2.0/token`, any grant.
    Token,
    DeviceCode,
    /// Anything else under `/v1.0/`.
    OtherGraph,
}

const ROUTES: usize = 13;
const _: () = assert!(Route::OtherGraph as usize + 1 == ROUTES);

impl Route {
    fn index(self) -> usize {
        self as usize
    }
}

/// A client secret as the sandbox holds it (metadata only; values are never kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxSecret {
    pub key_id: String,
    pub display_name: Option<String>,
    pub hint: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub custom_key_identifier: Option<String>,
}

pub(crate) struct Shared {
    tenant: RwLock<Tenant>,
    auth: Mutex<AuthState>,
    faults: Mutex<Faults>,
    /// Graph requests since the faults were last set (for "every Nth").
    graph_requests: AtomicU64,
    /// addPassword replies still to drop.
    drops_left: AtomicU32,
    counters: [AtomicU64; ROUTES],
    origin: String,
    pages: odata::PageTokens,
    device_polls: u32,
    device_outcome: DeviceOutcome,
    device_interval_secs: u64,
    token_lifetime: Duration,
    /// The seeded automation principal's published client id and secret.
    automation: (String, SecretString),
}

impl Shared {
    fn count(&self, route: Route) {
        self.counters[route.index()].fetch_add(1, Ordering::Relaxed);
    }

    fn tenant_read(&self) -> std::sync::RwLockReadGuard<'_, Tenant> {
        // A panic while holding the lock cannot leave the tenant half-written in a way that
        // matters for an emulator; keep serving.
        self.tenant.read().unwrap_or_else(|e| e.into_inner())
    }

    fn tenant_write(&self) -> std::sync::RwLockWriteGuard<'_, Tenant> {
        self.tenant.write().unwrap_or_else(|e| e.into_inner())
    }

    fn auth(&self) -> std::sync::MutexGuard<'_, AuthState> {
        self.auth.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// A running emulator. Dropping it stops the server.
pub struct RunningSandbox {
    /// Graph root, e.g. `http://127.0.0.1:PORT/` (the client appends `v1.0/`).
    pub graph_url: Url,
    /// Login root, e.g. `http://127.0.0.1:PORT/` (tokens at `{tenant}/oauth2/v2.0/token`).
    pub login_url: Url,
    /// A ready delegated access token for the sandbox user.
    pub access_token: SecretString,
    /// The sandbox tenant's id.
    pub tenant_id: String,
    control: SandboxControl,
    /// Dropping it ends the server task (graceful shutdown).
    _shutdown: oneshot::Sender<()>,
}

impl RunningSandbox {
    /// A cheap handle for tests: counters, token expiry, faults, the store.
    pub fn control(&self) -> SandboxControl {
        self.control.clone()
    }
}

/// Test and tooling handle on a running sandbox.
#[derive(Clone)]
pub struct SandboxControl {
    shared: Arc<Shared>,
}

impl SandboxControl {
    /// How many requests of this kind were received (faulted ones included).
    pub fn requests(&self, route: Route) -> u64 {
        self.shared.counters[route.index()].load(Ordering::Relaxed)
    }

    /// Every access token issued so far is expired from now on (refresh tokens stay valid).
    pub fn expire_tokens(&self) {
        self.shared.auth().expire_all();
    }

    /// Replace the fault knobs; the "every Nth" and "first N dropped" counts restart.
    pub fn set_faults(&self, faults: Faults) {
        let mut f = self.shared.faults.lock().unwrap_or_else(|e| e.into_inner());
        self.shared
            .drops_left
            .store(faults.drop_add_password, Ordering::SeqCst);
        self.shared.graph_requests.store(0, Ordering::SeqCst);
        *f = faults;
    }

    pub fn faults(&self) -> Faults {
        self.shared.faults()
    }

    /// The client secrets of an app (by Object ID or Application ID), newest first.
    pub fn password_credentials(&self, app: &str) -> Option<Vec<SandboxSecret>> {
        let t = self.shared.tenant_read();
        let idx = t.index_by_id(app).or_else(|| t.index_by_app_id(app))?;
        Some(
            t.apps[idx]
                .passwords
                .iter()
                .map(|p| SandboxSecret {
                    key_id: p.key_id.clone(),
                    display_name: p.display_name.clone(),
                    hint: p.hint.clone(),
                    start: p.start.at,
                    end: p.end.at,
                    custom_key_identifier: p.custom_key_identifier.clone(),
                })
                .collect(),
        )
    }

    /// An app-only token of the seeded automation principal (Application.ReadWrite.All,
    /// Organization.Read.All), as client credentials would issue it.
    pub fn issue_app_only_token(&self) -> SecretString {
        let t = self.shared.tenant_read();
        let (app_id, perms) = t
            .automation_app
            .map(|i| (t.apps[i].app_id.clone(), t.apps[i].granted))
            .unwrap_or_default();
        drop(t);
        self.shared
            .auth()
            .issue_app(&app_id, perms, self.shared.token_lifetime)
    }

    /// A fresh delegated token for the sandbox user.
    pub fn issue_user_token(&self) -> SecretString {
        self.shared
            .auth()
            .issue_user(token::user_perms(), self.shared.token_lifetime)
    }

    /// The seeded service principal's client id and secret (published in tenant.json).
    pub fn automation_credentials(&self) -> (String, SecretString) {
        self.shared.automation.clone()
    }

    /// Number of app registrations in the tenant.
    pub fn app_count(&self) -> usize {
        self.shared.tenant_read().apps.len()
    }

    pub fn tenant_id(&self) -> String {
        self.shared.tenant_read().info.id.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("could not start the sandbox on 127.0.0.1:{port}: {detail}")]
    Bind { port: u16, detail: String },
    #[error("the sandbox seed tenant is invalid: {0}")]
    Seed(String),
}

/// Start the emulator in this process (on the current tokio runtime).
pub async fn start(config: SandboxConfig) -> Result<RunningSandbox, SandboxError> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
        .await
        .map_err(|e| SandboxError::Bind {
            port: config.port,
            detail: e.to_string(),
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| SandboxError::Bind {
            port: config.port,
            detail: e.to_string(),
        })?
        .port();
    let origin = format!("http://127.0.0.1:{port}");
    let (tenant, automation) =
        seed::build(Utc::now(), config.extra_apps).map_err(SandboxError::Seed)?;
    let tenant_id = tenant.info.id.clone();

    let faults = Faults::from_config(&config);
    let shared = Arc::new(Shared {
        tenant: RwLock::new(tenant),
        auth: Mutex::new(AuthState::default()),
        drops_left: AtomicU32::new(faults.drop_add_password),
        faults: Mutex::new(faults),
        graph_requests: AtomicU64::new(0),
        counters: Default::default(),
        origin: origin.clone(),
        pages: odata::PageTokens::default(),
        device_polls: config.device_polls,
        device_outcome: config.device_outcome,
        device_interval_secs: config.device_interval_secs,
        token_lifetime: config.token_lifetime,
        automation: (automation.app_id, automation.client_secret),
    });
    let access_token = shared
        .auth()
        .issue_user(token::user_perms(), config.token_lifetime);

    let router = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(token::devicecode))
        .route("/devicelogin", get(token::devicelogin))
        .fallback(graph::entry)
        .layer(middleware::from_fn_with_state(shared.clone(), latency))
        .with_state(shared.clone());

    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "sandbox server stopped with an error");
        }
    });

    let root = Url::parse(&format!("{origin}/")).map_err(|e| SandboxError::Bind {
        port,
        detail: e.to_string(),
    })?;
    tracing::info!(%origin, "sandbox started");
    Ok(RunningSandbox {
        graph_url: root.clone(),
        login_url: root,
        access_token,
        tenant_id,
        control: SandboxControl { shared },
        _shutdown: tx,
    })
}

/// The `latency` fault applies to every request, sign-in included.
async fn latency(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let wait = shared.faults().latency;
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    next.run(req).await
}
