//! The Graph v1.0 routes (contract §15.1). One entry point parses the path itself, because
//! Graph's key syntax (`applications(appId='…')`) does not fit axum's router, then applies in
//! order: request ids, counters, injected faults, the bearer check, and the route.

// Early returns carry the finished HTTP response (built once per request, never stored), so a
// large `Err` variant costs nothing worth boxing.
#![allow(clippy::result_large_err)]

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use chrono::Months;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::json::{
    self, AppForm, AppJson, FederatedJson, PasswordJson, Selection, UserJson, prop_bit,
};
use super::model::{
    App, Audience, Change, GraphTime, PasswordCred, Perms, Tenant, generate_secret, is_guid,
};
use super::odata::{self, Cond, FilterError, OrderBy, OrderKey, Search};
use super::reply::Ctx;
use super::token::{Caller, Grant, TokenCheck};
use super::{Route, Shared};

/// The longest client secret description (`passwordCredential.displayName`) accepted, in UTF-16
/// code units as Graph counts (docs/contract.md section 1). Kept apart from the client's own
/// copy on purpose; `tests/contract_graph.rs` pins the two together.
const MAX_SECRET_DESCRIPTION: usize = 256;

/// How an application is addressed in the path.
#[derive(Clone, Debug)]
pub(super) enum Key {
    Id(String),
    AppId(String),
}

