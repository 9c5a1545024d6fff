//! Shared fixtures for the TUI tests: a fixed clock, a fixed tenant, and helpers that feed
//! effects their canned answers. Included by the other `tui_*` tests with `#[path]`; on its
//! own it checks that the fixtures hold together.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Size;

use azsecrets::app::{Action, App, Effect, Settings};
use azsecrets::auth::SourceKind;
use azsecrets::create::{Added, Scan};
use azsecrets::graph::{
    ApiError, AppRegistration, GraphError, Me, NewClientSecret, Organization, Page,
};
use azsecrets::journal::OpId;
use azsecrets::secret::SecretValue;

/// A made-up value in Graph's 40-character format; never a real secret.
pub const FAKE_VALUE: &str = "Fk3~FAKEfakeFAKEfakeFAKEfakeFAKEfake0000";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
        .single()
        .expect("valid fixed clock")
}

pub fn org() -> Organization {
    serde_json::from_value(serde_json::json!({
        "id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "displayName": "Contoso Ltd",
        "verifiedDomains": [{"name": "contoso.onmicrosoft.com", "isDefault": true}]
    }))
    .expect("org fixture")
}

pub fn me() -> Me {
    serde_json::from_value(serde_json::json!({
        "id": "5d1c0a2e-0000-4000-8000-000000000001",
        "displayName": "Ada Lovelace",
        "userPrincipalName": "ada@contoso.onmicrosoft.com"
    }))
    .expect("me fixture")
}

fn secret(key: &str, name: Option<&str>, hint: &str, start: &str, end: &str) -> serde_json::Value {
    serde_json::json!({
        "keyId": key, "displayName": name, "hint": hint,
        "startDateTime": start, "endDateTime": end
    })
}

pub const PAYMENTS_OBJ: &str = "0a1b2c3d-1111-4111-8111-000000000001";
pub const PAYMENTS_APPID: &str = "631a96bc-a705-4eda-9f99-fdaf9f54f6a2";
pub const CI_KEY: &str = "a1b2c3d4-0000-4000-8000-00000000c1c1";
pub const OLD_KEY: &str = "b2c3d4e5-0000-4000-8000-0000000001d0";

pub fn apps() -> Vec<AppRegistration> {
    let v = serde_json::json!([
        {
            "id": PAYMENTS_OBJ, "appId": PAYMENTS_APPID, "displayName": "payments-api",
            "createdDateTime": "2024-03-01T09:00:00Z", "signInAudience": "AzureADMyOrg",
            "passwordCredentials": [
                secret(CI_KEY, Some("ci-deploy"), "Q_e", "2026-06-01T00:00:00Z", "2026-12-08T00:00:00Z"),
                secret(OLD_KEY, Some("old laptop"), "x7K", "2025-01-01T00:00:00Z", "2026-11-23T00:00:00Z"),
                {
                    "keyId": "c3d4e5f6-0000-4000-8000-00000000b0b0", "displayName": null,
                    "customKeyIdentifier": "//5yAGIAYQBjAA==", "hint": "9aZ",
                    "startDateTime": "2024-01-01T00:00:00Z", "endDateTime": "2299-12-31T23:59:59Z"
                }
            ],
            "keyCredentials": [{
                "keyId": "d4e5f6a7-0000-4000-8000-0000000ce271", "displayName": "CN=payments",
                "customKeyIdentifier": "5A1B2C3D4E5F60718293A4B5C6D7E8F901234567",
                "startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z",
                "type": "AsymmetricX509Cert", "usage": "Verify"
            }]
        },
        {
            "id": "0a1b2c3d-2222-4222-8222-000000000002", "appId": "7b2e0c11-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
            "displayName": "billing-worker", "createdDateTime": "2025-07-15T10:00:00Z",
            "signInAudience": "AzureADMultipleOrgs",
            "passwordCredentials": [
                secret("e5f6a7b8-0000-4000-8000-000000000e01", Some("prod"), "Abc", "2026-09-01T00:00:00Z", "2027-03-01T00:00:00Z")
            ]
        },
        {
            "id": "0a1b2c3d-3333-4333-8333-000000000003", "appId": "8c3f1d22-4d5e-4f60-9b0c-1d2e3f4a5b6c",
            "displayName": "contoso-portal", "createdDateTime": "2023-11-02T08:30:00Z",
            "signInAudience": "AzureADandPersonalMicrosoftAccount", "passwordCredentials": []
        },
        {
            "id": "0a1b2c3d-4444-4444-8444-000000000004", "appId": "9d4a2e33-5e6f-4a71-8c1d-2e3f4a5b6c7d",
            "displayName": "legacy-reports", "createdDateTime": "2019-05-20T14:00:00Z",
            "signInAudience": "AzureADMyOrg",
            "passwordCredentials": [
                secret("f6a7b8c9-0000-4000-8000-000000000f01", Some("2019 key"), "Zz9", "2019-05-20T00:00:00Z", "2025-05-20T00:00:00Z")
            ]
        }
    ]);
    serde_json::from_value(v).expect("apps fixture")
}

