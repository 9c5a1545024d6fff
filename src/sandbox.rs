//! The emulated tenant: an axum server that follows graph-contract.md (Graph v1.0 routes and the
//! identity platform's token endpoints), with fault injection. Used by `--sandbox`,
//! `azsecrets sandbox serve`, and every test. Shares no code with the client beyond wire shapes.
//!
//! Layout: `model` (state), `seed` (the embedded tenant and generated apps), `odata` (query
//! options and page tokens), `json` (wire shapes), `reply` (Graph framing and errors), `graph`
//! (the v1.0 routes), `token` (sign-in endpoints and issued tokens, one audience each),
//! `delta` (`/applications/delta` and its sync states),
//! `keyvault` (the Key Vault data plane of the seeded vaults, under `/kv/{vault}/`), `arm` (Azure
//! Resource Manager's tenant, subscription and vault listings, under `/arm/`). The sandbox is
//! never looser than the services it emulates: where the contract documents a rule, the sandbox
//! enforces it (docs/contract.md lists what it enforces for Key Vault and ARM).

mod arm;
mod delta;
mod federated;
mod graph;
mod json;
mod keycreds;
mod keyvault;
mod model;
mod odata;
mod policy;
mod reply;
mod seed;
mod token;
mod wire;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use tokio::sync::oneshot;
use url::Url;

use model::{ErrorTexts, Tenant};
use token::{AuthState, TokenIdentity};

/// How the emulator behaves.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// A tenant file (`docs/tenant-file.md`) to serve instead of the built-in seed.
    pub tenant_file: Option<PathBuf>,
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
    /// A client secret created here is refused by the client-credentials grant (AADSTS7000215)
    /// for this long, as a new secret is while it replicates in Entra.
    pub propagation_delay: Duration,
    /// Key Vault refuses `set` on every seeded vault (403 in its permission model's shape).
    pub deny_vault_set: bool,
    /// Refresh grants for Key Vault or Resource Manager scopes are refused with AADSTS65001
    /// (the client has no consent for that resource).
    pub consent_missing: bool,
    /// Items per page of `/applications/delta` (Graph's directory delta pages hold about 100
    /// to 200; docs/contract.md §10).
    pub delta_page_size: usize,
    /// How long a delta sync state lasts (Graph: seven days for directory objects).
    pub delta_token_lifetime: Duration,
    /// Requests per minute allowed for `/applications` with keyCredentials in `$select`
    /// (Graph: 150 per tenant; 0 turns the limit off).
    pub key_credentials_per_minute: u32,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            port: 0,
            tenant_file: None,
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
            propagation_delay: Duration::ZERO,
            deny_vault_set: false,
            consent_missing: false,
            delta_page_size: 200,
            delta_token_lifetime: delta::DEFAULT_LIFETIME,
            key_credentials_per_minute: 150,
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
    /// `PATCH /applications/{id}` (the whole `keyCredentials` set).
    PatchApplication,
    Owners,
    /// The tenant default policy and an app's assigned policies.
    Policies,
    Me,
    OwnedObjects,
    Organization,
    /// `/{tenant}/oauth2/v2.0/token`, any grant.
    Token,
    DeviceCode,
    /// Anything else under `/v1.0/`.
    OtherGraph,
    /// Any request to a Key Vault (`/kv/{vault}/…`).
    KeyVault,
    /// Any request to Resource Manager (`/arm/…`).
    Arm,
    /// `GET /applications/delta`, any round or page.
    Delta,
    /// `DELETE /applications/{id}`.
    DeleteApplication,
}

