//! The device-code sign-in screen: its state (the prompt the identity platform gave: user
//! code, URL, deadline; what account it is for; the status of a copy of the code) and its
//! part of `update` (the prompt arriving and ending, the gated start, its keys). The prompt
//! arrives through `Action::SignInPrompt`; while it is `Some` the screen covers everything
//! else.
//!
//! The user code is not a credential (it is shown to be typed into a browser); the device code
//! that polls for the token never leaves `auth::device_code`.

use chrono::{DateTime, Utc};

use crate::auth::device_code::DevicePrompt;
use crate::graph::{GraphError, Organization};
use crate::handoff::{CopyReport, HandoffError};
use crate::keymap::{Command, Context, key_for};

use super::action::RequestId;
use super::dialogs::{StatusLine, Tone};
use super::effect::Effect;
use super::loadable::ErrorInfo;
use super::{App, explain};

/// The copy label of the sign-in code (its result lands on the sign-in screen).
pub const SIGN_IN_CODE: &str = "sign-in code";

/// What the code will sign in to, as far as is known before signing in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInAccount {
    /// `--tenant`, or `organizations` (any work or school account).
    pub tenant: Option<String>,
    /// The cloud's login host (login.microsoftonline.com, a sandbox URL).
    pub login: Option<String>,
    /// The public client the code is issued to.
    pub client_id: Option<String>,
    /// Why the quieter sources were passed over (e.g. the Azure CLI is not signed in).
    pub notes: Vec<String>,
}

impl SignInAccount {
    /// "any work or school account" for the special tenants, else the tenant as given.
    pub fn tenant_words(&self) -> String {
        match self.tenant.as_deref().map(str::trim) {
            None | Some("") | Some("organizations") => {
                "any work or school account (organizations)".to_owned()
            }
            Some("common") => "any Microsoft account (common)".to_owned(),
            Some("consumers") => "a personal Microsoft account (consumers)".to_owned(),
            Some(t) => format!("tenant {t}"),
        }
    }

    /// The cloud named from its login host ("Azure public cloud (login.microsoftonline.com)");
    /// any other host (the sandbox, a proxy) as itself.
    pub fn cloud_words(&self) -> Option<String> {
        let host = self.login.as_deref()?;
        let name = match host {
            "login.microsoftonline.com" => "Azure public cloud",
            "login.microsoftonline.us" => "Azure US Government",
            "login.chinacloudapi.cn" => "Azure operated by 21Vianet (China)",
            _ => return Some(host.to_owned()),
        };
        Some(format!("{name} ({host})"))
    }
}

#[derive(Debug, Default)]
pub struct SignInState {
    /// The pending prompt; `None` when no device-code sign-in waits.
    pub prompt: Option<DevicePrompt>,
    pub account: SignInAccount,
    /// What the last `c` did.
    pub status: Option<StatusLine>,
    /// The last copy of the code was sent but could not be confirmed (OSC 52): shown without ✓.
    pub status_unconfirmed: bool,
    /// The copy effect in flight, so its answer lands here.
    pub copy_request: Option<RequestId>,
    /// The user cancelled with Esc or q: the run ends with the sign-in exit code.
    pub cancelled: bool,
    /// Device-code sign-in: the tenant is loaded alone first, so one sign-in happens (and one
    /// failure is reported) instead of one per concurrent request.
    pub gated: bool,
    /// The gated start failed to sign in: `r` signs in again before loading the rest.
    pub failed: bool,
}

impl SignInState {
    /// Seconds left before the code expires (0 once it has).
    pub fn seconds_left(&self, now: DateTime<Utc>) -> Option<i64> {
        self.prompt
            .as_ref()
            .map(|p| (p.expires_at - now).num_seconds().max(0))
    }
}

/// "14:05 left", "0:09 left", or "expired".
pub fn time_left(seconds: i64) -> String {
    if seconds <= 0 {
        return "expired".to_owned();
    }
    format!("{}:{:02} left", seconds / 60, seconds % 60)
}

impl App {
    /// A device-code prompt arrived (`Some`) or ended (`None`).
    pub(super) fn sign_in_prompt(&mut self, prompt: Option<DevicePrompt>) {
        if prompt.is_some() {
            tracing::info!("device-code sign-in waiting for the user");
        } else if self.sign_in.prompt.is_some() {
            tracing::info!("device-code sign-in ended");
        }
        if prompt.as_ref().map(|p| &p.user_code)
            != self.sign_in.prompt.as_ref().map(|p| &p.user_code)
        {
            // A new code (or none): the last copy was of another one.
            self.sign_in.status = None;
            self.sign_in.copy_request = None;
        }
        self.sign_in.prompt = prompt;
    }

