//! The shim's placeholder check: both builders of one shim must write the same placeholder
//! style, or a statement built by one route cannot be executed the way the other route's
//! statements are (`the query has 0 placeholders but 1 parameters were passed`). A shim has
//! one style; it checks the legacy builder's SQL against it until one legacy statement shows
//! its style conclusively, and reports a mismatch as a configuration error on that call.
//!
//! The scan is lexical, as PostgreSQL's scanner sees the text: placeholders inside string
//! constants (`'…'`, `E'…'`, `$tag$…$tag$`), quoted identifiers and comments are not
//! placeholders; `%%` is psycopg's escaped percent sign.

use std::fmt;

/// A placeholder style (the same two the compiler writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PlaceholderStyle {
    /// `$1`, `$2`… (libpq, asyncpg, node-postgres, tokio-postgres).
    Numbered,
    /// `%s` (psycopg).
    Format,
}

impl PlaceholderStyle {
    /// `numbered` or `format`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceholderStyle::Numbered => "numbered",
            PlaceholderStyle::Format => "format",
        }
    }

    fn example(self) -> &'static str {
        match self {
            PlaceholderStyle::Numbered => "$1",
            PlaceholderStyle::Format => "%s",
        }
    }
}

/// What [`scan_placeholders`] found in a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PlaceholderScan {
    /// `$n` tokens.
    pub numbered: usize,
    /// The largest `n` of a `$n` token (0 when none).
    pub numbered_max: usize,
    /// `%s` tokens (`%%` excluded).
    pub format: usize,
}

/// The outcome of [`check_placeholders`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlaceholderCheck {
    /// The statement uses the expected style, one placeholder per parameter.
    Consistent,
    /// No placeholder and no parameter: the statement does not show a style.
    Inconclusive,
    /// The statement uses another style, or its placeholders and parameters disagree.
    Mismatch(PlaceholderMismatch),
}

/// Why a legacy statement does not fit the shim's placeholder style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceholderMismatch {
    /// The shim's style.
    pub expected: PlaceholderStyle,
    /// What the statement holds.
    pub found: PlaceholderScan,
    /// The number of parameters the legacy builder returned.
    pub params: usize,
}

impl fmt::Display for PlaceholderMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let PlaceholderScan {
            numbered,
            numbered_max,
            format,
        } = self.found;
        write!(
            f,
            "the legacy builder's SQL does not use the shim's placeholder style {} ({}): it has ",
            self.expected.as_str(),
            self.expected.example()
        )?;
        match (numbered, format) {
            (0, 0) => f.write_str("no placeholder")?,
            (n, 0) => write!(f, "{n} `$n` placeholders (up to ${numbered_max})")?,
            (0, n) => write!(f, "{n} `%s` placeholders")?,
            (n, m) => write!(f, "{n} `$n` and {m} `%s` placeholders")?,
        }
        write!(
            f,
            " for {} parameters; configure the shim with the style the legacy builder writes",
            self.params
        )
    }
}

