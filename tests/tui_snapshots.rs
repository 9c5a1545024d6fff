//! Every screen and dialog in its main states, drawn into a `TestBackend` with fixed data and
//! a fixed clock, at 80x24 and 120x40. No real secret value appears anywhere; the fake one
//! only after `v`, and that snapshot is checked for it rather than stored.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

#[path = "tui_support.rs"]
mod support;

use ratatui::crossterm::event::KeyCode;

use azsecrets::app::{Action, App, AppsTab, Effect};
use azsecrets::auth::SourceKind;
use azsecrets::create::{AddError, Interruption, Settled};
use azsecrets::graph::Page;
use support::*;

/// Snapshot `app` at both sizes.
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

#[test]
fn apps_loading() {
    let mut app = App::new(settings(false), now());
    let _ = app.start();
    snap!("apps_loading", &app);
}

#[test]
fn apps_streaming_counter() {
    let mut app = App::new(settings(false), now());
    let fx = app.start();
    for e in fx {
        match e {
            Effect::LoadApps { request, tab, .. } => {
                app.update(Action::AppsPage {
                    request,
                    tab,
                    result: Ok(Page {
                        items: apps().into_iter().take(2).collect(),
                        count: None,
                        has_more: true,
                        skipped: 0,
                    }),
                });
            }
            Effect::LoadOrganization { request } => {
                app.update(Action::OrganizationLoaded(request, Ok(org())));
            }
            _ => {}
        }
    }
    snap!("apps_streaming", &app);
}

#[test]
fn apps_loaded() {
    snap!("apps_loaded", &loaded(false));
}

#[test]
fn apps_sorted_by_expiry() {
    let mut app = loaded(false);
    press(&mut app, &[key('s')]);
    app.update(Action::Tick(now()));
    snap!("apps_sorted_by_expiry", &app);
}

#[test]
fn apps_empty() {
    let mut app = App::new(settings(false), now());
    let fx = app.start();
    for e in fx {
        if let Effect::LoadApps { request, tab, .. } = e {
            app.update(Action::AppsPage {
                request,
                tab,
                result: Ok(Page {
                    items: vec![],
                    count: None,
                    has_more: false,
                    skipped: 0,
                }),
            });
        } else if let Effect::LoadOrganization { request } = e {
            app.update(Action::OrganizationLoaded(request, Ok(org())));
        } else if let Effect::LoadMe { request } = e {
            app.update(Action::MeLoaded(request, Ok(me())));
        }
    }
    snap!("apps_empty", &app);
}

#[test]
fn apps_filtered() {
    let mut app = loaded(false);
    press(&mut app, &[key('/')]);
    type_text(&mut app, "pay");
    snap!("apps_filtered", &app);
}

#[test]
fn apps_filter_no_match() {
    let mut app = loaded(false);
    press(&mut app, &[key('/')]);
    type_text(&mut app, "zzzz");
    snap!("apps_filter_no_match", &app);
}

#[test]
fn apps_error() {
    let mut app = App::new(settings(false), now());
    let fx = app.start();
    for e in fx {
        match e {
            Effect::LoadApps { request, tab, .. } => {
                app.update(Action::AppsPage {
                    request,
                    tab,
                    result: Err(api_error(
                        403,
                        "Authorization_RequestDenied",
                        "Insufficient privileges to complete the operation.",
                    )),
                });
            }
            Effect::LoadOrganization { request } => {
                app.update(Action::OrganizationLoaded(request, Ok(org())));
            }
            Effect::LoadMe { request } => {
                app.update(Action::MeLoaded(request, Ok(me())));
            }
            _ => {}
        }
    }
    app.toasts.clear();
    snap!("apps_error", &app);
}

