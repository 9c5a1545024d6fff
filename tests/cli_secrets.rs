//! The scripting twin as real processes against a sandbox running in this test process
//! (so state persists between commands): outputs, exit codes, errors, `--check`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use assert_cmd::Command;
use azsecrets::auth::{SourceKind, StaticToken};
use azsecrets::graph::{ApplicationId, GraphClient, NewApplication, SignInAudience};
use azsecrets::sandbox::SandboxConfig;
use serde_json::Value;

mod cli_support;
use cli_support::{code, stderr, stdout};

/// The binary against the sandbox, and a Graph client of the test's own on the same tenant.
struct Env {
    cli: cli_support::Env,
    client: GraphClient,
}

impl std::ops::Deref for Env {
    type Target = cli_support::Env;
    fn deref(&self) -> &cli_support::Env {
        &self.cli
    }
}

async fn env() -> Env {
    let cli = cli_support::env(SandboxConfig::default(), "80").await;
    let creds = StaticToken::new(cli.sb.access_token.clone(), SourceKind::Sandbox);
    let client = GraphClient::new(cli.sb.graph_url.clone(), creds).expect("client");
    Env { cli, client }
}

impl Env {
    async fn secret_count(&self, app_id: &str) -> usize {
        self.client
            .get_application_by_app_id(&ApplicationId::new(app_id))
            .await
            .expect("app")
            .password_credentials
            .len()
    }
}

