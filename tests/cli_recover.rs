//! The scripting twin when an add does not end cleanly, against `sandbox serve` in its own
//! process (the tenant outlives a killed client): a 504 after creating, Ctrl-C and SIGTERM
//! while Graph holds the reply, SIGKILL and `azsecrets recover`, and `.env` destinations that
//! refuse before anything is created.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

mod serve_support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serve_support::{Served, signal};

/// contoso-billing-api (staging), an app of the seed tenant.
const STAGING: &str = "e3b72a8d-d3e4-5a1a-ae50-af6ea6c3c8a9";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn add(description: &str, to: &str) -> Vec<String> {
    [
        "secrets",
        "add",
        "--app",
        STAGING,
        "--description",
        description,
        "--to",
        to,
    ]
    .map(str::to_owned)
    .to_vec()
}

#[test]
fn a_504_after_creating_leaves_nothing_and_names_what_was_removed() {
    let s = Served::start(&["--add-password-status", "504"]);
    let dir = tempfile::tempdir().unwrap();
    let before = s.secrets(dir.path(), STAGING);
    let o = s
        .azsecrets(dir.path())
        .args(add("gateway", "stdout"))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(code(&o), 5, "{err}");
    assert!(o.stdout.is_empty(), "no value was printed");
    assert!(err.contains("504") && err.contains("request-id"), "{err}");
    assert!(
        err.contains("deleted again") && err.contains("nothing remains"),
        "{err}"
    );
    assert!(err.contains("safe to try again"), "{err}");
    let after = s.secrets(dir.path(), STAGING);
    assert_eq!(
        after, before,
        "one secret was created and removed: none is left"
    );
    // The Secret ID named is the one that was created (it is gone now).
    let named = err
        .split("Secret ID ")
        .nth(1)
        .map(|r| r.chars().take(36).collect::<String>())
        .expect("a Secret ID in the message");
    assert!(azsecrets::ids::is_guid(&named), "{named}");
    assert!(!after.iter().any(|(k, _)| *k == named));
}

