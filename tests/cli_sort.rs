//! `apps list --sort` and `secrets list --sort` as real processes against a tenant made for
//! them: names equal but for case (and a Kelvin sign), equal expiry dates, an empty and a long
//! name, and records Graph could send (ids not in GUID form, an audience this version does not
//! know, dates with 7 and 9 fractional digits, no end date, empty versus missing descriptions
//! and hints). What `--sort` writes must be exactly what the listing writes, stably sorted
//! (ties in the order they came), whether the rows wait in a temporary file or in memory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::cmp::Ordering;

use azsecrets::sandbox::SandboxConfig;
use chrono::{DateTime, FixedOffset};
use serde_json::{Value, json};

mod cli_support;
use cli_support::{code, stderr};

fn guid(n: u32) -> String {
    format!("{n:08x}-5eed-4a11-8b00-{n:012x}")
}

/// A secret ending `end` days from now.
fn secret(n: u32, description: &str, end: Value) -> Value {
    json!({ "keyId": guid(0x5000 + n), "displayName": description, "hint": "Hnt",
            "startInDays": -30, "endInDays": end })
}

fn tenant() -> Value {
    let long = "N".repeat(1000);
    // (name, secrets' ends in days)
    let apps: Vec<(&str, Vec<Value>)> = vec![
        ("billing-api", vec![json!(10), json!(10), json!(40)]),
        ("Billing-API", vec![json!(10)]),
        ("BILLING-API", vec![]),
        ("\u{212a}elvin", vec![json!(10)]),
        ("kelvin", vec![json!(10), json!(-3)]),
        ("Kelvin", vec![]),
        ("支払いサービス", vec![json!(40)]),
        ("Émile", vec![json!(10)]),
        ("émile", vec![json!(10)]),
        ("", vec![json!(10)]),
        (&long, vec![json!(5)]),
        ("zeta", vec![]),
        ("alpha", vec![json!("never"), json!(-3)]),
    ];
    let mut n = 0;
    let mut list: Vec<Value> = apps
        .into_iter()
        .enumerate()
        .map(|(i, (name, ends))| {
            let i = i as u32;
            let secrets: Vec<Value> = ends
                .into_iter()
                .map(|end| {
                    n += 1;
                    secret(n, &format!("s{n}"), end)
                })
                .collect();
            json!({ "id": guid(0x1000 + i), "appId": guid(0x2000 + i), "displayName": name,
                    "createdDaysAgo": 10 + i, "passwordCredentials": secrets })
        })
        .collect();
    // As Graph could send them: sent verbatim.
    let end = "2030-01-02T03:04:05.123456789Z";
    list.push(json!({
        "id": guid(0x3001), "appId": guid(0x3002), "displayName": "wire one", "createdDaysAgo": 3,
        "wire": {
            "id": "not-a-guid-object", "appId": "8CB13BBA-D0C4-5A22-8BCD-1525C02AF07A",
            "displayName": "billing-api", "createdDateTime": "2021-05-06T07:08:09.1234567Z",
            "signInAudience": "AzureADFutureAudience",
            "passwordCredentials": [
                { "keyId": "key-not-a-guid", "displayName": "", "hint": null,
                  "startDateTime": "2024-01-02T03:04:05.1234567Z", "endDateTime": end },
                { "keyId": guid(0x3003), "displayName": null, "hint": "",
                  "startDateTime": null, "endDateTime": null }
            ],
            "keyCredentials": []
        }
    }));
    list.push(json!({
        "id": guid(0x3011), "appId": guid(0x3012), "displayName": "wire two", "createdDaysAgo": 4,
        "wire": {
            "id": guid(0x3011), "appId": guid(0x3012), "displayName": "Billing-api",
            "createdDateTime": null, "signInAudience": null,
            "passwordCredentials": [
                { "keyId": guid(0x3013), "displayName": "same end", "hint": "Abc",
                  "startDateTime": "2024-01-02T03:04:05Z", "endDateTime": end }
            ],
            "keyCredentials": []
        }
    }));
    json!({
        "tenant": { "id": guid(1), "displayName": "Sort Tenant", "domain": "sort.onmicrosoft.com",
                    "createdDateTime": "2024-01-01T00:00:00Z" },
        "user": { "id": guid(2), "displayName": "Sam Sort",
                  "userPrincipalName": "sam@sort.onmicrosoft.com" },
        "automation": { "appId": guid(0x2000), "keyId": guid(0x5001),
                        "clientSecret": "Srt8Q~sort-automation.not-a-real-key" },
        "apps": list
    })
}

/// The sandbox serving [`tenant`], and the folder that holds its file.
async fn env() -> (cli_support::Env, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&tenant()).unwrap()).unwrap();
    let config = SandboxConfig {
        tenant_file: Some(file),
        ..SandboxConfig::default()
    };
    (cli_support::env(config, "120").await, dir)
}

