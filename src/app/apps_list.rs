//! The app registrations list: compact rows ([`AppRow`]) as they stream in, come from the
//! warm-start cache, from Graph's search or from a delta round, and a view (indices) filtered
//! and sorted.
//!
//! Rows are never copied into per-row widgets. Both sort orders are kept up to date as rows
//! arrive (a page costs its own sort plus one linear merge per order), so switching the sort
//! is a re-rank, not a sort of 200,000 names; a keystroke matches names ([`crate::fuzzy`]),
//! narrowing the previous hits when the query only grew, and orders hits by score and rank in
//! linear time. A refresh updates rows in place and removes, when it ends, the rows it did not
//! see, so a list is never held twice.
//!
//! While a filter is active the selection sits on the best-ranked hit, unless the user moved
//! it since the query last changed.

use chrono::{DateTime, Utc};

use crate::catalog::{AppRow, IdStr, Origin, RowId};
use crate::fuzzy::{self, Haystacks};
use crate::graph::listing::AppPatch;
use crate::graph::{AppRegistration, Certificate, ObjectId, is_guid};

use super::loadable::ErrorInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    NextExpiry,
}

impl SortKey {
    pub fn next(self) -> Self {
        match self {
            SortKey::Name => SortKey::NextExpiry,
            SortKey::NextExpiry => SortKey::Name,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::NextExpiry => "next expiry",
        }
    }
}

/// How the list is being loaded.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ListLoad {
    #[default]
    Idle,
    /// `received` counts rows of this load.
    Loading {
        request: u64,
        received: usize,
    },
    Loaded,
    Failed(ErrorInfo),
}

/// A batch of a listing or a delta round, as the runner hands it over (rows already compact).
#[derive(Debug, Default)]
pub struct Chunk {
    pub rows: Vec<AppRow>,
    /// Updates that carry only what changed.
    pub patches: Vec<AppPatch>,
    pub removed: Vec<ObjectId>,
    /// Records Graph sent that could not be read.
    pub skipped: usize,
    /// The load ends with this chunk.
    pub done: bool,
    /// With `done`: where the next delta round starts.
    pub delta_link: Option<String>,
    /// How many apps the load expects in all (Graph's count: a hint for reserving room).
    pub expect: Option<usize>,
}

/// The most rows room is reserved for ahead (a count is only a hint, and may be hostile).
const RESERVE_AT_MOST: usize = 2_000_000;

/// What rows sort by, computed once per row (no allocation while sorting 200,000 rows).
#[derive(Clone, Debug, Default)]
struct RowKey {
    /// The lowercase name's first sixteen bytes, big-endian: most comparisons end here
    /// (names that share a company prefix still differ within sixteen).
    prefix: u128,
    /// The lowercase name when it differs from the display name.
    lower: Option<Box<str>>,
    /// Next expiry in Unix seconds (`i64::MAX` for none: last).
    next: i64,
    /// Relevance for the current filter (set while matching; read only while filtering).
    score: u16,
    live: bool,
}

impl RowKey {
    fn of(a: &AppRow) -> Self {
        let name = &a.display_name;
        let lower = if name.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
            let l = name.to_lowercase();
            (*l != **name).then(|| l.into_boxed_str())
        } else {
            None
        };
        let text = lower.as_deref().unwrap_or(name);
        let mut p = [0u8; 16];
        for (d, s) in p.iter_mut().zip(text.bytes()) {
            *d = s;
        }
        Self {
            prefix: u128::from_be_bytes(p),
            lower,
            next: a.next_expiry().map_or(i64::MAX, |d| d.timestamp()),
            score: 0,
            live: true,
        }
    }

    fn same_order(&self, other: &RowKey, a: &AppRow, b: &AppRow) -> bool {
        self.next == other.next && self.prefix == other.prefix && a.display_name == b.display_name
    }
}

/// An id as the index compares it: a GUID by value (any case), anything else as text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum IdKey<'a> {
    Guid(u128),
    Text(&'a str),
}

impl<'a> IdKey<'a> {
    fn of_str(id: &'a str) -> Self {
        match crate::ids::parse_guid(id) {
            Some(u) => IdKey::Guid(u.as_u128()),
            None => IdKey::Text(id),
        }
    }

    fn of(id: &'a RowId) -> Self {
        match id {
            RowId::Guid(b) => IdKey::Guid(u128::from_be_bytes(*b)),
            RowId::Text(t) => Self::of_str(t),
        }
    }
}

/// Object ID to row: row numbers only (the ids stay in the rows), hashed with a per-process
/// seed (ids come from the server).
#[derive(Default)]
struct IdIndex {
    table: hashbrown::HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl std::fmt::Debug for IdIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdIndex({} ids)", self.table.len())
    }
}

/// Whether row `i` of `rows` has id `k`.
fn has_id<'r>(rows: &'r [AppRow], k: IdKey<'r>) -> impl Fn(&u32) -> bool + 'r {
    move |&i| rows.get(i as usize).is_some_and(|r| IdKey::of(&r.id) == k)
}

/// The hash of row `i`'s id (what the table rehashes by as it grows).
fn row_hash<'r>(
    hasher: &'r hashbrown::DefaultHashBuilder,
    rows: &'r [AppRow],
) -> impl Fn(&u32) -> u64 + 'r {
    use std::hash::BuildHasher;
    move |&i| {
        rows.get(i as usize)
            .map_or(0, |r| hasher.hash_one(IdKey::of(&r.id)))
    }
}

impl IdIndex {
    /// Every row of `rows` by its id.
    fn of(rows: &[AppRow]) -> Self {
        let mut index = IdIndex::default();
        index.reserve(rows, rows.len());
        for i in 0..rows.len() {
            index.insert(rows, i as u32);
        }
        index
    }

    fn hash(&self, k: IdKey<'_>) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(k)
    }

