//! Help, man page and flag parsing as the real binary shows them: global options once, a help
//! line for every flag, no stray `[env: …=]`, a man page with the sections a man page has, and
//! bad values refused with exit code 2 before any sign-in (no credentials exist in these runs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::process::Output;

use assert_cmd::Command;

fn azsecrets(args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("tempdir");
    Command::new(assert_cmd::cargo::cargo_bin!("azsecrets"))
        .env_clear()
        // No az, no token, no service principal: anything that got as far as signing in would
        // fail differently (exit 3) or hang on a device code.
        .env("PATH", "/nonexistent")
        .env("HOME", home.path())
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("COLUMNS", "100")
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const GLOBAL_FLAGS: &[&str] = &[
    "--sandbox",
    "--sandbox-apps",
    "--graph-url",
    "--login-url",
    "--tenant",
    "--cloud",
    "--auth",
    "--client-id",
    "--read-only",
    "--log-file",
    "--clipboard",
    "--clipboard-timeout",
];

const COMMANDS: &[&[&str]] = &[
    &["apps", "list"],
    &["secrets", "list"],
    &["secrets", "add"],
    &["secrets", "remove"],
    &["sandbox", "serve"],
    &["whoami"],
    &["logout"],
    &["completions"],
    &["man"],
];

#[test]
fn global_options_are_listed_once_at_the_top_under_one_heading() {
    let o = azsecrets(&["--help"]);
    assert!(o.status.success());
    let help = stdout(&o);
    assert_eq!(help.matches("Global options:").count(), 1, "{help}");
    let globals = &help[help.find("Global options:").unwrap()..];
    for flag in GLOBAL_FLAGS {
        assert!(
            globals.contains(flag),
            "{flag} under Global options:\n{help}"
        );
    }
    assert!(help.contains("[env: AZURE_TENANT_ID]"), "{help}");
    assert!(!help.contains("=]"), "no stray [env: …=]:\n{help}");
}

#[test]
fn command_help_lists_only_the_commands_own_options() {
    for cmd in COMMANDS {
        for help_flag in ["-h", "--help"] {
            let mut args = cmd.to_vec();
            args.push(help_flag);
            let o = azsecrets(&args);
            assert!(o.status.success(), "{args:?}: {}", stderr(&o));
            let help = stdout(&o);
            // Only the options block: the closing note may name global flags as examples.
            let options = &help[help.find("Options:").unwrap_or(0)..];
            let options = &options[..options.find("Global options (").unwrap_or(options.len())];
            for flag in GLOBAL_FLAGS {
                let listed = options
                    .lines()
                    .any(|l| l.trim_start().starts_with(&format!("{flag} ")) || l.trim() == *flag);
                assert!(!listed, "{args:?} lists {flag}:\n{help}");
            }
            assert!(!help.contains("=]"), "{args:?}:\n{help}");
        }
    }
}

#[test]
fn every_option_has_a_help_line() {
    for cmd in COMMANDS {
        let mut args = cmd.to_vec();
        args.push("-h");
        let help = stdout(&azsecrets(&args));
        for line in help.lines().filter(|l| l.trim_start().starts_with("--")) {
            // `--flag <VALUE>  Help text`: the text after the flag's name and value.
            let rest = line.trim_start();
            let after_name = rest.split_once("  ").map(|(_, h)| h.trim()).unwrap_or("");
            assert!(
                !after_name.is_empty(),
                "{args:?}: no help for `{}`",
                rest.trim()
            );
        }
    }
}

#[test]
fn sandbox_serve_refuses_the_options_that_choose_a_tenant() {
    let o = azsecrets(&["sandbox", "serve", "--sandbox"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = azsecrets(&["--clipboard", "none", "sandbox", "serve"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--clipboard does not apply to `azsecrets sandbox serve`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_global_option_after_the_command_says_where_it_goes() {
    let o = azsecrets(&["secrets", "list", "--read-only"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--read-only is a global option: write it before the command"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_values_exit_2_before_any_sign_in() {
    let long = "d".repeat(257);
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "secrets",
                "add",
                "--app",
                "x",
                "--to",
                "stdout",
                "--expires",
                "6x",
            ],
            "not a lifetime",
        ),
        (
            &[
                "secrets",
                "add",
                "--app",
                "x",
                "--to",
                "stdout",
                "--expires",
                "2020-01-01",
            ],
            "not in the future",
        ),
        (
            &["secrets", "add", "--app", "x", "--to", "printer"],
            "use clipboard, stdout, env-file:PATH, keyvault:VAULT[/NAME]",
        ),
        (
            &[
                "secrets",
                "add",
                "--app",
                "x",
                "--to",
                "stdout",
                "--description",
                &long,
            ],
            "--description: the description is too long: 257 characters, at most 256",
        ),
        (
            &["secrets", "list", "--expiring-within", "never"],
            "not a duration",
        ),
        (
            &["secrets", "list", "--expiring-within", "5x"],
            "not a lifetime",
        ),
        (
            &["secrets", "remove", "--app", "x", "--key-id", "zz"],
            "not a Secret ID",
        ),
        (&["sandbox", "serve", "--fail-rate", "2"], "between 0 and 1"),
        (
            &["--graph-url", "http://graph.example.com", "whoami"],
            "must use https",
        ),
        (&["--cloud", "mars", "whoami"], "invalid value 'mars'"),
        (
            &[
                "--read-only",
                "secrets",
                "add",
                "--app",
                "x",
                "--to",
                "stdout",
            ],
            "--read-only is set",
        ),
    ];
    for (args, expect) in cases {
        let o = azsecrets(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
}

#[test]
fn the_man_page_has_the_usual_sections_and_the_keys() {
    let o = azsecrets(&["man"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    for section in [
        ".TH azsecrets 1",
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH DESCRIPTION",
        ".SH \"GLOBAL OPTIONS\"",
        ".SH COMMANDS",
        ".SH KEYS",
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        ".SH FILES",
    ] {
        assert!(page.contains(section), "{section} missing:\n{page}");
    }
    for cmd in COMMANDS {
        let ss = format!(".SS \"azsecrets {}\"", cmd.join(" "));
        let ss_plain = format!(".SS azsecrets {}", cmd.join(" "));
        assert!(
            page.contains(&ss) || page.contains(&ss_plain),
            "{cmd:?} missing"
        );
    }
    for code in 0..=6 {
        assert!(
            page.contains(&format!(".TP\n\\fB{code}\\fR")),
            "exit status {code}"
        );
    }
    for var in [
        "AZSECRETS_ACCESS_TOKEN",
        "AZURE_CLIENT_SECRET",
        "AZSECRETS_LOG",
    ] {
        assert!(page.contains(var), "{var}");
    }
    assert!(page.contains("signin.json"));
    // One page: it refers to no other (no azsecrets-apps(1) that does not exist).
    assert!(!page.contains("(1)"), "{page}");
    assert!(
        !page.contains("clipboard-holder"),
        "internal command stays hidden"
    );
}
