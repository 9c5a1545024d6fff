//! The Certificates & secrets blade's dialogs and tabs, drawn with fixed data and a fixed clock
//! at 80x24 and 120x40: upload (before reading, read, a private key refused), a new
//! self-signed certificate (choices beyond the year or the policy disabled; to a key vault), the federated
//! credential picker (each scenario, live subject), one credential whole, the deletes, and the
//! Add dialog under a policy cap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_support.rs"]
mod support;

use azsecrets::app::{Action, App, Dialog, Effect, Loadable};
use azsecrets::certs::CertError;
use azsecrets::policy::{Effective, PolicyRef, PolicyView};
use chrono::Duration;
use ratatui::crossterm::event::KeyCode;
use support::*;

macro_rules! snap {
    ($name:expr, $app:expr) => {{
        let app: &App = $app;
        let small = screen_text(app, 80, 24);
        let large = screen_text(app, 120, 40);
        insta::assert_snapshot!(concat!($name, "_80x24"), small);
        insta::assert_snapshot!(concat!($name, "_120x40"), large);
    }};
}

/// The seed's RSA signing certificate (fixed bytes, so its thumbprints are fixed).
fn fixed_certificate() -> Vec<u8> {
    let seed: serde_json::Value =
        serde_json::from_str(include_str!("../assets/sandbox/tenant.json")).unwrap();
    let key = seed["apps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["keyCredentials"].as_array().cloned().unwrap_or_default())
        .find(|k| k["keyId"] == "e1d2c3b4-a596-5877-8899-aabbccddeeff")
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, key).unwrap()
}

fn policy(days: i64) -> Effective {
    let p = PolicyRef {
        id: "bb8b7902-65a2-5a37-bc5d-b80cd90c71f3".into(),
        name: Some("Secrets live at most 90 days".into()),
        tenant_default: false,
    };
    Effective {
        password_blocked: None,
        password_max: Some((Duration::days(days), p.clone())),
        certificate_max: Some((Duration::days(days), p)),
    }
}

fn on_tab(tab: char) -> App {
    let mut app = open_payments(false);
    press(&mut app, &[key(tab)]);
    app
}

#[test]
fn upload_dialog() {
    let mut app = on_tab('1');
    press(&mut app, &[key('u')]);
    snap!("upload_empty", &app);
    type_text(&mut app, "./payments.crt");
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::ReadCertificate { request, path }) = fx.into_iter().next() else {
        panic!("the file is read off the loop")
    };
    assert_eq!(path, std::path::PathBuf::from("./payments.crt"));
    let parsed = azsecrets::certs::parse(&fixed_certificate()).unwrap();
    app.update(Action::CertificateRead(request, Ok(parsed)));
    type_text(&mut app, "partner signing");
    snap!("upload_read", &app);

    let mut app = on_tab('1');
    press(&mut app, &[key('u')]);
    type_text(&mut app, "./bundle.pem");
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::ReadCertificate { request, .. }) = fx.into_iter().next() else {
        panic!()
    };
    app.update(Action::CertificateRead(
        request,
        Err(CertError::PrivateKey {
            what: "a PEM block \"PRIVATE KEY\"".into(),
        }),
    ));
    snap!("upload_private_key", &app);
    // Upload sends nothing for a refused file.
    let fx = press(
        &mut app,
        &[code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Enter)],
    );
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn new_self_signed_dialog() {
    let mut app = on_tab('1');
    press(&mut app, &[key('n')]);
    snap!("new_certificate", &app);
    // Under a 90-day policy: the recommended choice gives way to 90 days.
    let mut app = on_tab('1');
    app.detail.as_mut().unwrap().policy = Loadable::Loaded(PolicyView::Known(policy(90)));
    press(&mut app, &[key('n')]);
    let Some(Dialog::NewCertificate(d)) = app.dialogs.last() else {
        panic!()
    };
    assert_eq!(d.choice, 1, "90 days");
    snap!("new_certificate_policy", &app);
}

