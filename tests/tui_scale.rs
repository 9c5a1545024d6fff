//! Tenant scale through `update` (no terminal): Graph's search while the list streams, the
//! warm start from the cache and its delta refresh, a delta link that ended, and the
//! certificates pass.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

#[path = "tui_support.rs"]
mod support;

use azsecrets::app::apps_list::Chunk;
use azsecrets::app::{Action, App, AppsTab, Effect};
use azsecrets::catalog::cache::{CacheKey, Snapshot};
use azsecrets::catalog::{AppRow, Origin};
use azsecrets::graph::listing::AppPatch;
use azsecrets::graph::{ObjectId, Page};
use support::*;

fn rows() -> Vec<AppRow> {
    apps()
        .iter()
        .map(|a| AppRow::from_registration(a, false))
        .collect()
}

fn names(app: &App) -> Vec<String> {
    app.all
        .view
        .iter()
        .map(|&i| app.all.rows[i as usize].display_name.to_string())
        .collect()
}

/// An app whose first page is on screen and whose listing is still running.
fn streaming() -> (App, u64) {
    let mut app = App::new(settings(false), now());
    app.update(Action::Resize(size()));
    let fx = app.start();
    let mut request = None;
    for e in answer_but_apps(&mut app, fx) {
        if let Effect::LoadApps { request: r, .. } = e {
            request = Some(r);
        }
    }
    let request = request.expect("a listing");
    app.update(Action::AppsChunk {
        request,
        tab: AppsTab::All,
        result: Ok(Chunk {
            rows: rows().into_iter().take(2).collect(),
            ..Chunk::default()
        }),
    });
    (app, request)
}

/// Answer everything but the listing.
fn answer_but_apps(app: &mut App, fx: Vec<Effect>) -> Vec<Effect> {
    let (apps, rest): (Vec<Effect>, Vec<Effect>) = fx
        .into_iter()
        .partition(|e| matches!(e, Effect::LoadApps { .. } | Effect::RefreshApps { .. }));
    let mut left = answer(app, rest);
    left.extend(apps);
    left
}

#[test]
fn graph_search_finds_an_app_the_listing_has_not_reached_and_it_is_selected() {
    let (mut app, request) = streaming();
    press(&mut app, &[key('/')]);
    let fx = type_text(&mut app, "far away");
    let search = fx
        .iter()
        .rev()
        .find_map(|e| match e {
            Effect::SearchApps { request, text } => Some((*request, text.clone())),
            _ => None,
        })
        .expect("a search while the list streams");
    assert_eq!(search.1, "far away");
    assert!(app.search.as_ref().unwrap().pending);
    // Graph answers with an app the listing has not sent yet.
    let mut far = apps().remove(2);
    far.id = ObjectId::new("99999999-0000-4000-8000-000000000099");
    far.display_name = "far-away-app".into();
    let found = vec![AppRow::from_registration(&far, false)];
    app.update(Action::AppsSearched(search.0, Ok(found)));
    assert_eq!(names(&app), vec!["far-away-app"]);
    let row = app.all.selected_app().unwrap();
    assert_eq!(row.origin, Origin::Searched);
    let text = screen_text(&app, 120, 40);
    assert!(text.contains("⌕ far-away-app"), "{text}");
    assert!(text.contains("1 found by Graph"), "{text}");
    // A stale answer (an older search) is dropped.
    app.update(Action::AppsSearched(search.0 - 1, Ok(rows())));
    assert_eq!(names(&app), vec!["far-away-app"]);
    // The listing reaches it: one row, no longer marked.
    app.update(Action::AppsChunk {
        request,
        tab: AppsTab::All,
        result: Ok(Chunk {
            rows: vec![AppRow::from_registration(&far, false)],
            done: true,
            ..Chunk::default()
        }),
    });
    assert_eq!(names(&app), vec!["far-away-app"]);
    assert_eq!(app.all.selected_app().unwrap().origin, Origin::Listed);
    // Enter opens it.
    press(&mut app, &[code(ratatui::crossterm::event::KeyCode::Enter)]);
    let opened = app.detail.as_ref().and_then(|d| d.registration()).unwrap();
    assert_eq!(opened.id, far.id);
}

