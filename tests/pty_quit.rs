//! Quitting never lies, on the real binary in a pseudo-terminal: Ctrl-C, `q` and signals on the
//! reveal dialog ask as Esc does, and a second Ctrl-C within two seconds quits with the orphan
//! named; a quit during a slow add finishes it and deletes what reached nobody; a SIGKILLed
//! add is offered for deletion by the next start; a 504 is named and cleaned up; SIGINT and
//! SIGQUIT from outside restore the terminal and leave no value on the normal screen; a 45×15
//! terminal shows the whole value. The slow and killed adds use `sandbox serve` in its own
//! process, so the tenant outlives the client.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

mod pty_support;
mod serve_support;

use std::time::{Duration, Instant};

use expectrl::process::unix::{Signal, WaitStatus};

use pty_support::Pty;
use serve_support::Served;

const ESC: &str = "\x1b";
const CTRL_C: &str = "\x03";

/// `azsecrets --sandbox` in a pty of `cols`×`rows`.
fn sandbox(cols: u16, rows: u16, extra: &[&str]) -> Pty {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = pty_support::azsecrets(dir.path());
    cmd.args(["--sandbox", "--clipboard", "osc52"]).args(extra);
    Pty::spawn(cmd, dir, cols, rows, 2000)
}

/// The TUI against a served tenant, its home and state in `dir`.
fn served(s: &Served, dir: tempfile::TempDir) -> Pty {
    let mut cmd = s.azsecrets(dir.path());
    cmd.args(["--clipboard", "osc52"]);
    Pty::spawn(cmd, dir, 120, 40, 2000)
}

fn secret_id(screen: &str) -> String {
    screen
        .lines()
        .filter(|l| l.contains('│'))
        .find_map(|l| l.split("Secret ID").nth(1))
        .map(|rest| rest.trim().trim_end_matches('│').trim().to_owned())
        .expect("Secret ID line")
}

fn still_running(t: &Pty) -> bool {
    matches!(
        t.session.get_process().status().expect("status"),
        WaitStatus::StillAlive
    )
}

/// Everything the normal screen and its scrollback hold after exit.
fn normal_screen(t: &mut Pty) -> String {
    let mut all = String::new();
    for back in (0..=2000usize).step_by(20) {
        t.parser.screen_mut().set_scrollback(back);
        all.push_str(&t.parser.screen().contents());
    }
    t.parser.screen_mut().set_scrollback(0);
    all
}