pub fn settings(read_only: bool) -> Settings {
    Settings {
        read_only,
        source: SourceKind::Sandbox,
    }
}

/// Answer each effect with the fixtures (loads only).
pub fn answer(app: &mut App, effects: Vec<Effect>) -> Vec<Effect> {
    let mut rest = Vec::new();
    for e in effects {
        let more = match e {
            Effect::LoadOrganization { request } => {
                app.update(Action::OrganizationLoaded(request, Ok(org())))
            }
            Effect::LoadMe { request } => app.update(Action::MeLoaded(request, Ok(me()))),
            Effect::LoadApps { request, tab, .. } => app.update(Action::AppsPage {
                request,
                tab,
                result: Ok(Page {
                    items: apps(),
                    count: None,
                    has_more: false,
                    skipped: 0,
                }),
            }),
            Effect::LoadApp { request, id } => {
                let found = apps().into_iter().find(|a| a.id == id);
                app.update(Action::AppLoaded(
                    request,
                    found.ok_or_else(|| api_error(404, "Request_ResourceNotFound", "gone")),
                ))
            }
            Effect::LoadFederated { request, .. } => {
                let creds = serde_json::from_value(serde_json::json!([{
                    "id": "fic-1", "name": "github-main",
                    "issuer": "https://token.actions.githubusercontent.com",
                    "subject": "repo:contoso/payments:ref:refs/heads/main",
                    "audiences": ["api://AzureADTokenExchange"]
                }]))
                .expect("fic fixture");
                app.update(Action::FederatedLoaded(request, Ok(creds)))
            }
            Effect::LoadOwners { request, .. } => {
                let owners = serde_json::from_value(serde_json::json!([{
                    "@odata.type": "#microsoft.graph.user",
                    "id": "3c9e2f1a-7d4b-4e8c-a5f6-1b2d3e4f5a6b",
                    "displayName": "Sandra Box",
                    "userPrincipalName": "sandra@contoso.example"
                }]))
                .expect("owner fixture");
                app.update(Action::OwnersLoaded(request, Ok(owners)))
            }
            // No policy restricts the fixture apps.
            Effect::LoadPolicy { request, .. } => app.update(Action::PolicyLoaded(
                request,
                Ok(azsecrets::policy::PolicyView::Known(Default::default())),
            )),
            // The journal holds nothing from earlier runs.
            Effect::ScanOrphans { request, .. } => {
                app.update(Action::OrphansFound(request, Ok(Scan::default())))
            }
            other => {
                rest.push(other);
                Vec::new()
            }
        };
        rest.extend(answer(app, more));
    }
    rest
}

/// The size headless runs pretend to have (the loop sends the real one at start).
pub fn size() -> Size {
    Size::new(120, 40)
}

/// An app with the tenant, the user and the apps loaded.
pub fn loaded(read_only: bool) -> App {
    let mut app = App::new(settings(read_only), now());
    app.update(Action::Resize(size()));
    let fx = app.start();
    let rest = answer(&mut app, fx);
    assert!(rest.is_empty(), "start only loads");
    app
}

pub fn api_error(status: u16, code: &str, message: &str) -> GraphError {
    GraphError::Api(Box::new(ApiError {
        operation: "add a client secret",
        status,
        code: code.into(),
        message: message.into(),
        request_id: Some("5f0c1f4e-aaaa-4bbb-8ccc-0123456789ab".into()),
        client_request_id: None,
        retry_after: None,
    }))
}

pub fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

pub fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

/// Press keys, answering load effects; returns the other effects.
pub fn press(app: &mut App, keys: &[KeyEvent]) -> Vec<Effect> {
    let mut out = Vec::new();
    for k in keys {
        let fx = app.handle_key(*k);
        out.extend(answer(app, fx));
    }
    out
}

pub fn type_text(app: &mut App, s: &str) -> Vec<Effect> {
    let keys: Vec<KeyEvent> = s.chars().map(key).collect();
    press(app, &keys)
}

