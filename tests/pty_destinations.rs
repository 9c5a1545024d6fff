//! The real binary in a pseudo-terminal against `--sandbox`, with a fake `gh` and a recording
//! command on PATH: a new secret goes to a sandbox vault (`k`, picked from the list), to GitHub
//! (`g`) and to a command (`x`), each answer shows in the dialog, `t` counts down while the
//! secret replicates (`--sandbox-propagation-delay`) and then says it signs in; the dialog then
//! closes without asking (someone holds the value) and the exit summary names every destination.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(target_os = "linux")]

#[path = "destination_support/mod.rs"]
mod destination_support;
mod pty_support;

use pty_support::Pty;

#[test]
fn a_secret_goes_to_a_vault_github_and_a_command_and_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    destination_support::recorder(dir.path(), "gh");
    destination_support::recorder(dir.path(), "store-it");
    let path = format!(
        "{}:{}",
        dir.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = pty_support::azsecrets(dir.path());
    cmd.env("PATH", path)
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env_remove("AZURE_CLIENT_SECRET")
        .args([
            "--sandbox",
            "--sandbox-propagation-delay",
            "6",
            "--clipboard",
            "none",
        ]);
    let root = dir.path().to_owned();
    let mut t = Pty::spawn(cmd, dir, 120, 40, 2000);
    t.add_secret("fabrikam", "pty destinations");

    t.send("k");
    t.wait_for("Store the value in a key vault");
    t.wait_for("contoso-sandbox-kv");
    t.send("sandbox");
    t.send("\r");
    t.wait_for("Stored in key vault contoso-sandbox-kv as fabrikam-crm-sync");

    t.send("g");
    t.wait_for("Set it as a GitHub Actions secret");
    t.send("contoso/billing");
    t.send("\r");
    t.wait_for("Set as GitHub Actions secret AZURE_CLIENT_SECRET in contoso/billing");

    t.send("x");
    t.wait_for("Give the value to a command");
    t.send("store-it --name azure/fabrikam");
    t.send("\r");
    t.wait_for("Taken by `store-it --name azure/fabrikam`");
    t.wait_for("store-it stored it");

    t.send("t");
    let s = t.wait_for("next try in");
    assert!(s.contains("AADSTS7000215"), "{s}");
    let s = t.wait_for("signs in ✓ after");
    assert!(!s.contains("next try in"), "{s}");

    // Someone holds the value: Esc closes at once.
    t.send("\x1b");
    t.wait_gone("copy it now");
    t.send("\x1b");
    t.wait_for("Filter: fabrikam");
    t.send("\x1b");
    t.wait_for("Press / to filter");
    t.send("q");
    t.wait_exit();
    let mut after = String::new();
    for back in (0..=2000usize).step_by(40) {
        t.parser.screen_mut().set_scrollback(back);
        after.push_str(&t.parser.screen().contents());
    }
    assert!(
        after.contains("stored in key vault contoso-sandbox-kv"),
        "{after}"
    );
    assert!(
        after.contains("GitHub Actions secret AZURE_CLIENT_SECRET"),
        "{after}"
    );
    assert!(after.contains("taken by `store-it"), "{after}");

    // One value, on both programs' stdin and nowhere in their arguments or environment.
    let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap_or_default();
    let value = read("gh.stdin");
    assert_eq!(value.len(), 40, "gh got the value on stdin");
    assert_eq!(read("store-it.stdin"), value);
    for f in ["gh.argv", "gh.env", "store-it.argv", "store-it.env"] {
        assert!(!read(f).contains(&value), "{f}");
    }
    assert!(!after.contains(&value), "not on the screen after exit");
    assert!(!read("azsecrets.log").contains(&value), "not in the log");
}
