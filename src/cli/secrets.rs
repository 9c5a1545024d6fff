//! `azsecrets secrets list|add|remove`: the scripting twin of the Client secrets tab.
//!
//! Each command checks everything it can before signing in, so bad input changes nothing and
//! costs nothing.

use std::io::{BufRead, IsTerminal, Write};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::expiry::{self, Lifetime, Status};
use crate::graph::{
    AppQuery, AppRegistration, ClientSecret, GraphClient, RemoveOutcome, SecretId, is_guid,
};
use crate::handoff::{self, Clipboard, ClipboardMode, EnvBlock, HandoffError};
use crate::new_secret::{InvalidRequest, NewSecretRequest};
use crate::session::{Session, SessionConfig};

use super::args::{Destination, KeyIdPrefix};
use super::output::{self, Col, note, quote};
use super::resolve;
use super::{CliError, ExitCode, OutputFormat, SecretsCommand, Settings};

pub async fn run(
    cmd: SecretsCommand,
    session: &SessionConfig,
    settings: Settings,
) -> Result<ExitCode, CliError> {
    match cmd {
        SecretsCommand::List {
            app,
            expiring_within,
            check,
            output,
        } => {
            let session = Session::start(session).await?;
            let client = output::observed(session.client.clone());
            list(&client, app, expiring_within, check, output).await
        }
        SecretsCommand::Add {
            app,
            description,
            expires,
            to,
            output,
        } => {
            let description = description.unwrap_or_default();
            // Checked now so a bad description fails before signing in; built again with the
            // clock of the moment it is sent.
            new_request(&description, expires)?;
            refuse_read_only(settings)?;
            let session = Session::start(session).await?;
            let request = AddRequest {
                app,
                description,
                expires,
                to,
                output,
            };
            add(&session.client, settings, request).await
        }
        SecretsCommand::Remove { app, key_id, yes } => {
            refuse_read_only(settings)?;
            let session = Session::start(session).await?;
            remove(&session.client, &app, &key_id, yes).await
        }
    }
}

fn refuse_read_only(settings: Settings) -> Result<(), CliError> {
    if settings.read_only {
        Err(CliError::usage(
            "--read-only is set: this command would change the tenant",
        ))
    } else {
        Ok(())
    }
}

/// The validated request, its failure worded with the flag at fault.
fn new_request(description: &str, expires: Lifetime) -> Result<NewSecretRequest, CliError> {
    NewSecretRequest::new(description, expires, Utc::now()).map_err(|e| match e {
        InvalidRequest::DescriptionTooLong { .. } => CliError::usage(format!("--description: {e}")),
        InvalidRequest::StartInPast(_) | InvalidRequest::Lifetime(_) => {
            CliError::usage(format!("--expires: {e}"))
        }
    })
}

/// One row of `secrets list --output json` (stable; documented in the README).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretRow {
    pub app_name: String,
    pub app_id: String,
    pub object_id: String,
    pub description: Option<String>,
    pub secret_id: String,
    pub hint: Option<String>,
    pub start_date_time: Option<String>,
    pub end_date_time: Option<String>,
    pub days_left: Option<i64>,
    #[serde(serialize_with = "status_key")]
    pub status: Option<Status>,
    pub long_lived: bool,
}

impl SecretRow {
    fn new(app: &AppRegistration, s: &ClientSecret, now: DateTime<Utc>) -> Self {
        Self {
            app_name: app.display_name.clone(),
            app_id: app.app_id.to_string(),
            object_id: app.id.to_string(),
            description: s.description(),
            secret_id: s.key_id.to_string(),
            hint: s.hint.clone(),
            start_date_time: s.start_date_time.map(|d| d.to_rfc3339()),
            end_date_time: s.end_date_time.map(|d| d.to_rfc3339()),
            days_left: s.end_date_time.map(|d| expiry::days_left(d, now)),
            status: s.end_date_time.map(|d| Status::of(d, now)),
            long_lived: s
                .end_date_time
                .is_some_and(|e| expiry::is_long_lived(s.start_date_time, e)),
        }
    }
}

