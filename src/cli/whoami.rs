//! `azsecrets whoami` and `azsecrets logout`.
//!
//! `whoami` asks Graph for the tenant and the signed-in user. When the token may not read the
//! tenant (403 on `/organization`), it says what the token itself claims (tenant, app, user:
//! read from its payload, never verified and never printed whole) and names the permission it
//! lacks, and still succeeds: knowing who you are is the point of the command.

use serde::Serialize;

use crate::auth::TokenCache;
use crate::auth::cache::Removed;
use crate::graph::{GraphError, TokenClaims};
use crate::sanitize::clean;
use crate::session::{Identity, Principal, Session, SessionConfig};

use super::output::{emit, note};
use super::{CliError, ExitCode, OutputFormat};

/// `whoami --output json` (stable; documented in the README).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoamiJson<'a> {
    pub tenant: TenantJson<'a>,
    pub identity: &'a Principal,
    /// "Azure CLI", "device code", "service principal", "access token", "sandbox".
    pub source: &'static str,
    pub app_only: bool,
    /// True when Graph would not say and the fields come from the token's claims.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub from_token: bool,
    /// The permission the token lacks to read the tenant (only when `fromToken`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_permission: Option<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantJson<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub default_domain: Option<&'a str>,
}

pub fn render_text(id: &Identity) -> String {
    let mut s = format!(
        "tenant: {} ({})\n",
        clean(id.tenant_name.as_deref().unwrap_or("-")),
        clean(&id.tenant_id)
    );
    s.push_str(&format!("identity: {}\n", clean(&id.principal.describe())));
    s.push_str(&format!("signed in via: {}\n", id.source.label()));
    s
}

pub fn render_json(id: &Identity) -> Result<String, serde_json::Error> {
    render_json_with(id, None)
}

fn render_json_with(
    id: &Identity,
    missing_permission: Option<&'static str>,
) -> Result<String, serde_json::Error> {
    crate::sanitize::json_pretty(&WhoamiJson {
        tenant: TenantJson {
            id: &id.tenant_id,
            name: id.tenant_name.as_deref(),
            default_domain: id.default_domain.as_deref(),
        },
        identity: &id.principal,
        source: id.source.label(),
        app_only: !id.principal.can_list_owned(),
        from_token: missing_permission.is_some(),
        missing_permission,
    })
}

pub async fn run(session: &SessionConfig, output: OutputFormat) -> Result<ExitCode, CliError> {
    let session = Session::start(session).await?;
    let (id, missing) = match session.identity().await {
        Ok(id) => (id, None),
        Err(e) if e.status() == Some(403) => from_token(&session, &e).await?,
        Err(e) => return Err(e.into()),
    };
    match output {
        OutputFormat::Table => emit(render_text(&id).as_bytes())?,
        OutputFormat::Json => {
            let s = render_json_with(&id, missing).map_err(|e| {
                CliError::new(ExitCode::Failure, format!("could not write JSON: {e}"))
            })?;
            emit(format!("{s}\n").as_bytes())?;
        }
    }
    if let Some(permission) = missing {
        note(&format!(
            "note: this sign-in may not read the tenant (Graph answered 403 to /organization): it lacks {permission}. The tenant and identity above are what the access token says about itself."
        ));
    }
    Ok(ExitCode::Ok)
}

/// What the token says when Graph refused to (`denied`, a 403), and the permission it lacks.
async fn from_token(
    session: &Session,
    denied: &GraphError,
) -> Result<(Identity, Option<&'static str>), CliError> {
    tracing::info!(error = %denied, "whoami: the tenant cannot be read; using the token's claims");
    let claims = session.client.token_claims().await?.unwrap_or_default();
    let app_only = session.source.is_app_only() || claims.is_app_only();
    let principal = if app_only {
        Principal::ServicePrincipal {
            client_id: claims
                .app_id()
                .map(str::to_owned)
                .or_else(|| session.sign_in.client_id.clone()),
        }
    } else {
        Principal::User {
            id: claims.oid.clone().unwrap_or_default(),
            display_name: claims.name.clone(),
            user_principal_name: claims.user().map(str::to_owned),
        }
    };
    let tenant_id = claims
        .tid
        .clone()
        .or_else(|| session.sign_in.tenant.clone())
        .unwrap_or_else(|| "(unknown)".to_owned());
    let missing = missing_permission(&claims, app_only);
    Ok((
        Identity {
            tenant_id,
            tenant_name: None,
            default_domain: None,
            principal,
            source: session.source,
        },
        Some(missing),
    ))
}

/// The least permission that reads `/organization` (graph-contract.md §7): an application
/// role for app-only tokens, a delegated scope for users.
fn missing_permission(claims: &TokenClaims, app_only: bool) -> &'static str {
    if !app_only {
        return "the delegated permission User.Read";
    }
    if claims.has("Directory.Read.All") || claims.has("Organization.Read.All") {
        // It holds one, yet was refused: name the usual one anyway.
        "Organization.Read.All (granted but refused: admin consent may be missing)"
    } else {
        "the application permission Organization.Read.All (or Directory.Read.All)"
    }
}

/// Remove the cached device-code sign-in from the user's cache directory.
pub fn logout() -> Result<ExitCode, CliError> {
    let cache = TokenCache::default_location()
        .map_err(|e| CliError::new(ExitCode::Failure, e.to_string()))?;
    let mut message = logout_from(&cache)?;
    // The app lists kept for quick starts are the tenant's data: they go too.
    match crate::catalog::cache::AppCache::default_location().map(|c| c.remove_all()) {
        Ok(Ok(0)) | Err(_) => {}
        Ok(Ok(n)) => message.push_str(&format!(
            "\nRemoved {n} cached app list{} (the next start lists the tenant anew).",
            if n == 1 { "" } else { "s" }
        )),
        Ok(Err(e)) => {
            return Err(CliError::new(
                ExitCode::Failure,
                format!("{message}\ncould not remove the cached app lists: {e}"),
            ));
        }
    }
    emit(format!("{message}\n").as_bytes())?;
    Ok(ExitCode::Ok)
}

/// Remove `cache` and say what was removed.
pub fn logout_from(cache: &TokenCache) -> Result<String, CliError> {
    let removed = cache.remove().map_err(|e| {
        CliError::new(
            ExitCode::Failure,
            format!("could not remove the cached sign-in: {e}"),
        )
    })?;
    Ok(match removed {
        None => format!(
            "Nothing to remove: no cached sign-in at {}.",
            cache.path().display()
        ),
        Some(Removed { path, entries }) if entries.is_empty() => {
            format!("Removed the sign-in cache {}.", path.display())
        }
        Some(Removed { path, entries }) => {
            let mut s = format!(
                "Removed {} cached sign-in{} from {}:",
                entries.len(),
                if entries.len() == 1 { "" } else { "s" },
                path.display()
            );
            for e in entries {
                s.push_str(&format!(
                    "\n  tenant {}, client {}, {}",
                    e.tenant, e.client_id, e.login
                ));
            }
            s.push_str(
                "\nTokens already issued stay valid until they expire (about an hour); the Azure CLI's own sign-in is untouched (`az logout`).",
            );
            s
        }
    })
}
