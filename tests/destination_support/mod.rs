//! A sandbox in the test process and the real binary signed in to it as the sandbox's service
//! principal (so its vaults, Resource Manager and token endpoint all answer), with recording
//! programs on PATH: `gh` and `store-it` write their argv, environment and stdin to files.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use azsecrets::sandbox::{RunningSandbox, SandboxConfig, SandboxResource, start};
use secrecy::ExposeSecret;
use serde_json::Value;

/// fabrikam-crm-sync: one client secret, takes another.
pub const APP: &str = "08b9ee49-95da-5f03-b3d7-179833728fda";
pub const VAULT: &str = "contoso-sandbox-kv";

pub struct Env {
    pub sb: RunningSandbox,
    pub dir: tempfile::TempDir,
}

/// A recording program: argv (one per line), environment and stdin go to `dir/{name}.argv`,
/// `.env`, `.stdin`; `gh auth status` fails when `dir/gh-signed-out` exists; `FAKE_FAIL` in its
/// environment makes it fail.
pub fn recorder(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join("bin").join(name);
    let rec = dir.display();
    std::fs::write(
        &p,
        format!(
            "#!/bin/sh\n\
             if [ \"$1\" = auth ]; then\n\
               if [ -e '{rec}/gh-signed-out' ]; then echo 'You are not logged into any GitHub hosts. To log in, run: gh auth login' >&2; exit 1; fi\n\
               echo 'Logged in to github.com' >&2; exit 0\n\
             fi\n\
             printf '%s\\n' \"$@\" >> '{rec}/{name}.argv'\n\
             env >> '{rec}/{name}.env'\n\
             cat >> '{rec}/{name}.stdin'\n\
             if [ -n \"$FAKE_FAIL\" ]; then echo \"{name} refused: HTTP 404\" >&2; exit 1; fi\n\
             echo '{name} stored it'\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

pub async fn env(config: SandboxConfig) -> Env {
    let sb = start(config).await.expect("sandbox");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    recorder(dir.path(), "gh");
    recorder(dir.path(), "store-it");
    Env { sb, dir }
}

impl Env {
    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    pub fn read(&self, p: &str) -> String {
        std::fs::read_to_string(self.path(p)).unwrap_or_default()
    }

    /// The real binary, signed in as the sandbox's service principal, its vaults and Resource
    /// Manager behind the flags, the fake programs first on PATH.
    pub fn cmd(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
        let (client_id, secret) = self.sb.control().automation_credentials();
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_azsecrets"));
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", self.dir.path())
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("AZURE_TENANT_ID", &self.sb.tenant_id)
            .env("AZURE_CLIENT_ID", &client_id)
            .env("AZURE_CLIENT_SECRET", secret.expose_secret())
            .env("AZSECRETS_LOG", "trace")
            .current_dir(self.dir.path())
            .args(["--log-file"])
            .arg(self.path("azsecrets.log"))
            .args([
                "--auth",
                "env",
                "--graph-url",
                self.sb.graph_url.as_str(),
                "--login-url",
                self.sb.login_url.as_str(),
                "--vault-url-template",
                &self.sb.vault_url_template,
                "--arm-url",
                self.sb.arm_url.as_str(),
            ])
            .args(args);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd.output().expect("runs")
    }

    pub fn secret_ids(&self, app: &str) -> Vec<String> {
        self.sb
            .control()
            .password_credentials(app)
            .expect("app")
            .into_iter()
            .map(|s| s.key_id)
            .collect()
    }

    /// The latest value of a vault secret, read as the sandbox user would.
    pub async fn vault_value(&self, vault: &str, name: &str) -> String {
        let token = self
            .sb
            .control()
            .issue_user_token_for(SandboxResource::KeyVault);
        let url = format!(
            "{}secrets/{name}/?api-version=7.5",
            self.sb.vault_url_template.replace("{name}", vault)
        );
        let body: Value = reqwest::Client::new()
            .get(url)
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["value"].as_str().unwrap_or_default().to_owned()
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
