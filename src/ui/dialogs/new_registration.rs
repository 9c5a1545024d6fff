//! New registration: name, supported account types, redirect URI, and the buttons.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{App, NewFocus, NewRegistration};
use crate::graph::SignInAudience;
use crate::keymap::Context;

use super::super::text;
use super::super::theme::theme;
use super::{button, choose_hint, frame, marker, submit_lines};

pub fn render(app: &App, f: &NewRegistration, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let w = 78u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let mut lines: Vec<Line> = Vec::new();
    let mut name = vec![
        marker(f.focus == NewFocus::Name),
        Span::styled("Name          ", t.label()),
    ];
    name.extend(
        text::field(
            &f.name,
            inner_w.saturating_sub(17),
            f.focus == NewFocus::Name,
            "required, up to 120 characters",
        )
        .spans,
    );
    lines.push(Line::from(name));
    lines.push(Line::from(vec![
        marker(f.focus == NewFocus::Audience),
        Span::styled("Supported account types", t.label()),
        Span::styled(choose_hint(Context::NewRegistration), t.muted()),
    ]));
    for (i, a) in SignInAudience::ALL.iter().enumerate() {
        let on = i == f.audience;
        let style = if on && f.focus == NewFocus::Audience {
            t.focused()
        } else if on {
            t.label()
        } else {
            Style::new()
        };
        let mark = if on { "(•)" } else { "( )" };
        let explained = a.explain();
        // Narrow terminals: the "(max 2 secrets)" part goes on its own line.
        match explained.split_once(" (") {
            Some((head, tail)) if text::width(explained) + 7 > inner_w => {
                lines.push(Line::from(vec![
                    Span::raw("   "),
                    Span::styled(format!("{mark} {head}"), style),
                ]));
                lines.push(Line::from(Span::raw(format!("       ({tail}"))));
            }
            _ => lines.push(Line::from(vec![
                Span::raw("   "),
                Span::styled(format!("{mark} {explained}"), style),
            ])),
        }
    }
    let mut redirect = vec![
        marker(f.focus == NewFocus::Redirect),
        Span::styled("Redirect URI  ", t.label()),
    ];
    redirect.extend(
        text::field(
            &f.redirect,
            inner_w.saturating_sub(17),
            f.focus == NewFocus::Redirect,
            "optional, e.g. https://localhost:5001/signin-oidc",
        )
        .spans,
    );
    lines.push(Line::from(redirect));
    lines.extend(submit_lines(&f.submit, inner_w));
    lines.push(Line::from(""));
    if f.submit.pending.is_some() {
        lines.push(Line::from(Span::styled(
            format!("{} Registering…", app.spinner_frame()),
            t.muted(),
        )));
    } else {
        lines.push(Line::from(vec![
            Span::raw("            "),
            button("Register", f.focus == NewFocus::Register),
            Span::raw("   "),
            button("Cancel", f.focus == NewFocus::Cancel),
        ]));
    }
    let lines = text::fit_lines(lines, inner_w);
    let h = lines.len() as u16 + 2;
    let inner = frame(area, w, h, "New registration", t.dialog_border(), buf);
    Paragraph::new(lines).render(inner, buf);
}
