//! The App registrations screen: header, tabs, filter and counter, and the table, of which
//! only the visible rows are built.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, StatefulWidget, Table, TableState, Widget, Wrap};

use crate::app::{App, AppsTab, ListLoad, Loadable, scroll};
use crate::catalog::{AppRow, Origin};
use crate::keymap::{Command, Context, key_for};

use super::text::{self, thousands};
use super::theme::theme;

/// Title bar shared by both screens: name, breadcrumb (tenant text in it already cleaned),
/// spinner on the right; while Graph makes the client wait, what it waits for.
pub fn title_bar(app: &App, crumbs: &str, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let right = if app.sign_in.prompt.is_some() {
        format!("{} waiting for sign-in ", app.spinner_frame())
    } else if let Some(r) = &app.retrying {
        format!("{} ", r.words(app.now))
    } else if app.is_busy() {
        format!("{} loading ", app.spinner_frame())
    } else if app.settings.read_only {
        "read-only ".to_owned()
    } else {
        String::new()
    };
    // The status on the right wins the space it needs (all but 26 cells); the breadcrumb is
    // cut with `…` before it.
    let style = if app.retrying.is_some() {
        t.warning()
    } else {
        t.muted()
    };
    let right = text::fit_line(
        Line::from(Span::styled(right, style)),
        usize::from(area.width.saturating_sub(26)).max(12),
    );
    let w = right.width() as u16;
    let left = Line::from(vec![
        Span::styled(" azsecrets ", t.title()),
        Span::raw(" "),
        Span::styled(crumbs.to_owned(), t.label()),
    ]);
    let left_w = usize::from(area.width.saturating_sub(w + u16::from(w > 0)));
    Paragraph::new(text::fit_line(left, left_w)).render(area, buf);
    if w > 0 && area.width > w {
        let r = Rect::new(area.right() - w, area.y, w, 1);
        Paragraph::new(right).render(r, buf);
    }
}

