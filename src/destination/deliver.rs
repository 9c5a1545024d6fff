//! Handing a new secret's value to the destinations that need a client (a key vault, GitHub
//! Actions through `gh`, any command), checking beforehand that each would take it (so a
//! refusal comes before the secret exists), listing the vaults to choose from, finding the vault
//! secret that holds a secret being rotated, and building the check that a new secret signs in.
//! Both front-ends call this and word the answers themselves ([`super::words`] has the advice
//! they share). Knows no terminal.

use std::ffi::OsString;
use std::fmt;

use chrono::{DateTime, Utc};
use url::Url;

use super::Destination;
use super::exec::{self, ExecCommand, ExecContext, ExecError, ExecOutput};
use super::github::{GhError, GhRunner, GitHubName, GitHubTarget};
use crate::arm::{ArmClient, Vault};
use crate::ids::{ApplicationId, SecretId};
use crate::keyvault::{
    ClientSecretTags, KeyVaultClient, KeyVaultError, PermissionModel, SecretName, SecretToStore,
    VaultApiError, VaultCause, VaultRef,
};
use crate::prefs::Prefs;
use crate::secret::SecretValue;
use crate::verify::{Verifier, VerifyError, VerifyPolicy};

/// Vaults searched at most for the secret a rotation replaces (each costs a listing).
pub const MAX_VAULTS_SEARCHED: usize = 25;

/// What a destination is told about the secret besides its value (tags, variables, the
/// command's environment). Never the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct About {
    pub app_name: String,
    pub application_id: ApplicationId,
    pub tenant_id: String,
    pub secret_id: SecretId,
    pub hint: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// A key vault destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultTarget {
    /// As the user chose it (a name or a URL): shown, and remembered for next time.
    pub vault: VaultRef,
    /// ARM's `vaultUri`, preferred to the URL template when the vault came from ARM.
    pub uri: Option<Url>,
    /// `None`: the default for the app ([`SecretName::for_app`]).
    pub name: Option<SecretName>,
    /// How the vault authorizes, when ARM said (to word a 403).
    pub model: Option<PermissionModel>,
}

impl VaultTarget {
    pub fn new(vault: VaultRef, name: Option<SecretName>) -> Self {
        Self {
            vault,
            uri: None,
            name,
            model: None,
        }
    }

    /// The name the secret gets in the vault.
    pub fn name_for(&self, app_name: &str) -> SecretName {
        self.name
            .clone()
            .unwrap_or_else(|| SecretName::for_app(app_name))
    }
}

/// A destination that needs a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    KeyVault(VaultTarget),
    /// `variables`: also set `AZURE_CLIENT_ID` and `AZURE_TENANT_ID` as variables beside it.
    GitHub {
        target: GitHubTarget,
        variables: bool,
    },
    Exec(ExecCommand),
}

impl Target {
    /// The client-needing part of a `--to` destination (`None`: clipboard, env-file, stdout).
    pub fn of(destination: &Destination, github_variables: bool) -> Option<Self> {
        match destination {
            Destination::KeyVault { vault, name } => Some(Target::KeyVault(VaultTarget::new(
                vault.clone(),
                name.clone(),
            ))),
            Destination::GitHub(t) => Some(Target::GitHub {
                target: t.clone(),
                variables: github_variables,
            }),
            Destination::Exec(c) => Some(Target::Exec(c.clone())),
            Destination::Clipboard | Destination::EnvFile(_) | Destination::Stdout => None,
        }
    }

    /// A short word for the journal and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::KeyVault(_) => "keyvault",
            Target::GitHub { .. } => "github",
            Target::Exec(_) => "exec",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::KeyVault(v) => match &v.name {
                Some(n) => write!(f, "key vault {}, secret {n}", v.vault),
                None => write!(f, "key vault {}", v.vault),
            },
            Target::GitHub { target, .. } => {
                write!(f, "GitHub {} secret {}", target.repo, target.secret_name)?;
                if let Some(e) = &target.environment {
                    write!(f, " (environment {e})")?;
                }
                Ok(())
            }
            Target::Exec(c) => write!(f, "command `{c}`"),
        }
    }
}

