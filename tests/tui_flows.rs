//! Headless flows through `update` (no terminal): keys in, effects out, results fed back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

#[path = "tui_support.rs"]
mod support;

use std::sync::Arc;

use chrono::{Duration, Local, TimeZone};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Size;

use azsecrets::app::{
    APP_CHROME, APPS_CHROME, Action, App, AppsTab, CloseFocus, ConfirmFocus, ConfirmKind,
    CopyTarget, Dialog, Effect, JournalNote, RevealMode, Screen,
};
use azsecrets::create::AddError;
use azsecrets::graph::{ObjectId, Page, RemoveOutcome, SecretId};
use azsecrets::handoff::{CopyMethod, CopyReport, EnvFileReport, HandoffError};
use azsecrets::keymap::Command;
use support::*;

fn add_secret_effect(
    fx: Vec<Effect>,
) -> (u64, ObjectId, azsecrets::graph::PasswordCredentialRequest) {
    match fx.into_iter().next() {
        Some(Effect::AddSecret { request, plan }) => {
            // The journal names the tenant and the app (both ids) before anything is sent.
            assert_eq!(
                plan.tenant.as_ref().map(|t| t.as_str()),
                Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
            );
            assert_eq!(plan.app.app_id.as_str(), PAYMENTS_APPID);
            assert_eq!(plan.destination, "reveal");
            (request, plan.app.object_id, plan.request)
        }
        other => panic!("expected AddSecret, got {other:?}"),
    }
}

fn native_report() -> CopyReport {
    CopyReport {
        method: CopyMethod::Native,
        clears_at: Local.with_ymd_and_hms(2026, 11, 26, 14, 5, 33).single(),
        status: "Copied to clipboard — clears in 45 s".into(),
        confirmed: true,
    }
}

/// Open payments-api, add "local dev" with 90 days, and reach the reveal dialog.
fn add_and_reveal() -> (App, Arc<()>) {
    let mut app = open_payments(false);
    let fx = submit_local_dev(&mut app);
    let (request, target, credential) = add_secret_effect(fx);
    assert_eq!(target.as_str(), PAYMENTS_OBJ);
    assert_eq!(credential.display_name.as_deref(), Some("local dev"));
    // Explicit dates, seconds precision, 90 days.
    assert_eq!(credential.start_date_time, Some(now()));
    assert_eq!(credential.end_date_time, Some(now() + Duration::days(90)));
    app.update(Action::SecretAdded(request, Ok(added("local dev"))));
    (app, Arc::new(()))
}

fn reveal(app: &App) -> &azsecrets::app::Reveal {
    match app.dialogs.last() {
        Some(Dialog::Reveal(r)) => r,
        other => panic!("expected the reveal dialog, got {other:?}"),
    }
}

#[test]
fn add_reveal_copy_close() {
    let (mut app, _) = add_and_reveal();
    assert!(!reveal(&app).shown, "masked until v");
    let fx = press(&mut app, &[key('c')]);
    let (request, value) = match fx.into_iter().next() {
        Some(Effect::CopySecret { request, value }) => (request, value),
        other => panic!("expected CopySecret, got {other:?}"),
    };
    assert_eq!(
        value.expose(),
        FAKE_VALUE,
        "the effect carries the one value"
    );
    assert_eq!(Arc::strong_count(&value), 2, "shared, not copied");
    app.update(Action::Copied(
        request,
        CopyTarget::SecretValue,
        Ok(native_report()),
    ));
    let r = reveal(&app);
    assert!(r.handed_off);
    assert_eq!(
        r.status.as_ref().map(|s| s.text.as_str()),
        Some("Copied to clipboard — clears in 45 s")
    );
    // Copied, so Esc closes without asking; the value is dropped with the dialog.
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(app.dialogs.is_empty());
    assert_eq!(
        Arc::strong_count(&value),
        1,
        "the dialog let go of the value"
    );
    let d = app.detail.as_ref().expect("app screen");
    let new = d
        .secrets()
        .into_iter()
        .find(|s| s.key_id.as_str() == "11112222-3333-4444-8555-666677778888")
        .cloned()
        .expect("new row");
    assert_eq!(new.masked_value(), "Fk3*****");
    assert_eq!(
        d.selected_secret().map(|s| s.key_id.clone()),
        Some(new.key_id.clone()),
        "the new row is selected"
    );
    // The apps list shows the new count too.
    let row = app
        .all
        .rows
        .iter()
        .find(|a| a.id.as_str() == PAYMENTS_OBJ)
        .expect("row");
    assert_eq!(row.password_credentials.len(), 4);
    let text = screen_text(&app, 120, 40);
    assert!(text.contains("local dev") && text.contains("Fk3*****"));
    assert!(!text.contains(FAKE_VALUE));
    // Exit summary: masked, with where it went.
    let summary = app.summary.to_string();
    assert!(summary.contains("payments-api"));
    assert!(summary.contains("local dev"));
    assert!(summary.contains("11112222-3333-4444-8555-666677778888"));
    assert!(summary.contains("Fk3*****"));
    assert!(summary.contains("copied to clipboard, clears at 14:05:33"));
    assert!(!summary.contains(FAKE_VALUE));
}

