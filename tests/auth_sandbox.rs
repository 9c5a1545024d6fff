//! Sign-in sources end to end against the sandbox's identity-platform endpoints
//! (`{login}/{tenant}/oauth2/v2.0/token` and `/devicecode`), with the Graph client on top.
//! Device-code tests run on a paused clock: polling sleeps cost no real time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};

use azsecrets::auth::device_code::{DeviceCodeEvent, PromptSink, scopes_for};
use azsecrets::auth::{
    AuthError, CacheKey, ClientCredentials, DeviceCode, Endpoints, SourceKind, TokenCache,
    TokenEndpoint, TokenSource,
};
use azsecrets::graph::{GraphClient, ObjectId, PasswordCredentialRequest};
use azsecrets::sandbox::{self, DeviceOutcome, Route, RunningSandbox, SandboxConfig};

const DEFAULT_CLIENT: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

async fn sandbox(config: SandboxConfig) -> RunningSandbox {
    sandbox::start(config).await.expect("sandbox starts")
}

fn endpoints(sb: &RunningSandbox) -> Endpoints {
    Endpoints {
        graph: sb.graph_url.clone(),
        login: sb.login_url.clone(),
    }
}

fn sp(sb: &RunningSandbox, client_id: &str, secret: SecretString) -> ClientCredentials {
    ClientCredentials::new(
        TokenEndpoint::new(&sb.login_url, &sb.tenant_id).unwrap(),
        client_id,
        secret,
        endpoints(sb).graph_default_scope(),
    )
    .unwrap()
}

fn recording_sink() -> (PromptSink, Arc<Mutex<Vec<DeviceCodeEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let e = events.clone();
    (Arc::new(move |ev| e.lock().unwrap().push(ev)), events)
}

fn device(sb: &RunningSandbox, sink: PromptSink) -> DeviceCode {
    DeviceCode::new(
        TokenEndpoint::new(&sb.login_url, "organizations").unwrap(),
        DEFAULT_CLIENT,
        scopes_for(sb.graph_url.as_str()),
        sink,
    )
}

fn key(sb: &RunningSandbox) -> CacheKey {
    CacheKey {
        login: sb.login_url.to_string(),
        graph: sb.graph_url.to_string(),
        tenant: "organizations".into(),
        client_id: DEFAULT_CLIENT.into(),
    }
}

#[tokio::test]
async fn client_credentials_with_the_seeded_service_principal() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (client_id, secret) = sb.control().automation_credentials();
    let source = Arc::new(sp(&sb, &client_id, secret));
    assert_eq!(source.kind(), SourceKind::ServicePrincipal);
    let graph = GraphClient::new(sb.graph_url.clone(), source.clone()).unwrap();
    let org = graph.organization().await.unwrap();
    assert_eq!(org.id.as_str(), sb.tenant_id);
    // App-only: Graph refuses /me, as the real one does.
    assert_eq!(graph.me().await.unwrap_err().status(), Some(400));
    assert_eq!(sb.control().requests(Route::Token), 1);
}

#[tokio::test]
async fn client_credentials_with_a_secret_just_added_through_graph() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (client_id, _) = sb.control().automation_credentials();
    let user = GraphClient::new(
        sb.graph_url.clone(),
        azsecrets::auth::StaticToken::new(sb.access_token.clone(), SourceKind::Sandbox),
    )
    .unwrap();
    let app = user
        .get_application_by_app_id(&client_id.as_str().into())
        .await
        .unwrap();
    let created = user
        .add_password(
            &ObjectId::new(app.id.as_str()),
            &PasswordCredentialRequest {
                display_name: Some("auth test".into()),
                start_date_time: None,
                end_date_time: Some(chrono::Utc::now() + chrono::Duration::days(30)),
            },
        )
        .await
        .unwrap();
    let secret = SecretString::from(created.secret_text.expose().to_owned());
    let t = sp(&sb, &client_id, secret).token(false).await.unwrap();
    assert!(!t.token.expose_secret().is_empty());
    assert!(t.expires_at.is_some());

    // A wrong secret is refused with a message that does not echo it.
    let err = sp(
        &sb,
        &client_id,
        SecretString::from("Not8Q~the-right-secret-at-all"),
    )
    .token(false)
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, AuthError::Refused { error, .. } if error == "invalid_client"),
        "{msg}"
    );
    assert!(!msg.contains("Not8Q~"), "{msg}");
}

