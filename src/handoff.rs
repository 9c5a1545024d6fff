//! Secret hand-off: clipboard (a detached holder process for local displays, OSC 52 over SSH),
//! the env block, and the `.env` file writer. Knows nothing of ratatui; the TUI and the
//! scripting twin both call it.
//!
//! (Public API fixed here so the TUI can be built against it; implementation in `handoff/`.)

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Local};

use crate::cli::{ClipboardChoice, ExitCode};
use crate::secret::SecretValue;

/// How a copy reached the clipboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyMethod {
    /// A local display (X11, Wayland, macOS, Windows) through the holder process.
    Native,
    /// OSC 52 escape sequence to the terminal (over SSH, or no display). Cannot be verified or
    /// reliably cleared.
    Osc52,
}

/// The result of a copy, for the status line and the exit summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyReport {
    pub method: CopyMethod,
    /// When the holder clears the clipboard (None: never, or cannot).
    pub clears_at: Option<DateTime<Local>>,
    /// One line for the status bar, e.g. "Copied to clipboard — clears in 45 s".
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoffError {
    /// No clipboard works here; `reason` says why and what to do (e.g. reveal with `v`).
    #[error("no clipboard available: {reason}")]
    NoClipboard { reason: String },
    #[error("could not copy: {0}")]
    Copy(String),
    #[error("could not write {path}: {reason}")]
    EnvFile { path: PathBuf, reason: String },
}

/// The result of writing a `.env` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvFileReport {
    pub path: PathBuf,
    /// True when the file already existed (its other lines were kept).
    pub updated: bool,
    /// A warning when git would track the file.
    pub git_warning: Option<String>,
}

/// The three variables a daemon's SDK reads (`AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_CLIENT_SECRET`).
pub struct EnvBlock<'a> {
    pub client_id: &'a str,
    pub tenant_id: &'a str,
    pub secret: &'a SecretValue,
}

/// The clipboard, chosen once per run.
pub struct Clipboard {
    choice: ClipboardChoice,
    timeout: Duration,
}

impl Clipboard {
    /// `timeout` zero means never clear.
    pub fn new(choice: ClipboardChoice, timeout: Duration) -> Self {
        Self { choice, timeout }
    }

    /// Copy a secret (or an env block holding one). Replaces any previous holder.
    pub fn copy_secret(&mut self, value: &SecretValue) -> Result<CopyReport, HandoffError> {
        let _ = (value, self.choice, self.timeout);
        Err(HandoffError::NoClipboard {
            reason: "not built yet".into(),
        })
    }

    /// Copy non-secret text (an Application ID, a Secret ID). Not auto-cleared.
    pub fn copy_text(&mut self, text: &str) -> Result<CopyReport, HandoffError> {
        let _ = text;
        Err(HandoffError::NoClipboard {
            reason: "not built yet".into(),
        })
    }

    /// Copy the env block for `block`.
    pub fn copy_env_block(&mut self, block: &EnvBlock<'_>) -> Result<CopyReport, HandoffError> {
        let _ = block;
        Err(HandoffError::NoClipboard {
            reason: "not built yet".into(),
        })
    }
}

/// Write or update `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_CLIENT_SECRET` in `path`
/// atomically (temp file + rename in the same folder), mode 0600, refusing symlinks, keeping
/// other lines.
pub fn write_env_file(path: &Path, block: &EnvBlock<'_>) -> Result<EnvFileReport, HandoffError> {
    let _ = block;
    Err(HandoffError::EnvFile {
        path: path.to_path_buf(),
        reason: "not built yet".into(),
    })
}

/// Entry of the hidden `clipboard-holder` subcommand.
pub fn holder_main(_timeout_secs: u64) -> ExitCode {
    ExitCode::Failure
}
