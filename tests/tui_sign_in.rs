//! The device-code sign-in screen: headless flows through `update` (prompt arrives, `c` copies
//! the code, the prompt clears, the apps load; decline and cancel) and snapshots of the screen
//! with a fixed prompt and clock.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

#[path = "tui_support.rs"]
mod support;

use chrono::Duration;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use azsecrets::app::{Action, App, CopyTarget, Effect, ListLoad, Loadable};
use azsecrets::auth::AuthError;
use azsecrets::graph::GraphError;
use azsecrets::handoff::{CopyMethod, CopyReport, HandoffError};
use azsecrets::keymap::Context;
use support::*;

fn org_request(fx: &[Effect]) -> u64 {
    match fx {
        [Effect::LoadOrganization { request }] => *request,
        other => panic!("a device-code start asks for the tenant alone first, got {other:?}"),
    }
}

#[test]
fn prompt_then_copy_then_cleared_then_apps_load() {
    let (mut app, fx) = signing_in();
    let org = org_request(&fx);
    assert_eq!(app.context(), Context::SignIn);
    assert!(app.needs_tick(), "the countdown ticks");
    let screen = screen_text(&app, 80, 24);
    assert!(screen.contains("Sign in to Microsoft Graph"), "{screen}");
    assert!(screen.contains("https://microsoft.com/devicelogin"));
    assert!(screen.contains("G Q 8 R X Z 7 T H"));
    assert!(screen.contains("15:00 left"));

    // Apps-screen keys do nothing here; `c` asks for a copy of the code.
    assert!(app.handle_key(key('r')).is_empty());
    let fx = app.handle_key(key('c'));
    let request = match fx.as_slice() {
        [
            Effect::CopyText {
                request,
                label,
                text,
            },
        ] => {
            assert_eq!(text, "GQ8RXZ7TH");
            assert_eq!(*label, azsecrets::app::SIGN_IN_CODE);
            *request
        }
        other => panic!("expected a copy of the code, got {other:?}"),
    };
    app.update(Action::Copied(
        request,
        CopyTarget::Text(azsecrets::app::SIGN_IN_CODE),
        Ok(CopyReport {
            method: CopyMethod::Native,
            clears_at: None,
            status: "Copied to clipboard".into(),
            confirmed: true,
        }),
    ));
    let status = app.sign_in.status.as_ref().expect("status after copy");
    assert_eq!(status.tone, azsecrets::app::Tone::Done);
    assert_eq!(status.text, "Code copied to clipboard");
    assert!(
        app.toasts.is_empty(),
        "the result shows on the sign-in screen"
    );

    // The clock moves: the countdown follows it.
    app.update(Action::Tick(now() + Duration::seconds(65)));
    assert!(screen_text(&app, 80, 24).contains("13:55 left"));

    // Signed in: the prompt goes, the tenant answers, and only then the rest load.
    app.update(Action::SignInPrompt(None));
    assert_eq!(app.context(), Context::Apps);
    let rest = app.update(Action::OrganizationLoaded(org, Ok(support::org())));
    assert!(
        rest.iter().any(|e| matches!(e, Effect::LoadMe { .. }))
            && rest.iter().any(|e| matches!(e, Effect::LoadApps { .. })),
        "{rest:?}"
    );
    assert!(answer(&mut app, rest).is_empty());
    assert_eq!(app.current_list().rows.len(), apps().len());
    let screen = screen_text(&app, 120, 40);
    assert!(screen.contains("payments-api") && screen.contains("Contoso Ltd"));
    assert!(!screen.contains("Sign in to Microsoft Graph"));
}

#[test]
fn a_failed_copy_says_what_to_do() {
    let (mut app, _) = signing_in();
    let fx = app.handle_key(key('c'));
    let Some(Effect::CopyText { request, .. }) = fx.into_iter().next() else {
        panic!("no copy effect");
    };
    app.update(Action::Copied(
        request,
        CopyTarget::Text(azsecrets::app::SIGN_IN_CODE),
        Err(HandoffError::NoClipboard {
            reason: "no display".into(),
        }),
    ));
    let status = app.sign_in.status.as_ref().expect("status");
    assert_eq!(status.tone, azsecrets::app::Tone::Failed);
    assert!(status.text.contains("type the code"), "{}", status.text);
}