/// Closing a value nobody holds asks: delete the secret again (the default) or keep it.
/// (Behaviour changed on purpose in issue 11: "close, lose it" left a secret nobody holds.)
#[test]
fn closing_an_uncopied_value_asks_first() {
    let (mut app, _) = add_and_reveal();
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(matches!(
        reveal(&app).mode,
        RevealMode::ConfirmClose {
            focus: CloseFocus::Delete,
            quitting: false
        }
    ));
    press(&mut app, &[key('n')]);
    assert!(
        matches!(reveal(&app).mode, RevealMode::Normal),
        "n goes back"
    );
    // k keeps it: the dialog closes, the journal records the choice, the summary says so.
    let fx = press(&mut app, &[code(KeyCode::Esc), key('k')]);
    assert!(app.dialogs.is_empty(), "k keeps it and closes");
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Journal {
                note: JournalNote::Kept(_),
                ..
            }
        )),
        "{fx:?}"
    );
    let summary = app.summary.to_string();
    assert!(summary.contains("Kept by your choice"), "{summary}");
    assert!(!summary.contains("Nobody holds"), "{summary}");
}

#[test]
fn closing_an_uncopied_value_deletes_it_again_by_default() {
    let (mut app, _) = add_and_reveal();
    let fx = press(&mut app, &[code(KeyCode::Esc), code(KeyCode::Enter)]);
    let Some(Effect::RollBack {
        request,
        op,
        secret,
        ..
    }) = fx.into_iter().next()
    else {
        panic!("Enter on the default deletes the new secret again");
    };
    assert!(op.is_some(), "its journal entry ends with it");
    assert_eq!(secret.as_str(), "11112222-3333-4444-8555-666677778888");
    // Nothing else while Graph deletes it.
    assert!(press(&mut app, &[code(KeyCode::Esc)]).is_empty());
    assert!(matches!(app.dialogs.last(), Some(Dialog::Reveal(_))));
    app.update(Action::RolledBack(request, Ok(RemoveOutcome::Removed)));
    assert!(app.dialogs.is_empty());
    let d = app.detail.as_ref().expect("app screen");
    assert!(
        d.secrets()
            .iter()
            .all(|s| s.key_id.as_str() != "11112222-3333-4444-8555-666677778888"),
        "the row left"
    );
    let summary = app.summary.to_string();
    assert!(
        summary
            .contains("Created client secret \"local dev\" on payments-api and deleted it again"),
        "{summary}"
    );
    assert!(summary.contains("nothing of it remains"), "{summary}");
}

#[test]
fn env_block_and_env_file() {
    let (mut app, _) = add_and_reveal();
    let fx = press(&mut app, &[key('e')]);
    match fx.into_iter().next() {
        Some(Effect::CopyEnvBlock {
            client_id,
            tenant_id,
            value,
            ..
        }) => {
            assert_eq!(client_id.as_str(), PAYMENTS_APPID);
            assert_eq!(tenant_id.as_str(), "72f988bf-86f1-41af-91ab-2d7cd011db47");
            assert_eq!(value.expose(), FAKE_VALUE);
        }
        other => panic!("expected CopyEnvBlock, got {other:?}"),
    }
    let fx = press(&mut app, &[key('w')]);
    assert!(fx.is_empty());
    assert!(matches!(&reveal(&app).mode, RevealMode::WritePath(i) if i.value() == "./.env"));
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let request = match fx.into_iter().next() {
        Some(Effect::WriteEnvFile { request, path, .. }) => {
            assert_eq!(path, std::path::PathBuf::from("./.env"));
            request
        }
        other => panic!("expected WriteEnvFile, got {other:?}"),
    };
    app.update(Action::EnvFileWritten(
        request,
        Ok(EnvFileReport {
            path: "./.env".into(),
            updated: false,
            git_warning: Some("git would track ./.env: add it to .gitignore".into()),
            mode: 0o600,
        }),
    ));
    let r = reveal(&app);
    assert!(r.handed_off);
    assert!(
        r.status
            .as_ref()
            .is_some_and(|s| s.text.contains("git would track"))
    );
    assert!(app.summary.to_string().contains(".env written at ./.env"));
}

#[test]
fn no_clipboard_says_what_to_do() {
    let (mut app, _) = add_and_reveal();
    let fx = press(&mut app, &[key('c')]);
    let Some(Effect::CopySecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected CopySecret");
    };
    app.update(Action::Copied(
        request,
        CopyTarget::SecretValue,
        Err(azsecrets::handoff::HandoffError::NoClipboard {
            reason: "no display".into(),
        }),
    ));
    let r = reveal(&app);
    assert!(!r.handed_off);
    let text = &r.status.as_ref().expect("status").text;
    assert!(
        text.contains("press v") || text.contains("Press v"),
        "{text}"
    );
}

fn select_secret(app: &mut App, key_id: &str) {
    press(app, &[key('g')]);
    for _ in 0..5 {
        let d = app.detail.as_ref().expect("detail");
        if d.selected_secret()
            .is_some_and(|s| s.key_id.as_str() == key_id)
        {
            return;
        }
        press(app, &[key('j')]);
    }
    panic!("secret {key_id} not found");
}

