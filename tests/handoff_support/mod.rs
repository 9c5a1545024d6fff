//! Shared by the clipboard tests: a private Xvfb server per test, xclip helpers, a stand-in
//! clipboard holder, and the short-lived "copier" process some tests run.
//!
//! Xvfb and xclip are optional: a test that needs them and does not find them on PATH is
//! skipped with a notice on stderr naming what is missing, unless `AZSECRETS_REQUIRE_DISPLAY=1`
//! (CI sets it), which makes their absence a failure.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use azsecrets::handoff::Clipboard;
use azsecrets::handoff::ClipboardMode;

const INSTALL: &str =
    "these tests need a virtual X server and xclip: apt-get install -y xvfb xclip";

/// Set to `1` to fail, rather than skip, the tests that need Xvfb and xclip when they are missing.
pub const REQUIRE_DISPLAY: &str = "AZSECRETS_REQUIRE_DISPLAY";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A private X server on a free display, killed on drop.
pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    /// A private X server, or `None` when Xvfb or xclip is not on PATH: the calling test then
    /// returns at once, reported as skipped on stderr (or it fails here under
    /// `AZSECRETS_REQUIRE_DISPLAY=1`).
    pub fn start() -> Option<Self> {
        let missing: Vec<&str> = ["Xvfb", "xclip"]
            .into_iter()
            .filter(|p| !on_path(p))
            .collect();
        if missing.is_empty() {
            return Some(Self::start_server());
        }
        let why = format!(
            "needs Xvfb and xclip (not on PATH: {}; apt-get install xvfb xclip)",
            missing.join(", ")
        );
        let required = std::env::var_os(REQUIRE_DISPLAY).is_some_and(|v| v == "1");
        assert!(
            !required,
            "{why}; {REQUIRE_DISPLAY}=1 is set, so this fails"
        );
        let test = std::thread::current()
            .name()
            .unwrap_or("a clipboard test")
            .to_owned();
        // Straight to the process's stderr: libtest hides what a passing test prints.
        let _ = writeln!(
            std::io::stderr(),
            "skipped {test}: {why}; set {REQUIRE_DISPLAY}=1 to fail instead"
        );
        None
    }

    fn start_server() -> Self {
        // Spread parallel tests (and parallel test binaries) over display numbers.
        let base = 100 + (std::process::id() % 400) * 8;
        for _ in 0..40 {
            let n = base + NEXT.fetch_add(1, Ordering::SeqCst) % 3000;
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                || Path::new(&format!("/tmp/.X{n}-lock")).exists()
            {
                continue;
            }
            let child = match Command::new("Xvfb")
                .args([
                    &format!(":{n}"),
                    "-nolisten",
                    "tcp",
                    "-screen",
                    "0",
                    "320x200x24",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
            {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    panic!("Xvfb not found. {INSTALL}")
                }
                Err(e) => panic!("could not start Xvfb: {e}. {INSTALL}"),
            };
            let mut x = Xvfb {
                child,
                display: format!(":{n}"),
            };
            if x.wait_ready() {
                return x;
            }
        }
        panic!("could not start Xvfb on any display. {INSTALL}");
    }

    fn wait_ready(&mut self) -> bool {
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{}", &self.display[1..]));
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false; // lost a race for this display number
            }
            if socket.exists() {
                // The socket exists slightly before the server accepts clients.
                if Command::new("xclip")
                    .args(["-selection", "clipboard", "-o"])
                    .env("DISPLAY", &self.display)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .output()
                    .map(|o| !String::from_utf8_lossy(&o.stderr).contains("Can't open display"))
                    .unwrap_or(false)
                {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// A native clipboard on this display, using the real binary as holder.
    pub fn clipboard(&self, timeout: Duration, pid_file: &Path) -> Clipboard {
        native_clipboard(&self.display, timeout, holder_exe(), pid_file)
    }

    /// What a paste would give: `xclip -selection clipboard -o` (None when empty/unavailable).
    pub fn paste(&self) -> Option<String> {
        let mut child = Command::new("xclip")
            .args(["-selection", "clipboard", "-o"])
            .env("DISPLAY", &self.display)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("xclip: {e}. {INSTALL}"));
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            match child.try_wait().expect("xclip wait") {
                Some(_) => break,
                None if Instant::now() > until => {
                    let _ = child.kill();
                    panic!("xclip -o hung (the clipboard owner did not answer)");
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        let out = child.wait_with_output().expect("xclip output");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Another program copies `text` (xclip in the foreground, killed on drop).
    pub fn copy_with_xclip(&self, text: &str) -> KillOnDrop {
        let mut child = Command::new("xclip")
            .args(["-selection", "clipboard", "-quiet"])
            .env("DISPLAY", &self.display)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("xclip: {e}. {INSTALL}"));
        {
            let mut stdin = child.stdin.take().expect("xclip stdin");
            stdin.write_all(text.as_bytes()).expect("write to xclip");
        }
        let guard = KillOnDrop(child);
        assert!(
            wait_for(Duration::from_secs(5), || self.paste().as_deref()
                == Some(text)),
            "xclip did not take the clipboard"
        );
        guard
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM lets Xvfb remove its lock file and socket (SIGKILL would leave them behind).
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) on our own child's pid.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn holder_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_azsecrets"))
}

/// A native clipboard on `display` with `holder` as the holder program, nothing else of the
/// environment deciding (no Wayland, no SSH), and its own pid file (parallel tests must not
/// stop each other's holders).
pub fn native_clipboard(
    display: &str,
    timeout: Duration,
    holder: PathBuf,
    pid_file: &Path,
) -> Clipboard {
    let mut cb = Clipboard::with_holder(ClipboardMode::Native, timeout, holder);
    cb.set_env("DISPLAY", Some(display.as_ref()));
    cb.set_env("WAYLAND_DISPLAY", None);
    cb.set_env("SSH_TTY", None);
    cb.set_env("SSH_CONNECTION", None);
    cb.set_pid_file(Some(pid_file.to_path_buf()));
    cb
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// What a copier process prints before the holder's pid.
pub const HOLDER_PID: &str = "HOLDER_PID=";

/// Run `helper`, an `#[ignore]`d test of this test binary that copies and prints
/// `HOLDER_PID=<pid>`, as a separate short-lived process; `configure` sets its environment.
/// Returns its stdout and the holder's pid.
pub fn run_copier(helper: &str, configure: impl FnOnce(&mut Command)) -> (String, u32) {
    let mut cmd = Command::new(std::env::current_exe().expect("test exe"));
    cmd.args([
        "--ignored",
        "--exact",
        helper,
        "--nocapture",
        "--test-threads=1",
    ]);
    configure(&mut cmd);
    let out = cmd.output().expect("run the copier");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "copier failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // With --nocapture the line may share its start with libtest's "test helper ... ".
    let pid = stdout
        .split(HOLDER_PID)
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("copier printed no holder pid: {stdout}"));
    (stdout, pid)
}

/// A stand-in for the clipboard holder, for tests of waiting: a shell script run as
/// `<exe> clipboard-holder --timeout N` that records its pid, reads the value from stdin and
/// throws it away, answers `ok` only once the test calls [`release`](Self::release), then
/// stays up like a real holder until stopped (at most a minute). Stopped on drop.
pub struct FakeHolder {
    dir: tempfile::TempDir,
    pub exe: PathBuf,
}

impl FakeHolder {
    pub fn new() -> Self {
        // Under the target dir rather than /tmp, which may be mounted noexec.
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
        let exe = dir.path().join("fake-holder");
        let d = dir.path().display();
        // The holder's environment is cleared (no PATH): programs by absolute path.
        let script = format!(
            "#!/bin/sh\n\
             echo $$ >> '{d}/pids'\n\
             /bin/cat > /dev/null\n\
             while [ ! -e '{d}/release' ]; do /bin/sleep 0.05; done\n\
             echo ok\n\
             i=0; while [ $i -lt 600 ]; do /bin/sleep 0.1; i=$((i+1)); done\n"
        );
        std::fs::write(&exe, script).expect("write the fake holder");
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o700))
                .expect("chmod the fake holder");
        }
        Self { dir, exe }
    }

    /// Let every waiting (and every later) holder answer `ok`.
    pub fn release(&self) {
        std::fs::write(self.dir.path().join("release"), "").expect("release the fake holder");
    }

    /// The pids of the holders started so far, oldest first.
    pub fn pids(&self) -> Vec<u32> {
        std::fs::read_to_string(self.dir.path().join("pids"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }
}

impl Drop for FakeHolder {
    fn drop(&mut self) {
        let exe = self.exe.to_string_lossy().into_owned();
        for pid in self.pids() {
            // Only a process that still runs this script (never a recycled pid).
            let ours = std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&exe));
            if ours && let Ok(pid) = libc::pid_t::try_from(pid) {
                // SAFETY: kill(2) on a process this test started.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
        }
    }
}

/// Poll `cond` until it holds or `limit` passes.
pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether a process with this pid is alive (and not a zombie).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // Field 3 (after the parenthesised name) is the state; Z = zombie, X = dead.
        Ok(stat) => stat
            .rsplit_once(") ")
            .map(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X'))
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// A value shaped like a Graph secret, different per call.
pub fn fresh_secret() -> String {
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    format!(
        "Tst8Q~{:08x}{:05}.bkgajbREp-VFFUayCuEk",
        std::process::id(),
        n
    )
}
