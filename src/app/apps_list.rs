//! The app registrations list: rows as they stream in, and a view (indices) filtered and sorted.
//!
//! Rows are never copied into per-row widgets; the view is a `Vec<u32>` of indices, rebuilt
//! per keystroke. A query that extends the previous one only re-matches the previous hits, so
//! typing stays fast at 50,000 apps.

use chrono::{DateTime, Utc};
use frizbee::{Config, Matcher};

use crate::graph::{AppRegistration, is_guid};

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
    /// `received` counts rows of this load; while refreshing, they wait in `incoming`.
    Loading {
        request: u64,
        received: usize,
    },
    Loaded,
    Failed(ErrorInfo),
}

/// What rows sort by, computed once per row (no allocation while sorting 50,000 rows).
#[derive(Clone, Debug, Default)]
struct RowKey {
    name: String,
    next: Option<DateTime<Utc>>,
    /// Relevance for the current filter (set while matching; read only while filtering).
    score: u16,
}

impl RowKey {
    fn of(a: &AppRegistration) -> Self {
        Self {
            name: a.display_name.to_lowercase(),
            next: a.next_expiry(),
            score: 0,
        }
    }
}

#[derive(Debug, Default)]
pub struct AppList {
    pub rows: Vec<AppRegistration>,
    /// Sort keys, parallel to `rows`.
    keys: Vec<RowKey>,
    /// A refresh's pages, swapped in when the last one arrives (old rows stay meanwhile).
    incoming: Option<Vec<AppRegistration>>,
    pub load: ListLoad,
    /// Records of the current load that Graph sent unreadable and were left out.
    pub skipped: usize,
    /// Indices into `rows`, filtered and sorted.
    pub view: Vec<u32>,
    pub selected: usize,
    /// First visible row; the model moves it so the selection stays visible.
    pub offset: usize,
    last_query: String,
    /// Rows matching `last_query`, in row order (the base for an extended query).
    last_hits: Vec<u32>,
    /// Every row in the order of `order_sort` with no filter, and each row's position in it:
    /// a keystroke then sorts its hits by two integers instead of comparing names.
    order: Vec<u32>,
    rank: Vec<u32>,
    order_sort: Option<SortKey>,
}

impl AppList {
    pub fn is_loading(&self) -> bool {
        matches!(self.load, ListLoad::Loading { .. })
    }

    pub fn selected_app(&self) -> Option<&AppRegistration> {
        self.view
            .get(self.selected)
            .and_then(|&i| self.rows.get(i as usize))
    }

    pub fn start_load(&mut self, request: u64) {
        self.load = ListLoad::Loading {
            request,
            received: 0,
        };
        self.skipped = 0;
        // With rows on screen, collect the new pages aside; the first load streams in directly.
        self.incoming = if self.rows.is_empty() {
            None
        } else {
            Some(Vec::new())
        };
    }

    /// Take a page; false when it belongs to a stale request.
    pub fn take_page(
        &mut self,
        request: u64,
        items: Vec<AppRegistration>,
        has_more: bool,
        query: &str,
        sort: SortKey,
    ) -> bool {
        let ListLoad::Loading {
            request: r,
            received,
        } = &mut self.load
        else {
            return false;
        };
        if *r != request {
            return false;
        }
        *received += items.len();
        match &mut self.incoming {
            Some(buf) => buf.extend(items),
            None => {
                let start = self.rows.len();
                self.keys.extend(items.iter().map(RowKey::of));
                self.rows.extend(items);
                self.merge_new_rows(start, query, sort);
            }
        }
        if !has_more {
            self.load = ListLoad::Loaded;
            if let Some(buf) = self.incoming.take() {
                self.rows = buf;
                self.keys = self.rows.iter().map(RowKey::of).collect();
                self.refilter(query, sort, true);
            }
        }
        true
    }

    /// Rows from `start` on are new: match and sort only them, then merge them into the
    /// view (a page costs its own size plus one linear merge, not a full re-sort).
    fn merge_new_rows(&mut self, start: usize, query: &str, sort: SortKey) {
        let q = query.trim();
        if q != self.last_query {
            return self.refilter(query, sort, true);
        }
        let keep = self.view.get(self.selected).copied();
        let new: Vec<u32> = (start as u32..self.rows.len() as u32).collect();
        self.merge_into_order(&new, sort);
        let mut hits = if q.is_empty() {
            new
        } else {
            match_rows(&self.rows, &mut self.keys, &new, q)
        };
        // New rows come after every old one, so `last_hits` stays in row order.
        self.last_hits.extend(&hits);
        let keys = &self.keys;
        let filtering = !q.is_empty();
        hits.sort_unstable_by(|a, b| compare(keys, filtering, sort, *a, *b));
        let old = std::mem::take(&mut self.view);
        self.view = merge_sorted(&old, &hits, |a, b| {
            compare(keys, filtering, sort, a, b).is_le()
        });
        self.reselect(keep);
    }

