//! The real binary in a pseudo-terminal signing in with a device code against the sandbox's
//! login endpoint: the sign-in screen shows the code, then the apps load once the sandbox
//! approves; Esc on the screen cancels with exit code 3 and a restored terminal.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

use expectrl::process::unix::WaitStatus;

use azsecrets::sandbox::{self, RunningSandbox, SandboxConfig};

const COLS: u16 = 100;
const ROWS: u16 = 30;

mod pty_support;
use pty_support::Pty;

/// `azsecrets --auth device` against `sb`, with an empty sign-in cache and no az.
fn start(sb: &RunningSandbox) -> Pty {
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = dir.path().join("empty-bin");
    std::fs::create_dir_all(&bin).expect("empty bin dir");
    let mut cmd = pty_support::azsecrets(dir.path());
    cmd.arg("--auth")
        .arg("device")
        .arg("--graph-url")
        .arg(sb.graph_url.as_str())
        .arg("--login-url")
        .arg(sb.login_url.as_str())
        .args(["--clipboard", "osc52"])
        .env("PATH", &bin)
        .env_remove("AZSECRETS_ACCESS_TOKEN")
        .env_remove("AZURE_CLIENT_SECRET");
    Pty::spawn(cmd, dir, COLS, ROWS, 0)
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
    let mut t = start(&sb);
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
    let mut t = start(&sb);
    t.wait_for("Sign in to Microsoft Graph");
    t.send("\x1b");
    let status = t.wait_exit();
    assert!(matches!(status, WaitStatus::Exited(_, 3)), "{status:?}");
    assert!(!t.parser.screen().alternate_screen(), "terminal restored");
    let s = t.screen();
    assert!(s.contains("sign-in cancelled"), "{s}");
}
