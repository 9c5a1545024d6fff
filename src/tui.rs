//! Terminal init/restore, signals, the event loop, and running effects.
//!
//! One `tokio::select!` over crossterm's `EventStream`, the action channel fed by effect tasks,
//! the signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT: each becomes `Action::Quit`, which the model
//! handles exactly as Ctrl-C, so nothing quits behind its back), and a tick that runs only
//! while something loads (or a toast waits to expire). The screen is redrawn after each change,
//! not on a timer. The terminal is restored on every path: normal exit, error, panic (ratatui's
//! hook), signals, and around Ctrl-Z; the alternate screen is wiped first, so a revealed value
//! is left on no screen.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{Event, EventStream};
use ratatui::layout::Size;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::{oneshot, watch};
use tokio::task::AbortHandle;

use crate::app::apps_list::Chunk;
use crate::app::{
    Action, App, AppsTab, CopyTarget, Effect, JournalNote, RequestId, Settings, SignInAccount,
};
use crate::auth::device_code::{self, DevicePrompt};
use crate::catalog::AppRow;
use crate::catalog::cache::{AppCache, CacheError, CacheKey, CacheWriter};
use crate::create;
use crate::destination::Clients;
use crate::graph::{AppQuery, ScanEvent, ScanOptions};
use crate::graph::{ApplicationId, GraphClient, TenantId};
use crate::handoff::{
    self, Clipboard, ClipboardMode, CopyReport, EnvBlock, HandoffError, TerminalWrite,
};
use crate::journal::{Journal, JournalError};
use crate::keymap::Command;
use crate::secret::SecretValue;
use crate::session::{Session, SessionConfig, SessionError, SignInOptions};
use crate::tenants::SwitchError;

/// How often the spinner turns while something loads.
const TICK: Duration = Duration::from_millis(120);

/// How long the filter waits for the next keystroke before asking Graph's `$search`.
const SEARCH_PAUSE: Duration = Duration::from_millis(250);

/// What the terminal UI needs, with no trace of the flags it came from.
#[derive(Clone, Debug)]
pub struct TuiConfig {
    pub session: SessionConfig,
    /// Show write actions disabled; never change anything.
    pub read_only: bool,
    pub clipboard: ClipboardMode,
    /// How long a copied secret stays on the clipboard (zero: until replaced).
    pub clipboard_timeout: Duration,
    /// Keep no warm-start cache (`--no-cache`).
    pub no_cache: bool,
    /// Range cursors a full listing runs at once (`--list-concurrency`).
    pub list_concurrency: usize,
}

/// Why the terminal UI did not end normally.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// The session could not start (before the terminal was taken over).
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("could not start the terminal UI: {0}")]
    Terminal(io::Error),
    #[error("the terminal UI stopped: {0}")]
    Stopped(io::Error),
    /// No journal, so no secret could be created safely.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The user gave up signing in on the device-code screen.
    #[error("sign-in cancelled")]
    SignInCancelled,
    /// stdout is a file or a pipe: the UI would draw into it, unseen.
    #[error(
        "the terminal UI needs a terminal, but stdout is not one (it is redirected to a file or a pipe); run azsecrets without redirecting its output, or use a command such as `azsecrets apps list`"
    )]
    NotATerminal,
}

