//! Logging goes to a file, never the terminal. Secrets and tokens are never logged: the Graph
//! client logs method, path, status and request-id only.
//!
//! The default file is in the user's state folder (XDG: logs are state, not cache, which a
//! user may wipe at any time). Owns the log file and its folder; nothing else writes there.

use std::path::{Path, PathBuf};

use crate::paths::create_private_dir;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

const DEFAULT_FILTER: &str =
    "info,reqwest=warn,hyper=warn,hyper_util=warn,rustls=warn,h2=warn,tower=warn,axum=warn";

/// The default log file: `$XDG_STATE_HOME/azsecrets/azsecrets.log`, by default
/// `~/.local/state/azsecrets/azsecrets.log`. Platforms without a state folder (macOS, Windows)
/// use their cache folder, as before.
pub fn default_log_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let base = etcetera::choose_base_strategy().ok()?;
    let dir = base.state_dir().unwrap_or_else(|| base.cache_dir());
    Some(dir.join("azsecrets").join("azsecrets.log"))
}

/// Install the file logger (and the span-trace layer color-eyre uses), writing to `path` (the
/// user's `--log-file`) or the default file. Returns the guard that must live until exit, or
/// `None` when no log file could be opened (then nothing is logged).
pub fn init(path: Option<&Path>) -> Option<WorkerGuard> {
    let filter =
        EnvFilter::try_from_env("AZSECRETS_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let path = path.map(Path::to_path_buf).or_else(default_log_path)?;
    let file = open_private(&path).ok()?;
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

/// Open `path` for appending, readable by the user alone: missing folders are created 0700,
/// the file 0600 (an existing file is narrowed to 0600 too: a log names apps and tenants).
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    let file = open.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn creates_a_private_folder_and_file_and_narrows_an_existing_file() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        let root = tempfile::tempdir().expect("tempdir");
        let path = root
            .path()
            .join("state")
            .join("azsecrets")
            .join("azsecrets.log");
        drop(open_private(&path).expect("open"));
        assert_eq!(mode(&root.path().join("state")), 0o700);
        assert_eq!(mode(&root.path().join("state").join("azsecrets")), 0o700);
        assert_eq!(mode(&path), 0o600);

        let loose = root.path().join("loose.log");
        std::fs::write(&loose, "").expect("write");
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        drop(open_private(&loose).expect("open"));
        assert_eq!(mode(&loose), 0o600);
    }
}
