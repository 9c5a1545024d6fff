//! Toasts: results and errors, stacked at the bottom right above the footer.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::app::{App, ToastLevel};

use super::text::{self, wrap};
use super::theme::theme;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let w = 60u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(2));
    let mut bottom = area.bottom();
    for toast in app.toasts.iter().rev() {
        let (prefix, style, border) = match toast.level {
            ToastLevel::Info => ("✓ ", t.ok(), t.border()),
            ToastLevel::Note => ("", t.muted(), t.border()),
            ToastLevel::Warning => ("Warning: ", t.warning(), t.border()),
            ToastLevel::Error => ("Error: ", t.error(), t.danger_border()),
        };
        // Toasts quote names and Graph's words: cleaned (our own line breaks wrap as spaces).
        let said = crate::sanitize::clean_lines(&toast.text);
        let mut lines: Vec<Line> = wrap(&format!("{prefix}{said}"), inner_w)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, style)))
            .collect();
        if let Some(r) = &toast.reference {
            lines.extend(
                wrap(&text::clean(r), inner_w)
                    .into_iter()
                    .map(|l| Line::from(Span::styled(l, t.muted()))),
            );
        }
        let lines = text::clip_lines(lines, 5, inner_w);
        let h = lines.len() as u16 + 2;
        if bottom < area.y + h {
            break;
        }
        let r = Rect::new(area.right().saturating_sub(w), bottom - h, w, h);
        Clear.render(r, buf);
        let block = Block::bordered().border_style(border);
        let inner = block.inner(r);
        block.render(r, buf);
        Paragraph::new(lines).render(inner, buf);
        bottom -= h;
    }
}