/// Open payments-api on its Client secrets tab.
pub fn open_payments(read_only: bool) -> App {
    let mut app = loaded(read_only);
    // Sorted by name: billing-worker, contoso-portal, legacy-reports, payments-api.
    press(&mut app, &[key('G'), code(KeyCode::Enter)]);
    app
}

/// The created secret Graph would return, with the fake value.
pub fn new_secret(description: &str) -> NewClientSecret {
    NewClientSecret {
        metadata: serde_json::from_value(serde_json::json!({
            "keyId": "11112222-3333-4444-8555-666677778888",
            "displayName": description,
            "hint": "Fk3",
            "startDateTime": "2026-11-26T12:00:00Z",
            "endDateTime": "2027-02-24T12:00:00Z"
        }))
        .expect("secret fixture"),
        secret_text: SecretValue::new(FAKE_VALUE.to_owned()),
    }
}

/// The transaction's clean success: the canned secret and a journal entry for it.
pub fn added(description: &str) -> Added {
    Added {
        op: OpId::new(),
        secret: new_secret(description),
    }
}

/// On the open app: `n`, "local dev", 90 days, Enter; what the submit asks for.
pub fn submit_local_dev(app: &mut App) -> Vec<Effect> {
    press(app, &[key('n')]);
    type_text(app, "local dev");
    press(
        app,
        &[code(KeyCode::Tab), code(KeyCode::Down), code(KeyCode::Tab)],
    );
    press(app, &[code(KeyCode::Enter)])
}

/// payments-api open, "local dev" added with 90 days: the reveal dialog of its value on top.
pub fn revealed() -> App {
    let mut app = open_payments(false);
    let fx = submit_local_dev(&mut app);
    let Some(Effect::AddSecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected AddSecret");
    };
    app.update(Action::SecretAdded(request, Ok(added("local dev"))));
    app
}

/// Rotate ci-deploy: its replacement added, and the reveal dialog of the new value on top.
pub fn rotated() -> App {
    let mut app = open_payments(false);
    let at = app
        .detail
        .as_ref()
        .unwrap()
        .secrets()
        .iter()
        .position(|s| s.key_id.as_str() == CI_KEY)
        .unwrap();
    for _ in 0..at {
        press(&mut app, &[key('j')]);
    }
    press(&mut app, &[key('R')]);
    press(&mut app, &[code(KeyCode::BackTab), code(KeyCode::BackTab)]);
    let fx = press(&mut app, &[code(KeyCode::Enter)]);
    let Some(Effect::AddSecret { request, .. }) = fx.into_iter().next() else {
        panic!("expected AddSecret");
    };
    app.update(Action::SecretAdded(request, Ok(added("ci-deploy"))));
    app
}

pub fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    t.draw(|f| f.render_widget(app, f.area())).expect("draw");
    t
}

pub fn screen_text(app: &App, w: u16, h: u16) -> String {
    draw(app, w, h).backend().to_string()
}

#[test]
fn fixtures_load() {
    let app = loaded(false);
    assert_eq!(app.all.rows.len(), 4);
    assert!(app.organization.value().is_some());
}

/// A device-code prompt as the identity platform words it, expiring 15 minutes after `now()`.
pub fn device_prompt() -> azsecrets::auth::device_code::DevicePrompt {
    azsecrets::auth::device_code::DevicePrompt {
        user_code: "GQ8RXZ7TH".into(),
        verification_uri: "https://microsoft.com/devicelogin".into(),
        message: "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code GQ8RXZ7TH to authenticate.".into(),
        expires_at: now() + chrono::Duration::minutes(15),
    }
}

/// A device-code run, started (tenant requested), with the sign-in prompt on screen.
pub fn signing_in() -> (App, Vec<Effect>) {
    let mut app = App::new(
        Settings {
            read_only: false,
            source: SourceKind::DeviceCode,
        },
        now(),
    );
    app.sign_in.account = azsecrets::app::SignInAccount {
        tenant: Some("organizations".into()),
        login: Some("login.microsoftonline.com".into()),
        client_id: Some("14d82eec-204b-4c2f-b7e8-296a70dab67e".into()),
        notes: vec!["Azure CLI is not signed in (run az login to use it instead)".into()],
    };
    app.update(Action::Resize(size()));
    let fx = app.start();
    app.update(Action::SignInPrompt(Some(device_prompt())));
    (app, fx)
}
