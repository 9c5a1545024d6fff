//! Delete a client secret, or Rotate's "Delete the old secret now?": the target named, the
//! warning, Graph's refusal inside, and the safe choice focused first.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{App, Confirm, ConfirmFocus, ConfirmKind};

use super::super::text::{self, wrap};
use super::super::theme::theme;
use super::{button, error_lines, frame};

pub fn render(app: &App, c: &Confirm, area: Rect, buf: &mut Buffer) {
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
    if let Some(e) = &c.submit.error {
        lines.extend(error_lines(e, inner_w));
    }
    lines.push(Line::from(""));
    if c.submit.pending.is_some() {
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
