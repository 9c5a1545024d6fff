//! The clap definitions and the value parsers that turn flag text into typed values. Bad values
//! stop here, with clap's message and exit code 2, before anything is asked of anyone.

use std::path::PathBuf;

use chrono::Utc;
use clap::{Args, Parser, Subcommand, ValueEnum};
use url::Url;

use crate::expiry::Lifetime;

/// Said under every command that signs in: where the global options go.
const GLOBALS_NOTE: &str = "Global options (--sandbox, --tenant, --auth, --read-only, --clipboard, …) go before the command, as in `azsecrets --sandbox secrets list`; `azsecrets --help` lists them.";

#[derive(Debug, Parser)]
#[command(
    name = "azsecrets",
    version,
    about = "Manage Azure app registration client secrets from the keyboard, safely",
    long_about = "Without a command, azsecrets opens the terminal UI. With --sandbox, everything runs against an emulated tenant on 127.0.0.1: no Azure account needed.",
    after_help = "Global options go before the command: `azsecrets --sandbox apps list`."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options for the whole run: written before the command (or alone, for the terminal UI).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Run against the built-in emulated tenant (started in-process on 127.0.0.1).
    #[arg(long)]
    pub sandbox: bool,
    /// With --sandbox: add N generated app registrations to the seed tenant.
    #[arg(long, value_name = "N", requires = "sandbox")]
    pub sandbox_apps: Option<usize>,
    /// With --sandbox: serve the tenant in this file instead of the built-in one (docs/tenant-file.md).
    #[arg(long, value_name = "PATH", requires = "sandbox")]
    pub sandbox_tenant_file: Option<PathBuf>,
    /// With --sandbox: hold every addPassword reply MS milliseconds after creating the secret.
    #[arg(long, value_name = "MS", requires = "sandbox")]
    pub sandbox_add_password_delay: Option<u64>,
    /// With --sandbox: create the secret, then answer every addPassword with CODE (400-599) and
    /// a Graph error body.
    #[arg(long, value_name = "CODE", requires = "sandbox", value_parser = error_status)]
    pub sandbox_add_password_status: Option<u16>,
    /// Microsoft Graph root URL (overrides --cloud; loopback may be plain http).
    #[arg(
        long,
        env = "AZSECRETS_GRAPH_URL",
        hide_env_values = true,
        value_name = "URL",
        value_parser = endpoint
    )]
    pub graph_url: Option<Url>,
    /// Microsoft identity platform root URL (overrides --cloud; loopback may be plain http).
    #[arg(
        long,
        env = "AZSECRETS_LOGIN_URL",
        hide_env_values = true,
        value_name = "URL",
        value_parser = endpoint
    )]
    pub login_url: Option<Url>,
    /// Where a key vault name points: a URL with {name} (default per cloud,
    /// https://{name}.vault.azure.net/; loopback may be plain http).
    #[arg(
        long,
        env = "AZSECRETS_VAULT_URL_TEMPLATE",
        hide_env_values = true,
        value_name = "URL",
        value_parser = vault_url_template
    )]
    pub vault_url_template: Option<crate::keyvault::VaultUrlTemplate>,
    /// Azure Resource Manager root URL, for listing vaults (overrides --cloud; loopback may be
    /// plain http).
    #[arg(
        long,
        env = "AZSECRETS_ARM_URL",
        hide_env_values = true,
        value_name = "URL",
        value_parser = endpoint
    )]
    pub arm_url: Option<Url>,
    /// Tenant: a GUID, a domain, or `organizations`.
    #[arg(
        long,
        env = "AZURE_TENANT_ID",
        hide_env_values = true,
        value_name = "TENANT"
    )]
    pub tenant: Option<String>,
    /// National cloud.
    #[arg(long, value_enum, default_value_t = CloudArg::Public)]
    pub cloud: CloudArg,
    /// Use one sign-in method instead of trying them in order.
    #[arg(long, value_enum, value_name = "METHOD")]
    pub auth: Option<AuthMethod>,
    /// Public client id for device-code sign-in.
    #[arg(long, value_name = "GUID")]
    pub client_id: Option<String>,
    /// Show write actions disabled; never change anything.
    #[arg(long)]
    pub read_only: bool,
    /// Log file (default: $XDG_STATE_HOME/azsecrets/azsecrets.log). Logs never go to the terminal.
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// How copies reach the clipboard.
    #[arg(long, value_enum, value_name = "HOW", default_value_t = ClipboardChoice::Auto)]
    pub clipboard: ClipboardChoice,
    /// Seconds before a copied secret is cleared from the clipboard (0: never).
    #[arg(long, default_value_t = 45, value_name = "SECS")]
    pub clipboard_timeout: u64,
    /// Keep no app list cache: every start lists the tenant anew (the cache holds names, ids,
    /// dates and secret hints, never a secret or a token).
    #[arg(long)]
    pub no_cache: bool,
    /// Ranges of the app list read from Graph at once (1 to 8; 1 reads one page at a time).
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u16).range(1..=8))]
    pub list_concurrency: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CloudArg {
    /// Azure (global)
    Public,
    /// Azure US Government
    Usgov,
    /// Azure US Government (DoD)
    UsgovDod,
    /// Azure operated by 21Vianet (China)
    China,
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
    /// The desktop clipboard, or OSC 52 over SSH or without a display
    Auto,
    /// The desktop clipboard only (X11 or Wayland)
    Native,
    /// The terminal's clipboard escape sequence (OSC 52)
    Osc52,
    /// Never copy
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Aligned columns for people
    #[default]
    Table,
    /// Stable JSON for scripts
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
    #[command(after_help = GLOBALS_NOTE)]
    Whoami {
        /// Output format.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
        output: OutputFormat,
    },
    /// Find client secrets that interrupted runs created but nobody holds, and delete them.
    #[command(after_help = GLOBALS_NOTE)]
    Recover {
        /// Delete every one found without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Remove the cached device-code sign-in.
    Logout,
    /// Print shell completions.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// Internal: holds a copied value on the clipboard after the UI exits.
    #[command(hide = true)]
    ClipboardHolder {
        /// Seconds to hold the value (0: until replaced).
        #[arg(long)]
        timeout: u64,
    },
}

/// How list output is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListSort {
    /// As Graph's pages arrive (streamed: memory stays small)
    Listing,
    /// By display name
    Name,
    /// Soonest expiry first
    Expiry,
}

