//! Azure Resource Manager, read-only, for finding vaults (docs/contract.md, "Azure Resource
//! Manager"): the tenants the signed-in identity belongs to, the subscriptions of a tenant, and
//! the key vaults of a subscription with the properties that matter here (`vaultUri`, `tenantId`,
//! `enableRbacAuthorization`). Paged by `nextLink`, followed verbatim but only on the configured
//! ARM origin: the ARM token goes nowhere else. Knows no terminal.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::{AuthError, Cloud, Resource, ResourceKind, TokenRequest, TokenSource};
use crate::http::{self, Jitter, RetryOn, RetryPolicy, TransportWords};
use crate::keyvault::PermissionModel;

/// `Microsoft.Resources` api-version for `/tenants` and `/subscriptions` (the newest stable
/// one, served in every cloud).
pub const SUBSCRIPTIONS_API_VERSION: &str = "2022-12-01";
/// `Microsoft.KeyVault/vaults` api-version: 2023-07-01 is stable in every cloud and already
/// carries `enableRbacAuthorization` and `vaultUri`; later versions add nothing needed here.
pub const VAULTS_API_VERSION: &str = "2023-07-01";
/// ARM's reads are retried on 429 and 503 only, three times, from a second, without jitter;
/// any other failure is answered at once.
const RETRY: RetryPolicy = RetryPolicy {
    max_retries: 3,
    base_delay: Duration::from_secs(1),
    max_delay: Duration::from_secs(30),
};
const RETRY_ON: RetryOn = RetryOn::ThrottlingOrUnavailable;

/// How a request that got no answer from ARM is worded; a reply that broke off is a network
/// error here (Graph and Key Vault say it was cut off).
const WORDS: TransportWords = TransportWords {
    cut_off: "network error",
    ..TransportWords::STANDARD
};

/// Where Resource Manager is and which token it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArmConfig {
    /// The root, e.g. `https://management.azure.com/` (`--arm-url`).
    pub url: Url,
    /// The resource whose tokens ARM takes.
    pub resource: String,
}

impl ArmConfig {
    pub fn for_cloud(cloud: Cloud) -> Self {
        // The cloud table's literals are valid URLs.
        let url =
            crate::auth::endpoints::parse_endpoint(cloud.arm()).unwrap_or_else(|_| unreachable!());
        Self {
            resource: cloud.arm().to_owned(),
            url,
        }
    }

    /// Another root (`--arm-url`), keeping the cloud's resource identifier.
    pub fn with_url(mut self, url: Url) -> Self {
        self.url = url;
        self
    }
}

impl Default for ArmConfig {
    fn default() -> Self {
        Self::for_cloud(Cloud::Public)
    }
}

/// A tenant the signed-in identity belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmTenant {
    pub tenant_id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub default_domain: Option<String>,
    /// `Home`, `ProjectedBy` or `ManagedBy`.
    #[serde(default)]
    pub tenant_category: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub subscription_id: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// `Enabled`, `Warned`, `PastDue`, `Disabled` or `Deleted`.
    #[serde(default)]
    pub state: Option<String>,
}

impl Subscription {
    /// Disabled and deleted subscriptions list nothing useful.
    pub fn is_usable(&self) -> bool {
        !matches!(self.state.as_deref(), Some("Disabled") | Some("Deleted"))
    }
}

/// A key vault as ARM lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vault {
    /// The ARM resource id.
    pub id: String,
    pub name: String,
    pub location: Option<String>,
    pub subscription_id: String,
    pub resource_group: Option<String>,
    /// From ARM, never built from the name (sovereign clouds, the sandbox).
    pub vault_uri: Option<Url>,
    pub tenant_id: Option<String>,
    /// `None` when ARM did not say (treated as access policies, the documented default).
    pub enable_rbac_authorization: Option<bool>,
}

