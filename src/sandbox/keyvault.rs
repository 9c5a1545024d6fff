//! The Azure Key Vault data plane of the seeded vaults (docs/contract.md, "Azure Key Vault"),
//! served under `/kv/{vault}/` so one loopback port holds every vault: Set Secret, Get Secret
//! (latest or a version), list secrets (tags, no values), list versions, delete, the deleted
//! secret and its recovery. The rules it enforces, in the order the service applies them: the
//! 401 challenge (`WWW-Authenticate` naming the vault's tenant and resource) before anything
//! else, a token for `https://vault.azure.net` only (AKV10022 otherwise), a known `api-version`,
//! the secret-name syntax, the vault's permission model when `set` is denied (RBAC's
//! `ForbiddenByRbac` or the access policy's `AccessDenied`), the body limits, and the
//! deleted-but-recoverable conflict.
//!
//! A vault name the sandbox does not know is answered with nothing at all: the connection is
//! dropped before any response, as a name that does not resolve in DNS gives no HTTP answer.
//!
//! Unlike Graph's secrets, vault secret values are kept (a vault returns them): in memory
//! only, in [`SecretString`], and never logged.

// Handlers return ready responses as their errors: boxing them would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::arm::Directory;
use super::model::Tenant;
use super::token::{Audience, Caller, Grant, TokenCheck, VAULT_RESOURCE};
use super::{Route, Shared};

/// The data-plane versions the sandbox understands (the secret shapes are the same in all).
const API_VERSIONS: [&str; 9] = [
    "7.0",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "7.5",
    "7.6",
    "2025-06-01",
    "2025-07-01",
];
/// The newest, named in the unknown-version message.
const LATEST_API_VERSION: &str = "2025-07-01";
/// A secret value's limit in bytes (docs: "25k bytes"; tools use 25,600).
const MAX_VALUE_BYTES: usize = 25_600;
const MAX_CONTENT_TYPE: usize = 255;
const MAX_TAGS: usize = 15;
const MAX_TAG_CHARS: usize = 512;
const MAX_NAME: usize = 127;
/// `maxresults` bounds for the lists.
const MAX_RESULTS: usize = 25;
const RECOVERABLE_DAYS: i64 = 90;
const RECOVERY_LEVEL: &str = "Recoverable+Purgeable";

/// A version's metadata, for tests and tooling ([`super::SandboxControl::vault_secret_versions`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultSecretVersion {
    /// 32 lowercase hex digits.
    pub version: String,
    pub content_type: Option<String>,
    pub enabled: bool,
    pub not_before: Option<i64>,
    pub expires: Option<i64>,
    pub tags: BTreeMap<String, String>,
}

struct Version {
    version: String,
    value: SecretString,
    content_type: Option<String>,
    enabled: bool,
    nbf: Option<i64>,
    exp: Option<i64>,
    created: i64,
    updated: i64,
    tags: BTreeMap<String, String>,
}

struct StoredSecret {
    /// The casing it was first set with (names compare case-insensitively).
    name: String,
    /// Newest first.
    versions: Vec<Version>,
}

struct DeletedSecret {
    secret: StoredSecret,
    deleted: i64,
}

pub struct Vault {
    pub name: String,
    pub subscription_id: String,
    pub resource_group: String,
    pub location: String,
    /// RBAC (`enableRbacAuthorization: true`) or access policies.
    pub rbac: bool,
    pub tenant_id: String,
    /// `http://127.0.0.1:PORT/kv/{name}/`.
    pub uri: String,
    secrets: BTreeMap<String, StoredSecret>,
    deleted: BTreeMap<String, DeletedSecret>,
}

impl Vault {
    fn new(
        name: &str,
        subscription_id: &str,
        resource_group: &str,
        rbac: bool,
        tenant_id: &str,
        origin: &str,
    ) -> Self {
        Self {
            name: name.to_owned(),
            subscription_id: subscription_id.to_owned(),
            resource_group: resource_group.to_owned(),
            location: "westeurope".to_owned(),
            rbac,
            tenant_id: tenant_id.to_owned(),
            uri: format!("{origin}/kv/{name}/"),
            secrets: BTreeMap::new(),
            deleted: BTreeMap::new(),
        }
    }

