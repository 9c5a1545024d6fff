//! `azsecrets secrets list|add|remove`: the scripting twin of the Client secrets tab.
//!
//! Each command checks everything it can before signing in, so bad input changes nothing and
//! costs nothing. `add` checks its destination before the secret exists, creates it through the
//! journaled transaction (`crate::create`) with Ctrl-C, SIGTERM and SIGHUP caught (Graph gets a
//! few seconds to answer, and a secret whose value would reach nobody is deleted again), and
//! deletes it again when the hand-off fails or cannot be confirmed. What it prints says what
//! exists in the tenant afterwards.

use std::io::{BufRead, IsTerminal, Write};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;

use crate::catalog::{CredRow, RowId};
use crate::create::{self, AddError, AddPlan, Added, Interruption, Settled};
use crate::expiry::{self, Lifetime, Status};
use crate::graph::{
    AppRegistration, ClientSecret, GraphClient, GraphError, RemoveOutcome, ScanEvent, ScanOptions,
    SecretId, TenantId, is_guid,
};
use crate::handoff::{self, Clipboard, ClipboardMode, CopyReport, EnvBlock, HandoffError};
use crate::journal::{AppRef, Journal, OpId};
use crate::new_secret::{InvalidRequest, NewSecretRequest};
use crate::session::{Session, SessionConfig};

use super::args::{Destination, KeyIdPrefix};
use super::output::{self, Col, StreamTable, note, quote};
use super::resolve;
use super::{CliError, ExitCode, ListSort, OutputFormat, SecretsCommand, Settings};

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
            sort,
            output,
        } => {
            let session = Session::start(session).await?;
            let client = output::observed(session.client.clone());
            let request = ListRequest {
                app,
                expiring_within,
                check,
                sort,
                format: output,
                concurrency: settings.list_concurrency,
            };
            list(&client, request).await
        }
        SecretsCommand::Add {
            app,
            description,
            expires,
            to,
            force,
            output,
        } => {
            let description = description.unwrap_or_default();
            // Checked now so a bad description fails before signing in; built again with the
            // clock of the moment it is sent.
            new_request(&description, expires)?;
            refuse_read_only(settings)?;
            if to == Destination::Clipboard && settings.clipboard == ClipboardMode::None {
                return Err(CliError::usage(
                    "--to clipboard with --clipboard none: the value could go nowhere; nothing was created",
                ));
            }
            if force && !matches!(to, Destination::EnvFile(_)) {
                return Err(CliError::usage(
                    "--force applies only to --to env-file:PATH",
                ));
            }
            let journal = Journal::default_location().map_err(journal_error)?;
            let session = Session::start(session).await?;
            let request = AddRequest {
                app,
                description,
                expires,
                to,
                force,
                output,
            };
            add(&session.client, &journal, settings, request).await
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
    fn build(app: &AppBrief, s: &CredRow, now: DateTime<Utc>) -> Self {
        Self {
            app_name: app.name.to_string(),
            app_id: app.app_id.to_string(),
            object_id: app.object_id.to_string(),
            description: s.description.as_deref().map(str::to_owned),
            secret_id: s.key_id.to_string(),
            hint: s.hint.as_deref().map(str::to_owned),
            start_date_time: s.start.map(|d| d.to_rfc3339()),
            end_date_time: s.end.map(|d| d.to_rfc3339()),
            days_left: s.end.map(|d| expiry::days_left(d, now)),
            status: s.end.map(|d| Status::of(d, now)),
            long_lived: s.end.is_some_and(|e| expiry::is_long_lived(s.start, e)),
        }
    }

    fn cells(&self) -> Vec<String> {
        let status = match (self.status, self.long_lived) {
            (Some(s), true) => format!("{} long-lived", s.label()),
            (Some(s), false) => s.label().to_owned(),
            (None, _) => "-".to_owned(),
        };
        vec![
            crate::sanitize::name(Some(&self.app_name)).into_owned(),
            self.description.clone().unwrap_or_else(|| "-".into()),
            self.secret_id.chars().take(8).collect(),
            format!("{}*****", self.hint.as_deref().unwrap_or("")),
            self.end_date_time
                .as_deref()
                .map(|d| d.chars().take(10).collect())
                .unwrap_or_else(|| "-".into()),
            self.days_left
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into()),
            status,
        ]
    }
}

