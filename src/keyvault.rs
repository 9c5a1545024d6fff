//! Azure Key Vault's data plane for secrets (docs/contract.md, "Azure Key Vault"): set a secret
//! (a new version when the name exists), read a secret's properties, list a secret's versions,
//! list a vault's secrets with their tags and find one by the Secret ID tag. Knows no terminal.
//!
//! Owns: vault and secret names and the URL template ([`names`]), the 401 challenge
//! ([`challenge`]), the wire shapes ([`models`]), typed errors and causes ([`error`]) and the
//! client ([`client`]). It asks [`crate::auth::TokenSource::token_for`] for Key Vault tokens and
//! sends each only to the vault it was asked for.

pub mod challenge;
pub mod client;
pub mod error;
pub mod models;
pub mod names;

pub use client::KeyVaultClient;
pub use error::{KeyVaultError, PermissionModel, VaultApiError, VaultCause};
pub use models::{ClientSecretTags, SecretProperties, SecretToStore};
pub use names::{NameError, SecretName, VaultName, VaultRef, VaultUrlTemplate};

use url::Url;

use crate::auth::Cloud;

/// The data-plane version sent on every request. 7.5 is a stable version old enough to be
/// served in every public and sovereign cloud (the Azure CLI still sent 7.4 in 2025), and the
/// secret shapes azsecrets uses are identical from 7.4 to 2025-07-01; newer versions add nothing
/// it needs (docs/contract.md, "api-version").
pub const API_VERSION: &str = "7.5";

/// Where vaults are and which token they take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyVaultConfig {
    /// Where a vault name points (`--vault-url-template`).
    pub url_template: VaultUrlTemplate,
    /// The resource whose tokens the vaults take, e.g. `https://vault.azure.net`.
    pub resource: String,
}

impl KeyVaultConfig {
    pub fn for_cloud(cloud: Cloud) -> Self {
        Self {
            url_template: VaultUrlTemplate::for_cloud(cloud),
            resource: cloud.key_vault_resource(),
        }
    }

    /// The vault's URL: a name through the template, a URL as given.
    pub fn vault_url(&self, vault: &VaultRef) -> Result<Url, NameError> {
        match vault {
            VaultRef::Name(n) => self.url_template.resolve(n),
            VaultRef::Url(u) => Ok(u.clone()),
        }
    }
}

impl Default for KeyVaultConfig {
    fn default() -> Self {
        Self::for_cloud(Cloud::Public)
    }
}