pub async fn run(config: TuiConfig) -> Result<(), TuiError> {
    // Drawn into a file, the UI would run unseen and wait for keys forever: refuse first,
    // before anything signs in.
    if !io::IsTerminal::is_terminal(&io::stdout()) {
        return Err(TuiError::NotATerminal);
    }
    // Choosing the source happens before the terminal is taken over, so its errors (a bad
    // flag, az failing) print normally. A device-code sign-in happens later, on the first
    // Graph call, and its prompt comes to the loop through `prompts` instead of stderr.
    let (sink, prompts) = device_code::watch_prompt();
    let session = Session::start_with(
        &config.session,
        SignInOptions {
            device_prompt: Some(sink),
            ..SignInOptions::default()
        },
    )
    .await?;
    let mut app = App::new(
        Settings {
            read_only: config.read_only,
            source: session.source,
        },
        Utc::now(),
    );
    app.sign_in.account = SignInAccount {
        tenant: session.sign_in.tenant.clone(),
        login: session.endpoints.login.host_str().map(str::to_owned),
        client_id: session.sign_in.client_id.clone(),
        notes: session.sign_in.skipped.clone(),
    };
    // The sandbox starts empty every run: nothing of it is worth keeping.
    if !config.no_cache && session.sandbox.is_none() {
        app.warm.key = Some(CacheKey::new(
            session.endpoints.graph.as_str(),
            session.sign_in.tenant.as_deref().unwrap_or("organizations"),
        ));
    }
    let journal = Journal::default_location()?;
    let (tx, rx) = unbounded_channel();
    // Retry waits come to the loop as actions, so the screen can say Graph is throttling.
    let observer_tx = tx.clone();
    let observer: crate::graph::RetryObserver = Arc::new(move |event| {
        let _ = observer_tx.send(Action::GraphRetry(event));
    });
    let client = session.client.clone().with_observer(observer.clone());
    let session = Arc::new(session);
    let mut runner = Runner::new(
        client,
        Clipboard::new(config.clipboard, config.clipboard_timeout),
        journal,
        tx,
    )
    .with_clients(Clients::from_session(&session))
    .with_list_concurrency(config.list_concurrency)
    .with_session(session.clone(), Some(observer));
    tracing::info!(
        source = session.source.label(),
        read_only = config.read_only,
        "tui start"
    );

    let mut terminal = ratatui::try_init().map_err(TuiError::Terminal)?;
    let result = event_loop(&mut terminal, &mut app, &mut runner, rx, prompts).await;
    wipe(&mut terminal);
    ratatui::restore();
    runner.abort_all();
    drop(session);

    // Only now, on the normal screen: what this run did (masked values only). Names in it are
    // the tenant's: cleaned; a closed stdout is no reason to fail the run.
    let _ = crate::console::out(crate::sanitize::clean_lines(&app.summary.to_string()).as_bytes());
    match result {
        Ok(()) if app.sign_in.cancelled => Err(TuiError::SignInCancelled),
        Ok(()) => Ok(()),
        Err(e) => Err(TuiError::Stopped(e)),
    }
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    runner: &mut Runner,
    mut rx: UnboundedReceiver<Action>,
    mut prompts: watch::Receiver<Option<DevicePrompt>>,
) -> io::Result<()> {
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut signals = Signals::new()?;
    // The sender lives in the device-code source; without one (other sources) it is gone.
    let mut prompts_open = true;

    // The size first: the tables' page sizes derive from it.
    app.update(Action::Resize(terminal.size()?));
    for effect in app.start() {
        runner.spawn(effect);
    }
    loop {
        terminal.draw(|f| f.render_widget(&*app, f.area()))?;
        if app.should_quit {
            return Ok(());
        }
        let effects = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(key))) => match app.action_for_key(key) {
                    // The key table binds Ctrl-Z (so help lists it); stopping is the loop's job.
                    Some(Action::Command(Command::Suspend)) => {
                        suspend(terminal)?;
                        Vec::new()
                    }
                    Some(action) => {
                        app.update(Action::Tick(Utc::now()));
                        app.update(action)
                    }
                    None => Vec::new(),
                },
                Some(Ok(Event::Resize(width, height))) => {
                    terminal.autoresize()?;
                    app.update(Action::Resize(Size::new(width, height)))
                }
                Some(Ok(_)) => Vec::new(),
                Some(Err(e)) => return Err(e),
                // No more input: the terminal went away.
                None => return Ok(()),
            },
            Some(action) = rx.recv() => match runner.finish(action) {
                Some(action) => app.update(action),
                None => Vec::new(),
            },
            changed = prompts.changed(), if prompts_open => match changed {
                Ok(()) => {
                    let prompt = prompts.borrow_and_update().clone();
                    app.update(Action::Tick(Utc::now()));
                    app.update(Action::SignInPrompt(prompt))
                }
                Err(_) => {
                    prompts_open = false;
                    Vec::new()
                }
            },
            _ = tick.tick(), if app.needs_tick() => app.update(Action::Tick(Utc::now())),
            name = signals.next() => {
                tracing::info!(signal = name, "quit requested by a signal");
                app.update(Action::Tick(Utc::now()));
                app.update(Action::Quit)
            }
        };
        for effect in effects {
            runner.spawn(effect);
        }
    }
}

/// Blank the alternate screen before leaving it: a terminal (or tmux with `alternate-screen
/// off`) that keeps its contents must not keep a revealed value.
/// (Not `terminal.clear()`: it asks the terminal for the cursor position, and the answer
/// would arrive after raw mode is gone and be printed on the shell's line.)
fn wipe(_terminal: &mut DefaultTerminal) {
    let _ = ratatui::crossterm::execute!(
        io::stdout(),
        ratatui::crossterm::terminal::Clear(ratatui::crossterm::terminal::ClearType::All),
        ratatui::crossterm::terminal::Clear(ratatui::crossterm::terminal::ClearType::Purge)
    );
}