/// What a destination answered when it took the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    KeyVault {
        /// The vault as the user chose it.
        vault: String,
        name: String,
        /// The new version's id (32 hex).
        version: Option<String>,
    },
    GitHub {
        target: GitHubTarget,
        /// `AZURE_CLIENT_ID` and `AZURE_TENANT_ID` as variables, when asked: set, or why not.
        variables: Option<Result<(), String>>,
    },
    Exec {
        command: String,
        output: ExecOutput,
    },
}

impl Sent {
    /// One line: where the value is now (for summaries, receipts and the journal's readers).
    pub fn describe(&self) -> String {
        match self {
            Sent::KeyVault {
                vault,
                name,
                version,
            } => match version {
                Some(v) => format!("stored in key vault {vault} as {name} (version {v})"),
                None => format!("stored in key vault {vault} as {name}"),
            },
            Sent::GitHub { target, variables } => {
                let mut s = format!(
                    "set as GitHub Actions secret {} in {}",
                    target.secret_name, target.repo
                );
                if let Some(e) = &target.environment {
                    s.push_str(&format!(" (environment {e})"));
                }
                match variables {
                    Some(Ok(())) => {
                        s.push_str(", with AZURE_CLIENT_ID and AZURE_TENANT_ID as variables")
                    }
                    Some(Err(why)) => s.push_str(&format!(
                        "; setting AZURE_CLIENT_ID and AZURE_TENANT_ID as variables failed: {why}"
                    )),
                    None => {}
                }
                s
            }
            Sent::Exec { command, .. } => format!("taken by `{command}` (exit code 0)"),
        }
    }

    /// What the program printed (exec, gh), unsanitized: the caller cleans it for a terminal.
    pub fn output(&self) -> Option<&ExecOutput> {
        match self {
            Sent::Exec { output, .. } => Some(output),
            _ => None,
        }
    }

    /// A part of the hand-off failed though the value arrived (GitHub variables).
    pub fn warning(&self) -> Option<&str> {
        match self {
            Sent::GitHub {
                variables: Some(Err(why)),
                ..
            } => Some(why),
            _ => None,
        }
    }
}

/// Why a destination did not take the value (or would not: [`Clients::check`]).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// This run has no client for it (a run without a session, e.g. tests).
    #[error("{0}")]
    NotAvailable(String),
    #[error("key vault {vault}: {error}")]
    KeyVault {
        vault: String,
        /// The secret's name in the vault.
        name: String,
        error: KeyVaultError,
        /// How the vault authorizes, when ARM said.
        model: Option<PermissionModel>,
    },
    #[error("GitHub {target}: {error}")]
    GitHub { target: String, error: GhError },
    #[error("command `{command}`: {error}")]
    Exec { command: String, error: ExecError },
}

impl SendError {
    /// Why, without naming the destination (for a line that names it already).
    pub fn reason(&self) -> String {
        match self {
            SendError::NotAvailable(why) => why.clone(),
            SendError::KeyVault { error, .. } => error.to_string(),
            SendError::GitHub { error, .. } => error.to_string(),
            SendError::Exec { error, .. } => error.to_string(),
        }
    }

    /// What to do about it, in words both front-ends use.
    pub fn advice(&self) -> Option<String> {
        match self {
            SendError::NotAvailable(_) => None,
            SendError::KeyVault {
                vault,
                name,
                error,
                model,
            } => super::words::vault_advice(error.cause(), *model, vault, name),
            SendError::GitHub { error, .. } => super::words::gh_advice(error),
            SendError::Exec { error, .. } => super::words::exec_advice(error),
        }
    }

    /// What a command printed before it failed, unsanitized (gh's first line is in its
    /// error already).
    pub fn output(&self) -> Option<(&str, &str)> {
        match self {
            SendError::Exec {
                error: ExecError::Exited { output, .. },
                ..
            } => Some((&output.stdout, &output.stderr)),
            _ => None,
        }
    }
}

