//! Delete a client secret, a certificate or a federated credential, or, after a rotation,
//! "Delete the old secret now?". Each names the target, starts on the safe choice (Cancel,
//! Keep both), and keeps Graph's refusal inside.

use crate::app::READ_ONLY_REASON;
use crate::app::action::RequestId;
use crate::app::effect::Effect;
use crate::app::loadable::ErrorInfo;
use crate::app::summary::DeletedSecret;
use crate::graph::{
    Certificate, ClientSecret, FederatedCredential, GraphError, ObjectId, RemoveOutcome, SecretId,
};
use crate::keycreds::{CertChangeError, Change, Changed};
use crate::keymap::{Command, Context};

use super::{Cx, Explain, FollowUp, Outcome, Room, Submit, Submits};

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
    /// Delete a certificate (the whole-set transaction).
    DeleteCertificate,
    /// Delete a federated credential.
    DeleteFederated,
}

/// What a delete names besides a client secret.
#[derive(Clone, Debug)]
pub enum ConfirmTarget {
    /// The secret in [`Confirm::secret`].
    Secret,
    Certificate {
        certificate: Certificate,
        /// The certificate ids on screen: a change meanwhile stops the delete.
        shown: Vec<SecretId>,
    },
    Federated(FederatedCredential),
}

/// What a delete removed.
#[derive(Debug)]
pub enum Deleted {
    Secret(RemoveOutcome),
    Certificate(Changed),
    Federated(RemoveOutcome),
}

/// Why a delete failed.
#[derive(Debug)]
pub enum DeleteError {
    Graph(GraphError),
    Certificate(CertChangeError),
}

impl Explain for DeleteError {
    fn explain(&self) -> ErrorInfo {
        match self {
            DeleteError::Graph(g) | DeleteError::Certificate(CertChangeError::Graph(g)) => {
                g.explain()
            }
            DeleteError::Certificate(e) => {
                tracing::warn!(error = %e, "shown to the user");
                ErrorInfo::plain(e.to_string(), "Nothing was sent.")
            }
        }
    }
}

#[derive(Debug)]
pub struct Confirm {
    pub kind: ConfirmKind,
    pub app: ObjectId,
    pub app_name: String,
    /// The credential named: the client secret, or for a certificate or a federated
    /// credential its id and description in a secret's shape (the shared wording).
    pub secret: ClientSecret,
    pub target: ConfirmTarget,
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
            target: ConfirmTarget::Secret,
            focus: ConfirmFocus::Safe,
            submit: Submit::default(),
            note: None,
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Delete a certificate (`shown`: the certificate ids on screen).
    pub fn certificate(
        app: ObjectId,
        app_name: String,
        certificate: Certificate,
        shown: Vec<SecretId>,
    ) -> Self {
        let named = ClientSecret {
            key_id: certificate.key_id.clone(),
            display_name: certificate.display_name.clone(),
            hint: None,
            start_date_time: certificate.start_date_time,
            end_date_time: certificate.end_date_time,
            custom_key_identifier: None,
        };
        Self {
            kind: ConfirmKind::DeleteCertificate,
            target: ConfirmTarget::Certificate { certificate, shown },
            ..Self::new(ConfirmKind::DeleteCertificate, app, app_name, named)
        }
    }

    pub fn federated(app: ObjectId, app_name: String, credential: FederatedCredential) -> Self {
        let named = ClientSecret {
            key_id: SecretId::new(credential.id.clone()),
            display_name: Some(credential.name.clone()),
            hint: None,
            start_date_time: None,
            end_date_time: None,
            custom_key_identifier: None,
        };
        Self {
            kind: ConfirmKind::DeleteFederated,
            target: ConfirmTarget::Federated(credential),
            ..Self::new(ConfirmKind::DeleteFederated, app, app_name, named)
        }
    }

    /// "client secret", "certificate", "federated credential".
    pub fn what(&self) -> &'static str {
        match self.target {
            ConfirmTarget::Secret => "client secret",
            ConfirmTarget::Certificate { .. } => "certificate",
            ConfirmTarget::Federated(_) => "federated credential",
        }
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
            ConfirmKind::Delete | ConfirmKind::DeleteCertificate | ConfirmKind::DeleteFederated => {
                Context::ConfirmDelete
            }
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
                let effect = match &self.target {
                    ConfirmTarget::Secret => Effect::RemoveSecret {
                        request,
                        app: self.app.clone(),
                        key_id: self.secret.key_id.clone(),
                    },
                    ConfirmTarget::Certificate { certificate, shown } => {
                        Effect::ChangeCertificates {
                            request,
                            app: self.app.clone(),
                            change: Change::Remove(certificate.key_id.clone()),
                            shown: shown.clone(),
                        }
                    }
                    ConfirmTarget::Federated(c) => Effect::RemoveFederated {
                        request,
                        app: self.app.clone(),
                        id: c.id.clone(),
                    },
                };
                return Outcome::stay().effect(effect);
            }
            _ => {}
        }
        Outcome::stay()
    }
}

impl Submits for Confirm {
    type Answer = Deleted;
    type Error = DeleteError;

    fn submit_state(&mut self) -> &mut Submit {
        &mut self.submit
    }

    /// A certificate set that changed meanwhile is read again.
    fn failed(&mut self, error: &DeleteError) -> Outcome {
        match error {
            DeleteError::Certificate(
                CertChangeError::ChangedMeanwhile { .. } | CertChangeError::Unverified(_),
            ) => Outcome::stay().then(FollowUp::CertificatesChanged(self.app.clone())),
            _ => Outcome::stay(),
        }
    }

    fn succeeded(&mut self, deleted: Deleted) -> Outcome {
        let shown = self.shown();
        let gone =
            |what: &str, app: &str| format!("{what} \"{shown}\" was already removed from {app}.");
        match deleted {
            Deleted::Secret(outcome) => {
                tracing::info!(app = %self.app, secret_id = %self.secret.key_id, ?outcome, "client secret removed");
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
            Deleted::Certificate(changed) => {
                tracing::info!(app = %self.app, certificate_id = %self.secret.key_id, ?changed, "certificate removed");
                let news = match changed {
                    Changed::AlreadyGone => gone("Certificate", &self.app_name),
                    _ => format!("Deleted certificate \"{shown}\" from {}.", self.app_name),
                };
                Outcome::close()
                    .then(FollowUp::CertificatesChanged(self.app.clone()))
                    .then(FollowUp::Info(news))
            }
            Deleted::Federated(outcome) => {
                tracing::info!(app = %self.app, credential = %self.secret.key_id, ?outcome, "federated credential removed");
                let news = match outcome {
                    RemoveOutcome::AlreadyGone => gone("Federated credential", &self.app_name),
                    RemoveOutcome::Removed => format!(
                        "Deleted federated credential \"{shown}\" from {}.",
                        self.app_name
                    ),
                };
                Outcome::close()
                    .then(FollowUp::FederatedChanged(self.app.clone()))
                    .then(FollowUp::Info(news))
            }
        }
    }
}
