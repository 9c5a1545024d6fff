//! Secret hand-off: clipboard (a detached holder process for local displays, OSC 52 over SSH),
//! the env block, and the `.env` file writer. Knows nothing of ratatui; the TUI and the
//! scripting twin both call it.
//!
//! The value leaves this process only through: the holder's stdin pipe (never argv or env), the
//! terminal (OSC 52, base64), or the `.env` file the user chose. Every intermediate copy we make
//! (env block, base64, file contents) lives in a zeroizing buffer.

mod envfile;
mod holder;
mod osc52;
mod tmux;

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use chrono::{DateTime, Local};
use secrecy::zeroize::Zeroizing;

use crate::secret::SecretValue;

#[doc(hidden)]
pub use envfile::{FailStage, write_env_file_failing_at};
pub use osc52::sequence as osc52_sequence;
pub use tmux::TmuxOptions;

/// How a copy reached the clipboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyMethod {
    /// A local display (X11, Wayland, macOS, Windows) through the holder process.
    Native,
    /// OSC 52 escape sequence to the terminal (over SSH, or no display). Not reliably cleared;
    /// confirmed only inside tmux with `set-clipboard on` (by reading tmux's buffer back).
    Osc52,
}

/// How copies reach the clipboard, chosen once per run (`--clipboard` in the CLI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClipboardMode {
    /// Native on a local display, OSC 52 over SSH or without a display.
    #[default]
    Auto,
    Native,
    Osc52,
    /// Never copy (the value is revealed and selected by hand).
    None,
}

/// The result of a copy, for the status line and the exit summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyReport {
    pub method: CopyMethod,
    /// When the holder clears the clipboard (None: never, or cannot).
    pub clears_at: Option<DateTime<Local>>,
    /// One line for the status bar, e.g. "Copied to clipboard — clears in 45 s".
    pub status: String,
    /// The copy was seen to arrive: the holder set the desktop clipboard, or tmux's buffer was
    /// read back. An unconfirmed copy was sent and may have gone nowhere.
    pub confirmed: bool,
}

impl CopyReport {
    /// tmux's buffer was read back and holds the copy.
    pub fn confirm_in_tmux(&mut self) {
        self.confirmed = true;
        self.status = "Copied to tmux's clipboard (OSC 52; tmux's buffer was read back) — \
                       not cleared automatically"
            .to_owned();
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoffError {
    /// No clipboard works here; `reason` says why (each front-end says what to do).
    #[error("no clipboard available: {reason}")]
    NoClipboard { reason: String },
    #[error("could not copy: {0}")]
    Copy(String),
    #[error("could not write {path}: {reason}")]
    EnvFile { path: PathBuf, reason: String },
    /// The file is another app's (or another tenant's): replacing its values needs a yes.
    #[error("{} holds {}", path.display(), conflict_words(.client_id, .tenant_id))]
    EnvConflict {
        path: PathBuf,
        /// The `AZURE_CLIENT_ID` in the file, when it is not this app's.
        client_id: Option<String>,
        /// The `AZURE_TENANT_ID` in the file, when it is not this tenant's.
        tenant_id: Option<String>,
    },
}

fn conflict_words(client_id: &Option<String>, tenant_id: &Option<String>) -> String {
    match (client_id, tenant_id) {
        (Some(c), Some(t)) => {
            format!("another app's AZURE_CLIENT_ID ({c}) in another tenant ({t})")
        }
        (Some(c), None) => format!("another app's AZURE_CLIENT_ID ({c})"),
        (None, Some(t)) => format!("another tenant's AZURE_TENANT_ID ({t})"),
        (None, None) => "values of another app".to_owned(),
    }
}

/// The result of writing a `.env` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvFileReport {
    pub path: PathBuf,
    /// True when the file already existed (its other lines were kept).
    pub updated: bool,
    /// A warning when git would track the file.
    pub git_warning: Option<String>,
    /// The file's permission bits now (a replaced file keeps its own; a new one is 0600).
    pub mode: u32,
}

/// The three variables a daemon's SDK reads (`AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_CLIENT_SECRET`).
pub struct EnvBlock<'a> {
    pub client_id: &'a str,
    pub tenant_id: &'a str,
    pub secret: &'a SecretValue,
}

