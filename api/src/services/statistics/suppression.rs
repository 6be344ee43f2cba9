//! Small-cell suppression of a two-way table with its totals.
//!
//! A table here is `rows × columns` of counts together with its row totals, column totals and
//! grand total, laid out as one *extended* grid of `(rows + 1) × (columns + 1)` entries whose
//! last row and last column hold the totals. Every row and every column of that grid is a line
//! whose inner entries add up to its total entry.
//!
//! **Primary suppression**: every entry below the threshold (zero included: "nobody" is a small
//! number too, and publishing zeros would tell a reader that every hidden entry is at least one).
//!
//! **Complementary suppression**: a reader knows the published entries, that every line adds up,
//! and that counts are never negative. A hidden entry is *recoverable* when those facts leave it
//! a single possible value. Orienting each line equation (rows one way, columns the other, totals
//! reversed) makes the hidden entries the arcs of a directed graph whose nodes are the lines, and
//! any other table that agrees with what is published differs from the real one by circulations
//! on that graph. So a hidden entry can take another value exactly when there is a cycle through
//! it along which one unit can move: up on arcs walked forwards (always possible: counts have no
//! upper bound) and down on arcs walked backwards (possible where the entry is at least one).
//! [`is_recoverable`] looks for such a cycle; [`suppress`] hides further entries, smallest first,
//! until no hidden entry is recoverable, and hides the whole table if that cannot be reached.
//!
//! What this does not defend against is comparing *different* tables (other filters, other
//! dimensions) with each other; `docs/SECURITY.md` says so.

use std::collections::VecDeque;

/// A table with its totals, ready to be suppressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extended {
    rows: usize,
    columns: usize,
    /// `(rows + 1) × (columns + 1)` entries, row-major; the last row and column are totals.
    entries: Vec<i64>,
}

impl Extended {
    /// Builds the table and its totals from the inner counts (`rows × columns`, row-major).
    ///
    /// # Panics
    /// When `inner.len() != rows * columns` (a programming error, not input).
    pub fn from_inner(rows: usize, columns: usize, inner: &[i64]) -> Self {
        assert_eq!(
            inner.len(),
            rows * columns,
            "inner counts must fill the table"
        );
        let width = columns + 1;
        let mut entries = vec![0; (rows + 1) * width];
        for row in 0..rows {
            for column in 0..columns {
                let value = inner[row * columns + column];
                entries[row * width + column] = value;
                entries[row * width + columns] += value;
                entries[rows * width + column] += value;
                entries[rows * width + columns] += value;
            }
        }
        Self {
            rows,
            columns,
            entries,
        }
    }

    /// Inner rows (without the totals row).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Inner columns (without the totals column).
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// The entry at `(row, column)`; `row == rows()` is the totals row, `column == columns()`
    /// the totals column.
    pub fn get(&self, row: usize, column: usize) -> i64 {
        self.entries[self.index(row, column)]
    }

    fn index(&self, row: usize, column: usize) -> usize {
        row * (self.columns + 1) + column
    }

    fn position(&self, index: usize) -> (usize, usize) {
        (index / (self.columns + 1), index % (self.columns + 1))
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    /// The arc of an entry in the line graph: nodes `0..=rows` are the row lines, the next
    /// `columns + 1` the column lines. Inner entries and the grand total run from their column
    /// to their row; row and column totals the other way.
    fn arc(&self, index: usize) -> (usize, usize) {
        let (row, column) = self.position(index);
        let row_node = row;
        let column_node = self.rows + 1 + column;
        let is_total_row = row == self.rows;
        let is_total_column = column == self.columns;
        if is_total_row == is_total_column {
            (column_node, row_node)
        } else {
            (row_node, column_node)
        }
    }
}

/// Which entries of `table` to hide so that none below `threshold` is published and no hidden
/// entry is recoverable from the published ones. Indexed like the extended grid (row-major,
/// totals last).
pub fn suppress(table: &Extended, threshold: i64) -> Vec<bool> {
    let mut hidden: Vec<bool> = table.entries.iter().map(|&v| v < threshold).collect();
    if !hidden.iter().any(|&h| h) {
        return hidden;
    }
    // Candidates for complementary suppression, cheapest first (least information lost), then
    // by position so the outcome is deterministic.
    let mut candidates: Vec<usize> = (0..table.len()).filter(|&i| !hidden[i]).collect();
    candidates.sort_by_key(|&i| (table.entries[i], i));
    while let Some(exposed) =
        (0..table.len()).find(|&i| hidden[i] && is_recoverable(table, &hidden, i))
    {
        let (row, column) = table.position(exposed);
        // Prefer an entry on one of the exposed entry's lines: that is where a cycle can close.
        let on_its_lines = |&i: &usize| {
            let (r, c) = table.position(i);
            r == row || c == column
        };
        let nearby: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|i| !hidden[*i] && on_its_lines(i))
            .collect();
        let mut helper = None;
        for index in nearby {
            hidden[index] = true;
            let protects = !is_recoverable(table, &hidden, exposed);
            hidden[index] = false;
            if protects {
                helper = Some(index);
                break;
            }
        }
        let helper = helper.or_else(|| candidates.iter().copied().find(|&i| !hidden[i]));
        match helper {
            Some(index) => hidden[index] = true,
            None => break,
        }
    }
    if (0..table.len()).any(|i| hidden[i] && is_recoverable(table, &hidden, i)) {
        // Never publish a table we could not protect. Hiding everything protects any table with
        // at least one row and one column (no equation is left with a known side, and adding
        // one to an inner count, its row and column totals and the grand total keeps them all);
        // a table without rows has only zero totals, and nothing to protect.
        hidden.iter_mut().for_each(|h| *h = true);
    }
    hidden
}

