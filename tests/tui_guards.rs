//! Headless flows through `update` for what guards the one-time value: every way out of the
//! reveal dialog asks while nobody holds the value (and a second Ctrl-C within two seconds
//! forces it, naming the orphan); a quit while an add is in flight finishes it first; an
//! unconfirmed copy counts only once the paste is confirmed; rotate deletes the new secret,
//! not the old one, when the new value was lost; a `.env` of another app is asked about,
//! naming both apps; secrets an interrupted run left are offered one by one.
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

use azsecrets::app::{
    Action, App, CloseFocus, CopyTarget, Dialog, Effect, JournalNote, RevealMode,
};
use azsecrets::create::{AddError, Choice, Interruption, Orphan, Resolution, Scan, Settled};
use azsecrets::graph::{ApplicationId, ObjectId, RemoveOutcome, SecretId};
use azsecrets::handoff::{CopyMethod, CopyReport, HandoffError};
use azsecrets::journal::{AppRef, OpId};
use support::*;

const NEW_KEY: &str = "11112222-3333-4444-8555-666677778888";

fn ctrl_c() -> KeyEvent {
    KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
}

fn reveal(app: &App) -> &azsecrets::app::Reveal {
    app.dialogs
        .iter()
        .rev()
        .find_map(|d| match d {
            Dialog::Reveal(r) => Some(r),
            _ => None,
        })
        .expect("a reveal dialog")
}

/// payments-api open, "local dev" added with the default lifetime (not the 90 days of
/// `support::revealed`); returns the app with the reveal dialog on top.
fn revealed() -> App {
    let mut app = open_payments(false);
    press(&mut app, &[key('n')]);
    type_text(&mut app, "local dev");
    let fx = press(
        &mut app,
        &[code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Enter)],
    );
    let Some(Effect::AddSecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected AddSecret");
    };
    app.update(Action::SecretAdded(request, Ok(added("local dev"))));
    assert!(matches!(app.dialogs.last(), Some(Dialog::Reveal(_))));
    app
}

fn osc52_unconfirmed() -> CopyReport {
    CopyReport {
        method: CopyMethod::Osc52,
        clears_at: None,
        status:
            "Sent to the terminal clipboard (OSC 52) — unconfirmed: paste it somewhere to check"
                .into(),
        confirmed: false,
    }
}

#[test]
fn ctrl_c_q_and_signals_ask_like_esc_and_going_back_cancels_the_quit() {
    for how in ["ctrl-c", "q", "signal"] {
        let mut app = revealed();
        match how {
            "ctrl-c" => {
                app.handle_key(ctrl_c());
            }
            "q" => {
                press(&mut app, &[key('q')]);
            }
            _ => {
                app.update(Action::Quit);
            }
        }
        assert!(!app.should_quit, "{how}");
        assert!(
            matches!(
                reveal(&app).mode,
                RevealMode::ConfirmClose {
                    focus: CloseFocus::Delete,
                    quitting: true
                }
            ),
            "{how}: asks, Delete focused"
        );
        let text = screen_text(&app, 120, 40);
        assert!(text.contains("press Ctrl-C again within 2 s"), "{text}");
        // Esc goes back to the value, and the quit is off.
        press(&mut app, &[code(KeyCode::Esc)]);
        assert!(matches!(reveal(&app).mode, RevealMode::Normal), "{how}");
        app.update(Action::Tick(now() + Duration::milliseconds(500)));
        app.handle_key(ctrl_c());
        assert!(!app.should_quit, "{how}: a new quit asks again");
    }
}

#[test]
fn a_second_ctrl_c_within_two_seconds_forces_the_quit_and_names_the_orphan() {
    let mut app = revealed();
    app.handle_key(ctrl_c());
    assert!(!app.should_quit);
    // Too late: asks again.
    app.update(Action::Tick(now() + Duration::milliseconds(2500)));
    app.handle_key(ctrl_c());
    assert!(!app.should_quit, "more than 2 s later it asks again");
    app.update(Action::Tick(now() + Duration::milliseconds(3500)));
    let fx = app.handle_key(ctrl_c());
    assert!(app.should_quit, "a second Ctrl-C within 2 s forces it");
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Journal { .. } | Effect::RollBack { .. })),
        "the journal keeps it pending for the next start: {fx:?}"
    );
    let summary = app.summary.to_string();
    assert!(summary.contains(NEW_KEY), "{summary}");
    assert!(summary.contains("Nobody holds its value"), "{summary}");
    assert!(
        summary.contains(&format!(
            "azsecrets secrets remove --app {PAYMENTS_APPID} --key-id {NEW_KEY} --yes"
        )),
        "{summary}"
    );
    assert!(
        summary.contains("the next start of azsecrets offers this too"),
        "{summary}"
    );
}

