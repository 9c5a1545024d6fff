//! `azsecrets --sandbox apps list` as a real process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use assert_cmd::Command;
use serde_json::Value;

fn azsecrets() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("azsecrets"));
    let dir = std::env::temp_dir().join(format!("azsecrets-cli-apps-{}", std::process::id()));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("XDG_CACHE_HOME", dir.join("cache"));
    cmd
}

#[test]
fn sandbox_apps_list_json_is_stable_and_complete() {
    let out = azsecrets()
        .args(["--sandbox", "apps", "list", "--output", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    let apps = v.as_array().expect("an array");
    assert!(
        apps.len() >= 30,
        "the seed tenant has about 40 apps, got {}",
        apps.len()
    );
    let keys = [
        "displayName",
        "appId",
        "objectId",
        "createdDateTime",
        "signInAudience",
        "secrets",
        "certificates",
        "nextExpiry",
        "status",
    ];
    for app in apps {
        let obj = app.as_object().unwrap();
        for k in keys {
            assert!(obj.contains_key(k), "missing {k} in {app}");
        }
        assert_eq!(obj.len(), keys.len(), "no unexpected fields: {app}");
        assert!(azsecrets::graph::is_guid(obj["appId"].as_str().unwrap()));
    }
    let statuses: std::collections::HashSet<&str> =
        apps.iter().filter_map(|a| a["status"].as_str()).collect();
    for s in ["expired", "within_7_days", "within_30_days", "ok"] {
        assert!(statuses.contains(s), "seed covers status {s}: {statuses:?}");
    }
    assert!(out.stderr.is_empty() || !String::from_utf8_lossy(&out.stderr).contains("error"));
}

#[test]
fn sandbox_apps_list_filter_and_table() {
    let out = azsecrets()
        .args(["--sandbox", "apps", "list", "--filter", "contoso"])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("DISPLAY NAME"));
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty());
    for r in &rows {
        assert!(r.chars().count() <= 80, "fits 80 columns: {r}");
        assert!(r.to_lowercase().starts_with("contoso"), "{r}");
    }
}

#[test]
fn bad_flags_are_usage_errors() {
    azsecrets()
        .args(["apps", "list", "--output", "xml"])
        .assert()
        .code(2);
    azsecrets()
        .args(["--graph-url", "http://graph.example.com", "apps", "list"])
        .env("AZSECRETS_ACCESS_TOKEN", "x")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("must use https"));
}

/// Issue 12: a request refused before it is sent is named for what it is, not "network".
#[test]
fn a_huge_filter_and_an_unsendable_token_are_not_network_errors() {
    let huge = "x".repeat(100_000);
    let out = azsecrets()
        .args(["--sandbox", "apps", "list", "--filter", &huge])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "bad input");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the request was not sent"), "{err}");
    assert!(err.contains("256 characters"), "{err}");
    assert!(!err.to_lowercase().contains("network"), "{err}");

    let out = azsecrets()
        .args([
            "--graph-url",
            "http://127.0.0.1:9",
            "--login-url",
            "http://127.0.0.1:9",
            "apps",
            "list",
        ])
        .env("AZSECRETS_ACCESS_TOKEN", "eyJ0.with\nline-break.sig")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "a sign-in problem");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the access token holds characters an HTTP header cannot carry"),
        "{err}"
    );
    assert!(
        !err.contains("line-break"),
        "the token is never printed: {err}"
    );
    assert!(!err.to_lowercase().contains("network"), "{err}");
}
