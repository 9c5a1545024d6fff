//! A session: the Graph client with its credentials, built from a plain [`SessionConfig`], plus
//! the in-process sandbox when the configuration asks for it (kept alive as long as the
//! session). Which credentials is decided by [`sign_in::choose`]; this module builds them and
//! learns, by trying, whether the Azure CLI is signed in. The same credentials give tokens for
//! Key Vault and Resource Manager: [`Session::key_vault`] and [`Session::arm`] build those
//! clients, [`Session::verifier`] checks a new client secret against the session's login
//! endpoint.

pub mod sign_in;

use std::sync::Arc;

use serde::Serialize;

use crate::arm::{ArmClient, ArmConfig, ArmError};
use crate::auth::azure_cli::AzureCli;
use crate::auth::device_code::{self, DeviceCode, PromptSink};
use crate::auth::endpoints::{Cloud, Endpoints};
use crate::auth::token_endpoint::TokenEndpoint;
use crate::auth::{
    AuthError, CacheKey, ClientCredentials, SourceKind, StaticToken, TokenCache, TokenSource,
};
use crate::graph::{GraphClient, GraphError};
use crate::ids::ApplicationId;
use crate::keyvault::{KeyVaultClient, KeyVaultConfig, KeyVaultError, VaultUrlTemplate};
use crate::sandbox::{self, RunningSandbox, SandboxConfig};
use crate::verify::{Verifier, VerifyError};

use sign_in::Chosen;
pub use sign_in::{Method, ProcessEnv, SignInConfigError, SignInEnv};

/// What a session needs to know, with no trace of where it came from (flags, tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// Run against the in-process emulated tenant instead of `endpoints`.
    pub sandbox: Option<SandboxSession>,
    /// The Graph and login roots (a cloud's, or overrides), already validated.
    pub endpoints: Endpoints,
    pub sign_in: SignInConfig,
    /// Where Key Vault and Resource Manager are (a cloud's, or overrides).
    pub resources: ResourceConfig,
}

impl Default for SessionConfig {
    /// The public cloud, signing in the automatic way.
    fn default() -> Self {
        Self {
            sandbox: None,
            endpoints: Endpoints::for_cloud(Cloud::Public),
            sign_in: SignInConfig::default(),
            resources: ResourceConfig::default(),
        }
    }
}

/// Key Vault and Resource Manager for a cloud (`--vault-url-template`, `--arm-url` override
/// where they are; the token resources stay the cloud's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceConfig {
    pub key_vault: KeyVaultConfig,
    pub arm: ArmConfig,
}

impl ResourceConfig {
    pub fn for_cloud(cloud: Cloud) -> Self {
        Self {
            key_vault: KeyVaultConfig::for_cloud(cloud),
            arm: ArmConfig::for_cloud(cloud),
        }
    }
}

impl SessionConfig {
    /// The emulated tenant with `extra_apps` generated apps added to its seed.
    pub fn sandbox(extra_apps: usize) -> Self {
        Self {
            sandbox: Some(SandboxSession {
                extra_apps,
                ..SandboxSession::default()
            }),
            ..Self::default()
        }
    }
}

/// The in-process emulated tenant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SandboxSession {
    /// Generated app registrations added to the seed tenant.
    pub extra_apps: usize,
    /// A tenant file to serve instead of the built-in seed.
    pub tenant_file: Option<std::path::PathBuf>,
    /// Hold every addPassword reply this long after the secret is created (a test knob).
    pub add_password_delay: std::time::Duration,
    /// Create the secret, then answer addPassword with this status (a test knob).
    pub add_password_status: Option<u16>,
    /// A new secret is refused by client credentials (AADSTS7000215) this long after its
    /// creation, as Entra does while it replicates (to see the sign-in check wait).
    pub propagation_delay: std::time::Duration,
}

/// How to sign in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInConfig {
    /// One method, or `None` for the automatic order.
    pub method: Option<Method>,
    /// A tenant GUID, a domain, or `organizations`.
    pub tenant: Option<String>,
    /// The public client for device-code sign-in (default: Microsoft Graph Command Line Tools).
    pub client_id: Option<String>,
}

