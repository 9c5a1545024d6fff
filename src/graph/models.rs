//! Typed Microsoft Graph models for what azsecrets reads and writes.
//!
//! These follow the wire shapes of `graph-contract.md`: camelCase, unknown fields ignored,
//! missing fields tolerated, timestamps with 0..7 fractional digits. They hold no secret value:
//! the one place a value arrives (`addPassword`) deserializes into [`NewClientSecret`], whose
//! value lives in [`crate::secret::SecretValue`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::ids::{ApplicationId, ObjectId, SecretId, TenantId, is_guid};
use crate::secret::SecretValue;

/// An app registration (Graph `application`), with the fields the UI needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRegistration {
    pub id: ObjectId,
    #[serde(default)]
    pub app_id: ApplicationId,
    #[serde(default, deserialize_with = "null_to_default")]
    pub display_name: String,
    #[serde(default)]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub sign_in_audience: Option<String>,
    #[serde(default)]
    pub publisher_domain: Option<String>,
    #[serde(default, deserialize_with = "null_to_default")]
    pub password_credentials: Vec<ClientSecret>,
    #[serde(default, deserialize_with = "null_to_default")]
    pub key_credentials: Vec<Certificate>,
}

impl AppRegistration {
    /// The soonest `endDateTime` among client secrets and certificates.
    pub fn next_expiry(&self) -> Option<DateTime<Utc>> {
        self.password_credentials
            .iter()
            .filter_map(|s| s.end_date_time)
            .chain(self.key_credentials.iter().filter_map(|c| c.end_date_time))
            .min()
    }

    /// Only personal-account audiences have Graph's two-secret cap.
    pub fn has_two_secret_cap(&self) -> bool {
        matches!(
            self.sign_in_audience.as_deref(),
            Some("AzureADandPersonalMicrosoftAccount") | Some("PersonalMicrosoftAccount")
        )
    }
}

/// A client secret's metadata (Graph `passwordCredential` as read back; `secretText` is ignored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSecret {
    pub key_id: SecretId,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub hint: Option<String>,
    #[serde(default)]
    pub start_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
    /// Base64; "do not use", but legacy secrets carry their description here.
    #[serde(default)]
    pub custom_key_identifier: Option<String>,
}

impl ClientSecret {
    /// The portal's "Description": `displayName`, or for legacy secrets the decoded
    /// `customKeyIdentifier` (UTF-16LE with or without BOM, or UTF-8).
    pub fn description(&self) -> Option<String> {
        if let Some(d) = self.display_name.as_deref().filter(|d| !d.is_empty()) {
            return Some(d.to_owned());
        }
        self.custom_key_identifier
            .as_deref()
            .and_then(decode_custom_key_identifier)
    }

    /// Hint and asterisks, as the portal shows the value column (`Q_e*****`).
    pub fn masked_value(&self) -> String {
        match self.hint.as_deref() {
            Some(h) if !h.is_empty() => format!("{h}*****"),
            _ => "********".to_owned(),
        }
    }
}

/// Decode a legacy `customKeyIdentifier` into readable text, if it is text at all.
pub fn decode_custom_key_identifier(b64: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(b64.trim()))
        .ok()?;
    if bytes.is_empty() {
        return None;
    }
    let printable = |s: &str| !s.is_empty() && s.chars().all(|c| !c.is_control());
    // UTF-16LE: a BOM, or every odd byte zero on ASCII text.
    let utf16 = if bytes.starts_with(&[0xFF, 0xFE]) {
        Some(&bytes[2..])
    } else if bytes.len() >= 2
        && bytes.len() % 2 == 0
        && bytes.iter().skip(1).step_by(2).all(|b| *b == 0)
    {
        Some(&bytes[..])
    } else {
        None
    };
    if let Some(raw) = utf16.filter(|r| r.len() % 2 == 0) {
        let units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        if let Ok(s) = String::from_utf16(&units)
            && printable(&s)
        {
            return Some(s);
        }
    }
    match String::from_utf8(bytes) {
        Ok(s) if printable(&s) => Some(s),
        _ => None,
    }
}

/// A certificate (Graph `keyCredential`), read-only here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    pub key_id: SecretId,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Usually the 40-character hex thumbprint; opaque (see fixtures README surprise 8).
    #[serde(default)]
    pub custom_key_identifier: Option<String>,
    #[serde(default)]
    pub start_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
    #[serde(default, rename = "type")]
    pub key_type: Option<String>,
    #[serde(default)]
    pub usage: Option<String>,
}

/// A federated identity credential.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FederatedCredential {
    pub id: String,
    #[serde(default, deserialize_with = "null_to_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_to_default")]
    pub issuer: String,
    #[serde(default, deserialize_with = "null_to_default")]
    pub subject: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "null_to_default")]
    pub audiences: Vec<String>,
}

/// The `addPassword` response: metadata plus the value, which Graph returns exactly once.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewClientSecret {
    #[serde(flatten)]
    pub metadata: ClientSecret,
    pub secret_text: SecretValue,
}

