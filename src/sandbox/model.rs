//! The emulated directory's state: tenant, user, app registrations with their credentials,
//! app management policies, and the index from secret values to credentials (for client
//! credentials sign-in). Plain data; the HTTP layer in `graph.rs` and `token.rs` owns the rules.
//!
//! Secret values are never stored: only a keyed hash of each value created here (or seeded for
//! the automation principal), which is enough to check a `client_secret`.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use chrono::{DateTime, Duration as ChronoDuration, TimeZone, Timelike, Utc};
use secrecy::SecretString;

/// A Graph timestamp with the fractional precision it was written with: Graph echoes the
/// client's precision (fixtures README, surprise 2) and picks 7 digits when it chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphTime {
    pub at: DateTime<Utc>,
    /// Fractional digits, 0..=7.
    pub digits: u8,
}

impl GraphTime {
    /// "Now" the way Graph stamps it: 7 fractional digits (100 ns ticks).
    pub fn now7() -> Self {
        Self::with_digits(Utc::now(), 7)
    }

    pub fn with_digits(at: DateTime<Utc>, digits: u8) -> Self {
        let digits = digits.min(7);
        let nanos = at.timestamp_subsec_nanos();
        let unit = 10u32.pow(9 - u32::from(digits));
        let truncated = at.with_nanosecond(nanos - nanos % unit).unwrap_or(at);
        Self {
            at: truncated,
            digits,
        }
    }

    /// Whole seconds, as stored seed dates and later reads of `createdDateTime` are.
    pub fn secs(at: DateTime<Utc>) -> Self {
        Self::with_digits(at, 0)
    }

    /// Parse an `Edm.DateTimeOffset` as a client sends it (`Z` or `+hh:mm`, 0..n digits).
    pub fn parse(s: &str) -> Option<Self> {
        let parsed = DateTime::parse_from_rfc3339(s.trim()).ok()?;
        let digits = s
            .split_once('.')
            .map(|(_, frac)| frac.bytes().take_while(u8::is_ascii_digit).count())
            .unwrap_or(0);
        Some(Self::with_digits(
            parsed.with_timezone(&Utc),
            digits.min(7) as u8,
        ))
    }

    pub fn format(&self) -> String {
        let base = self.at.format("%Y-%m-%dT%H:%M:%S");
        if self.digits == 0 {
            return format!("{base}Z");
        }
        let frac = self.at.timestamp_subsec_nanos() / 10u32.pow(9 - u32::from(self.digits));
        format!("{base}.{frac:0width$}Z", width = usize::from(self.digits))
    }
}

/// `2299-12-31T23:59:59Z`, what "Never" means in the portal's old option and in PRODUCT.md.
pub fn never() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2299, 12, 31, 23, 59, 59)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// innerError.date: no fraction, no zone (contract §9).
pub fn inner_error_date() -> String {
    Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Token endpoint `timestamp`: a space and a `Z` (contract §11e).
pub fn login_timestamp() -> String {
    Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    MyOrg,
    MultipleOrgs,
    OrgsAndPersonal,
    Personal,
}

impl Audience {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "AzureADMyOrg" => Self::MyOrg,
            "AzureADMultipleOrgs" => Self::MultipleOrgs,
            "AzureADandPersonalMicrosoftAccount" => Self::OrgsAndPersonal,
            "PersonalMicrosoftAccount" => Self::Personal,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::MyOrg => "AzureADMyOrg",
            Self::MultipleOrgs => "AzureADMultipleOrgs",
            Self::OrgsAndPersonal => "AzureADandPersonalMicrosoftAccount",
            Self::Personal => "PersonalMicrosoftAccount",
        }
    }

    /// Personal-account audiences are capped at two client secrets (contract §4).
    pub fn has_two_secret_cap(self) -> bool {
        matches!(self, Self::OrgsAndPersonal | Self::Personal)
    }
}

#[derive(Clone, Debug)]
pub struct PasswordCred {
    pub key_id: String,
    pub display_name: Option<String>,
    pub hint: Option<String>,
    pub start: GraphTime,
    pub end: GraphTime,
    pub custom_key_identifier: Option<String>,
}