/// The private key to a key vault: the file paths may be left empty, the plan names the
/// vault, the toast says where the key went, and a vault's refusal stays in the dialog.
#[test]
fn new_self_signed_to_a_key_vault() {
    use azsecrets::destination::SendError;
    use azsecrets::keycreds::{CreateError, Created, Kept, StoredKey};

    let mut app = on_tab('1');
    press(&mut app, &[key('n')]);
    // Expires → Key → Private key: emptied; → Certificate: emptied; → Key Vault.
    press(&mut app, &[code(KeyCode::Tab), code(KeyCode::Tab)]);
    press(&mut app, &[code(KeyCode::Backspace); 80]);
    press(&mut app, &[code(KeyCode::Tab)]);
    press(&mut app, &[code(KeyCode::Backspace); 80]);
    press(&mut app, &[code(KeyCode::Tab)]);
    type_text(&mut app, "contoso-sandbox-kv");
    snap!("new_certificate_vault", &app);
    let fx = press(
        &mut app,
        &[code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Enter)],
    );
    let Some(Effect::CreateCertificate { request, plan }) = fx.into_iter().next() else {
        panic!("one effect creates the certificate")
    };
    assert_eq!(
        (plan.key_out.as_ref(), plan.cert_out.as_ref()),
        (None, None)
    );
    let vault = plan.vault.clone().expect("the vault");
    assert_eq!(vault.vault.to_string(), "contoso-sandbox-kv");
    assert_eq!(
        vault.name, None,
        "the default name is the runner's to settle"
    );
    assert_eq!(
        plan.application_id,
        app.detail.as_ref().unwrap().registration().unwrap().app_id
    );

    // A refusal stays in the dialog, with the hand-off's words.
    app.update(Action::CertificateCreated(
        request,
        Err(CreateError::Vault(Box::new(SendError::NotAvailable(
            "Key Vault is not available in this run".into(),
        )))),
    ));
    assert!(matches!(
        app.dialogs.last(),
        Some(Dialog::NewCertificate(_))
    ));
    let shown = screen_text(&app, 120, 40);
    assert!(shown.contains("nothing was created"), "{shown}");

    // Sent again, it succeeds: the dialog closes and the toast names the vault secret.
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::CreateCertificate { request, .. }) = fx.into_iter().next() else {
        panic!("sent again")
    };
    let info = azsecrets::certs::parse(&fixed_certificate()).unwrap().leaf;
    let entry = serde_json::from_value(serde_json::json!({
        "keyId": "0b7e4a4c-1d2e-4f60-9a8b-7c6d5e4f3a2b",
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
    }))
    .unwrap();
    let kept = Box::new(Kept {
        key_out: None,
        cert_out: None,
        vault: Some(StoredKey {
            vault: "contoso-sandbox-kv".parse().unwrap(),
            vault_url: "https://contoso-sandbox-kv.vault.azure.net/".into(),
            name: azsecrets::keyvault::SecretName::parse("payments-api-cert").unwrap(),
            id: "https://contoso-sandbox-kv.vault.azure.net/secrets/payments-api-cert/0123456789abcdef0123456789abcdef".into(),
            version: Some("0123456789abcdef0123456789abcdef".into()),
        }),
    });
    let fx = app.update(Action::CertificateCreated(
        request,
        Ok(Created { entry, info, kept }),
    ));
    assert!(!matches!(
        app.dialogs.last(),
        Some(Dialog::NewCertificate(_))
    ));
    assert!(
        fx.iter().any(|e| matches!(e, Effect::LoadApp { .. })),
        "the tab reads the app again: {fx:?}"
    );
    let toast = format!("{:?}", app.toasts);
    assert!(
        toast.contains("stored in key vault contoso-sandbox-kv as payments-api-cert"),
        "{toast}"
    );
}

#[test]
fn federated_dialogs() {
    let mut app = on_tab('3');
    press(&mut app, &[key('n')]);
    snap!("federated_empty", &app);
    press(&mut app, &[code(KeyCode::Tab)]);
    type_text(&mut app, "contoso/payments");
    press(
        &mut app,
        &[code(KeyCode::Tab), code(KeyCode::Down), code(KeyCode::Tab)],
    );
    type_text(&mut app, "Production");
    snap!("federated_github", &app);

    let mut app = on_tab('3');
    press(
        &mut app,
        &[key('n'), code(KeyCode::Down), code(KeyCode::Tab)],
    );
    type_text(
        &mut app,
        "https://westeurope.oic.prod-aks.azure.com/0f1b2c3d/8a7b6c5d/",
    );
    press(&mut app, &[code(KeyCode::Tab)]);
    type_text(&mut app, "payments");
    press(&mut app, &[code(KeyCode::Tab)]);
    type_text(&mut app, "api");
    snap!("federated_kubernetes", &app);

    let mut app = on_tab('3');
    press(&mut app, &[key('n'), code(KeyCode::Up), code(KeyCode::Tab)]);
    type_text(&mut app, "https://issuer.example");
    press(&mut app, &[code(KeyCode::Tab)]);
    type_text(&mut app, "svc-42");
    // A name Graph refuses is said before anything is sent.
    press(&mut app, &[code(KeyCode::Tab), code(KeyCode::Tab)]);
    type_text(&mut app, "x");
    let fx = press(
        &mut app,
        &[code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Enter)],
    );
    assert!(fx.is_empty(), "{fx:?}");
    snap!("federated_other_invalid", &app);
}

