//! The `github:` destination: a GitHub Actions secret set through the `gh` CLI the user already
//! signed into (`gh secret set NAME --repo OWNER/REPO [--env ENV]`), the value on gh's stdin:
//! never in its arguments (`--body` would show in `ps`) or its environment. gh reads stdin only
//! when it cannot prompt, so it runs with stdin piped and `GH_PROMPT_DISABLED=1`; it trims
//! trailing newlines from stdin, so a value ending in one is refused rather than silently
//! changed. Names follow GitHub's rules (`[A-Za-z0-9_]`, not starting with a digit or
//! `GITHUB_`). The client and tenant ids can be set as variables beside it (not secret).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::process::{self, RunError};
use crate::secret::SecretValue;

/// The secret's name when the destination names none.
pub const DEFAULT_SECRET_NAME: &str = "AZURE_CLIENT_SECRET";
/// How long gh may take (it talks to GitHub's API).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// gh's exit code when it is not signed in.
const EXIT_AUTH: i32 = 4;

/// `OWNER/REPO`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitHubRepo {
    pub owner: String,
    pub name: String,
}

impl GitHubRepo {
    pub fn parse(owner: &str, name: &str) -> Result<Self, String> {
        // Users and organizations: 1-39 letters, digits and single hyphens, not at either end.
        let owner_ok = (1..=39).contains(&owner.len())
            && owner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !owner.starts_with('-')
            && !owner.ends_with('-')
            && !owner.contains("--");
        if !owner_ok {
            return Err(format!(
                "'{owner}' is not a GitHub user or organization name (letters, digits and single hyphens, at most 39)"
            ));
        }
        let name_ok = (1..=100).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            && name != "."
            && name != "..";
        if !name_ok {
            return Err(format!(
                "'{name}' is not a repository name (letters, digits, '.', '_' and '-', at most 100)"
            ));
        }
        Ok(Self {
            owner: owner.to_owned(),
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for GitHubRepo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// A GitHub Actions secret or variable name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitHubName(String);

impl GitHubName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !s.as_bytes()[0].is_ascii_digit()
            && !s.to_ascii_uppercase().starts_with("GITHUB_");
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "'{s}' is not a GitHub secret name: use letters, digits and '_', not starting with a digit or GITHUB_"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GitHubName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a GitHub Actions secret goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitHubTarget {
    pub repo: GitHubRepo,
    /// Default [`DEFAULT_SECRET_NAME`]. GitHub stores names upper-cased.
    pub secret_name: GitHubName,
    /// An environment secret instead of a repository secret.
    pub environment: Option<String>,
}

impl GitHubTarget {
    /// `OWNER/REPO[/NAME][@ENVIRONMENT]`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (path, environment) = match s.split_once('@') {
            Some((p, e)) => (p, Some(e)),
            None => (s, None),
        };
        let parts: Vec<&str> = path.split('/').collect();
        let (owner, repo, name) = match parts.as_slice() {
            [o, r] => (*o, *r, None),
            [o, r, n] => (*o, *r, Some(*n)),
            _ => {
                return Err(format!(
                    "'{s}' is not OWNER/REPO[/NAME][@ENVIRONMENT], as in github:contoso/billing-api/AZURE_CLIENT_SECRET@production"
                ));
            }
        };
        let environment = match environment {
            Some(e) => {
                let ok = !e.trim().is_empty()
                    && e.trim() == e
                    && e.chars().count() <= 255
                    && !e.chars().any(char::is_control);
                if !ok {
                    return Err(format!(
                        "'{e}' is not an environment name (1 to 255 characters)"
                    ));
                }
                Some(e.to_owned())
            }
            None => None,
        };
        Ok(Self {
            repo: GitHubRepo::parse(owner, repo)?,
            secret_name: GitHubName::parse(name.unwrap_or(DEFAULT_SECRET_NAME))?,
            environment,
        })
    }
}

impl fmt::Display for GitHubTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.repo, self.secret_name)?;
        if let Some(e) = &self.environment {
            write!(f, "@{e}")?;
        }
        Ok(())
    }
}

