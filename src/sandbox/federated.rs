//! Federated identity credentials (docs/contract.md "Federated identity credentials"): create,
//! read, update and delete by id or by name, with Graph's rules: name 3–120 characters of
//! `[A-Za-z0-9_-]` starting alphanumeric, unique (409) and immutable; issuer, subject and
//! audiences required; exactly one audience; issuer, subject, audience and description at most
//! 600 characters; issuer and subject together unique (400); at most 20 per app. Values are
//! stored verbatim (no issuer normalization, no case folding).

#![allow(clippy::result_large_err)]

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::graph::{Key, Req};
use super::json::FederatedJson;
use super::keycreds::unknown_property;
use super::model::{FederatedCred, Perms};
use super::reply::Ctx;

const MAX_PER_APP: usize = 20;
const MAX_FIELD: usize = 600;
const PROPS: &[&str] = &[
    "name",
    "issuer",
    "subject",
    "audiences",
    "description",
    "id",
];
const TYPE: &str = "microsoft.graph.federatedIdentityCredential";

fn valid_name(n: &str) -> bool {
    let len = n.chars().count();
    (3..=120).contains(&len)
        && n.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The fields of a body, typed; `Err` is Graph's answer.
struct Fields {
    name: Option<String>,
    issuer: Option<String>,
    subject: Option<String>,
    audiences: Option<Vec<String>>,
    description: Option<Option<String>>,
}

fn fields(ctx: &Ctx, body: &[u8]) -> Result<Fields, Response> {
    let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return Err(ctx.bad_json());
    };
    if let Some(bad) = obj
        .keys()
        .find(|k| !k.starts_with('@') && !PROPS.contains(&k.as_str()))
    {
        return Err(unknown_property(ctx, bad, TYPE));
    }
    let invalid = |p: &str| {
        ctx.bad_request(
            "Request_BadRequest",
            &format!("Invalid value specified for property '{p}' of resource 'FederatedIdentityCredential'."),
        )
    };
    let text = |k: &str| -> Result<Option<String>, Response> {
        match obj.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(k)),
        }
    };
    let audiences = match obj.get("audiences") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Array(a)) => Some(
            a.iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| invalid("audiences"))?,
        ),
        Some(_) => return Err(invalid("audiences")),
    };
    Ok(Fields {
        name: text("name")?,
        issuer: text("issuer")?,
        subject: text("subject")?,
        audiences,
        description: if obj.contains_key("description") {
            Some(text("description")?)
        } else {
            None
        },
    })
}

/// Lengths, the one audience, and issuer+subject unique among `others`.
fn check(
    ctx: &Ctx,
    issuer: &str,
    subject: &str,
    audiences: &[String],
    description: Option<&str>,
    others: &[&FederatedCred],
) -> Result<(), Response> {
    for (p, v) in [
        ("issuer", issuer),
        ("subject", subject),
        ("description", description.unwrap_or("")),
    ] {
        if v.chars().count() > MAX_FIELD {
            return Err(ctx.bad_request(
                "Request_BadRequest",
                &format!("Invalid value specified for property '{p}' of resource 'FederatedIdentityCredential': it can be at most {MAX_FIELD} characters."),
            ));
        }
    }
    if audiences.len() != 1
        || audiences
            .iter()
            .any(|a| a.is_empty() || a.chars().count() > MAX_FIELD)
    {
        return Err(ctx.bad_request(
            "Request_BadRequest",
            "Federated identity credentials must have exactly one audience.",
        ));
    }
    if others
        .iter()
        .any(|o| o.issuer == issuer && o.subject == subject)
    {
        return Err(ctx.bad_request(
            "InvalidFederatedIdentityCredentialValue",
            &format!(
                "The combination of issuer and subject must be unique for the application. Issuer {issuer} and Subject: {subject} already exist. paramName: FederatedIdentityCredential.Subject, paramValue: {subject}, objectType: Microsoft.Online.DirectoryServices.Application"
            ),
        ));
    }
    Ok(())
}