#[test]
fn federated_detail_and_deletes() {
    let mut app = on_tab('3');
    press(&mut app, &[code(KeyCode::Enter)]);
    assert!(matches!(
        app.dialogs.last(),
        Some(Dialog::FederatedDetail(_))
    ));
    snap!("federated_detail", &app);
    press(&mut app, &[code(KeyCode::Esc), key('d')]);
    snap!("confirm_delete_federated", &app);

    let mut app = on_tab('1');
    press(&mut app, &[key('d')]);
    snap!("confirm_delete_certificate", &app);
}

#[test]
fn add_secret_under_a_policy_cap() {
    let mut app = open_payments(false);
    app.detail.as_mut().unwrap().policy = Loadable::Loaded(PolicyView::Known(policy(90)));
    press(&mut app, &[key('n')]);
    snap!("add_dialog_policy_cap", &app);
    // Blocked: a warning, no dialog.
    let mut app = open_payments(false);
    let mut e = policy(90);
    e.password_blocked = e.password_max.as_ref().map(|m| m.1.clone());
    app.detail.as_mut().unwrap().policy = Loadable::Loaded(PolicyView::Known(e));
    press(&mut app, &[key('n')]);
    assert!(app.dialogs.is_empty());
    snap!("add_blocked_by_policy", &app);
}

#[test]
fn keys_that_do_nothing_on_a_tab_are_never_answered_with_a_tick() {
    // R (rotate) is the Client secrets tab's: on Certificates it is unbound.
    let mut app = on_tab('1');
    press(&mut app, &[key('R')]);
    assert!(app.toasts.is_empty() && app.dialogs.is_empty());
    // Tabs move both ways.
    press(&mut app, &[code(KeyCode::BackTab)]);
    assert_eq!(
        app.detail.as_ref().unwrap().tab,
        azsecrets::app::DetailTab::Federated
    );
    press(&mut app, &[code(KeyCode::Left)]);
    assert_eq!(
        app.detail.as_ref().unwrap().tab,
        azsecrets::app::DetailTab::ClientSecrets
    );
    press(&mut app, &[code(KeyCode::Right), key('2')]);
    assert_eq!(
        app.detail.as_ref().unwrap().tab,
        azsecrets::app::DetailTab::ClientSecrets
    );
    // Each tab's footer names only its own keys.
    let s = screen_text(&app, 120, 40);
    let footer = s.lines().last().unwrap().to_owned();
    assert!(
        footer.contains("n new secret") && footer.contains("R rotate"),
        "{footer}"
    );
    let app = on_tab('1');
    let footer = screen_text(&app, 120, 40)
        .lines()
        .last()
        .unwrap()
        .to_owned();
    assert!(
        footer.contains("u upload") && !footer.contains("rotate"),
        "{footer}"
    );
    let app = on_tab('3');
    let footer = screen_text(&app, 120, 40)
        .lines()
        .last()
        .unwrap()
        .to_owned();
    assert!(
        footer.contains("Enter show whole") && !footer.contains("rotate"),
        "{footer}"
    );
}

#[test]
fn a_new_registration_is_in_owned_at_once() {
    let mut app = azsecrets::app::App::new(settings(false), now());
    let fx = app.start();
    let _ = support_answer(&mut app, fx);
    press(&mut app, &[key('N')]);
    type_text(&mut app, "orders-api");
    press(
        &mut app,
        &[code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Tab)],
    );
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::CreateApp { request, .. }) = fx.into_iter().next() else {
        panic!("expected CreateApp")
    };
    let owned_before = app.owned.rows.len();
    let mut created = apps().remove(2);
    created.display_name = "orders-api".into();
    created.id = azsecrets::graph::ObjectId::new("0a1b2c3d-5555-4555-8555-000000000005");
    app.update(Action::AppCreated(request, Ok(created)));
    assert_eq!(app.owned.rows.len(), owned_before + 1);
    assert!(
        app.owned
            .rows
            .iter()
            .any(|a| &*a.display_name == "orders-api")
    );
}

/// The start's effects answered as the other tests' set-up answers them.
fn support_answer(app: &mut App, fx: Vec<Effect>) -> Vec<Effect> {
    let mut rest = Vec::new();
    for e in fx {
        match e {
            Effect::LoadMe { request } => {
                app.update(Action::MeLoaded(request, Ok(me())));
            }
            other => rest.push(other),
        }
    }
    rest
}