impl Key {
    pub(super) fn raw(&self) -> &str {
        match self {
            Key::Id(s) | Key::AppId(s) => s,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Collection {
    Applications,
    /// `/me/ownedObjects` (directoryObjects; items carry `@odata.type`).
    OwnedObjects,
    /// `/me/ownedObjects/microsoft.graph.application`.
    OwnedApplications,
}

impl Collection {
    fn path(self) -> &'static str {
        match self {
            Collection::Applications => "applications",
            Collection::OwnedObjects => "me/ownedObjects",
            Collection::OwnedApplications => "me/ownedObjects/microsoft.graph.application",
        }
    }

    fn entity_set(self) -> &'static str {
        match self {
            Collection::OwnedObjects => "directoryObjects",
            _ => "applications",
        }
    }

    fn route(self) -> Route {
        match self {
            Collection::Applications => Route::ListApplications,
            _ => Route::OwnedObjects,
        }
    }
}

#[derive(Debug)]
enum Target {
    List(Collection),
    Count,
    /// `applications/delta` (docs/contract.md §10).
    Delta,
    App(Key),
    AddPassword(Key),
    RemovePassword(Key),
    Federated(Key),
    /// `…/federatedIdentityCredentials/{id or name}`.
    FederatedItem(Key, String),
    Owners(Key),
    AppPolicies(Key),
    DefaultPolicy,
    /// `addKey` / `removeKey` (proof-of-possession actions).
    KeyAction(Key),
    Me,
    Organization,
    /// A path Graph would not resolve: the segment it stops at.
    Unknown(String),
}

impl Target {
    fn route(&self, method: &Method) -> Route {
        match self {
            Target::List(Collection::Applications) if method == Method::POST => {
                Route::CreateApplication
            }
            Target::List(c) => c.route(),
            Target::Count => Route::CountApplications,
            Target::App(_) if method == Method::PATCH => Route::PatchApplication,
            Target::Delta => Route::Delta,
            Target::App(_) if method == Method::DELETE => Route::DeleteApplication,
            Target::App(_) => Route::GetApplication,
            Target::FederatedItem(..) => Route::FederatedCredentials,
            Target::Owners(_) => Route::Owners,
            Target::AppPolicies(_) | Target::DefaultPolicy => Route::Policies,
            Target::KeyAction(_) => Route::OtherGraph,
            Target::AddPassword(_) => Route::AddPassword,
            Target::RemovePassword(_) => Route::RemovePassword,
            Target::Federated(_) => Route::FederatedCredentials,
            Target::Me => Route::Me,
            Target::Organization => Route::Organization,
            Target::Unknown(_) => Route::OtherGraph,
        }
    }
}

/// Parse the path below `/v1.0/` (already percent-decoded).
fn parse_target(path: &str) -> Target {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let Some(first) = segs.first() else {
        return Target::Unknown(String::new());
    };
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    if let Some(key) = alternate_key(first) {
        return app_target(key, &segs[1..], &l[1..]);
    }
    match l.as_slice() {
        ["applications"] => Target::List(Collection::Applications),
        ["applications", "$count"] => Target::Count,
        ["applications", d]
            if matches!(
                d.strip_prefix("microsoft.graph.").unwrap_or(d),
                "delta" | "delta()"
            ) =>
        {
            Target::Delta
        }
        ["applications", _, ..] => app_target(Key::Id(segs[1].to_owned()), &segs[2..], &l[2..]),
        ["me"] => Target::Me,
        ["me", "ownedobjects"] => Target::List(Collection::OwnedObjects),
        ["me", "ownedobjects", "microsoft.graph.application"] => {
            Target::List(Collection::OwnedApplications)
        }
        ["organization"] => Target::Organization,
        ["policies", "defaultappmanagementpolicy"] => Target::DefaultPolicy,
        _ => {
            let known = [
                "applications",
                "me",
                "ownedobjects",
                "organization",
                "policies",
            ];
            let bad = segs
                .iter()
                .zip(&l)
                .find(|(_, l)| !known.contains(l))
                .map(|(s, _)| (*s).to_owned())
                .unwrap_or_else(|| (*first).to_owned());
            Target::Unknown(bad)
        }
    }
}

/// `applications(appId='…')` (also `appId="…"`, any case).
fn alternate_key(seg: &str) -> Option<Key> {
    let open = seg.find('(')?;
    if !seg[..open].eq_ignore_ascii_case("applications") || !seg.ends_with(')') {
        return None;
    }
    let inner = &seg[open + 1..seg.len() - 1];
    let (name, value) = inner.split_once('=')?;
    let value = value.trim();
    let unquoted = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
        .unwrap_or(value);
    if name.trim().eq_ignore_ascii_case("appId") {
        Some(Key::AppId(unquoted.to_owned()))
    } else {
        // `(id)` without a name is the key itself.
        None
    }
}

fn app_target(key: Key, rest: &[&str], lower: &[&str]) -> Target {
    let strip = |s: &str| s.strip_prefix("microsoft.graph.").unwrap_or(s).to_owned();
    match lower {
        [] => Target::App(key),
        [a] if strip(a) == "addpassword" => Target::AddPassword(key),
        [a] if strip(a) == "removepassword" => Target::RemovePassword(key),
        ["federatedidentitycredentials"] => Target::Federated(key),
        ["federatedidentitycredentials", _] => Target::FederatedItem(key, rest[1].to_owned()),
        // `federatedIdentityCredentials(name='…')`: the alternate key (upsert with PATCH).
        [a] if a.starts_with("federatedidentitycredentials(") && a.ends_with(')') => {
            let inner = &rest[0]["federatedIdentityCredentials(".len()..rest[0].len() - 1];
            Target::FederatedItem(key, inner.to_owned())
        }
        ["owners"] => Target::Owners(key),
        ["appmanagementpolicies"] => Target::AppPolicies(key),
        [a] if strip(a) == "addkey" || strip(a) == "removekey" => Target::KeyAction(key),
        _ => Target::Unknown(rest.first().map(|s| (*s).to_owned()).unwrap_or_default()),
    }
}

/// Marks an addPassword response whose secret was created (the delay fault holds only those).
#[derive(Clone, Copy, Debug)]
struct SecretCreated;

/// Everything not matched by the sign-in routes lands here.
pub async fn entry(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = Ctx::new(&headers, &shared.origin, shared.errors.clone());
    let r = respond(&shared, &ctx, &method, &uri, &headers, &body);
    // The `add_password_delay` fault: the secret exists, the answer is held back.
    if r.extensions().get::<SecretCreated>().is_some() {
        let delay = shared.faults().add_password_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    // Method, path and status only: queries may hold search text, headers hold the token.
    tracing::debug!(
        method = %method,
        path = uri.path(),
        status = r.status().as_u16(),
        request_id = %ctx.request_id,
        "sandbox graph"
    );
    r
}

fn respond(
    shared: &Shared,
    ctx: &Ctx,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let path = odata::decode_path(uri.path());
    let Some(rest) = strip_version(&path) else {
        return ctx.error(
            StatusCode::NOT_FOUND,
            "BadRequest",
            &format!(
                "Invalid version: {}",
                path.trim_start_matches('/').split('/').next().unwrap_or("")
            ),
        );
    };
    let target = parse_target(rest);
    shared.count(target.route(method));

    if let Some(r) = inject_fault(shared, ctx) {
        return r;
    }
    let grant = match authenticate(shared, ctx, headers) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let query = odata::parse_query(uri.query());
    let req = Req {
        shared,
        ctx,
        grant: &grant,
        headers,
        query: &query,
    };
    match (target, method.clone()) {
        (Target::List(c), Method::GET) => req.list(c),
        (Target::List(Collection::Applications), Method::POST) => req.create(body),
        (Target::Count, Method::GET) => req.count(),
        (Target::Delta, Method::GET) => req.delta(),
        (Target::App(k), Method::GET) => req.get(&k),
        (Target::App(k), Method::PATCH) => req.patch_app(&k, body),
        (Target::Federated(k), Method::POST) => req.create_federated(&k, body),
        (Target::FederatedItem(k, item), Method::GET) => req.federated_item(&k, &item),
        (Target::FederatedItem(k, item), Method::PATCH) => req.upsert_federated(&k, &item, body),
        (Target::FederatedItem(k, item), Method::DELETE) => req.delete_federated(&k, &item),
        (Target::Owners(k), Method::GET) => req.owners(&k),
        (Target::AppPolicies(k), Method::GET) => req.app_policies(&k),
        (Target::DefaultPolicy, Method::GET) => req.default_policy(),
        (Target::KeyAction(k), Method::POST) => req.key_action(&k, body),
        (Target::App(k), Method::DELETE) => req.delete(&k),
        (Target::AddPassword(k), Method::POST) => req.add_password(&k, body),
        (Target::RemovePassword(k), Method::POST) => req.remove_password(&k, body),
        (Target::Federated(k), Method::GET) => req.federated(&k),
        (Target::Me, Method::GET) => req.me(),
        (Target::Organization, Method::GET) => req.organization(),
        (Target::Unknown(seg), _) => ctx.bad_request(
            "BadRequest",
            &format!("Resource not found for the segment '{seg}'."),
        ),
        _ => ctx.method_not_allowed(),
    }
}

fn strip_version(path: &str) -> Option<&str> {
    let p = path.strip_prefix('/')?;
    let (version, rest) = p.split_once('/').unwrap_or((p, ""));
    version.eq_ignore_ascii_case("v1.0").then_some(rest)
}

/// Throttling and transient failures, before authentication as at Graph's front door.
fn inject_fault(shared: &Shared, ctx: &Ctx) -> Option<Response> {
    let faults = shared.faults();
    let n = shared.graph_requests.fetch_add(1, Ordering::SeqCst) + 1;
    if let Some(every) = faults.throttle_every.filter(|e| *e > 0)
        && n.is_multiple_of(u64::from(every))
    {
        return Some(ctx.throttled(faults.throttle_retry_after));
    }
    if faults.fail_rate > 0.0 && rand::random::<f64>() < faults.fail_rate {
        // A tenant file's own text: as a 503 with Retry-After, so clients retry it as they
        // would Graph's.
        if let Some(e) = &ctx.errors.server_error {
            let mut r = ctx.error(StatusCode::SERVICE_UNAVAILABLE, &e.code, &e.message);
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(faults.throttle_retry_after),
            );
            return Some(r);
        }
        let r = match rand::random_range(0..3u8) {
            0 => {
                let mut r = ctx.error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "serviceNotAvailable",
                    "The service is temporarily unavailable. Please retry later.",
                );
                r.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(faults.throttle_retry_after),
                );
                r
            }
            1 => ctx.error(
                StatusCode::GATEWAY_TIMEOUT,
                "UnknownError",
                "The gateway did not receive a timely response from the upstream server.",
            ),
            _ => ctx.error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Service_InternalServerError",
                "Encountered an internal server error.",
            ),
        };
        return Some(r);
    }
    None
}

