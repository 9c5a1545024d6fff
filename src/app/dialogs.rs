//! The dialog stack's entries and what they share. A dialog is a room: its module owns its
//! state, its keys (commands and text), its results and the key context it answers to, and it
//! tells `App` what to do next with one [`Outcome`]. `App` routes keys and results to the
//! right dialog and applies outcomes; it never reads a dialog's fields.
//!
//! The top dialog gets keys first; `Esc` closes it (never quits).

mod add_secret;
mod confirm;
mod copy_menu;
mod federated_detail;
mod finishing;
mod form;
mod help;
mod new_certificate;
mod new_federated;
mod new_registration;
mod recovery;
mod reveal;
mod tenants;
mod upload_certificate;

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::KeyEvent;

use crate::graph::{AppRegistration, ClientSecret, ObjectId, SecretId, TenantId};
use crate::keymap::{Command, Context};

use super::action::RequestId;
use super::effect::Effect;
use super::loadable::ErrorInfo;
use super::summary::{CreatedSecret, DeletedSecret, Fate, UnsettledAdd};

pub use add_secret::{AddFocus, AddSecret, ExpiryChoice};
pub use confirm::{Confirm, ConfirmFocus, ConfirmKind, ConfirmTarget, DeleteError, Deleted};
pub use copy_menu::{CopyItem, CopyKind, CopyMenu};
pub use federated_detail::FederatedDetail;
pub use finishing::Finishing;
pub use form::Submit;
pub use help::Help;
pub use new_certificate::{CertFocus, NewCertificate};
pub use new_federated::{FicFocus, NewFederated, SCENARIOS};
pub use new_registration::{MAX_APP_NAME, NewFocus, NewRegistration};
pub use recovery::{Recovery, RecoveryFocus};
pub use reveal::{
    CloseFocus, ExecForm, GitHubFocus, GitHubForm, Listing, Reveal, RevealMode, SentLine,
    SignInCheck, StatusLine, Tone, VaultChoice, VaultFocus, VaultForm, Waiting, handoff_advice,
};
pub use tenants::TenantPicker;
pub use upload_certificate::{ReadState, UploadCertificate, UploadFocus};

/// A write to the tenant a dialog has in flight, as a quit sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InFlight {
    None,
    /// Wait for its answer before quitting (a deletion, a registration).
    Wait,
    /// An add: the runner interrupts it (Graph gets a few seconds, then the app is read back).
    Add(RequestId),
}

/// What a dialog does: answer keys and results, and say where keys go while it is on top.
pub trait Room {
    /// The key context while this dialog is on top.
    fn context(&self) -> Context;

    /// The context the help overlay describes for this dialog (`None`: the one below it).
    fn help_context(&self) -> Option<Context> {
        Some(self.context())
    }

    /// The request this dialog waits on (its spinner turns; its answer comes back to it).
    fn pending(&self) -> Option<RequestId> {
        None
    }

    /// Whether the answer to `request` is this dialog's (a dialog may wait on several at once:
    /// the reveal dialog's copy, hand-off and sign-in check).
    fn waits_for(&self, request: RequestId) -> bool {
        self.pending() == Some(request)
    }

    /// True while it holds a secret value that was never handed off (closing loses it).
    fn holds_unsaved_value(&self) -> bool {
        false
    }

    /// A quit (or Esc) while it holds a value nobody has: ask, as closing would. True when it
    /// now asks.
    fn ask_to_close(&mut self, _quitting: bool) -> bool {
        false
    }

    /// True while it asks (or carries out the answer); false once the user went back.
    fn asking_to_close(&self) -> bool {
        false
    }

    /// A write to the tenant in flight that a quit waits for.
    fn in_flight(&self) -> InFlight {
        InFlight::None
    }

    /// What a quit that does not wait leaves unsettled (an add in flight).
    fn unsettled_by_quit(&self) -> Option<UnsettledAdd> {
        None
    }

    /// A command the key map resolved in [`Room::context`].
    fn command(&mut self, command: Command, cx: &mut Cx<'_>) -> Outcome;

    /// A key no binding claimed: text for the focused field, if any.
    fn input(&mut self, _key: &KeyEvent) {}
}

/// What a dialog may read of the model while it handles a key or a result, and the one thing
/// it may take from it: a fresh request id for the effect it asks for.
pub struct Cx<'a> {
    pub now: DateTime<Utc>,
    pub read_only: bool,
    pub tenant: Option<&'a TenantId>,
    pub(super) requests: &'a mut RequestIds,
}

impl Cx<'_> {
    pub fn request(&mut self) -> RequestId {
        self.requests.fresh()
    }
}

/// Request ids, increasing: an answer names the request it belongs to.
#[derive(Debug, Default)]
pub struct RequestIds(RequestId);

impl RequestIds {
    pub fn fresh(&mut self) -> RequestId {
        self.0 += 1;
        self.0
    }
}

/// What becomes of the dialog after a key or a result.
#[derive(Debug, Default)]
pub enum Next {
    #[default]
    Stay,
    Close,
    /// Close, and open this one in its place (the add form becomes the reveal dialog).
    Replace(Box<Dialog>),
}

