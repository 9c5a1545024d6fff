//! The App screen: one registration with its owners and its three credential tabs, each with
//! its own keys (`Context::AppSecrets`, `AppCertificates`, `AppFederated`, then what they share
//! in `Context::App`), the policies in force (read so the Add dialogs never offer what the
//! tenant refuses), the dialogs it opens (add, delete, rotate, upload, self-signed, federated
//! credential, copy), and the row updates that dialogs' results ask for.

use crate::graph::{
    AppRegistration, ClientSecret, FederatedCredential, GraphError, ObjectId, Owner, SecretId,
};
use crate::keymap::{self, Command, Context};
use crate::policy::PolicyView;

use super::action::RequestId;
use super::dialogs::{
    AddSecret, Confirm, ConfirmKind, CopyItem, CopyKind, CopyMenu, FederatedDetail, NewCertificate,
    NewFederated, UploadCertificate,
};
use super::effect::Effect;
use super::loadable::Loadable;
use super::{App, Screen, ToastLevel, explain, scroll};

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

    /// The keys of this tab (then the screen's).
    pub fn context(self) -> Context {
        match self {
            DetailTab::Certificates => Context::AppCertificates,
            DetailTab::ClientSecrets => Context::AppSecrets,
            DetailTab::Federated => Context::AppFederated,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            DetailTab::Certificates => "Certificates",
            DetailTab::ClientSecrets => "Client secrets",
            DetailTab::Federated => "Federated credentials",
        }
    }
}

/// Rows of the App screen around its tables: title, five id lines, the owners, tabs, the
/// table's header, and the footer (`ui/app_screen.rs` lays them out; a flow test holds them
/// equal).
pub const APP_CHROME: u16 = 10;

/// The App screen: one registration with its three credential tabs.
#[derive(Debug)]
pub struct AppScreen {
    pub app: Loadable<AppRegistration>,
    pub federated: Loadable<Vec<FederatedCredential>>,
    pub owners: Loadable<Vec<Owner>>,
    /// What the app management policies say (or that they cannot be read).
    pub policy: Loadable<PolicyView>,
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

    /// Certificates in display order (soonest expiry first).
    pub fn certificates(&self) -> Vec<&crate::graph::Certificate> {
        let mut v: Vec<&crate::graph::Certificate> = self
            .registration()
            .map(|a| a.key_credentials.iter().collect())
            .unwrap_or_default();
        v.sort_by_key(|c| (c.end_date_time, c.key_id.0.clone()));
        v
    }

    pub fn selected_certificate(&self) -> Option<&crate::graph::Certificate> {
        self.certificates()
            .get(self.selected[DetailTab::Certificates.index()])
            .copied()
    }

    pub fn selected_federated(&self) -> Option<&FederatedCredential> {
        self.federated
            .value()?
            .get(self.selected[DetailTab::Federated.index()])
    }

