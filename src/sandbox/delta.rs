//! `GET /v1.0/applications/delta` (docs/contract.md §10): an initial round that enumerates every
//! app, change rounds that replay the tenant's change log (created items whole, updated items
//! as `id` plus the changed selected properties, deleted items as `@removed`), `$skiptoken`
//! nextLinks within a round and one `$deltatoken` deltaLink at its end (never both on a page),
//! `$deltatoken=latest`, and the two ways a sync state ends: expired (400 `syncStateNotFound`,
//! also after the token lifetime) and reset (410 Gone with a `Location` to start again).
//!
//! Sync states live here, keyed by opaque random tokens; `$select` is kept in the state, so
//! the links carry nothing but the token.

// Handlers return ready responses as their errors: boxing them would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;

use super::Shared;
use super::json::{AppForm, AppJson, Selection};
use super::model::{Change, Tenant};
use super::odata::{self, Cond};
use super::reply::Ctx;

/// How a sync state ended, when it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeltaFailure {
    /// 400 `syncStateNotFound`: the token expired; synchronize again from the start.
    Expired,
    /// 410 Gone with `Location`: the service reset the sync state.
    Reset,
}

#[derive(Clone, Debug)]
struct State {
    select: Option<String>,
    /// Only this app (`$filter=id eq '…'`), lowercased.
    only: Option<String>,
    /// Changes after this version (0 with `initial`: every live app).
    since: u64,
    /// The version this round ends at (the deltaLink continues from it).
    upto: u64,
    initial: bool,
    /// An initial round's end: the number of apps when it began (apps created after it come
    /// in the next round, as Graph's replays can).
    end: usize,
    /// The next item of the round.
    pos: usize,
    issued: Instant,
    /// `None` for a deltaLink; a nextLink's page state otherwise.
    page: bool,
}

/// Issued sync states, and the failure the tests asked existing ones to meet.
#[derive(Default)]
pub struct DeltaStates {
    states: HashMap<String, State>,
    failed: HashMap<String, DeltaFailure>,
}

impl DeltaStates {
    fn issue(&mut self, state: State) -> String {
        let raw: Vec<u8> = (0..24).map(|_| rand::random::<u8>()).collect();
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        self.states.insert(token.clone(), state);
        token
    }

    /// Every state issued so far ends with `how` when next used.
    pub fn fail_all(&mut self, how: DeltaFailure) {
        for (token, _) in self.states.drain() {
            self.failed.insert(token, how);
        }
    }
}

