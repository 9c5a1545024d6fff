//! Azure Resource Manager, as far as azsecrets reads it (docs/contract.md, "Azure Resource
//! Manager"): `GET /tenants`, `GET /subscriptions` (the token's tenant only) and
//! `GET /subscriptions/{id}/providers/Microsoft.KeyVault/vaults` (full vault objects with
//! `vaultUri`, `tenantId` and `enableRbacAuthorization`), served under `/arm/`. Vault lists are
//! paged by `nextLink`, one vault a page unless `$top` says otherwise, and the next page lives
//! on `/subscriptions/{id}/resources` as real ARM's links can. Only tokens for ARM's audiences
//! are accepted; errors have ARM's `{"error":{"code","message"}}` shape.

// Handlers return ready responses as their errors: boxing them would only add noise.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine;

use super::token::{Audience, TokenCheck};
use super::{Route, Shared};

/// The audiences ARM accepts (its own refusal lists exactly these).
const ALLOWED_AUDIENCES: [&str; 4] = [
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
    "https://management.azure.com/",
    "https://management.azure.com",
];

/// api-versions accepted for `/tenants` and `/subscriptions` (Microsoft.Resources).
const SUBSCRIPTION_API_VERSIONS: [&str; 5] = [
    "2016-06-01",
    "2020-01-01",
    "2021-01-01",
    "2022-09-01",
    "2022-12-01",
];

/// api-versions accepted for `Microsoft.KeyVault/vaults`.
const VAULT_API_VERSIONS: [&str; 7] = [
    "2019-09-01",
    "2021-10-01",
    "2022-07-01",
    "2023-02-01",
    "2023-07-01",
    "2024-11-01",
    "2025-05-01",
];

/// Vaults per page when the request has no `$top`: small, so clients meet paging.
const VAULT_PAGE: usize = 1;

/// The tenants and subscriptions the sandbox user can see.
pub struct Directory {
    pub tenants: Vec<TenantEntry>,
    pub subscriptions: Vec<Subscription>,
}

pub struct TenantEntry {
    pub id: String,
    pub display_name: String,
    pub domain: String,
}

pub struct Subscription {
    pub id: String,
    pub display_name: String,
    pub tenant_id: String,
}

impl Directory {
    /// The sandbox tenant with two subscriptions.
    pub fn seed(tenant_id: &str, display_name: &str, domain: &str) -> Self {
        let sub = |id: &str, name: &str| Subscription {
            id: id.to_owned(),
            display_name: name.to_owned(),
            tenant_id: tenant_id.to_owned(),
        };
        Self {
            tenants: vec![TenantEntry {
                id: tenant_id.to_owned(),
                display_name: display_name.to_owned(),
                domain: domain.to_owned(),
            }],
            subscriptions: vec![
                sub(
                    "5f2b1c3d-8e9a-4b7c-9d1e-2a3b4c5d6e7f",
                    "Contoso Sandbox Production",
                ),
                sub(
                    "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
                    "Contoso Sandbox Development",
                ),
            ],
        }
    }

    /// Another tenant the user belongs to, with no subscription of its own.
    pub fn with_tenant(mut self, tenant_id: &str, display_name: &str, domain: &str) -> Self {
        self.tenants.push(TenantEntry {
            id: tenant_id.to_owned(),
            display_name: display_name.to_owned(),
            domain: domain.to_owned(),
        });
        self
    }

    fn subscription(&self, id: &str) -> Option<&Subscription> {
        self.subscriptions
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(id))
    }
}

/// Every request under `/arm/`.
pub async fn entry(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    shared.count(Route::Arm);
    let r = respond(&shared, &method, &uri, &headers);
    // Method, path and status only: headers hold the token.
    tracing::debug!(method = %method, path = uri.path(), status = r.status().as_u16(), "sandbox arm");
    r
}

fn respond(shared: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
    let in_tenant = match authenticate(shared, headers) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let path = uri.path().strip_prefix("/arm").unwrap_or(uri.path());
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let query = Query::parse(uri.query());
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    if *method != Method::GET {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The requested method is not allowed for this resource.",
        );
    }
    match segs.as_slice() {
        ["tenants"] => match query.api_version(&SUBSCRIPTION_API_VERSIONS) {
            Ok(_) => tenants(shared),
            Err(r) => r,
        },
        ["subscriptions"] => match query.api_version(&SUBSCRIPTION_API_VERSIONS) {
            Ok(_) => subscriptions(shared, in_tenant),
            Err(r) => r,
        },
        [
            "subscriptions",
            sub,
            "providers",
            "microsoft.keyvault",
            "vaults",
        ] => match query.api_version(&VAULT_API_VERSIONS) {
            Ok(v) => vaults(shared, sub, &v, &query, 0),
            Err(r) => r,
        },
        ["subscriptions", sub, "resources"] => {
            let Some(start) = query.skiptoken.as_deref().and_then(decode_skiptoken) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidFilterInQueryString",
                    "The $filter query string is required to list resources of one type in the sandbox; follow the vault list's nextLink.",
                );
            };
            match query.api_version(&VAULT_API_VERSIONS) {
                Ok(v) => vaults(shared, sub, &v, &query, start),
                Err(r) => r,
            }
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("The resource path '{path}' is not served by the sandbox."),
        ),
    }
}

struct Query {
    api_version: Option<String>,
    top: Option<String>,
    skiptoken: Option<String>,
}