#[test]
fn no_search_for_ids_one_letter_or_a_complete_list_that_matches() {
    let mut app = loaded(false);
    press(&mut app, &[key('/')]);
    assert!(
        !type_text(&mut app, "bil")
            .iter()
            .any(|e| matches!(e, Effect::SearchApps { .. })),
        "a loaded list that matches needs no search"
    );
    press(
        &mut app,
        &[code(ratatui::crossterm::event::KeyCode::Esc), key('/')],
    );
    let fx = type_text(&mut app, "zzz-nothing");
    assert!(
        fx.iter().any(|e| matches!(e, Effect::SearchApps { .. })),
        "no local hit: Graph is asked"
    );
}

fn warm_app() -> App {
    let mut app = App::new(settings(false), now());
    app.update(Action::Resize(size()));
    app.warm.key = Some(CacheKey::new("https://graph.microsoft.com/", "contoso"));
    app
}

/// The cache read among `fx`: its request and key.
fn cache_read(fx: &[Effect]) -> (u64, CacheKey) {
    fx.iter()
        .find_map(|e| match e {
            Effect::LoadCache { request, key } => Some((*request, key.clone())),
            _ => None,
        })
        .expect("the cache is read first")
}

#[test]
fn a_warm_start_shows_the_cache_then_one_delta_round_confirms_it() {
    let mut app = warm_app();
    let fx = app.start();
    let load = cache_read(&fx);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::LoadApps { .. })),
        "the listing waits for the cache"
    );
    let rest = answer_but_apps(&mut app, fx);
    assert!(rest.iter().all(|e| matches!(e, Effect::LoadCache { .. })));
    let fx = app.update(Action::CacheLoaded(
        load.0,
        Ok(Some(Snapshot {
            tenant_id: Some(org().id.to_string()),
            saved_at: Some(now()),
            delta_link: Some(
                "https://graph.microsoft.com/v1.0/applications/delta?$deltatoken=x".into(),
            ),
            rows: rows(),
            expiry_order: Vec::new(),
        })),
    ));
    assert_eq!(app.all.len(), 4, "the whole cached list at once");
    let text = screen_text(&app, 120, 40);
    assert!(text.contains("4 apps (cached"), "{text}");
    let Some(Effect::RefreshApps {
        request,
        delta_link,
        ..
    }) = fx.into_iter().next()
    else {
        panic!("a delta refresh");
    };
    assert!(delta_link.contains("deltatoken=x"));
    // Nothing changed: one page, a new link; the list is confirmed and saved.
    let fx = app.update(Action::AppsChunk {
        request,
        tab: AppsTab::All,
        result: Ok(Chunk {
            done: true,
            delta_link: Some(
                "https://graph.microsoft.com/v1.0/applications/delta?$deltatoken=y".into(),
            ),
            ..Chunk::default()
        }),
    });
    assert!(app.all.cached.is_none());
    assert_eq!(app.all.len(), 4);
    let bytes = fx
        .iter()
        .find_map(|e| match e {
            Effect::SaveCache { bytes, .. } => Some(bytes.clone()),
            _ => None,
        })
        .expect("the list is saved");
    // Saved in name order, so the next start's sort is one linear pass.
    let dir = tempfile::tempdir().unwrap();
    let store = azsecrets::catalog::cache::AppCache::at(dir.path().join("azsecrets"));
    store.store(&load.1, &bytes).unwrap();
    let saved: Vec<String> = store
        .load(&load.1)
        .unwrap()
        .unwrap()
        .rows
        .iter()
        .map(|r| r.display_name.to_string())
        .collect();
    let mut by_name = saved.clone();
    by_name.sort_by_key(|n| n.to_lowercase());
    assert_eq!(saved, by_name);
    assert_ne!(
        rows()
            .iter()
            .map(|r| r.display_name.to_string())
            .collect::<Vec<_>>(),
        saved,
        "the fixture is not in name order already"
    );
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::LoadCertificates { .. })),
        "certificates of cached rows without them are read"
    );
    let text = screen_text(&app, 120, 40);
    assert!(
        text.contains("4 apps") && !text.contains("cached"),
        "{text}"
    );
    // `r` refreshes with the new link.
    let fx = press(&mut app, &[key('r')]);
    assert!(
        fx.iter().any(
            |e| matches!(e, Effect::RefreshApps { delta_link, .. } if delta_link.ends_with('y'))
        )
    );
}

