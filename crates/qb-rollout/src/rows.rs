//! Shadow comparison of result rows: host-agnostic, over canonical row texts.
//!
//! A shim with an executor runs the legacy and the native statement and hands each side's
//! rows here, each row as one canonical text (e.g. its JSON with the columns in order). A
//! query with `order_by` compares as ordered lists; any other as multisets (row order is
//! not part of its meaning). The result names the first difference, so the mismatch report
//! can show the differing row.

use std::cmp::Ordering;

/// How two row lists are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RowOrder {
    /// Position by position (the query orders its rows).
    Ordered,
    /// As multisets: the same rows, each the same number of times, in any order.
    Multiset,
}

/// The first difference between two row lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RowDifference {
    /// Ordered: the first position where the lists differ. Multiset: the position, in
    /// sorted order, of the first row that one side has more often than the other.
    pub position: usize,
    /// Index into the legacy rows of the differing row, `None` when the legacy side has no
    /// row there (it is shorter, or lacks a row the native side has).
    pub legacy_row: Option<usize>,
    /// Index into the native rows of the differing row, `None` likewise.
    pub native_row: Option<usize>,
}

/// Compares the legacy and native rows; `None` when they match.
///
/// ```
/// use qb_rollout::{compare_rows, RowOrder};
///
/// let legacy = ["{\"id\":1}", "{\"id\":2}"];
/// let native = ["{\"id\":2}", "{\"id\":1}"];
/// assert_eq!(compare_rows(&legacy, &native, RowOrder::Multiset), None);
/// let d = compare_rows(&legacy, &native, RowOrder::Ordered).expect("order differs");
/// assert_eq!((d.position, d.legacy_row, d.native_row), (0, Some(0), Some(0)));
/// ```
pub fn compare_rows<L, N>(legacy: &[L], native: &[N], order: RowOrder) -> Option<RowDifference>
where
    L: AsRef<str>,
    N: AsRef<str>,
{
    match order {
        RowOrder::Ordered => {
            let n = legacy.len().max(native.len());
            (0..n).find_map(|i| {
                let l = legacy.get(i).map(AsRef::as_ref);
                let r = native.get(i).map(AsRef::as_ref);
                (l != r).then(|| RowDifference {
                    position: i,
                    legacy_row: l.map(|_| i),
                    native_row: r.map(|_| i),
                })
            })
        }
        RowOrder::Multiset => {
            let mut li: Vec<usize> = (0..legacy.len()).collect();
            let mut ni: Vec<usize> = (0..native.len()).collect();
            li.sort_by(|a, b| legacy[*a].as_ref().cmp(legacy[*b].as_ref()));
            ni.sort_by(|a, b| native[*a].as_ref().cmp(native[*b].as_ref()));
            let n = li.len().max(ni.len());
            (0..n).find_map(|pos| {
                let l = li.get(pos).copied();
                let r = ni.get(pos).copied();
                let ord = match (l, r) {
                    (Some(a), Some(b)) => legacy[a].as_ref().cmp(native[b].as_ref()),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                };
                // The smaller text is the row the other side lacks (at this count).
                match ord {
                    Ordering::Equal => None,
                    Ordering::Less => Some(RowDifference {
                        position: pos,
                        legacy_row: l,
                        native_row: None,
                    }),
                    Ordering::Greater => Some(RowDifference {
                        position: pos,
                        legacy_row: None,
                        native_row: r,
                    }),
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(l: &[&str], n: &[&str], o: RowOrder) -> Option<(usize, Option<usize>, Option<usize>)> {
        compare_rows(l, n, o).map(|d| (d.position, d.legacy_row, d.native_row))
    }

    #[test]
    fn ordered_lists() {
        assert_eq!(diff(&[], &[], RowOrder::Ordered), None);
        assert_eq!(diff(&["a", "b"], &["a", "b"], RowOrder::Ordered), None);
        assert_eq!(
            diff(&["a", "b"], &["a", "c"], RowOrder::Ordered),
            Some((1, Some(1), Some(1)))
        );
        assert_eq!(
            diff(&["a"], &["a", "b"], RowOrder::Ordered),
            Some((1, None, Some(1)))
        );
        assert_eq!(
            diff(&["a", "b"], &["a"], RowOrder::Ordered),
            Some((1, Some(1), None))
        );
        assert_eq!(
            diff(&["a", "b"], &["b", "a"], RowOrder::Ordered),
            Some((0, Some(0), Some(0)))
        );
    }

    #[test]
    fn multisets() {
        assert_eq!(
            diff(&["b", "a", "a"], &["a", "b", "a"], RowOrder::Multiset),
            None
        );
        // The native side lacks one of the two "a" rows: legacy's second "a" is extra.
        assert_eq!(
            diff(&["a", "b", "a"], &["b", "a"], RowOrder::Multiset),
            Some((1, Some(2), None))
        );
        // The native side has a row legacy lacks.
        assert_eq!(
            diff(&["b"], &["c", "b"], RowOrder::Multiset),
            Some((1, None, Some(0)))
        );
        assert_eq!(
            diff(&["x"], &["y"], RowOrder::Multiset),
            Some((0, Some(0), None))
        );
        assert_eq!(
            diff(&[], &["y"], RowOrder::Multiset),
            Some((0, None, Some(0)))
        );
    }

    #[test]
    fn multiset_match_is_order_free_and_count_exact() {
        let rows: Vec<String> = (0..50).map(|i| format!("{{\"id\":{}}}", i % 7)).collect();
        let mut shuffled = rows.clone();
        shuffled.reverse();
        shuffled.rotate_left(13);
        assert_eq!(compare_rows(&rows, &shuffled, RowOrder::Multiset), None);
        shuffled.pop();
        assert!(compare_rows(&rows, &shuffled, RowOrder::Multiset).is_some());
    }
}
