//! A new self-signed certificate for the app: `CN=<app name>`, the same expiry choices as
//! client secrets (those beyond Graph's one year or the policy's cap shown disabled with the
//! reason), RSA 2048 or P-256, and where the private key and certificate go: PEM files and/or
//! a key vault (`VAULT[/NAME]`, as one PEM secret; with a vault the file paths may be left
//! empty). The runner checks the paths and the vault before anything is made, writes the files
//! (0600, atomic) and stores the vault secret, then uploads only the public part. The private
//! key never reaches the model.

use chrono::{DateTime, Duration, Utc};
use tui_input::Input;

use crate::app::action::RequestId;
use crate::app::effect::Effect;
use crate::certs::{self, KeyAlgorithm};
use crate::expiry::{self, Lifetime};
use crate::graph::{AppRegistration, ApplicationId, ObjectId, SecretId};
use crate::keycreds::{CreateError, Created, SelfSignedPlan};
use crate::keymap::{Command, Context};
use crate::policy::{PolicyRef, Refusal};

use super::form::{self, Focused, Form};
use super::upload_certificate::expand_home;
use super::{Cx, Explain, FollowUp, InFlight, Outcome, Room, Submit, Submits};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertFocus {
    Expires,
    Algorithm,
    KeyPath,
    CertPath,
    Vault,
    Description,
    Create,
    Cancel,
}

const ORDER: [CertFocus; 8] = [
    CertFocus::Expires,
    CertFocus::Algorithm,
    CertFocus::KeyPath,
    CertFocus::CertPath,
    CertFocus::Vault,
    CertFocus::Description,
    CertFocus::Create,
    CertFocus::Cancel,
];

#[derive(Debug)]
pub struct NewCertificate {
    pub app: ObjectId,
    pub app_name: String,
    pub app_id: ApplicationId,
    pub shown: Vec<SecretId>,
    /// Index into [`expiry::PRESETS`].
    pub choice: usize,
    /// Index into [`KeyAlgorithm::ALL`].
    pub algorithm: usize,
    pub key_path: Input,
    pub cert_path: Input,
    /// `VAULT[/NAME]`, or empty for no vault.
    pub vault: Input,
    pub description: Input,
    pub focus: CertFocus,
    pub cap: Option<(Duration, PolicyRef)>,
    pub submit: Submit,
}

/// A file name from the app's name: lowercase letters, digits, `.`, `-`.
fn file_stem(app_name: &str) -> String {
    let cn = certs::common_name(app_name).to_lowercase();
    let mut s: String = cn
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-').to_owned();
    if s.is_empty() {
        "certificate".into()
    } else {
        s
    }
}

impl NewCertificate {
    pub fn new(
        app: &AppRegistration,
        cap: Option<(Duration, PolicyRef)>,
        now: DateTime<Utc>,
    ) -> Self {
        let stem = file_stem(&app.display_name);
        let mut d = Self {
            app: app.id.clone(),
            app_name: app.display_name.clone(),
            app_id: app.app_id.clone(),
            shown: app
                .key_credentials
                .iter()
                .map(|k| k.key_id.clone())
                .collect(),
            choice: 0,
            algorithm: 0,
            key_path: Input::new(format!("{stem}.key.pem")),
            cert_path: Input::new(format!("{stem}.crt.pem")),
            vault: Input::default(),
            description: Input::default(),
            focus: CertFocus::Expires,
            cap,
            submit: Submit::default(),
        };
        // The recommended choice, or the longest allowed one when it is not.
        if d.refusal(0, now).is_some() {
            d.choice = (0..expiry::PRESETS.len())
                .filter(|i| d.refusal(*i, now).is_none())
                .max_by_key(|i| preset_days(*i))
                .unwrap_or(0);
        }
        d
    }

    /// Why preset `i` is not offered: beyond Graph's year, or beyond the policy's cap.
    pub fn refusal(&self, i: usize, now: DateTime<Utc>) -> Option<Refusal> {
        let (start, end) = self.span(i, now)?;
        if end > certs::max_credential_end(start) {
            return Some(Refusal {
                max: certs::max_credential_end(start) - start,
                policy: None,
            });
        }
        crate::policy::check_span(start, end, self.cap.as_ref()).err()
    }

    fn span(&self, i: usize, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let lifetime = expiry::PRESETS.get(i)?.0;
        let start = now.with_nanosecond(0).unwrap_or(now);
        lifetime.end_from(start).ok().map(|e| (start, e))
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        KeyAlgorithm::ALL
            .get(self.algorithm)
            .copied()
            .unwrap_or_default()
    }

    /// Start and end of the credential for the live line.
    pub fn dates(&self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.span(self.choice, now)
    }
}

use chrono::Timelike;

fn preset_days(i: usize) -> u32 {
    match expiry::PRESETS.get(i).map(|p| p.0) {
        Some(Lifetime::Days(d)) => d,
        _ => 0,
    }
}

