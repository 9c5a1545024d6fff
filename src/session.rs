//! A session: the Graph client with its credentials, built from the global flags, plus the
//! in-process sandbox when `--sandbox` is set (kept alive as long as the session).
//!
//! Sign-in order when `--auth` is not given (PRODUCT.md "Sign-in"): `--sandbox` →
//! `AZSECRETS_ACCESS_TOKEN` → service principal from `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` +
//! `AZURE_CLIENT_SECRET` → Azure CLI (installed and signed in) → device code. `--auth` forces one
//! and fails with a message that says what is missing.

use std::sync::Arc;

use secrecy::SecretString;
use serde::Serialize;

use crate::auth::azure_cli::{AzCliError, AzureCli};
use crate::auth::device_code::{self, DeviceCode, PromptSink};
use crate::auth::endpoints::{Endpoints, parse_endpoint};
use crate::auth::token_endpoint::TokenEndpoint;
use crate::auth::{
    AuthError, CacheKey, ClientCredentials, DEFAULT_PUBLIC_CLIENT_ID, SourceKind, StaticToken,
    TokenCache, TokenSource,
};
use crate::cli::{AuthMethod, GlobalArgs};
use crate::graph::{GraphClient, GraphError, is_guid};
use crate::sandbox::{self, RunningSandbox, SandboxConfig};

pub struct Session {
    pub client: GraphClient,
    pub endpoints: Endpoints,
    pub source: SourceKind,
    /// Kept alive for the session's lifetime.
    pub sandbox: Option<RunningSandbox>,
    /// Who signed in and how, as far as is known before calling Graph.
    pub sign_in: SignIn,
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
pub struct Credentials {
    pub source: Arc<dyn TokenSource>,
    pub sign_in: SignIn,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("{0}")]
    Endpoint(#[from] crate::auth::endpoints::EndpointError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Sandbox(#[from] sandbox::SandboxError),
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
}

impl Session {
    /// Build the session. With `--sandbox` this starts the emulator on 127.0.0.1.
    pub async fn start(global: &GlobalArgs) -> Result<Self, SessionError> {
        Self::start_with(global, SignInOptions::default()).await
    }

