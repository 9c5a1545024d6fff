//! Creating a client secret as a transaction, the one path both front-ends take:
//!
//! 1. journal the intent (`crate::journal`; never the value);
//! 2. `addPassword` with the journaled `client-request-id`;
//! 3. on a clean 2xx with the body read, journal `created` and hand the new secret to the
//!    caller, who hands the value off and then says how that ended ([`handed_off`],
//!    [`roll_back`], [`kept`]). With several destinations the rule is [`HandOff`]: the secret
//!    is handed off when at least one destination took the value (those that failed are
//!    named, and the secret is kept); when none did, nobody holds it and it is rolled back;
//! 4. anything else is settled here: a definitive refusal (a 4xx with Graph's error body, a
//!    sign-in failure) created nothing; any other answer (5xx, 408, 429, a cut connection, an
//!    unreadable reply) or an interruption (the user or a signal quit while Graph had the
//!    request) is reconciled by reading the app back and finding the credential by the
//!    description and the exact start time sent. A secret found that way reached nobody, so
//!    it is deleted again at once, and the outcome names it.
//!
//! What cannot be settled now stays pending in the journal; the next run finds it with
//! [`find_orphans`] and resolves it with [`resolve`]. Knows no terminal: the TUI and the CLI
//! word every outcome themselves.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::graph::{
    ClientSecret, GraphClient, GraphError, NewClientSecret, PasswordCredentialRequest,
    RemoveOutcome,
};
use crate::ids::{ObjectId, SecretId, TenantId};
use crate::journal::{self, AppRef, Done, Entry, Intent, Journal, JournalError, OpId};

/// How long an interrupted add waits for Graph's answer before it stops waiting and reads the
/// app back ("finishing…").
pub const GRACE: Duration = Duration::from_secs(5);

/// The longest an interrupted add spends reading the app back and deleting what it finds.
const SETTLE_LIMIT: Duration = Duration::from_secs(20);

/// How many times a lost reply's read-back looks for the new credential (Graph replicates
/// writes: a read right after one may not show it yet), and the pause before each retry.
const READ_BACK_TRIES: u32 = 3;
const READ_BACK_PAUSE: Duration = Duration::from_millis(800);

/// A client secret about to be created, and where its value is going (journaled as is).
#[derive(Clone, Debug)]
pub struct AddPlan {
    /// The tenant, when known (see [`Intent::tenant`]).
    pub tenant: Option<TenantId>,
    pub app: AppRef,
    /// What `addPassword` receives; both dates are always set (`NewSecretRequest::to_graph`).
    pub request: PasswordCredentialRequest,
    /// `clipboard`, `env-file`, `stdout`, `reveal` (the TUI's dialog).
    pub destination: &'static str,
}

/// A secret Graph created and answered cleanly: its value is the caller's to hand off, and
/// `op` is the journal entry to finish.
#[derive(Debug)]
pub struct Added {
    pub op: OpId,
    pub secret: NewClientSecret,
}

/// Why the add was not a clean success.
#[derive(Debug)]
pub enum Interruption {
    /// Graph's answer (or its absence) was not a clean success.
    Reply(GraphError),
    /// The run was stopped (a key, a signal) while Graph had the request.
    Cancelled,
}

/// What exists in the tenant after an add that was not a clean success.
#[derive(Debug)]
pub enum Settled {
    /// Reading the app back shows no credential from this request.
    NothingCreated,
    /// It had been created; it was deleted again at once, so nothing remains.
    RolledBack(ClientSecret),
    /// It had been created and deleting it failed: it remains, and the journal keeps it for the
    /// next run.
    Orphaned {
        secret: ClientSecret,
        error: GraphError,
    },
    /// The app could not be read back: whether it was created is unknown; the journal keeps it
    /// for the next run.
    Unverified { detail: String },
    /// Stopped before Graph answered, and the app does not show it (yet): Graph may still
    /// create it, so the journal keeps it for the next run to check again.
    NotYetSeen,
    /// Several credentials match what was sent: none is deleted, the journal keeps it.
    Ambiguous(Vec<SecretId>),
}

impl Settled {
    /// The secret this request created, if reading back found it.
    pub fn secret(&self) -> Option<&ClientSecret> {
        match self {
            Settled::RolledBack(s) | Settled::Orphaned { secret: s, .. } => Some(s),
            _ => None,
        }
    }

    /// True when a secret from this request may still be in the tenant.
    pub fn may_remain(&self) -> bool {
        !matches!(self, Settled::NothingCreated | Settled::RolledBack(_))
    }
}