/// Ctrl-Z: give the terminal back, stop, and take it again when the shell resumes us.
fn suspend(terminal: &mut DefaultTerminal) -> io::Result<()> {
    ratatui::restore();
    #[cfg(unix)]
    // SAFETY: raise() only sends a signal to this process; SIGSTOP cannot be caught, so the
    // call returns once the shell sends SIGCONT (fg).
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
    // Not `ratatui::init()` again: that would stack another panic hook on each suspend.
    // Not `terminal.clear()` either: it asks the terminal for the cursor position, which a
    // slow link may not answer in time. Clear by hand and forget the last frame instead.
    ratatui::crossterm::terminal::enable_raw_mode()?;
    ratatui::crossterm::execute!(
        io::stdout(),
        ratatui::crossterm::terminal::EnterAlternateScreen,
        ratatui::crossterm::terminal::Clear(ratatui::crossterm::terminal::ClearType::All)
    )?;
    // `restore` showed the cursor behind ratatui's back; hide it again.
    terminal.hide_cursor()?;
    // Both buffers blank: the next draw repaints every cell.
    terminal.swap_buffers();
    Ok(())
}

/// SIGINT, SIGTERM, SIGHUP and SIGQUIT come to the loop as a quit request (the model decides:
/// it may first ask about a value nobody holds, or finish an add in flight), so the terminal is
/// always restored by the normal path.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
    #[cfg(unix)]
    quit: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
                hup: signal(SignalKind::hangup())?,
                quit: signal(SignalKind::quit())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.int.recv() => "SIGINT",
                _ = self.term.recv() => "SIGTERM",
                _ = self.hup.recv() => "SIGHUP",
                _ = self.quit.recv() => "SIGQUIT",
            }
        }
        #[cfg(not(unix))]
        std::future::pending().await
    }
}

/// Runs effects off the event loop: Graph calls as tasks, the `.env` writer on the blocking
/// pool, clipboard copies on one worker thread (a copy may wait seconds for the holder's
/// answer). Every result comes back on `tx` as an `Action`. The one step that must happen on
/// the loop is writing an OSC 52 copy to the terminal: the worker only builds the sequence,
/// and [`finish`](Self::finish) writes it between frames. Public so tests can drive the model
/// headlessly against the sandbox.
pub struct Runner {
    client: GraphClient,
    journal: Journal,
    tx: UnboundedSender<Action>,
    /// The listing task per tab; a newer listing aborts the older one.
    lists: HashMap<AppsTab, AbortHandle>,
    /// The search in flight (a newer one aborts it) and the certificates pass.
    search: Option<AbortHandle>,
    certificates: Option<AbortHandle>,
    /// Range cursors a full listing runs at once.
    list_concurrency: usize,
    /// Where the warm-start cache lives (`None`: no cache directory).
    cache: Option<AppCache>,
    /// The cache file being written, part by part.
    cache_write: Arc<Mutex<Option<(RequestId, CacheWriter)>>>,
    /// The session, for what needs more than Graph (the tenants, switching), and the retry
    /// observer a switched-to client gets too.
    session: Option<Arc<Session>>,
    observer: Option<crate::graph::RetryObserver>,
    /// The client of a switch that succeeded, until its answer passes [`Runner::finish`].
    switched: Arc<Mutex<Option<Switched>>>,
    /// Adds in flight: sending on one interrupts it (the run is quitting).
    adds: HashMap<RequestId, oneshot::Sender<()>>,
    copies: CopyWorker,
    /// Key Vault, Resource Manager, gh, commands and the sign-in check (none by default).
    clients: Clients,
    /// Sign-in checks in flight, to stop one (Esc).
    verifies: HashMap<RequestId, AbortHandle>,
}

impl Runner {
    pub fn new(
        client: GraphClient,
        mut clipboard: Clipboard,
        journal: Journal,
        tx: UnboundedSender<Action>,
    ) -> Self {
        // The worker must never write to the terminal: a frame may be half drawn.
        clipboard.defer_terminal_writes();
        Self {
            copies: CopyWorker::start(clipboard, tx.clone()),
            client,
            journal,
            tx,
            lists: HashMap::new(),
            search: None,
            certificates: None,
            list_concurrency: crate::graph::listing::DEFAULT_CONCURRENCY,
            cache: AppCache::default_location().ok(),
            cache_write: Arc::default(),
            session: None,
            observer: None,
            switched: Arc::default(),
            adds: HashMap::new(),
            clients: Clients::none(),
            verifies: HashMap::new(),
        }
    }

    /// The clients the destinations and the sign-in check use (the session's).
    pub fn with_clients(mut self, clients: Clients) -> Self {
        self.clients = clients;
        self
    }

    /// The session (tenants, switching) and the observer every Graph client it builds gets.
    pub fn with_session(
        mut self,
        session: Arc<Session>,
        observer: Option<crate::graph::RetryObserver>,
    ) -> Self {
        self.session = Some(session);
        self.observer = observer;
        self
    }

