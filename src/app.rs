//! The model: state, `Action`, `update()`, `Effect`. No I/O, no drawing.
//!
//! Keys become `Action::Command` through the key map (or `Action::Input` for the focused text
//! field); effect results come back as actions carrying a `Result` and the request id they
//! answer, and answers to anything but the latest request are dropped. `update` only mutates
//! the model and returns the effects to run; `tui.rs` runs them, `ui` draws `&App`.
//!
//! `App` routes: keys to the top dialog (each dialog is a room in `app/dialogs/`) or to the
//! screen (`apps_screen.rs`, `app_screen.rs`), results to the dialog waiting on their request
//! id. It owns the request ids, the toasts, the lists and the screens, and applies what a
//! dialog's [`Outcome`] asks of them; it does not know any dialog's fields.

pub mod action;
mod app_screen;
pub mod apps_list;
mod apps_screen;
pub mod dialogs;
pub mod effect;
mod expiring;
pub mod loadable;
pub mod quit;
mod routing;
pub mod scroll;
pub mod sign_in;
pub mod summary;
mod switch;
mod warm;

use chrono::{DateTime, Duration, Utc};
use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind};
use ratatui::layout::Size;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::auth::SourceKind;
use crate::create::{AddError, ResolveError, Scan};
use crate::graph::{GraphError, Me, Organization};
use crate::keymap::{self, Command, Context};

pub use action::{Action, CopyTarget, RequestId};
pub use app_screen::{APP_CHROME, AppScreen, DetailTab};
pub use apps_list::{AppList, ListLoad, SortKey};
pub use apps_screen::{APPS_CHROME, AppsTab};
pub use dialogs::{
    AddFocus, AddSecret, CertFocus, CloseFocus, Confirm, ConfirmFocus, ConfirmKind, ConfirmTarget,
    CopyItem, CopyKind, CopyMenu, Cx, DeleteError, Deleted, Dialog, ExecForm, ExpiryChoice,
    Explain, FederatedDetail, FicFocus, Finishing, FollowUp, GitHubFocus, GitHubForm, Help,
    InFlight, Listing, Member, NewCertificate, NewFederated, NewFocus, NewRegistration, Next,
    Outcome, ReadState, Recovery, RecoveryFocus, Reveal, RevealMode, Room, SCENARIOS, SentLine,
    SignInCheck, StatusLine, Submit, Submits, TenantPicker, Tone, UploadCertificate, UploadFocus,
    VaultChoice, VaultFocus, VaultForm, Waiting, handoff_advice,
};
pub use effect::{Effect, JournalNote};
pub use expiring::{CredKind, CredRef, ExpiringList};
pub use loadable::{ErrorInfo, Loadable, Retrying};
pub use quit::{QUIT_AGAIN, Quitting};
pub use sign_in::{SIGN_IN_CODE, SignInAccount, SignInState};
pub use summary::{CreatedSecret, DeletedSecret, Fate, Summary, UnsettledAdd};
pub use warm::{GraphSearch, SEARCH_TOP, Warm};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Apps,
    App,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastLevel {
    /// Something done (a tick).
    Info,
    /// A note or something under way (no mark).
    Note,
    /// Something worth knowing went partly wrong (records skipped); the rest worked.
    Warning,
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
    /// The terminal's size, from `Action::Resize`; the tables' page sizes derive from it.
    pub size: Size,
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
    pub lookup: Option<(RequestId, String)>,
    /// Graph's `$search` for the filter text (while the list loads, or finds nothing).
    pub search: Option<GraphSearch>,
    /// The warm-start cache and the passes that complete the All list.
    pub warm: Warm,
    /// The Expiring credentials tab (a view over the All list).
    pub expiring: ExpiringList,
    /// A tenant switch on its way: the request and where to.
    pub switching: Option<(RequestId, crate::tenants::TenantChoice)>,
    pub detail: Option<AppScreen>,
    pub dialogs: Vec<Dialog>,
    pub toasts: Vec<Toast>,
    pub summary: Summary,
    pub should_quit: bool,
    /// Where a quit stands (see `quit.rs`).
    pub quitting: Quitting,
    /// The journal's left-overs of this tenant: checked once the tenant is known.
    orphan_scan: Option<RequestId>,
    orphans_checked: bool,
    pub spinner: usize,
    /// Device-code sign-in: the prompt screen and what it is for.
    pub sign_in: SignInState,
    /// Graph asked to wait and the client is waiting to retry (shown in the title bar).
    pub retrying: Option<Retrying>,
    requests: dialogs::RequestIds,
}

