//! Dialog views: Add a client secret, Reveal once, Delete / Rotate confirmation, New
//! registration, Copy menu. Each draws over a cleared, bordered box.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::app::{
    AddFocus, AddSecretForm, App, ConfirmDelete, ConfirmFocus, ConfirmKind, CopyMenu, ErrorInfo,
    ExpiryChoice, NewFocus, NewRegistrationForm, Reveal, RevealMode,
};
use crate::graph::SignInAudience;

use super::text::{self, wrap};
use super::theme::theme;

/// A centered box of at most `w`×`h`, cleared and bordered; returns the inner area.
fn frame(area: Rect, w: u16, h: u16, title: &str, border: Style, buf: &mut Buffer) -> Rect {
    let r = area.centered(
        Constraint::Length(w.min(area.width)),
        Constraint::Length(h.min(area.height)),
    );
    Clear.render(r, buf);
    let block = Block::bordered()
        .title(Span::styled(format!(" {title} "), theme().label()))
        .border_style(border);
    let inner = block.inner(r);
    block.render(r, buf);
    Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    )
}

fn button(label: &str, focused: bool) -> Span<'static> {
    if focused {
        Span::styled(format!("▶ {label} ◀"), theme().focused())
    } else {
        Span::styled(format!("[ {label} ]"), theme().button())
    }
}

/// Error lines for a Graph refusal: what, what to do, code and request-id.
fn error_lines(e: &ErrorInfo, width: usize) -> Vec<Line<'static>> {
    let t = theme();
    let mut out: Vec<Line> = wrap(&format!("Error: {}", e.message), width)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, t.error())))
        .collect();
    out.extend(
        wrap(&e.advice, width)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, t.label()))),
    );
    if let Some(r) = e.reference() {
        out.extend(
            wrap(&r, width)
                .into_iter()
                .map(|l| Line::from(Span::styled(l, t.muted()))),
        );
    }
    out
}

fn marker(focused: bool) -> Span<'static> {
    if focused {
        Span::styled("› ", theme().key())
    } else {
        Span::raw("  ")
    }
}

