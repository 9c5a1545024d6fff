//! Sign-in sources against a scripted identity-platform stub (axum, in this process), on a
//! paused clock: device-code polling (interval, slow_down, every terminal error, its own
//! deadline, v1 answers), refresh-token rotation and the cache, client credentials (form body,
//! refresh ahead of expiry) and the Graph client's one refresh after a 401.
//!
//! The stub runs on the test's own runtime, so loopback I/O is ready whenever the paused clock
//! would otherwise jump ahead: no real waiting, no spurious timeouts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::time::Instant;
use url::Url;

use azsecrets::auth::device_code::{DeviceCodeEvent, PromptSink, scopes_for};
use azsecrets::auth::{
    AuthError, CacheKey, ClientCredentials, DeviceCode, TokenCache, TokenEndpoint, TokenSource,
};
use azsecrets::graph::GraphClient;

const TENANT: &str = "84841066-274d-4ec0-a5c1-276be684bdd3";
const CLIENT: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
/// An old-style secret with every character a form encoder must escape.
const SP_SECRET: &str = "a+b/c=d:e[f]g@h&i j%k~l.m_n-o";

#[derive(Clone, Debug)]
struct Req {
    path: String,
    form: HashMap<String, String>,
    at: Instant,
}

#[derive(Default)]
struct Stub {
    requests: Vec<Req>,
    /// Answers to device_code polls, in order; `None` = success.
    polls: VecDeque<Option<&'static str>>,
    /// The `/devicecode` answer.
    device_answer: Value,
    /// Lifetime of issued access tokens.
    expires_in: u64,
    issued: u32,
    /// The one refresh token currently accepted (rotation: the previous one stops working).
    live_rt: Option<String>,
    /// Access tokens Graph accepts.
    graph_accepts: Vec<String>,
    /// Issue tokens Graph rejects for the first N token answers.
    graph_rejects_first: u32,
    graph_calls: u32,
}

type Shared = Arc<Mutex<Stub>>;

fn oauth_error(error: &str, codes: &[u64]) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "error": error,
            "error_description": format!("AADSTS{}: stub says {error}.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2026-01-01 00:00:00Z", codes.first().copied().unwrap_or(0)),
            "error_codes": codes,
            "timestamp": "2026-01-01 00:00:00Z",
            "trace_id": "0000aaaa-11bb-cccc-dd33-eeeeee333333",
            "correlation_id": "aaaa0000-bb11-2222-33cc-444444dddddd"
        })),
    )
        .into_response()
}

fn issue(s: &mut Stub, with_rt: bool) -> Response {
    s.issued += 1;
    let n = s.issued;
    let at = format!("at-{n}");
    if n > s.graph_rejects_first {
        s.graph_accepts.push(at.clone());
    }
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": s.expires_in,
        "ext_expires_in": s.expires_in,
        "access_token": at,
    });
    if with_rt {
        let rt = format!("rt-{n}");
        s.live_rt = Some(rt.clone());
        body["refresh_token"] = json!(rt);
        body["scope"] = json!("Application.ReadWrite.All User.Read");
    }
    Json(body).into_response()
}

async fn token(
    State(st): State<Shared>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut s = st.lock().unwrap();
    s.requests.push(Req {
        path: format!("/{tenant}/oauth2/v2.0/token"),
        form: form.clone(),
        at: Instant::now(),
    });
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {
            if form.get("client_secret").map(String::as_str) == Some(SP_SECRET) {
                issue(&mut s, false)
            } else {
                (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x","error_codes":[7000215]})),
                )
                    .into_response()
            }
        }
        Some("urn:ietf:params:oauth:grant-type:device_code") => match s.polls.pop_front() {
            Some(None) => issue(&mut s, true),
            Some(Some("bad_verification_code")) => oauth_error("bad_verification_code", &[70018]),
            Some(Some(e)) => oauth_error(e, &[70016]),
            None => oauth_error("authorization_pending", &[70016]),
        },
        Some("refresh_token") => {
            let presented = form.get("refresh_token").cloned();
            if presented.is_some() && presented == s.live_rt {
                issue(&mut s, true)
            } else {
                oauth_error("invalid_grant", &[70000])
            }
        }
        _ => oauth_error("unsupported_grant_type", &[70003]),
    }
}

