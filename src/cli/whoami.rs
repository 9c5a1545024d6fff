//! `azsecrets whoami` and `azsecrets logout`.

use serde::Serialize;

use crate::auth::TokenCache;
use crate::auth::cache::Removed;
use crate::session::{Identity, Principal, Session, SessionConfig};

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
        id.tenant_name.as_deref().unwrap_or("-"),
        id.tenant_id
    );
    s.push_str(&format!("identity: {}\n", id.principal.describe()));
    s.push_str(&format!("signed in via: {}\n", id.source.label()));
    s
}

pub fn render_json(id: &Identity) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&WhoamiJson {
        tenant: TenantJson {
            id: &id.tenant_id,
            name: id.tenant_name.as_deref(),
            default_domain: id.default_domain.as_deref(),
        },
        identity: &id.principal,
        source: id.source.label(),
        app_only: !id.principal.can_list_owned(),
    })
}

pub async fn run(session: &SessionConfig, output: OutputFormat) -> Result<ExitCode, CliError> {
    let session = Session::start(session).await?;
    let id = session.identity().await?;
    match output {
        OutputFormat::Table => print!("{}", render_text(&id)),
        OutputFormat::Json => {
            let s = render_json(&id).map_err(|e| {
                CliError::new(ExitCode::Failure, format!("could not write JSON: {e}"))
            })?;
            println!("{s}");
        }
    }
    Ok(ExitCode::Ok)
}

/// Remove the cached device-code sign-in from the user's cache directory.
pub fn logout() -> Result<ExitCode, CliError> {
    let cache = TokenCache::default_location()
        .map_err(|e| CliError::new(ExitCode::Failure, e.to_string()))?;
    let message = logout_from(&cache)?;
    println!("{message}");
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
