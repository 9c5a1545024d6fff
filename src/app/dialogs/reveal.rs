//! Reveal, once: the new secret with its value masked until `v`, its hand-offs (copy the value,
//! copy an env block, write a `.env`), and a close that never loses a value silently. Its
//! modes: normal; asking for the `.env` path; asking whether to replace another app's values
//! in that file; and, when nobody holds the value (no confirmed copy, no file written), asking
//! whether to delete the secret again (the default) or keep it. A quit (Ctrl-C, `q`, a signal)
//! asks the same question. A copy that cannot be confirmed (OSC 52) counts as a hand-off only
//! once the user says the paste worked. After a rotation, the old secret is offered for
//! deletion only once the new value was handed off.

use std::path::PathBuf;
use std::sync::Arc;

use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::app::action::{CopyTarget, RequestId};
use crate::app::effect::{Effect, JournalNote};
use crate::app::loadable::ErrorInfo;
use crate::app::summary::Fate;
use crate::graph::{ApplicationId, ClientSecret, GraphError, ObjectId, RemoveOutcome};
use crate::handoff::{CopyMethod, CopyReport, EnvFileReport, HandoffError};
use crate::journal::OpId;
use crate::keymap::{Command, Context, key_for};
use crate::secret::SecretValue;

use super::confirm::{Confirm, ConfirmKind};
use super::{Cx, Explain, FollowUp, InFlight, Outcome, Room};

/// A line of status under the reveal dialog (and on the sign-in screen).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusLine {
    pub ok: bool,
    pub text: String,
}

impl StatusLine {
    fn failed(text: impl Into<String>) -> Self {
        Self {
            ok: false,
            text: text.into(),
        }
    }
}

/// The two answers to "nobody holds the value".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseFocus {
    /// Delete the new secret again (the default: nobody holds it).
    Delete,
    /// Keep it (the user saved the value by hand).
    Keep,
}

#[derive(Debug)]
pub enum RevealMode {
    Normal,
    /// Asking for the .env path.
    WritePath(Input),
    /// The .env file holds another app's or tenant's values: replace them?
    ConfirmReplace {
        path: PathBuf,
        /// The file's `AZURE_CLIENT_ID`, when it is another app's.
        client_id: Option<String>,
        /// The file's `AZURE_TENANT_ID`, when it is another tenant's.
        tenant_id: Option<String>,
    },
    /// "Nobody holds the value: delete the secret or keep it?" (`quitting`: asked by a quit).
    ConfirmClose {
        focus: CloseFocus,
        quitting: bool,
    },
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
    /// The value reached someone: a confirmed copy, a written file, or a paste the user
    /// confirmed.
    pub handed_off: bool,
    pub status: Option<StatusLine>,
    pub mode: RevealMode,
    /// A copy or a file write in flight.
    pub pending: Option<RequestId>,
    /// Rotate: the old secret, offered for deletion after the new value was handed off.
    pub rotating: Option<ClientSecret>,
    /// The creation's journal entry, until how it ended is recorded.
    pub op: Option<OpId>,
    /// A copy was sent but not confirmed (OSC 52): where it went, until the user says the
    /// paste worked.
    pub unconfirmed: Option<String>,
    /// Deleting the secret again, in flight.
    pub deleting: Option<RequestId>,
    /// Why deleting it failed (shown with the close question).
    pub delete_error: Option<ErrorInfo>,
}

impl Reveal {
    pub fn new(
        app: ObjectId,
        app_name: String,
        app_id: ApplicationId,
        secret: ClientSecret,
        value: Arc<SecretValue>,
        rotating: Option<ClientSecret>,
        op: Option<OpId>,
    ) -> Self {
        Self {
            app,
            app_name,
            app_id,
            secret,
            value,
            shown: false,
            handed_off: false,
            status: None,
            mode: RevealMode::Normal,
            pending: None,
            rotating,
            op,
            unconfirmed: None,
            deleting: None,
            delete_error: None,
        }
    }

    /// Close, dropping the value (the dialog holds the last `Arc` unless a copy is still
    /// running, which drops its own when done); after a rotation whose new value someone
    /// holds, offer to delete the old one.
    fn close(&mut self) -> Outcome {
        match self.rotating.take() {
            Some(old) => Outcome::replace(Confirm::new(
                ConfirmKind::RotateOld,
                self.app.clone(),
                self.app_name.clone(),
                old,
            )),
            None => Outcome::close(),
        }
    }

    /// "ci-deploy", or the Secret ID when there is no description.
    fn shown_name(&self) -> String {
        match self.secret.description() {
            Some(d) if !d.is_empty() => format!("\"{d}\""),
            _ => self.secret.key_id.to_string(),
        }
    }

