//! `azsecrets recover` on a terminal asks about each secret an interrupted run left, Delete
//! being the default (Enter), against `sandbox serve` after a SIGKILLed `secrets add`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

mod pty_support;
mod serve_support;

use std::process::Stdio;
use std::time::Duration;

use expectrl::process::unix::WaitStatus;

use pty_support::Pty;
use serve_support::{Served, signal};

const STAGING: &str = "e3b72a8d-d3e4-5a1a-ae50-af6ea6c3c8a9";

#[test]
fn recover_on_a_terminal_asks_and_enter_deletes() {
    let s = Served::start(&["--add-password-delay", "60000"]);
    let home = tempfile::tempdir().unwrap();
    let before = s.secrets(home.path(), STAGING);
    let mut child = s
        .azsecrets(home.path())
        .args([
            "secrets",
            "add",
            "--app",
            STAGING,
            "--description",
            "ask me",
        ])
        .args(["--to", "stdout"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    signal(child.id(), libc::SIGKILL);
    let _ = child.wait();
    assert_eq!(s.secrets(home.path(), STAGING).len(), before.len() + 1);

    let mut cmd = s.azsecrets(home.path());
    cmd.arg("recover");
    let mut t = Pty::spawn(cmd, tempfile::tempdir().unwrap(), 120, 30, 200);
    let screen = t.wait_for("[Y/n]");
    assert!(screen.contains("'ask me'"), "{screen}");
    t.send("\r");
    let status = t.wait_exit();
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "{status:?}: {}",
        t.screen()
    );
    assert!(
        t.screen().contains("Deleted client secret"),
        "{}",
        t.screen()
    );
    assert_eq!(s.secrets(home.path(), STAGING), before, "no orphan left");
}
