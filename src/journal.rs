//! The creation journal: a record of every client secret azsecrets sets out to create, so that a
//! secret whose creation was interrupted (a signal, a kill, a lost reply) is found and offered
//! for deletion on the next run instead of living on in the tenant with nobody holding its value.
//!
//! `$XDG_STATE_HOME/azsecrets/journal.jsonl` (folder 0700, file 0600): JSON lines, append-only,
//! each append fsynced under an advisory lock (`flock`) so two azsecrets processes never
//! interleave. An operation is an `intent` (what is about to be sent, never the value), then
//! `created` (the Secret ID and hint Graph answered with), then `done` (how it ended). An
//! operation without `done` whose process is gone is *pending*; a live process's operation is
//! its own business. When every operation in the file is done, the file is emptied.
//!
//! Resolving pending operations (deleting an orphan) is serialized by a second lock
//! ([`Journal::lock_resolution`]), so two processes never both resolve the same entry.
//!
//! Knows no terminal and no Graph: the creation transaction (`create.rs`) writes it.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{ApplicationId, ObjectId, SecretId, TenantId};

/// The journal's file name inside the state folder.
pub const FILE_NAME: &str = "journal.jsonl";

/// Names one creation from intent to done (a UUID).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OpId(pub String);

impl OpId {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }
}

impl Default for OpId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for OpId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The app a secret is created on, as the journal names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRef {
    pub object_id: ObjectId,
    pub app_id: ApplicationId,
    pub name: String,
}

/// What is about to be sent to `addPassword` (never the value: there is none yet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    /// The tenant, when known (a token that cannot read `/organization` leaves it unknown; the
    /// next run then checks the entry in whatever tenant has its app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantId>,
    pub app: AppRef,
    pub description: Option<String>,
    /// The exact `startDateTime` sent: with the description, it identifies the credential
    /// when the app is read back.
    pub start_date_time: DateTime<Utc>,
    pub end_date_time: DateTime<Utc>,
    /// The `client-request-id` header sent (Graph echoes it in its logs and errors).
    pub client_request_id: String,
    /// Where the value was going (`clipboard`, `env-file`, `stdout`, `reveal`).
    pub destination: String,
    /// The process that sent it; an operation of a live process is not an orphan.
    pub pid: u32,
    /// The process's start time (Linux: clock ticks since boot), so a reused pid is not
    /// mistaken for the process that wrote the intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_start: Option<u64>,
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Done {
    /// The value reached its destination.
    HandedOff,
    /// The secret was deleted again because its value reached nobody.
    #[serde(rename_all = "camelCase")]
    RolledBack { secret_id: SecretId },
    /// The user chose to keep a secret whose value azsecrets did not hand off.
    #[serde(rename_all = "camelCase")]
    KeptByUser { secret_id: SecretId },
    /// Nothing was created (Graph refused, or reading the app back found nothing).
    NothingCreated,
    /// The secret was already gone when the journal was resolved (removed elsewhere).
    #[serde(rename_all = "camelCase")]
    AlreadyGone { secret_id: SecretId },
}

/// One line of the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "kebab-case")]
enum Record {
    Intent {
        op: OpId,
        at: DateTime<Utc>,
        #[serde(flatten)]
        intent: Intent,
    },
    #[serde(rename_all = "camelCase")]
    Created {
        op: OpId,
        at: DateTime<Utc>,
        secret_id: SecretId,
        #[serde(default)]
        hint: Option<String>,
    },
    Done {
        op: OpId,
        at: DateTime<Utc>,
        #[serde(flatten)]
        done: Done,
    },
}

impl Record {
    fn op(&self) -> &OpId {
        match self {
            Record::Intent { op, .. } | Record::Created { op, .. } | Record::Done { op, .. } => op,
        }
    }
}

/// What Graph answered with, as journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Created {
    pub secret_id: SecretId,
    pub hint: Option<String>,
    pub at: DateTime<Utc>,
}

/// One operation, folded from its records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub op: OpId,
    /// When the intent was written.
    pub at: DateTime<Utc>,
    pub intent: Intent,
    pub created: Option<Created>,
    pub done: Option<Done>,
}

impl Entry {
    /// Not done, and the process that began it is gone.
    pub fn is_pending(&self) -> bool {
        self.done.is_none() && !process_alive(self.intent.pid, self.intent.process_start)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "there is no state folder to keep the journal in (neither XDG_STATE_HOME nor HOME is set)"
    )]
    NoStateDir,
    #[error("could not use the journal {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "another azsecrets is resolving interrupted creations right now; try again in a moment"
    )]
    Busy,
}