/// `secrets list` as asked.
struct ListRequest {
    app: Option<String>,
    expiring_within: Option<Lifetime>,
    check: bool,
    sort: Option<ListSort>,
    format: OutputFormat,
    concurrency: usize,
}

/// An app as a secret row names it (held once per app while sorting).
struct AppBrief {
    name: Box<str>,
    app_id: RowId,
    object_id: RowId,
}

impl AppBrief {
    fn of(a: &AppRegistration) -> Self {
        Self {
            name: a.display_name.as_str().into(),
            app_id: RowId::new(a.app_id.as_str()),
            object_id: RowId::new(a.id.as_str()),
        }
    }
}

const SECRET_HEADERS: [&str; 7] = [
    "APP",
    "DESCRIPTION",
    "SECRET ID",
    "VALUE",
    "EXPIRES",
    "DAYS",
    "STATUS",
];
const SECRET_KINDS: [Col; 3] = [Col::Name, Col::Name, Col::Id];

/// Where secret rows go: streamed JSON or table, or held (compact) for sorting by expiry.
enum Rows {
    Json {
        first: bool,
    },
    Table(StreamTable),
    Sorted {
        apps: Vec<AppBrief>,
        kept: Vec<(u32, CredRow)>,
    },
}

impl Rows {
    fn new(format: OutputFormat, sorted: bool) -> Result<Self, CliError> {
        Ok(match (sorted, format) {
            (true, _) => Rows::Sorted {
                apps: Vec::new(),
                kept: Vec::new(),
            },
            (false, OutputFormat::Json) => {
                output::emit(b"[")?;
                Rows::Json { first: true }
            }
            (false, OutputFormat::Table) => Rows::Table(StreamTable::new(
                &SECRET_HEADERS,
                &SECRET_KINDS,
                output::width(),
            )),
        })
    }

    /// One app's kept secrets.
    fn push(
        &mut self,
        app: AppBrief,
        secrets: Vec<CredRow>,
        now: DateTime<Utc>,
    ) -> Result<(), CliError> {
        if secrets.is_empty() {
            return Ok(());
        }
        match self {
            Rows::Sorted { apps, kept } => {
                let i = u32::try_from(apps.len()).unwrap_or(u32::MAX);
                apps.push(app);
                kept.extend(secrets.into_iter().map(|c| (i, c)));
                Ok(())
            }
            Rows::Json { first } => {
                let rows: Vec<SecretRow> = secrets
                    .iter()
                    .map(|c| SecretRow::build(&app, c, now))
                    .collect();
                json_rows(&rows, first)
            }
            Rows::Table(t) => {
                let rows: Vec<Vec<String>> = secrets
                    .iter()
                    .map(|c| SecretRow::build(&app, c, now).cells())
                    .collect();
                t.push(&rows)
            }
        }
    }

    /// Write what is held (soonest expiry first) and close the output.
    fn finish(self, format: OutputFormat, now: DateTime<Utc>) -> Result<(), CliError> {
        match self {
            Rows::Json { first } => output::emit(if first { b"]\n" } else { b"\n]\n" }),
            Rows::Table(t) => t.finish().map(|_| ()),
            Rows::Sorted { apps, mut kept } => {
                let name = |i: u32| apps.get(i as usize).map_or("", |a| &a.name);
                kept.sort_by(|(ia, a), (ib, b)| {
                    let end = |c: &CredRow| c.end.unwrap_or(DateTime::<Utc>::MAX_UTC);
                    end(a).cmp(&end(b)).then_with(|| name(*ia).cmp(name(*ib)))
                });
                let mut out = Rows::new(format, false)?;
                for chunk in kept.chunks(1000) {
                    match &mut out {
                        Rows::Json { first } => {
                            let rows: Vec<SecretRow> = chunk
                                .iter()
                                .filter_map(|(i, c)| {
                                    apps.get(*i as usize).map(|a| SecretRow::build(a, c, now))
                                })
                                .collect();
                            json_rows(&rows, first)?;
                        }
                        Rows::Table(t) => {
                            let rows: Vec<Vec<String>> = chunk
                                .iter()
                                .filter_map(|(i, c)| {
                                    apps.get(*i as usize)
                                        .map(|a| SecretRow::build(a, c, now).cells())
                                })
                                .collect();
                            t.push(&rows)?;
                        }
                        Rows::Sorted { .. } => {}
                    }
                }
                out.finish(format, now)
            }
        }
    }
}