/// Why there is no new secret to hand off.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The intent could not be journaled, so nothing was sent.
    #[error("nothing was sent to Graph: {0}")]
    Journal(JournalError),
    /// Graph refused the request: nothing was created.
    #[error(transparent)]
    Refused(GraphError),
    /// Not a clean success; `settled` says what exists now.
    #[error("{}", lost_display(.cause, .settled))]
    Lost {
        cause: Interruption,
        settled: Settled,
    },
}

impl AddError {
    /// The Graph error behind it, if any (for its code and request-id).
    pub fn graph(&self) -> Option<&GraphError> {
        match self {
            AddError::Refused(e)
            | AddError::Lost {
                cause: Interruption::Reply(e),
                ..
            } => Some(e),
            _ => None,
        }
    }
}

/// One sentence on what happened and what exists now (front-ends add their own advice; the
/// request-id goes with Graph's error, shown apart).
fn lost_display(cause: &Interruption, settled: &Settled) -> String {
    let what = match cause {
        Interruption::Reply(GraphError::Api(a)) => format!(
            "Graph answered the new client secret with {} {} ({})",
            a.status, a.code, a.message
        ),
        Interruption::Reply(e) => format!("Graph's answer to the new client secret was lost ({e})"),
        Interruption::Cancelled => "Adding the client secret was interrupted".to_owned(),
    };
    let now = match settled {
        Settled::NothingCreated => {
            "reading the app back shows no new secret: nothing was created".to_owned()
        }
        Settled::RolledBack(s) => format!(
            "Graph had created the secret (Secret ID {}), whose value reached nobody, so it was deleted again: nothing remains",
            s.key_id
        ),
        Settled::Orphaned { secret, error } => format!(
            "Graph had created the secret (Secret ID {}) and deleting it failed ({error}): it is still in the tenant and nobody holds its value",
            secret.key_id
        ),
        Settled::Unverified { detail } => format!(
            "the app could not be read back ({detail}): a secret nobody holds may exist"
        ),
        Settled::NotYetSeen => {
            "Graph had not answered and the app does not show a new secret yet; Graph may still create it".to_owned()
        }
        Settled::Ambiguous(ids) => format!(
            "several secrets match what was sent ({}); none was deleted",
            ids.iter().map(SecretId::as_str).collect::<Vec<_>>().join(", ")
        ),
    };
    format!("{what}; {now}")
}

/// Create the secret `plan` describes. `interrupt` completes when the run is being stopped:
/// the add then waits up to [`GRACE`] for Graph's answer, and a secret created meanwhile is
/// deleted again (its value would reach nobody).
pub async fn add(
    client: &GraphClient,
    journal: &Journal,
    plan: &AddPlan,
    interrupt: impl Future<Output = ()>,
) -> Result<Added, AddError> {
    let (pid, process_start) = journal::this_process();
    let client_request_id = uuid::Uuid::new_v4().to_string();
    let (Some(start), Some(end)) = (plan.request.start_date_time, plan.request.end_date_time)
    else {
        // NewSecretRequest always sets both; a request without them cannot be matched later.
        return Err(AddError::Refused(GraphError::Decode {
            operation: "add a client secret",
            detail: "the request has no start or end date".into(),
        }));
    };
    let intent = Intent {
        tenant: plan.tenant.clone(),
        app: plan.app.clone(),
        description: plan.request.display_name.clone(),
        start_date_time: start,
        end_date_time: end,
        client_request_id: client_request_id.clone(),
        destination: plan.destination.to_owned(),
        pid,
        process_start,
    };
    let op = {
        let journal = journal.clone();
        blocking(move || journal.begin(intent))
            .await
            .map_err(AddError::Journal)?
    };
    tracing::info!(op = %op, app = %plan.app.object_id, "adding a client secret");

    let mut call =
        Box::pin(client.add_password_as(&plan.app.object_id, &plan.request, &client_request_id));
    let mut interrupt = Box::pin(interrupt);
    let (answer, cancelled) = tokio::select! {
        biased;
        r = &mut call => (Some(r), false),
        () = &mut interrupt => {
            tracing::info!(op = %op, "add interrupted; waiting briefly for Graph's answer");
            match tokio::time::timeout(GRACE, &mut call).await {
                Ok(r) => (Some(r), true),
                Err(_) => (None, true),
            }
        }
    };
    // Stop waiting for an answer that did not come in time (the request is dropped).
    drop(call);

    match answer {
        Some(Ok(secret)) if !cancelled => {
            note(journal, &op, created(&secret.metadata)).await;
            Ok(Added { op, secret })
        }
        Some(Ok(secret)) => {
            // The run is stopping: the value can reach nobody. Wipe it and delete the secret.
            let found = secret.metadata.clone();
            drop(secret);
            note(journal, &op, created(&found)).await;
            let settled = bounded(delete_found(
                client,
                journal,
                &op,
                &plan.app.object_id,
                found,
            ))
            .await;
            Err(AddError::Lost {
                cause: Interruption::Cancelled,
                settled,
            })
        }
        Some(Err(e)) if is_definitive(&e) => {
            note(journal, &op, Note::Done(Done::NothingCreated)).await;
            Err(AddError::Refused(e))
        }
        Some(Err(e)) => {
            tracing::warn!(op = %op, error = %e, "addPassword answer lost; reading the app back");
            let settled = bounded(reconcile(
                client,
                journal,
                &op,
                plan,
                READ_BACK_TRIES,
                false,
            ))
            .await;
            Err(AddError::Lost {
                cause: Interruption::Reply(e),
                settled,
            })
        }
        None => {
            tracing::warn!(op = %op, "no answer to addPassword in time; reading the app back");
            let settled = bounded(reconcile(client, journal, &op, plan, 1, true)).await;
            Err(AddError::Lost {
                cause: Interruption::Cancelled,
                settled,
            })
        }
    }
}

