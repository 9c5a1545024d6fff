//! The native clipboard under a real (virtual) X server: the holder keeps the value after the
//! copying process exits, clears it after the timeout, and leaves a newer copy alone.
//! Needs Xvfb and xclip (`apt-get install -y xvfb xclip`); without them these tests are
//! skipped with a notice, or fail under `AZSECRETS_REQUIRE_DISPLAY=1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

mod handoff_support;

use std::time::Duration;

use azsecrets::handoff::ClipboardMode;
use azsecrets::handoff::{Clipboard, CopyMethod, EnvBlock, HandoffError};
use azsecrets::secret::SecretValue;
use chrono::Local;

use handoff_support::{
    HOLDER_PID, Xvfb, alive, fresh_secret, holder_exe, native_clipboard, run_copier, wait_for,
};

const COPIER_DISPLAY: &str = "AZSECRETS_TEST_COPIER_DISPLAY";
const COPIER_SECRET: &str = "AZSECRETS_TEST_COPIER_SECRET";
const COPIER_PID_FILE: &str = "AZSECRETS_TEST_COPIER_PID_FILE";

/// Not a test: the body of the short-lived "copying process" that
/// `value_outlives_the_copier_and_is_cleared_after_the_timeout` runs (this test binary again,
/// filtered to this function). Prints the holder's pid and exits.
#[test]
#[ignore = "helper process, run by another test"]
fn copier_process() {
    let display = std::env::var(COPIER_DISPLAY).expect("run by the clipboard test");
    let secret = std::env::var(COPIER_SECRET).expect("run by the clipboard test");
    let pid_file = std::env::var(COPIER_PID_FILE).expect("run by the clipboard test");
    let mut cb = native_clipboard(
        &display,
        Duration::from_secs(3),
        holder_exe(),
        pid_file.as_ref(),
    );
    let report = cb
        .copy_secret(&SecretValue::new(secret))
        .expect("copy under Xvfb");
    assert_eq!(report.method, CopyMethod::Native);
    println!("{HOLDER_PID}{}", cb.holder_pid().expect("holder running"));
}

#[test]
fn value_outlives_the_copier_and_is_cleared_after_the_timeout() {
    let Some(x) = Xvfb::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = fresh_secret();
    let (_, holder) = run_copier("copier_process", |cmd| {
        cmd.env(COPIER_DISPLAY, &x.display)
            .env(COPIER_SECRET, &secret)
            .env(COPIER_PID_FILE, dir.path().join("holder.pid"));
    });
    let copied_at = std::time::Instant::now();

    // The copying process is gone; the holder still serves the value.
    assert_eq!(x.paste().as_deref(), Some(secret.as_str()));
    assert!(alive(holder));
    // The holder runs in its own session (Ctrl-C in the TUI's terminal does not reach it).
    let stat = std::fs::read_to_string(format!("/proc/{holder}/stat")).expect("holder stat");
    let fields: Vec<&str> = stat.rsplit_once(") ").expect("stat").1.split(' ').collect();
    assert_eq!(
        fields[3],
        holder.to_string(),
        "holder is not a session leader: {stat}"
    );

    // After the 3 s timeout the value is gone and the holder has exited.
    assert!(
        wait_for(Duration::from_secs(8), || x.paste().as_deref()
            != Some(secret.as_str())),
        "the secret was still on the clipboard after the timeout"
    );
    assert!(
        copied_at.elapsed() >= Duration::from_millis(2500),
        "cleared too early ({:?})",
        copied_at.elapsed()
    );
    assert_eq!(
        x.paste(),
        None,
        "the clipboard should be empty after the clear"
    );
    assert!(wait_for(Duration::from_secs(3), || !alive(holder)));
}

#[test]
fn a_newer_copy_by_another_program_stays_after_the_timeout() {
    let Some(x) = Xvfb::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cb = x.clipboard(Duration::from_secs(2), &dir.path().join("holder.pid"));
    let secret = fresh_secret();
    let before = Local::now();
    let report = cb
        .copy_secret(&SecretValue::new(secret.clone()))
        .expect("copy under Xvfb");
    assert_eq!(report.method, CopyMethod::Native);
    assert_eq!(report.status, "Copied to clipboard — clears in 2 s");
    let clears_at = report.clears_at.expect("a timeout gives a clear time");
    let delta = clears_at - before;
    assert!(
        delta >= chrono::Duration::milliseconds(1900) && delta <= chrono::Duration::seconds(4),
        "clears_at is {delta:?} after the copy"
    );
    assert!(!report.status.contains(&secret));
    assert_eq!(x.paste().as_deref(), Some(secret.as_str()));
    let holder = cb.holder_pid().expect("holder running");

    let _newer = x.copy_with_xclip("something newer");
    // The holder noticed it lost the selection and left, well before its timeout.
    assert!(
        wait_for(Duration::from_millis(1500), || cb.holder_pid().is_none()),
        "the holder should exit as soon as another program owns the clipboard"
    );
    assert!(!alive(holder));
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(x.paste().as_deref(), Some("something newer"));
}

