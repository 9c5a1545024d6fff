//! Certificates on an application (docs/contract.md "Certificates"): `PATCH /applications/{id}`
//! replaces the whole `keyCredentials` set (research 14 §1.2). Entries that name a stored keyId
//! keep it (with `key` null, or the same key and fields; a changed entry is refused); new
//! entries need a standard-base64 X.509 DER `key`, get their thumbprint and display name filled
//! in, and dates inside the certificate's validity and at most a year apart; the policy in force
//! caps their lifetime. `passwordCredentials` cannot be set this way. No ETag. `addKey` and
//! `removeKey` need a proof token the sandbox never accepts (stricter than Graph, never looser).
//! Also: the check every write body goes through (unknown properties refused, `@odata.*`
//! annotations accepted).

#![allow(clippy::result_large_err)]

use std::collections::HashSet;

use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use chrono::Months;
use sha1::Digest;

use super::graph::{Key, Req};
use super::model::{Change, GraphTime, KeyCred};
use super::reply::Ctx;

/// Graph's limit on credentials of one object (seen as `Directory_ResourceSizeExceeded`).
const MAX_KEYS: usize = 600;

const KEY_PROPS: &[&str] = &[
    "customKeyIdentifier",
    "displayName",
    "endDateTime",
    "key",
    "keyId",
    "startDateTime",
    "type",
    "usage",
];

/// Graph's answer to a property its type does not have.
pub fn unknown_property(ctx: &Ctx, prop: &str, type_name: &str) -> Response {
    ctx.bad_request(
        "BadRequest",
        &format!(
            "The property '{prop}' does not exist on type '{type_name}'. Make sure to only use property names that are defined by the type or mark the type as open type."
        ),
    )
}

fn check_object(
    ctx: &Ctx,
    obj: &serde_json::Map<String, serde_json::Value>,
    known: &[&str],
    type_name: &str,
) -> Result<(), Response> {
    match obj
        .keys()
        .find(|k| !k.starts_with('@') && !known.contains(&k.as_str()))
    {
        Some(bad) => Err(unknown_property(ctx, bad, type_name)),
        None => Ok(()),
    }
}

/// A write body's properties: only `known` ones (and instance annotations) at the top, and in
/// the one nested object named, only its type's. An empty body passes (the caller decides).
pub fn known_properties(
    ctx: &Ctx,
    body: &[u8],
    known: &[&str],
    type_name: &str,
    nested: Option<(&str, &[&str], &str)>,
) -> Result<(), Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return Err(ctx.bad_json());
    };
    check_object(ctx, &obj, known, type_name)?;
    if let Some((name, inner, inner_type)) = nested
        && let Some(serde_json::Value::Object(o)) = obj.get(name)
    {
        check_object(ctx, o, inner, inner_type)?;
    }
    Ok(())
}

/// The uppercase hex SHA-1 of the DER: what Graph puts in `customKeyIdentifier`.
fn thumbprint(der: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(40);
    for b in sha1::Sha1::digest(der) {
        let _ = write!(s, "{b:02X}");
    }
    s
}

/// The subject as Graph renders it: RDNs reversed, `S=` for the state.
fn subject(cert: &x509_parser::certificate::X509Certificate<'_>) -> String {
    let mut parts = Vec::new();
    for rdn in cert.subject().iter() {
        for atv in rdn.iter() {
            let key = match atv.attr_type().to_id_string().as_str() {
                "2.5.4.3" => "CN".to_owned(),
                "2.5.4.10" => "O".to_owned(),
                "2.5.4.11" => "OU".to_owned(),
                "2.5.4.7" => "L".to_owned(),
                "2.5.4.8" => "S".to_owned(),
                "2.5.4.6" => "C".to_owned(),
                "1.2.840.113549.1.9.1" => "E".to_owned(),
                "0.9.2342.19200300.100.1.25" => "DC".to_owned(),
                other => format!("OID.{other}"),
            };
            parts.push(format!("{key}={}", atv.as_str().unwrap_or("")));
        }
    }
    parts.reverse();
    parts.join(", ")
}

/// One entry of the body, decoded.
struct Entry<'a> {
    obj: &'a serde_json::Map<String, serde_json::Value>,
}

