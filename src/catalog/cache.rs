//! The warm-start cache: one file per Graph endpoint and tenant in the user's cache directory
//! (`$XDG_CACHE_HOME/azsecrets/apps-<key>.bin`), holding the app list's rows and the delta
//! link to bring them up to date. Never a secret value or a token: names, ids, credential ids,
//! descriptions, hints and dates, as the list shows them.
//!
//! The folder is created 0700 ([`crate::paths`]); a file is written to a new 0600 file and
//! renamed over the old one, so a crash never leaves half a cache and nobody else can read it.
//! The format is a small versioned binary one (a 200,000-app list reads in tens of
//! milliseconds); a file that does not read is ignored and replaced.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{AppRow, CredRow, Origin, RowId};
use crate::graph::SignInAudience;

const MAGIC: &[u8; 8] = b"AZSAPPS\0";
/// 2: the rows are followed by their order by next expiry and a table of where each part of
/// [`PART_ROWS`] rows starts (so two threads decode a file), then [`TRAILER`].
const VERSION: u32 = 2;
/// Rows in a part of a file.
pub const PART_ROWS: usize = 4096;
/// The last 16 bytes of a file: where its parts table starts (u64, little-endian), then this.
const TRAILER: &[u8; 8] = b"AZSPARTS";
const PREFIX: &str = "apps-";
const SUFFIX: &str = ".bin";

/// Which cache file: the Graph endpoint and the tenant as the sign-in names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheKey {
    pub graph: String,
    /// A tenant id, domain or `organizations`, lowercased.
    pub tenant: String,
}

impl CacheKey {
    pub fn new(graph: &str, tenant: &str) -> Self {
        Self {
            graph: graph.to_owned(),
            tenant: tenant.trim().to_ascii_lowercase(),
        }
    }

    fn file_name(&self) -> String {
        // FNV-1a: a stable name from text that may hold anything a file name cannot.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.graph.bytes().chain([0]).chain(self.tenant.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{PREFIX}{h:016x}{SUFFIX}")
    }
}

/// What a cache file holds.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The tenant the rows are of (its GUID, from `/organization`), when known.
    pub tenant_id: Option<String>,
    pub saved_at: Option<DateTime<Utc>>,
    /// Where the next delta round starts.
    pub delta_link: Option<String>,
    pub rows: Vec<AppRow>,
    /// The rows (by their place in the file) by next expiry as the list sorted them when it
    /// was saved: a hint that saves sorting at start, checked before it is used.
    pub expiry_order: Vec<u32>,
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
    #[error("the app cache {} cannot be read ({detail}); it will be rebuilt", path.display())]
    Corrupt { path: PathBuf, detail: &'static str },
}

/// The folder the cache files live in.
#[derive(Clone, Debug)]
pub struct AppCache {
    dir: PathBuf,
}