impl Query {
    fn parse(query: Option<&str>) -> Self {
        let mut q = Query {
            api_version: None,
            top: None,
            skiptoken: None,
        };
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match k.as_ref() {
                "api-version" => q.api_version = Some(v.into_owned()),
                "$top" => q.top = Some(v.into_owned()),
                "$skiptoken" => q.skiptoken = Some(v.into_owned()),
                _ => {}
            }
        }
        q
    }

    /// The api-version, when it is one this resource type knows (ARM's answers otherwise).
    fn api_version(&self, known: &[&str]) -> Result<String, Response> {
        match self.api_version.as_deref() {
            None | Some("") => Err(error(
                StatusCode::BAD_REQUEST,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )),
            Some(v) if known.contains(&v) => Ok(v.to_owned()),
            Some(v) => Err(error(
                StatusCode::BAD_REQUEST,
                "InvalidApiVersionParameter",
                &format!(
                    "The api-version '{v}' is invalid. The supported versions are '{}'.",
                    known.join(",")
                ),
            )),
        }
    }
}

/// The token's tenant (an index), or ARM's refusal.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<usize, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ').unwrap_or((v.trim(), ""));
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        ));
    };
    match shared.auth().check_any(token) {
        TokenCheck::Unknown => Err(unauthorized(
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        )),
        TokenCheck::Expired => {
            let now = chrono::Utc::now().format("%m/%d/%Y %H:%M:%S");
            Err(unauthorized(
                "ExpiredAuthenticationToken",
                &format!(
                    "The access token expiry UTC time '{now}' is earlier than current UTC time '{now}'."
                ),
            ))
        }
        TokenCheck::Valid(g) => match &g.audience {
            Audience::Arm(aud) if ALLOWED_AUDIENCES.contains(&aud.as_str()) => Ok(g.tenant),
            other => Err(unauthorized(
                "InvalidAuthenticationTokenAudience",
                &format!(
                    "The access token has been obtained for wrong audience or resource '{}'. It should exactly match with one of the allowed audiences '{}'.",
                    other.aud(),
                    ALLOWED_AUDIENCES.join("','")
                ),
            )),
        },
    }
}

fn tenants(shared: &Shared) -> Response {
    let value: Vec<serde_json::Value> = shared
        .arm
        .tenants
        .iter()
        .map(|t| {
            serde_json::json!({
                "id": format!("/tenants/{}", t.id),
                "tenantId": t.id,
                "countryCode": "US",
                "displayName": t.display_name,
                "domains": [t.domain],
                "defaultDomain": t.domain,
                "tenantCategory": "Home",
                "tenantType": "AAD",
            })
        })
        .collect();
    ok(serde_json::json!({ "value": value }))
}

fn subscriptions(shared: &Shared, in_tenant: usize) -> Response {
    // A token lists only its own tenant's subscriptions (the second tenant has none).
    let tenant_id = shared
        .tenant_lock(in_tenant)
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .info
        .id
        .clone();
    let value: Vec<serde_json::Value> = shared
        .arm
        .subscriptions
        .iter()
        .filter(|s| s.tenant_id.eq_ignore_ascii_case(&tenant_id))
        .map(|s| {
            serde_json::json!({
                "id": format!("/subscriptions/{}", s.id),
                "authorizationSource": "RoleBased",
                "managedByTenants": [],
                "tags": {},
                "subscriptionId": s.id,
                "tenantId": s.tenant_id,
                "displayName": s.display_name,
                "state": "Enabled",
                "subscriptionPolicies": {
                    "locationPlacementId": "Public_2014-09-01",
                    "quotaId": "PayAsYouGo_2014-09-01",
                    "spendingLimit": "Off"
                }
            })
        })
        .collect();
    let count = value.len();
    ok(serde_json::json!({
        "value": value,
        "count": { "type": "Total", "value": count }
    }))
}

fn vaults(shared: &Shared, sub: &str, api_version: &str, query: &Query, start: usize) -> Response {
    let Some(subscription) = shared.arm.subscription(sub) else {
        return error(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            &format!("The subscription '{sub}' could not be found."),
        );
    };
    let page = match query.top.as_deref() {
        None => VAULT_PAGE,
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidTopInQueryString",
                    &format!("The value '{t}' of $top query string parameter is not valid."),
                );
            }
        },
    };
    let all = shared.vaults().arm_json(&subscription.id);
    let end = (start + page).min(all.len());
    let value: Vec<serde_json::Value> = all.get(start..end).map(<[_]>::to_vec).unwrap_or_default();
    let mut body = serde_json::json!({ "value": value });
    if end < all.len() {
        body["nextLink"] = serde_json::Value::String(format!(
            "{}/arm/subscriptions/{}/resources?api-version={api_version}&$top={page}&$skiptoken={}",
            shared.origin,
            subscription.id,
            encode_skiptoken(end)
        ));
    }
    ok(body)
}

fn encode_skiptoken(n: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("vaults:{n}"))
}

fn decode_skiptoken(t: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t)
        .ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("vaults:")?
        .parse()
        .ok()
}

fn ok(body: serde_json::Value) -> Response {
    framed(StatusCode::OK, body)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    framed(
        status,
        serde_json::json!({ "error": { "code": code, "message": message } }),
    )
}

fn unauthorized(code: &str, message: &str) -> Response {
    let mut r = error(StatusCode::UNAUTHORIZED, code, message);
    let challenge = format!(
        "Bearer authorization_uri=\"https://login.windows.net/\", error=\"invalid_token\", error_description=\"{message}\""
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

fn framed(status: StatusCode, body: serde_json::Value) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let id = uuid::Uuid::new_v4().to_string();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert("x-ms-request-id", v.clone());
        h.insert("x-ms-correlation-request-id", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skiptokens_round_trip() {
        assert_eq!(decode_skiptoken(&encode_skiptoken(7)), Some(7));
        assert_eq!(decode_skiptoken("garbage"), None);
    }
}
