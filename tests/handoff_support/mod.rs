//! Shared by the clipboard tests: a private Xvfb server per test and xclip helpers.
//! Xvfb and xclip are required: without them the tests fail and say what to install.

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

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A private X server on a free display, killed on drop.
pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Self {
        require("xclip");
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

    /// A native clipboard on this display, using the real binary as holder, with its own pid
    /// file (parallel tests must not stop each other's holders).
    pub fn clipboard(&self, timeout: Duration, pid_file: &Path) -> Clipboard {
        let mut cb = Clipboard::with_holder(ClipboardMode::Native, timeout, holder_exe());
        self.configure(&mut cb, pid_file);
        cb
    }

    pub fn configure(&self, cb: &mut Clipboard, pid_file: &Path) {
        cb.set_env("DISPLAY", Some(self.display.as_ref()));
        cb.set_env("WAYLAND_DISPLAY", None);
        cb.set_env("SSH_TTY", None);
        cb.set_env("SSH_CONNECTION", None);
        cb.set_pid_file(Some(pid_file.to_path_buf()));
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

fn require(program: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false);
    assert!(found, "{program} not found on PATH. {INSTALL}");
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