#[test]
fn answering_the_quit_question_goes_on_with_the_quit() {
    // Delete (the default): the secret is deleted again, then the run ends.
    let mut app = revealed();
    app.handle_key(ctrl_c());
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::RollBack { request, .. }) = fx.into_iter().next() else {
        panic!("expected RollBack");
    };
    assert!(!app.should_quit, "waits for the deletion");
    assert!(matches!(app.dialogs.last(), Some(Dialog::Finishing(_))));
    app.update(Action::RolledBack(request, Ok(RemoveOutcome::Removed)));
    assert!(app.should_quit);
    let summary = app.summary.to_string();
    assert!(summary.contains("deleted it again"), "{summary}");

    // Keep: recorded in the journal, then the run ends.
    let mut app = revealed();
    app.update(Action::Quit);
    let fx = press(&mut app, &[key('k')]);
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Journal {
            note: JournalNote::Kept(_),
            ..
        }
    )));
    assert!(app.should_quit);
    assert!(app.summary.to_string().contains("Kept by your choice"));
}

#[test]
fn a_quit_while_an_add_is_in_flight_finishes_it_first() {
    let mut app = open_payments(false);
    press(&mut app, &[key('n')]);
    type_text(&mut app, "in flight");
    let fx = press(
        &mut app,
        &[code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Enter)],
    );
    let Some(Effect::AddSecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected AddSecret");
    };
    let fx = app.handle_key(ctrl_c());
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::InterruptAdd { request: r } if *r == request)),
        "the runner is told: {fx:?}"
    );
    assert!(!app.should_quit);
    assert!(matches!(app.dialogs.last(), Some(Dialog::Finishing(_))));
    assert!(screen_text(&app, 120, 40).contains("Finishing"));
    // The transaction settles: created meanwhile, deleted again. Then the run ends.
    let created = new_secret("in flight").metadata;
    app.update(Action::SecretAdded(
        request,
        Err(AddError::Lost {
            cause: Interruption::Cancelled,
            settled: Settled::RolledBack(created),
        }),
    ));
    assert!(app.should_quit);
    let summary = app.summary.to_string();
    assert!(
        summary
            .contains("Created client secret \"in flight\" on payments-api and deleted it again"),
        "{summary}"
    );
    assert!(!summary.contains("nothing was changed"));

    // A second quit while finishing quits at once; the summary says what is not known.
    let mut app = open_payments(false);
    press(&mut app, &[key('n')]);
    type_text(&mut app, "abandoned");
    press(
        &mut app,
        &[code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Enter)],
    );
    app.update(Action::Quit);
    assert!(!app.should_quit);
    app.update(Action::Quit);
    assert!(app.should_quit);
    let summary = app.summary.to_string();
    assert!(
        summary.contains("Adding client secret \"abandoned\" to payments-api"),
        "{summary}"
    );
    assert!(summary.contains("azsecrets recover"), "{summary}");
}

#[test]
fn an_unconfirmed_copy_counts_only_once_the_paste_is_confirmed() {
    let mut app = revealed();
    let Some(Effect::CopySecret { request, .. }) = press(&mut app, &[key('c')]).into_iter().next()
    else {
        panic!("expected CopySecret");
    };
    let fx = app.update(Action::Copied(
        request,
        CopyTarget::SecretValue,
        Ok(osc52_unconfirmed()),
    ));
    assert!(fx.is_empty(), "nothing journaled yet");
    let r = reveal(&app);
    assert!(!r.handed_off);
    let text = screen_text(&app, 120, 40);
    assert!(
        text.contains("unconfirmed") && !text.contains('✓'),
        "{text}"
    );
    assert!(text.contains("Press p once the paste worked"), "{text}");
    // Closing still asks.
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(matches!(reveal(&app).mode, RevealMode::ConfirmClose { .. }));
    press(&mut app, &[code(KeyCode::Esc)]);
    // p: the paste worked.
    let fx = press(&mut app, &[key('p')]);
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Journal {
            note: JournalNote::HandedOff,
            ..
        }
    )));
    assert!(reveal(&app).handed_off);
    assert!(screen_text(&app, 120, 40).contains('✓'));
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(app.dialogs.is_empty(), "closes without asking");
    let summary = app.summary.to_string();
    assert!(summary.contains("you confirmed the paste"), "{summary}");
    assert!(!summary.contains("Nobody holds"), "{summary}");
}

