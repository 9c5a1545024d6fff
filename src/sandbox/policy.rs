//! App management policies and owners (docs/contract.md "App management policies",
//! "Owners"): the tenant default (`/policies/defaultAppManagementPolicy`, `applicationRestrictions`)
//! and an app's assigned policy (`/applications/{id}/appManagementPolicies`, `restrictions`),
//! readable with Policy.Read.All and, for a user, a directory role (else 403); the rules they
//! enforce on addPassword (the certificate rule is in `keycreds.rs`); and an app's owners.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;

use super::graph::{Key, Req};
use super::model::{App, Perms, Policy, Restriction, Tenant};

/// Why addPassword is refused by the policy in force, as Graph words it: (code, message).
pub fn password_refusal(
    tenant: &Tenant,
    app: &App,
    span: Duration,
) -> Option<(&'static str, String)> {
    let policy = tenant.policy_for(app)?;
    for rule in policy.rules.iter().filter(|r| r.applies_to(app)) {
        match rule.restriction {
            Restriction::PasswordAddition => {
                return Some((
                    "CredentialTypeNotAllowedAsPerAppPolicy",
                    format!(
                        "Password addition is not allowed as per assigned policy '{}'.",
                        policy.id
                    ),
                ));
            }
            Restriction::PasswordLifetime(max) if span > max => {
                return Some((
                    "CredentialInvalidLifetimeAsPerAppPolicy",
                    format!(
                        "Credential lifetime exceeds the max value allowed as per assigned policy '{}'.",
                        policy.id
                    ),
                ));
            }
            _ => {}
        }
    }
    None
}

fn restrictions(p: &Policy) -> serde_json::Value {
    let rule = |r: &super::model::PolicyRule| {
        serde_json::json!({
            "restrictionType": r.restriction.type_name(),
            "state": if r.enabled { "enabled" } else { "disabled" },
            "maxLifetime": r.max_lifetime,
            "restrictForAppsCreatedAfterDateTime": r.created_after.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        })
    };
    let pw: Vec<_> = p
        .rules
        .iter()
        .filter(|r| !r.restriction.is_key())
        .map(rule)
        .collect();
    let keys: Vec<_> = p
        .rules
        .iter()
        .filter(|r| r.restriction.is_key())
        .map(rule)
        .collect();
    serde_json::json!({ "passwordCredentials": pw, "keyCredentials": keys })
}

impl Req<'_> {
    /// Policy.Read.All, and for a user a role that may read policies.
    fn may_read_policies(&self, tenant: &Tenant) -> bool {
        if self.delegated() {
            tenant.user_reads_policies
        } else {
            self.can(Perms::READ_POLICY)
        }
    }

    pub(super) fn default_policy(&self) -> Response {
        let ctx = self.ctx;
        let tenant = self.shared.tenant_read();
        if !self.may_read_policies(&tenant) {
            return ctx.forbidden();
        }
        let p = &tenant.default_policy;
        let empty = serde_json::json!({ "passwordCredentials": [], "keyCredentials": [] });
        let body = serde_json::json!({
            "@odata.context": ctx.context("policies/defaultAppManagementPolicy/$entity"),
            "id": p.id,
            "displayName": p.display_name,
            "description": p.description,
            "isEnabled": p.is_enabled,
            "applicationRestrictions": restrictions(p),
            "servicePrincipalRestrictions": empty,
        });
        ctx.json(StatusCode::OK, &body)
    }

    pub(super) fn app_policies(&self, key: &Key) -> Response {
        let ctx = self.ctx;
        if !self.can(Perms::READ_APPS) {
            return ctx.forbidden();
        }
        let tenant = self.shared.tenant_read();
        let idx = match self.resolve(&tenant, key) {
            Ok(i) => i,
            Err(r) => return r,
        };
        if !self.may_read_policies(&tenant) {
            return ctx.forbidden();
        }
        let app = &tenant.apps[idx];
        let value: Vec<serde_json::Value> = app
            .policy
            .and_then(|i| tenant.policies.get(i))
            .map(|p| {
                serde_json::json!({
                    "id": p.id,
                    "displayName": p.display_name,
                    "description": p.description,
                    "isEnabled": p.is_enabled,
                    "restrictions": restrictions(p),
                })
            })
            .into_iter()
            .collect();
        let body = serde_json::json!({
            "@odata.context": ctx.context(&format!("applications('{}')/appManagementPolicies", app.id)),
            "value": value,
        });
        ctx.json(StatusCode::OK, &body)
    }

    /// `GET /applications/{id}/owners`: directoryObjects (users, service principals).
    pub(super) fn owners(&self, key: &Key) -> Response {
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
        let mut value = Vec::new();
        if app.owned_by_user {
            let u = &tenant.user;
            value.push(serde_json::json!({
                "@odata.type": "#microsoft.graph.user",
                "id": u.id,
                "businessPhones": u.business_phones,
                "displayName": u.display_name,
                "givenName": u.given_name,
                "jobTitle": u.job_title,
                "mail": u.mail,
                "mobilePhone": u.mobile_phone,
                "officeLocation": u.office_location,
                "preferredLanguage": u.preferred_language,
                "surname": u.surname,
                "userPrincipalName": u.user_principal_name,
            }));
        }
        for o in &app.owners {
            value.push(match &o.app_id {
                Some(app_id) => serde_json::json!({
                    "@odata.type": "#microsoft.graph.servicePrincipal",
                    "id": o.id,
                    "displayName": o.display_name,
                    "appId": app_id,
                }),
                None => serde_json::json!({
                    "@odata.type": "#microsoft.graph.user",
                    "id": o.id,
                    "displayName": o.display_name,
                    "userPrincipalName": o.user_principal_name,
                }),
            });
        }
        // `$select` keeps the named properties (and the type annotation).
        if let Some(sel) = self.option("$select") {
            let wanted: Vec<String> = sel
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect();
            for v in &mut value {
                if let Some(obj) = v.as_object_mut() {
                    obj.retain(|k, _| {
                        k.starts_with('@') || wanted.contains(&k.to_ascii_lowercase())
                    });
                }
            }
        }
        let body = serde_json::json!({
            "@odata.context": ctx.context("directoryObjects"),
            "value": value,
        });
        ctx.json(StatusCode::OK, &body)
    }
}