#[derive(Clone, Debug)]
pub struct KeyCred {
    pub key_id: String,
    pub display_name: Option<String>,
    pub custom_key_identifier: Option<String>,
    pub start: GraphTime,
    pub end: GraphTime,
    pub key_type: String,
    pub usage: String,
    /// The certificate's DER (`key`, shown only under `$select` on one application).
    pub key: Option<Vec<u8>>,
}

/// An owner other than the sandbox user (who owns the apps marked `owned`).
#[derive(Clone, Debug)]
pub struct OwnerRef {
    pub id: String,
    pub display_name: String,
    pub user_principal_name: Option<String>,
    /// Set for a service principal owner.
    pub app_id: Option<String>,
}

#[derive(Clone, Debug)]
pub struct FederatedCred {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub description: Option<String>,
    pub audiences: Vec<String>,
}

/// Application permissions held by an app's service principal (for app-only tokens).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Perms(pub u8);

impl Perms {
    pub const READ_APPS: Perms = Perms(1);
    pub const WRITE_APPS: Perms = Perms(2);
    pub const USER_READ: Perms = Perms(4);
    pub const READ_ORG: Perms = Perms(8);
    /// Policy.Read.All (or Policy.Read/ReadWrite.ApplicationConfiguration).
    pub const READ_POLICY: Perms = Perms(16);

    pub fn has(self, p: Perms) -> bool {
        self.0 & p.0 == p.0
    }

    pub fn union(self, p: Perms) -> Perms {
        Perms(self.0 | p.0)
    }

    /// Graph permission names as granted in the seed or requested as scopes.
    pub fn from_name(name: &str) -> Perms {
        match name.to_ascii_lowercase().as_str() {
            "application.read.all" => Perms::READ_APPS,
            "application.readwrite.all" | "directory.readwrite.all" => {
                Perms::READ_APPS.union(Perms::WRITE_APPS)
            }
            "directory.read.all" => Perms::READ_APPS.union(Perms::READ_ORG),
            "organization.read.all" => Perms::READ_ORG,
            "user.read" => Perms::USER_READ,
            "policy.read.all"
            | "policy.read.applicationconfiguration"
            | "policy.readwrite.applicationconfiguration" => Perms::READ_POLICY,
            _ => Perms(0),
        }
    }
}

#[derive(Clone, Debug)]
pub struct App {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    /// Precomputed for `startswith`/`eq`/sorting over large tenants.
    pub name_lower: String,
    /// Full precision as created; reads show whole seconds (fixtures README, surprise 3).
    pub created: GraphTime,
    pub audience: Audience,
    pub description: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub identifier_uris: Vec<String>,
    pub web_redirect_uris: Vec<String>,
    pub home_page_url: Option<String>,
    pub public_client_redirect_uris: Vec<String>,
    pub is_fallback_public_client: Option<bool>,
    pub service_management_reference: Option<String>,
    /// Newest first, as Graph lists them.
    pub passwords: Vec<PasswordCred>,
    pub keys: Vec<KeyCred>,
    pub federated: Vec<FederatedCred>,
    pub owned_by_user: bool,
    /// Owners besides the sandbox user.
    pub owners: Vec<OwnerRef>,
    /// The sandbox user neither owns nor administers it: writes are denied (403).
    pub write_protected: bool,
    /// Index into [`Tenant::policies`].
    pub policy: Option<usize>,
    /// What an app-only token of this app may do.
    pub granted: Perms,
    /// Sent instead of the app's JSON, verbatim (a tenant file's malformed record); writes
    /// change the app but not this.
    pub wire: Option<Box<serde_json::value::RawValue>>,
}

/// Every restriction type of v1.0 (research 14 §3.3); lifetimes carry their maximum.
#[derive(Clone, Debug)]
pub enum Restriction {
    PasswordAddition,
    PasswordLifetime(ChronoDuration),
    SymmetricKeyAddition,
    /// Caps symmetric keys, which azsecrets never adds (kept for the wire and the seed).
    SymmetricKeyLifetime,
    CustomPasswordAddition,
    AsymmetricKeyLifetime(ChronoDuration),
}