#[test]
fn apps_app_only_owned_tab() {
    let mut app = App::new(
        azsecrets::app::Settings {
            read_only: false,
            source: SourceKind::ServicePrincipal,
        },
        now(),
    );
    let fx = app.start();
    answer(&mut app, fx);
    press(&mut app, &[code(KeyCode::Tab)]);
    assert_eq!(
        app.tab,
        AppsTab::Expiring,
        "the Owned tab is hidden: Tab skips it"
    );
    press(&mut app, &[code(KeyCode::Tab)]);
    assert_eq!(app.tab, AppsTab::All);
    snap!("apps_app_only_owned", &app);
}

#[test]
fn apps_read_only() {
    snap!("apps_read_only", &loaded(true));
}

#[test]
fn app_client_secrets() {
    snap!("app_client_secrets", &open_payments(false));
}

#[test]
fn app_loading() {
    let mut app = loaded(false);
    // Open without answering the loads: the row from the list shows, federated is loading.
    let _ = app.handle_key(key('G'));
    let _ = app.handle_key(code(KeyCode::Enter));
    snap!("app_loading", &app);
}

#[test]
fn app_certificates_and_federated() {
    let mut app = open_payments(false);
    press(&mut app, &[code(KeyCode::Tab), code(KeyCode::Tab)]);
    snap!("app_certificates", &app);
    press(&mut app, &[code(KeyCode::Tab), code(KeyCode::Tab)]);
    snap!("app_federated", &app);
}

#[test]
fn app_no_secrets() {
    let mut app = loaded(false);
    // contoso-portal is second by name.
    press(&mut app, &[key('j'), code(KeyCode::Enter)]);
    snap!("app_no_secrets", &app);
}

#[test]
fn app_read_only() {
    snap!("app_read_only", &open_payments(true));
}

#[test]
fn add_dialog_states() {
    let mut app = open_payments(false);
    press(&mut app, &[key('n')]);
    snap!("add_dialog", &app);
    type_text(&mut app, "local dev");
    press(&mut app, &[code(KeyCode::Tab)]);
    for _ in 0..5 {
        press(&mut app, &[code(KeyCode::Down)]);
    }
    snap!("add_dialog_custom", &app);
    // Submit with no end date: inline validation.
    press(
        &mut app,
        &[code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Tab)],
    );
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    assert!(fx.is_empty());
    snap!("add_dialog_invalid", &app);
}

#[test]
fn add_dialog_never_warning() {
    let mut app = open_payments(false);
    press(&mut app, &[key('n'), code(KeyCode::Tab)]);
    for _ in 0..6 {
        press(&mut app, &[code(KeyCode::Down)]);
    }
    snap!("add_dialog_never", &app);
}

#[test]
fn add_dialog_policy_error() {
    let mut app = open_payments(false);
    press(&mut app, &[key('n')]);
    type_text(&mut app, "too long");
    press(&mut app, &[code(KeyCode::Tab), code(KeyCode::Tab)]);
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::AddSecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected AddSecret");
    };
    snap!("add_dialog_pending", &app);
    app.update(Action::SecretAdded(
        request,
        Err(AddError::Refused(api_error(
            400,
            "CredentialInvalidLifetimeAsPerAppPolicy",
            "Credential lifetime exceeds the max value allowed as per assigned policy.",
        ))),
    ));
    snap!("add_dialog_policy_error", &app);
}

#[test]
fn add_dialog_fits_a_short_terminal() {
    // Never (with its warning) plus a policy error: at 24 rows the expiry list collapses to
    // the chosen line so the message and the buttons stay visible.
    let mut app = open_payments(false);
    press(&mut app, &[key('n'), code(KeyCode::Tab)]);
    for _ in 0..6 {
        press(&mut app, &[code(KeyCode::Down)]);
    }
    press(&mut app, &[code(KeyCode::Tab)]);
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::AddSecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected AddSecret");
    };
    app.update(Action::SecretAdded(
        request,
        Err(AddError::Refused(api_error(
            400,
            "CredentialInvalidLifetimeAsPerAppPolicy",
            "Credential lifetime exceeds the max value allowed as per assigned policy.",
        ))),
    ));
    let small = screen_text(&app, 80, 24);
    assert!(
        small.contains("Add ◀") && small.contains("[ Cancel ]"),
        "{small}"
    );
    assert!(small.contains("(•) Never"));
    snap!("add_dialog_short_terminal", &app);
}

