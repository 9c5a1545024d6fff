//! The `.env` writer: 0600, atomic (no partial file on failure), no symlinks, other lines kept
//! in order, keys updated in place, and a warning when git would track the file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Stdio};

use azsecrets::handoff::{
    EnvBlock, FailStage, HandoffError, write_env_file, write_env_file_failing_at,
};
use azsecrets::secret::SecretValue;

const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const TENANT: &str = "66666666-7777-8888-9999-000000000000";
const SECRET: &str = "Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9";

fn block(secret: &SecretValue) -> EnvBlock<'_> {
    EnvBlock {
        client_id: CLIENT,
        tenant_id: TENANT,
        secret,
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_new_file_has_the_three_keys_and_mode_0600() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(".env");
    let secret = SecretValue::new(SECRET.into());
    let report = write_env_file(&path, &block(&secret), false).expect("write");
    assert!(!report.updated);
    assert_eq!(report.path, path);
    assert_eq!(
        fs::read_to_string(&path).expect("read"),
        format!(
            "AZURE_CLIENT_ID={CLIENT}\nAZURE_TENANT_ID={TENANT}\nAZURE_CLIENT_SECRET={SECRET}\n"
        )
    );
    assert_eq!(mode(&path), 0o600);
    assert_eq!(names(dir.path()), vec![".env"], "no temp file may remain");
}

#[test]
fn an_existing_file_keeps_its_lines_and_mode_and_is_updated_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.env");
    let before = "# service settings\n\
                  PORT=8080\n\
                  export AZURE_CLIENT_SECRET=old-secret\n\
                  \n\
                  # tenant below\n\
                  AZURE_TENANT_ID = old-tenant\r\n\
                  LOG_LEVEL=debug # trailing comment\n\
                  #AZURE_CLIENT_ID=commented-out\n\
                  DATABASE_URL='postgres://u:p@h/db'";
    fs::write(&path, before).expect("seed");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    let secret = SecretValue::new(SECRET.into());
    // Another tenant's values: refused unless the caller says to replace them.
    match write_env_file(&path, &block(&secret), false) {
        Err(HandoffError::EnvConflict {
            client_id: None,
            tenant_id: Some(t),
            ..
        }) => assert_eq!(t, "old-tenant"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        fs::read_to_string(&path).expect("read"),
        before,
        "untouched"
    );
    let report = write_env_file(&path, &block(&secret), true).expect("write");
    assert!(report.updated);
    let after = fs::read_to_string(&path).expect("read");
    assert_eq!(
        after,
        format!(
            "# service settings\n\
             PORT=8080\n\
             export AZURE_CLIENT_SECRET={SECRET}\n\
             \n\
             # tenant below\n\
             AZURE_TENANT_ID={TENANT}\r\n\
             LOG_LEVEL=debug # trailing comment\n\
             #AZURE_CLIENT_ID=commented-out\n\
             DATABASE_URL='postgres://u:p@h/db'\n\
             AZURE_CLIENT_ID={CLIENT}\n"
        )
    );
    assert!(!after.contains("old-secret"));
    assert_eq!(
        mode(&path),
        0o644,
        "a replaced file keeps its mode (a service may read it); it is never widened"
    );
    assert_eq!(report.mode, 0o644);

    // A second write changes only the values (idempotent layout).
    let newer = SecretValue::new("Zz9~newer.value-0123456789abcdefghijklmno".into());
    write_env_file(&path, &block(&newer), false).expect("rewrite");
    let again = fs::read_to_string(&path).expect("read");
    assert_eq!(again, after.replace(SECRET, newer.expose()));
    assert_eq!(names(dir.path()), vec!["app.env"]);
}

#[test]
fn duplicate_keys_are_all_replaced_so_no_stale_secret_wins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(".env");
    fs::write(&path, "AZURE_CLIENT_SECRET=a\nX=1\nAZURE_CLIENT_SECRET=b\n").expect("seed");
    let secret = SecretValue::new(SECRET.into());
    write_env_file(&path, &block(&secret), false).expect("write");
    let after = fs::read_to_string(&path).expect("read");
    assert_eq!(
        after,
        format!(
            "AZURE_CLIENT_SECRET={SECRET}\nX=1\nAZURE_CLIENT_SECRET={SECRET}\n\
             AZURE_CLIENT_ID={CLIENT}\nAZURE_TENANT_ID={TENANT}\n"
        )
    );
}

#[test]
fn values_that_need_it_are_quoted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(".env");
    let secret = SecretValue::new("has space#and$dollar".into());
    write_env_file(&path, &block(&secret), false).expect("write");
    let after = fs::read_to_string(&path).expect("read");
    assert!(
        after.contains("AZURE_CLIENT_SECRET='has space#and$dollar'\n"),
        "{after}"
    );
    assert!(
        after.contains(&format!("AZURE_CLIENT_ID={CLIENT}\n")),
        "GUIDs stay bare"
    );
    let bad = SecretValue::new("two\nlines".into());
    assert!(write_env_file(&dir.path().join("bad.env"), &block(&bad), false).is_err());
    assert!(!dir.path().join("bad.env").exists());
}

