//! Tokens for Key Vault and Resource Manager from each sign-in source: the Azure CLI (fake `az`
//! scripts that record their arguments), client credentials and device code's refresh token
//! against the sandbox's token endpoint (whose tokens each carry one audience), and the ready
//! token, which is Graph-only.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrecy::ExposeSecret;

use azsecrets::auth::device_code::scopes_for;
use azsecrets::auth::{
    AuthError, AzureCli, ClientCredentials, Cloud, DeviceCode, Endpoints, Resource, ResourceKind,
    ResourceTokenError, SourceKind, StaticToken, TokenEndpoint, TokenRequest, TokenSource,
};
use azsecrets::sandbox::{self, Route, RunningSandbox, SandboxConfig};

const DEFAULT_CLIENT: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
const VAULT: &str = "https://vault.azure.net";
const ARM: &str = "https://management.azure.com/";

fn vault() -> TokenRequest {
    TokenRequest::new(Resource::new(ResourceKind::KeyVault, VAULT))
}

fn arm() -> TokenRequest {
    TokenRequest::new(Resource::new(ResourceKind::Arm, ARM))
}

fn fake(variant: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fake-az")
        .join(variant)
        .join("az")
}

/// A fake az that records its arguments in `calls` and prints `token`.
fn recording_az(dir: &Path, token: &str) -> PathBuf {
    let calls = dir.join("calls");
    let script = dir.join("az");
    let body = [
        "#!/bin/sh".to_owned(),
        format!("echo \"$*\" >> '{}'", calls.display()),
        "T=72f988bf-86f1-41af-91ab-2d7cd011db47".to_owned(),
        "while [ $# -gt 0 ]; do [ \"$1\" = --tenant ] && T=\"$2\"; shift; done".to_owned(),
        "EXP=$(( $(date +%s) + 3599 ))".to_owned(),
        format!(
            "printf '{{\"accessToken\":\"{token}\",\"expires_on\":%s,\"tenant\":\"%s\",\"tokenType\":\"Bearer\"}}' \"$EXP\" \"$T\""
        ),
    ]
    .join("\n");
    std::fs::write(&script, body + "\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[tokio::test]
async fn azure_cli_asks_for_the_resource_and_the_vaults_tenant() {
    let az = AzureCli::with_program(fake("new"), None, &Endpoints::for_cloud(Cloud::Public));
    let t = az.token_for(&vault(), false).await.unwrap();
    assert_eq!(
        t.token.expose_secret(),
        "fake-az-token-for-https://vault.azure.net",
        "no slash added: Key Vault refuses https://vault.azure.net/"
    );
    let t = az.token_for(&arm(), false).await.unwrap();
    assert_eq!(
        t.token.expose_secret(),
        "fake-az-token-for-https://management.azure.com/"
    );
    // Graph still goes through --resource-type ms-graph.
    let t = az.token(false).await.unwrap();
    assert_eq!(t.token.expose_secret(), "fake-az-token-for-ms-graph");

    let dir = tempfile::tempdir().unwrap();
    let az = AzureCli::with_program(
        recording_az(dir.path(), "kv-token"),
        None,
        &Endpoints::for_cloud(Cloud::Public),
    );
    let tenant = "54826b22-38d6-4fb2-bad9-b7b93a3e9c5a";
    let req = vault().in_tenant(tenant);
    az.token_for(&req, false).await.unwrap();
    az.token_for(&req, false).await.unwrap();
    let calls = std::fs::read_to_string(dir.path().join("calls")).unwrap();
    assert_eq!(
        calls.lines().collect::<Vec<_>>(),
        vec![format!(
            "account get-access-token --resource https://vault.azure.net --tenant {tenant} --output json"
        )],
        "asked once, then held"
    );
    // A tenant from a server's challenge never reaches az's command line as an option.
    let bad = vault().in_tenant("--output");
    assert!(az.token_for(&bad, false).await.is_err());
}

#[tokio::test]
async fn azure_cli_signed_in_elsewhere_says_so_for_the_vault_too() {
    let az = AzureCli::with_program(
        fake("not-signed-in"),
        None,
        &Endpoints::for_cloud(Cloud::Public),
    );
    let e = az
        .token_for(&vault().in_tenant("contoso.onmicrosoft.com"), false)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("az login --tenant contoso.onmicrosoft.com"),
        "{e}"
    );
}

async fn sandbox(config: SandboxConfig) -> RunningSandbox {
    sandbox::start(config).await.unwrap()
}

fn endpoints(sb: &RunningSandbox) -> Endpoints {
    Endpoints {
        graph: sb.graph_url.clone(),
        login: sb.login_url.clone(),
    }
}

/// What the sandbox's vault says to a token: 200, or 401 with its message.
async fn vault_answer(sb: &RunningSandbox, token: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .get(
            sb.vault_url_template
                .replace("{name}", "contoso-sandbox-kv")
                + "secrets?api-version=7.5",
        )
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn graph_answer(sb: &RunningSandbox, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}v1.0/organization", sb.graph_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn client_credentials_get_one_token_per_resource() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (id, secret) = sb.control().automation_credentials();
    let sp = ClientCredentials::new(
        TokenEndpoint::new(&sb.login_url, &sb.tenant_id).unwrap(),
        id,
        secret,
        endpoints(&sb).graph_default_scope(),
    )
    .unwrap();
    let graph = sp.token(false).await.unwrap();
    let kv = sp.token_for(&vault(), false).await.unwrap();
    let kv_again = sp.token_for(&vault(), false).await.unwrap();
    assert_eq!(
        kv.token.expose_secret(),
        kv_again.token.expose_secret(),
        "held"
    );
    assert_eq!(sb.control().requests(Route::Token), 2);
    // Each token works only where it belongs.
    assert_eq!(vault_answer(&sb, kv.token.expose_secret()).await.0, 200);
    assert_eq!(graph_answer(&sb, kv.token.expose_secret()).await, 401);
    assert_eq!(graph_answer(&sb, graph.token.expose_secret()).await, 200);
    let (status, body) = vault_answer(&sb, graph.token.expose_secret()).await;
    assert_eq!(status, 401);
    assert!(body.contains("AKV10022: Invalid audience"), "{body}");
    // The vault's tenant, named: the same tenant, asked of its own token endpoint.
    let t = sp
        .token_for(&vault().in_tenant(&sb.tenant_id), false)
        .await
        .unwrap();
    assert_eq!(vault_answer(&sb, t.token.expose_secret()).await.0, 200);
}

#[tokio::test]
async fn device_code_reaches_other_resources_through_its_refresh_token() {
    let sb = sandbox(SandboxConfig::default()).await;
    let rt = sb.control().issue_refresh_token(DEFAULT_CLIENT);
    let dc = DeviceCode::new(
        TokenEndpoint::new(&sb.login_url, "organizations").unwrap(),
        DEFAULT_CLIENT,
        scopes_for(sb.graph_url.as_str()),
        Arc::new(|_| panic!("no code is shown: the refresh token serves")),
    )
    .with_refresh_token(rt);
    let kv = dc.token_for(&vault(), false).await.unwrap();
    assert_eq!(vault_answer(&sb, kv.token.expose_secret()).await.0, 200);
    let a = dc.token_for(&arm(), false).await.unwrap();
    let r = reqwest::Client::new()
        .get(format!(
            "{}subscriptions?api-version=2022-12-01",
            sb.arm_url
        ))
        .bearer_auth(a.token.expose_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The rotated refresh token still serves Graph.
    let g = dc.token(false).await.unwrap();
    assert_eq!(graph_answer(&sb, g.token.expose_secret()).await, 200);
    assert_eq!(sb.control().requests(Route::DeviceCode), 0);
}

#[tokio::test]
async fn missing_consent_is_explained() {
    let sb = sandbox(SandboxConfig {
        consent_missing: true,
        ..SandboxConfig::default()
    })
    .await;
    let rt = sb.control().issue_refresh_token(DEFAULT_CLIENT);
    let dc = DeviceCode::new(
        TokenEndpoint::new(&sb.login_url, "organizations").unwrap(),
        DEFAULT_CLIENT,
        scopes_for(sb.graph_url.as_str()),
        Arc::new(|_| panic!("no code is shown")),
    )
    .with_refresh_token(rt);
    let e = dc.token_for(&vault(), false).await.unwrap_err();
    let AuthError::Resource(ResourceTokenError::ConsentRequired {
        code,
        resource,
        client_id,
        ..
    }) = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(
        (*code, *resource, client_id.as_str()),
        (65001, ResourceKind::KeyVault, DEFAULT_CLIENT)
    );
    let msg = e.to_string();
    assert!(msg.contains("--auth cli"), "{msg}");
    assert!(msg.contains("--client-id"), "{msg}");
    assert!(!msg.contains("AADSTS65001: AADSTS65001"), "{msg}");
    // Graph still works: a consent refusal does not cost the sign-in.
    assert!(dc.token(false).await.is_ok());
}

#[tokio::test]
async fn the_ready_token_is_graph_only() {
    let t = StaticToken::new("graph-token".to_owned().into(), SourceKind::StaticToken);
    assert!(
        t.token_for(
            &TokenRequest::new(Resource::new(
                ResourceKind::Graph,
                "https://graph.microsoft.com/"
            )),
            false
        )
        .await
        .is_ok()
    );
    let e = t.token_for(&vault(), false).await.unwrap_err();
    assert!(matches!(
        e,
        AuthError::Resource(ResourceTokenError::NotForResource {
            resource: ResourceKind::KeyVault,
            ..
        })
    ));
    assert!(e.to_string().contains("AZSECRETS_ACCESS_TOKEN"), "{e}");
}
