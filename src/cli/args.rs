//! The clap definitions and the value parsers that turn flag text into typed values. Bad values
//! stop here, with clap's message and exit code 2, before anything is asked of anyone.

use std::path::PathBuf;

use chrono::Utc;
use clap::{Args, Parser, Subcommand, ValueEnum};
use url::Url;

use crate::destination::Destination;
use crate::expiry::Lifetime;

/// Said under every command that signs in: where the global options go.
const GLOBALS_NOTE: &str = "Global options (--sandbox, --tenant, --auth, --read-only, --clipboard, …) go before the command, as in `azsecrets --sandbox secrets list`; `azsecrets --help` lists them.";

/// Under `secrets add`: how several destinations end, and the exit codes.
const ADD_NOTE: &str = "Every destination is checked before the secret is created (a vault answers, gh is signed in, a command's program exists, an .env file may be written), so a refusal creates nothing. The secret is kept when at least one destination took the value; when none did it is deleted again (exit 1); when some failed, the output names them and how to retry (exit 7). With --verify, a secret that does not sign in within 120 s exits 8 (it is kept).\n\nGlobal options (--sandbox, --tenant, --auth, --read-only, --clipboard, …) go before the command, as in `azsecrets --sandbox secrets list`; `azsecrets --help` lists them.";

