//! The model and the effect runner together, headless, against the in-process sandbox: the
//! same path as the terminal UI minus the terminal. Keys go through the key map; every effect
//! really reaches the emulated Graph (and the real `.env` writer).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

#[path = "tui_support.rs"]
mod support;

use std::time::Duration;

use chrono::Utc;
use clap::Parser;
use ratatui::crossterm::event::KeyCode;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use azsecrets::app::{Action, App, Dialog, Settings};
use azsecrets::cli::Cli;
use azsecrets::handoff::Clipboard;
use azsecrets::handoff::ClipboardMode;
use azsecrets::journal::Journal;
use azsecrets::session::Session;
use azsecrets::tui::Runner;
use support::{code, key, screen_text};

struct Harness {
    app: App,
    runner: Runner,
    rx: UnboundedReceiver<Action>,
    _session: Session,
    /// The journal's folder (a temporary state folder).
    state: tempfile::TempDir,
}

impl Harness {
    async fn start() -> Self {
        Self::start_with(&["azsecrets", "--sandbox"]).await
    }

    async fn start_with(args: &[&str]) -> Self {
        let cli = Cli::try_parse_from(args).expect("flags parse");
        let session = Session::start(&cli.global.session())
            .await
            .expect("sandbox session");
        let (tx, rx) = unbounded_channel();
        let state = tempfile::tempdir().expect("state dir");
        let runner = Runner::new(
            session.client.clone(),
            Clipboard::new(ClipboardMode::None, Duration::from_secs(45)),
            Journal::at(state.path().join("journal.jsonl")),
            tx,
        );
        let app = App::new(
            Settings {
                read_only: false,
                source: session.source,
            },
            Utc::now(),
        );
        let mut h = Self {
            app,
            runner,
            rx,
            _session: session,
            state,
        };
        h.app.update(Action::Resize(support::size()));
        let fx = h.app.start();
        h.run(fx).await;
        h
    }

    /// Run effects and feed results back until nothing is in flight.
    async fn run(&mut self, effects: Vec<azsecrets::app::Effect>) {
        for e in effects {
            self.runner.spawn(e);
        }
        while self.app.is_busy() {
            let action = tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
                .await
                .expect("an answer within 20 s")
                .expect("the runner is alive");
            let more = self.app.update(action);
            for e in more {
                self.runner.spawn(e);
            }
        }
    }

    async fn keys(&mut self, keys: &[ratatui::crossterm::event::KeyEvent]) {
        for k in keys {
            let fx = self.app.handle_key(*k);
            self.run(fx).await;
        }
    }