/// How handing a new secret's value to its destinations ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandOff {
    /// Every destination took the value.
    Everywhere,
    /// Some took it; these (named as the caller names them) did not. Someone holds the value,
    /// so the secret is kept and the entry is done.
    Partly { failed: Vec<String> },
    /// None took it: nobody holds the value, so the secret is rolled back ([`roll_back`]).
    Nowhere,
}

impl HandOff {
    /// The verdict over each destination's name and whether it took the value.
    pub fn of<S: Into<String>>(results: impl IntoIterator<Item = (S, bool)>) -> Self {
        let mut took = 0;
        let mut failed = Vec::new();
        for (name, ok) in results {
            if ok {
                took += 1;
            } else {
                failed.push(name.into());
            }
        }
        match (took, failed.is_empty()) {
            (0, _) => HandOff::Nowhere,
            (_, true) => HandOff::Everywhere,
            (_, false) => HandOff::Partly { failed },
        }
    }

    /// Someone holds the value: the secret stays.
    pub fn held(&self) -> bool {
        !matches!(self, HandOff::Nowhere)
    }
}

/// The value reached its destination: the entry is done.
pub async fn handed_off(journal: &Journal, op: &OpId) -> Result<(), JournalError> {
    let (journal, op) = (journal.clone(), op.clone());
    blocking(move || journal.done(&op, Done::HandedOff)).await
}

/// The user keeps a secret whose value azsecrets did not hand off (they saved it themselves,
/// or chose to): the entry is done and no run offers to delete it.
pub async fn kept(journal: &Journal, op: &OpId, secret: &SecretId) -> Result<(), JournalError> {
    let (journal, op, secret_id) = (journal.clone(), op.clone(), secret.clone());
    blocking(move || journal.done(&op, Done::KeptByUser { secret_id })).await
}

/// Delete a new secret whose value reached nobody. On success the entry is done; on failure it
/// stays pending, so the next run offers the deletion again.
pub async fn roll_back(
    client: &GraphClient,
    journal: &Journal,
    op: &OpId,
    app: &ObjectId,
    secret: &SecretId,
) -> Result<RemoveOutcome, GraphError> {
    let outcome = remove_for_sure(client, app, secret).await?;
    let done = match outcome {
        RemoveOutcome::Removed => Done::RolledBack {
            secret_id: secret.clone(),
        },
        RemoveOutcome::AlreadyGone => Done::AlreadyGone {
            secret_id: secret.clone(),
        },
    };
    note(journal, op, Note::Done(done)).await;
    Ok(outcome)
}

/// A graph error that proves nothing was created: Graph's own refusal (a 4xx other than 408
/// and 429, with its error body), or a request that never left (sign-in, a bad id).
fn is_definitive(e: &GraphError) -> bool {
    match e {
        GraphError::Api(a) => {
            (400..500).contains(&a.status)
                && !matches!(a.status, 408 | 429)
                && a.code != format!("HTTP{}", a.status)
        }
        // Refused before it was sent (a token that cannot be a header, a URL too long).
        GraphError::Auth(_)
        | GraphError::InvalidId(_)
        | GraphError::ForeignLink { .. }
        | GraphError::NotSent { .. } => true,
        GraphError::Transport { .. } | GraphError::Decode { .. } => false,
    }
}

