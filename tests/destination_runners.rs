//! The `github:` and `exec:` hand-offs with fake programs that record their arguments,
//! environment and stdin: the value arrives on stdin and nowhere else, the client and tenant ids
//! in the environment, and failures (gh missing, gh not signed in, a command that fails or is
//! missing) come back typed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use azsecrets::destination::{
    Destination, ExecCommand, ExecContext, ExecError, GhError, GhRunner, GitHubName, exec,
};
use azsecrets::ids::ApplicationId;
use azsecrets::secret::SecretValue;

const VALUE: &str = "Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9";
const APP: &str = "8ce4b1cd-654a-4d3b-9b85-7a1b0c8e7f10";
const TENANT: &str = "84841066-274d-4ec0-a5c1-276be684bdd3";

/// A program `name` in `dir` that records argv (one per line), env and stdin under `dir`, says
/// something on both outputs, and exits with `$FAKE_EXIT` from its recorded env or `exit`.
fn recorder(dir: &Path, name: &str, exit: i32, extra: &str) -> PathBuf {
    let p = dir.join(name);
    let rec = dir.display();
    std::fs::write(
        &p,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{rec}/argv'\nenv > '{rec}/env'\ncat > '{rec}/stdin'\necho 'done on stdout'\necho 'note on stderr' >&2\n{extra}\nexit {exit}\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn read(dir: &Path, f: &str) -> String {
    std::fs::read_to_string(dir.join(f)).unwrap()
}

fn github(spec: &str) -> azsecrets::destination::GitHubTarget {
    match spec.parse::<Destination>().unwrap() {
        Destination::GitHub(t) => t,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn gh_gets_the_value_on_stdin_only() {
    let dir = tempfile::tempdir().unwrap();
    recorder(dir.path(), "gh", 0, "");
    let gh = GhRunner::find_in(dir.path().as_os_str()).unwrap();
    let value = SecretValue::new(VALUE.into());
    let out = gh
        .set_secret(&github("github:contoso/billing-api@production"), &value)
        .await
        .unwrap();
    assert_eq!(out.stdout.trim(), "done on stdout");
    assert_eq!(
        read(dir.path(), "argv").lines().collect::<Vec<_>>(),
        vec![
            "secret",
            "set",
            "AZURE_CLIENT_SECRET",
            "--repo",
            "contoso/billing-api",
            "--app",
            "actions",
            "--env",
            "production"
        ]
    );
    assert_eq!(
        read(dir.path(), "stdin"),
        VALUE,
        "exactly the value, no newline"
    );
    let env = read(dir.path(), "env");
    assert!(!env.contains(VALUE), "never in the environment");
    assert!(env.lines().any(|l| l == "GH_PROMPT_DISABLED=1"));
    assert!(!read(dir.path(), "argv").contains(VALUE));

    // The ids go as variables, in gh's arguments (they are not secret).
    gh.set_variable(
        &github("github:contoso/billing-api").repo,
        None,
        &GitHubName::parse("AZURE_CLIENT_ID").unwrap(),
        APP,
    )
    .await
    .unwrap();
    assert_eq!(
        read(dir.path(), "argv").lines().collect::<Vec<_>>(),
        vec![
            "variable",
            "set",
            "AZURE_CLIENT_ID",
            "--body",
            APP,
            "--repo",
            "contoso/billing-api"
        ]
    );
}

#[tokio::test]
async fn gh_failures_are_typed() {
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        GhRunner::find_in(empty.path().as_os_str()),
        Err(GhError::NotInstalled)
    ));

    let dir = tempfile::tempdir().unwrap();
    let gh = GhRunner::with_program(recorder(
        dir.path(),
        "gh",
        4,
        "echo 'To get started with GitHub CLI, please run:  gh auth login' >&2",
    ));
    let value = SecretValue::new(VALUE.into());
    let e = gh
        .set_secret(&github("github:contoso/billing-api"), &value)
        .await
        .unwrap_err();
    assert!(matches!(e, GhError::NotSignedIn { .. }), "{e:?}");
    assert!(e.to_string().contains("gh auth login"));

    let dir = tempfile::tempdir().unwrap();
    let gh = GhRunner::with_program(recorder(
        dir.path(),
        "gh",
        1,
        &format!("echo 'failed to set secret: HTTP 404 for {VALUE}' >&2"),
    ));
    let e = gh
        .set_secret(&github("github:contoso/nope"), &value)
        .await
        .unwrap_err();
    let GhError::Failed { code, output, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*code, Some(1));
    assert!(
        !output.stderr.contains(VALUE),
        "redacted: {}",
        output.stderr
    );
    assert!(!e.to_string().contains(VALUE));

    let gone = GhRunner::with_program(empty.path().join("gh"));
    assert!(matches!(
        gone.set_secret(&github("github:contoso/x"), &value).await,
        Err(GhError::NotInstalled)
    ));
    let newline = SecretValue::new("abc\n".into());
    assert!(matches!(
        gh.set_secret(&github("github:contoso/x"), &newline).await,
        Err(GhError::TrailingNewline)
    ));
}

fn context() -> ExecContext {
    ExecContext {
        client_id: ApplicationId::new(APP),
        tenant_id: TENANT.into(),
    }
}

#[tokio::test]
async fn exec_runs_without_a_shell_with_the_value_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let program = recorder(dir.path(), "store-it", 0, "cat \"$0\" > /dev/null");
    let spec = format!(
        "exec:{} insert -m 'azure/billing api' '$HOME;x'",
        program.display()
    );
    let Destination::Exec(cmd) = spec.parse::<Destination>().unwrap() else {
        panic!()
    };
    let value = SecretValue::new(VALUE.into());
    let out = exec::run(&cmd, &value, &context(), Some(exec::DEFAULT_TIMEOUT))
        .await
        .unwrap();
    assert_eq!(out.stdout.trim(), "done on stdout");
    assert_eq!(out.stderr.trim(), "note on stderr");
    assert_eq!(
        read(dir.path(), "argv").lines().collect::<Vec<_>>(),
        vec!["insert", "-m", "azure/billing api", "$HOME;x"],
        "words, not shell syntax"
    );
    assert_eq!(read(dir.path(), "stdin"), VALUE);
    let env = read(dir.path(), "env");
    assert!(env.lines().any(|l| l == format!("AZURE_CLIENT_ID={APP}")));
    assert!(
        env.lines()
            .any(|l| l == format!("AZURE_TENANT_ID={TENANT}"))
    );
    assert!(!env.contains(VALUE));
    assert!(!env.lines().any(|l| l.starts_with("AZURE_CLIENT_SECRET=")));
}

