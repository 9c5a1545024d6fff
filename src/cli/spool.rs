//! What the `--sort` modes of `apps list` and `secrets list` hold until the listing ends.
//!
//! Each row is split in two records: its key (what the sort compares: a name, a date, and
//! where the rest is) stays in memory, in 1 MiB blocks ([`Blocks`]) so no vector doubles as
//! it grows; the rest (ids, other dates, descriptions) goes to a temporary file that has no
//! name (`tempfile`: unlinked, 0600) and is read back row by row in sorted order. Without a
//! usable temporary folder the rest stays in memory too. Fields are encoded compactly ([`Enc`],
//! [`Dec`]) and read back exactly as they went in (ids as sent, dates to the nanosecond, `None`
//! apart from empty). The commands own their record layouts; this module owns only the bytes.

use std::fs::File;
use std::io::{BufWriter, Write};

use chrono::{DateTime, Utc};

use crate::catalog::{IdStr, RowId};

/// Bytes in a block: records are appended to the last block until one does not fit.
const BLOCK: usize = 1 << 20;
/// Bits of a [`Pos`] that give the offset in its block.
const OFFSET_BITS: u32 = 20;

/// Where a key record starts: its block and its offset there, in 32 bits. Positions grow in
/// the order records were pushed, so they break ties in arrival order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos(u32);

impl Pos {
    /// The position as 4 bytes, for a record that points at another.
    pub fn to_bytes(self) -> [u8; 4] {
        self.0.to_le_bytes()
    }

    pub fn from_bytes(b: [u8; 4]) -> Self {
        Pos(u32::from_le_bytes(b))
    }
}

/// Where a row's rest is: in the temporary file, or in memory without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loc {
    at: u64,
    len: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// More than a [`Pos`] can address: too much to sort.
    #[error("more than 4 GiB of rows to hold for sorting")]
    Full,
    #[error("the temporary file that holds the rows for sorting failed: {0}")]
    File(#[from] std::io::Error),
}

impl From<SpoolError> for super::CliError {
    fn from(e: SpoolError) -> Self {
        super::CliError::new(
            super::ExitCode::Failure,
            format!("{e}; list without --sort (rows are then written as they arrive)"),
        )
    }
}

/// Records in blocks of [`BLOCK`] bytes (a larger record gets a block of its own). A block's
/// capacity is reserved once and filled in place: untouched capacity costs no memory.
#[derive(Default)]
pub struct Blocks {
    blocks: Vec<Vec<u8>>,
}

impl Blocks {
    /// Append one record; where it starts.
    pub fn push(&mut self, record: &[u8]) -> Result<Pos, SpoolError> {
        let fits = self
            .blocks
            .last()
            .is_some_and(|b| b.capacity() - b.len() >= record.len());
        if !fits {
            if self.blocks.len() >= 1 << (32 - OFFSET_BITS) {
                return Err(SpoolError::Full);
            }
            self.blocks
                .push(Vec::with_capacity(BLOCK.max(record.len())));
        }
        let n = self.blocks.len() - 1;
        let block = &mut self.blocks[n];
        // Under 2^12 blocks (checked above); a record that opens a block starts at 0, so a
        // large one's offset always fits.
        let pos = ((n as u32) << OFFSET_BITS) | block.len() as u32;
        block.extend_from_slice(record);
        Ok(Pos(pos))
    }

    /// The bytes from `pos` to the end of its block: the record there and what follows it.
    pub fn at(&self, pos: Pos) -> &[u8] {
        let block = (pos.0 >> OFFSET_BITS) as usize;
        let offset = (pos.0 & ((1 << OFFSET_BITS) - 1)) as usize;
        self.blocks
            .get(block)
            .and_then(|b| b.get(offset..))
            .unwrap_or_default()
    }
}

/// Where the rests go.
enum Rest {
    File { out: BufWriter<File>, len: u64 },
    Memory(Blocks),
}

/// The keys in memory and the rests, while rows arrive.
pub struct Spool {
    keys: Blocks,
    rest: Rest,
}

