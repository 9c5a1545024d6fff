//! Tenant-scale benchmarks of the apps screen (issue: 50,000 app registrations).
//!
//! - `filter/keystroke_50k`: one keystroke of the live `/` filter over 50,000 loaded apps, typed
//!   incrementally as a person types; also prints p50/p99/max per keystroke over many runs.
//! - `render/apps_screen/N`: one frame of the apps screen (120x40) with N apps loaded.
//! - `stream_200k`: 200,000 apps arriving page by page (999 a page) while the user types in the
//!   filter, sorts and scrolls; prints p50/p99/max per kind of event (each is one pass of the
//!   event loop, so each must fit in a 16 ms frame).
//! - `warm/…`: the in-process part of a warm start with 50,000 and 200,000 cached apps: read
//!   and decode the cache file, hand the rows to the list (orders, filter), draw the first
//!   frame. The process start and the terminal come on top (`bench/tenant_scale.sh warm`).
//!
//! Run: `cargo bench --bench tui`. Numbers are in bench/README.md.
#![allow(clippy::print_stdout)] // the benchmark reports its percentiles on the terminal
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::time::{Duration, Instant};

use azsecrets::app::{Action, App, Effect, Settings};
use azsecrets::auth::SourceKind;
use azsecrets::graph::{AppRegistration, Page};
use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Size;

const WORDS: [&str; 24] = [
    "contoso",
    "fabrikam",
    "northwind",
    "tailspin",
    "wingtip",
    "adventure",
    "billing",
    "payments",
    "orders",
    "search",
    "identity",
    "reports",
    "gateway",
    "ledger",
    "inventory",
    "notifications",
    "telemetry",
    "crm",
    "portal",
    "sync",
    "worker",
    "api",
    "web",
    "etl",
];
const ENVS: [&str; 4] = ["prod", "staging", "dev", "qa"];

/// `n` apps with realistic, varied names and one or two secrets each.
fn apps(n: usize) -> Vec<AppRegistration> {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
        .single()
        .expect("date");
    (0..n)
        .map(|i| {
            let name = format!(
                "{}-{}-{} ({}) {i}",
                WORDS[i % 24],
                WORDS[(i / 24 + 7) % 24],
                WORDS[(i / 576 + 13) % 24],
                ENVS[i % 4]
            );
            let end = now + chrono::Duration::days((i % 400) as i64 - 30);
            serde_json::from_value(serde_json::json!({
                "id": format!("00000000-0000-4000-8000-{i:012}"),
                "appId": format!("10000000-0000-4000-8000-{i:012}"),
                "displayName": name,
                "createdDateTime": "2024-01-01T00:00:00Z",
                "signInAudience": "AzureADMyOrg",
                "passwordCredentials": [{
                    "keyId": format!("20000000-0000-4000-8000-{i:012}"),
                    "displayName": "ci", "hint": "abc",
                    "startDateTime": "2024-01-01T00:00:00Z",
                    "endDateTime": end.to_rfc3339(),
                }],
                "keyCredentials": []
            }))
            .expect("app")
        })
        .collect()
}

fn fresh_app() -> App {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
        .single()
        .expect("date");
    let mut app = App::new(
        Settings {
            read_only: false,
            source: SourceKind::Sandbox,
        },
        now,
    );
    app.update(Action::Resize(Size::new(120, 40)));
    app
}

fn loaded(n: usize) -> App {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
        .single()
        .expect("date");
    let mut app = App::new(
        Settings {
            read_only: false,
            source: SourceKind::Sandbox,
        },
        now,
    );
    // The size the render benchmark draws at, as the event loop would send it.
    app.update(Action::Resize(Size::new(120, 40)));
    let mut rows = apps(n);
    for e in app.start() {
        if let Effect::LoadApps { request, tab, .. } = e {
            app.update(Action::AppsPage {
                request,
                tab,
                result: Ok(Page {
                    items: std::mem::take(&mut rows),
                    count: None,
                    has_more: false,
                    skipped: 0,
                }),
            });
        }
    }
    app
}

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

const QUERY: &str = "pay prod 12";

/// Type QUERY after `/`, timing each keystroke; Esc clears for the next round.
fn type_query(app: &mut App, times: &mut Vec<Duration>) {
    app.handle_key(key(KeyCode::Char('/')));
    for c in QUERY.chars() {
        let t = Instant::now();
        app.handle_key(key(KeyCode::Char(c)));
        times.push(t.elapsed());
    }
    app.handle_key(key(KeyCode::Esc));
}

fn filter(c: &mut Criterion) {
    let mut app = loaded(50_000);
    // Percentiles per keystroke (criterion reports means; the target is a p99).
    let mut times = Vec::new();
    for _ in 0..100 {
        type_query(&mut app, &mut times);
    }
    // Which keystroke costs most (the first letters match almost everything).
    let per_key: Vec<String> = QUERY
        .chars()
        .enumerate()
        .map(|(k, c)| {
            let mut t: Vec<Duration> = times.iter().skip(k).step_by(QUERY.len()).copied().collect();
            t.sort();
            format!("'{c}' {:.1}ms", t[t.len() / 2].as_secs_f64() * 1000.0)
        })
        .collect();
    println!("median per keystroke: {}", per_key.join(", "));
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p) as usize];
    println!(
        "filter keystroke over 50,000 apps: p50 {:?}  p99 {:?}  max {:?}  ({} keystrokes)",
        pct(0.50),
        pct(0.99),
        times[times.len() - 1],
        times.len()
    );
    c.bench_function("filter/query_of_11_keystrokes_50k", |b| {
        let mut sink = Vec::with_capacity(16);
        b.iter(|| {
            sink.clear();
            type_query(&mut app, &mut sink);
        })
    });
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render/apps_screen_120x40");
    for n in [1_000usize, 10_000, 50_000] {
        let app = loaded(n);
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("backend");
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                term.draw(|f| f.render_widget(&app, f.area()))
                    .expect("draw");
            })
        });
    }
    group.finish();
}