impl Restriction {
    /// `restrictionType` on the wire.
    pub fn type_name(&self) -> &'static str {
        match self {
            Restriction::PasswordAddition => "passwordAddition",
            Restriction::PasswordLifetime(_) => "passwordLifetime",
            Restriction::SymmetricKeyAddition => "symmetricKeyAddition",
            Restriction::SymmetricKeyLifetime => "symmetricKeyLifetime",
            Restriction::CustomPasswordAddition => "customPasswordAddition",
            Restriction::AsymmetricKeyLifetime(_) => "asymmetricKeyLifetime",
        }
    }

    /// A `keyCredentials` restriction (else a `passwordCredentials` one).
    pub fn is_key(&self) -> bool {
        matches!(self, Restriction::AsymmetricKeyLifetime(_))
    }
}

#[derive(Clone, Debug)]
pub struct PolicyRule {
    pub restriction: Restriction,
    /// `maxLifetime` as written (ISO 8601), for the wire.
    pub max_lifetime: Option<String>,
    pub enabled: bool,
    pub created_after: Option<DateTime<Utc>>,
}

impl PolicyRule {
    /// "Enforces the policy for an app created on or after the enforcement date."
    pub fn applies_to(&self, app: &App) -> bool {
        self.enabled
            && self
                .created_after
                .is_none_or(|after| app.created.at >= after)
    }
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub is_enabled: bool,
    pub rules: Vec<PolicyRule>,
}

impl Policy {
    /// The tenant default as every tenant has it until an admin changes it: disabled, empty.
    pub fn tenant_default() -> Self {
        Self {
            id: "00000000-0000-0000-0000-000000000000".into(),
            display_name: "Default app management tenant policy".into(),
            description: Some("Default tenant policy that enforces app management restrictions on applications and service principals. To apply policy to targeted resources, create a new policy under appManagementPolicies collection.".into()),
            is_enabled: false,
            rules: Vec::new(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub user_principal_name: String,
    pub mail: Option<String>,
    pub job_title: Option<String>,
    pub office_location: Option<String>,
    pub preferred_language: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phones: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct TenantInfo {
    pub id: String,
    pub display_name: String,
    pub domain: String,
    pub created: String,
}

/// Where a known secret value lives.
#[derive(Clone, Debug)]
pub struct SecretRef {
    pub app_id: String,
    pub key_id: String,
}

/// A Graph error's code and message, as a tenant file overrides them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorText {
    pub code: String,
    pub message: String,
}

/// The error texts a tenant file may replace (to test how clients show hostile text).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorTexts {
    /// 403 Authorization_RequestDenied.
    pub forbidden: Option<ErrorText>,
    /// 404 Request_ResourceNotFound.
    pub not_found: Option<ErrorText>,
    /// Injected 429s (`--throttle-every`).
    pub throttled: Option<ErrorText>,
    /// Injected 5xx (`--fail-rate`).
    pub server_error: Option<ErrorText>,
}

/// What a write did to an app, for `/applications/delta` (docs/contract.md §10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Created,
    /// The properties that changed, as bits over `json::APP_PROPS`.
    Updated(u64),
    Deleted,
}

/// One entry of the tenant's change log.
#[derive(Clone, Copy, Debug)]
pub struct ChangeEntry {
    pub version: u64,
    pub idx: usize,
    pub change: Change,
}

pub struct Tenant {
    pub info: TenantInfo,
    pub user: User,
    pub policies: Vec<Policy>,
    /// `/policies/defaultAppManagementPolicy`: applies to apps with no policy assigned.
    pub default_policy: Policy,
    /// The sandbox user holds a role that may read policies (Global Reader or more).
    pub user_reads_policies: bool,
    pub apps: Vec<App>,
    /// Keyed by the GUID's value: no lowercase copies, cheap to hash at 50,000 apps.
    by_id: HashMap<u128, usize>,
    by_app_id: HashMap<u128, usize>,
    secrets: HashMap<u64, SecretRef>,
    hasher: RandomState,
    /// The seeded automation principal (client credentials), an index into `apps`.
    pub automation_app: Option<usize>,
    pub errors: ErrorTexts,
    /// Deleted apps stay in `apps` (indices and page positions stay valid) but are gone for
    /// every read.
    deleted: std::collections::HashSet<usize>,
    /// Every change since the tenant was built, oldest first: what delta queries replay.
    changes: Vec<ChangeEntry>,
    /// The version of the newest change (0: as built).
    version: u64,
}

impl Tenant {
    pub fn new(info: TenantInfo, user: User, policies: Vec<Policy>) -> Self {
        Self {
            info,
            user,
            policies,
            default_policy: Policy::tenant_default(),
            user_reads_policies: true,
            apps: Vec::new(),
            by_id: HashMap::new(),
            by_app_id: HashMap::new(),
            secrets: HashMap::new(),
            hasher: RandomState::new(),
            automation_app: None,
            errors: ErrorTexts::default(),
            deleted: std::collections::HashSet::new(),
            changes: Vec::new(),
            version: 0,
        }
    }

