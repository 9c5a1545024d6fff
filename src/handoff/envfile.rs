//! The `.env` writer: put `AZURE_CLIENT_ID`, `AZURE_TENANT_ID` and `AZURE_CLIENT_SECRET` into a
//! file the user chose, atomically (temp file in the same folder, fsync, rename), never through
//! a symlink, keeping every other line where it was and the file's owner, group and mode (a new
//! file is 0600; a mode is never widened). Files of other users are refused; a file that holds
//! another app's or tenant's values is refused unless the caller says to replace them. Every
//! check can run on its own first ([`check`]), before a secret exists. The temp file is removed
//! on every failure path, and stale temp files of ours left by a killed write are removed.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use secrecy::zeroize::Zeroizing;

use super::{EnvBlock, EnvFileReport, HandoffError};

const KEYS: [&str; 3] = ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"];

/// The end of our temp files' names: `.<name>.<32 hex>.azsecrets-tmp`.
const TEMP_SUFFIX: &str = ".azsecrets-tmp";

/// Test hook: where to make the write fail on purpose, to prove nothing partial is left.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailStage {
    /// After the temp file is fully written and fsynced, just before the rename.
    BeforeRename,
}

/// `write_env_file` that fails at `stage` (tests only: proves the cleanup path).
#[doc(hidden)]
pub fn write_env_file_failing_at(
    path: &Path,
    block: &EnvBlock<'_>,
    stage: FailStage,
) -> Result<EnvFileReport, HandoffError> {
    write(path, block, false, Some(stage))
}

/// The file as it is now.
struct Existing {
    text: Zeroizing<String>,
    #[cfg(unix)]
    owner: (u32, u32),
    mode: u32,
}

/// A destination that passed every check.
pub(super) struct Checked {
    dir: PathBuf,
    name: OsString,
    existing: Option<Existing>,
}

/// Every check of the destination, without writing it: the path names a file in an existing
/// folder we can write to; the file, if there, is a regular file (not a symlink) of ours that we
/// can read; and it holds no other app's `AZURE_CLIENT_ID` nor another tenant's
/// `AZURE_TENANT_ID` (unless `replace_other`).
pub(super) fn check(
    path: &Path,
    client_id: &str,
    tenant_id: &str,
    replace_other: bool,
) -> Result<Checked, HandoffError> {
    let err = |reason: String| HandoffError::EnvFile {
        path: path.to_path_buf(),
        reason,
    };
    let Some(name) = path.file_name() else {
        return Err(err("it does not name a file".into()));
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match fs::metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(err(format!("{} is not a folder", dir.display()))),
        Err(e) => return Err(err(format!("folder {}: {e}", dir.display()))),
    }
    let existing = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(err(
                "it is a symbolic link; refusing to follow it (give the real path)".into(),
            ));
        }
        Ok(m) if !m.is_file() => return Err(err("it is not a regular file".into())),
        Ok(m) => {
            #[cfg(unix)]
            let owner = {
                use std::os::unix::fs::MetadataExt;
                // SAFETY: geteuid has no preconditions and cannot fail.
                let me = unsafe { libc::geteuid() };
                if m.uid() != me {
                    return Err(err(format!(
                        "it belongs to another user (uid {}); azsecrets only replaces files you own",
                        m.uid()
                    )));
                }
                (m.uid(), m.gid())
            };
            #[cfg(unix)]
            let mode = {
                use std::os::unix::fs::PermissionsExt;
                m.permissions().mode() & 0o7777
            };
            #[cfg(not(unix))]
            let mode = 0o600;
            let text = read_no_follow(path, m.len()).map_err(|e| err(e.to_string()))?;
            Some(Existing {
                text,
                #[cfg(unix)]
                owner,
                mode,
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(err(e.to_string())),
    };
    if let Some(e) = &existing
        && !replace_other
    {
        let other = |key: &str, ours: &str| {
            value_of(&e.text, key).filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case(ours))
        };
        let (c, t) = (
            other("AZURE_CLIENT_ID", client_id),
            other("AZURE_TENANT_ID", tenant_id),
        );
        if c.is_some() || t.is_some() {
            return Err(HandoffError::EnvConflict {
                path: path.to_path_buf(),
                client_id: c,
                tenant_id: t,
            });
        }
    }
    // Can a file be made there? Make the temp file and remove it (the write makes another).
    let (probe, file) = create_temp(&dir, name).map_err(err)?;
    drop(file);
    drop(probe);
    Ok(Checked {
        dir,
        name: name.to_os_string(),
        existing,
    })
}

