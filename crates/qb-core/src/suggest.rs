//! "Did you mean …?" for unknown names: the nearest valid name by edit distance.

/// ` (did you mean `name`?)` for the candidate nearest to `input`, or an empty string when
/// none is near enough to be a likely typo.
///
/// Distance is the optimal-string-alignment distance (insertions, deletions, substitutions
/// and adjacent transpositions) on ASCII-lowercased names, so `Title`, `titel` and `tilte`
/// all suggest `title`. A candidate is near when the distance is at most a third of the
/// input's length (at least 1, at most 3). Ties go to the alphabetically first candidate, so
/// the message does not depend on hash-map order.
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    let needle = input.to_ascii_lowercase();
    let max = (input.chars().count() / 3).clamp(1, 3);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == input {
            continue;
        }
        let d = strsim::osa_distance(&needle, &c.to_ascii_lowercase());
        if d > max {
            continue;
        }
        if best.is_none_or(|(bd, bc)| (d, c) < (bd, bc)) {
            best = Some((d, c));
        }
    }
    match best {
        Some((_, name)) => format!(" (did you mean `{name}`?)"),
        None => String::new(),
    }
}

/// `unknown key `k` (did you mean `x`?; expected a, b or c)`: the message for a key that is
/// not one of `expected`, with the nearest one suggested when it is near.
pub(crate) fn unknown_key(key: &str, expected: &[&str]) -> String {
    let hint = did_you_mean(key, expected.iter().copied());
    let list = match expected {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    match hint.strip_prefix(" (").and_then(|h| h.strip_suffix(')')) {
        Some(h) => format!("unknown key `{key}` ({h}; expected {list})"),
        None => format!("unknown key `{key}` (expected {list})"),
    }
}

#[cfg(test)]
mod tests {
    use super::{did_you_mean, unknown_key};

    #[test]
    fn unknown_keys_name_the_expected_ones() {
        assert_eq!(
            unknown_key("wher", &["view", "select", "where"]),
            "unknown key `wher` (did you mean `where`?; expected view, select or where)"
        );
        assert_eq!(
            unknown_key("zzzz", &["schema", "name"]),
            "unknown key `zzzz` (expected schema or name)"
        );
    }

    #[test]
    fn suggests_the_nearest_name() {
        let names = ["title", "body", "created_at", "author_id"];
        assert_eq!(did_you_mean("titel", names), " (did you mean `title`?)");
        assert_eq!(did_you_mean("Title", names), " (did you mean `title`?)");
        assert_eq!(
            did_you_mean("create_at", names),
            " (did you mean `created_at`?)"
        );
        assert_eq!(did_you_mean("zzz", names), "");
        assert_eq!(did_you_mean("x", ["a", "b"]), " (did you mean `a`?)");
    }

    #[test]
    fn ties_are_deterministic() {
        assert_eq!(
            did_you_mean("cat", ["cot", "cut"]),
            " (did you mean `cot`?)"
        );
        assert_eq!(
            did_you_mean("cat", ["cut", "cot"]),
            " (did you mean `cot`?)"
        );
    }
}