pub struct Session {
    pub client: GraphClient,
    pub endpoints: Endpoints,
    pub source: SourceKind,
    /// Kept alive for the session's lifetime.
    pub sandbox: Option<RunningSandbox>,
    /// Who signed in and how, as far as is known before calling Graph.
    pub sign_in: SignIn,
    /// The sign-in's credentials, for any resource.
    credentials: Arc<dyn TokenSource>,
    resources: ResourceConfig,
}

/// What the chosen source knows about the sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignIn {
    pub source: SourceKind,
    /// The service principal's `AZURE_CLIENT_ID`, or the device-code public client.
    pub client_id: Option<String>,
    /// The tenant asked for (`--tenant`), or the one the Azure CLI reported.
    pub tenant: Option<String>,
    /// Why earlier sources in the automatic order were passed over (for the log and the UI).
    pub skipped: Vec<String>,
}

/// Hooks the caller supplies; the defaults suit the command line.
#[derive(Clone, Default)]
pub struct SignInOptions {
    /// Where the device-code prompt goes. Default: printed to stderr.
    pub device_prompt: Option<PromptSink>,
    /// The refresh-token cache. Default: the user's cache directory.
    pub cache: Option<TokenCache>,
}

/// A source and what it knows.
struct Credentials {
    source: Arc<dyn TokenSource>,
    sign_in: SignIn,
}

/// Why a session could not start.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The configuration cannot sign in (nothing was tried).
    #[error(transparent)]
    SignInConfig(#[from] SignInConfigError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Sandbox(#[from] sandbox::SandboxError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// A ready token (`AZSECRETS_ACCESS_TOKEN`) is for one tenant: it cannot switch.
    #[error(
        "a ready token (AZSECRETS_ACCESS_TOKEN) is for one tenant: sign in another way to switch tenants"
    )]
    OneTenant,
}

impl Session {
    /// Build the session. With a sandbox configured this starts the emulator on 127.0.0.1.
    pub async fn start(config: &SessionConfig) -> Result<Self, SessionError> {
        Self::start_with(config, SignInOptions::default()).await
    }

    /// [`Session::start`] with the caller's device-code prompt and cache (the TUI's screen).
    pub async fn start_with(
        config: &SessionConfig,
        options: SignInOptions,
    ) -> Result<Self, SessionError> {
        Self::start_in(config, options, &ProcessEnv).await
    }

    /// [`Session::start_with`] in a given environment (tests).
    pub async fn start_in(
        config: &SessionConfig,
        options: SignInOptions,
        env: &dyn SignInEnv,
    ) -> Result<Self, SessionError> {
        let mut choice = sign_in::choose(config, env)?;
        // Only the Azure CLI is asked for a token here (running az is the only way to know it is
        // signed in, and the token is kept); when it cannot sign in, the choice's fallback is
        // built instead, with the reason as a note. The other sources are asked on the first
        // Graph call.
        loop {
            let built = match &choice.source {
                Chosen::Sandbox(sb) => {
                    let mut s = Self::start_sandbox(sb).await?;
                    // `--tenant` picks one of the sandbox's tenants, as it picks a real one.
                    if let Some(t) = config.sign_in.tenant.as_deref()
                        && s.sign_in
                            .tenant
                            .as_deref()
                            .is_some_and(|h| !h.eq_ignore_ascii_case(t))
                    {
                        s.client = s.graph_client_in(t)?;
                        s.sign_in.tenant = Some(t.to_owned());
                    }
                    return Ok(s);
                }
                Chosen::StaticToken(token) => Ok(Credentials {
                    source: StaticToken::new(token.clone(), SourceKind::StaticToken),
                    sign_in: SignIn {
                        source: SourceKind::StaticToken,
                        client_id: None,
                        tenant: None,
                        skipped: Vec::new(),
                    },
                }),
                Chosen::ServicePrincipal {
                    tenant,
                    client_id,
                    secret,
                } => service_principal(&config.endpoints, tenant, client_id, secret.clone()),
                Chosen::AzureCli { program, tenant } => {
                    azure_cli(&config.endpoints, program, tenant.clone()).await
                }
                Chosen::DeviceCode { tenant, client_id } => device(
                    &config.endpoints,
                    tenant,
                    client_id,
                    &options,
                    &choice.notes,
                )
                .map_err(SessionError::from),
            };
            match built {
                Ok(mut creds) => {
                    creds.sign_in.skipped = choice.notes;
                    let endpoints = config.endpoints.clone();
                    let client = GraphClient::new(endpoints.graph.clone(), creds.source.clone())?;
                    return Ok(Self {
                        client,
                        endpoints,
                        source: creds.sign_in.source,
                        sandbox: None,
                        sign_in: creds.sign_in,
                        credentials: creds.source,
                        resources: config.resources.clone(),
                    });
                }
                // Not signed in (or az failed): a reason to try the next source, said on the way.
                Err(SessionError::Auth(e)) => match choice.after_failure(e.to_string()) {
                    Some(next) => choice = next,
                    None => return Err(SessionError::Auth(e)),
                },
                Err(e) => return Err(e),
            }
        }
    }