/// The journal file (cheap to clone: a path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// The journal at `path` (its folder is created private on first write).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// `$XDG_STATE_HOME/azsecrets/journal.jsonl` (else `~/.local/state/…`; platforms without a
    /// state folder use the cache folder, as the log does).
    pub fn default_location() -> Result<Self, JournalError> {
        use etcetera::BaseStrategy;
        let base = etcetera::choose_base_strategy().map_err(|_| JournalError::NoStateDir)?;
        let dir = base.state_dir().unwrap_or_else(|| base.cache_dir());
        Ok(Self::at(dir.join("azsecrets").join(FILE_NAME)))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: io::Error) -> JournalError {
        JournalError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Journal the intent (before anything is sent); the op id names it from now on.
    pub fn begin(&self, intent: Intent) -> Result<OpId, JournalError> {
        let op = OpId::new();
        self.append(&Record::Intent {
            op: op.clone(),
            at: Utc::now(),
            intent,
        })?;
        Ok(op)
    }

    /// Graph created the secret (its id and hint; never the value).
    pub fn created(
        &self,
        op: &OpId,
        secret_id: &SecretId,
        hint: Option<&str>,
    ) -> Result<(), JournalError> {
        self.append(&Record::Created {
            op: op.clone(),
            at: Utc::now(),
            secret_id: secret_id.clone(),
            hint: hint.map(str::to_owned),
        })
    }

    /// How the operation ended. Empties the file when nothing in it is still open.
    pub fn done(&self, op: &OpId, done: Done) -> Result<(), JournalError> {
        self.append(&Record::Done {
            op: op.clone(),
            at: Utc::now(),
            done,
        })
    }

    /// Every operation in the file, oldest first. A missing file is an empty journal; a line
    /// that cannot be read (a write cut short by a crash) is skipped.
    pub fn entries(&self) -> Result<Vec<Entry>, JournalError> {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(e)),
        };
        lock(&file, libc::LOCK_SH).map_err(|e| self.io(e))?;
        let mut text = String::new();
        let read = file.read_to_string(&mut text);
        let _ = unlock(&file);
        read.map_err(|e| self.io(e))?;
        Ok(fold(&text))
    }

    /// The pending operations: not done, and their process is gone.
    pub fn pending(&self) -> Result<Vec<Entry>, JournalError> {
        Ok(self
            .entries()?
            .into_iter()
            .filter(Entry::is_pending)
            .collect())
    }

    /// Hold the resolution lock (waiting up to a few seconds for another process to finish):
    /// while it is held, no other azsecrets resolves pending operations.
    pub fn lock_resolution(&self) -> Result<ResolutionLock, JournalError> {
        self.lock_resolution_within(std::time::Duration::from_secs(5))
    }

    fn lock_resolution_within(
        &self,
        wait: std::time::Duration,
    ) -> Result<ResolutionLock, JournalError> {
        let path = self.path.with_extension("lock");
        self.ensure_dir()?;
        let file = open_private(&path, false).map_err(|e| self.io(e))?;
        let deadline = std::time::Instant::now() + wait;
        loop {
            match lock(&file, libc::LOCK_EX | libc::LOCK_NB) {
                Ok(()) => return Ok(ResolutionLock { _file: file }),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if std::time::Instant::now() >= deadline {
                        return Err(JournalError::Busy);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(self.io(e)),
            }
        }
    }

    fn ensure_dir(&self) -> Result<(), JournalError> {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => {
                crate::paths::create_private_dir(dir).map_err(|e| self.io(e))
            }
            _ => Ok(()),
        }
    }

    /// One record, appended whole and fsynced under the file lock.
    fn append(&self, record: &Record) -> Result<(), JournalError> {
        self.ensure_dir()?;
        let mut line = serde_json::to_vec(record)
            .map_err(|e| self.io(io::Error::new(io::ErrorKind::InvalidData, e)))?;
        line.push(b'\n');
        let mut file = open_private(&self.path, true).map_err(|e| self.io(e))?;
        lock(&file, libc::LOCK_EX).map_err(|e| self.io(e))?;
        let written = (|| -> io::Result<()> {
            // A write cut short by a crash left a partial line: start on a fresh one, so the
            // partial line stays the only unreadable one.
            let len = file.seek(SeekFrom::End(0))?;
            if len > 0 {
                let mut last = [0u8; 1];
                file.seek(SeekFrom::Start(len - 1))?;
                file.read_exact(&mut last)?;
                if last[0] != b'\n' {
                    file.write_all(b"\n")?;
                }
            }
            file.write_all(&line)?;
            file.sync_data()?;
            if matches!(record, Record::Done { .. }) {
                compact(&mut file)?;
            }
            Ok(())
        })();
        let _ = unlock(&file);
        written.map_err(|e| self.io(e))
    }
}