    /// The value reached someone: record it once (summary and journal).
    fn handed(&mut self, destination: String) -> Outcome {
        self.handed_off = true;
        self.unconfirmed = None;
        let mut out = Outcome::stay().then(FollowUp::HandedOff {
            secret: self.secret.key_id.clone(),
            destination,
        });
        if let Some(op) = self.op.take() {
            out = out.effect(Effect::Journal {
                op,
                note: JournalNote::HandedOff,
            });
        }
        out
    }

    /// A copy of the value or the env block came back.
    pub fn copied(
        &mut self,
        target: &CopyTarget,
        result: Result<CopyReport, HandoffError>,
    ) -> Outcome {
        self.pending = None;
        let what = if *target == CopyTarget::EnvBlock {
            "env block"
        } else {
            "value"
        };
        match result {
            Ok(report) if report.confirmed => {
                self.status = Some(StatusLine {
                    ok: true,
                    text: report.status.clone(),
                });
                self.handed(copy_destination(what, &report))
            }
            Ok(report) => {
                // Sent, but nothing says it arrived: not a hand-off until the user says so.
                let paste = key_for(Context::Reveal, Command::ConfirmPaste);
                self.status = Some(StatusLine {
                    ok: true,
                    text: format!("{}. Press {paste} once the paste worked.", report.status),
                });
                let words = copy_destination(what, &report);
                self.unconfirmed = Some(words.clone());
                if self.handed_off {
                    return Outcome::stay();
                }
                Outcome::stay().then(FollowUp::SentUnconfirmed {
                    secret: self.secret.key_id.clone(),
                    destination: format!("{words} (unconfirmed)"),
                })
            }
            Err(e) => {
                tracing::warn!(error = %e, "copying the secret failed");
                self.status = Some(StatusLine::failed(handoff_advice(&e)));
                Outcome::stay()
            }
        }
    }

    /// The `.env` file was written (or not).
    pub fn env_written(&mut self, result: Result<EnvFileReport, HandoffError>) -> Outcome {
        self.pending = None;
        match result {
            Ok(report) => {
                let verb = if report.updated { "updated" } else { "written" };
                let mut text = format!(
                    ".env {verb}: {} (mode {:04o})",
                    report.path.display(),
                    report.mode
                );
                if report.mode & 0o077 != 0 {
                    text.push_str(" — others than you can read it: it kept its own mode");
                }
                if let Some(w) = &report.git_warning {
                    text.push_str(" — ");
                    text.push_str(w);
                }
                self.status = Some(StatusLine { ok: true, text });
                self.handed(format!(".env {verb} at {}", report.path.display()))
            }
            Err(HandoffError::EnvConflict {
                path,
                client_id,
                tenant_id,
            }) => {
                self.status = None;
                self.mode = RevealMode::ConfirmReplace {
                    path,
                    client_id,
                    tenant_id,
                };
                Outcome::stay()
            }
            Err(e) => {
                tracing::warn!(error = %e, "writing the .env file failed");
                self.status = Some(StatusLine::failed(handoff_advice(&e)));
                Outcome::stay()
            }
        }
    }

    /// Deleting the secret again came back.
    pub fn rolled_back(&mut self, result: Result<RemoveOutcome, GraphError>) -> Outcome {
        self.deleting = None;
        match result {
            Ok(_) => {
                self.op = None;
                let mut news = format!(
                    "Deleted the new secret {} again: its value reached nobody, and nothing of it remains.",
                    self.shown_name()
                );
                if let Some(old) = self.rotating.take() {
                    news.push_str(&format!(
                        " The old secret {} is kept.",
                        old.description()
                            .filter(|d| !d.is_empty())
                            .map_or_else(|| old.key_id.to_string(), |d| format!("\"{d}\""))
                    ));
                }
                Outcome::close()
                    .then(FollowUp::SecretRemoved {
                        app: self.app.clone(),
                        secret: self.secret.key_id.clone(),
                        deleted: None,
                    })
                    .then(FollowUp::Fate {
                        secret: self.secret.key_id.clone(),
                        fate: Fate::DeletedAgain,
                    })
                    .then(FollowUp::Info(news))
            }
            Err(e) => {
                self.delete_error = Some(e.explain());
                Outcome::stay()
            }
        }
    }

    fn delete_again(&mut self, cx: &mut Cx<'_>) -> Outcome {
        let request = cx.request();
        self.deleting = Some(request);
        self.delete_error = None;
        Outcome::stay().effect(Effect::RollBack {
            request,
            op: self.op.clone(),
            app: self.app.clone(),
            secret: self.secret.key_id.clone(),
        })
    }

