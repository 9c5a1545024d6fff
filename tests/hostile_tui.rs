//! The hostile tenant in the terminal UI, the real binary in a pseudo-terminal: every screen
//! shows the placeholders, the raw output holds only the UI's own CSI sequences (no OSC, DCS,
//! APC, PM, SOS, C1, bell, device query, bidi or invisible character), the terminal's title and
//! clipboard are never touched, dialogs keep their buttons whatever the description's length,
//! and the exit summary on the normal screen (scrollback) is clean too. Also: the UI refuses a
//! stdout that is not a terminal.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

use std::io::Write;
use std::num::NonZeroU16;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use expectrl::process::unix::WaitStatus;

mod hostile_support;
use hostile_support::{assert_tui_output_safe, hostile_tenant};

const COLS: u16 = 120;
const ROWS: u16 = 40;

/// What the terminal was asked to do besides drawing.
#[derive(Default)]
struct Asked {
    titles: Vec<Vec<u8>>,
    clipboard: usize,
    bells: usize,
    oscs: usize,
}

impl vt100::Callbacks for Asked {
    fn audible_bell(&mut self, _: &mut vt100::Screen) {
        self.bells += 1;
    }
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.titles.push(title.to_vec());
    }
    fn set_window_icon_name(&mut self, _: &mut vt100::Screen, name: &[u8]) {
        self.titles.push(name.to_vec());
    }
    fn copy_to_clipboard(&mut self, _: &mut vt100::Screen, _: &[u8], _: &[u8]) {
        self.clipboard += 1;
    }
    fn unhandled_osc(&mut self, _: &mut vt100::Screen, _: &[&[u8]]) {
        self.oscs += 1;
    }
}

struct Tui {
    session: expectrl::session::OsSession,
    parser: vt100::Parser<Asked>,
    raw: Vec<u8>,
    _dir: tempfile::TempDir,
}

