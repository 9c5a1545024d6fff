//! The sandbox against graph-contract.md, over real HTTP on loopback: status codes, field
//! names, content types, request ids, error codes and messages, paging, query options,
//! credentials rules, the token endpoint, fault knobs, scale, and the seed tenant's coverage.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::collections::HashSet;
use std::time::{Duration, Instant};

use azsecrets::sandbox::{
    DeviceOutcome, Faults, Route, RunningSandbox, SandboxConfig, SandboxControl, start,
};
use chrono::{DateTime, Months, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

const SEED: &str = include_str!("../assets/sandbox/tenant.json");

struct Env {
    sb: RunningSandbox,
    http: reqwest::Client,
    token: String,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    text: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    fn error_message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }

    fn values(&self) -> &Vec<Value> {
        self.body["value"].as_array().expect("a collection")
    }
}

impl Env {
    async fn new() -> Self {
        Self::with(SandboxConfig::default()).await
    }

    async fn with(config: SandboxConfig) -> Self {
        let sb = start(config).await.expect("sandbox starts");
        let token = sb.access_token.expose_secret().to_owned();
        Self {
            sb,
            http: reqwest::Client::new(),
            token,
        }
    }

    fn control(&self) -> SandboxControl {
        self.sb.control()
    }

    fn origin(&self) -> String {
        self.sb.graph_url.as_str().trim_end_matches('/').to_owned()
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}v1.0/{path}", self.sb.graph_url)
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.get_as(path, &self.token).await
    }

    async fn get_as(&self, path: &str, token: &str) -> Reply {
        self.send(self.http.get(self.url(path)).bearer_auth(token))
            .await
    }

    async fn get_eventual(&self, path: &str) -> Reply {
        self.send(
            self.http
                .get(self.url(path))
                .bearer_auth(&self.token)
                .header("ConsistencyLevel", "eventual"),
        )
        .await
    }

    async fn add_password(&self, object_id: &str, body: &Value) -> Reply {
        self.post(&format!("applications/{object_id}/addPassword"), body)
            .await
    }

    async fn post(&self, path: &str, body: &Value) -> Reply {
        self.post_as(path, body, &self.token).await
    }

    async fn post_as(&self, path: &str, body: &Value, token: &str) -> Reply {
        self.send(self.http.post(self.url(path)).bearer_auth(token).json(body))
            .await
    }

    async fn form(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let url = format!("{}{path}", self.sb.login_url);
        self.send(self.http.post(url).form(form)).await
    }

    async fn client_credentials(
        &self,
        tenant: &str,
        client_id: &str,
        secret: &str,
        scope: &str,
    ) -> Reply {
        self.form(
            &format!("{tenant}/oauth2/v2.0/token"),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
                ("scope", scope),
            ],
        )
        .await
    }

    async fn all_pages(&self, first: &str) -> (Vec<Value>, usize) {
        let mut items = Vec::new();
        let mut url = self.url(first);
        let mut pages = 0;
        loop {
            let r = self.get(&url).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            pages += 1;
            items.extend(r.values().iter().cloned());
            match r.body["@odata.nextLink"].as_str() {
                Some(next) => url = next.to_owned(),
                None => break,
            }
        }
        (items, pages)
    }
}

fn seed() -> Value {
    serde_json::from_str(SEED).expect("seed parses")
}

/// (object id, appId) of a seed app by display name.
fn seed_app(name: &str) -> (String, String) {
    let s = seed();
    let app = s["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["displayName"] == name)
        .unwrap_or_else(|| panic!("seed app {name}"));
    (
        app["id"].as_str().unwrap().to_owned(),
        app["appId"].as_str().unwrap().to_owned(),
    )
}

fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
        })
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a timestamp"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

fn fraction_digits(s: &str) -> usize {
    s.split_once('.')
        .map(|(_, f)| f.trim_end_matches('Z').len())
        .unwrap_or(0)
}

/// `[A-Za-z0-9_~.]{3}8Q~[A-Za-z0-9_~.-]{34}` (contract §3).
fn is_new_secret_format(s: &str) -> bool {
    let head = |c: char| c.is_ascii_alphanumeric() || "_~.".contains(c);
    let tail = |c: char| c.is_ascii_alphanumeric() || "_~.-".contains(c);
    s.len() == 40 && s[..3].chars().all(head) && &s[3..6] == "8Q~" && s[6..].chars().all(tail)
}

fn assert_graph_error(r: &Reply, status: StatusCode, code: &str, message: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.error_code(), code, "{}", r.text);
    assert_eq!(r.error_message(), message, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("odata-version").is_none());
    let inner = &r.body["error"]["innerError"];
    let date = inner["date"].as_str().expect("innerError.date");
    assert!(
        chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S").is_ok()
            && date.len() == 19,
        "innerError.date {date}"
    );
    let rid = r.header("request-id").expect("request-id");
    assert!(is_guid(rid));
    assert_eq!(inner["request-id"], rid);
    assert!(inner["client-request-id"].is_string());
}

fn assert_success_headers(r: &Reply) {
    assert_eq!(r.header("content-type"), Some(ODATA_JSON));
    assert_eq!(r.header("odata-version"), Some("4.0"));
    let rid = r.header("request-id").expect("request-id");
    assert!(is_guid(rid));
    assert_eq!(r.header("client-request-id"), Some(rid));
}

// ---------------------------------------------------------------------------------------------
// Framing, auth

