//! Wire shapes written straight from the model with `serde::Serialize` (no intermediate
//! `serde_json::Value`, so a 999-item page is one pass): the application's full default
//! property set as recorded in 2024 (`applications-get-keyCredential-200.json`), `$select`
//! projections of it, credentials, federated credentials, the user and the organization.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::model::{App, FederatedCred, KeyCred, PasswordCred, Tenant, TenantInfo, User};

/// The application's properties in Graph's order; `$select` names are matched
/// case-insensitively against these.
pub const APP_PROPS: [&str; 38] = [
    "id",
    "deletedDateTime",
    "appId",
    "applicationTemplateId",
    "disabledByMicrosoftStatus",
    "createdDateTime",
    "displayName",
    "description",
    "groupMembershipClaims",
    "identifierUris",
    "isDeviceOnlyAuthSupported",
    "isFallbackPublicClient",
    "nativeAuthenticationApisEnabled",
    "notes",
    "publisherDomain",
    "serviceManagementReference",
    "signInAudience",
    "tags",
    "tokenEncryptionKeyId",
    "uniqueName",
    "samlMetadataUrl",
    "defaultRedirectUri",
    "certification",
    "servicePrincipalLockConfiguration",
    "requestSignatureVerification",
    "addIns",
    "api",
    "appRoles",
    "info",
    "keyCredentials",
    "optionalClaims",
    "parentalControlSettings",
    "passwordCredentials",
    "publicClient",
    "requiredResourceAccess",
    "verifiedPublisher",
    "web",
    "spa",
];

/// The position of `name` in [`APP_PROPS`]; a compile error when it is not there.
const fn prop_index(name: &str) -> usize {
    let mut i = 0;
    while i < APP_PROPS.len() {
        let (a, b) = (APP_PROPS[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("not an application property")
}

/// The bit of `name` in a [`Selection`] mask (and in delta change masks).
pub const fn prop_bit(name: &str) -> u64 {
    1 << prop_index(name)
}

/// Which properties to write: all (no `$select`) or a bit set over [`APP_PROPS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    mask: u64,
    /// Canonical names in request order, for `@odata.context`.
    pub names: Vec<&'static str>,
}

impl Selection {
    pub fn all() -> Self {
        Self {
            mask: u64::MAX,
            names: Vec::new(),
        }
    }

    pub fn is_all(&self) -> bool {
        self.mask == u64::MAX
    }

    /// Parse `$select`; `Err(name)` names the first unknown property.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut mask = 0u64;
        let mut names = Vec::new();
        for raw in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if raw == "*" {
                return Ok(Self::all());
            }
            let i = APP_PROPS
                .iter()
                .position(|p| p.eq_ignore_ascii_case(raw))
                .ok_or_else(|| raw.to_owned())?;
            if mask & (1 << i) == 0 {
                names.push(APP_PROPS[i]);
            }
            mask |= 1 << i;
        }
        if mask == 0 {
            return Ok(Self::all());
        }
        Ok(Self { mask, names })
    }

    fn has(&self, index: usize) -> bool {
        self.mask & (1 << index) != 0
    }

    /// Whether `bits` (from [`prop_bit`]) has a property this selection writes.
    pub fn overlaps(&self, bits: u64) -> bool {
        self.mask & bits != 0
    }

    /// Only the selected properties among `bits`, plus `id`: a delta query's updated item.
    pub fn restricted(&self, bits: u64) -> Self {
        let mask = (self.mask & bits) | prop_bit("id");
        let names = APP_PROPS
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect();
        Self { mask, names }
    }

    /// `applications` or `applications(appId,displayName)` for `@odata.context`.
    pub fn context_suffix(&self, set: &str) -> String {
        if self.is_all() {
            set.to_owned()
        } else {
            format!("{set}({})", self.names.join(","))
        }
    }
}

/// How an application is being written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppForm {
    /// Reads: `createdDateTime` in whole seconds.
    Read,
    /// The 201 of a create: `createdDateTime` at full precision (fixtures README, surprise 3).
    Created,
}

pub struct AppJson<'a> {
    pub app: &'a App,
    pub tenant: &'a TenantInfo,
    pub sel: &'a Selection,
    pub form: AppForm,
    /// `"@odata.type": "#microsoft.graph.application"` first, as in directoryObject collections.
    pub odata_type: bool,
    /// Certificates' `key` filled (a single object under `$select`).
    pub keys: bool,
}

