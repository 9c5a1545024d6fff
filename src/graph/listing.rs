//! Listing a tenant's applications at Graph's real speed (docs/contract.md §9 and §10): the
//! collection split into `createdDateTime` ranges paged concurrently (plus the `eq null`
//! remainder), deduplicated by id, held back together on a 429, and made complete against
//! changes during the scan by a delta link taken before it; delta queries to bring a cached
//! list up to date; `$search` for finding an app before the list is loaded; and the paced
//! certificates pass (keyCredentials in `$select` costs a place in Graph's 150-a-minute limit).
//!
//! Knows no terminal. Callers get plain events; which screen or output they feed is theirs.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use serde::Deserialize;
use tokio::sync::Semaphore;
use url::Url;

use super::client::{CERT_SELECT, GraphClient, LIST_SELECT, MAX_TOP, Page, decode_page};
use super::error::GraphError;
use super::models::{AppRegistration, Certificate, ClientSecret, ObjectId};
use super::odata;
use crate::ids::ApplicationId;

/// Range cursors a scan runs at once by default, and at most (docs/contract.md §9: Graph
/// documents no concurrency limit for directory reads). Six, not the research's starting
/// four: a complete listing also needs two round trips of its own (counts, then the delta
/// replay), and with four the whole stays above 0.3 of sequential paging (bench/README.md).
pub const DEFAULT_CONCURRENCY: usize = 6;
pub const MAX_CONCURRENCY: usize = 8;

/// Time slices counted to plan the ranges.
const SLICES: usize = 32;

/// Graph's keyCredentials limit (contract §1): 150 listings a minute per tenant. The window is
/// a second longer than a minute so clock edges never cross it.
const KEY_CREDENTIAL_LISTS: usize = 150;
const KEY_CREDENTIAL_WINDOW: Duration = Duration::from_secs(61);

/// Every request of one client waits here while Graph has asked it to (a 429's Retry-After):
/// one throttled range holds back all the others instead of each learning it on its own.
#[derive(Debug, Default)]
pub struct ThrottleGate {
    until: Mutex<Option<Instant>>,
    throttles: AtomicU64,
}

impl ThrottleGate {
    /// Wait until Graph's last Retry-After has passed.
    pub async fn pass(&self) {
        loop {
            let until = *lock(&self.until);
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t.into()).await,
                _ => return,
            }
        }
    }

    /// Graph answered 429 and the request waits `wait`: every other request waits too.
    pub fn throttled(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut u = lock(&self.until);
        if u.is_none_or(|t| t < until) {
            *u = Some(until);
        }
        self.throttles.fetch_add(1, Ordering::SeqCst);
    }

    /// 429s seen so far.
    pub fn throttles(&self) -> u64 {
        self.throttles.load(Ordering::SeqCst)
    }
}

/// Keeps listings with keyCredentials in `$select` under Graph's 150 a minute per tenant.
#[derive(Debug, Default)]
pub struct Pacer {
    sent: tokio::sync::Mutex<std::collections::VecDeque<Instant>>,
}