const ROUTES: usize = 20;
const _: () = assert!(Route::DeleteApplication as usize + 1 == ROUTES);

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
    /// The sandbox's own tenant.
    tenant: RwLock<Tenant>,
    /// Further tenants the sandbox user is a guest in (index 1 on; tokens say which).
    guests: Vec<RwLock<Tenant>>,
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
    propagation_delay: Duration,
    /// When each client secret created here was created (seeded ones are not listed: they
    /// replicated long ago).
    secrets_created: Mutex<std::collections::HashMap<String, std::time::Instant>>,
    consent_missing: bool,
    deny_vault_set: std::sync::atomic::AtomicBool,
    vaults: Mutex<keyvault::Vaults>,
    arm: arm::Directory,
    /// Error texts the tenant file replaced (every request's `Ctx` shares them).
    errors: Arc<ErrorTexts>,
    /// Certificates "another writer" adds to an app right after its next read with keys (a
    /// test knob for the read-compare-PATCH guard), by lowercase Object ID.
    key_race: Mutex<Vec<(String, model::KeyCred)>>,
    /// Delta sync states (`/applications/delta`).
    delta: Mutex<delta::DeltaStates>,
    delta_page_size: usize,
    delta_lifetime: Duration,
    /// When the last minute's `$select=…keyCredentials…` listings were answered.
    key_credential_lists: Mutex<std::collections::VecDeque<std::time::Instant>>,
    key_credentials_per_minute: u32,
}