#[test]
fn delete_starts_on_cancel_then_deletes() {
    let mut app = open_payments(false);
    select_secret(&mut app, CI_KEY);
    press(&mut app, &[key('d')]);
    match app.dialogs.last() {
        Some(Dialog::Confirm(c)) => {
            assert_eq!(c.kind, ConfirmKind::Delete);
            assert_eq!(c.focus, ConfirmFocus::Safe);
            assert_eq!(c.secret.key_id.as_str(), CI_KEY);
        }
        other => panic!("expected the confirmation, got {other:?}"),
    }
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("ci-deploy") && text.contains(CI_KEY) && text.contains("payments-api"));
    assert!(text.contains("stop signing in"));
    // Enter on Cancel: nothing happens.
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    assert!(fx.is_empty() && app.dialogs.is_empty());

    press(&mut app, &[key('d'), code(KeyCode::Tab)]);
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let request = match fx.into_iter().next() {
        Some(Effect::RemoveSecret {
            request,
            app: target,
            key_id,
        }) => {
            assert_eq!(target.as_str(), PAYMENTS_OBJ);
            assert_eq!(key_id, SecretId::new(CI_KEY));
            request
        }
        other => panic!("expected RemoveSecret, got {other:?}"),
    };
    app.update(Action::SecretRemoved(request, Ok(RemoveOutcome::Removed)));
    assert!(app.dialogs.is_empty());
    let d = app.detail.as_ref().expect("detail");
    assert!(d.secrets().iter().all(|s| s.key_id.as_str() != CI_KEY));
    let summary = app.summary.to_string();
    assert!(summary.contains("Deleted client secret \"ci-deploy\" from payments-api"));
    assert!(summary.contains(CI_KEY));
}

#[test]
fn delete_errors_stay_in_the_dialog_and_already_gone_is_reported() {
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
            "Insufficient privileges",
        )),
    ));
    match app.dialogs.last() {
        Some(Dialog::Confirm(c)) => {
            let e = c.submit.error.as_ref().expect("error shown");
            assert!(e.advice.contains("own this app"));
            assert_eq!(e.code.as_deref(), Some("Authorization_RequestDenied"));
            assert!(e.request_id.is_some());
            assert!(c.submit.pending.is_none());
        }
        other => panic!("the dialog stays open, got {other:?}"),
    }
    // Try again: this time it was already gone.
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::RemoveSecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected RemoveSecret");
    };
    app.update(Action::SecretRemoved(
        request,
        Ok(RemoveOutcome::AlreadyGone),
    ));
    assert!(app.dialogs.is_empty());
    assert!(
        app.toasts
            .iter()
            .any(|t| t.text.contains("already removed"))
    );
}

/// Rotate ci-deploy through the reveal; returns the app at the "delete the old one?" prompt.
fn rotate_to_prompt() -> App {
    let mut app = open_payments(false);
    select_secret(&mut app, CI_KEY);
    press(&mut app, &[key('R')]);
    match app.dialogs.last() {
        Some(Dialog::AddSecret(f)) => {
            assert_eq!(f.description.value(), "ci-deploy");
            assert!(f.rotating.is_some());
        }
        other => panic!("expected the prefilled add dialog, got {other:?}"),
    }
    press(&mut app, &[code(KeyCode::BackTab), code(KeyCode::BackTab)]);
    let (request, _, credential) = add_secret_effect(press(&mut app, &[code(KeyCode::Enter)]));
    assert_eq!(credential.display_name.as_deref(), Some("ci-deploy"));
    app.update(Action::SecretAdded(request, Ok(added("ci-deploy"))));
    let Some(Effect::CopySecret { request, .. }) = press(&mut app, &[key('c')]).into_iter().next()
    else {
        panic!("expected CopySecret");
    };
    app.update(Action::Copied(
        request,
        CopyTarget::SecretValue,
        Ok(native_report()),
    ));
    // Closing checks that the new secret signs in before the old one is offered.
    let request = verify_effect(press(&mut app, &[code(KeyCode::Esc)]));
    assert!(
        matches!(app.dialogs.last(), Some(Dialog::Reveal(_))),
        "the reveal stays while the check runs"
    );
    app.update(Action::Verified(request, Ok(signs_in_after(14))));
    match app.dialogs.last() {
        Some(Dialog::Confirm(c)) => {
            assert_eq!(c.kind, ConfirmKind::RotateOld);
            assert_eq!(c.focus, ConfirmFocus::Safe, "Keep both is the default");
            assert_eq!(c.secret.key_id.as_str(), CI_KEY);
            assert_eq!(
                c.note.as_deref(),
                Some("The new secret signs in ✓ after 14 s.")
            );
        }
        other => panic!("expected the rotate prompt, got {other:?}"),
    }
    app
}

/// The request of the sign-in check among `fx`.
fn verify_effect(fx: Vec<Effect>) -> u64 {
    fx.into_iter()
        .find_map(|e| match e {
            Effect::VerifySecret { request, .. } => Some(request),
            _ => None,
        })
        .expect("expected VerifySecret")
}

fn signs_in_after(secs: u64) -> azsecrets::verify::Verified {
    azsecrets::verify::Verified {
        elapsed: std::time::Duration::from_secs(secs),
        attempts: 3,
    }
}

#[test]
fn rotate_keep_both() {
    let mut app = rotate_to_prompt();
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    assert!(fx.is_empty(), "Keep both removes nothing");
    assert!(app.dialogs.is_empty());
    let d = app.detail.as_ref().expect("detail");
    assert_eq!(d.secrets().len(), 4, "old and new are both there");
}

#[test]
fn rotate_delete_old_removes_only_the_old_one() {
    let mut app = rotate_to_prompt();
    press(&mut app, &[code(KeyCode::Tab)]);
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let request = match fx.into_iter().next() {
        Some(Effect::RemoveSecret {
            request, key_id, ..
        }) => {
            assert_eq!(key_id.as_str(), CI_KEY, "only the rotated secret");
            request
        }
        other => panic!("expected RemoveSecret, got {other:?}"),
    };
    app.update(Action::SecretRemoved(request, Ok(RemoveOutcome::Removed)));
    let d = app.detail.as_ref().expect("detail");
    let keys: Vec<&str> = d.secrets().iter().map(|s| s.key_id.as_str()).collect();
    assert_eq!(keys.len(), 3);
    assert!(keys.contains(&"11112222-3333-4444-8555-666677778888"));
    assert!(!keys.contains(&CI_KEY));
}

