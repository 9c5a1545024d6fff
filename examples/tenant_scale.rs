//! Tenant-scale measurements of the real terminal UI in a pseudo-terminal, against a running
//! `azsecrets sandbox serve` (used by `bench/tenant_scale.sh`):
//!
//! - `first-hit GRAPH BIN QUERY EXPECT`: start azsecrets, type `/` and QUERY as soon as the
//!   first frame is drawn, and stop when a line holds EXPECT (the app's name): time from start.
//! - `warm GRAPH BIN APPS`: a cold start that lists the tenant and saves its cache, then a warm
//!   start: time from start to the whole cached list on screen, then to the delta refresh
//!   (`warm GRAPH BIN APPS STARTS`: that many warm starts after the cold one).
//! - `rss GRAPH BIN APPS`: start, wait until all APPS are listed, read the peak RSS (VmHWM).
//!
//! The cache goes to a fresh temporary XDG_CACHE_HOME. usage: AZSECRETS_ACCESS_TOKEN=… tenant_scale MODE …
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up
#![allow(clippy::print_stdout, clippy::print_stderr)] // a measuring tool reports on its terminal

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tui {
    session: expectrl::session::OsSession,
    parser: vt100::Parser,
    started: Instant,
    pid: u32,
}

impl Tui {
    fn start(bin: &str, graph: &str, cache: &std::path::Path) -> Self {
        let mut cmd = Command::new(bin);
        cmd.args([
            "--graph-url",
            graph,
            "--login-url",
            graph,
            "--log-file",
            "/dev/null",
        ])
        .env("TERM", "xterm-256color")
        .env("XDG_CACHE_HOME", cache);
        let started = Instant::now();
        let mut session = expectrl::Session::spawn(cmd).expect("spawn");
        session.get_process_mut().set_window_size(120, 40).unwrap();
        let pid = session.get_process().pid().as_raw() as u32;
        let parser = vt100::Parser::new(
            NonZeroU16::new(40).unwrap(),
            NonZeroU16::new(120).unwrap(),
            0,
        );
        Self {
            session,
            parser,
            started,
            pid,
        }
    }

    /// Read the terminal until `done(screen)` holds; the time since start.
    fn until(&mut self, limit: Duration, done: impl Fn(&str) -> bool) -> Duration {
        let mut buf = [0u8; 65536];
        loop {
            match self.session.try_read(&mut buf) {
                Ok(n) if n > 0 => {
                    self.parser.process(&buf[..n]);
                    if done(&self.parser.screen().contents()) {
                        return self.started.elapsed();
                    }
                }
                _ => std::thread::sleep(Duration::from_micros(200)),
            }
            if self.started.elapsed() > limit {
                panic!(
                    "not on screen after {limit:?}:\n{}",
                    self.parser.screen().contents()
                );
            }
        }
    }

    fn send(&mut self, s: &str) {
        self.session.write_all(s.as_bytes()).unwrap();
        self.session.flush().unwrap();
    }

    fn peak_rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    fn quit(mut self) {
        self.send("q");
        std::thread::sleep(Duration::from_millis(300));
        let _ = self
            .session
            .get_process_mut()
            .kill(expectrl::process::unix::Signal::SIGKILL);
        let mut rest = Vec::new();
        let _ = self.session.read_to_end(&mut rest);
    }
}

/// "50,041 apps" in the counter, as the screen writes it.
fn count_words(apps: usize) -> String {
    let s = apps.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out} apps")
}

fn listed(screen: &str, apps: &str) -> bool {
    screen
        .lines()
        .any(|l| l.contains(apps) && !l.contains("Loaded") && !l.contains("cached"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, graph, bin) = (&args[0], &args[1], &args[2]);
    let cache = tempfile::tempdir().unwrap();
    match mode.as_str() {
        "first-hit" => {
            let (query, expect) = (&args[3], &args[4]);
            let mut t = Tui::start(bin, graph, cache.path());
            let first = t.until(Duration::from_secs(60), |s| s.contains("App registrations"));
            t.send("/");
            t.send(query);
            // The name column may cut the name: its first 30 characters identify the row.
            let head: String = expect.chars().take(30).collect();
            let hit = t.until(Duration::from_secs(120), |s| {
                s.lines()
                    .any(|l| l.contains(head.as_str()) && !l.contains("Filter:"))
            });
            println!(
                "first frame {:.0} ms; first hit for {query:?} {:.0} ms after start",
                first.as_secs_f64() * 1000.0,
                hit.as_secs_f64() * 1000.0
            );
            t.quit();
        }
        "warm" => {
            let apps: usize = args[3].parse().unwrap();
            let words = count_words(apps);
            let mut t = Tui::start(bin, graph, cache.path());
            let cold = t.until(Duration::from_secs(600), |s| listed(s, &words));
            // The cache is written off the loop once the list is complete.
            std::thread::sleep(Duration::from_secs(2));
            t.quit();
            // Warm starts after it: `warm GRAPH BIN APPS [STARTS]`.
            let starts: usize = args.get(4).map_or(1, |s| s.parse().unwrap());
            for _ in 0..starts {
                // The last run's process is gone and its memory given back.
                std::thread::sleep(Duration::from_secs(1));
                let mut t = Tui::start(bin, graph, cache.path());
                let cached = format!("{words} (cached");
                let warm = t.until(Duration::from_secs(60), |s| s.contains(&cached));
                let refreshed = t.until(Duration::from_secs(60), |s| listed(s, &words));
                println!(
                    "cold start to {words}: {:.0} ms; warm start to the cached list on screen: {:.0} ms; delta refresh done {:.0} ms after start ({:.0} ms after the cached list); peak RSS {} MB",
                    cold.as_secs_f64() * 1000.0,
                    warm.as_secs_f64() * 1000.0,
                    refreshed.as_secs_f64() * 1000.0,
                    (refreshed - warm).as_secs_f64() * 1000.0,
                    t.peak_rss_kb() / 1024
                );
                t.quit();
            }
        }
        "rss" => {
            let apps: usize = args[3].parse().unwrap();
            let words = count_words(apps);
            let mut t = Tui::start(bin, graph, cache.path());
            let at = t.until(Duration::from_secs(900), |s| listed(s, &words));
            // Typing and sorting once, as a user would, before reading the peak.
            t.send("/billing prod");
            std::thread::sleep(Duration::from_millis(500));
            t.send("\u{1b}s");
            std::thread::sleep(Duration::from_millis(500));
            println!(
                "{words} listed after {:.1} s; peak RSS {} MB",
                at.as_secs_f64(),
                t.peak_rss_kb() / 1024
            );
            t.quit();
        }
        other => panic!("unknown mode {other}"),
    }
}
