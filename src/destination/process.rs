//! Running a hand-off program with the value on its stdin: never in its arguments or
//! environment. Both outputs are captured (bounded), stdin is written while they are read (a
//! child that talks before it reads cannot deadlock), and the child is killed if the caller gives
//! up. The environment is the parent's minus the credentials azsecrets itself may hold
//! (`AZURE_CLIENT_SECRET`, `AZSECRETS_ACCESS_TOKEN`), which are not the child's to see.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use secrecy::zeroize::Zeroize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Output kept per stream; the rest is counted as cut.
pub const MAX_CAPTURE: usize = 64 * 1024;

/// Variables never passed on to a hand-off program.
pub const WITHHELD_ENV: [&str; 2] = ["AZURE_CLIENT_SECRET", "AZSECRETS_ACCESS_TOKEN"];

/// What a finished program printed and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    /// Exit code; `None` when killed by a signal.
    pub code: Option<i32>,
    pub success: bool,
    /// Lossy UTF-8, with any copy of the value replaced by `[REDACTED]`.
    pub stdout: String,
    pub stderr: String,
    /// Either stream was longer than [`MAX_CAPTURE`].
    pub truncated: bool,
}

#[derive(Debug)]
pub enum RunError {
    NotFound,
    Start(String),
    Timeout,
    Io(String),
}

/// Run `program args…` with `value` on stdin and `set` added to the environment.
pub async fn run(
    program: &Path,
    args: &[String],
    set: &[(&str, &str)],
    value: &[u8],
    timeout: Option<Duration>,
) -> Result<Finished, RunError> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for v in WITHHELD_ENV {
        cmd.env_remove(v);
    }
    for (k, v) in set {
        cmd.env(k, v);
    }
    let mut child = spawn(&mut cmd).await?;
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let work = async {
        let write = async {
            if let Some(mut s) = stdin.take() {
                // A program that exits without reading its stdin is judged by its exit code.
                let _ = s.write_all(value).await;
                let _ = s.shutdown().await;
            }
        };
        let (_, out, err, status) = tokio::join!(
            write,
            capture(stdout.as_mut()),
            capture(stderr.as_mut()),
            child.wait()
        );
        (out, err, status)
    };
    let (out, err, status) = match timeout {
        Some(limit) => tokio::time::timeout(limit, work)
            .await
            .map_err(|_| RunError::Timeout)?,
        None => work.await,
    };
    let status = status.map_err(|e| RunError::Io(e.to_string()))?;
    let (mut out, out_cut) = out;
    let (mut err, err_cut) = err;
    let finished = Finished {
        code: status.code(),
        success: status.success(),
        stdout: redact(&out, value),
        stderr: redact(&err, value),
        truncated: out_cut || err_cut,
    };
    out.zeroize();
    err.zeroize();
    Ok(finished)
}

/// Whether `p` is a file this user may run.
pub fn is_executable(p: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// Where `program` would be run from: itself when it names a path (it has a `/`), else the
/// first executable of that name in `path` (a `PATH`-style list), as the operating system
/// looks it up.
pub fn find_program(program: &str, path: Option<&std::ffi::OsStr>) -> Option<std::path::PathBuf> {
    if program.contains('/') || (cfg!(windows) && program.contains('\\')) {
        let p = std::path::PathBuf::from(program);
        return is_executable(&p).then_some(p);
    }
    let path = path?;
    std::env::split_paths(path)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(program))
        .find(|p| is_executable(p))
}

/// Spawn, retrying "text file busy" (a script just written by another thread of the same
/// process may still be open for writing in a concurrently forked child).
async fn spawn(cmd: &mut tokio::process::Command) -> Result<tokio::process::Child, RunError> {
    let mut attempt = 0;
    loop {
        match cmd.spawn() {
            Ok(c) => return Ok(c),
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && attempt < 5 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(RunError::NotFound),
            Err(e) => return Err(RunError::Start(e.to_string())),
        }
    }
}

async fn capture<R: tokio::io::AsyncRead + Unpin>(r: Option<&mut R>) -> (Vec<u8>, bool) {
    let Some(r) = r else {
        return (Vec::new(), false);
    };
    let mut kept = Vec::new();
    let mut cut = false;
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_CAPTURE.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                cut |= n > room;
            }
        }
    }
    buf.zeroize();
    (kept, cut)
}

/// The output as text, with any copy of the value replaced.
fn redact(out: &[u8], value: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    match std::str::from_utf8(value) {
        Ok(v) if !v.is_empty() && text.contains(v) => text.replace(v, crate::secret::REDACTED),
        _ => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_never_survives_in_output() {
        assert_eq!(
            redact(b"stored s3cr3t! ok s3cr3t!", b"s3cr3t!"),
            "stored [REDACTED] ok [REDACTED]"
        );
        assert_eq!(redact(b"plain", b""), "plain");
    }
}
