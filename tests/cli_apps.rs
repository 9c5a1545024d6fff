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
fn sandbox_apps_list_prefix_and_table() {
    let out = azsecrets()
        .args(["--sandbox", "apps", "list", "--prefix", "contoso"])
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
    // --prefix goes to Graph in the URL: refused before it is sent.
    let out = azsecrets()
        .args(["--sandbox", "apps", "list", "--prefix", &huge])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "bad input");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the request was not sent"), "{err}");
    assert!(err.contains("256 characters"), "{err}");
    assert!(!err.to_lowercase().contains("network"), "{err}");
    // --filter is matched here: a filter no name can match is a usage error, said briefly.
    let out = azsecrets()
        .args(["--sandbox", "apps", "list", "--filter", &huge])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "bad input");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("256 characters") && err.len() < 400, "{err}");

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

/// `apps list --filter` finds exactly what the terminal UI's `/` shows for the same text over
/// the same tenant (the generated apps are the same in every sandbox).
#[tokio::test]
async fn filter_matches_what_the_tui_filter_shows() {
    use azsecrets::app::{AppList, SortKey};
    use azsecrets::auth::{SourceKind, StaticToken};
    use azsecrets::graph::{AppQuery, GraphClient};
    use std::collections::BTreeSet;

    let sb = azsecrets::sandbox::start(azsecrets::sandbox::SandboxConfig {
        extra_apps: 3000,
        ..Default::default()
    })
    .await
    .unwrap();
    let client = GraphClient::new(
        sb.graph_url.clone(),
        StaticToken::new(sb.access_token.clone(), SourceKind::Sandbox),
    )
    .unwrap();
    let apps = client
        .list_all_applications(&AppQuery::default())
        .await
        .unwrap();
    for query in ["bil prd", "blng", "Contoso", "pay 12", "0a1b"] {
        let mut list = AppList::default();
        list.start_load(1);
        list.take_page(1, apps.clone(), false, "", SortKey::Name);
        list.refilter(query, SortKey::Name, true);
        let tui: BTreeSet<String> = list
            .view
            .iter()
            .map(|&i| list.rows[i as usize].id.to_string())
            .collect();
        let q = query.to_owned();
        let out = tokio::task::spawn_blocking(move || {
            azsecrets()
                .args([
                    "--sandbox",
                    "--sandbox-apps",
                    "3000",
                    "apps",
                    "list",
                    "--filter",
                    &q,
                    "--output",
                    "json",
                ])
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        let cli: BTreeSet<String> = rows
            .iter()
            .map(|r| r["objectId"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(cli, tui, "query {query:?}");
        if query != "0a1b" {
            assert!(!cli.is_empty(), "query {query:?} finds something");
        }
    }
}

/// `--sort` orders what streams otherwise: the same apps and secrets, by name or expiry, and the
/// packed ids and audiences come back exactly as Graph sent them.
#[test]
fn sorted_lists_hold_the_same_rows_in_order() {
    let json = |args: &[&str]| -> Vec<Value> {
        let out = azsecrets().args(args).output().unwrap();
        assert!(
            out.status.success() || out.status.code() == Some(6),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
        v.as_array().expect("an array").clone()
    };
    let lower = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_lowercase();
    let key = |v: &Value| v["objectId"].as_str().unwrap_or_default().to_owned();

    let streamed = json(&["--sandbox", "apps", "list", "--output", "json"]);
    let by_name = json(&[
        "--sandbox",
        "apps",
        "list",
        "--sort",
        "name",
        "--output",
        "json",
    ]);
    let names: Vec<String> = by_name.iter().map(|a| lower(a, "displayName")).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by name, ignoring case");
    // Each --sandbox run is a new tenant made "now": compare what does not move with the clock.
    let stable = |apps: &[Value]| -> Vec<String> {
        let mut v: Vec<String> = apps
            .iter()
            .map(|a| {
                format!(
                    "{} {} {} {} {} {}",
                    key(a),
                    a["appId"],
                    a["displayName"],
                    a["signInAudience"],
                    a["secrets"],
                    a["certificates"]
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        stable(&streamed),
        stable(&by_name),
        "the same apps, field for field"
    );
    let by_expiry = json(&[
        "--sandbox",
        "apps",
        "list",
        "--sort",
        "expiry",
        "--output",
        "json",
    ]);
    let ends: Vec<String> = by_expiry
        .iter()
        .filter_map(|a| a["nextExpiry"].as_str().map(str::to_owned))
        .collect();
    let parsed: Vec<chrono::DateTime<chrono::FixedOffset>> = ends
        .iter()
        .map(|e| chrono::DateTime::parse_from_rfc3339(e).unwrap())
        .collect();
    assert!(parsed.windows(2).all(|w| w[0] <= w[1]), "soonest first");
    assert!(
        by_expiry[by_expiry.len() - 1]["nextExpiry"].is_null(),
        "apps without credentials last"
    );

    let secrets = json(&[
        "--sandbox",
        "secrets",
        "list",
        "--sort",
        "name",
        "--output",
        "json",
    ]);
    let apps: Vec<String> = secrets.iter().map(|s| lower(s, "appName")).collect();
    let mut sorted = apps.clone();
    sorted.sort();
    assert_eq!(apps, sorted, "secrets by app name");
    let by_end = json(&[
        "--sandbox",
        "secrets",
        "list",
        "--sort",
        "expiry",
        "--output",
        "json",
    ]);
    assert_eq!(by_end.len(), secrets.len());
    let ends: Vec<chrono::DateTime<chrono::FixedOffset>> = by_end
        .iter()
        .filter_map(|s| s["endDateTime"].as_str())
        .map(|e| chrono::DateTime::parse_from_rfc3339(e).unwrap())
        .collect();
    assert!(
        ends.windows(2).all(|w| w[0] <= w[1]),
        "secrets soonest first"
    );
}