const BILLING: &str = "b5784c6f-9642-501b-b761-8be2eec92262"; // contoso-billing-api (prod)

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_one_app_as_table_and_json() {
    let e = env().await;
    let o = e.cmd(&["secrets", "list", "--app", "contoso-billing-api (prod)"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("APP"), "{out}");
    assert_eq!(out.lines().count(), 4, "header + 3 secrets: {out}");
    for l in out.lines() {
        assert!(l.chars().count() <= 80, "80 columns: {l}");
    }

    let o = e.cmd(&["secrets", "list", "--app", BILLING, "--output", "json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for r in rows {
        for k in [
            "appName",
            "appId",
            "objectId",
            "description",
            "secretId",
            "hint",
            "startDateTime",
            "endDateTime",
            "daysLeft",
            "status",
            "longLived",
        ] {
            assert!(r.get(k).is_some(), "{k} in {r}");
        }
        assert_eq!(r["appId"], BILLING);
    }
    // Sorted by expiry, soonest first.
    let ends: Vec<&str> = rows
        .iter()
        .map(|r| r["endDateTime"].as_str().unwrap())
        .collect();
    let mut sorted = ends.clone();
    sorted.sort();
    assert_eq!(ends, sorted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_wide_check_fails_on_expiring_secrets_and_passes_on_healthy_ones() {
    let e = env().await;
    let o = e.cmd(&[
        "secrets",
        "list",
        "--expiring-within",
        "30d",
        "--check",
        "--output",
        "json",
    ]);
    assert_eq!(code(&o), 6, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    let rows = v.as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        let s = r["status"].as_str().unwrap();
        assert!(
            ["expired", "within_7_days", "within_30_days"].contains(&s),
            "{r}"
        );
    }
    assert!(stderr(&o).contains("check failed"));

    // A new app with one healthy secret passes the check.
    let app = e
        .client
        .create_application(&NewApplication {
            display_name: "healthy-app".into(),
            sign_in_audience: SignInAudience::AzureADMyOrg,
            web: None,
        })
        .await
        .unwrap();
    let o = e.cmd(&[
        "secrets",
        "add",
        "--app",
        app.app_id.as_str(),
        "--expires",
        "12m",
        "--to",
        "stdout",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = e.cmd(&[
        "secrets",
        "list",
        "--app",
        "healthy-app",
        "--expiring-within",
        "90d",
        "--check",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_to_stdout_prints_the_value_alone_and_metadata_on_stderr() {
    let e = env().await;
    let before = e.secret_count(BILLING).await;
    let o = e.cmd(&[
        "secrets",
        "add",
        "--app",
        BILLING,
        "--description",
        "ci",
        "--expires",
        "6m",
        "--to",
        "stdout",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let value = out.trim_end_matches('\n');
    assert_eq!(out.lines().count(), 1);
    assert_eq!(value.len(), 40, "the real format");
    let err = stderr(&o);
    assert!(!err.contains(value), "the value is not on stderr");
    assert!(err.contains(&format!("{}*****", &value[..3])), "{err}");
    assert!(err.contains("Secret ID"), "{err}");
    assert_eq!(e.secret_count(BILLING).await, before + 1);

    // 6m is six calendar months, not six minutes.
    let o = e.cmd(&["secrets", "list", "--app", BILLING, "--output", "json"]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let row = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["description"] == "ci")
        .unwrap();
    let days = row["daysLeft"].as_i64().unwrap();
    assert!(
        (180..=184).contains(&days),
        "six months is ~181-184 days, got {days}"
    );
    assert_eq!(row["hint"].as_str().unwrap(), &value[..3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_to_env_file_writes_the_block_and_json_has_no_value() {
    let e = env().await;
    let o = e.cmd(&[
        "secrets",
        "add",
        "--app",
        BILLING,
        "--expires",
        "90d",
        "--to",
        "env-file:app.env",
        "--output",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let path = e.dir.path().join("app.env");
    let text = std::fs::read_to_string(&path).expect(".env written");
    let secret_line = text
        .lines()
        .find(|l| l.starts_with("AZURE_CLIENT_SECRET="))
        .expect("secret line");
    let value = secret_line
        .trim_start_matches("AZURE_CLIENT_SECRET=")
        .trim_matches('"');
    assert_eq!(value.len(), 40);
    assert!(text.contains(&format!("AZURE_CLIENT_ID={BILLING}")));
    assert!(text.contains(&format!("AZURE_TENANT_ID={}", e.sb.tenant_id)));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let json: Value = serde_json::from_str(&stdout(&o)).expect("json on stdout");
    assert!(json.get("secretText").is_none());
    assert_eq!(json["hint"].as_str().unwrap(), &value[..3]);
    assert!(!stdout(&o).contains(value) && !stderr(&o).contains(value));
}

/// The description limit is Graph's (docs/contract.md section 1), the same as the TUI's: the
/// longest is stored as given, one character more changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_longest_description_graph_takes_is_accepted_and_one_more_is_refused() {
    let e = env().await;
    let before = e.secret_count(BILLING).await;
    let longest = "é".repeat(azsecrets::new_secret::MAX_DESCRIPTION);
    let add = |d: &str| {
        e.cmd(&[
            "secrets",
            "add",
            "--app",
            BILLING,
            "--description",
            d,
            "--to",
            "stdout",
            "--output",
            "json",
        ])
    };
    let o = add(&longest);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["description"].as_str(), Some(longest.as_str()));
    let o = add(&format!("{longest}x"));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("--description"), "{}", stderr(&o));
    assert_eq!(e.secret_count(BILLING).await, before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_before_anything_changes() {
    let e = env().await;
    let before = e.secret_count(BILLING).await;
    for (args, expect) in [
        (vec!["--expires", "6x"], "not a lifetime"),
        (vec!["--expires", "2020-01-01"], "not in the future"),
        (vec!["--expires", "0d"], "at least one day"),
    ] {
        let mut a = vec!["secrets", "add", "--app", BILLING, "--to", "stdout"];
        a.extend(args);
        let o = e.cmd(&a);
        assert_eq!(code(&o), 2, "{a:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect), "{a:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty());
    }
    let o = e.cmd(&["secrets", "add", "--app", BILLING, "--to", "printer"]);
    assert_eq!(code(&o), 2);
    let o = e.cmd(&[
        "--read-only",
        "secrets",
        "add",
        "--app",
        BILLING,
        "--to",
        "stdout",
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--read-only"));
    assert_eq!(e.secret_count(BILLING).await, before, "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_ambiguous_apps_are_not_found() {
    let e = env().await;
    let o = e.cmd(&["secrets", "list", "--app", "no-such-app"]);
    assert_eq!(code(&o), 4);
    assert!(stderr(&o).contains("no app registration is named 'no-such-app'"));
    let o = e.cmd(&[
        "secrets",
        "list",
        "--app",
        "00000000-0000-0000-0000-000000000000",
    ]);
    assert_eq!(code(&o), 4);

    let mut ids = Vec::new();
    for _ in 0..2 {
        let app = e
            .client
            .create_application(&NewApplication {
                display_name: "twin-name".into(),
                sign_in_audience: SignInAudience::AzureADMyOrg,
                web: None,
            })
            .await
            .unwrap();
        ids.push(app.app_id);
    }
    let o = e.cmd(&["secrets", "list", "--app", "TWIN-NAME"]);
    assert_eq!(code(&o), 4);
    let err = stderr(&o);
    assert!(err.contains("2 app registrations are named"), "{err}");
    for id in ids {
        assert!(err.contains(id.as_str()), "lists {id}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_and_permission_refusals_carry_code_and_request_id() {
    let e = env().await;
    for (app, code_s, advice) in [
        (
            "finance-ledger-api",
            "CredentialInvalidLifetimeAsPerAppPolicy",
            "shorter --expires",
        ),
        (
            "restricted-partner-portal",
            "CredentialTypeNotAllowedAsPerAppPolicy",
            "certificate",
        ),
        (
            "corp-it-directory-sync (IT managed)",
            "Authorization_RequestDenied",
            "Application Administrator",
        ),
    ] {
        let o = e.cmd(&[
            "secrets",
            "add",
            "--app",
            app,
            "--expires",
            "180d",
            "--to",
            "stdout",
        ]);
        assert_eq!(code(&o), 5, "{app}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(code_s), "{app}: {err}");
        assert!(err.contains("request-id"), "{app}: {err}");
        assert!(err.contains(advice), "{app}: {err}");
        assert!(stdout(&o).is_empty());
    }
    // Within the 90-day policy it works.
    let o = e.cmd(&[
        "secrets",
        "add",
        "--app",
        "finance-ledger-api",
        "--expires",
        "90d",
        "--to",
        "stdout",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_asks_refuses_without_a_terminal_and_a_missing_id_is_not_success() {
    let e = env().await;
    let o = e.cmd(&[
        "secrets",
        "add",
        "--app",
        BILLING,
        "--description",
        "to-delete",
        "--to",
        "stdout",
        "--output",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        v["secretText"].is_string(),
        "--to stdout --output json carries the value"
    );
    let key = v["secretId"].as_str().unwrap().to_owned();
    let before = e.secret_count(BILLING).await;

    let o = e.cmd(&["secrets", "remove", "--app", BILLING, "--key-id", &key]);
    assert_eq!(code(&o), 2, "no terminal, no --yes: {}", stderr(&o));
    assert!(stderr(&o).contains("--yes"));
    assert_eq!(e.secret_count(BILLING).await, before);

    let o = e.cmd(&[
        "secrets",
        "remove",
        "--app",
        BILLING,
        "--key-id",
        &key[..8],
        "--yes",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("Deleted"));
    assert_eq!(e.secret_count(BILLING).await, before - 1);

    // Gone now: a Secret ID that is not on the app is "no such secret" (exit 4), so a
    // mistyped id never looks like success while the real secret lives on. (Changed on
    // purpose in issue 11: it used to say "already removed" and exit 0.)
    let o = e.cmd(&[
        "secrets", "remove", "--app", BILLING, "--key-id", &key, "--yes",
    ]);
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no such secret on this app"),
        "{}",
        stderr(&o)
    );
    let never = "51f95f0a-6ed5-4bbf-afe3-000000000000";
    let o = e.cmd(&[
        "secrets", "remove", "--app", BILLING, "--key-id", never, "--yes",
    ]);
    assert_eq!(code(&o), 4, "a GUID that never existed: {}", stderr(&o));
    assert_eq!(
        e.secret_count(BILLING).await,
        before - 1,
        "nothing else went"
    );
    // Scripts that may run twice say so.
    let o = e.cmd(&[
        "secrets",
        "remove",
        "--app",
        BILLING,
        "--key-id",
        &key,
        "--yes",
        "--ignore-missing",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing to do"), "{}", stderr(&o));

    let o = e.cmd(&[
        "secrets", "remove", "--app", BILLING, "--key-id", "zz", "--yes",
    ]);
    assert_eq!(code(&o), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_hand_off_rolls_the_new_secret_back() {
    let e = env().await;
    let before = e.secret_count(BILLING).await;
    // The desktop clipboard, with no display: the copy fails after the secret exists.
    let o = e.cmd(&[
        "--clipboard",
        "native",
        "secrets",
        "add",
        "--app",
        BILLING,
        "--to",
        "clipboard",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("deleted again"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Nothing of it remains"),
        "{}",
        stderr(&o)
    );
    // Flags and commands, never the terminal UI's keys.
    assert!(stderr(&o).contains("--clipboard"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("`v`"), "{}", stderr(&o));
    assert_eq!(
        e.secret_count(BILLING).await,
        before,
        "no orphan left behind"
    );
    // The journal recorded the roll-back: nothing is pending.
    let journal = e.dir.path().join(".local/state/azsecrets/journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap_or_default();
    assert!(
        text.is_empty(),
        "every entry done, so the file was emptied: {text}"
    );

    // A clipboard that is turned off could never take the value: refused before anything.
    let o = e.cmd(&[
        "--clipboard",
        "none",
        "secrets",
        "add",
        "--app",
        BILLING,
        "--to",
        "clipboard",
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing was created"), "{}", stderr(&o));
    assert_eq!(
        e.sb.control()
            .requests(azsecrets::sandbox::Route::AddPassword),
        1,
        "only the first command sent addPassword"
    );
}

#[test]
fn completions_and_man_page() {
    let o = Command::new(assert_cmd::cargo::cargo_bin!("azsecrets"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("azsecrets"));
    let o = Command::new(assert_cmd::cargo::cargo_bin!("azsecrets"))
        .arg("man")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains(".TH"));
}
