//! A session: the Graph client with its credentials, built from the global flags, plus the
//! in-process sandbox when `--sandbox` is set (kept alive as long as the session).

use std::sync::Arc;

use secrecy::SecretString;

use crate::auth::endpoints::{Endpoints, parse_endpoint};
use crate::auth::{AuthError, SourceKind, StaticToken, TokenSource};
use crate::cli::{AuthMethod, GlobalArgs};
use crate::graph::GraphClient;
use crate::sandbox::{self, RunningSandbox, SandboxConfig};

pub struct Session {
    pub client: GraphClient,
    pub endpoints: Endpoints,
    pub source: SourceKind,
    /// Kept alive for the session's lifetime.
    pub sandbox: Option<RunningSandbox>,
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
        if global.sandbox {
            let running = sandbox::start(SandboxConfig {
                extra_apps: global.sandbox_apps.unwrap_or(0),
                ..SandboxConfig::default()
            })
            .await?;
            let endpoints = Endpoints {
                graph: running.graph_url.clone(),
                login: running.login_url.clone(),
            };
            let creds = StaticToken::new(running.access_token.clone(), SourceKind::Sandbox);
            let client = GraphClient::new(endpoints.graph.clone(), creds)?;
            return Ok(Self {
                client,
                endpoints,
                source: SourceKind::Sandbox,
                sandbox: Some(running),
            });
        }
        let endpoints = endpoints(global)?;
        let creds = credentials(global, &endpoints)?;
        let source = creds.kind();
        let client = GraphClient::new(endpoints.graph.clone(), creds)?;
        Ok(Self {
            client,
            endpoints,
            source,
            sandbox: None,
        })
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

/// Pick the credential source: forced by `--auth`, else the first available in PRODUCT.md's order.
pub fn credentials(
    global: &GlobalArgs,
    _endpoints: &Endpoints,
) -> Result<Arc<dyn TokenSource>, SessionError> {
    let token = || {
        env_nonempty("AZSECRETS_ACCESS_TOKEN").map(|t| {
            StaticToken::new(SecretString::from(t), SourceKind::StaticToken) as Arc<dyn TokenSource>
        })
    };
    match global.auth {
        Some(AuthMethod::Token) => token().ok_or_else(|| {
            AuthError::Config("--auth token needs AZSECRETS_ACCESS_TOKEN to be set".into()).into()
        }),
        None => token().ok_or_else(|| {
            AuthError::Config(
                "not signed in: set AZSECRETS_ACCESS_TOKEN, or use --sandbox to try azsecrets without Azure".into(),
            )
            .into()
        }),
        Some(other) => Err(AuthError::Config(format!("--auth {other:?} is not available yet")).into()),
    }
}