#[test]
fn add_dialog_lost_reply() {
    let mut app = open_payments(false);
    press(
        &mut app,
        &[key('n'), code(KeyCode::Tab), code(KeyCode::Tab)],
    );
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::AddSecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected AddSecret");
    };
    let created = new_secret("").metadata;
    let fx = app.update(Action::SecretAdded(
        request,
        Err(AddError::Lost {
            cause: Interruption::Reply(api_error(
                504,
                "UnknownError",
                "The gateway did not receive a timely response from the upstream server.",
            )),
            settled: Settled::RolledBack(created),
        }),
    ));
    assert!(
        fx.iter().any(|e| matches!(e, Effect::LoadApp { .. })),
        "the app is read back so the orphan shows"
    );
    snap!("add_dialog_lost_reply", &app);
}

#[test]
fn reveal_masked_and_shown() {
    let mut app = revealed();
    snap!("reveal_masked", &app);
    press(&mut app, &[key('v')]);
    let shown = screen_text(&app, 80, 24);
    assert!(shown.contains(FAKE_VALUE), "v reveals the value");
    press(&mut app, &[key('v')]);
    assert!(
        !screen_text(&app, 80, 24).contains(FAKE_VALUE),
        "v hides it again"
    );
}

#[test]
fn reveal_confirm_close() {
    let mut app = revealed();
    press(&mut app, &[code(KeyCode::Esc)]);
    snap!("reveal_confirm_close", &app);
}

#[test]
fn reveal_write_path_and_no_clipboard() {
    let mut app = revealed();
    let fx = press(&mut app, &[key('c')]);
    let Some(Effect::CopySecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected CopySecret");
    };
    app.update(Action::Copied(
        request,
        azsecrets::app::CopyTarget::SecretValue,
        Err(azsecrets::handoff::HandoffError::NoClipboard {
            reason: "no display and the terminal is not known to support OSC 52".into(),
        }),
    ));
    press(&mut app, &[key('w')]);
    snap!("reveal_no_clipboard_write_path", &app);
}

#[test]
fn delete_confirm() {
    let mut app = open_payments(false);
    press(&mut app, &[key('d')]);
    snap!("delete_confirm", &app);
}

#[test]
fn delete_error() {
    let mut app = open_payments(false);
    press(&mut app, &[key('d'), code(KeyCode::Tab)]);
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::RemoveSecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected RemoveSecret");
    };
    app.update(Action::SecretRemoved(
        request,
        Err(api_error(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )),
    ));
    snap!("delete_error", &app);
}

#[test]
fn rotate_prompt() {
    let mut app = open_payments(false);
    press(&mut app, &[key('R')]);
    snap!("rotate_add_prefilled", &app);
    // Back-tab twice from Description reaches Add (Cancel is last).
    press(&mut app, &[code(KeyCode::BackTab), code(KeyCode::BackTab)]);
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::AddSecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected AddSecret");
    };
    app.update(Action::SecretAdded(request, Ok(added("old laptop"))));
    let fx = press(&mut app, &[key('c')]);
    let Some(Effect::CopySecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected CopySecret");
    };
    app.update(Action::Copied(
        request,
        azsecrets::app::CopyTarget::SecretValue,
        Ok(azsecrets::handoff::CopyReport {
            method: azsecrets::handoff::CopyMethod::Osc52,
            clears_at: None,
            status: "Copied to tmux's clipboard (OSC 52)".into(),
            confirmed: true,
        }),
    ));
    // Closing checks that the new secret signs in first; then the old one is offered.
    let fx = press(&mut app, &[code(KeyCode::Esc)]);
    let Some(Effect::VerifySecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected VerifySecret");
    };
    snap!("rotate_checking_first", &app);
    app.update(Action::Verified(
        request,
        Ok(azsecrets::verify::Verified {
            elapsed: std::time::Duration::from_secs(14),
            attempts: 4,
        }),
    ));
    snap!("rotate_prompt", &app);
}