/// `/applications/delta` with the request's query options.
pub fn respond(
    shared: &Shared,
    ctx: &Ctx,
    tenant: &std::sync::RwLock<Tenant>,
    query: &[(String, String)],
) -> Response {
    let option = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    for (k, _) in query {
        let k = k.to_ascii_lowercase();
        match k.as_str() {
            "$select" | "$filter" | "$deltatoken" | "$skiptoken" => {}
            // Delta on directory objects takes $select and an id filter only.
            k if k.starts_with('$') => return ctx.unsupported_query(),
            _ => {}
        }
    }
    let lifetime = shared.delta_lifetime;
    let mut store = lock(&shared.delta);
    let token = option("$skiptoken").or_else(|| option("$deltatoken"));
    let state = match token {
        Some(t) if t.eq_ignore_ascii_case("latest") && option("$deltatoken").is_some() => {
            // Start from now: no data, only the link.
            let select = option("$select").map(str::to_owned);
            if let Err(r) = parse_select(ctx, select.as_deref()) {
                return r;
            }
            let only = match only_id(ctx, option("$filter")) {
                Ok(o) => o,
                Err(r) => return r,
            };
            let version = read(tenant).version();
            let link = store.issue(State {
                select,
                only,
                since: version,
                upto: version,
                initial: false,
                end: 0,
                pos: 0,
                issued: Instant::now(),
                page: false,
            });
            drop(store);
            return page(ctx, &Selection::all(), Vec::new(), None, Some(&link));
        }
        Some(t) => {
            if let Some(how) = store.failed.get(t).copied() {
                return failure(ctx, how);
            }
            let Some(s) = store.states.get(t).cloned() else {
                return failure(ctx, DeltaFailure::Expired);
            };
            if s.issued.elapsed() > lifetime {
                return failure(ctx, DeltaFailure::Expired);
            }
            if s.page {
                s
            } else {
                // A deltaLink: a new round of the changes since its version.
                State {
                    since: s.upto,
                    upto: read(tenant).version(),
                    initial: false,
                    pos: 0,
                    issued: Instant::now(),
                    page: true,
                    ..s
                }
            }
        }
        None => {
            let select = option("$select").map(str::to_owned);
            let only = match only_id(ctx, option("$filter")) {
                Ok(o) => o,
                Err(r) => return r,
            };
            let t = read(tenant);
            let (upto, end) = (t.version(), t.apps.len());
            drop(t);
            State {
                select,
                only,
                since: 0,
                upto,
                initial: true,
                end,
                pos: 0,
                issued: Instant::now(),
                page: true,
            }
        }
    };
    let sel = match parse_select(ctx, state.select.as_deref()) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let t = read(tenant);
    let mut out: Vec<Vec<u8>> = Vec::new();
    let size = shared.delta_page_size.max(1);
    let mut pos = state.pos;
    let wanted = |id: &str| {
        state
            .only
            .as_deref()
            .is_none_or(|o| id.eq_ignore_ascii_case(o))
    };
    let done = if state.initial {
        let end = state.end;
        while pos < end && out.len() < size {
            let idx = pos;
            pos += 1;
            if t.is_deleted(idx) || !t.apps.get(idx).is_some_and(|a| wanted(&a.id)) {
                continue;
            }
            if let Some(item) = item(&t, idx, &sel, None) {
                out.push(item);
            }
        }
        pos >= end
    } else {
        let round = round_items(&t, state.since, state.upto);
        while pos < round.len() && out.len() < size {
            let (idx, what) = round[pos];
            pos += 1;
            if !t.apps.get(idx).is_some_and(|a| wanted(&a.id)) {
                continue;
            }
            let entry = match what {
                RoundItem::Removed => removed(&t, idx),
                RoundItem::Created => item(&t, idx, &sel, None),
                RoundItem::Updated(bits) if sel.overlaps(bits) => item(&t, idx, &sel, Some(bits)),
                RoundItem::Updated(_) => None,
            };
            if let Some(e) = entry {
                out.push(e);
            }
        }
        pos >= round.len()
    };
    drop(t);
    let context_sel = sel.clone();
    if done {
        let link = store.issue(State {
            since: state.upto,
            pos: 0,
            issued: Instant::now(),
            page: false,
            initial: false,
            ..state
        });
        drop(store);
        page(ctx, &context_sel, out, None, Some(&link))
    } else {
        let next = store.issue(State {
            pos,
            issued: Instant::now(),
            ..state
        });
        drop(store);
        page(ctx, &context_sel, out, Some(&next), None)
    }
}

#[derive(Clone, Copy, Debug)]
enum RoundItem {
    Created,
    Updated(u64),
    Removed,
}

/// The apps that changed in `(since, upto]`, in the order they first changed.
fn round_items(t: &Tenant, since: u64, upto: u64) -> Vec<(usize, RoundItem)> {
    let mut order: Vec<usize> = Vec::new();
    let mut what: HashMap<usize, RoundItem> = HashMap::new();
    for c in t.changes_between(since, upto) {
        let next = match (what.get(&c.idx).copied(), c.change) {
            (_, Change::Deleted) => RoundItem::Removed,
            (Some(RoundItem::Removed), _) => RoundItem::Removed,
            (Some(RoundItem::Created), _) | (None, Change::Created) => RoundItem::Created,
            (Some(RoundItem::Updated(a)), Change::Updated(b)) => RoundItem::Updated(a | b),
            (Some(RoundItem::Updated(_)), Change::Created) => RoundItem::Created,
            (None, Change::Updated(b)) => RoundItem::Updated(b),
        };
        if what.insert(c.idx, next).is_none() {
            order.push(c.idx);
        }
    }
    order
        .into_iter()
        .map(|i| {
            // Deleted since: gone, whatever happened before.
            let w = if t.is_deleted(i) {
                RoundItem::Removed
            } else {
                what.get(&i).copied().unwrap_or(RoundItem::Created)
            };
            (i, w)
        })
        .collect()
}