    fn base(&self) -> &str {
        self.uri.trim_end_matches('/')
    }

    fn arm_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }

    /// Store a new version; the secret is created on first set.
    fn put(&mut self, name: &str, version: Version) -> &Version {
        let entry = self
            .secrets
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| StoredSecret {
                name: name.to_owned(),
                versions: Vec::new(),
            });
        entry.versions.insert(0, version);
        &entry.versions[0]
    }
}

/// Every seeded vault.
pub struct Vaults {
    list: Vec<Vault>,
}

impl Vaults {
    /// Three vaults in the sandbox tenant: `contoso-sandbox-kv` (RBAC) holding a secret tagged
    /// with the Secret ID of a seeded app's client secret (what rotate looks for),
    /// `contoso-legacy-kv` (access policies), and `contoso-restore-kv` (RBAC, in the second
    /// subscription) with a soft-deleted secret, `retired-client-secret`.
    pub fn seed(tenant: &Tenant, directory: &Directory, origin: &str) -> Self {
        let tid = tenant.info.id.as_str();
        let sub = |i: usize| {
            directory
                .subscriptions
                .get(i)
                .or_else(|| directory.subscriptions.first())
                .map(|s| s.id.clone())
                .unwrap_or_default()
        };
        let now = Utc::now().timestamp();
        let day = 86_400;
        let mut main = Vault::new(
            "contoso-sandbox-kv",
            &sub(0),
            "rg-app-secrets",
            true,
            tid,
            origin,
        );
        if let Some(app) = tenant
            .apps
            .iter()
            .find(|a| !a.write_protected && !a.passwords.is_empty())
            && let Some(cred) = app.passwords.first()
        {
            let mut tags = BTreeMap::new();
            tags.insert("application-id".to_owned(), app.app_id.clone());
            tags.insert("secret-id".to_owned(), cred.key_id.clone());
            tags.insert("app-name".to_owned(), app.display_name.clone());
            tags.insert("created-by".to_owned(), "azsecrets".to_owned());
            if let Some(h) = &cred.hint {
                tags.insert("hint".to_owned(), h.clone());
            }
            main.put(
                &format!("{}-client-secret", slug(&app.display_name)),
                Version {
                    version: new_version(),
                    // The seeded secret's real value is not known to the sandbox.
                    value: random_value(),
                    content_type: Some("client-secret".to_owned()),
                    enabled: true,
                    nbf: Some(cred.start.at.timestamp()),
                    exp: Some(cred.end.at.timestamp()),
                    created: now - 30 * day,
                    updated: now - 30 * day,
                    tags,
                },
            );
        }
        let mut legacy = Vault::new(
            "contoso-legacy-kv",
            &sub(0),
            "rg-legacy",
            false,
            tid,
            origin,
        );
        legacy.put(
            "smtp-password",
            Version {
                version: new_version(),
                value: random_value(),
                content_type: Some("text/plain".to_owned()),
                enabled: true,
                nbf: None,
                exp: None,
                created: now - 400 * day,
                updated: now - 400 * day,
                tags: BTreeMap::new(),
            },
        );
        let mut restore = Vault::new(
            "contoso-restore-kv",
            &sub(1),
            "rg-restore",
            true,
            tid,
            origin,
        );
        restore.put(
            "api-key",
            Version {
                version: new_version(),
                value: random_value(),
                content_type: None,
                enabled: true,
                nbf: None,
                exp: None,
                created: now - 10 * day,
                updated: now - 10 * day,
                tags: BTreeMap::new(),
            },
        );
        let mut retired = StoredSecret {
            name: "retired-client-secret".to_owned(),
            versions: Vec::new(),
        };
        retired.versions.push(Version {
            version: new_version(),
            value: random_value(),
            content_type: Some("client-secret".to_owned()),
            enabled: true,
            nbf: None,
            exp: None,
            created: now - 60 * day,
            updated: now - 60 * day,
            tags: BTreeMap::new(),
        });
        restore.deleted.insert(
            "retired-client-secret".to_owned(),
            DeletedSecret {
                secret: retired,
                deleted: now - 2 * day,
            },
        );
        Self {
            list: vec![main, legacy, restore],
        }
    }

