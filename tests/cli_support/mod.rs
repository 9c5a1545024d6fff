//! The scripting twin as a script runs it, against a sandbox in the test process (so state
//! persists between commands): a cleared environment, a temporary home and working folder,
//! the sandbox's access token, and its Graph and login URLs.
#![allow(dead_code)]

use std::process::Output;

use assert_cmd::Command;
use azsecrets::sandbox::{RunningSandbox, SandboxConfig, start};
use secrecy::ExposeSecret;

pub struct Env {
    pub sb: RunningSandbox,
    pub dir: tempfile::TempDir,
    /// `COLUMNS`: how wide the binary lays out its tables.
    columns: &'static str,
}

pub async fn env(config: SandboxConfig, columns: &'static str) -> Env {
    Env {
        sb: start(config).await.expect("sandbox"),
        dir: tempfile::tempdir().expect("tempdir"),
        columns,
    }
}

impl Env {
    /// The binary, ready for its arguments: only `PATH` kept from this environment.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("azsecrets"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env(
                "AZSECRETS_ACCESS_TOKEN",
                self.sb.access_token.expose_secret(),
            )
            .env("COLUMNS", self.columns)
            .current_dir(self.dir.path())
            .args([
                "--graph-url",
                self.sb.graph_url.as_str(),
                "--login-url",
                self.sb.login_url.as_str(),
            ]);
        cmd
    }

    /// Run the binary with `args` to the end.
    pub fn cmd(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("runs")
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}
