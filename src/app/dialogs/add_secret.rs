//! Add a client secret (and Rotate's prefilled replacement): the description, the expiry
//! choices with a live end date, and the submit. Validation is pure: it reads the fields and
//! the clock the model holds, and says what is wrong in words. Graph's answer replaces the
//! form with the reveal dialog, or stays inside it as an error.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use tui_input::Input;

use crate::app::action::RequestId;
use crate::app::effect::Effect;
use crate::app::summary::{CreatedSecret, Fate, UnsettledAdd};
use crate::create::{AddError, AddPlan, Added, Settled};
use crate::expiry::{self, Lifetime};
use crate::graph::{
    AppRegistration, ApplicationId, ClientSecret, NewClientSecret, ObjectId,
    PasswordCredentialRequest,
};
use crate::journal::AppRef;
use crate::keymap::{Command, Context};
use crate::new_secret::{InvalidRequest, MAX_DESCRIPTION, NewSecretRequest};

use super::form::{self, Focused, Form};
use super::reveal::Reveal;
use super::{Cx, FollowUp, InFlight, Outcome, Room, Submit, Submits};

/// One row of the Expires list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryChoice {
    Preset(usize),
    Custom,
    Never,
}

impl ExpiryChoice {
    pub const ALL: [ExpiryChoice; 7] = [
        ExpiryChoice::Preset(0),
        ExpiryChoice::Preset(1),
        ExpiryChoice::Preset(2),
        ExpiryChoice::Preset(3),
        ExpiryChoice::Preset(4),
        ExpiryChoice::Custom,
        ExpiryChoice::Never,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ExpiryChoice::Preset(i) => expiry::PRESETS.get(i).map_or("", |p| p.1),
            ExpiryChoice::Custom => "Custom",
            ExpiryChoice::Never => "Never",
        }
    }

    /// The preset nearest to an existing secret's lifetime (for Rotate), else Custom.
    pub fn nearest(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> ExpiryChoice {
        let (Some(start), Some(end)) = (start, end) else {
            return ExpiryChoice::Preset(0);
        };
        if end >= expiry::never_end() - chrono::Duration::days(1) {
            return ExpiryChoice::Never;
        }
        let days = (end - start).num_days();
        let best = expiry::PRESETS
            .iter()
            .enumerate()
            .filter_map(|(i, (l, _))| match l {
                Lifetime::Days(d) => Some((i, (i64::from(*d) - days).abs())),
                _ => None,
            })
            .min_by_key(|(_, diff)| *diff);
        match best {
            // Within a week of a preset (month lengths, leap years, a late start): that preset.
            Some((i, diff)) if diff <= 7 => ExpiryChoice::Preset(i),
            _ => ExpiryChoice::Custom,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddFocus {
    Description,
    Expires,
    CustomEnd,
    CustomStart,
    Add,
    Cancel,
}

impl AddFocus {
    pub fn is_text(self) -> bool {
        matches!(
            self,
            AddFocus::Description | AddFocus::CustomEnd | AddFocus::CustomStart
        )
    }
}

/// Add a client secret (also Rotate, prefilled).
#[derive(Debug)]
pub struct AddSecret {
    pub app: ObjectId,
    pub app_id: ApplicationId,
    pub app_name: String,
    pub description: Input,
    pub choice: usize,
    pub custom_end: Input,
    pub custom_start: Input,
    pub focus: AddFocus,
    pub submit: Submit,
    /// The secret being rotated.
    pub rotating: Option<ClientSecret>,
    /// The policy's cap on secret lifetimes, when the policies could be read.
    pub cap: Option<(chrono::Duration, crate::policy::PolicyRef)>,
}

impl AddSecret {
    pub fn new(app: &AppRegistration) -> Self {
        Self {
            app: app.id.clone(),
            app_id: app.app_id.clone(),
            app_name: app.display_name.clone(),
            description: Input::default(),
            choice: 0,
            custom_end: Input::default(),
            custom_start: Input::default(),
            focus: AddFocus::Description,
            submit: Submit::default(),
            rotating: None,
            cap: None,
        }
    }

    /// The policy's cap on secret lifetimes: choices beyond it are shown disabled, and the
    /// choice moves to the longest allowed one when the current one is beyond it.
    pub fn with_cap(
        mut self,
        cap: Option<(chrono::Duration, crate::policy::PolicyRef)>,
        now: DateTime<Utc>,
    ) -> Self {
        self.cap = cap;
        if self.refusal(self.choice, now).is_some() {
            let days = |i: usize| match ExpiryChoice::ALL.get(i) {
                Some(ExpiryChoice::Preset(p)) => match expiry::PRESETS.get(*p).map(|x| x.0) {
                    Some(Lifetime::Days(d)) => i64::from(d),
                    _ => 0,
                },
                _ => -1,
            };
            if let Some(best) = (0..ExpiryChoice::ALL.len())
                .filter(|i| {
                    matches!(ExpiryChoice::ALL[*i], ExpiryChoice::Preset(_))
                        && self.refusal(*i, now).is_none()
                })
                .max_by_key(|i| days(*i))
            {
                self.choice = best;
            }
        }
        self
    }

    /// Why choice `i` is not offered (a preset or Never beyond the policy's cap).
    pub fn refusal(&self, i: usize, now: DateTime<Utc>) -> Option<crate::policy::Refusal> {
        let cap = self.cap.as_ref()?;
        let lifetime = match ExpiryChoice::ALL.get(i)? {
            ExpiryChoice::Preset(p) => expiry::PRESETS.get(*p)?.0,
            ExpiryChoice::Never => Lifetime::Never,
            ExpiryChoice::Custom => return None,
        };
        let end = lifetime.end_from(now).ok()?;
        crate::policy::check_span(now, end, Some(cap)).err()
    }

    /// Rotate: same description, lifetime mapped to the nearest preset.
    pub fn rotate(app: &AppRegistration, old: &ClientSecret, now: DateTime<Utc>) -> Self {
        let mut f = Self::new(app);
        f.description = Input::new(old.description().unwrap_or_default());
        let choice = ExpiryChoice::nearest(old.start_date_time, old.end_date_time);
        f.choice = ExpiryChoice::ALL
            .iter()
            .position(|c| *c == choice)
            .unwrap_or(0);
        if choice == ExpiryChoice::Custom
            && let (Some(s), Some(e)) = (old.start_date_time, old.end_date_time)
        {
            // Same span from today.
            let end = now + (e - s);
            f.custom_end = Input::new(end.date_naive().to_string());
        }
        f.rotating = Some(old.clone());
        f
    }

    pub fn expiry_choice(&self) -> ExpiryChoice {
        ExpiryChoice::ALL
            .get(self.choice)
            .copied()
            .unwrap_or(ExpiryChoice::Preset(0))
    }

    pub fn focus_order(&self) -> Vec<AddFocus> {
        let mut v = vec![AddFocus::Description, AddFocus::Expires];
        if self.expiry_choice() == ExpiryChoice::Custom {
            v.push(AddFocus::CustomEnd);
            v.push(AddFocus::CustomStart);
        }
        v.push(AddFocus::Add);
        v.push(AddFocus::Cancel);
        v
    }

    /// Start and end to send, computed from the fields and `now` (seconds precision), for the
    /// live expiry line: the description does not matter here.
    pub fn dates(&self, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
        self.validated("", now).map(|r| (r.start(), r.end()))
    }

    /// The request to send, or what is wrong (in the form's words).
    pub fn request(&self, now: DateTime<Utc>) -> Result<PasswordCredentialRequest, String> {
        let r = self.validated(self.description.value(), now)?;
        if let Err(refusal) = crate::policy::check_span(r.start(), r.end(), self.cap.as_ref()) {
            return Err(format!("That lifetime is {}.", refusal.reason()));
        }
        Ok(r.to_graph())
    }

    /// The fields through the one rule shared with `secrets add` ([`NewSecretRequest`]).
    fn validated(&self, description: &str, now: DateTime<Utc>) -> Result<NewSecretRequest, String> {
        let words = |e: InvalidRequest| match e {
            InvalidRequest::DescriptionTooLong { len } => {
                format!("The description is too long: {len} characters, at most {MAX_DESCRIPTION}.")
            }
            InvalidRequest::StartInPast(_) => "The start date cannot be in the past.".into(),
            InvalidRequest::Lifetime(e) => format!("End date: {e}."),
        };
        match self.expiry_choice() {
            ExpiryChoice::Preset(i) => {
                let lifetime = expiry::PRESETS.get(i).map_or(Lifetime::Days(180), |p| p.0);
                NewSecretRequest::new(description, lifetime, now).map_err(words)
            }
            ExpiryChoice::Never => {
                NewSecretRequest::new(description, Lifetime::Never, now).map_err(words)
            }
            ExpiryChoice::Custom => {
                let end_text = self.custom_end.value().trim();
                if end_text.is_empty() {
                    return Err("Enter an end date as YYYY-MM-DD.".into());
                }
                let end_day = NaiveDate::parse_from_str(end_text, "%Y-%m-%d")
                    .map_err(|_| format!("'{end_text}' is not a date: use YYYY-MM-DD."))?;
                let start_text = self.custom_start.value().trim();
                let start_day = if start_text.is_empty() {
                    now.date_naive()
                } else {
                    NaiveDate::parse_from_str(start_text, "%Y-%m-%d").map_err(|_| {
                        format!("Start date '{start_text}' is not a date: use YYYY-MM-DD.")
                    })?
                };
                NewSecretRequest::starting(description, start_day, Lifetime::Until(end_day), now)
                    .map_err(words)
            }
        }
    }
}

impl Room for AddSecret {
    fn context(&self) -> Context {
        Context::AddSecret
    }

    fn pending(&self) -> Option<RequestId> {
        self.submit.pending
    }

    fn in_flight(&self) -> InFlight {
        self.submit.pending.map_or(InFlight::None, InFlight::Add)
    }

    fn unsettled_by_quit(&self) -> Option<UnsettledAdd> {
        self.submit.pending?;
        Some(UnsettledAdd {
            app: self.app_name.clone(),
            app_id: self.app_id.clone(),
            description: self.description.value().trim().to_owned(),
            secret_id: None,
            what: "azsecrets quit before Graph answered; whether a secret was created is not known yet".into(),
        })
    }

    fn command(&mut self, command: Command, cx: &mut Cx<'_>) -> Outcome {
        // With a policy cap, stepping skips the choices it refuses (this needs the clock).
        if self.cap.is_some()
            && matches!(command, Command::Up | Command::Down)
            && self.focus == AddFocus::Expires
            && self.submit.pending.is_none()
        {
            let n = ExpiryChoice::ALL.len();
            for step in 1..n {
                let i = if command == Command::Down {
                    (self.choice + step) % n
                } else {
                    (self.choice + n - step) % n
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

impl Form for AddSecret {
    type Request = AddPlan;

    const WAITING: Option<&'static str> =
        Some("Waiting for Graph to answer; the dialog closes when it does.");

    fn focused(&self) -> Focused {
        match self.focus {
            AddFocus::Expires => Focused::Choice,
            AddFocus::Add => Focused::Send,
            AddFocus::Cancel => Focused::Cancel,
            AddFocus::Description | AddFocus::CustomEnd | AddFocus::CustomStart => Focused::Field,
        }
    }

    fn cycle_focus(&mut self, forward: bool) {
        let order = self.focus_order();
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = order.len();
        let next = if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        };
        self.focus = order[next];
    }

    fn step_choice(&mut self, down: bool) {
        let n = ExpiryChoice::ALL.len();
        self.choice = if down {
            (self.choice + 1) % n
        } else {
            (self.choice + n - 1) % n
        };
        self.submit.invalid = None;
    }

    fn focused_input(&mut self) -> Option<&mut Input> {
        match self.focus {
            AddFocus::Description => Some(&mut self.description),
            AddFocus::CustomEnd => Some(&mut self.custom_end),
            AddFocus::CustomStart => Some(&mut self.custom_start),
            _ => None,
        }
    }

    fn build(&self, cx: &Cx<'_>) -> Result<AddPlan, String> {
        let request = self.request(cx.now)?;
        Ok(AddPlan {
            // The journal names the tenant when it is known, so a later run checks the right one.
            tenant: cx.tenant.cloned(),
            app: AppRef {
                object_id: self.app.clone(),
                app_id: self.app_id.clone(),
                name: self.app_name.clone(),
            },
            request,
            destination: "reveal",
        })
    }

    fn send(&self, request: RequestId, plan: AddPlan) -> Effect {
        Effect::AddSecret { request, plan }
    }
}

impl Submits for AddSecret {
    type Answer = Added;
    type Error = AddError;

    fn submit_state(&mut self) -> &mut Submit {
        &mut self.submit
    }

    /// The value goes straight into the reveal dialog (shared, never copied into a String).
    fn succeeded(&mut self, added: Added) -> Outcome {
        let Added {
            op,
            secret:
                NewClientSecret {
                    metadata,
                    secret_text,
                },
        } = added;
        let value = Arc::new(secret_text);
        tracing::info!(app = %self.app, secret_id = %metadata.key_id, "client secret added");
        let summary = CreatedSecret {
            app: self.app_name.clone(),
            app_id: self.app_id.clone(),
            description: metadata.description().unwrap_or_default(),
            secret_id: metadata.key_id.clone(),
            masked: value.masked(),
            expires: metadata.end_date_time,
            destinations: Vec::new(),
            held: false,
            fate: Fate::InTenant,
        };
        let reveal = Reveal::new(
            self.app.clone(),
            self.app_name.clone(),
            self.app_id.clone(),
            metadata.clone(),
            value,
            self.rotating.take(),
            Some(op),
        );
        Outcome::replace(reveal).then(FollowUp::SecretAdded {
            app: self.app.clone(),
            secret: metadata,
            summary,
        })
    }

    /// Not a clean success: the app is read again (to show what exists), and the summary
    /// records what this add left in the tenant.
    fn failed(&mut self, error: &AddError) -> Outcome {
        let AddError::Lost { settled, .. } = error else {
            return Outcome::stay();
        };
        let out = Outcome::stay().then(FollowUp::ReloadApp(self.app.clone()));
        let description = self.description.value().trim().to_owned();
        match settled {
            Settled::NothingCreated => out,
            Settled::RolledBack(s) => out.then(FollowUp::CreatedAndSettled(CreatedSecret {
                app: self.app_name.clone(),
                app_id: self.app_id.clone(),
                description: s.description().unwrap_or(description),
                secret_id: s.key_id.clone(),
                masked: format!("{}*****", s.hint.as_deref().unwrap_or("")),
                expires: s.end_date_time,
                destinations: Vec::new(),
                held: false,
                fate: Fate::DeletedAgain,
            })),
            other => out.then(FollowUp::Unsettled(UnsettledAdd {
                app: self.app_name.clone(),
                app_id: self.app_id.clone(),
                description,
                secret_id: other.secret().map(|s| s.key_id.clone()),
                what: unsettled_words(other),
            })),
        }
    }

    /// Cannot happen (Esc is refused while pending), but if it did the value is dropped
    /// unseen: say so.
    fn unclaimed(answer: &Result<Added, AddError>) -> Vec<FollowUp> {
        match answer {
            Ok(a) => vec![FollowUp::Error(format!(
                "A secret was created but its dialog was gone (Secret ID {}); delete it and add another.",
                a.secret.metadata.key_id
            ))],
            Err(_) => Vec::new(),
        }
    }
}

/// What an unsettled add left, for the summary.
fn unsettled_words(settled: &Settled) -> String {
    match settled {
        Settled::Orphaned { secret, error } => format!(
            "Graph's answer was not a clean success; the secret it created (Secret ID {}) could not be deleted ({error}), so it is still in the tenant and nobody holds its value",
            secret.key_id
        ),
        Settled::Unverified { detail } => format!(
            "Graph's answer was not a clean success and the app could not be read back ({detail}): a secret nobody holds may exist"
        ),
        Settled::NotYetSeen => {
            "Graph had not answered and the app does not show a new secret yet; Graph may still create it".into()
        }
        Settled::Ambiguous(ids) => format!(
            "several secrets match what was sent ({}); none was deleted",
            ids.iter().map(|i| i.as_str()).collect::<Vec<_>>().join(", ")
        ),
        Settled::NothingCreated | Settled::RolledBack(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 10, 30, 15)
            .single()
            .expect("valid date")
    }

    #[test]
    fn nearest_preset_for_rotation() {
        let s = Some(at(2026, 1, 1));
        assert_eq!(
            ExpiryChoice::nearest(s, Some(at(2026, 7, 1))),
            ExpiryChoice::Preset(0)
        );
        assert_eq!(
            ExpiryChoice::nearest(s, Some(at(2026, 4, 1))),
            ExpiryChoice::Preset(1)
        );
        assert_eq!(
            ExpiryChoice::nearest(s, Some(at(2026, 1, 15))),
            ExpiryChoice::Custom
        );
        assert_eq!(
            ExpiryChoice::nearest(s, Some(expiry::never_end())),
            ExpiryChoice::Never
        );
    }

    #[test]
    fn custom_dates_are_validated() {
        let app = AppRegistration {
            id: ObjectId::new("o"),
            app_id: Default::default(),
            display_name: "x".into(),
            created_date_time: None,
            sign_in_audience: None,
            publisher_domain: None,
            password_credentials: vec![],
            key_credentials: vec![],
        };
        let now = at(2026, 11, 26);
        let mut f = AddSecret::new(&app);
        f.choice = 5;
        assert!(f.request(now).is_err());
        f.custom_end = Input::new("2026-02-30".into());
        assert!(f.request(now).unwrap_err().contains("not a date"));
        f.custom_end = Input::new("2025-01-01".into());
        assert!(f.request(now).unwrap_err().contains("not in the future"));
        f.custom_end = Input::new("2027-01-31".into());
        let r = f.request(now).expect("valid");
        assert_eq!(r.start_date_time, Some(now));
        assert_eq!(
            r.end_date_time.map(|d| d.to_rfc3339()),
            Some("2027-01-31T23:59:59+00:00".into())
        );
        f.custom_start = Input::new("2026-12-01".into());
        let r = f.request(now).expect("valid");
        assert_eq!(
            r.start_date_time.map(|d| d.to_rfc3339()),
            Some("2026-12-01T00:00:00+00:00".into())
        );
    }
}
