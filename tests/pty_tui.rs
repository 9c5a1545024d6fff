//! The real binary in a pseudo-terminal against `--sandbox`: keys in, the screen parsed with
//! vt100 (never raw bytes: ratatui writes only the cells that change).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

use std::num::NonZeroU16;
use std::time::{Duration, Instant};

use expectrl::process::unix::{Signal, WaitStatus};

const COLS: u16 = 120;
const ROWS: u16 = 40;

mod pty_support;
use pty_support::Pty;

/// `azsecrets --sandbox` in a pty, in a temporary home.
fn start(extra: &[&str]) -> Pty {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = pty_support::azsecrets(dir.path());
    cmd.args(["--sandbox", "--clipboard", "osc52"]).args(extra);
    Pty::spawn(cmd, dir, COLS, ROWS, 0)
}

const ESC: &str = "\x1b";
const TAB: &str = "\t";
const ENTER: &str = "\r";
const DOWN: &str = "\x1b[B";

#[test]
fn add_copy_delete_and_exit_summary() {
    let mut t = start(&[]);
    t.wait_for("Press / to filter");
    t.wait_for("Sandra Box");

    // Filter to one app and open it.
    t.send("/");
    t.send("billing-api (stag");
    t.wait_for("1 of");
    t.send(ENTER);
    t.wait_for("[Client secrets (");
    t.wait_for("contoso-billing-api (staging)");

    // Add a secret with a 90-day expiry.
    t.send("n");
    t.wait_for("Add a client secret");
    t.send("pty test");
    t.send(TAB);
    t.send(DOWN);
    t.wait_for("(•) 90 days (3 months)");
    // The live UTC expiry follows the choice.
    t.wait_for("(in 90 days)");
    t.send(TAB);
    t.send(ENTER);
    t.wait_for("copy it now");
    // Masked until v (the value line is drawn below the Secret ID line).
    let s = t.wait_for("(press v to show)");
    let secret_id = s
        .lines()
        .filter(|l| l.contains('│'))
        .find_map(|l| l.split("Secret ID").nth(1))
        .map(|rest| rest.trim().trim_end_matches('│').trim().to_owned())
        .expect("Secret ID line");
    assert_eq!(secret_id.len(), 36, "a GUID: {secret_id:?}");

    // v shows the value (read it off the screen to check where it must never appear), v hides.
    t.send("v");
    let s = t.wait_for("(v hides)");
    let value = pty_support::shown_value(&s);
    assert_eq!(
        value.len(),
        40,
        "Graph's 40-character secret: {} chars",
        value.len()
    );
    t.send("v");
    let s = t.wait_for("(press v to show)");
    assert!(!s.contains(&value), "hidden again");

    // Copy (OSC 52 in the pty): nothing confirms it arrived, so it says so, with no ✓, and
    // closing would still ask. Once the user says the paste worked, it closes without asking.
    t.send("c");
    let s = t.wait_for("unconfirmed");
    assert!(s.contains("OSC 52") && !s.contains("✓"), "{s}");
    t.send("p");
    t.wait_for("You confirmed the paste");
    t.send(ESC);
    t.wait_gone("copy it now");
    let s = t.wait_for("Esc back");
    let row = s
        .lines()
        .find(|l| l.contains("pty test"))
        .expect("new row")
        .to_owned();
    // At 120 columns the Secret ID shows its start (`y` copies it whole).
    assert!(row.contains(&secret_id[..12]), "{row}");
    assert!(row.contains("*****"), "masked value in the table: {row}");

    // Delete it: the confirmation names it and starts on Cancel.
    t.send("d");
    t.wait_for("Delete client secret?");
    // The buttons are the dialog's last line: once they show, the rest is drawn.
    let s = t.wait_for("▶ Cancel ◀");
    assert!(s.contains("\"pty test\"") && s.contains(&secret_id));
    t.send(TAB);
    t.send(ENTER);
    t.wait_for("Deleted \"pty test\"");

    // Esc goes back (never quits); q quits from the apps screen.
    t.send(ESC);
    t.wait_for("Filter: billing-api (stag");
    // The filter stayed; Esc clears it, a second Esc does nothing.
    t.send(ESC);
    t.wait_for("Press / to filter");
    t.send(ESC);
    t.send("q");
    let status = t.wait_exit();
    assert!(matches!(status, WaitStatus::Exited(_, 0)), "{status:?}");
    assert!(!t.parser.screen().alternate_screen(), "terminal restored");
    let s = t.screen();
    assert!(
        s.contains("Created client secret \"pty test\""),
        "summary:\n{s}"
    );
    assert!(
        s.contains("Deleted client secret \"pty test\""),
        "summary:\n{s}"
    );
    assert!(s.contains(&format!("Secret ID {secret_id}")));
    assert!(s.contains("*****"));
    // The value reached the screen only inside the dialog, and never the log or the summary.
    assert!(!s.contains(&value), "the summary is masked");
    let log = std::fs::read_to_string(t.dir.path().join("azsecrets.log")).unwrap_or_default();
    assert!(!log.is_empty(), "the log file was written");
    assert!(!log.contains(&value), "the value is not in the log");
    assert!(
        s.contains("sent to the terminal clipboard (OSC 52)")
            && s.contains("you confirmed the paste"),
        "{s}"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut t = start(&[]);
    t.wait_for("Press / to filter");
    t.send(ESC);
    t.send(ESC);
    assert!(matches!(
        t.session.get_process().status().expect("status"),
        WaitStatus::StillAlive
    ));
    assert!(t.parser.screen().alternate_screen());
    t.session
        .get_process_mut()
        .signal(Signal::SIGTERM)
        .expect("send SIGTERM");
    t.wait_exit();
    assert!(
        !t.parser.screen().alternate_screen(),
        "left the alternate screen"
    );
    assert!(t.screen().contains("nothing was changed"));
}

#[test]
fn read_only_shows_writes_disabled() {
    let mut t = start(&["--read-only"]);
    let s = t.wait_for("Press / to filter");
    assert!(s.contains("read-only"));
    t.send("N");
    let s = t.wait_for("Disabled: read-only mode");
    assert!(!s.contains("New registration"));
    t.send("\x03");
    t.wait_exit();
}

#[test]
fn resize_adapts_the_layout() {
    let mut t = start(&[]);
    t.wait_for("Press / to filter");
    t.wait_for("Application (client) ID");
    t.session
        .get_process_mut()
        .set_window_size(80, 24)
        .expect("resize");
    t.parser.screen_mut().set_size(
        NonZeroU16::new(24).expect("non-zero"),
        NonZeroU16::new(80).expect("non-zero"),
    );
    // The kernel sends SIGWINCH; the UI redraws with the narrow columns.
    t.wait_for("App ID");
    // A frame may arrive in pieces: wait for its last line too.
    let s = t.wait_for("q quit");
    assert!(!s.contains("Application (client) ID"));
    assert!(s.contains("? help"), "footer fits at 80 columns:\n{s}");
    t.send("\x03");
    let status = t.wait_exit();
    assert!(matches!(status, WaitStatus::Exited(_, 0)), "{status:?}");
}

#[test]
fn ctrl_z_suspends_and_resumes() {
    let mut t = start(&[]);
    t.wait_for("Press / to filter");
    t.send("\x1a");
    // waitpid without WUNTRACED does not report a stop: read the state from /proc.
    let pid = t.session.get_process().pid().as_raw();
    let state = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit(')')
                    .next()
                    .and_then(|rest| rest.split_whitespace().next().map(str::to_owned))
            })
            .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        t.pump();
        if state() == "T" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not stopped: state {:?}",
            state()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !t.parser.screen().alternate_screen(),
        "terminal given back before stopping"
    );
    t.session
        .get_process_mut()
        .signal(Signal::SIGCONT)
        .expect("SIGCONT");
    // Back in the alternate screen; a key redraws everything.
    t.send("s");
    t.wait_for("sort: next expiry");
    assert!(t.parser.screen().alternate_screen());
    t.send("q");
    t.wait_exit();
}