/// An error answer with `code`, worded as Graph and its gateways word them.
fn injected_status(ctx: &Ctx, code: u16, retry_after: u64) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (graph_code, message) = match status.as_u16() {
        408 => ("RequestTimeout", "The request timed out."),
        429 => (
            "TooManyRequests",
            "Too many requests. Please retry after the specified time.",
        ),
        500 => (
            "Service_InternalServerError",
            "Encountered an internal server error.",
        ),
        502 => ("BadGateway", "The gateway received an invalid response."),
        503 => (
            "serviceNotAvailable",
            "The service is temporarily unavailable. Please retry later.",
        ),
        504 => (
            "UnknownError",
            "The gateway did not receive a timely response from the upstream server.",
        ),
        _ => ("UnknownError", "The request could not be completed."),
    };
    let mut r = ctx.error(status, graph_code, message);
    if matches!(status.as_u16(), 429 | 503) {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    }
    r
}

fn authenticate(shared: &Shared, ctx: &Ctx, headers: &HeaderMap) -> Result<Grant, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ').unwrap_or((v.trim(), ""));
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(ctx.unauthorized("Access token is empty."));
    };
    match shared.auth().check(token) {
        TokenCheck::Valid(g) => Ok(g),
        TokenCheck::Expired => {
            Err(ctx.unauthorized("Lifetime validation failed, the token is expired."))
        }
        TokenCheck::Unknown => {
            Err(ctx.unauthorized("Access token validation failure. Invalid audience."))
        }
    }
}

/// One Graph request being answered.
pub(super) struct Req<'a> {
    pub(super) shared: &'a Shared,
    pub(super) ctx: &'a Ctx,
    pub(super) grant: &'a Grant,
    pub(super) headers: &'a HeaderMap,
    pub(super) query: &'a [(String, String)],
}

/// The list options after validation.
struct ListOptions {
    top: usize,
    select: Selection,
    filter: Vec<Cond>,
    search: Option<Search>,
    order: Option<OrderBy>,
    count: bool,
    skiptoken: Option<String>,
}

