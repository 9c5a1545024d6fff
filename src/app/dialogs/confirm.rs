//! Delete a client secret, or, after a rotation, "Delete the old secret now?". Both name the
//! target, start on the safe choice (Cancel, Keep both), and keep Graph's refusal inside.

use crate::app::READ_ONLY_REASON;
use crate::app::action::RequestId;
use crate::app::effect::Effect;
use crate::app::loadable::ErrorInfo;
use crate::app::summary::DeletedSecret;
use crate::graph::{ClientSecret, ObjectId, RemoveOutcome};
use crate::keymap::{Command, Context};

use super::{Cx, FollowUp, Outcome, Room, Submit, Submits};

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
pub struct Confirm {
    pub kind: ConfirmKind,
    pub app: ObjectId,
    pub app_name: String,
    pub secret: ClientSecret,
    pub focus: ConfirmFocus,
    /// The removal in flight, or why it failed (`invalid` is unused: there is nothing to type).
    pub submit: Submit,
    /// A line said above the warning (Rotate: "The new secret signs in ✓ after 14 s.").
    pub note: Option<String>,
}

impl Confirm {
    pub fn new(kind: ConfirmKind, app: ObjectId, app_name: String, secret: ClientSecret) -> Self {
        Self {
            kind,
            app,
            app_name,
            secret,
            focus: ConfirmFocus::Safe,
            submit: Submit::default(),
            note: None,
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// "ci-deploy", or the Secret ID when the secret has no description.
    fn shown(&self) -> String {
        match self.secret.description() {
            Some(d) if !d.is_empty() => d,
            _ => self.secret.key_id.0.clone(),
        }
    }
}

impl Room for Confirm {
    fn context(&self) -> Context {
        match self.kind {
            ConfirmKind::Delete => Context::ConfirmDelete,
            ConfirmKind::RotateOld => Context::RotatePrompt,
        }
    }

    fn pending(&self) -> Option<RequestId> {
        self.submit.pending
    }

    fn in_flight(&self) -> super::InFlight {
        if self.submit.pending.is_some() {
            super::InFlight::Wait
        } else {
            super::InFlight::None
        }
    }

    fn command(&mut self, c: Command, cx: &mut Cx<'_>) -> Outcome {
        if self.submit.pending.is_some() {
            return Outcome::stay();
        }
        match c {
            Command::NextField | Command::PrevField => {
                self.focus = match self.focus {
                    ConfirmFocus::Safe => ConfirmFocus::Delete,
                    ConfirmFocus::Delete => ConfirmFocus::Safe,
                };
            }
            Command::Back => return Outcome::close(),
            Command::Activate if self.focus == ConfirmFocus::Safe => return Outcome::close(),
            Command::Activate if cx.read_only => {
                self.submit.error = Some(ErrorInfo::plain(
                    format!("Disabled: {READ_ONLY_REASON}."),
                    "Nothing was changed.",
                ));
            }
            Command::Activate => {
                let request = cx.request();
                self.submit.pending = Some(request);
                self.submit.error = None;
                return Outcome::stay().effect(Effect::RemoveSecret {
                    request,
                    app: self.app.clone(),
                    key_id: self.secret.key_id.clone(),
                });
            }
            _ => {}
        }
        Outcome::stay()
    }
}

impl Submits for Confirm {
    type Answer = RemoveOutcome;
    type Error = crate::graph::GraphError;

    fn submit_state(&mut self) -> &mut Submit {
        &mut self.submit
    }

    fn succeeded(&mut self, outcome: RemoveOutcome) -> Outcome {
        tracing::info!(app = %self.app, secret_id = %self.secret.key_id, ?outcome, "client secret removed");
        let shown = self.shown();
        let (news, deleted) = match outcome {
            RemoveOutcome::Removed => (
                format!("Deleted \"{shown}\" from {}.", self.app_name),
                Some(DeletedSecret {
                    app: self.app_name.clone(),
                    description: self.secret.description().unwrap_or_default(),
                    secret_id: self.secret.key_id.clone(),
                }),
            ),
            RemoveOutcome::AlreadyGone => (
                format!("\"{shown}\" was already removed from {}.", self.app_name),
                None,
            ),
        };
        Outcome::close()
            .then(FollowUp::SecretRemoved {
                app: self.app.clone(),
                secret: self.secret.key_id.clone(),
                deleted,
            })
            .then(FollowUp::Info(news))
    }
}
