//! A new self-signed certificate's private key in a key vault: ONE secret holding the private
//! key and the certificate as PEM (key first), content type `application/x-pem-file` (what Key
//! Vault itself gives a certificate's secret), `nbf`/`exp` from the certificate's validity and
//! tags naming the app and the credential (never the key). The vault checks and URLs are the
//! secret hand-off's ([`Clients`]); only Set Secret is called here. Knows no terminal.

use std::collections::BTreeMap;

use crate::certs::SelfSigned;
use crate::destination::{Clients, Destination, SendError, Target, VaultTarget};
use crate::ids::{ApplicationId, SecretId};
use crate::keyvault::{KeyVaultClient, SecretName, SecretToStore, VaultRef};
use crate::secret::SecretValue;

/// What Key Vault uses for a certificate's secret in PEM.
pub const CONTENT_TYPE_PEM: &str = "application/x-pem-file";
pub const TAG_CERTIFICATE_ID: &str = "certificate-id";
pub const TAG_THUMBPRINT: &str = "thumbprint";

/// The vault secret's name when none is given: the app's name and `-cert`, by the same
/// safe-name rule as a client secret's (so two apps never share one).
pub fn default_name(app_name: &str) -> SecretName {
    SecretName::for_app(&format!("{app_name}-cert"))
}

/// `VAULT[/NAME]` as `--to keyvault:` takes it: VAULT a name or a URL.
pub fn parse_target(s: &str) -> Result<VaultTarget, String> {
    match format!("keyvault:{}", s.trim()).parse::<Destination>() {
        Ok(Destination::KeyVault { vault, name }) => Ok(VaultTarget::new(vault, name)),
        Ok(_) => Err(format!("'{s}' is not a key vault: use VAULT or VAULT/NAME")),
        Err(e) => Err(e.to_string().replacen("keyvault: ", "", 1)),
    }
}

/// The target with its secret name settled (the default made from the app's name).
pub fn settle(target: &VaultTarget, app_name: &str) -> VaultTarget {
    let mut t = target.clone();
    t.name = Some(t.name.clone().unwrap_or_else(|| default_name(app_name)));
    t
}

/// What reaches a vault: the hand-off's clients (checks, URLs) and a Key Vault client to store.
#[derive(Clone)]
pub struct VaultAccess {
    pub clients: Clients,
    pub key_vault: Result<KeyVaultClient, String>,
}

impl std::fmt::Debug for VaultAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultAccess")
            .field("key_vault", &self.key_vault.is_ok())
            .finish()
    }
}

impl VaultAccess {
    /// No vault in this run: every check says so.
    pub fn none() -> Self {
        Self {
            clients: Clients::none(),
            key_vault: Err("not available in this run (no session)".into()),
        }
    }

    pub fn from_session(session: &crate::session::Session) -> Self {
        Self::new(Clients::from_session(session), Some(session))
    }

    /// The hand-off's `clients`, and a Key Vault client on the session's credentials when
    /// there is a session.
    pub fn new(clients: Clients, session: Option<&crate::session::Session>) -> Self {
        let key_vault = match session {
            Some(s) => s.key_vault().map_err(|e| e.to_string()),
            None => Err("not available in this run (no session)".into()),
        };
        Self { clients, key_vault }
    }

    /// Would the vault take the secret now? The secret hand-off's check: the vault answers and
    /// takes a token, and no soft-deleted secret holds the name. Nothing is stored.
    pub async fn check(&self, target: &VaultTarget, app_name: &str) -> Result<(), SendError> {
        let t = settle(target, app_name);
        self.clients.check(&Target::KeyVault(t), app_name).await
    }

    /// Store the key and certificate as one secret (a new version when the name exists).
    pub async fn store(
        &self,
        target: &VaultTarget,
        made: &SelfSigned,
        about: &KeyAbout,
    ) -> Result<StoredKey, SendError> {
        let t = settle(target, &about.app_name);
        let name = t
            .name
            .clone()
            .unwrap_or_else(|| default_name(&about.app_name));
        let kv = self
            .key_vault
            .as_ref()
            .map_err(|e| SendError::NotAvailable(format!("Key Vault is {e}")))?;
        let url = self.clients.vault_url(&t)?;
        let value = bundle(made);
        let to_store = SecretToStore {
            value: &value,
            content_type: Some(CONTENT_TYPE_PEM.to_owned()),
            not_before: Some(made.info.not_before),
            expires: Some(made.info.not_after),
            tags: about.tags(&made.info.thumbprint()),
        };
        match kv.set_secret(&url, &name, &to_store).await {
            Ok(props) => Ok(StoredKey {
                vault: t.vault.clone(),
                vault_url: url.to_string(),
                name,
                id: props.id,
                version: props.version,
            }),
            Err(error) => Err(SendError::KeyVault {
                vault: t.vault.to_string(),
                name: name.to_string(),
                error,
                model: t.model,
            }),
        }
    }
}

