//! `azsecrets apps list`: every app as Graph's pages arrive (the tenant read by concurrent
//! createdDateTime ranges), written as it comes (JSON, or a table whose widths come from the
//! first page and the terminal), so memory stays small at 200,000 apps. `--filter` runs the
//! terminal UI's own matcher ([`crate::fuzzy`]) over each page; `--search` and `--prefix` ask
//! Graph instead, with Graph's rules; `--sort` holds compact rows until the listing ends.

use std::io::Write;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::Serialize;

use crate::expiry::Status;
use crate::fuzzy::{self, Candidate};
use crate::graph::client::APP_SELECT;
use crate::graph::{
    AppQuery, AppRegistration, GraphClient, GraphError, ScanEvent, ScanOptions, SignInAudience,
};
use crate::session::{Session, SessionConfig};

use super::output::{self, Col, StreamTable};
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
    pub fn from_app(app: &'a AppRegistration, now: DateTime<Utc>) -> Self {
        let next = app.next_expiry();
        Self {
            display_name: &app.display_name,
            app_id: app.app_id.as_str(),
            object_id: app.id.as_str(),
            created_date_time: app.created_date_time.map(|d| d.to_rfc3339()),
            sign_in_audience: app.sign_in_audience.as_deref(),
            secrets: app.password_credentials.len(),
            certificates: app.key_credentials.len(),
            next_expiry: next.map(|d| d.to_rfc3339()),
            status: next.map(|d| Status::of(d, now).key()),
        }
    }

    fn from_brief(b: &'a Brief, ids: &'a (String, String), now: DateTime<Utc>) -> Self {
        Self {
            display_name: &b.name,
            app_id: &ids.0,
            object_id: &ids.1,
            created_date_time: b.created.map(|d| d.to_rfc3339()),
            sign_in_audience: b.audience.as_str(),
            secrets: b.secrets as usize,
            certificates: b.certificates as usize,
            next_expiry: b.next.map(|d| d.to_rfc3339()),
            status: b.next.map(|d| Status::of(d, now).key()),
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

/// An app as output needs it, compact (what `--sort` holds: about 200 bytes an app).
struct Brief {
    name: Box<str>,
    app_id: PackedId,
    object_id: PackedId,
    created: Option<DateTime<Utc>>,
    audience: Audience,
    secrets: u32,
    certificates: u32,
    next: Option<DateTime<Utc>>,
}

/// An id in 16 bytes when it is a GUID in Graph's own form (lowercase, hyphenated), else as
/// sent: written back exactly as it came.
enum PackedId {
    Guid([u8; 16]),
    Text(Box<str>),
}

impl PackedId {
    fn new(s: &str) -> Self {
        match uuid::Uuid::try_parse(s) {
            Ok(u) if u.hyphenated().to_string() == s => PackedId::Guid(*u.as_bytes()),
            _ => PackedId::Text(s.into()),
        }
    }
}

impl std::fmt::Display for PackedId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PackedId::Guid(b) => uuid::Uuid::from_bytes(*b).hyphenated().fmt(f),
            PackedId::Text(t) => f.write_str(t),
        }
    }
}

/// `signInAudience`: Graph's four values without a copy each; anything else as sent.
enum Audience {
    None,
    Known(SignInAudience),
    Other(Box<str>),
}

impl Audience {
    fn new(s: Option<&str>) -> Self {
        match s {
            None => Audience::None,
            Some(s) => SignInAudience::ALL
                .into_iter()
                .find(|k| k.as_str() == s)
                .map_or_else(|| Audience::Other(s.into()), Audience::Known),
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Audience::None => None,
            Audience::Known(k) => Some(k.as_str()),
            Audience::Other(o) => Some(o),
        }
    }
}

impl Brief {
    fn of(a: &AppRegistration) -> Self {
        Self {
            name: a.display_name.as_str().into(),
            app_id: PackedId::new(a.app_id.as_str()),
            object_id: PackedId::new(a.id.as_str()),
            created: a.created_date_time,
            audience: Audience::new(a.sign_in_audience.as_deref()),
            secrets: u32::try_from(a.password_credentials.len()).unwrap_or(u32::MAX),
            certificates: u32::try_from(a.key_credentials.len()).unwrap_or(u32::MAX),
            next: a.next_expiry(),
        }
    }

