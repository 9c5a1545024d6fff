//! The copy menu: each id with its number key and label; the Secret ID is flagged as not the
//! value. Ids are never cut: on a narrow screen an id goes on the line below its label.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::CopyMenu;

use super::super::text;
use super::super::theme::theme;
use super::frame;

pub fn render(m: &CopyMenu, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let inner_w = usize::from(72u16.min(area.width).saturating_sub(4));
    let mut lines = Vec::new();
    for (i, item) in m.items.iter().enumerate() {
        let value = item.value.as_deref().unwrap_or("(not available)");
        let style = if i == m.selected {
            t.selected()
        } else {
            Style::new()
        };
        let mut label = text::label_and_id(
            Span::styled(format!("{:<24}", item.kind.label()), style),
            value,
            inner_w.saturating_sub(2),
            t.muted(),
        );
        for (n, l) in label.iter_mut().enumerate() {
            let key = if n == 0 {
                format!("{} ", i + 1)
            } else {
                "  ".to_owned()
            };
            l.spans.insert(0, Span::styled(key, t.key()));
        }
        lines.extend(label);
        let note = item.kind.note();
        if !note.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("  {:<24}{note}", ""),
                t.warning(),
            )));
        }
    }
    let lines = text::fit_lines(lines, inner_w);
    let h = lines.len() as u16 + 2;
    let inner = frame(area, 72, h, "Copy to clipboard", t.dialog_border(), buf);
    Paragraph::new(lines).render(inner, buf);
}
