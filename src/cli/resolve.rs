//! The app the user named with `--app`, through the graph client's one lookup, worded for the
//! command line.

use crate::graph::{AppLookup, AppRegistration, GraphClient, GraphError, is_guid};

use super::{CliError, ExitCode};

/// Resolve `needle` to exactly one app (see [`GraphClient::find_application`]); none, or several
/// sharing a name, is an error that says what to give instead.
pub async fn app(client: &GraphClient, needle: &str) -> Result<AppRegistration, CliError> {
    let needle = needle.trim();
    if needle.is_empty() {
        return Err(CliError::usage("--app must not be empty"));
    }
    match client.find_application(needle).await? {
        AppLookup::Found(app) => Ok(*app),
        AppLookup::NotFound if is_guid(needle) => Err(CliError::new(
            ExitCode::NotFound,
            format!("no app registration has the Application ID or Object ID {needle}"),
        )),
        AppLookup::NotFound => Err(CliError::new(
            ExitCode::NotFound,
            format!(
                "no app registration is named '{needle}' (names match exactly, ignoring case; `azsecrets apps list --filter TEXT` finds it by any part of its name)"
            ),
        )),
        AppLookup::Ambiguous(apps) => {
            let mut msg = format!(
                "{} app registrations are named '{needle}'; give the Application ID instead:",
                apps.len()
            );
            for a in &apps {
                // The names are the tenant's: one line each, whatever they hold.
                msg.push_str(&format!(
                    "\n  {}  {}",
                    a.app_id,
                    super::output::quote(&a.display_name, 100)
                ));
            }
            Err(CliError::new(ExitCode::NotFound, msg))
        }
    }
}

/// The tenant id, for env blocks and headers.
pub async fn tenant_id(client: &GraphClient) -> Result<String, GraphError> {
    Ok(client.organization().await?.id.0)
}