async fn list(
    client: &GraphClient,
    app: Option<String>,
    expiring_within: Option<Lifetime>,
    check: bool,
    format: OutputFormat,
) -> Result<ExitCode, CliError> {
    let now = Utc::now();
    // --check alone watches the 30-day band.
    let watched = expiring_within.or(check.then_some(Lifetime::Days(30)));
    let window = watched
        .map(|l| l.end_from(now))
        .transpose()
        .map_err(|e| CliError::usage(format!("--expiring-within: {e}")))?;
    let (apps, skipped) = match app {
        Some(a) => (vec![resolve::app(client, &a).await?], 0),
        None => {
            let listing = client.collect_applications(&AppQuery::default()).await?;
            (listing.items, listing.skipped)
        }
    };
    let mut rows: Vec<(DateTime<Utc>, SecretRow)> = apps
        .iter()
        .flat_map(|a| {
            a.password_credentials.iter().map(move |s| {
                (
                    s.end_date_time.unwrap_or(DateTime::<Utc>::MAX_UTC),
                    SecretRow::new(a, s, now),
                )
            })
        })
        .filter(|(end, _)| window.is_none_or(|w| *end <= w))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.app_name.cmp(&b.1.app_name)));
    let flagged = rows
        .iter()
        .filter(|(end, _)| window.is_some_and(|w| *end <= w))
        .count();

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        OutputFormat::Json => {
            let list: Vec<&SecretRow> = rows.iter().map(|(_, r)| r).collect();
            let text = crate::sanitize::json_pretty(&list)
                .map_err(|e| CliError::new(ExitCode::Failure, e.to_string()))?;
            keep_checking(writeln!(out, "{text}"))?;
        }
        OutputFormat::Table => {
            let table_rows: Vec<Vec<String>> = rows
                .iter()
                .map(|(_, r)| {
                    let status = match (r.status, r.long_lived) {
                        (Some(s), true) => format!("{} long-lived", s.label()),
                        (Some(s), false) => s.label().to_owned(),
                        (None, _) => "-".to_owned(),
                    };
                    vec![
                        crate::sanitize::name(Some(&r.app_name)).into_owned(),
                        r.description.clone().unwrap_or_else(|| "-".into()),
                        r.secret_id.chars().take(8).collect(),
                        format!("{}*****", r.hint.as_deref().unwrap_or("")),
                        r.end_date_time
                            .as_deref()
                            .map(|d| d.chars().take(10).collect())
                            .unwrap_or_else(|| "-".into()),
                        r.days_left
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "-".into()),
                        status,
                    ]
                })
                .collect();
            let t = output::table(
                &[
                    "APP",
                    "DESCRIPTION",
                    "SECRET ID",
                    "VALUE",
                    "EXPIRES",
                    "DAYS",
                    "STATUS",
                ],
                &table_rows,
                output::width(),
                &[Col::Name, Col::Name, Col::Id],
            );
            keep_checking(out.write_all(t.as_bytes()))?;
            note(&format!(
                "{} secret(s) in {} app(s){}",
                rows.len(),
                apps.len(),
                match expiring_within {
                    Some(w) => format!(", expired or expiring within {w}"),
                    None => String::new(),
                }
            ));
        }
    }
    keep_checking(out.flush())?;
    // An unreadable record is not a finding: --check judges what could be read, and says so.
    if skipped > 0 {
        note(&output::skipped_warning(skipped, "app registration"));
    }
    if check && flagged > 0 {
        note(&format!(
            "check failed: {flagged} secret(s) expired or expiring within {}",
            watched.unwrap_or(Lifetime::Days(30))
        ));
        return Ok(ExitCode::CheckFailed);
    }
    Ok(ExitCode::Ok)
}

/// A reader that stopped early (`| head`) does not change what `--check` found, so a closed pipe
/// is not an error here; other write failures are.
fn keep_checking(r: std::io::Result<()>) -> Result<(), CliError> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(CliError::output),
    }
}

/// JSON carries the stable machine name of the band (`within_30_days`), tables its words.
fn status_key<S: serde::Serializer>(status: &Option<Status>, s: S) -> Result<S::Ok, S::Error> {
    match status {
        Some(st) => s.serialize_str(st.key()),
        None => s.serialize_none(),
    }
}

/// `secrets add`, checked.
struct AddRequest {
    app: String,
    description: String,
    expires: Lifetime,
    to: Destination,
    output: OutputFormat,
}