/// The vaults the signed-in identity can see through Resource Manager, and what could not be
/// listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VaultChoices {
    pub vaults: Vec<Vault>,
    /// Subscriptions skipped (no Reader role there), or why nothing could be listed.
    pub problems: Vec<String>,
}

/// What a vault picker starts from: the vaults listed, the one last used for the app in the
/// tenant, and (rotating) the vault secret that holds the old client secret.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VaultsFound {
    pub choices: VaultChoices,
    pub remembered: Option<VaultRef>,
    pub tagged: Option<Tagged>,
}

/// A vault secret that holds a client secret being rotated (tagged with its Secret ID).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tagged {
    pub vault: VaultRef,
    pub uri: Url,
    pub name: SecretName,
}

/// The clients the destinations need, built once from a session.
#[derive(Clone)]
pub struct Clients {
    key_vault: Result<KeyVaultClient, String>,
    arm: Result<ArmClient, String>,
    /// The login root and `{graph}/.default`, for the sign-in check.
    verify: Option<(Url, String)>,
    verify_policy: VerifyPolicy,
    prefs: Option<Prefs>,
    /// Where `gh` is looked for (`None`: `PATH`).
    gh_path: Option<OsString>,
}

impl fmt::Debug for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clients")
            .field("key_vault", &self.key_vault.is_ok())
            .field("arm", &self.arm.is_ok())
            .field("verify", &self.verify.as_ref().map(|(l, _)| l.as_str()))
            .finish()
    }
}

impl Default for Clients {
    fn default() -> Self {
        Self::none()
    }
}

impl Clients {
    /// No clients: every key vault, listing and sign-in check says it is not available here.
    pub fn none() -> Self {
        let why = "not available in this run (no session)".to_owned();
        Self {
            key_vault: Err(why.clone()),
            arm: Err(why),
            verify: None,
            verify_policy: VerifyPolicy::default(),
            prefs: None,
            gh_path: None,
        }
    }

    pub fn from_session(session: &crate::session::Session) -> Self {
        Self {
            key_vault: session.key_vault().map_err(|e| e.to_string()),
            arm: session.arm().map_err(|e| e.to_string()),
            verify: Some((
                session.endpoints.login.clone(),
                session.endpoints.graph_default_scope(),
            )),
            verify_policy: VerifyPolicy::default(),
            prefs: Prefs::default_location().ok(),
            gh_path: None,
        }
    }

    /// The same clients with Key Vault and Resource Manager signed in to the tenant switched
    /// to (`T`): its vaults are the ones listed and written.
    pub fn in_tenant(
        mut self,
        key_vault: Result<KeyVaultClient, String>,
        arm: Result<ArmClient, String>,
    ) -> Self {
        self.key_vault = key_vault;
        self.arm = arm;
        self
    }

    pub fn with_prefs(mut self, prefs: Option<Prefs>) -> Self {
        self.prefs = prefs;
        self
    }

    pub fn with_verify_policy(mut self, policy: VerifyPolicy) -> Self {
        self.verify_policy = policy;
        self
    }

    /// How long the sign-in check waits for a new secret.
    pub fn verify_deadline(&self) -> std::time::Duration {
        self.verify_policy.deadline
    }

    /// Look for `gh` in this `PATH`-style list instead of `PATH`.
    pub fn with_gh_path(mut self, path: impl Into<OsString>) -> Self {
        self.gh_path = Some(path.into());
        self
    }

    pub fn prefs(&self) -> Option<&Prefs> {
        self.prefs.as_ref()
    }

    fn key_vault(&self) -> Result<&KeyVaultClient, String> {
        self.key_vault
            .as_ref()
            .map_err(|e| format!("Key Vault is {e}"))
    }

    fn gh(&self) -> Result<GhRunner, GhError> {
        match &self.gh_path {
            Some(p) => GhRunner::find_in(p),
            None => GhRunner::from_path(),
        }
    }

