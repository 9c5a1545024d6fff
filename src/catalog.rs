//! The tenant's app registrations as the lists and the warm-start cache hold them: compact rows
//! ([`AppRow`]: ids inline, one allocation per name, credential metadata only), built from
//! Graph's [`AppRegistration`], patched by delta items, and turned back into an
//! `AppRegistration` when an app is opened. 200,000 of them fit in tens of megabytes.
//!
//! Holds no secret value and no token: a row has what the portal's list shows (names, ids,
//! dates, hints, credential ids and descriptions). [`cache`] writes them to disk per tenant.

pub mod cache;

use std::fmt;

use chrono::{DateTime, Utc};

use crate::graph::listing::AppPatch;
use crate::graph::{
    AppRegistration, ApplicationId, Certificate, ClientSecret, ObjectId, SecretId, SignInAudience,
};

/// An id as a row keeps it: a GUID in Graph's lowercase form inline (no allocation), anything
/// else as Graph sent it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum RowId {
    Guid([u8; 36]),
    Text(Box<str>),
}

impl RowId {
    pub fn new(s: &str) -> Self {
        let b = s.as_bytes();
        // Only the exact lowercase form goes inline, so `as_str` gives back what Graph sent.
        if b.len() == 36
            && b.iter()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c) || *c == b'-')
            && crate::ids::is_guid(s)
        {
            let mut a = [0u8; 36];
            a.copy_from_slice(b);
            RowId::Guid(a)
        } else {
            RowId::Text(s.into())
        }
    }

    /// A GUID as Graph writes it (lowercase, hyphenated), without parsing text.
    pub fn from_uuid(u: uuid::Uuid) -> Self {
        let mut a = [0u8; 36];
        u.hyphenated().encode_lower(&mut a);
        RowId::Guid(a)
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Built from a valid &str in `new`; never fails.
            RowId::Guid(a) => std::str::from_utf8(a).unwrap_or_default(),
            RowId::Text(t) => t,
        }
    }

    /// The GUID's 128-bit value, for indexing.
    pub fn guid_value(&self) -> Option<u128> {
        match self {
            RowId::Guid(_) => uuid::Uuid::try_parse(self.as_str())
                .ok()
                .map(|u| u.as_u128()),
            RowId::Text(t) => crate::ids::parse_guid(t).map(|u| u.as_u128()),
        }
    }
}

impl Default for RowId {
    fn default() -> Self {
        RowId::Text("".into())
    }
}

impl fmt::Debug for RowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for RowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<ObjectId> for RowId {
    fn eq(&self, other: &ObjectId) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<ApplicationId> for RowId {
    fn eq(&self, other: &ApplicationId) -> bool {
        self.as_str() == other.as_str()
    }
}

/// A client secret's or certificate's metadata (never a value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredRow {
    pub key_id: RowId,
    /// The portal's Description (a secret's decoded legacy one included), or a certificate's
    /// display name.
    pub description: Option<Box<str>>,
    /// A secret's first characters, as Graph gives them.
    pub hint: Option<Box<str>>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl CredRow {
    pub fn of_secret(s: &ClientSecret) -> Self {
        Self {
            key_id: RowId::new(s.key_id.as_str()),
            description: s.description().map(Into::into),
            hint: s.hint.as_deref().map(Into::into),
            start: s.start_date_time,
            end: s.end_date_time,
        }
    }

    pub fn of_certificate(c: &Certificate) -> Self {
        Self {
            key_id: RowId::new(c.key_id.as_str()),
            description: c.display_name.as_deref().map(Into::into),
            hint: None,
            start: c.start_date_time,
            end: c.end_date_time,
        }
    }

    fn to_secret(&self) -> ClientSecret {
        ClientSecret {
            key_id: SecretId::new(self.key_id.as_str()),
            display_name: self.description.as_deref().map(str::to_owned),
            hint: self.hint.as_deref().map(str::to_owned),
            start_date_time: self.start,
            end_date_time: self.end,
            custom_key_identifier: None,
        }
    }

    fn to_certificate(&self) -> Certificate {
        Certificate {
            key_id: SecretId::new(self.key_id.as_str()),
            display_name: self.description.as_deref().map(str::to_owned),
            custom_key_identifier: None,
            start_date_time: self.start,
            end_date_time: self.end,
            key_type: None,
            usage: None,
        }
    }
}

/// Where a row came from, for the marks the list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Origin {
    /// The tenant's listing (or a read of the app).
    #[default]
    Listed,
    /// Graph's `$search` found it before the listing reached it.
    Searched,
}

/// One app registration in a list.
#[derive(Clone, Debug, PartialEq)]
pub struct AppRow {
    pub id: RowId,
    pub app_id: RowId,
    pub display_name: String,
    pub created_date_time: Option<DateTime<Utc>>,
    pub sign_in_audience: Option<SignInAudience>,
    pub password_credentials: Box<[CredRow]>,
    /// `None` until certificates are known (bulk listings leave keyCredentials out: Graph
    /// allows 150 such listings a minute per tenant, so they come in a paced pass).
    pub key_credentials: Option<Box<[CredRow]>>,
    pub origin: Origin,
}

