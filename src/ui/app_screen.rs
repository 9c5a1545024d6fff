//! The App screen: the registration's ids and its three credential tabs.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, StatefulWidget, Table, Widget, Wrap};

use crate::app::{App, AppScreen, DetailTab, Loadable};
use crate::expiry;
use crate::graph::{AppRegistration, SignInAudience};
use crate::keymap::{Command, Context, key_for};

use super::apps::{title_bar, window};
use super::text;
use super::theme::theme;

/// "Sandra Box <sandra@…>, Integration Team Lead <…> (+1 more)", or how the read stands.
fn owners(app: &App, d: &AppScreen) -> String {
    match &d.owners {
        Loadable::Loaded(v) | Loadable::Loading { stale: Some(v), .. } => {
            if v.is_empty() {
                return "none (only administrators can change this app)".into();
            }
            let shown: Vec<String> = v.iter().take(2).map(|o| text::clean(&o.label())).collect();
            let mut s = shown.join(", ");
            if v.len() > 2 {
                s.push_str(&format!(" (+{} more)", v.len() - 2));
            }
            s
        }
        Loadable::Failed { error, .. } => format!("could not be read ({})", error.advice),
        _ => format!("{} reading…", app.spinner_frame()),
    }
}

fn audience(a: &AppRegistration) -> String {
    let raw = a.sign_in_audience.as_deref().unwrap_or("");
    SignInAudience::ALL
        .iter()
        .find(|s| s.as_str() == raw)
        .map_or_else(|| raw.to_owned(), |s| format!("{} ({raw})", s.explain()))
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let Some(d) = app.detail.as_ref() else {
        return;
    };
    let width = usize::from(area.width);
    let Some(reg) = d.registration() else {
        let [title, info] = area.layout(&Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(5),
        ]));
        title_bar(app, "App registrations › …", title, buf);
        let msg = match &d.app {
            Loadable::Failed { error, .. } => {
                format!("Error: {} {}", text::clean(&error.message), error.advice)
            }
            _ => format!("{} Loading the application…", app.spinner_frame()),
        };
        Paragraph::new(msg)
            .wrap(Wrap { trim: true })
            .render(info, buf);
        return;
    };
    let name = crate::sanitize::name(Some(&reg.display_name));
    let tenant = app
        .tenant_id()
        .map_or_else(|| "(loading…)".to_owned(), |id| id.0.clone());
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!(" {k:<25}"), t.muted()),
            Span::raw(v),
        ])
    };
    // Ids are never cut: when one does not fit beside its label it goes on the line below.
    let id = |k: &str, v: &str| {
        text::label_and_id(
            Span::styled(format!(" {k:<25}"), t.muted()),
            v,
            width,
            ratatui::style::Style::new(),
        )
    };
    let mut lines = vec![kv("Display name", name.to_string())];
    lines.extend(id("Application (client) ID", reg.app_id.as_str()));
    lines.extend(id("Object ID", reg.id.as_str()));
    lines.extend(id("Directory (tenant) ID", &tenant));
    lines.push(kv("Supported account types", text::clean(&audience(reg))));
    lines.push(kv("Owners", owners(app, d)));
    if let (Some(e), Some(first)) = (d.app.error(), lines.first_mut()) {
        first.spans.push(Span::styled(
            format!("   refresh failed: {}", e.advice),
            t.error(),
        ));
    }
    let [title, info, tabs, body] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(lines.len() as u16),
        Constraint::Length(1),
        Constraint::Fill(1),
    ]));
    title_bar(app, &format!("App registrations › {name}"), title, buf);
    Paragraph::new(text::fit_lines(lines, width)).render(info, buf);

    let counts = [
        reg.key_credentials.len(),
        reg.password_credentials.len(),
        d.federated.value().map_or(0, Vec::len),
    ];
    let mut spans = vec![Span::raw(" ")];
    for (i, tab) in DetailTab::ALL.iter().enumerate() {
        let n = if *tab == DetailTab::Federated && d.federated.value().is_none() {
            "…".to_owned()
        } else {
            counts[i].to_string()
        };
        let label = format!("{} ({n})", tab.title());
        spans.push(if d.tab == *tab {
            Span::styled(format!("[{label}]"), t.tab_active())
        } else {
            Span::styled(format!(" {label} "), t.muted())
        });
        spans.push(Span::raw(" "));
    }
    Paragraph::new(text::fit_line(Line::from(spans), width)).render(tabs, buf);

    match d.tab {
        DetailTab::ClientSecrets => secrets(app, d, body, buf),
        DetailTab::Certificates => certificates(app, d, reg, body, buf),
        DetailTab::Federated => federated(app, d, body, buf),
    }
}

fn empty(area: Rect, buf: &mut Buffer, text: &str) {
    let r = Rect::new(
        area.x + 2,
        area.y + 1,
        area.width.saturating_sub(4),
        area.height.saturating_sub(1),
    );
    Paragraph::new(Span::styled(text.to_owned(), theme().muted()))
        .wrap(Wrap { trim: true })
        .render(r, buf);
}

