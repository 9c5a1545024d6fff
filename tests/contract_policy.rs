//! Contract tests for app management policies, owners and what Graph accepts that clients
//! send (instance annotations in bodies, raw `"` in `$search`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};

use azsecrets::auth::{SourceKind, StaticToken};
use azsecrets::graph::{GraphClient, NewApplication, ObjectId, SignInAudience};
use azsecrets::policy::PolicyView;
use azsecrets::sandbox::{RunningSandbox, SandboxConfig, start};
use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

async fn sandbox() -> (RunningSandbox, GraphClient) {
    let sb = start(SandboxConfig::default()).await.expect("sandbox");
    let client = client_with(&sb, sb.access_token.clone());
    (sb, client)
}

fn client_with(sb: &RunningSandbox, token: SecretString) -> GraphClient {
    let creds = StaticToken::new(token, SourceKind::Sandbox);
    GraphClient::new(sb.graph_url.clone(), creds).expect("client")
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

async fn get(sb: &RunningSandbox, token: &SecretString, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}v1.0/{path}", sb.graph_url))
        .bearer_auth(token.expose_secret())
        .send()
        .await
        .expect("get");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_default_policy_has_graphs_shape() {
    let (sb, client) = sandbox().await;
    let (s, b) = get(&sb, &sb.access_token, "policies/defaultAppManagementPolicy").await;
    assert_eq!(s, 200);
    assert_eq!(b["id"], "00000000-0000-0000-0000-000000000000");
    assert_eq!(b["isEnabled"], false);
    assert_eq!(
        b["applicationRestrictions"]["passwordCredentials"],
        json!([])
    );
    assert!(b["servicePrincipalRestrictions"].is_object());
    let p = client.default_app_management_policy().await.expect("read");
    assert_eq!(p.is_enabled, Some(false));
}

#[tokio::test]
async fn assigned_policies_decide_what_may_be_added() {
    let (sb, client) = sandbox().await;
    let finance = app_id("finance-ledger-api");
    let (s, b) = get(
        &sb,
        &sb.access_token,
        &format!("applications/{finance}/appManagementPolicies"),
    )
    .await;
    assert_eq!(s, 200);
    let p = &b["value"][0];
    assert_eq!(p["id"], "bb8b7902-65a2-5a37-bc5d-b80cd90c71f3");
    assert_eq!(
        p["restrictions"]["passwordCredentials"][0]["restrictionType"],
        "passwordLifetime"
    );
    assert_eq!(
        p["restrictions"]["passwordCredentials"][0]["maxLifetime"],
        "P90D"
    );
    assert_eq!(
        p["restrictions"]["keyCredentials"][0]["restrictionType"],
        "asymmetricKeyLifetime"
    );

    let app = client
        .get_application(&ObjectId::new(&finance))
        .await
        .unwrap();
    let PolicyView::Known(e) = client.policy_view(&app).await.unwrap() else {
        panic!("readable")
    };
    assert_eq!(
        e.password_max.as_ref().map(|m| m.0),
        Some(Duration::days(90))
    );
    assert_eq!(
        e.certificate_max.as_ref().map(|m| m.0),
        Some(Duration::days(90))
    );
    assert!(e.password_blocked.is_none());

    let portal = client
        .get_application(&ObjectId::new(app_id("restricted-partner-portal")))
        .await
        .unwrap();
    let PolicyView::Known(e) = client.policy_view(&portal).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        e.password_blocked.map(|p| p.id).as_deref(),
        Some("06a1f4e0-6fc7-52c8-8342-f34a4801c1e8")
    );

    // Created before the cut-off: nothing applies. No policy: the disabled default.
    for name in ["pre-policy-archive-app", "payments-gateway"] {
        let a = client
            .get_application(&ObjectId::new(app_id(name)))
            .await
            .unwrap();
        assert_eq!(
            client.policy_view(&a).await.unwrap(),
            PolicyView::Known(Default::default()),
            "{name}"
        );
    }
    let (s, b) = get(
        &sb,
        &sb.access_token,
        &format!(
            "applications/{}/appManagementPolicies",
            app_id("payments-gateway")
        ),
    )
    .await;
    assert_eq!((s, b["value"].clone()), (200, json!([])));
}

#[tokio::test]
async fn without_policy_read_the_view_is_unknown() {
    let (sb, _client) = sandbox().await;
    let automation = sb.control().issue_app_only_token();
    let (s, b) = get(&sb, &automation, "policies/defaultAppManagementPolicy").await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("Authorization_RequestDenied"))
    );
    let client = client_with(&sb, automation);
    let app = client
        .get_application(&ObjectId::new(app_id("finance-ledger-api")))
        .await
        .unwrap();
    assert_eq!(client.policy_view(&app).await.unwrap(), PolicyView::Unknown);
}

#[tokio::test]
async fn owners_and_the_creator() {
    let (sb, client) = sandbox().await;
    let shared = client
        .owners(&ObjectId::new(app_id("shared-integration-hub")))
        .await
        .unwrap();
    let labels: Vec<String> = shared.iter().map(|o| o.label()).collect();
    assert_eq!(labels.len(), 3, "{labels:?}");
    assert!(labels[0].contains("Sandra Box <sandra@contoso-sandbox.onmicrosoft.com>"));
    assert!(
        labels
            .iter()
            .any(|l| l == "integration-deployer (service principal)")
    );
    let (s, b) = get(
        &sb,
        &sb.access_token,
        &format!("applications/{}/owners", app_id("shared-integration-hub")),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b["value"][0]["@odata.type"], "#microsoft.graph.user");
    assert!(
        b["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#directoryObjects")
    );
    // A new registration is owned by its creator at once.
    let app = client
        .create_application(&NewApplication {
            display_name: "owned-at-once".into(),
            sign_in_audience: SignInAudience::AzureADMyOrg,
            web: None,
        })
        .await
        .unwrap();
    let owners = client.owners(&app.id).await.unwrap();
    assert_eq!(owners.len(), 1);
    assert_eq!(
        owners[0].user_principal_name.as_deref(),
        Some("sandra@contoso-sandbox.onmicrosoft.com")
    );
}

#[tokio::test]
async fn annotations_in_bodies_and_raw_quotes_in_search() {
    let (sb, _client) = sandbox().await;
    let token = sb.access_token.expose_secret().to_owned();
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}v1.0/applications", sb.graph_url))
        .bearer_auth(&token)
        .json(&json!({"@odata.type": "#microsoft.graph.application", "displayName": "annotated"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let r = http
        .post(format!("{}v1.0/applications", sb.graph_url))
        .bearer_auth(&token)
        .json(&json!({"displayName": "x", "colour": "blue"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = http
        .post(format!(
            "{}v1.0/applications/{}/addPassword",
            sb.graph_url,
            app_id("payments-gateway")
        ))
        .bearer_auth(&token)
        .json(&json!({"passwordCredential": {"displayName": "x", "colour": "blue"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        400,
        "unknown properties in addPassword are refused"
    );

    // `$search="displayName:billing"` with the quotes unencoded, as Graph's docs write it.
    let host = sb.graph_url.host_str().unwrap().to_owned();
    let port = sb.graph_url.port().unwrap();
    let request = format!(
        "GET /v1.0/applications?$search=\"displayName:billing\"&$select=displayName HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\nConsistencyLevel: eventual\r\nConnection: close\r\n\r\n"
    );
    let reply = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect((host.as_str(), port)).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("contoso-billing-api"), "{reply}");
}
