//! The App registrations screen's commands: moving, the filter (and looking a pasted id up),
//! tabs, sort, refresh, and opening an app or the New registration dialog.

use crate::graph::{AppLookup, AppQuery, AppRegistration, GraphError, Page};
use crate::keymap::Command;

use super::action::RequestId;
use super::apps_list::{self, ListLoad};
use super::dialogs::NewRegistration;
use super::effect::Effect;
use super::{App, AppList, DetailTab, ToastLevel, explain};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppsTab {
    All,
    Owned,
    /// Every secret and certificate of the All list, soonest expiry first.
    Expiring,
}

/// Rows of the apps screen around its table: title, tenant, identity, tabs, filter, the
/// table's header, and the footer (`ui/apps.rs` lays them out; a flow test holds them equal).
pub const APPS_CHROME: u16 = 7;

impl App {
    pub fn list(&self, tab: AppsTab) -> &AppList {
        match tab {
            AppsTab::All | AppsTab::Expiring => &self.all,
            AppsTab::Owned => &self.owned,
        }
    }

    pub(super) fn list_mut(&mut self, tab: AppsTab) -> &mut AppList {
        match tab {
            AppsTab::All | AppsTab::Expiring => &mut self.all,
            AppsTab::Owned => &mut self.owned,
        }
    }

    pub fn current_list(&self) -> &AppList {
        self.list(self.tab)
    }

    /// The Owned tab needs a user (`/me`); an app-only sign-in has none.
    pub fn owned_unavailable(&self) -> bool {
        self.settings.source.is_app_only()
    }

    /// Rows the apps table shows at the current size (PgUp/PgDn move by this many).
    pub fn apps_page_rows(&self) -> usize {
        usize::from(self.size.height.saturating_sub(APPS_CHROME)).max(1)
    }

    /// A page of a listing (dropped when it belongs to an older one).
    pub(super) fn take_apps_page(
        &mut self,
        request: RequestId,
        tab: AppsTab,
        result: Result<Page<AppRegistration>, GraphError>,
    ) -> Vec<Effect> {
        let (query, sort) = (self.filter.value().to_owned(), self.sort);
        match result {
            Ok(page) => {
                let (skipped, last) = (page.skipped, !page.has_more);
                let list = self.list_mut(tab);
                if list.take_page(request, page.items, page.has_more, &query, sort) {
                    list.skipped += skipped;
                    let total = list.skipped;
                    if last && total > 0 {
                        self.toast(ToastLevel::Warning, skipped_words(total), None);
                    }
                    if last && tab == AppsTab::All {
                        return self.save_cache();
                    }
                }
            }
            Err(e) => {
                let info = explain(&e);
                if self.list_mut(tab).fail(request, info.clone()) {
                    self.error_toast(&info);
                }
            }
        }
        Vec::new()
    }

    /// The answer to looking a pasted id up: the app joins the list, or a toast says why not.
    pub(super) fn app_looked_up(&mut self, r: RequestId, result: Result<AppLookup, GraphError>) {
        if self.lookup.as_ref().is_none_or(|(req, _)| *req != r) {
            return;
        }
        let id = self.lookup.take().map(|(_, id)| id).unwrap_or_default();
        match result {
            Ok(AppLookup::Found(app)) => {
                let (query, sort) = (self.filter.value().to_owned(), self.sort);
                self.list_mut(self.tab).upsert(*app, &query, sort);
            }
            // Only whole GUIDs are looked up, so a name never matches several apps here.
            Ok(AppLookup::NotFound | AppLookup::Ambiguous(_)) => self.toast(
                ToastLevel::Error,
                format!("No application has the Application ID or Object ID {id}."),
                None,
            ),
            Err(e) => self.error_toast(&explain(&e)),
        }
    }

    pub(super) fn refilter(&mut self, rows_changed: bool) {
        let (query, sort) = (self.filter.value().to_owned(), self.sort);
        self.all.refilter(&query, sort, rows_changed);
        self.owned.refilter(&query, sort, rows_changed);
    }

    /// A pasted or typed GUID that no loaded row has: ask Graph for it.
    pub(super) fn lookup_effect(&mut self) -> Vec<Effect> {
        let q = self.filter.value().trim().to_owned();
        if !apps_list::is_full_guid(&q)
            || self.current_list().contains_id(&q)
            || self
                .lookup
                .as_ref()
                .is_some_and(|(_, id)| id.eq_ignore_ascii_case(&q))
        {
            return Vec::new();
        }
        let r = self.request();
        self.lookup = Some((r, q.clone()));
        vec![Effect::LookupApp { request: r, id: q }]
    }

    pub(super) fn load_list(&mut self, tab: AppsTab) -> Vec<Effect> {
        if tab == AppsTab::Owned && self.owned_unavailable() {
            return Vec::new();
        }
        if tab == AppsTab::All && self.defer_for_cache() {
            return Vec::new();
        }
        let r = self.request();
        let list = self.list_mut(tab);
        // A list with a delta link is brought up to date by one delta round (one request when
        // nothing changed); otherwise it is listed again.
        if let Some(delta_link) = list.delta_link.clone().filter(|_| tab == AppsTab::All) {
            list.start_patch(r);
            return vec![Effect::RefreshApps {
                request: r,
                tab,
                delta_link,
            }];
        }
        list.start_load(r);
        vec![Effect::LoadApps {
            request: r,
            tab,
            query: AppQuery {
                owned: tab == AppsTab::Owned,
                ..AppQuery::default()
            },
        }]
    }