impl Pacer {
    pub async fn acquire(&self) {
        let mut sent = self.sent.lock().await;
        loop {
            let now = Instant::now();
            while sent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= KEY_CREDENTIAL_WINDOW)
            {
                sent.pop_front();
            }
            if sent.len() < KEY_CREDENTIAL_LISTS {
                sent.push_back(now);
                return;
            }
            let oldest = sent.front().copied().unwrap_or(now);
            tokio::time::sleep_until((oldest + KEY_CREDENTIAL_WINDOW).into()).await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The query options of `url`, decoded.
fn options(url: &Url) -> impl Iterator<Item = (String, String)> + '_ {
    url.query_pairs()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
}

/// Whether `url` is an advanced query, which needs `ConsistencyLevel: eventual` on every
/// request, nextLinks included (contract §1): `$search`, `$count=true`, `$orderby`, `/$count`.
pub fn needs_eventual(url: &Url) -> bool {
    url.path().ends_with("/$count")
        || options(url).any(|(k, v)| {
            k == "$search" || k == "$orderby" || (k == "$count" && v.eq_ignore_ascii_case("true"))
        })
}

/// A `$search` holding `&`: v1.0 needs `Prefer: legacySearch=false` for it (docs/contract.md §9).
pub fn search_has_ampersand(url: &Url) -> bool {
    options(url).any(|(k, v)| k == "$search" && v.contains('&'))
}

/// A listing of `/applications` with keyCredentials selected (paced, contract §1).
pub fn is_key_credentials_listing(url: &Url) -> bool {
    url.path().trim_end_matches('/').ends_with("/applications")
        && options(url).any(|(k, v)| {
            k == "$select"
                && v.split(',')
                    .any(|p| p.trim().eq_ignore_ascii_case("keyCredentials"))
        })
}

/// What a scan asks for.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// `$select` of every page ([`LIST_SELECT`] unless certificates are needed too).
    pub select: &'static str,
    /// Range cursors at once, 1..=[`MAX_CONCURRENCY`]; 1 pages the collection sequentially,
    /// as one unfiltered listing.
    pub concurrency: usize,
    /// No app is older than this (the tenant's creation): where the ranges start.
    pub since: Option<DateTime<Utc>>,
    /// Take a delta link before the scan and replay it after, so the listing is complete
    /// against changes made while it ran, and end with the link to continue from.
    pub track: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            select: LIST_SELECT,
            concurrency: DEFAULT_CONCURRENCY,
            since: None,
            track: true,
        }
    }
}

/// What a scan yields, in order: apps as pages arrive, then what changed while it ran, then
/// its end.
#[derive(Debug)]
pub enum ScanEvent {
    /// Apps not seen before in this scan (duplicates across ranges are left out), and records
    /// of the page that could not be read.
    Apps {
        items: Vec<AppRegistration>,
        skipped: usize,
    },
    /// How many apps the ranges hold, from Graph's `$count` hints (eventually consistent:
    /// for reserving room, never for deciding what is complete).
    Expected { apps: u64 },
    /// What Graph reported changed during the scan: apps updated (partial) and removed.
    Changes(Changes),
    /// The end; the sync state to continue from with [`GraphClient::delta_changes`].
    Done { delta_link: Option<String> },
}

/// Changes from a delta query.
#[derive(Debug, Default)]
pub struct Changes {
    /// Apps created (whole) or updated (only what changed: see [`AppPatch::apply`]).
    pub patches: Vec<AppPatch>,
    pub removed: Vec<ObjectId>,
    /// Records that could not be read.
    pub skipped: usize,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.patches.is_empty() && self.removed.is_empty()
    }
}

/// An app as a delta query reports it: created ones carry every selected property, updated
/// ones only `id` and what changed (credential collections always whole).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppPatch {
    pub id: ObjectId,
    #[serde(default)]
    pub app_id: Option<ApplicationId>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub sign_in_audience: Option<String>,
    #[serde(default)]
    pub publisher_domain: Option<String>,
    #[serde(default)]
    pub password_credentials: Option<Vec<ClientSecret>>,
    #[serde(default)]
    pub key_credentials: Option<Vec<Certificate>>,
}

impl AppPatch {
    /// Apply to the row it names: what is present replaces, what is absent stays.
    pub fn apply(&self, app: &mut AppRegistration) {
        if let Some(v) = &self.app_id {
            app.app_id = v.clone();
        }
        if let Some(v) = &self.display_name {
            app.display_name = v.clone();
        }
        if let Some(v) = self.created_date_time {
            app.created_date_time = Some(v);
        }
        if let Some(v) = &self.sign_in_audience {
            app.sign_in_audience = Some(v.clone());
        }
        if let Some(v) = &self.publisher_domain {
            app.publisher_domain = Some(v.clone());
        }
        if let Some(v) = &self.password_credentials {
            app.password_credentials = v.clone();
        }
        if let Some(v) = &self.key_credentials {
            app.key_credentials = v.clone();
        }
    }

    /// A whole app, when the patch names everything a row needs (a created item).
    pub fn to_registration(&self) -> Option<AppRegistration> {
        let mut app = AppRegistration {
            id: self.id.clone(),
            app_id: self.app_id.clone()?,
            display_name: self.display_name.clone()?,
            created_date_time: None,
            sign_in_audience: None,
            publisher_domain: None,
            password_credentials: Vec::new(),
            key_credentials: Vec::new(),
        };
        self.apply(&mut app);
        Some(app)
    }
}

