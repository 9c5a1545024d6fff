//! Where a new secret's value can go, as the user writes it (`--to`): the existing `clipboard`,
//! `env-file:PATH` and `stdout`, and `keyvault:VAULT[/NAME]`, `github:OWNER/REPO[/NAME][@ENV]`
//! and `exec:'CMD ARGS…'`: parsing and validation with clear errors. The hand-off itself is
//! [`deliver`] (checks before the secret exists, sending, the vaults to choose from, the
//! sign-in check), over [`crate::keyvault`], [`github`] (the `gh` CLI) and [`exec`]; the advice
//! both front-ends give is [`words`]. Knows no terminal.

pub mod deliver;
pub mod exec;
pub mod github;
mod process;
pub mod words;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::keyvault::{NameError, SecretName, VaultRef};

pub use deliver::{
    About, Clients, SendError, Sent, Tagged, Target, VaultChoices, VaultTarget, VaultsFound,
};
pub use exec::{ExecCommand, ExecContext, ExecError, ExecOutput};
pub use github::{GhError, GhOutput, GhRunner, GitHubName, GitHubRepo, GitHubTarget};

/// One destination for a secret's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    Clipboard,
    EnvFile(PathBuf),
    Stdout,
    /// A Key Vault secret; without a name, the default derived from the app's display name
    /// ([`SecretName::for_app`]).
    KeyVault {
        vault: VaultRef,
        name: Option<SecretName>,
    },
    GitHub(GitHubTarget),
    Exec(ExecCommand),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    #[error(
        "'{0}' is not a destination: use clipboard, stdout, env-file:PATH, keyvault:VAULT[/NAME], github:OWNER/REPO[/NAME][@ENVIRONMENT] or exec:'COMMAND ARGS…'"
    )]
    Unknown(String),
    #[error("env-file: needs a path, as in env-file:./app.env")]
    EmptyPath,
    #[error("keyvault: {0}")]
    KeyVault(#[from] NameError),
    #[error(
        "keyvault: needs a vault name or URL, as in keyvault:contoso-kv or keyvault:contoso-kv/app-secret"
    )]
    EmptyVault,
    #[error("github: {0}")]
    GitHub(String),
    #[error("exec: {0}")]
    Exec(String),
}

impl FromStr for Destination {
    type Err = DestinationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        match s {
            "clipboard" => return Ok(Destination::Clipboard),
            "stdout" => return Ok(Destination::Stdout),
            _ => {}
        }
        let Some((kind, rest)) = s.split_once(':') else {
            return Err(DestinationError::Unknown(s.to_owned()));
        };
        match kind {
            "env-file" if rest.trim().is_empty() => Err(DestinationError::EmptyPath),
            "env-file" => Ok(Destination::EnvFile(PathBuf::from(rest))),
            "keyvault" => parse_keyvault(rest.trim()),
            "github" => GitHubTarget::parse(rest.trim())
                .map(Destination::GitHub)
                .map_err(DestinationError::GitHub),
            "exec" => ExecCommand::parse(rest)
                .map(Destination::Exec)
                .map_err(DestinationError::Exec),
            _ => Err(DestinationError::Unknown(s.to_owned())),
        }
    }
}

/// `VAULT[/NAME]`, VAULT a name or a URL. In a URL the secret name is a last path segment not
/// followed by `/` (`https://kv.vault.azure.net/app-secret`); a URL ending in `/` is the vault.
fn parse_keyvault(rest: &str) -> Result<Destination, DestinationError> {
    if rest.is_empty() {
        return Err(DestinationError::EmptyVault);
    }
    let (vault, name) = if let Some(after_scheme) = rest.split_once("://").map(|(_, a)| a) {
        // Split the last path segment off when there is a path and it does not end in `/`.
        match after_scheme.find('/') {
            Some(slash) if !rest.ends_with('/') => {
                let path = &after_scheme[slash..];
                let cut = rest.len() - path.len() + path.rfind('/').unwrap_or(0) + 1;
                (&rest[..cut], Some(&rest[cut..]))
            }
            _ => (rest, None),
        }
    } else {
        match rest.split_once('/') {
            Some((v, n)) => (v, Some(n)),
            None => (rest, None),
        }
    };
    let vault = vault.parse::<VaultRef>()?;
    let name = match name {
        Some(n) => Some(SecretName::parse(n)?),
        None => None,
    };
    Ok(Destination::KeyVault { vault, name })
}