/// Rows as elements of the pretty JSON array, written as they come (the same text as
/// pretty-printing the whole array).
fn json_rows(rows: &[SecretRow], first: &mut bool) -> Result<(), CliError> {
    let mut buf = String::new();
    for r in rows {
        let text = crate::sanitize::json_pretty(r)
            .map_err(|e| CliError::new(ExitCode::Failure, e.to_string()))?;
        buf.push_str(if *first { "\n  " } else { ",\n  " });
        *first = false;
        // JSON strings hold no raw line break: indenting by lines is safe.
        buf.push_str(&text.replace('\n', "\n  "));
    }
    output::emit(buf.as_bytes())
}

async fn list(client: &GraphClient, req: ListRequest) -> Result<ExitCode, CliError> {
    let now = Utc::now();
    // --check alone watches the 30-day band.
    let watched = req
        .expiring_within
        .or(req.check.then_some(Lifetime::Days(30)));
    let window = watched
        .map(|l| l.end_from(now))
        .transpose()
        .map_err(|e| CliError::usage(format!("--expiring-within: {e}")))?;
    // One app's secrets are few: sorted by default. Tenant-wide they stream.
    let sort = req.sort.unwrap_or(if req.app.is_some() {
        ListSort::Expiry
    } else {
        ListSort::Listing
    });
    let mut rows = Rows::new(req.format, sort != ListSort::Listing)?;
    let (mut apps_seen, mut secrets, mut flagged, mut skipped) = (0usize, 0usize, 0usize, 0usize);
    // A reader that stopped early (`| head`) does not change what --check finds: the listing
    // goes on, unwritten.
    let mut closed = false;
    let mut take = |a: &AppRegistration, rows: &mut Rows| -> Result<(), CliError> {
        apps_seen += 1;
        let kept: Vec<CredRow> = a
            .password_credentials
            .iter()
            .filter(|s| {
                let end = s.end_date_time.unwrap_or(DateTime::<Utc>::MAX_UTC);
                window.is_none_or(|w| end <= w)
            })
            .map(CredRow::of_secret)
            .collect();
        secrets += kept.len();
        if window.is_some() {
            flagged += kept.len();
        }
        if closed {
            return Ok(());
        }
        keep_checking(rows.push(AppBrief::of(a), kept, now), &mut closed)
    };
    match &req.app {
        Some(a) => {
            let app = resolve::app(client, a).await?;
            take(&app, &mut rows)?;
        }
        None => {
            let opts = ScanOptions {
                concurrency: req.concurrency,
                ..ScanOptions::default()
            };
            let mut events = client.scan_applications(&opts);
            while let Some(e) = events.next().await {
                if let ScanEvent::Apps { items, skipped: s } = e? {
                    skipped += s;
                    for a in &items {
                        take(a, &mut rows)?;
                    }
                }
            }
        }
    }
    if !closed {
        keep_checking(rows.finish(req.format, now), &mut closed)?;
    }
    if req.format == OutputFormat::Table {
        note(&format!(
            "{secrets} secret(s) in {apps_seen} app(s){}",
            match req.expiring_within {
                Some(w) => format!(", expired or expiring within {w}"),
                None => String::new(),
            }
        ));
    }
    // An unreadable record is not a finding: --check judges what could be read, and says so.
    if skipped > 0 {
        note(&output::skipped_warning(skipped, "app registration"));
    }
    if req.check && flagged > 0 {
        note(&format!(
            "check failed: {flagged} secret(s) expired or expiring within {}",
            watched.unwrap_or(Lifetime::Days(30))
        ));
        return Ok(ExitCode::CheckFailed);
    }
    Ok(ExitCode::Ok)
}

