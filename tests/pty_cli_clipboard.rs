//! `secrets add --to clipboard` when the copy cannot be confirmed (OSC 52 in a terminal): on a
//! terminal it asks whether the paste arrived, and anything but yes (no, Ctrl-C) deletes the
//! new secret again; without a terminal to ask on it exits non-zero and deletes it. Against
//! `sandbox serve`, so the tenant can be checked afterwards.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

mod pty_support;
mod serve_support;

use std::process::Command;

use expectrl::process::unix::WaitStatus;

use pty_support::Pty;
use serve_support::Served;

const STAGING: &str = "e3b72a8d-d3e4-5a1a-ae50-af6ea6c3c8a9";

fn add(description: &str) -> [String; 10] {
    [
        "--clipboard",
        "osc52",
        "secrets",
        "add",
        "--app",
        STAGING,
        "--description",
        description,
        "--to",
        "clipboard",
    ]
    .map(str::to_owned)
}

fn exit_code(status: WaitStatus) -> i32 {
    match status {
        WaitStatus::Exited(_, c) => c,
        other => panic!("did not exit normally: {other:?}"),
    }
}

#[test]
fn on_a_terminal_it_asks_and_only_yes_keeps_the_secret() {
    let s = Served::start(&[]);
    let probe = tempfile::tempdir().unwrap();
    let before = s.secrets(probe.path(), STAGING).len();
    for (answer, code, kept) in [("n\r", 1, false), ("y\r", 0, true), ("\x03", 130, false)] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = s.azsecrets(dir.path());
        cmd.args(add("osc52 check"));
        let mut t = Pty::spawn(cmd, dir, 120, 30, 200);
        let screen = t.wait_for("did it arrive? [y/N]");
        assert!(screen.contains("unconfirmed"), "{screen}");
        t.send(answer);
        let got = exit_code(t.wait_exit());
        let screen = t.screen();
        assert_eq!(got, code, "{answer:?}: {screen}");
        let now = s.secrets(probe.path(), STAGING).len();
        if kept {
            assert_eq!(now, before + 1, "{screen}");
            assert!(screen.contains("you confirmed the paste"), "{screen}");
            // Leave the tenant as it was for the next round.
            let id = s
                .secrets(probe.path(), STAGING)
                .into_iter()
                .find(|(_, d)| d.as_deref() == Some("osc52 check"))
                .map(|(k, _)| k)
                .unwrap();
            let o = s
                .azsecrets(probe.path())
                .args([
                    "secrets", "remove", "--app", STAGING, "--key-id", &id, "--yes",
                ])
                .output()
                .unwrap();
            assert!(o.status.success());
        } else {
            assert_eq!(now, before, "{answer:?}: rolled back");
            assert!(screen.contains("deleted again"), "{answer:?}: {screen}");
        }
    }
}

#[test]
fn without_a_terminal_to_ask_it_fails_and_rolls_back() {
    let s = Served::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let before = s.secrets(dir.path(), STAGING).len();
    // The pty is the controlling terminal (OSC 52 goes there), but stdin is not a terminal.
    let base = s.azsecrets(dir.path());
    let mut cmd = Command::new("sh");
    cmd.env_clear();
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.current_dir(dir.path())
        .arg("-c")
        .arg("exec \"$0\" \"$@\" </dev/null")
        .arg(base.get_program())
        .args(base.get_args())
        .args(add("no terminal"));
    let mut t = Pty::spawn(cmd, tempfile::tempdir().unwrap(), 120, 30, 200);
    let code = exit_code(t.wait_exit());
    let screen = t.screen();
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("cannot be confirmed"), "{screen}");
    assert!(screen.contains("deleted again"), "{screen}");
    assert_eq!(s.secrets(dir.path(), STAGING).len(), before, "no orphan");
}