#[test]
fn graph_errors_are_explained_in_the_add_dialog() {
    let cases = [
        (
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            "Application Administrator",
        ),
        (
            400,
            "CredentialInvalidLifetimeAsPerAppPolicy",
            "Credential lifetime exceeds the max value allowed as per assigned policy.",
            "shorter expiry",
        ),
        (
            400,
            "CredentialTypeNotAllowedAsPerAppPolicy",
            "Password credentials are not allowed as per assigned policy.",
            "does not allow client secrets",
        ),
        (
            400,
            "Request_BadRequest",
            "The application can have a maximum of 2 password credentials.",
            "at most two client secrets",
        ),
    ];
    for (status, code_, message, advice) in cases {
        let mut app = open_payments(false);
        press(
            &mut app,
            &[key('n'), code(KeyCode::Tab), code(KeyCode::Tab)],
        );
        let (request, _, _) = add_secret_effect(press(&mut app, &[code(KeyCode::Enter)]));
        let fx = app.update(Action::SecretAdded(
            request,
            Err(AddError::Refused(api_error(status, code_, message))),
        ));
        assert!(fx.is_empty());
        match app.dialogs.last() {
            Some(Dialog::AddSecret(f)) => {
                let e = f.submit.error.as_ref().expect("error in the dialog");
                assert!(e.advice.contains(advice), "{code_}: {}", e.advice);
                assert_eq!(e.code.as_deref(), Some(code_));
                assert!(f.submit.pending.is_none(), "can try again");
            }
            other => panic!("the dialog stays open, got {other:?}"),
        }
        let text = screen_text(&app, 120, 40);
        assert!(text.contains(code_), "{code_} shown");
        assert!(
            text.contains("5f0c1f4e-aaaa-4bbb-8ccc-0123456789ab"),
            "request-id shown"
        );
        // And it can be submitted again.
        assert!(matches!(
            press(&mut app, &[code(KeyCode::Enter)]).first(),
            Some(Effect::AddSecret { .. })
        ));
    }
}

#[test]
fn add_dialog_cannot_close_while_waiting() {
    let mut app = open_payments(false);
    press(
        &mut app,
        &[key('n'), code(KeyCode::Tab), code(KeyCode::Tab)],
    );
    let (request, _, _) = add_secret_effect(press(&mut app, &[code(KeyCode::Enter)]));
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(matches!(app.dialogs.last(), Some(Dialog::AddSecret(_))));
    app.update(Action::SecretAdded(request, Ok(added("x"))));
    assert!(matches!(app.dialogs.last(), Some(Dialog::Reveal(_))));
}

#[test]
fn read_only_refuses_writes() {
    let mut app = open_payments(true);
    for k in ['n', 'd', 'R'] {
        let fx = press(&mut app, &[key(k)]);
        assert!(fx.is_empty());
        assert!(
            app.dialogs.is_empty(),
            "{k} opens nothing in read-only mode"
        );
    }
    for c in [
        Command::NewSecret,
        Command::DeleteSecret,
        Command::RotateSecret,
    ] {
        assert!(app.update(Action::Command(c)).is_empty());
        assert!(app.dialogs.is_empty());
    }
    assert!(app.toasts.iter().any(|t| t.text.contains("read-only")));
    // Esc back to the list; N is refused there too.
    press(&mut app, &[code(KeyCode::Esc), key('N')]);
    assert!(app.dialogs.is_empty());
    // The footer still lists them (dimmed), with the reason.
    let text = screen_text(&app, 120, 40);
    assert!(text.contains("new app") && text.contains("read-only"));
}

#[test]
fn filter_fuzzy_ids_and_esc_clears() {
    let mut app = loaded(false);
    press(&mut app, &[key('/')]);
    type_text(&mut app, "bil");
    let names = |app: &App| -> Vec<String> {
        app.all
            .view
            .iter()
            .map(|&i| app.all.rows[i as usize].display_name.to_string())
            .collect()
    };
    assert_eq!(names(&app), vec!["billing-worker"]);
    // Fuzzy: "pyapi" finds payments-api.
    press(&mut app, &[code(KeyCode::Esc), key('/')]);
    type_text(&mut app, "pyapi");
    assert_eq!(names(&app), vec!["payments-api"]);
    // Exact over ids (Application ID and Object ID fragments).
    press(&mut app, &[code(KeyCode::Esc), key('/')]);
    type_text(&mut app, "631a96bc");
    assert_eq!(names(&app), vec!["payments-api"]);
    press(&mut app, &[code(KeyCode::Esc), key('/')]);
    type_text(&mut app, "3333-4333");
    assert_eq!(names(&app), vec!["contoso-portal"]);
    // Esc clears and never quits.
    press(&mut app, &[code(KeyCode::Esc)]);
    assert_eq!(app.filter.value(), "");
    assert_eq!(app.all.view.len(), 4);
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(!app.should_quit);
    // Typing q in the filter is text, not quit.
    press(&mut app, &[key('/'), key('q')]);
    assert!(!app.should_quit);
    assert_eq!(app.filter.value(), "q");
    press(&mut app, &[code(KeyCode::Esc), key('q')]);
    assert!(app.should_quit, "q quits from the apps screen");
}

