//! The reveal dialog's destination forms, drawn over it: the key vault picker (the vault field,
//! the vaults it matches with their permission model and resource group, what could not be
//! listed, the secret's name), the GitHub Actions target, and the command line. Names from
//! Resource Manager are cleaned; long ones are cut with `…` in the list (the field shows them
//! whole as typed).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{
    App, ExecForm, GitHubFocus, GitHubForm, Listing, Reveal, RevealMode, VaultChoice, VaultFocus,
    VaultForm,
};
use crate::keymap::{Command, Context, key_for};

use super::super::super::text::{self, wrap};
use super::super::super::theme::theme;
use super::super::{frame, marker};

/// The widest a form grows.
const MAX_W: u16 = 72;
/// Label column.
const LABEL: usize = 13;

/// Draw the open form, if any (true when one was drawn).
pub fn render(app: &App, r: &Reveal, area: Rect, buf: &mut Buffer) -> bool {
    let w = MAX_W.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let rows = usize::from(area.height.saturating_sub(2));
    let (title, lines) = match &r.mode {
        RevealMode::KeyVault(f) => (
            "Store the value in a key vault",
            vault(app, f, inner_w, rows),
        ),
        RevealMode::GitHub(f) => ("Set it as a GitHub Actions secret", github(f, inner_w)),
        RevealMode::Exec(f) => ("Give the value to a command", exec(f, inner_w)),
        _ => return false,
    };
    let lines = text::fit_lines(lines, inner_w);
    let h = lines.len() as u16 + 2;
    let inner = frame(area, w, h, title, theme().dialog_border(), buf);
    Paragraph::new(lines).render(inner, buf);
    true
}

fn labelled(focused: bool, label: &str, field: Line<'static>) -> Line<'static> {
    let mut spans = vec![
        marker(focused),
        Span::styled(format!("{label:<LABEL$}"), theme().label()),
    ];
    spans.extend(field.spans);
    Line::from(spans)
}

fn said(text: &str, width: usize, style: ratatui::style::Style) -> Vec<Line<'static>> {
    wrap(text, width)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, style)))
        .collect()
}

fn keys(context: Context, entries: &[(Command, &str)], width: usize) -> Vec<Line<'static>> {
    let t = theme();
    let mut lines = Vec::new();
    let mut line: Vec<Span> = Vec::new();
    let mut used = 0;
    for (c, label) in entries {
        let k = key_for(context, *c);
        let cost = text::width(k) + 1 + label.len() + 2;
        if used + cost > width && !line.is_empty() {
            lines.push(Line::from(std::mem::take(&mut line)));
            used = 0;
        }
        line.push(Span::styled(k.to_owned(), t.key()));
        line.push(Span::raw(format!(" {label}  ")));
        used += cost;
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}

fn vault(app: &App, f: &VaultForm, inner_w: usize, rows: usize) -> Vec<Line<'static>> {
    let t = theme();
    let field_w = inner_w.saturating_sub(LABEL + 2);
    let mut lines = vec![labelled(
        f.focus == VaultFocus::Vault,
        "Vault",
        text::field(
            &f.vault,
            field_w,
            f.focus == VaultFocus::Vault,
            "a name, or its URL",
        ),
    )];
    let choices = f.choices();
    // Room for the list: what the rest of the form leaves, at most eight rows.
    let list_rows = rows.saturating_sub(9).clamp(1, 8);
    let first = f.selected.saturating_sub(list_rows.saturating_sub(1));
    for (i, c) in choices.iter().enumerate().skip(first).take(list_rows) {
        let on = i == f.selected;
        let pointer = if on { "▶ " } else { "  " };
        let style = if on { t.focused() } else { t.label() };
        let (name, about) = match c {
            VaultChoice::Typed(s) => (
                format!("{} ", text::clean(s)),
                "(as typed: a vault name or URL)".to_owned(),
            ),
            VaultChoice::Listed(v) => {
                let model = if v.enable_rbac_authorization == Some(true) {
                    "RBAC"
                } else {
                    "access policies"
                };
                let group = v
                    .resource_group
                    .as_deref()
                    .map(|g| format!(" · {}", text::clean(g)))
                    .unwrap_or_default();
                (
                    format!("{:<24} ", text::cell(&v.name, 24)),
                    format!("{model}{group}"),
                )
            }
        };
        let room = inner_w.saturating_sub(4 + text::width(&name));
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(format!("{pointer}{name}"), style),
            Span::styled(text::cell(&about, room), t.muted()),
        ]));
    }
    if choices.len() > first + list_rows {
        lines.push(Line::from(Span::styled(
            format!(
                "    … {} more: type to narrow",
                choices.len() - first - list_rows
            ),
            t.muted(),
        )));
    }
    match &f.listing {
        Listing::Loading(_) => lines.push(Line::from(Span::styled(
            format!("  {} Listing the vaults you can see…", app.spinner_frame()),
            t.muted(),
        ))),
        Listing::Unavailable(why) => lines.extend(said(&format!("  {why}"), inner_w, t.muted())),
        Listing::Ready(c) => {
            if c.vaults.is_empty() {
                lines.extend(said(
                    "  No vaults listed (Resource Manager shows none you can see): type a vault's name or URL.",
                    inner_w,
                    t.muted(),
                ));
            }
            for p in c.problems.iter().take(2) {
                lines.extend(said(&format!("  {}", text::clean(p)), inner_w, t.warning()));
            }
        }
    }
    lines.push(labelled(
        f.focus == VaultFocus::Name,
        "Secret name",
        text::field(
            &f.name,
            field_w,
            f.focus == VaultFocus::Name,
            "1-127 letters, digits, -",
        ),
    ));
    if let Some(old) = &f.holds_old {
        lines.extend(said(
            &format!(
                "The old secret's value is in {}: storing there adds a new version of it.",
                text::clean(old)
            ),
            inner_w,
            t.ok(),
        ));
    }
    lines.extend(said(
        "A new version when the name exists; tagged with the app, the Secret ID and created-by azsecrets.",
        inner_w,
        t.muted(),
    ));
    if let Some(e) = &f.invalid {
        lines.extend(said(&format!("Error: {e}"), inner_w, t.error()));
    }
    lines.extend(keys(
        Context::RevealVault,
        &[
            (Command::Down, "choose"),
            (Command::NextField, "next field"),
            (Command::Activate, "store"),
            (Command::Back, "cancel"),
        ],
        inner_w,
    ));
    lines
}

