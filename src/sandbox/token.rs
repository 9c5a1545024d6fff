//! The identity platform side (contract §11): `/{tenant}/oauth2/v2.0/devicecode` and
//! `/{tenant}/oauth2/v2.0/token` (device code, client credentials, refresh token with rotation),
//! OAuth error bodies with AADSTS codes, and the store of issued tokens that the Graph, Key Vault
//! and Resource Manager routes check. Every token has one audience, named by the scope it was
//! asked for (`https://graph.microsoft.com/…`, `https://vault.azure.net/…`,
//! `https://management.azure.com/…`): each resource refuses the others' tokens with its own
//! error shape. A client secret created here is refused with AADSTS7000215 until the configured
//! propagation delay has passed, as Entra does while a new secret replicates. Tokens are shaped
//! like the platform's (a JWT: header, claims, and a random part the sandbox alone knows, never
//! verified by clients, which only read the claims); the store of issued tokens is what the
//! routes trust. Nothing here is logged.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};

use super::model::{Perms, login_timestamp};
use super::{Route, Shared};

/// Who a token speaks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// The sandbox user (delegated).
    User,
    /// A service principal (app-only), by its app's Application ID.
    App { app_id: String },
}

/// What a token may be presented to (its `aud`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    Graph,
    /// Key Vault, with `aud` as the scope named it: `https://vault.azure.net`, or with a
    /// trailing slash (`https://vault.azure.net//.default`), which the vault refuses (AKV10022).
    Vault(String),
    /// Resource Manager, with `aud` as the scope named it.
    Arm(String),
}

impl Audience {
    pub fn aud(&self) -> &str {
        match self {
            Audience::Graph => "https://graph.microsoft.com",
            Audience::Vault(a) | Audience::Arm(a) => a,
        }
    }
}

/// Key Vault's resource identifier and first-party app id.
pub const VAULT_RESOURCE: &str = "https://vault.azure.net";
const VAULT_APP_ID: &str = "cfa8b339-82a2-471a-a3c9-0fc0be7a4093";
/// Resource Manager's identifiers and first-party app id (ARM accepts both families).
const ARM_RESOURCES: [&str; 3] = [
    "https://management.azure.com",
    "https://management.core.windows.net",
    "797f4846-ba00-4fd7-ba43-dac1f8f63013",
];

#[derive(Clone, Debug)]
pub struct Grant {
    /// The tenant the token is for (0: the sandbox's own; 1: its second tenant).
    pub tenant: usize,
    pub caller: Caller,
    pub perms: Perms,
    pub audience: Audience,
    /// The client the token was issued to, when known (`appid` in Key Vault's messages).
    pub client_id: Option<String>,
    expires: Instant,
}

pub enum TokenCheck {
    Valid(Grant),
    Expired,
    Unknown,
}

struct RefreshGrant {
    client_id: String,
    /// What the sign-in asked for: a refresh without `scope` gets these again.
    scopes: Scopes,
}

struct DeviceFlow {
    client_id: String,
    scopes: Scopes,
    polls: u32,
    slowed: bool,
    expires: Instant,
}

/// Issued access tokens, refresh tokens and pending device flows.
#[derive(Default)]
pub struct AuthState {
    access: HashMap<String, Grant>,
    refresh: HashMap<String, RefreshGrant>,
    devices: HashMap<String, DeviceFlow>,
    /// Who tokens speak for, written into their claims.
    identity: TokenIdentity,
    /// The ids of the sandbox's further tenants (index 1 on), for the claims of their tokens.
    more_tenants: Vec<String>,
}

/// The tenant and user that issued tokens name in their claims (`tid`, `oid`, `upn`, `name`).
#[derive(Clone, Debug, Default)]
pub struct TokenIdentity {
    pub tenant_id: String,
    pub user_id: String,
    pub user_principal_name: String,
    pub user_name: String,
}

