//! The dialog stack's entries. The top one gets keys first; `Esc` pops it (never quits).

use std::sync::Arc;

use tui_input::Input;

use crate::graph::{ApplicationId, ClientSecret, ObjectId};
use crate::secret::SecretValue;

use super::forms::{AddSecretForm, NewRegistrationForm};
use super::loadable::ErrorInfo;

#[derive(Debug)]
pub enum Dialog {
    Help,
    CopyMenu(CopyMenu),
    AddSecret(AddSecretForm),
    Reveal(Reveal),
    /// Delete confirmation, and Rotate's "Delete the old secret now?".
    Confirm(ConfirmDelete),
    NewRegistration(NewRegistrationForm),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyItem {
    pub label: &'static str,
    pub value: Option<String>,
    pub note: &'static str,
}

#[derive(Debug)]
pub struct CopyMenu {
    pub items: Vec<CopyItem>,
    pub selected: usize,
}

/// A line of status under the reveal dialog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusLine {
    pub ok: bool,
    pub text: String,
}

#[derive(Debug)]
pub enum RevealMode {
    Normal,
    /// Asking for the .env path.
    WritePath(Input),
    /// "It was never copied: close anyway?"
    ConfirmClose,
}

/// The new secret, shown once.
#[derive(Debug)]
pub struct Reveal {
    pub app: ObjectId,
    pub app_name: String,
    pub app_id: ApplicationId,
    pub secret: ClientSecret,
    /// Shared with in-flight copy effects; dropped (and zeroized) when the last holder goes.
    pub value: Arc<SecretValue>,
    pub shown: bool,
    /// Copied or written at least once.
    pub handed_off: bool,
    pub status: Option<StatusLine>,
    pub mode: RevealMode,
    pub pending: Option<u64>,
    /// Index of this secret in the exit summary.
    pub summary_index: usize,
    /// Rotate: the old secret, offered for deletion after the reveal closes.
    pub rotating: Option<ClientSecret>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmFocus {
    /// Cancel (delete) or Keep both (rotate): the safe default.
    Safe,
    Delete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmKind {
    Delete,
    /// After a rotation: "Delete the old secret now?"
    RotateOld,
}

#[derive(Debug)]
pub struct ConfirmDelete {
    pub kind: ConfirmKind,
    pub app: ObjectId,
    pub app_name: String,
    pub secret: ClientSecret,
    pub focus: ConfirmFocus,
    pub pending: Option<u64>,
    pub error: Option<ErrorInfo>,
}

impl ConfirmDelete {
    pub fn new(kind: ConfirmKind, app: ObjectId, app_name: String, secret: ClientSecret) -> Self {
        Self {
            kind,
            app,
            app_name,
            secret,
            focus: ConfirmFocus::Safe,
            pending: None,
            error: None,
        }
    }
}
