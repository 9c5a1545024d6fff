//! The one sanitizer for text that reaches a terminal. Every string that comes from the tenant
//! (names, descriptions, hints, ids, Graph's error codes and messages, request ids, a token's
//! claims) passes through here before the CLI prints it or the TUI draws it. JSON output does
//! not: serde escapes it, and scripts need the exact text.
//!
//! What is neutralized, and how it shows (README "Hostile text"):
//! - C0 controls (U+0000–U+001F), DEL (U+007F) and C1 controls (U+0080–U+009F), which carry
//!   escape sequences (ESC, CSI, OSC, DCS, APC, PM, SOS, 8-bit CSI…): shown as `⟨U+001B⟩`.
//!   A line feed inside one-line text shows as `↵`, so a name cannot start a new row or forge
//!   a prompt.
//! - Bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), which can
//!   reorder what is shown (`gpj.exe` spoofing): shown as `⟨U+202E⟩`.
//! - Invisible characters (U+00AD, U+115F, U+1160, U+180E, U+200B–U+200D, U+2028, U+2029,
//!   U+2060–U+2064, U+206A–U+206F, U+3164, U+FEFF, U+FFA0, U+FFF9–U+FFFB, tag characters
//!   U+E0000–U+E007F), which make two names look alike or hide text: `⟨U+200B⟩`. The zero-width
//!   joiner stays inside an emoji sequence (`👩‍💻`) and tag characters inside a flag (`🏴󠁧󠁢󠁳󠁣󠁴󠁿`),
//!   where they are how the picture is written.
//! - A flood of combining marks on one letter (which draws over the lines above and below):
//!   the first [`MAX_MARKS`] stay, the rest show as `⟨+N marks⟩`.
//!
//! JSON keeps the exact text, and is still safe on a terminal: [`json_pretty`] and
//! [`json_to_writer`] write every such character as a `\uXXXX` escape, which a parser reads
//! back as the same character.
//!
//! Everything else (letters of every script, combining marks, emoji, CJK) passes unchanged.
//! Width is measured in terminal columns (`unicode-width`), never in chars or bytes; every cut
//! ends in `…`.

use std::borrow::Cow;
use std::fmt::Write as _;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The mark at the end of every cut text.
pub const ELLIPSIS: char = '…';

/// The mark shown for a line break inside one-line text.
pub const NEWLINE_MARK: char = '↵';

/// Shown for a missing, empty or blank display name.
pub const NO_NAME: &str = "(no name)";

/// Combining marks kept on one letter; more than this is a flood.
pub const MAX_MARKS: usize = 8;

/// Whether `c` must never reach a terminal as itself, wherever it stands. (The zero-width
/// joiner and tag characters are also allowed inside emoji; [`clean`] decides that.)
pub fn is_hostile(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}'
        | '\u{AD}' | '\u{61C}' | '\u{115F}' | '\u{1160}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}')
}

/// Pictographs a zero-width joiner may join (emoji ZWJ sequences), with the variation selector
/// and skin-tone modifiers that may sit before the joiner.
fn is_pictographic(c: char) -> bool {
    matches!(c,
        '\u{2190}'..='\u{21FF}' | '\u{2300}'..='\u{23FF}' | '\u{2600}'..='\u{27BF}'
        | '\u{2B00}'..='\u{2BFF}' | '\u{FE0F}' | '\u{1F000}'..='\u{1FAFF}')
}

const ZWJ: char = '\u{200D}';
const BLACK_FLAG: char = '\u{1F3F4}';

/// Nothing to do: printable ASCII only (almost every name and id).
fn plain_ascii(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Whether `s` needs any change (checked before allocating).
fn needs_cleaning(s: &str, keep_newlines: bool) -> bool {
    if plain_ascii(s) {
        return false;
    }
    let mut marks = 0usize;
    for (c, hostile) in judged(s) {
        if keep_newlines && c == '\n' {
            marks = 0;
            continue;
        }
        if hostile {
            return true;
        }
        if is_mark(c) {
            marks += 1;
            if marks > MAX_MARKS {
                return true;
            }
        } else {
            marks = 0;
        }
    }
    false
}

/// A character that draws nothing on its own and joins the one before (combining marks,
/// variation selectors): what a flood is made of.
fn is_mark(c: char) -> bool {
    !c.is_control() && UnicodeWidthChar::width(c) == Some(0)
}

/// Each character of a string with whether it must be neutralized there: [`is_hostile`], except
/// the zero-width joiner between two pictographs and tag characters in a flag (a black flag,
/// then tags up to the cancel tag), which are how emoji are written.
struct Judged<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    prev: Option<char>,
    in_flag: bool,
}

