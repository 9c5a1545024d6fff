//! Reveal, once: the new secret with its value masked until `v`, its hand-offs (copy the value,
//! copy an env block, write a `.env`, store it in a key vault, set it as a GitHub Actions
//! secret, give it to any command), the check that it signs in, and a close that never loses a
//! value silently. Its modes: normal; asking for the `.env` path; asking whether to replace
//! another app's values in that file; the three destination forms ([`forms`]); and, when nobody
//! holds the value (no confirmed copy, no file written, no destination took it), asking whether
//! to delete the secret again (the default) or keep it. A quit (Ctrl-C, `q`, a signal) asks the
//! same question. A copy that cannot be confirmed (OSC 52) counts as a hand-off only once the
//! user says the paste worked; a destination counts once it answered that it took the value.
//! Each destination's answer and the sign-in check stay on show ([`answers`]). After a
//! rotation, the old secret is offered for deletion only once the new value was handed off and
//! the new secret was seen to sign in (closing starts the check); otherwise both are kept.

mod answers;
mod forms;

use std::path::PathBuf;
use std::sync::Arc;

pub use answers::{SentLine, SignInCheck, Waiting};
pub use forms::{
    ExecForm, GitHubFocus, GitHubForm, Listing, Step, VaultChoice, VaultFocus, VaultForm,
};

use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::app::action::{CopyTarget, RequestId};
use crate::app::effect::{Effect, JournalNote};
use crate::app::loadable::ErrorInfo;
use crate::app::summary::Fate;
use crate::destination::{About, SendError, Sent, Target, VaultsFound};
use crate::graph::{ApplicationId, ClientSecret, GraphError, ObjectId, RemoveOutcome};
use crate::handoff::{CopyMethod, CopyReport, EnvFileReport, HandoffError};
use crate::journal::OpId;
use crate::keymap::{Command, Context, key_for};
use crate::keyvault::SecretName;
use crate::secret::SecretValue;
use crate::verify::{Verified, VerifyError, VerifyEvent};

use super::confirm::{Confirm, ConfirmKind};
use super::{Cx, Explain, FollowUp, InFlight, Outcome, Room};

/// A line of status under the reveal dialog (and on the sign-in screen).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusLine {
    pub tone: Tone,
    pub text: String,
}

/// How a status line reads: something done (a tick), a note or hint (no mark), or a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Done,
    Note,
    Failed,
}

impl StatusLine {
    fn failed(text: impl Into<String>) -> Self {
        Self {
            tone: Tone::Failed,
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
    /// Choosing the key vault to store the value in.
    KeyVault(Box<VaultForm>),
    /// The GitHub repository to set the value in.
    GitHub(Box<GitHubForm>),
    /// The command to give the value to.
    Exec(Box<ExecForm>),
}

/// A hand-off to a destination in flight.
#[derive(Debug)]
pub struct Sending {
    pub request: RequestId,
    /// What it is ("key vault contoso-kv, secret app").
    pub what: String,
    /// The tenant it was sent in, and the vault as the user chose it (remembered on success).
    tenant: crate::graph::TenantId,
    vault: Option<crate::keyvault::VaultRef>,
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
    /// Each destination's answer (key vault, GitHub, a command), in the order they came.
    pub sent: Vec<SentLine>,
    /// A hand-off to a destination in flight.
    pub sending: Option<Box<Sending>>,
    /// The check that the new secret signs in.
    pub check: SignInCheck,
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
            sent: Vec::new(),
            sending: None,
            check: SignInCheck::NotRun,
        }
    }

