//! No-leak, full run: the real TUI in a pseudo-terminal signs in to a sandbox, creates a secret,
//! shows it (`v`), copies it (OSC 52), writes a `.env`, and quits, with logging at trace level;
//! and a second run that sends a new secret to a key vault, a fake `gh` and a recording command
//! and checks that it signs in.
//! Then the value and the access token must appear nowhere else: not on the normal screen or in
//! scrollback after exit, not in the log, not in any process's command line or environment
//! sampled during the run, and not in any file under the working, home and cache folders other
//! than the chosen `.env`. (The token is handed to azsecrets in its own environment, as a user
//! would with `AZSECRETS_ACCESS_TOKEN`; it must not spread from there.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(target_os = "linux")]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use azsecrets::sandbox::{SandboxConfig, start};
use secrecy::ExposeSecret;

const ROWS: u16 = 40;
const COLS: u16 = 120;

mod pty_support;
use pty_support::Pty;
#[path = "destination_support/mod.rs"]
mod destination_support;

/// Every process's command line and environment, as seen right now.
fn sample_proc(out: &Mutex<Vec<(i32, String, Vec<u8>)>>) {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        for what in ["cmdline", "environ"] {
            if let Ok(bytes) = std::fs::read(format!("/proc/{pid}/{what}")) {
                out.lock().unwrap().push((pid, what.to_owned(), bytes));
            }
        }
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        let meta = std::fs::symlink_metadata(&p).expect("metadata");
        if meta.is_dir() {
            files_under(&p, out);
        } else if meta.is_file() {
            out.push(p);
        }
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_full_tui_run_leaks_neither_the_value_nor_the_token() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sb = runtime
        .block_on(start(SandboxConfig::default()))
        .expect("sandbox");
    let token = sb.access_token.expose_secret().to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let (work, home, cache) = (
        dir.path().join("work"),
        dir.path().join("home"),
        dir.path().join("cache"),
    );
    for d in [&work, &home, &cache] {
        std::fs::create_dir_all(d).expect("dirs");
    }
    let log = cache.join("azsecrets").join("azsecrets.log");
    // An entry this (live) test process keeps open, so the journal is not emptied when the
    // run's own entry ends, and what the run wrote there can be checked.
    let journal_path = home.join(".local/state/azsecrets/journal.jsonl");
    let journal = azsecrets::journal::Journal::at(&journal_path);
    keep_journal_open(&journal);

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azsecrets"));
    cmd.args([
        "--graph-url",
        sb.graph_url.as_str(),
        "--login-url",
        sb.login_url.as_str(),
    ])
    .args(["--clipboard", "osc52", "--log-file"])
    .arg(&log)
    .current_dir(&work)
    .env_clear()
    .env("PATH", std::env::var("PATH").unwrap_or_default())
    .env("TERM", "xterm-256color")
    .env("HOME", &home)
    .env("XDG_CACHE_HOME", &cache)
    .env("AZSECRETS_LOG", "trace")
    .env("AZSECRETS_ACCESS_TOKEN", &token);
    let mut t = Pty::spawn(cmd, dir, COLS, ROWS, 5000);
    let azsecrets_pid = t.session.get_process().pid().as_raw();

    // Sample every process's argv and environment throughout the run.
    let samples = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (samples, stop) = (samples.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                sample_proc(&samples);
                std::thread::sleep(Duration::from_millis(40));
            }
        })
    };

    t.add_secret("billing-api (stag", "noleak");
    t.send("v");
    let value = pty_support::shown_value(&t.wait_for("(v hides)"));
    assert_eq!(value.len(), 40, "read the value off the dialog");
    t.send("v");
    t.wait_for("(press v to show)");
    t.send("c");
    t.wait_for("OSC 52");
    t.send("w");
    t.wait_for("Write .env to");
    t.send("\r");
    t.wait_for(".env written");
    t.send("\x1b");
    t.send("\x1b");
    t.send("\x1b");
    t.send("q");
    let deadline = Instant::now() + Duration::from_secs(20);
    while t.session.get_process().is_alive().unwrap_or(false) {
        t.pump();
        assert!(Instant::now() < deadline, "azsecrets did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
    t.pump();
    stop.store(true, Ordering::SeqCst);
    sampler.join().expect("sampler");

    // The chosen .env has it (and only there may it be on disk).
    let env_file = work.join(".env");
    let env_text = std::fs::read_to_string(&env_file).expect(".env written");
    assert!(
        env_text.contains(&format!("AZURE_CLIENT_SECRET={value}")),
        "the .env holds the value"
    );

    // The normal screen and its scrollback after exit.
    assert!(!t.parser.screen().alternate_screen(), "terminal restored");
    let mut seen_screen = String::new();
    for back in (0..=5000usize).step_by(ROWS as usize) {
        t.parser.screen_mut().set_scrollback(back);
        seen_screen.push_str(&t.parser.screen().contents());
    }
    t.parser.screen_mut().set_scrollback(0);
    assert!(
        seen_screen.contains("Created client secret \"noleak\""),
        "the summary was printed:\n{seen_screen}"
    );
    assert!(
        !seen_screen.contains(&value),
        "the value is not on the normal screen or in scrollback"
    );
    assert!(
        !seen_screen.contains(&token),
        "the token is not on the screen"
    );

    // The log, at trace level, was written and has neither.
    let log_bytes = std::fs::read(&log).expect("log file written");
    assert!(log_bytes.len() > 1000, "trace logging produced a real log");
    assert!(!contains(&log_bytes, &value), "the value is not in the log");
    assert!(!contains(&log_bytes, &token), "the token is not in the log");

    // The journal recorded the creation (its Secret ID) and nothing secret.
    let journal_text = std::fs::read_to_string(&journal_path).expect("journal");
    assert!(
        journal_text.contains(r#""record":"created""#)
            && journal_text.contains(r#""outcome":"handed-off""#),
        "{journal_text}"
    );
    assert!(
        !journal_text.contains(&value),
        "the value is not in the journal"
    );
    assert!(
        !journal_text.contains(&token),
        "the token is not in the journal"
    );

    // Every file under work/home/cache other than the .env.
    let mut files = Vec::new();
    for d in [&work, &home, &cache] {
        files_under(d, &mut files);
    }
    assert!(files.len() >= 2, "{files:?}");
    for f in files.iter().filter(|f| **f != env_file) {
        let bytes = std::fs::read(f).expect("read");
        assert!(
            !contains(&bytes, &value),
            "the value leaked into {}",
            f.display()
        );
        assert!(
            !contains(&bytes, &token),
            "the token leaked into {}",
            f.display()
        );
    }

    // Command lines and environments of every process seen during the run.
    let samples = samples.lock().unwrap();
    let pids: HashSet<i32> = samples.iter().map(|(p, _, _)| *p).collect();
    assert!(
        pids.contains(&azsecrets_pid),
        "azsecrets itself was sampled"
    );
    for (pid, what, bytes) in samples.iter() {
        assert!(
            !contains(bytes, &value),
            "the value is in /proc/{pid}/{what}"
        );
        if *pid != azsecrets_pid || what == "cmdline" {
            assert!(
                !contains(bytes, &token),
                "the token spread to /proc/{pid}/{what}"
            );
        }
    }
}

/// A journal entry of this test process (alive all along): never pending, never compacted away.
pub fn keep_journal_open(journal: &azsecrets::journal::Journal) {
    let (pid, process_start) = azsecrets::journal::this_process();
    journal
        .begin(azsecrets::journal::Intent {
            tenant: Some("00000000-0000-4000-8000-000000000000".into()),
            app: azsecrets::journal::AppRef {
                object_id: "x".into(),
                app_id: "y".into(),
                name: "held open by the test".into(),
            },
            description: None,
            start_date_time: chrono::Utc::now(),
            end_date_time: chrono::Utc::now(),
            client_request_id: "none".into(),
            destination: "stdout".into(),
            pid,
            process_start,
        })
        .expect("journal");
}

#[test]
fn sending_to_a_vault_github_and_a_command_leaks_the_value_nowhere_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_owned();
    std::fs::create_dir_all(root.join("bin")).expect("bin");
    destination_support::recorder(&root, "gh");
    destination_support::recorder(&root, "store-it");
    let journal_path = root.join("state/azsecrets/journal.jsonl");
    keep_journal_open(&azsecrets::journal::Journal::at(&journal_path));
    let mut cmd = pty_support::azsecrets(&root);
    cmd.env(
        "PATH",
        format!(
            "{}:{}",
            root.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    )
    .env("XDG_CONFIG_HOME", root.join("config"))
    .env("AZSECRETS_LOG", "trace")
    .args([
        "--sandbox",
        "--sandbox-propagation-delay",
        "3",
        "--clipboard",
        "none",
    ]);
    let mut t = Pty::spawn(cmd, dir, COLS, ROWS, 5000);
    let azsecrets_pid = t.session.get_process().pid().as_raw();
    let samples = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (samples, stop) = (samples.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                sample_proc(&samples);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };

    t.add_secret("fabrikam", "noleak destinations");
    t.send("k");
    t.wait_for("contoso-sandbox-kv");
    t.send("sandbox\r");
    t.wait_for("Stored in key vault");
    t.send("g");
    t.wait_for("Set it as a GitHub Actions secret");
    t.send("contoso/billing\r");
    t.wait_for("Set as GitHub Actions secret");
    t.send("x");
    t.wait_for("Give the value to a command");
    t.send("store-it --name azure/noleak\r");
    t.wait_for("Taken by `store-it");
    t.send("t");
    t.wait_for("signs in ✓ after");
    t.send("\x1b");
    t.wait_gone("copy it now");
    t.send("\x1b");
    t.send("\x1b");
    t.send("q");
    let deadline = Instant::now() + Duration::from_secs(20);
    while t.session.get_process().is_alive().unwrap_or(false) {
        t.pump();
        assert!(Instant::now() < deadline, "azsecrets did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
    t.pump();
    stop.store(true, Ordering::SeqCst);
    sampler.join().expect("sampler");

    let gh_stdin = root.join("gh.stdin");
    let cmd_stdin = root.join("store-it.stdin");
    let value = std::fs::read_to_string(&cmd_stdin).expect("the command got the value");
    assert_eq!(value.len(), 40, "{value:?}");
    assert_eq!(
        std::fs::read_to_string(&gh_stdin).expect("gh got it"),
        value
    );

    let mut seen_screen = String::new();
    for back in (0..=5000usize).step_by(ROWS as usize) {
        t.parser.screen_mut().set_scrollback(back);
        seen_screen.push_str(&t.parser.screen().contents());
    }
    t.parser.screen_mut().set_scrollback(0);
    assert!(
        seen_screen.contains("stored in key vault contoso-sandbox-kv"),
        "the summary names the vault:\n{seen_screen}"
    );
    assert!(
        !seen_screen.contains(&value),
        "not on the screen or in scrollback"
    );

    let log = std::fs::read(root.join("azsecrets.log")).expect("log");
    assert!(log.len() > 1000, "trace logging produced a real log");
    assert!(!contains(&log, &value), "not in the log");
    let journal = std::fs::read_to_string(&journal_path).expect("journal");
    assert!(journal.contains(r#""outcome":"handed-off""#), "{journal}");
    let config = std::fs::read_to_string(root.join("config/azsecrets/config.json"))
        .expect("the vault is remembered");
    assert!(config.contains("contoso-sandbox-kv"));

    // Every file of the run but the two recorded stdins: the log, the journal, the config, the
    // recorded argv and environment of gh and the command.
    let mut files = Vec::new();
    files_under(&root, &mut files);
    assert!(files.len() >= 8, "{files:?}");
    for f in files.iter().filter(|f| **f != gh_stdin && **f != cmd_stdin) {
        let bytes = std::fs::read(f).expect("read");
        assert!(
            !contains(&bytes, &value),
            "the value leaked into {}",
            f.display()
        );
    }
    // No process's command line or environment, sampled all along.
    let samples = samples.lock().unwrap();
    assert!(samples.iter().any(|(p, _, _)| *p == azsecrets_pid));
    for (pid, what, bytes) in samples.iter() {
        assert!(
            !contains(bytes, &value),
            "the value is in /proc/{pid}/{what}"
        );
    }
}