impl Spool {
    /// A spool whose rests go to a new temporary file, or stay in memory when none can be made.
    pub fn new() -> Self {
        let rest = match unnamed_file() {
            Ok(f) => Rest::File {
                out: BufWriter::with_capacity(64 * 1024, f),
                len: 0,
            },
            Err(e) => {
                tracing::info!(error = %e, "no temporary file for sorting: rows stay in memory");
                return Self::in_memory();
            }
        };
        Self {
            keys: Blocks::default(),
            rest,
        }
    }

    /// A spool that keeps the rests in memory too.
    pub fn in_memory() -> Self {
        Self {
            keys: Blocks::default(),
            rest: Rest::Memory(Blocks::default()),
        }
    }

    /// Hold a key record; where it is.
    pub fn key(&mut self, record: &[u8]) -> Result<Pos, SpoolError> {
        self.keys.push(record)
    }

    /// Hold a rest record; where it is (to write into its key).
    pub fn rest(&mut self, record: &[u8]) -> Result<Loc, SpoolError> {
        let len = record.len() as u64;
        match &mut self.rest {
            Rest::File { out, len: at } => {
                out.write_all(record)?;
                let loc = Loc { at: *at, len };
                *at += len;
                Ok(loc)
            }
            Rest::Memory(b) => Ok(Loc {
                at: u64::from(b.push(record)?.0),
                len,
            }),
        }
    }

    /// Done writing: the spool to sort and read.
    pub fn finish(self) -> Result<Held, SpoolError> {
        let rest = match self.rest {
            Rest::File { out, .. } => HeldRest::File(
                out.into_inner()
                    .map_err(|e| SpoolError::File(e.into_error()))?,
            ),
            Rest::Memory(b) => HeldRest::Memory(b),
        };
        Ok(Held {
            keys: self.keys,
            rest,
        })
    }
}

enum HeldRest {
    File(File),
    Memory(Blocks),
}

/// The spool once every row is in: keys to sort, rests to read.
pub struct Held {
    keys: Blocks,
    rest: HeldRest,
}

impl Held {
    /// The key record at `pos` (and what follows it).
    pub fn key(&self, pos: Pos) -> &[u8] {
        self.keys.at(pos)
    }

    /// The rest records at `locs`, into `batch` in the order asked. From the file they are
    /// read in the file's order, neighbours less than [`GAP`] apart in one read of at most
    /// [`RUN`] bytes: a window of sorted rows costs a few hundred reads, not one per row.
    pub fn read_rests(
        &self,
        locs: impl IntoIterator<Item = Loc>,
        batch: &mut Batch,
    ) -> Result<(), SpoolError> {
        batch.spans.clear();
        batch.wanted.clear();
        let mut total = 0;
        for (i, loc) in locs.into_iter().enumerate() {
            let len = usize::try_from(loc.len).map_err(|_| SpoolError::Full)?;
            batch.spans.push(total..total + len);
            batch.wanted.push((loc.at, i));
            total += len;
        }
        batch.bytes.clear();
        batch.bytes.resize(total, 0);
        let Batch {
            bytes,
            spans,
            wanted,
            scratch,
        } = batch;
        match &self.rest {
            HeldRest::Memory(blocks) => {
                for &(at, i) in wanted.iter() {
                    let at = Pos(u32::try_from(at).map_err(|_| SpoolError::Full)?);
                    let span = spans[i].clone();
                    let src = blocks.at(at).get(..span.len());
                    if let (Some(dst), Some(src)) = (bytes.get_mut(span), src) {
                        dst.copy_from_slice(src);
                    }
                }
            }
            HeldRest::File(f) => {
                wanted.sort_unstable();
                let end_of = |&(at, i): &(u64, usize)| at + spans[i].len() as u64;
                let mut k = 0;
                while let Some(first) = wanted.get(k) {
                    let (start, mut end) = (first.0, end_of(first));
                    let mut m = k + 1;
                    while let Some(next) = wanted.get(m) {
                        if next.0 > end + GAP || end_of(next) - start > RUN {
                            break;
                        }
                        end = end.max(end_of(next));
                        m += 1;
                    }
                    scratch.clear();
                    scratch.resize((end - start) as usize, 0);
                    read_at(f, scratch, start)?;
                    for &(at, i) in wanted.get(k..m).unwrap_or_default() {
                        let from = (at - start) as usize;
                        let span = spans[i].clone();
                        let src = scratch.get(from..from + span.len());
                        if let (Some(dst), Some(src)) = (bytes.get_mut(span), src) {
                            dst.copy_from_slice(src);
                        }
                    }
                    k = m;
                }
            }
        }
        Ok(())
    }
}