/// Ctrl-C (SIGINT) or SIGTERM while Graph holds the reply: the command waits a few seconds,
/// reads the app back, deletes the secret that reached nobody, says so, and exits 130.
#[test]
fn a_signal_during_a_slow_add_leaves_no_orphan_and_says_what_happened() {
    let s = Served::start(&["--add-password-delay", "8000"]);
    let dir = tempfile::tempdir().unwrap();
    let before = s.secrets(dir.path(), STAGING);
    for (sig, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT")] {
        let child = s
            .azsecrets(dir.path())
            .args(add(name, "stdout"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(1200));
        let started = Instant::now();
        signal(child.id(), sig);
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert_eq!(code(&o), 130, "{name}: {err}");
        assert!(o.stdout.is_empty(), "{name}: no value printed");
        assert!(err.contains(name), "{err}");
        assert!(
            err.contains("deleted again") && err.contains("nothing remains"),
            "{name}: {err}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(25),
            "{name}: it waited only briefly"
        );
        assert_eq!(s.secrets(dir.path(), STAGING), before, "{name}: no orphan");
    }
    let journal = std::fs::read_to_string(Served::journal(dir.path())).unwrap_or_default();
    assert!(journal.is_empty(), "every entry ended: {journal}");
}

/// SIGKILL cannot be caught: the journal keeps the intent, every command warns, and
/// `azsecrets recover --yes` finds the secret Graph created and deletes it.
#[test]
fn after_sigkill_commands_warn_and_recover_removes_the_orphan() {
    let s = Served::start(&["--add-password-delay", "60000"]);
    let dir = tempfile::tempdir().unwrap();
    let before = s.secrets(dir.path(), STAGING);
    let mut child = s
        .azsecrets(dir.path())
        .args(add("killed", "stdout"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    signal(child.id(), libc::SIGKILL);
    let _ = child.wait();

    // The orphan is in the tenant; the journal has the intent and nothing after it.
    let now = s.secrets(dir.path(), STAGING);
    let orphan = now
        .iter()
        .find(|(_, d)| d.as_deref() == Some("killed"))
        .map(|(k, _)| k.clone())
        .expect("Graph created it before the kill");
    let journal = std::fs::read_to_string(Served::journal(dir.path())).unwrap();
    assert!(journal.contains(r#""record":"intent""#), "{journal}");
    assert!(!journal.contains(r#""record":"done""#), "{journal}");

    // Every command warns while it is pending.
    let o = s
        .azsecrets(dir.path())
        .args(["apps", "list", "--filter", "contoso"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("azsecrets recover"), "{}", stderr(&o));

    // Without --yes and without a terminal: it names the orphan and refuses to delete.
    let o = s
        .azsecrets(dir.path())
        .arg("recover")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(err.contains(&orphan) && err.contains("'killed'"), "{err}");
    assert!(err.contains("--yes"), "{err}");
    assert!(
        s.secrets(dir.path(), STAGING)
            .iter()
            .any(|(k, _)| *k == orphan)
    );

    let o = s
        .azsecrets(dir.path())
        .args(["recover", "--yes"])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(code(&o), 0, "{err}");
    assert!(
        err.contains(&format!("Deleted client secret {orphan}")),
        "{err}"
    );
    assert_eq!(s.secrets(dir.path(), STAGING), before, "no orphan left");

    // Nothing pending: recover says so without signing in, and commands no longer warn.
    let o = s.azsecrets(dir.path()).arg("recover").output().unwrap();
    assert_eq!(code(&o), 0);
    assert!(stderr(&o).contains("Nothing to recover"), "{}", stderr(&o));
    let o = s
        .azsecrets(dir.path())
        .args(["apps", "list", "--filter", "contoso"])
        .output()
        .unwrap();
    assert!(!stderr(&o).contains("recover"), "{}", stderr(&o));
}

/// An `.env` of another app (or tenant) is refused before addPassword, without `--force`; with
/// it, the file keeps its owner, group and mode; stale temp files of ours are removed.
#[test]
fn an_env_file_of_another_app_is_refused_and_force_keeps_its_mode() {
    let s = Served::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let before = s.secrets(dir.path(), STAGING);
    let env = dir.path().join("service.env");
    let other_app = "b5784c6f-9642-501b-b761-8be2eec92262"; // contoso-billing-api (prod)
    let original = format!(
        "PORT=8080\nAZURE_CLIENT_ID={other_app}\nAZURE_TENANT_ID={}\nAZURE_CLIENT_SECRET=theirs\n",
        s.tenant_id
    );
    std::fs::write(&env, &original).unwrap();
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o640)).unwrap();
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        // A service's group: kept across the replace.
        std::os::unix::fs::chown(&env, None, Some(4321)).unwrap();
    }
    let target = format!("env-file:{}", env.display());
    let o = s
        .azsecrets(dir.path())
        .args(add("refused", &target))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(
        err.contains(other_app) && err.contains("nothing was created"),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&env).unwrap(), original);
    assert_eq!(
        s.secrets(dir.path(), STAGING),
        before,
        "nothing was created"
    );

    // A temp file a killed write left beside it (it may hold a secret).
    let stale = dir.path().join(format!(
        ".service.env.{}.azsecrets-tmp",
        "0123456789abcdef0123456789abcdef"
    ));
    std::fs::write(&stale, "AZURE_CLIENT_SECRET=left-behind\n").unwrap();
    let meta_before = std::fs::metadata(&env).unwrap();
    let o = s
        .azsecrets(dir.path())
        .args(add("forced", &target))
        .arg("--force")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(&env).unwrap();
    assert!(text.starts_with("PORT=8080\n"), "{text}");
    assert!(
        text.contains(&format!("AZURE_CLIENT_ID={STAGING}")),
        "{text}"
    );
    assert!(!text.contains("theirs"));
    let meta = std::fs::metadata(&env).unwrap();
    assert_eq!(
        meta.permissions().mode() & 0o7777,
        0o640,
        "mode kept, never widened"
    );
    assert_eq!(meta.uid(), meta_before.uid(), "owner kept");
    assert_eq!(meta.gid(), meta_before.gid(), "group kept");
    assert!(!stale.exists(), "the stale temp file was removed");
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".azsecrets-tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // A file that belongs to another user is refused, before anything is created.
    if root {
        let theirs = dir.path().join("theirs.env");
        std::fs::write(&theirs, "X=1\n").unwrap();
        std::os::unix::fs::chown(&theirs, Some(4321), Some(4321)).unwrap();
        let count = s.secrets(dir.path(), STAGING).len();
        let o = s
            .azsecrets(dir.path())
            .args(add("not mine", &format!("env-file:{}", theirs.display())))
            .output()
            .unwrap();
        assert_ne!(code(&o), 0);
        assert!(stderr(&o).contains("another user"), "{}", stderr(&o));
        assert_eq!(s.secrets(dir.path(), STAGING).len(), count);
    }
}
