//! Finding the app the user named: an Application ID, an Object ID, or a display name.

use crate::cli::{CliError, ExitCode};
use crate::graph::{AppRegistration, ApplicationId, GraphClient, GraphError, ObjectId, is_guid};

/// Resolve `needle` to exactly one app. A GUID is tried as an Application ID, then as an Object
/// ID; anything else is an exact display name (case-insensitive), and several matches are an error
/// that lists them.
pub async fn app(client: &GraphClient, needle: &str) -> Result<AppRegistration, CliError> {
    let needle = needle.trim();
    if needle.is_empty() {
        return Err(CliError::new(ExitCode::Usage, "--app must not be empty"));
    }
    if is_guid(needle) {
        let lower = needle.to_ascii_lowercase();
        match client
            .get_application_by_app_id(&ApplicationId::new(lower.clone()))
            .await
        {
            Ok(app) => return Ok(app),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(CliError::graph(e)),
        }
        return match client.get_application(&ObjectId::new(lower)).await {
            Ok(app) => Ok(app),
            Err(e) if e.is_not_found() => Err(CliError::new(
                ExitCode::NotFound,
                format!("no app registration has the Application ID or Object ID {needle}"),
            )),
            Err(e) => Err(CliError::graph(e)),
        };
    }
    let mut matches = client
        .find_applications_by_name(needle)
        .await
        .map_err(CliError::graph)?;
    match matches.len() {
        0 => Err(CliError::new(
            ExitCode::NotFound,
            format!(
                "no app registration is named '{needle}' (names match exactly, ignoring case; `azsecrets apps list --filter` finds by prefix)"
            ),
        )),
        1 => Ok(matches.remove(0)),
        n => {
            let mut msg = format!(
                "{n} app registrations are named '{needle}'; give the Application ID instead:"
            );
            for a in &matches {
                msg.push_str(&format!("\n  {}  {}", a.app_id, a.display_name));
            }
            Err(CliError::new(ExitCode::NotFound, msg))
        }
    }
}

/// The tenant id, for env blocks and headers.
pub async fn tenant_id(client: &GraphClient) -> Result<String, GraphError> {
    Ok(client.organization().await?.id.0)
}