pub(super) fn write(
    path: &Path,
    block: &EnvBlock<'_>,
    replace_other: bool,
    fail: Option<FailStage>,
) -> Result<EnvFileReport, HandoffError> {
    let err = |reason: String| HandoffError::EnvFile {
        path: path.to_path_buf(),
        reason,
    };
    let values = [block.client_id, block.tenant_id, block.secret.expose()];
    for (key, value) in KEYS.iter().zip(values) {
        // A line break would split the assignment; NUL cannot be stored in most loaders.
        if value.contains(['\n', '\r', '\0']) {
            return Err(err(format!("{key} contains a line break or NUL")));
        }
    }
    let checked = check(path, block.client_id, block.tenant_id, replace_other)?;
    remove_stale_temps(&checked.dir, &checked.name);
    let contents = render(checked.existing.as_ref().map(|e| e.text.as_str()), &values);
    let keep = checked.existing.as_ref();
    let mode = keep.map_or(0o600, |e| e.mode);
    replace_atomically(&checked, path, contents.as_bytes(), fail).map_err(err)?;

    Ok(EnvFileReport {
        path: path.to_path_buf(),
        updated: keep.is_some(),
        git_warning: git_warning(path, &checked.dir, &checked.name),
        mode,
    })
}

/// The checks for a private file (a PEM private key or certificate) azsecrets writes whole:
/// the path names a file in an existing folder we can write to; an existing file is refused
/// unless `overwrite`, and even then only a regular file of ours (never a symlink).
pub(super) fn check_private(path: &Path, overwrite: bool) -> Result<Checked, HandoffError> {
    let err = |reason: String| HandoffError::EnvFile {
        path: path.to_path_buf(),
        reason,
    };
    let Some(name) = path.file_name() else {
        return Err(err("it does not name a file".into()));
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match fs::metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(err(format!("{} is not a folder", dir.display()))),
        Err(e) => return Err(err(format!("folder {}: {e}", dir.display()))),
    }
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(err(
                "it is a symbolic link; refusing to follow it (give the real path)".into(),
            ));
        }
        Ok(m) if !m.is_file() => return Err(err("it is not a regular file".into())),
        Ok(_) if !overwrite => {
            return Err(err(
                "it already exists; refusing to replace it (choose another path, or allow replacing it)".into(),
            ));
        }
        Ok(m) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                // SAFETY: geteuid has no preconditions and cannot fail.
                let me = unsafe { libc::geteuid() };
                if m.uid() != me {
                    return Err(err(format!(
                        "it belongs to another user (uid {}); azsecrets only replaces files you own",
                        m.uid()
                    )));
                }
            }
            #[cfg(not(unix))]
            let _ = m;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e.to_string())),
    }
    let (probe, file) = create_temp(&dir, name).map_err(err)?;
    drop(file);
    drop(probe);
    Ok(Checked {
        dir,
        name: name.to_os_string(),
        // Written as new: mode 0600 whatever the file had.
        existing: None,
    })
}

/// Write `bytes` to `path` whole, 0600, atomically, after [`check_private`].
pub(super) fn write_private(
    path: &Path,
    bytes: &[u8],
    overwrite: bool,
) -> Result<(), HandoffError> {
    let checked = check_private(path, overwrite)?;
    remove_stale_temps(&checked.dir, &checked.name);
    replace_atomically(&checked, path, bytes, None).map_err(|reason| HandoffError::EnvFile {
        path: path.to_path_buf(),
        reason,
    })
}

