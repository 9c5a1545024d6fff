//! How keys and answers reach dialogs and what comes back: the top dialog gets the command;
//! an answer finds the dialog waiting on its request id (or is dropped); Graph's answer to a
//! submit closes or replaces the dialog on success and keeps the error inside on failure; and
//! a dialog's [`Outcome`] is applied here, follow-ups included. Written once for every dialog.

use crate::graph::GraphError;
use crate::handoff::{CopyReport, HandoffError};
use crate::keymap::Command;

use super::action::{CopyTarget, RequestId};
use super::dialogs::{Cx, FollowUp, Member, Next, Outcome, Reveal, Submits};
use super::effect::Effect;
use super::{App, DetailTab, ToastLevel, explain};

impl App {
    /// A command for the top dialog.
    pub(super) fn dialog_command(&mut self, c: Command) -> Vec<Effect> {
        let Some(at) = self.dialogs.len().checked_sub(1) else {
            return Vec::new();
        };
        let mut cx = Cx {
            now: self.now,
            read_only: self.settings.read_only,
            tenant: self.organization.value().map(|o| &o.id),
            requests: &mut self.requests,
        };
        let outcome = self.dialogs[at].room_mut().command(c, &mut cx);
        self.apply(at, outcome)
    }

    /// The one place an answer finds its dialog: the `D` waiting on request `r` gets it. An
    /// answer nobody waits on is dropped.
    pub(super) fn answer<D: Member>(
        &mut self,
        r: RequestId,
        f: impl FnOnce(&mut D) -> Outcome,
    ) -> Vec<Effect> {
        let Some(at) = self.waiting(r) else {
            return Vec::new();
        };
        match D::of_mut(&mut self.dialogs[at]) {
            Some(d) => {
                let outcome = f(d);
                self.apply(at, outcome)
            }
            None => Vec::new(),
        }
    }

    pub(super) fn waiting(&self, r: RequestId) -> Option<usize> {
        self.dialogs
            .iter()
            .rposition(|d| d.room().pending() == Some(r))
    }

    /// Graph's answer to a dialog's request: on success the dialog says what comes next; on
    /// failure it stays open with the error inside, ready to try again.
    pub(super) fn settle<D: Submits>(
        &mut self,
        r: RequestId,
        result: Result<D::Answer, GraphError>,
    ) -> Vec<Effect> {
        if self.waiting(r).is_none() {
            let follow_ups = D::unclaimed(&result);
            return self.apply_follow_ups(follow_ups);
        }
        self.answer(r, |d: &mut D| {
            d.submit_state().pending = None;
            match result {
                Ok(answer) => d.succeeded(answer),
                Err(e) => {
                    d.submit_state().error = Some(explain(&e));
                    d.failed(&e)
                }
            }
        })
    }

    /// A copy came back: the sign-in code's to its screen, an id's as a toast, the secret's to
    /// the reveal dialog waiting on it.
    pub(super) fn copied(
        &mut self,
        r: RequestId,
        target: CopyTarget,
        result: Result<CopyReport, HandoffError>,
    ) -> Vec<Effect> {
        if self.sign_in.copy_request == Some(r) {
            self.code_copied(result);
            return Vec::new();
        }
        let CopyTarget::Text(label) = target else {
            return self.answer(r, |rv: &mut Reveal| rv.copied(&target, result));
        };
        match result {
            Ok(report) => self.info(format!("{label}: {}", report.status)),
            Err(e) => {
                tracing::warn!(error = %e, "copy failed");
                // The hand-off's own advice is about secret values; an id is on screen.
                let text = match e {
                    HandoffError::NoClipboard { .. } => format!(
                        "Could not copy the {label}: no clipboard works here. It is shown on screen: select it by hand."
                    ),
                    other => format!("Could not copy the {label}: {other}"),
                };
                self.toast(ToastLevel::Error, text, None);
            }
        }
        Vec::new()
    }

    /// Do what a dialog's outcome says: keep, close or replace the dialog at `at`, then the
    /// follow-ups outside it. Its own effects go first.
    pub(super) fn apply(&mut self, at: usize, outcome: Outcome) -> Vec<Effect> {
        let Outcome {
            next,
            mut effects,
            follow_ups,
        } = outcome;
        match next {
            Next::Stay => {}
            Next::Close => {
                self.dialogs.remove(at);
            }
            Next::Replace(d) => self.dialogs[at] = *d,
        }
        effects.extend(self.apply_follow_ups(follow_ups));
        effects
    }

    fn apply_follow_ups(&mut self, follow_ups: Vec<FollowUp>) -> Vec<Effect> {
        let mut fx = Vec::new();
        for f in follow_ups {
            match f {
                FollowUp::Info(text) => self.info(text),
                FollowUp::Error(text) => self.toast(ToastLevel::Error, text, None),
                FollowUp::SecretAdded {
                    app,
                    secret,
                    summary,
                } => {
                    self.insert_secret(&app, &secret);
                    self.summary.created.push(summary);
                }
                FollowUp::SecretRemoved {
                    app,
                    secret,
                    deleted,
                } => {
                    self.remove_secret_row(&app, &secret);
                    self.summary.deleted.extend(deleted);
                }
                FollowUp::AppRegistered(app) => {
                    let (query, sort) = (self.filter.value().to_owned(), self.sort);
                    self.all.upsert(app.clone(), &query, sort);
                    self.summary.registered.push(app.display_name.clone());
                    fx.extend(self.open_app(app, DetailTab::ClientSecrets, false));
                }
                FollowUp::ReloadApp(id) => fx.extend(self.reload_detail(&id, false)),
                FollowUp::HandedOff {
                    secret,
                    destination,
                } => {
                    let created = self.summary.created.iter_mut();
                    if let Some(c) = created.rev().find(|c| c.secret_id == secret) {
                        c.destinations.push(destination);
                    }
                }
            }
        }
        fx
    }
}