/// Under `apps list`: how its filters differ, and where global options go.
const APPS_LIST_NOTE: &str = "The filter matches exactly as the terminal UI's `/` does (the same code, over every app listed), so `blng` finds \"billing\"; a search or a prefix asks Graph instead, which finds only word starts or name starts. Global options (--sandbox, --tenant, --list-concurrency, …) go before the command, as in `azsecrets --sandbox apps list`.";

#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// List app registrations.
    #[command(after_help = GLOBALS_NOTE, after_long_help = APPS_LIST_NOTE)]
    List {
        /// Only the apps the terminal UI's `/` filter shows for TEXT: fuzzy over display names
        /// (letters in order, smart case), exact over Application and Object IDs (four or more
        /// hex digits). Matched here, over the whole listing, by the UI's own matcher.
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
        /// Ask Graph's search instead of listing every app: display names holding every word of
        /// TEXT as the start of one of their words, in any order (`bill prod` finds
        /// "Billing (prod)"; `ling` finds nothing). Eventually consistent: an app created
        /// moments ago may be missing.
        #[arg(long, value_name = "TEXT", conflicts_with_all = ["prefix", "owned"])]
        search: Option<String>,
        /// Only apps whose display name starts with TEXT, ignoring case (Graph's startswith).
        #[arg(long, value_name = "TEXT")]
        prefix: Option<String>,
        /// Only apps the signed-in user owns.
        #[arg(long)]
        owned: bool,
        /// Output order. Without it rows are written as Graph's pages arrive (several ranges
        /// of the tenant at once, so in no particular order); sorting holds the list until it
        /// is complete.
        #[arg(long, value_enum, value_name = "ORDER")]
        sort: Option<ListSort>,
        /// Output format.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
        output: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// List client secrets (tenant-wide without --app).
    #[command(after_help = GLOBALS_NOTE)]
    List {
        /// The app: its display name, Application (client) ID or Object ID.
        #[arg(long, value_name = "APP")]
        app: Option<String>,
        /// Only secrets expired or expiring within this window: Nd, Nm (months) or Ny.
        #[arg(long, value_name = "DURATION", value_parser = window)]
        expiring_within: Option<Lifetime>,
        /// Exit with code 6 when any listed secret is expired or inside the window (30d without
        /// --expiring-within).
        #[arg(long)]
        check: bool,
        /// Output order (default: soonest expiry first with --app; tenant-wide, as Graph's pages
        /// arrive, which streams). Sorting holds the secrets until the listing is complete.
        #[arg(long, value_enum, value_name = "ORDER")]
        sort: Option<ListSort>,
        /// Output format.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
        output: OutputFormat,
    },
    /// Add a client secret and hand its value to one destination.
    #[command(after_help = GLOBALS_NOTE)]
    Add {
        /// The app: its display name, Application (client) ID or Object ID.
        #[arg(long, value_name = "APP")]
        app: String,
        /// The secret's description, as the portal shows it (at most 256 characters).
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
        /// 180d, 6m, 12m, 24m, never, or an end date YYYY-MM-DD.
        #[arg(long, value_name = "WHEN", default_value = "180d", value_parser = lifetime)]
        expires: Lifetime,
        /// Where the value goes: clipboard, env-file:PATH or stdout.
        #[arg(long, value_name = "DEST", value_parser = destination)]
        to: Destination,
        /// With --to env-file: replace another app's AZURE_CLIENT_ID or another tenant's
        /// AZURE_TENANT_ID in the file.
        #[arg(long)]
        force: bool,
        /// Output format (with --to stdout and json, the value is in the JSON).
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
        output: OutputFormat,
    },
    /// Remove a client secret by its Secret ID (keyId).
    #[command(after_help = GLOBALS_NOTE)]
    Remove {
        /// The app: its display name, Application (client) ID or Object ID.
        #[arg(long, value_name = "APP")]
        app: String,
        /// The Secret ID (keyId), or its first 8 or more characters.
        #[arg(long = "key-id", value_name = "SECRET_ID", value_parser = key_id)]
        key_id: KeyIdPrefix,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Succeed when the app has no such secret (for scripts that may run twice).
        #[arg(long)]
        ignore_missing: bool,
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
    /// Serve the tenant in this file instead of the built-in one (docs/tenant-file.md).
    #[arg(long, value_name = "PATH")]
    pub tenant_file: Option<PathBuf>,
    /// Add N generated app registrations to the seed tenant.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub apps: usize,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency: u64,
    /// Answer every Nth Graph request with 429 and Retry-After.
    #[arg(long, value_name = "N")]
    pub throttle_every: Option<u32>,
    /// Fraction (0..1) of Graph requests answered with a random 5xx.
    #[arg(long, default_value_t = 0.0, value_name = "F", value_parser = fraction)]
    pub fail_rate: f64,
    /// Device-code sign-in: polls answered `authorization_pending` before approval.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub device_polls: u32,
    /// Drop the reply of the first N addPassword calls after creating the secret.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub drop_add_password: u32,
    /// Refuse a new client secret's client-credentials sign-in (AADSTS7000215) for SECS
    /// seconds after it is created, as Entra does while it replicates.
    #[arg(long, default_value_t = 0, value_name = "SECS")]
    pub propagation_delay: u64,
    /// Key Vault refuses to store secrets in every seeded vault (403, in each vault's
    /// permission model: RBAC or access policy).
    #[arg(long)]
    pub deny_vault_set: bool,
    /// Hold every addPassword reply MS milliseconds after creating the secret.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub add_password_delay: u64,
    /// Create the secret, then answer every addPassword with CODE (400-599) and a Graph error
    /// body.
    #[arg(long, value_name = "CODE", value_parser = error_status)]
    pub add_password_status: Option<u16>,
    /// Items per page of /applications/delta (Graph's pages hold about 100 to 200).
    #[arg(long, default_value_t = 200, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=999))]
    pub delta_page_size: u32,
    /// Listings of /applications with keyCredentials in $select allowed per minute, as Graph
    /// allows 150 per tenant (0: no limit).
    #[arg(long, default_value_t = 150, value_name = "N")]
    pub key_credentials_per_minute: u32,
}

/// Where `secrets add` sends the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Clipboard,
    EnvFile(PathBuf),
    Stdout,
}

