//! Table output for the scripting twin. Widths are terminal columns (`unicode-width`), not
//! characters: CJK and emoji take two columns, combining marks none.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Render rows as an aligned text table. Only the `flex` columns are cut (with `…`) to fit
/// `width`, the widest first; the others (ids, dates) are never truncated.
pub fn table(headers: &[&str], rows: &[Vec<String>], width: usize, flex: &[usize]) -> String {
    let cols = headers.len();
    let mut w: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            w[i] = w[i].max(c.width());
        }
    }
    // Shrink the widest flexible column one column at a time until the table fits.
    let gaps = 2 * cols.saturating_sub(1);
    while w.iter().sum::<usize>() + gaps > width {
        let widest = flex
            .iter()
            .copied()
            .filter(|&i| i < cols && w[i] > 8)
            .max_by_key(|&i| w[i]);
        match widest {
            Some(i) => w[i] -= 1,
            None => break,
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let cell = fit(c, w[i]);
            if i + 1 == cols {
                l.push_str(cell.trim_end());
            } else {
                l.push_str(&cell);
                l.push_str("  ");
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(headers.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
    out
}

/// `s` padded with spaces to exactly `width` columns, or cut to `width - 1` columns plus `…`.
fn fit(s: &str, width: usize) -> String {
    let n = s.width();
    if n <= width {
        let mut t = s.to_owned();
        t.extend(std::iter::repeat_n(' ', width - n));
        return t;
    }
    if width == 0 {
        return String::new();
    }
    let mut t = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw > width - 1 {
            break;
        }
        used += cw;
        t.push(c);
    }
    t.push('…');
    // A wide character that did not fit leaves one column short: pad it.
    t.extend(std::iter::repeat_n(' ', width - 1 - used));
    t
}

/// Terminal width for tables: $COLUMNS, else 80 (tables are readable at 80 columns).
pub fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|w: &usize| *w >= 40)
        .unwrap_or(80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_truncates_the_flex_column() {
        let rows = vec![
            vec!["short".to_owned(), "x".to_owned()],
            vec![
                "a much longer display name that will not fit".to_owned(),
                "y".to_owned(),
            ],
        ];
        let t = table(&["NAME", "ID"], &rows, 20, &[0]);
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
        let t = table(&["NAME", "ID"], &rows, 80, &[0]);
        let cols = id_columns(&t);
        assert!(cols.iter().all(|c| *c == cols[0]), "{t}\n{cols:?}");
        // "支払いサービス" is 7 characters but 14 columns wide.
        assert_eq!(cols[0], 16, "{t}");
    }

    #[test]
    fn cutting_never_splits_a_wide_character_or_overflows() {
        let rows = vec![vec!["支払いサービスの請求".to_owned(), "x".to_owned()]];
        for width in 10..20 {
            let t = table(&["NAME", "ID"], &rows, width, &[0]);
            let cols = id_columns(&t);
            assert!(cols.iter().all(|c| *c == cols[0]), "{width}: {t}");
            for l in t.lines() {
                assert!(l.width() <= width.max(12), "{width}: {l}");
            }
        }
    }
}