impl Req<'_> {
    /// The tenant the token is for (the sandbox has two).
    fn tenant_read(&self) -> std::sync::RwLockReadGuard<'_, Tenant> {
        self.shared
            .tenant_lock(self.grant.tenant)
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn tenant_write(&self) -> std::sync::RwLockWriteGuard<'_, Tenant> {
        self.shared
            .tenant_lock(self.grant.tenant)
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn eventual(&self) -> bool {
        self.headers
            .get("consistencylevel")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
    }

    pub(super) fn option(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn delegated(&self) -> bool {
        self.grant.caller == Caller::User
    }

    pub(super) fn can(&self, p: Perms) -> bool {
        self.grant.perms.has(p)
    }

    /// `/me…` needs a signed-in user (contract §7).
    fn require_user(&self) -> Result<(), Response> {
        if self.delegated() {
            Ok(())
        } else {
            Err(self.ctx.bad_request(
                "BadRequest",
                "/me request is only valid with delegated authentication flow.",
            ))
        }
    }

    pub(super) fn select(&self, type_name: &str) -> Result<Selection, Response> {
        match self.option("$select") {
            None => Ok(Selection::all()),
            Some(s) => Selection::parse(s).map_err(|bad| {
                self.ctx.bad_request(
                    "Request_BadRequest",
                    &format!("Could not find a property named '{bad}' on type '{type_name}'."),
                )
            }),
        }
    }

    fn list_options(&self) -> Result<ListOptions, Response> {
        let ctx = self.ctx;
        for (k, _) in self.query {
            let k = k.to_ascii_lowercase();
            match k.as_str() {
                "$top" | "$select" | "$filter" | "$search" | "$count" | "$orderby"
                | "$skiptoken" => {}
                "$skip" => {
                    return Err(ctx.bad_request(
                        "Request_BadRequest",
                        "'$skip' is not supported by the service.",
                    ));
                }
                "$expand" => return Err(ctx.unsupported_query()),
                k if k.starts_with('$') => {
                    return Err(ctx.bad_request(
                        "BadRequest",
                        &format!("The query parameter '{k}' is not supported."),
                    ));
                }
                _ => {}
            }
        }
        let eventual = self.eventual();
        let count = match self.option("$count") {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                return Err(ctx.bad_request(
                    "BadRequest",
                    &format!("Invalid value '{v}' for $count query option found. The $count query option requires a Boolean value."),
                ));
            }
        };
        let search = match self.option("$search") {
            None => None,
            Some(_) if !eventual => {
                return Err(ctx.bad_request(
                    "Request_UnsupportedQuery",
                    "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
                ));
            }
            Some(s) => Some(odata::parse_search(s).ok_or_else(|| ctx.unsupported_query())?),
        };
        let order = match self.option("$orderby") {
            None => None,
            Some(o) => {
                let sorting = || {
                    ctx.bad_request(
                        "Request_UnsupportedQuery",
                        "Sorting not supported for current query.",
                    )
                };
                if !(eventual && count) {
                    return Err(sorting());
                }
                Some(odata::parse_orderby(o).ok_or_else(sorting)?)
            }
        };
        let top = match self.option("$top") {
            None => 100,
            Some(t) => match t.trim().parse::<i64>() {
                Ok(n @ 1..=999) => n as usize,
                _ => {
                    return Err(ctx.bad_request(
                        "Request_UnsupportedQuery",
                        &format!(
                            "Invalid page size specified: '{t}'. Must be between 1 and 999 inclusive."
                        ),
                    ));
                }
            },
        };
        let filter = match self.option("$filter") {
            None => Vec::new(),
            Some(f) => odata::parse_filter(f).map_err(|e| filter_error(ctx, e))?,
        };
        // `createdDateTime eq null` is an advanced query: header and $count=true, or refused.
        if filter.iter().any(odata::Cond::advanced) && !(eventual && count) {
            return Err(ctx.unsupported_query());
        }
        Ok(ListOptions {
            top,
            select: self.select("microsoft.graph.application")?,
            filter,
            search,
            order,
            // `$count=true` without the header is silently ignored (contract §1).
            count: count && eventual,
            skiptoken: self.option("$skiptoken").map(str::to_owned),
        })
    }

    fn list(&self, collection: Collection) -> Response {
        let ctx = self.ctx;
        if collection != Collection::Applications {
            if let Err(r) = self.require_user() {
                return r;
            }
            if !(self.can(Perms::USER_READ) || self.can(Perms::READ_APPS)) {
                return ctx.forbidden();
            }
        } else if !self.can(Perms::READ_APPS) {
            return ctx.forbidden();
        }
        let opts = match self.list_options() {
            Ok(o) => o,
            Err(r) => return r,
        };
        // The one rate Graph documents per query shape: a `$select` with keyCredentials on
        // applications, 150 requests a minute per tenant (contract §1).
        if collection == Collection::Applications
            && opts.select.names.contains(&"keyCredentials")
            && let Some(wait) = self.shared.key_credentials_wait()
        {
            return ctx.throttled(wait);
        }
        let fingerprint =
            self.shared
                .pages
                .fingerprint((collection, &opts.filter, &opts.search, opts.order));
        let start = match &opts.skiptoken {
            None => 0,
            Some(tok) => match self.shared.pages.decode(tok, fingerprint) {
                Some(p) => p as usize,
                // Not documented for applications; the directory's own failure is a 400.
                None => {
                    return ctx.bad_request(
                        "Request_BadRequest",
                        "The specified page token value has expired or is invalid.",
                    );
                }
            },
        };

        let tenant = self.tenant_read();
        let matches = |i: usize, a: &App| -> bool {
            if tenant.is_deleted(i) {
                return false;
            }
            if collection != Collection::Applications && !a.owned_by_user {
                return false;
            }
            opts.filter.iter().all(|c| holds(c, a))
                && opts
                    .search
                    .as_ref()
                    .is_none_or(|s| s.matches(&a.display_name, a.description.as_deref()))
        };

        // Positions: store indices when unsorted (resume where the last page stopped),
        // ranks in the sorted result otherwise.
        let mut page: Vec<usize> = Vec::with_capacity(opts.top.min(tenant.apps.len()));
        let next: Option<u64>;
        let mut total = None;
        match opts.order {
            None => {
                let mut it = (start..tenant.apps.len()).filter(|&i| matches(i, &tenant.apps[i]));
                for i in it.by_ref() {
                    page.push(i);
                    if page.len() == opts.top {
                        break;
                    }
                }
                next = match page.last() {
                    Some(&last) if page.len() == opts.top && it.next().is_some() => {
                        Some(last as u64 + 1)
                    }
                    _ => None,
                };
                if opts.count && opts.skiptoken.is_none() {
                    total = Some(tenant.live().filter(|(i, a)| matches(*i, a)).count());
                }
            }
            Some(order) => {
                let mut all: Vec<usize> = (0..tenant.apps.len())
                    .filter(|&i| matches(i, &tenant.apps[i]))
                    .collect();
                sort_apps(&tenant, &mut all, order);
                if opts.count && opts.skiptoken.is_none() {
                    total = Some(all.len());
                }
                let end = (start + opts.top).min(all.len());
                if start < end {
                    page.extend_from_slice(&all[start..end]);
                }
                next = (end < all.len()).then_some(end as u64);
            }
        }

        let mut out = Vec::with_capacity(page.len() * 1500 + 256);
        out.extend_from_slice(b"{\"@odata.context\":");
        let context = ctx.context(&opts.select.context_suffix(collection.entity_set()));
        write_json_str(&mut out, &context);
        if let Some(n) = total {
            let _ = write!(VecWriter(&mut out), ",\"@odata.count\":{n}");
        }
        if let Some(pos) = next {
            let token = self.shared.pages.encode(pos, fingerprint);
            out.extend_from_slice(b",\"@odata.nextLink\":");
            write_json_str(&mut out, &self.next_link(collection, &token));
        }
        out.extend_from_slice(b",\"value\":[");
        for (n, &i) in page.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            let item = AppJson {
                app: &tenant.apps[i],
                tenant: &tenant.info,
                sel: &opts.select,
                form: AppForm::Read,
                odata_type: collection == Collection::OwnedObjects,
                keys: false,
            };
            if serde_json::to_writer(&mut out, &item).is_err() {
                return ctx.error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Service_InternalServerError",
                    "Encountered an internal server error.",
                );
            }
        }
        out.extend_from_slice(b"]}");
        drop(tenant);
        ctx.json_bytes(StatusCode::OK, out)
    }

    /// The original query options re-encoded, plus the opaque token.
    fn next_link(&self, collection: Collection, token: &str) -> String {
        let mut link = format!("{}/v1.0/{}?", self.ctx.origin, collection.path());
        for (k, v) in self.query {
            if k.eq_ignore_ascii_case("$skiptoken") {
                continue;
            }
            link.push_str(&odata::encode_component(k));
            link.push('=');
            link.push_str(&odata::encode_component(v));
            link.push('&');
        }
        link.push_str("$skiptoken=");
        link.push_str(token);
        link
    }

    /// `GET /applications/$count`: text/plain, advanced query only.
    fn count(&self) -> Response {
        if !self.can(Perms::READ_APPS) {
            return self.ctx.forbidden();
        }
        if !self.eventual() {
            return self
                .ctx
                .bad_request("Request_BadRequest", "$count is not currently supported.");
        }
        let filter = match self.option("$filter").map(odata::parse_filter) {
            None => Vec::new(),
            Some(Ok(f)) => f,
            Some(Err(e)) => return filter_error(self.ctx, e),
        };
        let tenant = self.tenant_read();
        let n = tenant
            .live()
            .filter(|(_, a)| filter.iter().all(|c| holds(c, a)))
            .count();
        self.ctx.text(n.to_string())
    }

    /// Resolve a key to an index, with Graph's errors for malformed and unknown ids.
    pub(super) fn resolve(&self, tenant: &Tenant, key: &Key) -> Result<usize, Response> {
        if !is_guid(key.raw()) {
            return Err(self.ctx.invalid_id(key.raw()));
        }
        let found = match key {
            Key::Id(id) => tenant.index_by_id(id),
            Key::AppId(id) => tenant.index_by_app_id(id),
        };
        found.ok_or_else(|| self.ctx.not_found(key.raw()))
    }

    fn get(&self, key: &Key) -> Response {
        if !self.can(Perms::READ_APPS) {
            return self.ctx.forbidden();
        }
        let select = match self.select("microsoft.graph.application") {
            Ok(s) => s,
            Err(r) => return r,
        };
        let tenant = self.tenant_read();
        let idx = match self.resolve(&tenant, key) {
            Ok(i) => i,
            Err(r) => return r,
        };
        let context = self.ctx.context(&format!(
            "{}/$entity",
            select.context_suffix("applications")
        ));
        let r = self.entity(
            &context,
            &tenant,
            idx,
            &select,
            AppForm::Read,
            StatusCode::OK,
        );
        let id = tenant.apps[idx].id.clone();
        drop(tenant);
        if !select.is_all() {
            self.race_after_key_read(&id);
        }
        r
    }

    pub(super) fn entity(
        &self,
        context: &str,
        tenant: &Tenant,
        idx: usize,
        select: &Selection,
        form: AppForm,
        status: StatusCode,
    ) -> Response {
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(b"{\"@odata.context\":");
        write_json_str(&mut out, context);
        let item = AppJson {
            app: &tenant.apps[idx],
            tenant: &tenant.info,
            sel: select,
            form,
            odata_type: false,
            // `key` is filled only under `$select` on a single object (research 14 §1.1).
            keys: !select.is_all(),
        };
        match serde_json::to_vec(&item) {
            Ok(body) if body.len() > 2 => {
                out.push(b',');
                out.extend_from_slice(&body[1..]);
            }
            Ok(_) => out.push(b'}'),
            Err(_) => {
                return self.ctx.error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Service_InternalServerError",
                    "Encountered an internal server error.",
                );
            }
        }
        self.ctx.json_bytes(status, out)
    }

    /// Writes need Application.ReadWrite.All, and for the user, rights on that app.
    pub(super) fn check_write(&self, app: &App) -> Result<(), Response> {
        if !self.can(Perms::WRITE_APPS) || (self.delegated() && app.write_protected) {
            return Err(self.ctx.forbidden());
        }
        Ok(())
    }

    fn add_password(&self, key: &Key, body: &[u8]) -> Response {
        let ctx = self.ctx;
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase")]
        struct AddBody {
            #[serde(default)]
            password_credential: Option<Input>,
        }
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase")]
        struct Input {
            #[serde(default)]
            display_name: Option<String>,
            #[serde(default)]
            start_date_time: Option<String>,
            #[serde(default)]
            end_date_time: Option<String>,
        }
        if let Err(r) = super::keycreds::known_properties(
            ctx,
            body,
            &["passwordCredential"],
            "microsoft.graph.application.addPassword",
            Some((
                "passwordCredential",
                &[
                    "customKeyIdentifier",
                    "displayName",
                    "endDateTime",
                    "hint",
                    "keyId",
                    "secretText",
                    "startDateTime",
                ],
                "microsoft.graph.passwordCredential",
            )),
        ) {
            return r;
        }
        let input = if body.iter().all(u8::is_ascii_whitespace) {
            Input::default()
        } else {
            match serde_json::from_slice::<AddBody>(body) {
                Ok(b) => b.password_credential.unwrap_or_default(),
                Err(_) => return ctx.bad_json(),
            }
        };
        let parse_time = |s: &Option<String>| -> Result<Option<GraphTime>, Response> {
            match s {
                None => Ok(None),
                Some(s) => GraphTime::parse(s).map(Some).ok_or_else(|| {
                    ctx.bad_request(
                        "BadRequest",
                        &format!(
                            "Cannot convert the literal '{s}' to the expected type 'Edm.DateTimeOffset'."
                        ),
                    )
                }),
            }
        };
        let start = match parse_time(&input.start_date_time) {
            Ok(s) => s.unwrap_or_else(GraphTime::now7),
            Err(r) => return r,
        };
        let end = match parse_time(&input.end_date_time) {
            Ok(Some(e)) => e,
            Ok(None) => GraphTime {
                at: start
                    .at
                    .checked_add_months(Months::new(24))
                    .unwrap_or(start.at),
                digits: start.digits,
            },
            Err(r) => return r,
        };
        if end.at <= start.at {
            return ctx.bad_request(
                "Request_BadRequest",
                "The credential's endDateTime must be later than its startDateTime.",
            );
        }
        if input
            .display_name
            .as_deref()
            .is_some_and(|d| d.encode_utf16().count() > MAX_SECRET_DESCRIPTION)
        {
            return ctx.bad_request(
                "Request_BadRequest",
                "Invalid value specified for property 'displayName' of resource 'PasswordCredential'.",
            );
        }

        let mut tenant = self.tenant_write();
        let idx = match self.resolve(&tenant, key) {
            Ok(i) => i,
            Err(r) => return r,
        };
        let app = &tenant.apps[idx];
        if let Err(r) = self.check_write(app) {
            return r;
        }
        if let Some((code, message)) =
            super::policy::password_refusal(&tenant, app, end.at - start.at)
        {
            return ctx.bad_request(code, &message);
        }
        if app.audience.has_two_secret_cap() && app.passwords.len() >= 2 {
            return ctx.bad_request(
                "Request_BadRequest",
                "You can only add a maximum of 2 encrypted credentials.",
            );
        }

        let secret = generate_secret();
        let value = secret.expose_secret();
        let cred = PasswordCred {
            key_id: uuid::Uuid::new_v4().to_string(),
            display_name: input.display_name,
            hint: Some(value[..3].to_owned()),
            start,
            end,
            custom_key_identifier: None,
        };
        let app_id = app.app_id.clone();
        tenant.remember_secret(value, &app_id, &cred.key_id);
        tenant.apps[idx].passwords.insert(0, cred.clone());
        tenant.record(idx, Change::Updated(prop_bit("passwordCredentials")));
        drop(tenant);
        self.shared.note_secret_created(&cred.key_id);

        // The `add_password_status` fault: created, but the answer is an error (as when a
        // gateway loses Graph's reply and answers on its own).
        if let Some(code) = self.shared.faults().add_password_status {
            let mut r = injected_status(ctx, code, self.shared.faults().throttle_retry_after);
            r.extensions_mut().insert(SecretCreated);
            return r;
        }

        let context = ctx.context("microsoft.graph.passwordCredential");
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(b"{\"@odata.context\":");
        write_json_str(&mut out, &context);
        let item = PasswordJson {
            cred: &cred,
            secret_text: Some(value),
        };
        if let Ok(body) = serde_json::to_vec(&item) {
            out.push(b',');
            out.extend_from_slice(&body[1..]);
        }
        let drop_reply = self
            .shared
            .drops_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let mut r = if drop_reply {
            // The reply is lost: headers go out, then the body stream fails, so the client can
            // read neither the value nor a complete JSON document.
            let head = Bytes::copy_from_slice(&out[..out.len().min(24)]);
            // A pause between the first chunk and the failure lets hyper flush the status
            // line and headers before the connection is cut.
            let stream = futures::stream::unfold(0u8, move |step| {
                let head = head.clone();
                async move {
                    match step {
                        0 => Some((Ok::<Bytes, std::io::Error>(head), 1)),
                        1 => {
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            Some((
                                Err(std::io::Error::new(
                                    std::io::ErrorKind::ConnectionReset,
                                    "sandbox fault: addPassword reply dropped",
                                )),
                                2,
                            ))
                        }
                        _ => None,
                    }
                }
            });
            ctx.odata(StatusCode::OK, Body::from_stream(stream))
        } else {
            ctx.json_bytes(StatusCode::OK, out)
        };
        // Graph sends the bare host here (fixtures README, surprise 5).
        if let Ok(v) = HeaderValue::from_str(&ctx.origin) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        r.extensions_mut().insert(SecretCreated);
        r
    }

    fn remove_password(&self, key: &Key, body: &[u8]) -> Response {
        let ctx = self.ctx;
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct RemoveBody {
            key_id: Option<String>,
        }
        let Ok(b) = serde_json::from_slice::<RemoveBody>(body) else {
            return ctx.bad_json();
        };
        let mut tenant = self.tenant_write();
        let idx = match self.resolve(&tenant, key) {
            Ok(i) => i,
            Err(r) => return r,
        };
        if let Err(r) = self.check_write(&tenant.apps[idx]) {
            return r;
        }
        let Some(key_id) = b.key_id else {
            return ctx.bad_request(
                "Request_BadRequest",
                "The request body must contain the keyId of the password credential to remove.",
            );
        };
        if !is_guid(&key_id) {
            return ctx.bad_request(
                "BadRequest",
                &format!("Cannot convert the literal '{key_id}' to the expected type 'Edm.Guid'."),
            );
        }
        let passwords = &mut tenant.apps[idx].passwords;
        let Some(pos) = passwords
            .iter()
            .position(|p| p.key_id.eq_ignore_ascii_case(&key_id))
        else {
            return ctx.bad_request(
                "Request_BadRequest",
                &format!("No password credential found with keyId {key_id}."),
            );
        };
        passwords.remove(pos);
        tenant.record(idx, Change::Updated(prop_bit("passwordCredentials")));
        ctx.no_content()
    }

    /// `DELETE /applications/{id}`: the app goes to deleted items (gone for reads; delta says
    /// `@removed` with reason `changed`).
    fn delete(&self, key: &Key) -> Response {
        let mut tenant = self.tenant_write();
        let idx = match self.resolve(&tenant, key) {
            Ok(i) => i,
            Err(r) => return r,
        };
        if let Err(r) = self.check_write(&tenant.apps[idx]) {
            return r;
        }
        tenant.delete_app(idx);
        self.ctx.no_content()
    }

    /// `GET /applications/delta` (docs/contract.md §10).
    fn delta(&self) -> Response {
        if !self.can(Perms::READ_APPS) {
            return self.ctx.forbidden();
        }
        super::delta::respond(
            self.shared,
            self.ctx,
            self.shared.tenant_lock(self.grant.tenant),
            self.query,
        )
    }

    fn create(&self, body: &[u8]) -> Response {
        let ctx = self.ctx;
        if !self.can(Perms::WRITE_APPS) {
            return ctx.forbidden();
        }
        let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice::<serde_json::Value>(body)
        else {
            return ctx.bad_json();
        };
        const KNOWN: &[&str] = &[
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
            "passwordCredentials",
            "api",
            "appRoles",
            "info",
            "optionalClaims",
            "requiredResourceAccess",
            "serviceManagementReference",
            "parentalControlSettings",
            "groupMembershipClaims",
        ];
        // Instance annotations (`@odata.type`) are accepted, as Graph accepts them.
        if let Some(bad) = obj
            .keys()
            .find(|k| !k.starts_with('@') && !KNOWN.contains(&k.as_str()))
        {
            return ctx.bad_request(
                "BadRequest",
                &format!(
                    "Property '{bad}' does not exist on type 'microsoft.graph.application'. Make sure to only use property names that are defined by the type or mark the type as open type."
                ),
            );
        }
        let invalid = |prop: &str| {
            ctx.bad_request(
                "Request_BadRequest",
                &format!(
                    "Invalid value specified for property '{prop}' of resource 'Application'."
                ),
            )
        };
        let name = match obj.get("displayName") {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s.clone(),
            _ => {
                return ctx.bad_request(
                    "Request_BadRequest",
                    "Property 'displayName' is required and cannot be empty.",
                );
            }
        };
        if name.chars().count() > 256 {
            return ctx.bad_request(
                "Request_BadRequest",
                "Invalid value specified for property 'displayName' of resource 'Application': it can be at most 256 characters.",
            );
        }
        let audience = match obj.get("signInAudience") {
            None | Some(serde_json::Value::Null) => Audience::MyOrg,
            Some(serde_json::Value::String(s)) => match Audience::parse(s) {
                Some(a) => a,
                None => return invalid("signInAudience"),
            },
            Some(_) => return invalid("signInAudience"),
        };
        let strings = |v: Option<&serde_json::Value>| -> Option<Vec<String>> {
            match v {
                None | Some(serde_json::Value::Null) => Some(Vec::new()),
                Some(serde_json::Value::Array(a)) => {
                    a.iter().map(|x| x.as_str().map(str::to_owned)).collect()
                }
                Some(_) => None,
            }
        };
        let Some(redirects) = strings(obj.get("web").and_then(|w| w.get("redirectUris"))) else {
            return invalid("web.redirectUris");
        };
        if redirects.iter().any(|u| !valid_redirect(u)) {
            return invalid("web.redirectUris");
        }
        let Some(tags) = strings(obj.get("tags")) else {
            return invalid("tags");
        };
        let Some(identifier_uris) = strings(obj.get("identifierUris")) else {
            return invalid("identifierUris");
        };
        for creds in ["passwordCredentials", "keyCredentials"] {
            match obj.get(creds) {
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::Array(a)) if a.is_empty() => {}
                // Create, then addPassword (contract §6); certificates are out of scope.
                Some(_) => return invalid(creds),
            }
        }
        let text = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_owned);

        let mut tenant = self.tenant_write();
        let (id, app_id) = loop {
            let id = uuid::Uuid::new_v4().to_string();
            let app_id = uuid::Uuid::new_v4().to_string();
            if !tenant.contains_id(&id) && !tenant.contains_id(&app_id) {
                break (id, app_id);
            }
        };
        let idx = tenant.push_app(App {
            name_lower: name.to_lowercase(),
            display_name: name,
            id: id.clone(),
            app_id,
            created: GraphTime::now7(),
            audience,
            description: text("description"),
            notes: text("notes"),
            tags,
            identifier_uris,
            web_redirect_uris: redirects,
            home_page_url: obj
                .get("web")
                .and_then(|w| w.get("homePageUrl"))
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            public_client_redirect_uris: Vec::new(),
            is_fallback_public_client: obj.get("isFallbackPublicClient").and_then(|v| v.as_bool()),
            service_management_reference: text("serviceManagementReference"),
            passwords: Vec::new(),
            keys: Vec::new(),
            federated: Vec::new(),
            // Apps created with a delegated token are owned by the signed-in user.
            owned_by_user: self.delegated(),
            owners: Vec::new(),
            write_protected: false,
            policy: None,
            granted: Perms::default(),
            wire: None,
        });
        tenant.record(idx, Change::Created);
        let context = ctx.context("applications/$entity");
        let mut r = self.entity(
            &context,
            &tenant,
            idx,
            &Selection::all(),
            AppForm::Created,
            StatusCode::CREATED,
        );
        let location = format!(
            "{}/v2/{}/directoryObjects/{id}/Microsoft.DirectoryServices.Application",
            ctx.origin, tenant.info.id
        );
        if let Ok(v) = HeaderValue::from_str(&location) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        r
    }

    fn federated(&self, key: &Key) -> Response {
        if !self.can(Perms::READ_APPS) {
            return self.ctx.forbidden();
        }
        let tenant = self.tenant_read();
        let idx = match self.resolve(&tenant, key) {
            Ok(i) => i,
            Err(r) => return r,
        };
        let app = &tenant.apps[idx];
        let value: Vec<FederatedJson<'_>> = app.federated.iter().map(FederatedJson::from).collect();
        let body = serde_json::json!({
            "@odata.context": self.ctx.context(&format!("applications('{}')/federatedIdentityCredentials", app.id)),
            "value": value,
        });
        self.ctx.json(StatusCode::OK, &body)
    }

    fn me(&self) -> Response {
        if let Err(r) = self.require_user() {
            return r;
        }
        if !self.can(Perms::USER_READ) {
            return self.ctx.forbidden();
        }
        let tenant = self.tenant_read();
        let Ok(serde_json::Value::Object(all)) = serde_json::to_value(UserJson::from(&tenant.user))
        else {
            return self.ctx.forbidden();
        };
        drop(tenant);
        let (fields, names) = match project(all, &json::USER_PROPS, self.option("$select")) {
            Ok(p) => p,
            Err(bad) => {
                return self.ctx.bad_request(
                    "Request_BadRequest",
                    &format!(
                        "Could not find a property named '{bad}' on type 'microsoft.graph.user'."
                    ),
                );
            }
        };
        let set = match names {
            None => "users/$entity".to_owned(),
            Some(n) => format!("users({n})/$entity"),
        };
        let mut body = serde_json::Map::new();
        body.insert("@odata.context".into(), self.ctx.context(&set).into());
        body.extend(fields);
        self.ctx.json(StatusCode::OK, &body)
    }

    fn organization(&self) -> Response {
        if !(self.can(Perms::READ_ORG) || (self.delegated() && self.can(Perms::USER_READ))) {
            return self.ctx.forbidden();
        }
        let tenant = self.tenant_read();
        let serde_json::Value::Object(mut org) = json::organization(&tenant) else {
            return self.ctx.forbidden();
        };
        drop(tenant);
        // User.Read sees only id, displayName and verifiedDomains (contract trap 23).
        if !self.can(Perms::READ_ORG) {
            for (k, v) in org.iter_mut() {
                if !matches!(k.as_str(), "id" | "displayName" | "verifiedDomains") {
                    *v = serde_json::Value::Null;
                }
            }
        }
        let props: Vec<&str> = org.keys().map(String::as_str).collect::<Vec<_>>();
        let props: Vec<&'static str> = ORG_PROPS
            .iter()
            .copied()
            .filter(|p| props.contains(p))
            .collect();
        let (fields, names) = match project(org, &props, self.option("$select")) {
            Ok(p) => p,
            Err(bad) => {
                return self.ctx.bad_request(
                    "Request_BadRequest",
                    &format!(
                        "Could not find a property named '{bad}' on type 'microsoft.graph.organization'."
                    ),
                );
            }
        };
        let set = match names {
            None => "organization".to_owned(),
            Some(n) => format!("organization({n})"),
        };
        let body = serde_json::json!({
            "@odata.context": self.ctx.context(&set),
            "value": [serde_json::Value::Object(fields)],
        });
        self.ctx.json(StatusCode::OK, &body)
    }
}