    pub fn names(&self) -> Vec<String> {
        self.list.iter().map(|v| v.name.clone()).collect()
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut Vault> {
        self.list
            .iter_mut()
            .find(|v| v.name.eq_ignore_ascii_case(name))
    }

    pub fn versions(&self, vault: &str, name: &str) -> Option<Vec<VaultSecretVersion>> {
        let v = self
            .list
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(vault))?;
        let s = v.secrets.get(&name.to_ascii_lowercase())?;
        Some(
            s.versions
                .iter()
                .map(|x| VaultSecretVersion {
                    version: x.version.clone(),
                    content_type: x.content_type.clone(),
                    enabled: x.enabled,
                    not_before: x.nbf,
                    expires: x.exp,
                    tags: x.tags.clone(),
                })
                .collect(),
        )
    }

    /// The vaults of a subscription as ARM lists them.
    pub fn arm_json(&self, subscription: &str) -> Vec<serde_json::Value> {
        self.list
            .iter()
            .filter(|v| v.subscription_id.eq_ignore_ascii_case(subscription))
            .map(|v| {
                let policies = if v.rbac {
                    serde_json::json!([])
                } else {
                    serde_json::json!([{
                        "tenantId": v.tenant_id,
                        "objectId": "00000000-0000-0000-0000-000000000000",
                        "permissions": { "keys": [], "secrets": ["get", "list"], "certificates": [] }
                    }])
                };
                serde_json::json!({
                    "id": v.arm_id(),
                    "name": v.name,
                    "type": "Microsoft.KeyVault/vaults",
                    "location": v.location,
                    "tags": {},
                    "properties": {
                        "sku": { "family": "A", "name": "standard" },
                        "tenantId": v.tenant_id,
                        "accessPolicies": policies,
                        "enableSoftDelete": true,
                        "softDeleteRetentionInDays": RECOVERABLE_DAYS,
                        "enableRbacAuthorization": v.rbac,
                        "vaultUri": v.uri,
                        "provisioningState": "Succeeded",
                        "publicNetworkAccess": "Enabled"
                    }
                })
            })
            .collect()
    }
}

fn new_version() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn random_value() -> SecretString {
    let raw: Vec<u8> = (0..24).map(|_| rand::random::<u8>()).collect();
    SecretString::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
}

/// The sandbox's own name for a seeded secret (lowercase, runs of other characters become `-`).
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t = out.trim_matches('-');
    if t.is_empty() {
        "app".to_owned()
    } else {
        t.chars().take(100).collect()
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Every request under `/kv/{vault}`.
pub async fn entry(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.count(Route::KeyVault);
    let r = respond(&shared, &method, &uri, &headers, &body);
    // Method, path and status only: bodies hold values, headers the token.
    tracing::debug!(method = %method, path = uri.path(), status = r.status().as_u16(), "sandbox key vault");
    r
}

/// The path after `/kv/`, split and percent-decoded.
fn segments(uri: &Uri) -> Vec<String> {
    uri.path()
        .strip_prefix("/kv/")
        .unwrap_or("")
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

fn respond(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let segs = segments(uri);
    let vault_name = segs.first().cloned().unwrap_or_default();
    let mut vaults = shared.vaults();
    let Some(vault) = vaults.get_mut(&vault_name) else {
        return unresolvable();
    };
    let grant = match authenticate(shared, vault, headers) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let query = Query::parse(uri.query());
    if let Err(r) = query.api_version() {
        return r;
    }
    // Ignore the empty segment a trailing slash leaves (`secrets/{name}/` is the latest).
    let rest: Vec<&str> = segs
        .iter()
        .skip(1)
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    let ctx = Ctx {
        shared,
        grant: &grant,
        query: &query,
    };
    match (method.clone(), rest.as_slice()) {
        (Method::GET, ["secrets"]) => ctx.list_secrets(vault),
        (Method::PUT, ["secrets", name]) => ctx.set(vault, name, body),
        (Method::GET, ["secrets", name]) => ctx.get(vault, name, None),
        (Method::GET, ["secrets", name, "versions"]) => ctx.list_versions(vault, name),
        (Method::GET, ["secrets", name, version]) => ctx.get(vault, name, Some(version)),
        (Method::DELETE, ["secrets", name]) => ctx.delete(vault, name),
        (Method::GET, ["deletedsecrets", name]) => ctx.get_deleted(vault, name),
        (Method::POST, ["deletedsecrets", name, "recover"]) => ctx.recover(vault, name),
        _ => error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "The request URI is not a Key Vault secrets operation the sandbox serves.",
            None,
        ),
    }
}

/// No HTTP answer at all: the body fails before its first byte, so the server closes the
/// connection without sending a response (a vault that does not exist has no DNS name).
fn unresolvable() -> Response {
    let failed = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("no such vault"))
    });
    Response::new(Body::from_stream(failed))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ').unwrap_or((v.trim(), ""));
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty())
}