/// The value of the last `KEY=` / `export KEY=` line for `key`, unquoted.
fn value_of(text: &str, key: &str) -> Option<String> {
    let mut found = None;
    for line in text.lines() {
        let Some((prefix, k)) = line_key(line) else {
            continue;
        };
        if k != key {
            continue;
        }
        let rest = &line[prefix.len()..];
        let value = rest.split_once('=').map_or("", |(_, v)| v).trim();
        let unquoted = value
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
            .unwrap_or(value);
        found = Some(unquoted.to_owned());
    }
    found
}

/// Read the current file without following a symlink swapped in since the lstat.
fn read_no_follow(path: &Path, len_hint: u64) -> io::Result<Zeroizing<String>> {
    let mut open = OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = open.open(path)?;
    // The file may hold other secrets: read into a wiped buffer sized up front.
    let cap = usize::try_from(len_hint).unwrap_or(0).saturating_add(1);
    let mut text = Zeroizing::new(String::with_capacity(cap));
    file.read_to_string(&mut text).map_err(|e| {
        if e.kind() == io::ErrorKind::InvalidData {
            io::Error::new(e.kind(), "it is not UTF-8 text; not touching it")
        } else {
            e
        }
    })?;
    Ok(text)
}

/// The new file: every existing line kept in order, each `KEY=` / `export KEY=` of ours
/// replaced in place (all of them, so no stale duplicate wins in a loader that reads the last
/// one), missing keys appended at the end in the usual order.
pub(super) fn render(existing: Option<&str>, values: &[&str; 3]) -> Zeroizing<String> {
    let quoted: Vec<Zeroizing<String>> = values.iter().map(|v| quote(v)).collect();
    let existing = existing.unwrap_or("");
    let longest = KEYS
        .iter()
        .zip(&quoted)
        .map(|(k, q)| k.len() + q.len())
        .max()
        .unwrap_or(0);
    let matches = existing.lines().filter(|l| line_key(l).is_some()).count();
    // Generous, so pushing never reallocates (a reallocation would leave an unwiped copy).
    let cap = existing.len() + (matches + KEYS.len() + 1) * (longest + 2) + 1;
    let mut out = Zeroizing::new(String::with_capacity(cap));
    let mut seen = [false; 3];

    for segment in existing.split_inclusive('\n') {
        let (line, ending) = split_ending(segment);
        match line_key(line)
            .and_then(|(prefix, key)| KEYS.iter().position(|k| *k == key).map(|i| (prefix, i)))
        {
            Some((prefix, i)) => {
                seen[i] = true;
                out.push_str(prefix);
                out.push_str(KEYS[i]);
                out.push('=');
                out.push_str(&quoted[i]);
                out.push_str(ending);
            }
            None => out.push_str(segment),
        }
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for i in 0..KEYS.len() {
        if !seen[i] {
            out.push_str(KEYS[i]);
            out.push('=');
            out.push_str(&quoted[i]);
            out.push('\n');
        }
    }
    out
}

fn split_ending(segment: &str) -> (&str, &str) {
    for ending in ["\r\n", "\n"] {
        if let Some(line) = segment.strip_suffix(ending) {
            return (line, ending);
        }
    }
    (segment, "")
}

/// For an assignment line, the text before the key (indent, `export `) and the key.
fn line_key(line: &str) -> Option<(&str, &str)> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return None;
    }
    let rest = match trimmed.strip_prefix("export") {
        Some(r) if r.starts_with([' ', '\t']) => r.trim_start(),
        _ => trimmed,
    };
    let eq = rest.find('=')?;
    let key = rest[..eq].trim_end();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some((&line[..line.len() - rest.len()], key))
}

