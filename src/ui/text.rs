//! Small text helpers shared by the views: thousands separators, short ids, wrapping,
//! and the one-line text field with a visible cursor.

use chrono::{DateTime, Utc};
use ratatui::text::{Line, Span};
use tui_input::Input;

use crate::expiry::{self, Status};

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

/// An id cut to `width` characters with an ellipsis (narrow terminals).
pub fn short(id: &str, width: usize) -> String {
    if id.chars().count() <= width {
        return id.to_owned();
    }
    let keep: String = id.chars().take(width.saturating_sub(1)).collect();
    format!("{keep}…")
}

/// Greedy word wrap (long words are cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_owned();
        while word.chars().count() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
        }
        let need = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if need > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
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

/// A one-line text field `width` wide; when focused, the cursor cell is drawn reversed
/// (no terminal cursor to place, so snapshots show it too).
pub fn field(input: &Input, width: usize, focused: bool, placeholder: &str) -> Line<'static> {
    let t = theme();
    let width = width.max(2);
    let value = input.value();
    if value.is_empty() && !focused {
        let mut s = placeholder.to_owned();
        let pad = width.saturating_sub(s.chars().count());
        s.push_str(&" ".repeat(pad));
        return Line::from(Span::styled(s, t.muted().patch(t.input())));
    }
    let scroll = input.visual_scroll(width.saturating_sub(1));
    let chars: Vec<char> = value.chars().collect();
    let cursor = input.visual_cursor();
    let mut spans = Vec::new();
    let mut shown = 0;
    let visible: String = chars.iter().skip(scroll).take(width).collect();
    for (i, c) in visible.chars().enumerate() {
        let style = if focused && scroll + i == cursor {
            t.cursor()
        } else {
            t.input()
        };
        spans.push(Span::styled(c.to_string(), style));
        shown += 1;
    }
    if focused && cursor >= scroll + shown && shown < width {
        spans.push(Span::styled(" ", t.cursor()));
        shown += 1;
    }
    if shown < width {
        spans.push(Span::styled(" ".repeat(width - shown), t.input()));
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
}