    async fn text(&mut self, s: &str) {
        let keys: Vec<_> = s.chars().map(key).collect();
        self.keys(&keys).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_write_env_close_and_delete_against_the_sandbox() {
    let mut h = Harness::start().await;
    assert!(h.app.all.rows.len() >= 30, "the seed tenant streamed in");
    assert!(h.app.organization.value().is_some());
    assert!(h.app.me.value().is_some());

    h.keys(&[key('/')]).await;
    h.text("billing-api (stag").await;
    assert_eq!(h.app.all.view.len(), 1);
    h.keys(&[code(KeyCode::Enter)]).await;
    let before = h
        .app
        .detail
        .as_ref()
        .and_then(|d| d.registration())
        .map(|a| a.password_credentials.len())
        .expect("the app loaded");
    assert!(
        h.app
            .detail
            .as_ref()
            .is_some_and(|d| d.federated.value().is_some())
    );

    // Add with 90 days.
    h.keys(&[key('n')]).await;
    h.text("headless").await;
    h.keys(&[code(KeyCode::Tab), code(KeyCode::Down), code(KeyCode::Tab)])
        .await;
    h.keys(&[code(KeyCode::Enter)]).await;
    let (hint, secret_id, value) = match h.app.dialogs.last() {
        Some(Dialog::Reveal(r)) => {
            assert_eq!(r.value.len(), 40, "Graph's 40-character value");
            assert_eq!(r.secret.hint.as_deref(), Some(r.value.hint().as_str()));
            let days = r
                .secret
                .end_date_time
                .zip(r.secret.start_date_time)
                .map(|(e, s)| (e - s).num_days());
            assert_eq!(days, Some(90));
            // A sandbox value, copied here only to check the file's contents.
            (
                r.value.hint(),
                r.secret.key_id.clone(),
                r.value.expose().to_owned(),
            )
        }
        other => panic!("expected the reveal dialog, got {other:?}"),
    };

    // No clipboard here: the dialog says what to do instead.
    h.keys(&[key('c')]).await;
    match h.app.dialogs.last() {
        Some(Dialog::Reveal(r)) => {
            let s = r.status.as_ref().expect("status");
            assert!(
                s.tone == azsecrets::app::Tone::Failed && s.text.contains("Press v"),
                "{}",
                s.text
            );
            assert!(!r.handed_off);
        }
        other => panic!("expected the reveal dialog, got {other:?}"),
    }

    // Write a .env into a temp dir (the real writer: 0600, atomic).
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("app.env");
    h.keys(&[key('w')]).await;
    let backspaces = vec![code(KeyCode::Backspace); 6];
    h.keys(&backspaces).await;
    h.text(&path.display().to_string()).await;
    h.keys(&[code(KeyCode::Enter)]).await;
    match h.app.dialogs.last() {
        Some(Dialog::Reveal(r)) => {
            let s = r.status.as_ref().expect("status");
            assert_eq!(s.tone, azsecrets::app::Tone::Done, "{}", s.text);
            assert!(r.handed_off);
        }
        other => panic!("expected the reveal dialog, got {other:?}"),
    }
    let env = std::fs::read_to_string(&path).expect(".env written");
    assert!(env.contains("AZURE_CLIENT_ID=") && env.contains("AZURE_TENANT_ID="));
    assert!(env.contains("AZURE_CLIENT_SECRET="));
    assert!(env.contains(&value), "the value itself went to the file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // Written, so Esc closes at once; the row is there with its hint.
    h.keys(&[code(KeyCode::Esc)]).await;
    assert!(h.app.dialogs.is_empty());
    let screen = screen_text(&h.app, 120, 40);
    assert!(screen.contains("headless") && screen.contains(&format!("{hint}*****")));
    assert!(screen.contains(&secret_id.as_str()[..12]));

    // Refresh: Graph has it too.
    h.keys(&[key('r')]).await;
    let d = h.app.detail.as_ref().expect("detail");
    assert_eq!(d.secrets().len(), before + 1);

    // Delete it (the new row is selected).
    h.keys(&[key('d'), code(KeyCode::Tab), code(KeyCode::Enter)])
        .await;
    assert!(h.app.dialogs.is_empty(), "{:?}", h.app.dialogs.last());
    h.keys(&[key('r')]).await;
    let d = h.app.detail.as_ref().expect("detail");
    assert_eq!(d.secrets().len(), before);
    assert!(d.secrets().iter().all(|s| s.key_id != secret_id));

    let summary = h.app.summary.to_string();
    assert!(summary.contains("Created client secret \"headless\""));
    assert!(summary.contains("Deleted client secret \"headless\""));
    assert!(summary.contains(&format!(".env written at {}", path.display())));
    assert!(!summary.contains(&value));
}

/// Policies the identity may read are said before any dialog opens: a blocked app gets a
/// warning naming the policy and pointing to certificates and federated credentials; a capped
/// app's Add dialog starts on the longest allowed choice with the others disabled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_are_said_before_the_submit() {
    let mut h = Harness::start().await;
    h.keys(&[key('/')]).await;
    h.text("restricted-partner").await;
    h.keys(&[code(KeyCode::Enter)]).await;
    h.keys(&[key('2'), key('n')]).await;
    assert!(
        h.app.dialogs.is_empty(),
        "no dialog opens: {:?}",
        h.app.dialogs
    );
    let toast = h.app.toasts.last().expect("a warning").text.clone();
    assert!(
        toast.contains("06a1f4e0-6fc7-52c8-8342-f34a4801c1e8"),
        "{toast}"
    );
    assert!(
        toast.contains("certificate") && toast.contains("federated"),
        "{toast}"
    );

    h.keys(&[code(KeyCode::Esc), code(KeyCode::Esc), key('/')])
        .await;
    h.text("finance-ledger").await;
    h.keys(&[code(KeyCode::Enter), key('n')]).await;
    let Some(Dialog::AddSecret(f)) = h.app.dialogs.last() else {
        panic!("the add dialog opens: {:?}", h.app.dialogs);
    };
    assert_eq!(f.expiry_choice().label(), "90 days (3 months)");
    let now = h.app.now;
    assert!(f.refusal(0, now).is_some(), "180 days is disabled");
    let screen = screen_text(&h.app, 120, 40);
    assert!(
        screen.contains("Unavailable: longer than the 90 days allowed by"),
        "{screen}"
    );
    assert!(
        screen.contains("bb8b7902-65a2-5a37-bc5d-b80cd90c71f3"),
        "{screen}"
    );
    // The arrows skip what the policy refuses; sending the 90 days works.
    h.keys(&[code(KeyCode::Tab), code(KeyCode::Down)]).await;
    let Some(Dialog::AddSecret(f)) = h.app.dialogs.last() else {
        panic!()
    };
    assert!(f.refusal(f.choice, now).is_none());
}

/// Without permission to read policies (403), the dialog opens as before, and Graph's
/// refusal comes back into it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_errors_come_back_into_the_dialog() {
    let dir = tempfile::tempdir().expect("dir");
    let mut seed: serde_json::Value =
        serde_json::from_str(include_str!("../assets/sandbox/tenant.json")).expect("seed");
    seed["user"]["canReadPolicies"] = serde_json::json!(false);
    let file = dir.path().join("tenant.json");
    std::fs::write(&file, seed.to_string()).expect("write");
    let mut h = Harness::start_with(&[
        "azsecrets",
        "--sandbox",
        "--sandbox-tenant-file",
        file.to_str().expect("utf-8"),
    ])
    .await;
    h.keys(&[key('/')]).await;
    h.text("restricted-partner").await;
    h.keys(&[code(KeyCode::Enter)]).await;
    let d = h.app.detail.as_ref().expect("detail");
    assert_eq!(
        d.policy.value(),
        Some(&azsecrets::policy::PolicyView::Unknown)
    );
    h.keys(&[key('2'), key('n'), code(KeyCode::Tab), code(KeyCode::Tab)])
        .await;
    h.keys(&[code(KeyCode::Enter)]).await;
    match h.app.dialogs.last() {
        Some(Dialog::AddSecret(f)) => {
            let e = f.submit.error.as_ref().expect("the refusal is shown");
            assert!(e.code.is_some() && e.request_id.is_some(), "{e:?}");
            assert!(f.submit.pending.is_none());
        }
        other => panic!("the add dialog stays open, got {other:?}"),
    }
}

/// Upload a certificate file, see what it says, upload it; the others stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_and_delete_a_certificate_against_the_sandbox() {
    let mut h = Harness::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let now = Utc::now();
    let made = azsecrets::certs::self_signed(
        "tui-upload.example",
        now - chrono::Duration::days(1),
        now + chrono::Duration::days(200),
        azsecrets::certs::KeyAlgorithm::P256,
    )
    .expect("cert");
    let pem = dir.path().join("upload.pem");
    std::fs::write(&pem, &made.cert_pem).expect("write");
    h.keys(&[key('/')]).await;
    h.text("contoso-signing").await;
    h.keys(&[code(KeyCode::Enter), key('1')]).await;
    let before = h.app.detail.as_ref().expect("detail").certificates().len();
    assert_eq!(before, 3);
    h.keys(&[key('u')]).await;
    h.text(pem.to_str().expect("utf-8")).await;
    h.keys(&[code(KeyCode::Enter)]).await;
    let screen = screen_text(&h.app, 120, 40);
    assert!(screen.contains("CN=tui-upload.example"), "{screen}");
    assert!(screen.contains(&made.info.thumbprint()), "{screen}");
    assert!(screen.contains("EC P-256 (256 bits)"), "{screen}");
    h.text("from the tui").await;
    h.keys(&[code(KeyCode::Tab), code(KeyCode::Enter)]).await;
    assert!(h.app.dialogs.is_empty(), "{:?}", h.app.dialogs);
    let d = h.app.detail.as_ref().expect("detail");
    assert_eq!(d.certificates().len(), 4, "the other three are kept");
    assert!(
        d.certificates()
            .iter()
            .any(|c| c.display_name.as_deref() == Some("from the tui"))
    );
    // Delete the first (soonest to expire): confirm starts on Cancel.
    h.keys(&[key('g'), key('d')]).await;
    let Some(Dialog::Confirm(c)) = h.app.dialogs.last() else {
        panic!("confirm: {:?}", h.app.dialogs)
    };
    assert_eq!(c.focus, azsecrets::app::ConfirmFocus::Safe);
    h.keys(&[code(KeyCode::Tab), code(KeyCode::Enter)]).await;
    assert!(h.app.dialogs.is_empty(), "{:?}", h.app.dialogs);
    assert_eq!(
        h.app.detail.as_ref().expect("detail").certificates().len(),
        3
    );
}

