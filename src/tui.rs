//! Terminal init/restore, signals, the event loop, and running effects.
//!
//! One `tokio::select!` over crossterm's `EventStream`, the action channel fed by effect tasks,
//! SIGTERM/SIGHUP, and a tick that runs only while something loads (or a toast waits to
//! expire). The screen is redrawn after each change, not on a timer. The terminal is restored
//! on every path: normal exit, error, panic (ratatui's hook), signals, and around Ctrl-Z.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{Event, EventStream, KeyCode, KeyEventKind, KeyModifiers};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::watch;
use tokio::task::AbortHandle;

use crate::app::{Action, App, AppsTab, CopyTarget, Effect, Settings, SignInAccount};
use crate::auth::device_code::{self, DevicePrompt};
use crate::graph::{ApplicationId, GraphClient, ObjectId};
use crate::handoff::{self, Clipboard, ClipboardMode, EnvBlock, HandoffError};
use crate::session::{Session, SessionConfig, SessionError, SignInOptions};

/// How often the spinner turns while something loads.
const TICK: Duration = Duration::from_millis(120);

/// What the terminal UI needs, with no trace of the flags it came from.
#[derive(Clone, Debug)]
pub struct TuiConfig {
    pub session: SessionConfig,
    /// Show write actions disabled; never change anything.
    pub read_only: bool,
    pub clipboard: ClipboardMode,
    /// How long a copied secret stays on the clipboard (zero: until replaced).
    pub clipboard_timeout: Duration,
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
    /// The user gave up signing in on the device-code screen.
    #[error("sign-in cancelled")]
    SignInCancelled,
}

pub async fn run(config: TuiConfig) -> Result<(), TuiError> {
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
    let (tx, rx) = unbounded_channel();
    let mut runner = Runner::new(
        session.client.clone(),
        Clipboard::new(config.clipboard, config.clipboard_timeout),
        tx,
    );
    tracing::info!(
        source = session.source.label(),
        read_only = config.read_only,
        "tui start"
    );

    let mut terminal = ratatui::try_init().map_err(TuiError::Terminal)?;
    let result = event_loop(&mut terminal, &mut app, &mut runner, rx, prompts).await;
    ratatui::restore();
    runner.abort_all();
    drop(session);

    // Only now, on the normal screen: what this run did (masked values only).
    print!("{}", app.summary);
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
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => {
                    if key.code == KeyCode::Char('z') && key.modifiers.contains(KeyModifiers::CONTROL) {
                        suspend(terminal)?;
                        Vec::new()
                    } else {
                        app.update(Action::Tick(Utc::now()));
                        app.handle_key(key)
                    }
                }
                Some(Ok(Event::Resize(_, _))) => {
                    terminal.autoresize()?;
                    app.update(Action::Resize)
                }
                Some(Ok(_)) => Vec::new(),
                Some(Err(e)) => return Err(e),
                // No more input: the terminal went away.
                None => return Ok(()),
            },
            Some(action) = rx.recv() => app.update(action),
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
                tracing::info!(signal = name, "quitting on signal");
                app.update(Action::Quit)
            }
        };
        for effect in effects {
            runner.spawn(effect);
        }
    }
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

/// SIGTERM and SIGHUP end the run through the normal path, so the terminal is restored.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                term: signal(SignalKind::terminate())?,
                hup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.hup.recv() => "SIGHUP",
            }
        }
        #[cfg(not(unix))]
        std::future::pending().await
    }
}

/// Runs effects: Graph calls as tasks, clipboard hand-offs on the loop's own thread (OSC 52
/// writes to the terminal and must not interleave with a frame being drawn). Every result
/// comes back on `tx` as an `Action`. Public so tests can drive the model headlessly against
/// the sandbox (clipboard effects need a multi-thread runtime).
pub struct Runner {
    client: GraphClient,
    clipboard: Arc<Mutex<Clipboard>>,
    tx: UnboundedSender<Action>,
    /// The listing task per tab; a newer listing aborts the older one.
    lists: HashMap<AppsTab, AbortHandle>,
}

impl Runner {
    pub fn new(client: GraphClient, clipboard: Clipboard, tx: UnboundedSender<Action>) -> Self {
        Self {
            client,
            clipboard: Arc::new(Mutex::new(clipboard)),
            tx,
            lists: HashMap::new(),
        }
    }

    /// Stop the listings still streaming (at exit).
    pub fn abort_all(&mut self) {
        for (_, h) in self.lists.drain() {
            h.abort();
        }
    }

    fn send(tx: &UnboundedSender<Action>, action: Action) {
        // The loop is gone only when the UI is quitting; the result no longer matters.
        let _ = tx.send(action);
    }