pub fn add_secret(app: &App, f: &AddSecretForm, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let title = if f.rotating.is_some() {
        format!("Rotate: add the replacement secret — {}", f.app_name)
    } else {
        format!("Add a client secret — {}", f.app_name)
    };
    let w = 76u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let mut lines: Vec<Line> = Vec::new();
    let field_w = inner_w.saturating_sub(16);
    let mut desc = vec![
        marker(f.focus == AddFocus::Description),
        Span::styled("Description  ", t.label()),
    ];
    desc.extend(
        text::field(
            &f.description,
            field_w,
            f.focus == AddFocus::Description,
            "e.g. ci-deploy",
        )
        .spans,
    );
    lines.push(Line::from(desc));
    lines.push(Line::from(vec![
        marker(f.focus == AddFocus::Expires),
        Span::styled("Expires", t.label()),
        Span::styled("  (↑/↓ to choose)", t.muted()),
    ]));
    let choices_at = lines.len();
    for (i, choice) in ExpiryChoice::ALL.iter().enumerate() {
        let on = i == f.choice;
        let style = if on && f.focus == AddFocus::Expires {
            t.focused()
        } else if on {
            t.label()
        } else {
            Style::new()
        };
        lines.push(Line::from(vec![
            Span::raw("   "),
            Span::styled(
                format!("{} {}", if on { "(•)" } else { "( )" }, choice.label()),
                style,
            ),
        ]));
    }
    if f.expiry_choice() == ExpiryChoice::Custom {
        let mut l = vec![marker(f.focus == AddFocus::CustomEnd), Span::raw("End ")];
        l.extend(
            text::field(
                &f.custom_end,
                12,
                f.focus == AddFocus::CustomEnd,
                "YYYY-MM-DD",
            )
            .spans,
        );
        l.push(Span::raw(" "));
        l.push(marker(f.focus == AddFocus::CustomStart));
        l.push(Span::raw("Start "));
        l.extend(
            text::field(
                &f.custom_start,
                12,
                f.focus == AddFocus::CustomStart,
                "today",
            )
            .spans,
        );
        l.push(Span::styled(" (optional)", t.muted()));
        lines.push(Line::from(l));
    }
    match f.dates(app.now) {
        Ok((start, end)) => {
            let mut l = vec![
                Span::styled("  Expires on ", t.muted()),
                Span::styled(end.format("%Y-%m-%d %H:%M:%S UTC").to_string(), t.label()),
                // From the start sent, so "90 days" reads 90, not 89 and some hours.
                Span::styled(format!(" ({})", text::relative(end, start)), t.muted()),
            ];
            if start > app.now {
                l.push(Span::styled(
                    format!(", starts {}", start.format("%Y-%m-%d")),
                    t.muted(),
                ));
            }
            lines.push(Line::from(l));
        }
        Err(_) => lines.push(Line::from(Span::styled(
            "  Expires on: enter a valid end date",
            t.muted(),
        ))),
    }
    if f.expiry_choice() == ExpiryChoice::Never {
        for l in wrap(
            "Warning: the portal no longer offers Never, and tenant policy may refuse it. Secrets that never expire are a standing risk.",
            inner_w,
        ) {
            lines.push(Line::from(Span::styled(l, t.warning())));
        }
    }
    if let Some(msg) = &f.invalid {
        for l in wrap(msg, inner_w) {
            lines.push(Line::from(Span::styled(l, t.error())));
        }
    }
    if let Some(e) = &f.error {
        lines.extend(error_lines(e, inner_w));
    }
    let buttons = if f.pending.is_some() {
        Line::from(Span::styled(
            format!("{} Adding the secret…", app.spinner_frame()),
            t.muted(),
        ))
    } else {
        Line::from(vec![
            Span::raw("            "),
            button("Add", f.focus == AddFocus::Add),
            Span::raw("   "),
            button("Cancel", f.focus == AddFocus::Cancel),
        ])
    };
    lines.push(Line::from(""));
    lines.push(buttons);
    // Short terminals: keep the buttons and messages, show only the chosen expiry.
    if lines.len() + 2 > usize::from(area.height) {
        let chosen = lines.get(choices_at + f.choice).cloned();
        lines.splice(choices_at..choices_at + ExpiryChoice::ALL.len(), chosen);
        if let Some(pos) = lines.iter().rposition(|l| l.width() == 0) {
            lines.remove(pos);
        }
    }
    let h = lines.len() as u16 + 2;
    let inner = frame(area, w, h, &title, t.dialog_border(), buf);
    Paragraph::new(lines).render(inner, buf);
}