#[test]
fn new_registration() {
    let mut app = loaded(false);
    press(&mut app, &[key('N')]);
    snap!("new_registration", &app);
    type_text(&mut app, "orders-api");
    press(
        &mut app,
        &[code(KeyCode::Tab), code(KeyCode::Down), code(KeyCode::Tab)],
    );
    type_text(&mut app, "not a url");
    press(&mut app, &[code(KeyCode::Tab)]);
    press(&mut app, &[code(KeyCode::Enter)]);
    snap!("new_registration_invalid", &app);
}

#[test]
fn help_overlay() {
    let mut app = open_payments(false);
    press(&mut app, &[key('?')]);
    snap!("help_app", &app);
    let mut ro = loaded(true);
    press(&mut ro, &[key('?')]);
    snap!("help_apps_read_only", &ro);
}

#[test]
fn copy_menu() {
    let mut app = open_payments(false);
    press(&mut app, &[key('y')]);
    snap!("copy_menu", &app);
}

#[test]
fn toasts() {
    let mut app = open_payments(false);
    press(&mut app, &[key('d'), code(KeyCode::Tab)]);
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::RemoveSecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected RemoveSecret");
    };
    app.update(Action::SecretRemoved(
        request,
        Ok(azsecrets::graph::RemoveOutcome::AlreadyGone),
    ));
    snap!("toast_already_removed", &app);
}

#[test]
fn tiny_terminals_do_not_panic() {
    let mut states = vec![loaded(false), open_payments(false), revealed()];
    let mut add = open_payments(false);
    press(&mut add, &[key('n')]);
    states.push(add);
    let mut help = loaded(true);
    press(&mut help, &[key('?')]);
    states.push(help);
    for app in &states {
        for (w, h) in [(1, 1), (10, 3), (20, 5), (40, 12), (200, 60)] {
            let text = screen_text(app, w, h);
            assert!(!text.contains(FAKE_VALUE));
        }
    }
}

/// payments-api as Graph would return it with hostile text: a 10,000-character description on
/// every secret, an escape sequence and a line feed in the name.
fn hostile_payments(app: &mut App) {
    let fx = app.handle_key(key('r'));
    let Some(Effect::LoadApp { request, .. }) =
        fx.into_iter().find(|e| matches!(e, Effect::LoadApp { .. }))
    else {
        panic!("refresh reloads the app");
    };
    let mut reg = apps()
        .into_iter()
        .find(|a| a.id.as_str() == PAYMENTS_OBJ)
        .unwrap();
    reg.display_name = format!(
        "payments-api \u{1b}]0;PWNED\u{7}\nforged {}",
        "N".repeat(300)
    );
    let long = ("A very long description that goes on and on ").repeat(250);
    for (i, s) in reg.password_credentials.iter_mut().enumerate() {
        s.display_name = Some(format!("{i} {}", &long[..10_000 - 2]));
    }
    app.update(Action::AppLoaded(request, Ok(reg)));
}

/// Issue 12: a 10,000-character description (and a hostile app name) never pushes the Secret
/// ID, the warning or the buttons off the delete dialog; the cut ends in `…`.
#[test]
fn delete_confirm_long_description() {
    let mut app = open_payments(false);
    hostile_payments(&mut app);
    press(&mut app, &[key('d')]);
    for (w, h) in [(80, 24), (120, 40), (60, 16)] {
        let s = screen_text(&app, w, h);
        for kept in ["Secret ID", "cannot be undone", "Cancel", "Delete ]", "…"] {
            assert!(s.contains(kept), "{kept:?} at {w}x{h}:\n{s}");
        }
        assert!(!s.contains('\u{1b}'), "{s}");
    }
    snap!("delete_confirm_long_description", &app);
}

