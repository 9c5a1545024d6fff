//! Contract tests for federated identity credentials: the client's calls and the sandbox's
//! enforcement of Graph's rules (names, duplicates, the limit, one audience, by id or name).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azsecrets::auth::{SourceKind, StaticToken};
use azsecrets::federated::{self, GitHubEntity, Scenario};
use azsecrets::graph::{GraphClient, NewFederatedCredential, ObjectId, RemoveOutcome};
use azsecrets::sandbox::{RunningSandbox, SandboxConfig, start};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

async fn sandbox() -> (RunningSandbox, GraphClient) {
    let sb = start(SandboxConfig::default()).await.expect("sandbox");
    let creds = StaticToken::new(sb.access_token.clone(), SourceKind::Sandbox);
    let client = GraphClient::new(sb.graph_url.clone(), creds).expect("client");
    (sb, client)
}

fn app_id(name: &str) -> String {
    let seed: Value = serde_json::from_str(include_str!("../assets/sandbox/tenant.json")).unwrap();
    seed["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["displayName"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn raw(
    sb: &RunningSandbox,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = reqwest::Client::new()
        .request(method, format!("{}v1.0/{path}", sb.graph_url))
        .bearer_auth(sb.access_token.expose_secret());
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.expect("send");
    let s = r.status().as_u16();
    let t = r.text().await.unwrap_or_default();
    (s, serde_json::from_str(&t).unwrap_or(Value::Null))
}

fn github(name: &str, branch: &str) -> NewFederatedCredential {
    let s = Scenario::GitHub {
        repository: "contoso/web".into(),
        entity: GitHubEntity::Branch(branch.into()),
    };
    federated::build(
        name,
        &s,
        "api://AzureADTokenExchange",
        Some("from a test"),
        &[],
    )
    .unwrap()
}

#[tokio::test]
async fn create_read_delete_round_trip() {
    let (sb, client) = sandbox().await;
    let id = app_id("github-deployer");
    let app = ObjectId::new(&id);
    let made = client
        .create_federated_credential(&app, &github("web-main", "main"))
        .await
        .expect("created");
    assert_eq!(made.subject, "repo:contoso/web:ref:refs/heads/main");
    assert_eq!(made.issuer, "https://token.actions.githubusercontent.com");
    assert_eq!(
        made.audiences,
        vec!["api://AzureADTokenExchange".to_owned()]
    );
    assert_eq!(client.federated_credentials(&app).await.unwrap().len(), 5);
    // By name and by id.
    let (s, b) = raw(
        &sb,
        reqwest::Method::GET,
        &format!("applications/{id}/federatedIdentityCredentials/web-main"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b["id"], made.id);
    assert!(
        b["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/federatedIdentityCredentials/$entity")
    );
    assert_eq!(
        client
            .delete_federated_credential(&app, &made.id)
            .await
            .unwrap(),
        RemoveOutcome::Removed
    );
    assert_eq!(
        client
            .delete_federated_credential(&app, &made.id)
            .await
            .unwrap(),
        RemoveOutcome::AlreadyGone
    );
    assert_eq!(sb.control().federated_credentials(&id).unwrap().len(), 4);
}

#[tokio::test]
async fn graphs_rules_are_enforced() {
    let (sb, client) = sandbox().await;
    let id = app_id("github-deployer");
    let app = ObjectId::new(&id);
    let post = |body: Value| {
        let sb = &sb;
        let id = id.clone();
        async move {
            raw(
                sb,
                reqwest::Method::POST,
                &format!("applications/{id}/federatedIdentityCredentials"),
                Some(body),
            )
            .await
        }
    };
    let base = json!({"name": "x-ok", "issuer": "https://issuer.example", "subject": "s1", "audiences": ["api://AzureADTokenExchange"]});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    // Names: length, first character, charset.
    for bad in ["ab", "-abc", "has space", &"n".repeat(121)] {
        let (s, b) = post(with("name", json!(bad))).await;
        assert_eq!(s, 400, "{bad}: {b}");
    }
    // Exactly one audience.
    let (s, b) = post(with("audiences", json!(["a", "b"]))).await;
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("exactly one audience")
    );
    let (s, _) = post(with("audiences", json!([]))).await;
    assert_eq!(s, 400);
    // Required fields, lengths, unknown properties; annotations are fine.
    let (s, _) = post(with("subject", Value::Null)).await;
    assert_eq!(s, 400);
    let (s, _) = post(with(
        "issuer",
        json!("https://x/".to_owned() + &"a".repeat(600)),
    ))
    .await;
    assert_eq!(s, 400);
    let (s, b) = post(with("claimsMatchingExpression", json!({}))).await;
    assert_eq!(s, 400, "{b}");
    let (s, b) = post(with(
        "@odata.type",
        json!("#microsoft.graph.federatedIdentityCredential"),
    ))
    .await;
    assert_eq!(s, 201, "{b}");
    assert!(
        b["description"].is_null(),
        "an omitted description comes back null"
    );
    // Duplicate name (any case): 409. Duplicate issuer+subject: 400.
    let (s, b) = post(with("name", json!("X-OK"))).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (409, Some("Request_MultipleObjectsWithSameKeyValue"))
    );
    let (s, b) = post(with("name", json!("other"))).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("InvalidFederatedIdentityCredentialValue"))
    );
    // Verbatim: a trailing slash makes another issuer.
    let (s, _) = post(json!({"name": "slash", "issuer": "https://issuer.example/", "subject": "s1", "audiences": ["api://AzureADTokenExchange"]})).await;
    assert_eq!(s, 201);
    // The name cannot change.
    let (s, _) = raw(
        &sb,
        reqwest::Method::PATCH,
        &format!("applications/{id}/federatedIdentityCredentials/slash"),
        Some(json!({"name": "renamed"})),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = raw(
        &sb,
        reqwest::Method::PATCH,
        &format!("applications/{id}/federatedIdentityCredentials/slash"),
        Some(json!({"description": "d"})),
    )
    .await;
    assert_eq!(s, 204);
    // Up to 20, then refused.
    let have = client.federated_credentials(&app).await.unwrap().len();
    for i in have..20 {
        let (s, b) = post(json!({"name": format!("fill-{i}"), "issuer": "https://issuer.example", "subject": format!("fill-{i}"), "audiences": ["api://AzureADTokenExchange"]})).await;
        assert_eq!(s, 201, "{b}");
    }
    let (s, b) = post(json!({"name": "twenty-first", "issuer": "https://issuer.example", "subject": "21", "audiences": ["api://AzureADTokenExchange"]})).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(sb.control().federated_credentials(&id).unwrap().len(), 20);
    // And the client's own check says so before sending.
    let existing = client.federated_credentials(&app).await.unwrap();
    let s = Scenario::Other {
        issuer: "https://issuer.example".into(),
        subject: "22".into(),
    };
    assert_eq!(
        federated::build(
            "twenty-second",
            &s,
            "api://AzureADTokenExchange",
            None,
            &existing
        ),
        Err(federated::Invalid::Limit)
    );
}