/// Tenant line and identity line.
pub fn identity_lines(app: &App) -> [Line<'static>; 2] {
    let t = theme();
    let tenant = match &app.organization {
        Loadable::Loaded(o) | Loadable::Loading { stale: Some(o), .. } => Line::from(vec![
            Span::styled(" Tenant: ", t.muted()),
            Span::raw(crate::sanitize::name(o.display_name.as_deref()).into_owned()),
            Span::styled(format!(" ({})", text::clean(o.id.as_str())), t.muted()),
        ]),
        Loadable::Failed { error, .. } => Line::from(vec![
            Span::styled(" Tenant: ", t.muted()),
            Span::styled(
                format!("unknown — {}", text::clean(&error.message)),
                t.error(),
            ),
        ]),
        _ => Line::from(vec![
            Span::styled(" Tenant: ", t.muted()),
            Span::styled(format!("{} loading…", app.spinner_frame()), t.muted()),
        ]),
    };
    let via = Span::styled(format!(" · via {}", app.settings.source.label()), t.muted());
    let who = if app.settings.source.is_app_only() {
        Line::from(vec![
            Span::styled(" Signed in: ", t.muted()),
            Span::raw("app-only identity (Owned tab hidden)"),
            via,
        ])
    } else {
        match &app.me {
            Loadable::Loaded(m) | Loadable::Loading { stale: Some(m), .. } => {
                let name = crate::sanitize::name(m.display_name.as_deref()).into_owned();
                let upn = text::clean(
                    m.user_principal_name
                        .as_deref()
                        .or(m.mail.as_deref())
                        .unwrap_or_default(),
                );
                Line::from(vec![
                    Span::styled(" Signed in: ", t.muted()),
                    Span::raw(name),
                    Span::styled(format!(" ({upn})"), t.muted()),
                    via,
                ])
            }
            Loadable::Failed { error, .. } => Line::from(vec![
                Span::styled(" Signed in: ", t.muted()),
                Span::styled(
                    format!("unknown — {}", text::clean(&error.message)),
                    t.error(),
                ),
                via,
            ]),
            _ => Line::from(vec![
                Span::styled(" Signed in: ", t.muted()),
                Span::styled("loading…", t.muted()),
                via,
            ]),
        }
    };
    [tenant, who]
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let [title, tenant, who, tabs, filter, body] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
    ]));
    title_bar(app, "App registrations", title, buf);
    let [l1, l2] = identity_lines(app);
    let width = usize::from(area.width);
    Paragraph::new(text::fit_line(l1, width)).render(tenant, buf);
    Paragraph::new(text::fit_line(l2, width)).render(who, buf);

    // Tabs and sort.
    let tab = |name: &str, this: AppsTab| {
        if app.tab == this {
            Span::styled(format!("[{name}]"), t.tab_active())
        } else {
            Span::styled(format!(" {name} "), t.muted())
        }
    };
    let mut tab_line = vec![Span::raw(" "), tab("All applications", AppsTab::All)];
    if app.owned_unavailable() {
        tab_line.push(Span::styled(
            "  (Owned hidden: app-only sign-in has no /me)",
            t.muted(),
        ));
    } else {
        tab_line.push(Span::raw(" "));
        tab_line.push(tab("Owned applications", AppsTab::Owned));
    }
    tab_line.push(Span::raw(" "));
    tab_line.push(tab("Expiring credentials", AppsTab::Expiring));
    let tab_line = Line::from(tab_line);
    let tabs_w = tab_line.width() as u16;
    Paragraph::new(text::fit_line(tab_line, width)).render(tabs, buf);
    let sort = if app.tab == AppsTab::Expiring {
        "soonest expiry first ".to_owned()
    } else if app.filter.value().trim().is_empty() {
        format!("sort: {} ", app.sort.label())
    } else {
        format!("sort: best match, {} ", app.sort.label())
    };
    let sw = text::width(&sort) as u16;
    if tabs.width > sw + tabs_w + 1 {
        Paragraph::new(Span::styled(sort, t.muted()))
            .render(Rect::new(tabs.right() - sw, tabs.y, sw, 1), buf);
    }

    let list = app.current_list();
    // Filter line and counter.
    let counter = counter(app);
    let cw = text::width(&counter) as u16 + 1;
    let fw = filter.width.saturating_sub(cw + 1);
    let filter_line = if app.filtering || !app.filter.value().is_empty() {
        let mut spans = vec![Span::styled(" Filter: ", t.label())];
        spans.extend(
            text::field(
                &app.filter,
                usize::from(fw.saturating_sub(10)).min(40),
                app.filtering,
                "",
            )
            .spans,
        );
        // What Graph's search is doing for this text.
        if let Some(s) = app
            .search
            .as_ref()
            .filter(|s| s.text == app.filter.value().trim())
        {
            if s.pending {
                spans.push(Span::styled(
                    format!("  {} asking Graph", app.spinner_frame()),
                    t.muted(),
                ));
            } else if s.found > 0 {
                spans.push(Span::styled(
                    format!("  {SEARCH_MARK}{} found by Graph", s.found),
                    t.muted(),
                ));
            }
        }
        Line::from(spans)
    } else {
        Line::from(Span::styled(
            format!(
                " Press {} to filter by name or id",
                key_for(Context::Apps, Command::StartFilter)
            ),
            t.muted(),
        ))
    };
    Paragraph::new(text::fit_line(filter_line, usize::from(fw)))
        .render(Rect::new(filter.x, filter.y, fw, 1), buf);
    if filter.width > cw {
        Paragraph::new(Span::styled(counter, t.muted()))
            .render(Rect::new(filter.right() - cw, filter.y, cw, 1), buf);
    }

    if app.tab == AppsTab::Expiring {
        return expiring(app, body, buf);
    }
    if app.tab == AppsTab::Owned && app.owned_unavailable() {
        message(
            body,
            buf,
            &[(
                "Owned applications need a user sign-in: this is an app-only sign-in (service principal), which has no /me. Use All applications.".into(),
                t.muted(),
            )],
        );
        return;
    }

    if list.view.is_empty() {
        let lines: Vec<(String, ratatui::style::Style)> = match &list.load {
            ListLoad::Failed(e) if list.is_empty() => {
                let mut v = vec![
                    (format!("Error: {}", text::clean(&e.message)), t.error()),
                    (e.advice.clone(), t.label()),
                ];
                if let Some(r) = e.reference() {
                    v.push((text::clean(&r), t.muted()));
                }
                // Sign-in failures already say which key tries again.
                if !e.names_retry {
                    let retry = key_for(Context::Apps, Command::Refresh);
                    v.push((format!("Press {retry} to try again."), t.muted()));
                }
                v
            }
            ListLoad::Loading { .. } | ListLoad::Idle if list.is_empty() => vec![(
                format!("{} Loading app registrations…", app.spinner_frame()),
                t.muted(),
            )],
            _ if !app.filter.value().is_empty() => {
                let mut v = vec![(
                    format!(
                        "No app matches \"{}\". {} clears the filter.",
                        text::cell(app.filter.value(), 60),
                        key_for(Context::Filter, Command::Back)
                    ),
                    t.muted(),
                )];
                if app.lookup.is_some() {
                    v.push((
                        format!(
                            "{} Looking the id up in the directory…",
                            app.spinner_frame()
                        ),
                        t.muted(),
                    ));
                } else if crate::app::apps_list::is_full_guid(app.filter.value()) {
                    v.push((
                        format!(
                            "Press {} to look this id up in the directory.",
                            key_for(Context::Apps, Command::Open)
                        ),
                        t.muted(),
                    ));
                }
                v
            }
            _ => {
                let what = match app.tab {
                    AppsTab::All | AppsTab::Expiring => "No app registrations in this tenant.",
                    AppsTab::Owned => "You own no app registrations.",
                };
                let new = key_for(Context::Apps, Command::NewRegistration);
                vec![(format!("{what} Press {new} to register one."), t.muted())]
            }
        };
        message(body, buf, &lines);
        return;
    }
    table(app, body, buf);
}