fn authenticate(shared: &Shared, vault: &Vault, headers: &HeaderMap) -> Result<Grant, Response> {
    let challenge = |message: &str| {
        let mut r = error(StatusCode::UNAUTHORIZED, "Unauthorized", message, None);
        let value = format!(
            "Bearer authorization=\"{}/{}\", resource=\"{VAULT_RESOURCE}\"",
            shared.origin, vault.tenant_id
        );
        if let Ok(v) = HeaderValue::from_str(&value) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        r
    };
    let Some(token) = bearer(headers) else {
        return Err(challenge(
            "AKV10000: Request is missing a Bearer or PoP token.",
        ));
    };
    match shared.auth().check_any(token) {
        TokenCheck::Unknown => Err(challenge(
            "AKV10046: Unable to resolve the key used for signature validation.",
        )),
        TokenCheck::Expired => Err(challenge("Token has expired.")),
        TokenCheck::Valid(g) => match &g.audience {
            Audience::Vault(aud) if aud == VAULT_RESOURCE => Ok(g),
            other => Err(challenge(&format!(
                "AKV10022: Invalid audience. Expected {VAULT_RESOURCE}, found: {}.",
                other.aud()
            ))),
        },
    }
}

struct Query {
    api_version: Option<String>,
    maxresults: Option<String>,
    skiptoken: Option<String>,
}

impl Query {
    fn parse(query: Option<&str>) -> Self {
        let mut q = Query {
            api_version: None,
            maxresults: None,
            skiptoken: None,
        };
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match k.as_ref() {
                "api-version" => q.api_version = Some(v.into_owned()),
                "maxresults" => q.maxresults = Some(v.into_owned()),
                "$skiptoken" => q.skiptoken = Some(v.into_owned()),
                _ => {}
            }
        }
        q
    }

    fn api_version(&self) -> Result<&str, Response> {
        match self.api_version.as_deref() {
            Some(v) if API_VERSIONS.contains(&v) => Ok(v),
            other => Err(error(
                StatusCode::BAD_REQUEST,
                "BadParameter",
                &format!(
                    "The specified version ({}) is not recognized. Consider using the latest supported version ({LATEST_API_VERSION}).",
                    other.unwrap_or("")
                ),
                None,
            )),
        }
    }

    fn version(&self) -> &str {
        self.api_version.as_deref().unwrap_or(LATEST_API_VERSION)
    }

    fn page(&self) -> Result<(usize, usize), Response> {
        let size = match self.maxresults.as_deref() {
            None => MAX_RESULTS,
            Some(m) => match m.parse::<usize>() {
                Ok(n) if (1..=MAX_RESULTS).contains(&n) => n,
                _ => {
                    return Err(error(
                        StatusCode::BAD_REQUEST,
                        "BadParameter",
                        &format!("Invalid maxresults {m}: it must be between 1 and {MAX_RESULTS}."),
                        None,
                    ));
                }
            },
        };
        let start = match self.skiptoken.as_deref() {
            None => 0,
            Some(t) => base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.strip_prefix("kv:").and_then(|n| n.parse().ok()))
                .ok_or_else(|| {
                    error(
                        StatusCode::BAD_REQUEST,
                        "BadParameter",
                        "The skip token is not valid.",
                        None,
                    )
                })?,
        };
        Ok((start, size))
    }
}

