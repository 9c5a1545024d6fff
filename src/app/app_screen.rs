//! The App screen: one registration with its three credential tabs, its commands (move,
//! tabs, refresh, and the dialogs it opens: add, delete, rotate, copy), and the row updates
//! that dialogs' results ask for.

use crate::graph::{
    AppRegistration, ClientSecret, FederatedCredential, GraphError, ObjectId, SecretId,
};
use crate::keymap::{self, Command, Context};

use super::action::RequestId;
use super::dialogs::{AddSecret, Confirm, ConfirmKind, CopyItem, CopyKind, CopyMenu};
use super::effect::Effect;
use super::loadable::Loadable;
use super::{App, Screen, explain, scroll};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetailTab {
    Certificates,
    ClientSecrets,
    Federated,
}

impl DetailTab {
    pub const ALL: [DetailTab; 3] = [
        DetailTab::Certificates,
        DetailTab::ClientSecrets,
        DetailTab::Federated,
    ];

    fn index(self) -> usize {
        match self {
            DetailTab::Certificates => 0,
            DetailTab::ClientSecrets => 1,
            DetailTab::Federated => 2,
        }
    }
}

/// Rows of the App screen around its tables: title, five id lines, tabs, the table's
/// header, and the footer (`ui/app_screen.rs` lays them out; a flow test holds them equal).
pub const APP_CHROME: u16 = 9;

/// The App screen: one registration with its three credential tabs.
#[derive(Debug)]
pub struct AppScreen {
    pub app: Loadable<AppRegistration>,
    pub federated: Loadable<Vec<FederatedCredential>>,
    pub tab: DetailTab,
    /// Selected row per tab.
    pub selected: [usize; 3],
    /// First visible row of the current tab's table (the model keeps the selection in view).
    pub offset: usize,
}

impl AppScreen {
    pub fn registration(&self) -> Option<&AppRegistration> {
        self.app.value()
    }

    /// Client secrets in display order (soonest expiry first, as the portal lists them).
    pub fn secrets(&self) -> Vec<&ClientSecret> {
        let mut v: Vec<&ClientSecret> = self
            .registration()
            .map(|a| a.password_credentials.iter().collect())
            .unwrap_or_default();
        v.sort_by_key(|s| (s.end_date_time, s.key_id.0.clone()));
        v
    }

    pub fn selected_secret(&self) -> Option<&ClientSecret> {
        self.secrets()
            .get(self.selected[DetailTab::ClientSecrets.index()])
            .copied()
    }

    pub fn selected_index(&self) -> usize {
        self.selected[self.tab.index()]
    }

    /// Rows of the current tab.
    pub fn rows(&self) -> usize {
        match self.tab {
            DetailTab::Certificates => self.registration().map_or(0, |a| a.key_credentials.len()),
            DetailTab::ClientSecrets => self
                .registration()
                .map_or(0, |a| a.password_credentials.len()),
            DetailTab::Federated => self.federated.value().map_or(0, Vec::len),
        }
    }

    fn move_by(&mut self, delta: isize) {
        let n = self.rows();
        let sel = &mut self.selected[self.tab.index()];
        *sel = if n == 0 {
            0
        } else {
            sel.saturating_add_signed(delta).min(n - 1)
        };
    }

    /// Keep the selection inside a window of `rows`.
    pub(super) fn scroll(&mut self, rows: usize) {
        self.offset = scroll::follow(self.offset, self.selected_index(), rows, self.rows());
    }

    fn with_app(&mut self, f: impl FnOnce(&mut AppRegistration)) {
        match &mut self.app {
            Loadable::Loaded(a) => f(a),
            Loadable::Loading { stale: Some(a), .. } | Loadable::Failed { stale: Some(a), .. } => {
                f(a)
            }
            _ => {}
        }
    }
}

impl App {
    /// Rows a credential table shows at the current size.
    pub fn app_page_rows(&self) -> usize {
        usize::from(self.size.height.saturating_sub(APP_CHROME)).max(1)
    }

    pub(super) fn open_app(
        &mut self,
        app: AppRegistration,
        tab: DetailTab,
        reload: bool,
    ) -> Vec<Effect> {
        let id = app.id.clone();
        let mut d = AppScreen {
            app: Loadable::Loaded(app),
            federated: Loadable::Idle,
            tab,
            selected: [0; 3],
            offset: 0,
        };
        let mut fx = Vec::new();
        if reload {
            let r = self.request();
            d.app.start(r);
            fx.push(Effect::LoadApp {
                request: r,
                id: id.clone(),
            });
        }
        let r = self.request();
        d.federated.start(r);
        fx.push(Effect::LoadFederated { request: r, id });
        self.detail = Some(d);
        self.screen = Screen::App;
        fx
    }

    /// The open app read again: shown (and in the lists) unless a newer read is on its way.
    pub(super) fn app_loaded(&mut self, r: RequestId, result: Result<AppRegistration, GraphError>) {
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        match result {
            Ok(app) => {
                if d.app.settle(r, Ok(app.clone())) {
                    let (query, sort) = (self.filter.value().to_owned(), self.sort);
                    for list in [&mut self.all, &mut self.owned] {
                        if list.rows.iter().any(|a| a.id == app.id) {
                            list.upsert(app.clone(), &query, sort);
                        }
                    }
                }
            }
            Err(e) => {
                let info = explain(&e);
                if d.app.settle(r, Err(info.clone())) {
                    self.error_toast(&info);
                }
            }
        }
    }

