//! The hostile tenant (`tests/fixtures/hostile-tenant.json`) through every output path of the
//! scripting twin, as real processes against a sandbox serving it in this test process: tables,
//! messages, Graph's error text, retries, `whoami`, and the `secrets remove` prompt (in a
//! pseudo-terminal). Nothing that could drive a terminal reaches stdout or stderr; the
//! placeholders show what was there; JSON keeps the exact text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::process::Output;

use azsecrets::sandbox::{Faults, SandboxConfig};
use secrecy::ExposeSecret;
use serde_json::Value;

mod hostile_support;
use hostile_support::{PROTECTED_APP, SECRETS_APP, assert_terminal_safe, hostile_tenant};

mod cli_support;
use cli_support::{code, stderr, stdout};

/// The binary against the hostile tenant; every run's output is checked terminal-safe.
struct Env(cli_support::Env);

impl std::ops::Deref for Env {
    type Target = cli_support::Env;
    fn deref(&self) -> &cli_support::Env {
        &self.0
    }
}

async fn env() -> Env {
    let config = SandboxConfig {
        tenant_file: Some(hostile_tenant()),
        ..SandboxConfig::default()
    };
    Env(cli_support::env(config, "250").await)
}

impl Env {
    fn cmd(&self, args: &[&str]) -> Output {
        let out = self
            .command()
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .args(args)
            .output()
            .expect("runs");
        assert_terminal_safe(&format!("stdout of {args:?}"), &out.stdout);
        assert_terminal_safe(&format!("stderr of {args:?}"), &out.stderr);
        out
    }
}

/// The fixture as JSON (its wire records hold lone surrogates, which serde_json refuses:
/// those are blanked for reading ids).
fn fixture() -> Value {
    let text = std::fs::read_to_string(hostile_tenant()).unwrap();
    serde_json::from_str(&text.replace("\\ud800", "?").replace("\\udc00", "?")).unwrap()
}

