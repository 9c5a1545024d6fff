//! `azsecrets federated …` as real processes against a sandbox in this test process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azsecrets::sandbox::{Route, SandboxConfig};
use serde_json::Value;

mod cli_support;
use cli_support::{Env, code, stderr as err, stdout as out};

async fn env() -> Env {
    cli_support::env(SandboxConfig::default(), "200").await
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_issuer_and_subject_whole() {
    let env = env().await;
    let o = env.cmd(&[
        "federated",
        "list",
        "--app",
        "aks-workload-identity (prod)",
        "--output",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(
        v[0]["issuer"],
        "https://westeurope.oic.prod-aks.azure.com/0f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d/"
    );
    assert_eq!(
        v[0]["subject"],
        "system:serviceaccount:orders:orders-worker"
    );
    let o = env.cmd(&["federated", "list", "--app", "github-deployer"]);
    assert_eq!(code(&o), 0);
    assert!(
        out(&o).contains("repo:contoso/infra:environment:Production"),
        "{}",
        out(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn add_each_scenario_and_remove() {
    let env = env().await;
    let app = "hr-portal-web";
    let o = env.cmd(&[
        "federated",
        "add",
        "--app",
        app,
        "--github",
        "contoso/hr",
        "--branch",
        "main",
        "--output",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["subject"], "repo:contoso/hr:ref:refs/heads/main");
    assert_eq!(v["issuer"], "https://token.actions.githubusercontent.com");
    assert_eq!(v["audiences"][0], "api://AzureADTokenExchange");
    assert_eq!(v["name"], "hr-branch-main", "a name made from the subject");
    let o = env.cmd(&[
        "federated",
        "add",
        "--app",
        app,
        "--github",
        "contoso/hr",
        "--pull-request",
        "--name",
        "prs",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).contains("repo:contoso/hr:pull_request"));
    let o = env.cmd(&[
        "federated",
        "add",
        "--app",
        app,
        "--kubernetes",
        "--issuer",
        "https://oidc.example/abc/",
        "--namespace",
        "hr",
        "--service-account",
        "web",
        "--name",
        "k8s-web",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).contains("system:serviceaccount:hr:web"));
    let o = env.cmd(&[
        "federated",
        "add",
        "--app",
        app,
        "--issuer",
        "https://issuer.example",
        "--subject",
        "svc-1",
        "--name",
        "other",
        "--description",
        "an IdP",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    // Graph's rules, checked before sending: duplicate name, duplicate subject, bad name.
    let posts = env.sb.control().requests(Route::FederatedCredentials);
    let o = env.cmd(&[
        "federated",
        "add",
        "--app",
        app,
        "--issuer",
        "https://issuer.example",
        "--subject",
        "svc-2",
        "--name",
        "OTHER",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("already has a federated credential named"),
        "{}",
        err(&o)
    );
    let o = env.cmd(&[
        "federated",
        "add",
        "--app",
        app,
        "--issuer",
        "https://issuer.example",
        "--subject",
        "svc-1",
        "--name",
        "again",
    ]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("for this issuer and subject"));
    let o = env.cmd(&[
        "federated",
        "add",
        "--app",
        app,
        "--issuer",
        "https://issuer.example",
        "--subject",
        "svc-3",
        "--name=-x",
    ]);
    assert_eq!(code(&o), 2);
    // Only the list reads were sent for the refused three.
    assert_eq!(
        env.sb.control().requests(Route::FederatedCredentials),
        posts + 3
    );
    // Bad combinations are clap's (exit 2) before anything happens.
    let o = env.cmd(&["federated", "add", "--app", app, "--github", "contoso/hr"]);
    assert_eq!(code(&o), 2);
    let o = env.cmd(&[
        "federated",
        "add",
        "--app",
        app,
        "--github",
        "contoso",
        "--tag",
        "v1",
    ]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("organization/repository"));

    let o = env.cmd(&[
        "federated",
        "remove",
        "--app",
        app,
        "--credential",
        "prs",
        "--yes",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = env.cmd(&[
        "federated",
        "remove",
        "--app",
        app,
        "--credential",
        "prs",
        "--yes",
    ]);
    assert_eq!(code(&o), 4);
    let o = env.cmd(&["federated", "list", "--app", app, "--output", "json"]);
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
}

/// At 80 columns every GitHub subject starts `repo:contoso/infra:`: the table keeps both ends
/// of a subject, so each row still says which branch, environment or tag it trusts.
#[tokio::test(flavor = "multi_thread")]
async fn a_narrow_table_keeps_what_tells_subjects_apart() {
    let env = cli_support::env(SandboxConfig::default(), "80").await;
    let o = env.cmd(&["federated", "list", "--app", "github-deployer"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let text = out(&o);
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    for end in ["heads/main", "Production", "ll_request", "ags/v2.3.0"] {
        assert!(
            text.lines()
                .any(|l| l.contains("repo:cont") && l.contains(end)),
            "{end}: {text}"
        );
    }
    assert!(
        text.contains("default"),
        "the default audience, named: {text}"
    );
    assert!(
        err(&o).contains("api://AzureADTokenExchange"),
        "{}",
        err(&o)
    );
}
