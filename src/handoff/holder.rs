//! The clipboard holder: on X11 and Wayland the clipboard content is served by the process that
//! set it, so a copied secret must outlive the TUI (and the one-shot CLI) in a small detached
//! process. That process is this binary again, run as the hidden `clipboard-holder` subcommand.
//!
//! Parent → holder (stdin pipe): `[b'S' | b'T'][u32 big-endian length][value bytes]`, then EOF.
//! `S` is a secret (excluded from clipboard history), `T` plain text. The value never appears in
//! argv or the environment.
//! Holder → parent (stdout pipe): one line, `ok` or `err: <reason>`, written once the clipboard
//! really holds the value, so the parent can report "no display" instead of assuming success.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use secrecy::zeroize::Zeroizing;

use std::process::ExitCode;

/// The subcommand name (must match `cli::Command::ClipboardHolder`).
pub(super) const SUBCOMMAND: &str = "clipboard-holder";

/// Longest value we hand over (an env block is ~150 bytes; this is a sanity bound).
const MAX_VALUE: usize = 64 * 1024;

/// How long the parent waits for the holder's answer. Connecting to an X server that is set
/// but unreachable can take seconds (x11rb), so this is generous.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(6);

/// How often the holder checks whether the clipboard still holds its value (Wayland and other
/// platforms, where arboard cannot block until the selection changes).
const POLL: Duration = Duration::from_millis(250);

/// Variables the holder may inherit. Everything else (e.g. AZURE_CLIENT_SECRET or
/// AZSECRETS_ACCESS_TOKEN used for sign-in) stays out of the long-lived process's environment.
#[cfg(all(unix, not(target_os = "macos")))]
const HOLDER_ENV: &[&str] = &[
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XAUTHORITY",
    "XDG_RUNTIME_DIR",
    "HOME",
];

// ---------------------------------------------------------------------------------------------
// Parent side
// ---------------------------------------------------------------------------------------------