/// One page of a delta round.
#[derive(Debug, Default)]
pub struct DeltaPage {
    pub changes: Changes,
    /// The link to continue from, on a round's last page.
    pub delta_link: Option<String>,
}

#[derive(Deserialize)]
struct WireDeltaPage {
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink", default)]
    delta_link: Option<String>,
    #[serde(default)]
    value: Vec<serde_json::Value>,
}

impl GraphError {
    /// The delta sync state is gone (expired, or reset by the service): synchronize again from
    /// the start (docs/contract.md §10: 400 `syncStateNotFound`, 410 Gone, `resyncRequired`).
    pub fn is_sync_reset(&self) -> bool {
        match self.api() {
            Some(e) => {
                e.status == 410
                    || e.code.eq_ignore_ascii_case("syncStateNotFound")
                    || e.code.eq_ignore_ascii_case("resyncRequired")
            }
            None => false,
        }
    }
}

/// A `$filter` on createdDateTime: `[lo, hi]`, either side open.
fn range_filter(lo: Option<DateTime<Utc>>, hi: Option<DateTime<Utc>>) -> Option<String> {
    let t = |d: DateTime<Utc>| d.to_rfc3339_opts(SecondsFormat::Secs, true);
    match (lo, hi) {
        (None, None) => None,
        (Some(l), None) => Some(format!("createdDateTime ge {}", t(l))),
        (None, Some(h)) => Some(format!("createdDateTime le {}", t(h))),
        (Some(l), Some(h)) => Some(format!(
            "createdDateTime ge {} and createdDateTime le {}",
            t(l),
            t(h)
        )),
    }
}

/// A range of creation times, the unit a cursor pages through; `None` bounds are open.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Range {
    lo: Option<DateTime<Utc>>,
    hi: Option<DateTime<Utc>>,
}

/// Ranges that together cover every creation time: contiguous, inclusive at both ends (so
/// neighbours share their boundary, and duplicates are dropped by id), the first open below
/// and the last open above (apps created while the scan runs land in it).
///
/// With counts, one range per cursor holding the same number of pages: a cursor's pages come
/// one after the other, so the listing takes as many round trips as the fullest range has
/// pages. Boundaries fall inside slices where needed, apps assumed spread evenly within a slice
/// (counts are hints; coverage never depends on them). Without counts, one range per slice.
fn plan(bounds: &[DateTime<Utc>], counts: Option<&[u64]>, concurrency: usize) -> Vec<Range> {
    // `bounds` are the slices' edges: slice i is [bounds[i], bounds[i+1]].
    let n = bounds.len().saturating_sub(1);
    if n == 0 {
        return vec![Range { lo: None, hi: None }];
    }
    let Some(counts) = counts.filter(|c| c.len() == n) else {
        let edge = |i: usize| (i > 0 && i < n).then(|| bounds[i]);
        return (0..n)
            .map(|i| Range {
                lo: edge(i),
                hi: edge(i + 1),
            })
            .collect();
    };
    let total: u64 = counts.iter().sum();
    let page = u64::from(MAX_TOP);
    let pages = total.div_ceil(page).max(1);
    // Ranges of at least two pages: a smaller tenant needs fewer cursors.
    let ranges = concurrency.max(1).min(pages.div_ceil(2) as usize).max(1) as u64;
    if ranges == 1 {
        return vec![Range { lo: None, hi: None }];
    }
    // Each range holds this many apps (whole pages, so no range ends on a nearly empty page).
    let per = pages.div_ceil(ranges) * page;
    let mut cuts: Vec<DateTime<Utc>> = Vec::new();
    let mut before = 0u64; // apps in the slices already passed
    let mut next_cut = per;
    for (i, &c) in counts.iter().enumerate() {
        while c > 0 && next_cut < total && before + c >= next_cut {
            // The cut falls inside slice i: at the fraction of it that holds the apps needed.
            let (lo, hi) = (bounds[i], bounds[i + 1]);
            let frac = (next_cut - before) as f64 / c as f64;
            let span = (hi - lo).num_milliseconds() as f64;
            let at = lo + chrono::Duration::milliseconds((span * frac) as i64);
            if cuts.last().is_none_or(|l| *l < at) {
                cuts.push(at);
            }
            next_cut += per;
        }
        before += c;
    }
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut lo = None;
    for c in cuts {
        out.push(Range { lo, hi: Some(c) });
        lo = Some(c);
    }
    out.push(Range { lo, hi: None });
    out
}