    /// Close, dropping the value (the dialog holds the last `Arc` unless a copy is still
    /// running, which drops its own when done). After a rotation whose new value someone
    /// holds: when the new secret was seen to sign in, offer to delete the old one; when it was
    /// not checked yet, check first (closing again skips it); otherwise keep both.
    fn close(&mut self, cx: &mut Cx<'_>) -> Outcome {
        let Some(old) = self.rotating.take() else {
            return closing(self.cancel_check());
        };
        match &self.check {
            SignInCheck::SignsIn { seconds, attempts } => {
                let note = format!(
                    "The new secret {}.",
                    SignInCheck::success_words(*seconds, *attempts)
                );
                Outcome::replace(
                    Confirm::new(
                        ConfirmKind::RotateOld,
                        self.app.clone(),
                        self.app_name.clone(),
                        old,
                    )
                    .with_note(note),
                )
            }
            SignInCheck::NotRun => {
                self.rotating = Some(old);
                self.mode = RevealMode::Normal;
                self.start_check(cx, true)
            }
            SignInCheck::Running { .. } => {
                // Closing again while the check runs: skip it, keep both.
                closing(self.cancel_check()).then(FollowUp::Info(kept_words(
                    &old,
                    "the new one's sign-in was not checked",
                )))
            }
            SignInCheck::Failed { .. } => Outcome::close().then(FollowUp::Info(kept_words(
                &old,
                "the new one did not sign in",
            ))),
            SignInCheck::Stopped => Outcome::close().then(FollowUp::Info(kept_words(
                &old,
                "the new one's sign-in was not checked",
            ))),
        }
    }

    /// Start the sign-in check (`then_rotate`: closing after a rotation started it).
    fn start_check(&mut self, cx: &mut Cx<'_>, then_rotate: bool) -> Outcome {
        if self.check.running().is_some() {
            return Outcome::stay();
        }
        let Some(tenant) = cx.tenant.cloned() else {
            self.status = Some(StatusLine::failed(
                "The tenant id is not known yet (the header shows why), so the sign-in cannot be checked.",
            ));
            return Outcome::stay();
        };
        let request = cx.request();
        self.status = None;
        self.check = SignInCheck::Running {
            request,
            started: cx.now,
            attempt: 0,
            waiting: None,
            then_rotate,
        };
        Outcome::stay().effect(Effect::VerifySecret {
            request,
            tenant,
            app_id: self.app_id.clone(),
            value: Arc::clone(&self.value),
        })
    }

    /// Stop the check if it runs (its task is dropped).
    fn cancel_check(&mut self) -> Outcome {
        match self.check.running() {
            Some(request) => {
                self.check = SignInCheck::Stopped;
                Outcome::stay().effect(Effect::CancelVerify { request })
            }
            None => Outcome::stay(),
        }
    }

    /// A progress step of the sign-in check.
    pub fn verify_progress(&mut self, event: VerifyEvent) -> Outcome {
        self.check.progress(event);
        Outcome::stay()
    }

    /// The sign-in check ended; after a rotation's close, success offers the old secret's
    /// deletion at once.
    pub fn verified(&mut self, result: Result<Verified, VerifyError>) -> Outcome {
        let then_rotate = matches!(
            self.check,
            SignInCheck::Running {
                then_rotate: true,
                ..
            }
        );
        match &result {
            Ok(v) => {
                tracing::info!(secret_id = %self.secret.key_id, secs = v.elapsed.as_secs(), "the new secret signs in")
            }
            Err(e) => {
                tracing::warn!(secret_id = %self.secret.key_id, error = %e, "the new secret did not sign in")
            }
        }
        self.check.finish(result);
        match (&self.check, then_rotate, self.rotating.take()) {
            (SignInCheck::SignsIn { seconds, attempts }, true, Some(old)) => {
                let note = format!(
                    "The new secret {}.",
                    SignInCheck::success_words(*seconds, *attempts)
                );
                Outcome::replace(
                    Confirm::new(
                        ConfirmKind::RotateOld,
                        self.app.clone(),
                        self.app_name.clone(),
                        old,
                    )
                    .with_note(note),
                )
            }
            (_, _, old) => {
                self.rotating = old;
                Outcome::stay()
            }
        }
    }

    /// Send the value to a key vault, GitHub or a command (one at a time).
    fn send(&mut self, target: Target, cx: &mut Cx<'_>) -> Outcome {
        self.mode = RevealMode::Normal;
        if let Some(s) = &self.sending {
            self.status = Some(StatusLine::failed(format!(
                "Still waiting for {}: one destination at a time.",
                s.what
            )));
            return Outcome::stay();
        }
        let Some(tenant) = cx.tenant.cloned() else {
            self.status = Some(StatusLine::failed(
                "The tenant id is not known yet (the header shows why): a destination needs it.",
            ));
            return Outcome::stay();
        };
        let request = cx.request();
        self.sending = Some(Box::new(Sending {
            request,
            what: target.to_string(),
            tenant: tenant.clone(),
            vault: match &target {
                Target::KeyVault(v) => Some(v.vault.clone()),
                _ => None,
            },
        }));
        let about = About {
            app_name: self.app_name.clone(),
            application_id: self.app_id.clone(),
            tenant_id: tenant.to_string(),
            secret_id: self.secret.key_id.clone(),
            hint: self.secret.hint.clone(),
            start: self.secret.start_date_time,
            end: self.secret.end_date_time,
        };
        Outcome::stay().effect(Effect::SendSecret {
            request,
            target,
            about,
            value: Arc::clone(&self.value),
        })
    }

