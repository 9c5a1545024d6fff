//! Key Vault's secret shapes: what Set Secret sends (built in a zeroizing buffer: it holds the
//! value) and the properties read back from a SecretBundle or a list item (never the value:
//! bundles carry it, and it is skipped while parsing and its buffer zeroized).

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use secrecy::zeroize::Zeroizing;
use serde::{Deserialize, Serialize, Serializer};

use crate::ids::{ApplicationId, SecretId};
use crate::secret::SecretValue;

/// `contentType` of a client secret stored by azsecrets.
pub const CONTENT_TYPE_CLIENT_SECRET: &str = "client-secret";
/// Tag names azsecrets writes (rotate looks a secret up by [`TAG_SECRET_ID`]).
pub const TAG_APPLICATION_ID: &str = "application-id";
pub const TAG_SECRET_ID: &str = "secret-id";
pub const TAG_HINT: &str = "hint";
pub const TAG_APP_NAME: &str = "app-name";
pub const TAG_CREATED_BY: &str = "created-by";
/// Key Vault's tag limits: 15 tags, names and values of at most 512 characters.
pub const MAX_TAGS: usize = 15;
pub const MAX_TAG_CHARS: usize = 512;
/// `contentType` is at most 255 characters.
pub const MAX_CONTENT_TYPE: usize = 255;

/// What azsecrets tags a stored client secret with: where it came from, never the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSecretTags {
    pub application_id: ApplicationId,
    pub secret_id: SecretId,
    /// Graph's `hint` (the value's first three characters, which Graph shows anyone who can
    /// read the app).
    pub hint: Option<String>,
    pub app_name: String,
}

impl ClientSecretTags {
    /// The tags, within Key Vault's limits (values cut to 512 characters).
    pub fn to_tags(&self) -> BTreeMap<String, String> {
        let cut = |s: &str| s.chars().take(MAX_TAG_CHARS).collect::<String>();
        let mut t = BTreeMap::new();
        t.insert(
            TAG_APPLICATION_ID.to_owned(),
            cut(self.application_id.as_str()),
        );
        t.insert(TAG_SECRET_ID.to_owned(), cut(self.secret_id.as_str()));
        if let Some(h) = self.hint.as_deref().filter(|h| !h.is_empty()) {
            t.insert(TAG_HINT.to_owned(), cut(h));
        }
        if !self.app_name.is_empty() {
            t.insert(TAG_APP_NAME.to_owned(), cut(&self.app_name));
        }
        t.insert(TAG_CREATED_BY.to_owned(), "azsecrets".to_owned());
        t
    }
}

/// A value to store with Set Secret, and its metadata.
pub struct SecretToStore<'a> {
    pub value: &'a SecretValue,
    pub content_type: Option<String>,
    /// `attributes.nbf`: the client secret's start.
    pub not_before: Option<DateTime<Utc>>,
    /// `attributes.exp`: the client secret's end.
    pub expires: Option<DateTime<Utc>>,
    pub tags: BTreeMap<String, String>,
}

impl std::fmt::Debug for SecretToStore<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretToStore")
            .field("value", &crate::secret::REDACTED)
            .field("content_type", &self.content_type)
            .field("not_before", &self.not_before)
            .field("expires", &self.expires)
            .field("tags", &self.tags)
            .finish()
    }
}

impl<'a> SecretToStore<'a> {
    /// A client secret: `contentType: client-secret`, `nbf`/`exp` from its start and end,
    /// azsecrets' tags.
    pub fn client_secret(
        value: &'a SecretValue,
        tags: &ClientSecretTags,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            value,
            content_type: Some(CONTENT_TYPE_CLIENT_SECRET.to_owned()),
            not_before: start,
            expires: end,
            tags: tags.to_tags(),
        }
    }

    /// Whether the metadata fits Key Vault's limits (the value's limit is the vault's to tell).
    pub fn check_limits(&self) -> Result<(), String> {
        if self.tags.len() > MAX_TAGS {
            return Err(format!(
                "{} tags: Key Vault allows at most {MAX_TAGS}",
                self.tags.len()
            ));
        }
        if let Some((k, _)) = self.tags.iter().find(|(k, v)| {
            k.is_empty() || k.chars().count() > MAX_TAG_CHARS || v.chars().count() > MAX_TAG_CHARS
        }) {
            return Err(format!(
                "tag '{k}': names and values are 1 to {MAX_TAG_CHARS} characters"
            ));
        }
        if self
            .content_type
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_CONTENT_TYPE)
        {
            return Err(format!(
                "the content type is longer than {MAX_CONTENT_TYPE} characters"
            ));
        }
        Ok(())
    }

    /// The Set Secret body, serialized straight into a buffer of exactly the right size (so it
    /// never reallocates and leaves a copy behind) that is zeroized when dropped.
    pub(crate) fn body(&self) -> Zeroizing<Vec<u8>> {
        let wire = Wire {
            value: Exposed(self.value),
            content_type: self.content_type.as_deref(),
            attributes: Attributes {
                enabled: true,
                nbf: self.not_before.map(|t| t.timestamp()),
                exp: self.expires.map(|t| t.timestamp()),
            },
            tags: &self.tags,
        };
        let mut counter = Counter(0);
        // Writing to a counter cannot fail; a failure would only mean a growing buffer below.
        let _ = serde_json::to_writer(&mut counter, &wire);
        let mut buf = Zeroizing::new(Vec::with_capacity(counter.0));
        let _ = serde_json::to_writer(&mut *buf, &wire);
        buf
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    value: Exposed<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<&'a str>,
    attributes: Attributes,
    tags: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Attributes {
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
}

/// The value, written by serde_json's escaper straight into the body buffer.
struct Exposed<'a>(&'a SecretValue);