/// By id (a GUID) or by name (the alternate key).
fn find(creds: &[FederatedCred], item: &str) -> Option<usize> {
    let item = item
        .strip_prefix("name='")
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(item);
    creds
        .iter()
        .position(|c| c.id.eq_ignore_ascii_case(item))
        .or_else(|| creds.iter().position(|c| c.name == item))
}

impl Req<'_> {
    pub(super) fn create_federated(&self, key: &Key, body: &[u8]) -> Response {
        let ctx = self.ctx;
        let f = match fields(ctx, body) {
            Ok(f) => f,
            Err(r) => return r,
        };
        let mut tenant = self.shared.tenant_write();
        let idx = match self.resolve(&tenant, key) {
            Ok(i) => i,
            Err(r) => return r,
        };
        if let Err(r) = self.check_write(&tenant.apps[idx]) {
            return r;
        }
        let required = |p: &str| {
            ctx.bad_request(
                "Request_BadRequest",
                &format!("Property '{p}' is required and cannot be empty."),
            )
        };
        let Some(name) = f.name.filter(|n| !n.is_empty()) else {
            return required("name");
        };
        if !valid_name(&name) {
            return ctx.bad_request(
                "Request_BadRequest",
                &format!("Federated Identity Credential name '{name}' is invalid. Alphanumeric, dash, underscore, no more than 3-120 symbols. First symbol is alphanumeric."),
            );
        }
        let Some(issuer) = f.issuer.filter(|s| !s.is_empty()) else {
            return required("issuer");
        };
        let Some(subject) = f.subject.filter(|s| !s.is_empty()) else {
            return required("subject");
        };
        let Some(audiences) = f.audiences else {
            return required("audiences");
        };
        let description = f.description.flatten();
        let creds = &tenant.apps[idx].federated;
        if creds.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
            return ctx.error(
                StatusCode::CONFLICT,
                "Request_MultipleObjectsWithSameKeyValue",
                &format!("FederatedIdentityCredential with name {name} already exists."),
            );
        }
        let others: Vec<&FederatedCred> = creds.iter().collect();
        if let Err(r) = check(
            ctx,
            &issuer,
            &subject,
            &audiences,
            description.as_deref(),
            &others,
        ) {
            return r;
        }
        if creds.len() >= MAX_PER_APP {
            return ctx.bad_request(
                "Request_BadRequest",
                &format!(
                    "Maximum number of federated identity credentials ({MAX_PER_APP}) reached."
                ),
            );
        }
        let cred = FederatedCred {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            issuer,
            subject,
            description,
            audiences,
        };
        let app_id = tenant.apps[idx].id.clone();
        tenant.apps[idx].federated.push(cred.clone());
        let tenant_id = tenant.info.id.clone();
        drop(tenant);
        let mut body = serde_json::Map::new();
        body.insert(
            "@odata.context".into(),
            ctx.context(&format!(
                "applications('{app_id}')/federatedIdentityCredentials/$entity"
            ))
            .into(),
        );
        if let Ok(serde_json::Value::Object(o)) = serde_json::to_value(FederatedJson::from(&cred)) {
            body.extend(o);
        }
        let mut r = ctx.json(StatusCode::CREATED, &body);
        let location = format!(
            "{}/v2/{tenant_id}/federatedIdentityCredentials/{}",
            ctx.origin, cred.id
        );
        if let Ok(v) = HeaderValue::from_str(&location) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        r
    }

    pub(super) fn federated_item(&self, key: &Key, item: &str) -> Response {
        let ctx = self.ctx;
        if !self.can(Perms::READ_APPS) {
            return ctx.forbidden();
        }
        let tenant = self.shared.tenant_read();
        let idx = match self.resolve(&tenant, key) {
            Ok(i) => i,
            Err(r) => return r,
        };
        let app = &tenant.apps[idx];
        let Some(i) = find(&app.federated, item) else {
            return ctx.not_found(item);
        };
        let mut body = serde_json::Map::new();
        body.insert(
            "@odata.context".into(),
            ctx.context(&format!(
                "applications('{}')/federatedIdentityCredentials/$entity",
                app.id
            ))
            .into(),
        );
        if let Ok(serde_json::Value::Object(o)) =
            serde_json::to_value(FederatedJson::from(&app.federated[i]))
        {
            body.extend(o);
        }
        ctx.json(StatusCode::OK, &body)
    }

    /// PATCH by id or name; `(name='…')` with `Prefer: create-if-missing` creates a missing one
    /// (201), as the upsert does (research 14 §2.1). Without the header it is a plain update.
    pub(super) fn upsert_federated(&self, key: &Key, item: &str, body: &[u8]) -> Response {
        let by_name = item
            .strip_prefix("name='")
            .and_then(|s| s.strip_suffix('\''));
        let create = self
            .headers
            .get_all("prefer")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split(',')
                    .any(|p| p.trim().eq_ignore_ascii_case("create-if-missing"))
            });
        if let Some(name) = by_name
            && create
        {
            let exists = {
                let tenant = self.shared.tenant_read();
                match self.resolve(&tenant, key) {
                    Ok(i) => tenant.apps[i].federated.iter().any(|c| c.name == name),
                    Err(r) => return r,
                }
            };
            if !exists {
                let Ok(serde_json::Value::Object(mut obj)) =
                    serde_json::from_slice::<serde_json::Value>(body)
                else {
                    return self.ctx.bad_json();
                };
                if obj
                    .get("name")
                    .and_then(|n| n.as_str())
                    .is_some_and(|n| n != name)
                {
                    return self.ctx.bad_request(
                        "Request_BadRequest",
                        "The name in the body differs from the name in the URL.",
                    );
                }
                obj.insert("name".into(), serde_json::Value::String(name.to_owned()));
                let body = serde_json::Value::Object(obj).to_string();
                return self.create_federated(key, body.as_bytes());
            }
        }
        self.update_federated(key, item, body)
    }

    pub(super) fn update_federated(&self, key: &Key, item: &str, body: &[u8]) -> Response {
        let ctx = self.ctx;
        let f = match fields(ctx, body) {
            Ok(f) => f,
            Err(r) => return r,
        };
        let mut tenant = self.shared.tenant_write();
        let idx = match self.resolve(&tenant, key) {
            Ok(i) => i,
            Err(r) => return r,
        };
        if let Err(r) = self.check_write(&tenant.apps[idx]) {
            return r;
        }
        let creds = &tenant.apps[idx].federated;
        let Some(i) = find(creds, item) else {
            return ctx.not_found(item);
        };
        let old = &creds[i];
        if f.name.as_deref().is_some_and(|n| n != old.name) {
            return ctx.bad_request(
                "Request_BadRequest",
                "The name of a federated identity credential cannot be changed.",
            );
        }
        let issuer = f.issuer.unwrap_or_else(|| old.issuer.clone());
        let subject = f.subject.unwrap_or_else(|| old.subject.clone());
        let audiences = f.audiences.unwrap_or_else(|| old.audiences.clone());
        let description = f.description.unwrap_or_else(|| old.description.clone());
        let others: Vec<&FederatedCred> = creds
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, c)| c)
            .collect();
        if let Err(r) = check(
            ctx,
            &issuer,
            &subject,
            &audiences,
            description.as_deref(),
            &others,
        ) {
            return r;
        }
        let c = &mut tenant.apps[idx].federated[i];
        c.issuer = issuer;
        c.subject = subject;
        c.audiences = audiences;
        c.description = description;
        ctx.no_content()
    }

    pub(super) fn delete_federated(&self, key: &Key, item: &str) -> Response {
        let ctx = self.ctx;
        let mut tenant = self.shared.tenant_write();
        let idx = match self.resolve(&tenant, key) {
            Ok(i) => i,
            Err(r) => return r,
        };
        if let Err(r) = self.check_write(&tenant.apps[idx]) {
            return r;
        }
        let Some(i) = find(&tenant.apps[idx].federated, item) else {
            return ctx.not_found(item);
        };
        tenant.apps[idx].federated.remove(i);
        ctx.no_content()
    }
}
