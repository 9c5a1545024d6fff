//! The one place that turns a layer's error into an exit code and words for a script's user:
//! flags and commands, never the terminal UI's keys. Every other module returns its own error
//! type; `?` in a command brings it here.

use crate::graph::{Cause, GraphError, NotSent};
use crate::handoff::HandoffError;
use crate::sandbox::SandboxError;
use crate::session::{SessionError, SignInConfigError};
use crate::tui::TuiError;

use super::exit::ExitCode;

/// A command's failure: the message for stderr, what to do about it, and the exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: ExitCode,
    pub message: String,
    pub advice: Option<String>,
}

impl CliError {
    pub fn new(code: ExitCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            advice: None,
        }
    }

    /// Bad flags or arguments (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Usage, message)
    }

    /// Exit with `code` and print nothing.
    pub fn silent(code: ExitCode) -> Self {
        Self::new(code, "")
    }

    pub fn with_advice(mut self, advice: impl Into<String>) -> Self {
        self.advice = Some(advice.into());
        self
    }

    /// Writing to stdout failed; a closed pipe (`| head`) is not worth a message.
    pub fn output(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Self::silent(ExitCode::Ok)
        } else {
            Self::new(ExitCode::Failure, format!("could not write output: {e}"))
        }
    }

    /// Print to stderr (never stdout, so pipes stay clean). Tenant text inside the message
    /// was cleaned where it was quoted; the whole is cleaned again here as a last net (only
    /// our own line breaks survive). A closed stderr is ignored: the exit code still tells.
    pub fn report(&self) {
        if self.message.is_empty() {
            return;
        }
        crate::console::err_line_clean(&format!("error: {}", self.message));
        if let Some(a) = &self.advice {
            crate::console::err_line_clean(&format!("  what to do: {a}"));
        }
    }
}

impl From<GraphError> for CliError {
    fn from(e: GraphError) -> Self {
        let code = match &e {
            GraphError::Api(a) if a.status == 404 => ExitCode::NotFound,
            GraphError::Api(a) if a.status == 401 => ExitCode::Auth,
            GraphError::Auth(_) => ExitCode::Auth,
            GraphError::InvalidId(_) => ExitCode::Usage,
            GraphError::NotSent { reason, .. } => match reason {
                // A huge --filter: bad input.
                NotSent::UrlTooLong { .. } => ExitCode::Usage,
                NotSent::TokenNotSendable => ExitCode::Auth,
                NotSent::Build(_) => ExitCode::Failure,
            },
            _ => ExitCode::Graph,
        };
        Self {
            code,
            advice: Some(advice(e.cause()).to_owned()),
            message: e.to_string(),
        }
    }
}

impl From<SessionError> for CliError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::SignInConfig(c) => c.into(),
            SessionError::Auth(a) => Self::new(ExitCode::Auth, a.to_string()),
            SessionError::Sandbox(s) => s.into(),
            SessionError::Graph(g) => g.into(),
            e @ SessionError::OneTenant => Self::new(ExitCode::Usage, e.to_string()),
        }
    }
}

impl From<SignInConfigError> for CliError {
    fn from(e: SignInConfigError) -> Self {
        use SignInConfigError as E;
        let (message, advice) = match &e {
            E::TokenMissing => (
                "--auth token needs AZSECRETS_ACCESS_TOKEN to be set".to_owned(),
                None,
            ),
            E::ServicePrincipalIncomplete { missing } => {
                let named: Vec<String> = missing
                    .iter()
                    .map(|v| match *v {
                        "AZURE_TENANT_ID" => "AZURE_TENANT_ID (or --tenant)".to_owned(),
                        other => other.to_owned(),
                    })
                    .collect();
                (
                    format!("--auth env needs {} to be set", named.join(", ")),
                    None,
                )
            }
            E::AzureCliMissing => (
                e.to_string(),
                Some("Install it, or sign in another way (e.g. --auth device)."),
            ),
            E::InvalidTenant(_) => (
                e.to_string(),
                Some(
                    "Pass --tenant (or set AZURE_TENANT_ID) to a tenant GUID, a domain, or organizations.",
                ),
            ),
            E::InvalidClientId(c) => (
                format!("--client-id '{c}' is not an Application (client) ID: expected a GUID"),
                None,
            ),
        };
        // Sign-in could not start: the sign-in exit code, as for any other sign-in failure.
        let err = Self::new(ExitCode::Auth, message);
        match advice {
            Some(a) => err.with_advice(a),
            None => err,
        }
    }
}