impl Room for NewCertificate {
    fn context(&self) -> Context {
        Context::NewCertificate
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

    fn command(&mut self, command: Command, cx: &mut Cx<'_>) -> Outcome {
        // Stepping skips disabled choices, so it needs the clock: done here, not in the trait.
        if matches!(command, Command::Up | Command::Down)
            && self.focus == CertFocus::Expires
            && self.submit.pending.is_none()
        {
            let n = expiry::PRESETS.len();
            for step in 1..n {
                let i = if command == Command::Down {
                    (self.choice + step) % n
                } else {
                    (self.choice + n - step % n) % n
                };
                if self.refusal(i, cx.now).is_none() {
                    self.choice = i;
                    break;
                }
            }
            self.submit.invalid = None;
            return Outcome::stay();
        }
        form::command(self, command, cx)
    }

    fn input(&mut self, key: &ratatui::crossterm::event::KeyEvent) {
        form::input(self, key);
    }
}

impl Form for NewCertificate {
    type Request = SelfSignedPlan;

    const WAITING: Option<&'static str> =
        Some("Making and uploading the certificate; the dialog closes when Graph answers.");

    fn focused(&self) -> Focused {
        match self.focus {
            CertFocus::Expires | CertFocus::Algorithm => Focused::Choice,
            CertFocus::Create => Focused::Send,
            CertFocus::Cancel => Focused::Cancel,
            _ => Focused::Field,
        }
    }

    fn cycle_focus(&mut self, forward: bool) {
        let at = ORDER.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = ORDER.len();
        self.focus = ORDER[if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        }];
    }

    fn step_choice(&mut self, _down: bool) {
        // Only the key type gets here (the expiry steps in `command`).
        self.algorithm = (self.algorithm + 1) % KeyAlgorithm::ALL.len();
    }

    fn focused_input(&mut self) -> Option<&mut Input> {
        match self.focus {
            CertFocus::KeyPath => Some(&mut self.key_path),
            CertFocus::CertPath => Some(&mut self.cert_path),
            CertFocus::Vault => Some(&mut self.vault),
            CertFocus::Description => Some(&mut self.description),
            _ => None,
        }
    }

    fn build(&self, cx: &Cx<'_>) -> Result<SelfSignedPlan, String> {
        if let Some(r) = self.refusal(self.choice, cx.now) {
            return Err(format!("That lifetime is {}.", r.reason()));
        }
        let (start, end) = self
            .dates(cx.now)
            .ok_or_else(|| "Choose how long the certificate lasts.".to_owned())?;
        let key = self.key_path.value().trim();
        let cert = self.cert_path.value().trim();
        let vault = match self.vault.value().trim() {
            "" => None,
            v => Some(
                crate::keycreds::vault::parse_target(v).map_err(|e| format!("Key Vault: {e}."))?,
            ),
        };
        if vault.is_none() && (key.is_empty() || cert.is_empty()) {
            return Err(
                "Enter where the private key and the certificate go (files, a key vault, or both)."
                    .into(),
            );
        }
        if !key.is_empty() && key == cert {
            return Err("The key and the certificate need two different files.".into());
        }
        let path = |p: &str| (!p.is_empty()).then(|| expand_home(p));
        Ok(SelfSignedPlan {
            app: self.app.clone(),
            app_name: self.app_name.clone(),
            application_id: self.app_id.clone(),
            shown: self.shown.clone(),
            key_out: path(key),
            cert_out: path(cert),
            vault,
            overwrite: false,
            start,
            end,
            algorithm: self.algorithm(),
            description: Some(self.description.value().trim().to_owned()).filter(|d| !d.is_empty()),
        })
    }

    fn send(&self, request: RequestId, plan: SelfSignedPlan) -> Effect {
        Effect::CreateCertificate { request, plan }
    }
}

impl Submits for NewCertificate {
    type Answer = Created;
    type Error = CreateError;

    fn submit_state(&mut self) -> &mut Submit {
        &mut self.submit
    }

    /// Key kept but the upload did not happen: the tab reads the app again.
    fn failed(&mut self, error: &CreateError) -> Outcome {
        match error {
            CreateError::Upload { .. } => {
                Outcome::stay().then(FollowUp::CertificatesChanged(self.app.clone()))
            }
            _ => Outcome::stay(),
        }
    }

    fn succeeded(&mut self, created: Created) -> Outcome {
        tracing::info!(app = %self.app, thumbprint = %created.info.thumbprint(), "self-signed certificate created");
        Outcome::close()
            .then(FollowUp::CertificatesChanged(self.app.clone()))
            .then(FollowUp::Info(format!(
                "Added certificate {} to {}. Kept: {} (keep the key secret).",
                created.info.thumbprint(),
                self.app_name,
                created.kept.describe()
            )))
    }
}

impl Explain for CreateError {
    fn explain(&self) -> crate::app::ErrorInfo {
        match self {
            CreateError::Upload {
                error: crate::keycreds::CertChangeError::Graph(g),
                kept,
            } => {
                let mut info = g.explain();
                info.advice = format!("{} {}", info.advice, kept.after_failure());
                info
            }
            CreateError::Vault(e) => {
                tracing::warn!(error = %e, "shown to the user");
                crate::app::ErrorInfo::plain(
                    format!("{e}; nothing was created"),
                    e.advice()
                        .unwrap_or_else(|| "Change the Key Vault field and try again.".into()),
                )
            }
            other => {
                tracing::warn!(error = %other, "shown to the user");
                crate::app::ErrorInfo::plain(
                    other.to_string(),
                    "Change what is named and try again.",
                )
            }
        }
    }
}