    /// Whether the app at `idx` was deleted.
    pub fn is_deleted(&self, idx: usize) -> bool {
        self.deleted.contains(&idx)
    }

    /// Live apps, by index.
    pub fn live(&self) -> impl Iterator<Item = (usize, &App)> {
        self.apps
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.deleted.contains(i))
    }

    /// The version of the newest change.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Record that the app at `idx` changed (every write route calls this, so delta queries
    /// see it; a route that forgets makes delta miss the change).
    pub fn record(&mut self, idx: usize, change: Change) {
        self.version += 1;
        self.changes.push(ChangeEntry {
            version: self.version,
            idx,
            change,
        });
    }

    /// Changes after `since` up to and including `upto`, oldest first.
    pub fn changes_between(&self, since: u64, upto: u64) -> &[ChangeEntry] {
        let start = self.changes.partition_point(|c| c.version <= since);
        let end = self.changes.partition_point(|c| c.version <= upto);
        self.changes.get(start..end).unwrap_or(&[])
    }

    /// Delete the app at `idx`: gone for every read, `@removed` for delta.
    pub fn delete_app(&mut self, idx: usize) -> bool {
        if idx >= self.apps.len() || !self.deleted.insert(idx) {
            return false;
        }
        self.record(idx, Change::Deleted);
        true
    }

    pub fn push_app(&mut self, app: App) -> usize {
        let idx = self.apps.len();
        // Ids are GUIDs by construction (seed::build checks the seed's).
        if let (Some(id), Some(app_id)) = (guid_value(&app.id), guid_value(&app.app_id)) {
            self.by_id.insert(id, idx);
            self.by_app_id.insert(app_id, idx);
        }
        self.apps.push(app);
        idx
    }

    pub fn reserve(&mut self, n: usize) {
        self.apps.reserve(n);
        self.by_id.reserve(n);
        self.by_app_id.reserve(n);
    }

    pub fn index_by_id(&self, id: &str) -> Option<usize> {
        self.by_id
            .get(&guid_value(id)?)
            .copied()
            .filter(|i| !self.deleted.contains(i))
    }

    pub fn index_by_app_id(&self, app_id: &str) -> Option<usize> {
        self.by_app_id
            .get(&guid_value(app_id)?)
            .copied()
            .filter(|i| !self.deleted.contains(i))
    }

    pub fn contains_id(&self, id: &str) -> bool {
        self.index_by_id(id).is_some() || self.index_by_app_id(id).is_some()
    }

    /// Remember a secret value (hashed) for client-credentials sign-in.
    pub fn remember_secret(&mut self, value: &str, app_id: &str, key_id: &str) {
        let h = self.hasher.hash_one(value);
        self.secrets.insert(
            h,
            SecretRef {
                app_id: app_id.to_owned(),
                key_id: key_id.to_owned(),
            },
        );
    }

    pub fn lookup_secret(&self, value: &str) -> Option<&SecretRef> {
        self.secrets.get(&self.hasher.hash_one(value))
    }

    /// The policy in force for an app: its assigned one, else the tenant default. `None`
    /// when that policy is disabled.
    pub fn policy_for(&self, app: &App) -> Option<&Policy> {
        let p = match app.policy {
            Some(i) => self.policies.get(i)?,
            None => &self.default_policy,
        };
        p.is_enabled.then_some(p)
    }
}

/// The alphabet of the first three characters of a generated secret (contract §3).
const HEAD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.";
/// The alphabet of the 34-character tail.
const TAIL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.-";

/// A new secret value in the format Graph generates today: 3 chars, `8`, `Q~`, 34 chars.
pub fn generate_secret() -> SecretString {
    let mut s = String::with_capacity(40);
    for _ in 0..3 {
        s.push(HEAD[rand::random_range(0..HEAD.len())] as char);
    }
    s.push_str("8Q~");
    for _ in 0..34 {
        s.push(TAIL[rand::random_range(0..TAIL.len())] as char);
    }
    SecretString::from(s)
}