/// Bare when every character is safe for both shells and dotenv loaders; otherwise single
/// quotes (literal everywhere), or double quotes with escapes when the value has a `'`.
pub(super) fn quote(value: &str) -> Zeroizing<String> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:@+~,%".contains(c);
    let mut out = Zeroizing::new(String::with_capacity(value.len() * 2 + 2));
    if value.chars().all(safe) {
        out.push_str(value);
    } else if !value.contains('\'') {
        out.push('\'');
        out.push_str(value);
        out.push('\'');
    } else {
        out.push('"');
        for c in value.chars() {
            if matches!(c, '\\' | '"' | '$' | '`') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out
}

/// Removes the temp file when dropped, unless it was renamed into place: every failure path,
/// a panic included, leaves no copy of the secret behind.
struct TempGuard {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Temp file (0600, O_EXCL, locked while it exists) beside the target, written, given the
/// target's owner, group and mode, fsynced, renamed over it. On any failure the temp file is
/// removed and the target is untouched.
fn replace_atomically(
    checked: &Checked,
    target: &Path,
    bytes: &[u8],
    fail: Option<FailStage>,
) -> Result<(), String> {
    let (mut guard, mut file) = create_temp(&checked.dir, &checked.name)?;
    file.write_all(bytes)
        .map_err(|e| format!("writing the temporary file failed: {e}"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match &checked.existing {
            Some(e) => {
                // Its group may be a service's (a group-readable .env): keep it, or stop.
                // SAFETY: getegid has no preconditions and cannot fail.
                if e.owner.1 != unsafe { libc::getegid() } {
                    std::os::unix::fs::fchown(&file, None, Some(e.owner.1)).map_err(|err| {
                        format!(
                            "could not keep the file's group (gid {}): {err}; it was not changed",
                            e.owner.1
                        )
                    })?;
                }
                file.set_permissions(fs::Permissions::from_mode(e.mode))
                    .map_err(|err| format!("could not keep the file's mode {:o}: {err}", e.mode))?;
            }
            // The umask may have narrowed 0600 further (e.g. to 0400); a new file is 0600.
            None => file
                .set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("setting mode 0600 failed: {e}"))?,
        }
    }
    file.sync_all()
        .map_err(|e| format!("writing the temporary file failed: {e}"))?;
    if fail == Some(FailStage::BeforeRename) {
        return Err("simulated failure before the rename".into());
    }
    fs::rename(&guard.path, target).map_err(|e| format!("replacing the file failed: {e}"))?;
    guard.armed = false;
    drop(file);
    // Make the rename itself durable (best effort: not every platform can fsync a folder).
    #[cfg(unix)]
    if let Ok(d) = File::open(&checked.dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A new temp file beside the target, held under an exclusive lock while it exists, so a
/// cleaner in another process can tell a live write from one that was killed.
fn create_temp(dir: &Path, name: &OsStr) -> Result<(TempGuard, File), String> {
    let mut last = None;
    for _ in 0..8 {
        let mut tmp_name = OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{}{TEMP_SUFFIX}", uuid::Uuid::new_v4().simple()));
        let tmp = dir.join(tmp_name);
        let mut open = OpenOptions::new();
        // create_new = O_CREAT|O_EXCL: never opens an existing file or follows a symlink.
        open.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            open.mode(0o600);
        }
        match open.open(&tmp) {
            Ok(f) => {
                let guard = TempGuard {
                    path: tmp,
                    armed: true,
                };
                lock(&f, false);
                return Ok((guard, f));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => {
                return Err(format!("cannot create a file in {}: {e}", dir.display()));
            }
        }
    }
    Err(format!(
        "cannot create a file in {}: {}",
        dir.display(),
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
}

/// Remove temp files of ours for `name` that no write holds any more (a write killed after it
/// wrote its temp file): each may hold a secret. Only files of this user, of our naming, that
/// no process has locked.
fn remove_stale_temps(dir: &Path, name: &OsStr) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let prefix = prefix.to_string_lossy().into_owned();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(n) = file_name.to_str() else {
            continue;
        };
        let Some(middle) = n
            .strip_prefix(prefix.as_str())
            .and_then(|r| r.strip_suffix(TEMP_SUFFIX))
        else {
            continue;
        };
        if middle.len() != 32 || !middle.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // SAFETY: geteuid has no preconditions and cannot fail.
            if !meta.is_file() || meta.uid() != unsafe { libc::geteuid() } {
                continue;
            }
        }
        #[cfg(not(unix))]
        if !meta.is_file() {
            continue;
        }
        let mut open = OpenOptions::new();
        open.write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            open.custom_flags(libc::O_NOFOLLOW);
        }
        if let Ok(f) = open.open(&path)
            && lock(&f, true)
        {
            tracing::info!(path = %path.display(), "removing a stale temporary .env file");
            let _ = fs::remove_file(&path);
        }
    }
}

/// An exclusive `flock` (non-blocking with `try`); true when held.
#[cfg(unix)]
fn lock(file: &File, try_only: bool) -> bool {
    use std::os::unix::io::AsRawFd;
    let how = if try_only {
        libc::LOCK_EX | libc::LOCK_NB
    } else {
        libc::LOCK_EX
    };
    // SAFETY: flock on a descriptor this `File` owns; no memory is passed.
    unsafe { libc::flock(file.as_raw_fd(), how) == 0 }
}

#[cfg(not(unix))]
fn lock(_file: &File, _try_only: bool) -> bool {
    true
}

/// A warning when git would track the file: `git check-ignore` exits 1 inside a work tree when
/// the path is not ignored. Not a repository (128) or no git at all: no warning.
fn git_warning(path: &Path, dir: &Path, name: &OsStr) -> Option<String> {
    let status = Command::new("git")
        .args(["check-ignore", "-q", "--"])
        .arg(name)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    (status.code() == Some(1)).then(|| {
        format!(
            "{} is not ignored by git and could be committed; add it to .gitignore",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("Q_e8Q~ZDW.bk-a").as_str(), "Q_e8Q~ZDW.bk-a");
        assert_eq!(quote("a b#c").as_str(), "'a b#c'");
        assert_eq!(quote("it's $x").as_str(), "\"it's \\$x\"");
        assert_eq!(quote("").as_str(), "");
    }

    #[test]
    fn keys_are_found_with_export_and_spaces_but_not_in_comments() {
        assert_eq!(line_key("AZURE_CLIENT_ID=x"), Some(("", "AZURE_CLIENT_ID")));
        assert_eq!(
            line_key("  export  AZURE_TENANT_ID = y"),
            Some(("  export  ", "AZURE_TENANT_ID"))
        );
        assert_eq!(line_key("# AZURE_CLIENT_ID=x"), None);
        assert_eq!(
            line_key("exportAZURE_CLIENT_ID=x"),
            Some(("", "exportAZURE_CLIENT_ID"))
        );
        assert_eq!(line_key("no assignment"), None);
    }

    #[test]
    fn values_are_read_unquoted_and_the_last_one_wins() {
        let text = "AZURE_CLIENT_ID=a\nexport AZURE_CLIENT_ID = 'b'\n# AZURE_TENANT_ID=x\n";
        assert_eq!(value_of(text, "AZURE_CLIENT_ID").as_deref(), Some("b"));
        assert_eq!(value_of(text, "AZURE_TENANT_ID"), None);
        assert_eq!(
            value_of("AZURE_TENANT_ID=\"t\"", "AZURE_TENANT_ID").as_deref(),
            Some("t")
        );
    }

    #[test]
    fn render_replaces_in_place_and_appends_missing() {
        let old = "# app\nFOO=1\r\nexport AZURE_CLIENT_SECRET=old\nAZURE_CLIENT_ID=old\nBAR=2";
        let new = render(Some(old), &["cid", "tid", "s3cret"]);
        assert_eq!(
            new.as_str(),
            "# app\nFOO=1\r\nexport AZURE_CLIENT_SECRET=s3cret\nAZURE_CLIENT_ID=cid\nBAR=2\n\
             AZURE_TENANT_ID=tid\n"
        );
        let fresh = render(None, &["c", "t", "s"]);
        assert_eq!(
            fresh.as_str(),
            "AZURE_CLIENT_ID=c\nAZURE_TENANT_ID=t\nAZURE_CLIENT_SECRET=s\n"
        );
    }
}
