//! `azsecrets certs …` as real processes against a sandbox in this test process: list, add
//! (private keys refused), create (files 0600, checked before anything exists, the key never
//! printed), remove, exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azsecrets::certs::{self, KeyAlgorithm};
use azsecrets::sandbox::{Route, SandboxConfig};
use chrono::Utc;
use serde_json::Value;

mod cli_support;
use cli_support::{Env, code, stderr as err, stdout as out};

async fn env() -> Env {
    cli_support::env(SandboxConfig::default(), "200").await
}

const SIGNING: &str = "a270b967-985e-5a34-9317-52a29b306f69";

fn made(cn: &str) -> certs::SelfSigned {
    let now = Utc::now();
    certs::self_signed(
        cn,
        now - chrono::Duration::days(1),
        now + chrono::Duration::days(500),
        KeyAlgorithm::P256,
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_every_certificate_in_table_and_json() {
    let env = env().await;
    let o = env.cmd(&[
        "certs",
        "list",
        "--app",
        "contoso-signing-service",
        "--output",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for k in [
        "appName",
        "description",
        "thumbprint",
        "certificateId",
        "type",
        "usage",
        "startDateTime",
        "endDateTime",
        "daysLeft",
        "status",
    ] {
        assert!(rows[0].get(k).is_some(), "{k}");
    }
    let o = env.cmd(&["certs", "list", "--app", "contoso-signing-service"]);
    assert_eq!(code(&o), 0);
    let t = out(&o);
    assert!(
        t.contains("THUMBPRINT") && t.contains("Signing key (RSA) for partners"),
        "{t}"
    );
    assert!(err(&o).contains("3 certificate(s)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn add_uploads_a_public_certificate_and_keeps_the_others() {
    let env = env().await;
    let c = made("uploaded.example");
    let pem = env.dir.path().join("uploaded.pem");
    std::fs::write(&pem, &c.cert_pem).unwrap();
    let o = env.cmd(&[
        "certs",
        "add",
        "--app",
        SIGNING,
        "--file",
        pem.to_str().unwrap(),
        "--description",
        "uploaded from ci",
        "--output",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["thumbprint"], c.info.thumbprint());
    assert_eq!(v["subject"], "CN=uploaded.example");
    assert_eq!(v["description"], "uploaded from ci");
    let held = env.sb.control().key_credentials(SIGNING).unwrap();
    assert_eq!(held.len(), 4);
    // A year at most, though the certificate runs 500 days.
    let end = held[3].end;
    assert!(end <= Utc::now() + chrono::Duration::days(366));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_with_a_private_key_is_refused_before_signing_in() {
    let env = env().await;
    let c = made("leaky.example");
    let both = env.dir.path().join("both.pem");
    std::fs::write(&both, format!("{}{}", c.cert_pem, c.key_pem())).unwrap();
    let o = env.cmd(&[
        "certs",
        "add",
        "--app",
        SIGNING,
        "--file",
        both.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    let e = err(&o);
    assert!(
        e.contains("private key") && e.contains("must never be uploaded or shared"),
        "{e}"
    );
    assert!(
        !e.contains("BEGIN") && !out(&o).contains("BEGIN"),
        "the key is not echoed"
    );
    let pfx = env.dir.path().join("bundle.pfx");
    std::fs::write(&pfx, b"whatever").unwrap();
    let o = env.cmd(&[
        "certs",
        "add",
        "--app",
        SIGNING,
        "--file",
        pfx.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("PKCS#12"));
    assert_eq!(env.sb.control().requests(Route::PatchApplication), 0);
    assert_eq!(
        env.sb.control().requests(Route::GetApplication),
        0,
        "nothing was asked of Graph"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn create_writes_private_files_then_uploads_the_public_part() {
    use std::os::unix::fs::PermissionsExt;
    let env = env().await;
    let key = env.dir.path().join("app.key.pem");
    let crt = env.dir.path().join("app.crt.pem");
    let log = env.dir.path().join("run.log");
    let o = env.cmd(&[
        "--log-file",
        log.to_str().unwrap(),
        "certs",
        "create",
        "--app",
        SIGNING,
        "--key-out",
        key.to_str().unwrap(),
        "--cert-out",
        crt.to_str().unwrap(),
        "--expires",
        "90d",
        "--key-type",
        "p256",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let key_text = std::fs::read_to_string(&key).unwrap();
    assert!(key_text.contains("PRIVATE KEY"));
    for p in [&key, &crt] {
        assert_eq!(
            std::fs::metadata(p).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let body = key_text.lines().nth(1).unwrap().to_owned();
    assert!(
        !out(&o).contains(&body) && !err(&o).contains(&body),
        "the key never reaches the output"
    );
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!logged.is_empty(), "the run logged");
    assert!(
        !logged.contains(&body) && !logged.contains("PRIVATE KEY"),
        "nor the log"
    );
    assert!(
        out(&o).contains("CN=contoso-signing-service"),
        "{}",
        out(&o)
    );
    let parsed = certs::parse(std::fs::read(&crt).unwrap().as_slice()).unwrap();
    let held = env.sb.control().key_credentials(SIGNING).unwrap();
    assert_eq!(held.len(), 4);
    assert_eq!(held[3].der.as_deref(), Some(parsed.leaf.der.as_slice()));
    let span = held[3].end - held[3].start;
    assert_eq!(span.num_days(), 90);

    // Existing files are refused before anything is made (exit 2); --force replaces them.
    let patches = env.sb.control().requests(Route::PatchApplication);
    let o = env.cmd(&[
        "certs",
        "create",
        "--app",
        SIGNING,
        "--key-out",
        key.to_str().unwrap(),
        "--cert-out",
        crt.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(err(&o).contains("already exists"));
    assert_eq!(env.sb.control().requests(Route::PatchApplication), patches);
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        key_text,
        "untouched"
    );
    // A symlink is never followed, even with --force.
    let link = env.dir.path().join("link.pem");
    std::os::unix::fs::symlink(&key, &link).unwrap();
    let o = env.cmd(&[
        "certs",
        "create",
        "--app",
        SIGNING,
        "--key-out",
        link.to_str().unwrap(),
        "--cert-out",
        "new.crt.pem",
        "--force",
    ]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("symbolic link"));
    // More than a year is refused before anything is made.
    let o = env.cmd(&[
        "certs",
        "create",
        "--app",
        SIGNING,
        "--key-out",
        "k2.pem",
        "--cert-out",
        "c2.pem",
        "--expires",
        "24m",
    ]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("at most one year"), "{}", err(&o));
    assert!(!env.dir.path().join("k2.pem").exists());
    // The policy's 90-day cap on finance-ledger-api, named with its id.
    let o = env.cmd(&[
        "certs",
        "create",
        "--app",
        "finance-ledger-api",
        "--key-out",
        "k3.pem",
        "--cert-out",
        "c3.pem",
        "--expires",
        "180d",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("bb8b7902-65a2-5a37-bc5d-b80cd90c71f3"),
        "{}",
        err(&o)
    );
    assert!(!env.dir.path().join("k3.pem").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_deletes_one_and_keeps_the_rest() {
    let env = env().await;
    let before = env.sb.control().key_credentials(SIGNING).unwrap();
    let id = before[0].key_id.clone();
    let o = env.cmd(&["certs", "remove", "--app", SIGNING, "--key-id", &id[..8]]);
    assert_eq!(code(&o), 2, "no terminal, no --yes");
    let o = env.cmd(&[
        "certs", "remove", "--app", SIGNING, "--key-id", &id, "--yes",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let after = env.sb.control().key_credentials(SIGNING).unwrap();
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|k| k.key_id != id));
    let o = env.cmd(&[
        "certs", "remove", "--app", SIGNING, "--key-id", &id, "--yes",
    ]);
    assert_eq!(code(&o), 4);
    let o = env.cmd(&[
        "certs",
        "remove",
        "--app",
        SIGNING,
        "--key-id",
        &id,
        "--yes",
        "--ignore-missing",
    ]);
    assert_eq!(code(&o), 0);
    let o = env.cmd(&[
        "--read-only",
        "certs",
        "remove",
        "--app",
        SIGNING,
        "--key-id",
        &after[0].key_id,
        "--yes",
    ]);
    assert_eq!(code(&o), 2);
}
