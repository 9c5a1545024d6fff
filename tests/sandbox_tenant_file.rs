//! Tenant files (`docs/tenant-file.md`): the built-in seed is one, read by the same code; the
//! documented example works; a broken file is refused with its line and column; the flags
//! that name one; and `sandbox serve` prints a hostile tenant's names cleanly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use azsecrets::auth::{SourceKind, StaticToken};
use azsecrets::graph::{AppQuery, GraphClient};
use azsecrets::sandbox::{SandboxConfig, SandboxError, start};

mod hostile_support;
use hostile_support::{assert_terminal_safe, hostile_tenant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The first ```json block of docs/tenant-file.md.
fn documented_example() -> String {
    let doc = std::fs::read_to_string(root().join("docs/tenant-file.md")).unwrap();
    let start = doc.find("```json\n").expect("an example") + "```json\n".len();
    let len = doc[start..].find("```").unwrap();
    doc[start..start + len].to_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

async fn client_for(file: PathBuf) -> (azsecrets::sandbox::RunningSandbox, GraphClient) {
    let sb = start(SandboxConfig {
        tenant_file: Some(file),
        ..SandboxConfig::default()
    })
    .await
    .expect("the tenant file loads");
    let creds = StaticToken::new(sb.access_token.clone(), SourceKind::Sandbox);
    let client = GraphClient::new(sb.graph_url.clone(), creds).unwrap();
    (sb, client)
}

#[tokio::test]
async fn the_documented_example_is_a_working_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "t.json", &documented_example());
    let (sb, client) = client_for(file).await;
    assert_eq!(sb.tenant_name, "Example Tenant");
    let org = client.organization().await.unwrap();
    assert_eq!(org.display_name.as_deref(), Some("Example Tenant"));
    let apps = client
        .list_all_applications(&AppQuery::default())
        .await
        .unwrap();
    let names: Vec<&str> = apps.iter().map(|a| a.display_name.as_str()).collect();
    assert_eq!(names, ["example-automation", "example-api"]);
    let me = client.me().await.unwrap();
    assert_eq!(me.display_name.as_deref(), Some("Ex Ample"));
}

#[tokio::test]
async fn the_built_in_seed_is_a_tenant_file_like_any_other() {
    let seeded = start(SandboxConfig::default()).await.unwrap();
    let (from_file, client) = client_for(root().join("assets/sandbox/tenant.json")).await;
    assert_eq!(
        seeded.control().app_count(),
        from_file.control().app_count()
    );
    assert_eq!(seeded.tenant_id, from_file.tenant_id);
    assert_eq!(
        client
            .list_all_applications(&AppQuery::default())
            .await
            .unwrap()
            .len(),
        from_file.control().app_count()
    );
}

#[tokio::test]
async fn a_file_that_cannot_be_used_is_refused_with_where_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let broken = write(dir.path(), "broken.json", "{\n  \"tenant\": {,\n}");
    let missing = dir.path().join("missing.json");
    let example = documented_example();
    let dup = write(
        dir.path(),
        "dup.json",
        &example.replace(
            "5a6b7c8d-9e0f-4a1b-8c3d-4e5f6a7b8c9d",
            "4f5a6b7c-8d9e-4f0a-9b2c-3d4e5f6a7b8c",
        ),
    );
    let no_guid = write(
        dir.path(),
        "guid.json",
        &example.replace("5a6b7c8d-9e0f-4a1b-8c3d-4e5f6a7b8c9d", "not-a-guid"),
    );
    for (file, says) in [
        (broken, "line 2 column"),
        (missing, "No such file"),
        (dup, "duplicate id"),
        (no_guid, "must be GUIDs"),
    ] {
        let e = start(SandboxConfig {
            tenant_file: Some(file.clone()),
            ..SandboxConfig::default()
        })
        .await
        .err()
        .unwrap_or_else(|| panic!("{} loaded", file.display()));
        assert!(matches!(e, SandboxError::TenantFile { .. }), "{e}");
        let text = e.to_string();
        assert!(text.contains(&file.display().to_string()), "{text}");
        assert!(text.contains(says), "{says:?} in {text}");
    }
}

fn azsecrets(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azsecrets"));
    cmd.env_clear()
        .env("HOME", dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .stdin(Stdio::null());
    cmd
}

#[test]
fn the_flags_take_a_tenant_file() {
    let dir = tempfile::tempdir().unwrap();
    // --sandbox-tenant-file needs --sandbox.
    let out = azsecrets(dir.path())
        .args(["--sandbox-tenant-file", "x.json", "apps", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sandbox"));
    // A broken file: exit 1, where and why.
    let bad = write(dir.path(), "bad.json", "{ nope");
    let out = azsecrets(dir.path())
        .args(["--sandbox", "--sandbox-tenant-file"])
        .arg(&bad)
        .args(["apps", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot be used") && err.contains("line 1"),
        "{err}"
    );
    let out = azsecrets(dir.path())
        .args(["sandbox", "serve", "--tenant-file"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // The example works from the command line too.
    let good = write(dir.path(), "good.json", &documented_example());
    let out = azsecrets(dir.path())
        .args(["--sandbox", "--sandbox-tenant-file"])
        .arg(&good)
        .args(["apps", "list", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
}

#[test]
fn sandbox_serve_prints_a_hostile_tenant_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = azsecrets(dir.path())
        .args(["sandbox", "serve", "--tenant-file"])
        .arg(hostile_tenant())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut printed = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("Ctrl-C") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_terminal_safe("sandbox serve", printed.as_bytes());
    assert!(
        printed.contains("tenant \"Hostile ⟨U+001B⟩]0;TENANT⟨U+0007⟩⟨U+202E⟩Tenant\" is running"),
        "{printed}"
    );
    assert!(printed.contains("Signed in as: Mallory ⟨U+001B⟩[31mHostile⟨U+200B⟩ <mallory@"));
}
