//! The reveal dialog's destinations and sign-in check, headless: `k` (a key vault picked from
//! Resource Manager's list, or typed), `g` (GitHub Actions), `x` (any command) and `t` (does it
//! sign in?), what each answer does to the close guard, the countdown, a rotation that checks
//! before it offers to delete the old secret; snapshots of every new state at 80x24 and 120x40;
//! and the same path through the real effect runner against the in-process sandbox.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

#[path = "tui_support.rs"]
mod support;

use std::time::Duration;

use ratatui::crossterm::event::KeyCode;

use azsecrets::app::{
    Action, App, Dialog, Effect, JournalNote, Listing, Reveal, RevealMode, SignInCheck,
};
use azsecrets::arm::Vault;
use azsecrets::destination::{
    ExecError, ExecOutput, GhError, SendError, Sent, Target, VaultChoices, VaultsFound,
};
use azsecrets::verify::{Verified, VerifyError, VerifyEvent};
use support::*;

macro_rules! snap {
    ($name:expr, $app:expr) => {{
        let app: &App = $app;
        let small = screen_text(app, 80, 24);
        let large = screen_text(app, 120, 40);
        assert!(!small.contains(FAKE_VALUE) && !large.contains(FAKE_VALUE));
        insta::assert_snapshot!(concat!($name, "_80x24"), small);
        insta::assert_snapshot!(concat!($name, "_120x40"), large);
    }};
}

fn vault(name: &str, rbac: bool, group: &str) -> Vault {
    Vault {
        id: format!(
            "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{name}"
        ),
        name: name.into(),
        location: Some("westeurope".into()),
        subscription_id: "0b1f6471-1bf0-4dda-aec3-111122223333".into(),
        resource_group: Some(group.into()),
        vault_uri: url::Url::parse(&format!("https://{name}.vault.azure.net/")).ok(),
        tenant_id: None,
        enable_rbac_authorization: Some(rbac),
    }
}

fn found() -> VaultsFound {
    VaultsFound {
        choices: VaultChoices {
            vaults: vec![
                vault("contoso-legacy-kv", false, "rg-legacy"),
                vault("contoso-prod-kv", true, "rg-app-secrets"),
                vault("fabrikam-kv", true, "rg-partners"),
            ],
            problems: vec![
                "subscription Contoso Dev (5c1d…) was skipped: 403 AuthorizationFailed".into(),
            ],
        },
        remembered: Some("contoso-prod-kv".parse().unwrap()),
        tagged: None,
    }
}

fn reveal(app: &App) -> &Reveal {
    match app.dialogs.last() {
        Some(Dialog::Reveal(r)) => r,
        other => panic!("expected the reveal dialog, got {other:?}"),
    }
}

/// `k`, and the listing's answer.
fn picker(app: &mut App) -> u64 {
    let fx = press(app, &[key('k')]);
    let Some(Effect::ListVaults {
        request,
        rotating,
        app_id,
        ..
    }) = fx.into_iter().next()
    else {
        panic!("k asks for the vaults");
    };
    assert_eq!(rotating, None);
    assert_eq!(app_id.as_str(), PAYMENTS_APPID);
    request
}

fn send_effect(fx: Vec<Effect>) -> (u64, Target, azsecrets::destination::About) {
    match fx.into_iter().next() {
        Some(Effect::SendSecret {
            request,
            target,
            about,
            value,
        }) => {
            assert_eq!(value.expose(), FAKE_VALUE, "the dialog's own value, shared");
            (request, target, about)
        }
        other => panic!("expected SendSecret, got {other:?}"),
    }
}

fn stored() -> Sent {
    Sent::KeyVault {
        vault: "contoso-prod-kv".into(),
        name: "payments-api".into(),
        version: Some("3f2a9c0d4b5e6f708192a3b4c5d6e7f8".into()),
    }
}