impl EnvBlock<'_> {
    /// `AZURE_CLIENT_ID=…\nAZURE_TENANT_ID=…\nAZURE_CLIENT_SECRET=…\n`, in a buffer that is wiped
    /// on drop. Values are written as they are (ids are GUIDs, Graph secrets use a shell-safe
    /// alphabet); the `.env` writer quotes when needed.
    pub fn render(&self) -> Zeroizing<String> {
        let lines = [
            ("AZURE_CLIENT_ID", self.client_id),
            ("AZURE_TENANT_ID", self.tenant_id),
            ("AZURE_CLIENT_SECRET", self.secret.expose()),
        ];
        // Reserve the exact size up front: a reallocation would leave an unwiped copy behind.
        let len: usize = lines.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        let mut out = Zeroizing::new(String::with_capacity(len));
        for (k, v) in lines {
            out.push_str(k);
            out.push('=');
            out.push_str(v);
            out.push('\n');
        }
        out
    }
}

/// Variables that decide how the clipboard works; read once so tests can override them.
const ENV_KEYS: &[&str] = &[
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XAUTHORITY",
    "XDG_RUNTIME_DIR",
    "HOME",
    "SSH_TTY",
    "SSH_CONNECTION",
    "TMUX",
];

/// Tests only: the program to run as the clipboard holder instead of this binary, so a test of
/// the real binary can stand in a slow or failing holder. Must be an absolute path; its use is
/// logged. Not in `--help` or the man page.
const HOLDER_EXE_VAR: &str = "AZSECRETS_HOLDER_EXE";

/// Where OSC 52 goes.
enum Terminal {
    /// `/dev/tty`, else stdout when it is a terminal.
    Auto,
    /// A given writer (tests).
    Writer(Box<dyn Write + Send>),
    /// Kept for the caller, who writes it itself (a TUI, between two frames).
    Deferred(Option<TerminalWrite>),
}

/// An OSC 52 sequence that a caller must still write to the terminal (see
/// [`Clipboard::defer_terminal_writes`]). It holds the value in base64, so it is wiped on drop
/// and its `Debug` shows only its length.
pub struct TerminalWrite {
    seq: Zeroizing<Vec<u8>>,
    /// Inside tmux with `set-clipboard on`: the tmux to read the buffer back from.
    check: Option<OsString>,
}

impl TerminalWrite {
    /// Write it to the controlling terminal (`/dev/tty`), else to stdout when that is a
    /// terminal; never to a pipe or a file.
    pub fn write_to_terminal(&self) -> Result<(), HandoffError> {
        osc52::write_to_terminal(&self.seq)
    }

    /// Whether it can be confirmed after it is written ([`Self::confirm`]).
    pub fn confirmable(&self) -> bool {
        self.check.is_some()
    }

    /// After it was written: whether tmux's buffer now holds what it carried (waits up to
    /// about a second; run it off an event loop). False when it cannot be confirmed.
    pub fn confirm(&self) -> bool {
        match (&self.check, osc52::payload(&self.seq)) {
            (Some(tmux_env), Some(b64)) => tmux::buffer_holds(tmux_env, b64),
            _ => false,
        }
    }
}

impl std::fmt::Debug for TerminalWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TerminalWrite({} bytes)", self.seq.len())
    }
}

/// What a copy carries: a secret is excluded from clipboard history and auto-cleared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Secret,
    Text,
}

/// The clipboard, chosen once per run.
pub struct Clipboard {
    mode: ClipboardMode,
    timeout: Duration,
    /// The executable run as `clipboard-holder` (None: `current_exe()`).
    holder_exe: Option<PathBuf>,
    /// The holder from this run's last native copy (replaced by the next copy).
    holder: Option<Child>,
    /// Where the last holder's pid is kept across runs (None: not tracked across runs).
    pid_file: Option<PathBuf>,
    env: Vec<(&'static str, Option<OsString>)>,
    terminal: Terminal,
}

impl Clipboard {
    /// `timeout` zero means never clear.
    pub fn new(mode: ClipboardMode, timeout: Duration) -> Self {
        let env = ENV_KEYS
            .iter()
            .map(|k| (*k, std::env::var_os(k).filter(|v| !v.is_empty())))
            .collect();
        let mut clipboard = Self {
            mode,
            timeout,
            holder_exe: holder_exe_from_env(),
            holder: None,
            pid_file: None,
            env,
            terminal: Terminal::Auto,
        };
        clipboard.pid_file = holder::default_pid_file(clipboard.env_var("XDG_RUNTIME_DIR"));
        clipboard
    }

