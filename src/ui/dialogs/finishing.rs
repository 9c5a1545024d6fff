//! "Finishing…": a quit waits for Graph's answer to an add in flight, then for the read-back
//! that settles what exists.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{App, Finishing};
use crate::create::GRACE;
use crate::keymap::{Command, Context, key_for};

use super::super::text::wrap;
use super::super::theme::theme;
use super::frame;

pub fn render(app: &App, f: &Finishing, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let w = 64u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let waited = (app.now - f.since).num_seconds().max(0);
    let mut lines: Vec<Line> = vec![Line::from(Span::styled(
        format!("{} Finishing… ({waited} s)", app.spinner_frame()),
        t.label(),
    ))];
    let text = if f.adding {
        format!(
            "Graph is adding a client secret for this run. azsecrets waits up to {} s for its answer, then reads the app back and deletes a new secret whose value reached nobody, before it quits.",
            GRACE.as_secs()
        )
    } else {
        "Graph has a change of this run in hand; azsecrets quits once it answers, so the summary says what exists.".to_owned()
    };
    lines.extend(wrap(&text, inner_w).into_iter().map(Line::from));
    lines.push(Line::from(""));
    let now = format!(
        "{} again quits at once; the next start then checks what was left.",
        key_for(Context::Finishing, Command::Quit)
    );
    lines.extend(
        wrap(&now, inner_w)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, t.muted()))),
    );
    let h = lines.len() as u16 + 2;
    let inner = frame(area, w, h, "Quitting", t.dialog_border(), buf);
    Paragraph::new(lines).render(inner, buf);
}
