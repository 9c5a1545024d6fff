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

/// An id as a row keeps it: a GUID in Graph's lowercase form as its 16 bytes (no allocation,
/// written back exactly as Graph sent it), anything else as Graph sent it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum RowId {
    Guid([u8; 16]),
    Text(Box<str>),
}

/// A [`RowId`]'s text: a GUID spelled out on the stack, or the text a row holds.
#[derive(Clone, Copy)]
pub enum IdStr<'a> {
    Guid([u8; 36]),
    Text(&'a str),
}

impl std::ops::Deref for IdStr<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            // Spelled by `uuid` in ASCII; never fails.
            IdStr::Guid(a) => std::str::from_utf8(a).unwrap_or_default(),
            IdStr::Text(t) => t,
        }
    }
}

impl PartialEq<str> for IdStr<'_> {
    fn eq(&self, other: &str) -> bool {
        **self == *other
    }
}

impl PartialEq<&str> for IdStr<'_> {
    fn eq(&self, other: &&str) -> bool {
        **self == **other
    }
}

impl fmt::Debug for IdStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl RowId {
    pub fn new(s: &str) -> Self {
        let b = s.as_bytes();
        // Only the exact lowercase form goes in as bytes, so `as_str` gives back what Graph
        // sent; 36 such characters that parse are the hyphenated form.
        if b.len() == 36
            && b.iter()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c) || *c == b'-')
            && let Some(u) = crate::ids::parse_guid(s)
        {
            RowId::Guid(*u.as_bytes())
        } else {
            RowId::Text(s.into())
        }
    }

    /// A GUID as Graph writes it (lowercase, hyphenated), without parsing text.
    pub fn from_uuid(u: uuid::Uuid) -> Self {
        RowId::Guid(*u.as_bytes())
    }

    /// The id as Graph sent it.
    pub fn as_str(&self) -> IdStr<'_> {
        match self {
            RowId::Guid(b) => {
                let mut a = [0u8; 36];
                uuid::Uuid::from_bytes(*b).hyphenated().encode_lower(&mut a);
                IdStr::Guid(a)
            }
            RowId::Text(t) => IdStr::Text(t),
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
        write!(f, "{:?}", &*self.as_str())
    }
}

impl fmt::Display for RowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowId::Guid(b) => fmt::Display::fmt(&uuid::Uuid::from_bytes(*b).hyphenated(), f),
            RowId::Text(t) => f.write_str(t),
        }
    }
}

impl PartialEq<ObjectId> for RowId {
    fn eq(&self, other: &ObjectId) -> bool {
        *self.as_str() == *other.as_str()
    }
}

impl PartialEq<ApplicationId> for RowId {
    fn eq(&self, other: &ApplicationId) -> bool {
        *self.as_str() == *other.as_str()
    }
}

/// A client secret's or certificate's metadata (never a value), in one allocation at most:
/// the description and the hint share `text`.
#[derive(Clone, PartialEq, Eq)]
pub struct CredRow {
    pub key_id: RowId,
    /// The description, then the hint.
    text: Box<str>,
    /// Where the hint starts in `text`.
    split: u32,
    /// Which of the two there are (`HAS_DESCRIPTION`, `HAS_HINT`).
    has: u8,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

const HAS_DESCRIPTION: u8 = 1;
const HAS_HINT: u8 = 2;

impl fmt::Debug for CredRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredRow")
            .field("key_id", &self.key_id)
            .field("description", &self.description())
            .field("hint", &self.hint())
            .field("start", &self.start)
            .field("end", &self.end)
            .finish()
    }
}

impl CredRow {
    /// `description`: the portal's Description (a secret's decoded legacy one included), or a
    /// certificate's display name; `hint`: a secret's first characters, as Graph gives them.
    /// A description over 4 GiB (no Graph reply holds one) is left out.
    pub fn new(
        key_id: RowId,
        description: Option<&str>,
        hint: Option<&str>,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
    ) -> Self {
        let description = description.filter(|d| u32::try_from(d.len()).is_ok());
        let d = description.unwrap_or_default();
        let h = hint.unwrap_or_default();
        let text: Box<str> = if h.is_empty() {
            d.into()
        } else if d.is_empty() {
            h.into()
        } else {
            let mut t = String::with_capacity(d.len() + h.len());
            t.push_str(d);
            t.push_str(h);
            t.into_boxed_str()
        };
        Self {
            key_id,
            text,
            split: u32::try_from(d.len()).unwrap_or(0),
            has: u8::from(description.is_some()) * HAS_DESCRIPTION
                + u8::from(hint.is_some()) * HAS_HINT,
            start,
            end,
        }
    }