/// Rotate, then lose the new value: closing deletes the NEW secret (the default) against the
/// real sandbox, keeps the old one, offers nothing about the old one, and the journal ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_after_the_new_value_was_lost_keeps_the_old_secret() {
    let mut h = Harness::start().await;
    h.keys(&[key('/')]).await;
    h.text("billing-api (stag").await;
    h.keys(&[code(KeyCode::Enter)]).await;
    let old: Vec<String> = h
        .app
        .detail
        .as_ref()
        .expect("detail")
        .secrets()
        .iter()
        .map(|s| s.key_id.to_string())
        .collect();
    assert_eq!(old.len(), 1, "staging holds one secret: {old:?}");
    h.keys(&[key('R'), code(KeyCode::BackTab), code(KeyCode::BackTab)])
        .await;
    h.keys(&[code(KeyCode::Enter)]).await;
    let new = match h.app.dialogs.last() {
        Some(Dialog::Reveal(r)) => r.secret.key_id.to_string(),
        other => panic!("expected the reveal dialog, got {other:?}"),
    };
    let journal = h.state.path().join("journal.jsonl");
    let text = std::fs::read_to_string(&journal).expect("journaled");
    assert!(text.contains(&new), "the creation is journaled: {text}");
    // Esc asks; Enter takes the default: delete the new one.
    h.keys(&[code(KeyCode::Esc), code(KeyCode::Enter)]).await;
    assert!(
        h.app.dialogs.is_empty(),
        "no offer to delete the old one: {:?}",
        h.app.dialogs
    );
    h.keys(&[key('r')]).await;
    let now: Vec<String> = h
        .app
        .detail
        .as_ref()
        .expect("detail")
        .secrets()
        .iter()
        .map(|s| s.key_id.to_string())
        .collect();
    assert_eq!(now, old, "the old secret stays, the new one is gone");
    assert_eq!(
        std::fs::read_to_string(&journal).expect("journal"),
        "",
        "the entry ended rolled back"
    );
    let summary = h.app.summary.to_string();
    assert!(summary.contains("deleted it again"), "{summary}");
}

