//! The sandbox's Key Vault data plane, spoken to with raw HTTP: the wire shapes and the order of
//! its rules (the 401 challenge first, then the audience, the api-version, the name, the
//! permission, the body, the deleted-but-recoverable conflict), list paging with an explicit
//! `"nextLink": null`, the deleted secret and its recovery, a vault name that gets no answer,
//! and `sandbox serve` printing the vault URL template and the seeded vaults.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use azsecrets::sandbox::{self, RunningSandbox, SandboxConfig, SandboxResource};

struct Vault {
    sb: RunningSandbox,
    http: reqwest::Client,
    token: String,
}

impl Vault {
    async fn start(config: SandboxConfig) -> Self {
        let sb = sandbox::start(config).await.unwrap();
        let token = sb
            .control()
            .issue_user_token_for(SandboxResource::KeyVault)
            .expose_secret()
            .to_owned();
        Self {
            sb,
            http: reqwest::Client::new(),
            token,
        }
    }

    fn url(&self, vault: &str, rest: &str) -> String {
        format!(
            "{}{rest}",
            self.sb.vault_url_template.replace("{name}", vault)
        )
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut rb = self.http.request(method, url);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    async fn put(&self, vault: &str, name: &str, body: Value) -> (u16, Value) {
        let (s, _, b) = self
            .send(
                reqwest::Method::PUT,
                &self.url(vault, &format!("secrets/{name}?api-version=7.5")),
                Some(&self.token),
                Some(body),
            )
            .await;
        (s, b)
    }

    async fn get(&self, vault: &str, rest: &str) -> (u16, Value) {
        let (s, _, b) = self
            .send(
                reqwest::Method::GET,
                &self.url(vault, rest),
                Some(&self.token),
                None,
            )
            .await;
        (s, b)
    }
}

#[tokio::test]
async fn the_challenge_comes_first_and_names_tenant_and_resource() {
    let v = Vault::start(SandboxConfig::default()).await;
    // No token, no body, not even a valid name: the challenge still comes first.
    let (status, headers, body) = v
        .send(
            reqwest::Method::PUT,
            &v.url("contoso-sandbox-kv", "secrets/a.b"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}})
    );
    let challenge = headers["www-authenticate"].to_str().unwrap();
    assert_eq!(
        challenge,
        format!(
            "Bearer authorization=\"{}{}\", resource=\"https://vault.azure.net\"",
            v.sb.login_url, v.sb.tenant_id
        )
    );
    assert_eq!(
        headers["content-type"].to_str().unwrap(),
        "application/json; charset=utf-8"
    );
    assert!(headers.contains_key("x-ms-request-id"));

    // A Graph token: the wrong audience, with the challenge repeated.
    let graph = v.sb.access_token.expose_secret().to_owned();
    let (status, headers, body) = v
        .send(
            reqwest::Method::GET,
            &v.url("contoso-sandbox-kv", "secrets?api-version=7.5"),
            Some(&graph),
            None,
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(
        body["error"]["message"],
        "AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://graph.microsoft.com."
    );
    assert!(headers.contains_key("www-authenticate"));

    // A vault token at Graph: Graph's own refusal.
    let r = v
        .http
        .get(format!("{}v1.0/organization", v.sb.graph_url))
        .bearer_auth(&v.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
}

#[tokio::test]
async fn versions_names_and_limits() {
    let v = Vault::start(SandboxConfig::default()).await;
    let (s, b) = v.get("contoso-sandbox-kv", "secrets").await;
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("The specified version () is not recognized."),
        "{b}"
    );
    let (s, b) = v
        .put("contoso-sandbox-kv", "a.b", json!({"value": "x"}))
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        b["error"]["message"],
        "The request URI contains an invalid name: a.b"
    );
    let (s, b) = v.put("contoso-sandbox-kv", "ok", json!({})).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("BadParameter"))
    );
    let tags: serde_json::Map<String, Value> =
        (0..16).map(|i| (format!("t{i}"), json!("v"))).collect();
    let (s, b) = v
        .put(
            "contoso-sandbox-kv",
            "ok",
            json!({"value": "x", "tags": tags}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["message"], "Property has invalid value\r\n");
    let (s, _) = v
        .put(
            "contoso-sandbox-kv",
            "ok",
            json!({"value": "x".repeat(25_601)}),
        )
        .await;
    assert_eq!(s, 400);

    let (s, b) = v
        .put(
            "contoso-sandbox-kv",
            "App-Secret",
            json!({"value": "v1", "contentType": "client-secret", "attributes": {"nbf": 1_741_668_435, "exp": 1_773_204_435}, "tags": {"secret-id": "k1"}}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["value"], "v1");
    let id = b["id"].as_str().unwrap();
    let version = id.rsplit('/').next().unwrap();
    assert_eq!(version.len(), 32);
    assert!(id.ends_with(&format!(
        "/kv/contoso-sandbox-kv/secrets/App-Secret/{version}"
    )));
    assert_eq!(b["attributes"]["exp"], 1_773_204_435);
    assert_eq!(b["attributes"]["recoveryLevel"], "Recoverable+Purgeable");
    assert!(b["attributes"]["created"].is_i64());
    let (_, b2) = v
        .put("contoso-sandbox-kv", "app-secret", json!({"value": "v2"}))
        .await;
    assert!(
        b2.get("tags").is_none() && b2.get("contentType").is_none(),
        "each version has its own"
    );

    // Latest with and without the trailing slash, and by version.
    let (_, latest) = v
        .get("contoso-sandbox-kv", "secrets/APP-SECRET/?api-version=7.4")
        .await;
    assert_eq!(latest["value"], "v2");
    let (_, latest) = v
        .get(
            "contoso-sandbox-kv",
            "secrets/app-secret?api-version=2025-07-01",
        )
        .await;
    assert_eq!(latest["value"], "v2");
    let (_, old) = v
        .get(
            "contoso-sandbox-kv",
            &format!("secrets/app-secret/{version}?api-version=7.5"),
        )
        .await;
    assert_eq!(old["value"], "v1");
    let (s, b) = v
        .get("contoso-sandbox-kv", "secrets/missing?api-version=7.5")
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (404, Some("SecretNotFound"))
    );

    // Versions: paged, newest first, no values, an explicit null at the end.
    let (_, p1) = v
        .get(
            "contoso-sandbox-kv",
            "secrets/app-secret/versions?api-version=7.5&maxresults=1",
        )
        .await;
    assert_eq!(p1["value"].as_array().unwrap().len(), 1);
    assert!(p1["value"][0].get("value").is_none());
    let next = p1["nextLink"].as_str().unwrap().to_owned();
    assert!(next.contains("api-version=7.5"), "{next}");
    let (_, _, p2) = v
        .send(reqwest::Method::GET, &next, Some(&v.token), None)
        .await;
    assert_eq!(p2["value"].as_array().unwrap().len(), 1);
    assert!(p2["value"][0]["id"].as_str().unwrap().ends_with(version));
    assert_eq!(p2["nextLink"], Value::Null);
    let (s, _) = v
        .get(
            "contoso-sandbox-kv",
            "secrets?api-version=7.5&maxresults=26",
        )
        .await;
    assert_eq!(s, 400);

    // The secrets list: unversioned ids, tags, no values.
    let (_, list) = v.get("contoso-sandbox-kv", "secrets?api-version=7.5").await;
    let items = list["value"].as_array().unwrap();
    assert!(items.iter().all(|i| i.get("value").is_none()));
    assert!(
        items
            .iter()
            .any(|i| i["id"].as_str().unwrap().ends_with("/secrets/App-Secret"))
    );
    assert_eq!(list["nextLink"], Value::Null);
}

