//! Broken pipes end quietly, on the real binary: a reader that went away (`| head -0`) or a
//! closed stderr ends the command with its documented exit code, never a panic, an abort or a
//! backtrace; a secret handed off to stdout counts as handed off even when stderr is gone.
//! A closed pipe here is one whose reading end was dropped before the command started, so
//! every write to it fails (EPIPE), not only the ones after a race.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

use std::process::{Command, Output, Stdio};

use azsecrets::sandbox::{RunningSandbox, SandboxConfig, start};
use secrecy::ExposeSecret;

/// A pipe nobody reads: every write fails with EPIPE.
fn closed() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer.into()
}

fn azsecrets(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azsecrets"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .stdin(Stdio::null());
    cmd
}

/// Ended by itself with an exit code (no signal: no abort), and said nothing about a panic.
fn assert_quiet(what: &str, out: &Output, code: i32) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: {:?}; stderr: {stderr}",
        out.status
    );
    for word in ["panicked", "backtrace", "RUST_BACKTRACE"] {
        assert!(!stderr.contains(word), "{what}: {word} in {stderr}");
    }
}

#[test]
fn completions_and_man_into_a_closed_pipe_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["completions", "bash"][..],
        &["completions", "zsh"],
        &["man"],
    ] {
        let out = azsecrets(dir.path())
            .args(args)
            .stdout(closed())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_quiet(&format!("{args:?} | head -0"), &out, 0);
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn listings_into_a_closed_pipe_exit_0_and_a_closed_stderr_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // apps list … | head -0 (table and JSON)
    for format in ["table", "json"] {
        let out = azsecrets(dir.path())
            .args(["--sandbox", "apps", "list", "--output", format])
            .stdout(closed())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_quiet(&format!("apps list --output {format} | head -0"), &out, 0);
    }
    // secrets list 2>&1 >/dev/null | head -0: stdout is fine, stderr is gone.
    let out = azsecrets(dir.path())
        .args(["--sandbox", "secrets", "list"])
        .stdout(Stdio::null())
        .stderr(closed())
        .output()
        .unwrap();
    assert_quiet("secrets list 2>&1 >/dev/null | head -0", &out, 0);
    // --check still says what it found.
    let out = azsecrets(dir.path())
        .args(["--sandbox", "secrets", "list", "--check"])
        .stdout(closed())
        .stderr(closed())
        .output()
        .unwrap();
    assert_quiet("secrets list --check, both closed", &out, 6);
    // A failure with nowhere to say so still has its exit code.
    let out = azsecrets(dir.path())
        .args(["--sandbox", "secrets", "list", "--app", "no-such-app"])
        .stdout(Stdio::null())
        .stderr(closed())
        .output()
        .unwrap();
    assert_quiet("not found, stderr closed", &out, 4);
}

async fn device_sandbox() -> RunningSandbox {
    start(SandboxConfig {
        device_polls: 1,
        device_interval_secs: 1,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn device_code_whoami_piped_to_head_exits_0() {
    let sb = device_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    for (stdout_closed, stderr_closed) in [(true, false), (true, true), (false, true)] {
        let mut cmd = azsecrets(dir.path());
        cmd.args([
            "--graph-url",
            sb.graph_url.as_str(),
            "--login-url",
            sb.login_url.as_str(),
            "--tenant",
            &sb.tenant_id,
            "--auth",
            "device",
            "whoami",
        ])
        .stdout(if stdout_closed {
            closed()
        } else {
            Stdio::piped()
        })
        .stderr(if stderr_closed {
            closed()
        } else {
            Stdio::piped()
        });
        // The device-code flow polls on a real clock; the binary is a child process.
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        assert_quiet(
            &format!(
                "device-code whoami, stdout closed {stdout_closed}, stderr closed {stderr_closed}"
            ),
            &out,
            0,
        );
        if !stderr_closed {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("To sign in"), "the prompt still shows: {err}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_value_written_to_stdout_is_a_success_even_when_stderr_is_gone() {
    let sb = start(SandboxConfig::default()).await.unwrap();
    let app = "b5784c6f-9642-501b-b761-8be2eec92262"; // contoso-billing-api (prod)
    let before = sb.control().password_credentials(app).unwrap().len();
    let dir = tempfile::tempdir().unwrap();
    let value_file = dir.path().join("value.txt");
    let file = std::fs::File::create(&value_file).unwrap();
    // secrets add --to stdout > value.txt 2> >(true)
    let out = azsecrets(dir.path())
        .env("AZSECRETS_ACCESS_TOKEN", sb.access_token.expose_secret())
        .args([
            "--graph-url",
            sb.graph_url.as_str(),
            "--login-url",
            sb.login_url.as_str(),
            "secrets",
            "add",
            "--app",
            app,
            "--description",
            "pipe test",
            "--to",
            "stdout",
        ])
        .stdout(file)
        .stderr(closed())
        .output()
        .unwrap();
    assert_quiet("secrets add --to stdout > f 2> closed", &out, 0);
    let value = std::fs::read_to_string(&value_file).unwrap();
    assert_eq!(value.trim_end().len(), 40, "the value alone, written");
    let after = sb.control().password_credentials(app).unwrap();
    assert_eq!(
        after.len(),
        before + 1,
        "one secret, kept: it was handed off"
    );
    assert!(
        after
            .iter()
            .any(|s| s.display_name.as_deref() == Some("pipe test"))
    );

    // With stdout closed the value went nowhere: the secret is rolled back (exit 1).
    let out = azsecrets(dir.path())
        .env("AZSECRETS_ACCESS_TOKEN", sb.access_token.expose_secret())
        .args([
            "--graph-url",
            sb.graph_url.as_str(),
            "--login-url",
            sb.login_url.as_str(),
            "secrets",
            "add",
            "--app",
            app,
            "--description",
            "pipe test 2",
            "--to",
            "stdout",
        ])
        .stdout(closed())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_quiet("secrets add --to stdout | head -0", &out, 1);
    let now = sb.control().password_credentials(app).unwrap();
    assert_eq!(now.len(), before + 1, "the second was deleted again");
}
