//! What Graph does, seen by the terminal UI: the model and the effect runner, headless, with
//! the client's retry observer wired as `tui::run` wires it, against the sandbox's faults.
//! While reads are throttled the screen says so (with the wait and the attempt), the listing
//! still completes, and unreadable records of the hostile tenant end in a warning toast.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

#[path = "tui_support.rs"]
mod support;

mod hostile_support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc::unbounded_channel;

use azsecrets::app::{Action, App, Settings, ToastLevel};
use azsecrets::auth::{SourceKind, StaticToken};
use azsecrets::graph::GraphClient;
use azsecrets::handoff::{Clipboard, ClipboardMode};
use azsecrets::sandbox::{SandboxConfig, start};
use azsecrets::tui::Runner;

/// Start the app on `config`'s sandbox, and run it until nothing is in flight; every screen
/// drawn between two actions is returned.
async fn run(config: SandboxConfig) -> (App, Vec<String>) {
    let sb = start(config).await.unwrap();
    // The journal lives as long as the run; nothing here adds a secret.
    let state = tempfile::tempdir().unwrap();
    let creds = StaticToken::new(sb.access_token.clone(), SourceKind::Sandbox);
    let (tx, mut rx) = unbounded_channel();
    let observer = tx.clone();
    let client = GraphClient::new(sb.graph_url.clone(), creds)
        .unwrap()
        .with_observer(Arc::new(move |e| {
            let _ = observer.send(Action::GraphRetry(e));
        }));
    // One request at a time: "every second request refused" is a fixed pattern only then (with
    // concurrent cursors, one request can be the refused one six times running and the list
    // fails, one run in ten). Throttling under concurrent ranges is
    // listing_scan::a_throttled_scan_waits_together_and_still_lists_everything.
    let mut runner = Runner::new(
        client,
        Clipboard::new(ClipboardMode::None, Duration::from_secs(45)),
        azsecrets::journal::Journal::at(state.path().join("journal.jsonl")),
        tx,
    )
    .with_list_concurrency(1);
    let mut app = App::new(
        Settings {
            read_only: false,
            source: SourceKind::Sandbox,
        },
        Utc::now(),
    );
    app.update(Action::Resize(support::size()));
    for e in app.start() {
        runner.spawn(e);
    }
    let mut screens = Vec::new();
    while app.is_busy() {
        let action = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("an answer within 30 s")
            .expect("the runner is alive");
        app.update(Action::Tick(Utc::now()));
        for e in app.update(action) {
            runner.spawn(e);
        }
        screens.push(support::screen_text(&app, 120, 40));
    }
    drop(sb);
    (app, screens)
}

#[tokio::test(flavor = "multi_thread")]
async fn while_graph_throttles_the_screen_says_so_and_the_list_completes() {
    let (app, screens) = run(SandboxConfig {
        throttle_every: Some(2),
        throttle_retry_after: 1,
        ..SandboxConfig::default()
    })
    .await;
    assert!(
        screens
            .iter()
            .any(|s| s.contains("Graph is throttling; retrying in 1 s, attempt 2 of 6")),
        "the wait was shown"
    );
    assert!(app.all.rows.len() > 30, "the list completed");
    assert!(app.retrying.is_none(), "and the status went with the wait");
    let last = screens.last().unwrap();
    assert!(!last.contains("throttling"), "{last}");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_are_retried_and_shown_the_same_way() {
    // A third of the requests fail with 500, 503 or 504. A run makes a few requests, so some
    // run soon meets a failure (a run without one proves nothing and is tried again); six
    // attempts in a row all failing is rare enough (0.3^6) that the list still completes.
    for _ in 0..10 {
        let (app, screens) = run(SandboxConfig {
            fail_rate: 0.3,
            throttle_retry_after: 0,
            ..SandboxConfig::default()
        })
        .await;
        if !screens.iter().any(|s| s.contains("retrying")) {
            continue;
        }
        assert!(
            screens
                .iter()
                .any(|s| s.contains("Graph answered 50") && s.contains("attempt 2 of 6")),
            "a 5xx wait names its status and the attempt"
        );
        assert!(app.all.rows.len() > 30, "the list completed");
        return;
    }
    panic!("ten runs without a single injected failure");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_records_end_in_a_warning_that_counts_them() {
    let (app, _) = run(SandboxConfig {
        tenant_file: Some(hostile_support::hostile_tenant()),
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(app.all.skipped, 2);
    let warning = app
        .toasts
        .iter()
        .find(|t| t.level == ToastLevel::Warning)
        .expect("a warning toast");
    assert!(
        warning.text.starts_with("Skipped 2 app registrations"),
        "{}",
        warning.text
    );
    assert!(app.all.rows.len() > 50);
}
