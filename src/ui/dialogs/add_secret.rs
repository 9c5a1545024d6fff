//! Add a client secret (and Rotate's prefilled form): fields, the expiry choices with the live
//! end date, messages, and the buttons (a spinner while Graph answers).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{AddFocus, AddSecret, App, ExpiryChoice};
use crate::keymap::Context;

use super::super::text::{self, wrap};
use super::super::theme::theme;
use super::{button, choose_hint, frame, marker, submit_lines};

pub fn render(app: &App, f: &AddSecret, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let app_name = text::clean(&f.app_name);
    let title = if f.rotating.is_some() {
        format!("Rotate: add the replacement secret — {app_name}")
    } else {
        format!("Add a client secret — {app_name}")
    };
    let w = 76u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let mut lines: Vec<Line> = Vec::new();
    let field_w = inner_w.saturating_sub(16);
    let mut desc = vec![
        marker(f.focus == AddFocus::Description),
        Span::styled("Description  ", t.label()),
    ];
    desc.extend(
        text::field(
            &f.description,
            field_w,
            f.focus == AddFocus::Description,
            "e.g. ci-deploy",
        )
        .spans,
    );
    lines.push(Line::from(desc));
    lines.push(Line::from(vec![
        marker(f.focus == AddFocus::Expires),
        Span::styled("Expires", t.label()),
        Span::styled(choose_hint(Context::AddSecret), t.muted()),
    ]));
    let choices_at = lines.len();
    let mut reasons: Vec<String> = Vec::new();
    for (i, choice) in ExpiryChoice::ALL.iter().enumerate() {
        let on = i == f.choice;
        // Beyond the policy's cap: dimmed, with the reason and the policy's id.
        let refused = f.refusal(i, app.now);
        let style = if refused.is_some() {
            t.muted()
        } else if on && f.focus == AddFocus::Expires {
            t.focused()
        } else if on {
            t.label()
        } else {
            Style::new()
        };
        let mark = match (&refused, on) {
            (Some(_), _) => "(–)",
            (None, true) => "(•)",
            (None, false) => "( )",
        };
        let mut l = vec![
            Span::raw("   "),
            Span::styled(format!("{mark} {}", choice.label()), style),
        ];
        if let Some(r) = refused {
            l.push(Span::styled("  (unavailable)", t.muted()));
            let why = format!("Unavailable: {}.", r.reason());
            if !reasons.contains(&why) {
                reasons.push(why);
            }
        }
        lines.push(Line::from(l));
    }
    let choices_end = lines.len();
    for why in &reasons {
        for l in wrap(why, inner_w) {
            lines.push(Line::from(Span::styled(l, t.muted())));
        }
    }
    if f.expiry_choice() == ExpiryChoice::Custom {
        let mut l = vec![marker(f.focus == AddFocus::CustomEnd), Span::raw("End ")];
        l.extend(
            text::field(
                &f.custom_end,
                12,
                f.focus == AddFocus::CustomEnd,
                "YYYY-MM-DD",
            )
            .spans,
        );
        l.push(Span::raw(" "));
        l.push(marker(f.focus == AddFocus::CustomStart));
        l.push(Span::raw("Start "));
        l.extend(
            text::field(
                &f.custom_start,
                12,
                f.focus == AddFocus::CustomStart,
                "today",
            )
            .spans,
        );
        l.push(Span::styled(" (optional)", t.muted()));
        lines.push(Line::from(l));
    }
    match f.dates(app.now) {
        Ok((start, end)) => {
            let mut l = vec![
                Span::styled("  Expires on ", t.muted()),
                Span::styled(end.format("%Y-%m-%d %H:%M:%S UTC").to_string(), t.label()),
                // From the start sent, so "90 days" reads 90, not 89 and some hours.
                Span::styled(format!(" ({})", text::relative(end, start)), t.muted()),
            ];
            if start > app.now {
                l.push(Span::styled(
                    format!(", starts {}", start.format("%Y-%m-%d")),
                    t.muted(),
                ));
            }
            lines.push(Line::from(l));
        }
        Err(_) => lines.push(Line::from(Span::styled(
            "  Expires on: enter a valid end date",
            t.muted(),
        ))),
    }
    if f.expiry_choice() == ExpiryChoice::Never {
        for l in wrap(
            "Warning: the portal no longer offers Never, and tenant policy may refuse it. Secrets that never expire are a standing risk.",
            inner_w,
        ) {
            lines.push(Line::from(Span::styled(l, t.warning())));
        }
    }
    lines.extend(submit_lines(&f.submit, inner_w));
    let buttons = if f.submit.pending.is_some() {
        Line::from(Span::styled(
            format!("{} Adding the secret…", app.spinner_frame()),
            t.muted(),
        ))
    } else {
        Line::from(vec![
            Span::raw("            "),
            button("Add", f.focus == AddFocus::Add),
            Span::raw("   "),
            button("Cancel", f.focus == AddFocus::Cancel),
        ])
    };
    lines.push(Line::from(""));
    lines.push(buttons);
    // Short terminals: keep the buttons and messages, show only the chosen expiry.
    if lines.len() + 2 > usize::from(area.height) {
        let chosen = lines.get(choices_at + f.choice).cloned();
        lines.splice(choices_at..choices_end, chosen);
        if let Some(pos) = lines.iter().rposition(|l| l.width() == 0) {
            lines.remove(pos);
        }
    }
    let lines = text::fit_lines(lines, inner_w);
    let h = lines.len() as u16 + 2;
    let inner = frame(area, w, h, &title, t.dialog_border(), buf);
    Paragraph::new(lines).render(inner, buf);
}
