//! Secrets an interrupted run left behind (from the journal, checked against the tenant at
//! start): one at a time, each named by app, description, creation time and Secret ID, with
//! Delete (the default: nobody holds its value) or Keep. Esc decides later: the journal keeps
//! the rest, and the next start asks again.

use crate::app::READ_ONLY_REASON;
use crate::app::action::RequestId;
use crate::app::effect::Effect;
use crate::app::loadable::ErrorInfo;
use crate::app::summary::DeletedSecret;
use crate::create::{Choice, Orphan, Resolution, ResolveError};
use crate::keymap::{Command, Context};

use super::{Cx, FollowUp, InFlight, Outcome, Room, Submit, Submits};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoveryFocus {
    Delete,
    Keep,
}

#[derive(Debug)]
pub struct Recovery {
    /// Still to decide, the one shown first.
    pub orphans: Vec<Orphan>,
    /// How many there were (for "2 of 3").
    pub total: usize,
    pub focus: RecoveryFocus,
    /// The choice being carried out, and why it failed.
    pub submit: Submit,
    /// What the pending request does to the first orphan.
    pub choice: Option<Choice>,
}

impl Recovery {
    pub fn new(orphans: Vec<Orphan>) -> Self {
        Self {
            total: orphans.len(),
            orphans,
            focus: RecoveryFocus::Delete,
            submit: Submit::default(),
            choice: None,
        }
    }

    /// The orphan on screen.
    pub fn current(&self) -> Option<&Orphan> {
        self.orphans.first()
    }

    /// Which one this is, counting from 1.
    pub fn position(&self) -> usize {
        self.total - self.orphans.len() + 1
    }

    fn choose(&mut self, choice: Choice, cx: &mut Cx<'_>) -> Outcome {
        let Some(orphan) = self.current().cloned() else {
            return Outcome::close();
        };
        if choice == Choice::Delete && cx.read_only {
            self.submit.error = Some(ErrorInfo::plain(
                format!("Disabled: {READ_ONLY_REASON}."),
                "Nothing was changed; it stays for the next start.",
            ));
            return Outcome::stay();
        }
        let request = cx.request();
        self.submit.pending = Some(request);
        self.submit.error = None;
        self.choice = Some(choice);
        Outcome::stay().effect(Effect::ResolveOrphan {
            request,
            orphan,
            choice,
        })
    }

    /// The next orphan, or close when none is left.
    fn next(&mut self) -> Outcome {
        if !self.orphans.is_empty() {
            self.orphans.remove(0);
        }
        self.focus = RecoveryFocus::Delete;
        self.choice = None;
        if self.orphans.is_empty() {
            Outcome::close()
        } else {
            Outcome::stay()
        }
    }
}

impl Room for Recovery {
    fn context(&self) -> Context {
        Context::Recovery
    }

    fn pending(&self) -> Option<RequestId> {
        self.submit.pending
    }

    fn in_flight(&self) -> InFlight {
        if self.submit.pending.is_some() {
            InFlight::Wait
        } else {
            InFlight::None
        }
    }

    fn command(&mut self, c: Command, cx: &mut Cx<'_>) -> Outcome {
        if self.submit.pending.is_some() {
            return Outcome::stay();
        }
        match c {
            Command::NextField | Command::PrevField => {
                self.focus = match self.focus {
                    RecoveryFocus::Delete => RecoveryFocus::Keep,
                    RecoveryFocus::Keep => RecoveryFocus::Delete,
                };
            }
            Command::Activate => {
                let choice = match self.focus {
                    RecoveryFocus::Delete => Choice::Delete,
                    RecoveryFocus::Keep => Choice::Keep,
                };
                return self.choose(choice, cx);
            }
            Command::DeleteSecret => return self.choose(Choice::Delete, cx),
            Command::KeepSecret => return self.choose(Choice::Keep, cx),
            Command::Back => return Outcome::close(),
            _ => {}
        }
        Outcome::stay()
    }
}

impl Submits for Recovery {
    type Answer = Resolution;
    type Error = ResolveError;

    fn submit_state(&mut self) -> &mut Submit {
        &mut self.submit
    }

    fn succeeded(&mut self, resolution: Resolution) -> Outcome {
        let Some(orphan) = self.current().cloned() else {
            return Outcome::close();
        };
        tracing::info!(op = %orphan.op, secret_id = %orphan.secret_id, ?resolution, "left-over secret resolved");
        let shown = orphan
            .description
            .as_deref()
            .filter(|d| !d.is_empty())
            .map_or_else(|| orphan.secret_id.to_string(), |d| format!("\"{d}\""));
        let app = orphan.app.name.clone();
        let (news, deleted) = match resolution {
            Resolution::Deleted => (
                format!("Deleted {shown} from {app}: the secret an interrupted run left."),
                Some(DeletedSecret {
                    app: app.clone(),
                    description: orphan.description.clone().unwrap_or_default(),
                    secret_id: orphan.secret_id.clone(),
                }),
            ),
            Resolution::AlreadyGone => (format!("{shown} was already gone from {app}."), None),
            Resolution::Kept => (
                format!("Kept {shown} on {app}; azsecrets will not ask about it again."),
                None,
            ),
            Resolution::AlreadyResolved => (
                format!("Another azsecrets already took care of {shown} on {app}."),
                None,
            ),
        };
        let mut out = self.next().then(FollowUp::Info(news));
        if matches!(resolution, Resolution::Deleted | Resolution::AlreadyGone) {
            out = out.then(FollowUp::SecretRemoved {
                app: orphan.app.object_id.clone(),
                secret: orphan.secret_id.clone(),
                deleted,
            });
        }
        out
    }
}