/// Held while resolving pending operations; dropping it lets the next process in.
#[derive(Debug)]
pub struct ResolutionLock {
    _file: File,
}

/// Empty the file when every operation in it is done (called with the lock held).
fn compact(file: &mut File) -> io::Result<()> {
    file.seek(SeekFrom::Start(0))?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    if fold(&text).iter().all(|e| e.done.is_some()) {
        file.set_len(0)?;
        file.sync_data()?;
    }
    Ok(())
}

/// Records folded into operations, in the order their intents were written. Records of an
/// operation whose intent is unreadable are dropped with it.
fn fold(text: &str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for line in text.lines() {
        let Ok(record) = serde_json::from_str::<Record>(line) else {
            continue;
        };
        let at = entries.iter().position(|e| &e.op == record.op());
        match (record, at) {
            (Record::Intent { op, at, intent }, None) => entries.push(Entry {
                op,
                at,
                intent,
                created: None,
                done: None,
            }),
            (
                Record::Created {
                    secret_id,
                    hint,
                    at,
                    ..
                },
                Some(i),
            ) => {
                entries[i].created = Some(Created {
                    secret_id,
                    hint,
                    at,
                });
            }
            (Record::Done { done, .. }, Some(i)) => entries[i].done = Some(done),
            _ => {}
        }
    }
    entries
}

fn open_private(path: &Path, append: bool) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true).create(true);
    if append {
        o.append(true);
    } else {
        o.write(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    }
    o.open(path)
}