    pub fn spawn(&mut self, effect: Effect) {
        let client = self.client.clone();
        let tx = self.tx.clone();
        match effect {
            Effect::LoadOrganization { request } => {
                tokio::spawn(async move {
                    let r = client.organization().await;
                    Self::send(&tx, Action::OrganizationLoaded(request, r));
                });
            }
            Effect::LoadMe { request } => {
                tokio::spawn(async move {
                    let r = client.me().await;
                    Self::send(&tx, Action::MeLoaded(request, r));
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
                let task = tokio::spawn(async move {
                    let mut pages = client.list_applications(&query);
                    while let Some(result) = pages.next().await {
                        let failed = result.is_err();
                        if tx
                            .send(Action::AppsPage {
                                request,
                                tab,
                                result,
                            })
                            .is_err()
                            || failed
                        {
                            break;
                        }
                    }
                });
                self.lists.insert(tab, task.abort_handle());
            }
            Effect::LookupApp { request, id } => {
                tokio::spawn(async move {
                    // A pasted GUID may be either id: Application ID first, then Object ID.
                    let r = match client
                        .get_application_by_app_id(&ApplicationId::new(id.clone()))
                        .await
                    {
                        Err(e) if e.is_not_found() => {
                            client.get_application(&ObjectId::new(id)).await
                        }
                        other => other,
                    };
                    Self::send(&tx, Action::AppLookedUp(request, r));
                });
            }
            Effect::LoadApp { request, id } => {
                tokio::spawn(async move {
                    let r = client.get_application(&id).await;
                    Self::send(&tx, Action::AppLoaded(request, r));
                });
            }
            Effect::LoadFederated { request, id } => {
                tokio::spawn(async move {
                    let r = client.federated_credentials(&id).await;
                    Self::send(&tx, Action::FederatedLoaded(request, r));
                });
            }
            Effect::AddSecret {
                request,
                app,
                credential,
            } => {
                tokio::spawn(async move {
                    let r = client.add_password(&app, &credential).await;
                    Self::send(&tx, Action::SecretAdded(request, r));
                });
            }
            Effect::RemoveSecret {
                request,
                app,
                key_id,
            } => {
                tokio::spawn(async move {
                    let r = client.remove_password(&app, &key_id).await;
                    Self::send(&tx, Action::SecretRemoved(request, r));
                });
            }
            Effect::CreateApp { request, app } => {
                tokio::spawn(async move {
                    let r = client.create_application(&app).await;
                    Self::send(&tx, Action::AppCreated(request, r));
                });
            }
            Effect::CopySecret { request, value } => {
                let r = self.with_clipboard(|c| c.copy_secret(&value));
                drop(value);
                Self::send(&tx, Action::Copied(request, CopyTarget::SecretValue, r));
            }
            Effect::CopyEnvBlock {
                request,
                client_id,
                tenant_id,
                value,
            } => {
                let r = self.with_clipboard(|c| {
                    c.copy_env_block(&EnvBlock {
                        client_id: client_id.as_str(),
                        tenant_id: tenant_id.as_str(),
                        secret: &value,
                    })
                });
                drop(value);
                Self::send(&tx, Action::Copied(request, CopyTarget::EnvBlock, r));
            }
            Effect::CopyText {
                request,
                label,
                text,
            } => {
                let r = self.with_clipboard(|c| c.copy_text(&text));
                Self::send(&tx, Action::Copied(request, CopyTarget::Text(label), r));
            }
            Effect::WriteEnvFile {
                request,
                path,
                client_id,
                tenant_id,
                value,
            } => {
                tokio::task::spawn_blocking(move || {
                    let r = handoff::write_env_file(
                        &path,
                        &EnvBlock {
                            client_id: client_id.as_str(),
                            tenant_id: tenant_id.as_str(),
                            secret: &value,
                        },
                    );
                    drop(value);
                    Self::send(&tx, Action::EnvFileWritten(request, r));
                });
            }
        }
    }

    /// Run a clipboard call here (it may start the holder process: brief, and it must not
    /// race a frame for the terminal).
    fn with_clipboard<T>(
        &self,
        f: impl FnOnce(&mut Clipboard) -> Result<T, HandoffError>,
    ) -> Result<T, HandoffError> {
        let clipboard = Arc::clone(&self.clipboard);
        tokio::task::block_in_place(move || match clipboard.lock() {
            Ok(mut c) => f(&mut c),
            Err(_) => Err(HandoffError::Copy(
                "an earlier copy failed badly; restart azsecrets".into(),
            )),
        })
    }
}
