//! Contract tests: the Graph client against the sandbox over real HTTP on loopback.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use azsecrets::auth::{SourceKind, StaticToken};
use azsecrets::graph::{
    AppQuery, GraphClient, GraphError, NewApplication, ObjectId, PasswordCredentialRequest,
    RemoveOutcome, RetryPolicy, SecretId, SignInAudience,
};
use azsecrets::sandbox::{RunningSandbox, SandboxConfig, start};
use chrono::{SubsecRound, Utc};
use futures::StreamExt;
use secrecy::SecretString;

async fn sandbox(config: SandboxConfig) -> (RunningSandbox, GraphClient) {
    let sb = start(config).await.expect("sandbox starts");
    let creds = StaticToken::new(sb.access_token.clone(), SourceKind::Sandbox);
    let client = GraphClient::new(sb.graph_url.clone(), creds)
        .expect("client")
        .with_retry(RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(2),
        });
    (sb, client)
}

async fn new_app(client: &GraphClient, name: &str) -> azsecrets::graph::AppRegistration {
    client
        .create_application(&NewApplication {
            display_name: name.to_owned(),
            sign_in_audience: SignInAudience::AzureADMyOrg,
            web: None,
        })
        .await
        .expect("create app")
}

fn request(desc: &str, days: i64) -> PasswordCredentialRequest {
    let start = Utc::now().trunc_subsecs(0);
    PasswordCredentialRequest {
        display_name: Some(desc.to_owned()),
        start_date_time: Some(start),
        end_date_time: Some(start + chrono::Duration::days(days)),
    }
}

#[tokio::test]
async fn lists_every_app_across_several_pages_without_duplicates() {
    let (_sb, client) = sandbox(SandboxConfig {
        extra_apps: 2500,
        ..SandboxConfig::default()
    })
    .await;
    let mut pages = client.list_applications(&AppQuery::default());
    let mut ids = HashSet::new();
    let mut n_pages = 0;
    let mut sizes = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.expect("page");
        n_pages += 1;
        sizes.push(page.items.len());
        for app in page.items {
            assert!(ids.insert(app.id.clone()), "duplicate {}", app.id);
        }
    }
    assert!(
        n_pages >= 3,
        "2500+ apps at 999 a page is at least 3 pages, got {sizes:?}"
    );
    assert!(sizes[0] == 999, "first page is full: {sizes:?}");
    assert!(
        ids.len() >= 2530,
        "seed (~40) + 2500 generated, got {}",
        ids.len()
    );

    // Small pages give the same set.
    let small = AppQuery {
        top: Some(97),
        ..AppQuery::default()
    };
    let all_small = client
        .list_all_applications(&small)
        .await
        .expect("small pages");
    assert_eq!(all_small.len(), ids.len());
}

#[tokio::test]
async fn startswith_filter_quotes_apostrophes() {
    let (_sb, client) = sandbox(SandboxConfig::default()).await;
    let created = new_app(&client, "O'Brien's payroll tool").await;
    let found = client
        .list_all_applications(&AppQuery {
            name_prefix: Some("o'brien".into()),
            ..AppQuery::default()
        })
        .await
        .expect("filtered list");
    assert!(found.iter().any(|a| a.id == created.id), "{found:?}");
    assert!(
        found
            .iter()
            .all(|a| a.display_name.to_lowercase().starts_with("o'brien"))
    );
    let by_name = client
        .find_applications_by_name("O'BRIEN'S PAYROLL TOOL")
        .await
        .expect("by name");
    assert_eq!(by_name.len(), 1);
}

#[tokio::test]
async fn gets_by_object_id_and_by_app_id_and_404s_with_request_id() {
    let (_sb, client) = sandbox(SandboxConfig::default()).await;
    let created = new_app(&client, "contract get test").await;
    let by_id = client
        .get_application(&created.id)
        .await
        .expect("by object id");
    let by_app_id = client
        .get_application_by_app_id(&created.app_id)
        .await
        .expect("by app id");
    assert_eq!(by_id.id, by_app_id.id);
    assert_eq!(by_id.display_name, "contract get test");

    // An Application ID in the Object ID slot is Graph's classic 404.
    let err = client
        .get_application(&ObjectId::new(created.app_id.as_str()))
        .await
        .expect_err("404");
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("Request_ResourceNotFound"));
    let rid = err.request_id().expect("request-id");
    assert!(azsecrets::graph::is_guid(rid));
    let shown = err.to_string();
    assert!(
        shown.contains("Request_ResourceNotFound") && shown.contains(rid),
        "{shown}"
    );
}