impl App {
    pub fn new(settings: Settings, now: DateTime<Utc>) -> Self {
        Self {
            now,
            settings,
            // A common terminal until the loop's first `Resize` says otherwise.
            size: Size::new(80, 24),
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
            search: None,
            warm: Warm::default(),
            expiring: ExpiringList::default(),
            switching: None,
            detail: None,
            dialogs: Vec::new(),
            toasts: Vec::new(),
            summary: Summary::default(),
            should_quit: false,
            quitting: Quitting::No,
            orphan_scan: None,
            orphans_checked: false,
            spinner: 0,
            sign_in: SignInState::default(),
            retrying: None,
            requests: dialogs::RequestIds::default(),
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
        // The cached list first: it is on screen before Graph has answered anything.
        fx.extend(self.load_cache());
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

    fn request(&mut self) -> RequestId {
        self.requests.fresh()
    }

    pub fn tenant_id(&self) -> Option<&crate::graph::TenantId> {
        self.organization.value().map(|o| &o.id)
    }

    /// Something is on its way: the spinner turns and the loop ticks.
    pub fn is_busy(&self) -> bool {
        self.dialogs.iter().any(|d| d.room().pending().is_some())
            || self.organization.is_loading()
            || self.me.is_loading()
            || self.all.is_loading()
            || self.owned.is_loading()
            || self.lookup.is_some()
            || self.search.as_ref().is_some_and(|s| s.pending)
            || self.warm.certificates.is_some()
            || self.switching.is_some()
            || self.retrying.is_some()
            || self.detail.as_ref().is_some_and(|d| {
                d.app.is_loading()
                    || d.federated.is_loading()
                    || d.owners.is_loading()
                    || d.policy.is_loading()
            })
    }

    /// The loop also ticks while toasts wait to expire and while a sign-in code counts down.
    pub fn needs_tick(&self) -> bool {
        self.is_busy() || !self.toasts.is_empty() || self.sign_in.prompt.is_some()
    }

    pub fn spinner_frame(&self) -> &'static str {
        SPINNER[self.spinner % SPINNER.len()]
    }

    fn help_on_top(&self) -> bool {
        matches!(self.dialogs.last(), Some(Dialog::Help(_)))
    }

    /// The sign-in screen covers everything but its own help overlay.
    fn signing_in(&self) -> bool {
        self.sign_in.prompt.is_some() && !self.help_on_top()
    }

    /// Where keys go now: the sign-in screen, the top dialog, else the screen.
    pub fn context(&self) -> Context {
        if self.signing_in() {
            return Context::SignIn;
        }
        self.dialogs
            .last()
            .map_or_else(|| self.screen_context(), |d| d.room().context())
    }

    /// The context the help overlay describes (the one under it).
    pub fn help_context(&self) -> Context {
        if self.sign_in.prompt.is_some() {
            return Context::SignIn;
        }
        let dialog = self
            .dialogs
            .iter()
            .rev()
            .find_map(|d| d.room().help_context());
        dialog.unwrap_or(match self.screen {
            Screen::Apps => Context::Apps,
            Screen::App => self.tab_context(),
        })
    }

    fn screen_context(&self) -> Context {
        match self.screen {
            Screen::Apps if self.filtering => Context::Filter,
            Screen::Apps => Context::Apps,
            Screen::App => self.tab_context(),
        }
    }

    /// The open tab's keys (each tab answers only what works there).
    fn tab_context(&self) -> Context {
        self.detail
            .as_ref()
            .map_or(Context::App, |d| d.tab.context())
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
            ToastLevel::Info | ToastLevel::Note => 5,
            ToastLevel::Warning | ToastLevel::Error => 15,
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

    /// A toast that claims nothing was done: a note, or something under way.
    fn note(&mut self, text: impl Into<String>) {
        self.toast(ToastLevel::Note, text, None);
    }

    /// The one error toast: what failed, what to do, and Graph's code and request-id.
    fn error_toast(&mut self, info: &ErrorInfo) {
        let text = format!("{} {}", info.message, info.advice);
        self.toast(ToastLevel::Error, text, info.reference());
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut fx = self.route(action);
        if self.quitting != Quitting::No {
            fx.extend(self.advance_quit(false));
        }
        // Whatever moved a selection (a key, a page arriving, a filter, a resize), the tables
        // scroll to keep it on screen: one place, after every change.
        let (apps, app) = (self.apps_page_rows(), self.app_page_rows());
        self.all.scroll(apps);
        self.owned.scroll(apps);
        if self.tab == AppsTab::Expiring {
            // Cheap when nothing changed: the tab follows the All list and the filter.
            let query = self.filter.value().to_owned();
            self.expiring.sync(&self.all, &query);
            self.expiring.scroll(apps);
        }
        if let Some(d) = self.detail.as_mut() {
            d.scroll(app);
        }
        fx
    }

    fn route(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Command(c) => return self.command(c),
            Action::Input(key) => return self.input(key),
            Action::Tick(now) => {
                self.now = now;
                self.spinner = self.spinner.wrapping_add(1);
                self.toasts.retain(|t| t.until > now);
                // A retried request that was dropped (a newer listing replaced it) never
                // says it settled: its status goes a minute after its last wait.
                self.retrying = self.retrying.take().filter(|r| !r.stale(now));
            }
            Action::Resize(size) => self.size = size,
            Action::Quit => return self.request_quit(),
            Action::SignInPrompt(prompt) => self.sign_in_prompt(prompt),
            Action::GraphRetry(event) => {
                self.retrying = Retrying::after(self.retrying.take(), event, self.now);
            }
            Action::OrganizationLoaded(r, result) => {
                let mut fx = self.organization_loaded(r, result);
                fx.extend(self.scan_orphans());
                fx.extend(self.check_cached_tenant());
                fx.extend(self.save_cache());
                return fx;
            }
            Action::MeLoaded(r, result) => {
                self.me.settle(r, result.map_err(|e| explain(&e)));
            }
            Action::AppsPage {
                request,
                tab,
                result,
            } => return self.take_apps_page(request, tab, result),
            Action::AppsChunk {
                request,
                tab,
                result,
            } => return self.take_apps_chunk(request, tab, result),
            Action::AppsSearched(r, result) => self.apps_searched(r, result),
            Action::Certificates(r, result) => return self.certificates(r, result),
            Action::CacheLoaded(r, result) => return self.cache_loaded(r, result),
            Action::CacheSaved(r, result) => return self.cache_saved(r, result),
            Action::TenantsLoaded(r, result) => {
                return self.answer(r, |p: &mut TenantPicker| p.loaded(result));
            }
            Action::TenantSwitched(r, result) => return self.tenant_switched(r, result),
            Action::AppLookedUp(r, result) => self.app_looked_up(r, result),
            Action::AppLoaded(r, result) => self.app_loaded(r, result),
            Action::FederatedLoaded(r, result) => {
                if let Some(d) = self.detail.as_mut() {
                    d.federated.settle(r, result.map_err(|e| explain(&e)));
                }
            }
            Action::SecretAdded(r, result) => return self.settle::<AddSecret>(r, result),
            Action::RolledBack(r, result) => {
                return self.answer(r, |rv: &mut Reveal| rv.rolled_back(result));
            }
            Action::JournalFailed(e) => {
                tracing::warn!(error = %e, "journal write failed");
                self.toast(
                    ToastLevel::Error,
                    format!(
                        "Could not record this in the journal ({e}). If a later start offers to delete a secret whose value you hold, keep it."
                    ),
                    None,
                );
            }
            Action::OrphansFound(r, result) => self.orphans_found(r, result),
            Action::OrphanResolved(r, result) => return self.settle::<Recovery>(r, result),
            Action::SecretRemoved(r, result) => {
                let result = result.map(Deleted::Secret).map_err(DeleteError::Graph);
                return self.settle::<Confirm>(r, result);
            }
            Action::OwnersLoaded(r, result) => {
                if let Some(d) = self.detail.as_mut() {
                    d.owners.settle(r, result.map_err(|e| explain(&e)));
                }
            }
            Action::PolicyLoaded(r, result) => {
                if let Some(d) = self.detail.as_mut() {
                    d.policy.settle(r, result.map_err(|e| explain(&e)));
                }
            }
            Action::CertificateRead(r, result) => {
                return self.answer_cx(r, |d: &mut UploadCertificate, cx| d.file_read(result, cx));
            }
            Action::CertificatesChanged(r, result) => {
                // A delete's confirm or the upload dialog waits on it.
                let confirm = self
                    .waiting(r)
                    .is_some_and(|at| matches!(self.dialogs[at], Dialog::Confirm(_)));
                if confirm {
                    let result = result
                        .map(Deleted::Certificate)
                        .map_err(DeleteError::Certificate);
                    return self.settle::<Confirm>(r, result);
                }
                return self.settle::<UploadCertificate>(r, result);
            }
            Action::CertificateCreated(r, result) => {
                return self.settle::<NewCertificate>(r, result);
            }
            Action::FederatedAdded(r, result) => return self.settle::<NewFederated>(r, result),
            Action::FederatedRemoved(r, result) => {
                let result = result.map(Deleted::Federated).map_err(DeleteError::Graph);
                return self.settle::<Confirm>(r, result);
            }
            Action::AppCreated(r, result) => return self.settle::<NewRegistration>(r, result),
            Action::Copied(r, target, result) => return self.copied(r, target, result),
            Action::EnvFileWritten(r, result) => {
                return self.answer(r, |rv: &mut Reveal| rv.env_written(result));
            }
            Action::SecretSent(r, result) => {
                return self.answer(r, |rv: &mut Reveal| rv.sent_back(r, result));
            }
            Action::VerifyProgress(r, event) => {
                return self.answer(r, |rv: &mut Reveal| rv.verify_progress(event));
            }
            Action::Verified(r, result) => {
                return self.answer(r, |rv: &mut Reveal| rv.verified(result));
            }
            Action::VaultsListed(r, found) => {
                return self.answer(r, |rv: &mut Reveal| rv.vaults_listed(found));
            }
        }
        Vec::new()
    }

    fn command(&mut self, c: Command) -> Vec<Effect> {
        if let Some(reason) = self.disabled_reason(c) {
            let text = format!("Disabled: {reason}. Nothing was changed.");
            self.toast(ToastLevel::Error, text, None);
            return Vec::new();
        }
        match c {
            Command::Quit => return self.request_quit(),
            Command::Help if !self.help_on_top() => self.dialogs.push(Help.into()),
            Command::Help => {}
            // The event loop stops the process; nothing changes in the model.
            Command::Suspend => {}
            _ if self.signing_in() => return self.sign_in_command(c),
            _ if !self.dialogs.is_empty() => return self.dialog_command(c),
            _ => {
                return match self.screen {
                    Screen::Apps => self.apps_command(c),
                    Screen::App => self.app_command(c),
                };
            }
        }
        Vec::new()
    }

    fn input(&mut self, key: KeyEvent) -> Vec<Effect> {
        if let Some(top) = self.dialogs.last_mut() {
            top.room_mut().input(&key);
        } else if self.screen == Screen::Apps
            && self.filtering
            && self.filter.handle_event(&Event::Key(key)).is_some()
        {
            self.refilter(false);
            // A whole GUID that no loaded row has (typed or pasted): fetch it now; a name the
            // list does not have yet: ask Graph's search too.
            let mut fx = self.lookup_effect();
            fx.extend(self.search_effect());
            return fx;
        }
        Vec::new()
    }
}

impl App {
    /// Another tenant: its left-overs are checked too.
    fn rescan_orphans(&mut self) -> Vec<Effect> {
        self.orphans_checked = false;
        self.scan_orphans()
    }

