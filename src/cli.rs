//! The command line: clap definitions and the non-interactive commands (the scripting twin).

pub mod apps;
pub mod exit;
pub mod output;
pub mod resolve;
pub mod secrets;
pub mod whoami;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::auth::Cloud;

pub use exit::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "azsecrets",
    version,
    about = "Manage Azure app registration client secrets from the keyboard, safely",
    long_about = "Without a command, azsecrets opens the terminal UI. With --sandbox, everything runs against an emulated tenant on 127.0.0.1: no Azure account needed."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Run against the built-in emulated tenant (started in-process on 127.0.0.1).
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// With --sandbox: add N generated app registrations to the seed tenant.
    #[arg(long, global = true, value_name = "N", requires = "sandbox")]
    pub sandbox_apps: Option<usize>,
    /// Microsoft Graph root URL (overrides --cloud; loopback may be plain http).
    #[arg(long, global = true, env = "AZSECRETS_GRAPH_URL", value_name = "URL")]
    pub graph_url: Option<String>,
    /// Microsoft identity platform root URL (overrides --cloud; loopback may be plain http).
    #[arg(long, global = true, env = "AZSECRETS_LOGIN_URL", value_name = "URL")]
    pub login_url: Option<String>,
    /// Tenant: a GUID, a domain, or `organizations`.
    #[arg(
        long,
        global = true,
        env = "AZURE_TENANT_ID",
        value_name = "TENANT",
        hide_env_values = true
    )]
    pub tenant: Option<String>,
    /// National cloud.
    #[arg(long, global = true, value_enum, default_value_t = Cloud::Public)]
    pub cloud: Cloud,
    /// Force one sign-in method instead of trying them in order.
    #[arg(long, global = true, value_enum)]
    pub auth: Option<AuthMethod>,
    /// Public client id for device-code sign-in.
    #[arg(long, global = true, value_name = "GUID")]
    pub client_id: Option<String>,
    /// Show write actions disabled; never change anything.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Log file (default: the user's cache directory). Logs never go to the terminal.
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// How copies reach the clipboard.
    #[arg(long, global = true, value_enum, default_value_t = ClipboardChoice::Auto)]
    pub clipboard: ClipboardChoice,
    /// Seconds before a copied secret is cleared from the clipboard (0: never).
    #[arg(long, global = true, default_value_t = 45, value_name = "SECS")]
    pub clipboard_timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMethod {
    /// AZSECRETS_ACCESS_TOKEN
    Token,
    /// AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET (client credentials)
    Env,
    /// Azure CLI (`az account get-access-token`)
    Cli,
    /// Device code
    Device,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClipboardChoice {
    Auto,
    Native,
    Osc52,
    None,
}

impl From<ClipboardChoice> for crate::handoff::ClipboardMode {
    fn from(c: ClipboardChoice) -> Self {
        use crate::handoff::ClipboardMode as M;
        match c {
            ClipboardChoice::Auto => M::Auto,
            ClipboardChoice::Native => M::Native,
            ClipboardChoice::Osc52 => M::Osc52,
            ClipboardChoice::None => M::None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// App registrations.
    #[command(subcommand)]
    Apps(AppsCommand),
    /// Client secrets.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// The emulated tenant.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Show the tenant, the signed-in identity and how it signed in.
    Whoami {
        #[arg(long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Remove the cached device-code sign-in.
    Logout,
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// Internal: holds a copied value on the clipboard after the UI exits.
    #[command(hide = true)]
    ClipboardHolder {
        #[arg(long)]
        timeout: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// List app registrations.
    List {
        /// Only apps whose display name starts with TEXT.
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
        /// Only apps the signed-in user owns.
        #[arg(long)]
        owned: bool,
        #[arg(long, value_enum, default_value_t)]
        output: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// List client secrets (tenant-wide without --app).
    List {
        /// App display name, Application ID or Object ID.
        #[arg(long)]
        app: Option<String>,
        /// Only secrets expired or expiring within this window (e.g. 30d, 3m).
        #[arg(long, value_name = "DURATION")]
        expiring_within: Option<String>,
        /// Exit with code 6 when any listed secret is expired or inside the window.
        #[arg(long)]
        check: bool,
        #[arg(long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Add a client secret and hand its value to one destination.
    Add {
        #[arg(long)]
        app: String,
        #[arg(long)]
        description: Option<String>,
        /// 180d, 6m, 12m, 24m, never, or an end date YYYY-MM-DD.
        #[arg(long, default_value = "180d")]
        expires: String,
        /// clipboard, env-file:PATH or stdout.
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Remove a client secret by its Secret ID (keyId).
    Remove {
        #[arg(long)]
        app: String,
        #[arg(long = "key-id")]
        key_id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the emulated tenant until stopped.
    Serve(SandboxServeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SandboxServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Add N generated app registrations to the seed tenant.
    #[arg(long, default_value_t = 0)]
    pub apps: usize,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency: u64,
    /// Answer every Nth Graph request with 429 and Retry-After.
    #[arg(long, value_name = "N")]
    pub throttle_every: Option<u32>,
    /// Fraction (0..1) of Graph requests answered with a random 5xx.
    #[arg(long, default_value_t = 0.0, value_name = "F")]
    pub fail_rate: f64,
    /// Device-code sign-in: polls answered `authorization_pending` before approval.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub device_polls: u32,
    /// Drop the reply of the first N addPassword calls after creating the secret.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub drop_add_password: u32,
}

/// What a script's user can do about a Graph failure, in the command line's words.
pub fn advice(cause: crate::graph::Cause) -> &'static str {
    use crate::graph::Cause as C;
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
        C::UnreadableReply => {
            "This is a bug or an unexpected Graph change; the log file has details."
        }
        C::ForeignLink => "Check --graph-url; if it is right, report this as a bug.",
        C::InvalidId => "Give an Object ID or Application ID as a GUID.",
        C::SignIn => "Fix the sign-in problem named above, then try again.",
        C::OrphanCreated => {
            "Remove the orphaned secret (azsecrets secrets remove --key-id …) and add a new one."
        }
        C::NothingCreated => "Try again.",
        C::AddUnverified => {
            "List the app's secrets (azsecrets secrets list --app …) and look for one you did not expect before adding another."
        }
    }
}

/// A command's failure: the message for stderr and the exit code.
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

    /// Exit with `code` and print nothing.
    pub fn silent(code: ExitCode) -> Self {
        Self::new(code, "")
    }

    pub fn graph(e: crate::graph::GraphError) -> Self {
        use crate::graph::GraphError;
        let code = match &e {
            GraphError::Api(a) if a.status == 404 => ExitCode::NotFound,
            GraphError::Api(a) if a.status == 401 => ExitCode::Auth,
            GraphError::Auth(_) => ExitCode::Auth,
            GraphError::InvalidId(_) => ExitCode::Usage,
            _ => ExitCode::Graph,
        };
        Self {
            code,
            advice: Some(advice(e.cause()).to_owned()),
            message: e.to_string(),
        }
    }

    pub fn session(e: crate::session::SessionError) -> Self {
        use crate::session::SessionError;
        match e {
            SessionError::Graph(g) => Self::graph(g),
            SessionError::Endpoint(_) => Self::new(ExitCode::Usage, e.to_string()),
            SessionError::Auth(_) => Self::new(ExitCode::Auth, e.to_string()),
            SessionError::Sandbox(_) => Self::new(ExitCode::Failure, e.to_string()),
        }
    }

    /// Print to stderr (never stdout, so pipes stay clean).
    pub fn report(&self) {
        if self.message.is_empty() {
            return;
        }
        eprintln!("error: {}", self.message);
        if let Some(a) = &self.advice {
            eprintln!("  what to do: {a}");
        }
    }
}