#[test]
fn the_vault_picker_preselects_the_last_vault_and_sends_to_the_chosen_one() {
    let mut app = revealed();
    let listing = picker(&mut app);
    assert!(matches!(reveal(&app).mode, RevealMode::KeyVault(_)));
    snap!("vault_picker_loading", &app);
    app.update(Action::VaultsListed(listing, found()));
    snap!("vault_picker", &app);
    let RevealMode::KeyVault(f) = &reveal(&app).mode else {
        panic!()
    };
    assert_eq!(f.vault.value(), "contoso-prod-kv", "remembered");
    assert!(matches!(f.listing, Listing::Ready(_)));

    let (request, target, about) = send_effect(press(&mut app, &[code(KeyCode::Enter)]));
    let Target::KeyVault(v) = target else {
        panic!("a vault target")
    };
    assert_eq!(v.vault.to_string(), "contoso-prod-kv");
    assert_eq!(
        v.uri.as_ref().map(url::Url::as_str),
        Some("https://contoso-prod-kv.vault.azure.net/"),
        "ARM's vaultUri"
    );
    assert_eq!(
        v.name.as_ref().map(ToString::to_string).as_deref(),
        Some("payments-api")
    );
    assert_eq!(
        about.secret_id.as_str(),
        "11112222-3333-4444-8555-666677778888"
    );
    assert_eq!(about.tenant_id, "72f988bf-86f1-41af-91ab-2d7cd011db47");
    assert_eq!(about.hint.as_deref(), Some("Fk3"));
    assert!(matches!(reveal(&app).mode, RevealMode::Normal));
    assert!(!reveal(&app).handed_off, "not until the vault answers");

    let fx = app.update(Action::SecretSent(request, Ok(stored())));
    assert!(reveal(&app).handed_off);
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Journal {
            note: JournalNote::HandedOff,
            ..
        }
    )));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::RememberVault { vault, .. } if vault.to_string() == "contoso-prod-kv"
    )));
    assert_eq!(app.summary.created.len(), 1);
    assert!(
        app.summary.created[0].destinations[0].contains("stored in key vault contoso-prod-kv"),
        "{:?}",
        app.summary.created[0].destinations
    );
    // Someone holds the value now: Esc closes without asking.
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(app.dialogs.is_empty());
}

#[test]
fn type_ahead_and_free_typing() {
    let mut app = revealed();
    let listing = picker(&mut app);
    let mut none_remembered = found();
    none_remembered.remembered = None;
    app.update(Action::VaultsListed(listing, none_remembered));
    type_text(&mut app, "contoso");
    snap!("vault_picker_typed", &app);
    // ↑ reaches what was typed: a vault the listing does not show, resolved by name.
    press(&mut app, &[code(KeyCode::Up), code(KeyCode::Tab)]);
    // The secret's name can be changed.
    press(&mut app, &[code(KeyCode::End)]);
    type_text(&mut app, "-2");
    let (_, target, _) = send_effect(press(&mut app, &[code(KeyCode::Enter)]));
    let Target::KeyVault(v) = target else {
        panic!()
    };
    assert_eq!(v.vault.to_string(), "contoso");
    assert_eq!(v.uri, None, "typed: through the URL template");
    assert_eq!(v.name.unwrap().to_string(), "payments-api-2");

    // A name that is not a vault name says so in the form.
    let mut app = revealed();
    let listing = picker(&mut app);
    app.update(Action::VaultsListed(listing, VaultsFound::default()));
    type_text(&mut app, "no");
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    assert!(fx.is_empty());
    let RevealMode::KeyVault(f) = &reveal(&app).mode else {
        panic!()
    };
    assert!(f.invalid.is_some());
    snap!("vault_picker_invalid", &app);
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(
        matches!(reveal(&app).mode, RevealMode::Normal),
        "Esc leaves the form"
    );
}

