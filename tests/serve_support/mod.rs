//! `azsecrets sandbox serve` as its own process (so the tenant outlives a client that is killed),
//! and the real binary pointed at it with a temporary home and state folder.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Served {
    child: Child,
    pub graph_url: String,
    pub token: String,
    pub tenant_id: String,
}

impl Served {
    /// Start `azsecrets sandbox serve` with `knobs` and read its URL and token.
    pub fn start(knobs: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_azsecrets"))
            .args(["sandbox", "serve"])
            .args(knobs)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sandbox serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let (mut graph_url, mut token, mut tenant_id) = (None, None, None);
        let deadline = Instant::now() + Duration::from_secs(20);
        while graph_url.is_none() || token.is_none() || tenant_id.is_none() {
            assert!(
                Instant::now() < deadline,
                "sandbox serve did not say where it is"
            );
            let Some(Ok(line)) = lines.next() else {
                panic!("sandbox serve ended early");
            };
            let field = |name: &str| {
                line.trim()
                    .strip_prefix(name)
                    .and_then(|r| r.split_whitespace().next())
                    .map(str::to_owned)
            };
            graph_url = graph_url.or_else(|| field("Graph URL:"));
            token = token.or_else(|| field("Access token:"));
            tenant_id = tenant_id.or_else(|| field("Tenant ID:"));
        }
        // Keep reading (and dropping) its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            graph_url: graph_url.unwrap_or_default(),
            token: token.unwrap_or_default(),
            tenant_id: tenant_id.unwrap_or_default(),
        }
    }

    /// The real binary against this tenant: `dir` is its home, working folder and state.
    pub fn azsecrets(&self, dir: &Path) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_azsecrets"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir)
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .env("XDG_STATE_HOME", dir.join("state"))
            .env("XDG_RUNTIME_DIR", dir.join("run"))
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1")
            .env("AZSECRETS_ACCESS_TOKEN", &self.token)
            .current_dir(dir)
            .args(["--log-file"])
            .arg(dir.join("azsecrets.log"))
            .args([
                "--graph-url",
                &self.graph_url,
                "--login-url",
                &self.graph_url,
            ]);
        cmd
    }

    /// The client secrets of an app, read straight from Graph's JSON (keyId, displayName).
    pub fn secrets(&self, dir: &Path, app: &str) -> Vec<(String, Option<String>)> {
        let out = self
            .azsecrets(dir)
            .args(["secrets", "list", "--app", app, "--output", "json"])
            .output()
            .expect("secrets list");
        assert!(
            out.status.success(),
            "secrets list: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        rows.as_array()
            .expect("array")
            .iter()
            .map(|r| {
                (
                    r["secretId"].as_str().unwrap_or_default().to_owned(),
                    r["description"].as_str().map(str::to_owned),
                )
            })
            .collect()
    }

    pub fn journal(dir: &Path) -> PathBuf {
        dir.join("state/azsecrets/journal.jsonl")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Send `signal` to `pid`.
pub fn signal(pid: u32, signal: i32) {
    // SAFETY: kill() only sends a signal to a process this test started.
    let r = unsafe { libc::kill(pid as libc::pid_t, signal) };
    assert_eq!(r, 0, "kill({pid}, {signal})");
}