/// The body of `addPassword`. Azsecrets always sends both dates (trap 3: never rely on the default).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredentialRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", with = "graph_time_opt")]
    pub start_date_time: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none", with = "graph_time_opt")]
    pub end_date_time: Option<DateTime<Utc>>,
}

/// Seconds-precision UTC timestamps, as the Azure CLI sends them.
mod graph_time_opt {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(v: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(t) => s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            None => s.serialize_none(),
        }
    }
}

/// The four `signInAudience` values ("Supported account types").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SignInAudience {
    #[default]
    AzureADMyOrg,
    AzureADMultipleOrgs,
    AzureADandPersonalMicrosoftAccount,
    PersonalMicrosoftAccount,
}

impl SignInAudience {
    pub const ALL: [SignInAudience; 4] = [
        Self::AzureADMyOrg,
        Self::AzureADMultipleOrgs,
        Self::AzureADandPersonalMicrosoftAccount,
        Self::PersonalMicrosoftAccount,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AzureADMyOrg => "AzureADMyOrg",
            Self::AzureADMultipleOrgs => "AzureADMultipleOrgs",
            Self::AzureADandPersonalMicrosoftAccount => "AzureADandPersonalMicrosoftAccount",
            Self::PersonalMicrosoftAccount => "PersonalMicrosoftAccount",
        }
    }

    /// The portal's wording.
    pub fn explain(self) -> &'static str {
        match self {
            Self::AzureADMyOrg => "Accounts in this organizational directory only (single tenant)",
            Self::AzureADMultipleOrgs => "Accounts in any organizational directory (multitenant)",
            Self::AzureADandPersonalMicrosoftAccount => {
                "Any organizational directory and personal Microsoft accounts (max 2 secrets)"
            }
            Self::PersonalMicrosoftAccount => "Personal Microsoft accounts only (max 2 secrets)",
        }
    }
}

/// The body of `POST /applications`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewApplication {
    pub display_name: String,
    pub sign_in_audience: SignInAudience,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web: Option<WebSettings>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebSettings {
    pub redirect_uris: Vec<String>,
}

/// `GET /organization`'s one element.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: TenantId,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "null_to_default")]
    pub verified_domains: Vec<VerifiedDomain>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedDomain {
    #[serde(default, deserialize_with = "null_to_default")]
    pub name: String,
    #[serde(default)]
    pub is_default: Option<bool>,
}

/// `GET /me`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
}

/// A collection page as Graph sends it.
#[derive(Debug, Deserialize)]
pub struct ODataPage<T> {
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    #[serde(rename = "@odata.count", default)]
    pub count: Option<u64>,
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
}

fn null_to_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A `keyCredential` exactly as Graph sent it, for the read-modify-write of
/// `PATCH /applications/{id}` (the whole set is replaced, so every entry read is sent back
/// unchanged: dates stay the strings Graph wrote, `key` the base64 it returned under
/// `$select=keyCredentials`). Only Graph's own properties are serialized, and absent ones
/// are left out rather than sent as `null`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyCredential {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_key_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub key_id: SecretId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<String>,
}

/// The body of a new federated identity credential (`POST …/federatedIdentityCredentials`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewFederatedCredential {
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An owner of an app registration (`GET /applications/{id}/owners`): a user or a service
/// principal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default)]
    pub app_id: Option<String>,
}

impl Owner {
    /// "Sandra Box <sandra@contoso.com>", or the service principal's name and kind.
    pub fn label(&self) -> String {
        let name = self.display_name.clone().unwrap_or_else(|| self.id.clone());
        match (&self.user_principal_name, self.odata_type.as_deref()) {
            (Some(upn), _) => format!("{name} <{upn}>"),
            (None, Some(t)) if t.ends_with("servicePrincipal") => {
                format!("{name} (service principal)")
            }
            _ => name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_description_decodes_utf16le() {
        // `//5yAGIAYQBjAA==` is UTF-16 "rbac" with a BOM, from old az.
        assert_eq!(
            decode_custom_key_identifier("//5yAGIAYQBjAA==").as_deref(),
            Some("rbac")
        );
        // UTF-16LE without BOM: "db"
        assert_eq!(
            decode_custom_key_identifier("ZABiAA==").as_deref(),
            Some("db")
        );
        // UTF-8: "legacy"
        assert_eq!(
            decode_custom_key_identifier("bGVnYWN5").as_deref(),
            Some("legacy")
        );
        assert_eq!(decode_custom_key_identifier("not base64!!"), None);
    }

    #[test]
    fn masked_value_uses_hint() {
        let s = ClientSecret {
            key_id: SecretId::new("k"),
            display_name: None,
            hint: Some("Q_e".into()),
            start_date_time: None,
            end_date_time: None,
            custom_key_identifier: None,
        };
        assert_eq!(s.masked_value(), "Q_e*****");
    }
}
