//! Scrolling a table: the first visible row follows the selection. The model keeps it (so
//! PgUp/PgDn and the offset depend on the size `Action::Resize` gave, not on the last frame);
//! a view may clamp a copy for the area it really has, and never writes it back.

/// The first visible row for a window of `rows` over `len` rows that keeps `selected` in view,
/// moving as little as possible from `offset`.
pub fn follow(offset: usize, selected: usize, rows: usize, len: usize) -> usize {
    let rows = rows.max(1);
    let mut o = offset;
    if selected < o {
        o = selected;
    } else if selected >= o + rows {
        o = selected + 1 - rows;
    }
    o.min(len.saturating_sub(rows))
}

#[cfg(test)]
mod tests {
    use super::follow;

    #[test]
    fn the_window_moves_only_as_far_as_the_selection_needs() {
        // 100 rows, 10 visible.
        assert_eq!(follow(0, 5, 10, 100), 0, "still visible: no move");
        assert_eq!(
            follow(0, 10, 10, 100),
            1,
            "one past the bottom: one row down"
        );
        assert_eq!(
            follow(20, 15, 10, 100),
            15,
            "above the top: it becomes the top"
        );
        assert_eq!(follow(95, 99, 10, 100), 90, "never past the end");
        assert_eq!(follow(3, 0, 10, 4), 0, "fewer rows than the window");
        assert_eq!(follow(0, 0, 0, 0), 0);
    }
}
