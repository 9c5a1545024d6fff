//! The "Expiring credentials" tab: every client secret and certificate of the All list, soonest
//! expiry first, filtered by the same `/` text as the apps (it keeps the credentials of the apps
//! the filter shows). A view over the All list's rows, kept up to date as pages arrive: new
//! rows' credentials are sorted and merged in (no full sort per page); anything else rebuilds.

use crate::catalog::CredRow;

use super::AppList;

/// Which kind of credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredKind {
    Secret,
    Certificate,
}

/// One credential: its app's row and its place in that row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredRef {
    /// Unix seconds of the end (`i64::MAX`: none, last).
    pub end: i64,
    pub row: u32,
    pub idx: u32,
    pub kind: CredKind,
}

impl CredRef {
    /// The credential in `list` (`None` when the list changed under it).
    pub fn cred<'a>(&self, list: &'a AppList) -> Option<&'a CredRow> {
        let row = list.rows.get(self.row as usize)?;
        let creds: &[CredRow] = match self.kind {
            CredKind::Secret => &row.password_credentials,
            CredKind::Certificate => row.key_credentials.as_deref().unwrap_or_default(),
        };
        creds.get(self.idx as usize)
    }
}

#[derive(Debug, Default)]
pub struct ExpiringList {
    /// Every credential, soonest first.
    entries: Vec<CredRef>,
    /// The credentials of the apps the filter shows, in `entries` order.
    pub view: Vec<CredRef>,
    pub selected: usize,
    pub offset: usize,
    /// What the entries were built from: the list's row count and reshape count, and the
    /// view's generation and query.
    rows_seen: usize,
    reshaped: u64,
    viewed: Option<(u64, String)>,
}

impl ExpiringList {
    /// Bring entries and view up to date with `list` (cheap when nothing changed).
    pub fn sync(&mut self, list: &AppList, query: &str) {
        if self.reshaped != list.reshaped || self.rows_seen > list.rows.len() {
            self.entries.clear();
            self.rows_seen = 0;
            self.reshaped = list.reshaped;
        }
        if self.rows_seen < list.rows.len() {
            let mut add = Vec::new();
            for (r, row) in list.rows.iter().enumerate().skip(self.rows_seen) {
                if !list.is_live(r) {
                    continue;
                }
                let mut push = |creds: &[CredRow], kind| {
                    for (i, c) in creds.iter().enumerate() {
                        add.push(CredRef {
                            end: c.end.map_or(i64::MAX, |d| d.timestamp()),
                            row: r as u32,
                            idx: i as u32,
                            kind,
                        });
                    }
                };
                push(&row.password_credentials, CredKind::Secret);
                push(
                    row.key_credentials.as_deref().unwrap_or_default(),
                    CredKind::Certificate,
                );
            }
            let key = |c: &CredRef| (c.end, c.row, c.idx, c.kind == CredKind::Certificate);
            add.sort_unstable_by_key(key);
            let old = std::mem::take(&mut self.entries);
            let mut merged = Vec::with_capacity(old.len() + add.len());
            let mut from = 0;
            for a in add {
                let at = from + old[from..].partition_point(|o| key(o) <= key(&a));
                merged.extend_from_slice(&old[from..at]);
                merged.push(a);
                from = at;
            }
            merged.extend_from_slice(&old[from..]);
            self.entries = merged;
            self.rows_seen = list.rows.len();
            self.viewed = None;
        }
        let q = query.trim();
        if self
            .viewed
            .as_ref()
            .is_some_and(|(g, vq)| *g == list.generation && vq == q)
        {
            return;
        }
        let keep = self.view.get(self.selected).copied();
        self.view = if q.is_empty() {
            self.entries.clone()
        } else {
            let mut shown = vec![false; list.rows.len()];
            for &i in &list.view {
                if let Some(s) = shown.get_mut(i as usize) {
                    *s = true;
                }
            }
            self.entries
                .iter()
                .filter(|c| shown.get(c.row as usize).copied().unwrap_or(false))
                .copied()
                .collect()
        };
        self.selected = keep
            .and_then(|k| self.view.iter().position(|c| *c == k))
            .unwrap_or(0)
            .min(self.view.len().saturating_sub(1));
        self.viewed = Some((list.generation, q.to_owned()));
    }

    pub fn selected_ref(&self) -> Option<CredRef> {
        self.view.get(self.selected).copied()
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.view.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn select_first(&mut self) {
        self.selected = 0;
    }

    pub fn select_last(&mut self) {
        self.selected = self.view.len().saturating_sub(1);
    }

    pub fn scroll(&mut self, rows: usize) {
        self.offset = super::scroll::follow(self.offset, self.selected, rows, self.view.len());
    }
}
