//! Where azsecrets keeps its own files, and the one rule for creating their folders: a folder
//! azsecrets creates is private (0700) from its first moment, whichever part of the program
//! creates it first (the sign-in cache, the log, state). Owns no file formats.

use std::path::{Path, PathBuf};

/// `<user cache dir>/azsecrets` (etcetera's base strategy: `$XDG_CACHE_HOME` on Unix), or
/// `None` when neither `XDG_CACHE_HOME` nor `HOME` says where that is.
pub fn cache_dir() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy()
        .ok()
        .map(|s| s.cache_dir().join("azsecrets"))
}

/// Create `dir` and any missing parents with mode 0700, never wider. A folder that already
/// exists is left as the user made it (tightening someone's `~/.cache` is not ours to do).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn new_folders_are_owner_only_and_existing_ones_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let nested = root.path().join("a").join("b");
        create_private_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&root.path().join("a")), 0o700, "parents too");

        let open = root.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&open).unwrap();
        assert_eq!(mode(&open), 0o755, "an existing folder is not changed");
    }
}