/// What gh printed (usually nothing: it is silent when stdout is not a terminal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GhOutput {
    pub stdout: String,
    pub stderr: String,
}

#[derive(Debug, thiserror::Error)]
pub enum GhError {
    #[error(
        "the GitHub CLI (gh) is not installed or not on PATH: install it from https://cli.github.com"
    )]
    NotInstalled,
    #[error("the GitHub CLI is not signed in: run `gh auth login`{}", detail_note(.detail))]
    NotSignedIn { detail: String },
    #[error("gh failed ({}){}", exit_text(*.code), detail_note(.detail))]
    Failed {
        code: Option<i32>,
        /// The first line of what gh said.
        detail: String,
        output: GhOutput,
    },
    #[error("gh did not finish within {0} seconds and was stopped")]
    Timeout(u64),
    #[error("could not run gh: {0}")]
    Start(String),
    #[error(
        "the value ends with a line break, which gh would strip: it cannot be stored through gh unchanged"
    )]
    TrailingNewline,
}

fn exit_text(code: Option<i32>) -> String {
    match code {
        Some(c) => format!("exit code {c}"),
        None => "killed by a signal".into(),
    }
}

fn detail_note(d: &str) -> String {
    if d.is_empty() {
        String::new()
    } else {
        format!(" (gh said: {d})")
    }
}

/// Runs `gh`.
#[derive(Clone, Debug)]
pub struct GhRunner {
    program: PathBuf,
    timeout: Option<Duration>,
}

impl GhRunner {
    /// `gh` from `PATH`, or [`GhError::NotInstalled`].
    pub fn from_path() -> Result<Self, GhError> {
        let path = std::env::var_os("PATH").ok_or(GhError::NotInstalled)?;
        Self::find_in(&path)
    }

    /// `gh` from a `PATH`-style list of directories.
    pub fn find_in(path: &std::ffi::OsStr) -> Result<Self, GhError> {
        let names: &[&str] = if cfg!(windows) {
            &["gh.exe", "gh.cmd"]
        } else {
            &["gh"]
        };
        std::env::split_paths(path)
            .filter(|d| !d.as_os_str().is_empty())
            .flat_map(|d| names.iter().map(move |n| d.join(n)))
            .find(|p| is_executable(p))
            .map(Self::with_program)
            .ok_or(GhError::NotInstalled)
    }

