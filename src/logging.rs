//! Logging goes to a file, never the terminal. Secrets and tokens are never logged: the Graph
//! client logs method, path, status and request-id only.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

const DEFAULT_FILTER: &str =
    "info,reqwest=warn,hyper=warn,hyper_util=warn,rustls=warn,h2=warn,tower=warn,axum=warn";

/// The default log file: `$XDG_CACHE_HOME/azsecrets/azsecrets.log` (or the platform's cache dir).
pub fn default_log_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy()
        .ok()
        .map(|s| s.cache_dir().join("azsecrets").join("azsecrets.log"))
}

/// Install the file logger (and the span-trace layer color-eyre uses). Returns the guard that
/// must live until exit, or `None` when no log file could be opened (then nothing is logged).
pub fn init(path: Option<&Path>) -> Option<WorkerGuard> {
    let filter =
        EnvFilter::try_from_env("AZSECRETS_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let path = path.map(Path::to_path_buf).or_else(default_log_path)?;
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    let (writer, guard) = tracing_appender::non_blocking(file);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_target(true);
    tracing_subscriber::registry()
        .with(filter)
        .with(layer)
        .with(tracing_error::ErrorLayer::default())
        .try_init()
        .ok()?;
    Some(guard)
}
