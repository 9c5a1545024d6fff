//! Switch tenant: one line per tenant (name, domain, id), the current one marked, the
//! selection highlighted; where the list came from and what it may miss.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::app::TenantPicker;
use crate::tenants::TenantSource;

use super::super::text;
use super::super::theme::theme;
use super::frame;

pub fn render(p: &TenantPicker, spinner: &str, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let width = 84u16.min(area.width);
    let inner_w = usize::from(width.saturating_sub(4));
    let mut lines: Vec<Line> = Vec::new();
    if p.pending.is_some() {
        lines.push(Line::from(Span::styled(
            format!("{spinner} Asking which tenants your account can use…"),
            t.muted(),
        )));
    } else if let Some(e) = &p.error {
        lines.push(Line::from(Span::styled(text::clean(e), t.error())));
        lines.push(Line::from(Span::styled(
            "Start azsecrets with --tenant TENANT to sign in to another tenant.",
            t.label(),
        )));
    } else if p.tenants.is_empty() {
        lines.push(Line::from(Span::styled(
            "No tenant was listed for this sign-in.",
            t.muted(),
        )));
    }
    for (i, tenant) in p.tenants.iter().enumerate() {
        let style = if i == p.selected {
            t.selected()
        } else {
            Style::new()
        };
        let mark = if p.is_current(tenant) { "● " } else { "  " };
        let name = crate::sanitize::name(tenant.name.as_deref()).into_owned();
        let domain = tenant
            .domain
            .as_deref()
            .map(|d| format!(" · {}", text::clean(d)))
            .unwrap_or_default();
        let category = match tenant.category.as_deref() {
            Some("Home") | None => String::new(),
            Some(c) => format!(" ({})", text::clean(c)),
        };
        lines.push(text::fit_line(
            Line::from(vec![
                Span::styled(mark, t.key()),
                Span::styled(name, style),
                Span::styled(format!("{domain}{category}"), t.muted()),
            ]),
            inner_w,
        ));
        lines.push(text::fit_line(
            Line::from(Span::styled(
                format!("    {}", text::clean(&tenant.id)),
                t.muted(),
            )),
            inner_w,
        ));
    }
    if !p.tenants.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            "● is the tenant you are in. Switching signs in to the other tenant and loads everything again.",
            t.muted(),
        )));
    }
    if p.source == Some(TenantSource::AzureCli) {
        lines.push(Line::from(Span::styled(
            "From `az account list`: tenants without a subscription are missing unless az logged in with --allow-no-subscriptions.",
            t.muted(),
        )));
    }
    let h = (lines.len() as u16 + 4).min(area.height);
    let inner = frame(area, width, h, "Switch tenant", t.dialog_border(), buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .render(inner, buf);
}
