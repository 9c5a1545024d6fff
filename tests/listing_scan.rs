//! Listing at tenant scale against the sandbox over HTTP: createdDateTime ranges paged at once
//! and deduplicated, the delta link that keeps a scan complete, delta rounds (changes,
//! removals, expiry and reset), `$search`, and the Graph rules the sandbox enforces for them
//! (docs/contract.md §9 and §10).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::collections::HashSet;
use std::time::Duration;

use azsecrets::auth::{SourceKind, StaticToken};
use azsecrets::graph::{
    AppRegistration, GraphClient, RetryPolicy, ScanEvent, ScanOptions, client::LIST_SELECT,
};
use azsecrets::sandbox::{DeltaFailure, Faults, Route, RunningSandbox, SandboxConfig, start};
use futures::StreamExt;
use secrecy::ExposeSecret;

async fn sandbox(config: SandboxConfig) -> (RunningSandbox, GraphClient) {
    let sb = start(config).await.expect("sandbox starts");
    let creds = StaticToken::new(sb.access_token.clone(), SourceKind::Sandbox);
    let client = GraphClient::new(sb.graph_url.clone(), creds)
        .expect("client")
        .with_retry(RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(3),
        });
    (sb, client)
}

/// Everything a scan yields, in arrival order.
struct Scanned {
    apps: Vec<AppRegistration>,
    patched: Vec<String>,
    removed: Vec<String>,
    delta_link: Option<String>,
    /// What the counts said to expect, and how many apps had come by then.
    expected: Option<(u64, usize)>,
}

async fn scan(client: &GraphClient, opts: ScanOptions, mut between: impl FnMut(usize)) -> Scanned {
    let mut events = client.scan_applications(&opts);
    let mut out = Scanned {
        apps: Vec::new(),
        patched: Vec::new(),
        removed: Vec::new(),
        delta_link: None,
        expected: None,
    };
    let mut n = 0;
    let mut done = false;
    while let Some(e) = events.next().await {
        match e.expect("scan event") {
            ScanEvent::Apps { items, .. } => out.apps.extend(items),
            ScanEvent::Expected { apps } => {
                assert!(out.expected.is_none(), "said once");
                out.expected = Some((apps, out.apps.len()));
            }
            ScanEvent::Changes(c) => {
                out.patched
                    .extend(c.patches.iter().map(|p| p.id.to_string()));
                out.removed.extend(c.removed.iter().map(|r| r.to_string()));
            }
            ScanEvent::Done { delta_link } => {
                out.delta_link = delta_link;
                done = true;
            }
        }
        n += 1;
        between(n);
    }
    assert!(done, "the scan ends with Done");
    out
}

fn ids(apps: &[AppRegistration]) -> Vec<String> {
    apps.iter().map(|a| a.id.to_string()).collect()
}

#[tokio::test]
async fn ranges_list_every_app_once_and_end_with_a_delta_link() {
    let (sb, client) = sandbox(SandboxConfig {
        extra_apps: 6000,
        ..SandboxConfig::default()
    })
    .await;
    let control = sb.control();
    let got = scan(&client, ScanOptions::default(), |_| {}).await;
    let all = ids(&got.apps);
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "no duplicates");
    assert_eq!(all.len(), control.app_count(), "every app");
    assert!(got.delta_link.is_some());
    assert!(
        control.requests(Route::CountApplications) >= 2,
        "slices counted"
    );
    // The counts, said before the ranges' pages: room for the whole list is reserved at once.
    let (expected, by_then) = got.expected.expect("the counted total");
    assert_eq!(expected as usize, control.app_count());
    assert!(by_then < 1000, "before the ranges: {by_then} apps had come");
    // Ranges, not one sequence: more listing requests than the 7 plain pages.
    assert!(control.requests(Route::ListApplications) > 7);
    // The bulk select leaves keyCredentials out (Graph's 150-a-minute rule).
    assert!(!LIST_SELECT.contains("keyCredentials"));

    // Sequential (concurrency 1) lists the same apps.
    let seq = scan(
        &client,
        ScanOptions {
            concurrency: 1,
            ..ScanOptions::default()
        },
        |_| {},
    )
    .await;
    let a: HashSet<String> = ids(&seq.apps).into_iter().collect();
    let b: HashSet<String> = all.into_iter().collect();
    assert_eq!(a, b);
}