#[test]
fn pasted_guid_not_loaded_is_looked_up() {
    let mut app = loaded(false);
    press(&mut app, &[key('/')]);
    let guid = "12345678-90ab-4cde-8f01-234567890abc";
    // The lookup starts as soon as the filter holds a whole GUID no row has.
    let fx = type_text(&mut app, guid);
    assert!(app.all.view.is_empty());
    let request = match fx.as_slice() {
        [Effect::LookupApp { request, id }] => {
            assert_eq!(id, guid);
            *request
        }
        other => panic!("expected one LookupApp, got {other:?}"),
    };
    // Enter while it runs does not ask twice.
    assert!(app.handle_key(code(KeyCode::Enter)).is_empty());
    let mut found = apps().remove(1);
    found.app_id = azsecrets::graph::ApplicationId::new(guid);
    found.id = ObjectId::new("99999999-0000-4000-8000-000000000099");
    found.display_name = "far-away-app".into();
    app.update(Action::AppLookedUp(
        request,
        Ok(azsecrets::graph::AppLookup::Found(Box::new(found))),
    ));
    assert_eq!(app.all.view.len(), 1);
    assert_eq!(
        app.all.selected_app().map(|a| a.display_name.as_ref()),
        Some("far-away-app")
    );
    // A loaded id is not looked up.
    press(&mut app, &[code(KeyCode::Esc), key('/')]);
    assert!(type_text(&mut app, PAYMENTS_APPID).is_empty());
    assert_eq!(app.all.view.len(), 1);
    // Not found: said in words.
    press(&mut app, &[code(KeyCode::Esc), key('/')]);
    let fx = type_text(&mut app, "abcdefab-90ab-4cde-8f01-234567890abc");
    let Some(Effect::LookupApp { request, .. }) = fx.into_iter().next() else {
        panic!("expected LookupApp");
    };
    app.update(Action::AppLookedUp(
        request,
        Ok(azsecrets::graph::AppLookup::NotFound),
    ));
    assert!(app.toasts.iter().any(|t| t.text.contains("No application")));
}

#[test]
fn sort_cycles_name_then_next_expiry() {
    let mut app = loaded(false);
    let names = |app: &App| -> Vec<String> {
        app.all
            .view
            .iter()
            .map(|&i| app.all.rows[i as usize].display_name.to_string())
            .collect()
    };
    assert_eq!(
        names(&app),
        vec![
            "billing-worker",
            "contoso-portal",
            "legacy-reports",
            "payments-api"
        ]
    );
    press(&mut app, &[key('s')]);
    assert_eq!(
        names(&app),
        vec![
            "legacy-reports",
            "payments-api",
            "billing-worker",
            "contoso-portal"
        ],
        "soonest expiry first, apps without credentials last"
    );
    press(&mut app, &[key('s')]);
    assert_eq!(names(&app)[0], "billing-worker");
}

#[test]
fn stale_results_are_dropped_and_old_rows_stay_while_refreshing() {
    let mut app = loaded(false);
    let first = app.handle_key(key('r'));
    let Some(Effect::LoadApps { request: r1, .. }) = first.into_iter().next() else {
        panic!("expected LoadApps");
    };
    assert_eq!(app.all.rows.len(), 4, "old rows stay while reloading");
    let second = app.handle_key(key('r'));
    let Some(Effect::LoadApps { request: r2, .. }) = second.into_iter().next() else {
        panic!("expected LoadApps");
    };
    // The first refresh answers late: dropped.
    app.update(Action::AppsPage {
        request: r1,
        tab: AppsTab::All,
        result: Ok(Page {
            items: apps().into_iter().take(1).collect(),
            count: None,
            has_more: false,
            skipped: 0,
        }),
    });
    assert_eq!(app.all.rows.len(), 4);
    assert!(app.all.is_loading());
    // Pages of the current refresh are collected, then swapped in.
    app.update(Action::AppsPage {
        request: r2,
        tab: AppsTab::All,
        result: Ok(Page {
            items: apps().into_iter().take(2).collect(),
            count: None,
            has_more: true,
            skipped: 0,
        }),
    });
    assert_eq!(app.all.rows.len(), 4, "still the old rows mid-refresh");
    app.update(Action::AppsPage {
        request: r2,
        tab: AppsTab::All,
        result: Ok(Page {
            items: apps().into_iter().skip(2).take(1).collect(),
            count: None,
            has_more: false,
            skipped: 0,
        }),
    });
    assert_eq!(
        app.all.rows.len(),
        3,
        "the refreshed list replaced the old one"
    );
    assert!(!app.all.is_loading());

    // The App screen drops a stale AppLoaded too.
    press(&mut app, &[code(KeyCode::Enter)]);
    let fx = app.handle_key(key('r'));
    let Some(Effect::LoadApp { request: old, id }) = fx.into_iter().next() else {
        panic!("expected LoadApp");
    };
    let fx = app.handle_key(key('r'));
    let Some(Effect::LoadApp { request: new, .. }) = fx.into_iter().next() else {
        panic!("expected LoadApp");
    };
    let mut stale = apps().into_iter().find(|a| a.id == id).expect("fixture");
    stale.display_name = "stale name".into();
    app.update(Action::AppLoaded(old, Ok(stale)));
    let shown = app
        .detail
        .as_ref()
        .and_then(|d| d.registration())
        .map(|a| a.display_name.clone());
    assert_ne!(shown.as_deref(), Some("stale name"));
    let fresh = apps().into_iter().find(|a| a.id == id).expect("fixture");
    app.update(Action::AppLoaded(new, Ok(fresh.clone())));
    let shown = app
        .detail
        .as_ref()
        .and_then(|d| d.registration())
        .map(|a| a.display_name.clone());
    assert_eq!(shown, Some(fresh.display_name));
}