#[test]
fn ctrl_c_on_the_reveal_dialog_asks_and_a_second_one_names_the_orphan() {
    let mut t = sandbox(120, 40, &[]);
    let s = t.add_secret("billing-api (stag", "ctrl-c test");
    let key = secret_id(&s);
    t.send("v");
    let value = pty_support::shown_value(&t.wait_for("(v hides)"));

    // Ctrl-C asks exactly as Esc does; going back cancels the quit.
    t.send(CTRL_C);
    let s = t.wait_for("Nobody holds this value");
    assert!(s.contains("press Ctrl-C again within 2 s"), "{s}");
    assert!(still_running(&t));
    t.send(ESC);
    t.wait_gone("Nobody holds this value");
    // q asks too; a second Ctrl-C more than two seconds later asks again.
    t.send("q");
    t.wait_for("Nobody holds this value");
    std::thread::sleep(Duration::from_millis(2300));
    t.send(CTRL_C);
    std::thread::sleep(Duration::from_millis(300));
    assert!(still_running(&t), "too late to force: it asks again");
    t.wait_for("Nobody holds this value");
    // A second Ctrl-C within two seconds forces the quit.
    t.send(CTRL_C);
    let status = t.wait_exit();
    assert!(matches!(status, WaitStatus::Exited(_, _)), "{status:?}");
    assert!(!t.parser.screen().alternate_screen(), "terminal restored");
    assert!(!t.parser.screen().hide_cursor(), "cursor shown");
    let all = normal_screen(&mut t);
    assert!(!all.contains(&value), "the value is on no normal screen");
    assert!(all.contains(&key), "the summary names the orphan:\n{all}");
    assert!(all.contains("Nobody holds its value"), "{all}");
    assert!(
        all.contains(&format!(
            "azsecrets secrets remove --app e3b72a8d-d3e4-5a1a-ae50-af6ea6c3c8a9 --key-id {key}"
        )),
        "{all}"
    );
    // The journal keeps it for the next start.
    let journal =
        std::fs::read_to_string(t.dir.path().join("state/azsecrets/journal.jsonl")).unwrap();
    assert!(
        journal.contains(&key) && !journal.contains(r#""record":"done""#),
        "{journal}"
    );
    assert!(!journal.contains(&value));
}

#[test]
fn signals_on_the_reveal_dialog_ask_and_sigquit_twice_restores_the_terminal() {
    let mut t = sandbox(120, 40, &[]);
    t.add_secret("billing-api (stag", "signal test");
    t.send("v");
    let value = pty_support::shown_value(&t.wait_for("(v hides)"));
    for sig in [Signal::SIGTERM, Signal::SIGHUP, Signal::SIGINT] {
        t.session.get_process_mut().signal(sig).expect("signal");
        t.wait_for("Nobody holds this value");
        std::thread::sleep(Duration::from_millis(200));
        assert!(still_running(&t), "{sig:?} asks, it does not quit");
        t.send(ESC);
        t.wait_gone("Nobody holds this value");
        std::thread::sleep(Duration::from_millis(2100));
    }
    t.session
        .get_process_mut()
        .signal(Signal::SIGQUIT)
        .expect("SIGQUIT");
    t.wait_for("Nobody holds this value");
    t.session
        .get_process_mut()
        .signal(Signal::SIGQUIT)
        .expect("SIGQUIT");
    let status = t.wait_exit();
    assert!(
        matches!(status, WaitStatus::Exited(_, _)),
        "no core, no kill: {status:?}"
    );
    assert!(
        !t.parser.screen().alternate_screen(),
        "left the alternate screen"
    );
    assert!(!t.parser.screen().hide_cursor(), "cursor shown");
    let all = normal_screen(&mut t);
    assert!(!all.contains(&value), "the value is on no normal screen");
    assert!(all.contains("Nobody holds its value"), "{all}");
}

#[test]
fn sigint_and_sigquit_from_outside_restore_the_terminal() {
    for sig in [Signal::SIGINT, Signal::SIGQUIT] {
        let mut t = sandbox(100, 30, &[]);
        t.wait_for("Press / to filter");
        assert!(t.parser.screen().alternate_screen());
        t.session.get_process_mut().signal(sig).expect("signal");
        let status = t.wait_exit();
        assert!(
            matches!(status, WaitStatus::Exited(_, 0)),
            "{sig:?}: {status:?}"
        );
        assert!(!t.parser.screen().alternate_screen(), "{sig:?}");
        assert!(!t.parser.screen().hide_cursor(), "{sig:?}: cursor shown");
        assert!(t.screen().contains("nothing was changed"), "{}", t.screen());
    }
}

#[test]
fn a_45_by_15_terminal_shows_the_whole_value_and_a_smaller_one_says_how_large() {
    let mut t = sandbox(45, 15, &[]);
    t.wait_for("Press / to filter");
    t.send("/");
    t.send("billing-api (stag");
    t.send("\r");
    t.wait_for("Client secrets");
    t.send("n");
    t.wait_for("Add a client secret");
    t.send("small");
    t.send("\t\t\r");
    t.wait_for("press v to show");
    t.send("v");
    let s = t.wait_for("v hides");
    // The value is on a line of its own, whole: 40 characters of Graph's alphabet.
    let value = s
        .lines()
        .filter_map(|l| l.strip_prefix('│'))
        .map(|l| l.trim_end_matches('│').trim())
        .find(|l| {
            l.len() == 40
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "~._-".contains(c))
        })
        .unwrap_or_else(|| panic!("the whole value on screen:\n{s}"))
        .to_owned();
    // Nothing in the dialog is cut (the footer may drop bindings behind its own `…`).
    assert!(
        !s.lines().any(|l| l.starts_with('│') && l.contains('…')),
        "nothing cut:\n{s}"
    );
    let key = s
        .lines()
        .filter_map(|l| l.strip_prefix('│'))
        .map(|l| l.trim_end_matches('│').trim())
        .find(|l| azsecrets::ids::is_guid(l))
        .is_some();
    assert!(key, "the whole Secret ID on screen:\n{s}");

    // Smaller: the dialog says how large the terminal must be, and the guard still holds.
    t.session
        .get_process_mut()
        .set_window_size(30, 8)
        .expect("resize");
    t.parser.screen_mut().set_size(
        std::num::NonZeroU16::new(8).unwrap(),
        std::num::NonZeroU16::new(30).unwrap(),
    );
    let s = t.wait_for("Too small to show");
    assert!(
        !s.contains(&value),
        "no part of the value while it cannot be whole"
    );
    assert!(!s.contains(&value[..20]), "{s}");
    t.send(ESC);
    t.wait_for("Nobody holds the value");
    t.send("k");
    t.wait_gone("Nobody holds");
    t.send(CTRL_C);
    t.wait_exit();
}