/// One authenticated request to one vault.
struct Ctx<'a> {
    shared: &'a Shared,
    grant: &'a Grant,
    query: &'a Query,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetBody {
    value: Option<SecretString>,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    attributes: Option<SetAttributes>,
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct SetAttributes {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    exp: Option<i64>,
}

impl Ctx<'_> {
    fn invalid_name(name: &str) -> Response {
        error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            &format!("The request URI contains an invalid name: {name}"),
            None,
        )
    }

    fn not_found(what: &str) -> Response {
        error(
            StatusCode::NOT_FOUND,
            "SecretNotFound",
            &format!(
                "A secret with (name/id) {what} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
            ),
            None,
        )
    }

    /// The caller as Key Vault names it in its refusals.
    fn caller(&self, vault: &Vault) -> String {
        let oid = match &self.grant.caller {
            Caller::User => self.shared.tenant_read().user.id.clone(),
            Caller::App { app_id } => app_id.clone(),
        };
        let appid = self
            .grant
            .client_id
            .clone()
            .unwrap_or_else(|| "04b07795-8ddb-461a-bbee-02f9e1bf7b46".to_owned());
        format!(
            "appid={appid};oid={oid};iss=https://sts.windows.net/{}/",
            vault.tenant_id
        )
    }

    /// 403 for `set`, in the vault's permission model's shape.
    fn forbidden_set(&self, vault: &Vault, name: &str) -> Response {
        let caller = self.caller(vault);
        if vault.rbac {
            let message = format!(
                "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: {caller}\r\nAction: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'\r\nResource: '{}/secrets/{}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: {};location={}\r\n",
                vault.arm_id().to_ascii_lowercase(),
                name.to_ascii_lowercase(),
                vault.name,
                vault.location
            );
            error(
                StatusCode::FORBIDDEN,
                "Forbidden",
                &message,
                Some("ForbiddenByRbac"),
            )
        } else {
            let message = format!(
                "The user, group or application '{caller}' does not have secrets set permission on key vault '{};location={}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
                vault.name, vault.location
            );
            error(
                StatusCode::FORBIDDEN,
                "Forbidden",
                &message,
                Some("AccessDenied"),
            )
        }
    }

    fn set(&self, vault: &mut Vault, name: &str, body: &[u8]) -> Response {
        if !valid_name(name) {
            return Self::invalid_name(name);
        }
        if self.shared.deny_vault_set.load(Ordering::SeqCst) {
            return self.forbidden_set(vault, name);
        }
        let invalid = || {
            error(
                StatusCode::BAD_REQUEST,
                "BadParameter",
                "Property has invalid value\r\n",
                None,
            )
        };
        let Ok(input) = serde_json::from_slice::<SetBody>(body) else {
            return error(
                StatusCode::BAD_REQUEST,
                "BadParameter",
                "The request body is not valid JSON or does not match the expected shape.",
                None,
            );
        };
        let Some(value) = input.value else {
            return error(
                StatusCode::BAD_REQUEST,
                "BadParameter",
                "The parameter value is required.",
                None,
            );
        };
        if value.expose_secret().len() > MAX_VALUE_BYTES
            || input
                .content_type
                .as_ref()
                .is_some_and(|c| c.chars().count() > MAX_CONTENT_TYPE)
        {
            return invalid();
        }
        let tags = input.tags.unwrap_or_default();
        if tags.len() > MAX_TAGS
            || tags.iter().any(|(k, v)| {
                k.is_empty()
                    || k.chars().count() > MAX_TAG_CHARS
                    || v.chars().count() > MAX_TAG_CHARS
            })
        {
            return invalid();
        }
        let key = name.to_ascii_lowercase();
        if vault.deleted.contains_key(&key) {
            return error(
                StatusCode::CONFLICT,
                "Conflict",
                &format!(
                    "Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged."
                ),
                Some("ObjectIsDeletedButRecoverable"),
            );
        }
        let now = Utc::now().timestamp();
        let attrs = input.attributes;
        let version = Version {
            version: new_version(),
            value,
            content_type: input.content_type,
            enabled: attrs.as_ref().and_then(|a| a.enabled).unwrap_or(true),
            nbf: attrs.as_ref().and_then(|a| a.nbf),
            exp: attrs.as_ref().and_then(|a| a.exp),
            created: now,
            updated: now,
            tags,
        };
        let base = vault.base().to_owned();
        let stored_name = vault
            .secrets
            .get(&key)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| name.to_owned());
        let v = vault.put(&stored_name, version);
        ok(bundle(&base, &stored_name, v, true))
    }

    fn get(&self, vault: &Vault, name: &str, version: Option<&str>) -> Response {
        if !valid_name(name) {
            return Self::invalid_name(name);
        }
        let Some(s) = vault.secrets.get(&name.to_ascii_lowercase()) else {
            return Self::not_found(name);
        };
        let found = match version {
            None => s.versions.first(),
            Some(v) => s
                .versions
                .iter()
                .find(|x| x.version.eq_ignore_ascii_case(v)),
        };
        let Some(v) = found else {
            return Self::not_found(&format!("{name}/{}", version.unwrap_or("")));
        };
        if !v.enabled {
            return error(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "Operation get is not allowed on a disabled secret.",
                Some("SecretDisabled"),
            );
        }
        ok(bundle(vault.base(), &s.name, v, true))
    }

    fn list_secrets(&self, vault: &Vault) -> Response {
        let (start, size) = match self.query.page() {
            Ok(p) => p,
            Err(r) => return r,
        };
        let items: Vec<serde_json::Value> = vault
            .secrets
            .values()
            .filter_map(|s| s.versions.first().map(|v| (s, v)))
            // The list's ids are the unversioned secret ids.
            .map(|(s, v)| item_json(v, format!("{}/secrets/{}", vault.base(), s.name)))
            .collect();
        self.page(items, start, size, &format!("{}/secrets", vault.base()))
    }

    fn list_versions(&self, vault: &Vault, name: &str) -> Response {
        if !valid_name(name) {
            return Self::invalid_name(name);
        }
        let (start, size) = match self.query.page() {
            Ok(p) => p,
            Err(r) => return r,
        };
        let Some(s) = vault.secrets.get(&name.to_ascii_lowercase()) else {
            return Self::not_found(name);
        };
        let items: Vec<serde_json::Value> = s
            .versions
            .iter()
            .map(|v| {
                item_json(
                    v,
                    format!("{}/secrets/{}/{}", vault.base(), s.name, v.version),
                )
            })
            .collect();
        self.page(
            items,
            start,
            size,
            &format!("{}/secrets/{}/versions", vault.base(), s.name),
        )
    }

    fn page(
        &self,
        items: Vec<serde_json::Value>,
        start: usize,
        size: usize,
        link: &str,
    ) -> Response {
        let end = (start + size).min(items.len());
        let value: Vec<serde_json::Value> =
            items.get(start..end).map(<[_]>::to_vec).unwrap_or_default();
        let next = if end < items.len() {
            let token =
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("kv:{end}"));
            serde_json::Value::String(format!(
                "{link}?api-version={}&$skiptoken={token}&maxresults={size}",
                self.query.version()
            ))
        } else {
            // The last page says so explicitly.
            serde_json::Value::Null
        };
        ok(serde_json::json!({ "value": value, "nextLink": next }))
    }

    fn delete(&self, vault: &mut Vault, name: &str) -> Response {
        if !valid_name(name) {
            return Self::invalid_name(name);
        }
        let key = name.to_ascii_lowercase();
        let Some(secret) = vault.secrets.remove(&key) else {
            return Self::not_found(name);
        };
        let deleted = DeletedSecret {
            secret,
            deleted: Utc::now().timestamp(),
        };
        let body = deleted_json(vault, &deleted);
        vault.deleted.insert(key, deleted);
        ok(body)
    }

    fn get_deleted(&self, vault: &Vault, name: &str) -> Response {
        if !valid_name(name) {
            return Self::invalid_name(name);
        }
        match vault.deleted.get(&name.to_ascii_lowercase()) {
            Some(d) => ok(deleted_json(vault, d)),
            None => error(
                StatusCode::NOT_FOUND,
                "SecretNotFound",
                &format!("Deleted Secret not found: {name}"),
                None,
            ),
        }
    }

    fn recover(&self, vault: &mut Vault, name: &str) -> Response {
        if !valid_name(name) {
            return Self::invalid_name(name);
        }
        let key = name.to_ascii_lowercase();
        let Some(d) = vault.deleted.remove(&key) else {
            return error(
                StatusCode::NOT_FOUND,
                "SecretNotFound",
                &format!("Deleted Secret not found: {name}"),
                None,
            );
        };
        let base = vault.base().to_owned();
        let body = d
            .secret
            .versions
            .first()
            .map(|v| bundle(&base, &d.secret.name, v, false))
            .unwrap_or_else(|| serde_json::json!({}));
        vault.secrets.insert(key, d.secret);
        ok(body)
    }
}

