//! Building the tenant from a tenant file (`docs/tenant-file.md`): the embedded seed
//! (`assets/sandbox/tenant.json`) or one given with `--tenant-file`, read by the same code. Dates
//! are relative to the server's start so every expiry state holds on any day; `extra_apps` are
//! generated deterministically for scale tests.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::model::{
    App, Audience, ErrorText, ErrorTexts, FederatedCred, GraphTime, KeyCred, OwnerRef,
    PasswordCred, Perms, Policy, PolicyRule, Restriction, Tenant, TenantInfo, User, guid_string,
    is_guid, never, parse_iso_duration,
};

/// The built-in tenant file.
pub const SEED: &str = include_str!("../../assets/sandbox/tenant.json");

/// The second tenant, where the sandbox user is a guest (for switching tenants offline).
pub const SECOND: &str = include_str!("../../assets/sandbox/second-tenant.json");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedFile {
    tenant: SeedTenant,
    user: SeedUser,
    automation: SeedAutomation,
    /// More service principals whose secrets are published (same shape as `automation`).
    #[serde(default)]
    principals: Vec<SeedAutomation>,
    #[serde(default)]
    policies: Vec<SeedPolicy>,
    /// The tenant's default app management policy (absent: disabled and empty, as Graph's).
    #[serde(default)]
    default_policy: Option<SeedPolicy>,
    #[serde(default)]
    errors: SeedErrors,
    apps: Vec<SeedApp>,
}

/// Graph error texts to send instead of the usual ones.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SeedErrors {
    #[serde(default)]
    forbidden: Option<SeedErrorText>,
    #[serde(default)]
    not_found: Option<SeedErrorText>,
    #[serde(default)]
    throttled: Option<SeedErrorText>,
    #[serde(default)]
    server_error: Option<SeedErrorText>,
}

#[derive(Deserialize)]
struct SeedErrorText {
    code: String,
    message: String,
}