/// Start a holder for `text` and wait for its answer. Returns the running holder.
pub(super) fn spawn(
    exe: &Path,
    timeout: Duration,
    secret: bool,
    text: &str,
    env: &[(&'static str, Option<OsString>)],
) -> Result<Child, String> {
    let len = u32::try_from(text.len())
        .ok()
        .filter(|l| (*l as usize) <= MAX_VALUE)
        .ok_or_else(|| {
            format!(
                "the value is too long for the clipboard ({} bytes)",
                text.len()
            )
        })?;

    let mut cmd = Command::new(exe);
    cmd.arg(SUBCOMMAND)
        .arg("--timeout")
        .arg(timeout.as_secs().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // Do not pin whatever folder the user is in (an unmountable USB stick, a deleted dir).
        .current_dir("/");
    configure_platform(&mut cmd, env);

    let mut child = cmd.spawn().map_err(|e| {
        format!(
            "could not start the clipboard holder {}: {e}",
            exe.display()
        )
    })?;

    // Send the value, then close the pipe so the holder sees EOF. A write error means the holder
    // already died; its answer (or lack of one) below says why.
    if let Some(mut stdin) = child.stdin.take() {
        let mut head = [0u8; 5];
        head[0] = if secret { b'S' } else { b'T' };
        head[1..].copy_from_slice(&len.to_be_bytes());
        let _ = stdin
            .write_all(&head)
            .and_then(|()| stdin.write_all(text.as_bytes()))
            .and_then(|()| stdin.flush());
    }

    let answer = read_answer(&mut child);
    if let Answer::Ok = answer {
        return Ok(child);
    }
    // Never leave a half-started holder behind.
    if let Ok(None) = child.try_wait() {
        let _ = child.kill();
    }
    let status = child.wait().ok();
    Err(match answer {
        Answer::Err(reason) => reason,
        Answer::Timeout => format!(
            "the clipboard holder did not answer within {} s (is the display reachable?)",
            ANSWER_TIMEOUT.as_secs()
        ),
        Answer::Silent | Answer::Ok => match status.and_then(|s| s.code()) {
            Some(code) => format!("the clipboard holder exited with code {code} without answering"),
            None => "the clipboard holder stopped without answering".to_owned(),
        },
    })
}

enum Answer {
    Ok,
    Err(String),
    /// EOF without a line: the holder exited (e.g. not our binary, or it crashed).
    Silent,
    Timeout,
}

fn read_answer(child: &mut Child) -> Answer {
    let Some(mut stdout) = child.stdout.take() else {
        return Answer::Silent;
    };
    let (tx, rx) = mpsc::channel();
    // A thread, because std pipes have no read timeout; it ends at the holder's newline or EOF
    // (the parent kills the holder on timeout, which closes the pipe).
    std::thread::spawn(move || {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while line.len() < 4096 {
            match stdout.read(&mut byte) {
                Ok(1) if byte[0] == b'\n' => break,
                Ok(1) => line.push(byte[0]),
                _ => break,
            }
        }
        let _ = tx.send(line);
    });
    match rx.recv_timeout(ANSWER_TIMEOUT) {
        Ok(line) if line == b"ok" => Answer::Ok,
        Ok(line) if line.is_empty() => Answer::Silent,
        Ok(line) => {
            let text = String::from_utf8_lossy(&line);
            Answer::Err(text.strip_prefix("err: ").unwrap_or(&text).to_owned())
        }
        Err(_) => Answer::Timeout,
    }
}

#[cfg(unix)]
fn configure_platform(cmd: &mut Command, env: &[(&'static str, Option<OsString>)]) {
    use std::os::unix::process::CommandExt;

    #[cfg(not(target_os = "macos"))]
    {
        cmd.env_clear();
        for (key, value) in env {
            if let Some(value) = value
                && HOLDER_ENV.contains(key)
            {
                cmd.env(key, value);
            }
        }
    }
    #[cfg(target_os = "macos")]
    let _ = env;

    // SAFETY: the closure runs in the forked child before exec and calls only setsid(2), which
    // is async-signal-safe. Its own session means no controlling terminal: Ctrl-C or a hangup
    // of the TUI's terminal does not reach the holder.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(windows)]
fn configure_platform(cmd: &mut Command, _env: &[(&'static str, Option<OsString>)]) {
    use std::os::windows::process::CommandExt;
    const DETACHED_PROCESS: u32 = 0x0000_0008;
    const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
    cmd.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP);
}

#[cfg(not(any(unix, windows)))]
fn configure_platform(_cmd: &mut Command, _env: &[(&'static str, Option<OsString>)]) {}

/// `$XDG_RUNTIME_DIR/azsecrets/clipboard-holder.pid`, else the user's cache dir.
pub(super) fn default_pid_file(runtime_dir: Option<&OsStr>) -> Option<PathBuf> {
    let dir = match runtime_dir {
        Some(d) => PathBuf::from(d),
        None => {
            use etcetera::BaseStrategy;
            etcetera::choose_base_strategy().ok()?.cache_dir()
        }
    };
    Some(dir.join("azsecrets").join("clipboard-holder.pid"))
}

/// Record the holder's pid (best effort: without it, only the next run's copy replaces it).
pub(super) fn write_pid_file(path: &Path, pid: u32) {
    let _ = try_write_pid_file(path, pid);
}

fn try_write_pid_file(path: &Path, pid: u32) -> io::Result<()> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        if let Some(dir) = path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        open.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = open.open(path)?;
    #[cfg(unix)]
    {
        // An existing file keeps its mode on open; force 0600.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    writeln!(file, "{pid}")
}

/// Stop the holder an earlier copy recorded in `pid_file` (skipping `skip`, already handled),
/// then forget it. Only a process that still is an azsecrets clipboard holder is signalled, so
/// a recycled pid is never killed.
pub(super) fn stop_recorded_holder(pid_file: &Path, skip: Option<u32>) {
    let Ok(text) = std::fs::read_to_string(pid_file) else {
        return;
    };
    if let Ok(pid) = text.trim().parse::<u32>()
        && Some(pid) != skip
        && is_holder(pid)
    {
        terminate(pid);
    }
    let _ = std::fs::remove_file(pid_file);
}

/// Whether `pid` runs `<something>/azsecrets* clipboard-holder …`.
#[cfg(target_os = "linux")]
pub(super) fn is_holder(pid: u32) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let mut args = cmdline.split(|b| *b == 0);
    let exe_ok = args
        .next()
        .and_then(|a| a.rsplit(|b| *b == b'/').next())
        .is_some_and(|name| name.starts_with(b"azsecrets"));
    exe_ok && args.next() == Some(SUBCOMMAND.as_bytes())
}

/// Without /proc we cannot tell a recycled pid from our holder, so we never signal it; the next
/// copy replaces the clipboard content anyway and the old holder then exits on its own.
#[cfg(not(target_os = "linux"))]
pub(super) fn is_holder(_pid: u32) -> bool {
    false
}

#[cfg(unix)]
fn terminate(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) with a positive pid and a valid signal has no memory effects.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}

#[cfg(not(unix))]
fn terminate(_pid: u32) {}

// ---------------------------------------------------------------------------------------------
// Holder side
// ---------------------------------------------------------------------------------------------

/// The holder process: read the value, put it on the clipboard, answer the parent, keep it
/// there until the timeout (then clear it if it is still ours) or until someone copies
/// something newer (then leave their content alone).
pub(super) fn main(timeout_secs: u64) -> ExitCode {
    harden();
    let mut answer = io::stdout().lock();
    let request = match read_request(&mut io::stdin().lock()) {
        Ok(r) => r,
        Err(reason) => {
            let _ = writeln!(answer, "err: {reason}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(value) = std::str::from_utf8(&request.value) else {
        let _ = writeln!(answer, "err: the value is not UTF-8 text");
        return ExitCode::FAILURE;
    };
    match hold(
        value,
        request.secret,
        Duration::from_secs(timeout_secs),
        &mut answer,
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            // Only reaches the parent if it is still listening (i.e. before "ok").
            let _ = writeln!(answer, "err: {reason}");
            let _ = answer.flush();
            ExitCode::FAILURE
        }
    }
}

pub(super) struct Request {
    secret: bool,
    value: Zeroizing<Vec<u8>>,
}

pub(super) fn read_request(input: &mut impl Read) -> Result<Request, String> {
    let mut head = [0u8; 5];
    input
        .read_exact(&mut head)
        .map_err(|e| format!("no value received: {e}"))?;
    let secret = match head[0] {
        b'S' => true,
        b'T' => false,
        _ => return Err("unexpected input (this command is internal to azsecrets)".into()),
    };
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_VALUE {
        return Err("the value is too long".into());
    }
    // Allocated once at its final size, so no reallocation leaves an unwiped copy.
    let mut value = Zeroizing::new(vec![0u8; len]);
    input
        .read_exact(&mut value)
        .map_err(|e| format!("the value was cut short: {e}"))?;
    let mut extra = [0u8; 1];
    match input.read(&mut extra) {
        Ok(0) => Ok(Request { secret, value }),
        _ => Err("unexpected data after the value".into()),
    }
}

/// No core dumps of a process holding a secret; on Linux also no ptrace by other processes of
/// the same user (PR_SET_DUMPABLE 0 makes /proc/<pid>/mem and environ root-only).
fn harden() {
    crate::hardening::deny_core_dumps();
}

fn hold(
    value: &str,
    secret: bool,
    timeout: Duration,
    answer: &mut impl Write,
) -> Result<(), String> {
    let mut cb = arboard::Clipboard::new()
        .map_err(|e| format!("no usable display for the clipboard: {e}"))?;
    // Note: arboard copies the text into its own (non-zeroizing) buffer; that copy lives only in
    // this short-lived process, which cannot be core-dumped.
    set(&mut cb, value, secret, None)?;
    if !still_ours(&mut cb, value) {
        return Err("the clipboard did not take the value".into());
    }
    // An absurdly long timeout (beyond what Instant can represent) means: hold until replaced.
    let deadline = if timeout.is_zero() {
        None
    } else {
        Instant::now().checked_add(timeout)
    };
    answer
        .write_all(b"ok\n")
        .and_then(|()| answer.flush())
        .map_err(|e| format!("the parent stopped listening: {e}"))?;

    // On X11 this blocks until the deadline, or returns early when another program takes the
    // selection (the user copied something newer). Re-asserting ownership from the same window
    // sends no SelectionClear, so this does not disturb the content just set. On Wayland it
    // returns at once (wait_until is not a foreground serve there) and the loop below polls.
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))
    ))]
    if still_ours(&mut cb, value) {
        set(&mut cb, value, secret, Some(deadline))?;
    }

    loop {
        if !still_ours(&mut cb, value) {
            // Someone copied something newer: theirs stays, we leave without clearing.
            return Ok(());
        }
        let pause = match deadline {
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    // Timeout: clear, and only because the clipboard still holds our value.
                    return cb
                        .clear()
                        .map_err(|e| format!("could not clear the clipboard: {e}"));
                }
                POLL.min(d - now)
            }
            None => POLL,
        };
        std::thread::sleep(pause);
    }
}

/// Set the clipboard; `wait` = Some(deadline) blocks (Linux) until the deadline (`None`:
/// until replaced).
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))
))]
fn set(
    cb: &mut arboard::Clipboard,
    value: &str,
    secret: bool,
    wait: Option<Option<Instant>>,
) -> Result<(), String> {
    use arboard::SetExtLinux;
    let mut set = cb.set();
    if secret {
        // x-kde-passwordManagerHint: Klipper and compatible managers do not keep it, and arboard
        // does not hand it to a clipboard manager when it lets go.
        set = set.exclude_from_history();
    }
    set = match wait {
        None => set,
        Some(Some(deadline)) => set.wait_until(deadline),
        Some(None) => set.wait(),
    };
    set.text(value)
        .map_err(|e| format!("could not set the clipboard: {e}"))
}

