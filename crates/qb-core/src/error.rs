//! The one error type of the compiler: a stable code per kind, the path of the offending
//! node and a message written for the person who sent the query.

use std::fmt;

/// What went wrong, as a stable code. Codes and numbers never change meaning once released;
/// docs/errors.md is the catalog and a test keeps it complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input text is not valid JSON.
    InvalidJson,
    /// The query document has the wrong shape: a missing or unknown key, a wrong JSON type.
    InvalidQuery,
    /// The schema registry document is malformed or inconsistent.
    InvalidSchema,
    /// The query names a view the registry does not have.
    UnknownView,
    /// The query names a field (column or JSON key) the view does not have.
    UnknownField,
    /// A filter key is neither a known operator nor a nested field.
    UnknownOperator,
    /// The operator exists but does not apply to the field's type.
    OperatorTypeMismatch,
    /// A value has the wrong type or format for its operator and field.
    InvalidValue,
    /// A name that would reach SQL (alias, typename, identifier) is not a valid name.
    InvalidIdentifier,
    /// Nesting deeper than `Limits::max_depth`.
    DepthLimit,
    /// A list, string, selection or filter larger than the configured limits.
    SizeLimit,
    /// A grouped query selects or orders by something that is not grouped.
    InvalidGroupBy,
    /// Well-formed input that this version does not compile.
    Unsupported,
    /// A GraphQL request that the GraphQL front end (`qb-graphql`) refuses before any query
    /// AST exists: a syntax error, a failed GraphQL validation rule, a missing or mistyped
    /// variable, an unknown operation name.
    GraphqlInvalid,
    /// A bug: the compiler or a binding failed in a way no input should cause (a binding maps
    /// a caught panic to it). Retrying with the legacy builder is safe; report it.
    Internal,
    /// A pagination cursor that is not one this compiler made: malformed, of an unknown
    /// version, or failing its authentication (tampered, or signed with another key).
    InvalidCursor,
    /// A well-formed cursor of another view or another ordering than the query's.
    CursorMismatch,
    /// Keyset pagination over a view that declares no `primary_key` (the tie-breaker that
    /// makes the order, and so every cursor, unique).
    NoPrimaryKey,
}

impl ErrorKind {
    /// Every kind, in catalog order.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::InvalidJson,
        ErrorKind::InvalidQuery,
        ErrorKind::InvalidSchema,
        ErrorKind::UnknownView,
        ErrorKind::UnknownField,
        ErrorKind::UnknownOperator,
        ErrorKind::OperatorTypeMismatch,
        ErrorKind::InvalidValue,
        ErrorKind::InvalidIdentifier,
        ErrorKind::DepthLimit,
        ErrorKind::SizeLimit,
        ErrorKind::InvalidGroupBy,
        ErrorKind::Unsupported,
        ErrorKind::Internal,
        ErrorKind::InvalidCursor,
        ErrorKind::CursorMismatch,
        ErrorKind::NoPrimaryKey,
        ErrorKind::GraphqlInvalid,
    ];

    /// The stable string code, e.g. `QB_UNKNOWN_FIELD`.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidJson => "QB_INVALID_JSON",
            ErrorKind::InvalidQuery => "QB_INVALID_QUERY",
            ErrorKind::InvalidSchema => "QB_INVALID_SCHEMA",
            ErrorKind::UnknownView => "QB_UNKNOWN_VIEW",
            ErrorKind::UnknownField => "QB_UNKNOWN_FIELD",
            ErrorKind::UnknownOperator => "QB_UNKNOWN_OPERATOR",
            ErrorKind::OperatorTypeMismatch => "QB_OPERATOR_TYPE_MISMATCH",
            ErrorKind::InvalidValue => "QB_INVALID_VALUE",
            ErrorKind::InvalidIdentifier => "QB_INVALID_IDENTIFIER",
            ErrorKind::DepthLimit => "QB_DEPTH_LIMIT",
            ErrorKind::SizeLimit => "QB_SIZE_LIMIT",
            ErrorKind::InvalidGroupBy => "QB_INVALID_GROUP_BY",
            ErrorKind::Unsupported => "QB_UNSUPPORTED",
            ErrorKind::Internal => "QB_INTERNAL",
            ErrorKind::InvalidCursor => "QB_INVALID_CURSOR",
            ErrorKind::CursorMismatch => "QB_CURSOR_MISMATCH",
            ErrorKind::NoPrimaryKey => "QB_NO_PRIMARY_KEY",
            ErrorKind::GraphqlInvalid => "QB_GRAPHQL_INVALID",
        }
    }

    /// The stable number (the C binding returns it as a status code; 0 means success there).
    pub const fn number(self) -> u32 {
        match self {
            ErrorKind::InvalidJson => 1,
            ErrorKind::InvalidQuery => 2,
            ErrorKind::InvalidSchema => 3,
            ErrorKind::UnknownView => 4,
            ErrorKind::UnknownField => 5,
            ErrorKind::UnknownOperator => 6,
            ErrorKind::OperatorTypeMismatch => 7,
            ErrorKind::InvalidValue => 8,
            ErrorKind::InvalidIdentifier => 9,
            ErrorKind::DepthLimit => 10,
            ErrorKind::SizeLimit => 11,
            ErrorKind::InvalidGroupBy => 12,
            ErrorKind::Unsupported => 13,
            ErrorKind::Internal => 14,
            ErrorKind::InvalidCursor => 15,
            ErrorKind::CursorMismatch => 16,
            ErrorKind::NoPrimaryKey => 17,
            ErrorKind::GraphqlInvalid => 18,
        }
    }

    /// Whether input can cause this kind. Only [`ErrorKind::Internal`] cannot: no query or
    /// schema example exists for it (docs/errors.md says so).
    pub const fn is_input_error(self) -> bool {
        !matches!(self, ErrorKind::Internal)
    }

    /// The kind for a code string, the inverse of [`ErrorKind::code`].
    pub fn from_code(code: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.iter().copied().find(|k| k.code() == code)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A compile, parse or schema error.
///
/// `path` names the offending node in the input document, e.g. `where.and[2].email.ilike`
/// for a query or `views.v_user.fields.age` for a schema; it is empty for the document root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    path: String,
    message: String,
}