fn item(t: &Tenant, idx: usize, sel: &Selection, changed: Option<u64>) -> Option<Vec<u8>> {
    let app = t.apps.get(idx)?;
    let restricted;
    let sel = match changed {
        Some(bits) => {
            restricted = sel.restricted(bits);
            &restricted
        }
        None => sel,
    };
    serde_json::to_vec(&AppJson {
        app,
        tenant: &t.info,
        sel,
        form: AppForm::Read,
        odata_type: false,
        keys: false,
    })
    .ok()
}

fn removed(t: &Tenant, idx: usize) -> Option<Vec<u8>> {
    let app = t.apps.get(idx)?;
    // Deleted applications go to the recycle bin first: Graph says "changed" (restorable).
    serde_json::to_vec(&serde_json::json!({
        "id": app.id,
        "@removed": { "reason": "changed" }
    }))
    .ok()
}

fn page(
    ctx: &Ctx,
    sel: &Selection,
    items: Vec<Vec<u8>>,
    next: Option<&str>,
    delta: Option<&str>,
) -> Response {
    let mut out = Vec::with_capacity(items.iter().map(Vec::len).sum::<usize>() + 512);
    out.extend_from_slice(b"{\"@odata.context\":");
    push_str(&mut out, &ctx.context(&sel.context_suffix("applications")));
    out.extend_from_slice(b",\"value\":[");
    for (n, i) in items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(i);
    }
    out.push(b']');
    // Links after the items, as Graph's delta examples show them.
    if let Some(t) = next {
        out.extend_from_slice(b",\"@odata.nextLink\":");
        push_str(&mut out, &link(ctx, "$skiptoken", t));
    }
    if let Some(t) = delta {
        out.extend_from_slice(b",\"@odata.deltaLink\":");
        push_str(&mut out, &link(ctx, "$deltatoken", t));
    }
    out.push(b'}');
    ctx.json_bytes(StatusCode::OK, out)
}

fn link(ctx: &Ctx, name: &str, token: &str) -> String {
    format!("{}/v1.0/applications/delta?{name}={token}", ctx.origin)
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    // Serializing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn failure(ctx: &Ctx, how: DeltaFailure) -> Response {
    match how {
        DeltaFailure::Expired => ctx.bad_request(
            "syncStateNotFound",
            "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
        ),
        DeltaFailure::Reset => {
            let mut r = ctx.error(
                StatusCode::GONE,
                "resyncRequired",
                "The delta token is no longer valid, and the app must reset the sync state.",
            );
            if let Ok(v) = HeaderValue::from_str(&link(ctx, "$deltatoken", "")) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
    }
}

fn parse_select(ctx: &Ctx, select: Option<&str>) -> Result<Selection, Response> {
    match select {
        None => Ok(Selection::all()),
        Some(s) => Selection::parse(s).map_err(|bad| {
            ctx.bad_request(
                "Request_BadRequest",
                &format!(
                    "Could not find a property named '{bad}' on type 'microsoft.graph.application'."
                ),
            )
        }),
    }
}

/// Delta takes `$filter=id eq '…'` and nothing else.
fn only_id(ctx: &Ctx, filter: Option<&str>) -> Result<Option<String>, Response> {
    let Some(f) = filter else {
        return Ok(None);
    };
    match odata::parse_filter(f) {
        Ok(conds) => match conds.as_slice() {
            [Cond::IdEq(id)] => Ok(Some(id.clone())),
            _ => Err(ctx.unsupported_query()),
        },
        Err(odata::FilterError::InvalidId(id)) => Err(ctx.invalid_id(&id)),
        Err(_) => Err(ctx.unsupported_query()),
    }
}

fn read(t: &std::sync::RwLock<Tenant>) -> std::sync::RwLockReadGuard<'_, Tenant> {
    t.read().unwrap_or_else(|e| e.into_inner())
}

fn lock(m: &std::sync::Mutex<DeltaStates>) -> std::sync::MutexGuard<'_, DeltaStates> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Directory delta tokens last seven days (docs/contract.md §10).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(7 * 86_400);
