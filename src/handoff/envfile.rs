//! The `.env` writer: put `AZURE_CLIENT_ID`, `AZURE_TENANT_ID` and `AZURE_CLIENT_SECRET` into a
//! file the user chose, atomically (temp file in the same folder, fsync, rename), mode 0600,
//! never through a symlink, keeping every other line where it was.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use secrecy::zeroize::Zeroizing;

use super::{EnvBlock, EnvFileReport, HandoffError};

const KEYS: [&str; 3] = ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"];

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
    write(path, block, Some(stage))
}

pub(super) fn write(
    path: &Path,
    block: &EnvBlock<'_>,
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
        Ok(m) => Some(read_no_follow(path, m.len()).map_err(|e| err(e.to_string()))?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(err(e.to_string())),
    };

    let contents = render(existing.as_deref().map(String::as_str), &values);
    replace_atomically(&dir, name, path, contents.as_bytes(), fail).map_err(err)?;

    Ok(EnvFileReport {
        path: path.to_path_buf(),
        updated: existing.is_some(),
        git_warning: git_warning(path, &dir, name),
    })
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

/// Temp file (0600, O_EXCL) beside the target, written, fsynced, renamed over it. On any
/// failure the temp file is removed and the target is untouched.
fn replace_atomically(
    dir: &Path,
    name: &OsStr,
    target: &Path,
    bytes: &[u8],
    fail: Option<FailStage>,
) -> Result<(), String> {
    let (tmp_path, mut file) = create_temp(dir, name)?;
    let result = (|| -> Result<(), String> {
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("writing the temporary file failed: {e}"))?;
        #[cfg(unix)]
        {
            // The umask may have narrowed 0600 further (e.g. to 0400); the result must be 0600.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("setting mode 0600 failed: {e}"))?;
        }
        if fail == Some(FailStage::BeforeRename) {
            return Err("simulated failure before the rename".into());
        }
        fs::rename(&tmp_path, target).map_err(|e| format!("replacing the file failed: {e}"))
    })();
    drop(file);
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
        return result;
    }
    // Make the rename itself durable (best effort: not every platform can fsync a folder).
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn create_temp(dir: &Path, name: &OsStr) -> Result<(PathBuf, File), String> {
    let mut last = None;
    for _ in 0..8 {
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{}.azsecrets-tmp", uuid::Uuid::new_v4().simple()));
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
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => {
                return Err(format!(
                    "creating a temporary file in {}: {e}",
                    dir.display()
                ));
            }
        }
    }
    Err(format!(
        "creating a temporary file in {}: {}",
        dir.display(),
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
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