#[test]
fn rotate_after_the_new_value_was_lost_deletes_the_new_one_and_keeps_the_old() {
    let mut app = rotated();
    press(&mut app, &[code(KeyCode::Esc)]);
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::RollBack {
        request, secret, ..
    }) = fx.into_iter().next()
    else {
        panic!("the default deletes the NEW secret");
    };
    assert_eq!(secret.as_str(), NEW_KEY, "never the old one");
    app.update(Action::RolledBack(request, Ok(RemoveOutcome::Removed)));
    assert!(
        app.dialogs.is_empty(),
        "no offer to delete the old secret: {:?}",
        app.dialogs
    );
    let keys: Vec<String> = app
        .detail
        .as_ref()
        .unwrap()
        .secrets()
        .iter()
        .map(|s| s.key_id.to_string())
        .collect();
    assert!(keys.contains(&CI_KEY.to_owned()), "the old secret stays");
    assert!(!keys.contains(&NEW_KEY.to_owned()));
    assert!(
        app.toasts
            .iter()
            .any(|t| t.text.contains("The old secret \"ci-deploy\" is kept")),
        "{:?}",
        app.toasts
    );
}

#[test]
fn rotate_offers_the_old_one_only_once_the_new_value_is_held() {
    // An unconfirmed copy is not enough: closing asks about the new one.
    let mut app = rotated();
    let Some(Effect::CopySecret { request, .. }) = press(&mut app, &[key('c')]).into_iter().next()
    else {
        panic!("expected CopySecret");
    };
    app.update(Action::Copied(
        request,
        CopyTarget::SecretValue,
        Ok(osc52_unconfirmed()),
    ));
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(matches!(reveal(&app).mode, RevealMode::ConfirmClose { .. }));
    // "I saved it" (keep): the new value is held; once it signs in, the old one may go.
    let fx = press(&mut app, &[key('k')]);
    let Some(Effect::VerifySecret { request, .. }) = fx
        .into_iter()
        .find(|e| matches!(e, Effect::VerifySecret { .. }))
    else {
        panic!("closing after a rotation checks the sign-in first");
    };
    app.update(Action::Verified(
        request,
        Ok(azsecrets::verify::Verified {
            elapsed: std::time::Duration::from_secs(2),
            attempts: 1,
        }),
    ));
    match app.dialogs.last() {
        Some(Dialog::Confirm(c)) => assert_eq!(c.secret.key_id.as_str(), CI_KEY),
        other => panic!("expected the old-secret prompt, got {other:?}"),
    }
}

#[test]
fn an_env_file_of_another_app_is_asked_about_naming_both_apps() {
    let mut app = revealed();
    press(&mut app, &[key('w')]);
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::WriteEnvFile {
        request,
        replace_other: false,
        ..
    }) = fx.into_iter().next()
    else {
        panic!("the first write never replaces another app's values");
    };
    let other = "7b2e0c11-3c4d-4e5f-8a9b-0c1d2e3f4a5b"; // billing-worker
    app.update(Action::EnvFileWritten(
        request,
        Err(HandoffError::EnvConflict {
            path: "./.env".into(),
            client_id: Some(other.into()),
            tenant_id: Some("11111111-2222-4333-8444-555555555555".into()),
        }),
    ));
    assert!(matches!(
        reveal(&app).mode,
        RevealMode::ConfirmReplace { .. }
    ));
    let text = screen_text(&app, 120, 40);
    let flat: String = text
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains(&format!("{other} (billing-worker)")),
        "{text}"
    );
    assert!(
        flat.contains(&format!("{PAYMENTS_APPID} (payments-api)")),
        "{text}"
    );
    assert!(
        flat.contains("11111111-2222-4333-8444-555555555555"),
        "{text}"
    );
    assert!(!reveal(&app).handed_off);
    // Esc keeps the file as it is.
    press(&mut app, &[code(KeyCode::Esc)]);
    assert!(matches!(reveal(&app).mode, RevealMode::Normal));
    // Asked again, y replaces.
    press(&mut app, &[key('w')]);
    let Some(Effect::WriteEnvFile { request, .. }) =
        press(&mut app, &[code(KeyCode::Enter)]).into_iter().next()
    else {
        panic!("expected WriteEnvFile");
    };
    app.update(Action::EnvFileWritten(
        request,
        Err(HandoffError::EnvConflict {
            path: "./.env".into(),
            client_id: Some(other.into()),
            tenant_id: None,
        }),
    ));
    let fx = press(&mut app, &[key('y')]);
    assert!(
        matches!(
            fx.first(),
            Some(Effect::WriteEnvFile {
                replace_other: true,
                ..
            })
        ),
        "{fx:?}"
    );
}

fn orphan(n: u8) -> Orphan {
    Orphan {
        op: OpId::new(),
        app: AppRef {
            object_id: ObjectId::new(PAYMENTS_OBJ),
            app_id: ApplicationId::new(PAYMENTS_APPID),
            name: "payments-api".into(),
        },
        description: Some(format!("interrupted {n}")),
        created_at: now() - Duration::hours(3),
        secret_id: SecretId::new(format!("99998888-7777-4666-8555-44443333222{n}")),
        hint: Some("Xy1".into()),
    }
}

