//! Contract tests for certificates: the whole-set PATCH transaction (`azsecrets::keycreds`)
//! against the sandbox, and the sandbox's keyCredential rules over raw HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use azsecrets::auth::{SourceKind, StaticToken};
use azsecrets::certs::{self, KeyAlgorithm};
use azsecrets::graph::{GraphClient, ObjectId, RetryPolicy, SecretId};
use azsecrets::keycreds::{self, CertChangeError, Change, Changed, NewCertificate};
use azsecrets::sandbox::{Route, RunningSandbox, SandboxConfig, start};
use base64::Engine;
use chrono::{SubsecRound, Utc};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const SIGNING: &str = "a270b967-985e-5a34-9317-52a29b306f69";
const FINANCE: &str = "5a23c991-b0a6-50be-a31d-8d206e887372";

async fn sandbox() -> (RunningSandbox, GraphClient) {
    let sb = start(SandboxConfig::default()).await.expect("sandbox");
    let creds = StaticToken::new(sb.access_token.clone(), SourceKind::Sandbox);
    let client = GraphClient::new(sb.graph_url.clone(), creds)
        .expect("client")
        .with_retry(RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        });
    (sb, client)
}

fn cert(cn: &str) -> certs::SelfSigned {
    let now = Utc::now().trunc_subsecs(0);
    certs::self_signed(
        cn,
        now - chrono::Duration::days(1),
        now + chrono::Duration::days(400),
        KeyAlgorithm::P256,
    )
    .expect("cert")
}

fn new_cert(c: &certs::SelfSigned, days: i64) -> NewCertificate {
    let now = Utc::now().trunc_subsecs(0);
    NewCertificate::new(
        &c.info,
        Some("ci signing".into()),
        now,
        now + chrono::Duration::days(days),
    )
}

async fn patch(sb: &RunningSandbox, app: &str, body: Value) -> (u16, Value) {
    let url = format!("{}v1.0/applications/{app}", sb.graph_url);
    let r = reqwest::Client::new()
        .patch(url)
        .bearer_auth(sb.access_token.expose_secret())
        .json(&body)
        .send()
        .await
        .expect("patch");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get(sb: &RunningSandbox, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}v1.0/{path}", sb.graph_url))
        .bearer_auth(sb.access_token.expose_secret())
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn adding_one_certificate_keeps_every_other_exactly() {
    let (sb, client) = sandbox().await;
    let app = ObjectId::new(SIGNING);
    let before = client.key_credentials(&app).await.expect("read");
    assert_eq!(before.len(), 3, "the seed has three certificates here");
    assert!(
        before.iter().all(|k| k.key.is_some()),
        "keys come with $select"
    );
    let c = cert("ci.contoso-sandbox.example");
    let new = new_cert(&c, 90);
    let shown: Vec<SecretId> = before.iter().map(|k| k.key_id.clone()).collect();
    let added = keycreds::change(&client, &app, &Change::Add(new.clone()), Some(&shown))
        .await
        .expect("added");
    let Changed::Added(entry) = added else {
        panic!("{added:?}")
    };
    assert_eq!(
        entry.custom_key_identifier.as_deref(),
        Some(c.info.thumbprint().as_str()),
        "Graph fills the SHA-1 thumbprint"
    );
    assert_eq!(entry.display_name.as_deref(), Some("ci signing"));
    let after = client.key_credentials(&app).await.expect("read");
    assert_eq!(after.len(), 4);
    for old in &before {
        assert!(after.contains(old), "{} kept exactly", old.key_id);
    }
    // No description: Graph names it after the subject.
    let c2 = cert("second.contoso-sandbox.example");
    let mut n2 = new_cert(&c2, 30);
    n2.display_name = None;
    let Changed::Added(e2) = keycreds::change(&client, &app, &Change::Add(n2), None)
        .await
        .expect("added")
    else {
        panic!()
    };
    assert_eq!(
        e2.display_name.as_deref(),
        Some("CN=second.contoso-sandbox.example")
    );
    assert_eq!(sb.control().key_credentials(SIGNING).unwrap().len(), 5);
}

#[tokio::test]
async fn removing_one_of_several_keeps_the_rest() {
    let (sb, client) = sandbox().await;
    let app = ObjectId::new(SIGNING);
    let before = sb.control().key_credentials(SIGNING).unwrap();
    let gone = SecretId::new(before[1].key_id.clone());
    let r = keycreds::change(&client, &app, &Change::Remove(gone.clone()), None)
        .await
        .expect("removed");
    assert_eq!(r, Changed::Removed);
    let after = sb.control().key_credentials(SIGNING).unwrap();
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|k| k.key_id != gone.as_str()));
    for k in before.iter().filter(|k| k.key_id != gone.as_str()) {
        assert!(after.contains(k), "{} untouched", k.key_id);
    }
    // Twice: already gone, and nothing is sent.
    let patches = sb.control().requests(Route::PatchApplication);
    let r = keycreds::change(&client, &app, &Change::Remove(gone), None)
        .await
        .expect("ok");
    assert_eq!(r, Changed::AlreadyGone);
    assert_eq!(sb.control().requests(Route::PatchApplication), patches);
}

