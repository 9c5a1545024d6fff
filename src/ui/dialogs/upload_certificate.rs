//! Upload a certificate: the path and description fields, what the file says (subject,
//! issuer, both thumbprints, validity, key type and size, the chain) or why it is refused (a
//! private key: never shared), the credential's dates, and the buttons.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{App, ReadState, UploadCertificate, UploadFocus};
use crate::keymap::{Command, Context, key_for};

use super::super::text::{self, wrap};
use super::super::theme::theme;
use super::{button, fit_rows, frame, marker, submit_lines};

pub fn render(app: &App, d: &UploadCertificate, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let title = format!("Upload certificate — {}", text::clean(&d.app_name));
    let w = 84u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let field_w = inner_w.saturating_sub(15);
    let mut keep: Vec<Line<'static>> = Vec::new();
    let mut l = vec![
        marker(d.focus == UploadFocus::Path),
        Span::styled("File         ", t.label()),
    ];
    l.extend(
        text::field(
            &d.path,
            field_w,
            d.focus == UploadFocus::Path,
            "path to .cer, .crt or .pem",
        )
        .spans,
    );
    keep.push(Line::from(l));
    let mut l = vec![
        marker(d.focus == UploadFocus::Description),
        Span::styled("Description  ", t.label()),
    ];
    l.extend(
        text::field(
            &d.description,
            field_w,
            d.focus == UploadFocus::Description,
            "optional (default: the subject)",
        )
        .spans,
    );
    keep.push(Line::from(l));
    keep.push(Line::from(""));
    let mut details: Vec<Line<'static>> = Vec::new();
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("  {k:<12} "), t.muted()),
            Span::raw(v),
        ])
    };
    match &d.read {
        ReadState::NotRead => keep.push(Line::from(Span::styled(
            format!(
                "  Enter the path and press {} to read it; nothing is sent until Upload.",
                key_for(Context::UploadCertificate, Command::Activate)
            ),
            t.muted(),
        ))),
        ReadState::Reading(_) => keep.push(Line::from(Span::styled(
            format!("  {} Reading the file…", app.spinner_frame()),
            t.muted(),
        ))),
        ReadState::Refused {
            reason,
            private_key,
        } => {
            let style = if *private_key { t.danger() } else { t.error() };
            for l in wrap(&text::clean(reason), inner_w) {
                keep.push(Line::from(Span::styled(l, style)));
            }
            if *private_key {
                for l in wrap(
                    "Warning: this file holds a private key. Do not share it or upload it anywhere; nothing of it was kept.",
                    inner_w,
                ) {
                    keep.push(Line::from(Span::styled(l, t.warning())));
                }
            }
        }
        ReadState::Read(p) => {
            let c = &p.leaf;
            // The file's own text: labelled, wrapped under the label, at most two lines each.
            for (k, v) in [("Subject", &c.subject), ("Issuer", &c.issuer)] {
                let body =
                    text::wrapped(&text::clean(v), inner_w.saturating_sub(15), 2, Style::new());
                for (i, l) in body.into_iter().enumerate() {
                    let label = if i == 0 {
                        format!("  {k:<12} ")
                    } else {
                        " ".repeat(15)
                    };
                    let mut spans = vec![Span::styled(label, t.muted())];
                    spans.extend(l.spans);
                    details.push(Line::from(spans));
                }
            }
            keep.push(kv("SHA-1", c.thumbprint()));
            keep.extend(text::label_and_id(
                Span::styled(format!("  {:<12} ", "SHA-256"), t.muted()),
                &c.sha256_hex(),
                inner_w,
                Style::new(),
            ));
            keep.push(kv(
                "Valid",
                format!(
                    "{} to {}{}",
                    c.not_before.format("%Y-%m-%d"),
                    c.not_after.format("%Y-%m-%d"),
                    if c.self_signed() {
                        " (self-signed)"
                    } else {
                        ""
                    }
                ),
            ));
            keep.push(kv("Key", c.key.to_string()));
            if !p.chain.is_empty() {
                keep.push(kv(
                    "Chain",
                    format!(
                        "{} more certificate(s) in the file; only the first is uploaded",
                        p.chain.len()
                    ),
                ));
            }
            match d.window(app.now) {
                Some((start, end, note)) => {
                    keep.push(kv(
                        "Credential",
                        format!("{} to {}", start.format("%Y-%m-%d"), end.format("%Y-%m-%d")),
                    ));
                    if let Some(n) = note {
                        for l in wrap(&format!("  ({n})"), inner_w) {
                            keep.push(Line::from(Span::styled(l, t.muted())));
                        }
                    }
                }
                None => keep.push(Line::from(Span::styled(
                    "  This certificate has expired.",
                    t.error(),
                ))),
            }
        }
    }
    keep.extend(submit_lines(&d.submit, inner_w));
    keep.push(Line::from(""));
    keep.push(if d.submit.pending.is_some() {
        Line::from(Span::styled(
            format!(
                "{} Uploading: reading the certificates, sending the whole set, reading it back…",
                app.spinner_frame()
            ),
            t.muted(),
        ))
    } else {
        Line::from(vec![
            Span::raw("            "),
            button("Upload", d.focus == UploadFocus::Upload),
            Span::raw("   "),
            button("Cancel", d.focus == UploadFocus::Cancel),
        ])
    });
    // The subject and issuer are the file's text: they give way first.
    let mut lines = Vec::new();
    let head: Vec<Line<'static>> = keep.drain(..3).collect();
    lines.extend(head);
    let rows = usize::from(area.height.saturating_sub(2)).saturating_sub(lines.len());
    lines.extend(fit_rows(details, keep, rows, inner_w));
    let lines = text::fit_lines(lines, inner_w);
    let h = lines.len() as u16 + 2;
    let inner = frame(area, w, h, &title, t.dialog_border(), buf);
    Paragraph::new(lines).render(inner, buf);
}
