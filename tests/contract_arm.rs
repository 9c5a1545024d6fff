//! The Resource Manager client against the sandbox over loopback HTTP: tenants, subscriptions,
//! and vaults per subscription (paged by `nextLink`, whose next page lives on `/resources`),
//! with `vaultUri` and the permission model; the ARM token goes only to ARM.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use azsecrets::arm::{ArmCause, ArmClient, ArmConfig};
use azsecrets::auth::{SourceKind, StaticToken};
use azsecrets::keyvault::PermissionModel;
use azsecrets::sandbox::{self, Route, SandboxConfig, SandboxResource};
use azsecrets::session::{Session, SessionConfig};

#[tokio::test]
async fn tenants_subscriptions_and_vaults() {
    let s = Session::start(&SessionConfig::sandbox(0)).await.unwrap();
    let arm = s.arm().unwrap();
    let tenants = arm.list_tenants().await.unwrap();
    // The sandbox's own tenant, and the second one where its user is a guest (for `T`).
    assert_eq!(tenants.len(), 2);
    assert_eq!(tenants[0].tenant_id, s.sign_in.tenant.clone().unwrap());
    assert_eq!(tenants[0].tenant_category.as_deref(), Some("Home"));
    assert!(tenants[0].display_name.is_some());
    assert_eq!(
        tenants[1].tenant_id,
        s.sandbox.as_ref().unwrap().second_tenant_id
    );
    // It has no subscription: a token for it lists none.
    assert!(
        arm.list_subscriptions(Some(&tenants[1].tenant_id))
            .await
            .unwrap()
            .is_empty()
    );

    let subs = arm.list_subscriptions(None).await.unwrap();
    assert_eq!(subs.len(), 2);
    assert!(subs.iter().all(|s| s.is_usable()));

    let c = s.sandbox.as_ref().unwrap().control();
    let before = c.requests(Route::Arm);
    let first = arm
        .list_vaults(&subs[0].subscription_id, None)
        .await
        .unwrap();
    assert_eq!(
        c.requests(Route::Arm) - before,
        2,
        "one vault a page: the second comes from the nextLink"
    );
    let names: Vec<&str> = first.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, vec!["contoso-sandbox-kv", "contoso-legacy-kv"]);
    assert_eq!(first[0].permission_model(), PermissionModel::Rbac);
    assert_eq!(first[1].permission_model(), PermissionModel::AccessPolicy);
    assert_eq!(first[0].resource_group.as_deref(), Some("rg-app-secrets"));
    // The vault's URL comes from ARM and is the one the template gives.
    let uri = first[0].vault_uri.clone().unwrap();
    let kv = s.key_vault().unwrap();
    assert_eq!(
        uri,
        kv.vault_url(&"contoso-sandbox-kv".parse().unwrap())
            .unwrap()
    );
    assert_eq!(first[0].tenant_id, s.sign_in.tenant);

    let (all, skipped) = arm.list_all_vaults(None).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(skipped.is_empty());
    assert!(all.iter().any(|v| v.name == "contoso-restore-kv"
        && v.subscription_id == subs[1].subscription_id));

    assert_eq!(
        arm.list_vaults("not-a-guid", None)
            .await
            .unwrap_err()
            .cause(),
        ArmCause::InvalidInput
    );
    let unknown = arm
        .list_vaults("00000000-0000-0000-0000-000000000000", None)
        .await
        .unwrap_err();
    assert_eq!(unknown.cause(), ArmCause::NotFound);
    assert!(
        unknown.to_string().contains("SubscriptionNotFound"),
        "{unknown}"
    );
}

#[tokio::test]
async fn arm_takes_arm_tokens_only() {
    let sb = sandbox::start(SandboxConfig::default()).await.unwrap();
    let get = |token: String, path: &str| {
        let url = format!("{}{path}", sb.arm_url);
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let challenge = r
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: serde_json::Value = r.json().await.unwrap();
            (status, body, challenge)
        }
    };
    let graph = {
        use secrecy::ExposeSecret;
        sb.access_token.expose_secret().to_owned()
    };
    let (status, body, challenge) = get(graph, "subscriptions?api-version=2022-12-01").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "InvalidAuthenticationTokenAudience");
    assert!(challenge.unwrap().starts_with("Bearer "));
    let arm_token = {
        use secrecy::ExposeSecret;
        sb.control()
            .issue_user_token_for(SandboxResource::Arm)
            .expose_secret()
            .to_owned()
    };
    let (status, body, _) = get(arm_token.clone(), "subscriptions").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "MissingApiVersionParameter");
    let (status, body, _) = get(arm_token.clone(), "subscriptions?api-version=1999-01-01").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "InvalidApiVersionParameter");
    let (status, body, _) = get(arm_token, "subscriptions?api-version=2022-12-01").await;
    assert_eq!(status, 200);
    assert_eq!(body["count"]["value"], 2);
    // A vault token is no ARM token either.
    let kv = {
        use secrecy::ExposeSecret;
        sb.control()
            .issue_user_token_for(SandboxResource::KeyVault)
            .expose_secret()
            .to_owned()
    };
    let (status, body, _) = get(kv, "tenants?api-version=2022-12-01").await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'https://vault.azure.net'"),
        "{body}"
    );

    // The ready Graph token: the client says it cannot reach ARM before asking.
    let arm = ArmClient::new(
        ArmConfig::default().with_url(sb.arm_url.clone()),
        StaticToken::new(sb.access_token.clone(), SourceKind::StaticToken),
    )
    .unwrap();
    let before = sb.control().requests(Route::Arm);
    assert_eq!(
        arm.list_tenants().await.unwrap_err().cause(),
        ArmCause::SignIn
    );
    assert_eq!(
        sb.control().requests(Route::Arm),
        before,
        "nothing was sent"
    );
}