    pub fn with_program(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            timeout: Some(DEFAULT_TIMEOUT),
        }
    }

    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The arguments for a secret: the value is not among them.
    pub fn secret_args(target: &GitHubTarget) -> Vec<String> {
        let mut a = vec![
            "secret".to_owned(),
            "set".to_owned(),
            target.secret_name.to_string(),
            "--repo".to_owned(),
            target.repo.to_string(),
            "--app".to_owned(),
            "actions".to_owned(),
        ];
        if let Some(e) = &target.environment {
            a.extend(["--env".to_owned(), e.clone()]);
        }
        a
    }

    /// `gh secret set NAME --repo OWNER/REPO --app actions [--env ENV]`, the value on stdin.
    pub async fn set_secret(
        &self,
        target: &GitHubTarget,
        value: &SecretValue,
    ) -> Result<GhOutput, GhError> {
        if value.expose().ends_with(['\n', '\r']) {
            return Err(GhError::TrailingNewline);
        }
        tracing::info!(repo = %target.repo, name = %target.secret_name, env = target.environment.as_deref().unwrap_or(""), "gh secret set");
        self.run(Self::secret_args(target), value.expose().as_bytes())
            .await
    }

    /// `gh variable set NAME --body VALUE --repo OWNER/REPO [--env ENV]`: for values that are
    /// not secret (the client and tenant ids), which gh takes in its arguments.
    pub async fn set_variable(
        &self,
        repo: &GitHubRepo,
        environment: Option<&str>,
        name: &GitHubName,
        value: &str,
    ) -> Result<GhOutput, GhError> {
        let mut args = vec![
            "variable".to_owned(),
            "set".to_owned(),
            name.to_string(),
            "--body".to_owned(),
            value.to_owned(),
            "--repo".to_owned(),
            repo.to_string(),
        ];
        if let Some(e) = environment {
            args.extend(["--env".to_owned(), e.to_owned()]);
        }
        self.run(args, b"").await
    }

    /// `gh auth status`: gh is installed and signed in (checked before a secret exists, so a gh
    /// that would refuse it refuses before anything is created).
    pub async fn check_signed_in(&self) -> Result<(), GhError> {
        let finished = process::run(
            &self.program,
            &["auth".to_owned(), "status".to_owned()],
            &[("GH_PROMPT_DISABLED", "1")],
            b"",
            self.timeout,
        )
        .await
        .map_err(|e| match e {
            RunError::NotFound => GhError::NotInstalled,
            RunError::Timeout => GhError::Timeout(self.timeout.map(|t| t.as_secs()).unwrap_or(0)),
            RunError::Start(d) | RunError::Io(d) => GhError::Start(d),
        })?;
        if finished.success {
            return Ok(());
        }
        // gh prints its status on stderr (older) or stdout (newer).
        let said = if finished.stderr.trim().is_empty() {
            &finished.stdout
        } else {
            &finished.stderr
        };
        Err(GhError::NotSignedIn {
            detail: crate::auth::first_line(said, 300),
        })
    }

    async fn run(&self, args: Vec<String>, stdin: &[u8]) -> Result<GhOutput, GhError> {
        let finished = process::run(
            &self.program,
            &args,
            &[("GH_PROMPT_DISABLED", "1")],
            stdin,
            self.timeout,
        )
        .await
        .map_err(|e| match e {
            RunError::NotFound => GhError::NotInstalled,
            RunError::Timeout => GhError::Timeout(self.timeout.map(|t| t.as_secs()).unwrap_or(0)),
            RunError::Start(d) | RunError::Io(d) => GhError::Start(d),
        })?;
        let output = GhOutput {
            stdout: finished.stdout,
            stderr: finished.stderr,
        };
        if finished.success {
            return Ok(output);
        }
        let detail = crate::auth::first_line(&output.stderr, 300);
        if finished.code == Some(EXIT_AUTH) || output.stderr.contains("gh auth login") {
            return Err(GhError::NotSignedIn { detail });
        }
        Err(GhError::Failed {
            code: finished.code,
            detail,
            output,
        })
    }
}

fn is_executable(p: &Path) -> bool {
    process::is_executable(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_github_rules() {
        for ok in ["AZURE_CLIENT_SECRET", "_x", "a1"] {
            assert!(GitHubName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1A", "GITHUB_TOKEN", "github_x", "A-B", "A B"] {
            assert!(GitHubName::parse(bad).is_err(), "{bad}");
        }
        assert!(GitHubRepo::parse("contoso", "billing.api_v2-x").is_ok());
        for (o, r) in [
            ("-x", "r"),
            ("a--b", "r"),
            ("o", ".."),
            ("o", "a/b"),
            ("o", ""),
        ] {
            assert!(GitHubRepo::parse(o, r).is_err(), "{o}/{r}");
        }
        assert!(GitHubTarget::parse("o/r@").is_err());
        assert!(GitHubTarget::parse("o/r/N/x").is_err());
    }

    #[test]
    fn the_value_is_never_an_argument() {
        let t = GitHubTarget::parse("contoso/billing/BILLING@prod").unwrap();
        assert_eq!(
            GhRunner::secret_args(&t).join(" "),
            "secret set BILLING --repo contoso/billing --app actions --env prod"
        );
    }
}
