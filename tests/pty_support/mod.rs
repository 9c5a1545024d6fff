//! The real binary in a pseudo-terminal: keys in, the screen parsed with vt100 (never raw
//! bytes: ratatui writes only the cells that change). Shared by the pty and no-leak tests.
#![allow(dead_code)]

use std::io::Write;
use std::num::NonZeroU16;
use std::process::Command;
use std::time::{Duration, Instant};

use expectrl::process::unix::WaitStatus;

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