fn judged(s: &str) -> Judged<'_> {
    Judged {
        chars: s.chars().peekable(),
        prev: None,
        in_flag: false,
    }
}

impl Iterator for Judged<'_> {
    type Item = (char, bool);

    fn next(&mut self) -> Option<(char, bool)> {
        let c = self.chars.next()?;
        let next = self.chars.peek().copied();
        let allowed = match c {
            ZWJ => self.prev.is_some_and(is_pictographic) && next.is_some_and(is_pictographic),
            '\u{E0020}'..='\u{E007F}' => self.in_flag,
            _ => false,
        };
        self.in_flag = match c {
            BLACK_FLAG => true,
            '\u{E0020}'..='\u{E007E}' => self.in_flag,
            _ => false,
        };
        self.prev = Some(c);
        Some((c, is_hostile(c) && !allowed))
    }
}

fn push_placeholder(out: &mut String, c: char) {
    if c == '\n' {
        out.push(NEWLINE_MARK);
    } else {
        // Writing to a String cannot fail.
        let _ = write!(out, "⟨U+{:04X}⟩", u32::from(c));
    }
}

fn clean_with(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !needs_cleaning(s, keep_newlines) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut marks = 0usize;
    let mut dropped = 0usize;
    let flush = |out: &mut String, dropped: &mut usize| {
        if *dropped > 0 {
            let _ = write!(out, "⟨+{dropped} marks⟩");
            *dropped = 0;
        }
    };
    for (c, hostile) in judged(s) {
        if keep_newlines && c == '\n' {
            flush(&mut out, &mut dropped);
            out.push('\n');
            marks = 0;
        } else if hostile {
            flush(&mut out, &mut dropped);
            push_placeholder(&mut out, c);
            marks = 0;
        } else if is_mark(c) {
            marks += 1;
            if marks > MAX_MARKS {
                dropped += 1;
            } else {
                out.push(c);
            }
        } else {
            flush(&mut out, &mut dropped);
            marks = 0;
            out.push(c);
        }
    }
    flush(&mut out, &mut dropped);
    Cow::Owned(out)
}

/// `s` as one line: every hostile character replaced by its visible placeholder (a line feed
/// by `↵`). Borrows when there is nothing to replace (the common case).
pub fn clean(s: &str) -> Cow<'_, str> {
    clean_with(s, false)
}

/// `s` as several lines: like [`clean`], but a line feed stays a line break. For text whose
/// lines are ours (a message, a summary) with tenant text already cleaned inside it: the net
/// that catches anything that was not.
pub fn clean_lines(s: &str) -> Cow<'_, str> {
    clean_with(s, true)
}

/// `s` without its hostile characters, nothing shown in their place: the last net for a
/// terminal cell that some view forgot to clean (the views clean, with placeholders).
pub fn strip(s: &str) -> Cow<'_, str> {
    // Context only ever allows more, so no hostile character at all needs no context.
    if plain_ascii(s) || !s.chars().any(is_hostile) || !judged(s).any(|(_, hostile)| hostile) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        judged(s)
            .filter(|(_, hostile)| !hostile)
            .map(|(c, _)| c)
            .collect(),
    )
}

/// A display name for a cell or a line: cleaned, and `(no name)` when missing, empty or blank.
pub fn name(s: Option<&str>) -> Cow<'_, str> {
    match s {
        Some(s) if !s.trim().is_empty() => clean(s),
        _ => Cow::Borrowed(NO_NAME),
    }
}

