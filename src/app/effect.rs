//! What `update` asks the runner to do. Plain data: the runner in `tui.rs` performs it and
//! sends the outcome back as an `Action` tagged with the same request id.

use std::path::PathBuf;
use std::sync::Arc;

use crate::graph::{
    AppQuery, ApplicationId, NewApplication, ObjectId, PasswordCredentialRequest, SecretId,
    TenantId,
};
use crate::secret::SecretValue;

use super::AppsTab;

#[derive(Debug)]
pub enum Effect {
    LoadOrganization {
        request: u64,
    },
    LoadMe {
        request: u64,
    },
    /// Stream every page; a newer request for the same tab replaces this one.
    LoadApps {
        request: u64,
        tab: AppsTab,
        query: AppQuery,
    },
    /// A GUID pasted in the filter: try it as an Application ID, then as an Object ID.
    LookupApp {
        request: u64,
        id: String,
    },
    LoadApp {
        request: u64,
        id: ObjectId,
    },
    LoadFederated {
        request: u64,
        id: ObjectId,
    },
    AddSecret {
        request: u64,
        app: ObjectId,
        credential: PasswordCredentialRequest,
    },
    RemoveSecret {
        request: u64,
        app: ObjectId,
        key_id: SecretId,
    },
    CreateApp {
        request: u64,
        app: NewApplication,
    },
    /// The value is shared with the reveal dialog, never copied into a `String`.
    CopySecret {
        request: u64,
        value: Arc<SecretValue>,
    },
    CopyEnvBlock {
        request: u64,
        client_id: ApplicationId,
        tenant_id: TenantId,
        value: Arc<SecretValue>,
    },
    WriteEnvFile {
        request: u64,
        path: PathBuf,
        client_id: ApplicationId,
        tenant_id: TenantId,
        value: Arc<SecretValue>,
    },
    CopyText {
        request: u64,
        label: &'static str,
        text: String,
    },
}