#[cfg(not(all(
    unix,
    not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))
)))]
fn set(
    cb: &mut arboard::Clipboard,
    value: &str,
    _secret: bool,
    _wait: Option<Option<Instant>>,
) -> Result<(), String> {
    cb.set_text(value)
        .map_err(|e| format!("could not set the clipboard: {e}"))
}

/// Whether the clipboard still holds exactly `value`. On X11, while we own the selection arboard
/// answers from its own copy; once another client owns it, this reads theirs (and we exit).
fn still_ours(cb: &mut arboard::Clipboard, value: &str) -> bool {
    match cb.get_text() {
        Ok(current) => {
            let current = Zeroizing::new(current);
            current.as_str() == value
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(mode: u8, value: &[u8]) -> Vec<u8> {
        let mut v = vec![mode];
        v.extend_from_slice(&(value.len() as u32).to_be_bytes());
        v.extend_from_slice(value);
        v
    }

    #[test]
    fn reads_a_framed_secret() {
        let bytes = frame(b'S', b"Q_e8Q~abc");
        let r = read_request(&mut bytes.as_slice()).expect("valid frame");
        assert!(r.secret);
        assert_eq!(r.value.as_slice(), b"Q_e8Q~abc");
        let r = read_request(&mut frame(b'T', b"id").as_slice()).expect("valid frame");
        assert!(!r.secret);
    }

    #[test]
    fn refuses_truncated_oversized_or_trailing_input() {
        let mut cut = frame(b'S', b"abcdef");
        cut.truncate(8);
        assert!(read_request(&mut cut.as_slice()).is_err());
        let mut long = vec![b'S'];
        long.extend_from_slice(&((MAX_VALUE as u32) + 1).to_be_bytes());
        assert!(read_request(&mut long.as_slice()).is_err());
        let mut trailing = frame(b'S', b"abc");
        trailing.push(b'x');
        assert!(read_request(&mut trailing.as_slice()).is_err());
        assert!(read_request(&mut frame(b'X', b"abc").as_slice()).is_err());
        assert!(read_request(&mut [].as_slice()).is_err());
    }

    #[test]
    fn pid_file_is_private_and_a_foreign_pid_is_not_killed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("holder.pid");
        // Our own test process is not a clipboard holder: it must survive and the file goes.
        write_pid_file(&path, std::process::id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("pid file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!is_holder(std::process::id()));
        stop_recorded_holder(&path, None);
        assert!(!path.exists());
    }
}
