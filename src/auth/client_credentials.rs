//! Service principal sign-in: the client credentials grant (contract 11b) with
//! `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET` for one tenant. App-only: no refresh token, so a
//! refresh is simply a new grant. Tokens for other resources are the same grant with
//! `{resource}/.default`, from the tenant the request names (a multi-tenant app may sign in to a
//! vault's tenant) or the configured one.

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use super::resource::{ResourceKind, TokenRequest};
use super::token_endpoint::{EndpointError, TokenEndpoint, is_multi_tenant_alias};
use super::{AccessToken, AuthError, Held, HeldByRequest, SourceKind, TokenSource};

const NAME: &str = "service principal";

pub struct ClientCredentials {
    endpoint: TokenEndpoint,
    client_id: String,
    secret: SecretString,
    /// `{graph root}/.default`: app-only flows take exactly one resource's default scope.
    scope: String,
    held: Mutex<Option<Held>>,
    others: HeldByRequest,
}

impl ClientCredentials {
    pub fn new(
        endpoint: TokenEndpoint,
        client_id: impl Into<String>,
        secret: SecretString,
        scope: impl Into<String>,
    ) -> Result<Self, AuthError> {
        if is_multi_tenant_alias(endpoint.tenant()) {
            // Entra refuses it anyway (AADSTS9001023); say so before a round trip.
            return Err(AuthError::Config(format!(
                "a service principal signs in to one tenant: set AZURE_TENANT_ID (or --tenant) to the tenant's GUID or domain, not '{}'",
                endpoint.tenant()
            )));
        }
        let client_id = client_id.into();
        if client_id.trim().is_empty() {
            return Err(AuthError::Config("AZURE_CLIENT_ID is empty".into()));
        }
        Ok(Self {
            endpoint,
            client_id,
            secret,
            scope: scope.into(),
            held: Mutex::new(None),
            others: HeldByRequest::default(),
        })
    }

    async fn fetch(&self) -> Result<Held, AuthError> {
        self.grant(&self.endpoint, &self.scope).await
    }

    async fn fetch_for(&self, request: &TokenRequest) -> Result<Held, AuthError> {
        let endpoint = match request.tenant.as_deref() {
            Some(t) => self.endpoint.for_tenant(t)?,
            None => self.endpoint.clone(),
        };
        self.grant(&endpoint, &request.resource.default_scope())
            .await
    }

    async fn grant(&self, endpoint: &TokenEndpoint, scope: &str) -> Result<Held, AuthError> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("scope", scope),
            // Only ever in the form body, encoded by the form encoder.
            ("client_secret", self.secret.expose_secret()),
        ];
        let resp = endpoint.token(&form).await.map_err(explain)?;
        tracing::info!(client_id = %self.client_id, scope, "service principal token issued");
        let lifetime = resp.lifetime();
        Ok(Held::new(resp.access_token, lifetime))
    }
}

/// Plain words for the failures users actually hit (contract 11b).
fn explain(e: EndpointError) -> AuthError {
    match e {
        EndpointError::Transport(detail) => AuthError::Transport {
            source_name: NAME,
            detail,
        },
        EndpointError::OAuth {
            error,
            description,
            codes,
            ..
        } => {
            let hint = if codes.contains(&7000215) {
                " (AZURE_CLIENT_SECRET is not a valid secret of this app: check for a copy error, or that you used the value, not the Secret ID)"
            } else if codes.contains(&7000222) {
                " (AZURE_CLIENT_SECRET has expired: add a new client secret to the app)"
            } else if codes.contains(&700016) {
                " (no app with AZURE_CLIENT_ID in this tenant: check AZURE_CLIENT_ID and AZURE_TENANT_ID)"
            } else if codes.contains(&90002) {
                " (the tenant was not found: check AZURE_TENANT_ID and --cloud)"
            } else {
                ""
            };
            AuthError::Refused {
                source_name: NAME,
                error,
                description: format!("{description}{hint}"),
            }
        }
        EndpointError::Decode { .. } => AuthError::Failed {
            source_name: NAME,
            message: e.to_string(),
        },
    }
}

impl TokenSource for ClientCredentials {
    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        // A network failure is a passing reason; a refused secret is not.
        Box::pin(crate::auth::held_or_fetch(
            &self.held,
            force_refresh,
            || self.fetch(),
            |e| matches!(e, AuthError::Transport { .. }),
        ))
    }

    fn token_for<'a>(
        &'a self,
        request: &'a TokenRequest,
        force_refresh: bool,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        if request.resource.kind() == ResourceKind::Graph && request.tenant.is_none() {
            return self.token(force_refresh);
        }
        Box::pin(async move {
            let slot = self.others.slot(request);
            crate::auth::held_or_fetch(
                &slot,
                force_refresh,
                || self.fetch_for(request),
                |e| matches!(e, AuthError::Transport { .. }),
            )
            .await
        })
    }

    fn kind(&self) -> SourceKind {
        SourceKind::ServicePrincipal
    }

    fn client_id(&self) -> Option<&str> {
        Some(&self.client_id)
    }
}