#[tokio::test]
async fn success_and_error_framing() {
    let env = Env::new().await;
    let r = env.get("applications?$top=1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_success_headers(&r);
    assert_eq!(
        r.body["@odata.context"],
        format!("{}/v1.0/$metadata#applications", env.origin())
    );

    // client-request-id is echoed in the header and in innerError.
    let r = env
        .send(
            env.http
                .get(env.url("applications/not-a-guid"))
                .bearer_auth(&env.token)
                .header("client-request-id", "11111111-2222-3333-4444-555555555555"),
        )
        .await;
    assert_graph_error(
        &r,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "Invalid object identifier 'not-a-guid'.",
    );
    assert_eq!(
        r.header("client-request-id"),
        Some("11111111-2222-3333-4444-555555555555")
    );
    assert_eq!(
        r.body["error"]["innerError"]["client-request-id"],
        "11111111-2222-3333-4444-555555555555"
    );
    // Without one, it equals request-id.
    let r = env.get("applications/not-a-guid").await;
    assert_eq!(
        r.body["error"]["innerError"]["client-request-id"],
        r.body["error"]["innerError"]["request-id"]
    );
}

#[tokio::test]
async fn bearer_checks() {
    let env = Env::new().await;
    let no_header = env.send(env.http.get(env.url("applications"))).await;
    let empty = env
        .send(
            env.http
                .get(env.url("applications"))
                .header("Authorization", "Bearer "),
        )
        .await;
    for r in [&no_header, &empty] {
        assert_graph_error(
            r,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token is empty.",
        );
    }
    let unknown = env.get_as("me", "not-a-real-token").await;
    assert_graph_error(
        &unknown,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "Access token validation failure. Invalid audience.",
    );
    for r in [&no_header, &empty, &unknown] {
        let challenge = r.header("www-authenticate").expect("WWW-Authenticate");
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    }

    env.control().expire_tokens();
    let expired = env.get("me").await;
    assert_graph_error(
        &expired,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "Lifetime validation failed, the token is expired.",
    );
    // Tokens issued afterwards work.
    let fresh = env.control().issue_user_token();
    assert_eq!(
        env.get_as("me", fresh.expose_secret()).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn token_lifetime_is_honoured() {
    let env = Env::with(SandboxConfig {
        token_lifetime: Duration::from_millis(300),
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(env.get("me").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        env.get("me").await.error_message(),
        "Lifetime validation failed, the token is expired."
    );
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let env = Env::new().await;
    let r = env.get("users").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.error_message(),
        "Resource not found for the segment 'users'."
    );
    let r = env
        .send(
            env.http
                .delete(env.url("organization"))
                .bearer_auth(&env.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

// ---------------------------------------------------------------------------------------------
// Listing

#[tokio::test]
async fn default_page_is_100_and_paging_is_opaque_and_complete() {
    let env = Env::with(SandboxConfig {
        extra_apps: 160,
        ..SandboxConfig::default()
    })
    .await;
    let total = env.control().app_count();
    let first = env.get("applications").await;
    assert_eq!(first.values().len(), 100);
    assert!(first.body["@odata.nextLink"].is_string());

    let r = env.get("applications?$top=17&$select=id,displayName").await;
    let next = r.body["@odata.nextLink"].as_str().expect("nextLink");
    assert!(
        next.starts_with(&format!("{}/v1.0/applications?", env.origin())),
        "{next}"
    );
    assert!(next.contains("$top=17"), "{next}");
    assert!(next.contains("$select=id,displayName"), "{next}");
    let token = next.split("$skiptoken=").nth(1).expect("a $skiptoken");
    assert!(
        token.parse::<u64>().is_err() && !token.contains("17"),
        "{token}"
    );

    let (items, pages) = env
        .all_pages("applications?$top=17&$select=id,displayName")
        .await;
    assert_eq!(items.len(), total);
    assert_eq!(pages, total.div_ceil(17));
    let ids: HashSet<&str> = items.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), total, "no duplicates");

    // A tampered token is refused.
    let bad = format!("{}x", next);
    assert_eq!(env.get(&bad).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn top_bounds() {
    let env = Env::new().await;
    for n in ["0", "1000", "-1"] {
        let r = env.get(&format!("applications?$top={n}")).await;
        assert_graph_error(
            &r,
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            &format!("Invalid page size specified: '{n}'. Must be between 1 and 999 inclusive."),
        );
    }
    for n in [1, 999] {
        assert_eq!(
            env.get(&format!("applications?$top={n}")).await.status,
            StatusCode::OK
        );
    }
    let r = env.get("applications?$skip=5").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn select_projects_and_names_the_context() {
    let env = Env::new().await;
    let r = env
        .get("applications?$select=id,appId,displayName,passwordCredentials")
        .await;
    assert_eq!(
        r.body["@odata.context"],
        format!(
            "{}/v1.0/$metadata#applications(id,appId,displayName,passwordCredentials)",
            env.origin()
        )
    );
    for app in r.values() {
        let keys: HashSet<&str> = app
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            HashSet::from(["id", "appId", "displayName", "passwordCredentials"])
        );
    }
    let r = env.get("applications?$select=id,bogus").await;
    assert_graph_error(
        &r,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "Could not find a property named 'bogus' on type 'microsoft.graph.application'.",
    );
}

#[tokio::test]
async fn list_items_carry_full_credentials_with_null_secret_text() {
    let env = Env::new().await;
    let (items, _) = env.all_pages("applications").await;
    let mut seen = 0;
    for app in &items {
        for key in [
            "id",
            "appId",
            "displayName",
            "createdDateTime",
            "signInAudience",
            "publisherDomain",
            "keyCredentials",
            "web",
            "api",
        ] {
            assert!(app.get(key).is_some(), "{key} in {app}");
        }
        assert_eq!(fraction_digits(app["createdDateTime"].as_str().unwrap()), 0);
        for p in app["passwordCredentials"].as_array().unwrap() {
            seen += 1;
            let keys: HashSet<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                HashSet::from([
                    "customKeyIdentifier",
                    "displayName",
                    "endDateTime",
                    "hint",
                    "keyId",
                    "secretText",
                    "startDateTime"
                ])
            );
            assert!(p["secretText"].is_null());
        }
    }
    assert!(seen > 40);
}

#[tokio::test]
async fn filters() {
    let env = Env::new().await;
    let (id, app_id) = seed_app("O'Brien's expense tracker");
    // Raw, percent-encoded, and differently cased.
    for q in [
        "applications?$filter=startswith(displayName,'O''Brien')",
        "applications?$filter=startswith%28displayName%2C%27O%27%27Brien%27%29",
        "applications?$filter=startswith(displayName, 'o''brien')",
        "applications?$filter=displayName eq 'o''brien''s EXPENSE tracker'",
        &format!("applications?$filter=appId eq '{app_id}'"),
        &format!(
            "applications?$filter=appId%20eq%20'{}'",
            app_id.to_uppercase()
        ),
        &format!("applications?$filter=id eq '{id}'"),
    ] {
        let r = env.get(q).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
        assert_eq!(r.values().len(), 1, "{q}");
        assert_eq!(r.values()[0]["id"], id.as_str());
    }
    // An appId is not an object id.
    let r = env
        .get(&format!("applications?$filter=id eq '{app_id}'"))
        .await;
    assert!(r.values().is_empty());
    let r = env
        .get("applications?$filter=startswith(displayName,'zzz-none')")
        .await;
    assert_eq!(
        r.body,
        json!({"@odata.context": format!("{}/v1.0/$metadata#applications", env.origin()), "value": []})
    );
    let r = env
        .get("applications?$filter=startswith(displayName,'contoso-billing')")
        .await;
    assert_eq!(r.values().len(), 2);

    for q in [
        "applications?$filter=endswith(displayName,'x')",
        "applications?$filter=displayName ne 'x'",
        "applications?$filter=startswith(displayName,'x",
        "applications?$filter=notes eq 'x'",
    ] {
        let r = env.get(q).await;
        assert_graph_error(
            &r,
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Unsupported Query.",
        );
    }
    // `contains` has its own words (docs/contract.md §9).
    let r = env
        .get("applications?$filter=contains(displayName,'x')")
        .await;
    assert_graph_error(
        &r,
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        "Unsupported property filter clause operator 'Contains'.",
    );
}

#[tokio::test]
async fn search_needs_consistency_level_and_matches_tokens() {
    let env = Env::new().await;
    let r = env
        .get("applications?$search=\"displayName:billing\"")
        .await;
    assert_graph_error(
        &r,
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    );
    let r = env
        .get_eventual("applications?$search=\"displayName:billing\"&$select=displayName")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let names: Vec<&str> = r
        .values()
        .iter()
        .map(|a| a["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| n.contains("billing")));
    // Token-based: no substring matches.
    let r = env
        .get_eventual("applications?$search=\"displayName:illing\"")
        .await;
    assert!(r.values().is_empty());
    let r = env
        .get_eventual("applications?$search=\"displayName:billing\" OR \"displayName:payments\"")
        .await;
    assert_eq!(r.values().len(), 3);
}

#[tokio::test]
async fn count_rules() {
    let env = Env::new().await;
    let total = env.control().app_count();
    let r = env.get("applications?$count=true&$top=5").await;
    assert!(
        r.body.get("@odata.count").is_none(),
        "ignored without the header"
    );
    let r = env.get_eventual("applications?$count=true&$top=5").await;
    assert_eq!(r.body["@odata.count"], total);
    let next = r.body["@odata.nextLink"].as_str().unwrap().to_owned();
    let r2 = env
        .send(
            env.http
                .get(&next)
                .bearer_auth(&env.token)
                .header("ConsistencyLevel", "eventual"),
        )
        .await;
    assert_eq!(r2.status, StatusCode::OK);
    assert!(r2.body.get("@odata.count").is_none(), "first page only");

    let r = env.get("applications/$count").await;
    assert_graph_error(
        &r,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "$count is not currently supported.",
    );
    let r = env.get_eventual("applications/$count").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    assert_eq!(r.text, total.to_string());
}

#[tokio::test]
async fn orderby_needs_advanced_query() {
    let env = Env::new().await;
    for (q, eventual) in [
        ("applications?$orderby=displayName", false),
        ("applications?$orderby=displayName", true),
        ("applications?$orderby=displayName&$count=true", false),
    ] {
        let r = if eventual {
            env.get_eventual(q).await
        } else {
            env.get(q).await
        };
        assert_graph_error(
            &r,
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Sorting not supported for current query.",
        );
    }
    let r = env
        .get_eventual(
            "applications?$orderby=displayName desc&$count=true&$select=displayName&$top=999",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let names: Vec<String> = r
        .values()
        .iter()
        .map(|a| a["displayName"].as_str().unwrap().to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(names, sorted);
}

// ---------------------------------------------------------------------------------------------
// Single application

#[tokio::test]
async fn get_by_id_and_app_id() {
    let env = Env::new().await;
    let (id, app_id) = seed_app("contoso-billing-api (prod)");
    let a = env.get(&format!("applications/{id}")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_success_headers(&a);
    assert_eq!(
        a.body["@odata.context"],
        format!("{}/v1.0/$metadata#applications/$entity", env.origin())
    );
    let b = env.get(&format!("applications(appId='{app_id}')")).await;
    assert_eq!(b.status, StatusCode::OK);
    assert_eq!(a.body["id"], b.body["id"]);
    let c = env
        .get(&format!(
            "applications(appId=%27{app_id}%27)?$select=id,appId"
        ))
        .await;
    assert_eq!(
        c.body["@odata.context"],
        format!(
            "{}/v1.0/$metadata#applications(id,appId)/$entity",
            env.origin()
        )
    );
    assert_eq!(c.body.as_object().unwrap().len(), 3);
    assert!(a.body["passwordCredentials"][0]["secretText"].is_null());

    let r = env.get(&format!("applications/{app_id}")).await;
    assert_graph_error(
        &r,
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{app_id}' does not exist or one of its queried reference-property objects are not present."
        ),
    );
    let r = env
        .get("applications(appId='00000000-0000-0000-0000-000000000000')")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = env.get("applications/1234").await;
    assert_graph_error(
        &r,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "Invalid object identifier '1234'.",
    );
}

#[tokio::test]
async fn federated_credentials() {
    let env = Env::new().await;
    let (id, app_id) = seed_app("github-deployer");
    let r = env
        .get(&format!("applications/{id}/federatedIdentityCredentials"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["@odata.context"],
        format!(
            "{}/v1.0/$metadata#applications('{id}')/federatedIdentityCredentials",
            env.origin()
        )
    );
    let fic = &r.values()[0];
    for k in [
        "id",
        "name",
        "issuer",
        "subject",
        "description",
        "audiences",
    ] {
        assert!(fic.get(k).is_some());
    }
    assert_eq!(fic["audiences"], json!(["api://AzureADTokenExchange"]));
    let r = env
        .get(&format!(
            "applications(appId='{app_id}')/federatedIdentityCredentials"
        ))
        .await;
    assert_eq!(r.values().len(), 4);
}

// ---------------------------------------------------------------------------------------------
// addPassword / removePassword

#[tokio::test]
async fn add_password_shape_and_defaults() {
    let env = Env::new().await;
    let (id, _) = seed_app("hr-portal-web");
    let before = Utc::now();
    let r = env
        .add_password(&id, &json!({"passwordCredential": {"displayName": "ci"}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_success_headers(&r);
    assert_eq!(
        r.body["@odata.context"],
        format!(
            "{}/v1.0/$metadata#microsoft.graph.passwordCredential",
            env.origin()
        )
    );
    let secret = r.body["secretText"].as_str().unwrap();
    assert!(is_new_secret_format(secret), "{secret}");
    assert_eq!(r.body["hint"], &secret[..3]);
    assert!(is_guid(r.body["keyId"].as_str().unwrap()));
    assert_eq!(r.body["displayName"], "ci");
    assert!(r.body["customKeyIdentifier"].is_null());
    let start_s = r.body["startDateTime"].as_str().unwrap();
    assert_eq!(fraction_digits(start_s), 7, "{start_s}");
    let start = time(&r.body["startDateTime"]);
    assert!(start >= before - chrono::Duration::seconds(1) && start <= Utc::now());
    let end = time(&r.body["endDateTime"]);
    assert_eq!(end, start.checked_add_months(Months::new(24)).unwrap());

    // Shown once: reads have null secretText and the hint.
    let a = env.get(&format!("applications/{id}")).await;
    let p = &a.body["passwordCredentials"][0];
    assert_eq!(p["keyId"], r.body["keyId"]);
    assert!(p["secretText"].is_null());
    assert_eq!(p["hint"], &secret[..3]);
    assert!(!a.text.contains(secret));
    assert_eq!(env.control().requests(Route::AddPassword), 1);
}

#[tokio::test]
async fn add_password_echoes_precision_and_accepts_empty_bodies() {
    let env = Env::new().await;
    let (id, app_id) = seed_app("inventory-sync");
    let r = env
        .post(
            &format!("applications(appId='{app_id}')/addPassword"),
            &json!({"passwordCredential": {"displayName": null,
                "startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2026-07-01T00:00:00Z",
                "keyId": "88888888-0000-0000-0000-000000000001", "secretText": "chosen"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["startDateTime"], "2026-01-01T00:00:00Z");
    assert_eq!(r.body["endDateTime"], "2026-07-01T00:00:00Z");
    assert!(r.body["displayName"].is_null());
    assert_ne!(r.body["secretText"], "chosen");
    assert_ne!(r.body["keyId"], "88888888-0000-0000-0000-000000000001");

    let r = env
        .add_password(
            &id,
            &json!({"passwordCredential": {"startDateTime": "2023-08-23T12:36:18.018157+00:00",
                "endDateTime": "2024-08-23T12:36:18.018157+00:00"}}),
        )
        .await;
    assert_eq!(r.body["startDateTime"], "2023-08-23T12:36:18.018157Z");
    assert_eq!(r.body["endDateTime"], "2024-08-23T12:36:18.018157Z");

    for body in [json!({}), json!({"passwordCredential": {}})] {
        let r = env.add_password(&id, &body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.body["displayName"].is_null());
    }
    let r = env
        .send(
            env.http
                .post(env.url(&format!("applications/{id}/addPassword")))
                .bearer_auth(&env.token)
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn two_secret_cap_for_personal_accounts() {
    let env = Env::new().await;
    let (full, _) = seed_app("Contoso Rewards mobile (personal accounts)");
    let r = env.add_password(&full, &json!({})).await;
    assert_graph_error(
        &r,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "You can only add a maximum of 2 encrypted credentials.",
    );
    let (one, _) = seed_app("Game companion (MSA only)");
    let r = env.add_password(&one, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = env.add_password(&one, &json!({})).await;
    assert_eq!(
        r.error_message(),
        "You can only add a maximum of 2 encrypted credentials."
    );
}

fn seed_policy_id(restriction: &str) -> String {
    seed()["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["passwordCredentials"][0]["restrictionType"] == restriction)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn app_management_policies() {
    let env = Env::new().await;
    let lifetime_policy = seed_policy_id("passwordLifetime");
    let (capped, _) = seed_app("finance-ledger-api");
    // The 2-year default exceeds the 90-day cap.
    let r = env.add_password(&capped, &json!({})).await;
    assert_graph_error(
        &r,
        StatusCode::BAD_REQUEST,
        "CredentialInvalidLifetimeAsPerAppPolicy",
        &format!(
            "Credential lifetime exceeds the max value allowed as per assigned policy '{lifetime_policy}'."
        ),
    );
    let now = Utc::now();
    let ok_body = json!({"passwordCredential": {
        "startDateTime": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "endDateTime": (now + chrono::Duration::days(90)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)}});
    let r = env.add_password(&capped, &ok_body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let (blocked, _) = seed_app("restricted-partner-portal");
    let r = env.add_password(&blocked, &ok_body).await;
    assert_graph_error(
        &r,
        StatusCode::BAD_REQUEST,
        "CredentialTypeNotAllowedAsPerAppPolicy",
        &format!(
            "Password addition is not allowed as per assigned policy '{}'.",
            seed_policy_id("passwordAddition")
        ),
    );
    // Created before the policy's restrictForAppsCreatedAfterDateTime: not restricted.
    let (older, _) = seed_app("pre-policy-archive-app");
    let r = env.add_password(&older, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn write_protected_apps_refuse_the_user() {
    let env = Env::new().await;
    let (id, _) = seed_app("corp-it-directory-sync (IT managed)");
    let key = env.control().password_credentials(&id).unwrap()[0]
        .key_id
        .clone();
    let before = env.control().password_credentials(&id).unwrap().len();
    for r in [
        env.add_password(&id, &json!({})).await,
        env.post(
            &format!("applications/{id}/removePassword"),
            &json!({"keyId": key}),
        )
        .await,
    ] {
        assert_graph_error(
            &r,
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        );
    }
    assert_eq!(
        env.control().password_credentials(&id).unwrap().len(),
        before
    );
    // Reads still work.
    assert_eq!(
        env.get(&format!("applications/{id}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn remove_password() {
    let env = Env::new().await;
    let (id, app_id) = seed_app("orders-worker (prod)");
    let key = env.control().password_credentials(&id).unwrap()[1]
        .key_id
        .clone();
    let r = env
        .post(
            &format!("applications/{id}/removePassword"),
            &json!({"keyId": key}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.text.is_empty());
    assert!(r.header("content-type").is_none());
    assert!(r.header("request-id").is_some());
    assert!(
        !env.control()
            .password_credentials(&id)
            .unwrap()
            .iter()
            .any(|p| p.key_id == key)
    );
    let r = env
        .post(
            &format!("applications(appId='{app_id}')/removePassword"),
            &json!({"keyId": key}),
        )
        .await;
    assert_graph_error(
        &r,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        &format!("No password credential found with keyId {key}."),
    );
    let r = env
        .post(
            "applications/00000000-0000-0000-0000-000000000000/removePassword",
            &json!({"keyId": key}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "Request_ResourceNotFound");
}

// ---------------------------------------------------------------------------------------------
// Create, me, ownedObjects, organization

#[tokio::test]
async fn create_application() {
    let env = Env::new().await;
    let r = env
        .post(
            "applications",
            &json!({"displayName": "new app from test", "signInAudience": "AzureADMultipleOrgs",
                    "web": {"redirectUris": ["https://localhost:5001/signin-oidc"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_success_headers(&r);
    assert_eq!(
        r.body["@odata.context"],
        format!("{}/v1.0/$metadata#applications/$entity", env.origin())
    );
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert!(is_guid(&id) && is_guid(r.body["appId"].as_str().unwrap()));
    assert_eq!(r.body["signInAudience"], "AzureADMultipleOrgs");
    assert_eq!(r.body["passwordCredentials"], json!([]));
    assert_eq!(
        r.body["web"]["redirectUris"],
        json!(["https://localhost:5001/signin-oidc"])
    );
    assert_eq!(
        fraction_digits(r.body["createdDateTime"].as_str().unwrap()),
        7
    );
    let location = r.header("location").unwrap();
    assert!(location.contains(&format!(
        "/directoryObjects/{id}/Microsoft.DirectoryServices.Application"
    )));

    let d = env
        .post("applications", &json!({"displayName": "defaults"}))
        .await;
    assert_eq!(d.body["signInAudience"], "AzureADMyOrg");

    // The creator owns it.
    let owned = env
        .get("me/ownedObjects/microsoft.graph.application?$select=id,displayName&$top=999")
        .await;
    assert!(owned.values().iter().any(|a| a["id"] == id.as_str()));

    for bad in [
        json!({}),
        json!({"displayName": ""}),
        json!({"displayName": "x".repeat(257)}),
        json!({"displayName": "x", "signInAudience": "Everyone"}),
        json!({"displayName": "x", "web": {"redirectUris": ["not a url"]}}),
    ] {
        let r = env.post("applications", &bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.error_code(), "Request_BadRequest", "{bad}");
        assert!(!r.error_message().is_empty());
    }
    assert_eq!(env.control().requests(Route::CreateApplication), 7);
}

#[tokio::test]
async fn me_and_owned_objects() {
    let env = Env::new().await;
    let r = env.get("me").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["@odata.context"],
        format!("{}/v1.0/$metadata#users/$entity", env.origin())
    );
    assert_eq!(r.body.as_object().unwrap().len(), 12);
    assert_eq!(r.body["displayName"], "Sandra Box");
    assert_eq!(
        r.body["userPrincipalName"],
        "sandra@contoso-sandbox.onmicrosoft.com"
    );

    let r = env.get("me/ownedObjects?$top=999").await;
    assert_eq!(
        r.body["@odata.context"],
        format!("{}/v1.0/$metadata#directoryObjects", env.origin())
    );
    assert!(!r.values().is_empty());
    for o in r.values() {
        assert_eq!(o["@odata.type"], "#microsoft.graph.application");
    }
    let owned: HashSet<&str> = r
        .values()
        .iter()
        .map(|o| o["displayName"].as_str().unwrap())
        .collect();
    assert!(owned.contains("contoso-billing-api (prod)"));
    assert!(!owned.contains("marketing-cms (prod)"));

    let app_only = env.control().issue_app_only_token();
    for path in [
        "me",
        "me/ownedObjects",
        "me/ownedObjects/microsoft.graph.application",
    ] {
        let r = env.get_as(path, app_only.expose_secret()).await;
        assert_graph_error(
            &r,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
        );
    }
}

#[tokio::test]
async fn organization() {
    let env = Env::new().await;
    let app_only = env.control().issue_app_only_token();
    let r = env.get_as("organization", app_only.expose_secret()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.values().len(), 1);
    let org = &r.values()[0];
    assert_eq!(org["id"], env.sb.tenant_id.as_str());
    assert_eq!(org["displayName"], "Contoso Sandbox");
    assert_eq!(org["tenantType"], "AAD");
    assert!(org["createdDateTime"].is_string());
    assert_eq!(
        org["verifiedDomains"][0]["name"],
        "contoso-sandbox.onmicrosoft.com"
    );
    assert_eq!(org["verifiedDomains"][0]["isDefault"], true);

    let r = env
        .get("organization?$select=id,displayName,verifiedDomains")
        .await;
    assert_eq!(
        r.body["@odata.context"],
        format!(
            "{}/v1.0/$metadata#organization(id,displayName,verifiedDomains)",
            env.origin()
        )
    );
    assert_eq!(r.values()[0].as_object().unwrap().len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Token endpoint

fn automation() -> (String, String) {
    let s = seed();
    (
        s["automation"]["appId"].as_str().unwrap().to_owned(),
        s["automation"]["clientSecret"].as_str().unwrap().to_owned(),
    )
}

fn oauth_code(r: &Reply) -> (&str, Vec<u64>) {
    (
        r.body["error"].as_str().unwrap_or(""),
        r.body["error_codes"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default(),
    )
}

#[tokio::test]
async fn client_credentials() {
    let env = Env::new().await;
    let tenant = env.sb.tenant_id.clone();
    let (client_id, secret) = automation();
    let scope = "https://graph.microsoft.com/.default";
    let r = env
        .client_credentials(&tenant, &client_id, &secret, scope)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["token_type"], "Bearer");
    assert!(r.body["expires_in"].is_u64());
    assert!(r.body.get("refresh_token").is_none());
    let sp_token = r.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        env.get_as("applications?$top=1", &sp_token).await.status,
        StatusCode::OK
    );
    assert_eq!(
        env.get_as("me", &sp_token).await.status,
        StatusCode::BAD_REQUEST
    );

    // Also by domain and with the sandbox's own origin as the resource.
    let own_scope = format!("{}/.default", env.origin());
    let r = env
        .client_credentials(
            "contoso-sandbox.onmicrosoft.com",
            &client_id,
            &secret,
            &own_scope,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // A secret created through addPassword signs its app in, until removed.
    let (id, app_id) = seed_app("terraform-ci");
    let added = env.add_password(&id, &json!({})).await;
    let new_secret = added.body["secretText"].as_str().unwrap().to_owned();
    let key = added.body["keyId"].as_str().unwrap().to_owned();
    let r = env
        .client_credentials(&tenant, &app_id, &new_secret, scope)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // That app holds no Graph permissions.
    let t = r.body["access_token"].as_str().unwrap();
    assert_eq!(
        env.get_as("applications", t).await.status,
        StatusCode::FORBIDDEN
    );

    let r = env
        .client_credentials(&tenant, &app_id, "wrong", scope)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(oauth_code(&r), ("invalid_client", vec![7000215]));
    assert!(
        r.body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215: ")
    );
    assert!(r.body["timestamp"].as_str().unwrap().contains(' '));
    for k in ["trace_id", "correlation_id"] {
        assert!(is_guid(r.body[k].as_str().unwrap()));
    }

    env.post(
        &format!("applications/{id}/removePassword"),
        &json!({"keyId": key}),
    )
    .await;
    let r = env
        .client_credentials(&tenant, &app_id, &new_secret, scope)
        .await;
    assert_eq!(oauth_code(&r), ("invalid_client", vec![7000215]));

    // An expired secret.
    let expired = env
        .add_password(
            &id,
            &json!({"passwordCredential": {"startDateTime": "2020-01-01T00:00:00Z", "endDateTime": "2021-01-01T00:00:00Z"}}),
        )
        .await;
    let expired = expired.body["secretText"].as_str().unwrap();
    let r = env
        .client_credentials(&tenant, &app_id, expired, scope)
        .await;
    assert_eq!(oauth_code(&r), ("invalid_client", vec![7000222]));

    // Scope rules and authority rules.
    let r = env
        .client_credentials(
            &tenant,
            &client_id,
            &secret,
            "https://graph.microsoft.com/Application.ReadWrite.All",
        )
        .await;
    assert_eq!(oauth_code(&r).0, "invalid_scope");
    let r = env
        .client_credentials("common", &client_id, &secret, scope)
        .await;
    assert_eq!(oauth_code(&r), ("invalid_request", vec![9001023]));
    let r = env
        .client_credentials(
            &tenant,
            "00000000-0000-0000-0000-000000000001",
            &secret,
            scope,
        )
        .await;
    assert_eq!(oauth_code(&r), ("unauthorized_client", vec![700016]));
    let r = env
        .client_credentials("not-a-tenant", &client_id, &secret, scope)
        .await;
    assert_eq!(oauth_code(&r).1, vec![90002]);
}

const GRAPH_CLI: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
const DEVICE_SCOPE: &str = "Application.ReadWrite.All User.Read offline_access";

async fn device_start(env: &Env, tenant: &str) -> Value {
    let r = env
        .form(
            &format!("{tenant}/oauth2/v2.0/devicecode"),
            &[("client_id", GRAPH_CLI), ("scope", DEVICE_SCOPE)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn device_poll(env: &Env, code: &str) -> Reply {
    env.form(
        "organizations/oauth2/v2.0/token",
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", GRAPH_CLI),
            ("device_code", code),
        ],
    )
    .await
}

#[tokio::test]
async fn device_code_pending_then_success_then_refresh_rotation() {
    let env = Env::with(SandboxConfig {
        device_polls: 3,
        device_interval_secs: 1,
        ..SandboxConfig::default()
    })
    .await;
    let d = device_start(&env, "common").await;
    let user_code = d["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert!(
        user_code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    );
    assert_eq!(d["interval"], 1);
    assert_eq!(d["expires_in"], 900);
    assert!(d["verification_uri"].is_string());
    assert!(d.get("verification_uri_complete").is_none());
    assert!(d["message"].as_str().unwrap().contains(user_code));
    let code = d["device_code"].as_str().unwrap();
    for _ in 0..3 {
        let r = device_poll(&env, code).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(oauth_code(&r), ("authorization_pending", vec![70016]));
    }
    let r = device_poll(&env, code).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for k in [
        "access_token",
        "refresh_token",
        "expires_in",
        "scope",
        "token_type",
    ] {
        assert!(r.body.get(k).is_some(), "{k}");
    }
    assert!(r.body["expires_in"].is_u64());
    let at = r.body["access_token"].as_str().unwrap();
    assert_eq!(env.get_as("me", at).await.body["displayName"], "Sandra Box");
    // A device code is redeemed once.
    assert_eq!(
        oauth_code(&device_poll(&env, code).await).0,
        "bad_verification_code"
    );

    let rt1 = r.body["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |rt: String| {
        let env = &env;
        async move {
            env.form(
                "organizations/oauth2/v2.0/token",
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", GRAPH_CLI),
                    ("refresh_token", &rt),
                    ("scope", DEVICE_SCOPE),
                ],
            )
            .await
        }
    };
    let r2 = refresh(rt1.clone()).await;
    assert_eq!(r2.status, StatusCode::OK, "{}", r2.text);
    let rt2 = r2.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert_eq!(
        env.get_as("me", r2.body["access_token"].as_str().unwrap())
            .await
            .status,
        StatusCode::OK
    );
    let old = refresh(rt1).await;
    assert_eq!(old.status, StatusCode::BAD_REQUEST);
    assert_eq!(oauth_code(&old), ("invalid_grant", vec![70000]));
    assert_eq!(refresh(rt2).await.status, StatusCode::OK);
}

#[tokio::test]
async fn device_code_outcomes() {
    for (outcome, expect) in [
        (DeviceOutcome::Decline, "authorization_declined"),
        (DeviceOutcome::Expire, "expired_token"),
    ] {
        let env = Env::with(SandboxConfig {
            device_polls: 1,
            device_outcome: outcome,
            ..SandboxConfig::default()
        })
        .await;
        let d = device_start(&env, &env.sb.tenant_id).await;
        let code = d["device_code"].as_str().unwrap();
        assert_eq!(
            oauth_code(&device_poll(&env, code).await).0,
            "authorization_pending"
        );
        let r = device_poll(&env, code).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(oauth_code(&r).0, expect);
        if outcome == DeviceOutcome::Expire {
            assert_eq!(oauth_code(&r).1, vec![70019]);
        }
    }

    let env = Env::with(SandboxConfig {
        device_polls: 0,
        device_outcome: DeviceOutcome::SlowDownThenApprove,
        ..SandboxConfig::default()
    })
    .await;
    let d = device_start(&env, "organizations").await;
    let code = d["device_code"].as_str().unwrap();
    assert_eq!(oauth_code(&device_poll(&env, code).await).0, "slow_down");
    assert_eq!(device_poll(&env, code).await.status, StatusCode::OK);

    let r = device_poll(&env, "no-such-code").await;
    assert_eq!(oauth_code(&r), ("bad_verification_code", vec![70018]));
    assert_eq!(env.control().requests(Route::DeviceCode), 1);
    assert_eq!(env.control().requests(Route::Token), 3);
}

#[tokio::test]
async fn device_code_refresh_token_needs_offline_access() {
    let env = Env::with(SandboxConfig {
        device_polls: 0,
        ..SandboxConfig::default()
    })
    .await;
    let r = env
        .form(
            "common/oauth2/v2.0/devicecode",
            &[("client_id", GRAPH_CLI), ("scope", "User.Read")],
        )
        .await;
    let code = r.body["device_code"].as_str().unwrap().to_owned();
    let r = device_poll(&env, &code).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.get("refresh_token").is_none());
    // User.Read alone cannot list applications.
    let at = r.body["access_token"].as_str().unwrap();
    assert_eq!(
        env.get_as("applications", at).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(env.get_as("me", at).await.status, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// Faults

#[tokio::test]
async fn throttle_every_nth() {
    let env = Env::with(SandboxConfig {
        throttle_every: Some(3),
        throttle_retry_after: 7,
        ..SandboxConfig::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = env.get("organization").await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.header("retry-after"), Some("7"));
            assert_eq!(r.error_code(), "TooManyRequests");
            assert_eq!(r.error_message(), "Please retry again later.");
            assert_eq!(r.body["error"]["innerError"]["code"], "429");
            assert!(r.header("request-id").is_some());
        }
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 429, 200, 200, 429]);
    assert_eq!(env.control().requests(Route::Organization), 6);

    env.control().set_faults(Faults::none());
    assert_eq!(env.get("organization").await.status, StatusCode::OK);
}

#[tokio::test]
async fn fail_rate_answers_5xx() {
    let env = Env::with(SandboxConfig {
        fail_rate: 1.0,
        ..SandboxConfig::default()
    })
    .await;
    for _ in 0..12 {
        let r = env.get("organization").await;
        assert!(matches!(r.status.as_u16(), 500 | 503 | 504), "{}", r.status);
        assert!(!r.error_code().is_empty());
        if r.status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(r.header("retry-after").is_some());
        }
    }
}

#[tokio::test]
async fn dropped_add_password_reply_still_creates_the_secret() {
    let env = Env::with(SandboxConfig {
        drop_add_password: 1,
        ..SandboxConfig::default()
    })
    .await;
    let (id, _) = seed_app("keyvault-rotator");
    let before = env.control().password_credentials(&id).unwrap().len();
    let resp = env
        .http
        .post(env.url(&format!("applications/{id}/addPassword")))
        .bearer_auth(&env.token)
        .json(&json!({"passwordCredential": {"displayName": "lost"}}))
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.is_err(), "the body cannot be read");
    let after = env.control().password_credentials(&id).unwrap();
    assert_eq!(after.len(), before + 1);
    assert_eq!(after[0].display_name.as_deref(), Some("lost"));
    assert_eq!(env.control().requests(Route::AddPassword), 1);

    // Only the first one is lost.
    let r = env.add_password(&id, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["secretText"].is_string());
}

#[tokio::test]
async fn latency_is_added() {
    let env = Env::with(SandboxConfig {
        latency: Duration::from_millis(150),
        ..SandboxConfig::default()
    })
    .await;
    let t = Instant::now();
    env.get("organization").await;
    assert!(t.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn dropping_the_sandbox_stops_it() {
    let env = Env::new().await;
    let url = env.url("organization");
    let token = env.token.clone();
    drop(env.sb);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let fresh = reqwest::Client::new();
    assert!(fresh.get(url).bearer_auth(token).send().await.is_err());
}

// ---------------------------------------------------------------------------------------------
// Scale

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_thousand_apps_list_completely() {
    let t = Instant::now();
    let sb = start(SandboxConfig {
        extra_apps: 50_000,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let started = t.elapsed();
    let token = sb.access_token.expose_secret().to_owned();
    let env = Env {
        sb,
        http: reqwest::Client::new(),
        token,
    };
    let total = env.control().app_count();
    assert!(total >= 50_000);
    let t = Instant::now();
    let (items, pages) = env
        .all_pages("applications?$top=999&$select=id,appId,displayName,createdDateTime,signInAudience,passwordCredentials,keyCredentials")
        .await;
    let listed = t.elapsed();
    assert_eq!(items.len(), total);
    assert_eq!(pages, total.div_ceil(999));
    eprintln!("50k: start {started:?}, list {listed:?} in {pages} pages");
    // Generous bounds for unoptimised test builds; the benchmark measures release builds.
    assert!(started < Duration::from_secs(5), "{started:?}");
    assert!(listed < Duration::from_secs(60), "{listed:?}");

    let r = env
        .get("applications?$filter=startswith(displayName,'contoso-billing')&$top=999")
        .await;
    assert!(r.values().len() > 2);
}

// ---------------------------------------------------------------------------------------------
// The seed tenant covers every state the UI shows

#[tokio::test]
async fn seed_covers_every_state() {
    let env = Env::new().await;
    let (apps, _) = env.all_pages("applications?$top=999").await;
    assert!((35..=50).contains(&apps.len()), "{}", apps.len());
    let now = Utc::now();
    let mut states: HashSet<&str> = HashSet::new();
    for app in &apps {
        let name = app["displayName"].as_str().unwrap();
        let secrets = app["passwordCredentials"].as_array().unwrap();
        let certs = app["keyCredentials"].as_array().unwrap();
        match secrets.len() {
            0 => states.insert("no secrets"),
            1 => states.insert("one secret"),
            _ => states.insert("several secrets"),
        };
        for s in secrets {
            let end = time(&s["endDateTime"]);
            let start = time(&s["startDateTime"]);
            let days = (end - now).num_hours() as f64 / 24.0;
            states.insert(if days < 0.0 {
                "expired"
            } else if days <= 7.0 {
                "<=7"
            } else if days <= 30.0 {
                "<=30"
            } else if days <= 90.0 {
                "<=90"
            } else {
                "ok"
            });
            if end - start > chrono::Duration::days(731) {
                states.insert("long-lived");
            }
            if s["endDateTime"] == "2299-12-31T23:59:59Z" {
                states.insert("never");
            }
            if s["displayName"].is_null() && s["customKeyIdentifier"] == "//5yAGIAYQBjAA==" {
                states.insert("legacy utf16");
            }
            if s["displayName"].is_null()
                && s["customKeyIdentifier"].is_string()
                && s["customKeyIdentifier"] != "//5yAGIAYQBjAA=="
            {
                states.insert("legacy other");
            }
            if s["hint"].is_null() {
                states.insert("hint null");
            }
            if start > now {
                states.insert("not yet valid");
            }
        }
        for c in certs {
            let thumb = c["customKeyIdentifier"].as_str().unwrap();
            assert_eq!(thumb.len(), 40);
            assert!(
                thumb
                    .chars()
                    .all(|ch| ch.is_ascii_hexdigit() && !ch.is_ascii_lowercase())
            );
            assert_eq!(c["type"], "AsymmetricX509Cert");
            assert_eq!(c["usage"], "Verify");
            assert!(c["key"].is_null());
            states.insert("certificate");
        }
        let audience = app["signInAudience"].as_str().unwrap();
        if audience == "AzureADandPersonalMicrosoftAccount"
            || audience == "PersonalMicrosoftAccount"
        {
            states.insert(if secrets.len() >= 2 {
                "msa at cap"
            } else {
                "msa below cap"
            });
        }
        if name.contains('\'') {
            states.insert("apostrophe");
        }
        if !name.is_ascii() {
            states.insert("non-ascii");
        }
        if name.chars().count() == 120 {
            states.insert("120 chars");
        }
        let fics = env
            .get(&format!(
                "applications/{}/federatedIdentityCredentials",
                app["id"].as_str().unwrap()
            ))
            .await;
        for f in fics.values() {
            let issuer = f["issuer"].as_str().unwrap();
            if issuer.contains("token.actions.githubusercontent.com") {
                states.insert("fic github");
            }
            if f["subject"]
                .as_str()
                .unwrap()
                .starts_with("system:serviceaccount:")
            {
                states.insert("fic kubernetes");
            }
        }
    }
    let owned = env
        .get("me/ownedObjects/microsoft.graph.application?$top=999")
        .await;
    let owned = owned.values().len();
    assert!(owned > 0 && owned < apps.len(), "owned and not owned");

    let s = seed();
    let seed_apps = s["apps"].as_array().unwrap();
    assert!(seed_apps.iter().any(|a| a["writeProtected"] == true));
    assert!(seed_apps.iter().any(|a| a["policy"].is_string()));
    assert!(
        seed_apps
            .iter()
            .any(|a| a["displayName"] == "contoso-billing-api (prod)")
    );

    for state in [
        "no secrets",
        "one secret",
        "several secrets",
        "expired",
        "<=7",
        "<=30",
        "<=90",
        "ok",
        "long-lived",
        "never",
        "legacy utf16",
        "legacy other",
        "hint null",
        "certificate",
        "msa at cap",
        "msa below cap",
        "apostrophe",
        "non-ascii",
        "120 chars",
        "fic github",
        "fic kubernetes",
        "not yet valid",
    ] {
        assert!(states.contains(state), "seed lacks: {state}");
    }
}
