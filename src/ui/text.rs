//! Small text helpers shared by the views: thousands separators, short ids, wrapping, lines
//! cut to a width with `…`, a table's column widths, and the one-line text field with a
//! visible cursor. Lengths are display widths (terminal cells: CJK and most emoji take two,
//! combining marks none), never character counts. Tenant text is cleaned
//! ([`crate::sanitize`]) before it gets here; every cut ends in `…`.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use tui_input::Input;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::expiry::{self, Status};
use crate::sanitize;

use super::theme::theme;

/// 1998 -> "1,998".
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Display width in terminal cells.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` in pieces that each start with a visible character and carry the zero-width ones
/// after it (combining marks, variation selectors, joiners), so a cut never parts a mark from
/// its letter.
fn clusters(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let mut chars = rest.char_indices();
        chars.next()?;
        let end = chars
            .find(|(_, c)| c.width().unwrap_or(0) > 0)
            .map_or(rest.len(), |(i, _)| i);
        let (head, tail) = rest.split_at(end);
        rest = tail;
        Some(head)
    })
}

/// The longest head of `s` at most `max` cells wide (at least one piece, so a cut always
/// makes progress), and the rest.
fn split_at_width(s: &str, max: usize) -> (&str, &str) {
    let mut end = 0;
    let mut used = 0;
    for c in clusters(s) {
        let w = width(c);
        if end > 0 && used + w > max {
            break;
        }
        used += w;
        end += c.len();
    }
    s.split_at(end)
}

/// An id cut to `width` cells with an ellipsis (a table's abbreviation; cleaned).
pub fn short(id: &str, max: usize) -> String {
    let id = &*sanitize::clean(id);
    if width(id) <= max {
        return id.to_owned();
    }
    let mut keep = String::new();
    let mut used = 0;
    for c in clusters(id) {
        let w = width(c);
        if used + w + 1 > max {
            break;
        }
        used += w;
        keep.push_str(c);
    }
    format!("{keep}…")
}

/// Greedy word wrap to `max` cells (long words are cut).
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word;
        while width(word) > max {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let (head, tail) = split_at_width(word, max);
            lines.push(head.to_owned());
            word = tail;
        }
        let need = width(&line) + usize::from(!line.is_empty()) + width(word);
        if need > max && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Tenant text as one cell of `max` columns: cleaned, and cut with `…`.
pub fn cell(s: &str, max: usize) -> String {
    sanitize::cell(s, max).into_owned()
}

/// One cell cut in the middle, so both ends stay (a federated credential's subject: what tells
/// `repo:org/repo:ref:refs/heads/main` from `…:environment:prod` is at the end).
pub fn middle_cell(s: &str, max: usize) -> String {
    sanitize::fit_middle(&sanitize::clean(s), max).into_owned()
}

/// A display name as one cell: `(no name)` when blank, cleaned, cut with `…`.
pub fn name_cell(s: &str, max: usize) -> String {
    let name = sanitize::name(Some(s));
    sanitize::fit(&name, max).into_owned()
}

/// Tenant text cleaned for a span (no cut: the caller wraps or fits the line).
pub fn clean(s: &str) -> String {
    sanitize::clean(s).into_owned()
}

/// `line` cut to `max` cells; a cut ends in `…` (so a view never relies on the frame's silent
/// clipping).
pub fn fit_line(line: Line<'_>, max: usize) -> Line<'_> {
    if line.width() <= max {
        return line;
    }
    let Line {
        spans,
        style,
        alignment,
    } = line;
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    let mut used = 0;
    for span in spans {
        let w = span.width();
        if used + w <= max {
            used += w;
            out.push(span);
            continue;
        }
        // This span crosses the edge: cut it there, the cut marked with `…`, and stop.
        let room = max - used;
        if room > 0 {
            out.push(Span::styled(
                sanitize::fit(&span.content, room).into_owned(),
                span.style,
            ));
        } else if let Some(prev) = out.pop() {
            // The spans so far fill the width exactly: the mark replaces their last cell.
            let w = prev.width();
            let longer = format!("{}{}", prev.content, sanitize::ELLIPSIS);
            let marked = sanitize::fit(&longer, w).into_owned();
            out.push(Span::styled(marked, prev.style));
        }
        break;
    }
    let mut l = Line::from(out).style(style);
    l.alignment = alignment;
    l
}

/// Every line cut to `max` cells with `…`.
pub fn fit_lines(lines: Vec<Line<'_>>, max: usize) -> Vec<Line<'_>> {
    lines.into_iter().map(|l| fit_line(l, max)).collect()
}

/// At most `max` lines; when lines are dropped, the last kept one ends in `…`.
pub fn clip_lines(mut lines: Vec<Line<'static>>, max: usize, width: usize) -> Vec<Line<'static>> {
    if lines.len() <= max {
        return lines;
    }
    lines.truncate(max);
    if let Some(last) = lines.pop() {
        let mut spans = last.spans;
        let style = spans.last().map_or_else(Style::default, |s| s.style);
        spans.push(Span::styled(sanitize::ELLIPSIS.to_string(), style));
        lines.push(fit_line(Line::from(spans), width));
    }
    lines
}

/// Tenant text wrapped to `width`, at most `max_lines` lines (the last ends in `…` when cut),
/// each styled `style`.
pub fn wrapped(text: &str, width: usize, max_lines: usize, style: Style) -> Vec<Line<'static>> {
    let lines = wrap(text, width)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, style)))
        .collect();
    clip_lines(lines, max_lines, width)
}

/// A label and an id (never cut: ids are copied by hand): on one line when both fit in
/// `width`, else the label alone and the id on the lines below it, wrapped.
pub fn label_and_id(
    label: Span<'static>,
    id: &str,
    width: usize,
    value_style: Style,
) -> Vec<Line<'static>> {
    let id = sanitize::clean(id);
    if label.width() + self::width(&id) <= width {
        return vec![Line::from(vec![
            label,
            Span::styled(id.into_owned(), value_style),
        ])];
    }
    let mut out = vec![Line::from(label)];
    for piece in wrap(&id, width.saturating_sub(2)) {
        out.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(piece, value_style),
        ]));
    }
    out
}

/// The widths a ratatui `Table` gives its columns in `width` cells, with a selection column
/// of `selection` cells and `spacing` between columns (the same layout the table computes,
/// so cells can be cut with `…` before the table would cut them silently).
pub fn column_widths(
    width: u16,
    selection: u16,
    widths: &[Constraint],
    spacing: u16,
) -> Vec<usize> {
    let [_, columns] = Layout::horizontal([Constraint::Length(selection), Constraint::Fill(0)])
        .areas(Rect::new(0, 0, width, 1));
    Layout::horizontal(widths.iter().copied())
        .flex(ratatui::layout::Flex::Start)
        .spacing(spacing)
        .split(columns)
        .iter()
        .map(|r| usize::from(r.width))
        .collect()
}

/// `expiry::relative`, counting whole days by calendar date (UTC), so the words agree with
/// the date printed beside them: a 90-day secret created a minute ago reads "in 90 days",
/// not "in 89 days". Spans under a day stay exact ("in 3 hours").
pub fn relative(end: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if (end - now).num_days() == 0 {
        return expiry::relative(end, now);
    }
    let days = (end.date_naive() - now.date_naive()).num_days();
    expiry::relative(now + chrono::Duration::days(days), now)
}

pub fn date(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "—".to_owned(), |t| t.format("%Y-%m-%d").to_string())
}

/// "2026-12-08 (in 12 days)".
pub fn expires(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) => format!("{} ({})", t.format("%Y-%m-%d"), relative(t, now)),
        None => "no end date".to_owned(),
    }
}

/// Narrow terminals: "2026-11-23 expired 3d ago", "2026-12-08 in 11d".
pub fn expires_compact(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) => {
            let rel = relative(t, now);
            let mut short = String::new();
            let mut words = rel.split(' ').peekable();
            while let Some(w) = words.next() {
                let unit = match words.peek() {
                    Some(&u) if w.chars().all(|c| c.is_ascii_digit()) => u.chars().next(),
                    _ => None,
                };
                if !short.is_empty() {
                    short.push(' ');
                }
                short.push_str(w);
                if let Some(u) = unit {
                    short.push(u);
                    words.next();
                }
            }
            format!("{} {short}", t.format("%Y-%m-%d"))
        }
        None => "no end date".to_owned(),
    }
}

/// The band word, styled.
pub fn status_span(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Span<'static> {
    match t {
        Some(t) => {
            let s = Status::of(t, now);
            Span::styled(s.label(), theme().status(s))
        }
        None => Span::styled("—", theme().muted()),
    }
}

/// A one-line text field `width` cells wide; when focused, the cursor cell is drawn reversed
/// (no terminal cursor to place, so snapshots show it too). The input's scroll and cursor
/// are display columns too.
pub fn field(input: &Input, width: usize, focused: bool, placeholder: &str) -> Line<'static> {
    let t = theme();
    let max = width.max(2);
    let value = input.value();
    if value.is_empty() && !focused {
        let mut s = placeholder.to_owned();
        let pad = max.saturating_sub(self::width(&s));
        s.push_str(&" ".repeat(pad));
        return Line::from(Span::styled(s, t.muted().patch(t.input())));
    }
    let scroll = input.visual_scroll(max.saturating_sub(1));
    let cursor = input.visual_cursor();
    let mut spans = Vec::new();
    let (mut shown, mut column) = (0, 0);
    for c in clusters(value) {
        let (at, w) = (column, self::width(c));
        column += w;
        if at < scroll {
            continue;
        }
        if shown + w > max {
            break;
        }
        let style = if focused && at == cursor {
            t.cursor()
        } else {
            t.input()
        };
        spans.push(Span::styled(c.to_owned(), style));
        shown += w;
    }
    if focused && cursor >= scroll + shown && shown < max {
        spans.push(Span::styled(" ", t.cursor()));
        shown += 1;
    }
    if shown < max {
        spans.push(Span::styled(" ".repeat(max - shown), t.input()));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1998), "1,998");
        assert_eq!(thousands(50000), "50,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn relative_rounds_whole_days() {
        use chrono::TimeZone;
        let now = Utc
            .with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
            .single()
            .expect("date");
        let d = |days: i64, secs: i64| {
            now + chrono::Duration::days(days) + chrono::Duration::seconds(secs)
        };
        assert_eq!(relative(d(90, -5), now), "in 90 days");
        assert_eq!(relative(d(12, 0), now), "in 12 days");
        assert_eq!(relative(d(-3, 0), now), "expired 3 days ago");
        assert_eq!(relative(d(-3, -60), now), "expired 3 days ago");
        assert_eq!(relative(d(0, 3 * 3600), now), "in 3 hours");
    }

    #[test]
    fn compact_expiry() {
        use chrono::TimeZone;
        let now = Utc
            .with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
            .single()
            .expect("date");
        let past = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).single();
        assert_eq!(expires_compact(past, now), "2026-11-23 expired 3d ago");
        let soon = Utc.with_ymd_and_hms(2026, 12, 8, 0, 0, 0).single();
        assert_eq!(expires_compact(soon, now), "2026-12-08 in 12d");
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
    }

    #[test]
    fn wrapping_counts_cells_not_characters() {
        // CJK: two cells each. Six cells hold three characters, not six.
        assert_eq!(wrap("秘密の値 です", 6), vec!["秘密の", "値", "です"]);
        assert!(wrap("支払いAPIの秘密", 7).iter().all(|l| width(l) <= 7));
        // Emoji: two cells.
        assert_eq!(wrap("🔑🔑🔑 ok", 4), vec!["🔑🔑", "🔑", "ok"]);
        // Combining marks take no cell and stay with their letter.
        let cafe = "cafe\u{301}";
        assert_eq!(width(cafe), 4);
        // "café au" is seven cells (eight characters): it fits seven.
        let words = format!("{cafe} au lait");
        assert_eq!(
            wrap(&words, 7),
            vec![format!("{cafe} au"), "lait".to_owned()]
        );
        assert_eq!(wrap(cafe, 2), vec!["ca", "fe\u{301}"]);
        // A two-cell character in a one-cell width still makes progress.
        assert_eq!(wrap("界界", 1), vec!["界", "界"]);
    }

    #[test]
    fn short_ids_cut_by_cells() {
        assert_eq!(short("abcdef", 6), "abcdef");
        assert_eq!(short("abcdefgh", 6), "abcde…");
        assert_eq!(short("界界界界", 6), "界界…");
        assert_eq!(width(&short("界界界界", 6)), 5, "never wider than asked");
        assert_eq!(short("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
    }

    #[test]
    fn fields_draw_wide_text_within_their_width() {
        let cells = |l: &Line| l.spans.iter().map(|s| width(&s.content)).sum::<usize>();
        for value in [
            "秘密の値秘密の値秘密の値",
            "🔑🔑🔑🔑🔑🔑🔑🔑",
            "cafe\u{301} cafe\u{301} cafe\u{301}",
        ] {
            let input = Input::new(value.to_owned());
            for focused in [true, false] {
                let l = field(&input, 10, focused, "");
                assert_eq!(cells(&l), 10, "{value:?} focused={focused}");
            }
        }
        // The cursor sits after the text, reversed, when it fits.
        let l = field(&Input::new("界".into()), 10, true, "");
        let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
        assert!(text.starts_with("界 "), "{text:?}");
        let placeholder = field(&Input::default(), 8, false, "名前");
        assert_eq!(cells(&placeholder), 8);
    }
}