/// The claims part of an access token, as the identity platform writes them (v1 names).
fn claims(
    identity: &TokenIdentity,
    tenant_id: &str,
    caller: &Caller,
    perms: Perms,
    lifetime: Duration,
) -> String {
    let now = Utc::now().timestamp();
    let exp = now + i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2);
    let names = perm_names(perms);
    let mut c = serde_json::json!({
        "aud": "https://graph.microsoft.com",
        "iss": format!("https://sts.windows.net/{tenant_id}/"),
        "iat": now,
        "nbf": now,
        "exp": exp,
        "tid": tenant_id,
        "ver": "1.0",
    });
    match caller {
        Caller::User => {
            c["oid"] = identity.user_id.clone().into();
            c["upn"] = identity.user_principal_name.clone().into();
            c["name"] = identity.user_name.clone().into();
            c["appid"] = "14d82eec-204b-4c2f-b7e8-296a70dab67e".into();
            c["scp"] = names.join(" ").into();
            c["idtyp"] = "user".into();
        }
        Caller::App { app_id } => {
            c["appid"] = app_id.clone().into();
            c["roles"] = names.into();
            c["idtyp"] = "app".into();
        }
    }
    c.to_string()
}

/// Graph permission names for `perms` (delegated scopes and application roles share them).
fn perm_names(perms: Perms) -> Vec<&'static str> {
    let mut v = Vec::new();
    if perms.has(Perms::WRITE_APPS) {
        v.push("Application.ReadWrite.All");
    } else if perms.has(Perms::READ_APPS) {
        v.push("Application.Read.All");
    }
    if perms.has(Perms::READ_ORG) {
        v.push("Organization.Read.All");
    }
    if perms.has(Perms::USER_READ) {
        v.push("User.Read");
    }
    v
}

/// What the sandbox user has consented to: Application.ReadWrite.All and User.Read.
pub fn user_perms() -> Perms {
    Perms::READ_APPS
        .union(Perms::WRITE_APPS)
        .union(Perms::USER_READ)
}

