//! The copy menu: each id with its number key and label; the Secret ID is flagged as not the
//! value.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::CopyMenu;

use super::super::theme::theme;
use super::frame;

pub fn render(m: &CopyMenu, area: Rect, buf: &mut Buffer) {
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
            Span::styled(format!("{:<24}", item.kind.label()), style),
            Span::styled(value, t.muted()),
        ]));
        let note = item.kind.note();
        if !note.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("  {:<24}{note}", ""),
                t.warning(),
            )));
        }
    }
    let h = lines.len() as u16 + 2;
    let inner = frame(area, 72, h, "Copy to clipboard", t.dialog_border(), buf);
    Paragraph::new(lines).render(inner, buf);
}