/// `--key-id`: a Secret ID or its first 8 or more characters, lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyIdPrefix(pub String);

/// `--expires`: a lifetime whose end is in the future (checked now, so a past date fails before
/// anything is created).
pub fn lifetime(s: &str) -> Result<Lifetime, String> {
    let l = Lifetime::parse(s).map_err(|e| e.to_string())?;
    l.end_from(Utc::now()).map_err(|e| e.to_string())?;
    Ok(l)
}

/// `--expiring-within`: a duration (`30d`, `3m`, `1y`), not a date or `never`.
pub fn window(s: &str) -> Result<Lifetime, String> {
    match Lifetime::parse(s).map_err(|e| e.to_string())? {
        l @ (Lifetime::Days(_) | Lifetime::Months(_)) => {
            l.end_from(Utc::now()).map_err(|e| e.to_string())?;
            Ok(l)
        }
        _ => Err(format!(
            "'{s}' is not a duration: use Nd (days), Nm (months) or Ny (years)"
        )),
    }
}

/// `--to`.
pub fn destination(s: &str) -> Result<Destination, String> {
    match s {
        "clipboard" => Ok(Destination::Clipboard),
        "stdout" => Ok(Destination::Stdout),
        _ => match s.strip_prefix("env-file:") {
            Some(p) if !p.trim().is_empty() => Ok(Destination::EnvFile(PathBuf::from(p))),
            _ => Err(format!("'{s}': use clipboard, env-file:PATH or stdout")),
        },
    }
}