/// Slice edges from `since` to a day after `now`, evenly in time.
fn slice_bounds(since: DateTime<Utc>, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let hi = now + chrono::Duration::days(1);
    let lo = since.min(hi - chrono::Duration::days(1));
    let step = (hi - lo) / SLICES as i32;
    (0..=SLICES).map(|i| lo + step * i as i32).collect()
}

/// Before any tenant existed: the ranges' lower edge when the tenant's creation is unknown.
fn directory_epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2010, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Ids seen so far in a scan (GUIDs as their value: 16 bytes each at 200,000 apps).
#[derive(Default)]
struct Seen {
    guids: HashSet<u128>,
    other: HashSet<String>,
}

impl Seen {
    /// True the first time `id` is offered.
    fn insert(&mut self, id: &str) -> bool {
        match uuid::Uuid::try_parse(id) {
            Ok(u) if id.len() == 36 => self.guids.insert(u.as_u128()),
            _ => self.other.insert(id.to_owned()),
        }
    }

    fn contains(&self, id: &str) -> bool {
        match uuid::Uuid::try_parse(id) {
            Ok(u) if id.len() == 36 => self.guids.contains(&u.as_u128()),
            _ => self.other.contains(id),
        }
    }
}

impl GraphClient {
    /// Every application in the tenant (not the owned ones: see `list_applications`), as
    /// fast as Graph allows: `createdDateTime` ranges paged `concurrency` at a time (planned
    /// from `$count` hints over time slices, fetched while the first page of a plain listing
    /// already comes back), the `createdDateTime eq null` remainder, duplicates dropped by id;
    /// with `track`, a delta link taken first and replayed last. Any 429 holds every cursor
    /// back (the client's gate) and halves the cursors running.
    pub fn scan_applications(
        &self,
        opts: &ScanOptions,
    ) -> BoxStream<'static, Result<ScanEvent, GraphError>> {
        let client = self.clone();
        let opts = opts.clone();
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<ScanEvent, GraphError>>(
            opts.concurrency.clamp(1, MAX_CONCURRENCY) * 2,
        );
        let task = tokio::spawn(async move {
            if let Err(e) = client.run_scan(&opts, &tx).await {
                let _ = tx.send(Err(e)).await;
            }
        });
        let guard = AbortOnDrop(task);
        stream::unfold((rx, guard), |(mut rx, guard)| async move {
            rx.recv().await.map(|item| (item, (rx, guard)))
        })
        .boxed()
    }

    async fn run_scan(
        &self,
        opts: &ScanOptions,
        tx: &tokio::sync::mpsc::Sender<Result<ScanEvent, GraphError>>,
    ) -> Result<(), GraphError> {
        let select = opts.select;
        let concurrency = opts.concurrency.clamp(1, MAX_CONCURRENCY);
        let seen = Mutex::new(Seen::default());
        let emit = |page: Page<AppRegistration>| {
            let mut seen = lock(&seen);
            let items: Vec<AppRegistration> = page
                .items
                .into_iter()
                .filter(|a| seen.insert(a.id.as_str()))
                .collect();
            ScanEvent::Apps {
                items,
                skipped: page.skipped,
            }
        };
        // The sync state comes first, so nothing changed during the scan is missed.
        let latest = async {
            if opts.track {
                // Every property the list shows, certificates included: their changes count.
                match self.delta_latest(super::client::APP_SELECT).await {
                    Ok(link) => Some(link),
                    Err(e) => {
                        tracing::info!(error = %e, "no delta link: the listing is not tracked");
                        None
                    }
                }
            } else {
                None
            }
        };
        let first_url = self.v1(&format!("applications?$select={select}&$top={MAX_TOP}"));
        let first = async {
            match first_url {
                Ok(u) => self.get_bytes("list applications", u).await,
                Err(e) => Err(e),
            }
        };
        let bounds = slice_bounds(opts.since.unwrap_or_else(directory_epoch), Utc::now());
        let counts = async {
            if concurrency == 1 {
                return None;
            }
            self.slice_counts(&bounds).await
        };
        // No app can escape the ranges but one without a creation time: those are asked for in
        // the same first round trip (an advanced query: the header goes with it).
        let nulls = async {
            if concurrency == 1 {
                return Ok(None);
            }
            let url = self.v1(&format!(
                "applications?$filter={}&$count=true&$select={select}&$top={MAX_TOP}",
                odata::encode("createdDateTime eq null")
            ))?;
            self.get_bytes("list applications", url).await.map(Some)
        };
        let (delta_link, first, counts, nulls) = tokio::join!(latest, first, counts, nulls);
        let first = first?;
        let (page, skipped) = decode_page::<AppRegistration>("list applications", &first)?;
        let more = page.next_link.clone();
        let head = Page {
            items: page.value,
            count: None,
            has_more: more.is_some(),
            skipped,
        };
        if tx.send(Ok(emit(head))).await.is_err() {
            return Ok(());
        }
        if let Some(next) = more {
            if concurrency == 1 {
                // Sequential: follow the plain listing's links.
                let url = self.next_url("list applications", &next);
                let mut pages = self.pages::<AppRegistration>("list applications", url);
                while let Some(p) = pages.next().await {
                    if tx.send(Ok(emit(p?))).await.is_err() {
                        return Ok(());
                    }
                }
            } else {
                if let Some(c) = &counts
                    && tx
                        .send(Ok(ScanEvent::Expected {
                            apps: c.iter().sum(),
                        }))
                        .await
                        .is_err()
                {
                    return Ok(());
                }
                let ranges = plan(&bounds, counts.as_deref(), concurrency);
                tracing::info!(
                    ranges = ranges.len(),
                    concurrency,
                    counted = counts.is_some(),
                    "listing applications by createdDateTime ranges"
                );
                let mut urls = Vec::with_capacity(ranges.len() + 1);
                if let Some(body) = nulls? {
                    let (page, skipped) =
                        decode_page::<AppRegistration>("list applications", &body)?;
                    if let Some(next) = &page.next_link {
                        urls.push(self.next_url("list applications", next)?);
                    }
                    let p = Page {
                        has_more: true,
                        count: None,
                        items: page.value,
                        skipped,
                    };
                    if tx.send(Ok(emit(p))).await.is_err() {
                        return Ok(());
                    }
                }
                for r in ranges {
                    let mut query = format!("$select={select}&$top={MAX_TOP}");
                    if let Some(f) = range_filter(r.lo, r.hi) {
                        query.push_str("&$filter=");
                        query.push_str(&odata::encode(&f));
                    }
                    urls.push(self.v1(&format!("applications?{query}"))?);
                }
                self.run_cursors(urls, concurrency, tx, &emit).await?;
            }
        }
        // What changed while the scan ran.
        let mut end_link = None;
        if let Some(link) = delta_link {
            let mut rounds = self.delta_changes(&link);
            while let Some(page) = rounds.next().await {
                let page = match page {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::info!(error = %e, "replaying the changes made during the listing failed");
                        end_link = None;
                        break;
                    }
                };
                let mut changes = page.changes;
                let mut fresh = Vec::new();
                {
                    let mut seen = lock(&seen);
                    changes.patches.retain(|p| {
                        if seen.contains(p.id.as_str()) {
                            return true;
                        }
                        // Created during the scan and not met by the ranges: a new app.
                        match p.to_registration() {
                            Some(a) => {
                                seen.insert(a.id.as_str());
                                fresh.push(a);
                                false
                            }
                            None => true,
                        }
                    });
                }
                if !fresh.is_empty()
                    && tx
                        .send(Ok(ScanEvent::Apps {
                            items: fresh,
                            skipped: 0,
                        }))
                        .await
                        .is_err()
                {
                    return Ok(());
                }
                if !changes.is_empty() && tx.send(Ok(ScanEvent::Changes(changes))).await.is_err() {
                    return Ok(());
                }
                if page.delta_link.is_some() {
                    end_link = page.delta_link;
                }
            }
        }
        let _ = tx
            .send(Ok(ScanEvent::Done {
                delta_link: end_link,
            }))
            .await;
        Ok(())
    }

    /// `$count` of each slice, all at once (hints: eventually consistent). `None` when Graph
    /// would not count (the ranges then follow the slices as they are).
    async fn slice_counts(&self, bounds: &[DateTime<Utc>]) -> Option<Vec<u64>> {
        let n = bounds.len().saturating_sub(1);
        let asks = (0..n).map(|i| {
            let lo = (i > 0).then(|| bounds[i]);
            let hi = (i + 1 < n).then(|| bounds[i + 1]);
            async move {
                self.count_applications(range_filter(lo, hi).as_deref())
                    .await
            }
        });
        let answers: Vec<Result<u64, GraphError>> =
            stream::iter(asks).buffered(SLICES).collect().await;
        let mut counts = Vec::with_capacity(n);
        for a in answers {
            match a {
                Ok(c) => counts.push(c),
                Err(e) => {
                    tracing::info!(error = %e, "counting applications failed; ranges not balanced");
                    return None;
                }
            }
        }
        Some(counts)
    }

    /// One cursor per first URL, `concurrency` at a time, each page sent as it arrives.
    async fn run_cursors(
        &self,
        firsts: Vec<Url>,
        concurrency: usize,
        tx: &tokio::sync::mpsc::Sender<Result<ScanEvent, GraphError>>,
        emit: &(dyn Fn(Page<AppRegistration>) -> ScanEvent + Sync),
    ) -> Result<(), GraphError> {
        let permits = Semaphore::new(concurrency);
        let running = AtomicUsize::new(concurrency);
        let gate = self.throttle_gate();
        let throttles_at_start = AtomicU64::new(gate.throttles());
        let cursors = firsts.into_iter().map(|first| {
            let (permits, running, throttles_at_start) = (&permits, &running, &throttles_at_start);
            async move {
                let mut url = Some(first);
                while let Some(u) = url.take() {
                    let permit = permits.acquire().await.map_err(|_| GraphError::Transport {
                        operation: "list applications",
                        detail: "the listing stopped".into(),
                    })?;
                    let body = self.get_bytes("list applications", u).await;
                    drop(permit);
                    // A 429 anywhere since the last look: run half as many cursors.
                    let now = gate.throttles();
                    let seen = throttles_at_start.swap(now, Ordering::SeqCst);
                    if now > seen {
                        let was = running.load(Ordering::SeqCst);
                        let half = (was / 2).max(1);
                        if half < was
                            && running
                                .compare_exchange(was, half, Ordering::SeqCst, Ordering::SeqCst)
                                .is_ok()
                        {
                            let gone = permits.forget_permits(was - half);
                            tracing::info!(
                                from = was,
                                to = was - gone,
                                "Graph throttled: fewer cursors"
                            );
                        }
                    }
                    let body = body?;
                    let (page, skipped) =
                        decode_page::<AppRegistration>("list applications", &body)?;
                    if let Some(next) = &page.next_link {
                        url = Some(self.next_url("list applications", next)?);
                    }
                    let p = Page {
                        has_more: url.is_some(),
                        count: None,
                        items: page.value,
                        skipped,
                    };
                    if tx.send(Ok(emit(p))).await.is_err() {
                        return Ok(());
                    }
                }
                Ok::<(), GraphError>(())
            }
        });
        let mut all = stream::iter(cursors).buffer_unordered(concurrency);
        while let Some(r) = all.next().await {
            r?;
        }
        Ok(())
    }

    /// `GET /applications/$count` with a `$filter` (an advanced query: the header is added).
    pub async fn count_applications(&self, filter: Option<&str>) -> Result<u64, GraphError> {
        const OP: &str = "count applications";
        let path = match filter {
            Some(f) => format!("applications/$count?$filter={}", odata::encode(f)),
            None => "applications/$count".to_owned(),
        };
        let body = self.get_bytes(OP, self.v1(&path)?).await?;
        std::str::from_utf8(&body)
            .ok()
            .and_then(|s| s.trim().trim_start_matches('\u{feff}').parse().ok())
            .ok_or_else(|| GraphError::Decode {
                operation: OP,
                detail: "the count is not a number".into(),
            })
    }

    /// `GET /applications/delta?$deltatoken=latest`: a link that starts from now.
    pub async fn delta_latest(&self, select: &str) -> Result<String, GraphError> {
        const OP: &str = "start tracking changes";
        let url = self.v1(&format!(
            "applications/delta?$select={select}&$deltatoken=latest"
        ))?;
        let body = self.get_bytes(OP, url).await?;
        let page: WireDeltaPage = super::client::decode_bytes(OP, &body)?;
        page.delta_link.ok_or_else(|| GraphError::Decode {
            operation: OP,
            detail: "no @odata.deltaLink in the reply".into(),
        })
    }

    /// Follow a delta link (and the round's nextLinks) to the next delta link: one page at a
    /// time, the last carrying the link to continue from. A link that ended (expired, reset)
    /// fails with an error whose [`GraphError::is_sync_reset`] is true.
    pub fn delta_changes(&self, link: &str) -> BoxStream<'static, Result<DeltaPage, GraphError>> {
        const OP: &str = "read what changed";
        let client = self.clone();
        let start = self.next_url(OP, link);
        stream::unfold(Some(start), move |state| {
            let client = client.clone();
            async move {
                let url = match state? {
                    Ok(u) => u,
                    Err(e) => return Some((Err(e), None)),
                };
                let body = match client.get_bytes(OP, url).await {
                    Ok(b) => b,
                    Err(e) => return Some((Err(e), None)),
                };
                let page: WireDeltaPage = match super::client::decode_bytes(OP, &body) {
                    Ok(p) => p,
                    Err(e) => return Some((Err(e), None)),
                };
                let next = match (&page.next_link, &page.delta_link) {
                    (Some(n), _) => Some(client.next_url(OP, n)),
                    (None, Some(_)) => None,
                    (None, None) => {
                        return Some((
                            Err(GraphError::Decode {
                                operation: OP,
                                detail: "a delta page with neither nextLink nor deltaLink".into(),
                            }),
                            None,
                        ));
                    }
                };
                let out = DeltaPage {
                    changes: read_changes(page.value),
                    delta_link: page.delta_link,
                };
                Some((Ok(out), next))
            }
        })
        .boxed()
    }

    /// Apps whose display name has every word of `text` as the start of one of its words
    /// (Graph's `$search`: token prefixes, any order, eventually consistent; docs/contract.md
    /// §8), at most `top`. Empty when `text` has no letter or digit to search for.
    pub async fn search_applications(
        &self,
        text: &str,
        top: u16,
    ) -> Result<Vec<AppRegistration>, GraphError> {
        let Some(clause) = odata::search_display_name(text) else {
            return Ok(Vec::new());
        };
        let url = self.v1(&format!(
            "applications?$search={}&$select={LIST_SELECT}&$top={}",
            odata::encode(&clause),
            top.clamp(1, MAX_TOP)
        ))?;
        let body = self.get_bytes("search applications", url).await?;
        let (page, _) = decode_page::<AppRegistration>("search applications", &body)?;
        Ok(page.value)
    }

    /// Every app Graph's `$search` finds for `text` (see [`Self::search_applications`]), all
    /// pages, with certificates (`$select` as [`super::client::APP_SELECT`]).
    pub fn search_all(
        &self,
        text: &str,
    ) -> BoxStream<'static, Result<Page<AppRegistration>, GraphError>> {
        match odata::search_display_name(text) {
            None => stream::empty().boxed(),
            Some(clause) => self.pages(
                "search applications",
                self.v1(&format!(
                    "applications?$search={}&$select={}&$top={MAX_TOP}",
                    odata::encode(&clause),
                    super::client::APP_SELECT
                )),
            ),
        }
    }

    /// The certificates of every app ([`CERT_SELECT`]), page by page: paced under Graph's 150
    /// listings a minute per tenant, sequentially (they cannot go faster than the pace).
    pub fn list_certificates(
        &self,
    ) -> BoxStream<'static, Result<Page<CertificatesOf>, GraphError>> {
        self.pages(
            "list certificates",
            self.v1(&format!(
                "applications?$select={CERT_SELECT}&$top={MAX_TOP}"
            )),
        )
    }
}