    /// The policies' rules for this app, when they could be read.
    pub fn effective_policy(&self) -> Option<&crate::policy::Effective> {
        self.policy.value().and_then(PolicyView::effective)
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
            app: Loadable::Loaded(app.clone()),
            federated: Loadable::Idle,
            owners: Loadable::Idle,
            policy: Loadable::Idle,
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
        fx.push(Effect::LoadFederated {
            request: r,
            id: id.clone(),
        });
        let r = self.request();
        d.owners.start(r);
        fx.push(Effect::LoadOwners { request: r, id });
        let r = self.request();
        d.policy.start(r);
        fx.push(Effect::LoadPolicy {
            request: r,
            app: Box::new(app),
        });
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
            Command::NextTab | Command::PrevTab | Command::GoToTab(_) => {
                let i = match c {
                    Command::NextTab => (d.tab.index() + 1) % 3,
                    Command::PrevTab => (d.tab.index() + 2) % 3,
                    Command::GoToTab(i) => usize::from(i).min(2),
                    _ => d.tab.index(),
                };
                d.tab = DetailTab::ALL[i];
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
                // Password addition blocked: said before any dialog opens.
                if let Some(p) = d
                    .effective_policy()
                    .and_then(|e| e.password_blocked.clone())
                {
                    let name = p
                        .name
                        .as_deref()
                        .map(|n| format!(" '{n}'"))
                        .unwrap_or_default();
                    let text = format!(
                        "Client secrets are blocked here by policy{name} ({}). Add a certificate ({}/{} on Certificates) or a federated credential ({} on its tab).",
                        p.id,
                        keymap::key_for(Context::AppCertificates, Command::UploadCertificate),
                        keymap::key_for(Context::AppCertificates, Command::NewCertificate),
                        keymap::key_for(Context::AppFederated, Command::NewFederated),
                    );
                    self.toast(ToastLevel::Warning, text, None);
                    return Vec::new();
                }
                let cap = d.effective_policy().and_then(|e| e.password_max.clone());
                let form = AddSecret::new(app).with_cap(cap, self.now);
                d.tab = DetailTab::ClientSecrets;
                self.dialogs.push(form.into());
            }
            Command::DeleteSecret | Command::RotateSecret => {
                let chosen = d.selected_secret().cloned();
                let (Some(secret), Some(app)) = (chosen, d.registration()) else {
                    let text = "There is no client secret to choose on this app.".to_owned();
                    self.toast(ToastLevel::Warning, text, None);
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
                    let cap = d.effective_policy().and_then(|e| e.password_max.clone());
                    AddSecret::rotate(app, &secret, self.now)
                        .with_cap(cap, self.now)
                        .into()
                };
                self.dialogs.push(dialog);
            }
            Command::UploadCertificate | Command::NewCertificate => {
                let Some(app) = d.registration() else {
                    return Vec::new();
                };
                let cap = d.effective_policy().and_then(|e| e.certificate_max.clone());
                let dialog = if c == Command::UploadCertificate {
                    UploadCertificate::new(app, cap).into()
                } else {
                    NewCertificate::new(app, cap, self.now).into()
                };
                self.dialogs.push(dialog);
            }
            Command::DeleteCertificate => {
                let (Some(cert), Some(app)) = (d.selected_certificate().cloned(), d.registration())
                else {
                    let text = format!(
                        "There is no certificate to delete; {} uploads one.",
                        keymap::key_for(Context::AppCertificates, Command::UploadCertificate)
                    );
                    self.toast(ToastLevel::Warning, text, None);
                    return Vec::new();
                };
                let shown = app
                    .key_credentials
                    .iter()
                    .map(|k| k.key_id.clone())
                    .collect();
                let dialog =
                    Confirm::certificate(app.id.clone(), app.display_name.clone(), cert, shown);
                self.dialogs.push(dialog.into());
            }
            Command::NewFederated => {
                let Some(app) = d.registration() else {
                    return Vec::new();
                };
                let Some(existing) = d.federated.value().cloned() else {
                    let text =
                        "The federated credentials are still being read; try again in a moment.";
                    self.toast(ToastLevel::Warning, text, None);
                    return Vec::new();
                };
                self.dialogs.push(NewFederated::new(app, existing).into());
            }
            Command::Open | Command::DeleteFederated => {
                let (Some(cred), Some(app)) = (d.selected_federated().cloned(), d.registration())
                else {
                    let text = format!(
                        "There is no federated credential here; {} adds one.",
                        keymap::key_for(Context::AppFederated, Command::NewFederated)
                    );
                    self.toast(ToastLevel::Warning, text, None);
                    return Vec::new();
                };
                let dialog = if c == Command::Open {
                    FederatedDetail::new(app.display_name.clone(), cred).into()
                } else {
                    Confirm::federated(app.id.clone(), app.display_name.clone(), cred).into()
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

    /// Read the open app's federated credentials again, if it is `id`.
    pub(super) fn reload_federated(&mut self, id: &ObjectId) -> Vec<Effect> {
        let open = self.detail.as_ref().and_then(AppScreen::registration);
        if open.is_none_or(|a| &a.id != id) {
            return Vec::new();
        }
        let r = self.request();
        if let Some(d) = self.detail.as_mut() {
            d.federated.start(r);
        }
        vec![Effect::LoadFederated {
            request: r,
            id: id.clone(),
        }]
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