fn github(f: &GitHubForm, inner_w: usize) -> Vec<Line<'static>> {
    let t = theme();
    let field_w = inner_w.saturating_sub(LABEL + 2);
    let mut lines = vec![
        labelled(
            f.focus == GitHubFocus::Repo,
            "Repository",
            text::field(&f.repo, field_w, f.focus == GitHubFocus::Repo, "OWNER/REPO"),
        ),
        labelled(
            f.focus == GitHubFocus::Name,
            "Secret name",
            text::field(&f.name, field_w, f.focus == GitHubFocus::Name, ""),
        ),
        labelled(
            f.focus == GitHubFocus::Environment,
            "Environment",
            text::field(
                &f.environment,
                field_w,
                f.focus == GitHubFocus::Environment,
                "(optional: an environment secret)",
            ),
        ),
    ];
    let on = f.focus == GitHubFocus::Variables;
    lines.push(Line::from(vec![
        marker(on),
        Span::styled(
            format!("[{}] ", if f.variables { "x" } else { " " }),
            if on { t.focused() } else { t.label() },
        ),
        Span::raw("Also set AZURE_CLIENT_ID, AZURE_TENANT_ID as variables"),
        Span::styled(if on { " (Space)" } else { "" }, t.muted()),
    ]));
    lines.extend(said(
        "Through the GitHub CLI you signed into (gh secret set): the value goes on gh's stdin, never on its command line.",
        inner_w,
        t.muted(),
    ));
    if let Some(e) = &f.invalid {
        lines.extend(said(&format!("Error: {e}"), inner_w, t.error()));
    }
    lines.extend(keys(
        Context::RevealGitHub,
        &[
            (Command::NextField, "next field"),
            (Command::Activate, "set secret"),
            (Command::Back, "cancel"),
        ],
        inner_w,
    ));
    lines
}

fn exec(f: &ExecForm, inner_w: usize) -> Vec<Line<'static>> {
    let t = theme();
    let field_w = inner_w.saturating_sub(LABEL + 2);
    let mut lines = vec![labelled(
        true,
        "Command",
        text::field(
            &f.command,
            field_w,
            true,
            "e.g. pass insert -m azure/my-app",
        ),
    )];
    lines.extend(said(
        "Runs without a shell: the value on its stdin, AZURE_CLIENT_ID and AZURE_TENANT_ID in its environment. Its exit status says whether it took the value; what it prints is shown here.",
        inner_w,
        t.muted(),
    ));
    if let Some(e) = &f.invalid {
        lines.extend(said(&format!("Error: {e}"), inner_w, t.error()));
    }
    lines.extend(keys(
        Context::RevealExec,
        &[(Command::Activate, "run"), (Command::Back, "cancel")],
        inner_w,
    ));
    lines
}