    /// Merge new rows into the unfiltered `order` (one sort of the page, one linear merge).
    fn merge_into_order(&mut self, new: &[u32], sort: SortKey) {
        if self.order_sort != Some(sort) || self.order.len() + new.len() != self.rows.len() {
            return self.ensure_order(sort, true);
        }
        let keys = &self.keys;
        let mut add = new.to_vec();
        add.sort_unstable_by(|a, b| compare(keys, false, sort, *a, *b));
        let old = std::mem::take(&mut self.order);
        self.order = merge_sorted(&old, &add, |a, b| compare(keys, false, sort, a, b).is_le());
        self.rerank();
    }

    /// Keep the same row selected after the view changed.
    fn reselect(&mut self, keep: Option<u32>) {
        self.selected = keep
            .and_then(|row| self.view.iter().position(|&i| i == row))
            .unwrap_or(0)
            .min(self.view.len().saturating_sub(1));
    }

    pub fn fail(&mut self, request: u64, error: ErrorInfo) -> bool {
        if !matches!(self.load, ListLoad::Loading { request: r, .. } if r == request) {
            return false;
        }
        self.incoming = None;
        self.load = ListLoad::Failed(error);
        true
    }

    /// Put `app` in the list (replacing the row with the same Object ID).
    pub fn upsert(&mut self, app: AppRegistration, query: &str, sort: SortKey) {
        let key = RowKey::of(&app);
        match self.rows.iter().position(|a| a.id == app.id) {
            Some(i) => {
                self.rows[i] = app;
                if let Some(k) = self.keys.get_mut(i) {
                    *k = key;
                }
            }
            None => {
                self.rows.push(app);
                self.keys.push(key);
            }
        }
        self.refilter(query, sort, true);
    }

    pub fn update_row(
        &mut self,
        id: &crate::graph::ObjectId,
        f: impl FnOnce(&mut AppRegistration),
    ) {
        if let Some(i) = self.rows.iter().position(|a| &a.id == id) {
            let row = &mut self.rows[i];
            f(row);
            let key = RowKey::of(row);
            if let Some(k) = self.keys.get_mut(i) {
                *k = key;
            }
            // Its name or next expiry may have moved it.
            self.order_sort = None;
        }
    }

    pub fn contains_id(&self, guid: &str) -> bool {
        self.rows.iter().any(|a| {
            a.app_id.as_str().eq_ignore_ascii_case(guid) || a.id.as_str().eq_ignore_ascii_case(guid)
        })
    }

    /// Rebuild the view for `query`. `rows_changed` forces a full match (rows were replaced).
    pub fn refilter(&mut self, query: &str, sort: SortKey, rows_changed: bool) {
        let keep = self.view.get(self.selected).copied();
        if self.keys.len() != self.rows.len() {
            self.keys = self.rows.iter().map(RowKey::of).collect();
        }
        let q = query.trim();
        let hits: Vec<u32> = if q.is_empty() {
            (0..self.rows.len() as u32).collect()
        } else {
            // Id matching starts at four hex characters, so an id-like query can gain hits
            // its prefix did not have: always match those in full.
            let narrowing = !rows_changed
                && !self.last_query.is_empty()
                && q.starts_with(self.last_query.as_str())
                && plain_query(&self.last_query)
                && !idish(q);
            let base: Vec<u32> = if narrowing {
                std::mem::take(&mut self.last_hits)
            } else {
                (0..self.rows.len() as u32).collect()
            };
            match_rows(&self.rows, &mut self.keys, &base, q)
        };
        self.last_query = q.to_owned();
        self.ensure_order(sort, rows_changed);
        if q.is_empty() {
            self.last_hits = hits;
            self.view.clone_from(&self.order);
        } else {
            self.view = rank_hits(&self.order, &self.keys, &hits);
            self.last_hits = hits;
        }
        self.reselect(keep);
    }