    /// The vault's URL: ARM's `vaultUri` when known, else the name through the template.
    pub fn vault_url(&self, target: &VaultTarget) -> Result<Url, SendError> {
        if let Some(u) = &target.uri {
            return Ok(u.clone());
        }
        let kv = self.key_vault().map_err(SendError::NotAvailable)?;
        kv.vault_url(&target.vault)
            .map_err(|error| SendError::KeyVault {
                vault: target.vault.to_string(),
                name: target
                    .name
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                error,
                model: target.model,
            })
    }

    /// Would `target` take a value now? Asked before the secret exists, so that a destination
    /// that would refuse it refuses first and nothing is created. A vault must answer (listing
    /// the secret's versions: no value travels) and take a token; gh must be installed and
    /// signed in; a command's program must be found.
    pub async fn check(&self, target: &Target, app_name: &str) -> Result<(), SendError> {
        match target {
            Target::KeyVault(v) => {
                let kv = self.key_vault().map_err(SendError::NotAvailable)?;
                let url = self.vault_url(v)?;
                let name = v.name_for(app_name);
                match kv.list_versions(&url, &name).await {
                    Ok(_) => Ok(()),
                    // Not there: unless a deleted secret holds the name (Set would get a 409).
                    Err(e) if e.cause() == VaultCause::NotFound => {
                        match kv.is_deleted(&url, &name).await {
                            Ok(true) => Err(SendError::KeyVault {
                                vault: v.vault.to_string(),
                                name: name.to_string(),
                                error: KeyVaultError::Api(Box::new(VaultApiError {
                                    operation: "use that name in the key vault",
                                    vault: url.to_string(),
                                    status: 409,
                                    code: "Conflict".into(),
                                    inner_code: Some("ObjectIsDeletedButRecoverable".into()),
                                    message: format!(
                                        "Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused"
                                    ),
                                    request_id: None,
                                })),
                                model: v.model,
                            }),
                            // Not deleted, or deleted secrets cannot be read: Set will tell.
                            Ok(false) | Err(_) => Ok(()),
                        }
                    }
                    // Reachable, signed in: a missing secret is made by Set; a refused read
                    // does not tell whether Set is allowed (that is judged when storing).
                    Err(e)
                        if matches!(
                            e.cause(),
                            VaultCause::Forbidden(_) | VaultCause::SecretDisabled
                        ) =>
                    {
                        Ok(())
                    }
                    Err(error) => Err(SendError::KeyVault {
                        vault: v.vault.to_string(),
                        name: name.to_string(),
                        error,
                        model: v.model,
                    }),
                }
            }
            Target::GitHub { target, .. } => {
                let fail = |error| SendError::GitHub {
                    target: target.to_string(),
                    error,
                };
                self.gh()
                    .map_err(fail)?
                    .check_signed_in()
                    .await
                    .map_err(fail)
            }
            Target::Exec(c) => c.check().map(|_| ()).map_err(|error| SendError::Exec {
                command: c.to_string(),
                error,
            }),
        }
    }

    /// Hand the value to `target`.
    pub async fn send(
        &self,
        target: &Target,
        value: &SecretValue,
        about: &About,
    ) -> Result<Sent, SendError> {
        match target {
            Target::KeyVault(v) => self.send_to_vault(v, value, about).await,
            Target::GitHub { target, variables } => {
                let fail = |error| SendError::GitHub {
                    target: target.to_string(),
                    error,
                };
                let gh = self.gh().map_err(fail)?;
                gh.set_secret(target, value).await.map_err(fail)?;
                let variables = if *variables {
                    Some(set_variables(&gh, target, about).await)
                } else {
                    None
                };
                Ok(Sent::GitHub {
                    target: target.clone(),
                    variables,
                })
            }
            Target::Exec(c) => {
                let context = ExecContext {
                    client_id: about.application_id.clone(),
                    tenant_id: about.tenant_id.clone(),
                };
                let output = exec::run(c, value, &context, Some(exec::DEFAULT_TIMEOUT))
                    .await
                    .map_err(|error| SendError::Exec {
                        command: c.to_string(),
                        error,
                    })?;
                Ok(Sent::Exec {
                    command: c.to_string(),
                    output,
                })
            }
        }
    }

