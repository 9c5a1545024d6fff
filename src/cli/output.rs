//! Output for the scripting twin: tables for people, and the pipe-safe ways results and
//! messages leave the process.
//!
//! Tables: every cell is cleaned ([`crate::sanitize`]: no escape sequence, control, bidi or
//! invisible character from the tenant reaches the terminal, a line feed shows as `↵`), widths
//! are terminal columns (`unicode-width`: CJK and emoji take two, combining marks none), and
//! every cut ends in `…`. When the table is too wide, names give way first down to a floor,
//! then ids, then names again: a name is what a person reads, an id can be looked up.
//!
//! Results go to stdout through [`emit`] (a reader that went away ends the command quietly);
//! messages go to stderr through [`note`] (a closed stderr is ignored).

use std::borrow::Cow;
use std::io::IsTerminal;

use crate::console;
use crate::sanitize::{self, fit, pad, width as cols};

use super::CliError;

/// How a column behaves when the table is too wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    /// Never cut (dates, counts, words of ours).
    Fixed,
    /// A name or description: first to give way down to [`NAME_FLOOR`], last below it.
    Name,
    /// An id: gives way after names reach their floor, down to [`ID_FLOOR`].
    Id,
    /// As a name, but cut in the middle so both ends stay (subjects, paths).
    Middle,
}

/// Columns a name keeps before ids give way.
pub const NAME_FLOOR: usize = 20;
/// Columns an id keeps at least (eight characters and `…`, as the secrets table shows them).
pub const ID_FLOOR: usize = 9;
/// Columns a name keeps at the very least.
const NAME_MIN: usize = 8;

/// Render rows as an aligned text table at most `width` columns wide when it can be. Cells
/// are cleaned here; `kinds` says how each column gives way (missing kinds are `Fixed`).
pub fn table(headers: &[&str], rows: &[Vec<String>], width: usize, kinds: &[Col]) -> String {
    let mut cleaned = clean_rows(headers.len(), rows);
    let w = widths(headers, &cleaned, width, kinds);
    for r in &mut cleaned {
        for (i, c) in r.iter_mut().enumerate() {
            if kinds.get(i) == Some(&Col::Middle) && cols(c) > w[i] {
                *c = Cow::Owned(sanitize::fit_middle(c, w[i]).into_owned());
            }
        }
    }
    let mut out = line(headers.iter().copied(), &w);
    for r in &cleaned {
        out.push_str(&line(r.iter().map(|c| c.as_ref()), &w));
    }
    out
}

fn clean_rows(ncols: usize, rows: &[Vec<String>]) -> Vec<Vec<Cow<'_, str>>> {
    rows.iter()
        .map(|r| r.iter().take(ncols).map(|c| sanitize::clean(c)).collect())
        .collect()
}

/// Column widths for `rows` (cleaned) at most `width` wide: the widest cell of each column,
/// then names give way down to a floor, then ids, then names again.
fn widths(
    headers: &[&str],
    cleaned: &[Vec<Cow<'_, str>>],
    width: usize,
    kinds: &[Col],
) -> Vec<usize> {
    let ncols = headers.len();
    // A middle-cut column gives way as a name does.
    let kind = |i: usize| match kinds.get(i).copied().unwrap_or(Col::Fixed) {
        Col::Middle => Col::Name,
        k => k,
    };
    let mut w: Vec<usize> = headers.iter().map(|h| cols(h)).collect();
    for r in cleaned {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(cols(c));
        }
    }
    let gaps = 2 * ncols.saturating_sub(1);
    let total = |w: &[usize]| w.iter().sum::<usize>() + gaps;
    // Shrink the widest column of a kind, one column at a time, down to `floor`.
    let shrink = |w: &mut Vec<usize>, of: Col, floor: usize| {
        while total(w) > width {
            let widest = (0..ncols)
                .filter(|&i| kind(i) == of && w[i] > floor)
                .max_by_key(|&i| w[i]);
            match widest {
                Some(i) => w[i] -= 1,
                None => break,
            }
        }
    };
    shrink(&mut w, Col::Name, NAME_FLOOR);
    shrink(&mut w, Col::Id, ID_FLOOR);
    shrink(&mut w, Col::Name, NAME_MIN);
    w
}

