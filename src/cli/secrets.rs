//! `azsecrets secrets list|add|rotate|remove`: the scripting twin of the Client secrets tab.
//!
//! Each command checks everything it can before signing in, so bad input changes nothing and
//! costs nothing. `add` checks every destination before the secret exists, creates it through
//! the journaled transaction (`crate::create`) with Ctrl-C, SIGTERM and SIGHUP caught (Graph gets
//! a few seconds to answer, and a secret whose value would reach nobody is deleted again), hands
//! it to each destination and deletes it again when none took it ([`super::delivery`]);
//! `rotate` is [`super::rotate`]. What it prints says what exists in the tenant afterwards.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;

use crate::catalog::{CredRow, IdStr};
use crate::destination::{Clients, Destination};
use crate::expiry::{self, Lifetime, Status};
use crate::graph::{
    AppRegistration, ClientSecret, GraphClient, RemoveOutcome, ScanEvent, ScanOptions, is_guid,
};
use crate::journal::Journal;
use crate::new_secret::{InvalidRequest, NewSecretRequest};
use crate::session::{Session, SessionConfig};

use super::args::KeyIdPrefix;
use super::delivery::{self, Creation, Signals};
use super::output::{self, Col, StreamTable, note, quote};
use super::resolve;
use super::spool::{self, Batch, Dec, Enc, Held, Loc, Pos, Spool};
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
    fn build(app: &AppFields<'_>, s: &SecretFields<'_>, now: DateTime<Utc>) -> Self {
        Self {
            app_name: app.name.to_owned(),
            app_id: app.app_id.to_string(),
            object_id: app.object_id.to_string(),
            description: s.description.map(str::to_owned),
            secret_id: s.key_id.to_string(),
            hint: s.hint.map(str::to_owned),
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

/// An app as a secret row names it: borrowed from Graph's reply or read back from the spool.
struct AppFields<'a> {
    name: &'a str,
    app_id: IdStr<'a>,
    object_id: IdStr<'a>,
}

impl<'a> AppFields<'a> {
    fn of(a: &'a AppRegistration) -> Self {
        Self {
            name: &a.display_name,
            app_id: IdStr::Text(a.app_id.as_str()),
            object_id: IdStr::Text(a.id.as_str()),
        }
    }
}

/// A secret as a row shows it: borrowed from its [`CredRow`] or read back from the spool.
///
/// Held for sorting, an app's name is one key record; each secret's key record says where
/// that is, its end date and where its rest is; the rest holds the app's ids and the
/// secret's other fields.
struct SecretFields<'a> {
    key_id: IdStr<'a>,
    description: Option<&'a str>,
    hint: Option<&'a str>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

impl<'a> SecretFields<'a> {
    fn of(c: &'a CredRow) -> Self {
        Self {
            key_id: c.key_id.as_str(),
            description: c.description(),
            hint: c.hint(),
            start: c.start,
            end: c.end,
        }
    }

    fn put_key(c: &CredRow, app: Pos, rest: Loc, e: &mut Enc) {
        e.raw(&app.to_bytes()).fixed_date(c.end).loc(rest);
    }

    /// What the sorts compare: where the app's name is, and the end as an instant.
    fn key(d: &mut Dec<'a>) -> (Pos, Option<(i64, u32)>) {
        (Pos::from_bytes(d.raw()), d.fixed_instant())
    }

    /// The rest: the app's ids (`app_ids`, written once per app) and the secret's fields.
    fn put_rest(c: &CredRow, app_ids: &[u8], e: &mut Enc) {
        e.raw(app_ids).date(c.start).row_id(&c.key_id);
        e.opt_str(c.description()).opt_str(c.hint());
    }

    /// Where the rest of the secret whose key is at `p` is.
    fn rest_loc(held: &Held, p: Pos) -> Loc {
        let mut key = Dec::new(held.key(p));
        key.raw::<4>();
        key.fixed_instant();
        key.loc()
    }

    /// The row of the secret whose key is at `p`, from its key and its rest record.
    fn row(held: &Held, p: Pos, rest: &[u8], now: DateTime<Utc>) -> SecretRow {
        let mut key = Dec::new(held.key(p));
        let (name, end) = (Pos::from_bytes(key.raw()), key.fixed_date());
        let mut rest = Dec::new(rest);
        let app = AppFields {
            name: Dec::new(held.key(name)).str(),
            app_id: rest.id(),
            object_id: rest.id(),
        };
        let start = rest.date();
        let secret = SecretFields {
            key_id: rest.id(),
            description: rest.opt_str(),
            hint: rest.opt_str(),
            start,
            end,
        };
        SecretRow::build(&app, &secret, now)
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

/// Where secret rows go: streamed JSON or table, or held (compact) for sorting.
enum Rows {
    Json {
        first: bool,
    },
    Table(StreamTable),
    /// Each app with kept secrets in the spool (see [`SecretFields`]); `order` holds where
    /// each secret's key is, in the order they came, sorted at the end.
    Sorted {
        spool: Spool,
        order: Vec<Pos>,
        by: ListSort,
    },
}

impl Rows {
    fn new(format: OutputFormat, sort: ListSort) -> Result<Self, CliError> {
        Ok(match (sort != ListSort::Listing, format) {
            (true, _) => Rows::Sorted {
                spool: Spool::new(),
                order: Vec::new(),
                by: sort,
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
        app: &AppFields<'_>,
        secrets: &[CredRow],
        now: DateTime<Utc>,
    ) -> Result<(), CliError> {
        if secrets.is_empty() {
            return Ok(());
        }
        let row = |c: &CredRow| SecretRow::build(app, &SecretFields::of(c), now);
        match self {
            Rows::Sorted { spool, order, .. } => {
                let mut e = Enc::default();
                let name = spool.key(e.str(app.name).bytes())?;
                let mut ids = Enc::default();
                ids.id(&app.app_id).id(&app.object_id);
                for c in secrets {
                    SecretFields::put_rest(c, ids.bytes(), e.clear());
                    let rest = spool.rest(e.bytes())?;
                    SecretFields::put_key(c, name, rest, e.clear());
                    order.push(spool.key(e.bytes())?);
                }
                Ok(())
            }
            Rows::Json { first } => json_rows(&secrets.iter().map(row).collect::<Vec<_>>(), first),
            Rows::Table(t) => t.push(&secrets.iter().map(|c| row(c).cells()).collect::<Vec<_>>()),
        }
    }

    /// Write what is held (soonest expiry first) and close the output.
    fn finish(self, format: OutputFormat, now: DateTime<Utc>) -> Result<(), CliError> {
        match self {
            Rows::Json { first } => output::emit(if first { b"]\n" } else { b"\n]\n" }),
            Rows::Table(t) => t.finish().map(|_| ()),
            Rows::Sorted {
                spool,
                mut order,
                by,
            } => {
                let held = spool.finish()?;
                // No end sorts as the last date there is.
                let never = spool::instant(DateTime::<Utc>::MAX_UTC);
                let key = |p: Pos| {
                    let (app, end) = SecretFields::key(&mut Dec::new(held.key(p)));
                    (app, end.unwrap_or(never))
                };
                // Secrets of one app share its name; other names are read only when needed.
                let names = |a: Pos, b: Pos, cmp: fn(&[u8], &[u8]) -> Ordering| {
                    if a == b {
                        Ordering::Equal
                    } else {
                        let name = |p: Pos| Dec::new(held.key(p)).str_bytes();
                        cmp(name(a), name(b))
                    }
                };
                // Ties stay in the order the secrets came (positions grow with it), as a
                // stable sort would keep them.
                match by {
                    ListSort::Name => order.sort_unstable_by(|&x, &y| {
                        let ((a, ae), (b, be)) = (key(x), key(y));
                        names(a, b, output::caseless_cmp_utf8)
                            .then(ae.cmp(&be))
                            .then(x.cmp(&y))
                    }),
                    _ => order.sort_unstable_by(|&x, &y| {
                        let ((a, ae), (b, be)) = (key(x), key(y));
                        ae.cmp(&be)
                            // Byte order is the names' order.
                            .then_with(|| names(a, b, |a, b| a.cmp(b)))
                            .then(x.cmp(&y))
                    }),
                }
                // Rests are read a window at a time; rows go out in batches of 1,000.
                let mut batch = Batch::default();
                let mut out = Rows::new(format, ListSort::Listing)?;
                for window in order.chunks(spool::WINDOW) {
                    let locs = window.iter().map(|&p| SecretFields::rest_loc(&held, p));
                    held.read_rests(locs, &mut batch)?;
                    let mut rests = batch.iter();
                    for chunk in window.chunks(1000) {
                        let rows: Vec<SecretRow> = chunk
                            .iter()
                            .zip(rests.by_ref())
                            .map(|(&p, rest)| SecretFields::row(&held, p, rest, now))
                            .collect();
                        match &mut out {
                            Rows::Json { first } => json_rows(&rows, first)?,
                            Rows::Table(t) => {
                                t.push(&rows.iter().map(|r| r.cells()).collect::<Vec<_>>())?
                            }
                            Rows::Sorted { .. } => {}
                        }
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
    let mut rows = Rows::new(req.format, sort)?;
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
        keep_checking(rows.push(&AppFields::of(a), &kept, now), &mut closed)
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
        // The description and name are the tenant's: cleaned and cut, so they can neither
        // rewrite this prompt nor push it off the screen.
        let prompt = format!(
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
        );
        if !output::confirm_delete(&prompt)? {
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