/// Ctrl-C, or SIGTERM, while Graph holds the reply: "Finishing…", then the secret created
/// meanwhile is deleted again and the summary says so; the tenant holds no orphan.
#[test]
fn a_quit_during_a_slow_add_finishes_and_leaves_no_orphan() {
    let s = Served::start(&["--add-password-delay", "2500"]);
    for how in ["ctrl-c", "sigterm"] {
        let dir = tempfile::tempdir().unwrap();
        let probe = tempfile::tempdir().unwrap();
        let before = s.secrets(probe.path(), "e3b72a8d-d3e4-5a1a-ae50-af6ea6c3c8a9");
        let mut t = served(&s, dir);
        t.wait_for("Press / to filter");
        t.send("/");
        t.send("billing-api (stag");
        t.wait_for("1 of");
        t.send("\r");
        t.wait_for("[Client secrets (");
        t.send("n");
        t.wait_for("Add a client secret");
        t.send(how);
        t.send("\t\t\r");
        t.wait_for("Adding the secret");
        match how {
            "ctrl-c" => t.send(CTRL_C),
            _ => t
                .session
                .get_process_mut()
                .signal(Signal::SIGTERM)
                .expect("SIGTERM"),
        }
        t.wait_for("Finishing");
        let started = Instant::now();
        let status = t.wait_exit();
        assert!(
            matches!(status, WaitStatus::Exited(_, 0)),
            "{how}: {status:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(15), "{how}");
        assert!(!t.parser.screen().alternate_screen());
        let all = normal_screen(&mut t);
        assert!(
            all.contains(&format!("Created client secret \"{how}\""))
                && all.contains("deleted it again"),
            "{how}: {all}"
        );
        assert!(all.contains("nothing of it remains"), "{how}: {all}");
        assert!(
            !all.contains("nothing was changed"),
            "{how}: the summary does not lie"
        );
        assert_eq!(
            s.secrets(probe.path(), "e3b72a8d-d3e4-5a1a-ae50-af6ea6c3c8a9"),
            before,
            "{how}: no orphan in the tenant"
        );
    }
}

/// SIGKILL during a slow add: the next start names the secret (app, description, created,
/// Secret ID) and deletes it on Enter (the default).
#[test]
fn after_sigkill_the_next_start_offers_the_orphan_and_deletes_it() {
    let s = Served::start(&["--add-password-delay", "60000"]);
    let app = "e3b72a8d-d3e4-5a1a-ae50-af6ea6c3c8a9";
    let home = tempfile::tempdir().unwrap();
    let state = home.path().to_path_buf();
    let before = s.secrets(home.path(), app);
    {
        // The first run keeps `home` (its journal) alive past its own end.
        let mut cmd = s.azsecrets(&state);
        cmd.args(["--clipboard", "osc52"]);
        let mut t = Pty::spawn(cmd, tempfile::tempdir().unwrap(), 120, 40, 0);
        t.wait_for("Press / to filter");
        t.send("/");
        t.send("billing-api (stag");
        t.wait_for("1 of");
        t.send("\r");
        t.wait_for("[Client secrets (");
        t.send("n");
        t.wait_for("Add a client secret");
        t.send("killed in flight");
        t.send("\t\t\r");
        t.wait_for("Adding the secret");
        std::thread::sleep(Duration::from_millis(800));
        t.session
            .get_process_mut()
            .kill(Signal::SIGKILL)
            .expect("kill");
        let _ = t.wait_exit();
    }
    let orphan = s
        .secrets(home.path(), app)
        .into_iter()
        .find(|(_, d)| d.as_deref() == Some("killed in flight"))
        .map(|(k, _)| k)
        .expect("Graph created it before the kill");

    let mut cmd = s.azsecrets(&state);
    cmd.args(["--clipboard", "osc52"]);
    let mut t = Pty::spawn(cmd, tempfile::tempdir().unwrap(), 120, 40, 0);
    let shown = t.wait_for("Left behind by an interrupted run");
    let shown = if shown.contains("▶ Delete it ◀") {
        shown
    } else {
        t.wait_for("▶ Delete it ◀")
    };
    assert!(shown.contains("contoso-billing-api (staging)"), "{shown}");
    assert!(shown.contains("killed in flight"), "{shown}");
    assert!(shown.contains(&orphan), "{shown}");
    assert!(shown.contains("Created"), "{shown}");
    t.send("\r");
    t.wait_for("the secret an interrupted run left");
    t.send("q");
    t.wait_exit();
    assert_eq!(s.secrets(home.path(), app), before, "the orphan is gone");
    let all = normal_screen(&mut t);
    assert!(all.contains(&format!("Secret ID {orphan}")), "{all}");
}

/// A 504 after the secret was created: the dialog names the Secret ID created and removed, the
/// tenant holds none, and the summary says it was created and deleted again.
#[test]
fn a_504_on_add_is_named_and_cleaned_up() {
    let s = Served::start(&["--add-password-status", "504"]);
    let app = "e3b72a8d-d3e4-5a1a-ae50-af6ea6c3c8a9";
    let probe = tempfile::tempdir().unwrap();
    let before = s.secrets(probe.path(), app);
    let mut t = served(&s, tempfile::tempdir().unwrap());
    t.wait_for("Press / to filter");
    t.send("/");
    t.send("billing-api (stag");
    t.wait_for("1 of");
    t.send("\r");
    t.wait_for("[Client secrets (");
    t.send("n");
    t.wait_for("Add a client secret");
    t.send("gateway");
    t.send("\t\t\r");
    let shown = t.wait_for("nothing remains");
    assert!(shown.contains("504"), "{shown}");
    assert!(shown.contains("safe to try again"), "{shown}");
    assert_eq!(s.secrets(probe.path(), app), before, "none left");
    t.send(ESC);
    t.send(CTRL_C);
    t.wait_exit();
    let all = normal_screen(&mut t);
    assert!(
        all.contains("Created client secret \"gateway\" on contoso-billing-api (staging) and deleted it again"),
        "{all}"
    );
}
