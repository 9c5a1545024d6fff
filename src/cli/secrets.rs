//! `azsecrets secrets list|add|rotate|remove`: the scripting twin of the Client secrets tab.
//!
//! Each command checks everything it can before signing in, so bad input changes nothing and
//! costs nothing. `add` checks every destination before the secret exists, creates it through
//! the journaled transaction (`crate::create`) with Ctrl-C, SIGTERM and SIGHUP caught (Graph gets
//! a few seconds to answer, and a secret whose value would reach nobody is deleted again), hands
//! it to each destination and deletes it again when none took it ([`super::delivery`]);
//! `rotate` is [`super::rotate`]. What it prints says what exists in the tenant afterwards.

use std::io::{BufRead, IsTerminal, Write};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::destination::{Clients, Destination};
use crate::expiry::{self, Lifetime, Status};
use crate::graph::{AppQuery, AppRegistration, ClientSecret, GraphClient, RemoveOutcome, is_guid};
use crate::journal::Journal;
use crate::new_secret::{InvalidRequest, NewSecretRequest};
use crate::session::{Session, SessionConfig};

use super::args::KeyIdPrefix;
use super::delivery::{self, Creation, Signals};
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
            verify,
            verify_timeout,
            github_variables,
            force,
            output,
        } => {
            let description = description.unwrap_or_default();
            // Checked now so a bad description fails before signing in; built again with the
            // clock of the moment it is sent.
            new_request(&description, expires)?;
            refuse_read_only(settings)?;
            delivery::check_flags(&to, settings, force, github_variables)?;
            let journal = Journal::default_location().map_err(delivery::journal_error)?;
            let session = Session::start(session).await?;
            let clients = clients(&session, verify_timeout);
            let request = AddRequest {
                app,
                description,
                expires,
                to,
                verify,
                github_variables,
                force,
                output,
            };
            add(&session.client, &journal, &clients, settings, request).await
        }
        SecretsCommand::Rotate {
            app,
            key_id,
            description,
            expires,
            to,
            no_vault_search,
            verify,
            verify_timeout,
            delete_old,
            github_variables,
            force,
            output,
        } => {
            if let Some(d) = &description {
                new_request(d, expires)?;
            }
            refuse_read_only(settings)?;
            delivery::check_flags(&to, settings, force, github_variables)?;
            let journal = Journal::default_location().map_err(delivery::journal_error)?;
            let session = Session::start(session).await?;
            let clients = clients(&session, verify_timeout);
            let request = super::rotate::RotateRequest {
                app,
                key_id,
                description,
                expires,
                to,
                vault_search: !no_vault_search,
                verify,
                delete_old,
                github_variables,
                force,
                output,
            };
            super::rotate::run(&session.client, &journal, &clients, settings, request).await
        }
        SecretsCommand::Remove {
            app,
            key_id,
            yes,
            ignore_missing,
        } => {
            refuse_read_only(settings)?;
            let session = Session::start(session).await?;
            remove(&session.client, &app, &key_id, yes, ignore_missing).await
        }
    }
}

/// The destinations' clients, the sign-in check waiting up to `verify_timeout` seconds.
fn clients(session: &Session, verify_timeout: u64) -> Clients {
    Clients::from_session(session).with_verify_policy(crate::verify::VerifyPolicy {
        deadline: std::time::Duration::from_secs(verify_timeout),
        ..crate::verify::VerifyPolicy::default()
    })
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
pub(super) fn new_request(
    description: &str,
    expires: Lifetime,
) -> Result<NewSecretRequest, CliError> {
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
    to: Vec<Destination>,
    verify: bool,
    github_variables: bool,
    /// Replace another app's values in the `.env` file.
    force: bool,
    output: OutputFormat,
}

async fn add(
    client: &GraphClient,
    journal: &Journal,
    clients: &Clients,
    settings: Settings,
    req: AddRequest,
) -> Result<ExitCode, CliError> {
    let app = resolve::app(client, &req.app).await?;
    let tenant_id = resolve::tenant_id(client).await?;
    let creation = Creation {
        client,
        journal,
        clients,
        settings,
        app: &app,
        tenant_id: &tenant_id,
        to: req.to,
        github_variables: req.github_variables,
        force: req.force,
        output: req.output,
        verify: req.verify,
        replaces: None,
    };
    // Every destination refuses now, before a secret exists, if it would refuse later.
    delivery::check_destinations(&creation).await?;
    let request = new_request(&req.description, req.expires)?;
    if req.expires == Lifetime::Never {
        note(
            "warning: 'never' expiring secrets (2299-12-31) are no longer offered by the portal and tenant policy may refuse them",
        );
    }
    let mut signals = Signals::new();
    let created = delivery::create_and_hand_off(&creation, request, &mut signals).await?;
    delivery::receipt(&creation, &created, None)?;
    Ok(delivery::exit_code(&created))
}

async fn remove(
    client: &GraphClient,
    app: &str,
    key_id: &KeyIdPrefix,
    yes: bool,
    ignore_missing: bool,
) -> Result<ExitCode, CliError> {
    let key = key_id.0.clone();
    let app = resolve::app(client, app).await?;
    let found: Vec<&ClientSecret> = app
        .password_credentials
        .iter()
        .filter(|s| s.key_id.as_str().to_ascii_lowercase().starts_with(&key))
        .collect();
    let secret = match found.as_slice() {
        [one] => *one,
        [] if ignore_missing => {
            note(&format!(
                "'{}' has no client secret whose Secret ID is or starts with {key}; nothing to do (--ignore-missing).",
                app.display_name
            ));
            return Ok(ExitCode::Ok);
        }
        [] => {
            let what = if is_guid(&key) {
                format!("Secret ID {key}")
            } else {
                format!("a Secret ID starting with {key}")
            };
            return Err(CliError::new(
                ExitCode::NotFound,
                format!(
                    "no such secret on this app: '{}' has no client secret with {what}",
                    quote(&app.display_name, 80)
                ),
            )
            .with_advice(
                "Check the Secret ID with `azsecrets secrets list --app …` (a mistyped id deletes nothing); --ignore-missing makes a missing one a success.",
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
    let key_id = secret.key_id.clone();
    if !yes {
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
            secret
                .description()
                .map(|d| format!("'{}'", quote(&d, 80)))
                .unwrap_or_else(|| "(no description)".into()),
            crate::sanitize::clean(secret.key_id.as_str()),
            secret
                .end_date_time
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
        // It was listed a moment ago: someone else removed it meanwhile.
        RemoveOutcome::AlreadyGone => note(&format!(
            "Client secret {key_id} was already removed from '{}'; nothing to do.",
            quote(&app.display_name, 80)
        )),
    }
    Ok(ExitCode::Ok)
}