/// Counts the placeholders of `sql` outside string constants, quoted identifiers and
/// comments.
pub fn scan_placeholders(sql: &str) -> PlaceholderScan {
    let b = sql.as_bytes();
    let mut out = PlaceholderScan::default();
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
    while i < b.len() {
        let c = b[i];
        let prev_ident = i > 0 && ident(b[i - 1]);
        match c {
            b'\'' => {
                // E'…' (and e'…') take backslash escapes; plain '…' only doubles quotes.
                let escapes =
                    i > 0 && (b[i - 1] == b'E' || b[i - 1] == b'e') && !(i > 1 && ident(b[i - 2]));
                i = skip_quoted(b, i + 1, b'\'', escapes);
            }
            b'"' => i = skip_quoted(b, i + 1, b'"', false),
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 1;
                i += 2;
                while i < b.len() && depth > 0 {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            }
            b'$' if !prev_ident => {
                let digits = b[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
                if digits > 0 {
                    let n = sql[i + 1..i + 1 + digits]
                        .parse::<usize>()
                        .unwrap_or(usize::MAX);
                    out.numbered += 1;
                    out.numbered_max = out.numbered_max.max(n);
                    i += 1 + digits;
                } else if let Some(end) = dollar_tag_end(b, i) {
                    // $tag$ … $tag$ (or $$ … $$): a string constant.
                    let tag = &b[i..end];
                    i = end;
                    while i < b.len() && !b[i..].starts_with(tag) {
                        i += 1;
                    }
                    i = (i + tag.len()).min(b.len());
                } else {
                    i += 1;
                }
            }
            b'%' => match b.get(i + 1) {
                Some(b'%') => i += 2,
                Some(b's') => {
                    out.format += 1;
                    i += 2;
                }
                _ => i += 1,
            },
            _ => i += 1,
        }
    }
    out
}

/// The index after the closing `quote` (doubled quotes stay inside; with `escapes`, a
/// backslash escapes the next byte). An unterminated constant runs to the end.
fn skip_quoted(b: &[u8], mut i: usize, quote: u8, escapes: bool) -> usize {
    while i < b.len() {
        if escapes && b[i] == b'\\' {
            i += 2;
        } else if b[i] == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// For a `$` at `i` opening `$tag$` or `$$`, the index after the opening delimiter.
fn dollar_tag_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if b.get(j)
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_' || *c >= 0x80)
    {
        while b
            .get(j)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c >= 0x80)
        {
            j += 1;
        }
    }
    (b.get(j) == Some(&b'$')).then_some(j + 1)
}

/// Checks a legacy statement and its parameter count against the shim's style: the other
/// style's placeholders, or a placeholder count that differs from the parameter count, is a
/// [`PlaceholderCheck::Mismatch`]; no placeholder and no parameter is
/// [`PlaceholderCheck::Inconclusive`].
pub fn check_placeholders(sql: &str, params: usize, style: PlaceholderStyle) -> PlaceholderCheck {
    let found = scan_placeholders(sql);
    if found.numbered == 0 && found.format == 0 && params == 0 {
        return PlaceholderCheck::Inconclusive;
    }
    let fits = match style {
        PlaceholderStyle::Numbered => found.format == 0 && found.numbered_max == params,
        PlaceholderStyle::Format => found.numbered == 0 && found.format == params,
    };
    if fits {
        PlaceholderCheck::Consistent
    } else {
        PlaceholderCheck::Mismatch(PlaceholderMismatch {
            expected: style,
            found,
            params,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PlaceholderStyle::{Format, Numbered};

    fn scan(sql: &str) -> (usize, usize, usize) {
        let s = scan_placeholders(sql);
        (s.numbered, s.numbered_max, s.format)
    }

    #[test]
    fn counts_outside_constants_and_comments() {
        assert_eq!(scan("SELECT $1, $2::int, $10"), (3, 10, 0));
        assert_eq!(scan("SELECT %s, %s::int"), (0, 0, 2));
        assert_eq!(scan("SELECT '$1 %s', \"$2%s\", 'it''s $3'"), (0, 0, 0));
        assert_eq!(scan("SELECT E'\\' $1', $2"), (1, 2, 0));
        assert_eq!(
            scan("SELECT 1 -- $1 %s\n, $2 /* $3 /* nested %s */ $4 */ , %s"),
            (1, 2, 1)
        );
        assert_eq!(scan("SELECT $$ $1 $$, $tag$ %s $tag$, $1"), (1, 1, 0));
        assert_eq!(scan("SELECT a$1, 100%% , %d"), (0, 0, 0));
        assert_eq!(scan("SELECT 'unterminated $1"), (0, 0, 0));
        assert_eq!(scan("SELECT $99999999999999999999999"), (1, usize::MAX, 0));
    }

    #[test]
    fn checks_style_and_count() {
        assert_eq!(
            check_placeholders("SELECT 1", 0, Numbered),
            PlaceholderCheck::Inconclusive
        );
        assert_eq!(
            check_placeholders("SELECT $1", 1, Numbered),
            PlaceholderCheck::Consistent
        );
        assert_eq!(
            check_placeholders("SELECT %s", 1, Format),
            PlaceholderCheck::Consistent
        );
        assert_eq!(
            check_placeholders("SELECT $1, $1", 1, Numbered),
            PlaceholderCheck::Consistent
        );
        for (sql, n, style) in [
            ("SELECT %s", 1, Numbered),
            ("SELECT $1", 1, Format),
            ("SELECT $1", 2, Numbered),
            ("SELECT %s", 0, Format),
            ("SELECT 1", 1, Numbered),
        ] {
            assert!(
                matches!(
                    check_placeholders(sql, n, style),
                    PlaceholderCheck::Mismatch(_)
                ),
                "{sql} {n} {style:?}"
            );
        }
        let PlaceholderCheck::Mismatch(m) = check_placeholders("SELECT %s", 1, Numbered) else {
            panic!("mismatch expected")
        };
        assert_eq!(
            m.to_string(),
            "the legacy builder's SQL does not use the shim's placeholder style numbered ($1): \
             it has 1 `%s` placeholders for 1 parameters; configure the shim with the style \
             the legacy builder writes"
        );
    }
}
