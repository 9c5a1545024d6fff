//! Upload a public certificate: a path (read off the loop when Enter is pressed on it, or on
//! Upload), what the file says before anything is sent (subject, issuer, SHA-1 and SHA-256
//! thumbprints, validity, key type and size, the chain), an optional description, and the
//! upload through the certificate transaction. A file holding a private key is refused with a
//! warning that it must not be shared; nothing of it is kept.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use ratatui::crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::app::READ_ONLY_REASON;
use crate::app::action::RequestId;
use crate::app::effect::Effect;
use crate::certs::{CertError, CertInfo, Parsed};
use crate::graph::{AppRegistration, ObjectId, SecretId};
use crate::keycreds::{CertChangeError, Change, Changed, NewCertificate};
use crate::keymap::{Command, Context};
use crate::policy::PolicyRef;

use super::{Cx, Explain, FollowUp, Outcome, Room, Submit, Submits};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadFocus {
    Path,
    Description,
    Upload,
    Cancel,
}

/// What is known of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadState {
    /// Not read yet (or the path changed since).
    NotRead,
    Reading(RequestId),
    Read(Box<Parsed>),
    /// Refused: why, in words (a private key, not a certificate, unreadable).
    Refused {
        reason: String,
        private_key: bool,
    },
}

#[derive(Debug)]
pub struct UploadCertificate {
    pub app: ObjectId,
    pub app_name: String,
    /// The certificate ids on screen when the dialog opened.
    pub shown: Vec<SecretId>,
    pub path: Input,
    pub description: Input,
    pub focus: UploadFocus,
    pub read: ReadState,
    /// The policy's cap on certificate lifetimes, when known.
    pub cap: Option<(Duration, PolicyRef)>,
    /// Send once the file is read (Upload was pressed before it was).
    upload_when_read: bool,
    pub submit: Submit,
}

impl UploadCertificate {
    pub fn new(app: &AppRegistration, cap: Option<(Duration, PolicyRef)>) -> Self {
        Self {
            app: app.id.clone(),
            app_name: app.display_name.clone(),
            shown: app
                .key_credentials
                .iter()
                .map(|k| k.key_id.clone())
                .collect(),
            path: Input::default(),
            description: Input::default(),
            focus: UploadFocus::Path,
            read: ReadState::NotRead,
            cap,
            upload_when_read: false,
            submit: Submit::default(),
        }
    }

    pub fn parsed(&self) -> Option<&CertInfo> {
        match &self.read {
            ReadState::Read(p) => Some(&p.leaf),
            _ => None,
        }
    }

    /// The credential's dates if uploaded at `now`, and a note when the policy or Graph's
    /// year shortens it.
    pub fn window(
        &self,
        now: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>, Option<String>)> {
        let cert = self.parsed()?;
        let (start, mut end) = cert.credential_window(now)?;
        let mut note = None;
        if end < cert.not_after {
            note = Some("Graph keeps a certificate credential at most one year".to_owned());
        }
        if let Some((max, p)) = &self.cap
            && end - start > *max
        {
            end = start + *max;
            note = Some(format!(
                "at most {} days by {}",
                max.num_days(),
                p.describe()
            ));
        }
        Some((start, end, note))
    }

    fn order() -> [UploadFocus; 4] {
        [
            UploadFocus::Path,
            UploadFocus::Description,
            UploadFocus::Upload,
            UploadFocus::Cancel,
        ]
    }

    fn cycle(&mut self, forward: bool) {
        let order = Self::order();
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let next = if forward {
            at + 1
        } else {
            at + order.len() - 1
        } % order.len();
        self.focus = order[next];
    }

    fn read_file(&mut self, cx: &mut Cx<'_>) -> Outcome {
        let raw = self.path.value().trim();
        if raw.is_empty() {
            self.submit.invalid = Some("Enter the path of a .cer, .crt or .pem file.".into());
            return Outcome::stay();
        }
        let path = expand_home(raw);
        let request = cx.request();
        self.read = ReadState::Reading(request);
        self.submit.invalid = None;
        Outcome::stay().effect(Effect::ReadCertificate { request, path })
    }

