//! The client must parse every real Graph exchange recorded by the Azure CLI's tests
//! (`tests/fixtures/graph-recorded/`, copied from the shared fixtures with their README).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::path::PathBuf;

use azsecrets::graph::error::parse_api_error;
use azsecrets::graph::{
    AppRegistration, FederatedCredential, Me, NewClientSecret, ODataPage,
    decode_custom_key_identifier,
};
use serde_json::Value;

fn fixtures() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph-recorded");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (name, v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn body(v: &Value) -> String {
    serde_json::to_string(&v["response"]["body"]).unwrap()
}

#[test]
fn every_recording_parses_into_the_client_types() {
    let all = fixtures();
    assert_eq!(all.len(), 29, "all recorded exchanges are checked");
    let mut checked = 0;
    for (name, v) in &all {
        let status = v["response"]["status"].as_u64().unwrap() as u16;
        let method = v["request"]["method"].as_str().unwrap();
        let url = v["request"]["url"].as_str().unwrap();
        let b = body(v);
        if status >= 400 {
            let rid = v["response"]["headers"]["request-id"]
                .as_str()
                .map(str::to_owned);
            let e = parse_api_error("test", status, rid.clone(), None, None, &b);
            assert!(
                !e.code.is_empty() && e.code != format!("HTTP{status}"),
                "{name}: code"
            );
            assert!(!e.message.is_empty(), "{name}: message");
            assert!(e.request_id.is_some(), "{name}: request id");
            checked += 1;
            continue;
        }
        if v["response"]["body"].is_null() {
            assert_eq!(status, 204, "{name}: only 204s have no body");
            checked += 1;
            continue;
        }
        if url.contains("/addPassword") {
            let s: NewClientSecret =
                serde_json::from_str(&b).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!s.secret_text.is_empty(), "{name}");
            assert!(s.metadata.end_date_time.is_some(), "{name}");
            // Never print the value, even in a test.
            assert_eq!(format!("{:?}", s.secret_text), "[REDACTED]");
        } else if url.contains("federatedIdentityCredential") {
            if b.contains("\"value\"") {
                let p: ODataPage<FederatedCredential> =
                    serde_json::from_str(&b).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(!p.value.is_empty(), "{name}");
            } else {
                let f: FederatedCredential =
                    serde_json::from_str(&b).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(!f.issuer.is_empty(), "{name}");
            }
        } else if url.ends_with("/me") {
            let me: Me = serde_json::from_str(&b).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(me.user_principal_name.is_some(), "{name}");
        } else if url.contains("/owners") {
            let p: ODataPage<Value> =
                serde_json::from_str(&b).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!p.value.is_empty(), "{name}");
        } else if url.contains("applications?") {
            let p: ODataPage<AppRegistration> =
                serde_json::from_str(&b).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(p.next_link.is_none(), "{name}");
            for app in &p.value {
                assert!(!app.app_id.as_str().is_empty(), "{name}");
            }
        } else if url.contains("/applications") && (method == "GET" || method == "POST") {
            let app: AppRegistration =
                serde_json::from_str(&b).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!app.display_name.is_empty(), "{name}");
            for s in &app.password_credentials {
                assert!(s.end_date_time.is_some(), "{name}");
            }
        } else {
            panic!("{name}: no parser chosen for {method} {url}");
        }
        checked += 1;
    }
    assert_eq!(checked, all.len());
}

#[test]
fn fractional_and_plain_timestamps_both_parse() {
    let all = fixtures();
    let (_, v) = all
        .iter()
        .find(|(n, _)| n == "applications-list-filter-appId-fractional-dates-200.json")
        .unwrap();
    let p: ODataPage<AppRegistration> = serde_json::from_str(&body(v)).unwrap();
    let s = &p.value[0].password_credentials[0];
    assert!(s.start_date_time.unwrap().timestamp_subsec_micros() > 0);
}

#[test]
fn certificate_thumbprint_stays_opaque_and_key_is_ignored() {
    let all = fixtures();
    let (_, v) = all
        .iter()
        .find(|(n, _)| n == "applications-get-keyCredential-200.json")
        .unwrap();
    let app: AppRegistration = serde_json::from_str(&body(v)).unwrap();
    let cert = &app.key_credentials[0];
    let thumb = cert.custom_key_identifier.as_deref().unwrap();
    assert_eq!(thumb.len(), 40);
    assert!(thumb.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(cert.key_type.as_deref(), Some("AsymmetricX509Cert"));
}

#[test]
fn legacy_custom_key_identifier_from_old_az_decodes() {
    assert_eq!(
        decode_custom_key_identifier("//5yAGIAYQBjAA==").as_deref(),
        Some("rbac")
    );
}

#[test]
fn error_without_client_request_id_2020_parses() {
    let all = fixtures();
    let (_, v) = all
        .iter()
        .find(|(n, _)| n == "applications-get-404-2020.json")
        .unwrap();
    let e = parse_api_error("read the application", 404, None, None, None, &body(v));
    assert_eq!(e.code, "Request_ResourceNotFound");
    assert!(e.request_id.is_some(), "request-id comes from innerError");
    assert!(e.client_request_id.is_none());
}
