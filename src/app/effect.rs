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
    AddSecret {
        request: RequestId,
        app: ObjectId,
        credential: PasswordCredentialRequest,
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
    },
    CopyText {
        request: RequestId,
        label: &'static str,
        text: String,
    },
}