/// Under `secrets rotate`: the rules.
const ROTATE_NOTE: &str = "Without --key-id, the old secret is the app's only one, or the only one expired or expiring within 30 days; otherwise rotate lists them and asks for --key-id. When a key vault secret is tagged with the old secret's Secret ID (found in a --to keyvault vault, the vault last used for the app, or the vaults Resource Manager lists), the new value goes to a new version of it. The old secret is deleted only with --delete-old and a successful --verify; otherwise both are kept and the command that deletes the old one later is printed. Exit codes as for `secrets add`.\n\nGlobal options (--sandbox, --tenant, --auth, --read-only, --clipboard, …) go before the command, as in `azsecrets --sandbox secrets list`; `azsecrets --help` lists them.";

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
    /// With --sandbox: refuse a new client secret's sign-in (AADSTS7000215) for SECS seconds
    /// after it is created, as Entra does while it replicates (see --verify).
    #[arg(long, value_name = "SECS", requires = "sandbox")]
    pub sandbox_propagation_delay: Option<u64>,
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
    /// Certificates (public keys) of an app registration.
    #[command(subcommand)]
    Certs(CertsCommand),
    /// Federated identity credentials (workload identity federation).
    #[command(subcommand)]
    Federated(FederatedCommand),
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
        /// is complete: names and dates in memory, the rest in a temporary file that has no
        /// name.
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
        /// arrive, which streams). Sorting holds the secrets until the listing is complete:
        /// names and dates in memory, the rest (ids, descriptions, hints) in a temporary file
        /// that has no name.
        #[arg(long, value_enum, value_name = "ORDER")]
        sort: Option<ListSort>,
        /// Output format.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
        output: OutputFormat,
    },
    /// Add a client secret and hand its value to one or more destinations.
    #[command(after_help = ADD_NOTE)]
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
        /// Where the value goes (repeat for several): clipboard, stdout, env-file:PATH,
        /// keyvault:VAULT[/NAME], github:OWNER/REPO[/NAME][@ENV] or exec:'COMMAND ARGS'.
        #[arg(long, value_name = "DEST", value_parser = destination, required = true)]
        to: Vec<Destination>,
        /// Then check that the new secret signs in (client credentials), waiting up to 120 s
        /// while it replicates.
        #[arg(long)]
        verify: bool,
        /// With --verify: how long a new secret may take to start signing in.
        #[arg(long, value_name = "SECS", default_value_t = 120, requires = "verify", value_parser = clap::value_parser!(u64).range(1..=900))]
        verify_timeout: u64,
        /// With --to github: also set AZURE_CLIENT_ID and AZURE_TENANT_ID as variables.
        #[arg(long)]
        github_variables: bool,
        /// With --to env-file: replace another app's AZURE_CLIENT_ID or another tenant's
        /// AZURE_TENANT_ID in the file.
        #[arg(long)]
        force: bool,
        /// Output format (with --to stdout and json, the value is in the JSON).
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
        output: OutputFormat,
    },
    /// Replace a client secret: add a new one, hand it off, check it signs in, and delete the
    /// old one only when asked and proven.
    #[command(after_help = ROTATE_NOTE)]
    Rotate {
        /// The app: its display name, Application (client) ID or Object ID.
        #[arg(long, value_name = "APP")]
        app: String,
        /// The secret to replace: its Secret ID or first 8+ characters (default: the app's only
        /// secret, or the only one expired or expiring within 30 days).
        #[arg(long = "key-id", value_name = "SECRET_ID", value_parser = key_id)]
        key_id: Option<KeyIdPrefix>,
        /// The new secret's description (default: the old one's).
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
        /// 180d, 6m, 12m, 24m, never, or an end date YYYY-MM-DD.
        #[arg(long, value_name = "WHEN", default_value = "180d", value_parser = lifetime)]
        expires: Lifetime,
        /// Where the value goes (repeat for several), as for `secrets add`; by default also the
        /// key vault secret that holds the old one, when one is tagged with its Secret ID.
        #[arg(long, value_name = "DEST", value_parser = destination)]
        to: Vec<Destination>,
        /// Do not look for the vault secret that holds the old one.
        #[arg(long)]
        no_vault_search: bool,
        /// Check that the new secret signs in (client credentials), waiting up to 120 s while it
        /// replicates.
        #[arg(long)]
        verify: bool,
        /// With --verify: how long a new secret may take to start signing in.
        #[arg(long, value_name = "SECS", default_value_t = 120, requires = "verify", value_parser = clap::value_parser!(u64).range(1..=900))]
        verify_timeout: u64,
        /// Delete the old secret once the new one signed in (needs --verify).
        #[arg(long, requires = "verify")]
        delete_old: bool,
        /// With --to github: also set AZURE_CLIENT_ID and AZURE_TENANT_ID as variables.
        #[arg(long)]
        github_variables: bool,
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
pub enum CertsCommand {
    /// List an app's certificates.
    #[command(after_help = GLOBALS_NOTE)]
    List {
        /// The app: its display name, Application (client) ID or Object ID.
        #[arg(long, value_name = "APP")]
        app: String,
        /// Output format.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
        output: OutputFormat,
    },
    /// Upload a public certificate (.cer, .crt or .pem; DER or PEM). A file holding a private
    /// key or a PFX is refused.
    #[command(after_help = GLOBALS_NOTE)]
    Add {
        /// The app: its display name, Application (client) ID or Object ID.
        #[arg(long, value_name = "APP")]
        app: String,
        /// The certificate file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// The description the portal shows (default: Graph uses the certificate's subject).
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
        /// Output format.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
        output: OutputFormat,
    },
    /// Make a self-signed certificate CN=<app name>, upload its public part, and write the key
    /// and the certificate as PEM files (0600) that are checked before anything is created.
    #[command(after_help = GLOBALS_NOTE)]
    Create {
        /// The app: its display name, Application (client) ID or Object ID.
        #[arg(long, value_name = "APP")]
        app: String,
        /// Where the private key goes (PEM, PKCS#8). Optional with --to-vault.
        #[arg(long, value_name = "PATH")]
        key_out: Option<PathBuf>,
        /// Where the certificate goes (PEM). Optional with --to-vault.
        #[arg(long, value_name = "PATH")]
        cert_out: Option<PathBuf>,
        /// Also store the private key and certificate in a key vault, as one PEM secret (key
        /// first): VAULT is a name (through --vault-url-template) or a URL; NAME defaults to
        /// the app's name and -cert. Checked before anything is made.
        #[arg(long, value_name = "VAULT[/NAME]", value_parser = to_vault)]
        to_vault: Option<Box<crate::destination::VaultTarget>>,
        /// 180d, 90d, 12m, a number of days up to a year, or an end date YYYY-MM-DD.
        #[arg(long, value_name = "WHEN", default_value = "180d", value_parser = lifetime)]
        expires: Lifetime,
        /// The key: rsa (RSA 2048) or p256 (ECDSA P-256).
        #[arg(long, value_name = "ALG", default_value = "rsa", value_parser = key_algorithm)]
        key_type: crate::certs::KeyAlgorithm,
        /// The description the portal shows (default: the subject).
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
        /// Replace existing files at --key-out and --cert-out (yours, not symlinks).
        #[arg(long)]
        force: bool,
        /// Output format.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
        output: OutputFormat,
    },
    /// Remove a certificate by its Certificate ID (keyId).
    #[command(after_help = GLOBALS_NOTE)]
    Remove {
        /// The app: its display name, Application (client) ID or Object ID.
        #[arg(long, value_name = "APP")]
        app: String,
        /// The Certificate ID (keyId), or its first 8 or more characters.
        #[arg(long = "key-id", value_name = "CERTIFICATE_ID", value_parser = key_id)]
        key_id: KeyIdPrefix,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Succeed when the app has no such certificate.
        #[arg(long)]
        ignore_missing: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FederatedCommand {
    /// List an app's federated credentials (issuer, subject and audience whole).
    #[command(after_help = GLOBALS_NOTE)]
    List {
        /// The app: its display name, Application (client) ID or Object ID.
        #[arg(long, value_name = "APP")]
        app: String,
        /// Output format.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
        output: OutputFormat,
    },
    /// Add a federated credential: GitHub Actions, Kubernetes, or any issuer.
    #[command(after_help = GLOBALS_NOTE)]
    Add(Box<FederatedAddArgs>),
    /// Remove a federated credential by its name or id.
    #[command(after_help = GLOBALS_NOTE)]
    Remove {
        /// The app: its display name, Application (client) ID or Object ID.
        #[arg(long, value_name = "APP")]
        app: String,
        /// The credential's name or id.
        #[arg(long, value_name = "NAME_OR_ID")]
        credential: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Succeed when the app has no such credential.
        #[arg(long)]
        ignore_missing: bool,
    },
}

/// `federated add`: one scenario, as the portal's picker has them.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("scenario").required(true).args(["github", "kubernetes", "subject"])))]
#[command(group(clap::ArgGroup::new("entity").args(["branch", "environment", "pull_request", "tag"])))]
pub struct FederatedAddArgs {
    /// The app: its display name, Application (client) ID or Object ID.
    #[arg(long, value_name = "APP")]
    pub app: String,
    /// GitHub Actions: the repository, ORG/REPO (with --branch, --environment, --pull-request or --tag).
    #[arg(long, value_name = "ORG/REPO", requires = "entity")]
    pub github: Option<String>,
    /// GitHub Actions: jobs on this branch.
    #[arg(long, value_name = "BRANCH", requires = "github")]
    pub branch: Option<String>,
    /// GitHub Actions: jobs that use this environment.
    #[arg(long, value_name = "ENV", requires = "github")]
    pub environment: Option<String>,
    /// GitHub Actions: pull request jobs.
    #[arg(long, requires = "github")]
    pub pull_request: bool,
    /// GitHub Actions: jobs on this tag.
    #[arg(long, value_name = "TAG", requires = "github")]
    pub tag: Option<String>,
    /// Kubernetes: with --issuer (the cluster's OIDC issuer URL), --namespace and --service-account.
    #[arg(long, requires_all = ["issuer", "namespace", "service_account"], conflicts_with = "github")]
    pub kubernetes: bool,
    /// Kubernetes or any other issuer: the issuer URL, exactly as the token has it.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// Kubernetes: the service account's namespace.
    #[arg(long, value_name = "NS", requires = "kubernetes")]
    pub namespace: Option<String>,
    /// Kubernetes: the service account.
    #[arg(long, value_name = "SA", requires = "kubernetes")]
    pub service_account: Option<String>,
    /// Any other issuer: the subject, exactly as the token has it (with --issuer).
    #[arg(long, value_name = "SUBJECT", requires = "issuer", conflicts_with_all = ["github", "kubernetes"])]
    pub subject: Option<String>,
    /// The audience (default: api://AzureADTokenExchange, or the national cloud's).
    #[arg(long, value_name = "AUDIENCE")]
    pub audience: Option<String>,
    /// The credential's name (3-120 letters, digits, - and _; default: made from the subject).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// A description.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    pub output: OutputFormat,
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

/// `--key-type`.
pub fn key_algorithm(s: &str) -> Result<crate::certs::KeyAlgorithm, String> {
    crate::certs::KeyAlgorithm::parse(s)
        .ok_or_else(|| format!("'{s}': use rsa (RSA 2048) or p256 (ECDSA P-256)"))
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
    s.parse::<Destination>().map_err(|e| e.to_string())
}

/// `--to-vault VAULT[/NAME]`: what `--to keyvault:` takes.
pub fn to_vault(s: &str) -> Result<Box<crate::destination::VaultTarget>, String> {
    crate::keycreds::vault::parse_target(s).map(Box::new)
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
        assert!(matches!(
            destination("keyvault:contoso-kv"),
            Ok(Destination::KeyVault { .. })
        ));
        assert!(destination("keyvault:a.b").is_err());
    }

    #[test]
    fn to_repeats_and_delete_old_needs_verify() {
        let cli = Cli::try_parse_from([
            "azsecrets",
            "secrets",
            "add",
            "--app",
            "x",
            "--to",
            "keyvault:contoso-kv",
            "--to",
            "github:contoso/billing@prod",
            "--to",
            "exec:pass insert -m azure/x",
            "--verify",
        ])
        .unwrap();
        let Some(Command::Secrets(SecretsCommand::Add { to, verify, .. })) = cli.command else {
            panic!()
        };
        assert_eq!(to.len(), 3);
        assert!(verify);
        assert!(Cli::try_parse_from(["azsecrets", "secrets", "add", "--app", "x"]).is_err());
        let rotate = |extra: &[&str]| {
            let mut a = vec!["azsecrets", "secrets", "rotate", "--app", "x"];
            a.extend_from_slice(extra);
            Cli::try_parse_from(a)
        };
        assert!(rotate(&[]).is_ok(), "rotate may rely on the vault search");
        assert!(rotate(&["--delete-old"]).is_err());
        assert!(rotate(&["--delete-old", "--verify"]).is_ok());
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
