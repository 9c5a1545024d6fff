//! Reveal once: the new secret's details, the value (masked until shown), what the dialog is
//! asking, the hand-off status, and its keys.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{App, Reveal, RevealMode};
use crate::keymap::{Command, Context, key_for};

use super::super::text::{self, wrap};
use super::super::theme::theme;
use super::frame;

pub fn render(app: &App, r: &Reveal, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let keys_of = |c: Command| key_for(Context::Reveal, c);
    let show = keys_of(Command::ToggleReveal);
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
    lines.push(kv(
        "App",
        Span::raw(text::cell(&r.app_name, inner_w.saturating_sub(13))),
    ));
    lines.push(kv(
        "Description",
        Span::raw(text::cell(
            r.secret.description().as_deref().unwrap_or("(none)"),
            inner_w.saturating_sub(13),
        )),
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
            Span::styled(format!("  ({show} hides)"), t.muted()),
        ])
    } else {
        kv(
            "Value",
            Span::styled(
                format!("{}   (press {show} to show)", r.value.masked()),
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
            let ask = |c: Command| key_for(Context::RevealConfirmClose, c);
            let text = format!(
                "The value was never copied or written. Once closed it can never be shown again: you would have to add a new secret. Close anyway? {} closes, {} goes back.",
                ask(Command::ConfirmYes),
                ask(Command::Back)
            );
            for l in wrap(&text, inner_w) {
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
    keys.extend(key(show, if r.shown { "hide" } else { "show" }));
    keys.extend(key(keys_of(Command::CopyValue), "copy value"));
    keys.extend(key(keys_of(Command::CopyEnvBlock), "copy env block"));
    keys.extend(key(keys_of(Command::WriteEnvFile), "write .env"));
    keys.extend(key(keys_of(Command::Back), "close"));
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
