//! The clipboard holder never exposes the value (or the parent's sign-in secrets) through
//! `/proc/<pid>/cmdline` or `/proc/<pid>/environ`, read while it holds the clipboard.
//! Needs Xvfb and xclip (`apt-get install -y xvfb xclip`); without them it is skipped with a
//! notice, or fails under `AZSECRETS_REQUIRE_DISPLAY=1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

#[path = "handoff_support/mod.rs"]
mod handoff_support;

use std::time::Duration;

use azsecrets::handoff::Clipboard;
use azsecrets::handoff::ClipboardMode;
use azsecrets::secret::SecretValue;

use handoff_support::{HOLDER_PID, Xvfb, alive, fresh_secret, holder_exe, run_copier, wait_for};

const DISPLAY_VAR: &str = "AZSECRETS_TEST_NOLEAK_DISPLAY";
const SECRET_VAR: &str = "AZSECRETS_TEST_NOLEAK_SECRET";
const PID_FILE_VAR: &str = "AZSECRETS_TEST_NOLEAK_PID_FILE";
/// Planted in the copier's environment the way a service-principal sign-in would have it.
const SIGN_IN_SECRET: &str = "SignInSecret~must-not-reach-the-holder-0123";

/// Not a test: the copying process (this binary again), with sign-in secrets in its
/// environment. Copies, prints the holder's pid, exits.
#[test]
#[ignore = "helper process, run by another test"]
fn noleak_copier_process() {
    let display = std::env::var(DISPLAY_VAR).expect("run by the no-leak test");
    let secret = std::env::var(SECRET_VAR).expect("run by the no-leak test");
    let pid_file = std::env::var(PID_FILE_VAR).expect("run by the no-leak test");
    // Uses the real environment (Clipboard::new reads it), unlike the other tests.
    let mut cb =
        Clipboard::with_holder(ClipboardMode::Native, Duration::from_secs(20), holder_exe());
    cb.set_env("DISPLAY", Some(display.as_ref()));
    cb.set_pid_file(Some(pid_file.into()));
    cb.copy_secret(&SecretValue::new(secret))
        .expect("copy under Xvfb");
    println!("{HOLDER_PID}{}", cb.holder_pid().expect("holder running"));
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn holder_cmdline_and_environ_never_carry_the_value() {
    let Some(x) = Xvfb::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = fresh_secret();
    let (stdout, holder) = run_copier("noleak_copier_process", |cmd| {
        cmd.env(DISPLAY_VAR, &x.display)
            .env(SECRET_VAR, &secret)
            .env(PID_FILE_VAR, dir.path().join("holder.pid"))
            .env("AZURE_CLIENT_SECRET", SIGN_IN_SECRET)
            .env("AZSECRETS_ACCESS_TOKEN", SIGN_IN_SECRET)
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("SSH_TTY")
            .env_remove("SSH_CONNECTION");
    });
    assert!(!stdout.contains(&secret), "the copier printed the value");

    // The holder is running and holds the value...
    assert!(alive(holder));
    assert_eq!(x.paste().as_deref(), Some(secret.as_str()));

    // ...yet its argv is only the subcommand and the timeout...
    let cmdline = std::fs::read(format!("/proc/{holder}/cmdline")).expect("read cmdline");
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    assert_eq!(
        args[1..],
        ["clipboard-holder", "--timeout", "20"],
        "{args:?}"
    );
    assert!(!contains(&cmdline, &secret));

    // ...and its environment holds neither the value nor the parent's sign-in secrets.
    match std::fs::read(format!("/proc/{holder}/environ")) {
        Ok(environ) => {
            assert!(
                !contains(&environ, &secret),
                "value in the holder's environment"
            );
            assert!(
                !contains(&environ, SIGN_IN_SECRET),
                "sign-in secret inherited"
            );
            assert!(contains(&environ, &format!("DISPLAY={}", x.display)));
        }
        // The holder makes itself non-dumpable, which leaves environ readable by root only.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            // SAFETY: geteuid has no preconditions.
            assert_ne!(
                unsafe { libc::geteuid() },
                0,
                "root must be able to read environ"
            );
        }
        Err(e) => panic!("read environ: {e}"),
    }
    // It does not pin the user's folder (readable by root only, as for environ).
    match std::fs::read_link(format!("/proc/{holder}/cwd")) {
        Ok(cwd) => assert_eq!(cwd, std::path::PathBuf::from("/")),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            // SAFETY: geteuid has no preconditions.
            assert_ne!(
                unsafe { libc::geteuid() },
                0,
                "root must be able to read cwd"
            );
        }
        Err(e) => panic!("read cwd: {e}"),
    }

    // Leave nothing running: a newer copy makes the holder exit.
    let _newer = x.copy_with_xclip("done");
    assert!(wait_for(Duration::from_secs(3), || !alive(holder)));
}