/// Read the app back and settle what this request made. `tries` reads at most; with
/// `unanswered` (Graph never answered) a miss is not proof, so the entry stays pending.
async fn reconcile(
    client: &GraphClient,
    journal: &Journal,
    op: &OpId,
    plan: &AddPlan,
    tries: u32,
    unanswered: bool,
) -> Settled {
    let mut read_error = None;
    let mut read_once = false;
    for attempt in 0..tries.max(1) {
        if attempt > 0 {
            tokio::time::sleep(READ_BACK_PAUSE * attempt).await;
        }
        match client.get_application(&plan.app.object_id).await {
            Err(e) => read_error = Some(e),
            Ok(app) => {
                read_once = true;
                let mut found = made_by(app.password_credentials, &plan.request);
                match found.len() {
                    0 => {}
                    1 => {
                        let secret = found.remove(0);
                        note(journal, op, created(&secret)).await;
                        return delete_found(client, journal, op, &plan.app.object_id, secret)
                            .await;
                    }
                    _ => return Settled::Ambiguous(found.into_iter().map(|s| s.key_id).collect()),
                }
            }
        }
    }
    match (read_once, read_error) {
        (false, Some(e)) => Settled::Unverified {
            detail: e.to_string(),
        },
        _ if unanswered => Settled::NotYetSeen,
        _ => {
            note(journal, op, Note::Done(Done::NothingCreated)).await;
            Settled::NothingCreated
        }
    }
}

/// Delete a secret this request made that nobody holds; say what remains.
async fn delete_found(
    client: &GraphClient,
    journal: &Journal,
    op: &OpId,
    app: &ObjectId,
    secret: ClientSecret,
) -> Settled {
    match roll_back(client, journal, op, app, &secret.key_id).await {
        Ok(_) => {
            tracing::info!(op = %op, secret_id = %secret.key_id, "unheld secret deleted again");
            Settled::RolledBack(secret)
        }
        Err(error) => {
            tracing::warn!(op = %op, secret_id = %secret.key_id, error = %error, "could not delete the unheld secret");
            Settled::Orphaned { secret, error }
        }
    }
}

/// The credentials `sent` made: the same description and the exact start time; when several
/// share those, the end time narrows them.
fn made_by(credentials: Vec<ClientSecret>, sent: &PasswordCredentialRequest) -> Vec<ClientSecret> {
    let same = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| match (a, b) {
        (Some(a), Some(b)) => a == b,
        (_, None) => true,
        (None, Some(_)) => false,
    };
    let found: Vec<ClientSecret> = credentials
        .into_iter()
        .filter(|c| {
            c.display_name == sent.display_name && same(c.start_date_time, sent.start_date_time)
        })
        .collect();
    if found.len() <= 1 {
        return found;
    }
    let narrowed: Vec<ClientSecret> = found
        .iter()
        .filter(|c| same(c.end_date_time, sent.end_date_time))
        .cloned()
        .collect();
    if narrowed.is_empty() { found } else { narrowed }
}

/// `removePassword`, believed only when the app no longer shows the secret: right after
/// `addPassword` Graph may answer "No password credential found" from a replica that has not
/// seen the new secret yet (graph-contract, trap 9).
async fn remove_for_sure(
    client: &GraphClient,
    app: &ObjectId,
    secret: &SecretId,
) -> Result<RemoveOutcome, GraphError> {
    let mut removed = false;
    for attempt in 0..READ_BACK_TRIES {
        if attempt > 0 {
            tokio::time::sleep(READ_BACK_PAUSE * attempt).await;
        }
        match client.remove_password(app, secret).await? {
            RemoveOutcome::Removed => {
                removed = true;
                break;
            }
            RemoveOutcome::AlreadyGone => {
                let still = match client.get_application(app).await {
                    Ok(a) => a.password_credentials.iter().any(|c| &c.key_id == secret),
                    Err(e) if e.is_not_found() => false,
                    Err(e) => return Err(e),
                };
                if !still {
                    return Ok(RemoveOutcome::AlreadyGone);
                }
            }
        }
    }
    if removed {
        Ok(RemoveOutcome::Removed)
    } else {
        // Graph keeps saying "not found" while the app still lists it.
        Err(GraphError::Transport {
            operation: "delete the client secret",
            detail: "Graph answered that it does not exist, yet the app still lists it".into(),
        })
    }
}