impl Serialize for Exposed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.expose())
    }
}

struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A secret's properties (a version's, or the latest's in a list): never the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretProperties {
    /// `{vault}/secrets/{name}[/{version}]`.
    pub id: String,
    pub name: String,
    /// 32 hex digits; `None` in the secrets list (its ids are unversioned).
    pub version: Option<String>,
    pub content_type: Option<String>,
    pub enabled: bool,
    pub not_before: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub tags: BTreeMap<String, String>,
    pub recovery_level: Option<String>,
}

impl SecretProperties {
    /// The Secret ID azsecrets tagged it with.
    pub fn secret_id_tag(&self) -> Option<&str> {
        self.tags.get(TAG_SECRET_ID).map(String::as_str)
    }
}

/// A SecretBundle or SecretItem as read (unknown fields, `value` included, are skipped).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireProperties {
    pub id: String,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    attributes: WireAttributes,
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct WireAttributes {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    updated: Option<i64>,
    #[serde(default)]
    recovery_level: Option<String>,
}

/// A page of a list (`nextLink` is `null` on the last page).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WirePage {
    #[serde(default)]
    pub value: Vec<WireProperties>,
    #[serde(default)]
    pub next_link: Option<String>,
}

impl WireProperties {
    pub fn into_properties(self) -> SecretProperties {
        let unix = |s: Option<i64>| s.and_then(|s| DateTime::<Utc>::from_timestamp(s, 0));
        // `{vault}/secrets/{name}` or `{vault}/secrets/{name}/{version}`.
        let (name, version) = match self.id.rsplit_once("/secrets/") {
            Some((_, rest)) => match rest.split_once('/') {
                Some((n, v)) if !v.is_empty() => (n.to_owned(), Some(v.to_owned())),
                Some((n, _)) => (n.to_owned(), None),
                None => (rest.to_owned(), None),
            },
            None => (String::new(), None),
        };
        SecretProperties {
            name,
            version,
            content_type: self.content_type,
            enabled: self.attributes.enabled.unwrap_or(true),
            not_before: unix(self.attributes.nbf),
            expires: unix(self.attributes.exp),
            created: unix(self.attributes.created),
            updated: unix(self.attributes.updated),
            tags: self.tags.unwrap_or_default(),
            recovery_level: self.attributes.recovery_level,
            id: self.id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags() -> ClientSecretTags {
        ClientSecretTags {
            application_id: ApplicationId::new("8ce4b1cd-654a-4d3b-9b85-7a1b0c8e7f10"),
            secret_id: SecretId::new("0a1b2c3d-0000-4000-8000-000000000001"),
            hint: Some("Q_e".into()),
            app_name: "Billing API".into(),
        }
    }

    #[test]
    fn the_body_carries_value_dates_and_tags_but_no_value_in_tags() {
        let value = SecretValue::new("Q_e8Q~\"quoted\\value\u{1}".into());
        let start = DateTime::<Utc>::from_timestamp(1_741_668_435, 0);
        let end = DateTime::<Utc>::from_timestamp(1_773_204_435, 0);
        let s = SecretToStore::client_secret(&value, &tags(), start, end);
        let body = s.body();
        assert_eq!(body.len(), body.capacity(), "sized exactly, never grown");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["value"], "Q_e8Q~\"quoted\\value\u{1}");
        assert_eq!(v["contentType"], "client-secret");
        assert_eq!(v["attributes"]["nbf"], 1_741_668_435);
        assert_eq!(v["attributes"]["exp"], 1_773_204_435);
        assert_eq!(v["attributes"]["enabled"], true);
        assert_eq!(
            v["tags"]["secret-id"],
            "0a1b2c3d-0000-4000-8000-000000000001"
        );
        assert_eq!(v["tags"]["created-by"], "azsecrets");
        assert_eq!(v["tags"]["app-name"], "Billing API");
        for (_, t) in v["tags"].as_object().unwrap() {
            assert!(!t.as_str().unwrap().contains("quoted"));
        }
        assert!(s.check_limits().is_ok());
        assert!(!format!("{s:?}").contains("quoted"));
    }

    #[test]
    fn limits_are_checked_before_sending() {
        let value = SecretValue::new("v".into());
        let mut s = SecretToStore::client_secret(&value, &tags(), None, None);
        for i in 0..11 {
            s.tags.insert(format!("t{i}"), "x".into());
        }
        assert!(s.check_limits().unwrap_err().contains("16 tags"));
        let long = ClientSecretTags {
            app_name: "n".repeat(600),
            ..tags()
        };
        assert_eq!(long.to_tags()[TAG_APP_NAME].chars().count(), MAX_TAG_CHARS);
    }

    #[test]
    fn properties_come_from_ids_and_attributes() {
        let w: WireProperties = serde_json::from_str(
            r#"{"value":"secret!","id":"https://kv.vault.azure.net/secrets/app-secret/f9557720362042d4954a56ac75da2726","attributes":{"enabled":true,"created":1741668435,"updated":1741668435,"recoveryLevel":"CustomizedRecoverable+Purgeable","recoverableDays":7},"tags":{"secret-id":"x"}}"#,
        )
        .unwrap();
        let p = w.into_properties();
        assert_eq!(p.name, "app-secret");
        assert_eq!(
            p.version.as_deref(),
            Some("f9557720362042d4954a56ac75da2726")
        );
        assert_eq!(p.secret_id_tag(), Some("x"));
        assert_eq!(p.created.map(|c| c.timestamp()), Some(1_741_668_435));
        let item: WireProperties =
            serde_json::from_str(r#"{"id":"https://kv.vault.azure.net/secrets/s1"}"#).unwrap();
        let p = item.into_properties();
        assert_eq!((p.name.as_str(), p.version), ("s1", None));
    }
}