    /// The portal's Description, or a certificate's display name.
    pub fn description(&self) -> Option<&str> {
        (self.has & HAS_DESCRIPTION != 0)
            .then(|| self.text.get(..self.split as usize).unwrap_or(""))
    }

    /// A secret's first characters, as Graph gives them.
    pub fn hint(&self) -> Option<&str> {
        (self.has & HAS_HINT != 0).then(|| self.text.get(self.split as usize..).unwrap_or(""))
    }

    pub fn of_secret(s: &ClientSecret) -> Self {
        Self::new(
            RowId::new(s.key_id.as_str()),
            s.description().as_deref(),
            s.hint.as_deref(),
            s.start_date_time,
            s.end_date_time,
        )
    }

    pub fn of_certificate(c: &Certificate) -> Self {
        Self::new(
            RowId::new(c.key_id.as_str()),
            c.display_name.as_deref(),
            None,
            c.start_date_time,
            c.end_date_time,
        )
    }

    fn to_secret(&self) -> ClientSecret {
        ClientSecret {
            key_id: SecretId::new(self.key_id.to_string()),
            display_name: self.description().map(str::to_owned),
            hint: self.hint().map(str::to_owned),
            start_date_time: self.start,
            end_date_time: self.end,
            custom_key_identifier: None,
        }
    }

    fn to_certificate(&self) -> Certificate {
        Certificate {
            key_id: SecretId::new(self.key_id.to_string()),
            display_name: self.description().map(str::to_owned),
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
    pub display_name: Box<str>,
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
            display_name: a.display_name.as_str().into(),
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
            id: ObjectId::new(self.id.to_string()),
            app_id: ApplicationId::new(self.app_id.to_string()),
            display_name: self.display_name.to_string(),
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
            self.display_name = v.as_str().into();
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
        assert_eq!(
            &*row.app_id.as_str(),
            "631A96BC-a705-4eda-9f99-fdaf9f54f6a2"
        );
        assert_eq!(row.password_credentials[0].description(), Some("rbac"));
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

    #[test]
    fn a_credential_keeps_what_it_has_and_what_it_lacks() {
        let id = || RowId::new("k");
        for (d, h) in [
            (None, None),
            (Some(""), None),
            (None, Some("")),
            (Some("ci"), None),
            (None, Some("Q_e")),
            (Some("ci ☃"), Some("Q_e")),
            (Some(""), Some("")),
        ] {
            let c = CredRow::new(id(), d, h, None, None);
            assert_eq!((c.description(), c.hint()), (d, h));
        }
    }

    #[test]
    fn guids_are_kept_as_sixteen_bytes_and_given_back_as_sent() {
        let g = "03ef14b0-ca33-4840-8f4f-d6e91916010e";
        let id = RowId::new(g);
        assert!(matches!(id, RowId::Guid(_)));
        assert_eq!(&*id.as_str(), g);
        assert_eq!(id.to_string(), g);
        assert!(matches!(
            id,
            RowId::Guid(b) if u128::from_be_bytes(b) == uuid::Uuid::parse_str(g).unwrap().as_u128()
        ));
        for other in [
            "03EF14B0-ca33-4840-8f4f-d6e91916010e",
            "{03ef14b0-ca33-4840-8f4f-d6e91916010e}",
            "x",
            "",
        ] {
            assert!(matches!(RowId::new(other), RowId::Text(_)), "{other}");
            assert_eq!(&*RowId::new(other).as_str(), other);
        }
    }

    #[test]
    fn rows_stay_small() {
        // What 200,000 apps cost in the list and the cache's rows (bench/README.md).
        assert!(std::mem::size_of::<RowId>() <= 24);
        assert!(std::mem::size_of::<CredRow>() <= 72);
        assert!(std::mem::size_of::<AppRow>() <= 112);
    }
}