/// A write that failed because the reader went away (`| head`) is not an error here: it ends
/// the output, and the command goes on to its verdict.
fn keep_checking(r: Result<(), CliError>, closed: &mut bool) -> Result<(), CliError> {
    match r {
        Err(e) if e.code == ExitCode::Ok && e.message.is_empty() => {
            *closed = true;
            Ok(())
        }
        other => other,
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
    /// Replace another app's values in the `.env` file.
    force: bool,
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
    journal: &Journal,
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
    // The destination refuses now, before a secret exists, if it would refuse later.
    if let Destination::EnvFile(path) = &req.to {
        handoff::check_env_file(path, app.app_id.as_str(), &tenant_id, req.force)
            .map_err(env_file_refusal)?;
    }
    let request = new_request(&req.description, req.expires)?;
    if req.expires == Lifetime::Never {
        note(
            "warning: 'never' expiring secrets (2299-12-31) are no longer offered by the portal and tenant policy may refuse them",
        );
    }
    let plan = AddPlan {
        tenant: Some(TenantId::new(tenant_id.clone())),
        app: AppRef {
            object_id: app.id.clone(),
            app_id: app.app_id.clone(),
            name: app.display_name.clone(),
        },
        request: request.to_graph(),
        destination: match req.to {
            Destination::Clipboard => "clipboard",
            Destination::EnvFile(_) => "env-file",
            Destination::Stdout => "stdout",
        },
    };
    let mut signals = Signals::new();
    let added = match create::add(client, journal, &plan, signals.next()).await {
        Ok(a) => a,
        Err(e) => return Err(add_failure(e, &app, signals.caught)),
    };
    let Added { op, secret } = added;
    let meta = &secret.metadata;
    let value = &secret.secret_text;
    let undo = Undo {
        client,
        journal,
        op: &op,
        app: &app,
        key: &meta.key_id,
    };

    // Hand the value off; if that fails, nobody has the value, so the secret is useless:
    // delete it again rather than leave an orphan.
    let destination = match &req.to {
        Destination::Stdout => {
            // The value itself (table mode) or the JSON that carries it: either way, if it
            // cannot be written nobody has it, so it is undone before the hand-off is recorded.
            let written = match req.output {
                OutputFormat::Table => {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{}", value.expose()).and_then(|()| out.flush())
                }
                OutputFormat::Json => {
                    let text = added_json(&app, &tenant_id, meta, "stdout", Some(value))?;
                    crate::console::out_line(&text)
                }
            };
            if let Err(e) = written {
                // The value went nowhere: the same as a failed hand-off.
                return Err(undo
                    .run(format!("could not write the value to stdout: {e}"))
                    .await);
            }
            "stdout".to_owned()
        }
        Destination::Clipboard => {
            let copied =
                Clipboard::new(settings.clipboard, settings.clipboard_timeout).copy_secret(value);
            match copied {
                Ok(report) if report.confirmed => report.status,
                Ok(report) => match confirm_paste(&report, &mut signals).await {
                    Paste::Arrived => {
                        "sent to the terminal clipboard (OSC 52); you confirmed the paste"
                            .to_owned()
                    }
                    Paste::NotConfirmed(why) => {
                        return Err(undo.run(why).await.with_advice(
                            "Use --to env-file:PATH or --to stdout, or run it where the copy can be confirmed (a desktop clipboard, or tmux with `set -g set-clipboard on`).",
                        ));
                    }
                    Paste::Interrupted(signal) => {
                        let e = undo
                            .run(format!(
                                "interrupted ({signal}) before the paste was confirmed"
                            ))
                            .await;
                        return Err(CliError {
                            code: ExitCode::Interrupted,
                            ..e
                        });
                    }
                },
                Err(e) => {
                    let why = clipboard_failure(&e, settings.clipboard);
                    return Err(undo.run(why).await.with_advice(
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
            match handoff::write_env_file(path, &block, req.force) {
                Ok(report) => {
                    if let Some(w) = &report.git_warning {
                        note(&format!("warning: {w}"));
                    }
                    if report.mode & 0o077 != 0 {
                        note(&format!(
                            "note: {} kept its mode {:04o}: others than you can read it",
                            report.path.display(),
                            report.mode
                        ));
                    }
                    format!(
                        "written to {} (mode {:04o})",
                        report.path.display(),
                        report.mode
                    )
                }
                Err(e) => return Err(undo.run(e.to_string()).await),
            }
        }
    };
    if let Err(e) = create::handed_off(journal, &op).await {
        note(&format!(
            "warning: could not record the hand-off in the journal ({e}); if `azsecrets recover` later offers to delete Secret ID {}, keep it",
            meta.key_id
        ));
    }
    let end_s = meta.end_date_time.map(|d| d.to_rfc3339());
    match req.output {
        // With --to stdout the JSON went out with the value, above.
        OutputFormat::Json if req.to == Destination::Stdout => {}
        // The value already went where it was sent; the JSON is a receipt.
        OutputFormat::Json => {
            let text = added_json(&app, &tenant_id, meta, &destination, None)?;
            if let Err(e) = crate::console::out_line(&text) {
                tracing::info!(error = %e, "the receipt could not be written to stdout");
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

/// `secrets add --output json`: what was created and where it went (the value only with
/// `--to stdout`).
fn added_json(
    app: &AppRegistration,
    tenant_id: &str,
    meta: &ClientSecret,
    destination: &str,
    value: Option<&crate::secret::SecretValue>,
) -> Result<String, CliError> {
    let json = AddedJson {
        app_name: &app.display_name,
        app_id: app.app_id.as_str(),
        object_id: app.id.as_str(),
        tenant_id,
        description: meta.display_name.as_deref(),
        secret_id: meta.key_id.as_str(),
        hint: meta.hint.as_deref(),
        start_date_time: meta.start_date_time.map(|d| d.to_rfc3339()),
        end_date_time: meta.end_date_time.map(|d| d.to_rfc3339()),
        destination: destination.to_owned(),
        secret_text: value.map(|v| v.expose()),
    };
    crate::sanitize::json_pretty(&json).map_err(|e| CliError::new(ExitCode::Failure, e.to_string()))
}

/// The journal could not be found or used: nothing was created.
fn journal_error(e: crate::journal::JournalError) -> CliError {
    CliError::new(ExitCode::Failure, format!("{e}; nothing was created")).with_advice(
        "azsecrets records every new secret in its journal first, so none is ever lost: set XDG_STATE_HOME (or HOME) to a folder you can write to.",
    )
}

/// A destination that refuses before the secret exists: nothing was created.
fn env_file_refusal(e: HandoffError) -> CliError {
    match e {
        HandoffError::EnvConflict { .. } => CliError::new(
            ExitCode::Usage,
            format!("{e}; nothing was created"),
        )
        .with_advice(
            "Give another --to env-file:PATH, or --force to replace that app's values in this file.",
        ),
        other => CliError::new(ExitCode::Failure, format!("{other}; nothing was created")),
    }
}

/// The add did not end in a secret to hand off: what exists now, and what to do.
fn add_failure(e: AddError, app: &AppRegistration, signal: Option<&'static str>) -> CliError {
    let settled = match &e {
        AddError::Journal(j) => {
            return CliError::new(ExitCode::Failure, e.to_string())
                .with_advice(format!("Fix the journal's folder ({j}), then try again."));
        }
        AddError::Refused(_) => {
            let AddError::Refused(g) = e else {
                return CliError::new(ExitCode::Failure, "refused");
            };
            return g.into();
        }
        AddError::Lost { settled, .. } => settled,
    };
    let advice = match settled {
        Settled::NothingCreated | Settled::RolledBack(_) => "It is safe to try again.".to_owned(),
        Settled::Orphaned { secret, .. } => format!(
            "Delete it: azsecrets secrets remove --app {} --key-id {} --yes (azsecrets recover finds it too).",
            app.app_id, secret.key_id
        ),
        Settled::Unverified { .. } | Settled::NotYetSeen | Settled::Ambiguous(_) => {
            "Run `azsecrets recover` in a moment: it reads the app back and deletes a secret nobody holds.".to_owned()
        }
    };
    let (code, message) = match (&e, signal) {
        (
            AddError::Lost {
                cause: Interruption::Cancelled,
                ..
            },
            Some(sig),
        ) => (ExitCode::Interrupted, format!("{sig}: {e}")),
        (
            AddError::Lost {
                cause: Interruption::Cancelled,
                ..
            },
            None,
        ) => (ExitCode::Interrupted, e.to_string()),
        _ => (ExitCode::Graph, e.to_string()),
    };
    let message = match e.graph().and_then(GraphError::request_id) {
        Some(id) => format!("{message} (request-id {id})"),
        None => message,
    };
    CliError::new(code, message).with_advice(advice)
}

/// Deleting a new secret whose value reached nobody, and saying so.
struct Undo<'a> {
    client: &'a GraphClient,
    journal: &'a Journal,
    op: &'a OpId,
    app: &'a AppRegistration,
    key: &'a SecretId,
}

impl Undo<'_> {
    async fn run(&self, why: String) -> CliError {
        let key = self.key;
        match create::roll_back(self.client, self.journal, self.op, &self.app.id, key).await {
            Ok(_) => CliError::new(
                ExitCode::Failure,
                format!(
                    "{why}; the new secret (Secret ID {key}) was deleted again because its value reached nobody. Nothing of it remains."
                ),
            ),
            Err(e) => CliError::new(
                ExitCode::Failure,
                format!(
                    "{why}; the new secret (Secret ID {key}) reached nobody and deleting it failed too ({e}): it is still in the tenant."
                ),
            )
            .with_advice(format!(
                "Delete it: azsecrets secrets remove --app {} --key-id {key} --yes (azsecrets recover finds it too).",
                self.app.app_id
            )),
        }
    }
}

/// How an unconfirmed copy ended.
enum Paste {
    Arrived,
    NotConfirmed(String),
    Interrupted(&'static str),
}

/// A copy nothing confirms (OSC 52): ask the person at the terminal whether the paste worked;
/// without one, it does not count.
async fn confirm_paste(report: &CopyReport, signals: &mut Signals) -> Paste {
    use std::io::IsTerminal as _;
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Paste::NotConfirmed(format!(
            "{} — and with no terminal to ask, the copy cannot be confirmed",
            report.status
        ));
    }
    crate::console::err(&format!(
        "{}.\nPaste it somewhere to check: did it arrive? [y/N] ",
        report.status
    ));
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        line
    });
    tokio::select! {
        line = answer => match line {
            Ok(l) if matches!(l.trim().to_ascii_lowercase().as_str(), "y" | "yes") => Paste::Arrived,
            _ => Paste::NotConfirmed("you did not confirm that the copy arrived".into()),
        },
        () = signals.next() => Paste::Interrupted(signals.caught.unwrap_or("a signal")),
    }
}

/// Ctrl-C, SIGTERM, SIGHUP and SIGQUIT while a secret is being created or handed off: caught
/// (so the command can settle what exists and say so) instead of ending the process.
struct Signals {
    #[cfg(unix)]
    kinds: Vec<(tokio::signal::unix::Signal, &'static str)>,
    /// The first signal caught.
    caught: Option<&'static str>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let kinds = [
                (SignalKind::interrupt(), "SIGINT"),
                (SignalKind::terminate(), "SIGTERM"),
                (SignalKind::hangup(), "SIGHUP"),
                (SignalKind::quit(), "SIGQUIT"),
            ]
            .into_iter()
            .filter_map(|(k, name)| signal(k).ok().map(|s| (s, name)))
            .collect();
            Self {
                kinds,
                caught: None,
            }
        }
        #[cfg(not(unix))]
        Self { caught: None }
    }

    /// The next signal (forever pending when none can be caught).
    async fn next(&mut self) {
        #[cfg(unix)]
        {
            if self.kinds.is_empty() {
                return std::future::pending().await;
            }
            let waits = self.kinds.iter_mut().map(|(s, name)| {
                Box::pin(async move {
                    s.recv().await;
                    *name
                })
            });
            let (name, _, _) = futures::future::select_all(waits).await;
            tracing::info!(signal = name, "signal caught while adding a secret");
            self.caught.get_or_insert(name);
        }
        #[cfg(not(unix))]
        std::future::pending().await
    }
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
        (
            HandoffError::Copy(_) | HandoffError::EnvFile { .. } | HandoffError::EnvConflict { .. },
            _,
        ) => e.to_string(),
    }
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
