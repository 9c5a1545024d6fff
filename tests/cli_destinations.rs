//! `secrets add` with several destinations, as real processes against a sandbox running in this
//! test process (its vaults, Resource Manager and token endpoint), signed in as the sandbox's
//! service principal: a key vault, a fake `gh` and a recording command take the value in one
//! run (the value only on their stdin, never in argv or the environment); every destination is
//! checked before the secret exists, so a refusal creates nothing; when none takes the value
//! the secret is deleted again (exit 1); when some fail it is kept (exit 7); `--verify` waits
//! while the secret replicates and says so (exit 8 when it never signs in).
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_run_sends_the_value_to_a_vault_github_and_a_command_and_it_signs_in() {
    let e = env(SandboxConfig {
        propagation_delay: Duration::from_secs(3),
        ..SandboxConfig::default()
    })
    .await;
    let before = e.secret_ids(APP);
    let o = e.cmd(
        &[
            "secrets",
            "add",
            "--app",
            APP,
            "--description",
            "everywhere",
            "--to",
            &format!("keyvault:{VAULT}"),
            "--to",
            "github:contoso/billing@production",
            "--github-variables",
            "--to",
            "exec:store-it --name 'azure/fabrikam crm'",
            "--verify",
            "--output",
            "json",
        ],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let json: Value = serde_json::from_slice(&o.stdout).expect("json receipt");
    let new_id = json["secretId"].as_str().unwrap().to_owned();
    assert!(!before.contains(&new_id));
    assert!(e.secret_ids(APP).contains(&new_id));
    let dests = json["destinations"].as_array().unwrap();
    assert_eq!(dests.len(), 3);
    assert!(dests.iter().all(|d| d["ok"] == true), "{dests:?}");
    assert_eq!(json["verified"]["signsIn"], true);
    assert!(json["verified"]["seconds"].as_u64().unwrap() >= 2, "{json}");
    assert!(
        json.get("secretText").is_none(),
        "the value only with --to stdout"
    );

    // The same value in the vault, on gh's stdin and on the command's stdin.
    let name = azsecrets::keyvault::SecretName::for_app("fabrikam-crm-sync").to_string();
    let stored = e.vault_value(VAULT, &name).await;
    assert_eq!(stored.len(), 40, "a Graph secret");
    assert_eq!(e.read("gh.stdin"), stored);
    assert_eq!(e.read("store-it.stdin"), stored);
    let versions = e.sb.control().vault_secret_versions(VAULT, &name).unwrap();
    assert_eq!(versions.len(), 1);
    let v = &versions[0];
    assert_eq!(v.content_type.as_deref(), Some("client-secret"));
    assert_eq!(v.tags["secret-id"], new_id);
    assert_eq!(v.tags["application-id"], APP);
    assert_eq!(v.tags["created-by"], "azsecrets");
    assert!(v.expires.is_some() && v.not_before.is_some());

    // Never in argv or the environment; the ids where they belong.
    for f in ["gh.argv", "gh.env", "store-it.argv", "store-it.env"] {
        assert!(!e.read(f).contains(&stored), "{f}");
    }
    let gh_argv = e.read("gh.argv");
    assert!(
        gh_argv.contains("secret\nset\nAZURE_CLIENT_SECRET\n--repo\ncontoso/billing\n--app\nactions\n--env\nproduction\n"),
        "{gh_argv}"
    );
    assert!(gh_argv.contains(&format!("variable\nset\nAZURE_CLIENT_ID\n--body\n{APP}\n")));
    assert!(gh_argv.contains("AZURE_TENANT_ID"));
    assert!(e.read("gh.env").contains("GH_PROMPT_DISABLED=1"));
    let cmd_env = e.read("store-it.env");
    assert!(
        cmd_env.contains(&format!("AZURE_CLIENT_ID={APP}")),
        "{cmd_env}"
    );
    assert!(cmd_env.contains(&format!("AZURE_TENANT_ID={}", e.sb.tenant_id)));
    assert!(
        !cmd_env.contains("AZURE_CLIENT_SECRET="),
        "azsecrets' own credentials are withheld"
    );
    assert_eq!(
        e.read("store-it.argv"),
        "--name\nazure/fabrikam crm\n",
        "split like a shell, run without one"
    );

    // What each answered, and the countdown, on stderr; the value nowhere in the outputs.
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "✓ --to keyvault:{VAULT}: stored in key vault {VAULT} as {name}"
        )),
        "{err}"
    );
    assert!(err.contains("stdout │ store-it stored it"), "{err}");
    assert!(err.contains("AADSTS7000215"), "the wait is said: {err}");
    assert!(err.contains("signs in ✓ after"), "{err}");
    assert!(!err.contains(&stored) && !stdout(&o).contains(&stored));
    let log = e.read("azsecrets.log");
    assert!(!log.is_empty() && !log.contains(&stored), "not in the log");

    // The vault is remembered for the app (names only).
    let config = e.read("config/azsecrets/config.json");
    assert!(config.contains(VAULT) && config.contains(APP), "{config}");
    assert!(!config.contains(&stored));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_that_would_refuse_refuses_before_anything_is_created() {
    let e = env(SandboxConfig::default()).await;
    let before = e.secret_ids(APP);
    let add = |to: &[&str]| {
        let mut a = vec!["secrets", "add", "--app", APP];
        for t in to {
            a.extend(["--to", t]);
        }
        e.cmd(&a, &[])
    };

    std::fs::write(e.path("gh-signed-out"), "").unwrap();
    let o = add(&["exec:store-it", "github:contoso/billing"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("gh auth login"), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing was created"));
    std::fs::remove_file(e.path("gh-signed-out")).unwrap();

    let o = add(&["exec:no-such-program-here --x"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("'no-such-program-here' was not found"),
        "{}",
        stderr(&o)
    );

    let o = add(&["keyvault:no-such-vault-kv"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("could not reach the key vault"),
        "{}",
        stderr(&o)
    );

    // A name held by a soft-deleted secret would get a 409: refused first, with the way out.
    let o = add(&["keyvault:contoso-restore-kv/retired-client-secret"]);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(err.contains("ObjectIsDeletedButRecoverable"), "{err}");
    assert!(
        err.contains("az keyvault secret recover --vault-name contoso-restore-kv --name retired-client-secret"),
        "{err}"
    );

    // Several refusals are all said at once.
    std::fs::write(e.path("gh-signed-out"), "").unwrap();
    let o = add(&["keyvault:no-such-vault-kv", "github:contoso/billing"]);
    let err = stderr(&o);
    assert!(
        err.contains("no-such-vault-kv") && err.contains("gh auth login"),
        "{err}"
    );
    std::fs::remove_file(e.path("gh-signed-out")).unwrap();

    // Flags that cannot work, before signing in.
    let o = add(&["exec:store-it", "exec:store-it"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("given twice"));
    let o = e.cmd(
        &[
            "secrets",
            "add",
            "--app",
            APP,
            "--to",
            "exec:store-it",
            "--github-variables",
        ],
        &[],
    );
    assert_eq!(code(&o), 2);

    assert_eq!(e.secret_ids(APP), before, "nothing was created");
    assert!(e.read("store-it.stdin").is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_no_destination_takes_the_value_the_secret_is_deleted_again() {
    let e = env(SandboxConfig::default()).await;
    let before = e.secret_ids(APP);
    e.sb.control().set_deny_vault_set(true);
    let o = e.cmd(
        &[
            "secrets",
            "add",
            "--app",
            APP,
            "--to",
            &format!("keyvault:{VAULT}"),
            "--to",
            "github:contoso/billing",
        ],
        &[("FAKE_FAIL", "1")],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("no destination took the value"), "{err}");
    assert!(err.contains("deleted again"), "{err}");
    assert!(
        err.contains("Key Vault Secrets Officer"),
        "the RBAC vault's advice: {err}"
    );
    assert!(err.contains("✗ --to github:contoso/billing"), "{err}");
    assert_eq!(e.secret_ids(APP), before, "nothing of it remains");
    let journal = e.read("state/azsecrets/journal.jsonl");
    assert!(
        journal.is_empty() || journal.contains("rolled-back"),
        "{journal}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_some_destinations_fail_the_secret_is_kept_and_they_are_named() {
    let e = env(SandboxConfig::default()).await;
    let before = e.secret_ids(APP);
    e.sb.control().set_deny_vault_set(true);
    let o = e.cmd(
        &[
            "secrets",
            "add",
            "--app",
            APP,
            "--to",
            "keyvault:contoso-legacy-kv",
            "--to",
            "exec:store-it",
        ],
        &[],
    );
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("reached 1 of 2 destinations and is kept"),
        "{err}"
    );
    assert!(err.contains("not: keyvault:contoso-legacy-kv"), "{err}");
    assert!(
        err.contains("access policy") || err.contains("access policies"),
        "the access-policy vault's advice: {err}"
    );
    assert!(
        err.contains("to retry:") && err.contains("secrets rotate"),
        "{err}"
    );
    let after = e.secret_ids(APP);
    assert_eq!(after.len(), before.len() + 1, "the secret is kept");
    assert_eq!(e.read("store-it.stdin").len(), 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_exits_8_when_the_secret_never_signs_in_and_keeps_it() {
    let e = env(SandboxConfig {
        propagation_delay: Duration::from_secs(600),
        ..SandboxConfig::default()
    })
    .await;
    let before = e.secret_ids(APP);
    let o = e.cmd(
        &[
            "secrets",
            "add",
            "--app",
            APP,
            "--to",
            "exec:store-it",
            "--verify",
            "--verify-timeout",
            "3",
        ],
        &[],
    );
    assert_eq!(code(&o), 8, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("did not sign in"), "{err}");
    assert!(err.contains("Secret ID instead of the value"), "{err}");
    assert_eq!(e.secret_ids(APP).len(), before.len() + 1, "kept");
}