impl AppCache {
    /// `<user cache dir>/azsecrets`.
    pub fn default_location() -> Result<Self, CacheError> {
        crate::paths::cache_dir()
            .map(|dir| Self { dir })
            .ok_or(CacheError::NoCacheDir)
    }

    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(key.file_name())
    }

    /// The snapshot for `key`; `Ok(None)` when there is none. Read a block at a time, so the
    /// file is never held whole beside its rows.
    pub fn load(&self, key: &CacheKey) -> Result<Option<Snapshot>, CacheError> {
        let path = self.path(key);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(CacheError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        match decode(file, &path, key) {
            Ok(snap) => Ok(Some(snap)),
            Err(Damage::Io(source)) => Err(CacheError::Io {
                action: "read",
                path,
                source,
            }),
            Err(Damage::Format(detail)) => Err(CacheError::Corrupt { path, detail }),
        }
    }

    /// Write `bytes` (from [`encode`]) for `key` at once.
    pub fn store(&self, key: &CacheKey, bytes: &[u8]) -> Result<PathBuf, CacheError> {
        let mut w = self.begin(key)?;
        w.write(bytes)?;
        w.commit()
    }

    /// Start writing the file for `key` part by part (as an [`Encoder`] makes them):
    /// a new 0600 file, renamed over the old one by [`CacheWriter::commit`] and removed if
    /// dropped before that.
    pub fn begin(&self, key: &CacheKey) -> Result<CacheWriter, CacheError> {
        crate::paths::create_private_dir(&self.dir).map_err(io_error("create", &self.dir))?;
        let path = self.path(key);
        // A name of its own per write: a write given up may still be closing its file.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = self.dir.join(format!(
            ".{}.{}.{n}.tmp",
            key.file_name(),
            std::process::id()
        ));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&tmp).map_err(io_error("write", &path))?;
        Ok(CacheWriter {
            file: Some(file),
            tmp,
            path,
        })
    }

    /// Remove what writes of `key`'s file left behind (a run that ended while writing it), once
    /// older than `age` (a younger one may be another run's write in progress); how many.
    pub fn sweep(&self, key: &CacheKey, age: std::time::Duration) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        let prefix = format!(".{}.", key.file_name());
        let mut n = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !(name.starts_with(&prefix) && name.ends_with(".tmp")) {
                continue;
            }
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|e| e >= age);
            if old && std::fs::remove_file(entry.path()).is_ok() {
                n += 1;
            }
        }
        n
    }

    /// Remove every app cache in the folder (`logout`); how many were removed.
    pub fn remove_all(&self) -> Result<usize, CacheError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(source) => {
                return Err(CacheError::Io {
                    action: "read",
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut n = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let ours = (name.starts_with(PREFIX) && name.ends_with(SUFFIX))
                || (name.starts_with(&format!(".{PREFIX}")) && name.ends_with(".tmp"));
            if ours {
                std::fs::remove_file(entry.path()).map_err(|source| CacheError::Io {
                    action: "remove",
                    path: entry.path(),
                    source,
                })?;
                n += 1;
            }
        }
        Ok(n)
    }
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> CacheError {
    let path = path.to_path_buf();
    move |source| CacheError::Io {
        action,
        path,
        source,
    }
}

/// A cache file being written (see [`AppCache::begin`]).
#[derive(Debug)]
pub struct CacheWriter {
    file: Option<std::fs::File>,
    tmp: PathBuf,
    path: PathBuf,
}

impl CacheWriter {
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), CacheError> {
        let written = match &mut self.file {
            Some(f) => f.write_all(bytes),
            None => Err(std::io::Error::other("already closed")),
        };
        written.map_err(io_error("write", &self.path))
    }

    /// Make the written parts the cache file.
    pub fn commit(mut self) -> Result<PathBuf, CacheError> {
        let done = match self.file.take() {
            Some(f) => f.sync_all(),
            None => Err(std::io::Error::other("already closed")),
        }
        .and_then(|()| std::fs::rename(&self.tmp, &self.path));
        done.map_err(io_error("write", &self.path))?;
        Ok(std::mem::take(&mut self.path))
    }
}