    /// Once the tenant is known: ask the journal for what interrupted runs left in it.
    fn scan_orphans(&mut self) -> Vec<Effect> {
        if self.orphans_checked {
            return Vec::new();
        }
        let Some(tenant) = self.tenant_id().cloned() else {
            return Vec::new();
        };
        self.orphans_checked = true;
        let request = self.request();
        self.orphan_scan = Some(request);
        vec![Effect::ScanOrphans { request, tenant }]
    }

    /// Left-overs found: a dialog names each, to delete or keep.
    fn orphans_found(&mut self, r: RequestId, result: Result<Scan, ResolveError>) {
        if self.orphan_scan != Some(r) {
            return;
        }
        self.orphan_scan = None;
        match result {
            Ok(scan) => {
                if !scan.unchecked.is_empty() {
                    let n = scan.unchecked.len();
                    let why = scan.unchecked[0].detail.clone();
                    self.toast(
                        ToastLevel::Error,
                        format!(
                            "{n} interrupted creation(s) could not be checked ({why}); the next start tries again."
                        ),
                        None,
                    );
                }
                if !scan.orphans.is_empty() {
                    tracing::info!(count = scan.orphans.len(), "left-over secrets found");
                    self.dialogs.push(Recovery::new(scan.orphans).into());
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "checking the journal failed");
                self.toast(
                    ToastLevel::Error,
                    format!(
                        "Could not check for secrets an interrupted run left behind: {e}. The next start tries again."
                    ),
                    None,
                );
            }
        }
    }
}

impl Explain for GraphError {
    fn explain(&self) -> ErrorInfo {
        explain(self)
    }
}

impl Explain for AddError {
    fn explain(&self) -> ErrorInfo {
        let info = ErrorInfo::from_add(self);
        tracing::warn!(
            error = %self,
            code = info.code.as_deref().unwrap_or(""),
            request_id = info.request_id.as_deref().unwrap_or(""),
            "shown to the user"
        );
        info
    }
}

impl Explain for ResolveError {
    fn explain(&self) -> ErrorInfo {
        match self {
            ResolveError::Graph(e) => explain(e),
            ResolveError::Journal(e) => {
                tracing::warn!(error = %e, "shown to the user");
                ErrorInfo::plain(
                    e.to_string(),
                    "Nothing was changed; it stays for the next start.",
                )
            }
        }
    }
}

/// A Graph error in the TUI's words, logged as it is shown (no error disappears into a log,
/// and none is shown without one).
fn explain(e: &GraphError) -> ErrorInfo {
    let info = ErrorInfo::from_graph(e);
    tracing::warn!(
        error = %e,
        code = info.code.as_deref().unwrap_or(""),
        request_id = info.request_id.as_deref().unwrap_or(""),
        "shown to the user"
    );
    info
}