fn app_in_fixture(app_id: &str) -> Value {
    fixture()["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["appId"] == app_id)
        .cloned()
        .unwrap()
}

const EVIL: &str = "ZZevil\u{1b}]0;PWNED\u{7}\u{1b}[31mred";
const EVIL_SHOWN: &str = "ZZevil⟨U+001B⟩]0;PWNED⟨U+0007⟩⟨U+001B⟩[31mred";

#[tokio::test(flavor = "multi_thread")]
async fn apps_list_shows_placeholders_one_row_per_app_and_json_is_exact() {
    let env = env().await;
    let out = env.cmd(&["apps", "list"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let table = stdout(&out);
    for shown in [
        EVIL_SHOWN,
        "abc⟨U+202E⟩gpj.exe",
        "line one↵line two",
        "pay⟨U+200B⟩pal",
        "⟨U+009B⟩31m eight-bit CSI",
        "nul⟨U+0000⟩byte",
        "(no name)",
        "👩\u{200d}💻 dev team",
        "支払いサービス",
        "⟨+",
    ] {
        assert!(table.contains(shown), "{shown:?} in\n{table}");
    }
    // One line per app: no name split a row. The count is on stderr.
    let err = stderr(&out);
    let n: usize = err
        .lines()
        .find_map(|l| l.strip_suffix(" app registration(s)"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count: {err}"));
    assert_eq!(table.lines().count(), n + 1, "{table}");
    // The two records no one can read are left out and counted, the rest listed.
    assert!(
        err.contains("warning: skipped 2 app registrations"),
        "{err}"
    );
    // The 10,000-character name is cut to the table, with a mark.
    assert!(table.lines().all(|l| l.chars().count() < 400), "{table}");
    assert!(table.contains("NNNN…"), "{table}");

    let out = env.cmd(&["apps", "list", "--output", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["displayName"].as_str())
        .collect();
    assert_eq!(names.len(), n, "JSON lists what the table lists");
    for exact in [
        EVIL,
        "line one\nline two",
        "abc\u{202e}gpj.exe",
        "nul\u{0}byte",
        // A lone surrogate escape is repaired, the record kept.
        "wire lone \u{fffd} surrogate",
        "",
    ] {
        assert!(names.contains(&exact), "{exact:?} exactly, in JSON");
    }
    assert!(names.iter().any(|n| n.len() == 10_000));
    assert!(stderr(&out).contains("skipped 2"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_list_is_clean_and_unreadable_records_do_not_fail_the_check() {
    let env = env().await;
    let out = env.cmd(&["secrets", "list"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.contains(EVIL_SHOWN), "{table}");
    assert!(
        table.contains("⟨U+000D⟩⟨U+001B⟩[2K⟨U+001B⟩[1A"),
        "the line rewrite is shown, not done: {table}"
    );
    assert!(table.contains("⟨U+001B⟩[2*****"), "a hostile hint: {table}");
    assert!(table.contains("A very long description"), "{table}");
    assert!(stderr(&out).contains("skipped 2"), "{}", stderr(&out));

    // --check judges what it could read: expired secrets exit 6, never 5 for a bad record.
    let out = env.cmd(&["secrets", "list", "--check"]);
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert!(stderr(&out).contains("skipped 2"), "{}", stderr(&out));

    // JSON keeps the exact text, 10,000 characters included.
    let out = env.cmd(&["secrets", "list", "--app", SECRETS_APP, "--output", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let descs: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["description"].as_str())
        .collect();
    assert!(descs.contains(&EVIL), "{descs:?}");
    assert!(descs.iter().any(|d| d.chars().count() == 10_000));
    assert!(descs.contains(&"pay\u{200b}pal\nsecond line"));
}

#[tokio::test(flavor = "multi_thread")]
async fn graph_error_text_cannot_forge_lines_or_drive_the_terminal() {
    let env = env().await;
    let app = app_in_fixture(PROTECTED_APP);
    let key = app["passwordCredentials"][0]["keyId"].as_str().unwrap();
    let out = env.cmd(&[
        "secrets",
        "remove",
        "--app",
        PROTECTED_APP,
        "--key-id",
        key,
        "--yes",
    ]);
    assert_eq!(code(&out), 5, "Graph refused: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("Denied ⟨U+001B⟩]0;PWNED-403⟨U+0007⟩⟨U+001B⟩[2J↵error: forged line"),
        "{err}"
    );
    assert!(
        err.contains("Authorization_⟨U+001B⟩[31mRequestDenied"),
        "{err}"
    );
    assert!(
        !err.lines().any(|l| l.starts_with("error: forged")),
        "a newline in Graph's message cannot start a line of ours: {err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_and_server_errors_are_retried_then_reported_cleanly() {
    let env = env().await;
    // Every request throttled, Retry-After 0: every retry is used, each one said.
    env.sb.control().set_faults(Faults {
        throttle_every: Some(1),
        throttle_retry_after: 0,
        ..Faults::none()
    });
    let out = env.cmd(&["apps", "list"]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("note: Graph is throttling; retrying now, attempt 2 of 6"),
        "{err}"
    );
    assert!(err.contains("attempt 6 of 6"), "{err}");
    assert!(
        err.contains("Slow down ⟨U+001B⟩[6n⟨U+200B⟩"),
        "the tenant's 429 text, shown: {err}"
    );
    assert!(err.contains("TooManyRequests⟨U+001B⟩[5m"), "{err}");

    // Every request a 5xx (the tenant's text): the same.
    env.sb.control().set_faults(Faults {
        fail_rate: 1.0,
        throttle_retry_after: 0,
        ..Faults::none()
    });
    let out = env.cmd(&["secrets", "list"]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("note: Graph answered 503; retrying"), "{err}");
    assert!(
        err.contains("Broken ⟨U+001B⟩P+q544e⟨U+001B⟩\\⟨U+009B⟩31m"),
        "{err}"
    );

    // Every second request throttled: reads get through, nothing fails.
    env.sb.control().set_faults(Faults {
        throttle_every: Some(2),
        throttle_retry_after: 0,
        ..Faults::none()
    });
    let out = env.cmd(&["apps", "list", "--output", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(serde_json::from_slice::<Value>(&out.stdout).is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn whoami_shows_hostile_tenant_and_user_names_as_placeholders() {
    let env = env().await;
    // The ready token is the sandbox user's: /organization and /me both answer.
    let out = env.cmd(&["whoami"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("tenant: Hostile ⟨U+001B⟩]0;TENANT⟨U+0007⟩⟨U+202E⟩Tenant"),
        "{text}"
    );
    assert!(
        text.contains("Mallory ⟨U+001B⟩[31mHostile⟨U+200B⟩"),
        "{text}"
    );
    let out = env.cmd(&["whoami", "--output", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["tenant"]["name"],
        "Hostile \u{1b}]0;TENANT\u{7}\u{202e}Tenant"
    );
    assert_eq!(
        v["identity"]["displayName"],
        "Mallory \u{1b}[31mHostile\u{200b}"
    );
}

/// The confirmation prompt of `secrets remove`, on a real terminal: a description that tries
/// to rewrite it is shown, not obeyed, and the question is still the one asked.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_remove_prompt_cannot_be_rewritten_by_a_description() {
    use std::io::Read;
    use std::time::{Duration, Instant};

    let env = env().await;
    let app = app_in_fixture(SECRETS_APP);
    let forged = app["passwordCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["displayName"]
                .as_str()
                .is_some_and(|d| d.contains("old-test-key"))
        })
        .unwrap();
    let key = forged["keyId"].as_str().unwrap().to_owned();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_azsecrets"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("XDG_STATE_HOME", env.dir.path().join("state"))
        .env("TERM", "xterm")
        .env(
            "AZSECRETS_ACCESS_TOKEN",
            env.sb.access_token.expose_secret(),
        )
        .args([
            "--graph-url",
            env.sb.graph_url.as_str(),
            "--login-url",
            env.sb.login_url.as_str(),
            "secrets",
            "remove",
            "--app",
            SECRETS_APP,
            "--key-id",
            &key,
        ]);
    let mut session = expectrl::Session::spawn(cmd).expect("spawn in a pty");
    let mut raw = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&raw).contains("Type 'yes' to delete: ") {
        assert!(
            Instant::now() < deadline,
            "no prompt: {:?}",
            String::from_utf8_lossy(&raw)
        );
        if let Ok(n) = session.try_read(&mut buf) {
            raw.extend_from_slice(&buf[..n]);
        } else {
            std::thread::sleep(Duration::from_millis(30));
        }
    }
    std::io::Write::write_all(&mut session, b"no\r").unwrap();
    let end = Instant::now() + Duration::from_secs(20);
    while Instant::now() < end {
        match session.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
        if String::from_utf8_lossy(&raw).contains("Not deleted.") {
            break;
        }
    }
    assert_terminal_safe("the remove prompt", &raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.contains("Delete client secret '⟨U+000D⟩⟨U+001B⟩[2K⟨U+001B⟩[1A⟨U+001B⟩[2KDelete client secret 'old-test-key'"),
        "{text}"
    );
    assert!(text.contains("from 'hostile-secrets'?"), "{text}");
    assert!(text.contains("Not deleted."), "{text}");
    assert_eq!(
        env.sb
            .control()
            .password_credentials(SECRETS_APP)
            .unwrap()
            .len(),
        5,
        "nothing was deleted"
    );
}
