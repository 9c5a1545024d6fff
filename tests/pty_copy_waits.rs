//! The event loop never waits on a copy: the real binary in a pseudo-terminal copies a new
//! secret through a clipboard holder that takes its time to answer (a stand-in script named by
//! the test-only `AZSECRETS_HOLDER_EXE`). While the copy waits, frames keep coming (the spinner
//! turns) and keys take effect (`v` shows and hides the value); the copy's result shows once
//! the holder answers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(target_os = "linux")]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use expectrl::process::unix::WaitStatus;

mod pty_support;
use pty_support::Pty;

#[path = "handoff_support/mod.rs"]
mod handoff_support;
use handoff_support::FakeHolder;

/// The spinner frame drawn before "Working…", if the line is on screen.
fn spinner(screen: &str) -> Option<String> {
    let line = screen.lines().find(|l| l.contains("Working…"))?;
    let before = line.split("Working…").next()?.trim_end();
    before.chars().last().map(String::from)
}

#[test]
fn keys_and_frames_go_on_while_a_copy_waits_for_the_holder() {
    let holder = FakeHolder::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = pty_support::azsecrets(dir.path());
    cmd.args(["--sandbox", "--clipboard", "native"])
        // Any display: only the stand-in holder "uses" it.
        .env("DISPLAY", ":4095")
        .env("AZSECRETS_HOLDER_EXE", &holder.exe);
    let mut t = Pty::spawn(cmd, dir, 120, 40, 0);
    t.add_secret("billing-api (stag", "slow copy");

    t.send("c");
    let copied_at = Instant::now();
    t.wait_for("Working…");
    assert!(
        handoff_support::wait_for(Duration::from_secs(5), || holder.pids().len() == 1),
        "the holder was started"
    );

    // Frames keep coming without a key: the spinner turns.
    let mut frames = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while frames.len() < 2 && Instant::now() < deadline {
        t.pump();
        frames.extend(spinner(&t.screen()));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(frames.len() >= 2, "the spinner stood still: {frames:?}");

    // Keys take effect while the copy still waits.
    t.send("v");
    let s = t.wait_for("(v hides)");
    assert!(s.contains("Working…"), "the copy is still waiting:\n{s}");
    let value = pty_support::shown_value(&s);
    assert_eq!(value.len(), 40, "Graph's 40-character secret");
    t.send("v");
    let s = t.wait_for("(press v to show)");
    assert!(s.contains("Working…"), "the copy is still waiting:\n{s}");
    assert!(!s.contains(&value), "hidden again");
    // All that happened well within the holder's answer timeout (6 s): the copy really waited.
    assert!(copied_at.elapsed() < Duration::from_secs(5));

    // The holder answers: the result arrives.
    holder.release();
    t.wait_for("Copied to clipboard — clears in 45 s");
    t.wait_gone("Working…");

    // Copied, so Esc closes at once; then quit.
    t.send("\x1b");
    t.wait_gone("copy it now");
    t.send("\x1b");
    t.send("\x1b");
    t.send("q");
    let status = t.wait_exit();
    assert!(matches!(status, WaitStatus::Exited(_, 0)), "{status:?}");
    let s = t.screen();
    assert!(s.contains("copied to clipboard"), "summary:\n{s}");
    assert!(!s.contains(&value), "the summary is masked");
    // The stand-in holder never runs silently: the log says so.
    let log = std::fs::read_to_string(t.dir.path().join("azsecrets.log")).expect("log");
    assert!(log.contains("AZSECRETS_HOLDER_EXE is set"), "{log}");
    assert!(!log.contains(&value), "the value is not in the log");
}