    /// Like `new`, with the program to run as the holder (`<exe> clipboard-holder --timeout N`).
    /// Tests pass the real `azsecrets` binary, since their own `current_exe()` is the harness.
    pub fn with_holder(mode: ClipboardMode, timeout: Duration, holder_exe: PathBuf) -> Self {
        let mut c = Self::new(mode, timeout);
        c.holder_exe = Some(holder_exe);
        c
    }

    /// Override one of the variables read at construction (`DISPLAY`, `WAYLAND_DISPLAY`,
    /// `XAUTHORITY`, `XDG_RUNTIME_DIR`, `HOME`, `SSH_TTY`, `SSH_CONNECTION`, `TMUX`); `None`
    /// unsets it. Unknown names are ignored. Only these reach the holder's environment.
    pub fn set_env(&mut self, key: &str, value: Option<&OsStr>) {
        if let Some(slot) = self.env.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value.filter(|v| !v.is_empty()).map(OsStr::to_os_string);
        }
    }

    /// Where to keep the holder's pid across runs (None: do not track across runs).
    pub fn set_pid_file(&mut self, path: Option<PathBuf>) {
        self.pid_file = path;
    }

    /// Send OSC 52 to `writer` instead of the terminal (tests).
    pub fn set_terminal(&mut self, writer: Box<dyn Write + Send>) {
        self.terminal = Terminal::Writer(writer);
    }

    /// Build OSC 52 sequences but do not write them: after each copy the caller takes the
    /// sequence with [`take_terminal_write`](Self::take_terminal_write) and writes it when the
    /// terminal is free (a TUI, whose copies run off its event loop, writes it between frames).
    pub fn defer_terminal_writes(&mut self) {
        self.terminal = Terminal::Deferred(None);
    }

    /// The OSC 52 sequence the last copy left for the caller to write (deferred writes only).
    pub fn take_terminal_write(&mut self) -> Option<TerminalWrite> {
        match &mut self.terminal {
            Terminal::Deferred(slot) => slot.take(),
            _ => None,
        }
    }

    /// The pid of the holder started by this `Clipboard`, while it runs.
    pub fn holder_pid(&mut self) -> Option<u32> {
        let child = self.holder.as_mut()?;
        match child.try_wait() {
            Ok(None) => Some(child.id()),
            _ => None,
        }
    }

    /// Copy a secret (or an env block holding one). Replaces any previous holder.
    pub fn copy_secret(&mut self, value: &SecretValue) -> Result<CopyReport, HandoffError> {
        self.copy(value.expose(), Kind::Secret)
    }

    /// Copy non-secret text (an Application ID, a Secret ID). Not auto-cleared.
    pub fn copy_text(&mut self, text: &str) -> Result<CopyReport, HandoffError> {
        self.copy(text, Kind::Text)
    }

    /// Copy the env block for `block`.
    pub fn copy_env_block(&mut self, block: &EnvBlock<'_>) -> Result<CopyReport, HandoffError> {
        let text = block.render();
        self.copy(&text, Kind::Secret)
    }