    /// The user keeps it, saying they hold the value: a hand-off azsecrets did not see.
    fn keep(&mut self) -> Outcome {
        self.handed_off = true;
        let mut out = self.close().then(FollowUp::Fate {
            secret: self.secret.key_id.clone(),
            fate: Fate::KeptByUser,
        });
        if let Some(op) = self.op.take() {
            out = out.effect(Effect::Journal {
                op,
                note: JournalNote::Kept(self.secret.key_id.clone()),
            });
        }
        out
    }

    fn write_env(&mut self, path: PathBuf, replace_other: bool, cx: &mut Cx<'_>) -> Outcome {
        self.mode = RevealMode::Normal;
        let Some(tenant_id) = cx.tenant.cloned() else {
            self.status = Some(StatusLine::failed(
                "The tenant id is not known yet, so the .env file cannot be complete.",
            ));
            return Outcome::stay();
        };
        let request = cx.request();
        self.pending = Some(request);
        Outcome::stay().effect(Effect::WriteEnvFile {
            request,
            path,
            client_id: self.app_id.clone(),
            tenant_id,
            value: Arc::clone(&self.value),
            replace_other,
        })
    }
}

impl Room for Reveal {
    fn context(&self) -> Context {
        match self.mode {
            RevealMode::Normal => Context::Reveal,
            RevealMode::WritePath(_) => Context::RevealPath,
            RevealMode::ConfirmReplace { .. } => Context::RevealConfirmReplace,
            RevealMode::ConfirmClose { .. } => Context::RevealConfirmClose,
        }
    }

    /// Help lists the dialog's own keys whatever it is asking.
    fn help_context(&self) -> Option<Context> {
        Some(Context::Reveal)
    }

    fn pending(&self) -> Option<RequestId> {
        self.pending.or(self.deleting)
    }

    fn holds_unsaved_value(&self) -> bool {
        !self.handed_off
    }

    fn ask_to_close(&mut self, quitting: bool) -> bool {
        if self.handed_off {
            return false;
        }
        if self.deleting.is_none() {
            self.mode = RevealMode::ConfirmClose {
                focus: CloseFocus::Delete,
                quitting,
            };
        }
        true
    }

    fn asking_to_close(&self) -> bool {
        self.deleting.is_some() || matches!(self.mode, RevealMode::ConfirmClose { .. })
    }

    fn in_flight(&self) -> InFlight {
        if self.deleting.is_some() {
            InFlight::Wait
        } else {
            InFlight::None
        }
    }

    fn command(&mut self, c: Command, cx: &mut Cx<'_>) -> Outcome {
        if self.deleting.is_some() {
            // Deleting it again: nothing else until Graph answers.
            return Outcome::stay();
        }
        match (&mut self.mode, c) {
            (RevealMode::Normal, Command::ToggleReveal) => self.shown = !self.shown,
            (RevealMode::Normal, Command::CopyValue) => {
                let request = cx.request();
                self.pending = Some(request);
                return Outcome::stay().effect(Effect::CopySecret {
                    request,
                    value: Arc::clone(&self.value),
                });
            }
            (RevealMode::Normal, Command::CopyEnvBlock) => {
                let Some(tenant_id) = cx.tenant.cloned() else {
                    self.status = Some(StatusLine::failed(format!(
                        "The tenant id is not known yet (the header shows why); press {} to copy the value alone.",
                        key_for(Context::Reveal, Command::CopyValue)
                    )));
                    return Outcome::stay();
                };
                let request = cx.request();
                self.pending = Some(request);
                return Outcome::stay().effect(Effect::CopyEnvBlock {
                    request,
                    client_id: self.app_id.clone(),
                    tenant_id,
                    value: Arc::clone(&self.value),
                });
            }
            (RevealMode::Normal, Command::WriteEnvFile) => {
                self.mode = RevealMode::WritePath(Input::new("./.env".into()));
            }
            (RevealMode::Normal, Command::ConfirmPaste) => match self.unconfirmed.take() {
                Some(words) => {
                    self.status = Some(StatusLine {
                        ok: true,
                        text: "You confirmed the paste: the value arrived.".into(),
                    });
                    return self.handed(format!("{words}; you confirmed the paste"));
                }
                None => {
                    self.status = Some(StatusLine::failed(format!(
                        "There is no unconfirmed copy to confirm: {} copies the value.",
                        key_for(Context::Reveal, Command::CopyValue)
                    )));
                }
            },
            (RevealMode::Normal, Command::Back) if self.handed_off => return self.close(),
            (RevealMode::Normal, Command::Back) => {
                self.ask_to_close(false);
            }
            (RevealMode::WritePath(path), Command::Activate) => {
                let path = path.value().trim().to_owned();
                if path.is_empty() {
                    self.status = Some(StatusLine::failed("Enter a path for the .env file."));
                    return Outcome::stay();
                }
                return self.write_env(path.into(), false, cx);
            }
            (RevealMode::WritePath(_), Command::Back) => self.mode = RevealMode::Normal,
            (RevealMode::ConfirmReplace { path, .. }, Command::ConfirmYes) => {
                let path = path.clone();
                return self.write_env(path, true, cx);
            }
            (RevealMode::ConfirmReplace { .. }, Command::Back) => {
                self.mode = RevealMode::Normal;
                self.status = Some(StatusLine::failed(
                    "The .env file was left as it was; nothing was written.",
                ));
            }
            (RevealMode::ConfirmClose { focus, .. }, Command::NextField | Command::PrevField) => {
                *focus = match focus {
                    CloseFocus::Delete => CloseFocus::Keep,
                    CloseFocus::Keep => CloseFocus::Delete,
                };
            }
            (RevealMode::ConfirmClose { focus, .. }, Command::Activate) => {
                return match focus {
                    CloseFocus::Delete => self.delete_again(cx),
                    CloseFocus::Keep => self.keep(),
                };
            }
            (RevealMode::ConfirmClose { .. }, Command::DeleteSecret) => {
                return self.delete_again(cx);
            }
            (RevealMode::ConfirmClose { .. }, Command::KeepSecret) => return self.keep(),
            (RevealMode::ConfirmClose { .. }, Command::Back) => {
                self.mode = RevealMode::Normal;
                self.delete_error = None;
            }
            _ => {}
        }
        Outcome::stay()
    }