    /// Range cursors for full listings (1: one page at a time).
    pub fn with_list_concurrency(mut self, n: usize) -> Self {
        self.list_concurrency = n.clamp(1, crate::graph::listing::MAX_CONCURRENCY);
        self
    }

    /// The warm-start cache in `cache` instead of the user's cache directory.
    pub fn with_cache(mut self, cache: Option<AppCache>) -> Self {
        self.cache = cache;
        self
    }

    /// Stop the listings still streaming and the sign-in checks (at exit).
    pub fn abort_all(&mut self) {
        for (_, h) in self.lists.drain() {
            h.abort();
        }
        for (_, h) in self.verifies.drain() {
            h.abort();
        }
        for h in [self.search.take(), self.certificates.take()]
            .into_iter()
            .flatten()
        {
            h.abort();
        }
    }

    /// Start `effect`; returns at once.
    pub fn spawn(&mut self, effect: Effect) {
        match effect {
            Effect::LoadOrganization { request } => self.graph(move |c| async move {
                Action::OrganizationLoaded(request, c.organization().await)
            }),
            Effect::LoadMe { request } => {
                self.graph(move |c| async move { Action::MeLoaded(request, c.me().await) })
            }
            Effect::LoadApps {
                request,
                tab,
                query,
            } if tab == AppsTab::All && query == AppQuery::default() => {
                if let Some(old) = self.lists.remove(&tab) {
                    old.abort();
                }
                let (client, tx) = (self.client.clone(), self.tx.clone());
                let opts = ScanOptions {
                    concurrency: self.list_concurrency,
                    ..ScanOptions::default()
                };
                let task = tokio::spawn(async move {
                    let mut events = client.scan_applications(&opts);
                    while let Some(event) = events.next().await {
                        let result = event.map(|e| match e {
                            ScanEvent::Apps { items, skipped } => Chunk {
                                rows: items
                                    .iter()
                                    .map(|a| AppRow::from_registration(a, false))
                                    .collect(),
                                skipped,
                                ..Chunk::default()
                            },
                            ScanEvent::Expected { apps } => Chunk {
                                expect: usize::try_from(apps).ok(),
                                ..Chunk::default()
                            },
                            ScanEvent::Changes(c) => Chunk {
                                patches: c.patches,
                                removed: c.removed,
                                skipped: c.skipped,
                                ..Chunk::default()
                            },
                            ScanEvent::Done { delta_link } => Chunk {
                                done: true,
                                delta_link,
                                ..Chunk::default()
                            },
                        });
                        let failed = result.is_err();
                        let chunk = Action::AppsChunk {
                            request,
                            tab,
                            result,
                        };
                        if tx.send(chunk).is_err() || failed {
                            break;
                        }
                    }
                });
                self.lists.insert(tab, task.abort_handle());
            }
            Effect::RefreshApps {
                request,
                tab,
                delta_link,
            } => {
                if let Some(old) = self.lists.remove(&tab) {
                    old.abort();
                }
                let (client, tx) = (self.client.clone(), self.tx.clone());
                let task = tokio::spawn(async move {
                    let mut pages = client.delta_changes(&delta_link);
                    while let Some(page) = pages.next().await {
                        let result = page.map(|p| Chunk {
                            patches: p.changes.patches,
                            removed: p.changes.removed,
                            skipped: p.changes.skipped,
                            done: p.delta_link.is_some(),
                            delta_link: p.delta_link,
                            ..Chunk::default()
                        });
                        let stop = result.as_ref().map_or(true, |c| c.done);
                        let chunk = Action::AppsChunk {
                            request,
                            tab,
                            result,
                        };
                        if tx.send(chunk).is_err() || stop {
                            break;
                        }
                    }
                });
                self.lists.insert(tab, task.abort_handle());
            }
            Effect::SearchApps { request, text } => {
                if let Some(old) = self.search.take() {
                    old.abort();
                }
                let (client, tx) = (self.client.clone(), self.tx.clone());
                let task = tokio::spawn(async move {
                    // A pause first: typing on replaces this search before it is sent.
                    tokio::time::sleep(SEARCH_PAUSE).await;
                    let found = client
                        .search_applications(&text, crate::app::SEARCH_TOP)
                        .await
                        .map(|apps| {
                            apps.iter()
                                .map(|a| AppRow::from_registration(a, false))
                                .collect()
                        });
                    send(&tx, Action::AppsSearched(request, found));
                });
                self.search = Some(task.abort_handle());
            }
            Effect::LoadCertificates { request } => {
                if let Some(old) = self.certificates.take() {
                    old.abort();
                }
                let (client, tx) = (self.client.clone(), self.tx.clone());
                let task = tokio::spawn(async move {
                    let mut pages = client.list_certificates();
                    while let Some(page) = pages.next().await {
                        let result = page.map(|p| {
                            let certs = p
                                .items
                                .into_iter()
                                .map(|c| (c.id, c.key_credentials))
                                .collect();
                            (certs, !p.has_more)
                        });
                        let stop = result.as_ref().map_or(true, |(_, done)| *done);
                        if tx.send(Action::Certificates(request, result)).is_err() || stop {
                            break;
                        }
                    }
                });
                self.certificates = Some(task.abort_handle());
            }
            Effect::LoadCache { request, key } => {
                let (cache, tx) = (self.cache.clone(), self.tx.clone());
                tokio::task::spawn_blocking(move || {
                    let result = match cache {
                        Some(c) => {
                            // A run that quit while writing the cache left its part file.
                            let swept = c.sweep(&key, STALE_CACHE_WRITE);
                            if swept > 0 {
                                tracing::info!(swept, "removed unfinished app cache writes");
                            }
                            c.load(&key)
                        }
                        None => Ok(None),
                    };
                    send(&tx, Action::CacheLoaded(request, result));
                });
            }
            Effect::SaveCache {
                request,
                key,
                bytes,
                first,
                last,
            } => {
                let (cache, tx) = (self.cache.clone(), self.tx.clone());
                let slot = self.cache_write.clone();
                tokio::task::spawn_blocking(move || {
                    let Some(cache) = cache else {
                        return send(&tx, Action::CacheSaved(request, Ok(())));
                    };
                    let mut slot = lock_slot(&slot);
                    let result =
                        write_cache_part(&cache, &mut slot, request, &key, &bytes, first, last);
                    if result.is_err() {
                        // Dropped: its temporary file goes.
                        *slot = None;
                    }
                    send(&tx, Action::CacheSaved(request, result));
                });
            }
            Effect::DropCacheSave { request } => {
                let slot = self.cache_write.clone();
                tokio::task::spawn_blocking(move || {
                    let mut slot = lock_slot(&slot);
                    if slot.as_ref().is_some_and(|(r, _)| *r == request) {
                        *slot = None;
                    }
                });
            }
            Effect::LoadApps {
                request,
                tab,
                query,
            } => {
                if let Some(old) = self.lists.remove(&tab) {
                    old.abort();
                }
                let (client, tx) = (self.client.clone(), self.tx.clone());
                let task = tokio::spawn(async move {
                    let mut pages = client.list_applications(&query);
                    while let Some(result) = pages.next().await {
                        let failed = result.is_err();
                        let page = Action::AppsPage {
                            request,
                            tab,
                            result,
                        };
                        if tx.send(page).is_err() || failed {
                            break;
                        }
                    }
                });
                self.lists.insert(tab, task.abort_handle());
            }
            Effect::LoadTenants { request } => {
                let (session, tx) = (self.session.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let result = match session {
                        Some(s) => s.tenants().await,
                        None => Err(crate::tenants::TenantsError::Unavailable),
                    };
                    send(&tx, Action::TenantsLoaded(request, result));
                });
            }
            Effect::SwitchTenant { request, tenant } => {
                let (session, tx, slot) =
                    (self.session.clone(), self.tx.clone(), self.switched.clone());
                let base = self.clients.clone();
                let observer = self.observer.clone();
                tokio::spawn(async move {
                    let result = async {
                        let session = session.ok_or_else(|| {
                            SwitchError::NotPossible("this run cannot switch tenants".into())
                        })?;
                        let mut client = session.graph_client_in(&tenant).map_err(|e| match e {
                            SessionError::Graph(g) => SwitchError::Graph(g),
                            other => SwitchError::NotPossible(other.to_string()),
                        })?;
                        if let Some(o) = observer {
                            client = client.with_observer(o);
                        }
                        // The first answer proves the sign-in there works.
                        let org = client.organization().await?;
                        // Vaults and subscriptions of the new tenant, with the same sign-in.
                        let others = session.key_vault_and_arm_in(&tenant).ok().map(|(kv, arm)| {
                            base.in_tenant(
                                kv.map_err(|e| e.to_string()),
                                arm.map_err(|e| e.to_string()),
                            )
                        });
                        *lock_slot(&slot) = Some((request, client, others));
                        Ok(org)
                    }
                    .await;
                    send(&tx, Action::TenantSwitched(request, result));
                });
            }
            Effect::LookupApp { request, id } => self.graph(move |c| async move {
                Action::AppLookedUp(request, c.find_application(&id).await)
            }),
            Effect::LoadApp { request, id } => self.graph(move |c| async move {
                Action::AppLoaded(request, c.get_application(&id).await)
            }),
            Effect::LoadFederated { request, id } => self.graph(move |c| async move {
                Action::FederatedLoaded(request, c.federated_credentials(&id).await)
            }),
            Effect::AddSecret { request, plan } => {
                let (stop, stopped) = oneshot::channel::<()>();
                self.adds.retain(|_, s| !s.is_closed());
                self.adds.insert(request, stop);
                let journal = self.journal.clone();
                self.graph(move |c| async move {
                    // An interrupt, or the runner gone (the loop ended): stop waiting.
                    let interrupt = async move {
                        let _ = stopped.await;
                    };
                    Action::SecretAdded(request, create::add(&c, &journal, &plan, interrupt).await)
                });
            }
            Effect::InterruptAdd { request } => {
                if let Some(stop) = self.adds.remove(&request) {
                    let _ = stop.send(());
                }
            }
            Effect::RollBack {
                request,
                op,
                app,
                secret,
            } => {
                let journal = self.journal.clone();
                self.graph(move |c| async move {
                    let r = match &op {
                        Some(op) => create::roll_back(&c, &journal, op, &app, &secret).await,
                        None => c.remove_password(&app, &secret).await,
                    };
                    Action::RolledBack(request, r)
                });
            }
            Effect::Journal { op, note } => {
                let (journal, tx) = (self.journal.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let r = match note {
                        JournalNote::HandedOff => create::handed_off(&journal, &op).await,
                        JournalNote::Kept(secret) => create::kept(&journal, &op, &secret).await,
                    };
                    if let Err(e) = r {
                        send(&tx, Action::JournalFailed(e));
                    }
                });
            }
            Effect::ScanOrphans { request, tenant } => {
                let journal = self.journal.clone();
                self.graph(move |c| async move {
                    Action::OrphansFound(request, create::find_orphans(&c, &journal, &tenant).await)
                });
            }
            Effect::ResolveOrphan {
                request,
                orphan,
                choice,
            } => {
                let journal = self.journal.clone();
                self.graph(move |c| async move {
                    Action::OrphanResolved(
                        request,
                        create::resolve(&c, &journal, &orphan, choice).await,
                    )
                });
            }
            Effect::RemoveSecret {
                request,
                app,
                key_id,
            } => self.graph(move |c| async move {
                Action::SecretRemoved(request, c.remove_password(&app, &key_id).await)
            }),
            Effect::CreateApp { request, app } => self.graph(move |c| async move {
                Action::AppCreated(request, c.create_application(&app).await)
            }),
            Effect::CopySecret { request, value } => {
                self.copies
                    .queue(request, CopyTarget::SecretValue, Content::Secret(value));
            }
            Effect::CopyEnvBlock {
                request,
                client_id,
                tenant_id,
                value,
            } => self.copies.queue(
                request,
                CopyTarget::EnvBlock,
                Content::EnvBlock {
                    client_id,
                    tenant_id,
                    value,
                },
            ),
            Effect::CopyText {
                request,
                label,
                text,
            } => self
                .copies
                .queue(request, CopyTarget::Text(label), Content::Text(text)),
            Effect::SendSecret {
                request,
                target,
                about,
                value,
            } => {
                let (clients, tx) = (self.clients.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let r = clients.send(&target, &value, &about).await;
                    drop(value);
                    send(&tx, Action::SecretSent(request, r));
                });
            }
            Effect::VerifySecret {
                request,
                tenant,
                app_id,
                value,
            } => {
                let (clients, tx) = (self.clients.clone(), self.tx.clone());
                self.verifies.retain(|_, h| !h.is_finished());
                let task = tokio::spawn(async move {
                    let r = match clients.verifier(tenant.as_str(), &app_id) {
                        Ok(v) => {
                            let progress = tx.clone();
                            let observer: crate::verify::VerifyObserver = Arc::new(move |event| {
                                send(&progress, Action::VerifyProgress(request, event));
                            });
                            v.verify(&value, &observer).await
                        }
                        Err(e) => Err(e),
                    };
                    drop(value);
                    send(&tx, Action::Verified(request, r));
                });
                self.verifies.insert(request, task.abort_handle());
            }
            Effect::CancelVerify { request } => {
                if let Some(h) = self.verifies.remove(&request) {
                    h.abort();
                }
            }
            Effect::ListVaults {
                request,
                tenant,
                app_id,
                rotating,
            } => {
                let (clients, tx) = (self.clients.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let found = clients
                        .vaults_for(tenant.as_str(), &app_id, rotating.as_ref())
                        .await;
                    send(&tx, Action::VaultsListed(request, found));
                });
            }
            Effect::RememberVault {
                tenant,
                app_id,
                vault,
            } => {
                let clients = self.clients.clone();
                tokio::task::spawn_blocking(move || {
                    clients.remember_vault(tenant.as_str(), &app_id, &vault);
                });
            }
            Effect::LoadOwners { request, id } => self
                .graph(move |c| async move { Action::OwnersLoaded(request, c.owners(&id).await) }),
            Effect::LoadPolicy { request, app } => self.graph(move |c| async move {
                Action::PolicyLoaded(request, c.policy_view(&app).await)
            }),
            Effect::ReadCertificate { request, path } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    send(
                        &tx,
                        Action::CertificateRead(request, crate::certs::read_file(&path)),
                    );
                });
            }
            Effect::ChangeCertificates {
                request,
                app,
                change,
                shown,
            } => self.graph(move |c| async move {
                let r = crate::keycreds::change(&c, &app, &change, Some(&shown)).await;
                Action::CertificatesChanged(request, r)
            }),
            Effect::CreateCertificate { request, plan } => {
                let vaults = crate::keycreds::VaultAccess::new(
                    self.clients.clone(),
                    self.session.as_deref(),
                );
                self.graph(move |c| async move {
                    Action::CertificateCreated(
                        request,
                        crate::keycreds::create_self_signed(&c, &vaults, plan).await,
                    )
                })
            }
            Effect::AddFederated {
                request,
                app,
                mut credential,
                audience,
            } => self.graph(move |c| async move {
                let audience = audience.unwrap_or_else(|| {
                    crate::federated::default_audience(c.graph_root()).to_owned()
                });
                credential.audiences = vec![audience];
                Action::FederatedAdded(
                    request,
                    c.create_federated_credential(&app, &credential).await,
                )
            }),
            Effect::RemoveFederated { request, app, id } => self.graph(move |c| async move {
                Action::FederatedRemoved(request, c.delete_federated_credential(&app, &id).await)
            }),
            Effect::WriteEnvFile {
                request,
                path,
                client_id,
                tenant_id,
                value,
                replace_other,
            } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let r = handoff::write_env_file(
                        &path,
                        &EnvBlock {
                            client_id: client_id.as_str(),
                            tenant_id: tenant_id.as_str(),
                            secret: &value,
                        },
                        replace_other,
                    );
                    drop(value);
                    send(&tx, Action::EnvFileWritten(request, r));
                });
            }
        }
    }

    /// The loop's last step for an action that came back on `tx`, just before `update`: a copy
    /// that went by OSC 52 is written to the terminal here, between two frames. If that write
    /// fails, the copy failed. Inside tmux the copy is then confirmed by reading tmux's buffer
    /// back, off the loop; its answer comes back later (`None` now).
    pub fn finish(&mut self, action: Action) -> Option<Action> {
        match action {
            Action::TenantSwitched(request, Ok(org)) => {
                // From now on every effect goes to the other tenant; the old one's listings stop.
                let switched = lock_slot(&self.switched).take();
                if let Some((r, client, others)) = switched.filter(|(r, ..)| *r == request) {
                    debug_assert_eq!(r, request);
                    self.client = client;
                    if let Some(clients) = others {
                        self.clients = clients;
                    }
                    for (_, h) in self.lists.drain() {
                        h.abort();
                    }
                    for h in [self.search.take(), self.certificates.take()]
                        .into_iter()
                        .flatten()
                    {
                        h.abort();
                    }
                }
                Some(Action::TenantSwitched(request, Ok(org)))
            }
            Action::Copied(request, target, Ok(report)) => {
                let Some(write) = self.copies.take_terminal_write(request) else {
                    return Some(Action::Copied(request, target, Ok(report)));
                };
                if let Err(e) = write.write_to_terminal() {
                    return Some(Action::Copied(request, target, Err(e)));
                }
                if !write.confirmable() {
                    return Some(Action::Copied(request, target, Ok(report)));
                }
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let mut report = report;
                    if write.confirm() {
                        report.confirm_in_tmux();
                    }
                    drop(write);
                    send(&tx, Action::Copied(request, target, Ok(report)));
                });
                None
            }
            other => Some(other),
        }
    }

    /// A Graph call as a task; the action it ends with goes back to the loop.
    fn graph<F>(&self, call: impl FnOnce(GraphClient) -> F)
    where
        F: Future<Output = Action> + Send + 'static,
    {
        let task = call(self.client.clone());
        let tx = self.tx.clone();
        tokio::spawn(async move { send(&tx, task.await) });
    }
}