    /// [`Session::start`] with the caller's device-code prompt and cache (the TUI's screen).
    pub async fn start_with(
        global: &GlobalArgs,
        options: SignInOptions,
    ) -> Result<Self, SessionError> {
        if global.sandbox {
            let running = sandbox::start(SandboxConfig {
                extra_apps: global.sandbox_apps.unwrap_or(0),
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
            let creds = StaticToken::new(running.access_token.clone(), SourceKind::Sandbox);
            let client = GraphClient::new(endpoints.graph.clone(), creds)?;
            let sign_in = SignIn {
                source: SourceKind::Sandbox,
                client_id: None,
                tenant: Some(running.tenant_id.clone()),
                skipped: Vec::new(),
            };
            return Ok(Self {
                client,
                endpoints,
                source: SourceKind::Sandbox,
                sandbox: Some(running),
                sign_in,
            });
        }
        let endpoints = endpoints(global)?;
        let creds = credentials(global, &endpoints, options).await?;
        let source = creds.sign_in.source;
        let client = GraphClient::new(endpoints.graph.clone(), creds.source)?;
        Ok(Self {
            client,
            endpoints,
            source,
            sandbox: None,
            sign_in: creds.sign_in,
        })
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

pub fn endpoints(global: &GlobalArgs) -> Result<Endpoints, SessionError> {
    let mut e = Endpoints::for_cloud(global.cloud);
    if let Some(g) = &global.graph_url {
        e.graph = parse_endpoint(g)?;
    }
    if let Some(l) = &global.login_url {
        e.login = parse_endpoint(l)?;
    }
    Ok(e)
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Pick the credential source: forced by `--auth`, else the first available in PRODUCT.md's
/// order. Only the Azure CLI is tried here (running az is the only way to know it is signed in);
/// the others are asked for a token on the first Graph call.
pub async fn credentials(
    global: &GlobalArgs,
    endpoints: &Endpoints,
    options: SignInOptions,
) -> Result<Credentials, SessionError> {
    let mut skipped = Vec::new();
    match global.auth {
        Some(AuthMethod::Token) => {
            return static_token().ok_or_else(|| {
                AuthError::Config("--auth token needs AZSECRETS_ACCESS_TOKEN to be set".into())
                    .into()
            });
        }
        Some(AuthMethod::Env) => return service_principal(global, endpoints),
        Some(AuthMethod::Cli) => return azure_cli(global, endpoints, skipped).await,
        Some(AuthMethod::Device) => return device(global, endpoints, options, skipped),
        None => {}
    }

    if let Some(c) = static_token() {
        return Ok(c);
    }
    let sp_vars = [
        ("AZURE_CLIENT_ID", env_nonempty("AZURE_CLIENT_ID").is_some()),
        (
            "AZURE_CLIENT_SECRET",
            env_nonempty("AZURE_CLIENT_SECRET").is_some(),
        ),
        ("AZURE_TENANT_ID", sp_tenant(global).is_some()),
    ];
    if sp_vars.iter().all(|(_, set)| *set) {
        return service_principal(global, endpoints);
    }
    if sp_vars[1].1 {
        // A secret without the rest is a half-configured service principal: say why it is
        // not used rather than silently signing in as someone else.
        let missing: Vec<&str> = sp_vars
            .iter()
            .filter(|(_, set)| !*set)
            .map(|(n, _)| *n)
            .collect();
        skipped.push(format!(
            "service principal not used: AZURE_CLIENT_SECRET is set but {} {} not",
            missing.join(" and "),
            if missing.len() == 1 { "is" } else { "are" }
        ));
    }

    if crate::auth::azure_cli::find_az().is_none() {
        // Not worth a note on screen: most device-code users simply do not use az.
        tracing::info!("Azure CLI not on PATH");
    } else {
        match azure_cli(global, endpoints, Vec::new()).await {
            Ok(mut c) => {
                skipped.append(&mut c.sign_in.skipped);
                c.sign_in.skipped = skipped;
                return Ok(c);
            }
            Err(SessionError::Auth(e)) => skipped.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    device(global, endpoints, options, skipped)
}

fn static_token() -> Option<Credentials> {
    env_nonempty("AZSECRETS_ACCESS_TOKEN").map(|t| Credentials {
        source: StaticToken::new(SecretString::from(t), SourceKind::StaticToken),
        sign_in: SignIn {
            source: SourceKind::StaticToken,
            client_id: None,
            tenant: None,
            skipped: Vec::new(),
        },
    })
}

fn sp_tenant(global: &GlobalArgs) -> Option<String> {
    global
        .tenant
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| env_nonempty("AZURE_TENANT_ID"))
}

fn service_principal(
    global: &GlobalArgs,
    endpoints: &Endpoints,
) -> Result<Credentials, SessionError> {
    let tenant = sp_tenant(global);
    let client_id = env_nonempty("AZURE_CLIENT_ID");
    let secret = env_nonempty("AZURE_CLIENT_SECRET");
    let (Some(tenant), Some(client_id), Some(secret)) = (tenant, client_id, secret) else {
        let missing: Vec<&str> = [
            ("AZURE_TENANT_ID (or --tenant)", sp_tenant(global).is_none()),
            ("AZURE_CLIENT_ID", env_nonempty("AZURE_CLIENT_ID").is_none()),
            (
                "AZURE_CLIENT_SECRET",
                env_nonempty("AZURE_CLIENT_SECRET").is_none(),
            ),
        ]
        .iter()
        .filter(|(_, m)| *m)
        .map(|(n, _)| *n)
        .collect();
        return Err(AuthError::Config(format!(
            "--auth env needs {} to be set",
            missing.join(", ")
        ))
        .into());
    };
    let endpoint = TokenEndpoint::new(&endpoints.login, tenant.trim())?;
    let source = ClientCredentials::new(
        endpoint,
        client_id.trim(),
        SecretString::from(secret),
        endpoints.graph_default_scope(),
    )?;
    Ok(Credentials {
        source: Arc::new(source),
        sign_in: SignIn {
            source: SourceKind::ServicePrincipal,
            client_id: Some(client_id.trim().to_owned()),
            tenant: Some(tenant.trim().to_owned()),
            skipped: Vec::new(),
        },
    })
}

async fn azure_cli(
    global: &GlobalArgs,
    endpoints: &Endpoints,
    skipped: Vec<String>,
) -> Result<Credentials, SessionError> {
    if let Some(t) = &global.tenant
        && !crate::auth::token_endpoint::valid_tenant(t.trim())
    {
        return Err(AuthError::Config(format!(
            "'{t}' is not a valid tenant: give a tenant GUID or a domain such as contoso.onmicrosoft.com"
        ))
        .into());
    }
    let tenant = global.tenant.as_ref().map(|t| t.trim().to_owned());
    let cli = AzureCli::from_path(tenant, endpoints).map_err(AuthError::from)?;
    // Ask for a token now: it is how we learn whether az is signed in, and the token is kept.
    cli.token(false).await?;
    let tenant = cli.tenant_id().or_else(|| global.tenant.clone());
    Ok(Credentials {
        source: Arc::new(cli),
        sign_in: SignIn {
            source: SourceKind::AzureCli,
            client_id: None,
            tenant,
            skipped,
        },
    })
}

fn device(
    global: &GlobalArgs,
    endpoints: &Endpoints,
    options: SignInOptions,
    skipped: Vec<String>,
) -> Result<Credentials, SessionError> {
    for s in &skipped {
        tracing::info!(reason = %s, "sign-in source passed over");
    }
    let tenant = global
        .tenant
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| "organizations".to_owned());
    let tenant = tenant.trim().to_owned();
    let client_id = global
        .client_id
        .clone()
        .unwrap_or_else(|| DEFAULT_PUBLIC_CLIENT_ID.to_owned());
    let client_id = client_id.trim().to_ascii_lowercase();
    if !is_guid(&client_id) {
        return Err(AuthError::Config(format!(
            "--client-id '{client_id}' is not an Application (client) ID: expected a GUID"
        ))
        .into());
    }
    let endpoint = TokenEndpoint::new(&endpoints.login, &tenant)?;
    let prompt = options
        .device_prompt
        .unwrap_or_else(|| device_code::stderr_prompt_with_notes(skipped.clone()));
    let mut source = DeviceCode::new(
        endpoint,
        client_id.clone(),
        device_code::scopes_for(endpoints.graph.as_str()),
        prompt,
    );
    let cache = match options.cache {
        Some(c) => Some(c),
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
                client_id: client_id.clone(),
            },
        );
    }
    Ok(Credentials {
        source: Arc::new(source),
        sign_in: SignIn {
            source: SourceKind::DeviceCode,
            client_id: Some(client_id),
            tenant: Some(tenant),
            skipped,
        },
    })
}

impl From<AzCliError> for SessionError {
    fn from(e: AzCliError) -> Self {
        SessionError::Auth(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(args: &[&str]) -> GlobalArgs {
        use clap::Parser;
        let mut argv = vec!["azsecrets"];
        argv.extend_from_slice(args);
        argv.push("whoami");
        crate::cli::Cli::try_parse_from(argv).unwrap().global
    }

    async fn forced_error(args: &[&str]) -> String {
        let g = global(args);
        let e = endpoints(&g).unwrap();
        match credentials(&g, &e, SignInOptions::default()).await {
            Ok(c) => panic!("{args:?} chose {:?}", c.sign_in.source),
            Err(e) => e.to_string(),
        }
    }

    #[tokio::test]
    async fn forced_sources_refuse_bad_flags_before_any_request() {
        let m = forced_error(&["--auth", "device", "--client-id", "my-app"]).await;
        assert!(m.contains("expected a GUID"), "{m}");
        let m = forced_error(&["--auth", "device", "--tenant", "a/b"]).await;
        assert!(m.contains("not a valid tenant"), "{m}");
        let m = forced_error(&["--auth", "cli", "--tenant=--output"]).await;
        assert!(m.contains("not a valid tenant"), "{m}");
    }

    #[tokio::test]
    async fn device_code_defaults_to_organizations_and_the_public_client() {
        let dir = tempfile::tempdir().unwrap();
        let g = global(&["--auth", "device", "--cloud", "usgov"]);
        let e = endpoints(&g).unwrap();
        let c = credentials(
            &g,
            &e,
            SignInOptions {
                cache: Some(TokenCache::at(dir.path().join("c.json"))),
                ..SignInOptions::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(c.sign_in.source, SourceKind::DeviceCode);
        assert_eq!(c.sign_in.tenant.as_deref(), Some("organizations"));
        assert_eq!(
            c.sign_in.client_id.as_deref(),
            Some(DEFAULT_PUBLIC_CLIENT_ID)
        );
        assert_eq!(c.source.client_id(), Some(DEFAULT_PUBLIC_CLIENT_ID));
        assert_eq!(e.login.as_str(), "https://login.microsoftonline.us/");
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