#[test]
fn delta_changes_patch_rows_and_an_ended_link_lists_again() {
    let mut app = warm_app();
    let fx = app.start();
    let Some(Effect::LoadCache { request, .. }) = fx
        .iter()
        .find(|e| matches!(e, Effect::LoadCache { .. }))
        .map(|e| match e {
            Effect::LoadCache { request, key } => Effect::LoadCache {
                request: *request,
                key: key.clone(),
            },
            _ => unreachable!(),
        })
    else {
        panic!();
    };
    answer_but_apps(&mut app, fx);
    let fx = app.update(Action::CacheLoaded(
        request,
        Ok(Some(Snapshot {
            tenant_id: None,
            saved_at: None,
            delta_link: Some(
                "https://graph.microsoft.com/v1.0/applications/delta?$deltatoken=x".into(),
            ),
            rows: rows(),
            expiry_order: Vec::new(),
        })),
    ));
    let Some(Effect::RefreshApps { request, .. }) = fx.into_iter().next() else {
        panic!("a delta refresh");
    };
    let gone = apps()[0].id.clone();
    let renamed = apps()[1].id.clone();
    app.update(Action::AppsChunk {
        request,
        tab: AppsTab::All,
        result: Ok(Chunk {
            patches: vec![AppPatch {
                id: renamed,
                display_name: Some("aaa-renamed".into()),
                ..AppPatch::default()
            }],
            removed: vec![gone],
            ..Chunk::default()
        }),
    });
    assert_eq!(names(&app)[0], "aaa-renamed");
    assert_eq!(app.all.len(), 3);
    // The next round's link has ended: the whole tenant is listed again.
    let fx = app.update(Action::AppsChunk {
        request,
        tab: AppsTab::All,
        result: Err(api_error(
            400,
            "syncStateNotFound",
            "The sync state generation is not found.",
        )),
    });
    let Some(Effect::LoadApps { request, .. }) = fx.into_iter().next() else {
        panic!("a full listing after the link ended");
    };
    assert_eq!(app.all.len(), 3, "the rows stay while listing again");
    app.update(Action::AppsPage {
        request,
        tab: AppsTab::All,
        result: Ok(Page {
            items: apps(),
            count: None,
            has_more: false,
            skipped: 0,
        }),
    });
    assert_eq!(app.all.len(), 4);
    assert!(app.all.cached.is_none());
}

#[test]
fn the_certificates_pass_completes_next_expiry() {
    let (mut app, request) = streaming();
    let fx = app.update(Action::AppsChunk {
        request,
        tab: AppsTab::All,
        result: Ok(Chunk {
            rows: rows().into_iter().skip(2).collect(),
            done: true,
            ..Chunk::default()
        }),
    });
    let Some(Effect::LoadCertificates { request }) = fx
        .into_iter()
        .find(|e| matches!(e, Effect::LoadCertificates { .. }))
    else {
        panic!("a certificates pass");
    };
    assert!(app.is_busy());
    let contoso = apps()[3].id.clone();
    let cert = serde_json::from_value(serde_json::json!({
        "keyId": "c0000000-0000-4000-8000-000000000001", "displayName": "CN=contoso",
        "endDateTime": "2025-01-28T00:00:00Z"
    }))
    .unwrap();
    app.update(Action::Certificates(
        request,
        Ok((vec![(contoso.clone(), vec![cert])], true)),
    ));
    let row = app.all.row_of(contoso.as_str()).unwrap();
    assert_eq!(row.key_credentials.as_deref().map(<[_]>::len), Some(1));
    assert_eq!(
        row.next_expiry().map(|d| d.to_rfc3339()),
        Some("2025-01-28T00:00:00+00:00".into())
    );
    assert!(!app.is_busy());
}