    async fn start_sandbox(config: &SandboxSession) -> Result<Self, SessionError> {
        let running = sandbox::start(SandboxConfig {
            extra_apps: config.extra_apps,
            tenant_file: config.tenant_file.clone(),
            add_password_delay: config.add_password_delay,
            add_password_status: config.add_password_status,
            propagation_delay: config.propagation_delay,
            // The in-process token is a static one that cannot refresh: make it outlive
            // any session (the sandbox itself still expires tokens as Graph would).
            token_lifetime: std::time::Duration::from_secs(30 * 86_400),
            ..SandboxConfig::default()
        })
        .await?;
        let endpoints = Endpoints {
            graph: running.graph_url.clone(),
            login: running.login_url.clone(),
        };
        let home = running.tenant_id.clone();
        let creds = StaticToken::new(running.access_token.clone(), SourceKind::Sandbox);
        let client = GraphClient::new(endpoints.graph.clone(), creds.clone())?;
        let sign_in = SignIn {
            source: SourceKind::Sandbox,
            client_id: None,
            tenant: Some(running.tenant_id.clone()),
            skipped: Vec::new(),
        };
        // Key Vault and ARM tokens come from real refresh grants against the sandbox's login
        // endpoint, starting from a refresh token it hands out (as a device-code sign-in would
        // leave one); Graph keeps the ready token.
        let endpoint = TokenEndpoint::new(&endpoints.login, &running.tenant_id)?;
        let refresh = running
            .control()
            .issue_refresh_token(crate::auth::DEFAULT_PUBLIC_CLIENT_ID);
        let others = DeviceCode::new(
            endpoint,
            crate::auth::DEFAULT_PUBLIC_CLIENT_ID,
            device_code::scopes_for(endpoints.graph.as_str()),
            // Never shown: the refresh token is valid for the session's lifetime.
            Arc::new(|_| {}),
        )
        .with_refresh_token(refresh);
        let resources = ResourceConfig {
            key_vault: KeyVaultConfig {
                url_template: VaultUrlTemplate::parse(&running.vault_url_template)
                    .map_err(|e| sandbox::SandboxError::Seed(e.to_string()))?,
                resource: crate::auth::Cloud::Public.key_vault_resource(),
            },
            arm: ArmConfig::for_cloud(Cloud::Public).with_url(running.arm_url.clone()),
        };
        Ok(Self {
            client,
            endpoints,
            source: SourceKind::Sandbox,
            sandbox: Some(running),
            sign_in,
            credentials: Arc::new(SandboxCredentials {
                graph: creds,
                others,
                home,
            }),
            resources,
        })
    }

    /// The sign-in's credentials: Graph tokens, and through
    /// [`TokenSource::token_for`] tokens for Key Vault and Resource Manager.
    pub fn credentials(&self) -> Arc<dyn TokenSource> {
        self.credentials.clone()
    }

    /// Where Key Vault and Resource Manager are for this session.
    pub fn resources(&self) -> &ResourceConfig {
        &self.resources
    }

    /// A Key Vault client on the session's credentials.
    pub fn key_vault(&self) -> Result<KeyVaultClient, KeyVaultError> {
        KeyVaultClient::new(self.resources.key_vault.clone(), self.credentials())
    }

    /// A Resource Manager client on the session's credentials.
    pub fn arm(&self) -> Result<ArmClient, ArmError> {
        ArmClient::new(self.resources.arm.clone(), self.credentials())
    }