impl Error {
    /// A new error. `path` uses the dotted/indexed form described on [`Error`].
    pub fn new(kind: ErrorKind, path: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            kind,
            path: path.into(),
            message: message.into(),
        }
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The stable string code, e.g. `QB_UNKNOWN_FIELD`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The path of the offending node (empty for the root).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The human-readable message, without code or path.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.kind.code(), self.message)
        } else {
            write!(f, "{} at {}: {}", self.kind.code(), self.path, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// One step of a path into a document.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
    /// Several keys in one step (a field path: `author.profile`).
    Keys(&'a [String]),
}

/// A path into the input document, kept as a linked list on the stack while walking it, so
/// that tracking it costs nothing until an error is built.
///
/// A host walking its own objects for the parser (see [`Source`](crate::ast::Source)) builds
/// its errors with [`Path::err`], so they name the node like the core's own errors do.
#[derive(Debug, Clone, Copy)]
pub struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    seg: Option<Seg<'p>>,
}

impl<'p> Path<'p> {
    /// The document root.
    pub const ROOT: Path<'static> = Path {
        parent: None,
        seg: None,
    };

    /// The member `key` of the object at this path.
    pub fn key(&'p self, key: &'p str) -> Path<'p> {
        Path {
            parent: Some(self),
            seg: Some(Seg::Key(key)),
        }
    }

    /// The members `keys[0]`, `keys[1]`, … below this path, as one step (a field path).
    pub(crate) fn keys(&'p self, keys: &'p [String]) -> Path<'p> {
        Path {
            parent: Some(self),
            seg: Some(Seg::Keys(keys)),
        }
    }

    /// The item `index` of the array at this path.
    pub fn index(&'p self, index: usize) -> Path<'p> {
        Path {
            parent: Some(self),
            seg: Some(Seg::Index(index)),
        }
    }

    /// Renders the path as `a.b[2].c` (empty for the root). A run of at least
    /// [`Path::MIN_RUN`] repeats of one step or one pair of steps is abbreviated:
    /// `where.(not × 300).age.eq`, `where.(and[0] × 250).age.eq`,
    /// `where.tags.contains([0] × 128)`.
    pub fn render(&self) -> String {
        let mut segs: Vec<Seg<'_>> = Vec::new();
        let mut node = Some(self);
        while let Some(n) = node {
            match n.seg {
                Some(Seg::Keys(keys)) => segs.extend(keys.iter().rev().map(|k| Seg::Key(k))),
                Some(seg) => segs.push(seg),
                None => {}
            }
            node = n.parent;
        }
        segs.reverse();
        let mut out = String::new();
        let mut i = 0;
        while i < segs.len() {
            let run = [1, 2].into_iter().find_map(|unit| {
                let repeats = repeats_at(&segs, i, unit);
                (repeats >= Path::MIN_RUN).then_some((unit, repeats))
            });
            match run {
                Some((unit, repeats)) => {
                    if !out.is_empty() && matches!(segs[i], Seg::Key(_)) {
                        out.push('.');
                    }
                    out.push('(');
                    let mut inner = String::new();
                    segs[i..i + unit]
                        .iter()
                        .for_each(|s| push_seg(&mut inner, s));
                    out.push_str(&inner);
                    out.push_str(" × ");
                    out.push_str(itoa::Buffer::new().format(repeats));
                    out.push(')');
                    i += unit * repeats;
                }
                None => {
                    push_seg(&mut out, &segs[i]);
                    i += 1;
                }
            }
        }
        out
    }

    /// The fewest repeats that [`Path::render`] abbreviates.
    pub const MIN_RUN: usize = 4;

    /// An error of `kind` at this path.
    pub fn err(&self, kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::new(kind, self.render(), message)
    }
}

