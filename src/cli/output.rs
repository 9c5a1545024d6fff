//! Table and JSON output helpers for the scripting twin.

/// Render rows as an aligned text table. Only the `flex` columns are cut (with `…`) to fit
/// `width`, the widest first; the others (ids, dates) are never truncated.
pub fn table(headers: &[&str], rows: &[Vec<String>], width: usize, flex: &[usize]) -> String {
    let cols = headers.len();
    let mut w: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            w[i] = w[i].max(c.chars().count());
        }
    }
    // Shrink the widest flexible column one character at a time until the table fits.
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

fn fit(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        format!("{s:<width$}")
    } else if width == 0 {
        String::new()
    } else {
        let mut t: String = s.chars().take(width - 1).collect();
        t.push('…');
        t
    }
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
            assert!(l.chars().count() <= 20, "{l}");
        }
        assert!(t.contains('…'));
        assert!(t.starts_with("NAME"));
    }
}