    fn find(&self, rows: &[AppRow], k: IdKey<'_>) -> Option<u32> {
        self.table.find(self.hash(k), has_id(rows, k)).copied()
    }

    fn get(&self, rows: &[AppRow], id: &str) -> Option<u32> {
        self.find(rows, IdKey::of_str(id))
    }

    fn get_id(&self, rows: &[AppRow], id: &RowId) -> Option<u32> {
        self.find(rows, IdKey::of(id))
    }

    fn reserve(&mut self, rows: &[AppRow], more: usize) {
        self.table.reserve(more, row_hash(&self.hasher, rows));
    }

    /// Row `row` (already in `rows`) is where its id is from now on.
    fn insert(&mut self, rows: &[AppRow], row: u32) {
        let Some(r) = rows.get(row as usize) else {
            return;
        };
        let k = IdKey::of(&r.id);
        let hash = self.hash(k);
        match self
            .table
            .entry(hash, has_id(rows, k), row_hash(&self.hasher, rows))
        {
            hashbrown::hash_table::Entry::Occupied(mut o) => *o.get_mut() = row,
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(row);
            }
        }
    }

    fn remove(&mut self, rows: &[AppRow], id: &RowId) {
        let k = IdKey::of(id);
        if let Ok(o) = self.table.find_entry(self.hash(k), has_id(rows, k)) {
            o.remove();
        }
    }
}

#[derive(Debug, Default)]
pub struct AppList {
    /// Every row; a removed one stays (not live) until the load ends.
    pub rows: Vec<AppRow>,
    /// Sort keys, parallel to `rows`.
    keys: Vec<RowKey>,
    index: IdIndex,
    /// Removed rows still in `rows`.
    dead: usize,
    pub load: ListLoad,
    /// Records of the current load that Graph sent unreadable and were left out.
    pub skipped: usize,
    /// Indices into `rows`, filtered and sorted.
    pub view: Vec<u32>,
    pub selected: usize,
    /// First visible row; the model moves it so the selection stays visible.
    pub offset: usize,
    /// The user moved the selection since the query last changed: keep their row.
    pinned: bool,
    last_query: String,
    /// Rows matching `last_query`, in row order (the base for an extended query).
    last_hits: Vec<u32>,
    /// Live rows by name, and by next expiry then name.
    by_name: Vec<u32>,
    by_expiry: Vec<u32>,
    /// Each row's position in the order of `rank_sort` (rebuilt only when a filter needs it:
    /// `rank_valid`).
    rank: Vec<u32>,
    rank_sort: SortKey,
    rank_valid: bool,
    /// A refresh in place: rows it has not seen yet are removed when it ends.
    unseen: Option<Vec<bool>>,
    /// The rows came from the warm-start cache (saved then) and no load has confirmed them.
    pub cached: Option<DateTime<Utc>>,
    /// Where the next delta round starts (the last complete load's link).
    pub delta_link: Option<String>,
    /// Rows changed since the cache was last written.
    pub dirty: bool,
    /// Stamps (unique across lists): any change to rows or view, and any change other than
    /// rows added at the end (what views over the rows, like the Expiring tab, rebuild on).
    pub generation: u64,
    pub reshaped: u64,
    /// Stamp of what row indices mean: a new one when rows are compacted, the list is filled
    /// from the cache or starts streaming empty (0: a list never loaded).
    pub layout: u64,
}