/// Marks a row Graph's `$search` found before the listing reached it.
pub const SEARCH_MARK: &str = "⌕ ";

fn counter(app: &App) -> String {
    let list = app.current_list();
    if app.tab == AppsTab::Expiring {
        let n = app.expiring.view.len();
        let mut s = format!(
            "{} credential{}",
            thousands(n),
            if n == 1 { "" } else { "s" }
        );
        if list.is_loading() {
            s.push_str(&format!(" {} loading apps…", app.spinner_frame()));
        } else if app.warm.certificates.is_some() {
            s.push_str(&format!(" {} certificates loading…", app.spinner_frame()));
        }
        return s;
    }
    let total = list.len();
    // Cached rows are shown at once; say so until Graph has confirmed them.
    if list.cached.is_some() {
        let what = if list.is_loading() {
            format!("{} refreshing", app.spinner_frame())
        } else {
            "not yet refreshed".to_owned()
        };
        let shown = if app.filter.value().is_empty() {
            thousands(total)
        } else {
            format!("{} of {}", thousands(list.view.len()), thousands(total))
        };
        return format!("{shown} apps (cached, {what})");
    }
    match &list.load {
        ListLoad::Loading { received, .. } => {
            if *received == 0 && total > 0 {
                format!(
                    "{} Refreshing {} apps…",
                    app.spinner_frame(),
                    thousands(total)
                )
            } else {
                format!(
                    "{} Loaded {} apps…",
                    app.spinner_frame(),
                    thousands(*received)
                )
            }
        }
        ListLoad::Failed(_) if total > 0 => format!("{} apps (refresh failed)", thousands(total)),
        _ if !app.filter.value().is_empty() => {
            format!(
                "{} of {} apps",
                thousands(list.view.len()),
                thousands(total)
            )
        }
        _ => {
            if total == 1 {
                "1 app".into()
            } else {
                format!("{} apps", thousands(total))
            }
        }
    }
}

fn message(area: Rect, buf: &mut Buffer, lines: &[(String, ratatui::style::Style)]) {
    let inner = Rect::new(
        area.x + 2,
        area.y + 1,
        area.width.saturating_sub(4),
        area.height.saturating_sub(1),
    );
    let text: Vec<Line> = lines
        .iter()
        .map(|(s, st)| Line::from(Span::styled(s.clone(), *st)))
        .collect();
    Paragraph::new(text)
        .wrap(Wrap { trim: true })
        .render(inner, buf);
}

