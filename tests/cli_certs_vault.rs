//! `azsecrets certs create --to-vault VAULT[/NAME]` as real processes against a sandbox in this
//! test process (its vaults, Resource Manager and token endpoint), signed in as the sandbox's
//! service principal: the key and certificate land in the vault as ONE PEM secret (key first,
//! `application/x-pem-file`, tags naming the credential) before the public part is uploaded; a
//! vault that refuses (unreachable, a soft-deleted name, Set denied) leaves the app's
//! certificates and the files untouched; an upload that fails after the vault took the key says
//! what exists and how to take it out of use; the key never reaches the output or the log.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

#[path = "destination_support/mod.rs"]
mod destination_support;

use azsecrets::certs::{self, KeyAlgorithm};
use azsecrets::sandbox::Route;
use destination_support::*;
use serde_json::Value;

/// contoso-signing-service: three certificates.
const SIGNING: &str = "a270b967-985e-5a34-9317-52a29b306f69";

fn ders(e: &Env) -> Vec<Vec<u8>> {
    e.sb.control()
        .key_credentials(SIGNING)
        .unwrap()
        .into_iter()
        .map(|k| k.der.unwrap_or_default())
        .collect()
}

/// The PEM secret split into its private key and its certificate.
fn split(bundle: &str) -> (&str, &str) {
    let at = bundle
        .find("-----BEGIN CERTIFICATE-----")
        .expect("a certificate in the bundle");
    bundle.split_at(at)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vault_gets_key_and_certificate_and_the_app_the_public_part() {
    let e = env(SandboxConfig::default()).await;
    let before = ders(&e);
    let o = e.cmd(
        &[
            "certs",
            "create",
            "--app",
            SIGNING,
            "--to-vault",
            VAULT,
            "--expires",
            "90d",
            "--key-type",
            "p256",
            "--output",
            "json",
        ],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let json: Value = serde_json::from_slice(&o.stdout).expect("json");
    let kv = &json["keyVault"];
    let name = "contoso-signing-service-cert";
    assert_eq!(kv["vault"], VAULT);
    assert_eq!(kv["name"], name, "the default name: {json}");
    let version = kv["version"].as_str().unwrap().to_owned();
    assert_eq!(version.len(), 32);
    assert!(
        kv["id"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/secrets/{name}/{version}"))
    );
    assert!(json.get("keyFile").is_none() && json.get("certificateFile").is_none());

    // The vault's secret: the key, then the certificate now on the app.
    let stored = e.vault_value(VAULT, name).await;
    let (key, cert) = split(&stored);
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "key first");
    let parsed = certs::parse(cert.as_bytes()).expect("the certificate parses");
    let after = ders(&e);
    assert_eq!(after.len(), before.len() + 1, "the others are kept");
    assert!(after.contains(&parsed.leaf.der));
    assert_eq!(json["thumbprint"], parsed.leaf.thumbprint());
    assert!(
        certs::parse(stored.as_bytes()).is_err(),
        "the bundle holds a private key"
    );
    let versions = e.sb.control().vault_secret_versions(VAULT, name).unwrap();
    assert_eq!(versions.len(), 1);
    let v = &versions[0];
    assert_eq!(v.content_type.as_deref(), Some("application/x-pem-file"));
    assert_eq!(v.tags["certificate-id"], json["certificateId"]);
    assert_eq!(v.tags["thumbprint"], parsed.leaf.thumbprint());
    assert_eq!(v.tags["application-id"], json["appId"]);
    assert_eq!(v.tags["app-name"], "contoso-signing-service");
    assert_eq!(v.tags["created-by"], "azsecrets");
    assert_eq!(v.not_before.unwrap(), parsed.leaf.not_before.timestamp());
    assert_eq!(v.expires.unwrap(), parsed.leaf.not_after.timestamp());

    // The key is nowhere but in the vault: not in the output nor the log.
    let body = key.lines().nth(1).unwrap();
    let log = e.read("azsecrets.log");
    assert!(!log.is_empty());
    for (what, text) in [("stdout", stdout(&o)), ("stderr", stderr(&o)), ("log", log)] {
        assert!(!text.contains(body), "the key reached {what}");
        assert!(!text.contains("PRIVATE KEY"), "the key reached {what}");
    }

    // Files and a vault with a name of our own, in a table.
    let o = e.cmd(
        &[
            "certs",
            "create",
            "--app",
            SIGNING,
            "--key-out",
            "app.key.pem",
            "--cert-out",
            "app.crt.pem",
            "--to-vault",
            &format!("{VAULT}/signing-cert"),
        ],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let t = stdout(&o);
    assert!(t.contains("Private key  app.key.pem (0600"), "{t}");
    assert!(
        t.contains(&format!(
            "stored in key vault {VAULT} as signing-cert (version "
        )),
        "{t}"
    );
    let stored = e.vault_value(VAULT, "signing-cert").await;
    let (key, cert) = split(&stored);
    assert_eq!(key, e.read("app.key.pem"), "the same key in both");
    assert_eq!(cert, e.read("app.crt.pem"));
    assert_eq!(ders(&e).len(), before.len() + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_that_refuses_changes_nothing() {
    let e = env(SandboxConfig::default()).await;
    let before = ders(&e);
    let patches = e.sb.control().requests(Route::PatchApplication);
    let create = |vault: &str| {
        e.cmd(
            &[
                "certs",
                "create",
                "--app",
                SIGNING,
                "--key-out",
                "k.pem",
                "--cert-out",
                "c.pem",
                "--to-vault",
                vault,
            ],
            &[],
        )
    };

    // A soft-deleted secret holds the name: refused by the check, with the way out.
    let o = create("contoso-restore-kv/retired-client-secret");
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("ObjectIsDeletedButRecoverable"), "{err}");
    assert!(err.contains("nothing was created"), "{err}");
    assert!(
        err.contains("az keyvault secret recover --vault-name contoso-restore-kv --name retired-client-secret"),
        "{err}"
    );

    // A vault that does not answer.
    let o = create("no-such-vault-kv");
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("could not reach the key vault"),
        "{}",
        stderr(&o)
    );

    // The check passes but Set is refused (no write role): the files written are taken back.
    e.sb.control().set_deny_vault_set(true);
    let o = create(VAULT);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("nothing was created"), "{err}");
    assert!(err.contains("Key Vault Secrets Officer"), "{err}");
    e.sb.control().set_deny_vault_set(false);

    assert_eq!(ders(&e), before, "the app's certificates are unchanged");
    assert_eq!(
        e.sb.control().requests(Route::PatchApplication),
        patches,
        "nothing was sent to Graph"
    );
    for f in ["k.pem", "c.pem"] {
        assert!(!e.path(f).exists(), "{f} is not left behind");
    }
    let name = "contoso-signing-service-cert";
    assert!(
        e.sb.control()
            .vault_secret_versions(VAULT, name)
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_that_fails_after_the_vault_took_the_key_says_what_exists() {
    let e = env(SandboxConfig::default()).await;
    let now = chrono::Utc::now();
    let other = certs::self_signed(
        "CN=other-writer.example",
        now,
        now + chrono::Duration::days(30),
        KeyAlgorithm::P256,
    )
    .unwrap();
    assert!(
        e.sb.control()
            .add_certificate_after_next_read(SIGNING, other.info.der.clone())
    );
    let o = e.cmd(
        &["certs", "create", "--app", SIGNING, "--to-vault", VAULT],
        &[],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("changed since they were read"), "{err}");
    assert!(
        err.contains(&format!(
            "stored in key vault {VAULT} as contoso-signing-service-cert"
        )),
        "{err}"
    );
    assert!(
        err.contains("az keyvault secret set-attributes --id ") && err.contains("--enabled false"),
        "{err}"
    );
    assert!(!err.contains("PRIVATE KEY"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_needs_somewhere_to_go() {
    let e = env(SandboxConfig::default()).await;
    let patches = e.sb.control().requests(Route::PatchApplication);
    for args in [
        &["certs", "create", "--app", SIGNING][..],
        &["certs", "create", "--app", SIGNING, "--cert-out", "c.pem"][..],
        &["certs", "create", "--app", SIGNING, "--to-vault", "kv"][..],
        &[
            "certs",
            "create",
            "--app",
            SIGNING,
            "--to-vault",
            "contoso-kv/a.b",
        ][..],
    ] {
        let o = e.cmd(args, &[]);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
    }
    let o = e.cmd(&["certs", "create", "--app", SIGNING], &[]);
    assert!(stderr(&o).contains("--to-vault"), "{}", stderr(&o));
    assert_eq!(e.sb.control().requests(Route::PatchApplication), patches);
}