#[cfg(unix)]
fn lock(file: &File, how: libc::c_int) -> io::Result<()> {
    use std::os::unix::io::AsRawFd;
    loop {
        // SAFETY: flock on a descriptor this `File` owns; no memory is passed.
        let r = unsafe { libc::flock(file.as_raw_fd(), how) };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(unix)]
fn unlock(file: &File) -> io::Result<()> {
    lock(file, libc::LOCK_UN)
}

#[cfg(not(unix))]
fn lock(_file: &File, _how: i32) -> io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn unlock(_file: &File) -> io::Result<()> {
    Ok(())
}

/// This process, as an intent records it.
pub fn this_process() -> (u32, Option<u64>) {
    let pid = std::process::id();
    (pid, process_start_time(pid))
}

/// Linux: the process's start time in clock ticks since boot (field 22 of `/proc/PID/stat`).
fn process_start_time(pid: u32) -> Option<u64> {
    proc_stat(pid).map(|(_, start)| start)
}

/// Linux: the state letter and start time of `pid`, from `/proc/PID/stat`.
fn proc_stat(pid: u32) -> Option<(char, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // After the state (field 3), field 22 is the 19th.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

/// Whether the process that wrote an intent still runs (the same process: a pid reused by
/// another program, seen by its different start time, is not it).
pub fn process_alive(pid: u32, start: Option<u64>) -> bool {
    if cfg!(target_os = "linux") && std::path::Path::new("/proc/self/stat").exists() {
        return match proc_stat(pid) {
            None => false,
            Some(('Z' | 'X', _)) => false,
            Some((_, now)) => start.is_none_or(|s| s == now),
        };
    }
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks that the process exists; nothing is sent.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = start;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn intent(pid: u32, start: Option<u64>) -> Intent {
        Intent {
            tenant: Some(TenantId::new("72f988bf-86f1-41af-91ab-2d7cd011db47")),
            app: AppRef {
                object_id: ObjectId::new("0a1b2c3d-1111-4111-8111-000000000001"),
                app_id: ApplicationId::new("631a96bc-a705-4eda-9f99-fdaf9f54f6a2"),
                name: "payments-api".into(),
            },
            description: Some("ci \"deploy\"\n".into()),
            start_date_time: Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap(),
            end_date_time: Utc.with_ymd_and_hms(2027, 5, 25, 12, 0, 0).unwrap(),
            client_request_id: "9c0f4c1e-0000-4000-8000-000000000001".into(),
            destination: "clipboard".into(),
            pid,
            process_start: start,
        }
    }

    /// A pid that is certainly not running (a child that has exited and been reaped).
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    fn journal() -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::at(dir.path().join("state").join("azsecrets").join(FILE_NAME));
        (dir, j)
    }

    #[test]
    fn records_fold_into_entries_and_the_file_is_private() {
        let (_dir, j) = journal();
        let (pid, start) = this_process();
        let op = j.begin(intent(pid, start)).unwrap();
        let key = SecretId::new("11112222-3333-4444-8555-666677778888");
        j.created(&op, &key, Some("Fk3")).unwrap();
        let e = j.entries().unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].op, op);
        assert_eq!(e[0].intent, intent(pid, start));
        assert_eq!(e[0].created.as_ref().map(|c| &c.secret_id), Some(&key));
        assert!(!e[0].is_pending(), "this process is alive: not an orphan");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(j.path()), 0o600);
            assert_eq!(mode(j.path().parent().unwrap()), 0o700);
        }
        // Done, and nothing else open: the file is emptied.
        j.done(&op, Done::HandedOff).unwrap();
        assert_eq!(std::fs::read(j.path()).unwrap(), b"");
        assert!(j.entries().unwrap().is_empty());
    }

    #[test]
    fn pending_means_not_done_and_its_process_gone() {
        let (_dir, j) = journal();
        let (pid, start) = this_process();
        let live = j.begin(intent(pid, start)).unwrap();
        let dead = j.begin(intent(dead_pid(), None)).unwrap();
        // Our pid, but another start time: the pid was reused, the writer is gone.
        let reused = j
            .begin(intent(pid, start.map(|s| s.wrapping_add(1))))
            .unwrap();
        let finished = j.begin(intent(dead_pid(), None)).unwrap();
        j.done(&finished, Done::NothingCreated).unwrap();
        let pending: Vec<OpId> = j.pending().unwrap().into_iter().map(|e| e.op).collect();
        let mut want = vec![dead.clone()];
        if start.is_some() {
            want.push(reused.clone());
        }
        assert_eq!(pending, want);
        assert!(!pending.contains(&live));
        // Not everything is done: the file is kept.
        assert_eq!(j.entries().unwrap().len(), 4);
        j.done(&dead, Done::NothingCreated).unwrap();
        j.done(&reused, Done::NothingCreated).unwrap();
        assert_eq!(j.entries().unwrap().len(), 4, "the live one is still open");
        j.done(&live, Done::HandedOff).unwrap();
        assert!(j.entries().unwrap().is_empty(), "compacted");
    }

    #[test]
    fn a_line_cut_short_by_a_crash_is_ignored_and_the_next_record_starts_fresh() {
        let (_dir, j) = journal();
        let op = j.begin(intent(dead_pid(), None)).unwrap();
        let full = std::fs::read_to_string(j.path()).unwrap();
        // A crash in the middle of the created record.
        let mut f = OpenOptions::new().append(true).open(j.path()).unwrap();
        f.write_all(br#"{"record":"created","op":"#).unwrap();
        drop(f);
        let e = j.entries().unwrap();
        assert_eq!(e.len(), 1);
        assert!(e[0].created.is_none());
        // The next append starts on its own line and is read.
        let key = SecretId::new("11112222-3333-4444-8555-666677778888");
        j.created(&op, &key, None).unwrap();
        let text = std::fs::read_to_string(j.path()).unwrap();
        assert!(text.starts_with(&full));
        assert_eq!(text.lines().count(), 3);
        let e = j.entries().unwrap();
        assert_eq!(e[0].created.as_ref().map(|c| &c.secret_id), Some(&key));
        assert!(j.pending().unwrap().len() == 1);
    }

    #[test]
    fn concurrent_appends_never_interleave() {
        let (_dir, j) = journal();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let j = j.clone();
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        let op = j.begin(intent(1, None)).unwrap();
                        j.created(&op, &SecretId::new(uuid::Uuid::new_v4().to_string()), None)
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let text = std::fs::read_to_string(j.path()).unwrap();
        assert_eq!(text.lines().count(), 400);
        for line in text.lines() {
            serde_json::from_str::<Record>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        }
        let e = j.entries().unwrap();
        assert_eq!(e.len(), 200);
        assert!(e.iter().all(|e| e.created.is_some()));
    }

    #[test]
    fn the_resolution_lock_is_exclusive() {
        let (_dir, j) = journal();
        let held = j.lock_resolution().unwrap();
        let other = j.clone();
        let t = std::thread::spawn(move || {
            other
                .lock_resolution_within(std::time::Duration::from_millis(200))
                .map(|_| ())
        });
        let r = t.join().unwrap();
        assert!(matches!(r, Err(JournalError::Busy)), "{r:?}");
        drop(held);
        assert!(j.lock_resolution().is_ok());
    }

    #[test]
    fn the_wire_shape_is_stable() {
        let r = Record::Done {
            op: OpId("op".into()),
            at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            done: Done::RolledBack {
                secret_id: SecretId::new("k"),
            },
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"record":"done","op":"op","at":"2026-01-01T00:00:00Z","outcome":"rolled-back","secretId":"k"}"#
        );
    }
}