/// The Expiring credentials tab: every secret and certificate, soonest expiry first.
fn expiring(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let list = &app.all;
    let view = &app.expiring.view;
    if view.is_empty() {
        let line = if list.is_empty() && list.is_loading() {
            format!("{} Loading app registrations…", app.spinner_frame())
        } else if !app.filter.value().is_empty() {
            format!(
                "No credential of an app matching \"{}\". {} clears the filter.",
                text::cell(app.filter.value(), 60),
                key_for(Context::Filter, Command::Back)
            )
        } else {
            "No client secret or certificate in this tenant.".to_owned()
        };
        message(area, buf, &[(line, t.muted())]);
        return;
    }
    let widths = [
        Constraint::Fill(2),
        Constraint::Length(11),
        Constraint::Fill(1),
        Constraint::Length(22),
        Constraint::Length(9),
    ];
    let cols = text::column_widths(area.width, 2, &widths, 1);
    let (app_w, desc_w) = (
        cols.first().copied().unwrap_or(0),
        cols.get(2).copied().unwrap_or(0),
    );
    let rows_h = usize::from(area.height.saturating_sub(1));
    let (offset, mut state) = window(
        app.expiring.offset,
        app.expiring.selected,
        rows_h,
        view.len(),
    );
    let rows: Vec<Row> = view
        .iter()
        .skip(offset)
        .take(rows_h)
        .filter_map(|c| Some((list.rows.get(c.row as usize)?, c.cred(list)?, c.kind)))
        .map(|(a, cred, kind)| {
            let kind = match kind {
                crate::app::CredKind::Secret => "secret",
                crate::app::CredKind::Certificate => "certificate",
            };
            Row::new(vec![
                Line::from(text::name_cell(&a.display_name, app_w)),
                Line::from(kind),
                Line::from(text::name_cell(cred.description().unwrap_or("—"), desc_w)),
                Line::from(vec![
                    Span::raw(format!("{} ", text::date(cred.end))),
                    text::status_span(cred.end, app.now),
                ]),
                Line::from(text::short(&cred.key_id.as_str(), 9)),
            ])
        })
        .collect();
    let header =
        Row::new(vec!["App", "Kind", "Description", "Expires", "ID"]).style(t.header_row());
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(t.selected())
        .highlight_symbol("▶ ");
    StatefulWidget::render(table, area, buf, &mut state);
}

/// The window a table of `height` rows shows: the model's offset, clamped for this area (a
/// view may be drawn at another size than the model last heard of), and the selection inside
/// it as a `TableState`. Computed on a copy; nothing is written back.
pub fn window(offset: usize, selected: usize, height: usize, len: usize) -> (usize, TableState) {
    let offset = scroll::follow(offset, selected, height, len);
    let state = TableState::default().with_selected(Some(selected.saturating_sub(offset)));
    (offset, state)
}

fn table(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let list = app.current_list();
    let wide = area.width >= 120;
    // Names win over ids when the screen is narrow: the id column gives way first (down to
    // eight characters and `…`), so a name keeps at least NAME_FLOOR cells when it can.
    const NAME_FLOOR: u16 = 20;
    const FIXED: u16 = 2 + 10 + 7 + 20 + 4; // selection, created, secrets, expiry, spacing
    let full_id: u16 = if wide { 36 } else { 13 };
    let room = area.width.saturating_sub(FIXED + NAME_FLOOR);
    let id_w = full_id.min(room.max(9));
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(id_w),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(20),
    ];
    let name_w = text::column_widths(area.width, 2, &widths, 1)
        .first()
        .copied()
        .unwrap_or(0);
    let rows_h = usize::from(area.height.saturating_sub(1));
    let (offset, mut state) = window(list.offset, list.selected, rows_h, list.view.len());
    let now = app.now;
    let rows: Vec<Row> = list
        .view
        .iter()
        .skip(offset)
        .take(rows_h)
        .filter_map(|&i| list.rows.get(i as usize))
        .map(|a: &AppRow| {
            let next = a.next_expiry();
            let expiry = match next {
                Some(_) => Line::from(vec![
                    Span::raw(format!("{} ", text::date(next))),
                    text::status_span(next, now),
                ]),
                None => Line::from(Span::styled("none", theme().muted())),
            };
            // An app Graph's search found before the listing reached it is marked.
            let name = if a.origin == Origin::Searched {
                Line::from(vec![
                    Span::styled(SEARCH_MARK, theme().muted()),
                    Span::raw(text::name_cell(
                        &a.display_name,
                        name_w.saturating_sub(text::width(SEARCH_MARK)),
                    )),
                ])
            } else {
                Line::from(text::name_cell(&a.display_name, name_w))
            };
            Row::new(vec![
                name,
                Line::from(text::short(&a.app_id.as_str(), usize::from(id_w))),
                Line::from(text::date(a.created_date_time)),
                Line::from(format!("{:>7}", a.password_credentials.len())),
                expiry,
            ])
        })
        .collect();
    let header = Row::new(vec![
        "Display name",
        if wide {
            "Application (client) ID"
        } else {
            "App ID"
        },
        "Created",
        "Secrets",
        "Next expiry",
    ])
    .style(t.header_row());
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(t.selected())
        .highlight_symbol("▶ ");
    StatefulWidget::render(table, area, buf, &mut state);
}
