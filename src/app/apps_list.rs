//! The app registrations list: rows as they stream in, and a view (indices) filtered and sorted.
//!
//! Rows are never copied into per-row widgets; the view is a `Vec<u32>` of indices, rebuilt
//! per keystroke. A query that extends the previous one only re-matches the previous hits, so
//! typing stays fast at 50,000 apps.

use std::cell::Cell;

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

#[derive(Debug, Default)]
pub struct AppList {
    pub rows: Vec<AppRegistration>,
    /// A refresh's pages, swapped in when the last one arrives (old rows stay meanwhile).
    incoming: Option<Vec<AppRegistration>>,
    pub load: ListLoad,
    /// Indices into `rows`, filtered and sorted.
    pub view: Vec<u32>,
    pub selected: usize,
    /// First visible row; the view adjusts it while drawing so the selection stays visible.
    pub offset: Cell<usize>,
    last_query: String,
    /// Rows matching `last_query`, in row order (the base for an extended query).
    last_hits: Vec<u32>,
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
            None => self.rows.extend(items),
        }
        if !has_more {
            self.load = ListLoad::Loaded;
            if let Some(buf) = self.incoming.take() {
                self.rows = buf;
            }
        }
        self.refilter(query, sort, true);
        true
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
        match self.rows.iter_mut().find(|a| a.id == app.id) {
            Some(row) => *row = app,
            None => self.rows.push(app),
        }
        self.refilter(query, sort, true);
    }

    pub fn update_row(
        &mut self,
        id: &crate::graph::ObjectId,
        f: impl FnOnce(&mut AppRegistration),
    ) {
        if let Some(row) = self.rows.iter_mut().find(|a| &a.id == id) {
            f(row);
        }
    }

    pub fn contains_id(&self, guid: &str) -> bool {
        self.rows.iter().any(|a| {
            a.app_id.as_str().eq_ignore_ascii_case(guid) || a.id.as_str().eq_ignore_ascii_case(guid)
        })
    }

    /// Rebuild the view for `query`. `rows_changed` forces a full match (new rows arrived).
    pub fn refilter(&mut self, query: &str, sort: SortKey, rows_changed: bool) {
        let keep = self.selected_app().map(|a| a.id.clone());
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
            match_rows(&self.rows, &base, q)
        };
        self.last_query = q.to_owned();
        self.last_hits = hits.clone();
        let mut view = hits;
        sort_view(&self.rows, &mut view, sort);
        self.view = view;
        self.selected = keep
            .and_then(|id| {
                self.view
                    .iter()
                    .position(|&i| self.rows.get(i as usize).is_some_and(|a| a.id == id))
            })
            .unwrap_or(0)
            .min(self.view.len().saturating_sub(1));
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
fn match_rows(rows: &[AppRegistration], base: &[u32], q: &str) -> Vec<u32> {
    let names: Vec<&str> = base
        .iter()
        .map(|&i| rows.get(i as usize).map_or("", |a| a.display_name.as_str()))
        .collect();
    let mut matcher = Matcher::from_query(q, &Config::default());
    let mut hits: Vec<u32> = matcher
        .match_list(&names)
        .iter()
        .filter_map(|m| base.get(m.index as usize).copied())
        .collect();
    if idish(q) {
        let needle = q.to_ascii_lowercase();
        for &i in base {
            if let Some(a) = rows.get(i as usize) {
                let hit = a.app_id.as_str().to_ascii_lowercase().contains(&needle)
                    || a.id.as_str().to_ascii_lowercase().contains(&needle);
                if hit {
                    hits.push(i);
                }
            }
        }
    }
    hits.sort_unstable();
    hits.dedup();
    hits
}

fn sort_view(rows: &[AppRegistration], view: &mut [u32], sort: SortKey) {
    let get = |i: &u32| rows.get(*i as usize);
    match sort {
        SortKey::Name => view.sort_by_cached_key(|i| {
            get(i).map(|a| (a.display_name.to_lowercase(), a.app_id.0.clone()))
        }),
        SortKey::NextExpiry => view.sort_by_cached_key(|i| {
            // Apps without any credential go last.
            let next: Option<DateTime<Utc>> = get(i).and_then(AppRegistration::next_expiry);
            (
                next.is_none(),
                next,
                get(i).map(|a| a.display_name.to_lowercase()),
            )
        }),
    }
}

/// True when the filter text is a whole GUID (a pasted Application or Object ID).
pub fn is_full_guid(q: &str) -> bool {
    is_guid(q.trim())
}