impl Drop for CacheWriter {
    fn drop(&mut self) {
        // Not committed (or the rename failed: `commit` takes the path only on success): no
        // half file stays.
        if !self.path.as_os_str().is_empty() {
            drop(self.file.take());
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The start of a cache file that holds `rows` rows.
fn header(
    key: &CacheKey,
    tenant_id: Option<&str>,
    delta_link: Option<&str>,
    saved_at: DateTime<Utc>,
    rows: usize,
) -> Vec<u8> {
    let mut w = Vec::with_capacity(256);
    w.extend_from_slice(MAGIC);
    w.extend_from_slice(&VERSION.to_le_bytes());
    put_str(&mut w, &key.graph);
    put_str(&mut w, &key.tenant);
    put_opt_str(&mut w, tenant_id);
    put_time(&mut w, Some(saved_at));
    put_opt_str(&mut w, delta_link);
    put_len(&mut w, rows);
    w
}

/// Rows as a cache file holds them, after its [`header`].
fn put_rows<'a>(w: &mut Vec<u8>, rows: impl Iterator<Item = &'a AppRow>) {
    for r in rows {
        put_id(w, &r.id);
        put_id(w, &r.app_id);
        put_str(w, &r.display_name);
        put_time(w, r.created_date_time);
        w.push(match r.sign_in_audience {
            None => 0,
            Some(a) => {
                1 + SignInAudience::ALL
                    .iter()
                    .position(|x| *x == a)
                    .unwrap_or(0) as u8
            }
        });
        put_creds(w, &r.password_credentials);
        match &r.key_credentials {
            None => w.push(0),
            Some(c) => {
                w.push(1);
                put_creds(w, c);
            }
        }
    }
}

/// The end of a cache file: the rows' order by next expiry (positions in the file; empty when
/// not known).
fn put_order(w: &mut Vec<u8>, order: &[u32]) {
    put_len(w, order.len());
    w.reserve(order.len() * 4);
    for &i in order {
        w.extend_from_slice(&i.to_le_bytes());
    }
}

/// Writes a cache file a part at a time, into as many buffers as the caller likes (the
/// warm-start write sends each part as it is made), keeping where each part starts.
#[derive(Debug)]
pub struct Encoder {
    /// Bytes made so far: the next byte's place in the file.
    written: u64,
    parts: Vec<u64>,
}

impl Encoder {
    /// A file of `rows` rows: its header goes into `out`.
    pub fn new(
        out: &mut Vec<u8>,
        key: &CacheKey,
        tenant_id: Option<&str>,
        delta_link: Option<&str>,
        saved_at: DateTime<Utc>,
        rows: usize,
    ) -> Self {
        let h = header(key, tenant_id, delta_link, saved_at, rows);
        out.extend_from_slice(&h);
        Self {
            written: h.len() as u64,
            parts: Vec::new(),
        }
    }

    /// The next part: [`PART_ROWS`] rows (fewer only for the last).
    pub fn part<'a>(&mut self, out: &mut Vec<u8>, rows: impl Iterator<Item = &'a AppRow>) {
        let before = out.len();
        self.parts.push(self.written);
        put_rows(out, rows);
        self.written += (out.len() - before) as u64;
    }

    /// The end: the expiry order (places in the file; may be empty), the parts table and the
    /// trailer.
    pub fn finish(&mut self, out: &mut Vec<u8>, expiry_order: &[u32]) {
        let before = out.len();
        put_order(out, expiry_order);
        let table = self.written + (out.len() - before) as u64;
        put_len(out, PART_ROWS);
        put_len(out, self.parts.len());
        for p in &self.parts {
            out.extend_from_slice(&p.to_le_bytes());
        }
        out.extend_from_slice(&table.to_le_bytes());
        out.extend_from_slice(TRAILER);
        self.written += (out.len() - before) as u64;
    }
}

/// The bytes of a cache file.
pub fn encode<'a>(
    key: &CacheKey,
    tenant_id: Option<&str>,
    delta_link: Option<&str>,
    saved_at: DateTime<Utc>,
    rows: impl Iterator<Item = &'a AppRow>,
) -> Vec<u8> {
    let rows: Vec<&AppRow> = rows.collect();
    let mut w = Vec::new();
    let mut e = Encoder::new(&mut w, key, tenant_id, delta_link, saved_at, rows.len());
    for part in rows.chunks(PART_ROWS) {
        e.part(&mut w, part.iter().copied());
    }
    e.finish(&mut w, &[]);
    w
}

/// Why a file did not read.
enum Damage {
    Io(std::io::Error),
    Format(&'static str),
}

impl From<&'static str> for Damage {
    fn from(s: &'static str) -> Self {
        Damage::Format(s)
    }
}

const CUT_SHORT: &str = "it is cut short";
/// How much of the file is read at once.
const BLOCK: usize = 1 << 20;

/// A file read a block at a time; a record is decoded from the bytes at hand, and when it runs
/// past them, again after the next block is read.
struct Blocks<R> {
    src: R,
    buf: Vec<u8>,
    /// Decoded up to here; `buf[at..]` is unread.
    at: usize,
    eof: bool,
    /// Bytes read so far (for the row count's sanity check).
    total: u64,
    /// Where in the file reading began.
    base: u64,
}