/// Sorted rows whose rests are read together: a multiple of the 1,000-row batches output is
/// written in, so the batches (and a table's widths, from its first batch) stay the same.
pub const WINDOW: usize = 16_000;
/// Bytes between two wanted rests that are read rather than skipped with a read of their own.
const GAP: u64 = 2048;
/// Bytes read at once at most (unless one rest is longer).
const RUN: u64 = 256 * 1024;

/// Rests read by [`Held::read_rests`], in the order asked.
#[derive(Default)]
pub struct Batch {
    bytes: Vec<u8>,
    spans: Vec<std::ops::Range<usize>>,
    /// Where each wanted rest is in the file, and its place in `spans`.
    wanted: Vec<(u64, usize)>,
    scratch: Vec<u8>,
}

impl Batch {
    /// Each rest, in the order asked.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.spans
            .iter()
            .map(|s| self.bytes.get(s.clone()).unwrap_or_default())
    }
}

/// A new temporary file with no name in any folder, only the user's to read.
fn unnamed_file() -> std::io::Result<File> {
    let f = tempfile::tempfile()?;
    // Linux's O_TMPFILE makes it 0666 less the umask; it has no name for anyone to open it
    // by, but say so in its mode too.
    #[cfg(unix)]
    f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(f)
}

#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, at)
}

#[cfg(not(unix))]
fn read_at(mut f: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    f.seek(SeekFrom::Start(at))?;
    f.read_exact(buf)
}

/// A record being written: unsigned varints (LEB128), length-prefixed text, ids and dates.
#[derive(Default)]
pub struct Enc(Vec<u8>);

impl Enc {
    /// Start again, keeping the buffer.
    pub fn clear(&mut self) -> &mut Self {
        self.0.clear();
        self
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }

    pub fn uint(&mut self, mut v: u64) -> &mut Self {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        self.uint(s.len() as u64).raw(s.as_bytes())
    }

    /// `None` and `Some("")` stay apart: the length is stored plus one, 0 is `None`.
    pub fn opt_str(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            None => self.uint(0),
            Some(s) => self.uint(s.len() as u64 + 1).raw(s.as_bytes()),
        }
    }

    /// An id a row already holds, as [`Enc::id`] writes it (no second parse).
    pub fn row_id(&mut self, id: &RowId) -> &mut Self {
        match id {
            RowId::Guid(b) => self.uint(0).raw(b),
            RowId::Text(t) => self.uint(t.len() as u64 + 1).raw(t.as_bytes()),
        }
    }

    /// A date in 12 fixed bytes (seconds, then nanoseconds; `u32::MAX` nanoseconds for
    /// `None`): what a sort compares, read without decoding varints.
    pub fn fixed_date(&mut self, d: Option<DateTime<Utc>>) -> &mut Self {
        let (secs, nanos) = d.map_or((0, u32::MAX), instant);
        self.raw(&secs.to_le_bytes()).raw(&nanos.to_le_bytes())
    }

    /// A GUID in Graph's own form as its 16 bytes (the catalog's rule, [`RowId`]), anything
    /// else as sent: 0 then the bytes, or the text's length plus one then the text.
    pub fn id(&mut self, s: &str) -> &mut Self {
        match RowId::new(s) {
            RowId::Guid(b) => self.uint(0).raw(&b),
            RowId::Text(_) => self.uint(s.len() as u64 + 1).raw(s.as_bytes()),
        }
    }

    pub fn loc(&mut self, l: Loc) -> &mut Self {
        self.uint(l.at).uint(l.len)
    }

    /// 0 for `None`; else the seconds (zigzag) shifted left by two, with how the nanoseconds
    /// follow in the low bits: 1 none, 2 in 100 ns ticks (Graph's 7-digit fractions), 3 as is.
    pub fn date(&mut self, d: Option<DateTime<Utc>>) -> &mut Self {
        let Some(d) = d else { return self.uint(0) };
        let secs = d.timestamp();
        // chrono's dates lie within ±2^44 s: the zigzag value shifted by two fits in 64 bits.
        let zigzag = ((secs << 1) ^ (secs >> 63)) as u64;
        // Leap seconds carry 1e9 and more: as is.
        let nanos = d.timestamp_subsec_nanos();
        match nanos {
            0 => self.uint(zigzag << 2 | 1),
            n if n % 100 == 0 => self.uint(zigzag << 2 | 2).uint(u64::from(n / 100)),
            n => self.uint(zigzag << 2 | 3).uint(u64::from(n)),
        }
    }
}