    async fn send_to_vault(
        &self,
        v: &VaultTarget,
        value: &SecretValue,
        about: &About,
    ) -> Result<Sent, SendError> {
        let kv = self.key_vault().map_err(SendError::NotAvailable)?;
        let url = self.vault_url(v)?;
        let name = v.name_for(&about.app_name);
        let tags = ClientSecretTags {
            application_id: about.application_id.clone(),
            secret_id: about.secret_id.clone(),
            hint: about.hint.clone(),
            app_name: about.app_name.clone(),
        };
        let to_store = SecretToStore::client_secret(value, &tags, about.start, about.end);
        match kv.set_secret(&url, &name, &to_store).await {
            Ok(props) => Ok(Sent::KeyVault {
                vault: v.vault.to_string(),
                name: props.name.clone(),
                version: props.version,
            }),
            Err(error) => Err(SendError::KeyVault {
                vault: v.vault.to_string(),
                name: name.to_string(),
                error,
                model: v.model,
            }),
        }
    }

    /// Every vault the signed-in identity can see through Resource Manager (for a picker).
    pub async fn vaults(&self) -> VaultChoices {
        let arm = match &self.arm {
            Ok(a) => a,
            Err(e) => {
                return VaultChoices {
                    vaults: Vec::new(),
                    problems: vec![format!("Resource Manager is {e}")],
                };
            }
        };
        match arm.list_all_vaults(None).await {
            Ok((mut vaults, skipped)) => {
                vaults.sort_by(|a, b| {
                    a.name
                        .to_ascii_lowercase()
                        .cmp(&b.name.to_ascii_lowercase())
                });
                VaultChoices {
                    vaults,
                    problems: skipped
                        .into_iter()
                        .map(|(sub, e)| {
                            format!(
                                "subscription {} ({}) was skipped: {e}",
                                sub.display_name, sub.subscription_id
                            )
                        })
                        .collect(),
                }
            }
            Err(e) => VaultChoices {
                vaults: Vec::new(),
                problems: vec![format!("the vaults could not be listed: {e}")],
            },
        }
    }

