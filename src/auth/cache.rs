//! The device-code refresh-token cache: one JSON file in the user's cache directory
//! (`$XDG_CACHE_HOME/azsecrets/signin.json` or the platform's equivalent), readable by the user
//! only. Entries are keyed by login authority, Graph root, tenant and client id, so a token for
//! one cloud, tenant or app is never offered to another.
//!
//! Writes go to a new file created with mode 0600 (never widened then narrowed with chmod, which
//! would leave a window where others can read it) and renamed over the old one, so a crash never
//! leaves a half-written cache. The buffers that held the JSON are zeroized.

use std::io::Write;
use std::path::{Path, PathBuf};

use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

const FILE_NAME: &str = "signin.json";

/// Which sign-in a refresh token belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheKey {
    /// Authority root, e.g. `https://login.microsoftonline.com/`.
    pub login: String,
    /// Graph root: the scopes were requested for it.
    pub graph: String,
    pub tenant: String,
    pub client_id: String,
}

/// What `logout` removed, for its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removed {
    pub path: PathBuf,
    /// The sign-ins the file held (empty when it could not be read, e.g. corrupt).
    pub entries: Vec<CacheKey>,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("no cache directory could be determined (set XDG_CACHE_HOME or HOME)")]
    NoCacheDir,
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Serialize, Deserialize, Default)]
struct FileIn {
    #[serde(default)]
    entries: Vec<EntryIn>,
}

#[derive(Deserialize, Serialize)]
struct EntryIn {
    #[serde(flatten)]
    key: CacheKey,
    #[serde(serialize_with = "expose")]
    refresh_token: SecretString,
    #[serde(default)]
    saved_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn expose<S: serde::Serializer>(s: &SecretString, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.expose_secret())
}

#[derive(Serialize)]
struct FileOut<'a> {
    version: u32,
    entries: &'a [EntryIn],
}

#[derive(Clone, Debug)]
pub struct TokenCache {
    path: PathBuf,
}

impl TokenCache {
    /// `<user cache dir>/azsecrets/signin.json` (etcetera's base strategy: honours
    /// `XDG_CACHE_HOME` on Unix).
    pub fn default_location() -> Result<Self, CacheError> {
        let dir = crate::paths::cache_dir().ok_or(CacheError::NoCacheDir)?;
        Ok(Self::at(dir.join(FILE_NAME)))
    }

    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, action: &'static str) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
        move |source| CacheError::Io {
            action,
            path: self.path.clone(),
            source,
        }
    }

    fn read(&self) -> Result<Option<FileIn>, CacheError> {
        let mut bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io("read")(e)),
        };
        let parsed = serde_json::from_slice::<FileIn>(&bytes);
        bytes.zeroize();
        match parsed {
            Ok(f) => Ok(Some(f)),
            Err(e) => {
                // A corrupt cache only costs a new sign-in; it is overwritten on the next save.
                tracing::warn!(path = %self.path.display(), error = %e, "ignoring unreadable sign-in cache");
                Ok(None)
            }
        }
    }

    /// The refresh token saved for `key`, if any.
    pub fn load(&self, key: &CacheKey) -> Result<Option<SecretString>, CacheError> {
        Ok(self.read()?.and_then(|f| {
            f.entries
                .into_iter()
                .find(|e| &e.key == key)
                .map(|e| e.refresh_token)
        }))
    }

    /// Save (replace) the refresh token for `key`.
    pub fn store(&self, key: &CacheKey, refresh_token: &SecretString) -> Result<(), CacheError> {
        let mut file = self.read()?.unwrap_or_default();
        file.entries.retain(|e| &e.key != key);
        file.entries.push(EntryIn {
            key: key.clone(),
            refresh_token: refresh_token.clone(),
            saved_at: Some(chrono::Utc::now()),
        });
        self.write(&file.entries)
    }

    /// Drop the entry for `key` (its refresh token was refused).
    pub fn forget(&self, key: &CacheKey) -> Result<(), CacheError> {
        let Some(mut file) = self.read()? else {
            return Ok(());
        };
        let before = file.entries.len();
        file.entries.retain(|e| &e.key != key);
        if file.entries.len() == before {
            return Ok(());
        }
        if file.entries.is_empty() {
            return self.remove().map(|_| ());
        }
        self.write(&file.entries)
    }

    /// Delete the cache file (`azsecrets logout`). `Ok(None)` when there was nothing to remove.
    pub fn remove(&self) -> Result<Option<Removed>, CacheError> {
        let entries = match self.read() {
            Ok(Some(f)) => f.entries.into_iter().map(|e| e.key).collect(),
            _ => Vec::new(),
        };
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(Some(Removed {
                path: self.path.clone(),
                entries,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io("remove")(e)),
        }
    }

    fn write(&self, entries: &[EntryIn]) -> Result<(), CacheError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        crate::paths::create_private_dir(dir).map_err(self.io("create the directory for"))?;
        let mut bytes = serde_json::to_vec_pretty(&FileOut {
            version: 1,
            entries,
        })
        .map_err(|e| self.io("encode")(std::io::Error::other(e)))?;
        let tmp = dir.join(format!(
            ".{FILE_NAME}.{}.{}.tmp",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let written = write_new_private(&tmp, &bytes);
        bytes.zeroize();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(self.io("write")(e));
        }
        std::fs::rename(&tmp, &self.path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            self.io("replace")(e)
        })
    }
}