impl Vault {
    pub fn permission_model(&self) -> PermissionModel {
        PermissionModel::from_arm(self.enable_rbac_authorization)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireVault {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    properties: WireVaultProperties,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct WireVaultProperties {
    #[serde(default)]
    vault_uri: Option<String>,
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    enable_rbac_authorization: Option<bool>,
}

impl WireVault {
    fn into_vault(self, subscription_id: &str) -> Vault {
        let resource_group = {
            let lower = self.id.to_ascii_lowercase();
            lower.find("/resourcegroups/").and_then(|i| {
                let rest = &self.id[i + "/resourcegroups/".len()..];
                rest.split('/').next().map(str::to_owned)
            })
        };
        Vault {
            vault_uri: self
                .properties
                .vault_uri
                .as_deref()
                .and_then(|u| crate::keyvault::VaultRef::parse_url(u).ok()),
            tenant_id: self.properties.tenant_id,
            enable_rbac_authorization: self.properties.enable_rbac_authorization,
            subscription_id: subscription_id.to_owned(),
            resource_group,
            location: self.location,
            name: self.name,
            id: self.id,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(default)]
    next_link: Option<String>,
}

/// An ARM error answer (`{"error":{"code","message"}}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArmApiError {
    pub operation: &'static str,
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ArmError {
    #[error("could not {}: {} {} — {}{}", .0.operation, .0.status, .0.code, .0.message, .0.request_id.as_ref().map(|r| format!(" (x-ms-request-id {r})")).unwrap_or_default())]
    Api(Box<ArmApiError>),
    #[error("could not {operation}: {detail}")]
    Transport {
        operation: &'static str,
        detail: String,
    },
    #[error(
        "could not {operation}: Resource Manager sent a reply azsecrets cannot read ({detail})"
    )]
    Decode {
        operation: &'static str,
        detail: String,
    },
    #[error(
        "refused to follow a paging link to {url}: it is not Resource Manager at {expected}, and the access token is only sent there"
    )]
    ForeignLink { url: String, expected: String },
    #[error("'{0}' is not a subscription id (expected a GUID)")]
    InvalidSubscription(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl From<http::ForeignLink> for ArmError {
    fn from(f: http::ForeignLink) -> Self {
        ArmError::ForeignLink {
            url: f.url,
            expected: f.expected,
        }
    }
}

/// Why an ARM request failed, for the front-ends' advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArmCause {
    /// 401: the token was refused (audience, expiry).
    Unauthorized,
    /// 403: no read access (the Reader role) on the subscription.
    Forbidden,
    NotFound,
    Throttled,
    ServerError,
    Rejected,
    Network,
    UnreadableReply,
    ForeignLink,
    InvalidInput,
    SignIn,
}

impl ArmError {
    pub fn cause(&self) -> ArmCause {
        match self {
            ArmError::Api(e) => match e.status {
                401 => ArmCause::Unauthorized,
                403 => ArmCause::Forbidden,
                404 => ArmCause::NotFound,
                429 => ArmCause::Throttled,
                500..=599 => ArmCause::ServerError,
                _ => ArmCause::Rejected,
            },
            ArmError::Transport { .. } => ArmCause::Network,
            ArmError::Decode { .. } => ArmCause::UnreadableReply,
            ArmError::ForeignLink { .. } => ArmCause::ForeignLink,
            ArmError::InvalidSubscription(_) => ArmCause::InvalidInput,
            ArmError::Auth(_) => ArmCause::SignIn,
        }
    }
}

#[derive(Clone)]
pub struct ArmClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ArmConfig,
    creds: Arc<dyn TokenSource>,
}