#[test]
fn the_expiring_tab_lists_every_credential_soonest_first_and_opens_its_app() {
    use ratatui::crossterm::event::KeyCode;
    let mut app = loaded(false);
    press(&mut app, &[code(KeyCode::Tab), code(KeyCode::Tab)]);
    assert_eq!(app.tab, AppsTab::Expiring);
    let ends: Vec<i64> = app.expiring.view.iter().map(|c| c.end).collect();
    let mut sorted = ends.clone();
    sorted.sort();
    assert_eq!(ends, sorted, "soonest first");
    let total: usize = apps()
        .iter()
        .map(|a| a.password_credentials.len() + a.key_credentials.len())
        .sum();
    assert_eq!(app.expiring.view.len(), total);
    let text = screen_text(&app, 120, 40);
    assert!(text.contains("[Expiring credentials]"), "{text}");
    assert!(text.contains(&format!("{total} credentials")), "{text}");
    // The filter keeps the credentials of the apps it shows.
    press(&mut app, &[key('/')]);
    type_text(&mut app, "payments");
    assert!(!app.expiring.view.is_empty());
    for c in &app.expiring.view {
        assert_eq!(&*app.all.rows[c.row as usize].display_name, "payments-api");
    }
    // Enter opens the app on the credential's tab, that credential selected.
    let chosen = app.expiring.view[1];
    press(&mut app, &[code(KeyCode::Down), code(KeyCode::Enter)]);
    let d = app.detail.as_ref().expect("the app screen");
    let want = match chosen.kind {
        azsecrets::app::CredKind::Secret => azsecrets::app::DetailTab::ClientSecrets,
        azsecrets::app::CredKind::Certificate => azsecrets::app::DetailTab::Certificates,
    };
    assert_eq!(d.tab, want);
    if want == azsecrets::app::DetailTab::ClientSecrets {
        let key = chosen.cred(&app.all).unwrap().key_id.to_string();
        assert_eq!(d.selected_secret().unwrap().key_id.as_str(), key);
    }
}

/// Enter on a certificate selects that certificate on the App screen, whose Certificates tab
/// lists soonest expiry first whatever order Graph sent them in.
#[test]
fn the_expiring_tab_opens_a_certificate_selected_in_the_order_the_tab_shows() {
    use ratatui::crossterm::event::KeyCode;
    const EARLY: &str = "d4e5f6a7-0000-4000-8000-0000000ce272";
    let mut regs = apps();
    let payments = regs
        .iter_mut()
        .find(|a| a.display_name == "payments-api")
        .unwrap();
    // Graph's order: the later one first.
    payments.key_credentials.push(
        serde_json::from_value(serde_json::json!({
            "keyId": EARLY, "displayName": "CN=payments-early",
            "startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2026-12-15T00:00:00Z",
            "type": "AsymmetricX509Cert", "usage": "Verify"
        }))
        .unwrap(),
    );
    let mut app = App::new(settings(false), now());
    app.update(Action::Resize(size()));
    let mut fx = app.start();
    for _ in 0..4 {
        let mut next = Vec::new();
        for e in fx {
            next.extend(match e {
                Effect::LoadApps { request, tab, .. } => app.update(Action::AppsPage {
                    request,
                    tab,
                    result: Ok(Page {
                        items: regs.clone(),
                        count: None,
                        has_more: false,
                        skipped: 0,
                    }),
                }),
                other => answer(&mut app, vec![other]),
            });
        }
        fx = next;
    }
    press(&mut app, &[code(KeyCode::Tab), code(KeyCode::Tab)]);
    assert_eq!(app.tab, AppsTab::Expiring);
    let at = app
        .expiring
        .view
        .iter()
        .position(|c| c.cred(&app.all).is_some_and(|k| k.key_id.as_str() == EARLY))
        .expect("the early certificate is listed");
    for _ in 0..at {
        press(&mut app, &[code(KeyCode::Down)]);
    }
    for e in app.handle_key(code(KeyCode::Enter)) {
        match e {
            Effect::LoadApp { request, id } => {
                let found = regs.iter().find(|a| a.id == id).cloned().unwrap();
                app.update(Action::AppLoaded(request, Ok(found)));
            }
            other => {
                answer(&mut app, vec![other]);
            }
        }
    }
    let d = app.detail.as_ref().expect("the app screen");
    assert_eq!(d.tab, azsecrets::app::DetailTab::Certificates);
    assert_eq!(d.certificates().len(), 2);
    assert_eq!(
        d.selected_certificate().map(|c| c.key_id.as_str()),
        Some(EARLY)
    );
}

/// `n` distinct rows, named out of order.
fn many(n: usize) -> Vec<AppRow> {
    let base = apps().remove(0);
    (0..n)
        .map(|i| {
            let mut a = base.clone();
            a.id = ObjectId::new(format!("00000000-0000-4000-8000-{:012}", i));
            a.display_name = format!("app-{:05}", (i * 7919) % n);
            AppRow::from_registration(&a, false)
        })
        .collect()
}

/// The cache part among `fx`: (request, bytes, first, last).
fn part(fx: &[Effect]) -> Option<(u64, Vec<u8>, bool, bool)> {
    fx.iter().find_map(|e| match e {
        Effect::SaveCache {
            request,
            bytes,
            first,
            last,
            ..
        } => Some((*request, bytes.clone(), *first, *last)),
        _ => None,
    })
}