/// Hostile names in the app's header and secrets table: placeholders, cut with `…`.
#[test]
fn app_hostile_names() {
    let mut app = open_payments(false);
    hostile_payments(&mut app);
    snap!("app_hostile_names", &app);
}

/// At 45 columns the ids in the header are not cut: each goes on the line below its label.
#[test]
fn app_header_ids_at_45_columns() {
    let app = open_payments(false);
    let s = screen_text(&app, 45, 20);
    for id in [PAYMENTS_APPID, PAYMENTS_OBJ] {
        assert!(s.contains(id), "{id} whole:\n{s}");
    }
    insta::assert_snapshot!("app_header_45x20", s);
}

/// While the client waits to retry, the title bar says why and counts down.
#[test]
fn apps_throttled() {
    use azsecrets::graph::{RetryEvent, RetryWait};
    let mut app = loaded(false);
    app.update(Action::GraphRetry(RetryEvent::Waiting(RetryWait {
        operation: "list applications",
        status: Some(429),
        wait: std::time::Duration::from_secs(12),
        next_attempt: 2,
        attempts: 6,
    })));
    let s = screen_text(&app, 120, 40);
    assert!(
        s.contains("Graph is throttling; retrying in 12 s, attempt 2 of 6"),
        "{s}"
    );
    app.update(Action::Tick(now() + chrono::Duration::seconds(5)));
    let s = screen_text(&app, 120, 40);
    assert!(s.contains("retrying in 7 s"), "{s}");
    snap!("apps_throttled", &app);
    // Another request's end does not clear it; its own does.
    app.update(Action::GraphRetry(RetryEvent::Settled {
        operation: "read the tenant",
    }));
    assert!(app.retrying.is_some());
    app.update(Action::GraphRetry(RetryEvent::Settled {
        operation: "list applications",
    }));
    assert!(app.retrying.is_none());
}

/// Records Graph sent unreadable: the list shows the rest and a warning counts them.
#[test]
fn apps_skipped_records() {
    let mut app = App::new(settings(false), now());
    app.update(Action::Resize(size()));
    for e in app.start() {
        match e {
            Effect::LoadApps { request, tab, .. } => {
                app.update(Action::AppsPage {
                    request,
                    tab,
                    result: Ok(Page {
                        items: apps(),
                        count: None,
                        has_more: false,
                        skipped: 2,
                    }),
                });
            }
            Effect::LoadOrganization { request } => {
                app.update(Action::OrganizationLoaded(request, Ok(org())));
            }
            Effect::LoadMe { request } => {
                app.update(Action::MeLoaded(request, Ok(me())));
            }
            _ => {}
        }
    }
    snap!("apps_skipped_records", &app);
}

#[test]
fn reveal_unconfirmed_copy() {
    let mut app = revealed();
    let Some(Effect::CopySecret { request, .. }) = press(&mut app, &[key('c')]).into_iter().next()
    else {
        panic!("expected CopySecret");
    };
    app.update(Action::Copied(
        request,
        azsecrets::app::CopyTarget::SecretValue,
        Ok(azsecrets::handoff::CopyReport {
            method: azsecrets::handoff::CopyMethod::Osc52,
            clears_at: None,
            status: "Sent to the terminal clipboard (OSC 52) — unconfirmed: paste it somewhere \
                     to check; it is not cleared automatically"
                .into(),
            confirmed: false,
        }),
    ));
    snap!("reveal_unconfirmed_copy", &app);
}

#[test]
fn reveal_quit_asks_and_deleting() {
    let mut app = revealed();
    app.update(Action::Quit);
    snap!("reveal_quit_asks", &app);
    press(&mut app, &[code(KeyCode::Enter)]);
    snap!("reveal_deleting_again", &app);
}