    fn input(&mut self, key: &ratatui::crossterm::event::KeyEvent) {
        if let RevealMode::WritePath(i) = &mut self.mode {
            i.handle_event(&ratatui::crossterm::event::Event::Key(*key));
        }
    }
}

/// The summary's words for a copy.
fn copy_destination(what: &str, report: &CopyReport) -> String {
    match (report.method, report.clears_at) {
        (_, Some(t)) => format!(
            "{what} copied to clipboard, clears at {}",
            t.format("%H:%M:%S")
        ),
        (CopyMethod::Osc52, None) if report.confirmed => {
            format!("{what} copied to tmux's clipboard (OSC 52); it is not cleared automatically")
        }
        (CopyMethod::Osc52, None) => format!(
            "{what} sent to the terminal clipboard (OSC 52); it is not cleared automatically"
        ),
        (CopyMethod::Native, None) => {
            format!("{what} copied to clipboard (not cleared automatically)")
        }
    }
}

/// A hand-off failure in words, with what to do next (the keys from the key map).
pub fn handoff_advice(e: &HandoffError) -> String {
    let show = key_for(Context::Reveal, Command::ToggleReveal);
    let write = key_for(Context::Reveal, Command::WriteEnvFile);
    let copy = key_for(Context::Reveal, Command::CopyValue);
    match e {
        HandoffError::NoClipboard { reason } => format!(
            "No clipboard works here ({reason}). Press {show} to reveal the value and select it by hand, or {write} to write a .env file."
        ),
        HandoffError::Copy(why) => format!(
            "Copy failed: {why}. Try again ({copy}), press {show} to reveal and select it by hand, or write a .env file ({write})."
        ),
        HandoffError::EnvFile { .. } | HandoffError::EnvConflict { .. } => {
            format!("{e}. Choose another path ({write}) or copy instead ({copy}).")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::test_rebind;

    #[test]
    fn hand_off_advice_names_the_reveal_keys_from_the_key_map() {
        let e = HandoffError::NoClipboard {
            reason: "no display".into(),
        };
        assert_eq!(
            handoff_advice(&e),
            "No clipboard works here (no display). Press v to reveal the value and select it by hand, or w to write a .env file."
        );
        let rebound = test_rebind::with(Context::Reveal, Command::ToggleReveal, "F2", || {
            test_rebind::with(Context::Reveal, Command::WriteEnvFile, "F3", || {
                handoff_advice(&e)
            })
        });
        assert!(rebound.contains("Press F2 to reveal") && rebound.contains("or F3 to write"));
        let copy = test_rebind::with(Context::Reveal, Command::CopyValue, "F4", || {
            handoff_advice(&HandoffError::Copy("busy".into()))
        });
        assert!(copy.contains("Try again (F4)"), "{copy}");
    }
}