impl From<SeedErrorText> for ErrorText {
    fn from(e: SeedErrorText) -> Self {
        Self {
            code: e.code,
            message: e.message,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedTenant {
    id: String,
    display_name: String,
    domain: String,
    created_date_time: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedUser {
    id: String,
    display_name: String,
    given_name: Option<String>,
    surname: Option<String>,
    user_principal_name: String,
    mail: Option<String>,
    job_title: Option<String>,
    office_location: Option<String>,
    preferred_language: Option<String>,
    mobile_phone: Option<String>,
    #[serde(default)]
    business_phones: Vec<String>,
    /// The user holds a directory role that may read app management policies (default yes).
    #[serde(default = "yes")]
    can_read_policies: bool,
}

fn yes() -> bool {
    true
}

/// The seeded service principal for client credentials: an app in `apps` plus one of its
/// secrets whose value is published here (it is the sandbox's, not a real credential).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedAutomation {
    app_id: String,
    key_id: String,
    client_secret: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedPolicy {
    id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default = "yes")]
    is_enabled: bool,
    #[serde(default)]
    password_credentials: Vec<SeedRestriction>,
    #[serde(default)]
    key_credentials: Vec<SeedRestriction>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedRestriction {
    restriction_type: String,
    #[serde(default)]
    max_lifetime: Option<String>,
    #[serde(default = "enabled")]
    state: String,
    #[serde(default)]
    restrict_for_apps_created_after_date_time: Option<String>,
    /// The same cut-off, relative to the server's start.
    #[serde(default)]
    restrict_for_apps_created_after_days_ago: Option<i64>,
}

fn enabled() -> String {
    "enabled".into()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedApp {
    id: String,
    app_id: String,
    display_name: String,
    created_days_ago: i64,
    #[serde(default)]
    sign_in_audience: Option<String>,
    #[serde(default)]
    owned: bool,
    #[serde(default)]
    write_protected: bool,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    granted_application_permissions: Vec<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    identifier_uris: Vec<String>,
    #[serde(default)]
    web: Option<SeedWeb>,
    #[serde(default)]
    public_client_redirect_uris: Vec<String>,
    #[serde(default)]
    is_fallback_public_client: Option<bool>,
    #[serde(default)]
    service_management_reference: Option<String>,
    #[serde(default)]
    password_credentials: Vec<SeedPassword>,
    #[serde(default)]
    key_credentials: Vec<SeedKey>,
    #[serde(default)]
    federated_identity_credentials: Vec<SeedFederated>,
    /// Owners besides the sandbox user.
    #[serde(default)]
    owners: Vec<SeedOwner>,
    /// Sent verbatim instead of the app's JSON (malformed records for tests).
    #[serde(default)]
    wire: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedWeb {
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    home_page_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedOwner {
    id: String,
    display_name: String,
    #[serde(default)]
    user_principal_name: Option<String>,
    /// `"servicePrincipal"` for a service principal (then `appId`); a user otherwise.
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    app_id: Option<String>,
}

/// A day offset from the server's start, or `"never"` (2299-12-31T23:59:59Z).
#[derive(Deserialize)]
#[serde(untagged)]
enum When {
    Days(i64),
    Word(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedPassword {
    key_id: String,
    display_name: Option<String>,
    hint: Option<String>,
    start_in_days: i64,
    end_in_days: When,
    #[serde(default)]
    custom_key_identifier: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedKey {
    key_id: String,
    display_name: Option<String>,
    custom_key_identifier: Option<String>,
    start_in_days: i64,
    end_in_days: When,
    #[serde(rename = "type", default = "cert_type")]
    key_type: String,
    #[serde(default = "verify")]
    usage: String,
    /// The certificate's DER, base64.
    #[serde(default)]
    key: Option<String>,
}

fn cert_type() -> String {
    "AsymmetricX509Cert".into()
}

fn verify() -> String {
    "Verify".into()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedFederated {
    id: String,
    name: String,
    issuer: String,
    subject: String,
    description: Option<String>,
    #[serde(default)]
    audiences: Vec<String>,
}

/// The seeded automation principal (see tenant.json). The tenant itself only remembers the
/// secret's hash; the value is kept here for `SandboxControl::automation_credentials`.
pub struct Automation {
    pub app_id: String,
    pub client_secret: SecretString,
}

/// Build the seed tenant plus `extra_apps` generated ones, with dates relative to `now`.
pub fn build(now: DateTime<Utc>, extra_apps: usize) -> Result<(Tenant, Automation), String> {
    build_from(SEED, now, extra_apps)
}

/// Build the tenant a tenant file describes, plus `extra_apps` generated ones.
pub fn build_from(
    text: &str,
    now: DateTime<Utc>,
    extra_apps: usize,
) -> Result<(Tenant, Automation), String> {
    let seed: SeedFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let info = TenantInfo {
        id: seed.tenant.id,
        display_name: seed.tenant.display_name,
        domain: seed.tenant.domain,
        created: seed.tenant.created_date_time,
    };
    let u = seed.user;
    let user = User {
        id: u.id,
        display_name: u.display_name,
        given_name: u.given_name,
        surname: u.surname,
        user_principal_name: u.user_principal_name,
        mail: u.mail,
        job_title: u.job_title,
        office_location: u.office_location,
        preferred_language: u.preferred_language,
        mobile_phone: u.mobile_phone,
        business_phones: u.business_phones,
    };
    let user_reads_policies = u.can_read_policies;
    let policies = seed
        .policies
        .iter()
        .map(|p| policy(p, now))
        .collect::<Result<Vec<_>, _>>()?;
    let policy_ids: Vec<String> = seed.policies.iter().map(|p| p.id.clone()).collect();
    let mut tenant = Tenant::new(info, user, policies);
    tenant.user_reads_policies = user_reads_policies;
    if let Some(d) = &seed.default_policy {
        tenant.default_policy = policy(d, now)?;
    }
    tenant.errors = ErrorTexts {
        forbidden: seed.errors.forbidden.map(Into::into),
        not_found: seed.errors.not_found.map(Into::into),
        throttled: seed.errors.throttled.map(Into::into),
        server_error: seed.errors.server_error.map(Into::into),
    };
    tenant.reserve(seed.apps.len() + extra_apps);

    let at = |days: i64| GraphTime::with_digits(now + ChronoDuration::days(days), 7);
    let end_at = |w: &When| -> Result<GraphTime, String> {
        match w {
            When::Days(d) => Ok(at(*d)),
            When::Word(s) if s == "never" => Ok(GraphTime::secs(never())),
            When::Word(s) => Err(format!("bad endInDays {s:?}")),
        }
    };

    for a in seed.apps {
        if !is_guid(&a.id) || !is_guid(&a.app_id) {
            return Err(format!(
                "app {:?}: id and appId must be GUIDs",
                a.display_name
            ));
        }
        if tenant.contains_id(&a.id) || tenant.contains_id(&a.app_id) {
            return Err(format!("duplicate id in app {:?}", a.display_name));
        }
        let audience = match a.sign_in_audience.as_deref() {
            None => Audience::MyOrg,
            Some(s) => Audience::parse(s).ok_or_else(|| format!("bad signInAudience {s:?}"))?,
        };
        let policy = match &a.policy {
            None => None,
            Some(p) => Some(
                policy_ids
                    .iter()
                    .position(|id| id == p)
                    .ok_or_else(|| format!("unknown policy {p:?}"))?,
            ),
        };
        let mut passwords = a
            .password_credentials
            .iter()
            .map(|p| {
                Ok(PasswordCred {
                    key_id: p.key_id.clone(),
                    display_name: p.display_name.clone(),
                    hint: p.hint.clone(),
                    start: at(p.start_in_days),
                    end: end_at(&p.end_in_days)?,
                    custom_key_identifier: p.custom_key_identifier.clone(),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        // Graph lists credentials newest first (fixtures README, surprise 9).
        passwords.sort_by_key(|p| std::cmp::Reverse(p.start.at));
        let keys = a
            .key_credentials
            .iter()
            .map(|k| {
                Ok(KeyCred {
                    key_id: k.key_id.clone(),
                    display_name: k.display_name.clone(),
                    custom_key_identifier: k.custom_key_identifier.clone(),
                    start: GraphTime::secs(at(k.start_in_days).at),
                    end: GraphTime::secs(end_at(&k.end_in_days)?.at),
                    key_type: k.key_type.clone(),
                    usage: k.usage.clone(),
                    key: match &k.key {
                        None => None,
                        Some(b) => Some(
                            base64::Engine::decode(
                                &base64::engine::general_purpose::STANDARD,
                                b.as_bytes(),
                            )
                            .map_err(|e| {
                                format!("keyCredential {}: key is not base64: {e}", k.key_id)
                            })?,
                        ),
                    },
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let web = a.web.unwrap_or(SeedWeb {
            redirect_uris: Vec::new(),
            home_page_url: None,
        });
        tenant.push_app(App {
            name_lower: a.display_name.to_lowercase(),
            id: a.id,
            app_id: a.app_id,
            display_name: a.display_name,
            created: GraphTime::secs(now - ChronoDuration::days(a.created_days_ago)),
            audience,
            description: a.description,
            notes: a.notes,
            tags: a.tags,
            identifier_uris: a.identifier_uris,
            web_redirect_uris: web.redirect_uris,
            home_page_url: web.home_page_url,
            public_client_redirect_uris: a.public_client_redirect_uris,
            is_fallback_public_client: a.is_fallback_public_client,
            service_management_reference: a.service_management_reference,
            passwords,
            keys,
            federated: a
                .federated_identity_credentials
                .into_iter()
                .map(|f| FederatedCred {
                    id: f.id,
                    name: f.name,
                    issuer: f.issuer,
                    subject: f.subject,
                    description: f.description,
                    audiences: f.audiences,
                })
                .collect(),
            owned_by_user: a.owned,
            owners: a
                .owners
                .into_iter()
                .map(|o| OwnerRef {
                    id: o.id,
                    display_name: o.display_name,
                    user_principal_name: o.user_principal_name,
                    app_id: if o.kind.as_deref() == Some("servicePrincipal") {
                        Some(o.app_id.unwrap_or_default())
                    } else {
                        None
                    },
                })
                .collect(),
            write_protected: a.write_protected,
            policy,
            granted: a
                .granted_application_permissions
                .iter()
                .fold(Perms::default(), |p, n| p.union(Perms::from_name(n))),
            wire: a.wire,
        });
    }

    for p in &seed.principals {
        let idx = tenant
            .index_by_app_id(&p.app_id)
            .ok_or_else(|| format!("principal {}: appId is not an app in the file", p.app_id))?;
        if !tenant.apps[idx]
            .passwords
            .iter()
            .any(|s| s.key_id == p.key_id)
        {
            return Err(format!(
                "principal {}: keyId is not a secret of that app",
                p.app_id
            ));
        }
        tenant.remember_secret(&p.client_secret, &p.app_id, &p.key_id);
    }

    let auto = seed.automation;
    let idx = tenant
        .index_by_app_id(&auto.app_id)
        .ok_or("automation.appId is not an app in the seed")?;
    if !tenant.apps[idx]
        .passwords
        .iter()
        .any(|p| p.key_id == auto.key_id)
    {
        return Err("automation.keyId is not a secret of the automation app".into());
    }
    tenant.remember_secret(&auto.client_secret, &auto.app_id, &auto.key_id);
    tenant.automation_app = Some(idx);

    generate(&mut tenant, now, extra_apps);
    Ok((
        tenant,
        Automation {
            app_id: auto.app_id,
            client_secret: SecretString::from(auto.client_secret),
        },
    ))
}

fn policy(p: &SeedPolicy, now: DateTime<Utc>) -> Result<Policy, String> {
    let rule = |r: &SeedRestriction, key: bool| -> Result<PolicyRule, String> {
        let max = || {
            r.max_lifetime
                .as_deref()
                .and_then(parse_iso_duration)
                .ok_or_else(|| format!("policy {}: bad maxLifetime", p.id))
        };
        let restriction = match (key, r.restriction_type.as_str()) {
            (false, "passwordAddition") => Restriction::PasswordAddition,
            (false, "passwordLifetime") => Restriction::PasswordLifetime(max()?),
            (false, "symmetricKeyAddition") => Restriction::SymmetricKeyAddition,
            (false, "symmetricKeyLifetime") => {
                max()?;
                Restriction::SymmetricKeyLifetime
            }
            (false, "customPasswordAddition") => Restriction::CustomPasswordAddition,
            (true, "asymmetricKeyLifetime") => Restriction::AsymmetricKeyLifetime(max()?),
            (_, other) => return Err(format!("policy {}: unknown restrictionType {other}", p.id)),
        };
        let created_after = match &r.restrict_for_apps_created_after_date_time {
            None => r
                .restrict_for_apps_created_after_days_ago
                .map(|d| now - ChronoDuration::days(d)),
            Some(s) => Some(
                GraphTime::parse(s)
                    .ok_or_else(|| format!("policy {}: bad date {s}", p.id))?
                    .at,
            ),
        };
        Ok(PolicyRule {
            restriction,
            max_lifetime: r.max_lifetime.clone(),
            enabled: r.state == "enabled",
            created_after,
        })
    };
    let mut rules = p
        .password_credentials
        .iter()
        .map(|r| rule(r, false))
        .collect::<Result<Vec<_>, String>>()?;
    for r in &p.key_credentials {
        rules.push(rule(r, true)?);
    }
    Ok(Policy {
        id: p.id.clone(),
        display_name: p.display_name.clone().unwrap_or_default(),
        description: p.description.clone(),
        is_enabled: p.is_enabled,
        rules,
    })
}

/// SplitMix64: a tiny deterministic generator, so generated tenants are the same every run.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }

    /// A version-4-shaped GUID.
    fn guid(&mut self) -> String {
        let v = (u128::from(self.next()) << 64) | u128::from(self.next());
        // Version 4, RFC 4122 variant.
        let v = (v & !(0xf << 76)) | (0x4 << 76);
        let v = (v & !(0x3 << 62)) | (0x2 << 62);
        guid_string(v)
    }

    fn hint(&mut self) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.";
        (0..3)
            .map(|_| A[(self.next() % A.len() as u64) as usize] as char)
            .collect()
    }
}

const ORGS: &[&str] = &[
    "contoso",
    "fabrikam",
    "northwind",
    "adventure-works",
    "tailspin",
    "wingtip",
    "litware",
    "proseware",
    "woodgrove",
    "alpine-ski",
    "lamna",
    "relecloud",
];
const SERVICES: &[&str] = &[
    "billing",
    "payments",
    "inventory",
    "orders",
    "shipping",
    "identity",
    "reporting",
    "search",
    "catalog",
    "notifications",
    "analytics",
    "ledger",
    "crm",
    "hr-portal",
    "telemetry",
    "backup",
    "gateway",
    "scheduler",
    "pricing",
    "warehouse",
];
const KINDS: &[&str] = &[
    "api", "web", "worker", "daemon", "sync", "func", "etl", "bot", "cli", "spa",
];
const ENVS: &[&str] = &["prod", "staging", "dev", "test", "qa", "sandbox"];
const SECRET_NAMES: &[&str] = &[
    "ci",
    "github-actions",
    "local-dev",
    "terraform",
    "keyvault-sync",
    "pipeline",
    "rotation",
];

/// Add `n` generated apps: varied realistic names with an index, mixed secret states.
fn generate(tenant: &mut Tenant, now: DateTime<Utc>, n: usize) {
    // Offsets (days) for the secret states the UI distinguishes.
    const ENDS: &[i64] = &[-40, -2, 3, 6, 12, 25, 45, 80, 200, 400, 700, 1100];
    let mut mix = Mix(0x5eed_a25e_c2e7_5001);
    for i in 0..n {
        let (org, service, kind, env) = (
            mix.pick(ORGS),
            mix.pick(SERVICES),
            mix.pick(KINDS),
            mix.pick(ENVS),
        );
        let number = (i + 1).to_string();
        let mut name = String::with_capacity(48);
        for part in [org, "-", service, "-", kind, " (", env, ") "] {
            name.push_str(part);
        }
        for _ in number.len()..5 {
            name.push('0');
        }
        name.push_str(&number);
        let created_days = (mix.next() % 1500) as i64 + 1;
        let secrets = match mix.next() % 10 {
            0 | 1 => 0,
            2..=6 => 1,
            7 | 8 => 2,
            _ => 3,
        };
        let mut passwords = Vec::with_capacity(secrets);
        for _ in 0..secrets {
            let end = ENDS[(mix.next() % ENDS.len() as u64) as usize];
            let lifetime = [90, 180, 365, 730][(mix.next() % 4) as usize];
            passwords.push(PasswordCred {
                key_id: mix.guid(),
                display_name: Some(mix.pick(SECRET_NAMES).to_owned()),
                hint: Some(mix.hint()),
                start: GraphTime::with_digits(now + ChronoDuration::days(end - lifetime), 7),
                end: GraphTime::with_digits(now + ChronoDuration::days(end), 7),
                custom_key_identifier: None,
            });
        }
        passwords.sort_by_key(|p| std::cmp::Reverse(p.start.at));
        let audience = match mix.next() % 20 {
            0 => Audience::OrgsAndPersonal,
            1 | 2 => Audience::MultipleOrgs,
            _ => Audience::MyOrg,
        };
        // Fresh random 122-bit values: no collision with the seed's name-based GUIDs.
        let id = mix.guid();
        let app_id = mix.guid();
        tenant.push_app(App {
            name_lower: name.to_lowercase(),
            display_name: name,
            id,
            app_id,
            created: GraphTime::secs(now - ChronoDuration::days(created_days)),
            audience,
            description: None,
            notes: None,
            tags: Vec::new(),
            identifier_uris: Vec::new(),
            web_redirect_uris: Vec::new(),
            home_page_url: None,
            public_client_redirect_uris: Vec::new(),
            is_fallback_public_client: None,
            service_management_reference: None,
            // Two secrets at most for personal-account audiences, as Graph enforces.
            passwords: if audience.has_two_secret_cap() {
                passwords.into_iter().take(2).collect()
            } else {
                passwords
            },
            keys: Vec::new(),
            federated: Vec::new(),
            owned_by_user: mix.next().is_multiple_of(4),
            owners: Vec::new(),
            write_protected: false,
            policy: None,
            granted: Perms::default(),
            wire: None,
        });
    }
}