#[test]
fn github_and_command_forms() {
    let mut app = revealed();
    press(&mut app, &[key('g')]);
    type_text(&mut app, "contoso/payments");
    press(&mut app, &[code(KeyCode::Tab), code(KeyCode::Tab)]);
    type_text(&mut app, "production");
    press(&mut app, &[code(KeyCode::Tab)]);
    snap!("github_form", &app);
    let (r, target, _) = send_effect(press(&mut app, &[code(KeyCode::Enter)]));
    let Target::GitHub { target, variables } = target else {
        panic!()
    };
    assert!(variables, "the variables are set by default");
    assert_eq!(
        target.to_string(),
        "contoso/payments/AZURE_CLIENT_SECRET@production"
    );
    app.update(Action::SecretSent(
        r,
        Err(SendError::GitHub {
            target: target.to_string(),
            error: GhError::NotSignedIn {
                detail: "You are not logged into any GitHub hosts. To log in, run: gh auth login"
                    .into(),
            },
        }),
    ));
    assert!(!reveal(&app).handed_off, "a refusal is not a hand-off");

    press(&mut app, &[key('x')]);
    type_text(&mut app, "pass insert -m 'azure/payments");
    press(&mut app, &[code(KeyCode::Enter)]);
    snap!("exec_form_invalid", &app);
    press(&mut app, &[code(KeyCode::End)]);
    type_text(&mut app, "'");
    let (r, target, about) = send_effect(press(&mut app, &[code(KeyCode::Enter)]));
    let Target::Exec(cmd) = target else { panic!() };
    assert_eq!(cmd.args, vec!["insert", "-m", "azure/payments"]);
    assert_eq!(about.application_id.as_str(), PAYMENTS_APPID);
    app.update(Action::SecretSent(
        r,
        Err(SendError::Exec {
            command: cmd.to_string(),
            error: ExecError::Exited {
                program: "pass".into(),
                code: Some(1),
                output: ExecOutput {
                    stdout: String::new(),
                    stderr: "Error: password store is empty. Try \"pass init\".\n\u{1b}[31mred\u{1b}]0;title\u{7}\n".into(),
                    truncated: false,
                },
            },
        }),
    ));
    // Nobody holds it yet: closing asks.
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(matches!(reveal(&app).mode, RevealMode::ConfirmClose { .. }));
    press(&mut app, &[code(KeyCode::Esc)]);

    // One destination that took it is enough.
    press(&mut app, &[key('x')]);
    type_text(&mut app, "store-it");
    let (r, _, _) = send_effect(press(&mut app, &[code(KeyCode::Enter)]));
    snap!("reveal_sending", &app);
    app.update(Action::SecretSent(
        r,
        Ok(Sent::Exec {
            command: "store-it".into(),
            output: ExecOutput {
                stdout: "stored azure/payments\n".into(),
                stderr: String::new(),
                truncated: false,
            },
        }),
    ));
    snap!("reveal_answers", &app);
    let text = screen_text(&app, 120, 40);
    assert!(
        !text.contains('\u{1b}'),
        "a command's escapes never reach the screen"
    );
    assert!(text.contains("⟨U+001B⟩"), "shown as placeholders");
    assert!(reveal(&app).handed_off);
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(app.dialogs.is_empty());
}

#[test]
fn a_hand_off_in_flight_is_waited_for() {
    let mut app = revealed();
    press(&mut app, &[key('x')]);
    type_text(&mut app, "store-it");
    let (r, _, _) = send_effect(press(&mut app, &[code(KeyCode::Enter)]));
    // Esc must not offer to delete a secret a command may be taking right now.
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(matches!(reveal(&app).mode, RevealMode::Normal));
    // One destination at a time.
    press(&mut app, &[key('x')]);
    type_text(&mut app, "other");
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    assert!(fx.is_empty());
    // A quit waits for it.
    app.update(Action::Quit);
    assert!(matches!(app.dialogs.last(), Some(Dialog::Finishing(_))));
    app.update(Action::SecretSent(r, Ok(stored())));
    assert!(app.should_quit, "the value is held: the quit goes on");
}

fn verify_effect(fx: Vec<Effect>) -> u64 {
    fx.into_iter()
        .find_map(|e| match e {
            Effect::VerifySecret {
                request,
                tenant,
                app_id,
                value,
            } => {
                assert_eq!(tenant.as_str(), "72f988bf-86f1-41af-91ab-2d7cd011db47");
                assert_eq!(app_id.as_str(), PAYMENTS_APPID);
                assert_eq!(value.expose(), FAKE_VALUE);
                Some(request)
            }
            _ => None,
        })
        .expect("expected VerifySecret")
}

#[test]
fn t_checks_that_it_signs_in_with_a_countdown() {
    let mut app = revealed();
    let r = verify_effect(press(&mut app, &[key('t')]));
    app.update(Action::VerifyProgress(
        r,
        VerifyEvent::Attempt {
            attempt: 1,
            elapsed: Duration::ZERO,
        },
    ));
    app.update(Action::VerifyProgress(
        r,
        VerifyEvent::Waiting {
            attempt: 3,
            elapsed: Duration::from_secs(6),
            next_in: Duration::from_secs(8),
            code: 7_000_215,
        },
    ));
    // Six seconds in, the next try is eight seconds after that.
    app.update(Action::Tick(now() + chrono::Duration::seconds(6)));
    snap!("reveal_checking", &app);
    let text = screen_text(&app, 120, 40);
    assert!(text.contains("next try in 8 s (6 s so far)"), "{text}");
    app.update(Action::Verified(
        r,
        Ok(Verified {
            elapsed: Duration::from_secs(14),
            attempts: 4,
        }),
    ));
    snap!("reveal_signs_in", &app);
    assert!(screen_text(&app, 120, 40).contains("signs in ✓ after 14 s"));

    // Esc stops a check (and nothing else).
    let mut app = revealed();
    let r = verify_effect(press(&mut app, &[key('t')]));
    let fx = press(&mut app, &[code(KeyCode::Esc)]);
    assert!(matches!(fx.as_slice(), [Effect::CancelVerify { request }] if *request == r));
    assert_eq!(reveal(&app).check, SignInCheck::Stopped);
    // A late answer is dropped.
    app.update(Action::Verified(
        r,
        Ok(Verified {
            elapsed: Duration::ZERO,
            attempts: 1,
        }),
    ));
    assert_eq!(reveal(&app).check, SignInCheck::Stopped);
}

