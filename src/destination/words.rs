//! The advice both front-ends give when a destination or the sign-in check fails: one home
//! for each rule's words (the TUI adds its keys from the key map, the CLI its flags). Built
//! from the lower layers' typed causes; names no key and knows no terminal.

use std::time::Duration;

use super::exec::ExecError;
use super::github::GhError;
use crate::keyvault::{PermissionModel, VaultCause};
use crate::verify::{Verified, VerifyCause, VerifyError};

/// What to do about a key vault refusal (`None` when the error says it already).
pub fn vault_advice(
    cause: VaultCause,
    model: Option<PermissionModel>,
    vault: &str,
    name: &str,
) -> Option<String> {
    let rbac = "The vault uses Azure RBAC: you need the \"Key Vault Secrets Officer\" role on it (a new role assignment takes a few minutes to apply).";
    let policy = "The vault uses access policies: you need one that grants the secret Set permission (Key Vault → Access policies).";
    Some(match cause {
        VaultCause::Forbidden(PermissionModel::Rbac) => rbac.to_owned(),
        VaultCause::Forbidden(PermissionModel::AccessPolicy) => policy.to_owned(),
        VaultCause::Forbidden(PermissionModel::Unknown) => match model {
            Some(PermissionModel::Rbac) => rbac.to_owned(),
            Some(PermissionModel::AccessPolicy) => policy.to_owned(),
            _ => "You need the \"Key Vault Secrets Officer\" role on the vault (RBAC vaults) or an access policy with the secret Set permission (access-policy vaults).".to_owned(),
        },
        VaultCause::Firewall => "The vault's firewall refuses this network: run from an allowed network, or add this address under the vault's Networking settings.".to_owned(),
        VaultCause::DeletedButRecoverable => format!(
            "A deleted secret named {name} is still in the vault's recycle bin (soft delete): choose another name, or recover it first with `az keyvault secret recover --vault-name {vault} --name {name}`."
        ),
        VaultCause::BeingDeleted => "The secret is being deleted: try again in a few seconds.".to_owned(),
        VaultCause::InvalidName => "Secret names are 1 to 127 letters, digits and hyphens.".to_owned(),
        VaultCause::WrongTenant => "The vault belongs to another tenant: sign in to the vault's tenant (--tenant) to store secrets in it.".to_owned(),
        VaultCause::Unauthorized => "The vault refused the sign-in's token: sign in again.".to_owned(),
        VaultCause::VaultNotFound => "Check the vault's name or URL; a vault created minutes ago may not resolve yet, and a vault of another cloud needs --cloud.".to_owned(),
        VaultCause::Throttled => "The vault is throttling requests: try again in a moment.".to_owned(),
        VaultCause::ServerError => "The vault failed to answer: try again in a moment.".to_owned(),
        VaultCause::Challenge | VaultCause::ForeignLink => "The URL does not look like a key vault's: give the vault's name, or its URL as the portal shows it (Vault URI).".to_owned(),
        VaultCause::SignIn => "Sign in with the Azure CLI (az login) or a service principal that has access to the vault.".to_owned(),
        VaultCause::NotFound
        | VaultCause::SecretDisabled
        | VaultCause::Rejected
        | VaultCause::Network
        | VaultCause::UnreadableReply
        | VaultCause::InvalidInput => return None,
    })
}

/// What to do about a gh failure (`None` when its message says it already).
pub fn gh_advice(e: &GhError) -> Option<String> {
    match e {
        GhError::Failed { .. } => Some(
            "Check the repository's name and that your GitHub account may set its secrets (repository admin, or the secrets permission); an environment must exist first."
                .to_owned(),
        ),
        GhError::TrailingNewline => {
            Some("Use another destination for this value (a key vault, or a command).".to_owned())
        }
        GhError::NotInstalled | GhError::NotSignedIn { .. } | GhError::Timeout(_) | GhError::Start(_) => {
            None
        }
    }
}

/// What to do about a command that did not take the value (`None`: the message says it).
pub fn exec_advice(e: &ExecError) -> Option<String> {
    match e {
        ExecError::Exited { .. } => Some(
            "The command's exit status said it failed; what it printed is shown with it."
                .to_owned(),
        ),
        ExecError::Timeout { .. } => Some(
            "The command may be waiting for input it cannot get: it reads the value on stdin and has no terminal."
                .to_owned(),
        ),
        ExecError::NotFound(_) | ExecError::Start { .. } | ExecError::Io { .. } => None,
    }
}

/// "signs in ✓ after 14 s".
pub fn signs_in(v: &Verified) -> String {
    format!("signs in ✓ after {}", seconds(v.elapsed))
}

/// "14 s", "2 min 5 s".
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

/// A refused attempt while the check retries: what Entra's code means for now.
pub fn waiting_reason(code: u64) -> &'static str {
    match code {
        7_000_215 => "AADSTS7000215: not valid yet, the new secret is still replicating",
        7_000_222 => "AADSTS7000222: not valid yet, the new secret is still replicating",
        700_016 => "AADSTS700016: the app is not known yet, it is still replicating",
        0 => "the login endpoint did not answer",
        _ => "refused",
    }
}

/// The check failed: what it means and what to do.
pub fn not_signing_in(e: &VerifyError) -> (String, String) {
    let advice = match e.cause() {
        VerifyCause::InvalidSecret => {
            "Entra kept refusing the value for as long as the check waited (AADSTS7000215). Either the value sent is not this app's secret (a copy error, or the Secret ID instead of the value), or replication is unusually slow: check again in a few minutes."
        }
        VerifyCause::Expired => {
            "Entra says the secret has expired or has not started yet (AADSTS7000222): check its start and end dates; a secret created minutes ago may still be replicating."
        }
        VerifyCause::AppNotFound => {
            "Entra does not know this app in this tenant (AADSTS700016): the tenant may be wrong, or the app is brand new and still replicating."
        }
        VerifyCause::TenantNotFound => {
            "The tenant was not found (AADSTS90002): check --tenant, and --cloud for a national cloud."
        }
        VerifyCause::AppDisabled => {
            "The app's service principal is disabled (AADSTS7000112): enable it under Enterprise applications → Properties. The secret itself is fine."
        }
        VerifyCause::ConditionalAccess => {
            "Conditional Access blocked the app's sign-in (AADSTS53003): the secret itself is fine; the policy decides where and how the app may sign in."
        }
        VerifyCause::EmptySecret => "No value was sent (AADSTS7000218).",
        VerifyCause::Refused => {
            "Entra refused the sign-in for the reason above; the secret may still work where the app is allowed to sign in."
        }
        VerifyCause::Network => {
            "The login endpoint could not be reached: check the network and try again."
        }
        VerifyCause::UnreadableReply => "The login endpoint's answer could not be read: try again.",
    };
    (e.to_string(), advice.to_owned())
}
