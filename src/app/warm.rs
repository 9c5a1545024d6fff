//! Tenant scale on the apps screen: the warm-start cache (read at start, shown at once, brought
//! up to date by a delta round, written after every complete load), the batches of scans and
//! delta rounds, the paced certificates pass, and the `$search` that finds an app before the
//! listing reaches it. No I/O: effects ask the runner, results come back as actions.

use chrono::Utc;

use crate::catalog::cache::{self, CacheError, CacheKey, Snapshot};
use crate::catalog::{AppRow, Origin};
use crate::graph::GraphError;

use super::action::{CertificatesPage, RequestId};
use super::apps_list::{self, Chunk};
use super::effect::Effect;
use super::{App, AppList, AppsTab, ToastLevel, explain};

/// The shortest filter text worth a `$search` (one letter matches half the tenant).
const SEARCH_FROM: usize = 2;
/// At most this many search hits join the list.
pub const SEARCH_TOP: u16 = 50;

/// The warm-start cache and the passes that complete a list.
#[derive(Debug, Default)]
pub struct Warm {
    /// Which cache file; `None` with `--no-cache`.
    pub key: Option<CacheKey>,
    /// The cache read in flight.
    loading: Option<RequestId>,
    /// A listing waits for the cache read to answer first.
    load_after: bool,
    /// The tenant the cached rows are of.
    pub tenant: Option<String>,
    /// The certificates pass in flight.
    pub certificates: Option<RequestId>,
    /// A failed cache write was already said once.
    save_failed: bool,
    /// The cache file being written.
    saving: Option<CacheSave>,
}

/// A cache write in progress: the All list's rows in name order as they were when it began, a
/// part at a time. Rows changed in place or added meanwhile do not stop it (each row is
/// written whole, and the delta link it holds is at most as new as its rows, so the next
/// delta round brings the rest); rows moved (compacted, or the list replaced) start it again.
#[derive(Debug)]
struct CacheSave {
    request: RequestId,
    key: CacheKey,
    /// The rows' indices in name order when the write began.
    order: Vec<u32>,
    /// Their order by next expiry then (places in `order`), written last.
    expiry: Vec<u32>,
    encoder: cache::Encoder,
    /// The next of them to encode.
    next: usize,
    layout: u64,
}

/// A `$search` for the filter text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphSearch {
    pub request: RequestId,
    pub text: String,
    /// Graph has not answered yet.
    pub pending: bool,
    /// Apps it found that the list did not have.
    pub found: usize,
}

impl App {
    /// Read the cache, if there is one to read (at start).
    pub(super) fn load_cache(&mut self) -> Vec<Effect> {
        let Some(key) = self.warm.key.clone() else {
            return Vec::new();
        };
        let r = self.request();
        self.warm.loading = Some(r);
        vec![Effect::LoadCache { request: r, key }]
    }

    /// Whether the All list must wait for the cache read (then it loads when that answers).
    pub(super) fn defer_for_cache(&mut self) -> bool {
        if self.warm.loading.is_some() {
            self.warm.load_after = true;
            return true;
        }
        false
    }

    pub(super) fn cache_loaded(
        &mut self,
        r: RequestId,
        result: Result<Option<Snapshot>, CacheError>,
    ) -> Vec<Effect> {
        if self.warm.loading != Some(r) {
            return Vec::new();
        }
        self.warm.loading = None;
        match result {
            Ok(Some(snap)) if !snap.rows.is_empty() && self.all.is_empty() => {
                let wrong_tenant = match (&snap.tenant_id, self.tenant_id()) {
                    (Some(c), Some(t)) => !c.eq_ignore_ascii_case(t.as_str()),
                    _ => false,
                };
                if !wrong_tenant {
                    tracing::info!(rows = snap.rows.len(), "warm start from the app cache");
                    let (query, sort) = (self.filter.value().to_owned(), self.sort);
                    self.warm.tenant = snap.tenant_id;
                    self.all.load_cached(
                        snap.rows,
                        snap.saved_at,
                        snap.delta_link,
                        snap.expiry_order,
                        &query,
                        sort,
                    );
                }
            }
            Ok(_) => {}
            Err(e) => {
                // A damaged cache is rebuilt by the listing; worth a line in the log only.
                tracing::warn!(error = %e, "the app cache could not be read");
            }
        }
        if std::mem::take(&mut self.warm.load_after) {
            return self.load_list(AppsTab::All);
        }
        Vec::new()
    }

