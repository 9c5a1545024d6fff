//! The emulated tenant: an axum server that follows graph-contract.md (Graph v1.0 routes and the
//! identity platform's token endpoints), with fault injection. Used by `--sandbox`,
//! `azsecrets sandbox serve`, and every test. Shares no code with the client beyond wire shapes.
//!
//! (Public API fixed here; the implementation lives in `sandbox/`.)

use std::time::Duration;

use secrecy::SecretString;
use url::Url;

/// How the emulator behaves.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Generated apps added to the seed tenant.
    pub extra_apps: usize,
    /// Added latency per request.
    pub latency: Duration,
    /// Every Nth Graph request gets 429 + Retry-After.
    pub throttle_every: Option<u32>,
    /// Retry-After seconds sent with injected 429s.
    pub throttle_retry_after: u64,
    /// Fraction of Graph requests answered with a random 5xx (503 with Retry-After, 500, 504).
    pub fail_rate: f64,
    /// Device code: polls answered `authorization_pending` before the outcome.
    pub device_polls: u32,
    /// What the device-code flow ends with.
    pub device_outcome: DeviceOutcome,
    /// Drop the reply of the first N addPassword calls (the secret is still created).
    pub drop_add_password: u32,
    /// Lifetime of issued access tokens.
    pub token_lifetime: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            port: 0,
            extra_apps: 0,
            latency: Duration::ZERO,
            throttle_every: None,
            throttle_retry_after: 1,
            fail_rate: 0.0,
            device_polls: 2,
            device_outcome: DeviceOutcome::Approve,
            drop_add_password: 0,
            token_lifetime: Duration::from_secs(3600),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceOutcome {
    Approve,
    Decline,
    Expire,
    /// Answer `slow_down` once, then behave like Approve.
    SlowDownThenApprove,
}

/// A running emulator. Dropping it stops the server.
pub struct RunningSandbox {
    /// Graph root, e.g. `http://127.0.0.1:PORT/` (the client appends `v1.0/`).
    pub graph_url: Url,
    /// Login root, e.g. `http://127.0.0.1:PORT/` (tokens at `{tenant}/oauth2/v2.0/token`).
    pub login_url: Url,
    /// A ready delegated access token for the sandbox user.
    pub access_token: SecretString,
    /// The sandbox tenant's id.
    pub tenant_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("could not start the sandbox on 127.0.0.1:{port}: {detail}")]
    Bind { port: u16, detail: String },
    #[error("the sandbox seed tenant is invalid: {0}")]
    Seed(String),
}

/// Start the emulator in this process (on the current tokio runtime).
pub async fn start(config: SandboxConfig) -> Result<RunningSandbox, SandboxError> {
    let _ = config;
    Err(SandboxError::Seed("not built yet".into()))
}

/// `azsecrets sandbox serve`: print the URLs and a token, serve until stopped.
pub async fn serve_cli(
    _args: &crate::cli::SandboxServeArgs,
) -> Result<crate::cli::ExitCode, crate::cli::CliError> {
    Err(crate::cli::CliError::new(
        crate::cli::ExitCode::Failure,
        "not built yet",
    ))
}