/// An unfinished cache write older than this is left over from a run that ended.
const STALE_CACHE_WRITE: Duration = Duration::from_secs(600);

/// One part of a cache write (see [`Effect::SaveCache`]); a part of a write given up is
/// ignored.
fn write_cache_part(
    cache: &AppCache,
    slot: &mut Option<(RequestId, CacheWriter)>,
    request: RequestId,
    key: &CacheKey,
    bytes: &[u8],
    first: bool,
    last: bool,
) -> Result<(), CacheError> {
    if first {
        *slot = Some((request, cache.begin(key)?));
    }
    let Some((_, w)) = slot.as_mut().filter(|(r, _)| *r == request) else {
        return Ok(());
    };
    w.write(bytes)?;
    if last && let Some((_, w)) = slot.take() {
        w.commit()?;
    }
    Ok(())
}

fn send(tx: &UnboundedSender<Action>, action: Action) {
    // The loop is gone only when the UI is quitting; the result no longer matters.
    let _ = tx.send(action);
}

/// What a copy puts on the clipboard. Values stay behind their `Arc` (shared with the reveal
/// dialog), never copied into a plain `String`.
enum Content {
    Secret(Arc<SecretValue>),
    EnvBlock {
        client_id: ApplicationId,
        tenant_id: TenantId,
        value: Arc<SecretValue>,
    },
    Text(String),
}