pub fn reveal(app: &App, r: &Reveal, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let w = 76u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let mut lines: Vec<Line<'_>> = Vec::new();
    for l in wrap(
        "Copy the value now: it is shown only here, once, and Graph never returns it again.",
        inner_w,
    ) {
        lines.push(Line::from(Span::styled(l, t.warning())));
    }
    lines.push(Line::from(""));
    fn kv<'a>(k: &str, v: Span<'a>) -> Line<'a> {
        Line::from(vec![Span::styled(format!("{k:<13}"), theme().muted()), v])
    }
    lines.push(kv("App", Span::raw(r.app_name.clone())));
    lines.push(kv(
        "Description",
        Span::raw(r.secret.description().unwrap_or_else(|| "(none)".into())),
    ));
    lines.push(kv(
        "Expires",
        Span::raw(text::expires(r.secret.end_date_time, app.now)),
    ));
    lines.push(Line::from(vec![
        Span::styled(format!("{:<13}", "Secret ID"), t.muted()),
        Span::raw(r.secret.key_id.0.clone()),
    ]));
    lines.push(Line::from(Span::styled(
        format!("{:<13}(the Secret ID is not the value)", ""),
        t.muted(),
    )));
    // The only place the value is ever drawn, and only after `v`. Borrowed, not copied into
    // a String: the buffer cells are the only other copy, and they are overwritten on close.
    let value = if r.shown {
        Line::from(vec![
            Span::styled(format!("{:<13}", "Value"), t.muted()),
            Span::styled(r.value.expose(), t.secret()),
            Span::styled("  (v hides)", t.muted()),
        ])
    } else {
        kv(
            "Value",
            Span::styled(
                format!("{}   (press v to show)", r.value.masked()),
                t.label(),
            ),
        )
    };
    lines.push(value);
    lines.push(Line::from(""));
    match &r.mode {
        RevealMode::Normal => {}
        RevealMode::WritePath(input) => {
            let mut l = vec![Span::styled("Write .env to ", t.label())];
            l.extend(text::field(input, inner_w.saturating_sub(14), true, "").spans);
            lines.push(Line::from(l));
        }
        RevealMode::ConfirmClose => {
            for l in wrap(
                "The value was never copied or written. Once closed it can never be shown again: you would have to add a new secret. Close anyway? y closes, n goes back.",
                inner_w,
            ) {
                lines.push(Line::from(Span::styled(l, t.danger())));
            }
        }
    }
    if r.pending.is_some() {
        lines.push(Line::from(Span::styled(
            format!("{} Working…", app.spinner_frame()),
            t.muted(),
        )));
    } else if let Some(s) = &r.status {
        let style = if s.ok { t.ok() } else { t.error() };
        let prefix = if s.ok { "✓ " } else { "Error: " };
        for l in wrap(&format!("{prefix}{}", s.text), inner_w) {
            lines.push(Line::from(Span::styled(l, style)));
        }
    }
    let key = |k: &str, label: &str| {
        vec![
            Span::styled(k.to_owned(), t.key()),
            Span::raw(format!(" {label}  ")),
        ]
    };
    let mut keys = Vec::new();
    // Only in the normal mode; while asking (path, close?) the footer shows the keys.
    let normal = matches!(r.mode, RevealMode::Normal);
    keys.extend(key("v", if r.shown { "hide" } else { "show" }));
    keys.extend(key("c", "copy value"));
    keys.extend(key("e", "copy env block"));
    keys.extend(key("w", "write .env"));
    keys.extend(key("Esc", "close"));
    if normal {
        lines.push(Line::from(keys));
    }
    let h = lines.len() as u16 + 2;
    let inner = frame(
        area,
        w,
        h,
        "Client secret created — copy it now",
        t.dialog_border(),
        buf,
    );
    Paragraph::new(lines).render(inner, buf);
}

pub fn confirm(app: &App, c: &ConfirmDelete, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let w = 72u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let desc = c
        .secret
        .description()
        .unwrap_or_else(|| "(no description)".into());
    let mut lines: Vec<Line> = Vec::new();
    let (title, question, warning, safe, danger) = match c.kind {
        ConfirmKind::Delete => (
            "Delete client secret?",
            format!("Delete the client secret \"{desc}\" from {}?", c.app_name),
            "Apps and pipelines using this secret will stop signing in. This cannot be undone.",
            "Cancel",
            "Delete",
        ),
        ConfirmKind::RotateOld => (
            "Delete the old secret now?",
            format!(
                "The new secret is in place. Delete the old secret \"{desc}\" from {} now?",
                c.app_name
            ),
            "Anything still using the old secret will stop signing in. Keep both until every consumer has the new value.",
            "Keep both",
            "Delete old",
        ),
    };
    for l in wrap(&question, inner_w) {
        lines.push(Line::from(Span::styled(l, t.label())));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled(format!("{:<11}", "Secret ID"), t.muted()),
        Span::raw(c.secret.key_id.0.clone()),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("{:<11}", "Value"), t.muted()),
        Span::raw(c.secret.masked_value()),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("{:<11}", "Expires"), t.muted()),
        Span::raw(text::expires(c.secret.end_date_time, app.now)),
    ]));
    lines.push(Line::from(""));
    for l in wrap(warning, inner_w) {
        lines.push(Line::from(Span::styled(l, t.danger())));
    }
    if let Some(e) = &c.error {
        lines.extend(error_lines(e, inner_w));
    }
    lines.push(Line::from(""));
    if c.pending.is_some() {
        lines.push(Line::from(Span::styled(
            format!("{} Deleting…", app.spinner_frame()),
            t.muted(),
        )));
    } else {
        lines.push(Line::from(vec![
            Span::raw("          "),
            button(safe, c.focus == ConfirmFocus::Safe),
            Span::raw("   "),
            button(danger, c.focus == ConfirmFocus::Delete),
        ]));
    }
    let h = lines.len() as u16 + 2;
    let inner = frame(area, w, h, title, t.danger_border(), buf);
    Paragraph::new(lines).render(inner, buf);
}

