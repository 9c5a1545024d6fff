//! Dialog views, one file each under `ui/dialogs/` beside its model in `app/dialogs/`: Add a
//! client secret, Reveal once, Delete / Rotate confirmation, New registration, Copy menu, and
//! the help overlay. Each draws over a cleared, bordered box; the helpers here are shared.

mod add_secret;
mod confirm;
mod copy_menu;
mod finishing;
pub(super) mod help;
mod new_registration;
mod recovery;
mod reveal;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

use crate::app::{App, Dialog, ErrorInfo, Submit};
use crate::keymap::{Command, Context, key_for};

use super::text::wrap;
use super::theme::theme;

/// Draw one dialog of the stack.
pub fn render(app: &App, dialog: &Dialog, area: Rect, buf: &mut Buffer) {
    match dialog {
        Dialog::Help(_) => help::render(app, area, buf),
        Dialog::CopyMenu(m) => copy_menu::render(m, area, buf),
        Dialog::AddSecret(f) => add_secret::render(app, f, area, buf),
        Dialog::Reveal(r) => reveal::render(app, r, area, buf),
        Dialog::Confirm(c) => confirm::render(app, c, area, buf),
        Dialog::NewRegistration(f) => new_registration::render(app, f, area, buf),
        Dialog::Finishing(f) => finishing::render(app, f, area, buf),
        Dialog::Recovery(r) => recovery::render(app, r, area, buf),
    }
}

/// A centered box of at most `w`×`h`, cleared and bordered; returns the inner area.
pub(super) fn frame(
    area: Rect,
    w: u16,
    h: u16,
    title: &str,
    border: Style,
    buf: &mut Buffer,
) -> Rect {
    let r = area.centered(
        Constraint::Length(w.min(area.width)),
        Constraint::Length(h.min(area.height)),
    );
    Clear.render(r, buf);
    let block = Block::bordered()
        .title(Span::styled(format!(" {title} "), theme().label()))
        .border_style(border);
    let inner = block.inner(r);
    block.render(r, buf);
    Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    )
}

pub(super) fn button(label: &str, focused: bool) -> Span<'static> {
    if focused {
        Span::styled(format!("▶ {label} ◀"), theme().focused())
    } else {
        Span::styled(format!("[ {label} ]"), theme().button())
    }
}

/// Error lines for a Graph refusal: what, what to do, code and request-id.
pub(super) fn error_lines(e: &ErrorInfo, width: usize) -> Vec<Line<'static>> {
    let t = theme();
    let mut out: Vec<Line> = wrap(&format!("Error: {}", e.message), width)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, t.error())))
        .collect();
    out.extend(
        wrap(&e.advice, width)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, t.label()))),
    );
    if let Some(r) = e.reference() {
        out.extend(
            wrap(&r, width)
                .into_iter()
                .map(|l| Line::from(Span::styled(l, t.muted()))),
        );
    }
    out
}

pub(super) fn marker(focused: bool) -> Span<'static> {
    if focused {
        Span::styled("› ", theme().key())
    } else {
        Span::raw("  ")
    }
}

/// "  (↑/↓ to choose)": the keys that change a form's choice.
pub(super) fn choose_hint(context: Context) -> String {
    format!(
        "  ({}/{} to choose)",
        key_for(context, Command::Up),
        key_for(context, Command::Down)
    )
}

/// A form's inline message and Graph's refusal, under its fields.
pub(super) fn submit_lines(s: &Submit, width: usize) -> Vec<Line<'static>> {
    let mut out: Vec<Line> = Vec::new();
    if let Some(msg) = &s.invalid {
        out.extend(
            wrap(msg, width)
                .into_iter()
                .map(|l| Line::from(Span::styled(l, theme().error()))),
        );
    }
    if let Some(e) = &s.error {
        out.extend(error_lines(e, width));
    }
    out
}