/// A start with left-overs in the journal: the tenant loads, the journal is checked for it,
/// and the scan's answer opens the dialog.
fn recovering(read_only: bool, orphans: Vec<Orphan>) -> App {
    let mut app = App::new(settings(read_only), now());
    app.update(Action::Resize(size()));
    let mut scan_request = None;
    for e in app.start() {
        match e {
            Effect::LoadOrganization { request } => {
                let fx = app.update(Action::OrganizationLoaded(request, Ok(org())));
                for e in fx {
                    match e {
                        Effect::ScanOrphans { request, tenant } => {
                            assert_eq!(tenant.as_str(), org().id.as_str());
                            scan_request = Some(request);
                        }
                        other => assert!(answer(&mut app, vec![other]).is_empty()),
                    }
                }
            }
            other => assert!(answer(&mut app, vec![other]).is_empty()),
        }
    }
    let r = scan_request.expect("the tenant's left-overs are checked once it is known");
    app.update(Action::OrphansFound(
        r,
        Ok(Scan {
            orphans,
            cleared: 0,
            unchecked: vec![],
        }),
    ));
    app
}

#[test]
fn left_overs_are_offered_one_by_one_delete_first() {
    let mut app = recovering(false, vec![orphan(1), orphan(2)]);
    assert!(matches!(app.dialogs.last(), Some(Dialog::Recovery(_))));
    let text = screen_text(&app, 120, 40);
    for want in [
        "interrupted 1",
        "payments-api",
        "99998888-7777-4666-8555-444433332221",
        "(1 of 2)",
        "▶ Delete it ◀",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    // Enter deletes the first.
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::ResolveOrphan {
        request,
        orphan: o,
        choice: Choice::Delete,
    }) = fx.into_iter().next()
    else {
        panic!("expected a deletion");
    };
    assert_eq!(o.secret_id.as_str(), "99998888-7777-4666-8555-444433332221");
    app.update(Action::OrphanResolved(request, Ok(Resolution::Deleted)));
    assert!(screen_text(&app, 120, 40).contains("(2 of 2)"));
    // k keeps the second; the dialog closes.
    let fx = press(&mut app, &[key('k')]);
    let Some(Effect::ResolveOrphan {
        request,
        choice: Choice::Keep,
        ..
    }) = fx.into_iter().next()
    else {
        panic!("expected keep");
    };
    app.update(Action::OrphanResolved(request, Ok(Resolution::Kept)));
    assert!(app.dialogs.is_empty());
    let summary = app.summary.to_string();
    assert!(
        summary.contains("Deleted client secret \"interrupted 1\""),
        "{summary}"
    );
    assert!(
        !summary.contains("interrupted 2"),
        "kept: nothing changed for it"
    );
}

#[test]
fn left_overs_can_wait_and_read_only_cannot_delete_them() {
    let mut app = recovering(false, vec![orphan(1)]);
    let fx = press(&mut app, &[code(KeyCode::Esc)]);
    assert!(fx.is_empty() && app.dialogs.is_empty(), "Esc decides later");
    assert!(app.summary.is_empty());

    let mut app = recovering(true, vec![orphan(1)]);
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    assert!(fx.is_empty(), "read-only deletes nothing: {fx:?}");
    let Some(Dialog::Recovery(r)) = app.dialogs.last() else {
        panic!("the dialog stays");
    };
    let e = r.submit.error.as_ref().expect("says why");
    assert!(e.message.contains("read-only"), "{e:?}");
}

/// A long description never pushes the value, the question or its buttons off the dialog: it
/// is cut to three lines ending in "…".
#[test]
fn a_long_description_keeps_the_value_and_the_buttons_on_screen() {
    let mut app = open_payments(false);
    press(&mut app, &[key('n')]);
    let long = "word ".repeat(50);
    type_text(&mut app, &long);
    let fx = press(
        &mut app,
        &[code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Enter)],
    );
    let Some(Effect::AddSecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected AddSecret");
    };
    app.update(Action::SecretAdded(request, Ok(added(long.trim()))));
    press(&mut app, &[code(KeyCode::Esc)]);
    let text = screen_text(&app, 80, 24);
    assert!(text.contains('…'), "cut with a mark:\n{text}");
    assert!(text.contains("▶ Delete it ◀"), "the buttons stay:\n{text}");
    assert!(text.contains("Fk3*****"), "the value stays:\n{text}");
    assert!(text.contains(NEW_KEY), "the Secret ID stays:\n{text}");
}