/// Acknowledge cache parts until the write ends (changing the list under it after the first
/// part when `change` says so); the bytes written.
fn write_parts(app: &mut App, fx: Vec<Effect>, change: bool) -> Vec<u8> {
    let (mut request, mut bytes, first, mut last) = part(&fx).expect("a part");
    assert!(first);
    if change {
        let mut extra = many(1).remove(0);
        extra.id = azsecrets::catalog::RowId::new("00000000-0000-4000-8000-999999999999");
        extra.display_name = "0-added-meanwhile".into();
        let (q, s) = (app.filter.value().to_owned(), app.sort);
        app.all.upsert_row(extra, &q, s);
    }
    while !last {
        let fx = app.update(Action::CacheSaved(request, Ok(())));
        assert!(
            !fx.iter().any(|e| matches!(e, Effect::DropCacheSave { .. })),
            "a row added or changed does not stop the write: {fx:?}"
        );
        let (r, more, first, l) = part(&fx).expect("a part follows every acknowledged one");
        assert!(!first && r == request);
        bytes.extend_from_slice(&more);
        (request, last) = (r, l);
    }
    assert!(app.update(Action::CacheSaved(request, Ok(()))).is_empty());
    bytes
}

fn saved_names(
    store: &azsecrets::catalog::cache::AppCache,
    key: &CacheKey,
    bytes: &[u8],
) -> Vec<String> {
    store.store(key, bytes).unwrap();
    store
        .load(key)
        .unwrap()
        .unwrap()
        .rows
        .iter()
        .map(|r| r.display_name.to_string())
        .collect()
}

#[test]
fn a_big_list_is_written_a_part_at_a_time_and_again_when_its_rows_move() {
    let mut app = warm_app();
    let fx = app.start();
    let load = cache_read(&fx);
    answer_but_apps(&mut app, fx);
    let fx = app.update(Action::CacheLoaded(load.0, Ok(None)));
    let request = fx
        .iter()
        .find_map(|e| match e {
            Effect::LoadApps { request, .. } => Some(*request),
            _ => None,
        })
        .expect("a listing after an empty cache");
    let fx = app.update(Action::AppsChunk {
        request,
        tab: AppsTab::All,
        result: Ok(Chunk {
            rows: many(10_000),
            done: true,
            ..Chunk::default()
        }),
    });
    let parts = fx
        .iter()
        .filter(|e| matches!(e, Effect::SaveCache { .. }))
        .count();
    assert_eq!(parts, 1, "one part at a time, never the whole file");
    let (_, bytes, _, last) = part(&fx).unwrap();
    assert!(!last && bytes.len() < 1_000_000, "{} bytes", bytes.len());
    // A row added meanwhile: the write goes on with the rows it began with; the list stays
    // marked changed, for the next write.
    let bytes = write_parts(&mut app, fx, true);
    let dir = tempfile::tempdir().unwrap();
    let store = azsecrets::catalog::cache::AppCache::at(dir.path().join("azsecrets"));
    let saved = saved_names(&store, &load.1, &bytes);
    assert_eq!(saved.len(), 10_000);
    let mut by_name = saved.clone();
    by_name.sort();
    assert_eq!(saved, by_name, "in name order");
    assert!(app.all.dirty);
    // The next write (the tenant known again) has it.
    let fx = app.update(Action::OrganizationLoaded(0, Ok(org())));
    let (stale, ..) = part(&fx).expect("written again");
    // Rows moved under it (a refresh removed rows): given up, and written again at once.
    let fx = press(&mut app, &[key('r')]);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::DropCacheSave { request } if *request == stale)),
        "{fx:?}"
    );
    let (request, bytes, first, last) = part(&fx).expect("saved again after r");
    assert!(first && last && request != stale);
    assert!(
        app.update(Action::CacheSaved(stale, Ok(()))).is_empty(),
        "a part of a write given up is ignored"
    );
    assert_eq!(saved_names(&store, &load.1, &bytes).len(), app.all.len());
    let fx = app.update(Action::CacheSaved(
        request,
        Err(azsecrets::catalog::cache::CacheError::Io {
            action: "write",
            path: dir.path().into(),
            source: std::io::Error::other("disk full"),
        }),
    ));
    assert!(fx.is_empty(), "{fx:?}");
    let text = screen_text(&app, 120, 40);
    assert!(text.contains("Could not save the app list"), "{text}");
}
