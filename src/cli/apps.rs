//! `azsecrets apps list`: every app as Graph's pages arrive (the tenant read by concurrent
//! createdDateTime ranges), written as it comes (JSON, or a table whose widths come from the
//! first page and the terminal), so memory stays small at 200,000 apps. `--filter` runs the
//! terminal UI's own matcher ([`crate::fuzzy`]) over each page; `--search` and `--prefix` ask
//! Graph instead, with Graph's rules. `--sort` must wait for the last app: it keeps what it
//! compares in memory and the rest of each row in a temporary file ([`super::spool`]).

use std::io::Write;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::Serialize;

use crate::catalog::IdStr;
use crate::expiry::Status;
use crate::fuzzy::{self, Candidate};
use crate::graph::client::APP_SELECT;
use crate::graph::{
    AppQuery, AppRegistration, GraphClient, GraphError, ScanEvent, ScanOptions, SignInAudience,
};
use crate::session::{Session, SessionConfig};

use super::output::{self, Col, StreamTable};
use super::spool::{self, Batch, Dec, Enc, Held, Loc, Pos, Spool};
use super::{CliError, ExitCode, ListSort, OutputFormat};

/// One app in `apps list --output json` (stable; documented in the README).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppJson<'a> {
    pub display_name: &'a str,
    pub app_id: &'a str,
    pub object_id: &'a str,
    pub created_date_time: Option<String>,
    pub sign_in_audience: Option<&'a str>,
    pub secrets: usize,
    pub certificates: usize,
    pub next_expiry: Option<String>,
    pub status: Option<&'static str>,
}

impl<'a> AppJson<'a> {
    fn of(row: &'a Row<'_>, now: DateTime<Utc>) -> Self {
        Self {
            display_name: row.name,
            app_id: &row.app_id,
            object_id: &row.object_id,
            created_date_time: row.created.map(|d| d.to_rfc3339()),
            sign_in_audience: row.audience,
            secrets: usize::try_from(row.secrets).unwrap_or(usize::MAX),
            certificates: usize::try_from(row.certificates).unwrap_or(usize::MAX),
            next_expiry: row.next.map(|d| d.to_rfc3339()),
            status: row.next.map(|d| Status::of(d, now).key()),
        }
    }
}

/// What `apps list` was asked for (plain values; `cli.rs` builds it from the flags).
#[derive(Debug, Clone)]
pub struct ListOptions {
    pub filter: Option<String>,
    pub search: Option<String>,
    pub prefix: Option<String>,
    pub owned: bool,
    pub sort: Option<ListSort>,
    pub format: OutputFormat,
    /// Range cursors at once for a full listing.
    pub concurrency: usize,
}

/// An app as output needs it: borrowed from Graph's reply, or read back from the spool the
/// `--sort` modes hold (about 50 bytes an app in memory, the rest in a file).
struct Row<'a> {
    name: &'a str,
    app_id: IdStr<'a>,
    object_id: IdStr<'a>,
    created: Option<DateTime<Utc>>,
    audience: Option<&'a str>,
    secrets: u64,
    certificates: u64,
    next: Option<DateTime<Utc>>,
}

impl<'a> Row<'a> {
    fn of(a: &'a AppRegistration) -> Self {
        Self {
            name: &a.display_name,
            app_id: IdStr::Text(a.app_id.as_str()),
            object_id: IdStr::Text(a.id.as_str()),
            created: a.created_date_time,
            audience: a.sign_in_audience.as_deref(),
            secrets: a.password_credentials.len() as u64,
            certificates: a.key_credentials.len() as u64,
            next: a.next_expiry(),
        }
    }

    /// The key record, what the sort compares: the name, where the rest is, and for
    /// `--sort expiry` the next expiry.
    fn put_key(&self, rest: Loc, by: ListSort, e: &mut Enc) {
        e.str(self.name).loc(rest);
        if by == ListSort::Expiry {
            e.fixed_date(self.next);
        }
    }

    /// The rest record: all but the name; `signInAudience` as 0 (none), Graph's values as 1
    /// to 4, else 5 and the text.
    fn put_rest(&self, e: &mut Enc) {
        e.id(&self.app_id).id(&self.object_id).date(self.created);
        let known = SignInAudience::ALL
            .iter()
            .position(|k| Some(k.as_str()) == self.audience);
        match (known, self.audience) {
            (Some(i), _) => e.uint(i as u64 + 1),
            (None, None) => e.uint(0),
            (None, Some(other)) => e.uint(SignInAudience::ALL.len() as u64 + 1).str(other),
        };
        e.uint(self.secrets).uint(self.certificates).date(self.next);
    }

    /// The name and where the rest is, from the key at `p`.
    fn key(held: &'a Held, p: Pos) -> (&'a str, Loc) {
        let mut key = Dec::new(held.key(p));
        (key.str(), key.loc())
    }