/// One table line: cells padded (the last cut) to `w`, trailing blanks trimmed.
fn line<'a>(cells: impl Iterator<Item = &'a str>, w: &[usize]) -> String {
    let ncols = w.len();
    let mut l = String::new();
    for (i, c) in cells.enumerate().take(ncols) {
        if i + 1 == ncols {
            l.push_str(&fit(c, w[i]));
        } else {
            l.push_str(&pad(c, w[i]));
            l.push_str("  ");
        }
    }
    let mut out = l.trim_end().to_owned();
    out.push('\n');
    out
}

/// A table written as its rows arrive: the widths come from the first batch and the
/// terminal, never from the whole list, so 200,000 rows are never held. A later cell wider
/// than its column is cut with `…`; names get whatever width the terminal leaves them.
pub struct StreamTable {
    headers: Vec<&'static str>,
    kinds: Vec<Col>,
    width: usize,
    widths: Option<Vec<usize>>,
    rows: usize,
}

impl StreamTable {
    pub fn new(headers: &[&'static str], kinds: &[Col], width: usize) -> Self {
        Self {
            headers: headers.to_vec(),
            kinds: kinds.to_vec(),
            width,
            widths: None,
            rows: 0,
        }
    }

    /// Write a batch (the first one, with the header, fixes the widths).
    pub fn push(&mut self, rows: &[Vec<String>]) -> Result<(), CliError> {
        if rows.is_empty() {
            return Ok(());
        }
        let cleaned = clean_rows(self.headers.len(), rows);
        let mut out = String::new();
        let w = match &self.widths {
            Some(w) => w.clone(),
            None => {
                let mut w = widths(&self.headers, &cleaned, self.width, &self.kinds);
                // Names later in the list may be longer: give them the room the terminal has.
                let used = w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
                let spare = self.width.saturating_sub(used);
                let names: Vec<usize> = (0..w.len())
                    .filter(|&i| self.kinds.get(i) == Some(&Col::Name))
                    .collect();
                if let Some(each) = spare.checked_div(names.len()) {
                    for i in names {
                        w[i] += each.min(24);
                    }
                }
                out.push_str(&line(self.headers.iter().copied(), &w));
                self.widths = Some(w.clone());
                w
            }
        };
        for r in &cleaned {
            out.push_str(&line(r.iter().map(|c| c.as_ref()), &w));
        }
        self.rows += rows.len();
        emit(out.as_bytes())
    }

    /// The end: a table with no row still gets its header. How many rows were written.
    pub fn finish(self) -> Result<usize, CliError> {
        if self.widths.is_none() {
            let w: Vec<usize> = self.headers.iter().map(|h| cols(h)).collect();
            emit(line(self.headers.iter().copied(), &w).as_bytes())?;
        }
        Ok(self.rows)
    }
}

/// Terminal width for tables: `$COLUMNS` when set, else the terminal's width when stdout is
/// one, else 80 (tables are readable at 80 columns).
pub fn width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok());
    let terminal = || {
        std::io::stdout()
            .is_terminal()
            .then(crossterm::terminal::size)
            .and_then(Result::ok)
            .map(|(w, _)| usize::from(w))
    };
    columns.or_else(terminal).filter(|w| *w >= 40).unwrap_or(80)
}

/// Write a command's result to stdout. A reader that went away (`| head`) ends the command
/// quietly with exit 0; another failure is an error.
pub fn emit(bytes: &[u8]) -> Result<(), CliError> {
    console::out(bytes).map_err(CliError::output)
}

/// A name's characters lowercased, for sorting by name without a lowercase copy of each.
pub fn caseless(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// `caseless(a).cmp(caseless(b))`, faster: ASCII compared byte by byte until either name leaves
/// ASCII, the rest as [`caseless`] (a non-ASCII character may lowercase to ASCII, as `K` U+212A).
pub fn caseless_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    caseless_cmp_utf8(a.as_bytes(), b.as_bytes())
}

