//! The `exec:` destination: any command, run without a shell, the value on its stdin,
//! `AZURE_CLIENT_ID` and `AZURE_TENANT_ID` in its environment (for `pass insert -m`, `op`,
//! `vault kv put`, `kubectl create secret … --from-file=…=/dev/stdin`). Its exit status decides
//! success; what it printed comes back for display (with any copy of the value redacted; the
//! caller still sanitizes it before a terminal sees it).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::process::{self, RunError};
use crate::ids::ApplicationId;
use crate::secret::SecretValue;

/// How long a command may run by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// A command line, split like a shell would split words (quotes and backslashes), but never
/// run through one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecCommand {
    pub program: String,
    pub args: Vec<String>,
}

impl ExecCommand {
    pub fn parse(s: &str) -> Result<Self, String> {
        let words = shell_words::split(s)
            .map_err(|e| format!("cannot split the command into words ({e}): check its quotes"))?;
        let mut words = words.into_iter();
        match words.next() {
            Some(program) if !program.is_empty() => Ok(Self {
                program,
                args: words.collect(),
            }),
            _ => Err("needs a command, as in exec:'pass insert -m azure/my-app'".into()),
        }
    }
}

impl ExecCommand {
    /// The program is there to run (a path that is executable, or a name found on `PATH`):
    /// checked before a secret exists.
    pub fn check(&self) -> Result<PathBuf, ExecError> {
        let path = std::env::var_os("PATH");
        process::find_program(&self.program, path.as_deref())
            .ok_or_else(|| ExecError::NotFound(self.program.clone()))
    }
}

impl fmt::Display for ExecCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut all = vec![self.program.as_str()];
        all.extend(self.args.iter().map(String::as_str));
        f.write_str(&shell_words::join(all))
    }
}

/// What the command is told about the secret (never the value itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecContext {
    pub client_id: ApplicationId,
    pub tenant_id: String,
}

/// What the command printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecOutput {
    pub stdout: String,
    pub stderr: String,
    pub truncated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("'{0}' was not found: check the command's name, or give its full path")]
    NotFound(String),
    #[error("could not start '{program}': {detail}")]
    Start { program: String, detail: String },
    #[error("'{program}' did not finish within {secs} seconds and was stopped")]
    Timeout { program: String, secs: u64 },
    #[error("'{program}' failed ({})", exit_text(*.code))]
    Exited {
        program: String,
        /// `None` when killed by a signal.
        code: Option<i32>,
        output: ExecOutput,
    },
    #[error("'{program}': {detail}")]
    Io { program: String, detail: String },
}

fn exit_text(code: Option<i32>) -> String {
    match code {
        Some(c) => format!("exit code {c}"),
        None => "killed by a signal".into(),
    }
}

/// Run `command` with `value` on its stdin.
pub async fn run(
    command: &ExecCommand,
    value: &SecretValue,
    context: &ExecContext,
    timeout: Option<Duration>,
) -> Result<ExecOutput, ExecError> {
    let program = command.program.clone();
    tracing::info!(program = %program, args = command.args.len(), "running an exec destination");
    let finished = process::run(
        &PathBuf::from(&command.program),
        &command.args,
        &[
            ("AZURE_CLIENT_ID", context.client_id.as_str()),
            ("AZURE_TENANT_ID", context.tenant_id.as_str()),
        ],
        value.expose().as_bytes(),
        timeout,
    )
    .await
    .map_err(|e| match e {
        RunError::NotFound => ExecError::NotFound(program.clone()),
        RunError::Start(detail) => ExecError::Start {
            program: program.clone(),
            detail,
        },
        RunError::Timeout => ExecError::Timeout {
            program: program.clone(),
            secs: timeout.map(|t| t.as_secs()).unwrap_or(0),
        },
        RunError::Io(detail) => ExecError::Io {
            program: program.clone(),
            detail,
        },
    })?;
    let output = ExecOutput {
        stdout: finished.stdout,
        stderr: finished.stderr,
        truncated: finished.truncated,
    };
    tracing::info!(program = %program, code = ?finished.code, "exec destination finished");
    if finished.success {
        Ok(output)
    } else {
        Err(ExecError::Exited {
            program,
            code: finished.code,
            output,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell_without_one() {
        let c = ExecCommand::parse(
            r#"kubectl create secret generic app --from-file=secret=/dev/stdin"#,
        )
        .unwrap();
        assert_eq!(c.program, "kubectl");
        assert_eq!(c.args.len(), 5);
        let c = ExecCommand::parse(r#"op item edit "Billing API" 'password[password]=-' a\ b"#)
            .unwrap();
        assert_eq!(
            c.args,
            vec!["item", "edit", "Billing API", "password[password]=-", "a b"]
        );
        // No shell: these are plain words.
        let c = ExecCommand::parse("echo $HOME; rm -rf / | cat").unwrap();
        assert_eq!(c.args, vec!["$HOME;", "rm", "-rf", "/", "|", "cat"]);
        assert!(ExecCommand::parse("  ").is_err());
        assert!(ExecCommand::parse("a 'b").is_err());
        assert_eq!(
            ExecCommand::parse("pass insert -m 'azure/billing api'")
                .unwrap()
                .to_string(),
            "pass insert -m 'azure/billing api'"
        );
    }
}