fn random_token(bytes: usize) -> String {
    let raw: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

impl AuthState {
    fn issue(&mut self, caller: Caller, perms: Perms, lifetime: Duration) -> SecretString {
        self.issue_for(caller, perms, Audience::Graph, None, lifetime)
    }

    /// A token for `audience`, in the sandbox's own tenant.
    pub fn issue_for(
        &mut self,
        caller: Caller,
        perms: Perms,
        audience: Audience,
        client_id: Option<&str>,
        lifetime: Duration,
    ) -> SecretString {
        self.issue_in(0, caller, perms, audience, client_id, lifetime)
    }

    /// A token for `audience` in tenant `tenant` (an index: 0 is the sandbox's own).
    pub fn issue_in(
        &mut self,
        tenant: usize,
        caller: Caller,
        perms: Perms,
        audience: Audience,
        client_id: Option<&str>,
        lifetime: Duration,
    ) -> SecretString {
        // Forget tokens that expired long ago; recent ones still answer "expired".
        if self.access.len() > 10_000 {
            let horizon = Instant::now() - Duration::from_secs(3600);
            self.access.retain(|_, g| g.expires > horizon);
        }
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let token = format!(
            "{}.{}.{}",
            b64(br#"{"typ":"JWT","alg":"RS256","kid":"azsecrets-sandbox"}"#),
            b64(claims(
                &self.identity,
                self.tenant_id(tenant),
                &caller,
                perms,
                lifetime
            )
            .as_bytes()),
            random_token(48)
        );
        self.access.insert(
            token.clone(),
            Grant {
                tenant,
                caller,
                perms,
                audience,
                client_id: client_id.map(str::to_owned),
                expires: Instant::now() + lifetime,
            },
        );
        SecretString::from(token)
    }

    /// Who the tokens issued from now on name.
    pub fn set_identity(&mut self, identity: TokenIdentity) {
        self.identity = identity;
    }

    /// The sandbox's further tenants (their tokens name these ids).
    pub fn set_more_tenants(&mut self, ids: Vec<String>) {
        self.more_tenants = ids;
    }

    fn tenant_id(&self, tenant: usize) -> &str {
        match tenant.checked_sub(1) {
            None => &self.identity.tenant_id,
            Some(i) => self
                .more_tenants
                .get(i)
                .map_or(&self.identity.tenant_id, String::as_str),
        }
    }

    pub fn issue_user(&mut self, perms: Perms, lifetime: Duration) -> SecretString {
        self.issue(Caller::User, perms, lifetime)
    }

    pub fn issue_app(&mut self, app_id: &str, perms: Perms, lifetime: Duration) -> SecretString {
        self.issue(
            Caller::App {
                app_id: app_id.to_owned(),
            },
            perms,
            lifetime,
        )
    }

    /// A token presented to Graph: one for another audience is as unknown to Graph as a forged
    /// one (Graph answers both "Invalid audience").
    pub fn check(&self, token: &str) -> TokenCheck {
        match self.check_any(token) {
            TokenCheck::Valid(g) if g.audience != Audience::Graph => TokenCheck::Unknown,
            TokenCheck::Expired => match self.access.get(token) {
                Some(g) if g.audience != Audience::Graph => TokenCheck::Unknown,
                _ => TokenCheck::Expired,
            },
            other => other,
        }
    }

    /// A token of any audience: the caller checks the audience and words its own refusal.
    pub fn check_any(&self, token: &str) -> TokenCheck {
        match self.access.get(token) {
            None => TokenCheck::Unknown,
            Some(g) if g.expires <= Instant::now() => TokenCheck::Expired,
            Some(g) => TokenCheck::Valid(g.clone()),
        }
    }

    /// A refresh token for the sandbox user and `client_id`, as a device-code sign-in with
    /// Graph's scopes and `offline_access` would leave (the in-process session starts from it).
    pub fn issue_refresh(&mut self, client_id: &str) -> SecretString {
        let rt = random_token(96);
        self.refresh.insert(
            rt.clone(),
            RefreshGrant {
                client_id: client_id.to_owned(),
                scopes: Scopes {
                    perms: user_perms(),
                    names: vec!["Application.ReadWrite.All".into(), "User.Read".into()],
                    offline: true,
                    audience: Audience::Graph,
                },
            },
        );
        SecretString::from(rt)
    }

    pub fn expire_all(&mut self) {
        let past = Instant::now()
            .checked_sub(Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        for g in self.access.values_mut() {
            g.expires = past;
        }
    }
}

/// The delegated scopes of a request, as granted.
#[derive(Clone, Debug)]
struct Scopes {
    perms: Perms,
    /// Short Graph permission names plus OIDC scopes, for the `scope` reply field.
    names: Vec<String>,
    offline: bool,
    /// One resource per request (AADSTS28000 otherwise).
    audience: Audience,
}

/// An OAuth error (contract §11e).
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    code: Option<u32>,
    description: String,
}

impl OAuthError {
    fn new(error: &'static str, code: u32, description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            code: Some(code),
            description: description.into(),
        }
    }

    fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    fn missing(param: &str) -> Self {
        Self::new(
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{param}'."),
        )
    }

    fn into_response(self, origin: &str) -> Response {
        let trace = uuid::Uuid::new_v4().to_string();
        let correlation = uuid::Uuid::new_v4().to_string();
        let timestamp = login_timestamp();
        let prefix = self
            .code
            .map(|c| format!("AADSTS{c}: "))
            .unwrap_or_default();
        let mut body = serde_json::json!({
            "error": self.error,
            "error_description": format!(
                "{prefix}{}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}",
                self.description
            ),
            "error_codes": self.code.map(|c| vec![c]).unwrap_or_default(),
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
        });
        if let Some(c) = self.code {
            body["error_uri"] = serde_json::Value::String(format!("{origin}/error?code={c}"));
        }
        let mut r = (self.status, body.to_string()).into_response();
        oauth_headers(&mut r);
        r
    }
}

fn oauth_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

fn ok_json(body: serde_json::Value) -> Response {
    let mut r = (StatusCode::OK, body.to_string()).into_response();
    oauth_headers(&mut r);
    r
}

fn form(body: &[u8]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

fn nonempty<'a>(f: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    f.get(key)
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
}

#[derive(PartialEq, Eq)]
enum Authority {
    /// One of the sandbox's tenants, by index (0: its own).
    Tenant(usize),
    Common,
    Organizations,
}

impl Authority {
    /// The tenant tokens are issued in (`common` and `organizations` sign in at home).
    fn tenant(&self) -> usize {
        match self {
            Authority::Tenant(i) => *i,
            _ => 0,
        }
    }
}

fn authority(shared: &Shared, tenant: &str) -> Result<Authority, OAuthError> {
    if let Some(i) = shared.tenant_index(tenant) {
        Ok(Authority::Tenant(i))
    } else if tenant.eq_ignore_ascii_case("common") {
        Ok(Authority::Common)
    } else if tenant.eq_ignore_ascii_case("organizations") {
        Ok(Authority::Organizations)
    } else {
        Err(OAuthError::new(
            "invalid_request",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        ))
    }
}

/// The Graph permission named by a scope, or `None` for another resource. Accepts the bare
/// name, `https://graph.microsoft.com/…` (also with the double slash Azure CLI produces), the
/// Graph appId, and the sandbox's own origin (what the client derives from `--graph-url`).
fn graph_permission<'a>(origin: &str, scope: &'a str) -> Option<&'a str> {
    if !scope.contains('/') {
        return Some(scope);
    }
    let lower = scope.to_ascii_lowercase();
    let origin = origin.to_ascii_lowercase();
    for resource in [
        "https://graph.microsoft.com",
        "00000003-0000-0000-c000-000000000000",
        origin.as_str(),
    ] {
        if let Some(rest) = lower.strip_prefix(resource) {
            let trimmed = rest.trim_start_matches('/');
            if rest.starts_with('/') && !trimmed.contains('/') {
                return Some(&scope[scope.len() - trimmed.len()..]);
            }
        }
    }
    None
}