/// [`caseless_cmp`] of two UTF-8 texts given as bytes (checked only past ASCII).
pub fn caseless_cmp_utf8(x: &[u8], y: &[u8]) -> std::cmp::Ordering {
    for (i, (p, q)) in x.iter().zip(y).enumerate() {
        if !p.is_ascii() || !q.is_ascii() {
            // Every byte before `i` is ASCII: `i` starts a character in both.
            let a = String::from_utf8_lossy(x.get(i..).unwrap_or_default());
            let b = String::from_utf8_lossy(y.get(i..).unwrap_or_default());
            return caseless(&a).cmp(caseless(&b));
        }
        match p.to_ascii_lowercase().cmp(&q.to_ascii_lowercase()) {
            std::cmp::Ordering::Equal => {}
            o => return o,
        }
    }
    // One is a prefix of the other; any character lowercases to at least one.
    x.len().cmp(&y.len())
}

/// Ask on the terminal before deleting: `Ok(true)` when the answer is yes. Without a terminal
/// to ask on, a usage error (scripts say `--yes`). `prompt` is the whole question, its tenant
/// text already quoted.
pub fn confirm_delete(prompt: &str) -> Result<bool, CliError> {
    use std::io::BufRead;
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::usage(
            "refusing to delete without --yes: no terminal to confirm on",
        ));
    }
    console::err(prompt);
    let mut answer = String::new();
    let _ = stdin.lock().read_line(&mut answer);
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// A message on stderr (cleaned as a last net; a closed stderr is ignored).
pub fn note(line: &str) {
    console::err_line_clean(line);
}

/// `client`, saying on stderr when Graph makes it wait ("note: Graph is throttling; retrying
/// in 12 s, attempt 2 of 6"), so a throttled command is not silently stuck.
pub fn observed(client: crate::graph::GraphClient) -> crate::graph::GraphClient {
    client.with_observer(std::sync::Arc::new(|event| {
        if let crate::graph::RetryEvent::Waiting(w) = event {
            let secs = w.wait.as_millis().div_ceil(1000);
            note(&format!(
                "note: {}",
                w.describe(u64::try_from(secs).unwrap_or(u64::MAX))
            ));
        }
    }))
}

/// The warning for records Graph sent that could not be read (README "Unreadable records").
pub fn skipped_warning(skipped: usize, what: &str) -> String {
    let plural = if skipped == 1 { "" } else { "s" };
    format!(
        "warning: skipped {skipped} {what}{plural} that Graph sent in a form azsecrets cannot read (the log file names the fields); the rest is complete"
    )
}