#[test]
fn new_registration_opens_the_app_ready_for_n() {
    let mut app = loaded(false);
    press(&mut app, &[key('N')]);
    type_text(&mut app, "orders-api");
    // Tab to Audience, pick multitenant, Tab Redirect, Tab Register.
    press(
        &mut app,
        &[code(KeyCode::Tab), code(KeyCode::Down), code(KeyCode::Tab)],
    );
    type_text(&mut app, "https://localhost:5001/signin-oidc");
    press(&mut app, &[code(KeyCode::Tab)]);
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let (request, new) = match fx.into_iter().next() {
        Some(Effect::CreateApp { request, app }) => (request, app),
        other => panic!("expected CreateApp, got {other:?}"),
    };
    assert_eq!(new.display_name, "orders-api");
    assert_eq!(new.sign_in_audience.as_str(), "AzureADMultipleOrgs");
    assert_eq!(
        new.web.as_ref().map(|w| w.redirect_uris.clone()),
        Some(vec!["https://localhost:5001/signin-oidc".to_owned()])
    );
    let mut created = apps().remove(2);
    created.display_name = "orders-api".into();
    created.id = ObjectId::new("0a1b2c3d-5555-4555-8555-000000000005");
    let fx = app.update(Action::AppCreated(request, Ok(created)));
    assert!(
        fx.iter().all(|e| !matches!(e, Effect::LoadApp { .. })),
        "no need to re-read"
    );
    assert_eq!(app.screen, Screen::App);
    assert_eq!(
        app.detail.as_ref().map(|d| d.tab),
        Some(azsecrets::app::DetailTab::ClientSecrets)
    );
    press(&mut app, &[key('n')]);
    assert!(matches!(app.dialogs.last(), Some(Dialog::AddSecret(_))));
}

#[test]
fn esc_never_quits_ctrl_c_always_does() {
    let mut app = open_payments(false);
    press(&mut app, &[key('n')]);
    press(
        &mut app,
        &[code(KeyCode::Esc), code(KeyCode::Esc), code(KeyCode::Esc)],
    );
    assert!(!app.should_quit);
    assert_eq!(app.screen, Screen::Apps);
    press(&mut app, &[key('N')]);
    app.handle_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(app.should_quit);
}

#[test]
fn copy_menu_labels_the_secret_id() {
    let mut app = open_payments(false);
    press(&mut app, &[key('y')]);
    let text = screen_text(&app, 80, 24);
    assert!(text.contains("Application (client) ID"));
    assert!(text.contains("Directory (tenant) ID"));
    assert!(text.contains("NOT its value"));
    let fx = press(&mut app, &[key('1')]);
    match fx.into_iter().next() {
        Some(Effect::CopyText { label, text, .. }) => {
            assert_eq!(label, "Application (client) ID");
            assert_eq!(text, PAYMENTS_APPID);
        }
        other => panic!("expected CopyText, got {other:?}"),
    }
    assert!(app.dialogs.is_empty());
}

/// An id copied by OSC 52 (nothing confirms it arrived) gets no tick; a confirmed one does.
#[test]
fn an_id_copy_nothing_confirmed_is_a_note_not_a_success() {
    use azsecrets::app::ToastLevel;
    use azsecrets::handoff::{CopyMethod, CopyReport};
    for (confirmed, level, mark) in [
        (false, ToastLevel::Note, false),
        (true, ToastLevel::Info, true),
    ] {
        let mut app = open_payments(false);
        press(&mut app, &[key('y')]);
        let Some(Effect::CopyText { request, label, .. }) =
            app.handle_key(key('1')).into_iter().next()
        else {
            panic!("expected CopyText");
        };
        app.update(Action::Copied(
            request,
            CopyTarget::Text(label),
            Ok(CopyReport {
                method: CopyMethod::Osc52,
                clears_at: None,
                status: "Sent to the terminal (OSC 52)".into(),
                confirmed,
            }),
        ));
        let toast = app.toasts.last().expect("a toast");
        assert_eq!(toast.level, level);
        let text = screen_text(&app, 120, 40);
        assert_eq!(
            text.contains("✓ Application (client) ID: Sent"),
            mark,
            "{text}"
        );
        assert!(text.contains("Application (client) ID: Sent"), "{text}");
    }
}

#[test]
fn filtering_fifty_thousand_apps_finds_the_right_rows() {
    let mut app = App::new(settings(false), now());
    let fx = app.start();
    let template = apps().remove(1);
    let words = [
        "billing", "payments", "orders", "search", "identity", "reports", "gateway",
    ];
    let mut rows = Vec::with_capacity(50_000);
    for i in 0..50_000u32 {
        let mut a = template.clone();
        a.display_name = format!(
            "{}-{}-{i}",
            words[i as usize % 7],
            words[(i as usize / 7) % 7]
        );
        a.id = ObjectId::new(format!("00000000-0000-4000-8000-{i:012}"));
        rows.push(a);
    }
    for e in fx {
        if let Effect::LoadApps { request, tab, .. } = e {
            app.update(Action::AppsPage {
                request,
                tab,
                result: Ok(Page {
                    items: std::mem::take(&mut rows),
                    count: None,
                    has_more: false,
                    skipped: 0,
                }),
            });
        }
    }
    assert_eq!(app.all.rows.len(), 50_000);
    press(&mut app, &[key('/')]);
    for c in "pay rep 12".chars() {
        app.handle_key(key(c));
    }
    // Speed is measured by `cargo bench --bench tui` (bench/README.md), not asserted here;
    // this checks that filtering and drawing 50,000 rows work and find the right rows.
    assert!(!app.all.view.is_empty());
    for &i in &app.all.view {
        let name = &app.all.rows[i as usize].display_name;
        assert!(name.contains("pay") || name.contains("rep"), "{name}");
    }
    let text = screen_text(&app, 120, 40);
    assert!(text.contains("of 50,000 apps"), "{text}");
}