/// The audience and permission a scope names, for Key Vault and Resource Manager: `{resource}/.default`,
/// `{resource}/user_impersonation`, and the double slash Azure CLI produces (`…//.default`, whose
/// token audience keeps the trailing slash).
fn other_resource(scope: &str) -> Option<(Audience, &str)> {
    let lower = scope.to_ascii_lowercase();
    let split = |resource: &str| -> Option<(bool, &str)> {
        let rest = lower.strip_prefix(&resource.to_ascii_lowercase())?;
        let slash = rest.starts_with("//");
        let perm = rest.strip_prefix('/')?.trim_start_matches('/');
        (!perm.contains('/') && !perm.is_empty())
            .then(|| (slash, &scope[scope.len() - perm.len()..]))
    };
    for resource in [VAULT_RESOURCE, VAULT_APP_ID] {
        if let Some((slash, perm)) = split(resource) {
            let aud = if slash {
                format!("{VAULT_RESOURCE}/")
            } else {
                VAULT_RESOURCE.to_owned()
            };
            return Some((Audience::Vault(aud), perm));
        }
    }
    for resource in ARM_RESOURCES {
        if let Some((_, perm)) = split(resource) {
            // ARM tokens carry the identifier that was asked for, with its slash.
            let base = if resource.starts_with("https://") {
                format!("{resource}/")
            } else {
                resource.to_owned()
            };
            return Some((Audience::Arm(base), perm));
        }
    }
    None
}

fn resource_of(scope: &str) -> &str {
    scope.rsplit_once('/').map(|(r, _)| r).unwrap_or(scope)
}

fn invalid_resource(shared: &Shared, scope: &str) -> OAuthError {
    let name = shared.tenant_read().info.display_name.clone();
    OAuthError::new(
        "invalid_resource",
        500011,
        format!(
            "The resource principal named {} was not found in the tenant named {name}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.",
            resource_of(scope)
        ),
    )
}

