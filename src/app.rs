//! The model: state, `Action`, `update()`, `Effect`. No I/O, no drawing.
//!
//! Keys become `Action::Command` through the key map (or `Action::Input` for the focused text
//! field); effect results come back as actions carrying a `Result` and the request id they
//! answer, and answers to anything but the latest request are dropped. `update` only mutates
//! the model and returns the effects to run; `tui.rs` runs them, `ui` draws `&App`.

pub mod action;
pub mod apps_list;
pub mod dialogs;
pub mod effect;
pub mod forms;
pub mod loadable;
pub mod sign_in;
pub mod summary;

use std::cell::Cell;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::auth::SourceKind;
use crate::graph::{
    AppQuery, AppRegistration, ClientSecret, FederatedCredential, GraphError, Me, ObjectId,
    Organization, RemoveOutcome, SecretId,
};
use crate::handoff::{CopyMethod, CopyReport, HandoffError};
use crate::keymap::{self, Command, Context};

pub use action::{Action, CopyTarget};
pub use apps_list::{AppList, ListLoad, SortKey};
pub use dialogs::{
    ConfirmDelete, ConfirmFocus, ConfirmKind, CopyItem, CopyMenu, Dialog, Reveal, RevealMode,
    StatusLine,
};
pub use effect::Effect;
pub use forms::{AddFocus, AddSecretForm, ExpiryChoice, NewFocus, NewRegistrationForm};
pub use loadable::{ErrorInfo, Loadable};
pub use sign_in::{SignInAccount, SignInState};
pub use summary::{CreatedSecret, DeletedSecret, Summary};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppsTab {
    All,
    Owned,
}

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Apps,
    App,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastLevel {
    Info,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    pub level: ToastLevel,
    pub text: String,
    /// Graph's code and request-id, for errors.
    pub reference: Option<String>,
    pub until: DateTime<Utc>,
}

/// The App screen: one registration with its three credential tabs.
#[derive(Debug)]
pub struct AppScreen {
    pub app: Loadable<AppRegistration>,
    pub federated: Loadable<Vec<FederatedCredential>>,
    pub tab: DetailTab,
    /// Selected row per tab.
    pub selected: [usize; 3],
    pub offset: Cell<usize>,
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