const ORG_PROPS: &[&str] = &[
    "id",
    "deletedDateTime",
    "businessPhones",
    "city",
    "country",
    "countryLetterCode",
    "createdDateTime",
    "displayName",
    "postalCode",
    "preferredLanguage",
    "state",
    "street",
    "tenantType",
    "technicalNotificationMails",
    "verifiedDomains",
];

/// `$select` over a small JSON object: the kept fields and the canonical names for the
/// context (`None` when nothing was selected); `Err(name)` for an unknown property.
fn project(
    all: serde_json::Map<String, serde_json::Value>,
    props: &[&str],
    select: Option<&str>,
) -> Result<(serde_json::Map<String, serde_json::Value>, Option<String>), String> {
    let Some(select) = select else {
        return Ok((all, None));
    };
    let mut wanted: Vec<&str> = Vec::new();
    for raw in select.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let canon = props
            .iter()
            .find(|p| p.eq_ignore_ascii_case(raw))
            .ok_or_else(|| raw.to_owned())?;
        if !wanted.contains(canon) {
            wanted.push(canon);
        }
    }
    if wanted.is_empty() {
        return Ok((all, None));
    }
    let mut all = all;
    let fields = wanted
        .iter()
        .filter_map(|k| all.remove(*k).map(|v| ((*k).to_owned(), v)))
        .collect();
    Ok((fields, Some(wanted.join(","))))
}

