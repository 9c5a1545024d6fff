//! Secrets an interrupted run left behind: one at a time, named by app, description, creation
//! time and Secret ID, with Delete focused first.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{App, Recovery, RecoveryFocus};
use crate::keymap::{Command, Context, keys_said};

use super::super::text::wrap;
use super::super::theme::theme;
use super::{button, error_lines, frame};

pub fn render(app: &App, r: &Recovery, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let Some(o) = r.current() else {
        return;
    };
    let w = 76u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let styled = |text: &str, style| -> Vec<Line<'static>> {
        wrap(text, inner_w)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, style)))
            .collect()
    };
    let mut lines: Vec<Line> = styled(
        "An earlier run of azsecrets was interrupted after it created this client secret, before its value reached anyone. Nobody holds it; anything with the secret's value could sign in as the app.",
        t.warning(),
    );
    lines.push(Line::from(""));
    let kv = |k: &str, v: String| -> Vec<Line<'static>> {
        wrap(&v, inner_w.saturating_sub(13).max(1))
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let head = if i == 0 { k } else { "" };
                Line::from(vec![
                    Span::styled(format!("{head:<13}"), t.muted()),
                    Span::raw(l),
                ])
            })
            .collect()
    };
    lines.extend(kv("App", format!("{} ({})", o.app.name, o.app.app_id)));
    lines.extend(kv(
        "Description",
        o.description
            .clone()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "(none)".into()),
    ));
    lines.extend(kv(
        "Created",
        o.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    ));
    lines.extend(kv("Secret ID", o.secret_id.to_string()));
    lines.extend(kv(
        "Value",
        format!("{}*****", o.hint.as_deref().unwrap_or("")),
    ));
    lines.push(Line::from(""));
    let ask = |c: Command| keys_said(Context::Recovery, c);
    lines.extend(styled(
        &format!(
            "Delete it ({}), or keep it ({}) if someone holds its value after all. {} decides later: the next start asks again.",
            ask(Command::DeleteSecret),
            ask(Command::KeepSecret),
            ask(Command::Back)
        ),
        t.label(),
    ));
    if let Some(e) = &r.submit.error {
        lines.extend(error_lines(e, inner_w));
    }
    if r.submit.pending.is_some() {
        lines.push(Line::from(Span::styled(
            format!("{} Working…", app.spinner_frame()),
            t.muted(),
        )));
    } else {
        lines.push(Line::from(vec![
            button("Delete it", r.focus == RecoveryFocus::Delete),
            Span::raw("  "),
            button("Keep it", r.focus == RecoveryFocus::Keep),
        ]));
    }
    let title = if r.total > 1 {
        format!(
            "Left behind by an interrupted run ({} of {})",
            r.position(),
            r.total
        )
    } else {
        "Left behind by an interrupted run".to_owned()
    };
    let h = lines.len() as u16 + 2;
    let inner = frame(area, w, h, &title, t.danger_border(), buf);
    Paragraph::new(lines).render(inner, buf);
}