    /// The tenant answered; in a gated device-code start, that is the sign-in's outcome too.
    pub(super) fn organization_loaded(
        &mut self,
        r: RequestId,
        result: Result<Organization, GraphError>,
    ) -> Vec<Effect> {
        let sign_in_failed = matches!(result, Err(GraphError::Auth(_)));
        let result = result.map_err(|e| explain(&e));
        let failed = result.as_ref().err().cloned();
        if !self.organization.settle(r, result) || !self.sign_in.gated {
            return Vec::new();
        }
        self.sign_in.gated = false;
        match failed {
            Some(info) if sign_in_failed => {
                self.sign_in.failed = true;
                self.fail_gated_loads(&info);
                Vec::new()
            }
            // Signed in; the tenant itself may have failed, which the header shows.
            _ => self.start_after_sign_in(),
        }
    }

    /// A gated device-code start whose sign-in failed: say so where the identity and the apps
    /// would be, instead of asking for (and failing) another sign-in per request.
    fn fail_gated_loads(&mut self, info: &ErrorInfo) {
        if !self.settings.source.is_app_only() {
            let r = self.request();
            self.me.start(r);
            self.me.settle(r, Err(info.clone()));
        }
        let r = self.request();
        self.all.start_load(r);
        self.all.fail(r, info.clone());
        self.error_toast(info);
    }

    /// `r` after a failed sign-in: sign in again (a new code) before anything else asks for a
    /// token.
    pub(super) fn sign_in_again(&mut self) -> Vec<Effect> {
        let r = self.request();
        self.organization.start(r);
        self.sign_in.failed = false;
        self.sign_in.gated = true;
        vec![Effect::LoadOrganization { request: r }]
    }

    pub(super) fn sign_in_command(&mut self, c: Command) -> Vec<Effect> {
        match c {
            Command::CopyCode => {
                let Some(code) = self.sign_in.prompt.as_ref().map(|p| p.user_code.clone()) else {
                    return Vec::new();
                };
                let r = self.request();
                self.sign_in.copy_request = Some(r);
                self.sign_in.status_unconfirmed = false;
                self.sign_in.status = Some(StatusLine {
                    tone: Tone::Note,
                    text: "Copying the code…".into(),
                });
                vec![Effect::CopyText {
                    request: r,
                    label: SIGN_IN_CODE,
                    text: code,
                }]
            }
            Command::CancelSignIn => {
                // A sign-in asked for mid-run may cover a value that can never be shown again.
                if self.dialogs.iter().any(|d| d.room().holds_unsaved_value()) {
                    self.sign_in.status = Some(StatusLine {
                        tone: Tone::Failed,
                        text: format!(
                            "A new client secret's value was never copied and would be lost: finish signing in first, or press {} twice to quit anyway (the summary then names the secret and how to delete it).",
                            key_for(Context::Global, Command::Quit)
                        ),
                    });
                    return Vec::new();
                }
                tracing::info!("device-code sign-in cancelled by the user");
                self.sign_in.cancelled = true;
                self.should_quit = true;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The copy of the code came back: say how it went on the sign-in screen.
    pub(super) fn code_copied(&mut self, result: Result<CopyReport, HandoffError>) {
        self.sign_in.copy_request = None;
        self.sign_in.status_unconfirmed = matches!(&result, Ok(r) if !r.confirmed);
        self.sign_in.status = Some(match result {
            Ok(report) => StatusLine {
                tone: Tone::Done,
                text: format!("Code {}", lowercase_first(&report.status)),
            },
            Err(e) => {
                tracing::warn!(error = %e, "copying the sign-in code failed");
                StatusLine {
                    tone: Tone::Failed,
                    text: match e {
                        HandoffError::NoClipboard { .. } => {
                            "No clipboard works here: type the code shown above into the page."
                                .to_owned()
                        }
                        other => format!(
                            "Could not copy the code: {other}. Type it into the page instead."
                        ),
                    },
                }
            }
        });
    }
}

/// "Copied to clipboard" -> "copied to clipboard".
fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_counts_down_to_expired() {
        assert_eq!(time_left(900), "15:00 left");
        assert_eq!(time_left(61), "1:01 left");
        assert_eq!(time_left(9), "0:09 left");
        assert_eq!(time_left(0), "expired");
        assert_eq!(time_left(-5), "expired");
    }

    #[test]
    fn special_tenants_are_named_in_words() {
        let mut a = SignInAccount::default();
        assert!(a.tenant_words().contains("work or school"));
        a.tenant = Some("contoso.onmicrosoft.com".into());
        assert_eq!(a.tenant_words(), "tenant contoso.onmicrosoft.com");
        assert_eq!(a.cloud_words(), None);
        a.login = Some("login.microsoftonline.us".into());
        assert_eq!(
            a.cloud_words().as_deref(),
            Some("Azure US Government (login.microsoftonline.us)")
        );
        a.login = Some("127.0.0.1".into());
        assert_eq!(a.cloud_words().as_deref(), Some("127.0.0.1"));
    }
}