impl Destination {
    /// A short word for the kind (`keyvault`, `github`, …): the journal records it.
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::Clipboard => "clipboard",
            Destination::EnvFile(_) => "env-file",
            Destination::Stdout => "stdout",
            Destination::KeyVault { .. } => "keyvault",
            Destination::GitHub(_) => "github",
            Destination::Exec(_) => "exec",
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Clipboard => f.write_str("clipboard"),
            Destination::Stdout => f.write_str("stdout"),
            Destination::EnvFile(p) => write!(f, "env-file:{}", p.display()),
            Destination::KeyVault { vault, name } => match (vault, name) {
                (VaultRef::Url(u), Some(n)) => write!(f, "keyvault:{u}{n}"),
                (v, Some(n)) => write!(f, "keyvault:{v}/{n}"),
                (v, None) => write!(f, "keyvault:{v}"),
            },
            Destination::GitHub(t) => write!(f, "github:{t}"),
            Destination::Exec(c) => write!(f, "exec:{c}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Destination, DestinationError> {
        s.parse()
    }

    #[test]
    fn the_existing_destinations() {
        assert_eq!(parse("clipboard"), Ok(Destination::Clipboard));
        assert_eq!(parse("stdout"), Ok(Destination::Stdout));
        assert_eq!(
            parse("env-file:./x.env"),
            Ok(Destination::EnvFile(PathBuf::from("./x.env")))
        );
        assert_eq!(parse("env-file:"), Err(DestinationError::EmptyPath));
        assert!(matches!(parse("file"), Err(DestinationError::Unknown(_))));
        assert!(matches!(
            parse("s3:bucket"),
            Err(DestinationError::Unknown(_))
        ));
    }

    #[test]
    fn key_vault_destinations() {
        let Ok(Destination::KeyVault { vault, name }) = parse("keyvault:contoso-kv") else {
            panic!()
        };
        assert_eq!(vault.to_string(), "contoso-kv");
        assert_eq!(name, None);
        let Ok(Destination::KeyVault { name, .. }) = parse("keyvault:contoso-kv/App-Secret-1")
        else {
            panic!()
        };
        assert_eq!(name.map(|n| n.to_string()).as_deref(), Some("App-Secret-1"));
        let Ok(Destination::KeyVault { vault, name }) =
            parse("keyvault:https://contoso-kv.vault.azure.net/app-secret")
        else {
            panic!()
        };
        assert_eq!(vault.to_string(), "https://contoso-kv.vault.azure.net/");
        assert_eq!(name.map(|n| n.to_string()).as_deref(), Some("app-secret"));
        let Ok(Destination::KeyVault { vault, name }) =
            parse("keyvault:http://127.0.0.1:9/kv/contoso-kv/")
        else {
            panic!()
        };
        assert_eq!(vault.to_string(), "http://127.0.0.1:9/kv/contoso-kv/");
        assert_eq!(name, None);
        assert_eq!(
            parse("keyvault:https://contoso-kv.vault.azure.net/app-secret")
                .unwrap()
                .to_string(),
            "keyvault:https://contoso-kv.vault.azure.net/app-secret"
        );
        for bad in [
            "keyvault:",
            "keyvault:kv",
            "keyvault:1kv",
            "keyvault:contoso-kv/a.b",
            "keyvault:contoso-kv/",
            "keyvault:http://contoso-kv.vault.azure.net/",
            "keyvault:contoso-kv/x/y",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    DestinationError::KeyVault(_) | DestinationError::EmptyVault
                ),
                "{bad}: {e:?}"
            );
        }
        let msg = parse("keyvault:contoso-kv/a.b").unwrap_err().to_string();
        assert!(msg.contains("1 to 127 letters"), "{msg}");
    }

    #[test]
    fn github_and_exec_destinations() {
        let Ok(Destination::GitHub(t)) = parse("github:contoso/billing") else {
            panic!()
        };
        assert_eq!(t.secret_name.as_str(), "AZURE_CLIENT_SECRET");
        assert_eq!(t.to_string(), "contoso/billing/AZURE_CLIENT_SECRET");
        let Ok(Destination::GitHub(t)) = parse("github:contoso/billing.api/BILLING_SECRET@prod eu")
        else {
            panic!()
        };
        assert_eq!(t.repo.to_string(), "contoso/billing.api");
        assert_eq!(t.environment.as_deref(), Some("prod eu"));
        assert_eq!(t.secret_name.as_str(), "BILLING_SECRET");
        let Ok(Destination::Exec(c)) = parse("exec:pass insert -m 'azure/billing api'") else {
            panic!()
        };
        assert_eq!(c.program, "pass");
        assert_eq!(c.args, vec!["insert", "-m", "azure/billing api"]);
        assert!(matches!(parse("exec:"), Err(DestinationError::Exec(_))));
        assert!(matches!(
            parse("exec:'unclosed"),
            Err(DestinationError::Exec(_))
        ));
        assert!(matches!(
            parse("github:contoso"),
            Err(DestinationError::GitHub(_))
        ));
    }
}