#[tokio::test]
async fn writes_are_refused_on_apps_you_cannot_change() {
    let (_sb, client) = sandbox().await;
    let app = ObjectId::new(app_id("corp-it-directory-sync (IT managed)"));
    let e = client
        .create_federated_credential(&app, &github("it-main", "main"))
        .await
        .expect_err("403");
    assert_eq!(e.status(), Some(403));
}

#[tokio::test]
async fn upsert_by_name_creates_only_when_asked() {
    let (sb, _client) = sandbox().await;
    let id = app_id("hr-portal-web");
    let token = sb.access_token.expose_secret().to_owned();
    let url = format!(
        "{}v1.0/applications/{id}/federatedIdentityCredentials(name='upserted')",
        sb.graph_url
    );
    let body = json!({"issuer": "https://issuer.example", "subject": "up", "audiences": ["api://AzureADTokenExchange"]});
    let http = reqwest::Client::new();
    let r = http
        .patch(&url)
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "a plain update of a missing one");
    let r = http
        .patch(&url)
        .bearer_auth(&token)
        .header("Prefer", "create-if-missing")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(status, 201, "{}", r.text().await.unwrap_or_default());
    let r = http
        .patch(&url)
        .bearer_auth(&token)
        .header("Prefer", "create-if-missing")
        .json(&json!({"description": "now described"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let held = sb.control().federated_credentials(&id).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].description.as_deref(), Some("now described"));
}