impl AppRow {
    /// A row from Graph's app; `certificates` says whether keyCredentials were selected.
    pub fn from_registration(a: &AppRegistration, certificates: bool) -> Self {
        Self {
            id: RowId::new(a.id.as_str()),
            app_id: RowId::new(a.app_id.as_str()),
            display_name: a.display_name.clone(),
            created_date_time: a.created_date_time,
            sign_in_audience: a.sign_in_audience.as_deref().and_then(audience),
            password_credentials: a
                .password_credentials
                .iter()
                .map(CredRow::of_secret)
                .collect(),
            key_credentials: certificates.then(|| {
                a.key_credentials
                    .iter()
                    .map(CredRow::of_certificate)
                    .collect()
            }),
            origin: Origin::Listed,
        }
    }

    /// The app as the App screen shows it until Graph's read of it arrives.
    pub fn to_registration(&self) -> AppRegistration {
        AppRegistration {
            id: ObjectId::new(self.id.as_str()),
            app_id: ApplicationId::new(self.app_id.as_str()),
            display_name: self.display_name.clone(),
            created_date_time: self.created_date_time,
            sign_in_audience: self.sign_in_audience.map(|a| a.as_str().to_owned()),
            publisher_domain: None,
            password_credentials: self
                .password_credentials
                .iter()
                .map(CredRow::to_secret)
                .collect(),
            key_credentials: self
                .key_credentials
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(CredRow::to_certificate)
                .collect(),
        }
    }

    /// The soonest end among client secrets and (known) certificates.
    pub fn next_expiry(&self) -> Option<DateTime<Utc>> {
        self.password_credentials
            .iter()
            .chain(self.key_credentials.as_deref().unwrap_or_default())
            .filter_map(|c| c.end)
            .min()
    }

    /// Apply a delta item: what it carries replaces, the rest stays.
    pub fn apply(&mut self, p: &AppPatch) {
        if let Some(v) = &p.app_id {
            self.app_id = RowId::new(v.as_str());
        }
        if let Some(v) = &p.display_name {
            self.display_name.clone_from(v);
        }
        if let Some(v) = p.created_date_time {
            self.created_date_time = Some(v);
        }
        if let Some(v) = &p.sign_in_audience {
            self.sign_in_audience = audience(v);
        }
        if let Some(v) = &p.password_credentials {
            self.password_credentials = v.iter().map(CredRow::of_secret).collect();
        }
        if let Some(v) = &p.key_credentials {
            self.key_credentials = Some(v.iter().map(CredRow::of_certificate).collect());
        }
    }

    /// A whole row from a delta item that carries everything (a created app).
    pub fn from_patch(p: &AppPatch, certificates: bool) -> Option<Self> {
        let mut row = Self::from_registration(&p.to_registration()?, certificates);
        if p.key_credentials.is_some() {
            row.key_credentials = p
                .key_credentials
                .as_ref()
                .map(|v| v.iter().map(CredRow::of_certificate).collect());
        }
        Some(row)
    }
}

fn audience(s: &str) -> Option<SignInAudience> {
    SignInAudience::ALL.into_iter().find(|a| a.as_str() == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_what_the_list_shows() {
        let a: AppRegistration = serde_json::from_value(serde_json::json!({
            "id": "03ef14b0-ca33-4840-8f4f-d6e91916010e",
            "appId": "631A96BC-a705-4eda-9f99-fdaf9f54f6a2",
            "displayName": "Payments API",
            "createdDateTime": "2019-09-17T19:10:35.2742618Z",
            "signInAudience": "AzureADMyOrg",
            "passwordCredentials": [{
                "keyId": "2c6b1b9b-0000-4000-8000-000000000001", "displayName": null,
                "customKeyIdentifier": "//5yAGIAYQBjAA==", "hint": "Q_e",
                "endDateTime": "2027-01-01T00:00:00Z"
            }],
            "keyCredentials": [{"keyId": "k2", "displayName": "CN=x", "endDateTime": "2026-01-01T00:00:00Z"}]
        }))
        .unwrap();
        let row = AppRow::from_registration(&a, true);
        assert!(matches!(row.id, RowId::Guid(_)));
        assert!(matches!(row.app_id, RowId::Text(_)), "kept as sent");
        assert_eq!(row.app_id.as_str(), "631A96BC-a705-4eda-9f99-fdaf9f54f6a2");
        assert_eq!(
            row.password_credentials[0].description.as_deref(),
            Some("rbac")
        );
        assert_eq!(
            row.next_expiry(),
            a.key_credentials[0].end_date_time,
            "certificates count"
        );
        let back = row.to_registration();
        assert_eq!(back.id, a.id);
        assert_eq!(back.password_credentials[0].hint.as_deref(), Some("Q_e"));
        assert_eq!(back.key_credentials.len(), 1);
        let unknown = AppRow::from_registration(&a, false);
        assert_eq!(unknown.key_credentials, None);
        assert_eq!(
            unknown.next_expiry(),
            a.password_credentials[0].end_date_time
        );
        assert!(row.id == a.id);
    }
}
