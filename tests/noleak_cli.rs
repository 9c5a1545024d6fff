//! End to end: `azsecrets --sandbox secrets add --to env-file:PATH` (and the clipboard, and a
//! key vault + GitHub + a command at once) with trace logging. The value that lands where it was
//! sent must appear nowhere else: not in stdout/stderr, not in the log, not in any other file
//! the run created (cache, config, runtime dirs, the journal), not in the arguments or the
//! environment of the programs it was handed to (which record both). Likewise a new
//! certificate's private key sent to a key vault (`certs create --to-vault`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

#[path = "handoff_support/mod.rs"]
mod handoff_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use base64::Engine as _;

struct Run {
    root: tempfile::TempDir,
}

impl Run {
    fn new() -> Self {
        let root = tempfile::tempdir().expect("tempdir");
        for d in ["home", "cache", "config", "run", "out", "bin"] {
            std::fs::create_dir(root.path().join(d)).expect("mkdir");
        }
        Self { root }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.root.path().join(p)
    }

    /// The binary in an isolated environment: every per-user folder inside the temp dir, trace
    /// logging to a file there, no display, no sign-in variables from the outer environment.
    fn azsecrets(&self, args: &[&str]) -> Output {
        self.azsecrets_with(args, None)
    }

    fn azsecrets_with(&self, args: &[&str], display: Option<&str>) -> Output {
        // Recording programs (a fake gh, a command) first on PATH.
        let mut path = std::ffi::OsString::from(self.path("bin"));
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_azsecrets"));
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", self.path("home"))
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_RUNTIME_DIR", self.path("run"))
            .env("AZSECRETS_LOG", "trace")
            .env("RUST_LOG", "trace")
            .current_dir(self.path("out"))
            .arg("--sandbox")
            .arg("--log-file")
            .arg(self.path("azsecrets.log"))
            .args(args);
        if let Some(d) = display {
            cmd.env("DISPLAY", d);
        }
        cmd.output().expect("run azsecrets")
    }
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let entry = entry.expect("entry");
        let ft = entry.file_type().expect("file type");
        if ft.is_dir() {
            all_files(&entry.path(), out);
        } else if ft.is_file() {
            out.push(entry.path());
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Apps of the sandbox tenant a secret can be added to (single-tenant first), by appId.
fn candidate_apps(run: &Run) -> Vec<String> {
    let out = run.azsecrets(&["apps", "list", "--output", "json"]);
    assert!(
        out.status.success(),
        "apps list failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let apps: serde_json::Value = serde_json::from_slice(&out.stdout).expect("apps json");
    let mut ids: Vec<(bool, String)> = apps
        .as_array()
        .expect("array of apps")
        .iter()
        .filter_map(|a| {
            let id = a.get("appId")?.as_str()?.to_owned();
            let single = a.get("signInAudience").and_then(|s| s.as_str()) == Some("AzureADMyOrg");
            Some((!single, id))
        })
        .collect();
    ids.sort();
    ids.into_iter().map(|(_, id)| id).take(8).collect()
}

/// `secrets add --to TARGET` on the first sandbox app that accepts a new secret (some refuse on
/// purpose: policy, the two-secret cap). Returns every run's output, the successful one last.
fn add_secret(run: &Run, target: &str, display: Option<&str>) -> Vec<Output> {
    add_secret_with(run, &["--to", target], display)
}

fn add_secret_with(run: &Run, extra: &[&str], display: Option<&str>) -> Vec<Output> {
    let mut outputs = Vec::new();
    for app in candidate_apps(run) {
        let mut args = vec![
            "secrets",
            "add",
            "--app",
            &app,
            "--description",
            "noleak",
            "--expires",
            "30d",
        ];
        args.extend_from_slice(extra);
        let out = run.azsecrets_with(&args, display);
        let ok = out.status.success();
        outputs.push(out);
        if ok {
            return outputs;
        }
    }
    let last = outputs.last().expect("at least one app");
    panic!(
        "no sandbox app accepted a secret; last stderr: {}",
        String::from_utf8_lossy(&last.stderr)
    );
}

/// The value (and its base64 form) is in no output of the runs and no file under the run's
/// temp dir except `allowed`; the log was written.
fn assert_nowhere_else(run: &Run, outputs: &[Output], value: &str, allowed: &[&Path]) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(value);
    let needles: [&[u8]; 2] = [value.as_bytes(), b64.as_bytes()];
    for out in outputs {
        for n in needles {
            assert!(!contains(&out.stdout, n), "the value reached stdout");
            assert!(!contains(&out.stderr, n), "the value reached stderr");
        }
    }
    // The hint (first three characters) is allowed; prove the output really describes the run.
    let last = outputs.last().expect("a run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&last.stdout),
        String::from_utf8_lossy(&last.stderr)
    );
    assert!(
        text.contains(&format!("{}*****", &value[..3])),
        "the summary should show the masked value: {text}"
    );
    let log = std::fs::read(run.path("azsecrets.log")).expect("the log file was written");
    assert!(!log.is_empty(), "trace logging produced nothing");
    let mut files = Vec::new();
    all_files(run.root.path(), &mut files);
    for file in files.iter().filter(|f| !allowed.contains(&f.as_path())) {
        let bytes = std::fs::read(file).expect("read file");
        for n in needles {
            assert!(
                !contains(&bytes, n),
                "the value was found in {}",
                file.display()
            );
        }
    }
}

#[test]
fn env_file_value_appears_nowhere_else() {
    let run = Run::new();
    // An entry this (live) test process keeps open, so the journal keeps the run's records.
    let journal_path = run.path("home/.local/state/azsecrets/journal.jsonl");
    let (pid, process_start) = azsecrets::journal::this_process();
    azsecrets::journal::Journal::at(&journal_path)
        .begin(azsecrets::journal::Intent {
            tenant: Some("00000000-0000-4000-8000-000000000000".into()),
            app: azsecrets::journal::AppRef {
                object_id: "x".into(),
                app_id: "y".into(),
                name: "held open by the test".into(),
            },
            description: None,
            start_date_time: chrono::Utc::now(),
            end_date_time: chrono::Utc::now(),
            client_request_id: "none".into(),
            destination: "stdout".into(),
            pid,
            process_start,
        })
        .expect("journal");
    let env_path = run.path("out/.env");
    let outputs = add_secret(&run, &format!("env-file:{}", env_path.display()), None);

    let env = std::fs::read_to_string(&env_path).expect("the .env file was written");
    let value = env
        .lines()
        .find_map(|l| l.strip_prefix("AZURE_CLIENT_SECRET="))
        .map(|v| v.trim_matches(['\'', '"']).to_owned())
        .expect("AZURE_CLIENT_SECRET in the .env file");
    assert!(value.len() >= 16, "a real secret value: {value:?}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&env_path)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The journal holds the creation and its end, never the value (checked below with every
    // other file).
    let journal = std::fs::read_to_string(&journal_path).expect("journal");
    assert!(
        journal.contains(r#""record":"created""#) && journal.contains(r#""outcome":"handed-off""#),
        "{journal}"
    );

    assert_nowhere_else(&run, &outputs, &value, &[&env_path]);
}

#[test]
fn clipboard_value_appears_nowhere_else() {
    let Some(x) = handoff_support::Xvfb::start() else {
        return;
    };
    let run = Run::new();
    let outputs = add_secret(&run, "clipboard", Some(&x.display));
    // The CLI has exited; its holder (this binary, found through current_exe) serves the value.
    let value = x.paste().expect("the secret is on the clipboard");
    assert!(value.len() >= 16, "a real secret value: {value:?}");
    let last = String::from_utf8_lossy(&outputs.last().expect("a run").stderr).into_owned();
    assert!(last.contains("clears in 45 s"), "{last}");

    // The holder was recorded (0600) in the runtime dir; the value is nowhere else.
    let pid_file = run.path("run/azsecrets/clipboard-holder.pid");
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .expect("pid file")
        .trim()
        .parse()
        .expect("a pid");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pid_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(handoff_support::alive(pid));
    assert_nowhere_else(&run, &outputs, &value, &[]);

    // Stop the holder: a newer copy makes it leave.
    let _newer = x.copy_with_xclip("done");
    assert!(handoff_support::wait_for(Duration::from_secs(3), || {
        !handoff_support::alive(pid)
    }));
}

#[path = "destination_support/mod.rs"]
mod destination_support;

#[test]
fn vault_github_and_command_value_appears_nowhere_else() {
    let run = Run::new();
    destination_support::recorder(run.root.path(), "gh");
    destination_support::recorder(run.root.path(), "store-it");
    let journal_path = run.path("home/.local/state/azsecrets/journal.jsonl");
    crate::keep_open(&journal_path);
    let outputs = add_secret_with(
        &run,
        &[
            "--to",
            "keyvault:contoso-sandbox-kv",
            "--to",
            "github:contoso/billing",
            "--github-variables",
            "--to",
            "exec:store-it --name azure/noleak",
            "--verify",
        ],
        None,
    );
    let gh_stdin = run.root.path().join("gh.stdin");
    let cmd_stdin = run.root.path().join("store-it.stdin");
    let value = std::fs::read_to_string(&cmd_stdin).expect("the command got the value");
    assert_eq!(value.len(), 40, "a real secret value: {value:?}");
    assert_eq!(
        std::fs::read_to_string(&gh_stdin).expect("gh got it"),
        value
    );
    let last = String::from_utf8_lossy(&outputs.last().expect("a run").stderr).into_owned();
    assert!(
        last.contains("stored in key vault contoso-sandbox-kv"),
        "{last}"
    );
    assert!(last.contains("signs in ✓ after"), "{last}");
    // The recorded argv and environment of gh and the command are among the files checked; the
    // config file remembers the vault, by name only.
    let config = std::fs::read_to_string(run.path("config/azsecrets/config.json")).expect("config");
    assert!(config.contains("contoso-sandbox-kv"), "{config}");
    let journal = std::fs::read_to_string(&journal_path).expect("journal");
    assert!(journal.contains(r#""outcome":"handed-off""#), "{journal}");
    assert_nowhere_else(&run, &outputs, &value, &[&gh_stdin, &cmd_stdin]);
}

/// `certs create --to-vault`: the private key reaches the vault (and the key file, when one is
/// asked for) and nothing else: not stdout, stderr, the log, nor any other file of the run.
#[test]
fn certificate_key_to_a_vault_appears_nowhere_else() {
    let run = Run::new();
    let key_file = run.path("out/signing.key.pem");
    let with_file = run.azsecrets(&[
        "certs",
        "create",
        "--app",
        "contoso-signing-service",
        "--key-out",
        "signing.key.pem",
        "--to-vault",
        "contoso-sandbox-kv/signing-cert",
        "--output",
        "json",
    ]);
    assert!(
        with_file.status.success(),
        "{}",
        String::from_utf8_lossy(&with_file.stderr)
    );
    let vault_only = run.azsecrets(&[
        "certs",
        "create",
        "--app",
        "contoso-signing-service",
        "--to-vault",
        "contoso-sandbox-kv",
    ]);
    assert!(
        vault_only.status.success(),
        "{}",
        String::from_utf8_lossy(&vault_only.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&with_file.stdout).expect("json");
    assert_eq!(json["keyVault"]["name"], "signing-cert", "{json}");
    assert!(
        String::from_utf8_lossy(&vault_only.stdout)
            .contains("stored in key vault contoso-sandbox-kv")
    );
    let key = std::fs::read_to_string(&key_file).expect("the key file");
    // The key's base64 body, line by line (the PEM's own lines), and the marker of any key.
    let body: Vec<&str> = key.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!body.is_empty());
    let log = std::fs::read(run.path("azsecrets.log")).expect("the log file was written");
    assert!(!log.is_empty(), "trace logging produced nothing");
    let mut files = Vec::new();
    all_files(run.root.path(), &mut files);
    for file in files.iter().filter(|f| **f != key_file) {
        let bytes = std::fs::read(file).expect("read file");
        assert!(
            !contains(&bytes, b"PRIVATE KEY"),
            "a key in {}",
            file.display()
        );
        for l in &body {
            assert!(
                !contains(&bytes, l.as_bytes()),
                "the key in {}",
                file.display()
            );
        }
    }
    for o in [&with_file, &vault_only] {
        for stream in [&o.stdout, &o.stderr] {
            assert!(!contains(stream, b"PRIVATE KEY"));
            for l in &body {
                assert!(!contains(stream, l.as_bytes()));
            }
        }
    }
}

/// A journal entry of this (live) test process, so the journal keeps the run's records.
fn keep_open(journal_path: &Path) {
    let (pid, process_start) = azsecrets::journal::this_process();
    azsecrets::journal::Journal::at(journal_path)
        .begin(azsecrets::journal::Intent {
            tenant: Some("00000000-0000-4000-8000-000000000000".into()),
            app: azsecrets::journal::AppRef {
                object_id: "x".into(),
                app_id: "y".into(),
                name: "held open by the test".into(),
            },
            description: None,
            start_date_time: chrono::Utc::now(),
            end_date_time: chrono::Utc::now(),
            client_request_id: "none".into(),
            destination: "stdout".into(),
            pid,
            process_start,
        })
        .expect("journal");
}
