//! The real binary's sign-in: the automatic order, `--auth` errors, `whoami`, `logout`, the
//! refresh-token cache (0600, reused, removed), and no token in a trace-level log file.
//! Each run gets a clean environment (no inherited AZURE_* / AZSECRETS_* variables), a temporary
//! `XDG_CACHE_HOME`, and a sandbox started in this process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Output;

use secrecy::ExposeSecret;

use azsecrets::auth::{CacheKey, TokenCache};
use azsecrets::sandbox::{self, Route, RunningSandbox, SandboxConfig};

const DEFAULT_CLIENT: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn cache_home(&self) -> PathBuf {
        self.dir.path().join("cache")
    }
    fn cache(&self) -> TokenCache {
        TokenCache::at(self.cache_home().join("azsecrets").join("signin.json"))
    }
    fn log(&self) -> PathBuf {
        self.dir.path().join("azsecrets.log")
    }
    /// A PATH with no az at all.
    fn empty_path(&self) -> PathBuf {
        let p = self.dir.path().join("empty-bin");
        std::fs::create_dir_all(&p).unwrap();
        p
    }
}

fn fake_az_path(variant: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fake-az")
        .join(variant);
    // The scripts need sh, date, dirname and cat.
    format!("{}:/usr/bin:/bin", dir.display())
}