const EMPTY: &[u8] = &[];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Api {
    accept_mapped_claims: Option<bool>,
    known_client_applications: &'static [u8],
    requested_access_token_version: Option<u8>,
    oauth2_permission_scopes: &'static [u8],
    pre_authorized_applications: &'static [u8],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Info {
    logo_url: Option<()>,
    marketing_url: Option<()>,
    privacy_statement_url: Option<()>,
    support_url: Option<()>,
    terms_of_service_url: Option<()>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ParentalControlSettings {
    countries_blocked_for_minors: &'static [u8],
    legal_age_group_rule: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifiedPublisher {
    display_name: Option<()>,
    verified_publisher_id: Option<()>,
    added_date_time: Option<()>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RedirectUris<'a> {
    redirect_uris: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImplicitGrant {
    enable_access_token_issuance: bool,
    enable_id_token_issuance: bool,
}

#[derive(Serialize)]
struct RedirectUriSetting<'a> {
    uri: &'a str,
    index: Option<()>,
}

struct RedirectUriSettings<'a>(&'a [String]);

impl Serialize for RedirectUriSettings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.0
                .iter()
                .map(|uri| RedirectUriSetting { uri, index: None }),
        )
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Web<'a> {
    home_page_url: Option<&'a str>,
    logout_url: Option<()>,
    redirect_uris: &'a [String],
    implicit_grant_settings: ImplicitGrant,
    redirect_uri_settings: RedirectUriSettings<'a>,
}

impl Serialize for AppJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.app;
        // A tenant file's `wire` record goes out exactly as written (malformed on purpose).
        if let Some(wire) = &a.wire {
            return wire.serialize(s);
        }
        let mut m = s.serialize_map(None)?;
        if self.odata_type {
            m.serialize_entry("@odata.type", "#microsoft.graph.application")?;
        }
        let none: Option<()> = None;
        // The property's index is found at compile time, so a projection costs one bit test.
        macro_rules! prop {
            ($name:literal, $value:expr) => {
                if self.sel.has(const { prop_index($name) }) {
                    m.serialize_entry($name, &$value)?;
                }
            };
        }
        prop!("id", a.id);
        prop!("deletedDateTime", none);
        prop!("appId", a.app_id);
        prop!("applicationTemplateId", none);
        prop!("disabledByMicrosoftStatus", none);
        if self.sel.has(const { prop_index("createdDateTime") }) {
            let created = match self.form {
                AppForm::Read => super::model::GraphTime::secs(a.created.at),
                AppForm::Created => a.created,
            };
            m.serialize_entry("createdDateTime", &created.format())?;
        }
        prop!("displayName", a.display_name);
        prop!("description", a.description);
        prop!("groupMembershipClaims", none);
        prop!("identifierUris", a.identifier_uris);
        prop!("isDeviceOnlyAuthSupported", none);
        prop!("isFallbackPublicClient", a.is_fallback_public_client);
        prop!("nativeAuthenticationApisEnabled", none);
        prop!("notes", a.notes);
        prop!("publisherDomain", self.tenant.domain);
        prop!("serviceManagementReference", a.service_management_reference);
        prop!("signInAudience", a.audience.as_str());
        prop!("tags", a.tags);
        prop!("tokenEncryptionKeyId", none);
        prop!("uniqueName", none);
        prop!("samlMetadataUrl", none);
        prop!("defaultRedirectUri", none);
        prop!("certification", none);
        prop!("servicePrincipalLockConfiguration", none);
        prop!("requestSignatureVerification", none);
        prop!("addIns", EMPTY);
        prop!(
            "api",
            Api {
                accept_mapped_claims: None,
                known_client_applications: EMPTY,
                requested_access_token_version: a.audience.has_two_secret_cap().then_some(2),
                oauth2_permission_scopes: EMPTY,
                pre_authorized_applications: EMPTY,
            }
        );
        prop!("appRoles", EMPTY);
        prop!(
            "info",
            Info {
                logo_url: None,
                marketing_url: None,
                privacy_statement_url: None,
                support_url: None,
                terms_of_service_url: None,
            }
        );
        prop!("keyCredentials", KeyCreds(&a.keys, self.keys));
        prop!("optionalClaims", none);
        prop!(
            "parentalControlSettings",
            ParentalControlSettings {
                countries_blocked_for_minors: EMPTY,
                legal_age_group_rule: "Allow",
            }
        );
        prop!("passwordCredentials", PasswordCreds(&a.passwords));
        prop!(
            "publicClient",
            RedirectUris {
                redirect_uris: &a.public_client_redirect_uris
            }
        );
        prop!("requiredResourceAccess", EMPTY);
        prop!(
            "verifiedPublisher",
            VerifiedPublisher {
                display_name: None,
                verified_publisher_id: None,
                added_date_time: None,
            }
        );
        prop!(
            "web",
            Web {
                home_page_url: a.home_page_url.as_deref(),
                logout_url: None,
                redirect_uris: &a.web_redirect_uris,
                implicit_grant_settings: ImplicitGrant {
                    enable_access_token_issuance: false,
                    enable_id_token_issuance: false,
                },
                redirect_uri_settings: RedirectUriSettings(&a.web_redirect_uris),
            }
        );
        prop!("spa", RedirectUris { redirect_uris: &[] });
        m.end()
    }
}