impl<R: std::io::Read> Blocks<R> {
    fn new(src: R, base: u64) -> Self {
        Self {
            src,
            buf: Vec::new(),
            at: 0,
            eof: false,
            total: 0,
            base,
        }
    }

    /// The place in the file of the next byte to decode.
    fn position(&self) -> u64 {
        self.base + self.total - (self.buf.len() - self.at) as u64
    }

    /// Decode one record with `f`, reading more of the file while it is cut short.
    fn next<T>(
        &mut self,
        f: impl Fn(&mut Reader<'_>) -> Result<T, &'static str>,
    ) -> Result<T, Damage> {
        loop {
            let mut r = Reader {
                b: &self.buf[self.at..],
                at: 0,
            };
            match f(&mut r) {
                Ok(v) => {
                    self.at += r.at;
                    return Ok(v);
                }
                Err(e) if e == CUT_SHORT && !self.eof => self.fill()?,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Keep the unread bytes and read another block after them.
    fn fill(&mut self) -> Result<(), Damage> {
        self.buf.drain(..self.at);
        self.at = 0;
        let had = self.buf.len();
        // A record longer than a block (a very long name or link) grows the buffer.
        let want = had + BLOCK.max(had);
        self.buf.resize(want, 0);
        let mut n = had;
        while n < want {
            match self.src.read(&mut self.buf[n..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(had);
                    return Err(Damage::Io(e));
                }
            }
        }
        self.total += (n - had) as u64;
        self.buf.truncate(n);
        Ok(())
    }

    /// Whether every byte was decoded.
    fn at_end(&mut self) -> Result<bool, Damage> {
        if self.at == self.buf.len() && !self.eof {
            self.fill()?;
        }
        Ok(self.eof && self.at == self.buf.len())
    }
}

/// Where the parts of a file start, from its trailer (`None`: a file too small to split, or
/// one whose trailer does not read: it is then decoded in one pass, which judges it).
fn parts_of(file: &mut std::fs::File, size: u64) -> Option<(usize, Vec<u64>)> {
    use std::io::{Read, Seek, SeekFrom};
    let mut t = [0u8; 16];
    file.seek(SeekFrom::Start(size.checked_sub(16)?)).ok()?;
    file.read_exact(&mut t).ok()?;
    if &t[8..] != TRAILER {
        return None;
    }
    let table = u64::from_le_bytes(t[..8].try_into().ok()?);
    let len = usize::try_from(size.checked_sub(16)?.checked_sub(table)?).ok()?;
    if len > 64 * 1024 * 1024 {
        return None;
    }
    let mut bytes = vec![0u8; len];
    file.seek(SeekFrom::Start(table)).ok()?;
    file.read_exact(&mut bytes).ok()?;
    let mut r = Reader { b: &bytes, at: 0 };
    let part_rows = r.len().ok()?;
    let k = r.len().ok()?;
    let parts = (0..k)
        .map(|_| r.array().map(u64::from_le_bytes))
        .collect::<Result<Vec<u64>, _>>()
        .ok()?;
    (r.at == bytes.len() && part_rows > 0).then_some((part_rows, parts))
}

/// Decode a file; one of more than one part in two threads at once (the second half from
/// where its parts table says it starts, checked against where the first half ends).
fn decode(mut file: std::fs::File, path: &Path, key: &CacheKey) -> Result<Snapshot, Damage> {
    use std::io::{Seek, SeekFrom};
    let size = file.metadata().map_err(Damage::Io)?.len();
    let split = parts_of(&mut file, size);
    file.seek(SeekFrom::Start(0)).map_err(Damage::Io)?;
    let mut b = Blocks::new(file, 0);
    type Head = (Option<String>, Option<DateTime<Utc>>, Option<String>, usize);
    let (tenant_id, saved_at, delta_link, n) = b.next(|r| -> Result<Head, &'static str> {
        if r.take(8)? != MAGIC {
            return Err("not an azsecrets app cache");
        }
        if u32::from_le_bytes(r.array()?) != VERSION {
            return Err("written by another version");
        }
        if r.str()? != key.graph || r.str()? != key.tenant {
            return Err("written for another endpoint or tenant");
        }
        let tenant_id = r.opt_str()?.map(str::to_owned);
        let saved_at = r.time()?;
        let delta_link = r.opt_str()?.map(str::to_owned);
        Ok((tenant_id, saved_at, delta_link, r.len()?))
    })?;
    // Every row takes at least 40 bytes: a count beyond what the file can hold is damage (and
    // would reserve room for it).
    if n > usize::try_from(size / 40 + 1).unwrap_or(usize::MAX) {
        return Err("its row count is wrong".into());
    }
    let mut rows = Vec::with_capacity(n);
    // The second half: from the middle part to the end, in a thread of its own.
    let (first_rows, second_at) = split
        .and_then(|(part_rows, parts)| {
            let mid = parts.len() / 2;
            let first = mid.checked_mul(part_rows)?;
            let at = *parts.get(mid)?;
            (mid > 0 && first < n).then_some((first, Some(at)))
        })
        .unwrap_or((n, None));
    let (rest, expiry_order) = std::thread::scope(|s| {
        let second = second_at.map(|at| {
            s.spawn(move || -> Result<_, Damage> {
                let mut f = std::fs::File::open(path).map_err(Damage::Io)?;
                f.seek(SeekFrom::Start(at)).map_err(Damage::Io)?;
                let mut b = Blocks::new(f, at);
                let mut rows = Vec::with_capacity(n - first_rows);
                for _ in first_rows..n {
                    rows.push(b.next(|r| r.row())?);
                }
                let order = tail(&mut b, n)?;
                Ok((rows, order))
            })
        });
        for _ in 0..first_rows {
            rows.push(b.next(|r| r.row())?);
        }
        match second {
            Some(h) => {
                if Some(b.position()) != second_at {
                    return Err(Damage::Format("its parts table is wrong"));
                }
                h.join()
                    .map_err(|_| Damage::Format("it could not be decoded"))?
            }
            None => Ok((Vec::new(), tail(&mut b, n)?)),
        }
    })?;
    rows.extend(rest);
    Ok(Snapshot {
        tenant_id,
        saved_at,
        delta_link,
        rows,
        expiry_order,
    })
}

/// What follows the rows: their expiry order, the parts table and the trailer, and nothing
/// after.
fn tail<R: std::io::Read>(b: &mut Blocks<R>, n: usize) -> Result<Vec<u32>, Damage> {
    let m = b.next(|r| r.len())?;
    if m != 0 && m != n {
        return Err("its expiry order is damaged".into());
    }
    let mut expiry_order = Vec::with_capacity(m);
    while expiry_order.len() < m {
        let k = (m - expiry_order.len()).min(16 * 1024);
        let part = b.next(|r| {
            let bytes = r.take(k * 4)?;
            Ok(bytes
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect::<Vec<u32>>())
        })?;
        expiry_order.extend(part);
    }
    b.next(|r| {
        r.len()?;
        let k = r.len()?;
        r.take(k.checked_mul(8).ok_or("its parts table is damaged")?)?;
        // Where the table starts (read from the end before decoding), then the mark.
        r.take(8)?;
        if r.take(8)? != TRAILER {
            return Err("its trailer is damaged");
        }
        Ok(())
    })?;
    if !b.at_end()? {
        return Err("it has trailing bytes".into());
    }
    Ok(expiry_order)
}

fn put_len(w: &mut Vec<u8>, mut n: usize) {
    // LEB128.
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            w.push(byte);
            return;
        }
        w.push(byte | 0x80);
    }
}

fn put_str(w: &mut Vec<u8>, s: &str) {
    put_len(w, s.len());
    w.extend_from_slice(s.as_bytes());
}

fn put_opt_str(w: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => w.push(0),
        Some(s) => {
            w.push(1);
            put_str(w, s);
        }
    }
}

