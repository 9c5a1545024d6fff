//! `azsecrets whoami` as a real process against a sandbox in this test process: a
//! low-privilege service principal (Application.Read.All only, as the seed's
//! `azsecrets-sandbox-reader` and the hostile tenant's reader are) cannot read the tenant, so
//! whoami says what its token claims and names the permission it lacks, and succeeds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::process::Output;

use assert_cmd::Command;
use azsecrets::sandbox::{RunningSandbox, SandboxConfig, start};
use secrecy::ExposeSecret;
use serde_json::Value;

mod hostile_support;
use hostile_support::{READER, TENANT_ID, assert_terminal_safe, hostile_tenant};

/// The built-in seed's reader principal (assets/sandbox/tenant.json, `principals`).
const SEED_READER: (&str, &str) = (
    "5d0c7a1e-3b8f-5e2a-9c41-7f6d2b8e4a10",
    "Rdr8Q~sandbox-reader.not-a-real-key.xyzw",
);

fn whoami(sb: &RunningSandbox, tenant: &str, sp: (&str, &str), args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin!("azsecrets"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("AZURE_TENANT_ID", tenant)
        .env("AZURE_CLIENT_ID", sp.0)
        .env("AZURE_CLIENT_SECRET", sp.1)
        .args([
            "--graph-url",
            sb.graph_url.as_str(),
            "--login-url",
            sb.login_url.as_str(),
            "--auth",
            "env",
            "whoami",
        ])
        .args(args)
        .output()
        .unwrap();
    assert_terminal_safe("whoami stdout", &out.stdout);
    assert_terminal_safe("whoami stderr", &out.stderr);
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_principal_that_cannot_read_the_tenant_still_learns_who_it_is() {
    let sb = start(SandboxConfig::default()).await.unwrap();
    let out = whoami(&sb, &sb.tenant_id, SEED_READER, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("tenant: - ({})", sb.tenant_id)),
        "the tenant id, from the token: {stdout}"
    );
    assert!(
        stdout.contains(&format!("identity: service principal {}", SEED_READER.0)),
        "{stdout}"
    );
    assert!(
        stdout.contains("signed in via: service principal"),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Organization.Read.All"),
        "names the permission: {stderr}"
    );
    assert!(stderr.contains("403"), "{stderr}");
    assert!(
        !stderr.contains("own this app"),
        "no advice about owning an app: {stderr}"
    );
    // The secret and the token never show.
    assert!(!stdout.contains(SEED_READER.1) && !stderr.contains(SEED_READER.1));
    assert!(
        !stdout.contains("eyJ") && !stderr.contains("eyJ"),
        "no token"
    );

    let out = whoami(&sb, &sb.tenant_id, SEED_READER, &["--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tenant"]["id"], sb.tenant_id.as_str());
    assert_eq!(v["tenant"]["name"], Value::Null);
    assert_eq!(v["identity"]["kind"], "servicePrincipal");
    assert_eq!(v["identity"]["clientId"], SEED_READER.0);
    assert_eq!(v["fromToken"], true);
    assert!(
        v["missingPermission"]
            .as_str()
            .is_some_and(|p| p.contains("Organization.Read.All")),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_principal_that_can_read_the_tenant_gets_the_usual_answer() {
    let sb = start(SandboxConfig::default()).await.unwrap();
    let (client_id, secret) = sb.control().automation_credentials();
    let out = whoami(
        &sb,
        &sb.tenant_id,
        (&client_id, secret.expose_secret()),
        &["--output", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tenant"]["name"], "Contoso Sandbox");
    assert!(v.get("fromToken").is_none(), "{v}");
    assert!(v.get("missingPermission").is_none(), "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hostile_tenant_reader_is_told_its_claims_cleanly() {
    let sb = start(SandboxConfig {
        tenant_file: Some(hostile_tenant()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let out = whoami(&sb, TENANT_ID, READER, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(TENANT_ID));
    assert!(text(&out.stdout).contains(READER.0));
}