/// A fresh stamp for [`AppList::generation`] and [`AppList::reshaped`].
fn stamp() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl AppList {
    pub fn is_loading(&self) -> bool {
        matches!(self.load, ListLoad::Loading { .. })
    }

    /// Rows in the list (removed ones not counted).
    pub fn len(&self) -> usize {
        self.rows.len() - self.dead
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `i` is in the list (not removed).
    pub fn is_live(&self, i: usize) -> bool {
        self.keys.get(i).is_some_and(|k| k.live)
    }

    /// Live rows, in row order.
    pub fn live_rows(&self) -> impl ExactSizeIterator<Item = &AppRow> {
        LiveRows {
            rows: self.rows.iter(),
            keys: self.keys.iter(),
            left: self.len(),
        }
    }

    /// The live rows in name order: what the warm-start cache saves, so that the next start's
    /// sort by name finds them in order already (one linear pass instead of a full sort).
    pub fn rows_by_name(&self) -> impl ExactSizeIterator<Item = &AppRow> {
        self.by_name.iter().map(|&i| &self.rows[i as usize])
    }

    /// The live rows' indices in name order (what [`Self::rows_by_name`] walks).
    pub fn name_order(&self) -> &[u32] {
        &self.by_name
    }

    pub fn selected_app(&self) -> Option<&AppRow> {
        self.view
            .get(self.selected)
            .and_then(|&i| self.rows.get(i as usize))
    }

    /// Room for `total` rows at once: a list that grows by doubling copies itself, and at
    /// 200,000 rows the old copy stays in the process's memory beside the new one.
    fn reserve(&mut self, total: usize) {
        let more = total.min(RESERVE_AT_MOST).saturating_sub(self.rows.len());
        if more > 0 && self.rows.capacity() < self.rows.len() + more {
            self.rows.reserve_exact(more);
            self.keys.reserve_exact(more);
            self.index.reserve(&self.rows, more);
        }
    }

    /// A load starts: streamed straight in when the list is empty, else a refresh in place.
    pub fn start_load(&mut self, request: u64) {
        self.load = ListLoad::Loading {
            request,
            received: 0,
        };
        self.skipped = 0;
        self.unseen = (!self.rows.is_empty()).then(|| self.keys.iter().map(|k| k.live).collect());
        if self.rows.is_empty() {
            self.layout = stamp();
        }
    }

    /// A delta round starts: rows it does not mention stay.
    pub fn start_patch(&mut self, request: u64) {
        self.load = ListLoad::Loading {
            request,
            received: 0,
        };
        self.skipped = 0;
        self.unseen = None;
    }

    fn current(&mut self, request: u64) -> Option<&mut usize> {
        match &mut self.load {
            ListLoad::Loading {
                request: r,
                received,
            } if *r == request => Some(received),
            _ => None,
        }
    }

    /// Take a page of Graph's apps (with their certificates); false when it belongs to a
    /// stale request.
    pub fn take_page(
        &mut self,
        request: u64,
        items: Vec<AppRegistration>,
        has_more: bool,
        query: &str,
        sort: SortKey,
    ) -> bool {
        let rows = items
            .iter()
            .map(|a| AppRow::from_registration(a, true))
            .collect();
        self.take_chunk(
            request,
            Chunk {
                rows,
                done: !has_more,
                ..Chunk::default()
            },
            query,
            sort,
        )
    }

    /// Take a chunk of the current load; false when it belongs to a stale request.
    pub fn take_chunk(&mut self, request: u64, chunk: Chunk, query: &str, sort: SortKey) -> bool {
        let n = chunk.rows.len() + chunk.patches.len();
        match self.current(request) {
            Some(received) => *received += n,
            None => return false,
        }
        self.skipped += chunk.skipped;
        if let Some(n) = chunk.expect {
            self.reserve(n);
        }
        let mut touched = Touched::default();
        for row in chunk.rows {
            self.put(row, &mut touched);
        }
        for p in &chunk.patches {
            self.patch(p, &mut touched);
        }
        for id in &chunk.removed {
            if let Some(i) = self.index.get(&self.rows, id.as_str()) {
                self.kill(i, &mut touched);
            }
        }
        if chunk.done {
            // The end of a refresh: what it did not see is gone from the tenant.
            if let Some(unseen) = self.unseen.take() {
                for (i, u) in unseen.into_iter().enumerate() {
                    if u {
                        self.kill(i as u32, &mut touched);
                    }
                }
            }
            self.load = ListLoad::Loaded;
            self.cached = None;
            self.delta_link = chunk.delta_link;
            self.dirty = true;
        }
        self.integrate(touched, query, sort);
        if chunk.done && self.dead > 0 {
            self.compact();
        }
        true
    }

    /// Rows from the warm-start cache, shown at once (the list must be empty or idle).
    pub fn load_cached(
        &mut self,
        rows: Vec<AppRow>,
        saved_at: Option<DateTime<Utc>>,
        delta_link: Option<String>,
        expiry_order: Vec<u32>,
        query: &str,
        sort: SortKey,
    ) {
        *self = AppList::default();
        self.reshaped = stamp();
        self.layout = stamp();
        self.keys = rows.iter().map(RowKey::of).collect();
        self.rows = rows;
        self.index = IdIndex::of(&self.rows);
        self.cached = Some(saved_at.unwrap_or_default());
        self.delta_link = delta_link;
        self.load = ListLoad::Loaded;
        self.rebuild_orders_with(expiry_order);
        self.last_query = String::from("\u{0}");
        self.refilter(query, sort, true);
    }

    /// Insert or replace `row` (matched by Object ID).
    fn put(&mut self, row: AppRow, touched: &mut Touched) {
        let key = RowKey::of(&row);
        match self.index.get_id(&self.rows, &row.id) {
            Some(i) if self.keys.get(i as usize).is_some_and(|k| k.live) => {
                let iu = i as usize;
                if let Some(u) = self.unseen.as_mut().and_then(|u| u.get_mut(iu)) {
                    *u = false;
                }
                let same = self.keys[iu].same_order(&key, &self.rows[iu], &row);
                // A searched row that the listing reaches becomes a listed one.
                self.rows[iu] = row;
                if !same {
                    self.keys[iu] = key;
                    touched.changed.push(i);
                }
            }
            _ => {
                let i = self.rows.len() as u32;
                self.rows.push(row);
                self.index.insert(&self.rows, i);
                self.keys.push(key);
                if let Some(u) = self.unseen.as_mut() {
                    u.push(false);
                }
                touched.added.push(i);
            }
        }
    }

    fn patch(&mut self, p: &AppPatch, touched: &mut Touched) {
        match self.index.get(&self.rows, p.id.as_str()) {
            Some(i) if self.keys.get(i as usize).is_some_and(|k| k.live) => {
                let iu = i as usize;
                self.rows[iu].apply(p);
                let key = RowKey::of(&self.rows[iu]);
                if !(key.next == self.keys[iu].next && key.prefix == self.keys[iu].prefix)
                    || p.display_name.is_some()
                {
                    self.keys[iu] = key;
                    touched.changed.push(i);
                }
            }
            _ => {
                if let Some(row) = AppRow::from_patch(p, p.key_credentials.is_some()) {
                    self.put(row, touched);
                }
            }
        }
    }

    fn kill(&mut self, i: u32, touched: &mut Touched) {
        let iu = i as usize;
        let Some(k) = self.keys.get_mut(iu) else {
            return;
        };
        if !k.live {
            return;
        }
        k.live = false;
        self.dead += 1;
        if let Some(r) = self.rows.get(iu) {
            self.index.remove(&self.rows, &r.id);
        }
        touched.dead.push(i);
    }

    /// Bring orders, ranks and the view up to date after rows were added, changed or removed.
    fn integrate(&mut self, t: Touched, query: &str, sort: SortKey) {
        if t.added.is_empty() && t.changed.is_empty() && t.dead.is_empty() {
            return;
        }
        self.dirty = true;
        self.generation = stamp();
        if !t.changed.is_empty() || !t.dead.is_empty() {
            self.reshaped = stamp();
        }
        let keep = self.view.get(self.selected).copied();
        let moved: Vec<u32> = t.changed.iter().chain(&t.dead).copied().collect();
        if !moved.is_empty() {
            let mut out = vec![false; self.rows.len()];
            for &i in &moved {
                out[i as usize] = true;
            }
            self.by_name.retain(|&i| !out[i as usize]);
            self.by_expiry.retain(|&i| !out[i as usize]);
        }
        let mut fresh: Vec<u32> = t
            .added
            .iter()
            .chain(&t.changed)
            .copied()
            .filter(|&i| self.keys[i as usize].live)
            .collect();
        fresh.sort_unstable();
        fresh.dedup();
        for sort_by in [SortKey::Name, SortKey::NextExpiry] {
            let mut add = fresh.clone();
            let (rows, keys) = (&self.rows, &self.keys);
            add.sort_unstable_by(|&a, &b| order(rows, keys, sort_by, a, b));
            let old = match sort_by {
                SortKey::Name => std::mem::take(&mut self.by_name),
                SortKey::NextExpiry => std::mem::take(&mut self.by_expiry),
            };
            let merged = merge_sorted(&old, &add, |a, b| order(rows, keys, sort_by, a, b).is_le());
            match sort_by {
                SortKey::Name => self.by_name = merged,
                SortKey::NextExpiry => self.by_expiry = merged,
            }
        }
        self.rerank(sort);
        let q = query.trim();
        if q.is_empty() || q != self.last_query {
            return self.refilter(query, sort, true);
        }
        if moved.is_empty() {
            // Only new rows: match them alone and merge their hits into the view.
            let mut hits = self.match_rows(&t.added, q);
            self.ensure_rank();
            self.last_hits.extend(&hits);
            let (keys, rank) = (&self.keys, &self.rank);
            let by = |i: u32| (std::cmp::Reverse(keys[i as usize].score), rank[i as usize]);
            hits.sort_unstable_by_key(|&i| by(i));
            let old = std::mem::take(&mut self.view);
            self.view = merge_sorted(&old, &hits, |a, b| by(a) <= by(b));
            self.settle_selection(keep, true);
            self.generation = stamp();
        } else {
            self.refilter(query, sort, true);
        }
    }

    /// Remove the rows that are no longer live, renumbering the rest.
    fn compact(&mut self) {
        self.layout = stamp();
        let mut map = vec![u32::MAX; self.rows.len()];
        let mut n = 0u32;
        for (i, k) in self.keys.iter().enumerate() {
            if k.live {
                map[i] = n;
                n += 1;
            }
        }
        let mut i = 0;
        self.rows.retain(|_| {
            let keep = map[i] != u32::MAX;
            i += 1;
            keep
        });
        self.keys.retain(|k| k.live);
        let remap = |v: &mut Vec<u32>| {
            v.retain(|&x| map[x as usize] != u32::MAX);
            for x in v.iter_mut() {
                *x = map[*x as usize];
            }
        };
        remap(&mut self.by_name);
        remap(&mut self.by_expiry);
        remap(&mut self.view);
        remap(&mut self.last_hits);
        self.index = IdIndex::of(&self.rows);
        self.dead = 0;
        self.reshaped = stamp();
        self.generation = stamp();
        self.rerank(self.rank_sort);
        self.selected = self.selected.min(self.view.len().saturating_sub(1));
    }

    pub fn fail(&mut self, request: u64, error: ErrorInfo) -> bool {
        if self.current(request).is_none() {
            return false;
        }
        self.unseen = None;
        self.load = ListLoad::Failed(error);
        true
    }

    /// Put `app` in the list (replacing the row with the same Object ID).
    pub fn upsert(&mut self, app: AppRegistration, query: &str, sort: SortKey) {
        self.upsert_row(AppRow::from_registration(&app, true), query, sort);
    }

    /// [`Self::upsert`] for a compact row (a search hit keeps its origin).
    pub fn upsert_row(&mut self, row: AppRow, query: &str, sort: SortKey) {
        let mut touched = Touched::default();
        // A listed row is never downgraded to a search hit.
        let row = match (row.origin, self.index.get_id(&self.rows, &row.id)) {
            (Origin::Searched, Some(_)) => return,
            _ => row,
        };
        self.put(row, &mut touched);
        self.integrate(touched, query, sort);
    }

    /// Change the row of `id` as Graph's app (a secret added or removed on the App screen).
    pub fn update_row(&mut self, id: &ObjectId, f: impl FnOnce(&mut AppRegistration)) {
        let Some(i) = self.index.get(&self.rows, id.as_str()) else {
            return;
        };
        let Some(row) = self.rows.get(i as usize) else {
            return;
        };
        let certificates = row.key_credentials.is_some();
        let mut app = row.to_registration();
        f(&mut app);
        let mut new = AppRow::from_registration(&app, certificates);
        if !certificates {
            new.key_credentials = None;
        }
        let query = self.last_query.clone();
        let sort = self.rank_sort;
        let mut touched = Touched::default();
        self.put(new, &mut touched);
        self.integrate(touched, &query, sort);
    }

    /// Certificates from the paced pass, for the rows they name.
    pub fn set_certificates(
        &mut self,
        certs: impl IntoIterator<Item = (ObjectId, Vec<Certificate>)>,
        query: &str,
        sort: SortKey,
    ) {
        let mut touched = Touched::default();
        for (id, c) in certs {
            let p = AppPatch {
                id,
                key_credentials: Some(c),
                ..AppPatch::default()
            };
            if self.index.get(&self.rows, p.id.as_str()).is_some() {
                self.patch(&p, &mut touched);
            }
        }
        self.integrate(touched, query, sort);
    }

    /// Whether every row's certificates are known.
    pub fn certificates_known(&self) -> bool {
        self.live_rows().all(|r| r.key_credentials.is_some())
    }

    pub fn contains_id(&self, guid: &str) -> bool {
        if self.index.get(&self.rows, guid).is_some() {
            return true;
        }
        self.live_rows().any(|a| {
            a.app_id.as_str().eq_ignore_ascii_case(guid) || a.id.as_str().eq_ignore_ascii_case(guid)
        })
    }

    /// The row of an Object ID.
    pub fn row_of(&self, id: &str) -> Option<&AppRow> {
        self.index
            .get(&self.rows, id)
            .and_then(|i| self.rows.get(i as usize))
    }

    /// Rebuild the view for `query`. `rows_changed` forces a full match (no narrowing).
    pub fn refilter(&mut self, query: &str, sort: SortKey, rows_changed: bool) {
        let keep = self.view.get(self.selected).copied();
        let q = query.trim();
        let query_changed = q != self.last_query;
        if query_changed {
            self.pinned = false;
        }
        if self.rank_sort != sort {
            self.rerank(sort);
        }
        if q.is_empty() {
            self.last_hits = self.live_indices();
            self.view = self.order(sort).clone();
        } else {
            // Id matching starts at four hex characters, so an id-like query can gain hits
            // its prefix did not have: always match those in full.
            let narrowing = !rows_changed
                && !self.last_query.is_empty()
                && q.starts_with(self.last_query.as_str())
                && fuzzy::plain_query(&self.last_query)
                && !fuzzy::idish(q);
            let base: Vec<u32> = if narrowing {
                std::mem::take(&mut self.last_hits)
            } else {
                self.live_indices()
            };
            let hits = self.match_rows(&base, q);
            self.view = rank_hits(self.order(sort), &self.keys, &hits);
            self.last_hits = hits;
        }
        self.last_query = q.to_owned();
        self.settle_selection(keep, !q.is_empty());
        self.generation = stamp();
    }

    /// The same hits in another order (`s`): a re-rank, nothing is matched again.
    pub fn resort(&mut self, query: &str, sort: SortKey) {
        let keep = self.view.get(self.selected).copied();
        self.rerank(sort);
        if query.trim().is_empty() || query.trim() != self.last_query {
            self.last_query = String::from("\u{0}");
            return self.refilter(query, sort, true);
        }
        self.view = rank_hits(self.order(sort), &self.keys, &self.last_hits);
        self.reselect(keep);
        self.generation = stamp();
    }

    /// The selection after the view changed: the best hit while filtering (unless the user
    /// moved it), else the row that was selected.
    fn settle_selection(&mut self, keep: Option<u32>, filtering: bool) {
        if filtering && !self.pinned {
            self.selected = 0;
        } else {
            self.reselect(keep);
        }
    }

    fn live_indices(&self) -> Vec<u32> {
        (0..self.rows.len() as u32)
            .filter(|&i| self.keys[i as usize].live)
            .collect()
    }

    fn order(&self, sort: SortKey) -> &Vec<u32> {
        match sort {
            SortKey::Name => &self.by_name,
            SortKey::NextExpiry => &self.by_expiry,
        }
    }

    /// Match `base` (row order) against `q`: the hits, in row order, with their scores set.
    fn match_rows(&mut self, base: &[u32], q: &str) -> Vec<u32> {
        let live: Vec<u32> = base
            .iter()
            .copied()
            .filter(|&i| self.keys.get(i as usize).is_some_and(|k| k.live))
            .collect();
        let found = fuzzy::matches(
            q,
            &RowView {
                rows: &self.rows,
                keys: &self.keys,
                base: &live,
            },
        );
        let mut hits = Vec::with_capacity(found.len());
        for (pos, score) in found {
            if let Some(&i) = live.get(pos as usize) {
                self.keys[i as usize].score = score;
                hits.push(i);
            }
        }
        hits
    }

    /// Both orders from scratch; `expiry_hint` is an order by expiry to take when it is the
    /// order (the one the cache saved: checked in one pass, else sorted).
    fn rebuild_orders_with(&mut self, expiry_hint: Vec<u32>) {
        let live = self.live_indices();
        let (rows, keys) = (&self.rows, &self.keys);
        let mut by_name = live;
        // Rows from the cache are in name order already: one pass.
        by_name.sort_unstable_by(|&a, &b| order(rows, keys, SortKey::Name, a, b));
        let pos = positions(&by_name, rows.len());
        // By expiry, then name. Every live row once: strictly increasing over as many rows.
        let key = |i: u32| (keys[i as usize].next, pos[i as usize]);
        let hint_holds = expiry_hint.len() == by_name.len()
            && expiry_hint
                .iter()
                .all(|&i| keys.get(i as usize).is_some_and(|k| k.live))
            && expiry_hint.windows(2).all(|w| key(w[0]) < key(w[1]));
        let by_expiry = if hint_holds {
            expiry_hint
        } else {
            // Packed into one integer each, sorted without looking anything up.
            let mut packed: Vec<u128> = by_name
                .iter()
                .map(|&i| {
                    let next = (i128::from(keys[i as usize].next) - i128::from(i64::MIN)) as u128;
                    (next << 32) | u128::from(pos[i as usize])
                })
                .collect();
            packed.sort_unstable();
            packed
                .iter()
                .map(|p| by_name[(p & u128::from(u32::MAX)) as usize])
                .collect()
        };
        self.by_name = by_name;
        self.by_expiry = by_expiry;
    }

    /// The live rows by next expiry as places in [`Self::name_order`] (what the cache saves
    /// beside the rows it writes in name order).
    pub fn expiry_places(&self) -> Vec<u32> {
        let pos = positions(&self.by_name, self.rows.len());
        self.by_expiry.iter().map(|&i| pos[i as usize]).collect()
    }

    /// The ranks are out of date (orders changed, or another sort was chosen).
    fn rerank(&mut self, sort: SortKey) {
        self.rank_sort = sort;
        self.rank_valid = false;
    }

    fn ensure_rank(&mut self) {
        if !self.rank_valid || self.rank.len() != self.rows.len() {
            self.rank = positions(self.order(self.rank_sort), self.rows.len());
            self.rank_valid = true;
        }
    }

    /// Keep the same row selected after the view changed.
    fn reselect(&mut self, keep: Option<u32>) {
        self.selected = keep
            .and_then(|row| self.view.iter().position(|&i| i == row))
            .unwrap_or(0)
            .min(self.view.len().saturating_sub(1));
    }

    pub fn move_by(&mut self, delta: isize) {
        self.pinned = true;
        if self.view.is_empty() {
            self.selected = 0;
            return;
        }
        let last = self.view.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn select_first(&mut self) {
        self.pinned = true;
        self.selected = 0;
    }

    pub fn select_last(&mut self) {
        self.pinned = true;
        self.selected = self.view.len().saturating_sub(1);
    }

    /// Keep the selection inside a window of `rows`.
    pub fn scroll(&mut self, rows: usize) {
        self.offset = super::scroll::follow(self.offset, self.selected, rows, self.view.len());
    }
}

/// The rows of `base` as the matcher reads them.
struct RowView<'a> {
    rows: &'a [AppRow],
    keys: &'a [RowKey],
    base: &'a [u32],
}

impl RowView<'_> {
    fn row(&self, i: usize) -> (&AppRow, &RowKey) {
        let r = self.base[i] as usize;
        (&self.rows[r], &self.keys[r])
    }
}

