//! Delete a client secret, or Rotate's "Delete the old secret now?": the target named, the
//! warning, Graph's refusal inside, and the safe choice focused first. However long the
//! secret's description or the app's name, the Secret ID, the warning and the buttons stay on
//! screen: the names are cut with `…` to what is left.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{App, Confirm, ConfirmFocus, ConfirmKind, ConfirmTarget};

use super::super::text::{self, wrap};
use super::super::theme::theme;
use super::{button, error_lines, fit_rows, frame};

/// Lines the question may take (the description and app name are the tenant's): the
/// description is cut to about two of them, so the app's name still shows after it.
const QUESTION_LINES: usize = 4;

pub fn render(app: &App, c: &Confirm, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let w = 72u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    // Cut before wrapping: a 10,000-character description is not worth wrapping.
    let desc = text::cell(
        c.secret
            .description()
            .as_deref()
            .unwrap_or("(no description)"),
        inner_w * 2,
    );
    let app_name = text::name_cell(&c.app_name, inner_w);
    let (title, question, warning, safe, danger) = match c.kind {
        ConfirmKind::Delete => (
            "Delete client secret?",
            format!("Delete the client secret \"{desc}\" from {app_name}?"),
            "Apps and pipelines using this secret will stop signing in. This cannot be undone.",
            "Cancel",
            "Delete",
        ),
        ConfirmKind::DeleteCertificate => (
            "Delete certificate?",
            format!("Delete the certificate \"{desc}\" from {app_name}?"),
            "Apps signing in with this certificate will stop signing in. Every other certificate is kept. This cannot be undone.",
            "Cancel",
            "Delete",
        ),
        ConfirmKind::DeleteFederated => (
            "Delete federated credential?",
            format!("Delete the federated credential \"{desc}\" from {app_name}?"),
            "Workloads exchanging tokens with this credential will stop signing in. This cannot be undone.",
            "Cancel",
            "Delete",
        ),
        ConfirmKind::RotateOld => (
            "Delete the old secret now?",
            format!(
                "The new secret is in place. Delete the old secret \"{desc}\" from {app_name} now?"
            ),
            "Anything still using the old secret will stop signing in. Keep both until every consumer has the new value.",
            "Keep both",
            "Delete old",
        ),
    };
    let ask = text::wrapped(&question, inner_w, QUESTION_LINES, t.label());

    let mut keep: Vec<Line<'static>> = vec![Line::from("")];
    let id_label = match &c.target {
        ConfirmTarget::Secret => "Secret ID",
        ConfirmTarget::Certificate { .. } => "Cert ID",
        ConfirmTarget::Federated(_) => "Id",
    };
    keep.extend(text::label_and_id(
        Span::styled(format!("{id_label:<11}"), t.muted()),
        c.secret.key_id.as_str(),
        inner_w,
        ratatui::style::Style::new(),
    ));
    match &c.target {
        ConfirmTarget::Secret => {
            keep.push(Line::from(vec![
                Span::styled(format!("{:<11}", "Value"), t.muted()),
                Span::raw(text::cell(&c.secret.masked_value(), 16)),
            ]));
        }
        ConfirmTarget::Certificate { certificate, .. } => {
            keep.extend(text::label_and_id(
                Span::styled(format!("{:<11}", "Thumbprint"), t.muted()),
                certificate.custom_key_identifier.as_deref().unwrap_or("—"),
                inner_w,
                ratatui::style::Style::new(),
            ));
        }
        ConfirmTarget::Federated(f) => {
            keep.extend(text::wrapped(
                &format!("Subject    {}", text::clean(&f.subject)),
                inner_w,
                2,
                ratatui::style::Style::new(),
            ));
        }
    }
    if !matches!(c.target, ConfirmTarget::Federated(_)) {
        keep.push(Line::from(vec![
            Span::styled(format!("{:<11}", "Expires"), t.muted()),
            Span::raw(text::expires(c.secret.end_date_time, app.now)),
        ]));
    }
    keep.push(Line::from(""));
    if let Some(n) = &c.note {
        for l in wrap(n, inner_w) {
            keep.push(Line::from(Span::styled(l, t.ok())));
        }
    }
    for l in wrap(warning, inner_w) {
        keep.push(Line::from(Span::styled(l, t.danger())));
    }
    if let Some(e) = &c.submit.error {
        keep.extend(error_lines(e, inner_w));
    }
    keep.push(Line::from(""));
    if c.submit.pending.is_some() {
        keep.push(Line::from(Span::styled(
            format!("{} Deleting…", app.spinner_frame()),
            t.muted(),
        )));
    } else {
        keep.push(Line::from(vec![
            Span::raw("          "),
            button(safe, c.focus == ConfirmFocus::Safe),
            Span::raw("   "),
            button(danger, c.focus == ConfirmFocus::Delete),
        ]));
    }
    let rows = usize::from(area.height.saturating_sub(2));
    let lines = fit_rows(ask, keep, rows, inner_w);
    let h = lines.len() as u16 + 2;
    let inner = frame(area, w, h, title, t.danger_border(), buf);
    Paragraph::new(lines).render(inner, buf);
}