async fn devicecode(
    State(st): State<Shared>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut s = st.lock().unwrap();
    s.requests.push(Req {
        path: format!("/{tenant}/oauth2/v2.0/devicecode"),
        form,
        at: Instant::now(),
    });
    Json(s.device_answer.clone()).into_response()
}

async fn organization(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let mut s = st.lock().unwrap();
    s.graph_calls += 1;
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_owned();
    if s.graph_accepts.contains(&bearer) {
        Json(json!({"value":[{"id": TENANT, "displayName": "Contoso", "verifiedDomains": []}]}))
            .into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid.","innerError":{"date":"2026-01-01T00:00:00","request-id":"r","client-request-id":"c"}}})),
        )
            .into_response()
    }
}

async fn start(stub: Stub) -> (Url, Shared) {
    let st: Shared = Arc::new(Mutex::new(stub));
    let app = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(devicecode))
        .route("/v1.0/organization", get(organization))
        .with_state(st.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (Url::parse(&format!("http://{addr}/")).unwrap(), st)
}

fn v2_device_answer(expires_in: u64, interval: u64) -> Value {
    json!({
        "user_code": "FSBFZMBKC",
        "device_code": "GMMhmHCXhWEzkobqIHGG_EnNYYsAkukHspeYUk9E8",
        "verification_uri": "https://microsoft.com/devicelogin",
        "expires_in": expires_in,
        "interval": interval,
        "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code FSBFZMBKC to authenticate."
    })
}

fn recording_sink() -> (PromptSink, Arc<Mutex<Vec<DeviceCodeEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let e = events.clone();
    (Arc::new(move |ev| e.lock().unwrap().push(ev)), events)
}

fn device(login: &Url, sink: PromptSink) -> DeviceCode {
    DeviceCode::new(
        TokenEndpoint::new(login, "organizations").unwrap(),
        CLIENT,
        scopes_for("https://graph.microsoft.com/"),
        sink,
    )
}

fn key(login: &Url) -> CacheKey {
    CacheKey {
        login: login.to_string(),
        graph: "https://graph.microsoft.com/".into(),
        tenant: "organizations".into(),
        client_id: CLIENT.into(),
    }
}

fn polls(st: &Shared) -> Vec<Req> {
    st.lock()
        .unwrap()
        .requests
        .iter()
        .filter(|r| {
            r.form.get("grant_type").map(String::as_str)
                == Some("urn:ietf:params:oauth:grant-type:device_code")
        })
        .cloned()
        .collect()
}

#[tokio::test(start_paused = true)]
async fn device_code_pending_then_success_honours_the_interval() {
    let (login, st) = start(Stub {
        polls: [
            Some("authorization_pending"),
            Some("authorization_pending"),
            None,
        ]
        .into(),
        device_answer: v2_device_answer(900, 5),
        expires_in: 3599,
        ..Stub::default()
    })
    .await;
    let (sink, events) = recording_sink();
    let src = device(&login, sink);
    let started = Instant::now();
    let t = src.token(false).await.unwrap();
    assert_eq!(t.token.expose_secret(), "at-1");
    assert!(t.expires_at.is_some());

    // The /devicecode request: the public client and the delegated Graph scopes.
    let reqs = st.lock().unwrap().requests.clone();
    assert_eq!(reqs[0].path, "/organizations/oauth2/v2.0/devicecode");
    assert_eq!(reqs[0].form["client_id"], CLIENT);
    assert_eq!(
        reqs[0].form["scope"],
        "https://graph.microsoft.com/Application.ReadWrite.All https://graph.microsoft.com/User.Read offline_access"
    );
    // Three polls, each `interval` apart, carrying the device code and no secret.
    let p = polls(&st);
    assert_eq!(p.len(), 3);
    for (i, r) in p.iter().enumerate() {
        assert_eq!(r.at - started, Duration::from_secs(5 * (i as u64 + 1)));
        assert_eq!(
            r.form["device_code"],
            "GMMhmHCXhWEzkobqIHGG_EnNYYsAkukHspeYUk9E8"
        );
        assert_eq!(r.form["client_id"], CLIENT);
        assert!(!r.form.contains_key("client_secret"));
    }
    // The prompt reached the sink, then the end of the flow.
    let ev = events.lock().unwrap().clone();
    assert_eq!(ev.len(), 2, "{ev:?}");
    match &ev[0] {
        DeviceCodeEvent::Prompt(p) => {
            assert_eq!(p.user_code, "FSBFZMBKC");
            assert_eq!(p.verification_uri, "https://microsoft.com/devicelogin");
            assert!(p.message.contains("FSBFZMBKC"));
            let left = p.expires_at - chrono::Utc::now();
            assert!(
                left > chrono::Duration::seconds(800) && left <= chrono::Duration::seconds(900)
            );
        }
        other => panic!("expected a prompt, got {other:?}"),
    }
    assert_eq!(ev[1], DeviceCodeEvent::Finished { signed_in: true });

    // Held: a second call within the lifetime makes no request.
    let n = st.lock().unwrap().requests.len();
    assert_eq!(
        src.token(false).await.unwrap().token.expose_secret(),
        "at-1"
    );
    assert_eq!(st.lock().unwrap().requests.len(), n);
}