/// Parse delegated scopes (device code): Graph permissions, `.default`, OIDC scopes.
fn delegated_scopes(shared: &Shared, scope: &str) -> Result<Scopes, OAuthError> {
    let mut perms = Perms::default();
    let mut names: Vec<String> = Vec::new();
    let mut offline = false;
    let mut audience: Option<Audience> = None;
    let push = |n: &str, names: &mut Vec<String>| {
        if !names.iter().any(|x| x.eq_ignore_ascii_case(n)) {
            names.push(n.to_owned());
        }
    };
    let more_than_one = |s: &str| {
        OAuthError::new(
            "invalid_scope",
            28000,
            format!(
                "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope {s} is not valid."
            ),
        )
    };
    for s in scope.split_whitespace() {
        match s.to_ascii_lowercase().as_str() {
            "offline_access" => {
                offline = true;
                continue;
            }
            "openid" | "profile" | "email" => {
                push(s, &mut names);
                continue;
            }
            _ => {}
        }
        if graph_permission(&shared.origin, s).is_none()
            && let Some((aud, perm)) = other_resource(s)
        {
            if !perm.eq_ignore_ascii_case(".default")
                && !perm.eq_ignore_ascii_case("user_impersonation")
            {
                return Err(OAuthError::new(
                    "invalid_scope",
                    70011,
                    format!(
                        "The provided value for the input parameter 'scope' is not valid. The scope {s} is not valid."
                    ),
                ));
            }
            if audience.as_ref().is_some_and(|a| *a != aud) {
                return Err(more_than_one(s));
            }
            audience = Some(aud);
            push(s, &mut names);
            continue;
        }
        let perm =
            graph_permission(&shared.origin, s).ok_or_else(|| invalid_resource(shared, s))?;
        if audience.as_ref().is_some_and(|a| *a != Audience::Graph) {
            return Err(more_than_one(s));
        }
        audience = Some(Audience::Graph);
        if perm == ".default" {
            perms = perms.union(user_perms());
            push("Application.ReadWrite.All", &mut names);
            push("User.Read", &mut names);
            continue;
        }
        let p = Perms::from_name(perm);
        if p == Perms::default() {
            return Err(OAuthError::new(
                "invalid_scope",
                70011,
                format!(
                    "The provided value for the input parameter 'scope' is not valid. The scope {s} is not valid."
                ),
            ));
        }
        perms = perms.union(p);
        push(perm, &mut names);
    }
    if perms == Perms::default() && names.is_empty() && !offline {
        return Err(OAuthError::missing("scope"));
    }
    let audience = audience.unwrap_or(Audience::Graph);
    if audience != Audience::Graph {
        // Delegated tokens for Key Vault and ARM carry no Graph permissions.
        perms = Perms::default();
    }
    Ok(Scopes {
        perms,
        names,
        offline,
        audience,
    })
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`.
pub async fn devicecode(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    shared.count(Route::DeviceCode);
    let r = match start_device_flow(&shared, &tenant, &body) {
        Ok(r) => r,
        Err(e) => e.into_response(&shared.origin),
    };
    tracing::debug!(status = r.status().as_u16(), "sandbox devicecode");
    r
}

fn start_device_flow(shared: &Shared, tenant: &str, body: &[u8]) -> Result<Response, OAuthError> {
    authority(shared, tenant)?;
    let f = form(body);
    let client_id = nonempty(&f, "client_id").ok_or_else(|| OAuthError::missing("client_id"))?;
    let scope = nonempty(&f, "scope").ok_or_else(|| OAuthError::missing("scope"))?;
    let scopes = delegated_scopes(shared, scope)?;
    const CODE: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let user_code: String = (0..9)
        .map(|_| CODE[rand::random_range(0..CODE.len())] as char)
        .collect();
    let device_code = random_token(72);
    let expires_in: u64 = 900;
    shared.auth().devices.insert(
        device_code.clone(),
        DeviceFlow {
            client_id: client_id.to_owned(),
            scopes,
            polls: 0,
            slowed: false,
            expires: Instant::now() + Duration::from_secs(expires_in),
        },
    );
    let uri = format!("{}/devicelogin", shared.origin);
    Ok(ok_json(serde_json::json!({
        "user_code": user_code,
        "device_code": device_code,
        "verification_uri": uri,
        "expires_in": expires_in,
        "interval": shared.device_interval_secs,
        "message": format!(
            "To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate."
        ),
    })))
}

/// The sandbox's stand-in for microsoft.com/devicelogin.
pub async fn devicelogin(State(shared): State<Arc<Shared>>) -> String {
    format!(
        "azsecrets sandbox: device codes are approved automatically after {} polls; nothing to do here.\n",
        shared.device_polls
    )
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub async fn token(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.count(Route::Token);
    let r = match grant(&shared, &tenant, &headers, &body) {
        Ok(r) => r,
        Err(e) => e.into_response(&shared.origin),
    };
    // The status only: bodies carry codes, secrets and tokens.
    tracing::debug!(status = r.status().as_u16(), "sandbox token");
    r
}

fn grant(
    shared: &Shared,
    tenant: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let authority = authority(shared, tenant)?;
    let in_tenant = authority.tenant();
    let f = form(body);
    let grant_type = nonempty(&f, "grant_type").ok_or_else(|| OAuthError::missing("grant_type"))?;
    match grant_type {
        "client_credentials" => client_credentials(shared, authority, headers, &f),
        "urn:ietf:params:oauth:grant-type:device_code" => device_code(shared, in_tenant, &f),
        "refresh_token" => refresh(shared, in_tenant, &f),
        _ => Err(OAuthError::new(
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        )),
    }
}

fn user_success(shared: &Shared, tenant: usize, client_id: &str, scopes: Scopes) -> Response {
    user_tokens(shared, tenant, client_id, scopes, None)
}

/// Tokens for the sandbox user: an access token for `scopes`, and a refresh token when the
/// sign-in asked for `offline_access` (`sign_in`: the scopes the refresh token was first issued
/// for, which it keeps; `None` when this is the sign-in).
fn user_tokens(
    shared: &Shared,
    tenant: usize,
    client_id: &str,
    scopes: Scopes,
    sign_in: Option<Scopes>,
) -> Response {
    let lifetime = shared.token_lifetime;
    let mut auth = shared.auth();
    let access = auth.issue_in(
        tenant,
        Caller::User,
        scopes.perms,
        scopes.audience.clone(),
        Some(client_id),
        lifetime,
    );
    let mut body = serde_json::json!({
        "token_type": "Bearer",
        "scope": scopes.names.join(" "),
        "expires_in": lifetime.as_secs(),
        "ext_expires_in": lifetime.as_secs(),
        "access_token": access.expose_secret(),
    });
    // A refresh token only when offline_access was asked for (contract §11a).
    let kept = sign_in.unwrap_or(scopes);
    if kept.offline {
        let rt = random_token(96);
        body["refresh_token"] = serde_json::Value::String(rt.clone());
        auth.refresh.insert(
            rt,
            RefreshGrant {
                client_id: client_id.to_owned(),
                scopes: kept,
            },
        );
    }
    ok_json(body)
}

fn device_code(
    shared: &Shared,
    tenant: usize,
    f: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    let client_id = nonempty(f, "client_id").ok_or_else(|| OAuthError::missing("client_id"))?;
    let code = nonempty(f, "device_code").ok_or_else(|| OAuthError::missing("device_code"))?;
    let bad_code = || {
        OAuthError::new(
            "bad_verification_code",
            70018,
            "Invalid verification code entered.",
        )
    };
    let expired = || OAuthError::new("expired_token", 70019, "Verification code expired.");
    let mut auth = shared.auth();
    let flow = auth.devices.get_mut(code).ok_or_else(bad_code)?;
    if flow.client_id != client_id {
        return Err(bad_code());
    }
    if flow.expires <= Instant::now() {
        return Err(expired());
    }
    flow.polls += 1;
    if flow.polls <= shared.device_polls {
        return Err(OAuthError::new(
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        ));
    }
    match shared.device_outcome {
        super::DeviceOutcome::Decline => Err(OAuthError::new(
            "authorization_declined",
            70000,
            "The user declined to authorize the request.",
        )),
        super::DeviceOutcome::Expire => Err(expired()),
        super::DeviceOutcome::SlowDownThenApprove if !flow.slowed => {
            flow.slowed = true;
            // RFC 8628 `slow_down`: Entra documents no AADSTS code for it.
            Err(OAuthError {
                status: StatusCode::BAD_REQUEST,
                error: "slow_down",
                code: None,
                description:
                    "The client is polling too quickly. Increase the polling interval by 5 seconds."
                        .into(),
            })
        }
        _ => {
            let scopes = flow.scopes.clone();
            // A device code is redeemed once.
            auth.devices.remove(code);
            drop(auth);
            Ok(user_success(shared, tenant, client_id, scopes))
        }
    }
}

fn refresh(
    shared: &Shared,
    tenant: usize,
    f: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    let client_id = nonempty(f, "client_id").ok_or_else(|| OAuthError::missing("client_id"))?;
    let rt = nonempty(f, "refresh_token").ok_or_else(|| OAuthError::missing("refresh_token"))?;
    let invalid = || {
        OAuthError::new(
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed.",
        )
    };
    // A refresh may ask for another resource's scopes (Entra's refresh tokens serve every
    // resource the client may reach); without `scope` it gets the sign-in's scopes again.
    let asked = match nonempty(f, "scope") {
        Some(scope) => Some(delegated_scopes(shared, scope)?),
        None => None,
    };
    let mut auth = shared.auth();
    match auth.refresh.get(rt) {
        Some(g) if g.client_id == client_id => {}
        _ => return Err(invalid()),
    }
    if let Some(s) = &asked
        && s.audience != Audience::Graph
        && shared.consent_missing
    {
        let name = shared.tenant_read().info.display_name.clone();
        return Err(OAuthError::new(
            "invalid_grant",
            65001,
            format!(
                "The user or administrator has not consented to use the application with ID '{client_id}' named '{name}'. Send an interactive authorization request for this user and resource."
            ),
        ));
    }
    // Rotation: the old refresh token is spent.
    let old = auth.refresh.remove(rt).ok_or_else(invalid)?;
    drop(auth);
    let scopes = asked.unwrap_or_else(|| old.scopes.clone());
    // The rotated refresh token keeps the sign-in's scopes, for a later refresh without `scope`.
    Ok(user_tokens(
        shared,
        tenant,
        client_id,
        scopes,
        Some(old.scopes),
    ))
}

fn client_credentials(
    shared: &Shared,
    authority: Authority,
    headers: &HeaderMap,
    f: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    if authority == Authority::Common {
        return Err(OAuthError::new(
            "invalid_request",
            9001023,
            "The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.",
        ));
    }
    // Client authentication in the body or with HTTP Basic.
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            let (id, secret) = s.split_once(':')?;
            let dec = |x: &str| {
                url::form_urlencoded::parse(format!("x={x}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((dec(id)?, SecretString::from(dec(secret)?)))
        });
    let client_id = nonempty(f, "client_id")
        .map(str::to_owned)
        .or_else(|| basic.as_ref().map(|(id, _)| id.clone()))
        .ok_or_else(|| OAuthError::missing("client_id"))?;
    let scope = nonempty(f, "scope").ok_or_else(|| OAuthError::missing("scope"))?;
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    if scopes.len() != 1 || !scopes[0].ends_with("/.default") {
        return Err(OAuthError::new(
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        ));
    }
    let audience = if graph_permission(&shared.origin, scopes[0]) == Some(".default") {
        Audience::Graph
    } else {
        match other_resource(scopes[0]) {
            Some((aud, ".default")) => aud,
            _ => return Err(invalid_resource(shared, scopes[0])),
        }
    };
    let secret = f
        .get("client_secret")
        .filter(|s| !s.is_empty())
        .map(|s| SecretString::from(s.clone()))
        .or_else(|| basic.map(|(_, s)| s));

    let in_tenant = authority.tenant();
    let tenant = shared
        .tenant_lock(in_tenant)
        .read()
        .unwrap_or_else(|e| e.into_inner());
    let Some(idx) = tenant.index_by_app_id(&client_id) else {
        return Err(OAuthError::new(
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                tenant.info.display_name
            ),
        ));
    };
    let Some(secret) = secret else {
        return Err(OAuthError::new(
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )
        .status(StatusCode::UNAUTHORIZED));
    };
    let app = &tenant.apps[idx];
    let invalid = || {
        OAuthError::new(
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                app.app_id
            ),
        )
        .status(StatusCode::UNAUTHORIZED)
    };
    let cred = tenant
        .lookup_secret(secret.expose_secret())
        .filter(|r| r.app_id.eq_ignore_ascii_case(&app.app_id))
        .and_then(|r| app.passwords.iter().find(|p| p.key_id == r.key_id))
        .ok_or_else(invalid)?;
    let now = Utc::now();
    if cred.end.at <= now {
        return Err(OAuthError::new(
            "invalid_client",
            7000222,
            format!(
                "The provided client secret keys for app '{}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
                app.app_id
            ),
        )
        .status(StatusCode::UNAUTHORIZED));
    }
    if cred.start.at > now {
        return Err(invalid());
    }
    // A secret created here works only once it has "replicated" (the propagation delay): until
    // then Entra answers exactly as for a wrong secret.
    if shared.is_propagating(&cred.key_id) {
        return Err(invalid());
    }
    let (app_id, perms) = (app.app_id.clone(), app.granted);
    drop(tenant);
    let lifetime = shared.token_lifetime;
    let perms = if audience == Audience::Graph {
        perms
    } else {
        Perms::default()
    };
    let access = shared.auth().issue_in(
        in_tenant,
        Caller::App {
            app_id: app_id.clone(),
        },
        perms,
        audience,
        Some(&app_id),
        lifetime,
    );
    Ok(ok_json(serde_json::json!({
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "ext_expires_in": lifetime.as_secs(),
        "access_token": access.expose_secret(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_scopes() {
        let o = "http://127.0.0.1:4000";
        assert_eq!(graph_permission(o, "User.Read"), Some("User.Read"));
        assert_eq!(
            graph_permission(o, "https://graph.microsoft.com/.default"),
            Some(".default")
        );
        assert_eq!(
            graph_permission(o, "https://graph.microsoft.com//.default"),
            Some(".default")
        );
        assert_eq!(
            graph_permission(o, "http://127.0.0.1:4000/Application.ReadWrite.All"),
            Some("Application.ReadWrite.All")
        );
        assert_eq!(
            graph_permission(o, "https://management.azure.com/.default"),
            None
        );
        assert_eq!(graph_permission(o, "http://127.0.0.1:40001/.default"), None);
    }

    #[test]
    fn vault_and_arm_scopes() {
        assert_eq!(
            other_resource("https://vault.azure.net/.default"),
            Some((
                Audience::Vault("https://vault.azure.net".into()),
                ".default"
            ))
        );
        assert_eq!(
            other_resource("https://vault.azure.net//.default"),
            Some((
                Audience::Vault("https://vault.azure.net/".into()),
                ".default"
            ))
        );
        assert_eq!(
            other_resource("https://vault.azure.net/user_impersonation"),
            Some((
                Audience::Vault("https://vault.azure.net".into()),
                "user_impersonation"
            ))
        );
        assert_eq!(
            other_resource("https://management.core.windows.net//.default"),
            Some((
                Audience::Arm("https://management.core.windows.net/".into()),
                ".default"
            ))
        );
        assert_eq!(
            other_resource("https://management.azure.com/.default"),
            Some((
                Audience::Arm("https://management.azure.com/".into()),
                ".default"
            ))
        );
        assert_eq!(other_resource("https://vault.azure.network/.default"), None);
        assert_eq!(other_resource("https://vault.azure.net"), None);
    }
}