#[test]
fn a_check_that_fails_explains_itself() {
    let mut app = revealed();
    let r = verify_effect(press(&mut app, &[key('t')]));
    app.update(Action::Verified(
        r,
        Err(VerifyError::Refused {
            cause: azsecrets::verify::VerifyCause::AppDisabled,
            error: "unauthorized_client".into(),
            codes: vec![7_000_112],
            description: "AADSTS7000112: Application 'x' is disabled.".into(),
            attempts: 1,
            elapsed: Duration::from_secs(1),
        }),
    ));
    snap!("reveal_check_failed", &app);
    assert!(screen_text(&app, 120, 40).contains("Enterprise applications"));
}

#[test]
fn a_rotation_looks_for_the_vault_secret_of_the_old_one() {
    let mut app = rotated();
    let fx = press(&mut app, &[key('k')]);
    let Some(Effect::ListVaults {
        request, rotating, ..
    }) = fx.into_iter().next()
    else {
        panic!()
    };
    assert_eq!(rotating.map(|s| s.to_string()).as_deref(), Some(CI_KEY));
    let mut f = found();
    f.tagged = Some(azsecrets::destination::Tagged {
        vault: "fabrikam-kv".parse().unwrap(),
        uri: url::Url::parse("https://fabrikam-kv.vault.azure.net/").unwrap(),
        name: azsecrets::keyvault::SecretName::parse("payments-ci").unwrap(),
    });
    app.update(Action::VaultsListed(request, f));
    snap!("vault_picker_rotating", &app);
    let (_, target, _) = send_effect(press(&mut app, &[code(KeyCode::Enter)]));
    let Target::KeyVault(v) = target else {
        panic!()
    };
    assert_eq!(v.vault.to_string(), "fabrikam-kv");
    assert_eq!(
        v.name.unwrap().to_string(),
        "payments-ci",
        "a new version of it"
    );
}

#[test]
fn a_rotation_whose_new_secret_does_not_sign_in_keeps_both() {
    let mut app = rotated();
    press(&mut app, &[key('x')]);
    type_text(&mut app, "store-it");
    let (r, _, _) = send_effect(press(&mut app, &[code(KeyCode::Enter)]));
    app.update(Action::SecretSent(r, Ok(stored())));
    let check = verify_effect(press(&mut app, &[code(KeyCode::Esc)]));
    app.update(Action::Verified(
        check,
        Err(VerifyError::Refused {
            cause: azsecrets::verify::VerifyCause::InvalidSecret,
            error: "invalid_client".into(),
            codes: vec![7_000_215],
            description: "AADSTS7000215: Invalid client secret provided.".into(),
            attempts: 8,
            elapsed: Duration::from_secs(120),
        }),
    ));
    assert!(
        matches!(app.dialogs.last(), Some(Dialog::Reveal(_))),
        "no offer to delete the old one"
    );
    let fx = press(&mut app, &[code(KeyCode::Esc)]);
    assert!(fx.is_empty());
    assert!(app.dialogs.is_empty());
    assert!(
        app.toasts
            .iter()
            .any(|t| t.text.contains("is kept: the new one did not sign in")),
        "{:?}",
        app.toasts
    );
}

mod against_the_sandbox {
    use std::time::Duration;

    use chrono::Utc;
    use clap::Parser;
    use ratatui::crossterm::event::KeyCode;
    use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

    use azsecrets::app::{Action, App, Dialog, Effect, RevealMode, Settings, SignInCheck};
    use azsecrets::cli::Cli;
    use azsecrets::destination::Clients;
    use azsecrets::handoff::{Clipboard, ClipboardMode};
    use azsecrets::journal::Journal;
    use azsecrets::session::Session;
    use azsecrets::tui::Runner;

    use super::support::{code, key};

    struct Harness {
        app: App,
        runner: Runner,
        rx: UnboundedReceiver<Action>,
        session: Session,
        _dir: tempfile::TempDir,
    }