pub fn new_registration(app: &App, f: &NewRegistrationForm, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let w = 78u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let mut lines: Vec<Line> = Vec::new();
    let mut name = vec![
        marker(f.focus == NewFocus::Name),
        Span::styled("Name          ", t.label()),
    ];
    name.extend(
        text::field(
            &f.name,
            inner_w.saturating_sub(17),
            f.focus == NewFocus::Name,
            "required, up to 120 characters",
        )
        .spans,
    );
    lines.push(Line::from(name));
    lines.push(Line::from(vec![
        marker(f.focus == NewFocus::Audience),
        Span::styled("Supported account types", t.label()),
        Span::styled("  (↑/↓ to choose)", t.muted()),
    ]));
    for (i, a) in SignInAudience::ALL.iter().enumerate() {
        let on = i == f.audience;
        let style = if on && f.focus == NewFocus::Audience {
            t.focused()
        } else if on {
            t.label()
        } else {
            Style::new()
        };
        let mark = if on { "(•)" } else { "( )" };
        let text = a.explain();
        // Narrow terminals: the "(max 2 secrets)" part goes on its own line.
        match text.split_once(" (") {
            Some((head, tail)) if text.chars().count() + 7 > inner_w => {
                lines.push(Line::from(vec![
                    Span::raw("   "),
                    Span::styled(format!("{mark} {head}"), style),
                ]));
                lines.push(Line::from(Span::raw(format!("       ({tail}"))));
            }
            _ => lines.push(Line::from(vec![
                Span::raw("   "),
                Span::styled(format!("{mark} {text}"), style),
            ])),
        }
    }
    let mut redirect = vec![
        marker(f.focus == NewFocus::Redirect),
        Span::styled("Redirect URI  ", t.label()),
    ];
    redirect.extend(
        text::field(
            &f.redirect,
            inner_w.saturating_sub(17),
            f.focus == NewFocus::Redirect,
            "optional, e.g. https://localhost:5001/signin-oidc",
        )
        .spans,
    );
    lines.push(Line::from(redirect));
    if let Some(msg) = &f.invalid {
        for l in wrap(msg, inner_w) {
            lines.push(Line::from(Span::styled(l, t.error())));
        }
    }
    if let Some(e) = &f.error {
        lines.extend(error_lines(e, inner_w));
    }
    lines.push(Line::from(""));
    if f.pending.is_some() {
        lines.push(Line::from(Span::styled(
            format!("{} Registering…", app.spinner_frame()),
            t.muted(),
        )));
    } else {
        lines.push(Line::from(vec![
            Span::raw("            "),
            button("Register", f.focus == NewFocus::Register),
            Span::raw("   "),
            button("Cancel", f.focus == NewFocus::Cancel),
        ]));
    }
    let h = lines.len() as u16 + 2;
    let inner = frame(area, w, h, "New registration", t.dialog_border(), buf);
    Paragraph::new(lines).render(inner, buf);
}

pub fn copy_menu(m: &CopyMenu, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let mut lines = Vec::new();
    for (i, item) in m.items.iter().enumerate() {
        let value = item
            .value
            .clone()
            .unwrap_or_else(|| "(not available)".into());
        let style = if i == m.selected {
            t.selected()
        } else {
            Style::new()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", i + 1), t.key()),
            Span::styled(format!("{:<24}", item.label), style),
            Span::styled(value, t.muted()),
        ]));
        if !item.note.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("  {:<24}{}", "", item.note),
                t.warning(),
            )));
        }
    }
    let h = lines.len() as u16 + 2;
    let inner = frame(area, 72, h, "Copy to clipboard", t.dialog_border(), buf);
    Paragraph::new(lines).render(inner, buf);
}