async fn fast_sandbox() -> RunningSandbox {
    sandbox::start(SandboxConfig {
        device_polls: 1,
        // The child process runs on a real clock: keep device-code polling short.
        device_interval_secs: 1,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

async fn run(env: &Env, path: &str, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_azsecrets"));
    cmd.env_clear()
        .env("PATH", path)
        .env("HOME", env.dir.path())
        .env("XDG_CACHE_HOME", env.cache_home())
        .env("AZSECRETS_LOG", "trace")
        .arg("--log-file")
        .arg(env.log())
        .args(args)
        .stdin(std::process::Stdio::null());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), cmd.output())
        .await
        .expect("azsecrets finished within a minute")
        .unwrap();
    eprintln!(
        "--- azsecrets {args:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sandbox_args(sb: &RunningSandbox) -> Vec<String> {
    vec![
        "--graph-url".into(),
        sb.graph_url.to_string(),
        "--login-url".into(),
        sb.login_url.to_string(),
    ]
}

fn with<'a>(base: &'a [String], more: &[&'a str]) -> Vec<&'a str> {
    base.iter()
        .map(String::as_str)
        .chain(more.iter().copied())
        .collect()
}

/// Nothing that looks like a bearer token, refresh token or device code in the log: the known
/// values, and any long run of base64url characters (sandbox tokens are 64+ of them).
fn assert_log_clean(env: &Env, known: &[&str]) {
    let log = std::fs::read_to_string(env.log()).unwrap_or_default();
    assert!(!log.is_empty(), "the run logged something at trace level");
    for k in known {
        assert!(!k.is_empty());
        assert!(!log.contains(k), "a secret value reached the log");
    }
    let mut run = 0usize;
    for c in log.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            run += 1;
            assert!(run < 60, "a token-like string reached the log");
        } else {
            run = 0;
        }
    }
    for needle in [
        "Bearer ey",
        "access_token=",
        "refresh_token=",
        "client_secret=",
    ] {
        assert!(!log.contains(needle), "{needle} in the log");
    }
}

fn cache_key(sb: &RunningSandbox) -> CacheKey {
    CacheKey {
        login: sb.login_url.to_string(),
        graph: sb.graph_url.to_string(),
        tenant: "organizations".into(),
        client_id: DEFAULT_CLIENT.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_run_caches_0600_reuses_it_and_logout_removes_it() {
    let sb = fast_sandbox().await;
    let env = Env::new();
    let base = sandbox_args(&sb);
    let path = env.empty_path();
    let path = path.to_str().unwrap();

    // First run: no az on PATH, nothing in the environment: device code.
    let out = run(&env, path, &[], &with(&base, &["whoami"])).await;
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains(&sb.tenant_id), "{stdout}");
    assert!(stdout.contains("signed in via: device code"), "{stdout}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("To sign in, use a web browser"), "{stderr}");
    assert!(
        !stdout.contains("To sign in"),
        "the prompt stays off stdout"
    );
    assert!(
        !stderr.contains("note:"),
        "no az, no note about az: {stderr}"
    );
    assert_eq!(sb.control().requests(Route::DeviceCode), 1);

    let cache = env.cache();
    let mode = std::fs::metadata(cache.path()).unwrap().permissions();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.mode() & 0o777, 0o600);
    let rt1 = cache
        .load(&cache_key(&sb))
        .unwrap()
        .expect("refresh token cached");

    // Second run: the cached refresh token signs in without a prompt, and is rotated.
    let out = run(
        &env,
        path,
        &[],
        &with(&base, &["whoami", "--output", "json"]),
    )
    .await;
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["tenant"]["id"], sb.tenant_id.as_str());
    assert_eq!(json["identity"]["kind"], "user");
    assert_eq!(json["source"], "device code");
    assert!(!text(&out.stderr).contains("To sign in"));
    assert_eq!(
        sb.control().requests(Route::DeviceCode),
        1,
        "no second prompt"
    );
    let rt2 = cache.load(&cache_key(&sb)).unwrap().unwrap();
    assert_ne!(rt1.expose_secret(), rt2.expose_secret());

    assert_log_clean(&env, &[rt1.expose_secret(), rt2.expose_secret()]);

    // logout removes the file and says what it removed.
    let out = run(&env, path, &[], &["logout"]).await;
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Removed 1 cached sign-in"), "{stdout}");
    assert!(
        stdout.contains(&cache.path().display().to_string()),
        "{stdout}"
    );
    assert!(stdout.contains(DEFAULT_CLIENT), "{stdout}");
    assert!(!cache.path().exists());
    let out = run(&env, path, &[], &["logout"]).await;
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("Nothing to remove"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_order_prefers_the_access_token_then_the_service_principal_then_az() {
    let sb = fast_sandbox().await;
    let env = Env::new();
    let base = sandbox_args(&sb);
    let (client_id, secret) = sb.control().automation_credentials();
    let token = sb.access_token.expose_secret().to_owned();
    let sp_vars = [
        ("AZURE_TENANT_ID", sb.tenant_id.as_str()),
        ("AZURE_CLIENT_ID", client_id.as_str()),
        ("AZURE_CLIENT_SECRET", secret.expose_secret()),
    ];
    let az_path = fake_az_path("new");

    // Everything available: the ready token wins.
    let mut all = sp_vars.to_vec();
    all.push(("AZSECRETS_ACCESS_TOKEN", token.as_str()));
    all.push(("FAKE_AZ_TOKEN", token.as_str()));
    let out = run(&env, &az_path, &all, &with(&base, &["whoami"])).await;
    assert!(text(&out.stdout).contains("signed in via: access token"));

    // Then the service principal (app-only: no /me).
    let mut sp_and_az = sp_vars.to_vec();
    sp_and_az.push(("FAKE_AZ_TOKEN", token.as_str()));
    let out = run(&env, &az_path, &sp_and_az, &with(&base, &["whoami"])).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "identity: service principal {client_id} (app-only: no /me, Owned tab hidden)"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("signed in via: service principal"),
        "{stdout}"
    );

    // Then the Azure CLI, when it is signed in.
    let out = run(
        &env,
        &az_path,
        &[("FAKE_AZ_TOKEN", token.as_str())],
        &with(&base, &["whoami"]),
    )
    .await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("signed in via: Azure CLI"), "{stdout}");
    assert_eq!(sb.control().requests(Route::DeviceCode), 0);

    assert_log_clean(&env, &[token.as_str(), secret.expose_secret()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_az_that_is_not_signed_in_falls_through_to_device_code() {
    let sb = fast_sandbox().await;
    let env = Env::new();
    let base = sandbox_args(&sb);
    // A half-configured service principal is passed over too, and said so.
    let out = run(
        &env,
        &fake_az_path("not-signed-in"),
        &[("AZURE_CLIENT_SECRET", "x")],
        &with(&base, &["whoami"]),
    )
    .await;
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("signed in via: device code"));
    assert_eq!(sb.control().requests(Route::DeviceCode), 1);
    // The prompt says why az was not used.
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("note: sign-in failed (Azure CLI): the Azure CLI is not signed in"),
        "{stderr}"
    );
    assert!(
        stderr.contains("note: service principal not used: AZURE_CLIENT_SECRET is set but AZURE_CLIENT_ID and AZURE_TENANT_ID are not"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_sources_explain_what_is_missing() {
    let sb = fast_sandbox().await;
    let env = Env::new();
    let base = sandbox_args(&sb);
    let empty = env.empty_path();
    let empty = empty.to_str().unwrap();

    // (PATH, environment, --auth and flags, what stderr must say)
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, &'a str, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        (
            empty.into(),
            vec![],
            "token",
            vec!["AZSECRETS_ACCESS_TOKEN"],
        ),
        (
            empty.into(),
            vec![("AZURE_CLIENT_ID", "x")],
            "env",
            vec!["AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"],
        ),
        (empty.into(), vec![], "cli", vec!["not installed"]),
        (
            fake_az_path("not-signed-in"),
            vec![],
            "cli",
            vec!["not signed in", "az login"],
        ),
        (
            fake_az_path("wrong-tenant"),
            vec![],
            "cli --tenant 84841066-274d-4ec0-a5c1-276be684bdd3",
            vec!["az login --tenant 84841066-274d-4ec0-a5c1-276be684bdd3"],
        ),
        (
            fake_az_path("expired"),
            vec![],
            "cli",
            vec!["expired", "az login"],
        ),
    ];
    for (path, vars, auth, wants) in cases {
        let mut args: Vec<&str> = vec!["--auth"];
        args.extend(auth.split(' '));
        args.push("whoami");
        let out = run(&env, &path, &vars, &with(&base, &args)).await;
        assert_eq!(
            out.status.code(),
            Some(3),
            "--auth {auth}: the sign-in exit code"
        );
        let stderr = text(&out.stderr);
        for w in wants {
            assert!(stderr.contains(w), "--auth {auth}: {w} in {stderr}");
        }
    }
    assert_eq!(sb.control().requests(Route::DeviceCode), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_client_secret_is_reported_without_echoing_it() {
    let sb = fast_sandbox().await;
    let env = Env::new();
    let base = sandbox_args(&sb);
    let (client_id, _) = sb.control().automation_credentials();
    let bad = "Bad8Q~this-is-not-the-secret-value-000000";
    let out = run(
        &env,
        env.empty_path().to_str().unwrap(),
        &[
            ("AZURE_TENANT_ID", sb.tenant_id.as_str()),
            ("AZURE_CLIENT_ID", client_id.as_str()),
            ("AZURE_CLIENT_SECRET", bad),
        ],
        &with(&base, &["whoami"]),
    )
    .await;
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("invalid_client"), "{stderr}");
    assert!(!stderr.contains(bad), "{stderr}");
    assert_log_clean(&env, &[bad]);
}