impl Tui {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_azsecrets"));
        cmd.arg("--log-file")
            .arg(dir.path().join("azsecrets.log"))
            .args(["--sandbox", "--sandbox-tenant-file"])
            .arg(hostile_tenant())
            .args(["--clipboard", "none"])
            .current_dir(dir.path())
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1")
            .env("HOME", dir.path())
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("TMUX");
        let mut session = expectrl::Session::spawn(cmd).unwrap();
        session
            .get_process_mut()
            .set_window_size(COLS, ROWS)
            .unwrap();
        let parser = vt100::Parser::new_with_callbacks(
            NonZeroU16::new(ROWS).unwrap(),
            NonZeroU16::new(COLS).unwrap(),
            2000,
            Asked::default(),
        );
        Self {
            session,
            parser,
            raw: Vec::new(),
            _dir: dir,
        }
    }

    fn pump(&mut self) {
        let mut buf = [0u8; 16384];
        while let Ok(n) = self.session.try_read(&mut buf) {
            if n == 0 {
                break;
            }
            self.raw.extend_from_slice(&buf[..n]);
            self.parser.process(&buf[..n]);
        }
    }

    fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.pump();
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn send(&mut self, keys: &str) {
        self.session.write_all(keys.as_bytes()).unwrap();
        self.session.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
        self.pump();
    }

    /// The line of the screen holding the selection marker.
    fn selected_line(&self) -> String {
        self.screen()
            .lines()
            .find(|l| l.starts_with('▶'))
            .unwrap_or_default()
            .to_owned()
    }

    fn wait_exit(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.pump();
            let status = self.session.get_process().status().unwrap();
            if !matches!(status, WaitStatus::StillAlive) {
                std::thread::sleep(Duration::from_millis(100));
                self.pump();
                assert!(
                    matches!(status, WaitStatus::Exited(_, 0)),
                    "{status:?}\n{}",
                    self.screen()
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "did not exit:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

const ESC: &str = "\x1b";
const ENTER: &str = "\r";
const TAB: &str = "\t";

#[test]
fn every_screen_shows_placeholders_and_the_terminal_is_never_driven() {
    let mut t = Tui::start();
    let s = t.wait_for("Press / to filter");
    // The header: tenant and user names are the tenant's, shown as placeholders.
    let s = if s.contains("Mallory") {
        s
    } else {
        t.wait_for("Mallory")
    };
    // The tenant and the user load in parallel: under load either may come last.
    let s = if s.contains("Tenant: Hostile") {
        s
    } else {
        t.wait_for("Tenant: Hostile")
    };
    assert!(
        s.contains("Tenant: Hostile ⟨U+001B⟩]0;TENANT⟨U+0007⟩⟨U+202E⟩Tenant"),
        "{s}"
    );
    assert!(
        s.contains("Signed in: Mallory ⟨U+001B⟩[31mHostile⟨U+200B⟩"),
        "{s}"
    );
    // The two records Graph sent unreadable are skipped with a warning that counts them.
    t.wait_for("Skipped 2 app registrations");
    let s = t.screen();
    assert!(s.contains("(no name)"), "{s}");
    assert!(s.contains("⟨U+001B⟩[2J⟨U+001B⟩[H cleared"), "{s}");

    // Names found by the filter, shown with their placeholders.
    for (typed, shown) in [
        // Cut to the name column, with the mark.
        ("ZZevil", "ZZevil⟨U+001B⟩]0;PWNED⟨U+0007⟩⟨U+001B⟩[3…"),
        ("gpj", "abc⟨U+202E⟩gpj.exe"),
        ("line one", "line one↵line two"),
        ("pay", "pay⟨U+200B⟩pal"),
        ("eight-bit", "⟨U+009B⟩31m eight-bit CSI"),
        ("NNNNNNNN", "NNNNNNNNNN…"),
    ] {
        t.send("/");
        t.send(typed);
        t.wait_for(shown);
        t.send(ESC);
        t.send(ESC);
    }

    // The app with hostile secrets, certificate and federated credential.
    t.send("/");
    t.send("hostile-secrets");
    t.wait_for("1 of");
    t.send(ENTER);
    let s = t.wait_for("[Client secrets (5)]");
    // Descriptions cut to their column, with the mark.
    for shown in [
        "A very long description that goes on and…",
        "abc⟨U+202E⟩gpj.exe",
        "pay⟨U+200B⟩pal↵second line",
        "ZZevil⟨U+001B⟩]0;PWNED⟨U+0007⟩⟨U+001B⟩[3…",
        "⟨U+000D⟩⟨U+001B⟩[2K⟨U+001B⟩[1A⟨U+001B⟩[2…",
        "⟨U+001B…",
    ] {
        assert!(s.contains(shown), "{shown:?}:\n{s}");
    }
    t.send(TAB);
    let s = t.wait_for("[Federated credentials (1)]");
    assert!(s.contains("fic⟨U+001B⟩[31m⟨U+202E⟩"), "{s}");
    // The issuer shows without its scheme; its escape is still spelled out.
    assert!(s.contains("issuer.example/⟨U+001B⟩]52;"), "{s}");
    assert!(s.contains("repo:x⟨U+200B⟩/y:ref:refs/heads/main"), "{s}");
    t.send(TAB);
    let s = t.wait_for("[Certificates (1)]");
    // The description is no longer cut to a few cells (ids give way first).
    assert!(s.contains("CN=⟨U+001B⟩]0;PWNED⟨U+0007⟩cert"), "{s}");
    assert!(s.contains("⟨U+202E⟩ABCD…"), "{s}");
    t.send(TAB);
    t.wait_for("[Client secrets (5)]");

    // The 10,000-character description: the dialog keeps its Secret ID, warning and buttons.
    for _ in 0..6 {
        if t.selected_line().contains("A very long") {
            break;
        }
        t.send("j");
    }
    assert!(t.selected_line().contains("A very long"), "{}", t.screen());
    t.send("d");
    let s = t.wait_for("Delete client secret?");
    for kept in [
        "Secret ID",
        "cannot be undone.",
        "Cancel",
        "Delete ]",
        "…\" from",
        "hostile-secrets?",
    ] {
        assert!(s.contains(kept), "{kept:?} on screen:\n{s}");
    }
    t.send(ESC);
    t.wait_for("[Client secrets (5)]");

    // Delete the secret whose description is an OSC title: the toast and the exit summary
    // quote it.
    for _ in 0..6 {
        if t.selected_line().contains("ZZevil") {
            break;
        }
        t.send("k");
    }
    assert!(t.selected_line().contains("ZZevil"), "{}", t.screen());
    t.send("d");
    t.wait_for("Delete client secret?");
    t.send(TAB);
    t.send(ENTER);
    t.wait_for("[Client secrets (4)]");
    t.send(ESC);
    t.wait_for("Filter: hostile-secrets");
    t.send("q");
    t.wait_exit();

    // The summary, on the normal screen and in the scrollback.
    let shown = t.screen();
    t.parser.screen_mut().set_scrollback(2000);
    let scrollback = t.parser.screen().contents();
    let all = format!("{scrollback}\n{shown}");
    assert!(
        all.contains("Deleted client secret \"ZZevil⟨U+001B⟩]0;PWNED⟨U+0007⟩⟨U+001B⟩[31mred\" from hostile-secrets"),
        "{all}"
    );

    // Nothing but the UI's own drawing reached the terminal.
    assert_tui_output_safe("the TUI's raw output", &t.raw);
    let asked = t.parser.callbacks();
    assert!(asked.titles.is_empty(), "title set: {:?}", asked.titles);
    assert_eq!(asked.clipboard, 0, "clipboard written");
    assert_eq!(asked.bells, 0, "bell rung");
    assert_eq!(asked.oscs, 0, "other OSC sent");
}

#[test]
fn the_ui_refuses_a_stdout_that_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_azsecrets"))
        .arg("--log-file")
        .arg(dir.path().join("azsecrets.log"))
        .arg("--sandbox")
        .env("HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(out.stdout.is_empty(), "nothing drawn into the pipe");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the terminal UI needs a terminal, but stdout is not one"),
        "{err}"
    );
}