/// `s` cut to `max` columns after cleaning, for one-line messages that quote tenant text.
pub fn quote(s: &str, max: usize) -> String {
    fit(&sanitize::clean(s), max).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn aligns_and_truncates_the_name_column() {
        let rows = vec![
            vec!["short".to_owned(), "x".to_owned()],
            vec![
                "a much longer display name that will not fit".to_owned(),
                "y".to_owned(),
            ],
        ];
        let t = table(&["NAME", "ID"], &rows, 20, &[Col::Name]);
        for l in t.lines() {
            assert!(l.width() <= 20, "{l}");
        }
        assert!(t.contains('…'));
        assert!(t.starts_with("NAME"));
    }

    /// The column after a name starts at the same terminal column on every line.
    fn id_columns(t: &str) -> Vec<usize> {
        t.lines()
            .map(|l| {
                let at = l.rfind("  ").expect("a gap") + 2;
                l[..at].width()
            })
            .collect()
    }

    #[test]
    fn wide_characters_align_by_display_width() {
        let rows = vec![
            vec!["支払いサービス".to_owned(), "id-1".to_owned()],
            vec!["billing 🚀 api".to_owned(), "id-2".to_owned()],
            vec!["cafe\u{301} plain".to_owned(), "id-3".to_owned()],
        ];
        let t = table(&["NAME", "ID"], &rows, 80, &[Col::Name]);
        let cols = id_columns(&t);
        assert!(cols.iter().all(|c| *c == cols[0]), "{t}\n{cols:?}");
        // "支払いサービス" is 7 characters but 14 columns wide.
        assert_eq!(cols[0], 16, "{t}");
    }

    #[test]
    fn cutting_never_splits_a_wide_character_or_overflows() {
        let rows = vec![vec!["支払いサービスの請求".to_owned(), "x".to_owned()]];
        for width in 10..20 {
            let t = table(&["NAME", "ID"], &rows, width, &[Col::Name]);
            let cols = id_columns(&t);
            assert!(cols.iter().all(|c| *c == cols[0]), "{width}: {t}");
            for l in t.lines() {
                assert!(l.width() <= width.max(12), "{width}: {l}");
            }
        }
    }

    #[test]
    fn cells_are_cleaned_and_rows_stay_rows() {
        let rows = vec![vec![
            "evil\u{1b}]0;PWNED\u{7}\nsecond row".to_owned(),
            "\u{202e}id".to_owned(),
        ]];
        let t = table(&["NAME", "ID"], &rows, 200, &[Col::Name, Col::Id]);
        assert_eq!(t.lines().count(), 2, "{t}");
        assert!(!t.contains('\u{1b}') && !t.contains('\u{7}') && !t.contains('\u{202e}'));
        assert!(t.contains("evil⟨U+001B⟩]0;PWNED⟨U+0007⟩↵second row"), "{t}");
    }

    #[test]
    fn a_streamed_table_keeps_the_first_batch_widths() {
        let rows = |n: &str| vec![vec![n.to_owned(), "id".to_owned()]];
        let short = rows("short");
        let cleaned = clean_rows(2, &short);
        let w = widths(&["NAME", "ID"], &cleaned, 40, &[Col::Name]);
        assert_eq!(w, vec![5, 2]);
        let longer = rows("a much longer display name than the first");
        let long = clean_rows(2, &longer);
        let l = line(long[0].iter().map(|c| c.as_ref()), &[10, 2]);
        assert!(l.starts_with("a much lo…  id"), "{l}");
    }

    proptest::proptest! {
        #[test]
        fn caseless_cmp_orders_as_caseless(
            a in "[a-zA-Z0-9 _K\u{212a}\u{130}\u{df}\u{3a3}\u{3c3}\u{1e9e}é É支]{0,8}",
            b in "[a-zA-Z0-9 _K\u{212a}\u{130}\u{df}\u{3a3}\u{3c3}\u{1e9e}é É支]{0,8}",
            any in ".{0,12}",
        ) {
            proptest::prop_assert_eq!(caseless_cmp(&a, &b), caseless(&a).cmp(caseless(&b)));
            proptest::prop_assert_eq!(caseless_cmp(&any, &a), caseless(&any).cmp(caseless(&a)));
            proptest::prop_assert_eq!(caseless_cmp(&a, &a), std::cmp::Ordering::Equal);
        }
    }

    #[test]
    fn caseless_cmp_handles_what_lowercases_across_scripts() {
        use std::cmp::Ordering::*;
        for (a, b, want) in [
            ("abc", "ABC", Equal),
            ("ab", "abc", Less),
            ("Zeta", "alpha", Greater),
            ("\u{212a}elvin", "kelvin", Equal),
            ("kelvin", "\u{212a}elvin", Equal),
            ("\u{212a}a", "kb", Less),
            ("\u{130}", "i", Greater),
            ("", "", Equal),
            ("", "a", Less),
        ] {
            assert_eq!(caseless_cmp(a, b), want, "{a:?} {b:?}");
            assert_eq!(caseless(a).cmp(caseless(b)), want, "{a:?} {b:?}");
        }
    }

    #[test]
    fn names_win_over_ids_when_columns_are_short() {
        let id = "b5784c6f-9642-501b-b761-8be2eec92262";
        let rows = vec![vec![
            "contoso-billing-api (production)".to_owned(),
            id.to_owned(),
        ]];
        // Wide enough: nothing is cut.
        let t = table(&["NAME", "ID"], &rows, 80, &[Col::Name, Col::Id]);
        assert!(t.contains(id) && t.contains("(production)"), "{t}");
        // Narrow: the name keeps its floor and the id gives way, with a mark.
        let t = table(&["NAME", "ID"], &rows, 50, &[Col::Name, Col::Id]);
        let row = t.lines().nth(1).unwrap();
        assert!(row.starts_with("contoso-billing-api…"), "{t}");
        assert!(row.ends_with('…') && row.width() <= 50, "{t}");
        // Very narrow: the id stops at its floor, then the name gives way again.
        let t = table(&["NAME", "ID"], &rows, 20, &[Col::Name, Col::Id]);
        let row = t.lines().nth(1).unwrap();
        assert!(row.contains("b5784c6f…"), "{t}");
    }
}