    /// The tenant is known: cached rows of another tenant go, and the list loads again.
    pub(super) fn check_cached_tenant(&mut self) -> Vec<Effect> {
        let (Some(cached), Some(tenant)) = (&self.warm.tenant, self.tenant_id()) else {
            return Vec::new();
        };
        if cached.eq_ignore_ascii_case(tenant.as_str()) || self.all.cached.is_none() {
            return Vec::new();
        }
        tracing::info!("the app cache is of another tenant; listing again");
        self.warm.tenant = None;
        self.all = AppList::default();
        if self.sign_in.gated {
            return Vec::new();
        }
        self.load_list(AppsTab::All)
    }

    /// A batch of a scan or delta round.
    pub(super) fn take_apps_chunk(
        &mut self,
        request: RequestId,
        tab: AppsTab,
        result: Result<Chunk, GraphError>,
    ) -> Vec<Effect> {
        let (query, sort) = (self.filter.value().to_owned(), self.sort);
        match result {
            Ok(chunk) => {
                let done = chunk.done;
                let list = self.list_mut(tab);
                if !list.take_chunk(request, chunk, &query, sort) {
                    return Vec::new();
                }
                let skipped = list.skipped;
                if !done {
                    return Vec::new();
                }
                if skipped > 0 {
                    self.toast(
                        ToastLevel::Warning,
                        super::apps_screen::skipped_words(skipped),
                        None,
                    );
                }
                if tab != AppsTab::All {
                    return Vec::new();
                }
                let mut fx = self.save_cache();
                fx.extend(self.load_certificates());
                fx
            }
            Err(e) if e.is_sync_reset() && self.list(tab).is_loading() => {
                // The delta link ended (expired or reset): list everything again.
                tracing::info!(error = %e, "the delta link ended; listing again");
                let list = self.list_mut(tab);
                list.delta_link = None;
                list.cached.get_or_insert_with(Utc::now);
                self.load_list(tab)
            }
            Err(e) => {
                let info = explain(&e);
                if self.list_mut(tab).fail(request, info.clone()) {
                    self.error_toast(&info);
                }
                Vec::new()
            }
        }
    }

    /// Write the cache when the All list is complete and its tenant known.
    pub(super) fn save_cache(&mut self) -> Vec<Effect> {
        let (Some(key), Some(tenant)) = (self.warm.key.clone(), self.tenant_id()) else {
            return Vec::new();
        };
        if self.all.is_loading() || !self.all.dirty {
            return Vec::new();
        }
        let tenant = tenant.to_string();
        let mut fx: Vec<Effect> = self
            .warm
            .saving
            .take()
            .map(|s| Effect::DropCacheSave { request: s.request })
            .into_iter()
            .collect();
        self.all.dirty = false;
        self.warm.tenant = Some(tenant.clone());
        let order = self.all.name_order().to_vec();
        let mut bytes = Vec::new();
        let encoder = cache::Encoder::new(
            &mut bytes,
            &key,
            Some(&tenant),
            self.all.delta_link.as_deref(),
            self.now,
            order.len(),
        );
        let save = CacheSave {
            encoder,
            request: self.request(),
            key,
            order,
            expiry: self.all.expiry_places(),
            next: 0,
            layout: self.all.layout,
        };
        fx.push(self.save_part(save, bytes));
        fx
    }

    /// Encode the next part of `save` after what `bytes` holds.
    fn save_part(&mut self, mut save: CacheSave, mut bytes: Vec<u8>) -> Effect {
        let first = save.next == 0;
        bytes.reserve(cache::PART_ROWS * 160);
        // A part of exactly PART_ROWS rows (the last may have fewer): the file's parts table
        // says where each starts.
        let end = (save.next + cache::PART_ROWS).min(save.order.len());
        let rows = &self.all.rows;
        let part = save.order.get(save.next..end).unwrap_or_default();
        save.encoder.part(
            &mut bytes,
            part.iter().filter_map(|&i| rows.get(i as usize)),
        );
        save.next = end;
        let last = end >= save.order.len();
        if last {
            save.encoder.finish(&mut bytes, &save.expiry);
        }
        let effect = Effect::SaveCache {
            request: save.request,
            key: save.key.clone(),
            bytes,
            first,
            last,
        };
        if !last {
            self.warm.saving = Some(save);
        }
        effect
    }