#[test]
fn symlinks_are_refused_and_their_targets_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("real.env");
    fs::write(&target, "KEEP=1\n").expect("seed");
    let link = dir.path().join(".env");
    symlink(&target, &link).expect("symlink");
    let secret = SecretValue::new(SECRET.into());
    match write_env_file(&link, &block(&secret), false) {
        Err(HandoffError::EnvFile { path, reason }) => {
            assert_eq!(path, link);
            assert!(reason.contains("symbolic link"), "{reason}");
            assert!(!reason.contains(SECRET));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(fs::read_to_string(&target).expect("read"), "KEEP=1\n");
    assert!(
        fs::symlink_metadata(&link)
            .expect("lstat")
            .file_type()
            .is_symlink()
    );

    // A dangling symlink would otherwise create a file wherever it points.
    let dangling = dir.path().join("dangling.env");
    symlink(dir.path().join("nowhere.env"), &dangling).expect("symlink");
    assert!(write_env_file(&dangling, &block(&secret), false).is_err());
    assert!(!dir.path().join("nowhere.env").exists());
}

#[test]
fn a_parent_that_is_not_a_folder_or_a_target_that_is_a_folder_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("plain");
    fs::write(&file, "x").expect("seed");
    let secret = SecretValue::new(SECRET.into());
    let err = write_env_file(&file.join(".env"), &block(&secret), false).expect_err("not a folder");
    assert!(err.to_string().contains("not a folder"), "{err}");
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).expect("mkdir");
    let err = write_env_file(&sub, &block(&secret), false).expect_err("a folder");
    assert!(err.to_string().contains("not a regular file"), "{err}");
    assert_eq!(names(dir.path()), vec!["plain", "sub"]);
}

#[test]
fn a_failure_before_the_rename_leaves_the_original_and_no_temp_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(".env");
    fs::write(&path, "OTHER=1\nAZURE_CLIENT_SECRET=previous\n").expect("seed");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");
    let secret = SecretValue::new(SECRET.into());
    let err = write_env_file_failing_at(&path, &block(&secret), FailStage::BeforeRename)
        .expect_err("simulated failure");
    assert!(err.to_string().contains("simulated"), "{err}");
    assert_eq!(
        fs::read_to_string(&path).expect("read"),
        "OTHER=1\nAZURE_CLIENT_SECRET=previous\n"
    );
    assert_eq!(
        mode(&path),
        0o640,
        "the original is untouched, mode included"
    );
    assert_eq!(names(dir.path()), vec![".env"], "the temp file was removed");

    // Same for a file that did not exist yet: nothing appears.
    let fresh = dir.path().join("fresh.env");
    write_env_file_failing_at(&fresh, &block(&secret), FailStage::BeforeRename)
        .expect_err("simulated failure");
    assert_eq!(names(dir.path()), vec![".env"]);
}

#[test]
fn a_real_os_failure_leaves_the_original_and_no_temp_file() {
    // A 250-byte name is valid, but the temp file beside it (".<name>.<uuid>.azsecrets-tmp")
    // exceeds NAME_MAX: creating it fails with ENAMETOOLONG, as root too.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("e".repeat(250));
    fs::write(&path, "OTHER=1\n").expect("seed");
    let secret = SecretValue::new(SECRET.into());
    let err =
        write_env_file(&path, &block(&secret), false).expect_err("name too long for the temp file");
    assert!(!err.to_string().contains(SECRET));
    assert_eq!(fs::read_to_string(&path).expect("read"), "OTHER=1\n");
    assert_eq!(names(dir.path()), vec!["e".repeat(250)]);

    // Without root, a read-only folder is another real failure.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        let ro = tempfile::tempdir().expect("tempdir");
        let path = ro.path().join(".env");
        fs::write(&path, "OTHER=1\n").expect("seed");
        fs::set_permissions(ro.path(), fs::Permissions::from_mode(0o500)).expect("chmod");
        assert!(write_env_file(&path, &block(&secret), false).is_err());
        fs::set_permissions(ro.path(), fs::Permissions::from_mode(0o700)).expect("chmod");
        assert_eq!(fs::read_to_string(&path).expect("read"), "OTHER=1\n");
        assert_eq!(names(ro.path()), vec![".env"]);
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("git is needed for this test (apt-get install -y git)");
    assert!(status.success(), "git {args:?} failed");
}

#[test]
fn git_warns_when_the_file_would_be_tracked_and_not_when_ignored() {
    let secret = SecretValue::new(SECRET.into());

    // Outside a repository: no warning.
    let plain = tempfile::tempdir().expect("tempdir");
    let report = write_env_file(&plain.path().join(".env"), &block(&secret), false).expect("write");
    assert_eq!(report.git_warning, None);

    // Inside a repository, not ignored: a warning that names the file.
    let repo = tempfile::tempdir().expect("tempdir");
    git(repo.path(), &["init", "-q"]);
    let sub = repo.path().join("config");
    fs::create_dir(&sub).expect("mkdir");
    let path = sub.join(".env");
    let report = write_env_file(&path, &block(&secret), false).expect("write");
    let warning = report.git_warning.expect("git would track it");
    assert!(
        warning.contains(".env") && warning.contains(".gitignore"),
        "{warning}"
    );
    assert!(!warning.contains(SECRET));

    // Ignored: no warning.
    fs::write(repo.path().join(".gitignore"), ".env\n").expect("gitignore");
    let report = write_env_file(&path, &block(&secret), false).expect("write");
    assert_eq!(report.git_warning, None);
}
