//! The Azure CLI source against the fake `az` scripts in `tests/fake-az/` (real output formats
//! and real failure messages; see its README).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

use std::path::PathBuf;

use chrono::{Local, TimeZone, Utc};
use secrecy::ExposeSecret;

use azsecrets::auth::{AzureCli, Cloud, Endpoints, SourceKind, TokenSource};

const TENANT: &str = "84841066-274d-4ec0-a5c1-276be684bdd3";
/// The tenant the fake az is signed in to unless told otherwise.
const AZ_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

fn fake(variant: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fake-az")
        .join(variant)
        .join("az")
}

fn public() -> Endpoints {
    Endpoints::for_cloud(Cloud::Public)
}

#[tokio::test]
async fn new_output_uses_the_epoch_expiry_and_the_requested_tenant() {
    let az = AzureCli::with_program(fake("new"), Some(TENANT.into()), &public());
    assert_eq!(az.kind(), SourceKind::AzureCli);
    let t = az.token(false).await.unwrap();
    assert_eq!(t.token.expose_secret(), "fake-az-token-for-ms-graph");
    let left = t.expires_at.unwrap() - Utc::now();
    assert!(
        left > chrono::Duration::seconds(3500) && left <= chrono::Duration::seconds(3600),
        "{left}"
    );
    assert_eq!(az.tenant_id().as_deref(), Some(TENANT));
}

#[tokio::test]
async fn without_a_tenant_az_picks_its_own() {
    let az = AzureCli::with_program(fake("new"), None, &public());
    az.token(false).await.unwrap();
    assert_eq!(az.tenant_id().as_deref(), Some(AZ_TENANT));
    // `organizations` is not a tenant az can be signed in to: it is not passed on.
    let az = AzureCli::with_program(fake("new"), Some("organizations".into()), &public());
    az.token(false).await.unwrap();
    assert_eq!(az.tenant_id().as_deref(), Some(AZ_TENANT));
}

#[tokio::test]
async fn national_clouds_ask_for_their_graph_resource() {
    let az = AzureCli::with_program(fake("new"), None, &Endpoints::for_cloud(Cloud::China));
    let t = az.token(false).await.unwrap();
    assert_eq!(
        t.token.expose_secret(),
        "fake-az-token-for-https://microsoftgraph.chinacloudapi.cn/"
    );
}

#[tokio::test]
async fn old_output_without_expires_on_is_read_as_local_time() {
    let az = AzureCli::with_program(fake("old"), Some(TENANT.into()), &public());
    let t = az.token(false).await.unwrap();
    let want = Local
        .with_ymd_and_hms(2099, 1, 1, 0, 0, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(t.expires_at, Some(want));
}

#[tokio::test]
async fn not_signed_in_says_run_az_login() {
    let az = AzureCli::with_program(fake("not-signed-in"), Some(TENANT.into()), &public());
    let msg = az.token(false).await.unwrap_err().to_string();
    assert!(msg.contains("not signed in"), "{msg}");
    assert!(
        msg.contains(&format!("az login --tenant {TENANT}")),
        "{msg}"
    );
}

#[tokio::test]
async fn signed_in_to_another_tenant_is_refused() {
    let az = AzureCli::with_program(fake("wrong-tenant"), Some(TENANT.into()), &public());
    let msg = az.token(false).await.unwrap_err().to_string();
    assert!(
        msg.contains(&format!("signed in to tenant {AZ_TENANT}, not {TENANT}")),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("az login --tenant {TENANT}")),
        "{msg}"
    );
    // Without --tenant any tenant will do.
    let az = AzureCli::with_program(fake("wrong-tenant"), None, &public());
    assert!(az.token(false).await.is_ok());
}

#[tokio::test]
async fn expired_cli_session_says_sign_in_again() {
    let az = AzureCli::with_program(fake("expired"), None, &public());
    let msg = az.token(false).await.unwrap_err().to_string();
    assert!(msg.contains("sign-in has expired"), "{msg}");
    assert!(msg.contains("az login"), "{msg}");
    assert!(msg.contains("AADSTS700082"), "az's reason is kept: {msg}");
}

#[tokio::test]
async fn an_already_expired_token_is_not_used() {
    let az = AzureCli::with_program(fake("stale"), None, &public());
    let msg = az.token(false).await.unwrap_err().to_string();
    assert!(msg.contains("expired at 2020-09-13"), "{msg}");
}

#[tokio::test]
async fn a_missing_program_reads_as_not_installed() {
    let dir = tempfile::tempdir().unwrap();
    let az = AzureCli::with_program(dir.path().join("az"), None, &public());
    let msg = az.token(false).await.unwrap_err().to_string();
    assert!(msg.contains("not installed"), "{msg}");
}

/// A wrapper that counts runs, so the test sees when az is asked again.
fn counting_az(dir: &std::path::Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("az");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho run >> \"{}\"\nexec \"{}\" \"$@\"\n",
            dir.join("runs").display(),
            fake("new").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn runs(dir: &std::path::Path) -> usize {
    std::fs::read_to_string(dir.join("runs"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[tokio::test]
async fn the_token_is_held_until_a_forced_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let az = AzureCli::with_program(counting_az(dir.path()), None, &public());
    az.token(false).await.unwrap();
    az.token(false).await.unwrap();
    assert_eq!(runs(dir.path()), 1, "a fresh token is reused");
    az.token(true).await.unwrap();
    assert_eq!(runs(dir.path()), 2, "after a 401, az is asked again");
}

#[tokio::test(start_paused = true)]
async fn az_is_asked_again_five_minutes_before_expiry() {
    let dir = tempfile::tempdir().unwrap();
    // No timeout on a paused clock: the runtime would jump to it while az runs.
    let az = AzureCli::with_program(counting_az(dir.path()), None, &public()).with_timeout(None);
    az.token(false).await.unwrap();
    tokio::time::advance(std::time::Duration::from_secs(3599 - 330)).await;
    az.token(false).await.unwrap();
    assert_eq!(runs(dir.path()), 1);
    tokio::time::advance(std::time::Duration::from_secs(60)).await;
    az.token(false).await.unwrap();
    assert_eq!(runs(dir.path()), 2);
}
