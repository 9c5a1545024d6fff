//! The Key Vault client against the sandbox's vaults over loopback HTTP: every request it makes
//! (Set Secret, get properties, list versions, list secrets, find by the Secret ID tag), the 401
//! challenge it honours, and each typed cause (RBAC and access-policy 403s, the
//! deleted-but-recoverable conflict, a vault that does not exist, a challenge naming a resource
//! that does not own the vault).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::sync::Arc;

use chrono::{DateTime, Utc};

use azsecrets::auth::{ClientCredentials, SourceKind, StaticToken, TokenEndpoint};
use azsecrets::ids::{ApplicationId, SecretId};
use azsecrets::keyvault::{
    ClientSecretTags, KeyVaultClient, KeyVaultConfig, PermissionModel, SecretName, SecretToStore,
    VaultCause, VaultRef, VaultUrlTemplate,
};
use azsecrets::sandbox::{self, Route, SandboxConfig};
use azsecrets::secret::SecretValue;
use azsecrets::session::{Session, SessionConfig};

fn name(s: &str) -> SecretName {
    SecretName::parse(s).unwrap()
}

fn tags() -> ClientSecretTags {
    ClientSecretTags {
        application_id: ApplicationId::new("8ce4b1cd-654a-4d3b-9b85-7a1b0c8e7f10"),
        secret_id: SecretId::new("0a1b2c3d-0000-4000-8000-000000000001"),
        hint: Some("Q_e".into()),
        app_name: "Billing API".into(),
    }
}

async fn session() -> Session {
    Session::start(&SessionConfig::sandbox(0)).await.unwrap()
}

fn vault(kv: &KeyVaultClient, name: &str) -> url::Url {
    kv.vault_url(&name.parse::<VaultRef>().unwrap()).unwrap()
}

fn control(s: &Session) -> sandbox::SandboxControl {
    s.sandbox.as_ref().unwrap().control()
}

