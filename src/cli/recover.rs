//! `azsecrets recover [--yes]`: the scripting twin of the start-up dialog that names secrets an
//! interrupted run left behind. It reads the journal (no sign-in when nothing is pending),
//! checks the pending creations against the tenant, lists what it finds, and deletes each one
//! (`--yes`), or asks on a terminal, and refuses without one. Also: the warning every command
//! prints while something is pending.

use std::io::{BufRead, IsTerminal};

use crate::create::{self, Choice, Orphan, Resolution};
use crate::graph::TenantId;
use crate::journal::{Entry, Journal};
use crate::session::{Session, SessionConfig};

use super::output::note;
use super::{CliError, ExitCode, Settings, resolve};

pub async fn run(
    session: &SessionConfig,
    settings: Settings,
    yes: bool,
) -> Result<ExitCode, CliError> {
    let journal =
        Journal::default_location().map_err(|e| CliError::new(ExitCode::Failure, e.to_string()))?;
    let pending = journal
        .pending()
        .map_err(|e| CliError::new(ExitCode::Failure, e.to_string()))?;
    if pending.is_empty() {
        note("Nothing to recover: no interrupted creation is pending.");
        return Ok(ExitCode::Ok);
    }
    let session = Session::start(session).await?;
    let client = &session.client;
    let tenant = TenantId::new(resolve::tenant_id(client).await?);
    let elsewhere: Vec<&Entry> = pending
        .iter()
        .filter(|e| e.intent.tenant.as_ref().is_some_and(|t| *t != tenant))
        .collect();
    if !elsewhere.is_empty() {
        let mut tenants: Vec<&str> = elsewhere
            .iter()
            .filter_map(|e| e.intent.tenant.as_ref().map(TenantId::as_str))
            .collect();
        tenants.sort_unstable();
        tenants.dedup();
        note(&format!(
            "note: {} interrupted creation(s) belong to other tenants ({}); sign in there and run `azsecrets recover` to check them.",
            elsewhere.len(),
            tenants.join(", ")
        ));
    }
    let scan = create::find_orphans(client, &journal, &tenant)
        .await
        .map_err(|e| CliError::new(ExitCode::Failure, e.to_string()))?;
    if scan.cleared > 0 {
        note(&format!(
            "{} interrupted creation(s) left nothing behind (nothing was created, or it is gone already).",
            scan.cleared
        ));
    }
    let mut code = ExitCode::Ok;
    for u in &scan.unchecked {
        note(&format!(
            "could not check an interrupted creation on '{}' ({}): {}; try again later.",
            u.app.name,
            u.description.as_deref().unwrap_or("no description"),
            u.detail
        ));
        code = ExitCode::Graph;
    }
    if scan.orphans.is_empty() {
        note("Nothing to recover: no secret nobody holds was found.");
        return Ok(code);
    }
    note(&format!(
        "{} client secret(s) were created by interrupted runs; nobody holds their values:",
        scan.orphans.len()
    ));
    for o in &scan.orphans {
        note(&describe(o));
    }
    if settings.read_only {
        return Err(CliError::usage(
            "--read-only is set: not deleting them (run again without --read-only)",
        ));
    }
    let ask = !yes;
    if ask && !std::io::stdin().is_terminal() {
        return Err(CliError::new(
            ExitCode::Usage,
            "refusing to delete without --yes: no terminal to confirm on",
        ));
    }
    for o in &scan.orphans {
        let choice = if ask { prompt(o) } else { Choice::Delete };
        match create::resolve(client, &journal, o, choice).await {
            Ok(r) => note(&resolved(o, r)),
            Err(e) => {
                note(&format!(
                    "could not resolve Secret ID {} on '{}': {e}",
                    o.secret_id, o.app.name
                ));
                code = ExitCode::Graph;
            }
        }
    }
    Ok(code)
}

/// One orphan, named in full.
fn describe(o: &Orphan) -> String {
    format!(
        "  '{}' ({}): {}, created {}, Secret ID {}, value {}*****",
        o.app.name,
        o.app.app_id,
        o.description
            .as_deref()
            .filter(|d| !d.is_empty())
            .map_or_else(|| "(no description)".to_owned(), |d| format!("'{d}'")),
        o.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
        o.secret_id,
        o.hint.as_deref().unwrap_or("")
    )
}

fn resolved(o: &Orphan, r: Resolution) -> String {
    let key = &o.secret_id;
    let app = &o.app.name;
    match r {
        Resolution::Deleted => format!("Deleted client secret {key} from '{app}'."),
        Resolution::AlreadyGone => format!("Client secret {key} was already gone from '{app}'."),
        Resolution::Kept => {
            format!("Kept client secret {key} on '{app}'; it will not be offered again.")
        }
        Resolution::AlreadyResolved => {
            format!("Client secret {key} on '{app}' was resolved by another azsecrets meanwhile.")
        }
    }
}

/// Delete (the default) or keep, asked on the terminal.
fn prompt(o: &Orphan) -> Choice {
    // The app's name is the tenant's: cleaned and cut, so it cannot rewrite this prompt.
    crate::console::err(&format!(
        "Delete client secret {} from '{}'? Nobody holds its value. [Y/n] ",
        crate::sanitize::clean(o.secret_id.as_str()),
        super::output::quote(&o.app.name, 80)
    ));
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    match answer.trim().to_ascii_lowercase().as_str() {
        "n" | "no" | "k" | "keep" => Choice::Keep,
        _ => Choice::Delete,
    }
}

/// Every command that touches a tenant warns, on stderr, while interrupted creations are
/// pending (of the tenant asked for, when it is given as a GUID). Reads only the journal: no
/// sign-in, no Graph call.
pub fn warn_pending(session: &SessionConfig) {
    let Ok(journal) = Journal::default_location() else {
        return;
    };
    let Ok(pending) = journal.pending() else {
        return;
    };
    let wanted = session
        .sign_in
        .tenant
        .as_deref()
        .and_then(|t| TenantId::parse(t).ok());
    let mine: Vec<&Entry> = pending
        .iter()
        .filter(|e| match (&wanted, &e.intent.tenant) {
            (Some(w), Some(t)) => w == t,
            _ => true,
        })
        .collect();
    if mine.is_empty() {
        return;
    }
    let named: Vec<String> = mine
        .iter()
        .take(3)
        .map(|e| {
            format!(
                "'{}' on {}",
                e.intent
                    .description
                    .as_deref()
                    .unwrap_or("(no description)"),
                e.intent.app.name
            )
        })
        .collect();
    note(&format!(
        "warning: {} client secret creation(s) were interrupted ({}{}) and may have left a secret nobody holds: run `azsecrets recover` to check and delete them.",
        mine.len(),
        named.join(", "),
        if mine.len() > 3 { ", …" } else { "" }
    ));
}