/// A dialog's answer to a key or a result: what becomes of it, the effects it asks for, and
/// the follow-ups the model applies outside it.
#[must_use]
#[derive(Debug, Default)]
pub struct Outcome {
    pub next: Next,
    pub effects: Vec<Effect>,
    pub follow_ups: Vec<FollowUp>,
}

impl Outcome {
    pub fn stay() -> Self {
        Self::default()
    }

    pub fn close() -> Self {
        Self {
            next: Next::Close,
            ..Self::default()
        }
    }

    pub fn replace(dialog: impl Into<Dialog>) -> Self {
        Self {
            next: Next::Replace(Box::new(dialog.into())),
            ..Self::default()
        }
    }

    pub fn effect(mut self, effect: Effect) -> Self {
        self.effects.push(effect);
        self
    }

    pub fn then(mut self, follow_up: FollowUp) -> Self {
        self.follow_ups.push(follow_up);
        self
    }
}

/// What a dialog's outcome asks of the model outside the dialog.
#[derive(Debug)]
pub enum FollowUp {
    /// A line of news (a toast).
    Info(String),
    /// Something went wrong outside any dialog's own error line (an error toast).
    Error(String),
    /// A new secret: its row on the App screen and in the lists, its line in the summary.
    SecretAdded {
        app: ObjectId,
        secret: ClientSecret,
        summary: CreatedSecret,
    },
    /// A secret is gone: its row leaves; `deleted` when this run removed it.
    SecretRemoved {
        app: ObjectId,
        secret: SecretId,
        deleted: Option<DeletedSecret>,
    },
    /// A new registration: into the list and the summary, and open on Client secrets.
    AppRegistered(AppRegistration),
    /// Read the app back (a reply was lost: a secret may exist that nobody saw).
    ReloadApp(ObjectId),
    /// The app's certificates changed: read the app again.
    CertificatesChanged(ObjectId),
    /// The app's federated credentials changed: read them again.
    FederatedChanged(ObjectId),
    /// Where a new secret's value went, for the exit summary.
    HandedOff {
        secret: SecretId,
        destination: String,
    },
    /// A new secret's value was sent where nothing confirms it arrived (OSC 52).
    SentUnconfirmed {
        secret: SecretId,
        destination: String,
    },
    /// What became of a secret this run created (kept, deleted again).
    Fate { secret: SecretId, fate: Fate },
    /// A created secret that never got a dialog (deleted again at once): its summary line.
    CreatedAndSettled(CreatedSecret),
    /// An add whose outcome this run could not settle.
    Unsettled(UnsettledAdd),
    /// Sign in to another tenant and load everything again.
    SwitchTenant(crate::tenants::TenantChoice),
}

/// An error as the dialog shows it (and the log records it).
pub trait Explain {
    fn explain(&self) -> ErrorInfo;
}

/// A dialog that sends a request and settles with Graph's answer: on success it says what
/// comes next; on failure the protocol keeps it open with the error inside (see
/// `App::settle`).
pub trait Submits: Member {
    type Answer;
    type Error: Explain;

    fn submit_state(&mut self) -> &mut Submit;

    /// Graph said yes.
    fn succeeded(&mut self, answer: Self::Answer) -> Outcome;

    /// Graph said no; the error is already in the dialog. Anything else to do?
    fn failed(&mut self, _error: &Self::Error) -> Outcome {
        Outcome::stay()
    }

    /// An answer that no dialog waits for any more: what to say about it.
    fn unclaimed(_answer: &Result<Self::Answer, Self::Error>) -> Vec<FollowUp> {
        Vec::new()
    }
}

/// One entry of the stack for each dialog type: the enum, `From` each type, the downcast
/// ([`Member`]) and the one delegation to [`Room`].
macro_rules! dialogs {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        #[derive(Debug)]
        pub enum Dialog {
            $($(#[$doc])* $name($name),)*
        }

        impl Dialog {
            pub fn room(&self) -> &dyn Room {
                match self {
                    $(Dialog::$name(d) => d,)*
                }
            }

            pub fn room_mut(&mut self) -> &mut dyn Room {
                match self {
                    $(Dialog::$name(d) => d,)*
                }
            }
        }

        $(
            impl From<$name> for Dialog {
                fn from(d: $name) -> Self {
                    Dialog::$name(d)
                }
            }

            impl Member for $name {
                fn of_mut(dialog: &mut Dialog) -> Option<&mut Self> {
                    match dialog {
                        Dialog::$name(d) => Some(d),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }
            }
        )*
    };
}

/// A dialog type as an entry of the stack (results are routed to their type).
pub trait Member: Room + Sized {
    fn of_mut(dialog: &mut Dialog) -> Option<&mut Self>;
}

dialogs! {
    Help,
    CopyMenu,
    /// Add a client secret (also Rotate, prefilled).
    AddSecret,
    /// The new secret, shown once.
    Reveal,
    /// Delete confirmation, and Rotate's "Delete the old secret now?".
    Confirm,
    NewRegistration,
    /// A quit waiting for an add in flight.
    Finishing,
    /// Secrets an interrupted run left behind.
    Recovery,
    /// Upload a public certificate.
    UploadCertificate,
    /// A new self-signed certificate.
    NewCertificate,
    /// A new federated credential (the scenario picker).
    NewFederated,
    /// One federated credential, whole.
    FederatedDetail,
    /// Switch tenant (`T`).
    TenantPicker,
}
