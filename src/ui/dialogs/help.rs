//! The `?` overlay: every binding of the context below it, from the live key map.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::app::App;
use crate::keymap::{self, Command, Context, key_for, keys_said};

use super::super::text;
use super::super::theme::theme;
use super::fit_rows;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let mut lines = Vec::new();
    let ctx = app.help_context();
    for b in keymap::bindings_for(ctx) {
        let reason = app.disabled_reason(b.command);
        let (ks, ls) = if reason.is_some() {
            (t.disabled(), t.disabled())
        } else {
            (t.key(), ratatui::style::Style::new())
        };
        let mut l = vec![
            Span::styled(format!("{:>8}  ", b.shown), ks),
            Span::styled(b.label.to_owned(), ls),
        ];
        if let Some(r) = reason {
            l.push(Span::styled(format!("  (disabled: {r})"), t.disabled()));
        }
        lines.push(Line::from(l));
    }
    let note = text::wrapped(
        &format!(
            "{} closes dialogs and goes back; it never quits. {} quits anywhere.",
            key_for(Context::App, Command::Back),
            key_for(Context::Global, Command::Quit)
        ),
        usize::from(76.min(area.width).saturating_sub(2)),
        2,
        t.muted(),
    );
    let mut keep = vec![Line::from("")];
    keep.extend(note);
    let inner_w = usize::from(76.min(area.width).saturating_sub(2));
    // Short screens: the bindings are cut with `…`, the closing note stays.
    let lines = fit_rows(
        lines,
        keep,
        usize::from(area.height.saturating_sub(2)),
        inner_w,
    );
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = area.centered(
        Constraint::Length(76.min(area.width)),
        Constraint::Length(h),
    );
    Clear.render(r, buf);
    let block = Block::bordered()
        .title(Span::styled(" Keys ", t.label()))
        .title_bottom(Span::styled(
            format!(" {} closes ", keys_said(Context::Help, Command::Back)),
            t.muted(),
        ))
        .border_style(t.dialog_border());
    let inner = block.inner(r);
    block.render(r, buf);
    Paragraph::new(lines).render(inner, buf);
}
