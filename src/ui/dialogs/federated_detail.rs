//! One federated credential, whole: every field wrapped, never cut.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{App, FederatedDetail};
use crate::keymap::{Command, Context, key_for};

use super::super::text::{self, wrap};
use super::super::theme::theme;
use super::frame;

pub fn render(_app: &App, d: &FederatedDetail, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let c = &d.credential;
    let w = 100u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut field = |k: &str, v: &str| {
        lines.push(Line::from(Span::styled(k.to_owned(), t.muted())));
        for l in wrap(&text::clean(v), inner_w.saturating_sub(2)) {
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(l, Style::new()),
            ]));
        }
    };
    field("Name", &c.name);
    field("Issuer", &c.issuer);
    field(
        "Subject",
        if c.subject.is_empty() {
            "(none: a claims-matching expression)"
        } else {
            &c.subject
        },
    );
    field("Audience", &c.audiences.join(", "));
    field("Description", c.description.as_deref().unwrap_or("(none)"));
    field("Id", &c.id);
    let rows = usize::from(area.height.saturating_sub(3));
    let total = lines.len();
    let top = d.scroll.min(total.saturating_sub(rows));
    let mut shown: Vec<Line<'static>> = lines.into_iter().skip(top).take(rows).collect();
    let more = total > rows;
    shown.push(Line::from(Span::styled(
        if more {
            format!(
                "{}/{} to scroll · {} closes",
                key_for(Context::FederatedDetail, Command::Up),
                key_for(Context::FederatedDetail, Command::Down),
                key_for(Context::FederatedDetail, Command::Back)
            )
        } else {
            format!(
                "{} closes",
                key_for(Context::FederatedDetail, Command::Back)
            )
        },
        t.muted(),
    )));
    let shown = text::fit_lines(shown, inner_w);
    let h = shown.len() as u16 + 2;
    let title = format!("Federated credential — {}", text::clean(&d.app_name));
    let inner = frame(area, w, h, &title, t.dialog_border(), buf);
    Paragraph::new(shown).render(inner, buf);
}