    pub(super) fn apps_command(&mut self, c: Command) -> Vec<Effect> {
        let page = self.apps_page_rows() as isize;
        let tab = self.tab;
        if tab == AppsTab::Expiring
            && let Some(fx) = self.expiring_command(c, page)
        {
            return fx;
        }
        match c {
            Command::Up => self.list_mut(tab).move_by(-1),
            Command::Down => self.list_mut(tab).move_by(1),
            Command::PageUp => self.list_mut(tab).move_by(-page),
            Command::PageDown => self.list_mut(tab).move_by(page),
            Command::First => self.list_mut(tab).select_first(),
            Command::Last => self.list_mut(tab).select_last(),
            Command::StartFilter => self.filtering = true,
            Command::AcceptFilter | Command::Open => {
                // Enter opens the selected match (a filter stays for Esc back); with no match,
                // a whole GUID is looked up in the directory.
                self.filtering = false;
                if let Some(app) = self
                    .current_list()
                    .selected_app()
                    .map(|r| r.to_registration())
                {
                    return self.open_app(app, DetailTab::ClientSecrets, true);
                }
                return self.lookup_effect();
            }
            Command::Back => {
                self.filtering = false;
                if !self.filter.value().is_empty() {
                    self.filter.reset();
                    self.refilter(false);
                }
            }
            Command::NextTab => {
                // The Owned tab is skipped for an app-only sign-in: it has no /me to own anything.
                self.tab = match self.tab {
                    AppsTab::All if self.owned_unavailable() => AppsTab::Expiring,
                    AppsTab::All => AppsTab::Owned,
                    AppsTab::Owned => AppsTab::Expiring,
                    AppsTab::Expiring => AppsTab::All,
                };
                if self.list(self.tab).load == ListLoad::Idle {
                    return self.load_list(self.tab);
                }
            }
            Command::CycleSort => {
                self.sort = self.sort.next();
                let (query, sort) = (self.filter.value().to_owned(), self.sort);
                self.all.resort(&query, sort);
                self.owned.resort(&query, sort);
                self.info(format!("Sorted by {}", self.sort.label()));
            }
            Command::Refresh if self.sign_in.failed => return self.sign_in_again(),
            Command::Refresh => {
                let mut fx = self.load_list(self.tab);
                if self.organization.error().is_some() {
                    let r = self.request();
                    self.organization.start(r);
                    fx.push(Effect::LoadOrganization { request: r });
                }
                if self.me.error().is_some() {
                    let r = self.request();
                    self.me.start(r);
                    fx.push(Effect::LoadMe { request: r });
                }
                return fx;
            }
            Command::NewRegistration => self.dialogs.push(NewRegistration::default().into()),
            Command::SwitchTenant => return self.open_tenant_picker(),
            _ => {}
        }
        Vec::new()
    }
}

impl App {
    /// The Expiring credentials tab's own commands (`None`: the apps screen's apply).
    fn expiring_command(&mut self, c: Command, page: isize) -> Option<Vec<Effect>> {
        let query = self.filter.value().to_owned();
        self.expiring.sync(&self.all, &query);
        match c {
            Command::Up => self.expiring.move_by(-1),
            Command::Down => self.expiring.move_by(1),
            Command::PageUp => self.expiring.move_by(-page),
            Command::PageDown => self.expiring.move_by(page),
            Command::First => self.expiring.select_first(),
            Command::Last => self.expiring.select_last(),
            Command::CycleSort => self.note("This tab is always soonest expiry first"),
            Command::AcceptFilter | Command::Open => {
                self.filtering = false;
                let c = self.expiring.selected_ref()?;
                let row = self.all.rows.get(c.row as usize)?;
                let key = c.cred(&self.all).map(|k| k.key_id.to_string());
                let tab = match c.kind {
                    super::CredKind::Secret => DetailTab::ClientSecrets,
                    super::CredKind::Certificate => DetailTab::Certificates,
                };
                let fx = self.open_app(row.to_registration(), tab, true);
                // The credential chosen is the one selected on the App screen.
                if let (Some(d), Some(key)) = (self.detail.as_mut(), key) {
                    let at = match tab {
                        DetailTab::ClientSecrets => {
                            d.secrets().iter().position(|s| s.key_id.as_str() == key)
                        }
                        // In the order the tab shows them (soonest expiry first).
                        _ => d
                            .certificates()
                            .iter()
                            .position(|k| k.key_id.as_str() == key),
                    };
                    let slot = DetailTab::ALL.iter().position(|t| *t == tab);
                    if let (Some(at), Some(slot)) = (at, slot)
                        && let Some(sel) = d.selected.get_mut(slot)
                    {
                        *sel = at;
                    }
                }
                return Some(fx);
            }
            _ => return None,
        }
        Some(Vec::new())
    }
}

/// The toast for records left out of a listing (README "Unreadable records").
pub fn skipped_words(n: usize) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!(
        "Skipped {n} app registration{plural} that Graph sent in a form azsecrets cannot read (the log file names the fields); the rest of the list is complete."
    )
}