/// The JSON array a command writes, with one range cursor: the same arrival order every run.
fn json(env: &cli_support::Env, args: &[&str], tmpdir: Option<&str>) -> Vec<Value> {
    let mut cmd = env.command();
    if let Some(t) = tmpdir {
        cmd.env("TMPDIR", t);
    }
    let out = cmd
        .args(["--list-concurrency", "1"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn caseless(v: &Value, k: &str) -> Vec<char> {
    v[k].as_str()
        .unwrap()
        .chars()
        .flat_map(char::to_lowercase)
        .collect()
}

fn date(v: &Value, k: &str) -> Option<DateTime<FixedOffset>> {
    v[k].as_str()
        .map(|d| DateTime::parse_from_rfc3339(d).unwrap())
}

/// `rows` stably sorted by `by`: what `--sort` must write.
fn sorted(mut rows: Vec<Value>, by: impl Fn(&Value, &Value) -> Ordering) -> Vec<Value> {
    rows.sort_by(by);
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_sorted_are_the_listing_stably_sorted_field_for_field() {
    let (env, _tenant) = env().await;
    let listed = json(&env, &["apps", "list", "--output", "json"], None);
    // The records Graph could send arrived, as sent.
    let wire = listed
        .iter()
        .find(|a| a["objectId"] == "not-a-guid-object")
        .expect("the app whose id is not a GUID");
    assert_eq!(wire["appId"], "8CB13BBA-D0C4-5A22-8BCD-1525C02AF07A");
    assert_eq!(wire["signInAudience"], "AzureADFutureAudience");
    assert_eq!(
        wire["createdDateTime"],
        "2021-05-06T07:08:09.123456700+00:00"
    );
    assert_eq!(wire["nextExpiry"], "2030-01-02T03:04:05.123456789+00:00");
    assert!(listed.iter().any(|a| a["createdDateTime"].is_null()));
    assert!(listed.iter().any(|a| a["signInAudience"].is_null()));
    assert!(listed.iter().any(|a| a["displayName"] == ""));

    let by_name =
        |a: &Value, b: &Value| caseless(a, "displayName").cmp(&caseless(b, "displayName"));
    let want = sorted(listed.clone(), by_name);
    let names: Vec<&str> = want
        .iter()
        .map(|a| a["displayName"].as_str().unwrap())
        .collect();
    // Ties stay in the order they came: the test means something only if there are some.
    assert!(
        names
            .windows(2)
            .any(|w| w[0] != w[1] && w[0].to_lowercase() == w[1].to_lowercase()),
        "{names:?}"
    );
    for tmp in [None, Some("/nonexistent-folder-for-sorting")] {
        let got = json(
            &env,
            &["apps", "list", "--sort", "name", "--output", "json"],
            tmp,
        );
        assert_eq!(got, want, "by name (TMPDIR {tmp:?})");
    }

    let got = json(
        &env,
        &["apps", "list", "--sort", "expiry", "--output", "json"],
        None,
    );
    let next = |a: &Value| {
        let d = date(a, "nextExpiry");
        (d.is_none(), d)
    };
    let want = sorted(listed, |a, b| {
        next(a).cmp(&next(b)).then_with(|| by_name(a, b))
    });
    assert_eq!(got, want, "by expiry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_sorted_are_the_listing_stably_sorted_field_for_field() {
    let (env, _tenant) = env().await;
    let listed = json(&env, &["secrets", "list", "--output", "json"], None);
    let find = |id: &str| listed.iter().find(|s| s["secretId"] == id).unwrap();
    let odd = find("key-not-a-guid");
    assert_eq!(odd["objectId"], "not-a-guid-object");
    // An empty description reads as none (as the portal shows it); the hints keep empty and
    // missing apart.
    assert!(odd["description"].is_null());
    assert!(odd["hint"].is_null());
    assert_eq!(odd["startDateTime"], "2024-01-02T03:04:05.123456700+00:00");
    assert_eq!(odd["endDateTime"], "2030-01-02T03:04:05.123456789+00:00");
    let open = find(&guid(0x3003));
    assert!(open["description"].is_null() && open["endDateTime"].is_null());
    assert_eq!(open["hint"], "");

    // No end date sorts last.
    let end = |s: &Value| date(s, "endDateTime").map_or((1, None), |d| (0, Some(d)));
    let name = |s: &Value| s["appName"].as_str().unwrap().to_owned();
    let by_end = |a: &Value, b: &Value| end(a).cmp(&end(b)).then_with(|| name(a).cmp(&name(b)));
    let want = sorted(listed.clone(), by_end);
    for tmp in [None, Some("/nonexistent-folder-for-sorting")] {
        let got = json(
            &env,
            &["secrets", "list", "--sort", "expiry", "--output", "json"],
            tmp,
        );
        assert_eq!(got, want, "by expiry (TMPDIR {tmp:?})");
    }

    let got = json(
        &env,
        &["secrets", "list", "--sort", "name", "--output", "json"],
        None,
    );
    let want = sorted(listed, |a, b| {
        caseless(a, "appName")
            .cmp(&caseless(b, "appName"))
            .then_with(|| end(a).cmp(&end(b)))
    });
    assert_eq!(got, want, "by name");
}