    fn env_var(&self, key: &str) -> Option<&OsStr> {
        self.env
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.as_deref())
    }

    fn over_ssh(&self) -> bool {
        self.env_var("SSH_TTY").is_some() || self.env_var("SSH_CONNECTION").is_some()
    }

    /// Whether a local display is plausible. On Linux and the BSDs that means DISPLAY or
    /// WAYLAND_DISPLAY; whether it really works is proven by the holder's answer.
    fn display_reason(&self) -> Option<&'static str> {
        if cfg!(any(target_os = "macos", target_os = "windows")) {
            return None;
        }
        if self.env_var("DISPLAY").is_none() && self.env_var("WAYLAND_DISPLAY").is_none() {
            Some("no display (neither DISPLAY nor WAYLAND_DISPLAY is set)")
        } else {
            None
        }
    }

    fn copy(&mut self, text: &str, kind: Kind) -> Result<CopyReport, HandoffError> {
        // A sequence the caller never took belongs to an older copy: it must not be sent now.
        drop(self.take_terminal_write());
        match self.mode {
            // Nothing reaches a clipboard here, so an earlier holder keeps what it holds.
            ClipboardMode::None => Err(HandoffError::NoClipboard {
                reason: "the clipboard is turned off".into(),
            }),
            ClipboardMode::Osc52 => {
                self.stop_previous_holder();
                self.copy_osc52(text, kind)
            }
            ClipboardMode::Native => {
                if let Some(reason) = self.display_reason() {
                    return Err(HandoffError::NoClipboard {
                        reason: reason.to_owned(),
                    });
                }
                self.copy_native(text, kind)
                    .map_err(|reason| HandoffError::NoClipboard { reason })
            }
            ClipboardMode::Auto => {
                if self.over_ssh() || self.display_reason().is_some() {
                    self.stop_previous_holder();
                    return self.copy_osc52(text, kind);
                }
                match self.copy_native(text, kind) {
                    Ok(report) => Ok(report),
                    // The display is set but does not work (e.g. a stale DISPLAY): the terminal
                    // may still carry OSC 52.
                    Err(native) => self.copy_osc52(text, kind).map_err(|e| match e {
                        HandoffError::NoClipboard { reason } => HandoffError::NoClipboard {
                            reason: format!("{native}; {reason}"),
                        },
                        other => other,
                    }),
                }
            }
        }
    }

    fn copy_native(&mut self, text: &str, kind: Kind) -> Result<CopyReport, String> {
        const KEPT: &str = "Copied to clipboard — kept until you copy something else";
        let exe = match &self.holder_exe {
            Some(p) => p.clone(),
            None => std::env::current_exe()
                .map_err(|e| format!("cannot find this program to start the holder: {e}"))?,
        };
        let timeout = match kind {
            Kind::Secret => self.timeout,
            Kind::Text => Duration::ZERO,
        };
        let started = holder::spawn(&exe, timeout, kind == Kind::Secret, text, &self.env);
        // Whatever happened, the previous holder goes: on success the new one owns the
        // clipboard; on failure the old secret should not linger either.
        self.stop_previous_holder();
        let child = started?;
        if let Some(pid_file) = &self.pid_file {
            holder::write_pid_file(pid_file, child.id());
        }
        self.holder = Some(child);
        let (clears_at, status) = match kind {
            Kind::Secret if !timeout.is_zero() => {
                let at = chrono::Duration::from_std(timeout)
                    .ok()
                    .and_then(|d| Local::now().checked_add_signed(d));
                match at {
                    Some(at) => (
                        Some(at),
                        format!("Copied to clipboard — clears in {} s", timeout.as_secs()),
                    ),
                    // Too far away to name a time (the holder then keeps it as for 0).
                    None => (None, KEPT.to_owned()),
                }
            }
            Kind::Secret => (None, KEPT.to_owned()),
            Kind::Text => (None, "Copied to clipboard".to_owned()),
        };
        Ok(CopyReport {
            method: CopyMethod::Native,
            clears_at,
            status,
            // The holder answers only once the clipboard holds the value.
            confirmed: true,
        })
    }

    /// OSC 52 in the form that gets through: plain outside tmux; inside tmux, plain when its
    /// `set-clipboard` is `on` (then confirmed by reading tmux's buffer back), the passthrough
    /// form when only `allow-passthrough` is on, and an error when tmux would drop both.
    fn copy_osc52(&mut self, text: &str, kind: Kind) -> Result<CopyReport, HandoffError> {
        let (wrap, check) = match self.env_var("TMUX").map(OsStr::to_os_string) {
            None => (false, None),
            Some(tmux_env) => match tmux::options(&tmux_env) {
                Ok(o) if o.set_clipboard == "on" => (false, Some(tmux_env)),
                Ok(o) if o.passthrough => (true, None),
                Ok(o) => {
                    return Err(HandoffError::NoClipboard {
                        reason: format!(
                            "tmux drops it: its set-clipboard option is {} and allow-passthrough is off; run `tmux set -g set-clipboard on`",
                            o.set_clipboard
                        ),
                    });
                }
                // tmux would not say: the plain form is the one a tmux may keep.
                Err(e) => {
                    tracing::info!(error = %e, "could not ask tmux; sending plain OSC 52");
                    (false, None)
                }
            },
        };
        let write = TerminalWrite {
            seq: osc52::sequence(text, wrap),
            check,
        };
        let confirmed = match &mut self.terminal {
            Terminal::Writer(w) => {
                w.write_all(&write.seq)
                    .and_then(|()| w.flush())
                    .map_err(|e| {
                        HandoffError::Copy(format!("could not write to the terminal: {e}"))
                    })?;
                write.confirm()
            }
            Terminal::Auto => {
                write.write_to_terminal()?;
                write.confirm()
            }
            Terminal::Deferred(slot) => {
                *slot = Some(write);
                false
            }
        };
        let status = match (kind, wrap) {
            (Kind::Secret, false) => {
                "Sent to the terminal clipboard (OSC 52) — unconfirmed: paste \
                                      it somewhere to check; it is not cleared automatically"
            }
            (Kind::Secret, true) => {
                "Sent through tmux to the terminal clipboard (OSC 52) — \
                                     unconfirmed: paste it somewhere to check; it is not cleared \
                                     automatically"
            }
            (Kind::Text, _) => "Sent to the terminal clipboard (OSC 52) — unconfirmed",
        };
        let mut report = CopyReport {
            method: CopyMethod::Osc52,
            clears_at: None,
            status: status.to_owned(),
            confirmed: false,
        };
        if confirmed {
            report.confirm_in_tmux();
        }
        Ok(report)
    }

    /// Stop the holder of the previous copy: ours from this run, and the one recorded in the
    /// pid file by an earlier run (only if it still is an azsecrets clipboard holder).
    fn stop_previous_holder(&mut self) {
        let current = self.holder.take();
        let current_pid = current.as_ref().map(Child::id);
        if let Some(mut child) = current {
            // The holder may already have exited (timeout, or someone copied something newer).
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        if let Some(pid_file) = &self.pid_file {
            holder::stop_recorded_holder(pid_file, current_pid);
        }
    }
}