fn attributes(v: &Version) -> serde_json::Value {
    let mut a = serde_json::json!({
        "enabled": v.enabled,
        "created": v.created,
        "updated": v.updated,
        "recoveryLevel": RECOVERY_LEVEL,
        "recoverableDays": RECOVERABLE_DAYS,
    });
    if let Some(n) = v.nbf {
        a["nbf"] = n.into();
    }
    if let Some(e) = v.exp {
        a["exp"] = e.into();
    }
    a
}

/// A SecretBundle: the versioned id, attributes, tags, content type, and the value when asked.
fn bundle(base: &str, name: &str, v: &Version, with_value: bool) -> serde_json::Value {
    let mut b = serde_json::json!({
        "id": format!("{base}/secrets/{name}/{}", v.version),
        "attributes": attributes(v),
    });
    if with_value {
        b["value"] = serde_json::Value::String(v.value.expose_secret().to_owned());
    }
    if let Some(c) = &v.content_type {
        b["contentType"] = c.clone().into();
    }
    if !v.tags.is_empty() {
        b["tags"] = serde_json::json!(v.tags);
    }
    b
}

/// A list item: never the value.
fn item_json(v: &Version, id: String) -> serde_json::Value {
    let mut b = serde_json::json!({ "id": id, "attributes": attributes(v) });
    if let Some(c) = &v.content_type {
        b["contentType"] = c.clone().into();
    }
    if !v.tags.is_empty() {
        b["tags"] = serde_json::json!(v.tags);
    }
    b
}