/// `secrets add --output json` (the value only with `--to stdout`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AddedJson<'a> {
    app_name: &'a str,
    app_id: &'a str,
    object_id: &'a str,
    tenant_id: &'a str,
    description: Option<&'a str>,
    secret_id: &'a str,
    hint: Option<&'a str>,
    start_date_time: Option<String>,
    end_date_time: Option<String>,
    destination: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_text: Option<&'a str>,
}

async fn add(
    client: &GraphClient,
    settings: Settings,
    req: AddRequest,
) -> Result<ExitCode, CliError> {
    let app = resolve::app(client, &req.app).await?;
    let tenant_id = resolve::tenant_id(client).await?;
    if req.to == Destination::Stdout && std::io::stdout().is_terminal() {
        note(
            "warning: --to stdout prints the secret value on this terminal, where it stays in scrollback; pipe it instead",
        );
    }
    let request = new_request(&req.description, req.expires)?;
    if req.expires == Lifetime::Never {
        note(
            "warning: 'never' expiring secrets (2299-12-31) are no longer offered by the portal and tenant policy may refuse them",
        );
    }
    let created = client.add_password(&app.id, &request.to_graph()).await?;
    let meta = &created.metadata;
    let value = &created.secret_text;

    // Hand the value off; if that fails, nobody has the value, so the secret is useless:
    // remove it again rather than leave an orphan.
    let destination = match &req.to {
        Destination::Stdout => {
            let mut out = std::io::stdout().lock();
            let written = if req.output == OutputFormat::Table {
                writeln!(out, "{}", value.expose()).and_then(|()| out.flush())
            } else {
                Ok(())
            };
            if let Err(e) = written {
                // The value went nowhere: the same as a failed hand-off.
                let why = format!("could not write the value to stdout: {e}");
                return Err(roll_back(client, &app, &meta.key_id, why).await);
            }
            "stdout".to_owned()
        }
        Destination::Clipboard => {
            match Clipboard::new(settings.clipboard, settings.clipboard_timeout).copy_secret(value)
            {
                Ok(report) => report.status,
                Err(e) => {
                    let why = clipboard_failure(&e, settings.clipboard);
                    return Err(roll_back(client, &app, &meta.key_id, why)
                        .await
                        .with_advice(
                            "Use --to stdout or --to env-file:PATH, or another --clipboard mode.",
                        ));
                }
            }
        }
        Destination::EnvFile(path) => {
            let block = EnvBlock {
                client_id: app.app_id.as_str(),
                tenant_id: &tenant_id,
                secret: value,
            };
            match handoff::write_env_file(path, &block) {
                Ok(report) => {
                    if let Some(w) = &report.git_warning {
                        note(&format!("warning: {w}"));
                    }
                    format!("written to {}", report.path.display())
                }
                Err(e) => return Err(roll_back(client, &app, &meta.key_id, e.to_string()).await),
            }
        }
    };
    let end_s = meta.end_date_time.map(|d| d.to_rfc3339());
    match req.output {
        OutputFormat::Json => {
            let json = AddedJson {
                app_name: &app.display_name,
                app_id: app.app_id.as_str(),
                object_id: app.id.as_str(),
                tenant_id: &tenant_id,
                description: meta.display_name.as_deref(),
                secret_id: meta.key_id.as_str(),
                hint: meta.hint.as_deref(),
                start_date_time: meta.start_date_time.map(|d| d.to_rfc3339()),
                end_date_time: end_s.clone(),
                destination: destination.clone(),
                secret_text: (req.to == Destination::Stdout).then(|| value.expose()),
            };
            let text = crate::sanitize::json_pretty(&json)
                .map_err(|e| CliError::new(ExitCode::Failure, e.to_string()))?;
            // With --to stdout the value is in this JSON: if it cannot be written, nobody has
            // it. Otherwise the value already went where it was sent; the JSON is a receipt.
            if let Err(e) = crate::console::out_line(&text)
                && req.to == Destination::Stdout
            {
                let why = format!("could not write the value to stdout: {e}");
                return Err(roll_back(client, &app, &meta.key_id, why).await);
            }
        }
        OutputFormat::Table => {
            note(&format!(
                "Added client secret {} to '{}': Secret ID {}, value {}, expires {}; {}",
                meta.display_name
                    .as_deref()
                    .map(|d| format!("'{}'", quote(d, 80)))
                    .unwrap_or_else(|| "(no description)".into()),
                quote(&app.display_name, 80),
                meta.key_id,
                value.masked(),
                end_s.as_deref().unwrap_or("-"),
                destination
            ));
        }
    }
    Ok(ExitCode::Ok)
}