/// A copy of the code sent by OSC 52 cannot be confirmed: no tick, the words say so.
#[test]
fn an_unconfirmed_copy_has_no_tick() {
    let (mut app, _) = signing_in();
    let fx = app.handle_key(key('c'));
    let Some(Effect::CopyText { request, .. }) = fx.into_iter().next() else {
        panic!("no copy effect");
    };
    app.update(Action::Copied(
        request,
        CopyTarget::Text(azsecrets::app::SIGN_IN_CODE),
        Ok(CopyReport {
            method: CopyMethod::Osc52,
            clears_at: None,
            status:
                "Sent to the terminal clipboard (OSC 52) — unconfirmed: paste it somewhere to check"
                    .into(),
            confirmed: false,
        }),
    ));
    let screen = screen_text(&app, 100, 30);
    assert!(screen.contains("unconfirmed"), "{screen}");
    assert!(
        !screen.contains('✓'),
        "no tick for an unconfirmed copy:\n{screen}"
    );
    // A confirmed copy after it gets its tick.
    let fx = app.handle_key(key('c'));
    let Some(Effect::CopyText { request, .. }) = fx.into_iter().next() else {
        panic!("no copy effect");
    };
    app.update(Action::Copied(
        request,
        CopyTarget::Text(azsecrets::app::SIGN_IN_CODE),
        Ok(CopyReport {
            method: CopyMethod::Native,
            clears_at: None,
            status: "Copied to clipboard".into(),
            confirmed: true,
        }),
    ));
    assert!(screen_text(&app, 100, 30).contains("✓ Code copied"));
}

#[test]
fn esc_or_q_cancels_and_quits_with_the_sign_in_outcome() {
    for k in [code(KeyCode::Esc), key('q')] {
        let (mut app, _) = signing_in();
        assert!(app.handle_key(k).is_empty());
        assert!(app.should_quit && app.sign_in.cancelled, "{k:?}");
    }
    let (mut app, _) = signing_in();
    app.handle_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(app.should_quit, "Ctrl-C quits");
    assert!(
        !app.sign_in.cancelled,
        "a plain quit, not a cancelled sign-in"
    );
}

#[test]
fn help_on_the_sign_in_screen_lists_its_keys() {
    let (mut app, _) = signing_in();
    app.handle_key(key('?'));
    assert_eq!(app.context(), Context::Help);
    assert_eq!(app.help_context(), Context::SignIn);
    let screen = screen_text(&app, 80, 24);
    assert!(screen.contains("copy code") && screen.contains("cancel and quit"));
    app.handle_key(code(KeyCode::Esc));
    assert_eq!(
        app.context(),
        Context::SignIn,
        "Esc closes help, not the sign-in"
    );
    assert!(!app.should_quit);
}

#[test]
fn a_declined_sign_in_is_explained_on_the_apps_screen_and_r_signs_in_again() {
    let (mut app, fx) = signing_in();
    let org = org_request(&fx);
    app.update(Action::SignInPrompt(None));
    let rest = app.update(Action::OrganizationLoaded(
        org,
        Err(GraphError::Auth(AuthError::Declined)),
    ));
    assert!(rest.is_empty(), "no more sign-ins behind the failed one");
    assert!(matches!(app.all.load, ListLoad::Failed(_)));
    assert!(matches!(app.me, Loadable::Failed { .. }));
    app.toasts.clear();
    let screen = screen_text(&app, 120, 40);
    assert!(
        screen.contains("Sign-in failed: device-code sign-in was declined"),
        "{screen}"
    );
    assert!(screen.contains("Press r to get a new code"), "{screen}");

    // r: the tenant alone again (a new code), then the rest.
    let fx = app.handle_key(key('r'));
    let org = org_request(&fx);
    app.update(Action::SignInPrompt(Some(device_prompt())));
    assert_eq!(app.context(), Context::SignIn);
    app.update(Action::SignInPrompt(None));
    let rest = app.update(Action::OrganizationLoaded(org, Ok(support::org())));
    assert!(answer(&mut app, rest).is_empty());
    assert_eq!(app.current_list().rows.len(), apps().len());
    assert!(matches!(app.me, Loadable::Loaded(_)));
}