    fn cells(&self, now: DateTime<Utc>) -> Vec<String> {
        vec![
            crate::sanitize::name(Some(&self.name)).into_owned(),
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
    /// Each batch as it came (no one vector that doubles as it grows); sorted through an
    /// index at the end.
    Sorted(Vec<Box<[Brief]>>, ListSort),
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
            (sort, _) => Sink::Sorted(Vec::new(), sort),
        })
    }

    fn push(&mut self, apps: &[Brief], now: DateTime<Utc>) -> Result<(), CliError> {
        match self {
            Sink::Json { first, count } => {
                json_items(apps.iter(), first, now)?;
                *count += apps.len();
                Ok(())
            }
            Sink::Table(t) => {
                let rows: Vec<Vec<String>> = apps.iter().map(|b| b.cells(now)).collect();
                t.push(&rows)
            }
            Sink::Sorted(..) => Ok(()),
        }
    }

    fn hold(&mut self, apps: Vec<Brief>) {
        if let Sink::Sorted(all, _) = self
            && !apps.is_empty()
        {
            all.push(apps.into_boxed_slice());
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
            Sink::Sorted(batches, sort) => {
                let all: Vec<&Brief> = batches.iter().flat_map(|b| b.iter()).collect();
                let mut order: Vec<u32> =
                    (0..u32::try_from(all.len()).unwrap_or(u32::MAX)).collect();
                // Compared without a lowercase copy of every name (that copy would double the
                // memory the sort holds).
                let by_name =
                    |a: &Brief, b: &Brief| output::caseless(&a.name).cmp(output::caseless(&b.name));
                match sort {
                    ListSort::Expiry => order.sort_by(|&x, &y| {
                        let (a, b) = (all[x as usize], all[y as usize]);
                        (a.next.is_none(), a.next)
                            .cmp(&(b.next.is_none(), b.next))
                            .then_with(|| by_name(a, b))
                    }),
                    _ => order.sort_by(|&x, &y| by_name(all[x as usize], all[y as usize])),
                }
                let all: Vec<&Brief> = order.into_iter().map(|i| all[i as usize]).collect();
                let n = all.len();
                match format {
                    OutputFormat::Json => {
                        output::emit(b"[")?;
                        let mut first = true;
                        for chunk in all.chunks(1000) {
                            json_items(chunk.iter().copied(), &mut first, now)?;
                        }
                        output::emit(if first { b"]\n" } else { b"\n]\n" })?;
                    }
                    OutputFormat::Table => {
                        let mut t = StreamTable::new(&HEADERS, &KINDS, output::width());
                        for chunk in all.chunks(1000) {
                            let rows: Vec<Vec<String>> =
                                chunk.iter().map(|b| b.cells(now)).collect();
                            t.push(&rows)?;
                        }
                        t.finish()?;
                    }
                }
                Ok(n)
            }
        }
    }
}

/// JSON items, each on its own line, commas between (the opening `[` is already out).
fn json_items<'a>(
    apps: impl Iterator<Item = &'a Brief>,
    first: &mut bool,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
    let mut buf = Vec::with_capacity(64 * 1024);
    for b in apps {
        buf.extend_from_slice(if *first { b"\n  " } else { b",\n  " });
        *first = false;
        let ids = (b.app_id.to_string(), b.object_id.to_string());
        crate::sanitize::json_to_writer(&mut buf, &AppJson::from_brief(b, &ids, now))
            .map_err(|e| CliError::output(std::io::Error::from(e)))?;
    }
    output::emit(&buf)
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
        let briefs: Vec<Brief> = keep(items, o.filter.as_deref())
            .iter()
            .map(Brief::of)
            .collect();
        sink.push(&briefs, now)?;
        sink.hold(briefs);
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