impl Drop for Clipboard {
    /// The holder must outlive us (that is its job), so it is not stopped here; only reap it
    /// if it already exited, so it does not linger as a zombie of a long-running TUI.
    fn drop(&mut self) {
        if let Some(child) = self.holder.as_mut() {
            let _ = child.try_wait();
        }
    }
}

/// The holder named by `AZSECRETS_HOLDER_EXE` (tests only), else `None` (this binary).
fn holder_exe_from_env() -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var_os(HOLDER_EXE_VAR).filter(|v| !v.is_empty())?);
    if path.is_absolute() {
        tracing::warn!(path = %path.display(), "{HOLDER_EXE_VAR} is set: it runs as the clipboard holder");
        Some(path)
    } else {
        tracing::warn!("{HOLDER_EXE_VAR} is ignored: it must be an absolute path");
        None
    }
}

/// Write or update `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_CLIENT_SECRET` in `path`
/// atomically (temp file + rename in the same folder), refusing symlinks and files of other
/// users, keeping other lines and the file's owner, group and mode (a new file is 0600).
/// A file that holds another app's or tenant's values is refused ([`HandoffError::EnvConflict`])
/// unless `replace_other`.
pub fn write_env_file(
    path: &Path,
    block: &EnvBlock<'_>,
    replace_other: bool,
) -> Result<EnvFileReport, HandoffError> {
    envfile::write(path, block, replace_other, None)
}

/// Everything [`write_env_file`] checks, without writing: run before a secret is created, so a
/// destination that would refuse it refuses before anything exists.
pub fn check_env_file(
    path: &Path,
    client_id: &str,
    tenant_id: &str,
    replace_other: bool,
) -> Result<(), HandoffError> {
    envfile::check(path, client_id, tenant_id, replace_other).map(|_| ())
}

/// Everything [`write_private_file`] checks, without writing: run before anything is created
/// in the tenant (a new certificate's key and certificate files).
pub fn check_private_file(path: &Path, overwrite: bool) -> Result<(), HandoffError> {
    envfile::check_private(path, overwrite).map(|_| ())
}

/// Write a private file (a PEM key or certificate) whole: mode 0600, atomically (temp file in
/// the same folder, fsync, rename), never through a symlink, an existing file only when
/// `overwrite` and only one of ours, the same rules as the `.env` writer.
pub fn write_private_file(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), HandoffError> {
    envfile::write_private(path, bytes, overwrite)
}

/// Entry of the hidden `clipboard-holder` subcommand.
pub fn holder_main(timeout_secs: u64) -> std::process::ExitCode {
    holder::main(timeout_secs)
}