#[tokio::test]
async fn exec_failures_are_typed_and_output_never_shows_the_value() {
    let dir = tempfile::tempdir().unwrap();
    // A command that echoes what it read, then fails.
    let p = dir.path().join("echo-back");
    std::fs::write(
        &p,
        "#!/bin/sh\nv=$(cat)\necho \"got $v\"\necho \"bad $v\" >&2\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cmd = ExecCommand {
        program: p.display().to_string(),
        args: vec![],
    };
    let value = SecretValue::new(VALUE.into());
    let e = exec::run(&cmd, &value, &context(), None).await.unwrap_err();
    let ExecError::Exited { code, output, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*code, Some(3));
    assert_eq!(output.stdout.trim(), "got [REDACTED]");
    assert_eq!(output.stderr.trim(), "bad [REDACTED]");
    assert!(!format!("{e:?}").contains(VALUE));

    let missing = ExecCommand::parse("azsecrets-no-such-command --x").unwrap();
    assert!(matches!(
        exec::run(&missing, &value, &context(), None).await,
        Err(ExecError::NotFound(_))
    ));

    // A command that never reads stdin and exits at once is judged by its exit code.
    let quick = ExecCommand::parse("true").unwrap();
    exec::run(&quick, &value, &context(), None).await.unwrap();

    let slow = ExecCommand::parse("sleep 5").unwrap();
    let e = exec::run(
        &slow,
        &value,
        &context(),
        Some(std::time::Duration::from_millis(200)),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ExecError::Timeout { .. }), "{e:?}");
}