/// `--vault-url-template`: a URL with `{name}`, https or loopback http.
pub fn vault_url_template(s: &str) -> Result<crate::keyvault::VaultUrlTemplate, String> {
    crate::keyvault::VaultUrlTemplate::parse(s).map_err(|e| e.to_string())
}

/// `--key-id`.
pub fn key_id(s: &str) -> Result<KeyIdPrefix, String> {
    let key = s.trim().to_ascii_lowercase();
    if key.len() < 8 || !key.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(format!(
            "'{s}' is not a Secret ID (a GUID, or its first 8 or more characters)"
        ));
    }
    Ok(KeyIdPrefix(key))
}

/// `--fail-rate`: 0 to 1.
pub fn fraction(s: &str) -> Result<f64, String> {
    let f: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number"))?;
    if (0.0..=1.0).contains(&f) {
        Ok(f)
    } else {
        Err(format!("must be between 0 and 1, got {s}"))
    }
}

/// `--add-password-status`: an HTTP error status.
pub fn error_status(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u16>() {
        Ok(c) if (400..=599).contains(&c) => Ok(c),
        _ => Err(format!("'{s}' is not an HTTP error status (400 to 599)")),
    }
}

/// `--graph-url`, `--login-url`: https, or http on a loopback address.
pub fn endpoint(s: &str) -> Result<Url, String> {
    crate::auth::endpoints::parse_endpoint(s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        assert_eq!(destination("stdout"), Ok(Destination::Stdout));
        assert_eq!(
            destination("env-file:./x.env"),
            Ok(Destination::EnvFile(PathBuf::from("./x.env")))
        );
        assert!(destination("env-file:").is_err());
        assert!(destination("file").is_err());
    }

    #[test]
    fn windows_are_durations() {
        assert_eq!(window("30d"), Ok(Lifetime::Days(30)));
        assert_eq!(window("3m"), Ok(Lifetime::Months(3)));
        assert!(window("never").unwrap_err().contains("not a duration"));
        assert!(window("2030-01-01").is_err());
        assert!(window("30x").is_err());
    }

    #[test]
    fn lifetimes_must_end_in_the_future() {
        assert_eq!(lifetime("6m"), Ok(Lifetime::Months(6)));
        assert!(
            lifetime("2020-01-01")
                .unwrap_err()
                .contains("not in the future")
        );
        assert!(lifetime("0d").unwrap_err().contains("at least one day"));
        assert!(lifetime("6x").unwrap_err().contains("not a lifetime"));
    }

    /// The help states the limit the validated request enforces (one number, checked here).
    #[test]
    fn description_help_states_the_one_limit() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        let add = cmd
            .find_subcommand("secrets")
            .and_then(|s| s.find_subcommand("add"))
            .expect("secrets add");
        let help = add
            .get_arguments()
            .find(|a| a.get_id() == "description")
            .and_then(|a| a.get_help())
            .map(|h| h.to_string())
            .unwrap_or_default();
        let limit = format!("at most {} characters", crate::new_secret::MAX_DESCRIPTION);
        assert!(help.contains(&limit), "{help}");
    }

    #[test]
    fn key_ids_and_fractions() {
        assert_eq!(key_id(" 0A1B2C3D-"), Ok(KeyIdPrefix("0a1b2c3d-".into())));
        assert!(key_id("zz").is_err());
        assert!(key_id("0a1b2c3").is_err(), "at least 8 characters");
        assert_eq!(fraction("0.25"), Ok(0.25));
        assert!(fraction("1.5").is_err());
        assert!(fraction("x").is_err());
    }
}