/// Whether the hidden entry `index` has only one value consistent with the published entries,
/// the line totals and non-negativity.
pub fn is_recoverable(table: &Extended, hidden: &[bool], index: usize) -> bool {
    let (from, to) = table.arc(index);
    // Raise the entry: flow must come back from `to` to `from` through the other hidden entries.
    if reaches(table, hidden, index, to, from) {
        return false;
    }
    // Lower it (only if it is not already zero): flow must go from `from` to `to` another way.
    !(table.entries[index] > 0 && reaches(table, hidden, index, from, to))
}

/// Breadth-first search in the residual graph of the hidden entries other than `skip`.
fn reaches(table: &Extended, hidden: &[bool], skip: usize, start: usize, goal: usize) -> bool {
    let nodes = table.rows + table.columns + 2;
    let mut adjacency: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    for index in (0..table.len()).filter(|&i| hidden[i] && i != skip) {
        let (from, to) = table.arc(index);
        adjacency[from].push(to);
        if table.entries[index] > 0 {
            adjacency[to].push(from);
        }
    }
    let mut seen = vec![false; nodes];
    let mut queue = VecDeque::from([start]);
    seen[start] = true;
    while let Some(node) = queue.pop_front() {
        if node == goal {
            return true;
        }
        for &next in &adjacency[node] {
            if !seen[next] {
                seen[next] = true;
                queue.push_back(next);
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const T: i64 = 5;

    fn hidden_at(table: &Extended, hidden: &[bool], row: usize, column: usize) -> bool {
        hidden[table.index(row, column)]
    }

    #[test]
    fn a_table_without_small_counts_is_published_whole() {
        let table = Extended::from_inner(2, 2, &[10, 20, 30, 40]);
        assert!(suppress(&table, T).iter().all(|h| !h));
    }

    #[test]
    fn one_small_count_takes_a_partner_in_its_row_and_column() {
        // 3 is small; its row total 13 and column total 33 are published, so 3 alone would be
        // the total minus the rest.
        let table = Extended::from_inner(2, 2, &[3, 10, 30, 40]);
        let hidden = suppress(&table, T);
        assert!(hidden_at(&table, &hidden, 0, 0));
        assert!(hidden.iter().filter(|h| **h).count() >= 4, "{hidden:?}");
        for index in (0..table.len()).filter(|&i| hidden[i]) {
            assert!(!is_recoverable(&table, &hidden, index));
        }
    }

    #[test]
    fn hidden_zeros_with_nothing_to_give_are_recovered_and_so_get_company() {
        // Two hidden zeros in one row with a published row total of 0 would both be zero: the
        // row total is small too, so it is hidden; then the column totals must not give it away.
        let table = Extended::from_inner(2, 2, &[0, 0, 7, 9]);
        let hidden = suppress(&table, T);
        for index in (0..table.len()).filter(|&i| hidden[i]) {
            assert!(
                !is_recoverable(&table, &hidden, index),
                "{index} in {hidden:?}"
            );
        }
    }

    #[test]
    fn a_lone_hidden_entry_is_recoverable_and_a_rectangle_is_not() {
        let table = Extended::from_inner(2, 2, &[3, 10, 30, 40]);
        let mut hidden = vec![false; table.len()];
        hidden[table.index(0, 0)] = true;
        assert!(is_recoverable(&table, &hidden, table.index(0, 0)));
        for (r, c) in [(0, 1), (1, 0), (1, 1)] {
            hidden[table.index(r, c)] = true;
        }
        assert!(!is_recoverable(&table, &hidden, table.index(0, 0)));
    }

    #[test]
    fn a_table_of_nothing_is_hidden_whole_and_safe() {
        let table = Extended::from_inner(3, 1, &[0, 0, 0]);
        let hidden = suppress(&table, T);
        assert!(hidden.iter().all(|h| *h));
        assert!((0..table.len()).all(|i| !is_recoverable(&table, &hidden, i)));
    }

    /// Every integer table that agrees with what `hidden` publishes, found by brute force over
    /// the hidden inner entries, each within `window` of its true value (clamped at zero). It
    /// returns, for each entry, whether it took more than one value: it is independent of the
    /// graph argument above. A window as wide as the grand total is near exhaustive; a narrow one
    /// still finds every variation when one exists, because moving one unit round a cycle
    /// changes no entry by more than one.
    fn brute_force_varies(table: &Extended, hidden: &[bool], window: i64) -> Vec<bool> {
        let (rows, columns) = (table.rows, table.columns);
        let choices: Vec<Vec<i64>> = (0..rows * columns)
            .map(|i| {
                let (row, column) = (i / columns, i % columns);
                let value = table.get(row, column);
                if hidden[table.index(row, column)] {
                    ((value - window).max(0)..=value + window).collect()
                } else {
                    vec![value]
                }
            })
            .collect();
        let mut first: Vec<Option<i64>> = vec![None; table.len()];
        let mut varies = vec![false; table.len()];
        let mut values = vec![0_i64; rows * columns];
        let mut odometer = vec![0_usize; rows * columns];
        loop {
            for (i, choice) in odometer.iter().enumerate() {
                values[i] = choices[i][*choice];
            }
            let candidate = Extended::from_inner(rows, columns, &values);
            if (0..table.len()).all(|i| hidden[i] || candidate.entries[i] == table.entries[i]) {
                for i in 0..table.len() {
                    match first[i] {
                        None => first[i] = Some(candidate.entries[i]),
                        Some(v) if v != candidate.entries[i] => varies[i] = true,
                        Some(_) => {}
                    }
                }
            }
            // Next combination.
            let mut digit = 0;
            loop {
                if digit == odometer.len() {
                    return varies;
                }
                odometer[digit] += 1;
                if odometer[digit] < choices[digit].len() {
                    break;
                }
                odometer[digit] = 0;
                digit += 1;
            }
        }
    }

    fn small_tables() -> impl Strategy<Value = Extended> {
        (1_usize..=3, 1_usize..=3).prop_flat_map(|(rows, columns)| {
            // Mostly small counts, so that suppression has work to do.
            let count = prop_oneof![4 => 0_i64..6, 1 => 0_i64..14];
            proptest::collection::vec(count, rows * columns)
                .prop_map(move |inner| Extended::from_inner(rows, columns, &inner))
        })
    }

    fn tiny_tables() -> impl Strategy<Value = Extended> {
        (1_usize..=3, 1_usize..=3).prop_flat_map(|(rows, columns)| {
            proptest::collection::vec(0_i64..3, rows * columns)
                .prop_map(move |inner| Extended::from_inner(rows, columns, &inner))
        })
    }

    fn two_by_two() -> impl Strategy<Value = Extended> {
        proptest::collection::vec(0_i64..6, 4).prop_map(|inner| Extended::from_inner(2, 2, &inner))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// On 2 × 2 tables the search reaches as far as the grand total from every true value,
        /// so this leans far less on the one-unit argument.
        #[test]
        fn exhaustively_no_hidden_entry_of_a_small_table_can_be_worked_out(table in two_by_two()) {
            let hidden = suppress(&table, T);
            // At least one: an all-zero table is protected by raising everything by one, which
            // a window of its grand total (zero) would never try.
            let window = table.get(2, 2).max(1);
            let varies = brute_force_varies(&table, &hidden, window);
            for index in (0..table.len()).filter(|&i| hidden[i]) {
                prop_assert!(varies[index], "entry {:?} recoverable: {:?} {:?}", table.position(index), hidden, table);
            }
        }

        /// What is published never shows a small count, and no hidden entry has a single
        /// possible value given what is published (checked by brute force).
        #[test]
        fn no_hidden_entry_can_be_worked_out(table in small_tables()) {
            let hidden = suppress(&table, T);
            for (hidden, value) in hidden.iter().zip(&table.entries) {
                prop_assert!(*hidden || *value >= T);
            }
            let varies = brute_force_varies(&table, &hidden, 1);
            for index in (0..table.len()).filter(|&i| hidden[i]) {
                prop_assert!(
                    varies[index],
                    "entry {:?} (value {}) is recoverable; hidden {:?} of {:?}",
                    table.position(index), table.entries[index], hidden, table
                );
            }
        }

        /// The graph test agrees with brute force on arbitrary hiding patterns, over counts
        /// small enough (0 to 2) that zeros, which cannot go down, are everywhere.
        #[test]
        fn the_graph_test_matches_brute_force(
            table in tiny_tables(),
            pattern in proptest::collection::vec(any::<bool>(), 16),
        ) {
            let hidden: Vec<bool> = (0..table.len()).map(|i| pattern[i % pattern.len()]).collect();
            let varies = brute_force_varies(&table, &hidden, 1);
            for index in (0..table.len()).filter(|&i| hidden[i]) {
                prop_assert_eq!(
                    !is_recoverable(&table, &hidden, index),
                    varies[index],
                    "entry {:?} of {:?} hidden {:?}", table.position(index), table, hidden
                );
            }
        }
    }
}