/// Parse an ISO-8601 duration such as `P180D` or `P4DT12H30M5S` (years = 365 days,
/// months = 30 days: policy lifetimes are written in days in practice).
pub fn parse_iso_duration(s: &str) -> Option<ChronoDuration> {
    let rest = s.strip_prefix('P').or_else(|| s.strip_prefix('p'))?;
    let (date, time) = match rest.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = ChronoDuration::zero();
    let mut any = false;
    let mut scan = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                num.push(c);
            } else {
                let secs = units
                    .iter()
                    .find(|(u, _)| u.eq_ignore_ascii_case(&c))
                    .map(|(_, s)| *s)?;
                let n: i64 = num.parse().ok()?;
                total += ChronoDuration::seconds(n.checked_mul(secs)?);
                num.clear();
                any = true;
            }
        }
        num.is_empty().then_some(())
    };
    scan(
        date,
        &[
            ('Y', 365 * 86_400),
            ('M', 30 * 86_400),
            ('W', 7 * 86_400),
            ('D', 86_400),
        ],
    )?;
    if let Some(t) = time {
        scan(t, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    }
    any.then_some(total)
}

/// The 128-bit value of a GUID string (`8-4-4-4-12` hex digits, any case), or `None` when
/// it is not one. Graph's form only: the other forms `uuid` reads (braces, urn, bare digits) are
/// not ids Graph accepts in a path or a filter.
pub fn guid_value(s: &str) -> Option<u128> {
    if s.len() != 36 {
        return None;
    }
    uuid::Uuid::try_parse(s).ok().map(|u| u.as_u128())
}

/// The lowercase hyphenated form of a GUID value.
pub fn guid_string(v: u128) -> String {
    uuid::Uuid::from_u128(v).hyphenated().to_string()
}

/// `8-4-4-4-12` hex digits.
pub fn is_guid(s: &str) -> bool {
    guid_value(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_time_keeps_precision() {
        for s in [
            "2024-08-23T12:36:18.018157Z",
            "2022-05-07T06:52:43Z",
            "2019-09-17T19:10:35.2742618Z",
        ] {
            assert_eq!(GraphTime::parse(s).map(|t| t.format()).as_deref(), Some(s));
        }
        assert_eq!(
            GraphTime::parse("2024-08-23T12:36:18.018157+00:00").map(|t| t.format()),
            Some("2024-08-23T12:36:18.018157Z".to_owned())
        );
        assert_eq!(
            GraphTime::parse("2024-08-23T12:36:18.123456789Z").map(|t| t.format()),
            Some("2024-08-23T12:36:18.1234567Z".to_owned())
        );
        assert_eq!(
            GraphTime::now7().format().len(),
            "2024-08-23T12:36:18.1234567Z".len()
        );
    }

    #[test]
    fn guid_values_round_trip() {
        let s = "631a96bc-a705-4eda-9f99-fdaf9f54f6a2";
        let v = guid_value(s).unwrap();
        assert_eq!(guid_string(v), s);
        assert_eq!(guid_value(&s.to_uppercase()), Some(v));
        assert_eq!(guid_value("631a96bc-a705-4eda-9f99-fdaf9f54f6a"), None);
    }

    #[test]
    fn secret_format() {
        use secrecy::ExposeSecret;
        for _ in 0..200 {
            let s = generate_secret();
            let v = s.expose_secret();
            assert_eq!(v.len(), 40);
            assert_eq!(&v[3..6], "8Q~");
            assert!(v[..3].bytes().all(|b| HEAD.contains(&b)));
            assert!(v[6..].bytes().all(|b| TAIL.contains(&b)));
        }
    }

    #[test]
    fn iso_durations() {
        assert_eq!(parse_iso_duration("P90D"), Some(ChronoDuration::days(90)));
        assert_eq!(
            parse_iso_duration("P4DT12H30M5S"),
            Some(ChronoDuration::seconds(
                4 * 86_400 + 12 * 3_600 + 30 * 60 + 5
            ))
        );
        assert_eq!(parse_iso_duration("P"), None);
        assert_eq!(parse_iso_duration("90D"), None);
    }
}