    /// The app from its name and its rest record.
    fn get(name: &'a str, mut d: Dec<'a>) -> Self {
        let (app_id, object_id, created) = (d.id(), d.id(), d.date());
        let audience = match d.uint() {
            0 => None,
            i => Some(
                SignInAudience::ALL
                    .get(i as usize - 1)
                    .map_or_else(|| d.str(), |k| k.as_str()),
            ),
        };
        Self {
            name,
            app_id,
            object_id,
            created,
            audience,
            secrets: d.uint(),
            certificates: d.uint(),
            next: d.date(),
        }
    }

    fn cells(&self, now: DateTime<Utc>) -> Vec<String> {
        vec![
            crate::sanitize::name(Some(self.name)).into_owned(),
            self.app_id.to_string(),
            self.secrets.to_string(),
            self.next
                .map(|d| format!("{} {}", d.format("%Y-%m-%d"), Status::of(d, now).label()))
                .unwrap_or_else(|| "-".into()),
        ]
    }
}

/// A batch of apps from whichever listing was asked for, and how many records it skipped.
type Batches = BoxStream<'static, Result<(Vec<AppRegistration>, usize), GraphError>>;

fn batches(client: &GraphClient, o: &ListOptions) -> Batches {
    let page = |p: Result<crate::graph::Page<AppRegistration>, GraphError>| {
        p.map(|p| (p.items, p.skipped))
    };
    if let Some(text) = &o.search {
        return client.search_all(text).map(page).boxed();
    }
    if o.owned || o.prefix.is_some() {
        let query = AppQuery {
            name_prefix: o.prefix.clone().filter(|f| !f.is_empty()),
            owned: o.owned,
            top: None,
        };
        return client.list_applications(&query).map(page).boxed();
    }
    let opts = ScanOptions {
        select: APP_SELECT,
        concurrency: o.concurrency,
        ..ScanOptions::default()
    };
    client
        .scan_applications(&opts)
        .filter_map(|e| async move {
            match e {
                Ok(ScanEvent::Apps { items, skipped }) => Some(Ok((items, skipped))),
                // Apps changed while the tenant was read are written as first read.
                Ok(ScanEvent::Expected { .. } | ScanEvent::Changes(_) | ScanEvent::Done { .. }) => {
                    None
                }
                Err(e) => Some(Err(e)),
            }
        })
        .boxed()
}

/// The apps of `items` that `filter` keeps, as the terminal UI's `/` would.
fn keep(items: Vec<AppRegistration>, filter: Option<&str>) -> Vec<AppRegistration> {
    let Some(q) = filter.map(str::trim).filter(|q| !q.is_empty()) else {
        return items;
    };
    let lower: Vec<String> = items
        .iter()
        .map(|a| a.display_name.to_lowercase())
        .collect();
    let cands: Vec<Candidate<'_>> = items
        .iter()
        .zip(&lower)
        .map(|(a, l)| Candidate {
            name: &a.display_name,
            lower: l,
            app_id: a.app_id.as_str(),
            object_id: a.id.as_str(),
        })
        .collect();
    let hits = fuzzy::matches(q, &cands[..]);
    drop(cands);
    let mut wanted = vec![false; items.len()];
    for (i, _) in hits {
        if let Some(w) = wanted.get_mut(i as usize) {
            *w = true;
        }
    }
    items
        .into_iter()
        .zip(wanted)
        .filter_map(|(a, w)| w.then_some(a))
        .collect()
}

/// Where rows go: streamed JSON, a streamed table, or held for sorting.
enum Sink {
    Json {
        first: bool,
        count: usize,
    },
    Table(StreamTable),
    /// Every app in the spool (its key and its rest), in the order they came; sorted
    /// through `order` at the end.
    Sorted {
        spool: Spool,
        order: Vec<Pos>,
        by: ListSort,
    },
}

const HEADERS: [&str; 4] = [
    "DISPLAY NAME",
    "APPLICATION (CLIENT) ID",
    "SEC",
    "NEXT EXPIRY",
];
const KINDS: [Col; 2] = [Col::Name, Col::Id];

impl Sink {
    fn new(format: OutputFormat, sort: ListSort) -> Result<Self, CliError> {
        Ok(match (sort, format) {
            (ListSort::Listing, OutputFormat::Json) => {
                output::emit(b"[")?;
                Sink::Json {
                    first: true,
                    count: 0,
                }
            }
            (ListSort::Listing, OutputFormat::Table) => {
                Sink::Table(StreamTable::new(&HEADERS, &KINDS, output::width()))
            }
            (by, _) => Sink::Sorted {
                spool: Spool::new(),
                order: Vec::new(),
                by,
            },
        })
    }

    /// Write a batch of apps, or hold it.
    fn push(&mut self, apps: &[AppRegistration], now: DateTime<Utc>) -> Result<(), CliError> {
        let Sink::Sorted { spool, order, by } = self else {
            return self.write(apps.iter().map(Row::of), now);
        };
        let mut e = Enc::default();
        for r in apps.iter().map(Row::of) {
            r.put_rest(e.clear());
            let rest = spool.rest(e.bytes())?;
            r.put_key(rest, *by, e.clear());
            order.push(spool.key(e.bytes())?);
        }
        Ok(())
    }