struct CopyJob {
    request: u64,
    target: CopyTarget,
    content: Content,
}

/// OSC 52 sequences the worker built, by request id, until the loop writes them.
type TerminalWrites = Arc<Mutex<Vec<(u64, TerminalWrite)>>>;

/// One thread that owns the `Clipboard` and runs copies one after the other, in the order they
/// were asked for: each copy stops the holder of the one before, so two quick copies leave only
/// the newest holder running. The thread ends when the runner is dropped.
struct CopyWorker {
    /// `None` when the thread could not start or has died; copies then fail with a message.
    jobs: Option<std::sync::mpsc::Sender<CopyJob>>,
    tx: UnboundedSender<Action>,
    writes: TerminalWrites,
}

impl CopyWorker {
    fn start(mut clipboard: Clipboard, tx: UnboundedSender<Action>) -> Self {
        let writes = TerminalWrites::default();
        let (jobs, queue) = std::sync::mpsc::channel::<CopyJob>();
        let (answers, found) = (tx.clone(), Arc::clone(&writes));
        let started = std::thread::Builder::new()
            .name("clipboard".into())
            .spawn(move || {
                for job in queue {
                    let result = copy(&mut clipboard, &job.content);
                    drop(job.content);
                    if let (Ok(_), Some(write)) = (&result, clipboard.take_terminal_write()) {
                        lock(&found).push((job.request, write));
                    }
                    send(&answers, Action::Copied(job.request, job.target, result));
                }
            });
        if let Err(e) = &started {
            tracing::error!(error = %e, "could not start the clipboard thread");
        }
        Self {
            jobs: started.ok().map(|_| jobs),
            tx,
            writes,
        }
    }