#[tokio::test(start_paused = true)]
async fn device_code_slow_down_adds_five_seconds() {
    let (login, st) = start(Stub {
        polls: [Some("slow_down"), Some("authorization_pending"), None].into(),
        device_answer: v2_device_answer(900, 5),
        expires_in: 3599,
        ..Stub::default()
    })
    .await;
    let (sink, _) = recording_sink();
    let started = Instant::now();
    device(&login, sink).token(false).await.unwrap();
    let at: Vec<u64> = polls(&st)
        .iter()
        .map(|r| (r.at - started).as_secs())
        .collect();
    assert_eq!(at, vec![5, 15, 25], "5 s, then 10 s after slow_down");
}

#[tokio::test(start_paused = true)]
async fn device_code_declined_expired_and_bad_code_end_cleanly() {
    for (answer, check) in [
        (
            "authorization_declined",
            (|e: &AuthError| matches!(e, AuthError::Declined)) as fn(&AuthError) -> bool,
        ),
        ("expired_token", |e| {
            matches!(e, AuthError::DeviceCodeExpired)
        }),
        (
            "bad_verification_code",
            |e| matches!(e, AuthError::Refused { error, .. } if error == "bad_verification_code"),
        ),
    ] {
        let (login, st) = start(Stub {
            polls: [Some("authorization_pending"), Some(answer)].into(),
            device_answer: v2_device_answer(900, 5),
            ..Stub::default()
        })
        .await;
        let (sink, events) = recording_sink();
        let err = device(&login, sink).token(false).await.unwrap_err();
        assert!(check(&err), "{answer}: {err:?}");
        assert_eq!(
            polls(&st).len(),
            2,
            "{answer}: no poll after a terminal answer"
        );
        assert_eq!(
            events.lock().unwrap().last(),
            Some(&DeviceCodeEvent::Finished { signed_in: false })
        );
        assert!(
            !err.to_string().contains("Trace ID"),
            "messages keep only the first line: {err}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn requests_waiting_on_a_failed_sign_in_share_its_failure() {
    let (login, st) = start(Stub {
        polls: [
            Some("authorization_pending"),
            Some("authorization_declined"),
        ]
        .into(),
        device_answer: v2_device_answer(900, 5),
        ..Stub::default()
    })
    .await;
    let (sink, _events) = recording_sink();
    let dc = device(&login, sink);
    // Three Graph requests need a token at once (tenant, me, apps): one prompt, one answer.
    let (a, b, c) = tokio::join!(dc.token(false), dc.token(false), dc.token(false));
    for r in [a, b, c] {
        assert!(matches!(r, Err(AuthError::Declined)), "{r:?}");
    }
    let device_codes = |st: &Shared| {
        st.lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r.path.ends_with("/devicecode"))
            .count()
    };
    assert_eq!(
        device_codes(&st),
        1,
        "one sign-in, not one per waiting request"
    );
    // Asking again later (the user pressed r) starts a new sign-in.
    st.lock().unwrap().polls = [None].into();
    dc.token(false).await.expect("second sign-in succeeds");
    assert_eq!(device_codes(&st), 2);
}

#[tokio::test(start_paused = true)]
async fn device_code_gives_up_at_its_own_deadline() {
    // The server never says expired: the client stops at expires_in by itself.
    let (login, st) = start(Stub {
        device_answer: v2_device_answer(30, 5),
        ..Stub::default()
    })
    .await;
    let (sink, _) = recording_sink();
    let started = Instant::now();
    let err = device(&login, sink).token(false).await.unwrap_err();
    assert!(matches!(err, AuthError::DeviceCodeExpired), "{err:?}");
    assert_eq!(
        polls(&st).len(),
        5,
        "polls at 5..25 s, none at or after 30 s"
    );
    assert!(started.elapsed() <= Duration::from_secs(35));
}

#[tokio::test(start_paused = true)]
async fn device_code_accepts_v1_answers_with_string_numbers() {
    let (login, st) = start(Stub {
        polls: [None].into(),
        device_answer: json!({
            "user_code": "HNGP5CAF8",
            "device_code": "dc",
            "verification_url": "https://aka.ms/devicelogin",
            "expires_in": "900",
            "interval": "7"
        }),
        expires_in: 3599,
        ..Stub::default()
    })
    .await;
    let (sink, events) = recording_sink();
    let started = Instant::now();
    device(&login, sink).token(false).await.unwrap();
    assert_eq!((polls(&st)[0].at - started).as_secs(), 7);
    match &events.lock().unwrap()[0] {
        DeviceCodeEvent::Prompt(p) => {
            assert_eq!(p.verification_uri, "https://aka.ms/devicelogin");
            // No message in v1: one is composed from the URL and the code.
            assert!(
                p.message.contains("https://aka.ms/devicelogin") && p.message.contains("HNGP5CAF8")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn refresh_rotates_the_refresh_token_in_memory_and_in_the_cache() {
    let (login, st) = start(Stub {
        polls: [None].into(),
        device_answer: v2_device_answer(900, 5),
        expires_in: 600,
        ..Stub::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::at(dir.path().join("azsecrets").join("signin.json"));
    let (sink, events) = recording_sink();
    let src = device(&login, sink).with_cache(cache.clone(), key(&login));

    assert_eq!(
        src.token(false).await.unwrap().token.expose_secret(),
        "at-1"
    );
    assert_eq!(
        cache.load(&key(&login)).unwrap().unwrap().expose_secret(),
        "rt-1"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cache.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // 600 s tokens are refreshed 5 minutes ahead: not at 299 s, at 301 s.
    tokio::time::advance(Duration::from_secs(299)).await;
    assert_eq!(
        src.token(false).await.unwrap().token.expose_secret(),
        "at-1"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(
        src.token(false).await.unwrap().token.expose_secret(),
        "at-2"
    );
    // The stub accepts only the newest refresh token; the second refresh proves rotation.
    assert_eq!(src.token(true).await.unwrap().token.expose_secret(), "at-3");
    assert_eq!(
        cache.load(&key(&login)).unwrap().unwrap().expose_secret(),
        "rt-3"
    );
    let refreshes: Vec<String> = st
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|r| r.form.get("grant_type").map(String::as_str) == Some("refresh_token"))
        .map(|r| {
            assert_eq!(r.form["client_id"], CLIENT);
            assert!(r.form["scope"].contains("offline_access"));
            assert!(!r.form.contains_key("client_secret"), "public client");
            r.form["refresh_token"].clone()
        })
        .collect();
    assert_eq!(refreshes, vec!["rt-1", "rt-2"]);
    // One prompt only: refreshes never ask the user.
    let prompts = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, DeviceCodeEvent::Prompt(_)))
        .count();
    assert_eq!(prompts, 1);
}

#[tokio::test(start_paused = true)]
async fn a_cached_refresh_token_is_tried_before_prompting() {
    let (login, st) = start(Stub {
        device_answer: v2_device_answer(900, 5),
        expires_in: 3599,
        live_rt: Some("rt-cached".into()),
        ..Stub::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::at(dir.path().join("signin.json"));
    cache
        .store(&key(&login), &SecretString::from("rt-cached"))
        .unwrap();
    let (sink, events) = recording_sink();
    let src = device(&login, sink).with_cache(cache.clone(), key(&login));
    assert!(src.has_refresh_token().await);
    assert_eq!(
        src.token(false).await.unwrap().token.expose_secret(),
        "at-1"
    );
    assert!(events.lock().unwrap().is_empty(), "no prompt");
    assert!(
        st.lock()
            .unwrap()
            .requests
            .iter()
            .all(|r| !r.path.ends_with("devicecode"))
    );
    assert_eq!(
        cache.load(&key(&login)).unwrap().unwrap().expose_secret(),
        "rt-1"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_cached_refresh_token_is_forgotten_and_the_user_prompted() {
    let (login, _st) = start(Stub {
        polls: [None].into(),
        device_answer: v2_device_answer(900, 5),
        expires_in: 3599,
        live_rt: Some("something-else".into()),
        ..Stub::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::at(dir.path().join("signin.json"));
    cache
        .store(&key(&login), &SecretString::from("rt-revoked"))
        .unwrap();
    let (sink, events) = recording_sink();
    let src = device(&login, sink).with_cache(cache.clone(), key(&login));
    assert_eq!(
        src.token(false).await.unwrap().token.expose_secret(),
        "at-1"
    );
    assert!(matches!(
        events.lock().unwrap()[0],
        DeviceCodeEvent::Prompt(_)
    ));
    assert_eq!(
        cache.load(&key(&login)).unwrap().unwrap().expose_secret(),
        "rt-1",
        "the refused token is replaced by the new sign-in's"
    );
}

fn sp(login: &Url, secret: &str) -> ClientCredentials {
    ClientCredentials::new(
        TokenEndpoint::new(login, TENANT).unwrap(),
        "11111111-2222-3333-4444-555555555555",
        SecretString::from(secret.to_owned()),
        "https://graph.microsoft.com/.default",
    )
    .unwrap()
}

#[tokio::test(start_paused = true)]
async fn client_credentials_sends_a_form_and_refreshes_ahead_of_expiry() {
    let (login, st) = start(Stub {
        expires_in: 3599,
        ..Stub::default()
    })
    .await;
    let src = sp(&login, SP_SECRET);
    assert_eq!(
        src.token(false).await.unwrap().token.expose_secret(),
        "at-1"
    );
    {
        let s = st.lock().unwrap();
        let r = &s.requests[0];
        assert_eq!(r.path, format!("/{TENANT}/oauth2/v2.0/token"));
        assert_eq!(r.form["grant_type"], "client_credentials");
        assert_eq!(r.form["scope"], "https://graph.microsoft.com/.default");
        // The form decoder got back exactly the secret: it was URL-encoded on the way.
        assert_eq!(r.form["client_secret"], SP_SECRET);
    }
    tokio::time::advance(Duration::from_secs(3599 - 301)).await;
    assert_eq!(
        src.token(false).await.unwrap().token.expose_secret(),
        "at-1"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(
        src.token(false).await.unwrap().token.expose_secret(),
        "at-2"
    );
    assert_eq!(src.token(true).await.unwrap().token.expose_secret(), "at-3");
    assert_eq!(st.lock().unwrap().requests.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn client_credentials_explains_a_wrong_secret_without_echoing_it() {
    let (login, _st) = start(Stub::default()).await;
    let err = sp(&login, "wrong-secret-value")
        .token(false)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("invalid_client"), "{msg}");
    assert!(msg.contains("not a valid secret"), "{msg}");
    assert!(!msg.contains("wrong-secret-value"), "{msg}");
}

#[test]
fn client_credentials_needs_one_tenant() {
    let login = Url::parse("https://login.microsoftonline.com/").unwrap();
    let r = ClientCredentials::new(
        TokenEndpoint::new(&login, "organizations").unwrap(),
        "x",
        SecretString::from("s"),
        "https://graph.microsoft.com/.default",
    );
    assert!(matches!(r, Err(AuthError::Config(m)) if m.contains("AZURE_TENANT_ID")));
}

#[tokio::test(start_paused = true)]
async fn graph_client_refreshes_once_after_a_401_and_retries() {
    // The first token is one Graph no longer accepts (revoked, or expired early).
    let (base, st) = start(Stub {
        expires_in: 3599,
        graph_rejects_first: 1,
        ..Stub::default()
    })
    .await;
    let client = GraphClient::new(base.clone(), Arc::new(sp(&base, SP_SECRET))).unwrap();
    let org = client.organization().await.unwrap();
    assert_eq!(org.display_name.as_deref(), Some("Contoso"));
    let s = st.lock().unwrap();
    assert_eq!(s.graph_calls, 2, "one 401, one retry");
    assert_eq!(s.issued, 2, "one refresh");
}

#[tokio::test(start_paused = true)]
async fn graph_client_gives_up_after_one_refresh() {
    let (base, st) = start(Stub {
        expires_in: 3599,
        graph_rejects_first: 100,
        ..Stub::default()
    })
    .await;
    let client = GraphClient::new(base.clone(), Arc::new(sp(&base, SP_SECRET))).unwrap();
    let err = client.organization().await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    let s = st.lock().unwrap();
    assert_eq!((s.graph_calls, s.issued), (2, 2), "no refresh loop");
}