#[tokio::test]
async fn invalid_ids_are_refused_before_any_request() {
    let (_sb, client) = sandbox(SandboxConfig::default()).await;
    let err = client
        .get_application(&ObjectId::new("not-a-guid"))
        .await
        .expect_err("invalid");
    assert!(matches!(err, GraphError::InvalidId(_)));
    let err = client
        .remove_password(
            &ObjectId::new("00000000-0000-0000-0000-000000000000"),
            &SecretId::new("x'; drop"),
        )
        .await
        .expect_err("invalid");
    assert!(matches!(err, GraphError::InvalidId(_)));
}

#[tokio::test]
async fn me_organization_owned_and_federated_credentials() {
    let (sb, client) = sandbox(SandboxConfig::default()).await;
    let org = client.organization().await.expect("org");
    assert_eq!(org.id.as_str(), sb.tenant_id);
    assert!(org.display_name.is_some());
    let me = client.me().await.expect("me");
    assert!(me.user_principal_name.is_some());

    let created = new_app(&client, "owned by me").await;
    let owned = client
        .list_all_applications(&AppQuery {
            owned: true,
            ..AppQuery::default()
        })
        .await
        .expect("owned");
    assert!(owned.iter().any(|a| a.id == created.id));
    let all = client
        .list_all_applications(&AppQuery::default())
        .await
        .expect("all");
    assert!(
        owned.len() < all.len(),
        "the seed has apps the user does not own"
    );

    let mut fics = 0;
    for app in &all {
        fics += client
            .federated_credentials(&app.id)
            .await
            .expect("fics")
            .len();
    }
    assert!(fics > 0, "the seed has federated credentials");
}

#[tokio::test]
async fn add_password_returns_the_value_once_and_remove_is_idempotent() {
    let (_sb, client) = sandbox(SandboxConfig::default()).await;
    let app = new_app(&client, "secret lifecycle").await;
    let req = request("ci deploy", 90);
    let created = client
        .add_password(&app.id, &req)
        .await
        .expect("addPassword");
    let value = created.secret_text.expose();
    assert_eq!(value.len(), 40);
    assert_eq!(&value[4..6], "Q~", "real 40-char format");
    assert_eq!(created.metadata.hint.as_deref(), Some(&value[..3]));
    assert_eq!(created.metadata.display_name.as_deref(), Some("ci deploy"));
    assert_eq!(created.metadata.end_date_time, req.end_date_time);

    let read = client.get_application(&app.id).await.expect("read back");
    let s = read
        .password_credentials
        .iter()
        .find(|s| s.key_id == created.metadata.key_id)
        .expect("listed");
    assert_eq!(s.hint, created.metadata.hint);

    let key = created.metadata.key_id.clone();
    assert_eq!(
        client.remove_password(&app.id, &key).await.expect("remove"),
        RemoveOutcome::Removed
    );
    assert_eq!(
        client
            .remove_password(&app.id, &key)
            .await
            .expect("remove again"),
        RemoveOutcome::AlreadyGone
    );
    let read = client.get_application(&app.id).await.expect("read back");
    assert!(read.password_credentials.is_empty());
}

#[tokio::test]
async fn two_secret_cap_for_personal_account_apps() {
    let (_sb, client) = sandbox(SandboxConfig::default()).await;
    let app = client
        .create_application(&NewApplication {
            display_name: "msa app".into(),
            sign_in_audience: SignInAudience::AzureADandPersonalMicrosoftAccount,
            web: None,
        })
        .await
        .expect("create");
    client
        .add_password(&app.id, &request("one", 30))
        .await
        .expect("1");
    client
        .add_password(&app.id, &request("two", 30))
        .await
        .expect("2");
    let err = client
        .add_password(&app.id, &request("three", 30))
        .await
        .expect_err("cap");
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("maximum of 2"), "{err}");
    assert_eq!(err.cause(), azsecrets::graph::Cause::SecretLimit);
    assert_eq!(
        client
            .get_application(&app.id)
            .await
            .expect("app")
            .password_credentials
            .len(),
        2
    );
}