/// Cells a description keeps before ids give way.
const NAME_FLOOR: u16 = 16;

/// Columns of a credential table: header names and widths.
struct Columns {
    header: Vec<&'static str>,
    widths: Vec<Constraint>,
}

fn draw_table(
    d: &AppScreen,
    area: Rect,
    buf: &mut Buffer,
    Columns { header, widths }: Columns,
    len: usize,
    row: &dyn Fn(usize) -> Option<Row<'static>>,
) {
    let t = theme();
    let h = usize::from(area.height.saturating_sub(1));
    let sel = d.selected_index().min(len.saturating_sub(1));
    let (offset, mut state) = window(d.offset, sel, h, len);
    let rows: Vec<Row> = (offset..len.min(offset + h)).filter_map(row).collect();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.header_row()))
        .column_spacing(1)
        .row_highlight_style(t.selected())
        .highlight_symbol("▶ ");
    StatefulWidget::render(table, area, buf, &mut state);
}

fn secrets(app: &App, d: &AppScreen, area: Rect, buf: &mut Buffer) {
    let list = d.secrets();
    if list.is_empty() {
        let hint = if app.settings.read_only {
            "No client secrets.".to_owned()
        } else {
            format!(
                "No client secrets. Press {} to add one.",
                key_for(Context::AppSecrets, Command::NewSecret)
            )
        };
        return empty(area, buf, &hint);
    }
    let wide = area.width >= 120;
    // The whole Secret ID where there is room for it beside "in 12 days"; its start
    // (unique enough to tell secrets apart; `y` copies it whole) where there is not.
    let id_w: u16 = match area.width {
        130.. => 36,
        100.. => 13,
        _ => 9,
    };
    // Descriptions win: the long expiry words go compact before a description gets fewer
    // than 24 cells; on a narrow screen the value's hint, the status column, then the
    // expiry's words go before it gets fewer than 12.
    let mut expiry_w: u16 = 32;
    let mut status_w: u16 = if wide { 20 } else { 18 };
    let mut value_w: u16 = 8;
    let used = |e: u16, v: u16, st: u16| {
        2 + e + v + id_w + st + [e, v, id_w, st].iter().filter(|w| **w > 0).count() as u16
    };
    for step in 0..4 {
        let floor = if step == 0 { 24 } else { 12 };
        if area.width >= used(expiry_w, value_w, status_w) + floor {
            break;
        }
        match step {
            0 => expiry_w = 26,
            1 => value_w = 0,
            2 => status_w = 0,
            _ => expiry_w = 10,
        }
    }
    let mut header = vec!["Description", "Expires"];
    let mut widths = vec![Constraint::Fill(1), Constraint::Length(expiry_w)];
    if value_w > 0 {
        header.push("Value");
        widths.push(Constraint::Length(value_w));
    }
    header.push("Secret ID");
    widths.push(Constraint::Length(id_w));
    if status_w > 0 {
        header.push("Status");
        widths.push(Constraint::Length(status_w));
    }
    let cols = text::column_widths(area.width, 2, &widths, 1);
    let desc_w = cols.first().copied().unwrap_or(0);
    let now = app.now;
    let row = |i: usize| -> Option<Row<'static>> {
        let s = list.get(i)?;
        let status = match s.end_date_time {
            Some(end) => {
                let band = expiry::Status::of(end, now);
                let mut spans = vec![Span::styled(band.label(), theme().status(band))];
                if expiry::is_long_lived(s.start_date_time, end) {
                    spans.push(Span::styled(" long-lived", theme().warning()));
                }
                Line::from(spans)
            }
            None => Line::from("—"),
        };
        let mut cells = vec![
            Line::from(text::cell(
                s.description().as_deref().unwrap_or("(no description)"),
                desc_w,
            )),
            Line::from(match expiry_w {
                32 => text::expires(s.end_date_time, now),
                26 => text::expires_compact(s.end_date_time, now),
                _ => text::date(s.end_date_time),
            }),
        ];
        if value_w > 0 {
            cells.push(Line::from(text::cell(&s.masked_value(), 8)));
        }
        cells.push(Line::from(text::short(
            s.key_id.as_str(),
            usize::from(id_w),
        )));
        if status_w > 0 {
            cells.push(status);
        }
        Some(Row::new(cells))
    };
    draw_table(d, area, buf, Columns { header, widths }, list.len(), &row);
}

