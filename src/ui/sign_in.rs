//! The device-code sign-in screen: the page to open, the code in large letters, the time left,
//! and what account it is for. Drawn over the whole body while a prompt is pending.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::app::sign_in::time_left;
use crate::app::{App, Tone};
use crate::auth::device_code::DevicePrompt;
use crate::keymap::{Command, Context, key_for, keys_said};

use super::apps::title_bar;
use super::text::{width, wrap};
use super::theme::theme;

/// "GQ8RXZ7TH" -> "G Q 8 R X Z 7 T H": easier to read off and type.
fn spaced(code: &str) -> String {
    let mut out = String::with_capacity(code.len() * 2);
    for (i, c) in code.chars().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

pub fn render(app: &App, prompt: &DevicePrompt, area: Rect, buf: &mut Buffer) {
    let t = theme();
    Clear.render(area, buf);
    if area.height == 0 {
        return;
    }
    title_bar(
        app,
        "Sign in",
        Rect::new(area.x, area.y, area.width, 1),
        buf,
    );
    let rest = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(1),
    );
    let w = 76u16.min(rest.width);
    let inner_w = usize::from(w.saturating_sub(4)).max(1);
    let indent = "     ";

    let mut lines: Vec<Line> = vec![
        Line::from(Span::styled(
            "1. Open this page in a web browser:",
            t.label(),
        )),
        Line::from(vec![
            Span::raw(indent),
            Span::styled(
                crate::sanitize::clean(&prompt.verification_uri).into_owned(),
                t.title(),
            ),
        ]),
        Line::from(""),
        Line::from(Span::styled("2. Enter this code:", t.label())),
    ];
    // The code, spaced and framed: the one thing on screen a person must read exactly.
    let code = spaced(&crate::sanitize::clean(&prompt.user_code));
    let bar = "─".repeat(width(&code) + 4);
    lines.push(Line::from(vec![
        Span::raw(indent),
        Span::styled(format!("┌{bar}┐"), t.dialog_border()),
    ]));
    lines.push(Line::from(vec![
        Span::raw(indent),
        Span::styled("│  ", t.dialog_border()),
        Span::styled(code, t.focused()),
        Span::styled("  │", t.dialog_border()),
    ]));
    lines.push(Line::from(vec![
        Span::raw(indent),
        Span::styled(format!("└{bar}┘"), t.dialog_border()),
        Span::styled(
            format!(
                "  {} copies it",
                key_for(Context::SignIn, Command::CopyCode)
            ),
            t.muted(),
        ),
    ]));
    lines.push(Line::from(""));

    let left = app.sign_in.seconds_left(app.now).unwrap_or(0);
    let (left_text, left_style) = if left <= 0 {
        (
            "The code has expired: waiting for the login endpoint to confirm".to_owned(),
            t.error(),
        )
    } else if left < 60 {
        (
            format!("{} to enter the code", time_left(left)),
            t.warning(),
        )
    } else {
        (format!("{} to enter the code", time_left(left)), t.label())
    };
    lines.push(Line::from(vec![
        Span::styled(left_text, left_style),
        Span::styled(
            format!(" (expires {} UTC)", prompt.expires_at.format("%H:%M:%S")),
            t.muted(),
        ),
    ]));
    let account = &app.sign_in.account;
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<9}"), t.muted()),
            Span::raw(v),
        ])
    };
    lines.push(kv(
        "Account",
        crate::sanitize::clean(&account.tenant_words()).into_owned(),
    ));
    if let Some(cloud) = account.cloud_words() {
        lines.push(kv("Cloud", cloud));
    }
    if let Some(c) = &account.client_id {
        lines.push(kv("Client", crate::sanitize::clean(c).into_owned()));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!(
            "{} Waiting for you to finish in the browser…",
            app.spinner_frame()
        ),
        t.muted(),
    )));
    if let Some(s) = &app.sign_in.status {
        // A copy sent by OSC 52 cannot be confirmed: it says so, without a tick.
        let (prefix, style) = match (s.tone, app.sign_in.status_unconfirmed) {
            (Tone::Done, true) => ("• ", t.warning()),
            (Tone::Done, false) => ("✓ ", t.ok()),
            (Tone::Note, _) => ("", t.muted()),
            (Tone::Failed, _) => ("✗ ", t.error()),
        };
        lines.extend(
            wrap(
                &format!("{prefix}{}", crate::sanitize::clean_lines(&s.text)),
                inner_w,
            )
            .into_iter()
            .map(|l| Line::from(Span::styled(l, style))),
        );
    }
    for note in &account.notes {
        lines.extend(
            wrap(
                &format!("Why a code: {}", crate::sanitize::clean_lines(note)),
                inner_w,
            )
            .into_iter()
            .map(|l| Line::from(Span::styled(l, t.muted()))),
        );
    }

    let h = (lines.len() as u16 + 2).min(rest.height);
    let r = rest.centered(Constraint::Length(w), Constraint::Length(h));
    let block = Block::bordered()
        .title(Span::styled(" Sign in to Microsoft Graph ", t.label()))
        .title_bottom(Span::styled(
            format!(
                " {} cancels and quits ",
                keys_said(Context::SignIn, Command::CancelSignIn)
            ),
            t.muted(),
        ))
        .border_style(t.dialog_border());
    let inner = block.inner(r);
    block.render(r, buf);
    let inner = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    );
    Paragraph::new(super::text::fit_lines(lines, inner_w)).render(inner, buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_spaced_letter_by_letter() {
        assert_eq!(spaced("GQ8RXZ7TH"), "G Q 8 R X Z 7 T H");
        assert_eq!(spaced(""), "");
    }
}