    /// The tenants this sign-in can switch to ([`crate::tenants`]): Resource Manager's list, or
    /// the Azure CLI's accounts when signed in with az.
    pub async fn tenants(&self) -> Result<crate::tenants::Tenants, crate::tenants::TenantsError> {
        let arm = self.arm()?;
        let az = (self.source == SourceKind::AzureCli)
            .then(crate::auth::azure_cli::find_az)
            .flatten();
        crate::tenants::list(&arm, az.as_deref()).await
    }

    /// A Graph client signed in to `tenant` with the same sign-in (a refresh grant against the
    /// tenant's authority, `az --tenant`, client credentials there; a device code when the
    /// tenant asks for a new sign-in). `--tenant` does the same at start.
    pub fn graph_client_in(&self, tenant: &str) -> Result<GraphClient, SessionError> {
        Ok(GraphClient::new(
            self.endpoints.graph.clone(),
            self.credentials_in(tenant)?,
        )?)
    }

    /// The session's sign-in, asking every resource's tokens of `tenant`.
    fn credentials_in(&self, tenant: &str) -> Result<Arc<dyn TokenSource>, SessionError> {
        if self.source == SourceKind::StaticToken {
            return Err(SessionError::OneTenant);
        }
        Ok(Arc::new(InTenant {
            inner: self.credentials.clone(),
            request: crate::auth::TokenRequest::new(crate::auth::Resource::graph(&self.endpoints))
                .in_tenant(tenant),
        }))
    }

    /// Key Vault and Resource Manager clients signed in to `tenant` (after a switch, the vaults
    /// and subscriptions there), with the same sign-in as [`Session::graph_client_in`].
    pub fn key_vault_and_arm_in(&self, tenant: &str) -> Result<TenantResources, SessionError> {
        let scoped = self.credentials_in(tenant)?;
        Ok((
            KeyVaultClient::new(self.resources.key_vault.clone(), scoped.clone()),
            ArmClient::new(self.resources.arm.clone(), scoped),
        ))
    }

    /// A check that `application` signs in with a new secret, in `tenant` (a GUID or domain:
    /// the tenant the app lives in, e.g. [`Identity::tenant_id`]), through the session's login
    /// endpoint, for the session's Graph.
    pub fn verifier(
        &self,
        tenant: &str,
        application: &ApplicationId,
    ) -> Result<Verifier, VerifyError> {
        Verifier::new(
            &self.endpoints.login,
            tenant,
            application,
            &self.endpoints.graph_default_scope(),
        )
    }

    /// Tenant and identity for the header and `whoami`: `/organization`, and `/me` unless the
    /// token is app-only (a service principal has no `/me`, contract section 7).
    pub async fn identity(&self) -> Result<Identity, GraphError> {
        let org = self.client.organization().await?;
        let default_domain = org
            .verified_domains
            .iter()
            .find(|d| d.is_default == Some(true))
            .map(|d| d.name.clone());
        let principal = if self.source.is_app_only() {
            Principal::ServicePrincipal {
                client_id: self.sign_in.client_id.clone(),
            }
        } else {
            match self.client.me().await {
                Ok(me) => Principal::User {
                    id: me.id,
                    display_name: me.display_name,
                    user_principal_name: me.user_principal_name.or(me.mail),
                },
                // A ready token may be app-only: Graph answers /me with 400 BadRequest
                // "/me request is only valid with delegated authentication flow".
                Err(e) if e.status() == Some(400) => Principal::ServicePrincipal {
                    client_id: self.sign_in.client_id.clone(),
                },
                Err(e) => return Err(e),
            }
        };
        Ok(Identity {
            tenant_id: org.id.to_string(),
            tenant_name: org.display_name,
            default_domain,
            principal,
            source: self.source,
        })
    }
}

/// A sign-in's credentials, with every Graph token from one tenant (after a tenant switch).
/// Key Vault and Resource Manager clients of another tenant ([`Session::key_vault_and_arm_in`]).
pub type TenantResources = (
    Result<KeyVaultClient, KeyVaultError>,
    Result<ArmClient, ArmError>,
);

struct InTenant {
    inner: Arc<dyn TokenSource>,
    request: crate::auth::TokenRequest,
}