    /// The vault secret tagged with `secret_id` (the client secret a rotation replaces), in the
    /// first of `candidates` (vault, ARM's URI if known) where the signed-in identity can list
    /// secrets and one is tagged. Vaults that cannot be read are passed over.
    pub async fn find_tagged(
        &self,
        candidates: &[(VaultRef, Option<Url>)],
        secret_id: &SecretId,
    ) -> Option<Tagged> {
        let kv = self.key_vault().ok()?;
        for (vault, uri) in candidates.iter().take(MAX_VAULTS_SEARCHED) {
            let url = match uri {
                Some(u) => u.clone(),
                None => match kv.vault_url(vault) {
                    Ok(u) => u,
                    Err(_) => continue,
                },
            };
            match kv.find_by_secret_id(&url, secret_id).await {
                Ok(Some(found)) => {
                    if let Ok(name) = SecretName::parse(&found.name) {
                        tracing::info!(vault = %vault, name = %name, "found the vault secret of the rotated secret");
                        return Some(Tagged {
                            vault: vault.clone(),
                            uri: url,
                            name,
                        });
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::info!(vault = %vault, error = %e, "could not search the vault for the rotated secret")
                }
            }
        }
        None
    }

    /// Everything a vault picker starts from ([`VaultsFound`]); for a rotation, the remembered
    /// vault is searched first, then the listed ones.
    pub async fn vaults_for(
        &self,
        tenant: &str,
        app: &ApplicationId,
        rotating: Option<&SecretId>,
    ) -> VaultsFound {
        let remembered = self.last_vault(tenant, app);
        let choices = self.vaults().await;
        let tagged = match rotating {
            None => None,
            Some(old) => {
                let mut candidates: Vec<(VaultRef, Option<Url>)> = Vec::new();
                if let Some(r) = &remembered {
                    let uri = choices
                        .vaults
                        .iter()
                        .find(|v| v.name.eq_ignore_ascii_case(&r.to_string()))
                        .and_then(|v| v.vault_uri.clone());
                    candidates.push((r.clone(), uri));
                }
                for v in &choices.vaults {
                    if let Ok(r) = v.name.parse::<VaultRef>()
                        && !candidates.iter().any(|(c, _)| *c == r)
                    {
                        candidates.push((r, v.vault_uri.clone()));
                    }
                }
                self.find_tagged(&candidates, old).await
            }
        };
        VaultsFound {
            choices,
            remembered,
            tagged,
        }
    }

    /// The check that `application` signs in with a new secret, in `tenant`.
    pub fn verifier(
        &self,
        tenant: &str,
        application: &ApplicationId,
    ) -> Result<Verifier, VerifyError> {
        let Some((login, scope)) = &self.verify else {
            return Err(VerifyError::Config(
                "checking a secret is not available in this run (no session)".into(),
            ));
        };
        Ok(Verifier::new(login, tenant, application, scope)?
            .with_policy(self.verify_policy.clone()))
    }

    /// The vault last used for `app` in `tenant`, as a destination's vault.
    pub fn last_vault(&self, tenant: &str, app: &ApplicationId) -> Option<VaultRef> {
        let remembered = self.prefs.as_ref()?.last_vault(tenant, app.as_str())?;
        remembered.parse().ok()
    }

    /// Remember the vault used for `app` in `tenant` (names only; failures are logged).
    pub fn remember_vault(&self, tenant: &str, app: &ApplicationId, vault: &VaultRef) {
        if let Some(p) = &self.prefs
            && let Err(e) = p.remember_vault(tenant, app.as_str(), &vault.to_string())
        {
            tracing::warn!(error = %e, "could not remember the vault");
        }
    }
}

/// `AZURE_CLIENT_ID` and `AZURE_TENANT_ID` as variables beside the secret.
async fn set_variables(gh: &GhRunner, target: &GitHubTarget, about: &About) -> Result<(), String> {
    for (name, value) in [
        ("AZURE_CLIENT_ID", about.application_id.as_str()),
        ("AZURE_TENANT_ID", about.tenant_id.as_str()),
    ] {
        let name = GitHubName::parse(name)?;
        gh.set_variable(&target.repo, target.environment.as_deref(), &name, value)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_come_from_client_needing_destinations_only() {
        let d: Destination = "keyvault:contoso-kv/app-secret".parse().unwrap();
        let Some(Target::KeyVault(v)) = Target::of(&d, false) else {
            panic!()
        };
        assert_eq!(v.name_for("Billing API").as_str(), "app-secret");
        let d: Destination = "keyvault:contoso-kv".parse().unwrap();
        let Some(Target::KeyVault(v)) = Target::of(&d, false) else {
            panic!()
        };
        assert_eq!(
            v.name_for("billing-api").as_str(),
            SecretName::for_app("billing-api").as_str()
        );
        let d: Destination = "github:contoso/billing".parse().unwrap();
        assert!(matches!(
            Target::of(&d, true),
            Some(Target::GitHub {
                variables: true,
                ..
            })
        ));
        assert_eq!(Target::of(&Destination::Stdout, true), None);
        assert_eq!(Target::of(&Destination::Clipboard, true), None);
        let t = Target::of(&"exec:pass insert -m x".parse().unwrap(), false).unwrap();
        assert_eq!(t.to_string(), "command `pass insert -m x`");
    }

    #[tokio::test]
    async fn without_clients_a_vault_is_not_available() {
        let c = Clients::none();
        let t = Target::KeyVault(VaultTarget::new("contoso-kv".parse().unwrap(), None));
        let e = c.check(&t, "x").await.unwrap_err();
        assert!(matches!(e, SendError::NotAvailable(_)), "{e}");
        assert!(c.vaults().await.vaults.is_empty());
        let Err(e) = c.verifier("t", &ApplicationId::new("a")) else {
            panic!("no verifier without a session")
        };
        assert!(e.to_string().contains("not available"));
    }
}