/// Settling after an interruption is bounded: a hung read does not hold the exit forever.
async fn bounded(settle: impl Future<Output = Settled>) -> Settled {
    match tokio::time::timeout(SETTLE_LIMIT, settle).await {
        Ok(s) => s,
        Err(_) => Settled::Unverified {
            detail: "Graph did not answer in time".into(),
        },
    }
}

/// A journal record after the request was sent.
enum Note {
    Created(SecretId, Option<String>),
    Done(Done),
}

/// A journal write after the request was sent: a failure is logged and not fatal (the intent
/// is on disk, so the next run still reads the app back).
async fn note(journal: &Journal, op: &OpId, note: Note) {
    let (j, o) = (journal.clone(), op.clone());
    let written = blocking(move || match note {
        Note::Created(id, hint) => j.created(&o, &id, hint.as_deref()),
        Note::Done(done) => j.done(&o, done),
    })
    .await;
    if let Err(e) = written {
        tracing::warn!(op = %op, error = %e, "could not write the journal");
    }
}

fn created(s: &ClientSecret) -> Note {
    Note::Created(s.key_id.clone(), s.hint.clone())
}

/// Journal file I/O (fsync, a lock) off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, JournalError> + Send + 'static,
) -> Result<T, JournalError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(JournalError::Io {
            path: std::path::PathBuf::new(),
            source: std::io::Error::other(e.to_string()),
        }),
    }
}

#[cfg(test)]
mod hand_off_tests {
    use super::HandOff;

    #[test]
    fn one_destination_that_took_it_is_enough() {
        assert_eq!(HandOff::of([("a", true), ("b", true)]), HandOff::Everywhere);
        assert_eq!(
            HandOff::of([("vault", false), ("gh", true), ("exec", false)]),
            HandOff::Partly {
                failed: vec!["vault".into(), "exec".into()]
            }
        );
        assert_eq!(HandOff::of([("a", false)]), HandOff::Nowhere);
        assert_eq!(HandOff::of(Vec::<(&str, bool)>::new()), HandOff::Nowhere);
        assert!(HandOff::Partly { failed: vec![] }.held());
        assert!(!HandOff::Nowhere.held());
    }
}

// ---------------------------------------------------------------------------------------------
// The next run: pending entries
// ---------------------------------------------------------------------------------------------

/// A secret an interrupted run created whose value reached nobody.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Orphan {
    pub op: OpId,
    pub app: AppRef,
    pub description: Option<String>,
    /// When the interrupted run sent it (the start time it asked for).
    pub created_at: DateTime<Utc>,
    pub secret_id: SecretId,
    pub hint: Option<String>,
}

/// A pending entry that could not be checked now (the app could not be read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unchecked {
    pub app: AppRef,
    pub description: Option<String>,
    pub detail: String,
}

/// What the pending entries of a tenant turned out to be.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    pub orphans: Vec<Orphan>,
    /// Entries settled by reading back (nothing was created, or it is gone already).
    pub cleared: usize,
    pub unchecked: Vec<Unchecked>,
}

/// Why pending entries could not be scanned or resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// How a resolved orphan ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    Deleted,
    /// It was gone already.
    AlreadyGone,
    Kept,
    /// Another azsecrets resolved it meanwhile.
    AlreadyResolved,
}

/// What to do with an orphan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Delete,
    Keep,
}

/// The pending entries of `tenant`, checked against the tenant: a secret an entry names (or
/// that reading back finds) is an orphan; an entry whose secret is gone, or that created
/// nothing, is cleared. Serialized with other processes by the journal's resolution lock.
pub async fn find_orphans(
    client: &GraphClient,
    journal: &Journal,
    tenant: &TenantId,
) -> Result<Scan, ResolveError> {
    let pending: Vec<Entry> = {
        let j = journal.clone();
        blocking(move || j.pending()).await?
    };
    let mine: Vec<Entry> = pending
        .into_iter()
        .filter(|e| e.intent.tenant.as_ref().is_none_or(|t| t == tenant))
        .collect();
    if mine.is_empty() {
        return Ok(Scan::default());
    }
    let lock = {
        let j = journal.clone();
        blocking(move || j.lock_resolution()).await?
    };
    // Another process may have resolved some while this one waited for the lock.
    let open: Vec<OpId> = {
        let j = journal.clone();
        blocking(move || j.pending())
            .await?
            .into_iter()
            .map(|e| e.op)
            .collect()
    };
    let mut scan = Scan::default();
    for entry in mine.into_iter().filter(|e| open.contains(&e.op)) {
        match check(client, journal, &entry).await {
            Ok(Checked::Orphan(orphan)) => scan.orphans.push(orphan),
            Ok(Checked::Cleared) => scan.cleared += 1,
            Ok(Checked::NotHere) => {}
            Err(e) => scan.unchecked.push(Unchecked {
                app: entry.intent.app.clone(),
                description: entry.intent.description.clone(),
                detail: e.to_string(),
            }),
        }
    }
    drop(lock);
    Ok(scan)
}