/// Whether one `$filter` condition holds for an app.
fn holds(c: &Cond, a: &App) -> bool {
    match c {
        Cond::NameStartsWith(p) => a.name_lower.starts_with(p.as_str()),
        Cond::NameEq(n) => a.name_lower == *n,
        Cond::AppIdEq(id) => a.app_id.eq_ignore_ascii_case(id),
        Cond::IdEq(id) => a.id.eq_ignore_ascii_case(id),
        Cond::CreatedGe(t) => a.created.at >= *t,
        Cond::CreatedLe(t) => a.created.at <= *t,
        Cond::CreatedEq(t) => a.created.at == *t,
        // Every app has a creation time.
        Cond::CreatedNull => false,
    }
}

/// A `$filter` Graph refuses, in Graph's words.
fn filter_error(ctx: &Ctx, e: FilterError) -> Response {
    match e {
        FilterError::Unsupported => ctx.unsupported_query(),
        FilterError::InvalidId(id) => ctx.invalid_id(&id),
        FilterError::Operator(op) => ctx.bad_request(
            "Request_UnsupportedQuery",
            &format!("Unsupported property filter clause operator '{op}'."),
        ),
        FilterError::InvalidClause(prop) => ctx.bad_request(
            "Request_UnsupportedQuery",
            &format!(
                "Unsupported or invalid query filter clause specified for property '{prop}' of resource 'Application'."
            ),
        ),
    }
}

