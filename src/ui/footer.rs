//! The footer: the keys that work here, from the key map; disabled ones dimmed. When they do
//! not all fit, whole bindings are left out (never half a word) and `…` says so; the quit key
//! and the help key, which lists them all, stay.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::App;
use crate::keymap::{self, Command};

use super::text;
use super::theme::theme;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme();
    // One (key, label) pair of spans per binding, in the key map's order.
    let mut items: Vec<(Command, [Span<'static>; 2])> = Vec::new();
    for b in keymap::bindings_for(app.context()).filter(|b| b.footer) {
        if items.iter().any(|(c, _)| *c == b.command) {
            continue;
        }
        let disabled = app.disabled_reason(b.command).is_some();
        let (ks, ls) = if disabled {
            (t.disabled(), t.disabled())
        } else {
            (t.key(), t.muted())
        };
        items.push((
            b.command,
            [
                Span::styled(b.shown, ks),
                Span::styled(format!(" {}  ", b.label), ls),
            ],
        ));
    }
    let read_only = app
        .settings
        .read_only
        .then(|| Span::styled("(dimmed: read-only)", t.disabled()));
    let width = usize::from(area.width);
    let item_w = |i: &[Span<'static>; 2]| i[0].width() + i[1].width();
    let all: usize = 1 + items.iter().map(|(_, i)| item_w(i)).sum::<usize>();
    let mut spans = vec![Span::raw(" ")];
    if all <= width {
        spans.extend(items.into_iter().flat_map(|(_, i)| i));
        // The title bar also says read-only: this note goes first when room is short.
        if all + read_only.as_ref().map_or(0, Span::width) <= width {
            spans.extend(read_only);
        }
    } else {
        // Keep the quit and help bindings at the end, fill from the start, mark what was
        // left out.
        let mut tail: Vec<[Span<'static>; 2]> = Vec::new();
        for c in [Command::Quit, Command::Help] {
            if let Some(at) = items.iter().position(|(x, _)| *x == c) {
                tail.push(items.remove(at).1);
            }
        }
        let mark = Span::styled("…  ", t.muted());
        let reserve = 1 + mark.width() + tail.iter().map(item_w).sum::<usize>();
        let mut used = reserve;
        for (_, item) in items {
            let w = item_w(&item);
            if used + w > width {
                break;
            }
            used += w;
            spans.extend(item);
        }
        spans.push(mark);
        spans.extend(tail.into_iter().flatten());
    }
    Paragraph::new(text::fit_line(Line::from(spans), width)).render(area, buf);
}