fn deleted_json(vault: &Vault, d: &DeletedSecret) -> serde_json::Value {
    let mut b = d
        .secret
        .versions
        .first()
        .map(|v| bundle(vault.base(), &d.secret.name, v, false))
        .unwrap_or_else(|| serde_json::json!({}));
    b["recoveryId"] = format!("{}/deletedsecrets/{}", vault.base(), d.secret.name).into();
    b["deletedDate"] = d.deleted.into();
    b["scheduledPurgeDate"] = (d.deleted + RECOVERABLE_DAYS * 86_400).into();
    b
}

fn ok(body: serde_json::Value) -> Response {
    framed(StatusCode::OK, body.to_string())
}

/// Key Vault's error shape: `{"error":{"code","message","innererror":{"code"}}}`.
fn error(status: StatusCode, code: &str, message: &str, inner: Option<&str>) -> Response {
    let mut e = serde_json::json!({ "code": code, "message": message });
    if let Some(i) = inner {
        e["innererror"] = serde_json::json!({ "code": i });
    }
    framed(status, serde_json::json!({ "error": e }).to_string())
}

fn framed(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        "x-ms-keyvault-service-version",
        HeaderValue::from_static("1.9.0.0-sandbox"),
    );
    h.insert(
        "x-ms-keyvault-region",
        HeaderValue::from_static("westeurope"),
    );
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        h.insert("x-ms-request-id", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_slugs() {
        assert!(valid_name("a"));
        assert!(valid_name("-0-Ab"));
        assert!(!valid_name(""));
        assert!(!valid_name("a.b"));
        assert!(!valid_name(&"a".repeat(128)));
        assert_eq!(slug("Billing API (prod)"), "billing-api-prod");
        assert_eq!(slug("日本"), "app");
    }
}
