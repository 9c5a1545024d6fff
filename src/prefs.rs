//! What azsecrets remembers between runs that is neither state nor a secret: the key vault last
//! used for an app in a tenant, so the next hand-off of that app's secret preselects it. One
//! small JSON file, `$XDG_CONFIG_HOME/azsecrets/config.json` (else `~/.config/azsecrets/…`),
//! folder 0700 and file 0600, rewritten whole through a temporary file and a rename.
//!
//! It holds names only (tenant ids, application ids, vault names or URLs): never a value, a
//! token or a secret's name. A file that cannot be read is treated as empty (and left alone
//! until the next write replaces it); nothing here may stop a hand-off. Knows no terminal.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file's name inside the config folder.
pub const FILE: &str = "config.json";

/// Vaults remembered at most (the oldest entries go first).
const MAX_ENTRIES: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum PrefsError {
    #[error(
        "there is no config folder to remember the vault in (neither XDG_CONFIG_HOME nor HOME is set)"
    )]
    NoFolder,
    #[error("could not write {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    #[serde(default)]
    version: u32,
    /// `"{tenant}/{appId}"` (lower case) → the vault as the user chose it (a name or a URL).
    #[serde(default)]
    last_vault: BTreeMap<String, Remembered>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Remembered {
    vault: String,
    /// Unix seconds, to forget the oldest first.
    at: i64,
}

/// The config file.
#[derive(Clone, Debug)]
pub struct Prefs {
    path: PathBuf,
}

impl Prefs {
    /// `$XDG_CONFIG_HOME/azsecrets/config.json`.
    pub fn default_location() -> Result<Self, PrefsError> {
        use etcetera::BaseStrategy;
        let base = etcetera::choose_base_strategy().map_err(|_| PrefsError::NoFolder)?;
        Ok(Self::at(base.config_dir().join("azsecrets").join(FILE)))
    }

    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The vault last used for `app` in `tenant`.
    pub fn last_vault(&self, tenant: &str, app: &str) -> Option<String> {
        self.read()
            .last_vault
            .get(&key(tenant, app))
            .map(|r| r.vault.clone())
    }

    /// Remember `vault` (a name or URL, as the user chose it) for `app` in `tenant`.
    pub fn remember_vault(&self, tenant: &str, app: &str, vault: &str) -> Result<(), PrefsError> {
        let mut file = self.read();
        file.version = 1;
        file.last_vault.insert(
            key(tenant, app),
            Remembered {
                vault: vault.to_owned(),
                at: chrono::Utc::now().timestamp(),
            },
        );
        while file.last_vault.len() > MAX_ENTRIES {
            let oldest = file
                .last_vault
                .iter()
                .min_by_key(|(_, r)| r.at)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => file.last_vault.remove(&k),
                None => break,
            };
        }
        self.write(&file)
    }

    fn read(&self) -> File {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path = %self.path.display(), error = %e, "the config file cannot be read; ignoring it");
                File::default()
            }),
            Err(_) => File::default(),
        }
    }

    fn write(&self, file: &File) -> Result<(), PrefsError> {
        let io = |source| PrefsError::Io {
            path: self.path.clone(),
            source,
        };
        let dir = self.path.parent().ok_or_else(|| {
            io(std::io::Error::other(
                "the config file's path has no folder",
            ))
        })?;
        crate::paths::create_private_dir(dir).map_err(io)?;
        let text = serde_json::to_vec_pretty(file).map_err(|e| io(std::io::Error::other(e)))?;
        let tmp = dir.join(format!(".{FILE}.{}.tmp", std::process::id()));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let written = opts.open(&tmp).and_then(|mut f| {
            f.write_all(&text)?;
            f.write_all(b"\n")?;
            f.sync_all()
        });
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &self.path)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(io(e));
        }
        Ok(())
    }
}

fn key(tenant: &str, app: &str) -> String {
    format!(
        "{}/{}",
        tenant.trim().to_ascii_lowercase(),
        app.trim().to_ascii_lowercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_per_app_and_tenant_and_survives_a_bad_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = Prefs::at(dir.path().join("azsecrets").join(FILE));
        assert_eq!(p.last_vault("t1", "a1"), None);
        p.remember_vault("T1", "A1", "contoso-kv").unwrap();
        p.remember_vault("t1", "a2", "https://other.vault.azure.net/")
            .unwrap();
        p.remember_vault("t2", "a1", "tenant-two-kv").unwrap();
        assert_eq!(p.last_vault("t1", "a1").as_deref(), Some("contoso-kv"));
        assert_eq!(
            p.last_vault("t1", "a2").as_deref(),
            Some("https://other.vault.azure.net/")
        );
        assert_eq!(p.last_vault("t2", "a1").as_deref(), Some("tenant-two-kv"));
        p.remember_vault("t1", "a1", "newer-kv").unwrap();
        assert_eq!(p.last_vault("t1", "a1").as_deref(), Some("newer-kv"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(p.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let dmode = std::fs::metadata(p.path().parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(dmode, 0o700);
        }
        std::fs::write(p.path(), b"{not json").unwrap();
        assert_eq!(p.last_vault("t1", "a1"), None, "a bad file reads as empty");
        p.remember_vault("t1", "a1", "again-kv").unwrap();
        assert_eq!(p.last_vault("t1", "a1").as_deref(), Some("again-kv"));
    }
}