impl ArmClient {
    pub fn new(config: ArmConfig, creds: Arc<dyn TokenSource>) -> Result<Self, ArmError> {
        let http = http::client(Duration::from_secs(60)).map_err(|e| ArmError::Transport {
            operation: http::START,
            detail: e.to_string(),
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                creds,
            }),
        })
    }

    pub fn config(&self) -> &ArmConfig {
        &self.inner.config
    }

    /// `GET /tenants`: every tenant the signed-in identity belongs to.
    pub async fn list_tenants(&self) -> Result<Vec<ArmTenant>, ArmError> {
        let url = self.url(&format!("tenants?api-version={SUBSCRIPTIONS_API_VERSION}"))?;
        self.collect("list your tenants", url, None).await
    }

    /// `GET /subscriptions` with a token from `tenant` (or the sign-in's own): a token lists only
    /// its own tenant's subscriptions.
    pub async fn list_subscriptions(
        &self,
        tenant: Option<&str>,
    ) -> Result<Vec<Subscription>, ArmError> {
        let url = self.url(&format!(
            "subscriptions?api-version={SUBSCRIPTIONS_API_VERSION}"
        ))?;
        self.collect("list your subscriptions", url, tenant).await
    }

    /// `GET /subscriptions/{id}/providers/Microsoft.KeyVault/vaults`.
    pub async fn list_vaults(
        &self,
        subscription_id: &str,
        tenant: Option<&str>,
    ) -> Result<Vec<Vault>, ArmError> {
        if !crate::ids::is_guid(subscription_id) {
            return Err(ArmError::InvalidSubscription(subscription_id.to_owned()));
        }
        let url = self.url(&format!(
            "subscriptions/{subscription_id}/providers/Microsoft.KeyVault/vaults?api-version={VAULTS_API_VERSION}"
        ))?;
        let wire: Vec<WireVault> = self.collect("list the key vaults", url, tenant).await?;
        Ok(wire
            .into_iter()
            .map(|v| v.into_vault(subscription_id))
            .collect())
    }

    /// Every vault in every usable subscription of `tenant` (or the sign-in's own tenant).
    /// A subscription that cannot be listed (403: no Reader role there) is skipped and reported
    /// beside the vaults found.
    pub async fn list_all_vaults(
        &self,
        tenant: Option<&str>,
    ) -> Result<(Vec<Vault>, Vec<(Subscription, ArmError)>), ArmError> {
        let mut vaults = Vec::new();
        let mut skipped = Vec::new();
        for sub in self.list_subscriptions(tenant).await? {
            if !sub.is_usable() {
                continue;
            }
            match self.list_vaults(&sub.subscription_id, tenant).await {
                Ok(v) => vaults.extend(v),
                Err(e) if e.cause() == ArmCause::Forbidden => skipped.push((sub, e)),
                Err(e) => return Err(e),
            }
        }
        Ok((vaults, skipped))
    }

    fn url(&self, path_and_query: &str) -> Result<Url, ArmError> {
        self.inner
            .config
            .url
            .join(path_and_query)
            .map_err(|e| ArmError::Decode {
                operation: "build a request",
                detail: e.to_string(),
            })
    }

    /// The token goes only to the configured ARM origin and path.
    fn check_origin(&self, url: &Url) -> Result<(), ArmError> {
        Ok(http::check_origin(&self.inner.config.url, url)?)
    }

    async fn collect<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        first: Url,
        tenant: Option<&str>,
    ) -> Result<Vec<T>, ArmError> {
        let fetch = |url| async move {
            let page: Page<T> = self.get(operation, url, tenant).await?;
            Ok((page.value, page.next_link))
        };
        http::collect_linked(
            first,
            fetch,
            |link| self.next_url(operation, link),
            |detail| ArmError::Decode { operation, detail },
        )
        .await
    }

    /// A `nextLink`, followed verbatim (it may point at another path, with its own
    /// api-version), but only on ARM's origin.
    fn next_url(&self, operation: &'static str, link: &str) -> Result<Url, ArmError> {
        let url = Url::parse(link).map_err(|e| ArmError::Decode {
            operation,
            detail: format!("bad nextLink: {e}"),
        })?;
        self.check_origin(&url)?;
        Ok(url)
    }

    async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: Url,
        tenant: Option<&str>,
    ) -> Result<T, ArmError> {
        self.check_origin(&url)?;
        let mut request = TokenRequest::new(Resource::new(
            ResourceKind::Arm,
            self.inner.config.resource.clone(),
        ));
        request.tenant = tenant.map(str::to_owned);
        let mut refreshed = false;
        let mut throttled = 0u32;
        loop {
            let token = self.inner.creds.token_for(&request, refreshed).await?;
            let sent = self
                .inner
                .http
                .get(url.clone())
                .bearer_auth(token.token.expose_secret())
                .header("Accept", "application/json")
                .send()
                .await;
            drop(token);
            let resp = sent.map_err(|e| ArmError::Transport {
                operation,
                detail: WORDS.detail(&e),
            })?;
            let status = resp.status();
            let request_id = http::header(resp.headers(), "x-ms-request-id");
            tracing::debug!(
                op = operation,
                path = url.path(),
                status = status.as_u16(),
                request_id = request_id.as_deref().unwrap_or(""),
                "arm"
            );
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                refreshed = true;
                continue;
            }
            if RETRY_ON.covers(status)
                && let Some(wait) =
                    RETRY.next_wait(throttled, http::retry_after(resp.headers()), Jitter::None)
            {
                tokio::time::sleep(wait).await;
                throttled += 1;
                continue;
            }
            let body = http::read_wiped(resp)
                .await
                .map_err(|e| ArmError::Transport {
                    operation,
                    detail: WORDS.detail(&e),
                })?;
            if status.is_success() {
                return serde_json::from_slice(&body).map_err(|e| ArmError::Decode {
                    operation,
                    detail: e.to_string(),
                });
            }
            #[derive(Deserialize)]
            struct Env {
                error: EnvBody,
            }
            #[derive(Deserialize)]
            struct EnvBody {
                #[serde(default)]
                code: String,
                #[serde(default)]
                message: String,
            }
            let (code, message) = match serde_json::from_slice::<Env>(&body) {
                Ok(e) => (e.error.code, crate::auth::first_line(&e.error.message, 400)),
                Err(_) => (
                    format!("HTTP{}", status.as_u16()),
                    "the answer was not a Resource Manager error".to_owned(),
                ),
            };
            tracing::warn!(op = operation, status = status.as_u16(), code = %code, "arm error");
            return Err(ArmError::Api(Box::new(ArmApiError {
                operation,
                status: status.as_u16(),
                code,
                message,
                request_id,
            })));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vaults_keep_what_arm_says() {
        let w: WireVault = serde_json::from_str(
            r#"{"id":"/subscriptions/s/resourceGroups/rg-1/providers/Microsoft.KeyVault/vaults/kv1","name":"kv1","type":"Microsoft.KeyVault/vaults","location":"westus","properties":{"tenantId":"t","vaultUri":"https://kv1.vault.azure.net/","enableRbacAuthorization":true,"sku":{"family":"A","name":"standard"}}}"#,
        )
        .unwrap();
        let v = w.into_vault("s");
        assert_eq!(v.resource_group.as_deref(), Some("rg-1"));
        assert_eq!(
            v.vault_uri.as_ref().map(Url::as_str),
            Some("https://kv1.vault.azure.net/")
        );
        assert_eq!(v.permission_model(), PermissionModel::Rbac);
        let w: WireVault = serde_json::from_str(r#"{"id":"/x","name":"kv2"}"#).unwrap();
        let v = w.into_vault("s");
        assert_eq!(v.permission_model(), PermissionModel::AccessPolicy);
        assert!(v.vault_uri.is_none());
    }

    #[test]
    fn config_per_cloud() {
        assert_eq!(
            ArmConfig::for_cloud(Cloud::Usgov).url.as_str(),
            "https://management.usgovcloudapi.net/"
        );
    }
}