#[tokio::test]
async fn reads_retry_429_with_retry_after_but_add_password_never_does() {
    let (_sb, client) = sandbox(SandboxConfig {
        throttle_every: Some(2),
        throttle_retry_after: 1,
        extra_apps: 1500,
        ..SandboxConfig::default()
    })
    .await;
    let started = std::time::Instant::now();
    let all = client
        .list_all_applications(&AppQuery::default())
        .await
        .expect("list despite 429s");
    assert!(all.len() > 1500);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );

    // Every other request is throttled: find an addPassword that gets the 429.
    let app = &all[0];
    let mut saw_429 = false;
    for _ in 0..2 {
        match client
            .add_password(&app.id, &request("throttled", 30))
            .await
        {
            Err(e) if e.status() == Some(429) => {
                assert_eq!(
                    e.api().and_then(|a| a.retry_after),
                    Some(Duration::from_secs(1))
                );
                saw_429 = true;
                break;
            }
            Err(e) => panic!("unexpected {e}"),
            Ok(_) => {}
        }
    }
    assert!(
        saw_429,
        "addPassword surfaced the 429 instead of retrying it"
    );
}

/// The client neither retries a lost `addPassword` reply nor guesses what happened: it
/// returns the loss, and the creation transaction (tests/create_transaction.rs) reads the app
/// back. (Behaviour moved on purpose in issue 11: reconciling is the transaction's job.)
#[tokio::test]
async fn a_lost_add_password_reply_is_returned_not_retried() {
    let (sb, client) = sandbox(SandboxConfig {
        drop_add_password: 1,
        ..SandboxConfig::default()
    })
    .await;
    let app = new_app(&client, "lossy network").await;
    let req = request("lost reply", 30);
    let err = client
        .add_password(&app.id, &req)
        .await
        .expect_err("reply lost");
    assert!(
        matches!(
            err,
            GraphError::Transport { .. } | GraphError::Decode { .. }
        ),
        "{err:?}"
    );
    assert_eq!(
        sb.control()
            .requests(azsecrets::sandbox::Route::AddPassword),
        1,
        "no blind retry"
    );
    let read = client.get_application(&app.id).await.expect("read back");
    assert_eq!(
        read.password_credentials.len(),
        1,
        "the secret exists: the transaction must find it"
    );
}

#[tokio::test]
async fn a_bad_token_gets_401_with_the_graph_code() {
    let sb = start(SandboxConfig::default()).await.expect("sandbox");
    let creds = StaticToken::new(SecretString::from("not-a-token"), SourceKind::StaticToken);
    let client = GraphClient::new(sb.graph_url.clone(), creds).expect("client");
    let err = client.organization().await.expect_err("401");
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("InvalidAuthenticationToken"));
}

/// A stub Graph whose first page links to another origin: the client must refuse it and never
/// send the token there. It must also send the bearer on every page of its own origin.
#[tokio::test]
async fn a_foreign_next_link_is_refused_and_the_token_stays_home() {
    use axum::{Router, extract::State, http::HeaderMap, routing::get};

    let foreign_hits = Arc::new(AtomicUsize::new(0));
    let hits = foreign_hits.clone();
    let foreign = Router::new().fallback(move || {
        let hits = hits.clone();
        async move {
            hits.fetch_add(1, Ordering::SeqCst);
            "{}"
        }
    });
    let foreign_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let foreign_addr = foreign_listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(foreign_listener, foreign).await });

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let auth_seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    #[derive(Clone)]
    struct S {
        addr: std::net::SocketAddr,
        foreign: std::net::SocketAddr,
        auth: Arc<std::sync::Mutex<Vec<String>>>,
    }
    async fn page(
        State(s): State<S>,
        headers: HeaderMap,
        q: axum::extract::RawQuery,
    ) -> axum::response::Response {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        s.auth.lock().unwrap().push(auth);
        let q = q.0.unwrap_or_default();
        let next = if q.contains("skiptoken=two") {
            format!("http://{}/v1.0/applications?$skiptoken=evil", s.foreign)
        } else {
            format!("http://{}/v1.0/applications?$skiptoken=two", s.addr)
        };
        let body = serde_json::json!({
            "@odata.context": "x",
            "@odata.nextLink": next,
            "value": [{"id": "03ef14b0-ca33-4840-8f4f-d6e91916010e", "appId": "631a96bc-a705-4eda-9f99-fdaf9f54f6a2", "displayName": "a"}]
        });
        axum::response::IntoResponse::into_response(axum::Json(body))
    }
    let app = Router::new()
        .route("/v1.0/applications", get(page))
        .with_state(S {
            addr,
            foreign: foreign_addr,
            auth: auth_seen.clone(),
        });
    tokio::spawn(async move { axum::serve(listener, app).await });

    let creds = StaticToken::new(SecretString::from("tok-123"), SourceKind::StaticToken);
    let root = url::Url::parse(&format!("http://{addr}/")).unwrap();
    let client = GraphClient::new(root, creds).unwrap();
    let mut pages = client.list_applications(&AppQuery::default());
    assert!(pages.next().await.unwrap().is_ok());
    assert!(pages.next().await.unwrap().is_ok());
    let third = pages.next().await.unwrap();
    assert!(
        matches!(third, Err(GraphError::ForeignLink { .. })),
        "{third:?}"
    );
    assert!(pages.next().await.is_none());
    assert_eq!(
        foreign_hits.load(Ordering::SeqCst),
        0,
        "nothing was sent to the foreign host"
    );
    let seen = auth_seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec!["Bearer tok-123".to_owned(), "Bearer tok-123".to_owned()]
    );
}

