//! The real binary in a pseudo-terminal: keys in, the screen parsed with vt100 (never raw
//! bytes: ratatui writes only the cells that change). Shared by the pty and no-leak tests.
#![allow(dead_code)]

use std::io::Write;
use std::num::NonZeroU16;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use expectrl::process::unix::WaitStatus;

/// The real binary set up for a pty run in `dir`: it logs to `dir/azsecrets.log`, its home and
/// per-user folders are inside `dir` (so no clipboard holder or log of the user's is touched),
/// an xterm without colour, no display and no tmux. Callers add the sign-in and clipboard flags.
pub fn azsecrets(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azsecrets"));
    cmd.arg("--log-file")
        .arg(dir.join("azsecrets.log"))
        .current_dir(dir)
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_RUNTIME_DIR", dir.join("run"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("TMUX");
    cmd
}

pub struct Pty {
    pub session: expectrl::session::OsSession,
    pub parser: vt100::Parser,
    /// The run's temporary home/working folder, removed when the test ends.
    pub dir: tempfile::TempDir,
}

impl Pty {
    /// Spawn `cmd` in a pty of `cols`×`rows`, keeping `scrollback` lines of history; `dir` is
    /// the run's temporary folder, kept as long as the `Pty`.
    pub fn spawn(
        cmd: Command,
        dir: tempfile::TempDir,
        cols: u16,
        rows: u16,
        scrollback: usize,
    ) -> Self {
        let mut session = expectrl::Session::spawn(cmd).expect("spawn azsecrets in a pty");
        session
            .get_process_mut()
            .set_window_size(cols, rows)
            .expect("window size");
        let parser = vt100::Parser::new(
            NonZeroU16::new(rows).expect("non-zero rows"),
            NonZeroU16::new(cols).expect("non-zero cols"),
            scrollback,
        );
        Self {
            session,
            parser,
            dir,
        }
    }

    /// Feed everything the program wrote so far to the parser; true when there was any.
    pub fn pump(&mut self) -> bool {
        let mut buf = [0u8; 8192];
        let mut any = false;
        while let Ok(n) = self.session.try_read(&mut buf) {
            if n == 0 {
                break;
            }
            self.parser.process(&buf[..n]);
            any = true;
        }
        any
    }

    pub fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    /// Wait until the parsed screen contains `text`.
    pub fn wait_for(&mut self, text: &str) -> String {
        self.wait_until(text, true)
    }

    /// Wait until the parsed screen no longer contains `text`.
    pub fn wait_gone(&mut self, text: &str) -> String {
        self.wait_until(text, false)
    }

    fn wait_until(&mut self, text: &str, present: bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.pump();
            let s = self.screen();
            if s.contains(text) == present {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?} to {}; screen:\n{s}",
                if present { "show" } else { "go" }
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    pub fn send(&mut self, keys: &str) {
        self.session.write_all(keys.as_bytes()).expect("write keys");
        self.session.flush().expect("flush");
        // Let the UI handle each batch before the next (keys are read as one stream).
        std::thread::sleep(Duration::from_millis(150));
        self.pump();
    }

    /// From the apps screen: filter down to the one app matching `filter`, open it, and add a
    /// client secret called `description` with the default lifetime. Returns once the reveal
    /// dialog shows the new value (masked).
    pub fn add_secret(&mut self, filter: &str, description: &str) -> String {
        self.wait_for("Press / to filter");
        self.send("/");
        self.send(filter);
        self.wait_for("1 of");
        self.send("\r");
        self.wait_for("[Client secrets (");
        self.send("n");
        self.wait_for("Add a client secret");
        self.send(description);
        self.send("\t\t\r");
        self.wait_for("copy it now");
        self.wait_for("(press v to show)")
    }

    pub fn wait_exit(&mut self) -> WaitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.pump();
            let status = self.session.get_process().status().expect("status");
            if !matches!(status, WaitStatus::StillAlive) {
                // Drain what it printed last.
                std::thread::sleep(Duration::from_millis(100));
                self.pump();
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "did not exit; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The value the reveal dialog shows after `v` (read off the screen, to check where it must
/// never appear).
pub fn shown_value(screen: &str) -> String {
    screen
        .lines()
        .filter(|l| l.contains('│'))
        .find_map(|l| l.split("Value").nth(1))
        .map(|rest| {
            rest.trim()
                .trim_end_matches('│')
                .trim()
                .trim_end_matches("(v hides)")
                .trim()
                .to_owned()
        })
        .unwrap_or_else(|| panic!("no Value line on the screen:\n{screen}"))
}