#[tokio::test(start_paused = true)]
async fn device_code_pending_then_success() {
    let sb = sandbox(SandboxConfig {
        device_polls: 2,
        ..SandboxConfig::default()
    })
    .await;
    let (sink, events) = recording_sink();
    let source = Arc::new(device(&sb, sink));
    let graph = GraphClient::new(sb.graph_url.clone(), source.clone()).unwrap();
    let me = graph.me().await.unwrap();
    assert!(!me.id.is_empty());
    // One /devicecode, then 2 pending polls and the success.
    assert_eq!(sb.control().requests(Route::DeviceCode), 1);
    assert_eq!(sb.control().requests(Route::Token), 3);
    let ev = events.lock().unwrap().clone();
    match &ev[0] {
        DeviceCodeEvent::Prompt(p) => {
            assert_eq!(p.user_code.len(), 9);
            assert!(
                p.verification_uri
                    .starts_with(sb.login_url.as_str().trim_end_matches('/'))
            );
            assert!(p.message.contains(&p.user_code));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        ev.last(),
        Some(&DeviceCodeEvent::Finished { signed_in: true })
    );
}

#[tokio::test(start_paused = true)]
async fn device_code_declined() {
    let sb = sandbox(SandboxConfig {
        device_outcome: DeviceOutcome::Decline,
        ..SandboxConfig::default()
    })
    .await;
    let (sink, _) = recording_sink();
    let err = device(&sb, sink).token(false).await.unwrap_err();
    assert!(matches!(err, AuthError::Declined), "{err:?}");
    assert_eq!(
        sb.control().requests(Route::Token),
        3,
        "no polling after the answer"
    );
}

#[tokio::test(start_paused = true)]
async fn device_code_expired() {
    let sb = sandbox(SandboxConfig {
        device_outcome: DeviceOutcome::Expire,
        ..SandboxConfig::default()
    })
    .await;
    let (sink, _) = recording_sink();
    let err = device(&sb, sink).token(false).await.unwrap_err();
    assert!(matches!(err, AuthError::DeviceCodeExpired), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn device_code_slow_down_then_approve() {
    let sb = sandbox(SandboxConfig {
        device_polls: 1,
        device_outcome: DeviceOutcome::SlowDownThenApprove,
        ..SandboxConfig::default()
    })
    .await;
    let (sink, _) = recording_sink();
    let started = tokio::time::Instant::now();
    device(&sb, sink).token(false).await.unwrap();
    // pending at 5 s, slow_down at 10 s, success at 20 s (interval now 10 s).
    assert_eq!(sb.control().requests(Route::Token), 3);
    assert_eq!(started.elapsed().as_secs(), 20);
}

#[tokio::test(start_paused = true)]
async fn refresh_rotates_and_the_old_refresh_token_is_spent() {
    let sb = sandbox(SandboxConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::at(dir.path().join("azsecrets").join("signin.json"));
    let (sink, events) = recording_sink();
    let source = device(&sb, sink).with_cache(cache.clone(), key(&sb));
    let first = source.token(false).await.unwrap();
    let rt1 = cache
        .load(&key(&sb))
        .unwrap()
        .expect("cached after sign-in");

    let second = source.token(true).await.unwrap();
    assert_ne!(first.token.expose_secret(), second.token.expose_secret());
    let rt2 = cache.load(&key(&sb)).unwrap().unwrap();
    assert_ne!(rt1.expose_secret(), rt2.expose_secret(), "rotated");
    // Twice more: only works if the newest refresh token is the one presented.
    source.token(true).await.unwrap();
    source.token(true).await.unwrap();

    // The first refresh token no longer works at the endpoint.
    let endpoint = TokenEndpoint::new(&sb.login_url, "organizations").unwrap();
    let scopes = scopes_for(sb.graph_url.as_str());
    let spent = endpoint
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", DEFAULT_CLIENT),
            ("scope", scopes.as_str()),
            ("refresh_token", rt1.expose_secret()),
        ])
        .await;
    assert!(
        matches!(&spent, Err(azsecrets::auth::token_endpoint::EndpointError::OAuth { error, .. }) if error == "invalid_grant")
    );
    let prompts = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, DeviceCodeEvent::Prompt(_)))
        .count();
    assert_eq!(prompts, 1);

    // A new process (new source, same cache) signs in silently with the cached token.
    let (sink2, events2) = recording_sink();
    let again = device(&sb, sink2).with_cache(cache.clone(), key(&sb));
    let before = sb.control().requests(Route::DeviceCode);
    again.token(false).await.unwrap();
    assert!(
        events2.lock().unwrap().is_empty(),
        "no prompt with a cached sign-in"
    );
    assert_eq!(sb.control().requests(Route::DeviceCode), before);
}

#[tokio::test(start_paused = true)]
async fn graph_401_after_expiry_refreshes_once_and_retries() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (sink, _) = recording_sink();
    let graph = GraphClient::new(sb.graph_url.clone(), Arc::new(device(&sb, sink))).unwrap();
    graph.organization().await.unwrap();
    let tokens = sb.control().requests(Route::Token);
    let orgs = sb.control().requests(Route::Organization);

    // Graph stops accepting every token issued so far (revoked, or clock skew).
    sb.control().expire_tokens();
    graph.organization().await.unwrap();
    assert_eq!(
        sb.control().requests(Route::Token),
        tokens + 1,
        "one refresh"
    );
    assert_eq!(
        sb.control().requests(Route::Organization),
        orgs + 2,
        "401, then the retry"
    );
}

#[tokio::test(start_paused = true)]
async fn service_principal_token_refreshes_after_a_401() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (client_id, secret) = sb.control().automation_credentials();
    let graph =
        GraphClient::new(sb.graph_url.clone(), Arc::new(sp(&sb, &client_id, secret))).unwrap();
    graph.organization().await.unwrap();
    sb.control().expire_tokens();
    graph.organization().await.unwrap();
    assert_eq!(sb.control().requests(Route::Token), 2);
}