#[tokio::test]
async fn a_scan_is_complete_against_changes_made_while_it_runs() {
    let (sb, client) = sandbox(SandboxConfig {
        extra_apps: 4000,
        latency: Duration::from_millis(30),
        ..SandboxConfig::default()
    })
    .await;
    let control = sb.control();
    let before = control.app_count();
    // The victims: apps the scan may or may not have listed when they change.
    let first = scan(
        &client,
        ScanOptions {
            track: false,
            ..ScanOptions::default()
        },
        |_| {},
    )
    .await;
    let doomed = first.apps[10].id.to_string();
    let renamed = first.apps[20].id.to_string();
    let mut added = None;
    let got = scan(&client, ScanOptions::default(), |n| {
        if n == 1 {
            added = Some(control.add_app("created-during-the-scan"));
            assert!(control.delete_app(&doomed));
            assert!(control.rename_app(&renamed, "renamed-during-the-scan"));
        }
    })
    .await;
    let added = added.unwrap();
    let listed: HashSet<String> = ids(&got.apps).into_iter().collect();
    assert!(listed.contains(&added), "the new app is in the listing");
    assert!(
        !listed.contains(&doomed) || got.removed.contains(&doomed),
        "the deleted app is absent or reported removed"
    );
    assert!(
        got.patched.contains(&renamed)
            || got
                .apps
                .iter()
                .any(|a| a.display_name == "renamed-during-the-scan"),
        "the rename is seen"
    );
    assert_eq!(control.app_count(), before, "one added, one deleted");
}

#[tokio::test]
async fn delta_rounds_report_changes_removals_and_expiry() {
    let (sb, client) = sandbox(SandboxConfig::default()).await;
    let control = sb.control();
    let link = client.delta_latest(LIST_SELECT).await.expect("latest");
    let before = control.requests(Route::Delta);
    // Nothing changed: one round trip, no changes, a new link.
    let pages: Vec<_> = client.delta_changes(&link).collect().await;
    assert_eq!(control.requests(Route::Delta) - before, 1);
    assert_eq!(pages.len(), 1);
    let page = pages.into_iter().next().unwrap().expect("page");
    assert!(page.changes.is_empty());
    let link = page.delta_link.expect("link");

    let id = control.add_app("delta-created");
    let victim = control.add_app("delta-victim");
    let pages: Vec<_> = client.delta_changes(&link).collect().await;
    let page = pages.into_iter().last().unwrap().expect("page");
    let created = page
        .changes
        .patches
        .iter()
        .find(|p| p.id.as_str() == id)
        .expect("created app reported");
    assert_eq!(
        created.to_registration().expect("whole").display_name,
        "delta-created"
    );
    let link = page.delta_link.expect("link");

    // An update carries the id and what changed; a deletion is @removed.
    let secret_app = control.add_app("delta-secrets");
    let link = {
        let pages: Vec<_> = client.delta_changes(&link).collect().await;
        pages
            .into_iter()
            .last()
            .unwrap()
            .unwrap()
            .delta_link
            .unwrap()
    };
    control.rename_app(&secret_app, "delta-renamed");
    control.delete_app(&victim);
    let pages: Vec<_> = client.delta_changes(&link).collect().await;
    let page = pages.into_iter().last().unwrap().expect("page");
    let renamed = page
        .changes
        .patches
        .iter()
        .find(|p| p.id.as_str() == secret_app)
        .expect("rename reported");
    assert_eq!(renamed.display_name.as_deref(), Some("delta-renamed"));
    assert!(renamed.app_id.is_none(), "only what changed");
    assert!(renamed.password_credentials.is_none());
    assert!(page.changes.removed.iter().any(|r| r.as_str() == victim));
    let link = page.delta_link.expect("link");

    control.fail_delta_tokens(DeltaFailure::Expired);
    let e = client
        .delta_changes(&link)
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert!(e.is_sync_reset(), "{e}");
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.code(), Some("syncStateNotFound"));

    let link = client.delta_latest(LIST_SELECT).await.unwrap();
    control.fail_delta_tokens(DeltaFailure::Reset);
    let e = client
        .delta_changes(&link)
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert!(e.is_sync_reset(), "{e}");
    assert_eq!(e.status(), Some(410));
}

#[tokio::test]
async fn a_throttled_scan_waits_together_and_still_lists_everything() {
    let (sb, client) = sandbox(SandboxConfig {
        extra_apps: 3000,
        ..SandboxConfig::default()
    })
    .await;
    let control = sb.control();
    control.set_faults(Faults {
        throttle_every: Some(9),
        throttle_retry_after: 1,
        ..Faults::none()
    });
    let got = scan(&client, ScanOptions::default(), |_| {}).await;
    let unique: HashSet<String> = ids(&got.apps).into_iter().collect();
    assert_eq!(unique.len(), control.app_count());
    assert!(client.throttle_gate().throttles() >= 1);
}