struct PasswordCreds<'a>(&'a [PasswordCred]);

impl Serialize for PasswordCreds<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|p| PasswordJson {
            cred: p,
            secret_text: None,
        }))
    }
}

/// A passwordCredential in Graph's key order; `secretText` is null except in addPassword.
pub struct PasswordJson<'a> {
    pub cred: &'a PasswordCred,
    pub secret_text: Option<&'a str>,
}

impl Serialize for PasswordJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.cred;
        let mut m = s.serialize_map(Some(7))?;
        m.serialize_entry("customKeyIdentifier", &p.custom_key_identifier)?;
        m.serialize_entry("displayName", &p.display_name)?;
        m.serialize_entry("endDateTime", &p.end.format())?;
        m.serialize_entry("hint", &p.hint)?;
        m.serialize_entry("keyId", &p.key_id)?;
        m.serialize_entry("secretText", &self.secret_text)?;
        m.serialize_entry("startDateTime", &p.start.format())?;
        m.end()
    }
}

struct KeyCreds<'a>(&'a [KeyCred], bool);

impl Serialize for KeyCreds<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|k| KeyJson(k, self.1)))
    }
}

/// A keyCredential in Graph's key order; `key` only when asked for (the second field).
pub struct KeyJson<'a>(pub &'a KeyCred, pub bool);

impl Serialize for KeyJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let k = self.0;
        let mut m = s.serialize_map(Some(8))?;
        m.serialize_entry("customKeyIdentifier", &k.custom_key_identifier)?;
        m.serialize_entry("displayName", &k.display_name)?;
        m.serialize_entry("endDateTime", &k.end.format())?;
        // `key` is null unless selected on a single GET (research 14 §1.1).
        let key = self
            .1
            .then_some(k.key.as_deref())
            .flatten()
            .map(|d| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, d));
        m.serialize_entry("key", &key)?;
        m.serialize_entry("keyId", &k.key_id)?;
        m.serialize_entry("startDateTime", &k.start.format())?;
        m.serialize_entry("type", &k.key_type)?;
        m.serialize_entry("usage", &k.usage)?;
        m.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FederatedJson<'a> {
    id: &'a str,
    name: &'a str,
    issuer: &'a str,
    subject: &'a str,
    description: &'a Option<String>,
    audiences: &'a [String],
}

impl<'a> From<&'a FederatedCred> for FederatedJson<'a> {
    fn from(f: &'a FederatedCred) -> Self {
        Self {
            id: &f.id,
            name: &f.name,
            issuer: &f.issuer,
            subject: &f.subject,
            description: &f.description,
            audiences: &f.audiences,
        }
    }
}

/// The 11 default user properties (contract §7), in the recorded order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserJson<'a> {
    business_phones: &'a [String],
    display_name: &'a str,
    given_name: &'a Option<String>,
    job_title: &'a Option<String>,
    mail: &'a Option<String>,
    mobile_phone: &'a Option<String>,
    office_location: &'a Option<String>,
    preferred_language: &'a Option<String>,
    surname: &'a Option<String>,
    user_principal_name: &'a str,
    id: &'a str,
}

impl<'a> From<&'a User> for UserJson<'a> {
    fn from(u: &'a User) -> Self {
        Self {
            business_phones: &u.business_phones,
            display_name: &u.display_name,
            given_name: &u.given_name,
            job_title: &u.job_title,
            mail: &u.mail,
            mobile_phone: &u.mobile_phone,
            office_location: &u.office_location,
            preferred_language: &u.preferred_language,
            surname: &u.surname,
            user_principal_name: &u.user_principal_name,
            id: &u.id,
        }
    }
}

pub const USER_PROPS: [&str; 11] = [
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

/// `/organization`'s one element.
pub fn organization(t: &Tenant) -> serde_json::Value {
    let TenantInfo {
        id,
        display_name,
        domain,
        created,
    } = &t.info;
    serde_json::json!({
        "id": id,
        "deletedDateTime": null,
        "businessPhones": [],
        "city": null,
        "country": null,
        "countryLetterCode": "US",
        "createdDateTime": created,
        "displayName": display_name,
        "postalCode": null,
        "preferredLanguage": "en",
        "state": null,
        "street": null,
        "tenantType": "AAD",
        "technicalNotificationMails": [t.user.user_principal_name],
        "verifiedDomains": [{
            "capabilities": "Email, OfficeCommunicationsOnline",
            "isDefault": true,
            "isInitial": true,
            "name": domain,
            "type": "Managed"
        }]
    })
}