#[test]
fn reveal_confirm_replace() {
    let mut app = revealed();
    press(&mut app, &[key('w')]);
    let Some(Effect::WriteEnvFile { request, .. }) =
        press(&mut app, &[code(KeyCode::Enter)]).into_iter().next()
    else {
        panic!("expected WriteEnvFile");
    };
    app.update(Action::EnvFileWritten(
        request,
        Err(azsecrets::handoff::HandoffError::EnvConflict {
            path: "./.env".into(),
            client_id: Some("7b2e0c11-3c4d-4e5f-8a9b-0c1d2e3f4a5b".into()),
            tenant_id: Some("11111111-2222-4333-8444-555555555555".into()),
        }),
    ));
    snap!("reveal_confirm_replace", &app);
}

/// The value and the Secret ID are never cut: at 45×15 both are whole (the value on a line of
/// its own); at 30×8 the dialog says how large the terminal must be.
#[test]
fn reveal_on_small_terminals() {
    let mut app = revealed();
    press(&mut app, &[key('v')]);
    let text = screen_text(&app, 45, 15);
    assert!(
        text.lines().any(|l| l.contains(FAKE_VALUE)),
        "the whole value on one line:\n{text}"
    );
    assert!(
        text.contains("11112222-3333-4444-8555-666677778888"),
        "{text}"
    );
    let tiny = screen_text(&app, 30, 8);
    assert!(
        !tiny.contains(&FAKE_VALUE[..12]),
        "no part of the value:\n{tiny}"
    );
    insta::assert_snapshot!("reveal_too_small_30x8", tiny);
    press(&mut app, &[key('v')]);
    insta::assert_snapshot!("reveal_masked_45x15", screen_text(&app, 45, 15));
    // Asking to close on a tiny terminal: the question comes first, so it is read.
    press(&mut app, &[code(KeyCode::Esc)]);
    insta::assert_snapshot!("reveal_close_too_small_30x8", screen_text(&app, 30, 8));
}

#[test]
fn finishing_before_quitting() {
    let mut app = open_payments(false);
    press(&mut app, &[key('n')]);
    type_text(&mut app, "in flight");
    press(
        &mut app,
        &[code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Enter)],
    );
    app.update(Action::Quit);
    snap!("finishing", &app);
}

#[test]
fn recovery_dialog() {
    let mut app = loaded(false);
    app.dialogs.push(
        azsecrets::app::Recovery::new(vec![
            azsecrets::create::Orphan {
                op: azsecrets::journal::OpId::new(),
                app: azsecrets::journal::AppRef {
                    object_id: PAYMENTS_OBJ.into(),
                    app_id: PAYMENTS_APPID.into(),
                    name: "payments-api".into(),
                },
                description: Some("ci-deploy (interrupted)".into()),
                created_at: now() - chrono::Duration::hours(20),
                secret_id: "99998888-7777-4666-8555-444433332221".into(),
                hint: Some("Xy1".into()),
            },
            azsecrets::create::Orphan {
                op: azsecrets::journal::OpId::new(),
                app: azsecrets::journal::AppRef {
                    object_id: PAYMENTS_OBJ.into(),
                    app_id: PAYMENTS_APPID.into(),
                    name: "payments-api".into(),
                },
                description: None,
                created_at: now() - chrono::Duration::hours(2),
                secret_id: "99998888-7777-4666-8555-444433332222".into(),
                hint: None,
            },
        ])
        .into(),
    );
    snap!("recovery", &app);
}

#[test]
fn apps_expiring_tab() {
    let mut app = loaded(false);
    press(&mut app, &[code(KeyCode::Tab), code(KeyCode::Tab)]);
    assert_eq!(app.tab, AppsTab::Expiring);
    snap!("apps_expiring", &app);
}