/// Another writer adds a certificate while the upload dialog is open: nothing is sent, the
/// dialog says so, the tab reads the app again, and the other writer's certificate is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_added_meanwhile_stops_the_upload_and_nothing_is_lost() {
    let mut h = Harness::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let now = Utc::now();
    let make = |cn: &str| {
        azsecrets::certs::self_signed(
            cn,
            now - chrono::Duration::days(1),
            now + chrono::Duration::days(200),
            azsecrets::certs::KeyAlgorithm::P256,
        )
        .expect("cert")
    };
    let mine = make("mine.example");
    let theirs = make("theirs.example");
    let pem = dir.path().join("mine.pem");
    std::fs::write(&pem, &mine.cert_pem).expect("write");
    h.keys(&[key('/')]).await;
    h.text("contoso-signing").await;
    h.keys(&[code(KeyCode::Enter), key('1'), key('u')]).await;
    h.text(pem.to_str().expect("utf-8")).await;
    h.keys(&[code(KeyCode::Enter)]).await;
    // Meanwhile, another writer.
    let control = h._session.sandbox.as_ref().expect("sandbox").control();
    assert!(control.add_certificate_now(
        "a270b967-985e-5a34-9317-52a29b306f69",
        theirs.info.der.clone()
    ));
    h.keys(&[code(KeyCode::Tab), code(KeyCode::Enter)]).await;
    let Some(Dialog::UploadCertificate(d)) = h.app.dialogs.last() else {
        panic!("the dialog stays: {:?}", h.app.dialogs)
    };
    let e = d.submit.error.as_ref().expect("said");
    assert!(e.message.contains("nothing was sent"), "{e:?}");
    assert_eq!(
        control.requests(azsecrets::sandbox::Route::PatchApplication),
        0
    );
    // The tab read the app again: the other writer's certificate shows.
    assert_eq!(
        h.app.detail.as_ref().expect("detail").certificates().len(),
        4
    );
    let held = control
        .key_credentials("a270b967-985e-5a34-9317-52a29b306f69")
        .expect("app");
    assert!(
        held.iter()
            .any(|k| k.der.as_deref() == Some(&theirs.info.der[..]))
    );
}