impl TokenSource for InTenant {
    fn token(
        &self,
        force_refresh: bool,
    ) -> futures::future::BoxFuture<'_, Result<crate::auth::AccessToken, AuthError>> {
        self.inner.token_for(&self.request, force_refresh)
    }

    fn token_for<'a>(
        &'a self,
        request: &'a crate::auth::TokenRequest,
        force_refresh: bool,
    ) -> futures::future::BoxFuture<'a, Result<crate::auth::AccessToken, AuthError>> {
        if request.tenant.is_none() {
            // Other resources of the switched-to tenant, too.
            let scoped = request
                .clone()
                .in_tenant(self.request.tenant.clone().unwrap_or_default());
            return Box::pin(async move { self.inner.token_for(&scoped, force_refresh).await });
        }
        self.inner.token_for(request, force_refresh)
    }

    fn kind(&self) -> SourceKind {
        self.inner.kind()
    }

    fn client_id(&self) -> Option<&str> {
        self.inner.client_id()
    }
}

/// The in-process sandbox's credentials: the ready token for Graph, refresh grants for the rest.
struct SandboxCredentials {
    graph: Arc<StaticToken>,
    others: DeviceCode,
    /// The sandbox's own tenant (the ready token's).
    home: String,
}

impl TokenSource for SandboxCredentials {
    fn token(
        &self,
        force_refresh: bool,
    ) -> futures::future::BoxFuture<'_, Result<crate::auth::AccessToken, AuthError>> {
        self.graph.token(force_refresh)
    }

    fn token_for<'a>(
        &'a self,
        request: &'a crate::auth::TokenRequest,
        force_refresh: bool,
    ) -> futures::future::BoxFuture<'a, Result<crate::auth::AccessToken, AuthError>> {
        // The ready token is the sandbox tenant's; another tenant's comes from a refresh grant
        // against that tenant's authority, as a real sign-in's would.
        if request.resource.kind() == crate::auth::ResourceKind::Graph
            && request
                .tenant
                .as_deref()
                .is_none_or(|t| t.eq_ignore_ascii_case(&self.home))
        {
            return self.graph.token(force_refresh);
        }
        self.others.token_for(request, force_refresh)
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Sandbox
    }
}