/// docs/contract.md section 1: the client's validated request and the sandbox agree on the
/// longest description, counted in UTF-16 units.
#[tokio::test]
async fn the_description_limit_is_the_same_on_both_sides() {
    use azsecrets::expiry::Lifetime;
    use azsecrets::new_secret::{MAX_DESCRIPTION, NewSecretRequest};

    let (_sb, client) = sandbox(SandboxConfig::default()).await;
    let app = new_app(&client, "description-limit").await;
    // The longest the client builds is accepted, in ASCII and in astral characters alike.
    for longest in [
        "d".repeat(MAX_DESCRIPTION),
        "🔑".repeat(MAX_DESCRIPTION / 2),
    ] {
        let req = NewSecretRequest::new(&longest, Lifetime::Days(30), Utc::now()).expect("valid");
        let made = client
            .add_password(&app.id, &req.to_graph())
            .await
            .expect("Graph's longest description is accepted");
        assert_eq!(
            made.metadata.display_name.as_deref(),
            Some(longest.as_str())
        );
    }
    // One unit more is refused by both: the client before sending, the sandbox on the wire.
    let over = format!("{}x", "🔑".repeat(MAX_DESCRIPTION / 2));
    assert!(NewSecretRequest::new(&over, Lifetime::Days(30), Utc::now()).is_err());
    let e = client
        .add_password(&app.id, &request(&over, 30))
        .await
        .expect_err("too long for Graph");
    assert_eq!(e.status(), Some(400), "{e}");
    assert_eq!(e.code(), Some("Request_BadRequest"), "{e}");
}

/// Issue 12: reads outlive 5xx and 429 (with jitter, within a bound), every wait is reported
/// to the observer, and the end of the retries too.
#[tokio::test]
async fn reads_retry_5xx_and_report_each_wait_to_the_observer() {
    use azsecrets::graph::RetryEvent;
    use azsecrets::sandbox::{Faults, Route};
    let (sb, client) = sandbox(SandboxConfig {
        throttle_retry_after: 0,
        ..SandboxConfig::default()
    })
    .await;
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = events.clone();
    let client = client
        .with_retry(RetryPolicy {
            max_retries: 8,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
        })
        .with_observer(Arc::new(move |e| seen.lock().unwrap().push(e)));

    // A third of all requests fail with 500, 503 or 504: every listing still completes.
    sb.control().set_faults(Faults {
        fail_rate: 0.3,
        throttle_retry_after: 0,
        ..Faults::none()
    });
    // Faults are random: list until some request was retried (at least six listings; the
    // chance that sixty pass without a single fault is 0.7^60, about 5e-10).
    for i in 0..60 {
        let all = client
            .list_all_applications(&AppQuery::default())
            .await
            .expect("5xx on reads are retried");
        assert!(all.len() > 30);
        let retried = events
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, RetryEvent::Waiting(_)));
        if i >= 5 && retried {
            break;
        }
    }
    {
        let events = events.lock().unwrap();
        let statuses: HashSet<Option<u16>> = events
            .iter()
            .filter_map(|e| match e {
                RetryEvent::Waiting(w) => Some(w.status),
                RetryEvent::Settled { .. } => None,
            })
            .collect();
        assert!(
            statuses.iter().all(|s| matches!(s, Some(500 | 503 | 504))),
            "{statuses:?}"
        );
        assert!(!statuses.is_empty(), "some request was retried");
        assert!(events.iter().any(
            |e| matches!(e, RetryEvent::Settled { operation } if *operation == "list applications")
        ));
    }

    // Every request fails: the read gives up after the bound, each wait said, in order.
    events.lock().unwrap().clear();
    sb.control().set_faults(Faults {
        fail_rate: 1.0,
        throttle_retry_after: 0,
        ..Faults::none()
    });
    let before = sb.control().requests(Route::Organization);
    let e = client.organization().await.expect_err("gives up");
    assert!(matches!(e.status(), Some(500 | 503 | 504)), "{e}");
    assert_eq!(sb.control().requests(Route::Organization) - before, 9);
    let waits: Vec<(u32, u32)> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            RetryEvent::Waiting(w) => Some((w.next_attempt, w.attempts)),
            RetryEvent::Settled { .. } => None,
        })
        .collect();
    assert_eq!(waits, (2..=9).map(|n| (n, 9)).collect::<Vec<_>>());
    assert!(matches!(
        events.lock().unwrap().last(),
        Some(RetryEvent::Settled { .. })
    ));

    // addPassword is never retried, whatever the status.
    let before = sb.control().requests(Route::AddPassword);
    let app = ObjectId::new("22a3fcf1-b48e-5d59-b922-75c78969b291");
    let _ = client.add_password(&app, &request("never twice", 30)).await;
    assert_eq!(sb.control().requests(Route::AddPassword) - before, 1);
}