/// How many times `segs[at..at + unit]` repeats back to back from `at`.
fn repeats_at(segs: &[Seg<'_>], at: usize, unit: usize) -> usize {
    let same = |a: &Seg<'_>, b: &Seg<'_>| match (a, b) {
        (Seg::Key(x), Seg::Key(y)) => x == y,
        (Seg::Index(x), Seg::Index(y)) => x == y,
        // `render` expands `Keys` into `Key`s before comparing.
        _ => false,
    };
    let mut n = 0;
    while at + (n + 1) * unit <= segs.len()
        && (0..unit).all(|k| same(&segs[at + k], &segs[at + n * unit + k]))
    {
        n += 1;
    }
    n
}

/// Appends one step: `.key` (no dot at the start) or `[index]`.
fn push_seg(out: &mut String, seg: &Seg<'_>) {
    match seg {
        Seg::Keys(keys) => keys.iter().for_each(|k| push_seg(out, &Seg::Key(k))),
        Seg::Key(k) => {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(k);
        }
        Seg::Index(i) => {
            out.push('[');
            out.push_str(itoa::Buffer::new().format(*i));
            out.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_renders_keys_and_indexes() {
        let root = Path::ROOT;
        let w = root.key("where");
        let and = w.key("and");
        let two = and.index(2);
        let email = two.key("email");
        let op = email.key("ilike");
        assert_eq!(op.render(), "where.and[2].email.ilike");
        assert_eq!(root.render(), "");
    }

    /// A path `where` + `unit` × `n` + `age`, built on the stack by recursion.
    fn deep(n: usize, unit: &[Seg<'static>], f: &mut dyn FnMut(&Path<'_>)) {
        fn go(p: &Path<'_>, left: usize, unit: &[Seg<'static>], f: &mut dyn FnMut(&Path<'_>)) {
            if left == 0 {
                return f(&p.key("age"));
            }
            fn step<'a>(p: &'a Path<'a>, rest: &[Seg<'static>], k: &mut dyn FnMut(&Path<'_>)) {
                match rest.split_first() {
                    None => k(p),
                    Some((Seg::Key(s), tail)) => step(&p.key(s), tail, k),
                    Some((Seg::Index(i), tail)) => step(&p.index(*i), tail, k),
                    Some((Seg::Keys(keys), tail)) => step(&p.keys(keys), tail, k),
                }
            }
            step(p, unit, &mut |q| go(q, left - 1, unit, f));
        }
        go(&Path::ROOT.key("where"), n, unit, f);
    }

    #[test]
    fn repeated_steps_are_abbreviated() {
        let mut got = Vec::new();
        deep(300, &[Seg::Key("not")], &mut |p| got.push(p.render()));
        deep(250, &[Seg::Key("and"), Seg::Index(0)], &mut |p| {
            got.push(p.render())
        });
        deep(5, &[Seg::Index(0)], &mut |p| got.push(p.render()));
        deep(3, &[Seg::Key("not")], &mut |p| got.push(p.render()));
        deep(4, &[Seg::Key("not")], &mut |p| got.push(p.render()));
        assert_eq!(
            got,
            [
                "where.(not × 300).age",
                "where.(and[0] × 250).age",
                "where([0] × 5).age",
                "where.not.not.not.age",
                "where.(not × 4).age",
            ]
        );
    }

    #[test]
    fn codes_and_numbers_are_unique() {
        for (i, a) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(ErrorKind::from_code(a.code()), Some(*a));
            for b in &ErrorKind::ALL[i + 1..] {
                assert_ne!(a.code(), b.code());
                assert_ne!(a.number(), b.number());
            }
        }
    }

    #[test]
    fn display_names_code_path_and_message() {
        let e = Error::new(ErrorKind::UnknownField, "where.email", "no field `email`");
        assert_eq!(
            e.to_string(),
            "QB_UNKNOWN_FIELD at where.email: no field `email`"
        );
    }
}