/// A record being read, as [`Enc`] wrote it. The spool holds only what was written, so a
/// short or malformed record cannot occur; if one did, reads give empty values, not a panic.
pub struct Dec<'a>(&'a [u8]);

impl<'a> Dec<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }

    pub fn raw<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        if let Some((head, rest)) = self.0.split_first_chunk::<N>() {
            out = *head;
            self.0 = rest;
        }
        out
    }

    pub fn uint(&mut self) -> u64 {
        let mut v = 0u64;
        for (i, b) in self.0.iter().enumerate().take(10) {
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                self.0 = &self.0[i + 1..];
                return v;
            }
        }
        self.0 = &[];
        v
    }

    fn bytes(&mut self, len: u64) -> &'a [u8] {
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(self.0.len());
        let (bytes, rest) = self.0.split_at(len);
        self.0 = rest;
        bytes
    }

    fn text(&mut self, len: u64) -> &'a str {
        std::str::from_utf8(self.bytes(len)).unwrap_or_default()
    }

    pub fn str(&mut self) -> &'a str {
        let len = self.uint();
        self.text(len)
    }

    /// A text's bytes, not checked as UTF-8 again: for comparing.
    pub fn str_bytes(&mut self) -> &'a [u8] {
        let len = self.uint();
        self.bytes(len)
    }

    pub fn opt_str(&mut self) -> Option<&'a str> {
        match self.uint() {
            0 => None,
            n => Some(self.text(n - 1)),
        }
    }

    pub fn id(&mut self) -> IdStr<'a> {
        match self.uint() {
            0 => {
                let mut text = [0u8; 36];
                uuid::Uuid::from_bytes(self.raw::<16>())
                    .hyphenated()
                    .encode_lower(&mut text);
                IdStr::Guid(text)
            }
            n => IdStr::Text(self.text(n - 1)),
        }
    }

    pub fn loc(&mut self) -> Loc {
        Loc {
            at: self.uint(),
            len: self.uint(),
        }
    }

    /// A date [`Enc::fixed_date`] wrote, as an instant.
    pub fn fixed_instant(&mut self) -> Option<(i64, u32)> {
        let secs = i64::from_le_bytes(self.raw());
        match u32::from_le_bytes(self.raw()) {
            u32::MAX => None,
            nanos => Some((secs, nanos)),
        }
    }

    pub fn fixed_date(&mut self) -> Option<DateTime<Utc>> {
        self.fixed_instant()
            .and_then(|(secs, nanos)| DateTime::from_timestamp(secs, nanos))
    }

    pub fn date(&mut self) -> Option<DateTime<Utc>> {
        self.instant()
            .and_then(|(secs, nanos)| DateTime::from_timestamp(secs, nanos))
    }

    /// A date as its seconds and nanoseconds, which order as the dates do (a leap second's
    /// nanoseconds run past 1e9), without building the date: what the sorts compare.
    fn instant(&mut self) -> Option<(i64, u32)> {
        let v = self.uint();
        let zigzag = v >> 2;
        let secs = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
        let nanos = match v & 3 {
            0 => return None,
            1 => 0,
            2 => self.uint().saturating_mul(100),
            _ => self.uint(),
        };
        Some((secs, u32::try_from(nanos).unwrap_or(0)))
    }
}

