//! Checking that a new client secret signs in, against the sandbox's token endpoint in real
//! time: a secret created through Graph works at once, or only after the sandbox's propagation
//! delay (refused meanwhile with the real AADSTS7000215 shape); a wrong value, an unknown app
//! and an unknown tenant become typed causes. (The retry schedule itself is tested on a paused
//! clock in `verify.rs`.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;

use azsecrets::auth::{Endpoints, SourceKind, StaticToken};
use azsecrets::graph::{AppQuery, GraphClient, NewClientSecret, PasswordCredentialRequest};
use azsecrets::ids::ApplicationId;
use azsecrets::sandbox::{self, Route, RunningSandbox, SandboxConfig};
use azsecrets::secret::SecretValue;
use azsecrets::verify::{Verifier, VerifyCause, VerifyEvent, VerifyObserver, VerifyPolicy, quiet};

fn graph(sb: &RunningSandbox) -> GraphClient {
    GraphClient::new(
        sb.graph_url.clone(),
        StaticToken::new(sb.access_token.clone(), SourceKind::StaticToken),
    )
    .unwrap()
}

/// A new secret on the first app that takes one.
async fn new_secret(sb: &RunningSandbox) -> (ApplicationId, NewClientSecret) {
    let client = graph(sb);
    let apps = client
        .list_all_applications(&AppQuery::default())
        .await
        .unwrap();
    for app in apps {
        let req = PasswordCredentialRequest {
            display_name: Some("verify".into()),
            start_date_time: Some(Utc::now()),
            end_date_time: Some(Utc::now() + chrono::Duration::days(30)),
        };
        if let Ok(s) = client.add_password(&app.id, &req).await {
            return (app.app_id, s);
        }
    }
    panic!("no app took a secret");
}

fn verifier(sb: &RunningSandbox, tenant: &str, app: &ApplicationId) -> Verifier {
    let scope = Endpoints {
        graph: sb.graph_url.clone(),
        login: sb.login_url.clone(),
    }
    .graph_default_scope();
    Verifier::new(&sb.login_url, tenant, app, &scope)
        .unwrap()
        .with_policy(VerifyPolicy {
            deadline: Duration::from_secs(8),
            delays: vec![Duration::from_millis(500)],
        })
}

fn recorder() -> (VerifyObserver, Arc<Mutex<Vec<VerifyEvent>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    (Arc::new(move |e| s.lock().unwrap().push(e)), seen)
}

#[tokio::test]
async fn a_new_secret_signs_in_at_once_without_a_delay() {
    let sb = sandbox::start(SandboxConfig::default()).await.unwrap();
    let (app, secret) = new_secret(&sb).await;
    let v = verifier(&sb, &sb.tenant_id, &app)
        .verify(&secret.secret_text, &quiet())
        .await
        .unwrap();
    assert_eq!(v.attempts, 1);
}

#[tokio::test]
async fn a_new_secret_is_refused_until_it_has_replicated() {
    let sb = sandbox::start(SandboxConfig {
        propagation_delay: Duration::from_secs(2),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let (app, secret) = new_secret(&sb).await;
    // The refusal has the real shape: 401 invalid_client with AADSTS7000215.
    let r = reqwest::Client::new()
        .post(format!(
            "{}{}/oauth2/v2.0/token",
            sb.login_url, sb.tenant_id
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", app.as_str()),
            ("scope", &format!("{}.default", sb.graph_url)),
            ("client_secret", secret.secret_text.expose()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"][0], 7_000_215);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215: Invalid client secret provided.")
    );

    let (observer, seen) = recorder();
    let v = verifier(&sb, &sb.tenant_id, &app)
        .verify(&secret.secret_text, &observer)
        .await
        .unwrap();
    assert!(v.attempts > 1, "{v:?}");
    assert!(v.elapsed >= Duration::from_millis(1000), "{v:?}");
    let seen = seen.lock().unwrap();
    assert!(seen.iter().any(|e| matches!(
        e,
        VerifyEvent::Waiting {
            code: 7_000_215,
            ..
        }
    )));
}

#[tokio::test]
async fn wrong_values_apps_and_tenants_are_named() {
    let sb = sandbox::start(SandboxConfig::default()).await.unwrap();
    let (app, secret) = new_secret(&sb).await;
    let wrong = SecretValue::new(format!("{}x", secret.secret_text.expose()));
    let quick = |v: Verifier| {
        v.with_policy(VerifyPolicy {
            deadline: Duration::from_secs(1),
            delays: vec![Duration::from_millis(300)],
        })
    };
    let e = quick(verifier(&sb, &sb.tenant_id, &app))
        .verify(&wrong, &quiet())
        .await
        .unwrap_err();
    assert_eq!(e.cause(), VerifyCause::InvalidSecret);
    assert!(!e.to_string().contains(secret.secret_text.expose()));

    let nobody = ApplicationId::new("00000000-0000-4000-8000-000000000009");
    let e = quick(verifier(&sb, &sb.tenant_id, &nobody))
        .verify(&secret.secret_text, &quiet())
        .await
        .unwrap_err();
    assert_eq!(e.cause(), VerifyCause::AppNotFound);

    let before = sb.control().requests(Route::Token);
    let e = verifier(&sb, "nowhere.onmicrosoft.com", &app)
        .verify(&secret.secret_text, &quiet())
        .await
        .unwrap_err();
    assert_eq!(e.cause(), VerifyCause::TenantNotFound);
    assert_eq!(
        sb.control().requests(Route::Token) - before,
        1,
        "an unknown tenant is not retried"
    );
}

#[tokio::test]
async fn the_session_builds_a_verifier_for_its_own_login_endpoint() {
    let s = azsecrets::session::Session::start(&azsecrets::session::SessionConfig::sandbox(0))
        .await
        .unwrap();
    let sb = s.sandbox.as_ref().unwrap();
    let (app, secret) = new_secret(sb).await;
    let v = s
        .verifier(&sb.tenant_id, &app)
        .unwrap()
        .verify(&secret.secret_text, &quiet())
        .await
        .unwrap();
    assert_eq!(v.attempts, 1);
    assert!(s.verifier("organizations", &app).is_err());
}
