//! `secrets rotate` end to end against a sandbox in the test process (signed in as its service
//! principal): the old secret is the one named or the only one due (else the choices are listed
//! and nothing is created); the new value goes to a new version of the vault secret tagged with
//! the old Secret ID; the old secret is deleted only with `--delete-old` after the new one signed
//! in, and otherwise kept with the command that deletes it later.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

#[path = "destination_support/mod.rs"]
mod destination_support;

use std::time::Duration;

use destination_support::*;
use serde_json::Value;

/// contoso-billing-api (prod): three secrets; the first, "github-actions", is held in
/// contoso-sandbox-kv by a secret tagged with its Secret ID.
const BILLING: &str = "b5784c6f-9642-501b-b761-8be2eec92262";
const HELD: &str = "4579ec7f-5b63-533b-b687-cc02e6bc56c7";
const VAULT_SECRET: &str = "contoso-billing-api-prod-client-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_value_becomes_a_new_version_of_the_vault_secret_and_both_are_kept() {
    let e = env(SandboxConfig {
        propagation_delay: Duration::from_secs(2),
        ..SandboxConfig::default()
    })
    .await;
    let versions_before =
        e.sb.control()
            .vault_secret_versions(VAULT, VAULT_SECRET)
            .unwrap()
            .len();
    let o = e.cmd(
        &[
            "secrets", "rotate", "--app", BILLING, "--key-id", "4579ec7f", "--verify", "--output",
            "json",
        ],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let json: Value = serde_json::from_slice(&o.stdout).expect("json");
    let new_id = json["secretId"].as_str().unwrap().to_owned();
    assert_eq!(json["replaces"], HELD);
    assert_eq!(json["description"], "github-actions", "the old description");
    assert_eq!(json["verified"]["signsIn"], true);
    assert_eq!(
        json["destinations"][0]["to"],
        format!("keyvault:{VAULT}/{VAULT_SECRET}")
    );
    let versions =
        e.sb.control()
            .vault_secret_versions(VAULT, VAULT_SECRET)
            .unwrap();
    assert_eq!(versions.len(), versions_before + 1, "a new version");
    assert_eq!(versions[0].tags["secret-id"], new_id);
    let ids = e.secret_ids(BILLING);
    assert!(
        ids.contains(&new_id) && ids.contains(&HELD.to_owned()),
        "both kept"
    );
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "azsecrets secrets remove --app {BILLING} --key-id {HELD} --yes"
        )),
        "{err}"
    );
    assert!(err.contains("new version of it"), "{err}");
    assert_eq!(e.vault_value(VAULT, VAULT_SECRET).await.len(), 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_old_deletes_it_once_the_new_one_signs_in() {
    let e = env(SandboxConfig::default()).await;
    let o = e.cmd(
        &[
            "secrets",
            "rotate",
            "--app",
            BILLING,
            "--key-id",
            HELD,
            "--to",
            "exec:store-it",
            "--verify",
            "--delete-old",
        ],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let ids = e.secret_ids(BILLING);
    assert!(!ids.contains(&HELD.to_owned()), "the old one is gone");
    assert!(stderr(&o).contains("Deleted the old client secret"));
    // Both the vault (found by its tag) and the command have the new value.
    let stored = e.vault_value(VAULT, VAULT_SECRET).await;
    assert_eq!(e.read("store-it.stdin"), stored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_old_keeps_it_when_the_new_one_does_not_sign_in() {
    let e = env(SandboxConfig {
        propagation_delay: Duration::from_secs(600),
        ..SandboxConfig::default()
    })
    .await;
    let o = e.cmd(
        &[
            "secrets",
            "rotate",
            "--app",
            BILLING,
            "--key-id",
            HELD,
            "--no-vault-search",
            "--to",
            "exec:store-it",
            "--verify",
            "--verify-timeout",
            "2",
            "--delete-old",
        ],
        &[],
    );
    assert_eq!(code(&o), 8, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("the old secret is kept"), "{err}");
    assert!(err.contains("secrets remove --app"), "{err}");
    assert!(e.secret_ids(BILLING).contains(&HELD.to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ambiguous_or_undeliverable_rotation_creates_nothing() {
    let e = env(SandboxConfig::default()).await;
    let before = e.secret_ids(BILLING);
    // Two of its secrets are due: which one is meant is not guessed.
    let o = e.cmd(
        &[
            "secrets",
            "rotate",
            "--app",
            BILLING,
            "--to",
            "exec:store-it",
        ],
        &[],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("which secret of"), "{err}");
    for id in &before {
        assert!(err.contains(id.as_str()), "lists {id}: {err}");
    }
    assert!(err.contains("--key-id"));
    // No --to, and the vault search turned off: nowhere to send it.
    let o = e.cmd(
        &[
            "secrets",
            "rotate",
            "--app",
            BILLING,
            "--key-id",
            HELD,
            "--no-vault-search",
        ],
        &[],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("no destination for the new value"));
    // --delete-old needs --verify.
    let o = e.cmd(
        &["secrets", "rotate", "--app", BILLING, "--delete-old"],
        &[],
    );
    assert_eq!(code(&o), 2);
    assert_eq!(e.secret_ids(BILLING), before, "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_key_id_the_only_secret_is_rotated() {
    let e = env(SandboxConfig::default()).await;
    let old = e.secret_ids(APP);
    assert_eq!(old.len(), 1);
    let o = e.cmd(
        &["secrets", "rotate", "--app", APP, "--to", "exec:store-it"],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains(&old[0]), "{}", stderr(&o));
    assert_eq!(e.secret_ids(APP).len(), 2, "both kept");
}