/// [`Dec::instant`] of a date.
pub fn instant(d: DateTime<Utc>) -> (i64, u32) {
    (d.timestamp(), d.timestamp_subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn fields_read_back_as_written() {
        let dates = [
            None,
            Some(date("2025-03-05T10:22:33Z")),
            Some(date("2025-03-05T10:22:33.1234567Z")),
            Some(date("2025-03-05T10:22:33.123456789Z")),
            Some(date("1969-12-31T23:59:59.9Z")),
            Some(date("2016-12-31T23:59:60.5Z")),
            Some(DateTime::<Utc>::MIN_UTC),
            Some(DateTime::<Utc>::MAX_UTC),
        ];
        let long = "n".repeat(100_000);
        let ids = [
            "b5784c6f-9642-501b-b761-8be2eec92262",
            // Not Graph's form: kept as sent.
            "B5784C6F-9642-501B-B761-8BE2EEC92262",
            "{b5784c6f-9642-501b-b761-8be2eec92262}",
            "b5784c6f9642501bb7618be2eec92262",
            "",
            "evil\u{1b}[2J id",
        ];
        let mut e = Enc::default();
        for d in dates {
            e.date(d).fixed_date(d);
        }
        for id in ids {
            e.id(id).row_id(&RowId::new(id));
        }
        e.str("").str(&long).str("支払い 🚀");
        e.opt_str(None).opt_str(Some("")).opt_str(Some("x"));
        e.uint(0).uint(u64::MAX).raw(&[7, 8, 9, 10]);
        let mut d = Dec::new(e.bytes());
        for want in dates {
            let got = d.date();
            assert_eq!(d.fixed_date(), want);
            assert_eq!(got, want);
            assert_eq!(
                got.map(|g| g.to_rfc3339()),
                want.map(|w| w.to_rfc3339()),
                "the same text"
            );
        }
        for id in ids {
            assert_eq!(&*d.id(), id);
            assert_eq!(&*d.id(), id);
        }
        assert_eq!(d.str(), "");
        assert_eq!(d.str(), long);
        assert_eq!(d.str(), "支払い 🚀");
        assert_eq!(d.opt_str(), None);
        assert_eq!(d.opt_str(), Some(""));
        assert_eq!(d.opt_str(), Some("x"));
        assert_eq!(d.uint(), 0);
        assert_eq!(d.uint(), u64::MAX);
        assert_eq!(d.raw::<4>(), [7, 8, 9, 10]);
        // Past the end: empty values, no panic.
        assert_eq!(d.str(), "");
        assert_eq!(d.date(), None);
        assert_eq!(d.raw::<4>(), [0; 4]);
    }

    #[test]
    fn a_guid_takes_17_bytes_and_a_date_5_to_9() {
        let mut e = Enc::default();
        e.id("b5784c6f-9642-501b-b761-8be2eec92262");
        assert_eq!(e.bytes().len(), 17);
        e.clear().date(Some(date("2026-11-27T08:00:00Z")));
        assert_eq!(e.bytes().len(), 5);
        // Ticks below 2^21 take 3 bytes, the rest of 10^7 four.
        e.clear().date(Some(date("2026-11-27T08:00:00.1234567Z")));
        assert_eq!(e.bytes().len(), 8);
        e.clear().date(Some(date("2026-11-27T08:00:00.9999999Z")));
        assert_eq!(e.bytes().len(), 9);
    }

    #[test]
    fn records_keep_their_place_across_blocks() {
        let mut s = Blocks::default();
        let mut e = Enc::default();
        let mut at = Vec::new();
        // Small records fill several blocks; a large one gets its own, and the next small
        // one a fresh block after it.
        for i in 0..200_000u64 {
            let big = "b".repeat(if i == 150_000 { 3 * BLOCK } else { 0 });
            e.clear().uint(i).str(&big).str("name");
            at.push((i, s.push(e.bytes()).unwrap()));
        }
        assert!(s.blocks.len() > 3);
        assert!(at.windows(2).all(|w| w[0].1 < w[1].1), "positions grow");
        for (i, pos) in at {
            let mut d = Dec::new(s.at(pos));
            assert_eq!(d.uint(), i);
            d.str();
            assert_eq!(d.str(), "name");
        }
        let pos = Pos::from_bytes(Pos(0x1234_5678).to_bytes());
        assert_eq!(pos, Pos(0x1234_5678));
        assert!(
            s.at(pos).is_empty(),
            "a position past the blocks reads nothing"
        );
    }

    /// Keys point at rests; both read back in any order, from the file or from memory.
    fn keys_and_rests_round_trip(mut s: Spool) {
        let mut e = Enc::default();
        let mut held = Vec::new();
        for i in 0..50_000u64 {
            // Mostly small, some larger than a read (RUN) or a gap (GAP).
            let size = match i % 997 {
                0 => 3 * RUN as usize,
                1..=20 => 5000,
                _ => (i % 7) as usize * 100,
            };
            let rest = format!("rest {i} {}", "r".repeat(size));
            let loc = s.rest(e.clear().str(&rest).bytes()).unwrap();
            let key = s.key(e.clear().uint(i).loc(loc).bytes()).unwrap();
            held.push((key, rest));
        }
        let h = s.finish().unwrap();
        let loc = |key: Pos| {
            let mut d = Dec::new(h.key(key));
            d.uint();
            d.loc()
        };
        // Backwards, every third one, and one asked twice: each in the order asked.
        let asked: Vec<&(Pos, String)> = held
            .iter()
            .rev()
            .step_by(3)
            .chain(held.first())
            .chain(held.first())
            .collect();
        let mut batch = Batch::default();
        for window in asked.chunks(WINDOW) {
            h.read_rests(window.iter().map(|(k, _)| loc(*k)), &mut batch)
                .unwrap();
            let read: Vec<&str> = batch.iter().map(|b| Dec::new(b).str()).collect();
            let want: Vec<&str> = window.iter().map(|(_, r)| r.as_str()).collect();
            assert_eq!(read, want);
        }
        h.read_rests([], &mut batch).unwrap();
        assert_eq!(batch.iter().count(), 0);
    }

    #[test]
    fn rests_read_back_from_the_temporary_file() {
        let s = Spool::new();
        if let Rest::File { out, .. } = &s.rest {
            #[cfg(unix)]
            {
                use std::os::unix::fs::{MetadataExt, PermissionsExt};
                let m = out.get_ref().metadata().unwrap();
                assert_eq!(
                    m.permissions().mode() & 0o777,
                    0o600,
                    "only the user reads it"
                );
                assert_eq!(m.nlink(), 0, "no name in any folder");
            }
        } else {
            panic!("no temporary file in {:?}", std::env::temp_dir());
        }
        keys_and_rests_round_trip(s);
    }

    #[test]
    fn rests_read_back_from_memory() {
        keys_and_rests_round_trip(Spool::in_memory());
    }

    #[test]
    fn instants_order_as_dates() {
        let mut dates: Vec<DateTime<Utc>> = [
            "2016-12-31T23:59:59.9Z",
            "2016-12-31T23:59:60.5Z",
            "2017-01-01T00:00:00Z",
            "1969-12-31T23:59:59.9999999Z",
            "1970-01-01T00:00:00Z",
            "2025-03-05T10:22:33.1234567Z",
            "2025-03-05T10:22:33.123456701Z",
        ]
        .iter()
        .map(|s| date(s))
        .chain([DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC])
        .collect();
        dates.sort();
        let mut e = Enc::default();
        for d in &dates {
            e.date(Some(*d)).fixed_date(Some(*d));
        }
        let mut r = Dec::new(e.bytes());
        let read: Vec<(i64, u32)> = dates
            .iter()
            .map(|_| {
                let i = r.instant().unwrap();
                assert_eq!(r.fixed_instant(), Some(i));
                i
            })
            .collect();
        assert!(read.windows(2).all(|w| w[0] < w[1]), "{read:?}");
        let direct: Vec<(i64, u32)> = dates.iter().map(|d| instant(*d)).collect();
        assert_eq!(read, direct);
    }

    proptest! {
        #[test]
        fn any_field_round_trips(
            text in ".*",
            opt in proptest::option::of(".*"),
            secs in -8_000_000_000_000i64..8_000_000_000_000,
            nanos in 0u32..1_000_000_000,
            n in any::<u64>(),
        ) {
            let d = DateTime::from_timestamp(secs, nanos);
            let mut e = Enc::default();
            e.str(&text).opt_str(opt.as_deref()).id(&text).date(d).uint(n);
            e.fixed_date(d).str(&text);
            let mut r = Dec::new(e.bytes());
            prop_assert_eq!(r.str(), text.as_str());
            prop_assert_eq!(r.opt_str(), opt.as_deref());
            prop_assert_eq!(&*r.id(), text.as_str());
            prop_assert_eq!(r.date(), d);
            prop_assert_eq!(r.uint(), n);
            prop_assert_eq!(r.fixed_date(), d);
            prop_assert_eq!(r.str_bytes(), text.as_bytes());
        }
    }
}
