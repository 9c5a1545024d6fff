//! How keys and answers reach dialogs and what comes back: the top dialog gets the command;
//! an answer finds the dialog waiting on its request id (or is dropped); Graph's answer to a
//! submit closes or replaces the dialog on success and keeps the error inside on failure; and
//! a dialog's [`Outcome`] is applied here, follow-ups included. Written once for every dialog.

use crate::handoff::{CopyReport, HandoffError};
use crate::keymap::Command;

use super::action::{CopyTarget, RequestId};
use super::dialogs::{Cx, Explain, FollowUp, Member, Next, Outcome, Reveal, Submits};
use super::effect::Effect;
use super::{App, DetailTab, ToastLevel};

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

    /// [`Self::answer`] for a dialog that may ask for another effect in reply (a fresh
    /// request id from the context).
    pub(super) fn answer_cx<D: Member>(
        &mut self,
        r: RequestId,
        f: impl FnOnce(&mut D, &mut Cx<'_>) -> Outcome,
    ) -> Vec<Effect> {
        let Some(at) = self.waiting(r) else {
            return Vec::new();
        };
        let mut cx = Cx {
            now: self.now,
            read_only: self.settings.read_only,
            tenant: self.organization.value().map(|o| &o.id),
            requests: &mut self.requests,
        };
        match D::of_mut(&mut self.dialogs[at]) {
            Some(d) => {
                let outcome = f(d, &mut cx);
                self.apply(at, outcome)
            }
            None => Vec::new(),
        }
    }

    pub(super) fn waiting(&self, r: RequestId) -> Option<usize> {
        self.dialogs.iter().rposition(|d| d.room().waits_for(r))
    }

    /// Graph's answer to a dialog's request: on success the dialog says what comes next; on
    /// failure it stays open with the error inside, ready to try again.
    pub(super) fn settle<D: Submits>(
        &mut self,
        r: RequestId,
        result: Result<D::Answer, D::Error>,
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
                    d.submit_state().error = Some(e.explain());
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
            // A copy nothing confirmed (OSC 52) is said without a tick.
            Ok(report) if report.confirmed => self.info(format!("{label}: {}", report.status)),
            Ok(report) => self.note(format!("{label}: {}", report.status)),
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

    /// Do what a dialog's outcome says: keep, close or replace the dialog at `at` (the one
    /// that answered, found on this stack just before), then the follow-ups outside it. Its
    /// own effects go first.
    pub(super) fn apply(&mut self, at: usize, outcome: Outcome) -> Vec<Effect> {
        let Outcome {
            next,
            mut effects,
            follow_ups,
        } = outcome;
        match next {
            Next::Stay => {}
            Next::Close if at < self.dialogs.len() => {
                self.dialogs.remove(at);
            }
            Next::Replace(d) => {
                if let Some(slot) = self.dialogs.get_mut(at) {
                    *slot = *d;
                }
            }
            Next::Close => {}
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
                    // The signed-in user creates as owner (Graph makes the creator an owner):
                    // the app is in Owned at once, before the directory's list catches up.
                    if self.me.value().is_some() {
                        self.owned.upsert(app.clone(), &query, sort);
                    }
                    self.summary.registered.push(app.display_name.clone());
                    fx.extend(self.open_app(app, DetailTab::ClientSecrets, false));
                }
                FollowUp::ReloadApp(id) | FollowUp::CertificatesChanged(id) => {
                    fx.extend(self.reload_detail(&id, false));
                }
                FollowUp::FederatedChanged(id) => fx.extend(self.reload_federated(&id)),
                FollowUp::HandedOff {
                    secret,
                    destination,
                } => {
                    if let Some(c) = self.summary.created_mut(&secret) {
                        c.destinations.push(destination);
                        c.held = true;
                    }
                }
                FollowUp::SentUnconfirmed {
                    secret,
                    destination,
                } => {
                    if let Some(c) = self.summary.created_mut(&secret) {
                        c.destinations.push(destination);
                    }
                }
                FollowUp::Fate { secret, fate } => {
                    if let Some(c) = self.summary.created_mut(&secret) {
                        c.fate = fate;
                    }
                }
                FollowUp::CreatedAndSettled(c) => self.summary.created.push(c),
                FollowUp::Unsettled(u) => self.summary.unsettled.push(u),
                FollowUp::SwitchTenant(t) => fx.extend(self.switch_tenant(t)),
            }
        }
        fx
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::app::dialogs::{AddSecret, Confirm, ConfirmKind, Help, NewRegistration};
    use crate::app::{Action, Dialog, Settings};
    use crate::auth::SourceKind;
    use crate::create::Added;
    use crate::graph::{
        ApiError, AppRegistration, ApplicationId, ClientSecret, GraphError, NewClientSecret,
        ObjectId, RemoveOutcome, SecretId,
    };
    use crate::journal::OpId;
    use crate::secret::SecretValue;

    fn app() -> App {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
            .single()
            .expect("valid date");
        App::new(
            Settings {
                read_only: false,
                source: SourceKind::Sandbox,
            },
            now,
        )
    }

    fn registration() -> AppRegistration {
        AppRegistration {
            id: ObjectId::new("0a1b2c3d-1111-4111-8111-000000000001"),
            app_id: ApplicationId::new("631a96bc-a705-4eda-9f99-fdaf9f54f6a2"),
            display_name: "payments-api".into(),
            created_date_time: None,
            sign_in_audience: None,
            publisher_domain: None,
            password_credentials: vec![],
            key_credentials: vec![],
        }
    }

    fn secret(key: &str) -> ClientSecret {
        ClientSecret {
            key_id: SecretId::new(key),
            display_name: Some("ci-deploy".into()),
            hint: Some("Q_e".into()),
            start_date_time: None,
            end_date_time: None,
            custom_key_identifier: None,
        }
    }

    fn refused() -> GraphError {
        GraphError::Api(Box::new(ApiError {
            operation: "remove a client secret",
            status: 403,
            code: "Authorization_RequestDenied".into(),
            message: "Insufficient privileges".into(),
            request_id: Some("5f0c1f4e-aaaa-4bbb-8ccc-0123456789ab".into()),
            client_request_id: None,
            retry_after: None,
        }))
    }

    /// Push `dialog` and press Enter on it (a form focused on its send button, a confirm on
    /// Delete): the request id it now waits on.
    fn send(app: &mut App, dialog: Dialog) -> RequestId {
        app.dialogs.push(dialog);
        let fx = app.update(Action::Command(Command::Activate));
        let at = app.dialogs.len() - 1;
        let pending = app.dialogs[at].room().pending();
        assert_eq!(fx.len(), 1, "one request: {fx:?}");
        pending.expect("waiting on its request")
    }

    fn confirm_on_delete() -> Dialog {
        let mut c = Confirm::new(
            ConfirmKind::Delete,
            registration().id,
            "payments-api".into(),
            secret("a1b2c3d4-0000-4000-8000-00000000c1c1"),
        );
        c.focus = crate::app::ConfirmFocus::Delete;
        c.into()
    }

    fn registration_form() -> Dialog {
        NewRegistration {
            name: tui_input::Input::new("orders-api".into()),
            focus: crate::app::NewFocus::Register,
            ..NewRegistration::default()
        }
        .into()
    }

    #[test]
    fn an_answer_nobody_waits_for_is_dropped() {
        let mut app = app();
        let r = send(&mut app, confirm_on_delete());
        let stranger = r + 100;
        let fx = app.update(Action::SecretRemoved(stranger, Ok(RemoveOutcome::Removed)));
        assert!(fx.is_empty());
        assert_eq!(app.dialogs.len(), 1, "the confirm is still open");
        assert_eq!(
            app.dialogs[0].room().pending(),
            Some(r),
            "and still waiting"
        );
        assert!(app.summary.is_empty() && app.toasts.is_empty());

        // The same for every kind of answer: a failure, a new app, a copy, a file.
        assert!(
            app.update(Action::SecretAdded(
                stranger,
                Err(crate::create::AddError::Refused(refused()))
            ))
            .is_empty()
        );
        assert!(
            app.update(Action::AppCreated(stranger, Ok(registration())))
                .is_empty()
        );
        assert!(
            app.update(Action::EnvFileWritten(
                stranger,
                Err(crate::handoff::HandoffError::Copy("x".into()))
            ))
            .is_empty()
        );
        assert!(app.detail.is_none() && app.summary.is_empty() && app.toasts.is_empty());

        // The real answer still lands.
        app.update(Action::SecretRemoved(r, Ok(RemoveOutcome::Removed)));
        assert!(app.dialogs.is_empty());
        assert_eq!(app.summary.deleted.len(), 1);
    }

    #[test]
    fn a_secret_whose_dialog_is_gone_is_reported_not_lost_silently() {
        let mut app = app();
        let value = NewClientSecret {
            metadata: secret("11112222-3333-4444-8555-666677778888"),
            secret_text: SecretValue::new("Fk3~FAKEfakeFAKEfakeFAKEfakeFAKEfake0000".into()),
        };
        let value = Added {
            op: OpId::new(),
            secret: value,
        };
        assert!(app.update(Action::SecretAdded(7, Ok(value))).is_empty());
        assert!(app.dialogs.is_empty());
        assert!(
            app.toasts
                .iter()
                .any(|t| t.text.contains("dialog was gone"))
        );
    }

    #[test]
    fn an_error_keeps_the_dialog_open_with_the_error_inside() {
        let mut app = app();
        let r = send(&mut app, confirm_on_delete());
        let fx = app.update(Action::SecretRemoved(r, Err(refused())));
        assert!(fx.is_empty());
        let Some(Dialog::Confirm(c)) = app.dialogs.last() else {
            panic!("the confirm stays open: {:?}", app.dialogs);
        };
        assert!(c.submit.pending.is_none(), "ready to try again");
        let e = c.submit.error.as_ref().expect("the error is inside");
        assert_eq!(e.code.as_deref(), Some("Authorization_RequestDenied"));
        assert!(app.toasts.is_empty(), "not a toast: it stays in the dialog");

        // The same protocol for the forms.
        let mut app = self::app();
        let r = send(&mut app, registration_form());
        app.update(Action::AppCreated(r, Err(refused())));
        let Some(Dialog::NewRegistration(f)) = app.dialogs.last() else {
            panic!("the form stays open");
        };
        assert!(f.submit.pending.is_none() && f.submit.error.is_some());
        assert!(app.detail.is_none(), "nothing was opened");
    }

    #[test]
    fn success_closes_or_replaces_in_place_and_applies_the_follow_ups() {
        // New registration: closes, the app joins the list and opens.
        let mut app = app();
        let r = send(&mut app, registration_form());
        let fx = app.update(Action::AppCreated(r, Ok(registration())));
        assert!(app.dialogs.is_empty());
        assert_eq!(app.all.rows.len(), 1);
        assert_eq!(app.summary.registered, vec!["payments-api".to_owned()]);
        assert!(fx.iter().any(|e| matches!(e, Effect::LoadFederated { .. })));

        // Add a secret with help open above it: the reveal takes the form's place, help
        // stays on top, and the new row and summary line appear. (The tenant must be known:
        // the journal names it.)
        app.organization = crate::app::Loadable::Loaded(
            serde_json::from_value(serde_json::json!({
                "id": "72f988bf-86f1-41af-91ab-2d7cd011db47", "displayName": "Contoso"
            }))
            .expect("org"),
        );
        let mut form = AddSecret::new(&registration());
        form.focus = crate::app::AddFocus::Add;
        let r = send(&mut app, form.into());
        app.dialogs.push(Help.into());
        let new = NewClientSecret {
            metadata: secret("11112222-3333-4444-8555-666677778888"),
            secret_text: SecretValue::new("Fk3~FAKEfakeFAKEfakeFAKEfakeFAKEfake0000".into()),
        };
        app.update(Action::SecretAdded(
            r,
            Ok(Added {
                op: OpId::new(),
                secret: new,
            }),
        ));
        assert!(matches!(
            app.dialogs.as_slice(),
            [Dialog::Reveal(_), Dialog::Help(_)]
        ));
        assert_eq!(app.summary.created.len(), 1);
        let d = app.detail.as_ref().expect("app screen");
        assert_eq!(d.secrets().len(), 1);

        // A copy's answer finds the reveal under the help overlay.
        app.dialogs.pop();
        let fx = app.update(Action::Command(Command::CopyValue));
        let Some(Effect::CopySecret { request, value }) = fx.into_iter().next() else {
            panic!("expected a copy");
        };
        assert_eq!(Arc::strong_count(&value), 2);
        app.dialogs.push(Help.into());
        app.update(Action::Copied(
            request,
            CopyTarget::SecretValue,
            Ok(CopyReport {
                method: crate::handoff::CopyMethod::Osc52,
                clears_at: None,
                status: "Copied".into(),
                confirmed: true,
            }),
        ));
        let Some(Dialog::Reveal(rv)) = app.dialogs.first() else {
            panic!("the reveal is still there");
        };
        assert!(rv.handed_off && rv.pending.is_none());
        assert_eq!(app.summary.created[0].destinations.len(), 1);
    }
}