    /// A destination answered: it took the value (a hand-off), or why not.
    pub fn sent_back(&mut self, request: RequestId, result: Result<Sent, SendError>) -> Outcome {
        let Some(sending) = self.sending.take_if(|s| s.request == request) else {
            return Outcome::stay();
        };
        let sending = *sending;
        let line = SentLine::of(sending.what, &result);
        self.sent.push(line);
        match result {
            Ok(sent) => {
                tracing::info!(secret_id = %self.secret.key_id, "a destination took the value");
                self.status = (self.check == SignInCheck::NotRun).then(|| StatusLine {
                    tone: Tone::Note,
                    text: format!(
                        "Press {} to check that it signs in.",
                        key_for(Context::Reveal, Command::TestSignIn)
                    ),
                });
                let mut out = self.handed(sent.describe());
                if let Some(vault) = sending.vault {
                    out = out.effect(Effect::RememberVault {
                        tenant: sending.tenant,
                        app_id: self.app_id.clone(),
                        vault,
                    });
                }
                out
            }
            Err(e) => {
                tracing::warn!(error = %e, "a destination did not take the value");
                self.status = None;
                Outcome::stay()
            }
        }
    }

    /// The vault picker's listing came back.
    pub fn vaults_listed(&mut self, found: VaultsFound) -> Outcome {
        if let RevealMode::KeyVault(f) = &mut self.mode {
            f.found(found);
        }
        Outcome::stay()
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
                    tone: Tone::Done,
                    text: report.status.clone(),
                });
                self.handed(copy_destination(what, &report))
            }
            Ok(report) => {
                // Sent, but nothing says it arrived: not a hand-off until the user says so.
                let paste = key_for(Context::Reveal, Command::ConfirmPaste);
                self.status = Some(StatusLine {
                    tone: Tone::Done,
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
                self.status = Some(StatusLine {
                    tone: Tone::Done,
                    text,
                });
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
    fn keep(&mut self, cx: &mut Cx<'_>) -> Outcome {
        self.handed_off = true;
        self.mode = RevealMode::Normal;
        let mut out = self.close(cx).then(FollowUp::Fate {
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
            RevealMode::KeyVault(_) => Context::RevealVault,
            RevealMode::GitHub(_) => Context::RevealGitHub,
            RevealMode::Exec(_) => Context::RevealExec,
        }
    }

    /// Help lists the dialog's own keys whatever it is asking, or the form's keys.
    fn help_context(&self) -> Option<Context> {
        match self.mode {
            RevealMode::KeyVault(_) | RevealMode::GitHub(_) | RevealMode::Exec(_) => {
                Some(self.context())
            }
            _ => Some(Context::Reveal),
        }
    }

    fn pending(&self) -> Option<RequestId> {
        let listing = match &self.mode {
            RevealMode::KeyVault(f) => f.loading(),
            _ => None,
        };
        self.pending
            .or(self.deleting)
            .or(self.sending.as_ref().map(|s| s.request))
            .or(self.check.running())
            .or(listing)
    }

    fn waits_for(&self, request: RequestId) -> bool {
        let listing = match &self.mode {
            RevealMode::KeyVault(f) => f.loading(),
            _ => None,
        };
        [
            self.pending,
            self.deleting,
            self.sending.as_ref().map(|s| s.request),
            self.check.running(),
            listing,
        ]
        .contains(&Some(request))
    }

    fn holds_unsaved_value(&self) -> bool {
        !self.handed_off
    }

    fn ask_to_close(&mut self, quitting: bool) -> bool {
        if self.handed_off {
            return false;
        }
        if let Some(s) = &self.sending {
            // A destination may be taking the value right now: never offer to delete it.
            self.status = Some(StatusLine::failed(format!(
                "Waiting for {} to answer before this can close.",
                s.what
            )));
            return true;
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
        if self.deleting.is_some() || self.sending.is_some() {
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
                        tone: Tone::Done,
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
            (RevealMode::Normal, Command::SendToKeyVault) => {
                let default_name = SecretName::for_app(&self.app_name);
                let Some(tenant) = cx.tenant.cloned() else {
                    self.mode = RevealMode::KeyVault(Box::new(VaultForm::new(
                        &default_name,
                        Listing::Unavailable(
                            "The tenant is not known yet: type the vault's name or URL.".into(),
                        ),
                    )));
                    return Outcome::stay();
                };
                let request = cx.request();
                self.mode = RevealMode::KeyVault(Box::new(VaultForm::new(
                    &default_name,
                    Listing::Loading(request),
                )));
                return Outcome::stay().effect(Effect::ListVaults {
                    request,
                    tenant,
                    app_id: self.app_id.clone(),
                    rotating: self.rotating.as_ref().map(|s| s.key_id.clone()),
                });
            }
            (RevealMode::Normal, Command::SendToGitHub) => {
                self.mode = RevealMode::GitHub(Box::default());
            }
            (RevealMode::Normal, Command::SendToCommand) => {
                self.mode = RevealMode::Exec(Box::default());
            }
            (RevealMode::Normal, Command::TestSignIn) => return self.start_check(cx, false),
            // Esc stops a running check first.
            (RevealMode::Normal, Command::Back) if self.check.running().is_some() => {
                let out = self.cancel_check();
                self.status = Some(StatusLine::failed(format!(
                    "The sign-in check was stopped. {} checks again.",
                    key_for(Context::Reveal, Command::TestSignIn)
                )));
                return out;
            }
            (RevealMode::Normal, Command::Back) if self.handed_off => return self.close(cx),
            (RevealMode::KeyVault(f), c) => match f.command(c) {
                Step::Stay => {}
                Step::Cancel => self.mode = RevealMode::Normal,
                Step::Send(t) => return self.send(Target::KeyVault(t), cx),
            },
            (RevealMode::GitHub(f), c) => match f.command(c) {
                Step::Stay => {}
                Step::Cancel => self.mode = RevealMode::Normal,
                Step::Send((target, variables)) => {
                    return self.send(Target::GitHub { target, variables }, cx);
                }
            },
            (RevealMode::Exec(f), c) => match f.command(c) {
                Step::Stay => {}
                Step::Cancel => self.mode = RevealMode::Normal,
                Step::Send(cmd) => return self.send(Target::Exec(cmd), cx),
            },
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
                    CloseFocus::Keep => self.keep(cx),
                };
            }
            (RevealMode::ConfirmClose { .. }, Command::DeleteSecret) => {
                return self.delete_again(cx);
            }
            (RevealMode::ConfirmClose { .. }, Command::KeepSecret) => return self.keep(cx),
            (RevealMode::ConfirmClose { .. }, Command::Back) => {
                self.mode = RevealMode::Normal;
                self.delete_error = None;
            }
            _ => {}
        }
        Outcome::stay()
    }

    fn input(&mut self, key: &ratatui::crossterm::event::KeyEvent) {
        match &mut self.mode {
            RevealMode::WritePath(i) => {
                i.handle_event(&ratatui::crossterm::event::Event::Key(*key));
            }
            RevealMode::KeyVault(f) => f.input(key),
            RevealMode::GitHub(f) => f.input(key),
            RevealMode::Exec(f) => f.input(key),
            _ => {}
        }
    }
}

/// `out`, closing the dialog.
fn closing(mut out: Outcome) -> Outcome {
    out.next = super::Next::Close;
    out
}

/// "The old secret "x" is kept: the new one did not sign in. …"
fn kept_words(old: &ClientSecret, why: &str) -> String {
    format!(
        "The old secret {} is kept: {why}. Delete it from the app screen ({}) once everything uses the new one.",
        old.description()
            .filter(|d| !d.is_empty())
            .map_or_else(|| old.key_id.to_string(), |d| format!("\"{d}\"")),
        key_for(Context::App, Command::DeleteSecret)
    )
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