    /// A part of the cache was written: the next one, unless the rows changed meanwhile (then
    /// the write starts again, or waits for the load that changes them to end).
    pub(super) fn cache_saved(
        &mut self,
        r: RequestId,
        result: Result<(), CacheError>,
    ) -> Vec<Effect> {
        let save = self.warm.saving.take_if(|s| s.request == r);
        if let Err(e) = result {
            self.cache_not_saved(e);
            return Vec::new();
        }
        let Some(save) = save else {
            return Vec::new();
        };
        if self.all.layout != save.layout || self.warm.key.as_ref() != Some(&save.key) {
            let mut fx = vec![Effect::DropCacheSave {
                request: save.request,
            }];
            // The same list with its rows moved is written again; another one (a tenant
            // switch) is written when it is complete.
            if self.all.layout != 0 && self.warm.key.as_ref() == Some(&save.key) {
                tracing::info!("the app list moved while the cache was written; writing it again");
                self.all.dirty = true;
                fx.extend(self.save_cache());
            }
            return fx;
        }
        vec![self.save_part(save, Vec::new())]
    }

    pub(super) fn cache_not_saved(&mut self, e: CacheError) {
        tracing::warn!(error = %e, "the app cache could not be written");
        if !self.warm.save_failed {
            self.warm.save_failed = true;
            self.toast(
                ToastLevel::Warning,
                format!("Could not save the app list for a quicker next start: {e}"),
                None,
            );
        }
    }

    /// The certificates pass, when some row's certificates are unknown.
    fn load_certificates(&mut self) -> Vec<Effect> {
        if self.warm.certificates.is_some() || self.all.certificates_known() {
            return Vec::new();
        }
        let r = self.request();
        self.warm.certificates = Some(r);
        vec![Effect::LoadCertificates { request: r }]
    }

    pub(super) fn certificates(
        &mut self,
        r: RequestId,
        result: Result<CertificatesPage, GraphError>,
    ) -> Vec<Effect> {
        if self.warm.certificates != Some(r) {
            return Vec::new();
        }
        let (query, sort) = (self.filter.value().to_owned(), self.sort);
        match result {
            Ok((certs, done)) => {
                self.all.set_certificates(certs, &query, sort);
                if done {
                    self.warm.certificates = None;
                    return self.save_cache();
                }
            }
            Err(e) => {
                self.warm.certificates = None;
                let info = explain(&e);
                self.toast(
                    ToastLevel::Warning,
                    format!(
                        "Certificates could not all be read ({}); expiry dates shown count client secrets only where they are missing.",
                        info.message
                    ),
                    info.reference(),
                );
            }
        }
        Vec::new()
    }

    /// Ask Graph for the filter text while the list is still loading (or finds nothing):
    /// what it finds joins the list, marked.
    pub(super) fn search_effect(&mut self) -> Vec<Effect> {
        let q = self.filter.value().trim().to_owned();
        let worth = matches!(self.tab, AppsTab::All | AppsTab::Expiring)
            && q.chars().count() >= SEARCH_FROM
            && !apps_list::is_full_guid(&q)
            // Hex digits and dashes are an id being typed: the GUID lookup answers those.
            && !q.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            && (self.all.is_loading() || self.all.cached.is_some() || self.all.view.is_empty());
        if !worth {
            return Vec::new();
        }
        if self.search.as_ref().is_some_and(|s| s.text == q) {
            return Vec::new();
        }
        let r = self.request();
        self.search = Some(GraphSearch {
            request: r,
            text: q.clone(),
            pending: true,
            found: 0,
        });
        vec![Effect::SearchApps {
            request: r,
            text: q,
        }]
    }

    pub(super) fn apps_searched(&mut self, r: RequestId, result: Result<Vec<AppRow>, GraphError>) {
        let Some(search) = self.search.as_mut().filter(|s| s.request == r) else {
            return;
        };
        search.pending = false;
        match result {
            Ok(rows) => {
                let (query, sort) = (self.filter.value().to_owned(), self.sort);
                let mut found = 0;
                for mut row in rows {
                    if self.all.row_of(&row.id.as_str()).is_some() {
                        continue;
                    }
                    row.origin = Origin::Searched;
                    self.all.upsert_row(row, &query, sort);
                    found += 1;
                }
                if let Some(s) = self.search.as_mut() {
                    s.found += found;
                }
            }
            // The listing still finds the app; a failed search is worth the log only.
            Err(e) => tracing::info!(error = %e, "searching Graph for the filter failed"),
        }
    }
}