fn put_id(w: &mut Vec<u8>, id: &RowId) {
    match id {
        RowId::Guid(b) => {
            w.push(1);
            w.extend_from_slice(b);
        }
        RowId::Text(t) => {
            w.push(0);
            put_str(w, t);
        }
    }
}

fn put_time(w: &mut Vec<u8>, t: Option<DateTime<Utc>>) {
    match t {
        None => w.push(0),
        Some(t) => {
            w.push(1);
            w.extend_from_slice(&t.timestamp().to_le_bytes());
            w.extend_from_slice(&t.timestamp_subsec_nanos().to_le_bytes());
        }
    }
}

fn put_creds(w: &mut Vec<u8>, creds: &[CredRow]) {
    put_len(w, creds.len());
    for c in creds {
        put_id(w, &c.key_id);
        put_opt_str(w, c.description());
        put_opt_str(w, c.hint());
        put_time(w, c.start);
        put_time(w, c.end);
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        let end = self.at.checked_add(n).ok_or(CUT_SHORT)?;
        let s = self.b.get(self.at..end).ok_or(CUT_SHORT)?;
        self.at = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], &'static str> {
        self.take(N)?.try_into().map_err(|_| CUT_SHORT)
    }

    fn byte(&mut self) -> Result<u8, &'static str> {
        Ok(self.take(1)?[0])
    }

    fn len(&mut self) -> Result<usize, &'static str> {
        let mut n = 0usize;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= usize::from(b & 0x7f)
                .checked_shl(shift)
                .ok_or("a length is damaged")?;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("a length is damaged")
    }

    fn str(&mut self) -> Result<&'a str, &'static str> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).map_err(|_| "it holds text that is not UTF-8")
    }

    fn opt_str(&mut self) -> Result<Option<&'a str>, &'static str> {
        match self.byte()? {
            0 => Ok(None),
            _ => self.str().map(Some),
        }
    }

    fn id(&mut self) -> Result<RowId, &'static str> {
        match self.byte()? {
            1 => Ok(RowId::Guid(self.array()?)),
            _ => Ok(RowId::new(self.str()?)),
        }
    }

    fn row(&mut self) -> Result<AppRow, &'static str> {
        let id = self.id()?;
        let app_id = self.id()?;
        let display_name = self.str()?.into();
        let created_date_time = self.time()?;
        let sign_in_audience = match self.byte()? {
            0 => None,
            k => SignInAudience::ALL.get(usize::from(k) - 1).copied(),
        };
        let password_credentials = self.creds()?;
        let key_credentials = match self.byte()? {
            0 => None,
            _ => Some(self.creds()?),
        };
        Ok(AppRow {
            id,
            app_id,
            display_name,
            created_date_time,
            sign_in_audience,
            password_credentials,
            key_credentials,
            origin: Origin::Listed,
        })
    }

    fn time(&mut self) -> Result<Option<DateTime<Utc>>, &'static str> {
        match self.byte()? {
            0 => Ok(None),
            _ => {
                let secs = i64::from_le_bytes(self.array()?);
                let nanos = u32::from_le_bytes(self.array()?);
                DateTime::from_timestamp(secs, nanos)
                    .map(Some)
                    .ok_or("a date is out of range")
            }
        }
    }

    fn creds(&mut self) -> Result<Box<[CredRow]>, &'static str> {
        let n = self.len()?;
        // Every credential takes at least 5 bytes.
        if n > (self.b.len() - self.at) / 5 {
            return Err(if n > self.b.len() {
                "a credential count is wrong"
            } else {
                CUT_SHORT
            });
        }
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let key_id = self.id()?;
            let description = self.opt_str()?;
            let hint = self.opt_str()?;
            let (start, end) = (self.time()?, self.time()?);
            v.push(CredRow::new(key_id, description, hint, start, end));
        }
        Ok(v.into_boxed_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::AppRegistration;

    fn row(i: usize) -> AppRow {
        let a: AppRegistration = serde_json::from_value(serde_json::json!({
            "id": format!("00000000-0000-4000-8000-{i:012}"),
            "appId": if i == 1 { "not-a-guid".to_owned() } else { format!("10000000-0000-4000-8000-{i:012}") },
            "displayName": format!("app {i} ☃"),
            "createdDateTime": "2024-01-01T00:00:00.1234567Z",
            "signInAudience": "AzureADMultipleOrgs",
            "passwordCredentials": [{"keyId": format!("20000000-0000-4000-8000-{i:012}"),
                "displayName": "ci", "hint": "abc", "endDateTime": "2027-01-01T00:00:00Z"}],
        }))
        .unwrap();
        AppRow::from_registration(&a, i.is_multiple_of(2))
    }

    #[test]
    fn rows_survive_a_round_trip_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let cache = AppCache::at(dir.path().join("azsecrets"));
        let key = CacheKey::new("https://graph.microsoft.com/", "Contoso.onmicrosoft.com");
        assert!(cache.load(&key).unwrap().is_none());
        let rows: Vec<AppRow> = (0..5).map(row).collect();
        let now = Utc::now();
        let bytes = encode(&key, Some("t-id"), Some("https://l"), now, rows.iter());
        let path = cache.store(&key, &bytes).unwrap();
        let snap = cache.load(&key).unwrap().unwrap();
        assert_eq!(snap.rows, rows);
        assert_eq!(snap.tenant_id.as_deref(), Some("t-id"));
        assert_eq!(snap.delta_link.as_deref(), Some("https://l"));
        assert_eq!(snap.saved_at, Some(now));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&dir.path().join("azsecrets")), 0o700);
        }
        // Another tenant's key finds nothing; damage is an error, not a panic.
        assert!(
            cache
                .load(&CacheKey::new("https://graph.microsoft.com/", "other"))
                .unwrap()
                .is_none()
        );
        for cut in [0, 7, 20, bytes.len() / 2, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert!(
                matches!(cache.load(&key), Err(CacheError::Corrupt { .. })),
                "{cut}"
            );
        }
        assert_eq!(cache.remove_all().unwrap(), 1);
        assert!(!path.exists());
    }

    #[test]
    fn a_file_larger_than_a_block_reads_across_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let cache = AppCache::at(dir.path().join("azsecrets"));
        let key = CacheKey::new("https://graph.microsoft.com/", "contoso");
        let mut rows: Vec<AppRow> = (0..12_000).map(row).collect();
        // A record longer than a block grows the buffer instead of failing.
        rows[7_000].display_name = "n".repeat(BLOCK * 2 + 3).into();
        let mut w = cache.begin(&key).unwrap();
        let mut b = Vec::new();
        let mut e = Encoder::new(&mut b, &key, None, None, Utc::now(), rows.len());
        w.write(&b).unwrap();
        for part in rows.chunks(PART_ROWS) {
            let mut b = Vec::new();
            e.part(&mut b, part.iter());
            w.write(&b).unwrap();
        }
        let order: Vec<u32> = (0..rows.len() as u32).rev().collect();
        let mut b = Vec::new();
        e.finish(&mut b, &order);
        w.write(&b).unwrap();
        let path = w.commit().unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 3 * BLOCK as u64);
        let snap = cache.load(&key).unwrap().unwrap();
        assert!(snap.rows == rows, "every row back, in order");
        assert_eq!(snap.expiry_order, order);
        // Three parts: the second half was decoded by a thread of its own, from the middle part.
        let mut f = std::fs::File::open(&path).unwrap();
        let size = f.metadata().unwrap().len();
        let (part_rows, parts) = parts_of(&mut f, size).unwrap();
        assert_eq!((part_rows, parts.len()), (PART_ROWS, 3));
        // A parts table that points elsewhere is damage, not a wrong list.
        let good = std::fs::read(&path).unwrap();
        let table = u64::from_le_bytes(good[good.len() - 16..good.len() - 8].try_into().unwrap());
        // After the rows-per-part (2 bytes) and the count (1 byte) and the first offset: the
        // middle part's.
        let mid = table as usize + 3 + 8;
        for delta in [1u64, u64::MAX] {
            let mut bad = good.clone();
            let v = u64::from_le_bytes(bad[mid..mid + 8].try_into().unwrap()).wrapping_add(delta);
            bad[mid..mid + 8].copy_from_slice(&v.to_le_bytes());
            std::fs::write(&path, &bad).unwrap();
            assert!(
                matches!(cache.load(&key), Err(CacheError::Corrupt { .. })),
                "{delta}"
            );
        }
        std::fs::write(&path, &good).unwrap();
        // One byte more or less is damage.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.push(0);
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(cache.load(&key), Err(CacheError::Corrupt { .. })));
        bytes.truncate(bytes.len() - 2);
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(cache.load(&key), Err(CacheError::Corrupt { .. })));
    }

    #[test]
    fn a_row_count_the_file_cannot_hold_is_damage_in_either_half() {
        let dir = tempfile::tempdir().unwrap();
        let cache = AppCache::at(dir.path().join("azsecrets"));
        let key = CacheKey::new("https://graph.microsoft.com/", "contoso");
        let rows: Vec<AppRow> = (0..3 * PART_ROWS).map(row).collect();
        // Three real parts (so the second half is decoded apart) under a header that claims
        // far more rows: refused before room is reserved for them.
        let mut b = Vec::new();
        let mut e = Encoder::new(&mut b, &key, None, None, Utc::now(), 1_000_000_000);
        for part in rows.chunks(PART_ROWS) {
            e.part(&mut b, part.iter());
        }
        e.finish(&mut b, &[]);
        cache.store(&key, &b).unwrap();
        assert!(matches!(cache.load(&key), Err(CacheError::Corrupt { .. })));
    }

    #[test]
    fn an_unfinished_write_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let cache = AppCache::at(dir.path().join("azsecrets"));
        let key = CacheKey::new("https://graph.microsoft.com/", "contoso");
        let mut w = cache.begin(&key).unwrap();
        w.write(b"AZSAPPS").unwrap();
        drop(w);
        assert_eq!(
            std::fs::read_dir(dir.path().join("azsecrets"))
                .unwrap()
                .count(),
            0
        );
        assert!(cache.load(&key).unwrap().is_none());
    }

    #[test]
    fn writes_left_behind_are_swept_once_old() {
        let dir = tempfile::tempdir().unwrap();
        let cache = AppCache::at(dir.path().join("azsecrets"));
        let key = CacheKey::new("https://graph.microsoft.com/", "contoso");
        let other = CacheKey::new("https://graph.microsoft.com/", "fabrikam");
        // A run that ended while writing: its part file stays (no drop ran).
        let left = cache.begin(&key).unwrap();
        let theirs = cache.begin(&other).unwrap();
        std::mem::forget(left);
        std::mem::forget(theirs);
        let young = cache.begin(&key).unwrap();
        let dir_files = || {
            std::fs::read_dir(dir.path().join("azsecrets"))
                .unwrap()
                .count()
        };
        assert_eq!(dir_files(), 3);
        assert_eq!(
            cache.sweep(&key, std::time::Duration::from_secs(600)),
            0,
            "all young"
        );
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for e in std::fs::read_dir(dir.path().join("azsecrets"))
            .unwrap()
            .flatten()
        {
            if e.path() != young.tmp {
                std::fs::File::options()
                    .write(true)
                    .open(e.path())
                    .unwrap()
                    .set_modified(hour_ago)
                    .unwrap();
            }
        }
        assert_eq!(cache.sweep(&key, std::time::Duration::from_secs(600)), 1);
        assert_eq!(
            dir_files(),
            2,
            "another tenant's and the write in progress stay"
        );
        young.commit().unwrap();
        assert!(
            cache.load(&key).is_err(),
            "an empty file is damage, not a list"
        );
    }
}