#[tokio::test]
async fn deleted_secrets_block_their_name_until_recovered() {
    let v = Vault::start(SandboxConfig::default()).await;
    let (s, b) = v
        .put(
            "contoso-restore-kv",
            "retired-client-secret",
            json!({"value": "x"}),
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(
        b,
        json!({"error":{"code":"Conflict","message":"Secret retired-client-secret is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.","innererror":{"code":"ObjectIsDeletedButRecoverable"}}})
    );
    let (s, d) = v
        .get(
            "contoso-restore-kv",
            "deletedsecrets/retired-client-secret?api-version=7.5",
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        d["recoveryId"]
            .as_str()
            .unwrap()
            .ends_with("/deletedsecrets/retired-client-secret")
    );
    assert!(d["scheduledPurgeDate"].is_i64());
    let (s, _, _) = v
        .send(
            reqwest::Method::POST,
            &v.url(
                "contoso-restore-kv",
                "deletedsecrets/retired-client-secret/recover?api-version=7.5",
            ),
            Some(&v.token),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = v
        .put(
            "contoso-restore-kv",
            "retired-client-secret",
            json!({"value": "x"}),
        )
        .await;
    assert_eq!(s, 200, "recovered: a new version may be set");
    // Delete: soft, and the name is blocked again.
    let (s, _, del) = v
        .send(
            reqwest::Method::DELETE,
            &v.url("contoso-restore-kv", "secrets/api-key?api-version=7.5"),
            Some(&v.token),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert!(del["deletedDate"].is_i64());
    let (s, _) = v
        .put("contoso-restore-kv", "api-key", json!({"value": "x"}))
        .await;
    assert_eq!(s, 409);
}

#[tokio::test]
async fn denied_sets_have_each_models_shape() {
    let v = Vault::start(SandboxConfig {
        deny_vault_set: true,
        ..SandboxConfig::default()
    })
    .await;
    let (s, b) = v
        .put("contoso-sandbox-kv", "x", json!({"value": "v"}))
        .await;
    assert_eq!(s, 403);
    assert_eq!(b["error"]["code"], "Forbidden");
    assert_eq!(b["error"]["innererror"]["code"], "ForbiddenByRbac");
    let m = b["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'"),
        "{m}"
    );
    assert!(m.contains(&format!("iss=https://sts.windows.net/{}/", v.sb.tenant_id)));
    let (s, b) = v.put("contoso-legacy-kv", "x", json!({"value": "v"})).await;
    assert_eq!(s, 403);
    assert_eq!(b["error"]["innererror"]["code"], "AccessDenied");
    assert!(b["error"]["message"].as_str().unwrap().contains(
        "does not have secrets set permission on key vault 'contoso-legacy-kv;location=westeurope'"
    ));
    // Reads are still allowed.
    let (s, _) = v.get("contoso-legacy-kv", "secrets?api-version=7.5").await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn an_unknown_vault_gets_no_http_answer() {
    let v = Vault::start(SandboxConfig::default()).await;
    let r = v
        .http
        .get(v.url("no-such-vault", "secrets?api-version=7.5"))
        .send()
        .await;
    let e = r.expect_err("no response at all");
    assert!(e.status().is_none(), "{e}");
}

#[cfg(unix)]
#[test]
fn serve_prints_the_vault_template_and_the_seeded_vaults() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("azsecrets"))
        .args([
            "sandbox",
            "serve",
            "--propagation-delay",
            "5",
            "--deny-vault-set",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut out = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || Instant::now() > deadline {
            break;
        }
        out.push_str(&line);
        if line.contains("Ctrl-C") {
            break;
        }
    }
    // SAFETY: sending a signal to our own child process by its id.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let _ = child.wait();
    let template = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Vault URL template:"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("template in:\n{out}"));
    assert!(
        template.starts_with("http://127.0.0.1:") && template.ends_with("/kv/{name}/"),
        "{template}"
    );
    for name in [
        "contoso-sandbox-kv",
        "contoso-legacy-kv",
        "contoso-restore-kv",
    ] {
        assert!(out.contains(name), "{name} in:\n{out}");
    }
    assert!(out.contains("--vault-url-template"), "{out}");
    assert!(out.contains("ARM URL:"), "{out}");
}