#[test]
fn disabled_keys_are_dimmed_not_hidden() {
    use ratatui::style::Modifier;
    let app = loaded(true);
    let term = draw(&app, 120, 40);
    let buf = term.backend().buffer();
    let footer_y = 39;
    let line: String = (0..120)
        .map(|x| buf[(x, footer_y)].symbol().to_owned())
        .collect();
    let at = line.find("N new app").expect("N listed in the footer") as u16;
    assert!(
        buf[(at, footer_y)].modifier.contains(Modifier::DIM),
        "dimmed, which survives NO_COLOR"
    );
    let r = line.find("r refresh").expect("r listed") as u16;
    assert!(!buf[(r, footer_y)].modifier.contains(Modifier::DIM));
}

/// An app whose keyboard focus is in `ctx`.
fn in_context(ctx: azsecrets::keymap::Context) -> App {
    use azsecrets::keymap::Context as C;
    let mut app = match ctx {
        C::Apps | C::Filter | C::Global | C::Tenants => loaded(false),
        C::SignIn => signing_in().0,
        _ => open_payments(false),
    };
    let keys: Vec<KeyEvent> = match ctx {
        C::Filter => vec![key('/')],
        C::AppCertificates => vec![key('1')],
        C::AppFederated => vec![key('3')],
        C::UploadCertificate => vec![key('1'), key('u')],
        C::NewCertificate => vec![key('1'), key('n')],
        C::AddSecret => vec![key('n')],
        C::ConfirmDelete => vec![key('d')],
        C::NewRegistration => vec![code(KeyCode::Esc), key('N')],
        C::CopyMenu => vec![key('y')],
        C::Help => vec![key('?')],
        _ => vec![],
    };
    press(&mut app, &keys);
    if matches!(ctx, C::NewFederated | C::FederatedDetail) {
        press(&mut app, &[key('3')]);
        let reg = app.detail.as_ref().unwrap().registration().unwrap().clone();
        let cred: azsecrets::graph::FederatedCredential =
            serde_json::from_value(serde_json::json!({
                "id": "4d13739b-5ff8-4531-aac5-14d3a7b0ff6f", "name": "main-branch",
                "issuer": "https://token.actions.githubusercontent.com",
                "subject": "repo:contoso/infra:ref:refs/heads/main",
                "audiences": ["api://AzureADTokenExchange"]
            }))
            .unwrap();
        app.dialogs.push(if ctx == C::NewFederated {
            azsecrets::app::NewFederated::new(&reg, vec![]).into()
        } else {
            azsecrets::app::FederatedDetail::new(reg.display_name.clone(), cred).into()
        });
    }
    if ctx == C::Recovery {
        app.dialogs
            .push(azsecrets::app::Recovery::new(vec![orphan()]).into());
    }
    if ctx == C::Tenants {
        app.dialogs
            .push(azsecrets::app::TenantPicker::new(1, None).into());
    }
    if matches!(
        ctx,
        C::Reveal
            | C::RevealPath
            | C::RevealConfirmClose
            | C::RevealConfirmReplace
            | C::RevealVault
            | C::RevealGitHub
            | C::RevealExec
            | C::RotatePrompt
    ) {
        press(
            &mut app,
            &[key('R'), code(KeyCode::BackTab), code(KeyCode::BackTab)],
        );
        let (request, _, _) = add_secret_effect(press(&mut app, &[code(KeyCode::Enter)]));
        app.update(Action::SecretAdded(request, Ok(added("x"))));
        match ctx {
            C::RevealPath => {
                press(&mut app, &[key('w')]);
            }
            C::RevealConfirmClose => {
                press(&mut app, &[code(KeyCode::Esc)]);
            }
            C::RevealConfirmReplace => {
                press(&mut app, &[key('w')]);
                let fx = press(&mut app, &[code(KeyCode::Enter)]);
                let Some(Effect::WriteEnvFile { request, .. }) = fx.into_iter().next() else {
                    panic!("expected WriteEnvFile");
                };
                app.update(Action::EnvFileWritten(
                    request,
                    Err(HandoffError::EnvConflict {
                        path: "./.env".into(),
                        client_id: Some("7b2e0c11-3c4d-4e5f-8a9b-0c1d2e3f4a5b".into()),
                        tenant_id: None,
                    }),
                ));
            }
            C::RotatePrompt => {
                // "I saved it": the new value is held, so once it signs in the old one may go.
                press(&mut app, &[code(KeyCode::Esc)]);
                let request = verify_effect(press(&mut app, &[key('k')]));
                app.update(Action::Verified(request, Ok(signs_in_after(3))));
            }
            C::RevealVault => {
                press(&mut app, &[key('k')]);
            }
            C::RevealGitHub => {
                press(&mut app, &[key('g')]);
            }
            C::RevealExec => {
                press(&mut app, &[key('x')]);
            }
            _ => {}
        }
    }
    app
}

