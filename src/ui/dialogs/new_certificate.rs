//! New self-signed certificate: the subject, the expiry choices (those beyond Graph's year or
//! the policy's cap dimmed with the reason and the policy's id), the key type, the two file
//! paths, the optional key vault, a description, the live dates, and the buttons.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{App, CertFocus, NewCertificate};
use crate::certs::{self, KeyAlgorithm};
use crate::expiry;
use crate::keymap::Context;

use super::super::text::{self, wrap};
use super::super::theme::theme;
use super::{button, choose_hint, frame, marker, submit_lines};

pub fn render(app: &App, d: &NewCertificate, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let title = format!("New self-signed certificate — {}", text::clean(&d.app_name));
    let w = 84u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let field_w = inner_w.saturating_sub(16);
    let mut lines: Vec<Line<'static>> = Vec::new();
    lines.push(Line::from(vec![
        Span::styled("  Subject      ", t.muted()),
        Span::raw(format!(
            "CN={}",
            text::clean(&certs::common_name(&d.app_name))
        )),
    ]));
    lines.push(Line::from(vec![
        marker(d.focus == CertFocus::Expires),
        Span::styled("Expires", t.label()),
        Span::styled(choose_hint(Context::NewCertificate), t.muted()),
    ]));
    let choices_at = lines.len();
    let mut reasons: Vec<String> = Vec::new();
    for (i, (_, label)) in expiry::PRESETS.iter().enumerate() {
        let on = i == d.choice;
        let refused = d.refusal(i, app.now);
        let style = if refused.is_some() {
            t.muted()
        } else if on && d.focus == CertFocus::Expires {
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
            Span::styled(format!("{mark} {label}"), style),
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
    let algo: Vec<Span<'static>> = KeyAlgorithm::ALL
        .iter()
        .enumerate()
        .flat_map(|(i, a)| {
            let on = i == d.algorithm;
            let style = if on && d.focus == CertFocus::Algorithm {
                t.focused()
            } else if on {
                t.label()
            } else {
                Style::new()
            };
            [
                Span::styled(
                    format!("{} {}", if on { "(•)" } else { "( )" }, a.label()),
                    style,
                ),
                Span::raw("  "),
            ]
        })
        .collect();
    let mut l = vec![
        marker(d.focus == CertFocus::Algorithm),
        Span::styled("Key          ", t.label()),
    ];
    l.extend(algo);
    lines.push(Line::from(l));
    for (focus, label, input, hint) in [
        (
            CertFocus::KeyPath,
            "Private key  ",
            &d.key_path,
            "where the key goes (PEM, 0600)",
        ),
        (
            CertFocus::CertPath,
            "Certificate  ",
            &d.cert_path,
            "where the certificate goes (PEM)",
        ),
        (
            CertFocus::Vault,
            "Key Vault    ",
            &d.vault,
            "optional: VAULT[/NAME], key and certificate as one secret",
        ),
        (
            CertFocus::Description,
            "Description  ",
            &d.description,
            "optional (default: the subject)",
        ),
    ] {
        let mut l = vec![marker(d.focus == focus), Span::styled(label, t.label())];
        l.extend(text::field(input, field_w, d.focus == focus, hint).spans);
        lines.push(Line::from(l));
    }
    if let Some((start, end)) = d.dates(app.now) {
        lines.push(Line::from(vec![
            Span::styled("  Valid ", t.muted()),
            Span::styled(
                format!(
                    "{} to {}",
                    start.format("%Y-%m-%d"),
                    end.format("%Y-%m-%d %H:%M UTC")
                ),
                t.label(),
            ),
        ]));
    }
    let kept_in = match (
        d.key_path.value().trim().is_empty(),
        d.vault.value().trim().is_empty(),
    ) {
        (_, true) => "the file above",
        (true, false) => "the key vault",
        (false, false) => "the file and the key vault above",
    };
    for l in wrap(
        &format!(
            "The private key is kept only in {kept_in} and never shown; only the public certificate is uploaded."
        ),
        inner_w,
    ) {
        lines.push(Line::from(Span::styled(l, t.muted())));
    }
    lines.extend(submit_lines(&d.submit, inner_w));
    lines.push(Line::from(""));
    lines.push(if d.submit.pending.is_some() {
        Line::from(Span::styled(
            format!(
                "{} Making the key, keeping it, uploading…",
                app.spinner_frame()
            ),
            t.muted(),
        ))
    } else {
        Line::from(vec![
            Span::raw("            "),
            button("Create", d.focus == CertFocus::Create),
            Span::raw("   "),
            button("Cancel", d.focus == CertFocus::Cancel),
        ])
    });
    // Short terminals: only the chosen expiry (with its reason when refused).
    if lines.len() + 2 > usize::from(area.height) {
        let chosen = lines.get(choices_at + d.choice).cloned();
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
