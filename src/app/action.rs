//! Everything that can change the model: a key the key map resolved, raw text input for the
//! focused field, the clock, and every effect's result (carrying a `Result` and its request id).

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Size;

use crate::auth::device_code::DevicePrompt;
use crate::catalog::AppRow;
use crate::catalog::cache::{CacheError, Snapshot};
use crate::create::{AddError, Added, Resolution, ResolveError, Scan};
use crate::destination::{SendError, Sent, VaultsFound};
use crate::graph::{
    AppLookup, AppRegistration, Certificate, FederatedCredential, GraphError, Me, ObjectId,
    Organization, Page, RemoveOutcome, RetryEvent,
};
use crate::handoff::{CopyReport, EnvFileReport, HandoffError};
use crate::journal::JournalError;
use crate::keymap::Command;
use crate::tenants::{SwitchError, Tenants, TenantsError};
use crate::verify::{Verified, VerifyError, VerifyEvent};

use super::AppsTab;
use super::apps_list::Chunk;

/// A page of the certificates pass: each app's certificates, and whether it was the last.
pub type CertificatesPage = (Vec<(ObjectId, Vec<Certificate>)>, bool);

/// Names one effect; its result carries it back, and only the latest answer counts.
pub type RequestId = u64;

/// What was copied, so the result lands in the right place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopyTarget {
    /// The new secret's value (from the reveal dialog).
    SecretValue,
    /// The env block holding the value.
    EnvBlock,
    /// A non-secret identifier, with its label ("Application (client) ID").
    Text(&'static str),
}

#[derive(Debug)]
pub enum Action {
    /// A key the key map bound in the current context.
    Command(Command),
    /// A key no binding claimed: text for the focused input, if any.
    Input(KeyEvent),
    /// The clock moved (the runner sends this; tests pass a fixed time).
    Tick(DateTime<Utc>),
    /// The terminal's size (the loop sends it at start and on every resize; tests send it
    /// too): the tables' page sizes and scrolling derive from it.
    Resize(Size),
    /// A signal asked to quit (SIGINT, SIGTERM, SIGHUP, SIGQUIT): handled exactly as Ctrl-C,
    /// so a value nobody holds is never dropped behind the model's back.
    Quit,
    /// A device-code sign-in is waiting for the user (`Some`) or has ended (`None`).
    SignInPrompt(Option<DevicePrompt>),
    /// The Graph client is waiting to retry a read (throttled, 5xx), or is done retrying.
    GraphRetry(RetryEvent),

    OrganizationLoaded(RequestId, Result<Organization, GraphError>),
    MeLoaded(RequestId, Result<Me, GraphError>),
    AppsPage {
        request: RequestId,
        tab: AppsTab,
        result: Result<Page<AppRegistration>, GraphError>,
    },
    /// A batch of a scan or a delta round, rows already compact.
    AppsChunk {
        request: RequestId,
        tab: AppsTab,
        result: Result<Chunk, GraphError>,
    },
    /// What Graph's `$search` found for the filter text.
    AppsSearched(RequestId, Result<Vec<AppRow>, GraphError>),
    /// A page of the certificates pass.
    Certificates(RequestId, Result<CertificatesPage, GraphError>),
    /// The warm-start cache as read (`None`: there is none).
    CacheLoaded(RequestId, Result<Option<Snapshot>, CacheError>),
    /// A part of the warm-start cache was written, or why not.
    CacheSaved(RequestId, Result<(), CacheError>),
    /// The tenants the account can switch to.
    TenantsLoaded(RequestId, Result<Tenants, TenantsError>),
    /// Signed in to another tenant (its organization), or why not.
    TenantSwitched(RequestId, Result<Organization, SwitchError>),
    /// A GUID typed in the filter, looked up as an Application ID, then as an Object ID.
    AppLookedUp(RequestId, Result<AppLookup, GraphError>),
    AppLoaded(RequestId, Result<AppRegistration, GraphError>),
    FederatedLoaded(RequestId, Result<Vec<FederatedCredential>, GraphError>),
    /// The creation transaction's end: a new secret to reveal, or what exists after a refusal,
    /// a lost answer or an interruption.
    SecretAdded(RequestId, Result<Added, AddError>),
    /// A new secret whose value reached nobody was deleted again (or not).
    RolledBack(RequestId, Result<RemoveOutcome, GraphError>),
    /// A journal write failed (the journal keeps creations safe across crashes).
    JournalFailed(JournalError),
    /// The journal's pending creations of this tenant, checked against it at start.
    OrphansFound(RequestId, Result<Scan, ResolveError>),
    /// One orphan deleted or kept.
    OrphanResolved(RequestId, Result<Resolution, ResolveError>),
    SecretRemoved(RequestId, Result<RemoveOutcome, GraphError>),
    AppCreated(RequestId, Result<AppRegistration, GraphError>),
    Copied(RequestId, CopyTarget, Result<CopyReport, HandoffError>),
    EnvFileWritten(RequestId, Result<EnvFileReport, HandoffError>),
    /// A key vault, GitHub or a command took the value (or not).
    SecretSent(RequestId, Result<Sent, SendError>),
    /// The sign-in check was refused as a replicating secret is, and waits (or tries again).
    VerifyProgress(RequestId, VerifyEvent),
    /// The sign-in check ended.
    Verified(RequestId, Result<Verified, VerifyError>),
    /// The vaults to choose from, the one last used, and a rotation's vault secret.
    VaultsListed(RequestId, VaultsFound),
    OwnersLoaded(RequestId, Result<Vec<crate::graph::Owner>, GraphError>),
    PolicyLoaded(RequestId, Result<crate::policy::PolicyView, GraphError>),
    CertificateRead(
        RequestId,
        Result<crate::certs::Parsed, crate::certs::CertError>,
    ),
    CertificatesChanged(
        RequestId,
        Result<crate::keycreds::Changed, crate::keycreds::CertChangeError>,
    ),
    CertificateCreated(
        RequestId,
        Result<crate::keycreds::Created, crate::keycreds::CreateError>,
    ),
    FederatedAdded(RequestId, Result<FederatedCredential, GraphError>),
    FederatedRemoved(RequestId, Result<RemoveOutcome, GraphError>),
}