/// What the vault secret is tagged with besides the thumbprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyAbout {
    pub app_name: String,
    pub application_id: ApplicationId,
    /// The credential's keyId on the app (known before the upload).
    pub certificate_id: SecretId,
}

impl KeyAbout {
    fn tags(&self, thumbprint: &str) -> BTreeMap<String, String> {
        use crate::keyvault::models::{
            MAX_TAG_CHARS, TAG_APP_NAME, TAG_APPLICATION_ID, TAG_CREATED_BY,
        };
        let cut = |s: &str| s.chars().take(MAX_TAG_CHARS).collect::<String>();
        let mut t = BTreeMap::new();
        t.insert(
            TAG_APPLICATION_ID.to_owned(),
            cut(self.application_id.as_str()),
        );
        t.insert(
            TAG_CERTIFICATE_ID.to_owned(),
            cut(self.certificate_id.as_str()),
        );
        t.insert(TAG_THUMBPRINT.to_owned(), cut(thumbprint));
        if !self.app_name.is_empty() {
            t.insert(TAG_APP_NAME.to_owned(), cut(&self.app_name));
        }
        t.insert(TAG_CREATED_BY.to_owned(), "azsecrets".to_owned());
        t
    }
}

/// The private key and the certificate, one PEM after the other, built in a buffer of the
/// right size (no reallocation leaves a copy) that the secret type wipes.
fn bundle(made: &SelfSigned) -> SecretValue {
    let key = made.key_pem();
    let cert = &made.cert_pem;
    let mut s = String::with_capacity(key.len() + 1 + cert.len());
    s.push_str(key);
    if !key.ends_with('\n') {
        s.push('\n');
    }
    s.push_str(cert);
    SecretValue::new(s)
}

/// Where the key went in a vault. Names and ids only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    /// The vault as the user chose it.
    pub vault: VaultRef,
    pub vault_url: String,
    pub name: SecretName,
    /// `{vault}/secrets/{name}/{version}`.
    pub id: String,
    pub version: Option<String>,
}

impl StoredKey {
    /// One line: where the key is.
    pub fn describe(&self) -> String {
        match &self.version {
            Some(v) => format!(
                "stored in key vault {} as {} (version {v})",
                self.vault, self.name
            ),
            None => format!("stored in key vault {} as {}", self.vault, self.name),
        }
    }

    /// How to take this version out of use again (the name may hold older versions, so the
    /// version is disabled rather than the secret deleted).
    pub fn removal(&self) -> String {
        format!(
            "az keyvault secret set-attributes --id {} --enabled false",
            self.id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::{self, KeyAlgorithm};
    use chrono::Utc;

    #[test]
    fn the_default_name_follows_the_safe_name_rule() {
        assert_eq!(
            default_name("fabrikam-crm-sync").as_str(),
            "fabrikam-crm-sync-cert"
        );
        let n = default_name("Billing API");
        assert!(n.as_str().starts_with("billing-api-cert-"), "{n}");
        let t = settle(
            &VaultTarget::new("contoso-kv".parse().unwrap(), None),
            "x-y",
        );
        assert_eq!(t.name.unwrap().as_str(), "x-y-cert");
        let given = SecretName::parse("mine").unwrap();
        let t = settle(
            &VaultTarget::new("contoso-kv".parse().unwrap(), Some(given.clone())),
            "x-y",
        );
        assert_eq!(t.name, Some(given));
        let t = parse_target("contoso-kv/app-cert").unwrap();
        assert_eq!(t.vault.to_string(), "contoso-kv");
        assert_eq!(t.name.unwrap().as_str(), "app-cert");
        let t = parse_target("https://contoso-kv.vault.azure.net/").unwrap();
        assert_eq!(t.name, None);
        for bad in ["", "kv", "contoso-kv/a.b", "contoso-kv/x/y"] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
        assert!(
            !parse_target("contoso-kv/a.b")
                .unwrap_err()
                .starts_with("keyvault")
        );
    }

    #[test]
    fn the_bundle_is_the_key_then_the_certificate_and_the_tags_never_hold_it() {
        let now = Utc::now();
        let made = certs::self_signed(
            "CN=x",
            now,
            now + chrono::Duration::days(30),
            KeyAlgorithm::P256,
        )
        .unwrap();
        let b = bundle(&made);
        assert!(b.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(b.expose().ends_with(&made.cert_pem));
        assert!(b.expose().contains(made.key_pem()));
        let about = KeyAbout {
            app_name: "x".into(),
            application_id: ApplicationId::new("app"),
            certificate_id: SecretId::new("kid"),
        };
        let tags = about.tags(&made.info.thumbprint());
        assert_eq!(tags[TAG_CERTIFICATE_ID], "kid");
        assert_eq!(tags[TAG_THUMBPRINT], made.info.thumbprint());
        assert_eq!(tags["application-id"], "app");
        assert_eq!(tags["created-by"], "azsecrets");
        assert!(tags.values().all(|v| !v.contains("PRIVATE")));
    }
}