fn pct(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times[((times.len() as f64 - 1.0) * p) as usize]
}

fn report(what: &str, times: &mut [Duration]) {
    if times.is_empty() {
        return;
    }
    let (p50, p99) = (pct(times, 0.50), pct(times, 0.99));
    println!(
        "{what}: p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} events)",
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0,
        times.len()
    );
}

/// 200,000 apps streaming in while the user filters, sorts and scrolls: every event timed.
fn stream_200k(c: &mut Criterion) {
    const N: usize = 200_000;
    let mut app = fresh_app();
    let mut rows = apps(N);
    let (mut pages_t, mut keys_t, mut sorts_t, mut scroll_t) = (vec![], vec![], vec![], vec![]);
    let mut request = None;
    for e in app.start() {
        if let Effect::LoadApps { request: r, .. } = e {
            request = Some(r);
        }
    }
    let request = request.expect("a listing");
    let mut typed = String::new();
    let mut page_no = 0usize;
    let mut rest = rows.split_off(0);
    while !rest.is_empty() {
        let more = rest.split_off(rest.len().min(999));
        let page = std::mem::replace(&mut rest, more);
        let has_more = !rest.is_empty();
        let t = Instant::now();
        app.update(Action::AppsPage {
            request,
            tab: azsecrets::app::AppsTab::All,
            result: Ok(Page {
                items: page,
                count: None,
                has_more,
                skipped: 0,
            }),
        });
        pages_t.push(t.elapsed());
        page_no += 1;
        // Between pages the user does something, as at a keyboard.
        match page_no % 4 {
            0 | 1 if typed.len() < QUERY.len() => {
                // Type the next letter of the query.
                if typed.is_empty() {
                    app.handle_key(key(KeyCode::Char('/')));
                }
                let ch = QUERY.chars().nth(typed.len()).unwrap_or(' ');
                typed.push(ch);
                let t = Instant::now();
                app.handle_key(key(KeyCode::Char(ch)));
                keys_t.push(t.elapsed());
            }
            1 => {
                // The query is typed: clear it (Esc), then sort.
                app.handle_key(key(KeyCode::Esc));
                typed.clear();
                let t = Instant::now();
                app.handle_key(key(KeyCode::Char('s')));
                sorts_t.push(t.elapsed());
            }
            _ => {
                let t = Instant::now();
                app.handle_key(key(KeyCode::PageDown));
                scroll_t.push(t.elapsed());
            }
        }
    }
    println!("200,000 apps arriving in {page_no} pages:");
    report("  page arrives", &mut pages_t);
    report("  filter keystroke", &mut keys_t);
    report("  sort (s)", &mut sorts_t);
    report("  scroll (PgDn)", &mut scroll_t);
    // Loaded: the same events again, the list complete.
    let mut loaded_keys = Vec::new();
    let mut loaded_sorts = Vec::new();
    for _ in 0..20 {
        type_query(&mut app, &mut loaded_keys);
        let t = Instant::now();
        app.handle_key(key(KeyCode::Char('s')));
        loaded_sorts.push(t.elapsed());
    }
    let per_key: Vec<String> = QUERY
        .chars()
        .enumerate()
        .map(|(k, c)| {
            let mut t: Vec<Duration> = loaded_keys
                .iter()
                .skip(k)
                .step_by(QUERY.len())
                .copied()
                .collect();
            t.sort();
            format!("'{c}' {:.1}ms", t[t.len() / 2].as_secs_f64() * 1000.0)
        })
        .collect();
    println!(
        "  median per keystroke, 200,000 loaded: {}",
        per_key.join(", ")
    );
    report("  filter keystroke, 200,000 loaded", &mut loaded_keys);
    report("  sort, 200,000 loaded", &mut loaded_sorts);
    c.bench_function("render/apps_screen_120x40/200000", |b| {
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("backend");
        b.iter(|| {
            term.draw(|f| f.render_widget(&app, f.area()))
                .expect("draw");
        })
    });
}

fn warm(c: &mut Criterion) {
    use azsecrets::catalog::AppRow;
    use azsecrets::catalog::cache::{self, AppCache, CacheKey};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AppCache::at(dir.path().join("azsecrets"));
    let key = CacheKey::new("https://graph.microsoft.com/", "organizations");
    let mut group = c.benchmark_group("warm");
    group.sample_size(20);
    for n in [50_000usize, 200_000] {
        let rows: Vec<AppRow> = apps(n)
            .iter()
            .map(|a| AppRow::from_registration(a, true))
            .collect();
        let bytes = cache::encode(&key, None, Some("delta"), Utc::now(), rows.iter());
        store.store(&key, &bytes).expect("store");
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("backend");
        group.bench_with_input(BenchmarkId::new("cache_to_first_frame", n), &n, |b, _| {
            b.iter(|| {
                let mut app = fresh_app();
                app.warm.key = Some(key.clone());
                let request = app
                    .start()
                    .into_iter()
                    .find_map(|e| match e {
                        Effect::LoadCache { request, .. } => Some(request),
                        _ => None,
                    })
                    .expect("a cache read at start");
                let snap = store.load(&key).expect("load");
                app.update(Action::CacheLoaded(request, Ok(snap)));
                assert_eq!(app.all.len(), n, "the cached rows are the list");
                term.draw(|f| f.render_widget(&app, f.area()))
                    .expect("draw");
                app
            })
        });
    }
    group.finish();
}

criterion_group!(benches, filter, render, stream_200k, warm);
criterion_main!(benches);
