//! Reveal, once: the new secret with its value masked until `v`, its hand-offs (copy the
//! value, copy an env block, write a `.env`), and a close that asks first when the value never
//! left. Its modes: normal, asking for the `.env` path, asking "close anyway?". After a
//! rotation, closing opens "Delete the old secret now?" in its place.

use std::sync::Arc;

use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::app::action::{CopyTarget, RequestId};
use crate::app::effect::Effect;
use crate::graph::{ApplicationId, ClientSecret, ObjectId};
use crate::handoff::{CopyMethod, CopyReport, EnvFileReport, HandoffError};
use crate::keymap::{Command, Context, key_for};
use crate::secret::SecretValue;

use super::confirm::{Confirm, ConfirmKind};
use super::{Cx, FollowUp, Outcome, Room};

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
    pub pending: Option<RequestId>,
    /// Rotate: the old secret, offered for deletion after the reveal closes.
    pub rotating: Option<ClientSecret>,
}

impl Reveal {
    pub fn new(
        app: ObjectId,
        app_name: String,
        app_id: ApplicationId,
        secret: ClientSecret,
        value: Arc<SecretValue>,
        rotating: Option<ClientSecret>,
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
        }
    }

    /// Close, dropping the value (the dialog holds the last `Arc` unless a copy is still
    /// running, which drops its own when done); after a rotation, offer to delete the old one.
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
            Ok(report) => {
                self.handed_off = true;
                self.status = Some(StatusLine {
                    ok: true,
                    text: report.status.clone(),
                });
                Outcome::stay().then(FollowUp::HandedOff {
                    secret: self.secret.key_id.clone(),
                    destination: copy_destination(what, &report),
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
                self.handed_off = true;
                let verb = if report.updated { "updated" } else { "written" };
                let mut text = format!(".env {verb}: {} (mode 0600)", report.path.display());
                if let Some(w) = &report.git_warning {
                    text.push_str(" — ");
                    text.push_str(w);
                }
                self.status = Some(StatusLine { ok: true, text });
                Outcome::stay().then(FollowUp::HandedOff {
                    secret: self.secret.key_id.clone(),
                    destination: format!(".env {verb} at {}", report.path.display()),
                })
            }
            Err(e) => {
                tracing::warn!(error = %e, "writing the .env file failed");
                self.status = Some(StatusLine::failed(handoff_advice(&e)));
                Outcome::stay()
            }
        }
    }
}

impl Room for Reveal {
    fn context(&self) -> Context {
        match self.mode {
            RevealMode::Normal => Context::Reveal,
            RevealMode::WritePath(_) => Context::RevealPath,
            RevealMode::ConfirmClose => Context::RevealConfirmClose,
        }
    }

    /// Help lists the dialog's own keys whatever it is asking.
    fn help_context(&self) -> Option<Context> {
        Some(Context::Reveal)
    }

    fn pending(&self) -> Option<RequestId> {
        self.pending
    }

    fn holds_unsaved_value(&self) -> bool {
        !self.handed_off
    }

    fn command(&mut self, c: Command, cx: &mut Cx<'_>) -> Outcome {
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
            (RevealMode::Normal, Command::Back) if self.handed_off => return self.close(),
            (RevealMode::Normal, Command::Back) => self.mode = RevealMode::ConfirmClose,
            (RevealMode::WritePath(path), Command::Activate) => {
                let path = path.value().trim().to_owned();
                if path.is_empty() {
                    self.status = Some(StatusLine::failed("Enter a path for the .env file."));
                    return Outcome::stay();
                }
                self.mode = RevealMode::Normal;
                let Some(tenant_id) = cx.tenant.cloned() else {
                    self.status = Some(StatusLine::failed(
                        "The tenant id is not known yet, so the .env file cannot be complete.",
                    ));
                    return Outcome::stay();
                };
                let request = cx.request();
                self.pending = Some(request);
                return Outcome::stay().effect(Effect::WriteEnvFile {
                    request,
                    path: path.into(),
                    client_id: self.app_id.clone(),
                    tenant_id,
                    value: Arc::clone(&self.value),
                });
            }
            (RevealMode::WritePath(_), Command::Back) => self.mode = RevealMode::Normal,
            (RevealMode::ConfirmClose, Command::ConfirmYes) => return self.close(),
            (RevealMode::ConfirmClose, Command::Back) => self.mode = RevealMode::Normal,
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
        (CopyMethod::Osc52, None) => {
            format!(
                "{what} copied to clipboard via the terminal (OSC 52); it is not cleared automatically"
            )
        }
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
        HandoffError::EnvFile { .. } => {
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
