//! The native clipboard on Wayland (wlr data-control, through arboard's `wayland-data-control`):
//! same promises as on X11, but arboard cannot block until the selection changes there, so the
//! holder polls. Needs a headless sway and wl-clipboard (`apt-get install -y sway wl-clipboard`),
//! which CI does not install: run with `cargo test --test handoff_wayland -- --ignored`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

#[path = "handoff_support/mod.rs"]
mod handoff_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use azsecrets::handoff::ClipboardMode;
use azsecrets::handoff::{Clipboard, CopyMethod};
use azsecrets::secret::SecretValue;

use handoff_support::{KillOnDrop, alive, fresh_secret, holder_exe, wait_for};

const INSTALL: &str =
    "this test needs a headless sway and wl-clipboard: apt-get install -y sway wl-clipboard";

struct Sway {
    child: Child,
    runtime: tempfile::TempDir,
    display: String,
}

impl Sway {
    fn start() -> Self {
        let runtime = tempfile::tempdir().expect("tempdir");
        let config = runtime.path().join("sway.conf");
        std::fs::write(&config, "").expect("config");
        let mut cmd = Command::new("sway");
        // sway refuses to run as root: run it as nobody, who then owns the runtime dir.
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            use std::os::unix::fs::PermissionsExt;
            let status = Command::new("chown")
                .args(["65534:65534"])
                .arg(runtime.path())
                .arg(&config)
                .status()
                .expect("chown");
            assert!(status.success());
            std::fs::set_permissions(runtime.path(), std::fs::Permissions::from_mode(0o700))
                .expect("chmod");
            cmd = Command::new("setpriv");
            cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "sway"]);
        }
        let child = cmd
            .arg("-c")
            .arg(&config)
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env("HOME", runtime.path())
            .env("WLR_BACKENDS", "headless")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .env("WLR_RENDERER", "pixman")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start sway: {e}. {INSTALL}"));
        let mut sway = Sway {
            child,
            runtime,
            display: String::new(),
        };
        let found = wait_for(Duration::from_secs(10), || {
            std::fs::read_dir(sway.runtime.path())
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .find(|n| n.starts_with("wayland-") && !n.ends_with(".lock"))
                .map(|n| sway.display = n)
                .is_some()
        });
        assert!(found, "sway did not start. {INSTALL}");
        sway
    }

    fn runtime(&self) -> &Path {
        self.runtime.path()
    }

    fn wl(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("XDG_RUNTIME_DIR", self.runtime())
            .env("WAYLAND_DISPLAY", &self.display)
            .env_remove("DISPLAY");
        cmd
    }

    fn paste(&self) -> Option<String> {
        let out = self
            .wl("timeout")
            .args(["5", "wl-paste", "--no-newline"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("wl-paste: {e}. {INSTALL}"));
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
            .filter(|s| !s.is_empty())
    }

    fn copy(&self, text: &str) -> KillOnDrop {
        use std::io::Write;
        let mut child = self
            .wl("wl-copy")
            .arg("--foreground")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("wl-copy: {e}. {INSTALL}"));
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
        let guard = KillOnDrop(child);
        assert!(wait_for(Duration::from_secs(5), || self.paste().as_deref()
            == Some(text)));
        guard
    }

    fn clipboard(&self, timeout: Duration, pid_file: PathBuf) -> Clipboard {
        let mut cb = Clipboard::with_holder(ClipboardMode::Native, timeout, holder_exe());
        cb.set_env("DISPLAY", None);
        cb.set_env("SSH_TTY", None);
        cb.set_env("SSH_CONNECTION", None);
        cb.set_env("WAYLAND_DISPLAY", Some(self.display.as_ref()));
        cb.set_env("XDG_RUNTIME_DIR", Some(self.runtime().as_os_str()));
        cb.set_pid_file(Some(pid_file));
        cb
    }
}

impl Drop for Sway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "needs sway and wl-clipboard, which CI does not install"]
fn wayland_holds_clears_and_yields_to_a_newer_copy() {
    let sway = Sway::start();
    let dir = tempfile::tempdir().expect("tempdir");

    // Held, then cleared after the timeout.
    let mut cb = sway.clipboard(Duration::from_secs(2), dir.path().join("a.pid"));
    let secret = fresh_secret();
    let report = cb
        .copy_secret(&SecretValue::new(secret.clone()))
        .expect("copy on Wayland");
    assert_eq!(report.method, CopyMethod::Native);
    let holder = cb.holder_pid().expect("holder");
    drop(cb);
    assert_eq!(sway.paste().as_deref(), Some(secret.as_str()));
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(sway.paste().as_deref(), Some(secret.as_str()));
    assert!(wait_for(Duration::from_secs(5), || sway.paste().is_none()));
    assert!(wait_for(Duration::from_secs(2), || !alive(holder)));

    // A newer copy by another program: the holder leaves at once and never clears it.
    let mut cb = sway.clipboard(Duration::from_secs(2), dir.path().join("b.pid"));
    cb.copy_secret(&SecretValue::new(fresh_secret()))
        .expect("copy on Wayland");
    let holder = cb.holder_pid().expect("holder");
    let _newer = sway.copy("newer");
    assert!(wait_for(Duration::from_secs(1), || cb
        .holder_pid()
        .is_none()));
    assert!(!alive(holder));
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(sway.paste().as_deref(), Some("newer"));
}