impl From<SandboxError> for CliError {
    fn from(e: SandboxError) -> Self {
        Self::new(ExitCode::Failure, e.to_string())
    }
}

impl From<TuiError> for CliError {
    fn from(e: TuiError) -> Self {
        match e {
            TuiError::Session(s) => s.into(),
            TuiError::SignInCancelled => Self::new(ExitCode::Auth, "sign-in cancelled"),
            TuiError::NotATerminal => Self::new(ExitCode::Usage, e.to_string()),
            TuiError::Terminal(_) | TuiError::Stopped(_) | TuiError::Journal(_) => {
                Self::new(ExitCode::Failure, e.to_string())
            }
        }
    }
}

impl From<HandoffError> for CliError {
    fn from(e: HandoffError) -> Self {
        Self::new(ExitCode::Failure, e.to_string())
    }
}

/// What a script's user can do about a Graph failure, in the command line's words.
pub fn advice(cause: Cause) -> &'static str {
    use Cause as C;
    match cause {
        C::PolicyLifetime => {
            "Your tenant's app management policy caps secret lifetimes: pass a shorter --expires."
        }
        C::PolicySecretsBlocked => {
            "Your tenant's policy does not allow client secrets on this app: use a certificate or a federated credential."
        }
        C::SecretLimit => {
            "Apps that allow personal Microsoft accounts can have at most two client secrets: remove one first (azsecrets secrets remove)."
        }
        C::Forbidden => {
            "You need to own this app or hold the Application Administrator, Cloud Application Administrator or Application Developer role."
        }
        C::Unauthorized => "Your sign-in expired or is not valid for Graph: sign in again.",
        C::NotFound => {
            "It may have been deleted, or was created seconds ago: try again in a moment."
        }
        C::Throttled => "Graph is throttling or busy: wait a little and try again.",
        C::ServerError => "Graph had a problem: try again in a moment.",
        C::Rejected => "Check the arguments and try again.",
        C::Network => "Check the network connection and try again.",
        C::RequestTooLong => {
            "Shorten it: a display name is at most 256 characters, so a longer --prefix or --search matches nothing."
        }
        C::TokenNotSendable => {
            "The access token holds a line break or another character a header cannot carry: check AZSECRETS_ACCESS_TOKEN (or sign in another way)."
        }
        C::NotSent => "This is a bug; the log file has details.",
        C::UnreadableReply => {
            "This is a bug or an unexpected Graph change; the log file has details."
        }
        C::ForeignLink => "Check --graph-url; if it is right, report this as a bug.",
        C::InvalidId => "Give an Object ID or Application ID as a GUID.",
        C::SignIn => "Fix the sign-in problem named above, then try again.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_config_errors_speak_in_flags() {
        let e: CliError = SignInConfigError::ServicePrincipalIncomplete {
            missing: vec!["AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"],
        }
        .into();
        assert_eq!(e.code, ExitCode::Auth);
        assert_eq!(
            e.message,
            "--auth env needs AZURE_TENANT_ID (or --tenant), AZURE_CLIENT_SECRET to be set"
        );
        let e: CliError = SignInConfigError::InvalidClientId("my-app".into()).into();
        assert!(
            e.message.starts_with("--client-id 'my-app'"),
            "{}",
            e.message
        );
        let e: CliError = SignInConfigError::AzureCliMissing.into();
        assert!(e.message.contains("not installed"));
        assert!(e.advice.unwrap().contains("--auth device"));
    }

    /// No advice a script user reads names a key of the terminal UI.
    #[test]
    fn advice_names_no_keys() {
        use Cause as C;
        let all = [
            C::PolicyLifetime,
            C::PolicySecretsBlocked,
            C::SecretLimit,
            C::Forbidden,
            C::Unauthorized,
            C::NotFound,
            C::Throttled,
            C::ServerError,
            C::Rejected,
            C::Network,
            C::RequestTooLong,
            C::TokenNotSendable,
            C::NotSent,
            C::UnreadableReply,
            C::ForeignLink,
            C::InvalidId,
            C::SignIn,
        ];
        for c in all {
            let a = advice(c).to_lowercase();
            for word in ["press", "(r)", "(d)", "key ", "hit ", "enter", "esc"] {
                assert!(!a.contains(word), "{c:?}: {a}");
            }
        }
    }
}