#[tokio::test]
async fn a_change_between_the_reads_sends_nothing() {
    let (sb, client) = sandbox().await;
    let app = ObjectId::new(SIGNING);
    let raced = cert("other-writer.example");
    assert!(
        sb.control()
            .add_certificate_after_next_read(SIGNING, raced.info.der.clone())
    );
    let new = new_cert(&cert("mine.example"), 60);
    let e = keycreds::change(&client, &app, &Change::Add(new), None)
        .await
        .expect_err("refused");
    assert!(
        matches!(e, CertChangeError::ChangedMeanwhile { before: 3, now: 4 }),
        "{e}"
    );
    assert!(e.to_string().contains("nothing was sent"), "{e}");
    assert_eq!(sb.control().requests(Route::PatchApplication), 0);
    // The other writer's certificate is still there: nothing was lost.
    let now = sb.control().key_credentials(SIGNING).unwrap();
    assert_eq!(now.len(), 4);
    assert!(
        now.iter()
            .any(|k| k.der.as_deref() == Some(&raced.info.der[..]))
    );

    // The set the user saw differs from the tenant's: refused before anything else.
    let shown = vec![SecretId::new(now[0].key_id.clone())];
    let new = new_cert(&cert("mine2.example"), 60);
    let e = keycreds::change(&client, &app, &Change::Add(new), Some(&shown))
        .await
        .expect_err("refused");
    assert!(matches!(e, CertChangeError::ChangedMeanwhile { .. }), "{e}");
    assert_eq!(sb.control().requests(Route::PatchApplication), 0);
}

#[tokio::test]
async fn the_same_certificate_twice_is_refused_locally() {
    let (sb, client) = sandbox().await;
    let app = ObjectId::new(SIGNING);
    let c = cert("twice.example");
    keycreds::change(&client, &app, &Change::Add(new_cert(&c, 30)), None)
        .await
        .expect("first");
    let e = keycreds::change(&client, &app, &Change::Add(new_cert(&c, 30)), None)
        .await
        .expect_err("second");
    assert!(matches!(e, CertChangeError::Duplicate(_)), "{e}");
    assert_eq!(sb.control().requests(Route::PatchApplication), 1);
}

#[tokio::test]
async fn key_is_null_unless_selected_on_one_app() {
    let (sb, _client) = sandbox().await;
    let all = get(&sb, &format!("applications/{SIGNING}")).await;
    assert!(all["keyCredentials"][0]["key"].is_null());
    let sel = get(
        &sb,
        &format!("applications/{SIGNING}?$select=keyCredentials"),
    )
    .await;
    let key = sel["keyCredentials"][0]["key"].as_str().expect("key");
    let der = base64::engine::general_purpose::STANDARD
        .decode(key)
        .expect("standard base64");
    assert!(certs::parse(&der).is_ok());
    let list = get(&sb, "applications?$select=id,keyCredentials&$top=999").await;
    let any_key = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["keyCredentials"].as_array().cloned().unwrap_or_default())
        .any(|k| !k["key"].is_null());
    assert!(!any_key, "a list never carries keys");
}