    fn send(&mut self, cx: &mut Cx<'_>) -> Outcome {
        if cx.read_only {
            self.submit.invalid = Some(format!("Disabled: {READ_ONLY_REASON}."));
            return Outcome::stay();
        }
        let Some(cert) = self.parsed().cloned() else {
            return match self.read {
                ReadState::NotRead => {
                    self.upload_when_read = true;
                    self.read_file(cx)
                }
                _ => Outcome::stay(),
            };
        };
        let Some((start, end, _)) = self.window(cx.now) else {
            self.submit.invalid = Some(format!(
                "The certificate expired on {}: nothing to upload.",
                cert.not_after.format("%Y-%m-%d")
            ));
            return Outcome::stay();
        };
        let description = Some(self.description.value().trim().to_owned());
        let new = NewCertificate::new(&cert, description, start, end);
        let request = cx.request();
        self.submit.pending = Some(request);
        self.submit.error = None;
        self.submit.invalid = None;
        Outcome::stay().effect(Effect::ChangeCertificates {
            request,
            app: self.app.clone(),
            change: Change::Add(new),
            shown: self.shown.clone(),
        })
    }

    /// The file's answer.
    pub fn file_read(&mut self, result: Result<Parsed, CertError>, cx: &mut Cx<'_>) -> Outcome {
        self.read = match result {
            Ok(p) => ReadState::Read(Box::new(p)),
            Err(e) => {
                self.upload_when_read = false;
                ReadState::Refused {
                    private_key: matches!(e, CertError::PrivateKey { .. } | CertError::Pkcs12),
                    reason: e.to_string(),
                }
            }
        };
        if self.upload_when_read && matches!(self.read, ReadState::Read(_)) {
            self.upload_when_read = false;
            return self.send(cx);
        }
        if matches!(self.read, ReadState::Read(_)) && self.focus == UploadFocus::Path {
            self.focus = UploadFocus::Description;
        }
        Outcome::stay()
    }
}

/// `~/x` is the home folder's `x`, as a shell would read it.
pub fn expand_home(raw: &str) -> PathBuf {
    match raw.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(rest))
            .unwrap_or_else(|| PathBuf::from(raw)),
        None => PathBuf::from(raw),
    }
}

impl Room for UploadCertificate {
    fn context(&self) -> Context {
        Context::UploadCertificate
    }

    fn pending(&self) -> Option<RequestId> {
        match self.read {
            ReadState::Reading(r) => Some(r),
            _ => self.submit.pending,
        }
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
            Command::NextField => self.cycle(true),
            Command::PrevField => self.cycle(false),
            Command::Back => return Outcome::close(),
            Command::Activate => match self.focus {
                UploadFocus::Path => return self.read_file(cx),
                UploadFocus::Description => self.focus = UploadFocus::Upload,
                UploadFocus::Upload => return self.send(cx),
                UploadFocus::Cancel => return Outcome::close(),
            },
            _ => {}
        }
        Outcome::stay()
    }

    fn input(&mut self, key: &KeyEvent) {
        if self.submit.pending.is_some() {
            return;
        }
        let field = match self.focus {
            UploadFocus::Path => &mut self.path,
            UploadFocus::Description => &mut self.description,
            _ => return,
        };
        if field.handle_event(&Event::Key(*key)).is_some() {
            self.submit.invalid = None;
            if self.focus == UploadFocus::Path {
                self.read = ReadState::NotRead;
            }
        }
    }
}

impl Submits for UploadCertificate {
    type Answer = Changed;
    type Error = CertChangeError;

    fn submit_state(&mut self) -> &mut Submit {
        &mut self.submit
    }

    /// The app changed meanwhile (or the outcome is unsure): the tab reads it again, so the
    /// next try starts from what is there.
    fn failed(&mut self, error: &CertChangeError) -> Outcome {
        match error {
            CertChangeError::Graph(_) | CertChangeError::Duplicate(_) => Outcome::stay(),
            _ => Outcome::stay().then(FollowUp::CertificatesChanged(self.app.clone())),
        }
    }

    fn succeeded(&mut self, changed: Changed) -> Outcome {
        let thumb = self.parsed().map(CertInfo::thumbprint).unwrap_or_default();
        tracing::info!(app = %self.app, thumbprint = %thumb, ?changed, "certificate uploaded");
        Outcome::close()
            .then(FollowUp::CertificatesChanged(self.app.clone()))
            .then(FollowUp::Info(format!(
                "Uploaded certificate {thumb} to {}.",
                self.app_name
            )))
    }
}

impl Explain for CertChangeError {
    fn explain(&self) -> crate::app::ErrorInfo {
        match self {
            CertChangeError::Graph(g) => g.explain(),
            other => {
                tracing::warn!(error = %other, "shown to the user");
                crate::app::ErrorInfo::plain(
                    other.to_string(),
                    "The Certificates tab has read the app again: check it, then try again.",
                )
            }
        }
    }
}