impl Shared {
    fn count(&self, route: Route) {
        self.counters[route.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Tenant `index` (0: the sandbox's own; an unknown index is the own one).
    fn tenant_lock(&self, index: usize) -> &RwLock<Tenant> {
        index
            .checked_sub(1)
            .and_then(|i| self.guests.get(i))
            .unwrap_or(&self.tenant)
    }

    /// The index of the tenant with this id or domain.
    fn tenant_index(&self, id_or_domain: &str) -> Option<usize> {
        std::iter::once(&self.tenant)
            .chain(&self.guests)
            .position(|t| {
                let t = t.read().unwrap_or_else(|e| e.into_inner());
                id_or_domain.eq_ignore_ascii_case(&t.info.id)
                    || id_or_domain.eq_ignore_ascii_case(&t.info.domain)
            })
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

    fn note_secret_created(&self, key_id: &str) {
        if self.propagation_delay.is_zero() {
            return;
        }
        self.secrets_created
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key_id.to_ascii_lowercase(), std::time::Instant::now());
    }

    /// Whether a secret created here is still inside the propagation delay.
    fn is_propagating(&self, key_id: &str) -> bool {
        self.secrets_created
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key_id.to_ascii_lowercase())
            .is_some_and(|at| at.elapsed() < self.propagation_delay)
    }

    fn vaults(&self) -> std::sync::MutexGuard<'_, keyvault::Vaults> {
        self.vaults.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take_key_race(&self, app_id: &str) -> Vec<model::KeyCred> {
        let mut race = self.key_race.lock().unwrap_or_else(|e| e.into_inner());
        let id = app_id.to_ascii_lowercase();
        let (take, keep): (Vec<_>, Vec<_>) = race.drain(..).partition(|(a, _)| *a == id);
        *race = keep;
        take.into_iter().map(|(_, k)| k).collect()
    }

    /// Count a listing with keyCredentials selected; `Some(seconds)` to wait instead when the
    /// tenant had its 150 this minute (contract §1).
    fn key_credentials_wait(&self) -> Option<u64> {
        let limit = self.key_credentials_per_minute;
        if limit == 0 {
            return None;
        }
        let now = std::time::Instant::now();
        let minute = Duration::from_secs(60);
        let mut window = self
            .key_credential_lists
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= minute)
        {
            window.pop_front();
        }
        if window.len() >= limit as usize {
            let oldest = window.front().copied().unwrap_or(now);
            let left = minute.saturating_sub(now.duration_since(oldest));
            return Some(left.as_secs().max(1));
        }
        window.push_back(now);
        None
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
    /// Where a vault name points: `http://127.0.0.1:PORT/kv/{name}/` (for
    /// `--vault-url-template`).
    pub vault_url_template: String,
    /// Resource Manager's root, e.g. `http://127.0.0.1:PORT/arm/` (for `--arm-url`).
    pub arm_url: Url,
    /// The seeded vaults' names.
    pub vault_names: Vec<String>,
    /// The tenant's display name, as its tenant file has it (not cleaned).
    pub tenant_name: String,
    /// The second tenant's id (the sandbox user is a guest there; `T` switches to it).
    pub second_tenant_id: String,
    /// The signed-in user as "Name <upn>", as the tenant file has it (not cleaned).
    pub user_label: String,
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

    /// The certificates of an app (by Object ID or Application ID), as stored.
    pub fn key_credentials(&self, app: &str) -> Option<Vec<SandboxCertificate>> {
        let t = self.shared.tenant_read();
        let idx = t.index_by_id(app).or_else(|| t.index_by_app_id(app))?;
        Some(
            t.apps[idx]
                .keys
                .iter()
                .map(|k| SandboxCertificate {
                    key_id: k.key_id.clone(),
                    display_name: k.display_name.clone(),
                    thumbprint: k.custom_key_identifier.clone(),
                    start: k.start.at,
                    end: k.end.at,
                    der: k.key.clone(),
                })
                .collect(),
        )
    }

    /// The federated credentials of an app: (id, name, issuer, subject, audiences).
    pub fn federated_credentials(&self, app: &str) -> Option<Vec<SandboxFederated>> {
        let t = self.shared.tenant_read();
        let idx = t.index_by_id(app).or_else(|| t.index_by_app_id(app))?;
        Some(
            t.apps[idx]
                .federated
                .iter()
                .map(|f| SandboxFederated {
                    id: f.id.clone(),
                    name: f.name.clone(),
                    issuer: f.issuer.clone(),
                    subject: f.subject.clone(),
                    description: f.description.clone(),
                    audiences: f.audiences.clone(),
                })
                .collect(),
        )
    }

    /// "Another writer" adds the certificate `der` to the app right after the next read of its
    /// certificates with keys (`$select`): the read-compare-PATCH guard must notice.
    pub fn add_certificate_after_next_read(&self, app_object_id: &str, der: Vec<u8>) -> bool {
        let Some(k) = keycreds::race_entry(der) else {
            return false;
        };
        self.shared
            .key_race
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((app_object_id.to_ascii_lowercase(), k));
        true
    }

    /// Add the certificate `der` to the app now (as another writer would).
    pub fn add_certificate_now(&self, app_object_id: &str, der: Vec<u8>) -> bool {
        let Some(k) = keycreds::race_entry(der) else {
            return false;
        };
        let mut t = self.shared.tenant_write();
        match t.index_by_id(app_object_id) {
            Some(i) => {
                t.apps[i].keys.push(k);
                true
            }
            None => false,
        }
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

    /// A refresh token for the sandbox user, as a device-code sign-in by `client_id` with
    /// Graph's scopes and `offline_access` leaves it (the in-process session starts from it, so
    /// tokens for Key Vault and ARM come from real refresh grants).
    pub fn issue_refresh_token(&self, client_id: &str) -> SecretString {
        self.shared.auth().issue_refresh(client_id)
    }

    /// A fresh delegated token for the sandbox user for Key Vault (`https://vault.azure.net`)
    /// or Resource Manager (`https://management.azure.com/`).
    pub fn issue_user_token_for(&self, resource: SandboxResource) -> SecretString {
        let audience = match resource {
            SandboxResource::KeyVault => token::Audience::Vault(token::VAULT_RESOURCE.to_owned()),
            SandboxResource::Arm => {
                token::Audience::Arm("https://management.azure.com/".to_owned())
            }
        };
        self.shared.auth().issue_for(
            token::Caller::User,
            model::Perms::default(),
            audience,
            None,
            self.shared.token_lifetime,
        )
    }

    /// Key Vault refuses (or allows again) `set` on every seeded vault.
    pub fn set_deny_vault_set(&self, deny: bool) {
        self.shared.deny_vault_set.store(deny, Ordering::SeqCst);
    }

    /// A vault secret's versions as the vault holds them, newest first (metadata only).
    pub fn vault_secret_versions(
        &self,
        vault: &str,
        name: &str,
    ) -> Option<Vec<VaultSecretVersion>> {
        self.shared.vaults().versions(vault, name)
    }

    /// An app-only token of any app in the tenant, with the permissions granted to it.
    pub fn issue_app_token(&self, app_id: &str) -> Option<SecretString> {
        let t = self.shared.tenant_read();
        let idx = t.index_by_app_id(app_id)?;
        let perms = t.apps[idx].granted;
        let app_id = t.apps[idx].app_id.clone();
        drop(t);
        Some(
            self.shared
                .auth()
                .issue_app(&app_id, perms, self.shared.token_lifetime),
        )
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

    /// Number of app registrations in the tenant (deleted ones not counted).
    pub fn app_count(&self) -> usize {
        self.shared.tenant_read().live().count()
    }

    /// Register an app as `POST /applications` would (owned by the user, no credentials); its
    /// Object ID. For tests that change the tenant while a client lists it.
    pub fn add_app(&self, display_name: &str) -> String {
        let mut t = self.shared.tenant_write();
        let id = uuid::Uuid::new_v4().to_string();
        let idx = t.push_app(model::App {
            name_lower: display_name.to_lowercase(),
            display_name: display_name.to_owned(),
            id: id.clone(),
            app_id: uuid::Uuid::new_v4().to_string(),
            created: model::GraphTime::now7(),
            audience: model::Audience::MyOrg,
            description: None,
            notes: None,
            tags: Vec::new(),
            identifier_uris: Vec::new(),
            web_redirect_uris: Vec::new(),
            home_page_url: None,
            public_client_redirect_uris: Vec::new(),
            is_fallback_public_client: None,
            service_management_reference: None,
            passwords: Vec::new(),
            keys: Vec::new(),
            federated: Vec::new(),
            owned_by_user: true,
            owners: Vec::new(),
            write_protected: false,
            policy: None,
            granted: model::Perms::default(),
            wire: None,
        });
        t.record(idx, model::Change::Created);
        id
    }

    /// Delete an app (by Object ID or Application ID) as `DELETE /applications/{id}` would.
    pub fn delete_app(&self, app: &str) -> bool {
        let mut t = self.shared.tenant_write();
        match t.index_by_id(app).or_else(|| t.index_by_app_id(app)) {
            Some(idx) => t.delete_app(idx),
            None => false,
        }
    }

    /// Rename an app (by Object ID or Application ID): delta reports `displayName` changed.
    pub fn rename_app(&self, app: &str, display_name: &str) -> bool {
        let mut t = self.shared.tenant_write();
        let Some(idx) = t.index_by_id(app).or_else(|| t.index_by_app_id(app)) else {
            return false;
        };
        t.apps[idx].display_name = display_name.to_owned();
        t.apps[idx].name_lower = display_name.to_lowercase();
        t.record(idx, model::Change::Updated(json::prop_bit("displayName")));
        true
    }

    /// Every delta sync state issued so far ends as `how` (expired, or reset) when next used.
    pub fn fail_delta_tokens(&self, how: DeltaFailure) {
        self.shared
            .delta
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .fail_all(how);
    }

    pub fn tenant_id(&self) -> String {
        self.shared.tenant_read().info.id.clone()
    }
}

/// A certificate as the sandbox holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxCertificate {
    pub key_id: String,
    pub display_name: Option<String>,
    pub thumbprint: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub der: Option<Vec<u8>>,
}

/// A federated identity credential as the sandbox holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxFederated {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub description: Option<String>,
    pub audiences: Vec<String>,
}

/// A resource other than Graph, for [`SandboxControl::issue_user_token_for`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxResource {
    KeyVault,
    Arm,
}

pub use delta::DeltaFailure;
pub use keyvault::VaultSecretVersion;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("could not start the sandbox on 127.0.0.1:{port}: {detail}")]
    Bind { port: u16, detail: String },
    #[error("the sandbox seed tenant is invalid: {0}")]
    Seed(String),
    #[error("the tenant file {} cannot be used: {detail}", .path.display())]
    TenantFile { path: PathBuf, detail: String },
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
    let (tenant, automation) = match &config.tenant_file {
        None => seed::build(Utc::now(), config.extra_apps).map_err(SandboxError::Seed)?,
        Some(path) => {
            let failed = |detail: String| SandboxError::TenantFile {
                path: path.clone(),
                detail,
            };
            let text = std::fs::read_to_string(path).map_err(|e| failed(e.to_string()))?;
            seed::build_from(&text, Utc::now(), config.extra_apps).map_err(failed)?
        }
    };
    let tenant_id = tenant.info.id.clone();
    let (second, _) = seed::build_from(seed::SECOND, Utc::now(), 0).map_err(SandboxError::Seed)?;
    let second_tenant_id = second.info.id.clone();
    let vault_url_template = format!("{origin}/kv/{{name}}/");
    let directory =
        arm::Directory::seed(&tenant_id, &tenant.info.display_name, &tenant.info.domain)
            .with_tenant(
                &second.info.id,
                &second.info.display_name,
                &second.info.domain,
            );
    let vaults = keyvault::Vaults::seed(&tenant, &directory, &origin);
    let vault_names = vaults.names();
    let tenant_name = tenant.info.display_name.clone();
    let user_label = format!(
        "{} <{}>",
        tenant.user.display_name, tenant.user.user_principal_name
    );
    let identity = TokenIdentity {
        tenant_id: tenant_id.clone(),
        user_id: tenant.user.id.clone(),
        user_principal_name: tenant.user.user_principal_name.clone(),
        user_name: tenant.user.display_name.clone(),
    };
    let errors = Arc::new(tenant.errors.clone());

    let faults = Faults::from_config(&config);
    let shared = Arc::new(Shared {
        tenant: RwLock::new(tenant),
        guests: vec![RwLock::new(second)],
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
        propagation_delay: config.propagation_delay,
        secrets_created: Mutex::new(std::collections::HashMap::new()),
        consent_missing: config.consent_missing,
        deny_vault_set: std::sync::atomic::AtomicBool::new(config.deny_vault_set),
        vaults: Mutex::new(vaults),
        arm: directory,
        errors,
        key_race: Mutex::new(Vec::new()),
        delta: Mutex::new(delta::DeltaStates::default()),
        delta_page_size: config.delta_page_size,
        delta_lifetime: config.delta_token_lifetime,
        key_credential_lists: Mutex::new(std::collections::VecDeque::new()),
        key_credentials_per_minute: config.key_credentials_per_minute,
    });
    shared.auth().set_identity(identity);
    shared
        .auth()
        .set_more_tenants(vec![second_tenant_id.clone()]);
    let access_token = shared
        .auth()
        .issue_user(token::user_perms(), config.token_lifetime);

    let router = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(token::devicecode))
        .route("/devicelogin", get(token::devicelogin))
        .route("/kv/{vault}", any(keyvault::entry))
        .route("/kv/{vault}/{*rest}", any(keyvault::entry))
        .route("/arm/{*rest}", any(arm::entry))
        .fallback(graph::entry)
        .layer(middleware::from_fn_with_state(shared.clone(), latency))
        .with_state(shared.clone());

    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(wire::QuoteListener(listener), router)
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
    let arm_url = Url::parse(&format!("{origin}/arm/")).map_err(|e| SandboxError::Bind {
        port,
        detail: e.to_string(),
    })?;
    tracing::info!(%origin, "sandbox started");
    Ok(RunningSandbox {
        graph_url: root.clone(),
        login_url: root,
        access_token,
        tenant_id,
        vault_url_template,
        arm_url,
        vault_names,
        tenant_name,
        second_tenant_id,
        user_label,
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
