//! New federated credential: the scenario picker, the scenario's fields, name and
//! description, the issuer, subject and audience shown live as they will be sent, and the
//! buttons.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use tui_input::Input;

use crate::app::{App, FicFocus, NewFederated, SCENARIOS};
use crate::keymap::Context;

use super::super::text::{self, wrap};
use super::super::theme::theme;
use super::{button, choose_hint, frame, marker, submit_lines};

const ENTITIES: [&str; 4] = ["Branch", "Environment", "Pull request", "Tag"];

pub fn render(app: &App, d: &NewFederated, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let title = format!("Add a federated credential — {}", text::clean(&d.app_name));
    let w = 90u16.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let field_w = inner_w.saturating_sub(20);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let choice = |lines: &mut Vec<Line<'static>>, focus: FicFocus, label: &str, value: &str| {
        lines.push(Line::from(vec![
            marker(d.focus == focus),
            Span::styled(format!("{label:<18}"), t.label()),
            Span::styled(
                format!("◂ {value} ▸"),
                if d.focus == focus {
                    t.focused()
                } else {
                    Style::new()
                },
            ),
            Span::styled(
                if d.focus == focus {
                    choose_hint(Context::NewFederated)
                } else {
                    String::new()
                },
                t.muted(),
            ),
        ]));
    };
    let field = |lines: &mut Vec<Line<'static>>,
                 focus: FicFocus,
                 label: &str,
                 input: &Input,
                 hint: &str| {
        let mut l = vec![
            marker(d.focus == focus),
            Span::styled(format!("{label:<18}"), t.label()),
        ];
        l.extend(text::field(input, field_w, d.focus == focus, hint).spans);
        lines.push(Line::from(l));
    };
    choice(
        &mut lines,
        FicFocus::Scenario,
        "Scenario",
        SCENARIOS.get(d.scenario).copied().unwrap_or(""),
    );
    match d.scenario {
        0 => {
            field(
                &mut lines,
                FicFocus::Repository,
                "Repository",
                &d.inputs.repository,
                "organization/repository",
            );
            choice(
                &mut lines,
                FicFocus::Entity,
                "Entity",
                ENTITIES.get(d.entity).copied().unwrap_or(""),
            );
            if d.entity != 2 {
                let label = ENTITIES.get(d.entity).copied().unwrap_or("");
                let hint = match d.entity {
                    0 => "e.g. main",
                    1 => "e.g. Production",
                    _ => "e.g. v1.0.0",
                };
                field(
                    &mut lines,
                    FicFocus::EntityValue,
                    label,
                    &d.inputs.entity_value,
                    hint,
                );
            }
        }
        1 => {
            field(
                &mut lines,
                FicFocus::Issuer,
                "Issuer URL",
                &d.inputs.issuer,
                "https://…/ (the cluster's OIDC issuer)",
            );
            field(
                &mut lines,
                FicFocus::Namespace,
                "Namespace",
                &d.inputs.namespace,
                "e.g. payments",
            );
            field(
                &mut lines,
                FicFocus::ServiceAccount,
                "Service account",
                &d.inputs.service_account,
                "e.g. api",
            );
        }
        _ => {
            field(
                &mut lines,
                FicFocus::Issuer,
                "Issuer",
                &d.inputs.issuer,
                "https://… exactly as the token's iss",
            );
            field(
                &mut lines,
                FicFocus::Subject,
                "Subject",
                &d.inputs.subject,
                "exactly as the token's sub",
            );
            field(
                &mut lines,
                FicFocus::Audience,
                "Audience",
                &d.inputs.audience,
                "api://AzureADTokenExchange",
            );
        }
    }
    let suggestion = d.name_or_suggestion();
    field(
        &mut lines,
        FicFocus::Name,
        "Name",
        &d.name,
        if suggestion.is_empty() {
            "3-120 letters, digits, - and _"
        } else {
            &suggestion
        },
    );
    field(
        &mut lines,
        FicFocus::Description,
        "Description",
        &d.description,
        "optional",
    );
    lines.push(Line::from(""));
    let live = |k: &str, v: Option<String>| {
        let mut out = Vec::new();
        match v {
            Some(v) => {
                let text_line = format!("{k:<10}{}", text::clean(&v));
                for (i, l) in wrap(&text_line, inner_w.saturating_sub(2))
                    .into_iter()
                    .enumerate()
                {
                    let style = if i == 0 { t.label() } else { Style::new() };
                    out.push(Line::from(vec![Span::raw("  "), Span::styled(l, style)]));
                }
            }
            None => out.push(Line::from(Span::styled(
                format!("  {k:<10}(fill in the fields above)"),
                t.muted(),
            ))),
        }
        out
    };
    lines.extend(live("Issuer", d.issuer_preview()));
    lines.extend(live("Subject", d.scenario().preview()));
    lines.extend(live(
        "Audience",
        Some(
            d.audience()
                .unwrap_or_else(|| "api://AzureADTokenExchange (this cloud's default)".into()),
        ),
    ));
    lines.extend(submit_lines(&d.submit, inner_w));
    lines.push(Line::from(""));
    lines.push(if d.submit.pending.is_some() {
        Line::from(Span::styled(
            format!("{} Adding the credential…", app.spinner_frame()),
            t.muted(),
        ))
    } else {
        Line::from(vec![
            Span::raw("            "),
            button("Add", d.focus == FicFocus::Add),
            Span::raw("   "),
            button("Cancel", d.focus == FicFocus::Cancel),
        ])
    });
    // Short terminals: blank lines go first, then the live lines' continuations.
    let rows = usize::from(area.height.saturating_sub(2));
    while lines.len() > rows {
        match lines.iter().rposition(|l| l.width() == 0) {
            Some(at) => {
                lines.remove(at);
            }
            None => break,
        }
    }
    let lines = text::fit_lines(lines, inner_w);
    let h = lines.len() as u16 + 2;
    let inner = frame(area, w, h, &title, t.dialog_border(), buf);
    Paragraph::new(lines).render(inner, buf);
}