#[test]
fn an_expired_code_says_to_get_a_new_one() {
    let (mut app, fx) = signing_in();
    let org = org_request(&fx);
    app.update(Action::SignInPrompt(None));
    app.update(Action::OrganizationLoaded(
        org,
        Err(GraphError::Auth(AuthError::DeviceCodeExpired)),
    ));
    let ListLoad::Failed(e) = &app.all.load else {
        panic!("the list shows the sign-in failure");
    };
    assert!(e.message.contains("expired"), "{}", e.message);
    assert!(
        e.advice.contains("Press r to get a new code"),
        "{}",
        e.advice
    );
}

#[test]
fn other_sources_load_everything_at_once() {
    let mut app = App::new(settings(false), now());
    let fx = app.start();
    assert_eq!(fx.len(), 3, "{fx:?}");
    assert!(!app.sign_in.gated);
}

#[test]
fn a_tenant_error_after_signing_in_still_loads_the_apps() {
    let (mut app, fx) = signing_in();
    let org = org_request(&fx);
    app.update(Action::SignInPrompt(None));
    let rest = app.update(Action::OrganizationLoaded(
        org,
        Err(api_error(403, "Authorization_RequestDenied", "no")),
    ));
    assert!(rest.iter().any(|e| matches!(e, Effect::LoadApps { .. })));
}

/// Snapshot the sign-in screen at both sizes.
macro_rules! snap {
    ($name:expr, $app:expr) => {{
        let app: &App = $app;
        insta::assert_snapshot!(concat!($name, "_80x24"), screen_text(app, 80, 24));
        insta::assert_snapshot!(concat!($name, "_120x40"), screen_text(app, 120, 40));
    }};
}

#[test]
fn sign_in_screen() {
    let (app, _) = signing_in();
    snap!("sign_in", &app);
}

#[test]
fn sign_in_screen_copied_and_nearly_expired() {
    let (mut app, _) = signing_in();
    let fx = app.handle_key(key('c'));
    let Some(Effect::CopyText { request, .. }) = fx.into_iter().next() else {
        panic!("no copy effect");
    };
    app.update(Action::Copied(
        request,
        CopyTarget::Text(azsecrets::app::SIGN_IN_CODE),
        Ok(CopyReport {
            method: CopyMethod::Native,
            clears_at: None,
            status: "Copied to clipboard".into(),
            confirmed: true,
        }),
    ));
    app.update(Action::Tick(now() + Duration::seconds(15 * 60 - 42)));
    snap!("sign_in_copied_nearly_expired", &app);
}

#[test]
fn sign_in_failed_apps_screen() {
    let (mut app, fx) = signing_in();
    let org = org_request(&fx);
    app.update(Action::SignInPrompt(None));
    app.update(Action::OrganizationLoaded(
        org,
        Err(GraphError::Auth(AuthError::Declined)),
    ));
    app.toasts.clear();
    snap!("sign_in_declined_apps", &app);
}

#[test]
fn cancelling_a_mid_run_sign_in_does_not_lose_an_uncopied_secret() {
    let mut app = open_payments(false);
    press(&mut app, &[key('n')]);
    let fx = press(&mut app, &[code(KeyCode::Tab), code(KeyCode::Tab)]);
    assert!(fx.is_empty());
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::AddSecret { request, .. }) = fx.into_iter().next() else {
        panic!("no add effect");
    };
    app.update(Action::SecretAdded(request, Ok(added("ci"))));
    // A token refresh is refused later: the sign-in screen covers the reveal dialog.
    app.update(Action::SignInPrompt(Some(device_prompt())));
    assert_eq!(app.context(), Context::SignIn);
    app.handle_key(code(KeyCode::Esc));
    assert!(!app.should_quit, "the value would be lost");
    let status = app.sign_in.status.as_ref().expect("says why");
    assert!(status.text.contains("never copied"), "{}", status.text);
    // Signed in: the reveal dialog is back with its value.
    app.update(Action::SignInPrompt(None));
    assert_eq!(app.context(), Context::Reveal);
}