fn certificates(app: &App, d: &AppScreen, _reg: &AppRegistration, area: Rect, buf: &mut Buffer) {
    let certs = d.certificates();
    if certs.is_empty() {
        let hint = if app.settings.read_only {
            "No certificates.".to_owned()
        } else {
            format!(
                "No certificates. Press {} to upload one, or {} to make a self-signed one.",
                key_for(Context::AppCertificates, Command::UploadCertificate),
                key_for(Context::AppCertificates, Command::NewCertificate)
            )
        };
        return empty(area, buf, &hint);
    }
    // The description is what a person reads: ids give way first (the thumbprint to 13
    // cells, the start date, the id to 9, the thumbprint to 9), so "CN=billing-api.contoso…"
    // keeps at least 32 cells where it can.
    let mut thumb_w: u16 = 40;
    let mut id_w: u16 = 36;
    let mut start_w: u16 = 10;
    let used = |t: u16, i: u16, st: u16| 2 + 20 + t + i + st + 3 + u16::from(st > 0);
    for step in 0..4 {
        if area.width >= used(thumb_w, id_w, start_w) + 32 {
            break;
        }
        match step {
            0 => thumb_w = 13,
            1 => start_w = 0,
            2 => id_w = 9,
            _ => thumb_w = 9,
        }
    }
    let mut header = vec!["Description", "Expires"];
    let mut widths = vec![Constraint::Fill(1), Constraint::Length(20)];
    if start_w > 0 {
        header.push("Start");
        widths.push(Constraint::Length(start_w));
    }
    header.push("Thumbprint");
    widths.push(Constraint::Length(thumb_w));
    header.push(if id_w >= 14 {
        "Certificate ID"
    } else {
        "Cert ID"
    });
    widths.push(Constraint::Length(id_w));
    let desc_w = text::column_widths(area.width, 2, &widths, 1)
        .first()
        .copied()
        .unwrap_or(0)
        .max(usize::from(NAME_FLOOR).min(usize::from(area.width)));
    let now = app.now;
    let row = |i: usize| -> Option<Row<'static>> {
        let c = certs.get(i)?;
        let mut cells = vec![
            Line::from(text::cell(
                c.display_name.as_deref().unwrap_or("(no description)"),
                desc_w,
            )),
            Line::from(vec![
                Span::raw(format!("{} ", text::date(c.end_date_time))),
                text::status_span(c.end_date_time, now),
            ]),
        ];
        if start_w > 0 {
            cells.push(Line::from(text::date(c.start_date_time)));
        }
        cells.push(Line::from(text::short(
            c.custom_key_identifier.as_deref().unwrap_or("—"),
            usize::from(thumb_w),
        )));
        cells.push(Line::from(text::short(
            c.key_id.as_str(),
            usize::from(id_w),
        )));
        Some(Row::new(cells))
    };
    draw_table(d, area, buf, Columns { header, widths }, certs.len(), &row);
}

fn federated(app: &App, d: &AppScreen, area: Rect, buf: &mut Buffer) {
    let creds = match &d.federated {
        Loadable::Loaded(v) => v,
        Loadable::Loading { stale: Some(v), .. } => v,
        Loadable::Failed { error, .. } => {
            let mut s = format!("Error: {} {}", text::clean(&error.message), error.advice);
            if let Some(r) = error.reference() {
                s.push_str(&format!(" ({})", text::clean(&r)));
            }
            return empty(area, buf, &s);
        }
        _ => {
            return empty(
                area,
                buf,
                &format!("{} Loading federated credentials…", app.spinner_frame()),
            );
        }
    };
    if creds.is_empty() {
        let hint = if app.settings.read_only {
            "No federated credentials.".to_owned()
        } else {
            format!(
                "No federated credentials. Press {} to add one (GitHub Actions, Kubernetes, any issuer).",
                key_for(Context::AppFederated, Command::NewFederated)
            )
        };
        return empty(area, buf, &hint);
    }
    // The subject tells credentials apart (often only at its end): it gets the most room and
    // is cut in the middle; the issuer drops its scheme; the token-exchange audience reads
    // "default". `Enter` shows everything whole.
    let widths = vec![
        Constraint::Percentage(22),
        Constraint::Percentage(43),
        Constraint::Percentage(25),
        Constraint::Percentage(10),
    ];
    let cols = text::column_widths(area.width, 2, &widths, 1);
    let w = |i: usize| cols.get(i).copied().unwrap_or(0);
    let row = |i: usize| -> Option<Row<'static>> {
        let c = creds.get(i)?;
        let audiences: Vec<&str> = c
            .audiences
            .iter()
            .map(|a| crate::federated::audience_label(a))
            .collect();
        Some(Row::new(vec![
            text::name_cell(&c.name, w(0)),
            text::middle_cell(&c.subject, w(1)),
            text::cell(c.issuer.strip_prefix("https://").unwrap_or(&c.issuer), w(2)),
            text::cell(&audiences.join(", "), w(3)),
        ]))
    };
    draw_table(
        d,
        area,
        buf,
        Columns {
            header: vec!["Name", "Subject", "Issuer", "Audience"],
            widths,
        },
        creds.len(),
        &row,
    );
}
