//! Switching tenant end to end, headless, against the in-process sandbox (which has a second
//! tenant where the sandbox user is a guest): `T` lists the account's tenants from Resource
//! Manager, Enter signs in to the other one, and everything loads again there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

#[path = "tui_support.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use clap::Parser;
use ratatui::crossterm::event::KeyCode;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use azsecrets::app::{Action, App, Dialog, Effect, Settings};
use azsecrets::cli::Cli;
use azsecrets::handoff::{Clipboard, ClipboardMode};
use azsecrets::journal::Journal;
use azsecrets::session::Session;
use azsecrets::tui::Runner;
use support::{code, key, screen_text};

struct Harness {
    app: App,
    runner: Runner,
    rx: UnboundedReceiver<Action>,
    _state: tempfile::TempDir,
}

impl Harness {
    async fn run(&mut self, effects: Vec<Effect>) {
        for e in effects {
            self.runner.spawn(e);
        }
        while self.app.is_busy() {
            let action = tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
                .await
                .expect("an answer within 20 s")
                .expect("the runner is alive");
            let Some(action) = self.runner.finish(action) else {
                continue;
            };
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
}

async fn harness(args: &[&str]) -> (Harness, Arc<Session>) {
    let mut argv = vec!["azsecrets", "--sandbox"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).expect("flags parse");
    let session = Arc::new(
        Session::start(&cli.global.session())
            .await
            .expect("sandbox session"),
    );
    let (tx, rx) = unbounded_channel();
    let state = tempfile::tempdir().expect("state dir");
    let runner = Runner::new(
        session.client.clone(),
        Clipboard::new(ClipboardMode::None, Duration::from_secs(45)),
        Journal::at(state.path().join("journal.jsonl")),
        tx,
    )
    .with_cache(None)
    .with_clients(azsecrets::destination::Clients::from_session(&session).with_prefs(None))
    .with_session(session.clone(), None);
    let app = App::new(
        Settings {
            read_only: false,
            source: session.source,
        },
        Utc::now(),
    );
    let mut h = Harness {
        app,
        runner,
        rx,
        _state: state,
    };
    h.app.update(Action::Resize(support::size()));
    let fx = h.app.start();
    h.run(fx).await;
    (h, session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t_lists_the_tenants_and_switching_loads_the_other_one() {
    let (mut h, session) = harness(&[]).await;
    let home = h.app.tenant_id().unwrap().to_string();
    assert!(h.app.all.len() >= 40, "the sandbox tenant");
    h.keys(&[key('T')]).await;
    let Some(Dialog::TenantPicker(p)) = h.app.dialogs.last() else {
        panic!("the tenant picker");
    };
    assert_eq!(p.tenants.len(), 2, "{:?}", p.error);
    assert!(
        p.is_current(&p.tenants[p.selected]),
        "the current one is selected"
    );
    let text = screen_text(&h.app, 120, 40);
    assert!(
        text.contains("Switch tenant") && text.contains("● Contoso Sandbox"),
        "{text}"
    );
    assert!(text.contains("Fabrikam Partners"), "{text}");
    let other = p
        .tenants
        .iter()
        .find(|t| !p.is_current(t))
        .unwrap()
        .id
        .clone();
    // Esc keeps the tenant.
    h.keys(&[code(KeyCode::Esc)]).await;
    assert!(h.app.dialogs.is_empty());
    // T, down to the other tenant, Enter: signed in there, everything loaded again.
    h.keys(&[key('T')]).await;
    h.keys(&[code(KeyCode::Down), code(KeyCode::Enter)]).await;
    assert_eq!(h.app.tenant_id().unwrap().as_str(), other);
    assert_ne!(other, home);
    assert_eq!(h.app.all.len(), 4, "the second tenant's apps");
    assert!(h.app.me.value().is_some());
    let text = screen_text(&h.app, 120, 40);
    assert!(text.contains("Fabrikam Partners"), "{text}");
    assert!(text.contains("fabrikam-orders-api (prod)"), "{text}");
    // The session's other clients (Resource Manager) are untouched; switching back works.
    h.keys(&[key('T')]).await;
    let Some(Dialog::TenantPicker(p)) = h.app.dialogs.last() else {
        panic!("the tenant picker");
    };
    assert!(p.is_current(&p.tenants[p.selected]));
    h.keys(&[code(KeyCode::Up), code(KeyCode::Enter)]).await;
    assert_eq!(h.app.tenant_id().unwrap().as_str(), home);
    assert!(h.app.all.len() >= 40);
    drop(session);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_flag_starts_in_the_sandbox_second_tenant() {
    let (h, _session) = harness(&["--tenant", "fabrikam-partners.onmicrosoft.com"]).await;
    assert_eq!(
        h.app
            .organization
            .value()
            .and_then(|o| o.display_name.clone())
            .as_deref(),
        Some("Fabrikam Partners")
    );
    assert_eq!(h.app.all.len(), 4);
}

/// The vaults listed after `T` are the new tenant's: Key Vault and Resource Manager sign in
/// there too (the sandbox's second tenant has no subscription, so none of the home vaults).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_switch_the_vault_picker_lists_the_new_tenants_vaults() {
    let (mut h, session) = harness(&[]).await;
    let app_id = azsecrets::graph::ApplicationId::new("00000000-0000-4000-8000-000000000001");
    let vaults = async |h: &mut Harness, request: u64| {
        let tenant = h.app.tenant_id().unwrap().clone();
        h.runner.spawn(Effect::ListVaults {
            request,
            tenant,
            app_id: app_id.clone(),
            rotating: None,
        });
        loop {
            let action = tokio::time::timeout(Duration::from_secs(20), h.rx.recv())
                .await
                .expect("an answer")
                .expect("the runner is alive");
            if let Action::VaultsListed(r, found) = action
                && r == request
            {
                return found
                    .choices
                    .vaults
                    .iter()
                    .map(|v| v.name.clone())
                    .collect::<Vec<String>>();
            }
        }
    };
    let home = vaults(&mut h, 9_001).await;
    assert!(
        home.iter().any(|v| v == "contoso-sandbox-kv"),
        "the home tenant's vaults: {home:?}"
    );
    h.keys(&[key('T')]).await;
    h.keys(&[code(KeyCode::Down), code(KeyCode::Enter)]).await;
    assert_eq!(h.app.all.len(), 4, "switched to the second tenant");
    let there = vaults(&mut h, 9_002).await;
    assert!(
        there.iter().all(|v| !home.contains(v)),
        "no vault of the home tenant after the switch: {there:?}"
    );
    drop(session);
}