#[tokio::test]
async fn the_sandbox_enforces_graphs_key_credential_rules() {
    let (sb, _client) = sandbox().await;
    let stored = get(
        &sb,
        &format!("applications/{SIGNING}?$select=keyCredentials"),
    )
    .await;
    let stored = stored["keyCredentials"].as_array().unwrap().clone();
    let c = cert("rules.example");
    let b64 = c.info.key_base64();
    let now = Utc::now().trunc_subsecs(0);
    let iso = |d: chrono::DateTime<Utc>| d.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let entry = |extra: Value| {
        let mut e = json!({
            "type": "AsymmetricX509Cert", "usage": "Verify", "key": b64,
            "startDateTime": iso(now), "endDateTime": iso(now + chrono::Duration::days(30)),
        });
        for (k, v) in extra.as_object().unwrap() {
            e[k] = v.clone();
        }
        e
    };
    let with = |e: Value| {
        let mut v = stored.clone();
        v.push(e);
        json!({ "keyCredentials": v })
    };
    let code = |v: &Value| v["error"]["code"].as_str().unwrap_or("").to_owned();

    // passwordCredentials cannot be set by PATCH.
    let (s, b) = patch(&sb, SIGNING, json!({"passwordCredentials": []})).await;
    assert_eq!((s, code(&b).as_str()), (400, "Request_BadRequest"));
    // Unknown property refused; annotations accepted.
    let (s, b) = patch(&sb, SIGNING, with(entry(json!({"thumbprint": "x"})))).await;
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'thumbprint' does not exist")
    );
    // base64url is not Edm.Binary.
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&c.info.der);
    if url.contains(['-', '_']) {
        let (s, b) = patch(&sb, SIGNING, with(entry(json!({"key": url})))).await;
        assert_eq!(s, 400, "{b}");
    }
    // No key, bad usage, a private key, a span of more than a year, outside the certificate.
    let (s, b) = patch(&sb, SIGNING, with(entry(json!({"key": null})))).await;
    assert_eq!((s, code(&b).as_str()), (400, "KeyCredentialsInvalidValue"));
    let (s, b) = patch(&sb, SIGNING, with(entry(json!({"usage": "Encrypt"})))).await;
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Acceptable values are Sign, Verify")
    );
    let pk = base64::engine::general_purpose::STANDARD
        .encode(rcgen::KeyPair::generate().unwrap().serialize_der());
    let (s, b) = patch(&sb, SIGNING, with(entry(json!({"key": pk})))).await;
    assert_eq!((s, code(&b).as_str()), (400, "KeyCredentialsInvalidValue"));
    let long = json!({"endDateTime": iso(now + chrono::Duration::days(380))});
    let (s, b) = patch(&sb, SIGNING, with(entry(long))).await;
    assert_eq!(
        (s, code(&b).as_str()),
        (400, "KeyCredentialsInvalidEndDate")
    );
    let early = json!({"startDateTime": iso(now - chrono::Duration::days(5))});
    let (s, b) = patch(&sb, SIGNING, with(entry(early))).await;
    assert_eq!(
        (s, code(&b).as_str()),
        (400, "KeyCredentialsInvalidEndDate")
    );
    // A re-sent entry may not change.
    let mut changed = stored.clone();
    changed[0]["endDateTime"] = json!(iso(now + chrono::Duration::days(1)));
    let (s, b) = patch(&sb, SIGNING, json!({"keyCredentials": changed})).await;
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not allowed")
    );
    assert_eq!(
        sb.control().key_credentials(SIGNING).unwrap().len(),
        3,
        "nothing changed"
    );
    // keyId + null key keeps the stored one (Azure CLI's way); @odata.type is accepted.
    let mut kept: Vec<Value> = stored
        .iter()
        .map(|k| json!({"keyId": k["keyId"], "key": null}))
        .collect();
    kept.push(entry(
        json!({"@odata.type": "#microsoft.graph.keyCredential"}),
    ));
    let (s, b) = patch(&sb, SIGNING, json!({"keyCredentials": kept})).await;
    assert_eq!(s, 204, "{b}");
    let after = sb.control().key_credentials(SIGNING).unwrap();
    assert_eq!(after.len(), 4);
    assert_eq!(
        after[3].thumbprint.as_deref(),
        Some(c.info.thumbprint().as_str())
    );
    assert_eq!(after[3].display_name.as_deref(), Some("CN=rules.example"));
    // The whole set is replaced: a one-element PATCH leaves one.
    let (s, _) = patch(&sb, SIGNING, json!({"keyCredentials": [kept[0]]})).await;
    assert_eq!(s, 204);
    assert_eq!(sb.control().key_credentials(SIGNING).unwrap().len(), 1);
}

#[tokio::test]
async fn a_policy_caps_certificate_lifetimes() {
    let (_sb, client) = sandbox().await;
    let app = ObjectId::new(FINANCE);
    let c = cert("finance.example");
    let e = keycreds::change(&client, &app, &Change::Add(new_cert(&c, 120)), None)
        .await
        .expect_err("over the 90-day cap");
    let CertChangeError::Graph(g) = e else {
        panic!("{e}")
    };
    assert_eq!(g.code(), Some("CredentialInvalidLifetimeAsPerAppPolicy"));
    keycreds::change(&client, &app, &Change::Add(new_cert(&c, 90)), None)
        .await
        .expect("90 days is allowed");
}