    fn rows(&self) -> usize {
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

/// How the run was started; fixed for its lifetime.
#[derive(Clone, Debug)]
pub struct Settings {
    pub read_only: bool,
    pub source: SourceKind,
}

pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Why write actions are disabled, shown beside them.
pub const READ_ONLY_REASON: &str = "read-only mode (--read-only)";

#[derive(Debug)]
pub struct App {
    /// The clock views read; set by `Action::Tick` (tests pin it).
    pub now: DateTime<Utc>,
    pub settings: Settings,
    pub organization: Loadable<Organization>,
    pub me: Loadable<Me>,
    pub screen: Screen,
    pub tab: AppsTab,
    pub all: AppList,
    pub owned: AppList,
    pub filter: Input,
    pub filtering: bool,
    pub sort: SortKey,
    /// A GUID from the filter being looked up.
    pub lookup: Option<(u64, String)>,
    pub detail: Option<AppScreen>,
    pub dialogs: Vec<Dialog>,
    pub toasts: Vec<Toast>,
    pub summary: Summary,
    pub should_quit: bool,
    pub spinner: usize,
    /// Rows a page holds on screen, learned while drawing (for PgUp/PgDn).
    pub page_rows: Cell<usize>,
    /// Device-code sign-in: the prompt screen and what it is for.
    pub sign_in: SignInState,
    next_request: u64,
}

impl App {
    pub fn new(settings: Settings, now: DateTime<Utc>) -> Self {
        Self {
            now,
            settings,
            organization: Loadable::Idle,
            me: Loadable::Idle,
            screen: Screen::Apps,
            tab: AppsTab::All,
            all: AppList::default(),
            owned: AppList::default(),
            filter: Input::default(),
            filtering: false,
            sort: SortKey::Name,
            lookup: None,
            detail: None,
            dialogs: Vec::new(),
            toasts: Vec::new(),
            summary: Summary::default(),
            should_quit: false,
            spinner: 0,
            page_rows: Cell::new(10),
            sign_in: SignInState::default(),
            next_request: 0,
        }
    }

    /// The first effects: tenant, identity, and the first page of apps. With a device-code
    /// sign-in the tenant goes first alone: it is what signs in, and the rest follow once it
    /// answers (see [`SignInState::gated`]).
    pub fn start(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        let r = self.request();
        self.organization.start(r);
        fx.push(Effect::LoadOrganization { request: r });
        if self.settings.source == SourceKind::DeviceCode {
            self.sign_in.gated = true;
            return fx;
        }
        fx.extend(self.start_after_sign_in());
        fx
    }

    /// Identity and the first page of apps (what waits for a device-code sign-in).
    fn start_after_sign_in(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        if !self.settings.source.is_app_only() {
            let r = self.request();
            self.me.start(r);
            fx.push(Effect::LoadMe { request: r });
        }
        fx.extend(self.load_list(AppsTab::All));
        fx
    }

    fn request(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    pub fn list(&self, tab: AppsTab) -> &AppList {
        match tab {
            AppsTab::All => &self.all,
            AppsTab::Owned => &self.owned,
        }
    }

    fn list_mut(&mut self, tab: AppsTab) -> &mut AppList {
        match tab {
            AppsTab::All => &mut self.all,
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

    pub fn tenant_id(&self) -> Option<&crate::graph::TenantId> {
        self.organization.value().map(|o| &o.id)
    }

    /// Something is on its way: the spinner turns and the loop ticks.
    pub fn is_busy(&self) -> bool {
        let dialog_pending = self.dialogs.iter().any(|d| match d {
            Dialog::AddSecret(f) => f.pending.is_some(),
            Dialog::Reveal(r) => r.pending.is_some(),
            Dialog::Confirm(c) => c.pending.is_some(),
            Dialog::NewRegistration(f) => f.pending.is_some(),
            _ => false,
        });
        dialog_pending
            || self.organization.is_loading()
            || self.me.is_loading()
            || self.all.is_loading()
            || self.owned.is_loading()
            || self.lookup.is_some()
            || self
                .detail
                .as_ref()
                .is_some_and(|d| d.app.is_loading() || d.federated.is_loading())
    }

    /// The loop also ticks while toasts wait to expire and while a sign-in code counts down.
    pub fn needs_tick(&self) -> bool {
        self.is_busy() || !self.toasts.is_empty() || self.sign_in.prompt.is_some()
    }

    pub fn spinner_frame(&self) -> &'static str {
        SPINNER[self.spinner % SPINNER.len()]
    }

    /// Where keys go now: the top dialog, else the screen.
    pub fn context(&self) -> Context {
        // The sign-in screen covers everything but its own help overlay.
        if self.sign_in.prompt.is_some() {
            return match self.dialogs.last() {
                Some(Dialog::Help) => Context::Help,
                _ => Context::SignIn,
            };
        }
        match self.dialogs.last() {
            Some(Dialog::Help) => Context::Help,
            Some(Dialog::CopyMenu(_)) => Context::CopyMenu,
            Some(Dialog::AddSecret(_)) => Context::AddSecret,
            Some(Dialog::Reveal(r)) => match r.mode {
                RevealMode::Normal => Context::Reveal,
                RevealMode::WritePath(_) => Context::RevealPath,
                RevealMode::ConfirmClose => Context::RevealConfirmClose,
            },
            Some(Dialog::Confirm(c)) => match c.kind {
                ConfirmKind::Delete => Context::ConfirmDelete,
                ConfirmKind::RotateOld => Context::RotatePrompt,
            },
            Some(Dialog::NewRegistration(_)) => Context::NewRegistration,
            None => match self.screen {
                Screen::Apps if self.filtering => Context::Filter,
                Screen::Apps => Context::Apps,
                Screen::App => Context::App,
            },
        }
    }

    /// The context the help overlay describes (the one under it).
    pub fn help_context(&self) -> Context {
        if self.sign_in.prompt.is_some() {
            return Context::SignIn;
        }
        // The dialog under the help overlay, if any (help is on top while shown).
        let under = match self.dialogs.split_last() {
            Some((Dialog::Help, rest)) => rest.last(),
            _ => self.dialogs.last(),
        };
        match under {
            None => match self.screen {
                Screen::Apps => Context::Apps,
                Screen::App => Context::App,
            },
            Some(Dialog::AddSecret(_)) => Context::AddSecret,
            Some(Dialog::Reveal(_)) => Context::Reveal,
            Some(Dialog::Confirm(c)) if c.kind == ConfirmKind::RotateOld => Context::RotatePrompt,
            Some(Dialog::Confirm(_)) => Context::ConfirmDelete,
            Some(Dialog::NewRegistration(_)) => Context::NewRegistration,
            Some(Dialog::CopyMenu(_)) => Context::CopyMenu,
            Some(Dialog::Help) => Context::Help,
        }
    }

    /// A write command is disabled (and why), for the footer and help.
    pub fn disabled_reason(&self, command: Command) -> Option<&'static str> {
        (self.settings.read_only && command.is_write()).then_some(READ_ONLY_REASON)
    }

    /// Resolve a key through the key map.
    pub fn action_for_key(&self, key: KeyEvent) -> Option<Action> {
        if key.kind != KeyEventKind::Press {
            return None;
        }
        let context = self.context();
        match keymap::lookup(context, &key) {
            Some(b) => Some(Action::Command(b.command)),
            None if keymap::takes_text(context) => Some(Action::Input(key)),
            None => None,
        }
    }

    /// Key in, effects out (what the loop and the headless tests call).
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        match self.action_for_key(key) {
            Some(a) => self.update(a),
            None => Vec::new(),
        }
    }

    fn toast(&mut self, level: ToastLevel, text: impl Into<String>, reference: Option<String>) {
        let secs = match level {
            ToastLevel::Info => 5,
            ToastLevel::Error => 15,
        };
        self.toasts.push(Toast {
            level,
            text: text.into(),
            reference,
            until: self.now + Duration::seconds(secs),
        });
        // Keep the newest few; older ones would only cover the table.
        if self.toasts.len() > 3 {
            self.toasts.remove(0);
        }
    }

    fn info(&mut self, text: impl Into<String>) {
        self.toast(ToastLevel::Info, text, None);
    }

    fn graph_error(&mut self, e: &GraphError) -> ErrorInfo {
        let info = ErrorInfo::from_graph(e);
        tracing::warn!(
            error = %e,
            code = info.code.as_deref().unwrap_or(""),
            request_id = info.request_id.as_deref().unwrap_or(""),
            "shown to the user"
        );
        info
    }

    fn error_toast(&mut self, e: &GraphError) {
        let info = self.graph_error(e);
        self.toast(
            ToastLevel::Error,
            format!("{} {}", info.message, info.advice),
            info.reference(),
        );
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Command(c) => self.command(c),
            Action::Input(key) => self.input(key),
            Action::Tick(now) => {
                self.now = now;
                self.spinner = self.spinner.wrapping_add(1);
                self.toasts.retain(|t| t.until > now);
                Vec::new()
            }
            Action::Resize => Vec::new(),
            Action::Quit => {
                self.should_quit = true;
                Vec::new()
            }
            Action::SignInPrompt(prompt) => {
                if prompt.is_some() {
                    tracing::info!("device-code sign-in waiting for the user");
                } else if self.sign_in.prompt.is_some() {
                    tracing::info!("device-code sign-in ended");
                }
                if prompt.as_ref().map(|p| &p.user_code)
                    != self.sign_in.prompt.as_ref().map(|p| &p.user_code)
                {
                    // A new code (or none): the last copy was of another one.
                    self.sign_in.status = None;
                    self.sign_in.copy_request = None;
                }
                self.sign_in.prompt = prompt;
                Vec::new()
            }
            Action::OrganizationLoaded(r, result) => {
                let sign_in_failed = matches!(result, Err(GraphError::Auth(_)));
                let result = result.map_err(|e| self.graph_error(&e));
                let failed = result.as_ref().err().cloned();
                if !self.organization.settle(r, result) || !self.sign_in.gated {
                    return Vec::new();
                }
                // The gated device-code start: signed in (or not) now.
                self.sign_in.gated = false;
                match failed {
                    Some(info) if sign_in_failed => {
                        self.sign_in.failed = true;
                        self.fail_gated_loads(&info);
                        Vec::new()
                    }
                    // Signed in; the tenant itself may have failed, which the header shows.
                    _ => self.start_after_sign_in(),
                }
            }
            Action::MeLoaded(r, result) => {
                let result = result.map_err(|e| self.graph_error(&e));
                self.me.settle(r, result);
                Vec::new()
            }
            Action::AppsPage {
                request,
                tab,
                result,
            } => {
                let query = self.filter.value().to_owned();
                let sort = self.sort;
                match result {
                    Ok(page) => {
                        self.list_mut(tab).take_page(
                            request,
                            page.items,
                            page.has_more,
                            &query,
                            sort,
                        );
                    }
                    Err(e) => {
                        let info = self.graph_error(&e);
                        if self.list_mut(tab).fail(request, info.clone()) {
                            self.toast(
                                ToastLevel::Error,
                                format!("{} {}", info.message, info.advice),
                                info.reference(),
                            );
                        }
                    }
                }
                Vec::new()
            }
            Action::AppLookedUp(r, result) => {
                if self.lookup.as_ref().is_none_or(|(req, _)| *req != r) {
                    return Vec::new();
                }
                let id = self.lookup.take().map(|(_, id)| id).unwrap_or_default();
                match result {
                    Ok(app) => {
                        let (query, sort) = (self.filter.value().to_owned(), self.sort);
                        self.list_mut(self.tab).upsert(app, &query, sort);
                    }
                    Err(e) if e.is_not_found() => self.toast(
                        ToastLevel::Error,
                        format!("No application has the Application ID or Object ID {id}."),
                        e.request_id().map(|r| format!("request-id {r}")),
                    ),
                    Err(e) => self.error_toast(&e),
                }
                Vec::new()
            }
            Action::AppLoaded(r, result) => {
                let result = result.map_err(|e| self.graph_error(&e));
                let Some(d) = self.detail.as_mut() else {
                    return Vec::new();
                };
                if let Ok(app) = &result {
                    let fresh = app.clone();
                    if d.app.settle(r, Ok(fresh)) {
                        let (query, sort) = (self.filter.value().to_owned(), self.sort);
                        for tab in [AppsTab::All, AppsTab::Owned] {
                            let list = self.list_mut(tab);
                            if list.rows.iter().any(|a| a.id == app.id) {
                                list.upsert(app.clone(), &query, sort);
                            }
                        }
                    }
                } else if let Err(info) = result
                    && d.app.settle(r, Err(info.clone()))
                {
                    self.toast(
                        ToastLevel::Error,
                        format!("{} {}", info.message, info.advice),
                        info.reference(),
                    );
                }
                Vec::new()
            }
            Action::FederatedLoaded(r, result) => {
                let result = result.map_err(|e| self.graph_error(&e));
                if let Some(d) = self.detail.as_mut() {
                    d.federated.settle(r, result);
                }
                Vec::new()
            }
            Action::SecretAdded(r, result) => self.secret_added(r, result),
            Action::SecretRemoved(r, result) => self.secret_removed(r, result),
            Action::AppCreated(r, result) => self.app_created(r, result),
            Action::Copied(r, target, result) => {
                self.copied(r, target, result);
                Vec::new()
            }
            Action::EnvFileWritten(r, result) => {
                self.env_written(r, result);
                Vec::new()
            }
        }
    }

    fn command(&mut self, c: Command) -> Vec<Effect> {
        if let Some(reason) = self.disabled_reason(c) {
            self.toast(
                ToastLevel::Error,
                format!("Disabled: {reason}. Nothing was changed."),
                None,
            );
            return Vec::new();
        }
        match c {
            Command::Quit => {
                self.should_quit = true;
                return Vec::new();
            }
            Command::Help => {
                if !matches!(self.dialogs.last(), Some(Dialog::Help)) {
                    self.dialogs.push(Dialog::Help);
                }
                return Vec::new();
            }
            _ => {}
        }
        match self.context() {
            Context::SignIn => self.sign_in_command(c),
            Context::Help => {
                if c == Command::Back {
                    self.dialogs.pop();
                }
                Vec::new()
            }
            Context::CopyMenu => self.copy_menu_command(c),
            Context::AddSecret => self.add_command(c),
            Context::Reveal | Context::RevealPath | Context::RevealConfirmClose => {
                self.reveal_command(c)
            }
            Context::ConfirmDelete | Context::RotatePrompt => self.confirm_command(c),
            Context::NewRegistration => self.new_registration_command(c),
            Context::Apps | Context::Filter => self.apps_command(c),
            Context::App => self.app_command(c),
            Context::Global => Vec::new(),
        }
    }

    fn input(&mut self, key: KeyEvent) -> Vec<Effect> {
        let ev = Event::Key(key);
        match self.dialogs.last_mut() {
            Some(Dialog::AddSecret(f)) if f.pending.is_none() => {
                if let Some(i) = f.focused_input() {
                    i.handle_event(&ev);
                    f.invalid = None;
                }
            }
            Some(Dialog::NewRegistration(f)) if f.pending.is_none() => {
                if let Some(i) = f.focused_input() {
                    i.handle_event(&ev);
                    f.invalid = None;
                }
            }
            Some(Dialog::Reveal(r)) => {
                if let RevealMode::WritePath(i) = &mut r.mode {
                    i.handle_event(&ev);
                }
            }
            None if self.screen == Screen::Apps
                && self.filtering
                && self.filter.handle_event(&ev).is_some() =>
            {
                self.refilter(false);
                // A whole GUID that no loaded row has (typed or pasted): fetch it now.
                return self.lookup_effect();
            }
            _ => {}
        }
        Vec::new()
    }

    fn refilter(&mut self, rows_changed: bool) {
        let (query, sort) = (self.filter.value().to_owned(), self.sort);
        self.all.refilter(&query, sort, rows_changed);
        self.owned.refilter(&query, sort, rows_changed);
    }

    /// A pasted or typed GUID that no loaded row has: ask Graph for it.
    fn lookup_effect(&mut self) -> Vec<Effect> {
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

    fn load_list(&mut self, tab: AppsTab) -> Vec<Effect> {
        if tab == AppsTab::Owned && self.owned_unavailable() {
            return Vec::new();
        }
        let r = self.request();
        self.list_mut(tab).start_load(r);
        vec![Effect::LoadApps {
            request: r,
            tab,
            query: AppQuery {
                owned: tab == AppsTab::Owned,
                ..AppQuery::default()
            },
        }]
    }

    fn apps_command(&mut self, c: Command) -> Vec<Effect> {
        let page = self.page_rows.get().max(1) as isize;
        let tab = self.tab;
        match c {
            Command::Up => self.list_mut(tab).move_by(-1),
            Command::Down => self.list_mut(tab).move_by(1),
            Command::PageUp => self.list_mut(tab).move_by(-page),
            Command::PageDown => self.list_mut(tab).move_by(page),
            Command::First => self.list_mut(tab).selected = 0,
            Command::Last => self.list_mut(tab).select_last(),
            Command::StartFilter => self.filtering = true,
            Command::AcceptFilter => {
                // Enter in the filter opens the selected match (the filter stays for Esc
                // back); with no match, a whole GUID is looked up in the directory.
                self.filtering = false;
                if let Some(app) = self.current_list().selected_app().cloned() {
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
            Command::NextTab if self.owned_unavailable() => {
                // The Owned tab is hidden: an app-only sign-in has no /me to own anything.
                self.tab = AppsTab::All;
                self.info("Owned applications need a user sign-in; this is an app-only sign-in (service principal)");
            }
            Command::NextTab => {
                self.tab = match self.tab {
                    AppsTab::All => AppsTab::Owned,
                    AppsTab::Owned => AppsTab::All,
                };
                if self.list(self.tab).load == ListLoad::Idle {
                    return self.load_list(self.tab);
                }
            }
            Command::CycleSort => {
                self.sort = self.sort.next();
                self.refilter(true);
                self.info(format!("Sorted by {}", self.sort.label()));
            }
            Command::Refresh if self.sign_in.failed => {
                // Sign in again (a new code) before anything else asks for a token.
                let r = self.request();
                self.organization.start(r);
                self.sign_in.failed = false;
                self.sign_in.gated = true;
                return vec![Effect::LoadOrganization { request: r }];
            }
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
            Command::NewRegistration => {
                self.dialogs
                    .push(Dialog::NewRegistration(NewRegistrationForm::default()));
            }
            Command::Open => {
                self.filtering = false;
                if let Some(app) = self.current_list().selected_app().cloned() {
                    return self.open_app(app, DetailTab::ClientSecrets, true);
                }
                return self.lookup_effect();
            }
            _ => {}
        }
        Vec::new()
    }

    fn open_app(&mut self, app: AppRegistration, tab: DetailTab, reload: bool) -> Vec<Effect> {
        let id = app.id.clone();
        let mut d = AppScreen {
            app: Loadable::Loaded(app),
            federated: Loadable::Idle,
            tab,
            selected: [0; 3],
            offset: Cell::new(0),
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

    fn app_command(&mut self, c: Command) -> Vec<Effect> {
        let page = self.page_rows.get().max(1) as isize;
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
                d.offset.set(0);
            }
            Command::Back => {
                self.detail = None;
                self.screen = Screen::Apps;
            }
            Command::Refresh => {
                let Some(id) = d.registration().map(|a| a.id.clone()) else {
                    return Vec::new();
                };
                let r1 = self.request();
                let r2 = self.request();
                if let Some(d) = self.detail.as_mut() {
                    d.app.start(r1);
                    d.federated.start(r2);
                }
                return vec![
                    Effect::LoadApp {
                        request: r1,
                        id: id.clone(),
                    },
                    Effect::LoadFederated { request: r2, id },
                ];
            }
            Command::NewSecret => {
                let Some(app) = d.registration() else {
                    return Vec::new();
                };
                let form = AddSecretForm::new(app);
                d.tab = DetailTab::ClientSecrets;
                self.dialogs.push(Dialog::AddSecret(form));
            }
            Command::DeleteSecret | Command::RotateSecret => {
                let chosen = (d.tab == DetailTab::ClientSecrets)
                    .then(|| d.selected_secret().cloned())
                    .flatten();
                let (Some(secret), Some(app)) = (chosen, d.registration()) else {
                    self.info("Select a client secret on the Client secrets tab first (Tab switches tabs).");
                    return Vec::new();
                };
                let dialog = if c == Command::DeleteSecret {
                    Dialog::Confirm(ConfirmDelete::new(
                        ConfirmKind::Delete,
                        app.id.clone(),
                        app.display_name.clone(),
                        secret,
                    ))
                } else {
                    Dialog::AddSecret(AddSecretForm::rotate(app, &secret, self.now))
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
                let items = vec![
                    CopyItem {
                        label: "Application (client) ID",
                        value: Some(app.app_id.0.clone()),
                        note: "",
                    },
                    CopyItem {
                        label: "Directory (tenant) ID",
                        value: self.organization.value().map(|o| o.id.0.clone()),
                        note: "",
                    },
                    CopyItem {
                        label: "Object ID",
                        value: Some(app.id.0.clone()),
                        note: "",
                    },
                    CopyItem {
                        label: "Secret ID",
                        value: secret,
                        note: "the secret's id, NOT its value",
                    },
                ];
                self.dialogs
                    .push(Dialog::CopyMenu(CopyMenu { items, selected: 0 }));
            }
            _ => {}
        }
        Vec::new()
    }

    fn copy_menu_command(&mut self, c: Command) -> Vec<Effect> {
        let Some(Dialog::CopyMenu(m)) = self.dialogs.last_mut() else {
            return Vec::new();
        };
        let pick = match c {
            Command::Up => {
                m.selected = m.selected.saturating_sub(1);
                None
            }
            Command::Down => {
                m.selected = (m.selected + 1).min(m.items.len().saturating_sub(1));
                None
            }
            Command::Activate => Some(m.selected),
            Command::CopyItem(n) => Some(usize::from(n)),
            Command::Back => Some(usize::MAX),
            _ => None,
        };
        let Some(i) = pick else { return Vec::new() };
        let item = m.items.get(i).cloned();
        let Some(item) = item else {
            if i == usize::MAX {
                self.dialogs.pop();
            }
            return Vec::new();
        };
        self.dialogs.pop();
        match item.value {
            Some(text) => {
                let r = self.request();
                vec![Effect::CopyText {
                    request: r,
                    label: item.label,
                    text,
                }]
            }
            None => {
                let why = if item.label == "Secret ID" {
                    "select a client secret first"
                } else {
                    "it is not known yet"
                };
                self.info(format!("Cannot copy the {}: {why}.", item.label));
                Vec::new()
            }
        }
    }

    fn add_command(&mut self, c: Command) -> Vec<Effect> {
        let now = self.now;
        let read_only = self.settings.read_only;
        let Some(Dialog::AddSecret(f)) = self.dialogs.last_mut() else {
            return Vec::new();
        };
        if f.pending.is_some() {
            // Closing now would lose the value Graph is about to return.
            if c == Command::Back {
                self.info("Waiting for Graph to answer; the dialog closes when it does.");
            }
            return Vec::new();
        }
        match c {
            Command::NextField => f.cycle_focus(true),
            Command::PrevField => f.cycle_focus(false),
            Command::Up | Command::Down if f.focus == AddFocus::Expires => {
                let n = ExpiryChoice::ALL.len();
                f.choice = if c == Command::Up {
                    (f.choice + n - 1) % n
                } else {
                    (f.choice + 1) % n
                };
                f.invalid = None;
            }
            Command::Up => f.cycle_focus(false),
            Command::Down => f.cycle_focus(true),
            Command::Back => {
                self.dialogs.pop();
            }
            Command::Activate => match f.focus {
                AddFocus::Cancel => {
                    self.dialogs.pop();
                }
                AddFocus::Add => {
                    if read_only {
                        f.invalid = Some(format!("Disabled: {READ_ONLY_REASON}."));
                        return Vec::new();
                    }
                    match f.request(now) {
                        Err(msg) => f.invalid = Some(msg),
                        Ok(credential) => {
                            let app = f.app.clone();
                            let r = self.request();
                            if let Some(Dialog::AddSecret(f)) = self.dialogs.last_mut() {
                                f.pending = Some(r);
                                f.error = None;
                                f.invalid = None;
                            }
                            return vec![Effect::AddSecret {
                                request: r,
                                app,
                                credential,
                            }];
                        }
                    }
                }
                _ => f.cycle_focus(true),
            },
            _ => {}
        }
        Vec::new()
    }

    fn position_of(&self, pred: impl Fn(&Dialog) -> bool) -> Option<usize> {
        self.dialogs.iter().rposition(pred)
    }

    fn secret_added(
        &mut self,
        r: u64,
        result: Result<crate::graph::NewClientSecret, GraphError>,
    ) -> Vec<Effect> {
        let Some(at) =
            self.position_of(|d| matches!(d, Dialog::AddSecret(f) if f.pending == Some(r)))
        else {
            // No dialog waits for it (cannot happen: Esc is refused while pending). Keep the
            // value out of sight and let it drop; say so.
            if result.is_ok() {
                self.toast(
                    ToastLevel::Error,
                    "A secret was created but its dialog was gone; delete it and add another.",
                    None,
                );
            }
            return Vec::new();
        };
        match result {
            Ok(new) => {
                let Dialog::AddSecret(form) = self.dialogs.remove(at) else {
                    return Vec::new();
                };
                let meta = new.metadata.clone();
                let value = Arc::new(new.secret_text);
                tracing::info!(app = %form.app, secret_id = %meta.key_id, "client secret added");
                let (app_id, app_name) = self.insert_secret(&form.app, &meta);
                self.summary.created.push(CreatedSecret {
                    app: app_name.clone(),
                    description: meta.description().unwrap_or_default(),
                    secret_id: meta.key_id.clone(),
                    masked: value.masked(),
                    expires: meta.end_date_time,
                    destinations: Vec::new(),
                });
                let summary_index = self.summary.created.len() - 1;
                self.dialogs.push(Dialog::Reveal(Reveal {
                    app: form.app,
                    app_name,
                    app_id,
                    secret: meta,
                    value,
                    shown: false,
                    handed_off: false,
                    status: None,
                    mode: RevealMode::Normal,
                    pending: None,
                    summary_index,
                    rotating: form.rotating,
                }));
                Vec::new()
            }
            Err(e) => {
                let info = self.graph_error(&e);
                let lost = matches!(
                    e,
                    GraphError::AddPasswordLost { .. } | GraphError::AddPasswordUnverified { .. }
                );
                let mut app_id = None;
                if let Some(Dialog::AddSecret(f)) = self.dialogs.get_mut(at) {
                    f.pending = None;
                    f.error = Some(info);
                    app_id = Some(f.app.clone());
                }
                // The secret may exist without a value anyone saw: show the app as it is now.
                match (lost, app_id) {
                    (true, Some(id)) => self.reload_detail(&id),
                    _ => Vec::new(),
                }
            }
        }
    }

    fn reload_detail(&mut self, id: &ObjectId) -> Vec<Effect> {
        let r = self.request();
        match self.detail.as_mut() {
            Some(d) if d.registration().is_some_and(|a| &a.id == id) => {
                d.app.start(r);
                vec![Effect::LoadApp {
                    request: r,
                    id: id.clone(),
                }]
            }
            _ => Vec::new(),
        }
    }

    /// Show a new secret's metadata in the App screen and the list; returns (appId, name).
    fn insert_secret(
        &mut self,
        app: &ObjectId,
        meta: &ClientSecret,
    ) -> (crate::graph::ApplicationId, String) {
        let mut found = None;
        if let Some(d) = self.detail.as_mut() {
            d.with_app(|a| {
                if &a.id == app {
                    a.password_credentials.retain(|s| s.key_id != meta.key_id);
                    a.password_credentials.push(meta.clone());
                    found = Some((a.app_id.clone(), a.display_name.clone()));
                }
            });
            if found.is_some() {
                d.tab = DetailTab::ClientSecrets;
                let pos = d.secrets().iter().position(|s| s.key_id == meta.key_id);
                d.selected[DetailTab::ClientSecrets.index()] = pos.unwrap_or(0);
            }
        }
        for list in [&mut self.all, &mut self.owned] {
            list.update_row(app, |a| {
                a.password_credentials.retain(|s| s.key_id != meta.key_id);
                a.password_credentials.push(meta.clone());
                if found.is_none() {
                    found = Some((a.app_id.clone(), a.display_name.clone()));
                }
            });
        }
        found.unwrap_or_else(|| (Default::default(), app.0.clone()))
    }

    fn remove_secret_row(&mut self, app: &ObjectId, key: &SecretId) {
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

    fn reveal_command(&mut self, c: Command) -> Vec<Effect> {
        let tenant = self.tenant_id().cloned();
        let r = self.request();
        let Some(Dialog::Reveal(rv)) = self.dialogs.last_mut() else {
            return Vec::new();
        };
        match (&mut rv.mode, c) {
            (RevealMode::Normal, Command::ToggleReveal) => rv.shown = !rv.shown,
            (RevealMode::Normal, Command::CopyValue) => {
                rv.pending = Some(r);
                return vec![Effect::CopySecret {
                    request: r,
                    value: Arc::clone(&rv.value),
                }];
            }
            (RevealMode::Normal, Command::CopyEnvBlock) => {
                let Some(tenant_id) = tenant else {
                    rv.status = Some(StatusLine {
                        ok: false,
                        text: "The tenant id is not known yet (the header shows why); press c to copy the value alone.".into(),
                    });
                    return Vec::new();
                };
                rv.pending = Some(r);
                return vec![Effect::CopyEnvBlock {
                    request: r,
                    client_id: rv.app_id.clone(),
                    tenant_id,
                    value: Arc::clone(&rv.value),
                }];
            }
            (RevealMode::Normal, Command::WriteEnvFile) => {
                rv.mode = RevealMode::WritePath(Input::new("./.env".into()));
            }
            (RevealMode::Normal, Command::Back) => {
                if rv.handed_off {
                    return self.close_reveal();
                }
                rv.mode = RevealMode::ConfirmClose;
            }
            (RevealMode::WritePath(path), Command::Activate) => {
                let path = path.value().trim().to_owned();
                if path.is_empty() {
                    rv.status = Some(StatusLine {
                        ok: false,
                        text: "Enter a path for the .env file.".into(),
                    });
                    return Vec::new();
                }
                let Some(tenant_id) = tenant else {
                    rv.status = Some(StatusLine {
                        ok: false,
                        text:
                            "The tenant id is not known yet, so the .env file cannot be complete."
                                .into(),
                    });
                    rv.mode = RevealMode::Normal;
                    return Vec::new();
                };
                rv.mode = RevealMode::Normal;
                rv.pending = Some(r);
                return vec![Effect::WriteEnvFile {
                    request: r,
                    path: path.into(),
                    client_id: rv.app_id.clone(),
                    tenant_id,
                    value: Arc::clone(&rv.value),
                }];
            }
            (RevealMode::WritePath(_), Command::Back) => rv.mode = RevealMode::Normal,
            (RevealMode::ConfirmClose, Command::ConfirmYes) => return self.close_reveal(),
            (RevealMode::ConfirmClose, Command::Back) => rv.mode = RevealMode::Normal,
            _ => {}
        }
        Vec::new()
    }

    /// Drop the value (the dialog holds the last `Arc` unless a copy is still running, which
    /// drops its own when done) and, after a rotation, offer to delete the old secret.
    fn close_reveal(&mut self) -> Vec<Effect> {
        let Some(Dialog::Reveal(rv)) = self.dialogs.pop() else {
            return Vec::new();
        };
        let Reveal {
            app,
            app_name,
            rotating,
            value,
            ..
        } = rv;
        drop(value);
        if let Some(old) = rotating {
            self.dialogs.push(Dialog::Confirm(ConfirmDelete::new(
                ConfirmKind::RotateOld,
                app,
                app_name,
                old,
            )));
        }
        Vec::new()
    }

    fn sign_in_command(&mut self, c: Command) -> Vec<Effect> {
        match c {
            Command::CopyCode => {
                let Some(code) = self.sign_in.prompt.as_ref().map(|p| p.user_code.clone()) else {
                    return Vec::new();
                };
                let r = self.request();
                self.sign_in.copy_request = Some(r);
                self.sign_in.status = Some(StatusLine {
                    ok: true,
                    text: "Copying the code…".into(),
                });
                vec![Effect::CopyText {
                    request: r,
                    label: SIGN_IN_CODE,
                    text: code,
                }]
            }
            Command::CancelSignIn => {
                // A sign-in asked for mid-run may cover a value that can never be shown again.
                let unsaved = self
                    .dialogs
                    .iter()
                    .any(|d| matches!(d, Dialog::Reveal(r) if !r.handed_off));
                if unsaved {
                    self.sign_in.status = Some(StatusLine {
                        ok: false,
                        text: "A new client secret's value was never copied and would be lost: finish signing in first, or press Ctrl-C to quit anyway.".into(),
                    });
                    return Vec::new();
                }
                tracing::info!("device-code sign-in cancelled by the user");
                self.sign_in.cancelled = true;
                self.should_quit = true;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// A gated device-code start whose sign-in failed: say so where the identity and the apps
    /// would be, instead of asking for (and failing) another sign-in per request.
    fn fail_gated_loads(&mut self, info: &ErrorInfo) {
        if !self.settings.source.is_app_only() {
            let r = self.request();
            self.me.start(r);
            self.me.settle(r, Err(info.clone()));
        }
        let r = self.request();
        self.all.start_load(r);
        self.all.fail(r, info.clone());
        self.toast(
            ToastLevel::Error,
            format!("{} {}", info.message, info.advice),
            info.reference(),
        );
    }

    fn copied(&mut self, r: u64, target: CopyTarget, result: Result<CopyReport, HandoffError>) {
        if self.sign_in.copy_request == Some(r) {
            self.sign_in.copy_request = None;
            self.sign_in.status = Some(match result {
                Ok(report) => StatusLine {
                    ok: true,
                    text: format!("Code {}", lowercase_first(&report.status)),
                },
                Err(e) => {
                    tracing::warn!(error = %e, "copying the sign-in code failed");
                    StatusLine {
                        ok: false,
                        text: match e {
                            HandoffError::NoClipboard { .. } => {
                                "No clipboard works here: type the code shown above into the page."
                                    .to_owned()
                            }
                            other => format!(
                                "Could not copy the code: {other}. Type it into the page instead."
                            ),
                        },
                    }
                }
            });
            return;
        }
        if let CopyTarget::Text(label) = target {
            match result {
                Ok(report) => self.info(format!("{label}: {}", report.status)),
                Err(e) => {
                    tracing::warn!(error = %e, "copy failed");
                    // The hand-off's own advice is about secret values; an id is on screen.
                    let text = match e {
                        HandoffError::NoClipboard { .. } => format!(
                            "Could not copy the {label}: no clipboard works here. It is shown on screen: select it by hand."
                        ),
                        other => format!("Could not copy the {label}: {other}"),
                    };
                    self.toast(ToastLevel::Error, text, None);
                }
            }
            return;
        }
        let Some(at) =
            self.position_of(|d| matches!(d, Dialog::Reveal(rv) if rv.pending == Some(r)))
        else {
            return;
        };
        let what = if target == CopyTarget::EnvBlock {
            "env block"
        } else {
            "value"
        };
        let mut destination = None;
        if let Some(Dialog::Reveal(rv)) = self.dialogs.get_mut(at) {
            rv.pending = None;
            match result {
                Ok(report) => {
                    rv.handed_off = true;
                    rv.status = Some(StatusLine {
                        ok: true,
                        text: report.status.clone(),
                    });
                    destination = Some((rv.summary_index, copy_destination(what, &report)));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "copying the secret failed");
                    rv.status = Some(StatusLine {
                        ok: false,
                        text: handoff_advice(&e),
                    });
                }
            }
        }
        if let Some((i, text)) = destination
            && let Some(c) = self.summary.created.get_mut(i)
        {
            c.destinations.push(text);
        }
    }

    fn env_written(&mut self, r: u64, result: Result<crate::handoff::EnvFileReport, HandoffError>) {
        let Some(at) =
            self.position_of(|d| matches!(d, Dialog::Reveal(rv) if rv.pending == Some(r)))
        else {
            return;
        };
        let mut destination = None;
        if let Some(Dialog::Reveal(rv)) = self.dialogs.get_mut(at) {
            rv.pending = None;
            match result {
                Ok(report) => {
                    rv.handed_off = true;
                    let verb = if report.updated { "updated" } else { "written" };
                    let mut text = format!(".env {verb}: {} (mode 0600)", report.path.display());
                    if let Some(w) = &report.git_warning {
                        text.push_str(" — ");
                        text.push_str(w);
                    }
                    rv.status = Some(StatusLine { ok: true, text });
                    destination = Some((
                        rv.summary_index,
                        format!(".env {verb} at {}", report.path.display()),
                    ));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "writing the .env file failed");
                    rv.status = Some(StatusLine {
                        ok: false,
                        text: format!("{e}. Choose another path (w) or copy instead (c)."),
                    });
                }
            }
        }
        if let Some((i, text)) = destination
            && let Some(c) = self.summary.created.get_mut(i)
        {
            c.destinations.push(text);
        }
    }

    fn confirm_command(&mut self, c: Command) -> Vec<Effect> {
        let read_only = self.settings.read_only;
        let r = self.request();
        let Some(Dialog::Confirm(d)) = self.dialogs.last_mut() else {
            return Vec::new();
        };
        if d.pending.is_some() {
            return Vec::new();
        }
        match c {
            Command::NextField | Command::PrevField => {
                d.focus = match d.focus {
                    ConfirmFocus::Safe => ConfirmFocus::Delete,
                    ConfirmFocus::Delete => ConfirmFocus::Safe,
                };
            }
            Command::Back => {
                self.dialogs.pop();
            }
            Command::Activate => match d.focus {
                ConfirmFocus::Safe => {
                    self.dialogs.pop();
                }
                ConfirmFocus::Delete => {
                    if read_only {
                        d.error = Some(ErrorInfo::plain(
                            format!("Disabled: {READ_ONLY_REASON}."),
                            "Nothing was changed.",
                        ));
                        return Vec::new();
                    }
                    d.pending = Some(r);
                    d.error = None;
                    return vec![Effect::RemoveSecret {
                        request: r,
                        app: d.app.clone(),
                        key_id: d.secret.key_id.clone(),
                    }];
                }
            },
            _ => {}
        }
        Vec::new()
    }

    fn secret_removed(&mut self, r: u64, result: Result<RemoveOutcome, GraphError>) -> Vec<Effect> {
        let Some(at) =
            self.position_of(|d| matches!(d, Dialog::Confirm(c) if c.pending == Some(r)))
        else {
            return Vec::new();
        };
        match result {
            Ok(outcome) => {
                let Dialog::Confirm(d) = self.dialogs.remove(at) else {
                    return Vec::new();
                };
                let description = d.secret.description().unwrap_or_default();
                tracing::info!(app = %d.app, secret_id = %d.secret.key_id, ?outcome, "client secret removed");
                self.remove_secret_row(&d.app, &d.secret.key_id);
                let shown = if description.is_empty() {
                    d.secret.key_id.0.clone()
                } else {
                    description.clone()
                };
                match outcome {
                    RemoveOutcome::Removed => {
                        self.summary.deleted.push(DeletedSecret {
                            app: d.app_name.clone(),
                            description,
                            secret_id: d.secret.key_id.clone(),
                        });
                        self.info(format!("Deleted \"{shown}\" from {}.", d.app_name));
                    }
                    RemoveOutcome::AlreadyGone => self.info(format!(
                        "\"{shown}\" was already removed from {}.",
                        d.app_name
                    )),
                }
            }
            Err(e) => {
                let info = self.graph_error(&e);
                if let Some(Dialog::Confirm(d)) = self.dialogs.get_mut(at) {
                    d.pending = None;
                    d.error = Some(info);
                }
            }
        }
        Vec::new()
    }

    fn new_registration_command(&mut self, c: Command) -> Vec<Effect> {
        let read_only = self.settings.read_only;
        let Some(Dialog::NewRegistration(f)) = self.dialogs.last_mut() else {
            return Vec::new();
        };
        if f.pending.is_some() {
            return Vec::new();
        }
        match c {
            Command::NextField => f.focus = f.focus.cycle(true),
            Command::PrevField => f.focus = f.focus.cycle(false),
            Command::Up | Command::Down if f.focus == NewFocus::Audience => {
                let n = crate::graph::SignInAudience::ALL.len();
                f.audience = if c == Command::Up {
                    (f.audience + n - 1) % n
                } else {
                    (f.audience + 1) % n
                };
            }
            Command::Up => f.focus = f.focus.cycle(false),
            Command::Down => f.focus = f.focus.cycle(true),
            Command::Back => {
                self.dialogs.pop();
            }
            Command::Activate => match f.focus {
                NewFocus::Cancel => {
                    self.dialogs.pop();
                }
                NewFocus::Register => {
                    if read_only {
                        f.invalid = Some(format!("Disabled: {READ_ONLY_REASON}."));
                        return Vec::new();
                    }
                    match f.request() {
                        Err(msg) => f.invalid = Some(msg),
                        Ok(app) => {
                            let r = self.request();
                            if let Some(Dialog::NewRegistration(f)) = self.dialogs.last_mut() {
                                f.pending = Some(r);
                                f.error = None;
                            }
                            return vec![Effect::CreateApp { request: r, app }];
                        }
                    }
                }
                _ => f.focus = f.focus.cycle(true),
            },
            _ => {}
        }
        Vec::new()
    }

    fn app_created(&mut self, r: u64, result: Result<AppRegistration, GraphError>) -> Vec<Effect> {
        let Some(at) =
            self.position_of(|d| matches!(d, Dialog::NewRegistration(f) if f.pending == Some(r)))
        else {
            return Vec::new();
        };
        match result {
            Ok(app) => {
                self.dialogs.remove(at);
                let (query, sort) = (self.filter.value().to_owned(), self.sort);
                self.all.upsert(app.clone(), &query, sort);
                self.summary.registered.push(app.display_name.clone());
                self.info(format!(
                    "Registered {}. Press n to add a client secret.",
                    app.display_name
                ));
                self.open_app(app, DetailTab::ClientSecrets, false)
            }
            Err(e) => {
                let info = self.graph_error(&e);
                if let Some(Dialog::NewRegistration(f)) = self.dialogs.get_mut(at) {
                    f.pending = None;
                    f.error = Some(info);
                }
                Vec::new()
            }
        }
    }
}

/// The copy label of the sign-in code (its result lands on the sign-in screen).
pub const SIGN_IN_CODE: &str = "sign-in code";

/// "Copied to clipboard" -> "copied to clipboard".
fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The summary's words for a copy.
fn copy_destination(what: &str, report: &CopyReport) -> String {
    match (report.method, report.clears_at) {
        (_, Some(t)) => format!(
            "{what} copied to clipboard, clears at {}",
            t.format("%H:%M:%S")
        ),
        (CopyMethod::Osc52, None) => {
            format!(
                "{what} copied to clipboard via the terminal (OSC 52); it is not cleared automatically"
            )
        }
        (CopyMethod::Native, None) => {
            format!("{what} copied to clipboard (not cleared automatically)")
        }
    }
}

/// A hand-off failure in words, with what to do next.
pub fn handoff_advice(e: &HandoffError) -> String {
    match e {
        HandoffError::NoClipboard { reason } => format!(
            "No clipboard works here ({reason}). Press v to reveal the value and select it by hand, or w to write a .env file."
        ),
        HandoffError::Copy(why) => format!(
            "Copy failed: {why}. Try again (c), press v to reveal and select it by hand, or write a .env file (w)."
        ),
        HandoffError::EnvFile { .. } => {
            format!("{e}. Choose another path (w) or copy instead (c).")
        }
    }
}