/// The tenant and who is signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub tenant_id: String,
    pub tenant_name: Option<String>,
    pub default_domain: Option<String>,
    pub principal: Principal,
    pub source: SourceKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Principal {
    #[serde(rename_all = "camelCase")]
    User {
        id: String,
        display_name: Option<String>,
        user_principal_name: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    ServicePrincipal { client_id: Option<String> },
}

impl Principal {
    /// "Adele Vance (AdeleV@contoso.onmicrosoft.com)" or the app-only sentence.
    pub fn describe(&self) -> String {
        match self {
            Principal::User {
                id,
                display_name,
                user_principal_name,
            } => match (display_name, user_principal_name) {
                (Some(n), Some(u)) => format!("{n} ({u})"),
                (Some(n), None) => n.clone(),
                (None, Some(u)) => u.clone(),
                (None, None) => format!("user {id}"),
            },
            Principal::ServicePrincipal { client_id } => format!(
                "service principal {} (app-only: no /me, Owned tab hidden)",
                client_id.as_deref().unwrap_or("(client id unknown)")
            ),
        }
    }

    /// Whether "Owned applications" (`/me/ownedObjects`) can work.
    pub fn can_list_owned(&self) -> bool {
        matches!(self, Principal::User { .. })
    }
}

fn service_principal(
    endpoints: &Endpoints,
    tenant: &str,
    client_id: &str,
    secret: secrecy::SecretString,
) -> Result<Credentials, SessionError> {
    let endpoint = TokenEndpoint::new(&endpoints.login, tenant)?;
    let source =
        ClientCredentials::new(endpoint, client_id, secret, endpoints.graph_default_scope())?;
    Ok(Credentials {
        source: Arc::new(source),
        sign_in: SignIn {
            source: SourceKind::ServicePrincipal,
            client_id: Some(client_id.to_owned()),
            tenant: Some(tenant.to_owned()),
            skipped: Vec::new(),
        },
    })
}

async fn azure_cli(
    endpoints: &Endpoints,
    program: &std::path::Path,
    tenant: Option<String>,
) -> Result<Credentials, SessionError> {
    let cli = AzureCli::with_program(program, tenant.clone(), endpoints);
    // Ask for a token now: it is how we learn whether az is signed in, and the token is kept.
    cli.token(false).await?;
    let tenant = cli.tenant_id().or(tenant);
    Ok(Credentials {
        source: Arc::new(cli),
        sign_in: SignIn {
            source: SourceKind::AzureCli,
            client_id: None,
            tenant,
            skipped: Vec::new(),
        },
    })
}

fn device(
    endpoints: &Endpoints,
    tenant: &str,
    client_id: &str,
    options: &SignInOptions,
    notes: &[String],
) -> Result<Credentials, AuthError> {
    for n in notes {
        tracing::info!(reason = %n, "sign-in source passed over");
    }
    let endpoint = TokenEndpoint::new(&endpoints.login, tenant)?;
    let prompt = options
        .device_prompt
        .clone()
        .unwrap_or_else(|| device_code::stderr_prompt_with_notes(notes.to_vec()));
    let mut source = DeviceCode::new(
        endpoint,
        client_id.to_owned(),
        device_code::scopes_for(endpoints.graph.as_str()),
        prompt,
    );
    let cache = match &options.cache {
        Some(c) => Some(c.clone()),
        None => TokenCache::default_location()
            .inspect_err(|e| tracing::warn!(error = %e, "no sign-in cache: each run signs in anew"))
            .ok(),
    };
    if let Some(cache) = cache {
        source = source.with_cache(
            cache,
            CacheKey {
                login: endpoints.login.to_string(),
                graph: endpoints.graph.to_string(),
                tenant: tenant.to_ascii_lowercase(),
                client_id: client_id.to_owned(),
            },
        );
    }
    Ok(Credentials {
        source: Arc::new(source),
        sign_in: SignIn {
            source: SourceKind::DeviceCode,
            client_id: Some(client_id.to_owned()),
            tenant: Some(tenant.to_owned()),
            skipped: Vec::new(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No variables, no az: only what the configuration says.
    struct Bare;
    impl SignInEnv for Bare {
        fn var(&self, _: &str) -> Option<String> {
            None
        }
        fn az_program(&self) -> Option<std::path::PathBuf> {
            None
        }
    }

    #[tokio::test]
    async fn device_code_is_built_for_the_configured_cloud_without_a_request() {
        let dir = tempfile::tempdir().unwrap();
        let config = SessionConfig {
            endpoints: Endpoints::for_cloud(Cloud::Usgov),
            ..SessionConfig::default()
        };
        let options = SignInOptions {
            cache: Some(TokenCache::at(dir.path().join("c.json"))),
            ..SignInOptions::default()
        };
        let s = Session::start_in(&config, options, &Bare).await.unwrap();
        assert_eq!(s.source, SourceKind::DeviceCode);
        assert_eq!(s.sign_in.tenant.as_deref(), Some("organizations"));
        assert_eq!(
            s.sign_in.client_id.as_deref(),
            Some(crate::auth::DEFAULT_PUBLIC_CLIENT_ID)
        );
        assert_eq!(
            s.endpoints.login.as_str(),
            "https://login.microsoftonline.us/"
        );
        assert!(!dir.path().join("c.json").exists(), "nothing asked yet");
    }

    #[tokio::test]
    async fn a_forced_source_that_cannot_work_is_a_config_error() {
        let config = SessionConfig {
            sign_in: SignInConfig {
                method: Some(Method::Token),
                ..SignInConfig::default()
            },
            ..SessionConfig::default()
        };
        match Session::start_in(&config, SignInOptions::default(), &Bare).await {
            Err(SessionError::SignInConfig(SignInConfigError::TokenMissing)) => {}
            Err(e) => panic!("{e}"),
            Ok(s) => panic!("chose {:?}", s.source),
        }
    }

    #[test]
    fn principal_descriptions() {
        let sp = Principal::ServicePrincipal {
            client_id: Some("abc".into()),
        };
        assert_eq!(
            sp.describe(),
            "service principal abc (app-only: no /me, Owned tab hidden)"
        );
        assert!(!sp.can_list_owned());
        let u = Principal::User {
            id: "1".into(),
            display_name: Some("Adele Vance".into()),
            user_principal_name: Some("AdeleV@contoso.onmicrosoft.com".into()),
        };
        assert_eq!(u.describe(), "Adele Vance (AdeleV@contoso.onmicrosoft.com)");
        assert!(u.can_list_owned());
    }
}