/// What one pending entry turned out to be.
enum Checked {
    Orphan(Orphan),
    /// Nothing of it is in the tenant: the entry is done.
    Cleared,
    /// An entry of unknown tenant whose app is not in this one: left for its own tenant.
    NotHere,
}

/// One pending entry against the tenant.
async fn check(
    client: &GraphClient,
    journal: &Journal,
    entry: &Entry,
) -> Result<Checked, GraphError> {
    let intent = &entry.intent;
    let op = &entry.op;
    let app = match client.get_application(&intent.app.object_id).await {
        Ok(app) => app,
        Err(e) if e.is_not_found() && intent.tenant.is_none() => return Ok(Checked::NotHere),
        Err(e) if e.is_not_found() => {
            // The app itself is gone, and its secrets with it.
            let done = match &entry.created {
                Some(c) => Done::AlreadyGone {
                    secret_id: c.secret_id.clone(),
                },
                None => Done::NothingCreated,
            };
            note(journal, op, Note::Done(done)).await;
            return Ok(Checked::Cleared);
        }
        Err(e) => return Err(e),
    };
    let found = match &entry.created {
        Some(c) => app
            .password_credentials
            .into_iter()
            .find(|s| s.key_id == c.secret_id),
        None => {
            let sent = PasswordCredentialRequest {
                display_name: intent.description.clone(),
                start_date_time: Some(intent.start_date_time),
                end_date_time: Some(intent.end_date_time),
            };
            let mut found = made_by(app.password_credentials, &sent);
            if found.len() > 1 {
                return Err(GraphError::Decode {
                    operation: "match the interrupted secret",
                    detail: format!("{} secrets match what was sent", found.len()),
                });
            }
            let one = found.pop();
            if let Some(s) = &one {
                note(journal, op, created(s)).await;
            }
            one
        }
    };
    match found {
        Some(s) => Ok(Checked::Orphan(Orphan {
            op: op.clone(),
            app: intent.app.clone(),
            description: intent.description.clone(),
            created_at: s.start_date_time.unwrap_or(intent.start_date_time),
            secret_id: s.key_id,
            hint: s.hint,
        })),
        None => {
            let done = match &entry.created {
                Some(c) => Done::AlreadyGone {
                    secret_id: c.secret_id.clone(),
                },
                None => Done::NothingCreated,
            };
            note(journal, op, Note::Done(done)).await;
            Ok(Checked::Cleared)
        }
    }
}

/// Delete or keep an orphan, unless another azsecrets resolved it meanwhile.
pub async fn resolve(
    client: &GraphClient,
    journal: &Journal,
    orphan: &Orphan,
    choice: Choice,
) -> Result<Resolution, ResolveError> {
    let lock = {
        let j = journal.clone();
        blocking(move || j.lock_resolution()).await?
    };
    let still_open = {
        let (j, op) = (journal.clone(), orphan.op.clone());
        blocking(move || Ok(j.entries()?.iter().any(|e| e.op == op && e.done.is_none()))).await?
    };
    if !still_open {
        return Ok(Resolution::AlreadyResolved);
    }
    let r = match choice {
        Choice::Keep => {
            kept(journal, &orphan.op, &orphan.secret_id).await?;
            Resolution::Kept
        }
        Choice::Delete => match roll_back(
            client,
            journal,
            &orphan.op,
            &orphan.app.object_id,
            &orphan.secret_id,
        )
        .await?
        {
            RemoveOutcome::Removed => Resolution::Deleted,
            RemoveOutcome::AlreadyGone => Resolution::AlreadyGone,
        },
    };
    drop(lock);
    Ok(r)
}
