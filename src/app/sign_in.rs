//! The device-code sign-in screen's state: the prompt the identity platform gave (user code,
//! URL, deadline), what account it is for, and the status of a `c` copy. The prompt arrives
//! through `Action::SignInPrompt`; while it is `Some` the screen covers everything else.
//!
//! The user code is not a credential (it is shown to be typed into a browser); the device code
//! that polls for the token never leaves `auth::device_code`.

use chrono::{DateTime, Utc};

use crate::auth::device_code::DevicePrompt;

use super::dialogs::StatusLine;

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
    /// The copy effect in flight, so its answer lands here.
    pub copy_request: Option<u64>,
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