impl Haystacks for RowView<'_> {
    fn len(&self) -> usize {
        self.base.len()
    }
    fn name(&self, i: usize) -> &str {
        &self.row(i).0.display_name
    }
    fn lower(&self, i: usize) -> &str {
        let (r, k) = self.row(i);
        k.lower.as_deref().unwrap_or(&r.display_name)
    }
    fn app_id(&self, i: usize) -> IdStr<'_> {
        self.row(i).0.app_id.as_str()
    }
    fn object_id(&self, i: usize) -> IdStr<'_> {
        self.row(i).0.id.as_str()
    }
}

/// Rows a chunk touched.
#[derive(Default)]
struct Touched {
    added: Vec<u32>,
    /// Live rows whose sort keys changed.
    changed: Vec<u32>,
    dead: Vec<u32>,
}

struct LiveRows<'a> {
    rows: std::slice::Iter<'a, AppRow>,
    keys: std::slice::Iter<'a, RowKey>,
    left: usize,
}

impl<'a> Iterator for LiveRows<'a> {
    type Item = &'a AppRow;

    fn next(&mut self) -> Option<&'a AppRow> {
        loop {
            let (r, k) = (self.rows.next()?, self.keys.next()?);
            if k.live {
                self.left = self.left.saturating_sub(1);
                return Some(r);
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for LiveRows<'_> {}

/// Each row's position in `order` (`u32::MAX` for rows not in it).
fn positions(order: &[u32], rows: usize) -> Vec<u32> {
    let mut rank = vec![u32::MAX; rows];
    for (pos, &i) in order.iter().enumerate() {
        if let Some(r) = rank.get_mut(i as usize) {
            *r = pos as u32;
        }
    }
    rank
}

/// The order of two rows under `sort`; ties go by row index so the order is total.
fn order(rows: &[AppRow], keys: &[RowKey], sort: SortKey, a: u32, b: u32) -> std::cmp::Ordering {
    let (Some(ka), Some(kb)) = (keys.get(a as usize), keys.get(b as usize)) else {
        return a.cmp(&b);
    };
    let by_name = || {
        ka.prefix.cmp(&kb.prefix).then_with(|| {
            fn name<'a>(rows: &'a [AppRow], k: &'a RowKey, i: u32) -> &'a str {
                k.lower
                    .as_deref()
                    .or_else(|| rows.get(i as usize).map(|r| &*r.display_name))
                    .unwrap_or_default()
            }
            name(rows, ka, a).cmp(name(rows, kb, b)).then(a.cmp(&b))
        })
    };
    match sort {
        SortKey::Name => by_name(),
        // Soonest first; apps without any credential go last.
        SortKey::NextExpiry => ka.next.cmp(&kb.next).then_with(by_name),
    }
}

/// Hits ordered best score first, then in `order`: in linear time (walk `order`, then a
/// stable counting sort by score).
fn rank_hits(order: &[u32], keys: &[RowKey], hits: &[u32]) -> Vec<u32> {
    let mut is_hit = vec![false; keys.len()];
    for &i in hits {
        if let Some(h) = is_hit.get_mut(i as usize) {
            *h = true;
        }
    }
    let score = |i: u32| keys.get(i as usize).map_or(0, |k| k.score);
    let in_order: Vec<u32> = order
        .iter()
        .copied()
        .filter(|&i| is_hit.get(i as usize).copied().unwrap_or(false))
        .collect();
    if in_order.len() < 4_096 {
        // Few hits: a stable sort beats clearing 65,536 counters.
        let mut out = in_order;
        out.sort_by_key(|&i| std::cmp::Reverse(score(i)));
        return out;
    }
    // Slot per score, highest first.
    let mut starts = vec![0usize; usize::from(u16::MAX) + 2];
    for &i in &in_order {
        starts[usize::from(u16::MAX - score(i)) + 1] += 1;
    }
    for s in 1..starts.len() {
        starts[s] += starts[s - 1];
    }
    let mut out = vec![0u32; in_order.len()];
    for &i in &in_order {
        let slot = &mut starts[usize::from(u16::MAX - score(i))];
        out[*slot] = i;
        *slot += 1;
    }
    out
}

/// Merge two sorted runs; `le(a, b)` says `a` goes first (ties keep `old` first: stable).
/// Each new element finds its place by binary search and the old runs between are copied
/// whole: a page of 999 into 200,000 costs about 18,000 comparisons, not 200,000.
fn merge_sorted(old: &[u32], add: &[u32], le: impl Fn(u32, u32) -> bool) -> Vec<u32> {
    let mut merged = Vec::with_capacity(old.len() + add.len());
    let mut from = 0;
    for &a in add {
        let at = from + old[from..].partition_point(|&o| le(o, a));
        merged.extend_from_slice(&old[from..at]);
        merged.push(a);
        from = at;
    }
    merged.extend_from_slice(&old[from..]);
    merged
}

/// True when the filter text is a whole GUID (a pasted Application or Object ID).
pub fn is_full_guid(q: &str) -> bool {
    is_guid(q.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{ApplicationId, ObjectId};

    fn app(i: usize, name: &str) -> AppRegistration {
        AppRegistration {
            id: ObjectId::new(format!("00000000-0000-4000-8000-{i:012}")),
            app_id: ApplicationId::new(format!("10000000-0000-4000-8000-{i:012}")),
            display_name: name.to_owned(),
            created_date_time: None,
            sign_in_audience: None,
            publisher_domain: None,
            password_credentials: vec![],
            key_credentials: vec![],
        }
    }

    fn names_in_view(l: &AppList) -> Vec<&str> {
        l.view
            .iter()
            .map(|&i| l.rows[i as usize].display_name.as_ref())
            .collect()
    }

    #[test]
    fn streamed_pages_merge_like_a_full_refilter() {
        let names = [
            "zeta-api",
            "alpha-pay",
            "payments",
            "beta",
            "pay-gw",
            "omega",
            "pager",
            "delta-pay",
        ];
        let all: Vec<AppRegistration> = names.iter().enumerate().map(|(i, n)| app(i, n)).collect();
        for query in ["", "pay"] {
            let mut streamed = AppList::default();
            streamed.refilter(query, SortKey::Name, true);
            streamed.start_load(1);
            for (n, chunk) in all.chunks(3).enumerate() {
                let more = (n + 1) * 3 < all.len();
                assert!(streamed.take_page(1, chunk.to_vec(), more, query, SortKey::Name));
            }
            let mut whole = AppList::default();
            whole.start_load(2);
            whole.take_page(2, all.clone(), false, "", SortKey::Name);
            whole.refilter(query, SortKey::Name, true);
            assert_eq!(streamed.view, whole.view, "query {query:?}");
        }
    }

    #[test]
    fn selection_follows_its_row_as_pages_arrive() {
        let mut l = AppList::default();
        l.start_load(1);
        l.take_page(1, vec![app(0, "m"), app(1, "n")], true, "", SortKey::Name);
        l.move_by(1);
        assert_eq!(l.selected_app().map(|a| a.display_name.as_ref()), Some("n"));
        l.take_page(1, vec![app(2, "a"), app(3, "b")], false, "", SortKey::Name);
        assert_eq!(l.selected_app().map(|a| a.display_name.as_ref()), Some("n"));
    }

    #[test]
    fn the_selection_sits_on_the_best_hit_while_typing_and_pages_arrive() {
        let mut l = AppList::default();
        l.start_load(1);
        let weak = "proseware-billing-api (dev)";
        l.take_page(
            1,
            vec![app(0, weak), app(1, "zeta")],
            true,
            "",
            SortKey::Name,
        );
        // Typing narrows: the selection goes to the best hit, not the row selected before.
        for q in ["b", "bi", "billing", "billing prod"] {
            l.refilter(q, SortKey::Name, false);
        }
        assert_eq!(
            l.selected_app().map(|a| a.display_name.as_ref()),
            Some(weak)
        );
        // A better match arrives with a later page: the selection moves to it.
        let best = "billing-prod";
        l.take_page(1, vec![app(2, best)], false, "billing prod", SortKey::Name);
        assert_eq!(names_in_view(&l)[0], best);
        assert_eq!(
            l.selected_app().map(|a| a.display_name.as_ref()),
            Some(best)
        );
        // Once the user moves, their row stays selected.
        l.move_by(1);
        let chosen = l.selected_app().map(|a| a.display_name.clone());
        l.upsert(app(3, "billing prod"), "billing prod", SortKey::Name);
        assert_eq!(l.selected_app().map(|a| a.display_name.clone()), chosen);
    }

    #[test]
    fn a_refresh_replaces_in_place_and_removes_what_it_did_not_see() {
        let mut l = AppList::default();
        l.start_load(1);
        l.take_page(
            1,
            vec![app(0, "a"), app(1, "b"), app(2, "c")],
            false,
            "",
            SortKey::Name,
        );
        l.start_load(2);
        l.take_page(2, vec![app(2, "c2"), app(0, "a")], true, "", SortKey::Name);
        assert_eq!(l.len(), 3, "old rows stay mid-refresh");
        l.take_page(2, vec![app(4, "d")], false, "", SortKey::Name);
        assert_eq!(names_in_view(&l), vec!["a", "c2", "d"]);
        assert_eq!(l.rows.len(), 3, "removed rows are gone");
        assert!(l.row_of("00000000-0000-4000-8000-000000000001").is_none());
        assert!(l.row_of("00000000-0000-4000-8000-000000000004").is_some());
    }

    #[test]
    fn sorting_again_is_a_rerank_and_delta_patches_move_rows() {
        let mut l = AppList::default();
        let mut a = app(0, "a");
        a.password_credentials = vec![
            serde_json::from_value(serde_json::json!({
                "keyId": "k", "endDateTime": "2030-01-01T00:00:00Z"
            }))
            .unwrap(),
        ];
        let mut b = app(1, "b");
        b.password_credentials = vec![
            serde_json::from_value(serde_json::json!({
                "keyId": "k2", "endDateTime": "2029-01-01T00:00:00Z"
            }))
            .unwrap(),
        ];
        l.start_load(1);
        l.take_page(1, vec![a, b, app(2, "c")], false, "", SortKey::Name);
        l.resort("", SortKey::NextExpiry);
        assert_eq!(names_in_view(&l), vec!["b", "a", "c"]);
        l.start_patch(2);
        let patch = AppPatch {
            id: ObjectId::new("00000000-0000-4000-8000-000000000002"),
            display_name: Some("0-first".into()),
            password_credentials: Some(vec![
                serde_json::from_value(serde_json::json!({
                    "keyId": "k3", "endDateTime": "2028-01-01T00:00:00Z"
                }))
                .unwrap(),
            ]),
            ..AppPatch::default()
        };
        l.take_chunk(
            2,
            Chunk {
                patches: vec![patch],
                removed: vec![ObjectId::new("00000000-0000-4000-8000-000000000000")],
                done: true,
                delta_link: Some("next".into()),
                ..Chunk::default()
            },
            "",
            SortKey::NextExpiry,
        );
        assert_eq!(names_in_view(&l), vec!["0-first", "b"]);
        assert_eq!(l.delta_link.as_deref(), Some("next"));
        l.resort("", SortKey::Name);
        assert_eq!(names_in_view(&l), vec!["0-first", "b"]);
    }

    #[test]
    fn a_counted_total_reserves_room_once_and_a_hostile_one_is_capped() {
        let mut l = AppList::default();
        l.start_load(1);
        let chunk = |rows: Vec<AppRow>, expect| Chunk {
            rows,
            expect,
            ..Chunk::default()
        };
        assert!(l.take_chunk(
            1,
            chunk(vec![AppRow::from_registration(&app(0, "a"), false)], None),
            "",
            SortKey::Name
        ));
        assert!(l.take_chunk(1, chunk(Vec::new(), Some(50_000)), "", SortKey::Name));
        assert!(l.rows.capacity() >= 50_000 && l.keys.capacity() >= 50_000);
        let (rows, keys) = (l.rows.as_ptr(), l.keys.as_ptr());
        let more: Vec<AppRow> = (1..40_000)
            .map(|i| AppRow::from_registration(&app(i, "b"), false))
            .collect();
        assert!(l.take_chunk(1, chunk(more, None), "", SortKey::Name));
        assert_eq!(l.len(), 40_000);
        assert!(
            std::ptr::eq(rows, l.rows.as_ptr()) && std::ptr::eq(keys, l.keys.as_ptr()),
            "no copy while the rows arrive"
        );
        // A count no tenant has reserves at most RESERVE_AT_MOST rows.
        let mut l = AppList::default();
        l.start_load(2);
        assert!(l.take_chunk(2, chunk(Vec::new(), Some(usize::MAX)), "", SortKey::Name));
        assert!(l.rows.capacity() <= RESERVE_AT_MOST + 16);
    }

    #[test]
    fn the_id_index_finds_guids_in_any_case_and_text_ids_as_sent() {
        let mut l = AppList::default();
        l.start_load(1);
        let mut odd = app(2, "odd");
        odd.id = ObjectId::new("not-a-guid");
        let rows = vec![
            AppRow::from_registration(&app(1, "one"), false),
            AppRow::from_registration(&odd, false),
        ];
        let chunk = Chunk {
            rows,
            done: true,
            ..Chunk::default()
        };
        assert!(l.take_chunk(1, chunk, "", SortKey::Name));
        let one = "00000000-0000-4000-8000-000000000001";
        assert_eq!(l.row_of(one).map(|r| &*r.display_name), Some("one"));
        assert_eq!(
            l.row_of(&one.to_uppercase()).map(|r| &*r.display_name),
            Some("one")
        );
        assert_eq!(
            l.row_of("not-a-guid").map(|r| &*r.display_name),
            Some("odd")
        );
        assert!(l.row_of("NOT-A-GUID").is_none());
        // Removed by a delta round, then created again: the index points at the new row.
        l.start_patch(2);
        let gone = Chunk {
            removed: vec![ObjectId::new(one)],
            ..Chunk::default()
        };
        assert!(l.take_chunk(2, gone, "", SortKey::Name));
        assert!(l.row_of(one).is_none());
        let back = Chunk {
            rows: vec![AppRow::from_registration(&app(1, "one again"), false)],
            done: true,
            ..Chunk::default()
        };
        assert!(l.take_chunk(2, back, "", SortKey::Name));
        assert_eq!(l.row_of(one).map(|r| &*r.display_name), Some("one again"));
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn a_saved_expiry_order_is_taken_only_when_it_is_the_order() {
        let now = chrono::Utc::now();
        let rows: Vec<AppRow> = (0..50)
            .map(|i| {
                let mut a = app(i, &format!("app {i:02}"));
                a.password_credentials = serde_json::from_value(serde_json::json!([{
                    "keyId": format!("20000000-0000-4000-8000-{i:012}"),
                    "endDateTime": (now + chrono::Duration::days(((i * 37) % 11) as i64)).to_rfc3339(),
                }]))
                .unwrap();
                AppRow::from_registration(&a, false)
            })
            .collect();
        let by_expiry = |hint: Vec<u32>| {
            let mut l = AppList::default();
            l.load_cached(rows.clone(), None, None, hint, "", SortKey::NextExpiry);
            names_in_view(&l)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let sorted = by_expiry(Vec::new());
        let mut l = AppList::default();
        l.load_cached(rows.clone(), None, None, Vec::new(), "", SortKey::Name);
        let saved = l.expiry_places();
        assert_eq!(
            by_expiry(saved.clone()),
            sorted,
            "the saved order is the order"
        );
        // Damaged, short, repeated or out of range: sorted instead.
        let mut swapped = saved.clone();
        swapped.swap(3, 40);
        let mut repeated = saved.clone();
        repeated[5] = repeated[4];
        let mut out = saved.clone();
        out[0] = 999;
        for bad in [
            swapped,
            repeated,
            out,
            saved[1..].to_vec(),
            (0..50).collect(),
        ] {
            assert_eq!(by_expiry(bad), sorted);
        }
        let ends: Vec<i64> = sorted
            .iter()
            .map(|n| {
                let r = rows.iter().find(|r| &*r.display_name == n).unwrap();
                r.next_expiry().unwrap().timestamp()
            })
            .collect();
        assert!(ends.windows(2).all(|w| w[0] <= w[1]), "soonest first");
    }
}