/// Columns `s` takes on a terminal (after cleaning, the caller's job).
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` (already clean) cut to at most `max` columns; a cut ends in `…`. Never splits a
/// double-width character (the result may be one column short instead), and never parts a
/// combining mark from its letter.
pub fn fit(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let budget = max - 1; // room for the ellipsis
    let end = prefix_end(s, budget);
    let mut out = String::with_capacity(end + ELLIPSIS.len_utf8());
    out.push_str(&s[..end]);
    out.push(ELLIPSIS);
    Cow::Owned(out)
}

/// `s` cleaned and cut to `max` columns: the usual way a tenant string becomes one cell.
pub fn cell(s: &str, max: usize) -> Cow<'_, str> {
    match clean(s) {
        Cow::Borrowed(b) => fit(b, max),
        Cow::Owned(o) => Cow::Owned(fit(&o, max).into_owned()),
    }
}

/// `s` (already clean) padded with spaces, or cut with `…`, to exactly `cols` columns when it
/// can be (a double-width character at the edge leaves one column of padding).
/// Where the longest start of `s` at most `budget` columns wide ends (a byte index).
fn prefix_end(s: &str, budget: usize) -> usize {
    let mut used = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > budget {
            break;
        }
        used += w;
        end = i + c.len_utf8();
    }
    end
}

/// `s` (already clean) cut to at most `max` columns in the middle, so both ends stay
/// (`repo:contoso/infra:…s/heads/main`): for values whose distinguishing part may be at either
/// end. The same care as [`fit`] for wide characters and combining marks.
pub fn fit_middle(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max || max < 5 {
        return fit(s, max);
    }
    let budget = max - 1;
    let head_budget = budget / 2;
    let tail_budget = budget - head_budget;
    let head_end = prefix_end(s, head_budget);
    let mut used = 0;
    let mut tail_start = s.len();
    for (i, c) in s.char_indices().rev() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > tail_budget || i < head_end {
            break;
        }
        used += w;
        tail_start = i;
    }
    // A tail never starts with a mark parted from its letter.
    let tail = s[tail_start..]
        .trim_start_matches(|c: char| UnicodeWidthChar::width(c) == Some(0) && c != ELLIPSIS);
    let mut out = String::with_capacity(head_end + ELLIPSIS.len_utf8() + tail.len());
    out.push_str(&s[..head_end]);
    out.push(ELLIPSIS);
    out.push_str(tail);
    Cow::Owned(out)
}

pub fn pad(s: &str, cols: usize) -> String {
    let cut = fit(s, cols);
    let w = width(&cut);
    let mut out = String::with_capacity(cut.len() + cols.saturating_sub(w));
    out.push_str(&cut);
    out.extend(std::iter::repeat_n(' ', cols.saturating_sub(w)));
    out
}

/// A serde_json formatter that writes [`is_hostile`] characters inside strings as `\uXXXX`
/// escapes (serde_json escapes only C0 and the quote): the same JSON to a parser, nothing a
/// terminal acts on.
pub struct TerminalSafe<F>(pub F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for TerminalSafe<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if !is_hostile(c) {
                continue;
            }
            w.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                write!(w, "\\u{u:04x}")?;
            }
            start = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// `value` as pretty JSON, exact and terminal-safe ([`TerminalSafe`]).
pub fn json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        TerminalSafe(serde_json::ser::PrettyFormatter::new()),
    );
    value.serialize(&mut ser)?;
    // The serializer writes only valid UTF-8 (str fragments and ASCII escapes).
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

/// `value` as compact JSON into `w`, exact and terminal-safe ([`TerminalSafe`]).
pub fn json_to_writer<W: std::io::Write, T: serde::Serialize + ?Sized>(
    w: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser =
        serde_json::Serializer::with_formatter(w, TerminalSafe(serde_json::ser::CompactFormatter));
    value.serialize(&mut ser)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_become_visible() {
        let s = clean("ZZevil\u{1b}]0;PWNED\u{7}\u{1b}[31mred");
        assert_eq!(s, "ZZevil⟨U+001B⟩]0;PWNED⟨U+0007⟩⟨U+001B⟩[31mred");
        assert_eq!(clean("a\u{9b}31m"), "a⟨U+009B⟩31m");
        assert_eq!(clean("a\u{7f}"), "a⟨U+007F⟩");
        assert_eq!(clean("a\0b"), "a⟨U+0000⟩b");
        assert_eq!(clean("two\nrows\r"), "two↵rows⟨U+000D⟩");
        assert_eq!(clean("tab\there"), "tab⟨U+0009⟩here");
    }

    #[test]
    fn lines_keep_their_breaks_and_nothing_else() {
        assert_eq!(clean_lines("a\nb"), "a\nb");
        assert!(matches!(clean_lines("a\nb"), Cow::Borrowed(_)));
        assert_eq!(clean_lines("a\r\u{1b}[2K\nb"), "a⟨U+000D⟩⟨U+001B⟩[2K\nb");
    }

    #[test]
    fn bidi_and_invisible_characters_become_visible() {
        assert_eq!(clean("abc\u{202e}gpj.exe"), "abc⟨U+202E⟩gpj.exe");
        for c in [
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{feff}',
            '\u{ad}',
            '\u{3164}',
            '\u{e0041}',
        ] {
            let s = format!("x{c}y");
            let cleaned = clean(&s);
            assert!(!cleaned.contains(c), "{:04X}", u32::from(c));
            assert!(cleaned.contains(&format!("U+{:04X}", u32::from(c))));
        }
    }

    #[test]
    fn emoji_keep_their_joiners_and_tags() {
        for s in [
            "👩\u{200d}💻 dev",
            "👨\u{200d}👩\u{200d}👧\u{200d}👦",
            "🏳\u{fe0f}\u{200d}🌈",
            "🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}",
        ] {
            assert!(matches!(clean(s), Cow::Borrowed(_)), "{s:?}");
        }
        // A joiner between letters is not an emoji: it hides a difference between two names.
        assert_eq!(clean("pay\u{200d}pal"), "pay⟨U+200D⟩pal");
        // Tags outside a flag smuggle invisible text, however many in a row.
        assert_eq!(clean("a\u{e0041}"), "a⟨U+E0041⟩");
        assert_eq!(clean("a\u{e0041}\u{e0042}"), "a⟨U+E0041⟩⟨U+E0042⟩");
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for s in [
            "contoso-billing-api (prod)",
            "日本語アプリ",
            "café",
            "e\u{301}",
            "🚀 deploy",
            "Ελληνικά",
            "नमस्ते",
        ] {
            assert!(matches!(clean(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn mark_floods_are_capped_visibly() {
        let flood = format!("Z{}", "\u{301}".repeat(50));
        let cleaned = clean(&flood);
        assert_eq!(
            cleaned,
            format!("Z{}⟨+42 marks⟩", "\u{301}".repeat(MAX_MARKS))
        );
        let few = format!("Z{}", "\u{301}".repeat(3));
        assert!(matches!(clean(&few), Cow::Borrowed(_)));
    }

    #[test]
    fn empty_names_have_a_word() {
        assert_eq!(name(None), NO_NAME);
        assert_eq!(name(Some("")), NO_NAME);
        assert_eq!(name(Some("   ")), NO_NAME);
        assert_eq!(name(Some("x")), "x");
        assert_eq!(name(Some("\u{200b}")), "⟨U+200B⟩");
    }

    #[test]
    fn fit_middle_keeps_both_ends() {
        let s = "repo:contoso/infra:ref:refs/heads/main";
        assert_eq!(fit_middle(s, 20), "repo:cont…heads/main");
        assert_eq!(width(&fit_middle(s, 20)), 20);
        assert_eq!(fit_middle(s, 100), s, "fits: unchanged");
        assert_eq!(fit_middle(s, 4), fit(s, 4), "too narrow for two ends");
        // Wide characters never split: one column short instead.
        let cut = fit_middle("東京オフィス会議室予約システム", 10);
        assert!(width(&cut) <= 10, "{cut}");
        assert!(cut.starts_with("東京") && cut.ends_with("テム"), "{cut}");
        // A combining mark never starts the tail alone.
        let cut = fit_middle("aaaaaaaae\u{301}\u{301}bbbb", 7);
        assert!(!cut.contains("…\u{301}"), "{cut:?}");
    }

    #[test]
    fn fit_counts_columns_and_marks_the_cut() {
        assert_eq!(fit("abcdef", 6), "abcdef");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("日本語アプリ", 5), "日本…");
        assert_eq!(width(&fit("日本語アプリ", 6)), 5);
        assert_eq!(fit("🚀🚀🚀", 4), "🚀…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
        assert_eq!(cell("a\u{1b}bcdefghijkl", 8), "a⟨U+001…");
    }

    #[test]
    fn strip_removes_without_a_trace() {
        assert_eq!(strip("a\u{202e}"), "a");
        assert_eq!(strip("\u{1b}"), "");
        assert!(matches!(strip("👩\u{200d}💻"), Cow::Borrowed(_)));
        assert!(matches!(strip("x"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_is_exact_and_terminal_safe() {
        let v = serde_json::json!({"name": "a\u{9b}b\u{202e}c\u{1b}d 👩\u{200d}💻 \u{e0041} 日本"});
        for text in [json_pretty(&v).unwrap(), {
            let mut w = Vec::new();
            json_to_writer(&mut w, &v).unwrap();
            String::from_utf8(w).unwrap()
        }] {
            assert!(!text.chars().any(|c| c != '\n' && is_hostile(c)), "{text}");
            assert!(
                text.contains("\\u009b") && text.contains("\\udb40\\udc41"),
                "{text}"
            );
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, v);
        }
    }

    #[test]
    fn pad_fills_exactly() {
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(width(&pad("日本語アプリ", 6)), 6);
        assert_eq!(pad("abcdef", 4), "abc…");
    }
}