    /// Rebuild `order` and `rank` when the rows or the sort changed.
    fn ensure_order(&mut self, sort: SortKey, rows_changed: bool) {
        if !rows_changed && self.order_sort == Some(sort) && self.order.len() == self.rows.len() {
            return;
        }
        let keys = &self.keys;
        let mut order: Vec<u32> = (0..self.rows.len() as u32).collect();
        order.sort_unstable_by(|a, b| compare(keys, false, sort, *a, *b));
        self.order = order;
        self.order_sort = Some(sort);
        self.rerank();
    }

    fn rerank(&mut self) {
        self.rank.clear();
        self.rank.resize(self.rows.len(), u32::MAX);
        for (pos, &i) in self.order.iter().enumerate() {
            if let Some(r) = self.rank.get_mut(i as usize) {
                *r = pos as u32;
            }
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.view.is_empty() {
            self.selected = 0;
            return;
        }
        let last = self.view.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn select_last(&mut self) {
        self.selected = self.view.len().saturating_sub(1);
    }

    /// Keep the selection inside a window of `rows`.
    pub fn scroll(&mut self, rows: usize) {
        self.offset = super::scroll::follow(self.offset, self.selected, rows, self.view.len());
    }
}

/// Hits ordered best score first, then in the unfiltered order: the same order as `compare`
/// with filtering on, in linear time (walk `order`, then a stable counting sort by score).
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
fn merge_sorted(old: &[u32], add: &[u32], le: impl Fn(u32, u32) -> bool) -> Vec<u32> {
    let mut merged = Vec::with_capacity(old.len() + add.len());
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < add.len() {
        if le(old[i], add[j]) {
            merged.push(old[i]);
            i += 1;
        } else {
            merged.push(add[j]);
            j += 1;
        }
    }
    merged.extend_from_slice(&old[i..]);
    merged.extend_from_slice(&add[j..]);
    merged
}

/// No fzf operators: extending such a query can only narrow its matches.
fn plain_query(q: &str) -> bool {
    !q.contains(['!', '^', '$', '\''])
}

/// A query that can be part of an id: at least four hex digits and dashes.
fn idish(q: &str) -> bool {
    q.len() >= 4 && q.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// Fuzzy over display names (frizbee), exact over ids: a query made of hex digits and dashes
/// also matches Application and Object IDs that contain it.
fn match_rows(rows: &[AppRegistration], keys: &mut [RowKey], base: &[u32], q: &str) -> Vec<u32> {
    let mut hits: Vec<u32> = Vec::new();
    let mut chars = q.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && c.is_alphanumeric()
    {
        // One letter matches almost every name, and a fuzzy alignment of one character is
        // just "contains it": score the position (start of the name, start of a word,
        // elsewhere) without running Smith-Waterman over all 50,000 names.
        single_char_hits(rows, keys, base, c, &mut hits);
    } else {
        fuzzy_hits(rows, keys, base, q, &mut hits);
    }
    if idish(q) {
        let needle = q.to_ascii_lowercase();
        for &i in base {
            if let Some(a) = rows.get(i as usize) {
                let hit = a.app_id.as_str().to_ascii_lowercase().contains(&needle)
                    || a.id.as_str().to_ascii_lowercase().contains(&needle);
                if hit {
                    // An id hit is exact: above any fuzzy name match.
                    if let Some(k) = keys.get_mut(i as usize) {
                        k.score = u16::MAX;
                    }
                    hits.push(i);
                }
            }
        }
    }
    hits.sort_unstable();
    hits.dedup();
    hits
}

fn fuzzy_hits(
    rows: &[AppRegistration],
    keys: &mut [RowKey],
    base: &[u32],
    q: &str,
    hits: &mut Vec<u32>,
) {
    let names: Vec<&str> = base
        .iter()
        .map(|&i| rows.get(i as usize).map_or("", |a| a.display_name.as_str()))
        .collect();
    // Index order: the caller sorts by its own key, so frizbee's score sort would be wasted.
    let config = Config {
        sort: frizbee::SortStrategy::IndexAsc,
        ..Config::default()
    };
    // Two halves on two threads when the list is large: typing must not wait on one core
    // while the other sits idle. Each half keeps its own matcher (they are not shared).
    let matches: Vec<(usize, u16)> = if names.len() >= PARALLEL_FROM {
        let (left, right) = names.split_at(names.len() / 2);
        let offset = left.len();
        std::thread::scope(|scope| {
            let r = scope.spawn(|| match_names(q, &config, right));
            let mut out = match_names(q, &config, left);
            match r.join() {
                Ok(more) => out.extend(more.into_iter().map(|(i, s)| (i + offset, s))),
                // Behave as one thread would: a panic in the matcher is a panic here.
                Err(panic) => std::panic::resume_unwind(panic),
            }
            out
        })
    } else {
        match_names(q, &config, &names)
    };
    for (index, score) in matches {
        if let Some(&i) = base.get(index) {
            if let Some(k) = keys.get_mut(i as usize) {
                k.score = score;
            }
            hits.push(i);
        }
    }
}

/// Below this many names one thread is quicker than starting a second.
const PARALLEL_FROM: usize = 8_000;

fn match_names(q: &str, config: &Config, names: &[&str]) -> Vec<(usize, u16)> {
    let mut matcher = Matcher::from_query(q, config);
    matcher
        .match_list(names)
        .into_iter()
        .map(|m| (m.index as usize, m.score))
        .collect()
}

/// Smart case like frizbee: a lowercase letter matches either case, an uppercase one only itself.
fn single_char_hits(
    rows: &[AppRegistration],
    keys: &mut [RowKey],
    base: &[u32],
    c: char,
    hits: &mut Vec<u32>,
) {
    let sensitive = c.is_uppercase();
    for &i in base {
        let (Some(k), Some(row)) = (keys.get_mut(i as usize), rows.get(i as usize)) else {
            continue;
        };
        // `k.name` is the lowercased name, ready for the common case-insensitive query.
        let name = if sensitive {
            row.display_name.as_str()
        } else {
            k.name.as_str()
        };
        let mut best = 0u16;
        let mut prev: Option<char> = None;
        for (pos, ch) in name.chars().enumerate() {
            if ch == c {
                let score = if pos == 0 {
                    3
                } else if prev.is_some_and(|p| !p.is_alphanumeric()) {
                    2
                } else {
                    1
                };
                best = best.max(score);
                if best == 3 {
                    break;
                }
            }
            prev = Some(ch);
        }
        if best > 0 {
            k.score = best;
            hits.push(i);
        }
    }
}

/// The order of two rows; ties go by row index so the order is total and stable. While a
/// filter is active the best matches come first (a scattered fuzzy hit would otherwise sit
/// above the app the user is typing), and the chosen sort orders equal scores.
fn compare(keys: &[RowKey], filtering: bool, sort: SortKey, a: u32, b: u32) -> std::cmp::Ordering {
    let (Some(ka), Some(kb)) = (keys.get(a as usize), keys.get(b as usize)) else {
        return a.cmp(&b);
    };
    if filtering && ka.score != kb.score {
        return kb.score.cmp(&ka.score);
    }
    let by_name = || ka.name.cmp(&kb.name).then(a.cmp(&b));
    match sort {
        SortKey::Name => by_name(),
        // Soonest first; apps without any credential go last.
        SortKey::NextExpiry => (ka.next.is_none(), ka.next)
            .cmp(&(kb.next.is_none(), kb.next))
            .then_with(by_name),
    }
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
            let mut whole = AppList {
                rows: all.clone(),
                ..AppList::default()
            };
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
        assert_eq!(l.selected_app().map(|a| a.display_name.as_str()), Some("n"));
        l.take_page(1, vec![app(2, "a"), app(3, "b")], false, "", SortKey::Name);
        assert_eq!(l.selected_app().map(|a| a.display_name.as_str()), Some("n"));
    }

    fn names_in_view(l: &AppList) -> Vec<&str> {
        l.view
            .iter()
            .map(|&i| l.rows[i as usize].display_name.as_str())
            .collect()
    }

    #[test]
    fn one_letter_is_containment_ranked_by_position_with_smart_case() {
        let mut l = AppList::default();
        l.start_load(1);
        let rows = ["xylo", "alpha-x", "box", "Xeno", "none"];
        let items = rows.iter().enumerate().map(|(i, n)| app(i, n)).collect();
        l.take_page(1, items, false, "", SortKey::Name);
        l.refilter("x", SortKey::Name, false);
        // Start of name first (both cases), then start of a word, then elsewhere.
        assert_eq!(names_in_view(&l), vec!["Xeno", "xylo", "alpha-x", "box"]);
        l.refilter("X", SortKey::Name, false);
        assert_eq!(names_in_view(&l), vec!["Xeno"]);
        // Extending the query narrows the one-letter hits with the fuzzy matcher.
        l.refilter("xy", SortKey::Name, false);
        assert_eq!(names_in_view(&l), vec!["xylo"]);
    }
}