/// A failed copy in the command line's words. The hand-off layer's own reason is written for
/// the terminal UI (it names the UI's keys), so it goes to the log and the words come from the
/// mode the user chose.
fn clipboard_failure(e: &HandoffError, mode: ClipboardMode) -> String {
    tracing::info!(error = %e, "clipboard hand-off failed");
    match (e, mode) {
        (HandoffError::NoClipboard { .. }, ClipboardMode::None) => {
            "the clipboard is turned off (--clipboard none)".to_owned()
        }
        (HandoffError::NoClipboard { .. }, ClipboardMode::Native) => {
            "the desktop clipboard is not available here (no display, or it refused)".to_owned()
        }
        (HandoffError::NoClipboard { .. }, _) => {
            "no clipboard is available here: no working display, and no terminal to send OSC 52 to"
                .to_owned()
        }
        (HandoffError::Copy(_) | HandoffError::EnvFile { .. }, _) => e.to_string(),
    }
}

async fn roll_back(
    client: &GraphClient,
    app: &AppRegistration,
    key_id: &SecretId,
    why: String,
) -> CliError {
    match client.remove_password(&app.id, key_id).await {
        Ok(_) => CliError::new(
            ExitCode::Failure,
            format!(
                "{why}; the new secret (Secret ID {key_id}) was deleted again because its value could not be handed off. Nothing changed."
            ),
        ),
        Err(e) => CliError::new(
            ExitCode::Failure,
            format!(
                "{why}; the new secret (Secret ID {key_id}) could not be handed off and deleting it failed too ({e}). Delete it: azsecrets secrets remove --app {} --key-id {key_id}",
                app.app_id
            ),
        ),
    }
}

async fn remove(
    client: &GraphClient,
    app: &str,
    key_id: &KeyIdPrefix,
    yes: bool,
) -> Result<ExitCode, CliError> {
    let key = key_id.0.clone();
    let app = resolve::app(client, app).await?;
    let found: Vec<&ClientSecret> = app
        .password_credentials
        .iter()
        .filter(|s| s.key_id.as_str().to_ascii_lowercase().starts_with(&key))
        .collect();
    let secret = match found.as_slice() {
        [one] => Some(*one),
        [] if is_guid(&key) => None,
        [] => {
            return Err(CliError::new(
                ExitCode::NotFound,
                format!(
                    "'{}' has no client secret whose Secret ID starts with {key}",
                    quote(&app.display_name, 80)
                ),
            ));
        }
        _ => {
            return Err(CliError::new(
                ExitCode::Usage,
                format!(
                    "{key} matches several Secret IDs on '{}': give more characters",
                    quote(&app.display_name, 80)
                ),
            ));
        }
    };
    let key_id = secret
        .map(|s| s.key_id.clone())
        .unwrap_or_else(|| SecretId::new(key.clone()));
    if let Some(s) = secret
        && !yes
    {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Err(CliError::new(
                ExitCode::Usage,
                "refusing to delete without --yes: no terminal to confirm on",
            ));
        }
        // The description and name are the tenant's: cleaned and cut, so they can neither
        // rewrite this prompt nor push it off the screen.
        crate::console::err(&format!(
            "Delete client secret {} (Secret ID {}, expires {}) from '{}'?\nApps using it will stop signing in. Type 'yes' to delete: ",
            s.description()
                .map(|d| format!("'{}'", quote(&d, 80)))
                .unwrap_or_else(|| "(no description)".into()),
            crate::sanitize::clean(s.key_id.as_str()),
            s.end_date_time
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "-".into()),
            quote(&app.display_name, 80)
        ));
        let mut answer = String::new();
        let _ = stdin.lock().read_line(&mut answer);
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            note("Not deleted.");
            return Ok(ExitCode::Failure);
        }
    }
    match client.remove_password(&app.id, &key_id).await? {
        RemoveOutcome::Removed => note(&format!(
            "Deleted client secret {key_id} from '{}'.",
            quote(&app.display_name, 80)
        )),
        RemoveOutcome::AlreadyGone => note(&format!(
            "Client secret {key_id} was already removed from '{}'; nothing to do.",
            quote(&app.display_name, 80)
        )),
    }
    Ok(ExitCode::Ok)
}