/// An app's certificates, from the certificates pass.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificatesOf {
    pub id: ObjectId,
    #[serde(default)]
    pub key_credentials: Vec<Certificate>,
}

fn read_changes(value: Vec<serde_json::Value>) -> Changes {
    let mut out = Changes::default();
    for v in value {
        let removed = v.get("@removed").is_some();
        if removed {
            match v.get("id").and_then(|i| i.as_str()) {
                Some(id) => out.removed.push(ObjectId::new(id)),
                None => out.skipped += 1,
            }
            continue;
        }
        match serde_json::from_value::<AppPatch>(v) {
            Ok(p) => out.patches.push(p),
            Err(e) => {
                out.skipped += 1;
                tracing::warn!(error = %crate::sanitize::clean(&e.to_string()), "skipped a change that cannot be read");
            }
        }
    }
    out
}

/// Aborts the scan's task when its stream is dropped (a newer listing replaced it).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn ranges_cover_everything_and_balance_by_count() {
        let bounds: Vec<DateTime<Utc>> = (0..=4)
            .map(|i| at("2020-01-01T00:00:00Z") + chrono::Duration::days(100 * i))
            .collect();
        let contiguous = |r: &[Range]| {
            assert_eq!(r[0].lo, None);
            assert_eq!(r.last().unwrap().hi, None);
            for w in r.windows(2) {
                assert_eq!(w[0].hi, w[1].lo, "contiguous: {r:?}");
            }
        };
        // No counts: one range per slice, first and last open.
        let r = plan(&bounds, None, 4);
        assert_eq!(r.len(), 4);
        contiguous(&r);
        // Few apps: one range for everything.
        let r = plan(&bounds, Some(&[10, 0, 5, 3]), 4);
        assert_eq!(r, vec![Range { lo: None, hi: None }]);
        // One range per cursor, cut inside the crowded slice.
        let r = plan(&bounds, Some(&[1_000, 1_000, 40_000, 1_000]), 4);
        assert_eq!(r.len(), 4, "{r:?}");
        contiguous(&r);
        let cuts: Vec<DateTime<Utc>> = r.iter().filter_map(|x| x.hi).collect();
        assert!(
            cuts.iter().all(|c| *c > bounds[2] && *c < bounds[3]),
            "{cuts:?}"
        );
        // Ranges are never under two pages each.
        assert_eq!(plan(&bounds, Some(&[1_500, 0, 1_500, 0]), 8).len(), 2);
    }

    #[test]
    fn filters_and_headers() {
        let f = range_filter(Some(at("2024-01-01T00:00:00Z")), None).unwrap();
        assert_eq!(f, "createdDateTime ge 2024-01-01T00:00:00Z");
        let u =
            Url::parse("https://g/v1.0/applications?$search=%22displayName%3Aa%26b%22").unwrap();
        assert!(needs_eventual(&u) && search_has_ampersand(&u));
        let u = Url::parse("https://g/v1.0/applications/$count?$filter=x").unwrap();
        assert!(needs_eventual(&u));
        let u =
            Url::parse("https://g/v1.0/applications?$select=id,keyCredentials&$top=999").unwrap();
        assert!(!needs_eventual(&u) && is_key_credentials_listing(&u));
        let u = Url::parse("https://g/v1.0/applications/x?$select=id,keyCredentials").unwrap();
        assert!(!is_key_credentials_listing(&u));
    }

    #[test]
    fn patches_replace_what_they_carry() {
        let mut app: AppRegistration = serde_json::from_value(serde_json::json!({
            "id": "i", "appId": "a", "displayName": "old",
            "passwordCredentials": [{"keyId": "k1"}]
        }))
        .unwrap();
        let p: AppPatch = serde_json::from_value(serde_json::json!({
            "id": "i", "passwordCredentials": []
        }))
        .unwrap();
        p.apply(&mut app);
        assert_eq!(app.display_name, "old");
        assert!(app.password_credentials.is_empty());
        assert!(p.to_registration().is_none(), "partial");
        let c = read_changes(vec![
            serde_json::json!({"id": "x", "@removed": {"reason": "changed"}}),
            serde_json::json!({"id": "y", "appId": "b", "displayName": "new"}),
        ]);
        assert_eq!(c.removed, vec![ObjectId::new("x")]);
        assert_eq!(c.patches[0].to_registration().unwrap().display_name, "new");
    }
}
