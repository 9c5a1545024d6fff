//! Where the real binary logs: by default in the user's state folder (`$XDG_STATE_HOME`, else
//! `~/.local/state`), folder 0700 and file 0600, and no longer in the cache folder;
//! `--log-file` still wins.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    root: tempfile::TempDir,
}

impl Run {
    fn new() -> Self {
        Self {
            root: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.root.path().join(p)
    }

    /// `azsecrets --sandbox apps list` with every per-user folder inside the temp dir; `state`
    /// says whether `XDG_STATE_HOME` is set.
    fn apps_list(&self, state: bool, extra: &[&str]) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_azsecrets"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .args(extra)
            .args(["--sandbox", "apps", "list", "--output", "json"]);
        if state {
            cmd.env("XDG_STATE_HOME", self.path("state"));
        }
        let out = cmd.output().expect("run azsecrets");
        assert!(
            out.status.success(),
            "apps list failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn assert_private_log(dir: &Path) {
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    let log = dir.join("azsecrets.log");
    assert_eq!(mode(&log), 0o600, "{}", log.display());
    let text = std::fs::read_to_string(&log).expect("read the log");
    assert!(
        text.contains("sandbox started"),
        "the run was logged: {text}"
    );
}

#[test]
fn logs_go_to_the_state_folder_created_private() {
    let run = Run::new();
    run.apps_list(true, &[]);
    assert_private_log(&run.path("state/azsecrets"));
    assert!(
        !run.path("cache/azsecrets/azsecrets.log").exists(),
        "the old cache-folder log is no longer written"
    );
}

#[test]
fn without_xdg_state_home_logs_go_to_local_state() {
    let run = Run::new();
    run.apps_list(false, &[]);
    assert_private_log(&run.path("home/.local/state/azsecrets"));
    assert!(!run.path("cache/azsecrets/azsecrets.log").exists());
}

#[test]
fn log_file_overrides_the_default() {
    let run = Run::new();
    let chosen = run.path("chosen/run.log");
    run.apps_list(true, &["--log-file", chosen.to_str().expect("utf-8 path")]);
    assert_eq!(mode(&chosen), 0o600);
    assert!(
        !run.path("state").exists(),
        "no default log beside the chosen one"
    );
}