    pub(super) fn app_command(&mut self, c: Command) -> Vec<Effect> {
        let page = self.app_page_rows() as isize;
        let Some(d) = self.detail.as_mut() else {
            self.screen = Screen::Apps;
            return Vec::new();
        };
        match c {
            Command::Up => d.move_by(-1),
            Command::Down => d.move_by(1),
            Command::PageUp => d.move_by(-page),
            Command::PageDown => d.move_by(page),
            Command::First => d.selected[d.tab.index()] = 0,
            Command::Last => d.move_by(isize::MAX),
            Command::NextTab => {
                d.tab = DetailTab::ALL[(d.tab.index() + 1) % 3];
                d.offset = 0;
            }
            Command::Back => {
                self.detail = None;
                self.screen = Screen::Apps;
            }
            Command::Refresh => {
                let Some(id) = d.registration().map(|a| a.id.clone()) else {
                    return Vec::new();
                };
                return self.reload_detail(&id, true);
            }
            Command::NewSecret => {
                let Some(app) = d.registration() else {
                    return Vec::new();
                };
                let form = AddSecret::new(app);
                d.tab = DetailTab::ClientSecrets;
                self.dialogs.push(form.into());
            }
            Command::DeleteSecret | Command::RotateSecret => {
                let chosen = (d.tab == DetailTab::ClientSecrets)
                    .then(|| d.selected_secret().cloned())
                    .flatten();
                let (Some(secret), Some(app)) = (chosen, d.registration()) else {
                    self.info(format!(
                        "Select a client secret on the Client secrets tab first ({} switches tabs).",
                        keymap::key_for(Context::App, Command::NextTab)
                    ));
                    return Vec::new();
                };
                let dialog = if c == Command::DeleteSecret {
                    Confirm::new(
                        ConfirmKind::Delete,
                        app.id.clone(),
                        app.display_name.clone(),
                        secret,
                    )
                    .into()
                } else {
                    AddSecret::rotate(app, &secret, self.now).into()
                };
                self.dialogs.push(dialog);
            }
            Command::CopyMenu => {
                let Some(app) = d.registration() else {
                    return Vec::new();
                };
                let secret = (d.tab == DetailTab::ClientSecrets)
                    .then(|| d.selected_secret().map(|s| s.key_id.0.clone()))
                    .flatten();
                let tenant = self.organization.value().map(|o| o.id.0.clone());
                let item = |kind, value| CopyItem { kind, value };
                let items = vec![
                    item(CopyKind::ApplicationId, Some(app.app_id.0.clone())),
                    item(CopyKind::TenantId, tenant),
                    item(CopyKind::ObjectId, Some(app.id.0.clone())),
                    item(CopyKind::SecretId, secret),
                ];
                self.dialogs.push(CopyMenu::new(items).into());
            }
            _ => {}
        }
        Vec::new()
    }

    /// Read the open app (and, on a refresh, its federated credentials) again, if it is `id`.
    pub(super) fn reload_detail(&mut self, id: &ObjectId, federated: bool) -> Vec<Effect> {
        let open = self.detail.as_ref().and_then(AppScreen::registration);
        if open.is_none_or(|a| &a.id != id) {
            return Vec::new();
        }
        let mut fx = Vec::new();
        let r = self.request();
        fx.push(Effect::LoadApp {
            request: r,
            id: id.clone(),
        });
        let f = federated.then(|| self.request());
        if let Some(r) = f {
            fx.push(Effect::LoadFederated {
                request: r,
                id: id.clone(),
            });
        }
        if let Some(d) = self.detail.as_mut() {
            d.app.start(r);
            if let Some(r) = f {
                d.federated.start(r);
            }
        }
        fx
    }

    /// Show a new secret's metadata on the App screen (selected) and in the lists.
    pub(super) fn insert_secret(&mut self, app: &ObjectId, meta: &ClientSecret) {
        let put = |a: &mut AppRegistration| {
            a.password_credentials.retain(|s| s.key_id != meta.key_id);
            a.password_credentials.push(meta.clone());
        };
        if let Some(d) = self.detail.as_mut() {
            let mut here = false;
            d.with_app(|a| {
                if &a.id == app {
                    put(a);
                    here = true;
                }
            });
            if here {
                d.tab = DetailTab::ClientSecrets;
                let pos = d.secrets().iter().position(|s| s.key_id == meta.key_id);
                d.selected[DetailTab::ClientSecrets.index()] = pos.unwrap_or(0);
            }
        }
        for list in [&mut self.all, &mut self.owned] {
            list.update_row(app, put);
        }
    }

    pub(super) fn remove_secret_row(&mut self, app: &ObjectId, key: &SecretId) {
        if let Some(d) = self.detail.as_mut() {
            d.with_app(|a| {
                if &a.id == app {
                    a.password_credentials.retain(|s| &s.key_id != key);
                }
            });
            d.move_by(0);
        }
        for list in [&mut self.all, &mut self.owned] {
            list.update_row(app, |a| a.password_credentials.retain(|s| &s.key_id != key));
        }
    }
}
