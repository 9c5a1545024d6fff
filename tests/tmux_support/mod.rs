//! A private tmux server for tests (`tmux -L <unique socket>`, so a user's own server is never
//! touched), killed when dropped. Tests skip with a notice when tmux is missing, unless
//! AZSECRETS_REQUIRE_TMUX=1 (CI sets it), where a missing tmux fails them.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl Tmux {
    /// A new server with one detached session running a shell; `None` (with a notice) when
    /// tmux is not installed and not required.
    pub fn start(width: u16, height: u16) -> Option<Self> {
        let found = Command::new("tmux")
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            assert!(
                std::env::var_os("AZSECRETS_REQUIRE_TMUX").is_none_or(|v| v != "1"),
                "tmux is required (AZSECRETS_REQUIRE_TMUX=1) but not installed"
            );
            eprintln!("note: tmux is not installed; skipping this tmux test");
            return None;
        }
        let socket = format!(
            "azsecrets-test-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst),
            uuid::Uuid::new_v4().simple()
        );
        let t = Self { socket };
        let ok = t
            .cmd()
            .args(["-f", "/dev/null", "new-session", "-d", "-s", "main"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg("sh")
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "could not start a private tmux server");
        Some(t)
    }

    /// `tmux -L <socket>`.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket])
            .env_remove("TMUX")
            .stdin(Stdio::null());
        c
    }

    fn out(&self, args: &[&str]) -> String {
        let o = self.cmd().args(args).output().expect("tmux runs");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// What `$TMUX` holds for a program inside this server ("socket,pid,session").
    pub fn tmux_env(&self) -> String {
        self.out(&["display", "-p", "#{socket_path},#{pid},0"])
            .trim()
            .to_owned()
    }

    /// `set -g OPTION VALUE` (server and session options alike).
    pub fn set(&self, option: &str, value: &str) {
        let scope = if option == "set-clipboard" {
            "-s"
        } else {
            "-g"
        };
        let ok = self
            .cmd()
            .args(["set", scope, option, value])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "tmux set {option} {value}");
    }

    /// Run `program args` in a new window of the session, with `env` set, in `dir`.
    pub fn run(&self, dir: &Path, env: &[(&str, &str)], program: &Path, args: &[&str]) {
        let mut line = String::new();
        for (k, v) in env {
            line.push_str(&format!("{k}={} ", shell_quote(v)));
        }
        line.push_str(&shell_quote(&program.to_string_lossy()));
        for a in args {
            line.push(' ');
            line.push_str(&shell_quote(a));
        }
        // Keep the pane after the program exits, so its last screen can be read.
        line.push_str("; echo; echo \"exit status $?\"; sleep 600");
        let ok = self
            .cmd()
            .args(["respawn-pane", "-k", "-t", "main", "-c"])
            .arg(dir)
            .args(["sh", "-c", &line])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "tmux respawn-pane");
    }

    pub fn send(&self, keys: &[&str]) {
        let ok = self
            .cmd()
            .args(["send-keys", "-t", "main"])
            .args(keys)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "tmux send-keys");
        std::thread::sleep(Duration::from_millis(200));
    }

    /// The pane as text.
    pub fn screen(&self) -> String {
        self.out(&["capture-pane", "-p", "-t", "main"])
    }

    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The newest paste buffer (`show-buffer`), or `None` when there is none.
    pub fn show_buffer(&self) -> Option<String> {
        let o = self.cmd().arg("show-buffer").output().expect("tmux runs");
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
    }

    /// Put `text` in a paste buffer, as a copy in tmux would.
    pub fn set_buffer(&self, text: &str) {
        let ok = self
            .cmd()
            .args(["set-buffer", "--", text])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "tmux set-buffer");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self
            .cmd()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
