//! The footer: the keys that work here, from the key map; disabled ones dimmed.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::App;
use crate::keymap;

use super::theme::theme;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let mut spans = vec![Span::raw(" ")];
    let mut seen = Vec::new();
    for b in keymap::bindings_for(app.context()).filter(|b| b.footer) {
        if seen.contains(&b.command) {
            continue;
        }
        seen.push(b.command);
        let disabled = app.disabled_reason(b.command).is_some();
        let (ks, ls) = if disabled {
            (t.disabled(), t.disabled())
        } else {
            (t.key(), t.muted())
        };
        spans.push(Span::styled(b.shown, ks));
        spans.push(Span::styled(format!(" {}  ", b.label), ls));
    }
    if app.settings.read_only {
        spans.push(Span::styled("(dimmed: read-only)", t.disabled()));
    }
    Paragraph::new(super::text::fit_line(
        Line::from(spans),
        usize::from(area.width),
    ))
    .render(area, buf);
}
