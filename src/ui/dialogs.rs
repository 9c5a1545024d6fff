//! Dialog views, one file each under `ui/dialogs/` beside its model in `app/dialogs/`: Add a
//! client secret, Reveal once, Delete / Rotate confirmation, New registration, Copy menu, and
//! the help overlay. Each draws over a cleared, bordered box; the helpers here are shared.
//!
//! A dialog never lets tenant text push its controls away: names and descriptions are cleaned
//! and cut with `…` ([`fit_rows`] keeps the buttons, ids and warnings and gives the rest what
//! is left), and every line is cut with `…` rather than silently at the border.

mod add_secret;
mod confirm;
mod copy_menu;
mod federated_detail;
mod finishing;
pub(super) mod help;
mod new_certificate;
mod new_federated;
mod new_registration;
mod recovery;
mod reveal;
mod tenants;
mod upload_certificate;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

use crate::app::{App, Dialog, ErrorInfo, Submit};
use crate::keymap::{Command, Context, key_for};

use super::text::{self, clip_lines, fit_line, wrap};
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
        Dialog::UploadCertificate(d) => upload_certificate::render(app, d, area, buf),
        Dialog::NewCertificate(d) => new_certificate::render(app, d, area, buf),
        Dialog::NewFederated(d) => new_federated::render(app, d, area, buf),
        Dialog::FederatedDetail(d) => federated_detail::render(app, d, area, buf),
        Dialog::TenantPicker(p) => tenants::render(p, app.spinner_frame(), area, buf),
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
    let title = fit_line(
        Line::from(Span::styled(format!(" {title} "), theme().label())),
        usize::from(r.width.saturating_sub(2)),
    );
    let block = Block::bordered().title(title).border_style(border);
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

/// Error lines for a Graph refusal: what, what to do, code and request-id. Graph's message
/// is the tenant's text: cleaned, and at most three lines.
pub(super) fn error_lines(e: &ErrorInfo, width: usize) -> Vec<Line<'static>> {
    let t = theme();
    // Up to six lines: room for Graph's words and, after a lost reply, what exists in the
    // tenant now (a Secret ID must never be the part that is cut); a 10,000-character message
    // from a hostile tenant still cannot push the buttons away.
    let mut out = text::wrapped(
        &format!("Error: {}", text::clean(&e.message)),
        width,
        6,
        t.error(),
    );
    out.extend(
        wrap(&e.advice, width)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, t.label()))),
    );
    if let Some(r) = e.reference() {
        out.extend(text::wrapped(&text::clean(&r), width, 2, t.muted()));
    }
    out
}

/// The lines of a dialog whose inner area has `rows` rows: `keep` (ids, warnings, buttons)
/// always, spacer lines in it dropped first when short of room; `shrink` (the tenant's text)
/// gets the rows left, at least one, its last line ending in `…` when cut. Every line is cut
/// to `width` with `…`.
pub(super) fn fit_rows(
    shrink: Vec<Line<'static>>,
    mut keep: Vec<Line<'static>>,
    rows: usize,
    width: usize,
) -> Vec<Line<'static>> {
    // Short of room even for one line of text: spacers go before any of the dialog's lines.
    let least = shrink.len().min(1);
    while keep.len() + least > rows {
        let Some(at) = keep.iter().rposition(|l| l.width() == 0) else {
            break;
        };
        keep.remove(at);
    }
    let room = rows.saturating_sub(keep.len());
    let mut lines = clip_lines(shrink, room.max(1), width);
    lines.extend(keep);
    text::fit_lines(lines, width)
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