#[tokio::test]
async fn search_finds_apps_by_word_prefixes() {
    let (_sb, client) = sandbox(SandboxConfig {
        extra_apps: 2000,
        ..SandboxConfig::default()
    })
    .await;
    let hits = client
        .search_applications("billing prod", 999)
        .await
        .expect("search");
    assert!(!hits.is_empty());
    for h in &hits {
        let n = h.display_name.to_lowercase();
        assert!(n.contains("billing") && n.contains("prod"), "{n}");
    }
    assert!(
        client
            .search_applications("!x", 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing to search for"
    );
}

/// Raw requests, to check the sandbox answers as Graph does.
async fn get(sb: &RunningSandbox, path_and_query: &str, eventual: bool) -> (u16, String) {
    let http = reqwest::Client::new();
    let mut rb = http
        .get(format!("{}v1.0/{path_and_query}", sb.graph_url))
        .bearer_auth(sb.access_token.expose_secret());
    if eventual {
        rb = rb.header("ConsistencyLevel", "eventual");
    }
    let r = rb.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_sandbox_holds_the_filter_rules_graph_documents() {
    let (sb, _client) = sandbox(SandboxConfig {
        key_credentials_per_minute: 3,
        ..SandboxConfig::default()
    })
    .await;
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    // ge/le on createdDateTime: default queries.
    let (s, body) = get(
        &sb,
        &format!(
            "applications?$filter={}",
            enc("createdDateTime ge 2000-01-01T00:00:00Z and createdDateTime le 2999-01-01T00:00:00Z")
        ),
        false,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    // eq null: advanced only.
    let q = format!("applications?$filter={}", enc("createdDateTime eq null"));
    let (s, body) = get(&sb, &q, false).await;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("Request_UnsupportedQuery"));
    let (s, body) = get(&sb, &format!("{q}&$count=true"), true).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("\"@odata.count\":0"), "{body}");
    // gt/lt and contains are refused; so is an empty startswith.
    for (f, words) in [
        (
            "createdDateTime gt 2020-01-01T00:00:00Z",
            "Unsupported Query.",
        ),
        (
            "contains(displayName,'bill')",
            "Unsupported property filter clause operator 'Contains'.",
        ),
        (
            "startswith(displayName,'')",
            "Unsupported or invalid query filter clause specified for property 'displayName'",
        ),
    ] {
        let (s, body) = get(&sb, &format!("applications?$filter={}", enc(f)), false).await;
        assert_eq!(s, 400, "{f}: {body}");
        assert!(body.contains(words), "{f}: {body}");
    }
    // $search needs the header; $count too.
    let (s, body) = get(&sb, "applications?$search=%22displayName%3Aweb%22", false).await;
    assert_eq!(s, 400, "{body}");
    let (s, _) = get(&sb, "applications/$count", false).await;
    assert_eq!(s, 400);
    let (s, body) = get(&sb, "applications/$count", true).await;
    assert_eq!((s, body.trim().parse::<usize>().is_ok()), (200, true));
    // keyCredentials in $select: limited per minute (3 in this sandbox, 150 in Graph's).
    for n in 0..4 {
        let (s, body) = get(&sb, "applications?$select=id,keyCredentials", false).await;
        let want = if n < 3 { 200 } else { 429 };
        assert_eq!(s, want, "{n}: {body}");
    }
    let (s, _) = get(&sb, "applications?$select=id,passwordCredentials", false).await;
    assert_eq!(s, 200, "other selections are not limited");
    // Delta takes $select and an id filter only.
    let (s, _) = get(&sb, "applications/delta?$top=5", false).await;
    assert_eq!(s, 400);
    let (s, body) = get(
        &sb,
        &format!("applications/delta?$filter={}", enc("displayName eq 'x'")),
        false,
    )
    .await;
    assert_eq!(s, 400, "{body}");
}

#[tokio::test]
async fn an_initial_delta_round_pages_every_app_then_links_once() {
    let (sb, client) = sandbox(SandboxConfig {
        extra_apps: 450,
        delta_page_size: 100,
        ..SandboxConfig::default()
    })
    .await;
    let control = sb.control();
    let first = format!(
        "{}v1.0/applications/delta?$select=id,displayName",
        sb.graph_url
    );
    let pages: Vec<_> = client.delta_changes(&first).collect().await;
    let mut seen = HashSet::new();
    for (i, p) in pages.iter().enumerate() {
        let p = p.as_ref().expect("page");
        assert!(p.changes.patches.len() <= 100);
        assert_eq!(
            p.delta_link.is_some(),
            i + 1 == pages.len(),
            "one link, at the end"
        );
        for patch in &p.changes.patches {
            assert!(seen.insert(patch.id.to_string()));
        }
    }
    assert_eq!(seen.len(), control.app_count());
}