    fn queue(&mut self, request: u64, target: CopyTarget, content: Content) {
        let job = CopyJob {
            request,
            target,
            content,
        };
        let job = match &self.jobs {
            Some(jobs) => match jobs.send(job) {
                Ok(()) => return,
                Err(std::sync::mpsc::SendError(job)) => job,
            },
            None => job,
        };
        // The thread never started, or a copy panicked and took it down (the panic hook and
        // the log have the details).
        self.jobs = None;
        send(
            &self.tx,
            Action::Copied(
                job.request,
                job.target,
                Err(HandoffError::Copy(
                    "the clipboard stopped working (the log says why); restart azsecrets".into(),
                )),
            ),
        );
    }

    fn take_terminal_write(&self, request: u64) -> Option<TerminalWrite> {
        let mut writes = lock(&self.writes);
        let at = writes.iter().position(|(r, _)| *r == request)?;
        Some(writes.swap_remove(at).1)
    }
}

fn copy(clipboard: &mut Clipboard, content: &Content) -> Result<CopyReport, HandoffError> {
    match content {
        Content::Secret(value) => clipboard.copy_secret(value),
        Content::EnvBlock {
            client_id,
            tenant_id,
            value,
        } => clipboard.copy_env_block(&EnvBlock {
            client_id: client_id.as_str(),
            tenant_id: tenant_id.as_str(),
            secret: value,
        }),
        Content::Text(text) => clipboard.copy_text(text),
    }
}

/// A switch that succeeded: its Graph client, and the Key Vault / Resource Manager clients of
/// the new tenant (when this sign-in can give them).
type Switched = (RequestId, GraphClient, Option<Clients>);

/// A slot shared with a blocking task; a task that panicked holding it leaves it usable.
fn lock_slot<T>(slot: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    slot.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The list is only pushed to and taken from; a panic elsewhere cannot leave it half changed.
fn lock(writes: &TerminalWrites) -> std::sync::MutexGuard<'_, Vec<(u64, TerminalWrite)>> {
    writes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