/// A secret an interrupted run left on payments-api.
fn orphan() -> azsecrets::create::Orphan {
    azsecrets::create::Orphan {
        op: azsecrets::journal::OpId::new(),
        app: azsecrets::journal::AppRef {
            object_id: ObjectId::new(PAYMENTS_OBJ),
            app_id: azsecrets::graph::ApplicationId::new(PAYMENTS_APPID),
            name: "payments-api".into(),
        },
        description: Some("interrupted".into()),
        created_at: now(),
        secret_id: SecretId::new("99998888-7777-4666-8555-444433332222"),
        hint: Some("Xy1".into()),
    }
}

#[test]
fn every_binding_resolves_and_dispatches_in_its_context() {
    use azsecrets::keymap::{BINDINGS, Context};
    for b in BINDINGS {
        // The App screen's shared keys answer on every tab: tried on the secrets tab.
        let ctx = match b.context {
            Context::Global => Context::Apps,
            Context::App => Context::AppSecrets,
            c => c,
        };
        for k in b.keys {
            let mut app = in_context(ctx);
            assert_eq!(app.context(), ctx, "set-up for {ctx:?}");
            let ev = KeyEvent::new(k.code, k.mods);
            match app.action_for_key(ev) {
                Some(Action::Command(c)) => assert_eq!(c, b.command, "{ctx:?} {k:?}"),
                other => panic!("{ctx:?} {k:?} resolved to {other:?}"),
            }
            // Dispatching never panics; whatever it asks for is a plain effect.
            let _ = app.handle_key(ev);
        }
    }
}

/// `n` apps named app-000, app-001, … loaded, at the size `Resize` gave.
fn many_apps(n: usize, width: u16, height: u16) -> App {
    let mut app = App::new(settings(false), now());
    app.update(Action::Resize(Size::new(width, height)));
    let template = apps().remove(2);
    let rows: Vec<_> = (0..n)
        .map(|i| {
            let mut a = template.clone();
            a.display_name = format!("app-{i:03}");
            a.id = ObjectId::new(format!("00000000-0000-4000-8000-{i:012}"));
            a
        })
        .collect();
    let fx = app.start();
    for e in fx {
        if let Effect::LoadApps { request, tab, .. } = e {
            app.update(Action::AppsPage {
                request,
                tab,
                result: Ok(Page {
                    items: rows.clone(),
                    count: None,
                    has_more: false,
                    skipped: 0,
                }),
            });
        }
    }
    app
}

/// The screen's row `y`, as text.
fn row_text(app: &App, w: u16, h: u16, y: u16) -> String {
    let term = draw(app, w, h);
    let buf = term.backend().buffer();
    (0..w).map(|x| buf[(x, y)].symbol().to_owned()).collect()
}

#[test]
fn page_keys_move_by_the_rows_the_size_from_resize_shows() {
    let mut app = many_apps(200, 120, 40);
    let page = usize::from(40 - APPS_CHROME);
    assert_eq!(app.apps_page_rows(), page);
    press(&mut app, &[code(KeyCode::PageDown)]);
    assert_eq!(app.all.selected, page);
    assert_eq!(app.all.offset, 1, "the model scrolled just enough");
    // The model's page is what the view shows: the selection sits on the last table row,
    // just above the footer.
    let last = row_text(&app, 120, 40, 38);
    assert!(last.starts_with("▶ app-033"), "{last:?}");

    // A smaller terminal: the page shrinks with it, without drawing anything first.
    app.update(Action::Resize(Size::new(80, 24)));
    let small = usize::from(24 - APPS_CHROME);
    assert_eq!(
        app.all.offset,
        page + 1 - small,
        "still in view after the resize"
    );
    press(&mut app, &[code(KeyCode::PageDown)]);
    assert_eq!(app.all.selected, page + small);
    press(&mut app, &[code(KeyCode::PageUp), code(KeyCode::PageUp)]);
    assert_eq!(app.all.selected, page - small);
    assert_eq!(app.all.offset, page - small, "the selection is the top row");
    let top = row_text(&app, 80, 24, 6);
    assert!(
        top.starts_with(&format!("▶ app-{:03}", page - small)),
        "{top:?}"
    );
    // Drawing changes nothing in the model.
    let before = (app.all.selected, app.all.offset);
    let _ = screen_text(&app, 120, 40);
    let _ = screen_text(&app, 20, 5);
    assert_eq!((app.all.selected, app.all.offset), before);
}

#[test]
fn credential_tables_page_by_the_size_from_resize() {
    let mut app = many_apps(1, 120, 40);
    let secrets: Vec<_> = (0..60)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "keyId": format!("00000000-0000-4000-8000-{i:012}"),
                "displayName": format!("secret-{i:02}"),
                "hint": "abc",
                "startDateTime": "2026-01-01T00:00:00Z",
                "endDateTime": format!("2027-01-{:02}T00:00:00Z", 1 + i % 28),
            }))
            .expect("secret fixture")
        })
        .collect();
    // The list holds compact rows: change the app as Graph's, as the App screen's updates do.
    let id = azsecrets::graph::ObjectId::new(app.all.rows[0].id.to_string());
    app.all
        .update_row(&id, |a| a.password_credentials = secrets);
    press(&mut app, &[code(KeyCode::Enter)]);
    let page = usize::from(40 - APP_CHROME);
    assert_eq!(app.app_page_rows(), page);
    press(&mut app, &[code(KeyCode::PageDown)]);
    let d = app.detail.as_ref().expect("app screen");
    assert_eq!(d.selected_index(), page);
    assert_eq!(d.offset, 1);
    let selected = d
        .selected_secret()
        .and_then(|s| s.description())
        .expect("row");
    let last = row_text(&app, 120, 40, 38);
    assert!(last.starts_with(&format!("▶ {selected}")), "{last:?}");
}