    /// Write rows as JSON or table lines (a sorted sink writes when it is finished).
    fn write<'a>(
        &mut self,
        rows: impl Iterator<Item = Row<'a>>,
        now: DateTime<Utc>,
    ) -> Result<(), CliError> {
        match self {
            Sink::Json { first, count } => {
                let mut buf = Vec::with_capacity(64 * 1024);
                for r in rows {
                    json_item(&mut buf, &r, first, now)?;
                    *count += 1;
                }
                output::emit(&buf)
            }
            Sink::Table(t) => t.push(&rows.map(|r| r.cells(now)).collect::<Vec<_>>()),
            Sink::Sorted { .. } => Ok(()),
        }
    }

    /// Write what is held and close the output; how many apps were written.
    fn finish(self, format: OutputFormat, now: DateTime<Utc>) -> Result<usize, CliError> {
        match self {
            Sink::Json { first, count } => {
                output::emit(if first { b"]\n" } else { b"\n]\n" })?;
                Ok(count)
            }
            Sink::Table(t) => t.finish(),
            Sink::Sorted {
                spool,
                mut order,
                by,
            } => {
                let held = spool.finish()?;
                let name = |p: Pos| Dec::new(held.key(p)).str_bytes();
                // Ties stay in the order the apps came (positions grow with it), as a stable
                // sort would keep them.
                match by {
                    ListSort::Expiry => {
                        let key = |p: Pos| {
                            let mut d = Dec::new(held.key(p));
                            let name = d.str_bytes();
                            d.loc();
                            (d.fixed_instant(), name)
                        };
                        order.sort_unstable_by(|&x, &y| {
                            let ((a, an), (b, bn)) = (key(x), key(y));
                            (a.is_none(), a)
                                .cmp(&(b.is_none(), b))
                                .then_with(|| output::caseless_cmp_utf8(an, bn))
                                .then(x.cmp(&y))
                        });
                    }
                    _ => order.sort_unstable_by(|&x, &y| {
                        output::caseless_cmp_utf8(name(x), name(y)).then(x.cmp(&y))
                    }),
                }
                // Rests are read a window at a time; rows go out in batches of 1,000.
                let mut batch = Batch::default();
                let mut out = Sink::new(format, ListSort::Listing)?;
                for window in order.chunks(spool::WINDOW) {
                    held.read_rests(window.iter().map(|&p| Row::key(&held, p).1), &mut batch)?;
                    let mut rests = batch.iter();
                    for chunk in window.chunks(1000) {
                        let rows = chunk
                            .iter()
                            .zip(rests.by_ref())
                            .map(|(&p, rest)| Row::get(Row::key(&held, p).0, Dec::new(rest)));
                        out.write(rows, now)?;
                    }
                }
                out.finish(format, now)
            }
        }
    }
}

/// One JSON item on its own line, a comma before it but the first (the opening `[` is
/// already out).
fn json_item(
    buf: &mut Vec<u8>,
    row: &Row<'_>,
    first: &mut bool,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
    buf.extend_from_slice(if *first { b"\n  " } else { b",\n  " });
    *first = false;
    crate::sanitize::json_to_writer(&mut *buf, &AppJson::of(row, now))
        .map_err(|e| CliError::output(std::io::Error::from(e)))
}

pub async fn list(session: &SessionConfig, o: ListOptions) -> Result<ExitCode, CliError> {
    if let Some(n) = o
        .filter
        .as_deref()
        .map(|f| f.chars().count())
        .filter(|n| *n > 256)
    {
        return Err(CliError::usage(format!(
            "--filter is {n} characters long: a display name is at most 256 characters, so it matches nothing"
        )));
    }
    let session = Session::start(session).await?;
    let client = &output::observed(session.client.clone());
    if o.owned && client.source_kind().is_app_only() {
        return Err(CliError::new(
            ExitCode::Usage,
            "--owned needs a signed-in user: a service principal has no /me",
        ));
    }
    let now = Utc::now();
    let sort = o.sort.unwrap_or(ListSort::Listing);
    let mut sink = Sink::new(o.format, sort)?;
    let mut pages = batches(client, &o);
    let mut skipped = 0;
    while let Some(batch) = pages.next().await {
        let (items, s) = batch?;
        skipped += s;
        sink.push(&keep(items, o.filter.as_deref()), now)?;
    }
    drop(pages);
    let n = sink.finish(o.format, now)?;
    let _ = std::io::stdout().flush();
    if o.format == OutputFormat::Table {
        output::note(&format!("{n} app registration(s)"));
    }
    if skipped > 0 {
        output::note(&output::skipped_warning(skipped, "app registration"));
    }
    Ok(ExitCode::Ok)
}
