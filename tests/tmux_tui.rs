//! The terminal UI inside a real, private tmux (`tmux -L <unique socket>`): with
//! `set-clipboard on` an OSC 52 copy lands in a tmux buffer and is reported confirmed; with
//! tmux's default (`external`) it is reported as not delivered and closing still asks; Ctrl-C
//! on the reveal dialog asks there too. Skipped with a notice when tmux is missing, unless
//! AZSECRETS_REQUIRE_TMUX=1 (CI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

mod tmux_support;

use std::path::Path;

use tmux_support::Tmux;

/// `azsecrets --sandbox --clipboard osc52` in the session's pane, at home in `dir`.
fn run_tui(tmux: &Tmux, dir: &Path) {
    let home = dir.to_string_lossy().into_owned();
    let state = dir.join("state").to_string_lossy().into_owned();
    let log = dir.join("azsecrets.log").to_string_lossy().into_owned();
    tmux.run(
        dir,
        &[
            ("HOME", &home),
            ("XDG_STATE_HOME", &state),
            ("XDG_RUNTIME_DIR", &home),
            ("NO_COLOR", "1"),
            ("TERM", "screen-256color"),
        ],
        Path::new(env!("CARGO_BIN_EXE_azsecrets")),
        &["--log-file", &log, "--sandbox", "--clipboard", "osc52"],
    );
}

/// Filter to the staging billing app, add a secret, show its value; returns the value.
fn add_and_show(tmux: &Tmux, description: &str) -> String {
    tmux.wait_for("Press / to filter");
    tmux.send(&["/"]);
    tmux.send(&["-l", "billing-api (stag"]);
    tmux.wait_for("1 of");
    tmux.send(&["Enter"]);
    tmux.wait_for("[Client secrets (");
    tmux.send(&["n"]);
    tmux.wait_for("Add a client secret");
    tmux.send(&["-l", description]);
    tmux.send(&["Tab", "Tab", "Enter"]);
    tmux.wait_for("press v to show");
    tmux.send(&["v"]);
    let s = tmux.wait_for("(v hides)");
    s.lines()
        .filter(|l| l.contains('│'))
        .find_map(|l| l.split("Value").nth(1))
        .map(|r| {
            r.trim()
                .trim_end_matches('│')
                .trim()
                .trim_end_matches("(v hides)")
                .trim()
                .to_owned()
        })
        .filter(|v| v.len() == 40)
        .unwrap_or_else(|| panic!("the value on screen:\n{s}"))
}

#[test]
fn with_set_clipboard_on_the_copy_lands_in_a_tmux_buffer_and_is_confirmed() {
    let Some(tmux) = Tmux::start(120, 40) else {
        return;
    };
    tmux.set("set-clipboard", "on");
    let dir = tempfile::tempdir().unwrap();
    run_tui(&tmux, dir.path());
    let value = add_and_show(&tmux, "tmux on");
    assert_eq!(tmux.show_buffer(), None, "no buffer before the copy");
    tmux.send(&["c"]);
    let s = tmux.wait_for("Copied to tmux's clipboard");
    assert!(s.contains('✓'), "confirmed: {s}");
    assert_eq!(tmux.show_buffer().as_deref(), Some(value.as_str()));
    // Handed off: Esc closes without asking.
    tmux.send(&["Escape"]);
    let s = tmux.screen();
    assert!(!s.contains("Nobody holds"), "{s}");
    tmux.send(&["C-c"]);
    let s = tmux.wait_for("exit status");
    assert!(s.contains("copied to tmux's clipboard"), "{s}");
    assert!(!s.contains(&value), "the value is not on the normal screen");
}

#[test]
fn with_tmux_defaults_the_copy_is_reported_not_delivered_and_closing_asks() {
    let Some(tmux) = Tmux::start(120, 40) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    run_tui(&tmux, dir.path());
    let value = add_and_show(&tmux, "tmux default");
    tmux.send(&["c"]);
    let s = tmux.wait_for("tmux drops it");
    assert!(s.contains("run `tmux set -g set-clipboard"), "{s}");
    assert!(!s.contains('✓'), "{s}");
    assert_eq!(tmux.show_buffer(), None, "nothing reached tmux's clipboard");
    // Never handed off: Esc asks; Ctrl-C asks; a second Ctrl-C quits and names the orphan.
    tmux.send(&["Escape"]);
    tmux.wait_for("Nobody holds this value");
    tmux.send(&["n"]);
    tmux.send(&["C-c"]);
    tmux.wait_for("press Ctrl-C again within 2 s");
    tmux.send(&["C-c"]);
    let s = tmux.wait_for("exit status");
    assert!(s.contains("Nobody holds its value"), "{s}");
    assert!(s.contains("azsecrets secrets remove --app"), "{s}");
    assert!(!s.contains(&value), "the value is not on the normal screen");
}
