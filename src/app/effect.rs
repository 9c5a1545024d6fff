//! What `update` asks the runner to do. Plain data: the runner in `tui.rs` performs it and
//! sends the outcome back as an `Action` tagged with the same request id.

use std::path::PathBuf;
use std::sync::Arc;

use crate::catalog::cache::CacheKey;
use crate::create::{AddPlan, Choice, Orphan};
use crate::destination::{About, Target};
use crate::graph::{AppQuery, ApplicationId, NewApplication, ObjectId, SecretId, TenantId};
use crate::journal::OpId;
use crate::keyvault::VaultRef;
use crate::secret::SecretValue;

use super::AppsTab;
use super::action::RequestId;

#[derive(Debug)]
pub enum Effect {
    LoadOrganization {
        request: RequestId,
    },
    LoadMe {
        request: RequestId,
    },
    /// Stream every page; a newer request for the same tab replaces this one.
    LoadApps {
        request: RequestId,
        tab: AppsTab,
        query: AppQuery,
    },
    /// Bring a list up to date from its delta link (answers come as `Action::AppsChunk`).
    RefreshApps {
        request: RequestId,
        tab: AppsTab,
        delta_link: String,
    },
    /// Ask Graph's `$search` for the filter text, after a short pause (a newer search replaces
    /// this one, so one is in flight at most).
    SearchApps {
        request: RequestId,
        text: String,
    },
    /// Read the certificates of every app, paced (bulk listings leave them out).
    LoadCertificates {
        request: RequestId,
    },
    /// Read the warm-start cache.
    LoadCache {
        request: RequestId,
        key: CacheKey,
    },
    /// Write a part of the warm-start cache: the first part starts a new file (its header and
    /// first rows), the last one makes it the cache. Each part is answered by
    /// [`super::Action::CacheSaved`] before the next is made, so the file is never whole in
    /// memory.
    SaveCache {
        request: RequestId,
        key: CacheKey,
        bytes: Vec<u8>,
        first: bool,
        last: bool,
    },
    /// Give up the cache file being written (the rows changed under it).
    DropCacheSave {
        request: RequestId,
    },
    /// The tenants the signed-in account can use.
    LoadTenants {
        request: RequestId,
    },
    /// Sign in to `tenant` and, once Graph answers there, use it from now on.
    SwitchTenant {
        request: RequestId,
        tenant: String,
    },
    /// A GUID pasted in the filter: try it as an Application ID, then as an Object ID.
    LookupApp {
        request: RequestId,
        id: String,
    },
    LoadApp {
        request: RequestId,
        id: ObjectId,
    },
    LoadFederated {
        request: RequestId,
        id: ObjectId,
    },
    /// The creation transaction (`crate::create::add`): journaled, sent, settled.
    AddSecret {
        request: RequestId,
        plan: AddPlan,
    },
    /// The run is quitting while `request` (an add) is in flight: give Graph a few seconds to
    /// answer, then settle what exists (a secret created meanwhile is deleted again).
    InterruptAdd {
        request: RequestId,
    },
    /// Delete a new secret whose value reached nobody; its journal entry ends with it.
    RollBack {
        request: RequestId,
        /// Its journal entry (`None`: not journaled, e.g. a test's canned secret).
        op: Option<OpId>,
        app: ObjectId,
        secret: SecretId,
    },
    /// Record how a creation ended (no answer unless it fails).
    Journal {
        op: OpId,
        note: JournalNote,
    },
    /// Check the journal's pending creations of `tenant` against it.
    ScanOrphans {
        request: RequestId,
        tenant: TenantId,
    },
    ResolveOrphan {
        request: RequestId,
        orphan: Orphan,
        choice: Choice,
    },
    RemoveSecret {
        request: RequestId,
        app: ObjectId,
        key_id: SecretId,
    },
    CreateApp {
        request: RequestId,
        app: NewApplication,
    },
    /// The value is shared with the reveal dialog, never copied into a `String`.
    CopySecret {
        request: RequestId,
        value: Arc<SecretValue>,
    },
    CopyEnvBlock {
        request: RequestId,
        client_id: ApplicationId,
        tenant_id: TenantId,
        value: Arc<SecretValue>,
    },
    WriteEnvFile {
        request: RequestId,
        path: PathBuf,
        client_id: ApplicationId,
        tenant_id: TenantId,
        value: Arc<SecretValue>,
        /// The user said yes to replacing another app's or tenant's values in the file.
        replace_other: bool,
    },
    CopyText {
        request: RequestId,
        label: &'static str,
        text: String,
    },
    /// Hand the value to a key vault, GitHub Actions or a command
    /// (`crate::destination::Clients::send`); the answer is `Action::SecretSent`.
    SendSecret {
        request: RequestId,
        target: Target,
        about: About,
        value: Arc<SecretValue>,
    },
    /// Check that the new secret signs in (client credentials): `Action::VerifyProgress` as it
    /// waits, then `Action::Verified`.
    VerifySecret {
        request: RequestId,
        tenant: TenantId,
        app_id: ApplicationId,
        value: Arc<SecretValue>,
    },
    /// Stop a check in flight (its task is dropped).
    CancelVerify {
        request: RequestId,
    },
    /// The vaults to choose from (Resource Manager), the one last used for the app, and for a
    /// rotation the vault secret that holds the old one: `Action::VaultsListed`.
    ListVaults {
        request: RequestId,
        tenant: TenantId,
        app_id: ApplicationId,
        rotating: Option<SecretId>,
    },
    /// Remember the vault used for the app in this tenant (the config file; names only).
    RememberVault {
        tenant: TenantId,
        app_id: ApplicationId,
        vault: VaultRef,
    },
    LoadOwners {
        request: RequestId,
        id: ObjectId,
    },
    /// The app management policies in force for this app (403: unknown).
    LoadPolicy {
        request: RequestId,
        app: Box<crate::graph::AppRegistration>,
    },
    /// Read and check a certificate file for upload (off the loop).
    ReadCertificate {
        request: RequestId,
        path: PathBuf,
    },
    /// The certificate transaction (`crate::keycreds::change`).
    ChangeCertificates {
        request: RequestId,
        app: ObjectId,
        change: crate::keycreds::Change,
        shown: Vec<SecretId>,
    },
    /// Make, write and upload a self-signed certificate.
    CreateCertificate {
        request: RequestId,
        plan: crate::keycreds::SelfSignedPlan,
    },
    /// `audience: None` is the cloud's default token-exchange audience.
    AddFederated {
        request: RequestId,
        app: ObjectId,
        credential: crate::graph::NewFederatedCredential,
        audience: Option<String>,
    },
    RemoveFederated {
        request: RequestId,
        app: ObjectId,
        id: String,
    },
}

/// How a creation ended, for the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalNote {
    /// The value reached its destination.
    HandedOff,
    /// The user keeps a secret whose value azsecrets did not hand off.
    Kept(SecretId),
}