impl Entry<'_> {
    fn text(&self, k: &str) -> Result<Option<&str>, ()> {
        match self.obj.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(()),
        }
    }
}

impl Req<'_> {
    /// `PATCH /applications/{id}`: only `keyCredentials` is changed here.
    pub(super) fn patch_app(&self, key: &Key, body: &[u8]) -> Response {
        let ctx = self.ctx;
        let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice::<serde_json::Value>(body)
        else {
            return ctx.bad_json();
        };
        if obj.contains_key("passwordCredentials") {
            return ctx.bad_request(
                "Request_BadRequest",
                "New password credentials must be generated using service actions.",
            );
        }
        const APP_PROPS: &[&str] = &[
            "displayName",
            "signInAudience",
            "web",
            "spa",
            "publicClient",
            "notes",
            "description",
            "tags",
            "identifierUris",
            "isFallbackPublicClient",
            "keyCredentials",
            "api",
            "appRoles",
            "info",
            "optionalClaims",
            "requiredResourceAccess",
            "serviceManagementReference",
            "parentalControlSettings",
            "groupMembershipClaims",
        ];
        if let Err(r) = check_object(ctx, &obj, APP_PROPS, "microsoft.graph.application") {
            return r;
        }
        if let Some(other) = obj
            .keys()
            .find(|k| !k.starts_with('@') && k.as_str() != "keyCredentials")
        {
            // A real property the sandbox does not emulate changing: refused, never ignored.
            return ctx.bad_request(
                "Request_BadRequest",
                &format!("The sandbox does not change '{other}' of an application."),
            );
        }
        let mut tenant = self.shared.tenant_write();
        let idx = match self.resolve(&tenant, key) {
            Ok(i) => i,
            Err(r) => return r,
        };
        if let Err(r) = self.check_write(&tenant.apps[idx]) {
            return r;
        }
        let Some(list) = obj.get("keyCredentials") else {
            return ctx.no_content();
        };
        let serde_json::Value::Array(items) = list else {
            return ctx.bad_request(
                "Request_BadRequest",
                "Invalid value specified for property 'keyCredentials' of resource 'Application'.",
            );
        };
        if items.len() > MAX_KEYS {
            return ctx.bad_request(
                "Directory_ResourceSizeExceeded",
                "The size of the object has exceeded its limit. Please reduce the number of values and retry your request",
            );
        }
        let app = &tenant.apps[idx];
        let policy = tenant.policy_for(app);
        let mut next: Vec<KeyCred> = Vec::with_capacity(items.len());
        let mut seen: HashSet<String> = HashSet::new();
        for item in items {
            let serde_json::Value::Object(o) = item else {
                return ctx.bad_json();
            };
            if let Err(r) = check_object(ctx, o, KEY_PROPS, "microsoft.graph.keyCredential") {
                return r;
            }
            let e = Entry { obj: o };
            let cred = match self.entry(ctx, &e, app, policy) {
                Ok(c) => c,
                Err(r) => return r,
            };
            if !seen.insert(cred.key_id.to_ascii_lowercase()) {
                return ctx.bad_request(
                    "Request_BadRequest",
                    &format!(
                        "The keyId '{}' appears more than once in keyCredentials.",
                        cred.key_id
                    ),
                );
            }
            next.push(cred);
        }
        tenant.apps[idx].keys = next;
        tenant.record(
            idx,
            Change::Updated(super::json::prop_bit("keyCredentials")),
        );
        ctx.no_content()
    }

    /// One entry: a stored credential kept as it is, or a new one checked and filled in.
    fn entry(
        &self,
        ctx: &Ctx,
        e: &Entry<'_>,
        app: &super::model::App,
        policy: Option<&super::model::Policy>,
    ) -> Result<KeyCred, Response> {
        let bad_type = |prop: &str, want: &str| {
            ctx.bad_request(
                "BadRequest",
                &format!("Cannot convert the literal for '{prop}' to the expected type '{want}'."),
            )
        };
        let text = |k: &str, want: &str| e.text(k).map_err(|_| bad_type(k, want));
        let key_id = text("keyId", "Edm.Guid")?;
        if let Some(id) = key_id
            && !super::model::is_guid(id)
        {
            return Err(ctx.bad_request(
                "BadRequest",
                &format!("Cannot convert the literal '{id}' to the expected type 'Edm.Guid'."),
            ));
        }
        let usage = text("usage", "Edm.String")?;
        let kind = text("type", "Edm.String")?;
        let key = text("key", "Edm.Binary")?;
        let decoded = match key {
            None => None,
            Some(k) => {
                let compact: String = k.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
                match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
                    Ok(d) => Some(d),
                    Err(_) => {
                        return Err(ctx.bad_request(
                            "Request_BadRequest",
                            "Cannot convert a primitive value to the expected type 'Edm.Binary'. See the inner exception for more details.",
                        ));
                    }
                }
            }
        };
        let start = text("startDateTime", "Edm.DateTimeOffset")?;
        let end = text("endDateTime", "Edm.DateTimeOffset")?;
        let display = text("displayName", "Edm.String")?;
        let custom = text("customKeyIdentifier", "Edm.Binary")?;
        let parse_time = |s: Option<&str>| -> Result<Option<GraphTime>, Response> {
            match s {
                None => Ok(None),
                Some(t) => GraphTime::parse(t).map(Some).ok_or_else(|| {
                    ctx.bad_request(
                        "BadRequest",
                        &format!(
                            "Cannot convert the literal '{t}' to the expected type 'Edm.DateTimeOffset'."
                        ),
                    )
                }),
            }
        };
        let (start, end) = (parse_time(start)?, parse_time(end)?);

        // An entry that names a stored credential keeps it; it may not change it.
        if let Some(id) = key_id
            && let Some(old) = app.keys.iter().find(|k| k.key_id.eq_ignore_ascii_case(id))
        {
            let same_time = |t: Option<GraphTime>, o: GraphTime| t.is_none_or(|t| t.at == o.at);
            let unchanged = decoded.as_ref().is_none_or(|d| old.key.as_ref() == Some(d))
                && same_time(start, old.start)
                && same_time(end, old.end)
                && usage.is_none_or(|u| u == old.usage)
                && kind.is_none_or(|k| k == old.key_type)
                && display.is_none_or(|d| Some(d) == old.display_name.as_deref())
                && custom.is_none_or(|c| Some(c) == old.custom_key_identifier.as_deref());
            if !unchanged {
                return Err(ctx.bad_request(
                    "Request_BadRequest",
                    &format!("Update to existing credential with KeyId '{id}' is not allowed."),
                ));
            }
            return Ok(old.clone());
        }

        // A new credential.
        let kind = kind.unwrap_or("AsymmetricX509Cert");
        if !matches!(
            kind,
            "AsymmetricX509Cert" | "X509CertAndPassword" | "Symmetric"
        ) {
            return Err(ctx.bad_request(
                "Request_BadRequest",
                &format!("The value '{kind}' for the property \"type\" in one of your credentials is invalid."),
            ));
        }
        let usage_ok = matches!(
            (kind, usage),
            ("AsymmetricX509Cert", Some("Verify"))
                | ("X509CertAndPassword", Some("Sign"))
                | ("Symmetric", Some("Sign" | "Verify"))
        );
        if !usage_ok {
            return Err(ctx.bad_request(
                "Request_BadRequest",
                "The value for the property \"usage\" in one of your credentials is invalid. Acceptable values are Sign, Verify.",
            ));
        }
        if kind != "AsymmetricX509Cert" {
            // Signing keys need a password the sandbox does not model: refused, not faked.
            return Err(ctx.bad_request(
                "KeyCredentialsInvalidValue",
                "The sandbox accepts only AsymmetricX509Cert key credentials.",
            ));
        }
        let Some(der) = decoded.filter(|d| !d.is_empty()) else {
            return Err(ctx.bad_request(
                "KeyCredentialsInvalidValue",
                "KeyValue cannot be null or empty",
            ));
        };
        let invalid_key = || {
            ctx.bad_request(
                "KeyCredentialsInvalidValue",
                "Key credential value is invalid. The key must be the base64 of an X.509 certificate's DER, with no private key.",
            )
        };
        let (rest, cert) = x509_parser::parse_x509_certificate(&der).map_err(|_| invalid_key())?;
        if !rest.is_empty() {
            return Err(invalid_key());
        }
        let not_before = cert.validity().not_before.timestamp();
        let not_after = cert.validity().not_after.timestamp();
        let start = start.unwrap_or_else(GraphTime::now7);
        let end = end.unwrap_or_else(|| GraphTime {
            at: start
                .at
                .checked_add_months(Months::new(12))
                .unwrap_or(start.at),
            digits: start.digits,
        });
        let year = start
            .at
            .checked_add_months(Months::new(12))
            .unwrap_or(start.at);
        if end.at <= start.at
            || start.at.timestamp() < not_before
            || end.at.timestamp() > not_after
            || end.at > year
        {
            return Err(ctx.bad_request(
                "KeyCredentialsInvalidEndDate",
                "Key credential end date is invalid.",
            ));
        }
        if let Some(p) = policy {
            for rule in p.rules.iter().filter(|r| r.applies_to(app)) {
                if let super::model::Restriction::AsymmetricKeyLifetime(max) = rule.restriction
                    && end.at - start.at > max
                {
                    return Err(ctx.bad_request(
                        "CredentialInvalidLifetimeAsPerAppPolicy",
                        &format!(
                            "Credential lifetime exceeds the max value allowed as per assigned policy '{}'.",
                            p.id
                        ),
                    ));
                }
            }
        }
        Ok(KeyCred {
            key_id: key_id.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned),
            display_name: Some(display.map_or_else(|| subject(&cert), str::to_owned)),
            custom_key_identifier: Some(custom.map_or_else(|| thumbprint(&der), str::to_owned)),
            // Stored as sent, in whole seconds as Graph reads them back.
            start: GraphTime::secs(start.at),
            end: GraphTime::secs(end.at),
            key_type: kind.to_owned(),
            usage: "Verify".to_owned(),
            key: Some(der),
        })
    }

    /// `addKey` / `removeKey`: a proof JWT signed by one of the app's valid certificates is
    /// required; the sandbox checks none, so it refuses them all (use PATCH).
    pub(super) fn key_action(&self, key: &Key, body: &[u8]) -> Response {
        let ctx = self.ctx;
        let tenant = self.shared.tenant_read();
        let idx = match self.resolve(&tenant, key) {
            Ok(i) => i,
            Err(r) => return r,
        };
        if let Err(r) = self.check_write(&tenant.apps[idx]) {
            return r;
        }
        let has_proof = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("proof").and_then(|p| p.as_str()).map(str::to_owned))
            .is_some_and(|p| !p.is_empty());
        let now = chrono::Utc::now();
        if !tenant.apps[idx].keys.iter().any(|k| k.end.at > now) {
            return ctx.bad_request(
                "Request_BadRequest",
                "The application has no valid certificate to verify the proof with. Use the Update application operation instead.",
            );
        }
        let _ = has_proof;
        ctx.error(
            StatusCode::UNAUTHORIZED,
            "Authentication_MissingOrMalformed",
            "The proof of possession is missing or malformed.",
        )
    }

    /// The test knob: a certificate another writer adds right after this read.
    pub(super) fn race_after_key_read(&self, app_id: &str) {
        let pending = self.shared.take_key_race(app_id);
        if pending.is_empty() {
            return;
        }
        let mut tenant = self.shared.tenant_write();
        if let Some(i) = tenant.index_by_id(app_id) {
            tenant.apps[i].keys.extend(pending);
            tenant.record(i, Change::Updated(super::json::prop_bit("keyCredentials")));
        }
    }
}

/// A certificate for the race knob, filled in as a PATCH would.
pub fn race_entry(der: Vec<u8>) -> Option<KeyCred> {
    let (_, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
    let now = chrono::Utc::now();
    Some(KeyCred {
        key_id: uuid::Uuid::new_v4().to_string(),
        display_name: Some(subject(&cert)),
        custom_key_identifier: Some(thumbprint(&der)),
        start: GraphTime::secs(now),
        end: GraphTime::secs(now + chrono::Duration::days(30)),
        key_type: "AsymmetricX509Cert".into(),
        usage: "Verify".into(),
        key: Some(der),
    })
}