/// Issue 12: a record Graph sends that cannot be read is left out and counted; a lone
/// surrogate escape is repaired to U+FFFD and the record kept.
#[tokio::test]
async fn unreadable_records_are_skipped_and_counted_not_fatal() {
    let tenant = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hostile-tenant.json");
    let (sb, client) = sandbox(SandboxConfig {
        tenant_file: Some(tenant),
        ..SandboxConfig::default()
    })
    .await;
    let listing = client
        .collect_applications(&AppQuery::default())
        .await
        .expect("one bad record does not fail the list");
    assert_eq!(
        listing.skipped, 2,
        "a bad createdDateTime and a credential without keyId"
    );
    assert_eq!(listing.items.len(), sb.control().app_count() - 2);
    let repaired = listing
        .items
        .iter()
        .find(|a| a.display_name.starts_with("wire lone"))
        .expect("the lone surrogate record is kept");
    assert_eq!(repaired.display_name, "wire lone \u{fffd} surrogate");
    assert_eq!(
        repaired.password_credentials[0].display_name.as_deref(),
        Some("lone \u{fffd} low")
    );
    // A null name and null collections read as empty.
    assert!(listing.items.iter().any(|a| a.display_name.is_empty()));

    // Paged small, the skipped records are counted page by page all the same.
    let mut pages = client.list_applications(&AppQuery {
        top: Some(7),
        ..AppQuery::default()
    });
    let mut skipped = 0;
    while let Some(p) = pages.next().await {
        skipped += p.expect("page").skipped;
    }
    assert_eq!(skipped, 2);

    // One record read alone: repaired when it can be, a clear decode error when not.
    let lone = client
        .get_application(&repaired.id)
        .await
        .expect("repaired");
    assert_eq!(lone.display_name, "wire lone \u{fffd} surrogate");
    let all_ids: HashSet<&str> = listing.items.iter().map(|a| a.id.as_str()).collect();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile-tenant.json"),
    )
    .unwrap()
    .replace("\\ud800", "?")
    .replace("\\udc00", "?");
    let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
    let bad = fixture["apps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str())
        .find(|id| !all_ids.contains(id))
        .expect("a skipped app");
    let e = client
        .get_application(&ObjectId::new(bad))
        .await
        .expect_err("cannot be read");
    assert_eq!(e.cause(), azsecrets::graph::Cause::UnreadableReply, "{e}");
}

/// Issue 12: a request refused before it is sent names its cause, never the network.
#[tokio::test]
async fn requests_refused_before_sending_are_not_network_errors() {
    use azsecrets::graph::{Cause, NotSent};
    use azsecrets::sandbox::Route;
    let (sb, client) = sandbox(SandboxConfig::default()).await;
    let before = sb.control().requests(Route::ListApplications);
    let e = client
        .list_all_applications(&AppQuery {
            name_prefix: Some("x".repeat(100_000)),
            ..AppQuery::default()
        })
        .await
        .expect_err("too long to send");
    assert!(
        matches!(
            &e,
            GraphError::NotSent {
                reason: NotSent::UrlTooLong { .. },
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.cause(), Cause::RequestTooLong);
    assert!(!e.to_string().contains("network"), "{e}");
    assert_eq!(
        sb.control().requests(Route::ListApplications),
        before,
        "nothing was sent"
    );

    let creds = StaticToken::new(
        SecretString::from("eyJ0.line\nbreak.sig".to_owned()),
        SourceKind::StaticToken,
    );
    let broken = GraphClient::new(sb.graph_url.clone(), creds).expect("client");
    let e = broken.organization().await.expect_err("unsendable token");
    assert_eq!(e.cause(), Cause::TokenNotSendable, "{e}");
    assert!(
        !e.to_string().contains("line\nbreak"),
        "the token is never shown"
    );
    assert!(!e.to_string().contains("network"), "{e}");
}