    impl Harness {
        async fn start() -> Self {
            let cli =
                Cli::try_parse_from(["azsecrets", "--sandbox", "--sandbox-propagation-delay", "3"])
                    .expect("flags");
            let session = Session::start(&cli.global.session())
                .await
                .expect("session");
            let dir = tempfile::tempdir().unwrap();
            let (tx, rx) = unbounded_channel();
            let clients = Clients::from_session(&session).with_prefs(Some(
                azsecrets::prefs::Prefs::at(dir.path().join("config.json")),
            ));
            let runner = Runner::new(
                session.client.clone(),
                Clipboard::new(ClipboardMode::None, Duration::from_secs(45)),
                Journal::at(dir.path().join("journal.jsonl")),
                tx,
            )
            .with_clients(clients);
            let mut h = Self {
                app: App::new(
                    Settings {
                        read_only: false,
                        source: session.source,
                    },
                    Utc::now(),
                ),
                runner,
                rx,
                session,
                _dir: dir,
            };
            h.app.update(Action::Resize(super::support::size()));
            let fx = h.app.start();
            h.run(fx).await;
            h
        }

        async fn run(&mut self, effects: Vec<Effect>) {
            for e in effects {
                self.runner.spawn(e);
            }
            while self.app.is_busy() {
                let action = tokio::time::timeout(Duration::from_secs(30), self.rx.recv())
                    .await
                    .expect("an answer in time")
                    .expect("runner alive");
                self.app.update(Action::Tick(Utc::now()));
                let fx = self.app.update(action);
                for e in fx {
                    self.runner.spawn(e);
                }
            }
        }

        async fn keys(&mut self, keys: &[ratatui::crossterm::event::KeyEvent]) {
            for k in keys {
                self.app.update(Action::Tick(Utc::now()));
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
    async fn a_new_secret_goes_to_a_sandbox_vault_and_signs_in_after_replicating() {
        let mut h = Harness::start().await;
        // fabrikam-crm-sync, then a new secret.
        h.keys(&[key('/')]).await;
        h.text("fabrikam").await;
        h.keys(&[code(KeyCode::Enter), code(KeyCode::Enter), key('n')])
            .await;
        h.text("to the vault").await;
        h.keys(&[code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Enter)])
            .await;
        assert!(matches!(h.app.dialogs.last(), Some(Dialog::Reveal(_))));
        // k lists the sandbox's vaults through Resource Manager.
        h.keys(&[key('k')]).await;
        let Some(Dialog::Reveal(r)) = h.app.dialogs.last() else {
            panic!()
        };
        let RevealMode::KeyVault(f) = &r.mode else {
            panic!()
        };
        let names: Vec<String> = f
            .choices()
            .iter()
            .filter_map(|c| match c {
                azsecrets::app::VaultChoice::Listed(v) => Some(v.name.clone()),
                _ => None,
            })
            .collect();
        assert!(
            names.contains(&"contoso-sandbox-kv".to_owned()),
            "{names:?}"
        );
        h.text("sandbox").await;
        h.keys(&[code(KeyCode::Enter)]).await;
        let Some(Dialog::Reveal(r)) = h.app.dialogs.last() else {
            panic!()
        };
        assert!(r.handed_off, "{:?}", r.sent);
        assert!(r.sent[0].ok, "{:?}", r.sent);
        let key_id = r.secret.key_id.to_string();
        let control = h.session.sandbox.as_ref().unwrap().control();
        let versions = control
            .vault_secret_versions("contoso-sandbox-kv", "fabrikam-crm-sync")
            .expect("stored");
        assert_eq!(versions[0].tags["secret-id"], key_id);
        // t: refused while it replicates (3 s here), then it signs in.
        h.keys(&[key('t')]).await;
        let Some(Dialog::Reveal(r)) = h.app.dialogs.last() else {
            panic!()
        };
        match &r.check {
            SignInCheck::SignsIn { seconds, attempts } => {
                assert!(*seconds >= 2 && *attempts >= 2, "{seconds} s, {attempts}");
            }
            other => panic!("expected success, got {other:?}"),
        }
        // The vault is remembered for this app: the next picker starts on it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        h.keys(&[key('k')]).await;
        let Some(Dialog::Reveal(r)) = h.app.dialogs.last() else {
            panic!()
        };
        let RevealMode::KeyVault(f) = &r.mode else {
            panic!()
        };
        assert_eq!(f.vault.value(), "contoso-sandbox-kv");
    }
}