#[test]
fn a_new_copy_replaces_the_previous_holder_even_across_runs() {
    let Some(x) = Xvfb::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("holder.pid");
    let mut cb = x.clipboard(Duration::from_secs(30), &pid_file);
    let first = fresh_secret();
    cb.copy_secret(&SecretValue::new(first.clone()))
        .expect("first copy");
    let first_holder = cb.holder_pid().expect("first holder");
    let second = fresh_secret();
    cb.copy_secret(&SecretValue::new(second.clone()))
        .expect("second copy");
    let second_holder = cb.holder_pid().expect("second holder");
    assert_ne!(first_holder, second_holder);
    assert!(wait_for(Duration::from_secs(2), || !alive(first_holder)));
    assert_eq!(x.paste().as_deref(), Some(second.as_str()));
    let recorded = std::fs::read_to_string(&pid_file).expect("pid file");
    assert_eq!(recorded.trim(), second_holder.to_string());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pid_file)
            .expect("pid file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A later run (a new Clipboard) finds the holder through the pid file and replaces it.
    drop(cb);
    assert!(
        alive(second_holder),
        "dropping the Clipboard must not stop the holder"
    );
    let mut next_run = x.clipboard(Duration::from_secs(30), &pid_file);
    next_run
        .copy_text("00000000-0000-0000-0000-000000000001")
        .expect("copy text");
    assert!(wait_for(Duration::from_secs(2), || !alive(second_holder)));
    assert_eq!(
        x.paste().as_deref(),
        Some("00000000-0000-0000-0000-000000000001")
    );
    // Leave nothing running.
    let last = next_run.holder_pid().expect("text holder");
    x.copy_with_xclip("bye");
    assert!(wait_for(Duration::from_secs(2), || !alive(last)));
}

#[test]
fn env_block_is_copied_whole_and_timeout_zero_keeps_it() {
    let Some(x) = Xvfb::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cb = x.clipboard(Duration::ZERO, &dir.path().join("holder.pid"));
    let secret = SecretValue::new(fresh_secret());
    let block = EnvBlock {
        client_id: "11111111-2222-3333-4444-555555555555",
        tenant_id: "66666666-7777-8888-9999-000000000000",
        secret: &secret,
    };
    let report = cb.copy_env_block(&block).expect("copy env block");
    assert_eq!(report.clears_at, None);
    assert_eq!(
        report.status,
        "Copied to clipboard — kept until you copy something else"
    );
    let expected = format!(
        "AZURE_CLIENT_ID=11111111-2222-3333-4444-555555555555\n\
         AZURE_TENANT_ID=66666666-7777-8888-9999-000000000000\n\
         AZURE_CLIENT_SECRET={}\n",
        secret.expose()
    );
    assert_eq!(x.paste().as_deref(), Some(expected.as_str()));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(x.paste().as_deref(), Some(expected.as_str()));
    let holder = cb.holder_pid().expect("holder still running");
    let _newer = x.copy_with_xclip("newer");
    assert!(wait_for(Duration::from_secs(2), || !alive(holder)));
}

#[test]
fn native_without_a_working_display_fails_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("holder.pid");

    // No display at all: refused before starting anything.
    let mut cb =
        Clipboard::with_holder(ClipboardMode::Native, Duration::from_secs(5), holder_exe());
    cb.set_env("DISPLAY", None);
    cb.set_env("WAYLAND_DISPLAY", None);
    cb.set_pid_file(Some(pid_file.clone()));
    let secret = SecretValue::new(fresh_secret());
    match cb.copy_secret(&secret) {
        Err(HandoffError::NoClipboard { reason }) => {
            assert!(reason.contains("no display"), "{reason}");
            // A cause, not advice: the front-ends say what to do, with their own keys or flags.
            assert!(!reason.contains("`v`"), "{reason}");
        }
        other => panic!("expected NoClipboard, got {other:?}"),
    }
    assert_eq!(cb.holder_pid(), None);

    // A display that is set but does not exist: the holder says so and the copy fails
    // (rather than being reported as done).
    cb.set_env("DISPLAY", Some(":4095".as_ref()));
    match cb.copy_secret(&secret) {
        Err(HandoffError::NoClipboard { reason }) => {
            assert!(reason.contains("display"), "{reason}");
            assert!(!reason.contains(secret.expose()));
        }
        other => panic!("expected NoClipboard, got {other:?}"),
    }
    assert_eq!(cb.holder_pid(), None);
    assert!(!pid_file.exists());
}

#[test]
fn an_enormous_timeout_holds_instead_of_failing() {
    let Some(x) = Xvfb::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cb = x.clipboard(
        Duration::from_secs(u64::MAX),
        &dir.path().join("holder.pid"),
    );
    let secret = fresh_secret();
    let report = cb
        .copy_secret(&SecretValue::new(secret.clone()))
        .expect("copy under Xvfb");
    assert_eq!(report.clears_at, None, "no representable clear time");
    assert_eq!(
        report.status,
        "Copied to clipboard — kept until you copy something else"
    );
    assert_eq!(x.paste().as_deref(), Some(secret.as_str()));
    let holder = cb.holder_pid().expect("holder running");
    let _newer = x.copy_with_xclip("newer");
    assert!(wait_for(Duration::from_secs(2), || !alive(holder)));
}