/// Create a file that did not exist, readable and writable by the owner only from its first
/// moment, and flush it to disk.
fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(tenant: &str) -> CacheKey {
        CacheKey {
            login: "https://login.microsoftonline.com/".into(),
            graph: "https://graph.microsoft.com/".into(),
            tenant: tenant.into(),
            client_id: "14d82eec-204b-4c2f-b7e8-296a70dab67e".into(),
        }
    }

    #[test]
    fn stores_replaces_forgets_and_removes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::at(dir.path().join("sub").join("signin.json"));
        assert!(cache.load(&key("a")).unwrap().is_none());

        cache.store(&key("a"), &SecretString::from("rt-1")).unwrap();
        cache.store(&key("b"), &SecretString::from("rt-b")).unwrap();
        cache.store(&key("a"), &SecretString::from("rt-2")).unwrap();
        let got = cache.load(&key("a")).unwrap().unwrap();
        assert_eq!(
            got.expose_secret(),
            "rt-2",
            "rotation replaces the old token"
        );
        assert_eq!(
            cache.load(&key("b")).unwrap().unwrap().expose_secret(),
            "rt-b"
        );
        let mut other_cloud = key("a");
        other_cloud.login = "https://login.microsoftonline.us/".into();
        assert!(cache.load(&other_cloud).unwrap().is_none());

        cache.forget(&key("a")).unwrap();
        assert!(cache.load(&key("a")).unwrap().is_none());
        assert!(cache.load(&key("b")).unwrap().is_some());

        let removed = cache.remove().unwrap().unwrap();
        assert_eq!(removed.entries, vec![key("b")]);
        assert!(!cache.path().exists());
        assert!(cache.remove().unwrap().is_none());
        // No temp files left behind.
        let left: Vec<_> = std::fs::read_dir(dir.path().join("sub")).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[cfg(unix)]
    #[test]
    fn file_is_owner_only_and_dir_0700() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::at(dir.path().join("new").join("signin.json"));
        cache.store(&key("a"), &SecretString::from("rt")).unwrap();
        let mode = std::fs::metadata(cache.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let dmode = std::fs::metadata(dir.path().join("new"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dmode & 0o777, 0o700);
    }

    #[test]
    fn corrupt_cache_is_ignored_and_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::at(dir.path().join("signin.json"));
        std::fs::write(cache.path(), b"{not json").unwrap();
        assert!(cache.load(&key("a")).unwrap().is_none());
        cache.store(&key("a"), &SecretString::from("rt")).unwrap();
        assert!(cache.load(&key("a")).unwrap().is_some());
    }
}