#[tokio::test]
async fn set_secret_stores_the_value_with_dates_tags_and_a_new_version_each_time() {
    let s = session().await;
    let kv = s.key_vault().unwrap();
    let v = vault(&kv, "contoso-sandbox-kv");
    assert!(v.as_str().ends_with("/kv/contoso-sandbox-kv/"), "{v}");
    let value = SecretValue::new("Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9".into());
    let start = DateTime::<Utc>::from_timestamp(1_741_668_435, 0);
    let end = DateTime::<Utc>::from_timestamp(1_773_204_435, 0);
    let to_store = SecretToStore::client_secret(&value, &tags(), start, end);

    let first = kv
        .set_secret(&v, &name("Billing-API"), &to_store)
        .await
        .unwrap();
    assert_eq!(first.name, "Billing-API");
    let version = first.version.clone().unwrap();
    assert_eq!(version.len(), 32);
    assert!(version.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(first.content_type.as_deref(), Some("client-secret"));
    assert_eq!(first.not_before, start);
    assert_eq!(first.expires, end);
    assert_eq!(
        first.secret_id_tag(),
        Some("0a1b2c3d-0000-4000-8000-000000000001")
    );
    assert_eq!(first.tags["created-by"], "azsecrets");
    assert!(
        !format!("{first:?}").contains("ZDWJD"),
        "properties never hold the value"
    );

    // Names compare ignoring case: the same secret gets a second version.
    let second = kv
        .set_secret(&v, &name("billing-api"), &to_store)
        .await
        .unwrap();
    assert_eq!(second.name, "Billing-API", "the first casing is kept");
    assert_ne!(second.version, first.version);
    let held = control(&s)
        .vault_secret_versions("contoso-sandbox-kv", "billing-api")
        .unwrap();
    assert_eq!(held.len(), 2);
    assert_eq!(held[0].not_before, Some(1_741_668_435));

    let versions = kv.list_versions(&v, &name("Billing-API")).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert!(versions.iter().all(|p| p.version.is_some()));

    let latest = kv
        .get_secret_properties(&v, &name("billing-api"))
        .await
        .unwrap();
    assert_eq!(latest.version, second.version);
    assert_eq!(latest.tags, second.tags);
}

#[tokio::test]
async fn the_challenge_is_asked_once_per_vault_and_no_token_goes_with_it() {
    let s = session().await;
    let kv = s.key_vault().unwrap();
    let c = control(&s);
    let v = vault(&kv, "contoso-legacy-kv");
    let value = SecretValue::new("v1".into());
    let store = SecretToStore::client_secret(&value, &tags(), None, None);
    kv.set_secret(&v, &name("a"), &store).await.unwrap();
    assert_eq!(
        c.requests(Route::KeyVault),
        2,
        "the body-less probe, then the real request"
    );
    kv.set_secret(&v, &name("a"), &store).await.unwrap();
    assert_eq!(
        c.requests(Route::KeyVault),
        3,
        "the challenge is remembered"
    );
    let tokens = c.requests(Route::Token);
    assert_eq!(tokens, 1, "one refresh grant for the vault token");
}

#[tokio::test]
async fn the_seeded_secret_is_found_by_its_secret_id_tag() {
    let s = session().await;
    let kv = s.key_vault().unwrap();
    let v = vault(&kv, "contoso-sandbox-kv");
    let all = kv.list_secrets(&v).await.unwrap();
    let tagged = all
        .iter()
        .find(|p| p.secret_id_tag().is_some())
        .expect("a seeded secret tagged with a Secret ID");
    assert!(tagged.version.is_none(), "list ids are unversioned");
    let app_id = tagged.tags["application-id"].clone();
    let secret_id = tagged.secret_id_tag().unwrap().to_owned();
    // The tag names a real client secret of a real app.
    let creds = control(&s).password_credentials(&app_id).unwrap();
    assert!(creds.iter().any(|c| c.key_id == secret_id));

    let found = kv
        .find_by_secret_id(&v, &SecretId::new(secret_id.to_uppercase()))
        .await
        .unwrap()
        .expect("found ignoring case");
    assert_eq!(found.name, tagged.name);
    assert!(
        kv.find_by_secret_id(&v, &SecretId::new("00000000-0000-0000-0000-000000000000"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_soft_deleted_name_is_a_conflict() {
    let s = session().await;
    let kv = s.key_vault().unwrap();
    let v = vault(&kv, "contoso-restore-kv");
    let value = SecretValue::new("v".into());
    let e = kv
        .set_secret(
            &v,
            &name("retired-client-secret"),
            &SecretToStore::client_secret(&value, &tags(), None, None),
        )
        .await
        .unwrap_err();
    assert_eq!(e.cause(), VaultCause::DeletedButRecoverable);
    let api = e.api().unwrap();
    assert_eq!((api.status, api.code.as_str()), (409, "Conflict"));
    assert_eq!(
        api.inner_code.as_deref(),
        Some("ObjectIsDeletedButRecoverable")
    );
}

#[tokio::test]
async fn a_denied_set_names_the_vaults_permission_model() {
    let s = session().await;
    let kv = s.key_vault().unwrap();
    control(&s).set_deny_vault_set(true);
    let value = SecretValue::new("v".into());
    let store = SecretToStore::client_secret(&value, &tags(), None, None);
    let rbac = kv
        .set_secret(&vault(&kv, "contoso-sandbox-kv"), &name("x"), &store)
        .await
        .unwrap_err();
    assert_eq!(rbac.cause(), VaultCause::Forbidden(PermissionModel::Rbac));
    assert!(
        rbac.to_string().contains("Caller is not authorized"),
        "{rbac}"
    );
    let policy = kv
        .set_secret(&vault(&kv, "contoso-legacy-kv"), &name("x"), &store)
        .await
        .unwrap_err();
    assert_eq!(
        policy.cause(),
        VaultCause::Forbidden(PermissionModel::AccessPolicy)
    );
    control(&s).set_deny_vault_set(false);
    kv.set_secret(&vault(&kv, "contoso-legacy-kv"), &name("x"), &store)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_vault_that_does_not_exist_gives_no_answer() {
    let s = session().await;
    let kv = s.key_vault().unwrap();
    let e = kv
        .list_secrets(&vault(&kv, "no-such-vault"))
        .await
        .unwrap_err();
    assert_eq!(e.cause(), VaultCause::VaultNotFound, "{e}");
    assert!(e.to_string().contains("may not exist"), "{e}");
    assert_eq!(
        control(&s).requests(Route::Token),
        0,
        "no token was asked for"
    );
}

#[tokio::test]
async fn a_challenge_naming_another_resource_gets_no_token() {
    let s = session().await;
    // A configuration whose vault resource is another cloud's: the sandbox's challenge names
    // https://vault.azure.net, which does not own 127.0.0.1, and is not the configured one.
    let config = KeyVaultConfig {
        url_template: s.resources().key_vault.url_template.clone(),
        resource: "https://vault.azure.cn".into(),
    };
    let kv = KeyVaultClient::new(config, s.credentials()).unwrap();
    let e = kv
        .list_secrets(&vault(&kv, "contoso-sandbox-kv"))
        .await
        .unwrap_err();
    assert_eq!(e.cause(), VaultCause::Challenge, "{e}");
    assert_eq!(control(&s).requests(Route::Token), 0);
}

#[tokio::test]
async fn a_graph_only_sign_in_says_it_cannot_reach_key_vault() {
    let sb = sandbox::start(SandboxConfig::default()).await.unwrap();
    let creds = StaticToken::new(sb.access_token.clone(), SourceKind::StaticToken);
    let template = VaultUrlTemplate::parse(&sb.vault_url_template).unwrap();
    let kv = KeyVaultClient::new(
        KeyVaultConfig {
            url_template: template,
            resource: "https://vault.azure.net".into(),
        },
        creds,
    )
    .unwrap();
    let v = kv
        .vault_url(&"contoso-sandbox-kv".parse::<VaultRef>().unwrap())
        .unwrap();
    let e = kv.list_secrets(&v).await.unwrap_err();
    assert_eq!(e.cause(), VaultCause::SignIn);
    assert!(e.to_string().contains("AZSECRETS_ACCESS_TOKEN"), "{e}");
    assert!(e.to_string().contains("Microsoft Graph tokens only"), "{e}");
}

#[tokio::test]
async fn a_service_principal_reaches_the_vault_with_client_credentials() {
    let sb = sandbox::start(SandboxConfig::default()).await.unwrap();
    let (client_id, secret) = sb.control().automation_credentials();
    let graph_scope = format!("{}.default", sb.graph_url);
    let creds = Arc::new(
        ClientCredentials::new(
            TokenEndpoint::new(&sb.login_url, &sb.tenant_id).unwrap(),
            client_id,
            secret,
            graph_scope,
        )
        .unwrap(),
    );
    let kv = KeyVaultClient::new(
        KeyVaultConfig {
            url_template: VaultUrlTemplate::parse(&sb.vault_url_template).unwrap(),
            resource: "https://vault.azure.net".into(),
        },
        creds,
    )
    .unwrap();
    let v = kv
        .vault_url(&"contoso-sandbox-kv".parse::<VaultRef>().unwrap())
        .unwrap();
    let value = SecretValue::new("from-a-service-principal".into());
    let p = kv
        .set_secret(
            &v,
            &name("sp-secret"),
            &SecretToStore::client_secret(&value, &tags(), None, None),
        )
        .await
        .unwrap();
    assert_eq!(p.name, "sp-secret");
}
