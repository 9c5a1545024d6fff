//! Copies run off the event loop: the runner hands a copy to its clipboard thread and returns at
//! once, even while the holder takes its time to answer; the `Copied` result arrives later on
//! the action channel. Copies still run one after the other, so two quick copies leave only
//! the newest holder running. A stand-in holder (a shell script) plays the slow holder, so no
//! display is needed. Runs on a current-thread runtime, where nothing may block the one thread.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(target_os = "linux")]

#[path = "handoff_support/mod.rs"]
mod handoff_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use tokio::sync::mpsc::{UnboundedReceiver, error::TryRecvError, unbounded_channel};

use azsecrets::app::{Action, CopyTarget, Effect};
use azsecrets::auth::{SourceKind, StaticToken};
use azsecrets::graph::GraphClient;
use azsecrets::handoff::CopyMethod;
use azsecrets::journal::Journal;
use azsecrets::secret::SecretValue;
use azsecrets::tui::Runner;

use handoff_support::{FakeHolder, alive, native_clipboard, wait_for};

/// A runner whose copies go to `holder` on a display that only the stand-in "uses", and whose
/// Graph client is never called (it points at a closed port).
fn runner(holder: &FakeHolder, pid_file: &std::path::Path) -> (Runner, UnboundedReceiver<Action>) {
    let client = GraphClient::new(
        "http://127.0.0.1:9/v1.0/".parse().expect("url"),
        StaticToken::new(SecretString::from("unused"), SourceKind::StaticToken),
    )
    .expect("client");
    let clipboard = native_clipboard(
        ":4095",
        Duration::from_secs(45),
        holder.exe.clone(),
        pid_file,
    );
    let (tx, rx) = unbounded_channel();
    let journal = Journal::at(pid_file.with_file_name("journal.jsonl"));
    (Runner::new(client, clipboard, journal, tx), rx)
}

async fn next(rx: &mut UnboundedReceiver<Action>) -> Action {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an answer within 10 s")
        .expect("the runner is alive")
}

fn secret() -> Arc<SecretValue> {
    Arc::new(SecretValue::new("Tst8Q~runner.bkgajbREp-VFFUayCuEk".into()))
}

#[tokio::test(flavor = "current_thread")]
async fn spawn_returns_at_once_and_the_copy_answers_later() {
    let holder = FakeHolder::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut runner, mut rx) = runner(&holder, &dir.path().join("holder.pid"));

    let started = Instant::now();
    runner.spawn(Effect::CopySecret {
        request: 7,
        value: secret(),
    });
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "spawn waited for the holder ({:?})",
        started.elapsed()
    );
    // The holder is up and waiting; the loop's thread is free meanwhile (this runtime has
    // only one thread, and the timer below runs on it).
    assert!(wait_for(Duration::from_secs(5), || holder.pids().len() == 1));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));

    holder.release();
    match runner.finish(next(&mut rx).await) {
        Some(Action::Copied(7, CopyTarget::SecretValue, Ok(report))) => {
            assert_eq!(report.method, CopyMethod::Native);
            assert!(report.confirmed, "the holder answered: confirmed");
            assert_eq!(report.status, "Copied to clipboard — clears in 45 s");
        }
        other => panic!("expected the copy's answer, got {other:?}"),
    }
    runner.abort_all();
}

#[tokio::test(flavor = "current_thread")]
async fn two_quick_copies_leave_only_the_newest_holder() {
    let holder = FakeHolder::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("holder.pid");
    let (mut runner, mut rx) = runner(&holder, &pid_file);

    runner.spawn(Effect::CopySecret {
        request: 1,
        value: secret(),
    });
    runner.spawn(Effect::CopyText {
        request: 2,
        label: "Application (client) ID",
        text: "00000000-0000-0000-0000-000000000001".into(),
    });
    holder.release();

    // In the order asked for.
    assert!(matches!(
        next(&mut rx).await,
        Action::Copied(1, CopyTarget::SecretValue, Ok(_))
    ));
    assert!(matches!(
        next(&mut rx).await,
        Action::Copied(2, CopyTarget::Text(_), Ok(_))
    ));
    let pids = holder.pids();
    assert_eq!(pids.len(), 2, "{pids:?}");
    assert!(!alive(pids[0]), "the first holder was stopped");
    assert!(alive(pids[1]), "the newest holder runs");
    let recorded = std::fs::read_to_string(&pid_file).expect("pid file");
    assert_eq!(recorded.trim(), pids[1].to_string());
}
