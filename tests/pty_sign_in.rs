//! The real binary in a pseudo-terminal signing in with a device code against the sandbox's
//! login endpoint: the sign-in screen shows the code, then the apps load once the sandbox
//! approves; Esc on the screen cancels with exit code 3 and a restored terminal.

#![cfg(unix)]

use std::num::NonZeroU16;
use std::process::Command;
use std::time::{Duration, Instant};

use expectrl::Session;
use expectrl::process::unix::WaitStatus;

use azsecrets::sandbox::{self, RunningSandbox, SandboxConfig};

const COLS: u16 = 100;
const ROWS: u16 = 30;

struct Tui {
    session: expectrl::session::OsSession,
    parser: vt100::Parser,
    _dir: tempfile::TempDir,
}

impl Tui {
    /// `azsecrets --auth device` against `sb`, with an empty sign-in cache and no az.
    fn start(sb: &RunningSandbox) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let bin = dir.path().join("empty-bin");
        std::fs::create_dir_all(&bin).expect("empty bin dir");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_azsecrets"));
        cmd.arg("--auth")
            .arg("device")
            .arg("--graph-url")
            .arg(sb.graph_url.as_str())
            .arg("--login-url")
            .arg(sb.login_url.as_str())
            .arg("--clipboard")
            .arg("osc52")
            .arg("--log-file")
            .arg(dir.path().join("azsecrets.log"))
            .current_dir(dir.path())
            .env("PATH", &bin)
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1")
            .env("HOME", dir.path())
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .env_remove("AZSECRETS_ACCESS_TOKEN")
            .env_remove("AZURE_CLIENT_SECRET")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("TMUX");
        let mut session = Session::spawn(cmd).expect("spawn azsecrets in a pty");
        session
            .get_process_mut()
            .set_window_size(COLS, ROWS)
            .expect("window size");
        Self {
            session,
            parser: vt100::Parser::new(
                NonZeroU16::new(ROWS).expect("non-zero"),
                NonZeroU16::new(COLS).expect("non-zero"),
                0,
            ),
            _dir: dir,
        }
    }

    fn pump(&mut self) {
        let mut buf = [0u8; 8192];
        while let Ok(n) = self.session.try_read(&mut buf) {
            if n == 0 {
                return;
            }
            self.parser.process(&buf[..n]);
        }
    }

    fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.pump();
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn send(&mut self, keys: &str) {
        use std::io::Write;
        self.session.write_all(keys.as_bytes()).expect("write keys");
        self.session.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(150));
        self.pump();
    }

    fn wait_exit(&mut self) -> WaitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.pump();
            let status = self.session.get_process().status().expect("status");
            if !matches!(status, WaitStatus::StillAlive) {
                std::thread::sleep(Duration::from_millis(100));
                self.pump();
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "did not exit; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The sandbox on its own runtime (the pty is driven from this thread), polling every second.
fn sandbox(polls: u32) -> (tokio::runtime::Runtime, RunningSandbox) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = rt
        .block_on(sandbox::start(SandboxConfig {
            device_polls: polls,
            device_interval_secs: 1,
            ..SandboxConfig::default()
        }))
        .expect("sandbox");
    (rt, sb)
}

#[test]
fn device_code_screen_then_apps() {
    let (_rt, sb) = sandbox(6);
    let mut t = Tui::start(&sb);
    let s = t.wait_for("Sign in to Microsoft Graph");
    assert!(s.contains("to enter the code"), "{s}");
    assert!(s.contains("c copy code"), "the footer shows the keys:\n{s}");
    // Nothing was printed over the alternate screen.
    assert!(t.parser.screen().alternate_screen());
    t.send("c");
    t.wait_for("Code sent to the terminal clipboard (OSC 52)");
    // The sandbox approves after a few polls: the apps screen takes over.
    t.wait_for("Press / to filter");
    let s = t.wait_for("Sandra Box");
    assert!(!s.contains("Sign in to Microsoft Graph"), "{s}");
    t.send("q");
    let status = t.wait_exit();
    assert!(matches!(status, WaitStatus::Exited(_, 0)), "{status:?}");
    assert!(!t.parser.screen().alternate_screen(), "terminal restored");
}

#[test]
fn esc_on_the_sign_in_screen_cancels_with_exit_code_3() {
    let (_rt, sb) = sandbox(10_000);
    let mut t = Tui::start(&sb);
    t.wait_for("Sign in to Microsoft Graph");
    t.send("\x1b");
    let status = t.wait_exit();
    assert!(matches!(status, WaitStatus::Exited(_, 3)), "{status:?}");
    assert!(!t.parser.screen().alternate_screen(), "terminal restored");
    let s = t.screen();
    assert!(s.contains("sign-in cancelled"), "{s}");
}