/// `https://…`, or `http://localhost` / loopback (the portal's redirect URI rule).
fn valid_redirect(u: &str) -> bool {
    match url::Url::parse(u) {
        Ok(url) => match url.scheme() {
            "https" => url.host().is_some(),
            "http" => matches!(
                url.host_str(),
                Some("localhost") | Some("127.0.0.1") | Some("[::1]")
            ),
            _ => false,
        },
        Err(_) => false,
    }
}

fn sort_apps(tenant: &Tenant, idx: &mut [usize], order: OrderBy) {
    match order.key {
        OrderKey::DisplayName => {
            idx.sort_by(|&a, &b| tenant.apps[a].name_lower.cmp(&tenant.apps[b].name_lower))
        }
        OrderKey::CreatedDateTime => {
            idx.sort_by(|&a, &b| tenant.apps[a].created.at.cmp(&tenant.apps[b].created.at))
        }
    }
    if order.descending {
        idx.reverse();
    }
}

fn write_json_str(out: &mut Vec<u8>, s: &str) {
    // Serializing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

struct VecWriter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert!(matches!(
            parse_target("applications"),
            Target::List(Collection::Applications)
        ));
        assert!(matches!(parse_target("Applications/$count"), Target::Count));
        assert!(matches!(
            parse_target("applications(appId='abc')/addPassword"),
            Target::AddPassword(Key::AppId(k)) if k == "abc"
        ));
        assert!(matches!(
            parse_target("applications/xyz/microsoft.graph.removePassword"),
            Target::RemovePassword(Key::Id(k)) if k == "xyz"
        ));
        assert!(matches!(
            parse_target("me/ownedObjects/microsoft.graph.application"),
            Target::List(Collection::OwnedApplications)
        ));
        assert!(matches!(parse_target("users"), Target::Unknown(s) if s == "users"));
    }
}
