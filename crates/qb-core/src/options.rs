//! Compile options and limits.

/// How placeholders are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Placeholder {
    /// `$1`, `$2`, … (libpq, asyncpg, node-postgres, tokio-postgres).
    #[default]
    Numbered,
    /// `%s` (psycopg); a literal `%` in the SQL text is written `%%`.
    Format,
}

/// Size and depth limits. Every limit is checked before the work it bounds, and exceeding one
/// is an error (`QB_DEPTH_LIMIT` or `QB_SIZE_LIMIT`), never a crash.
///
/// `max_depth` is capped at [`Limits::HARD_MAX_DEPTH`]: parsing and compiling recurse once
/// per nesting level, and the cap keeps that well inside a 2 MiB thread stack.
///
/// `#[non_exhaustive]`: start from `Limits::default()` and set fields (or use the `with_`
/// methods).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Deepest nesting of `and`/`or`/`not`, nested fields, relations and nested selections.
    pub max_depth: usize,
    /// Most filter conditions plus selected fields in one query.
    pub max_nodes: usize,
    /// Longest list value (`in`, `nin`, arrays).
    pub max_list_len: usize,
    /// Longest string value, in bytes.
    pub max_string_len: usize,
    /// Most rows a nested list (a one-to-many or many-to-many relation) may select: when
    /// set, every nested list needs a `limit` of at most this many rows. `None` (the
    /// default): no cap.
    pub max_nested_rows: Option<u64>,
}

impl Limits {
    /// The deepest nesting any configuration allows (a larger `max_depth` acts as this).
    pub const HARD_MAX_DEPTH: usize = 512;

    /// These limits with `max_depth` set.
    pub fn with_max_depth(mut self, max_depth: usize) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// These limits with `max_nodes` set.
    pub fn with_max_nodes(mut self, max_nodes: usize) -> Self {
        self.max_nodes = max_nodes;
        self
    }

    /// These limits with `max_list_len` set.
    pub fn with_max_list_len(mut self, max_list_len: usize) -> Self {
        self.max_list_len = max_list_len;
        self
    }

    /// These limits with `max_string_len` set.
    pub fn with_max_string_len(mut self, max_string_len: usize) -> Self {
        self.max_string_len = max_string_len;
        self
    }

    /// These limits with `max_nested_rows` set: every nested list needs a `limit` of at most
    /// `rows`.
    pub fn with_max_nested_rows(mut self, rows: u64) -> Self {
        self.max_nested_rows = Some(rows);
        self
    }

    /// `max_depth`, capped at [`Limits::HARD_MAX_DEPTH`].
    pub fn effective_max_depth(&self) -> usize {
        self.max_depth.min(Limits::HARD_MAX_DEPTH)
    }

    /// `QB_DEPTH_LIMIT` at `path` when `depth` is past the effective limit: the one check
    /// the parser and the compiler make before descending.
    pub(crate) fn check_depth(
        &self,
        depth: usize,
        path: &crate::error::Path<'_>,
    ) -> Result<(), crate::Error> {
        let max = self.effective_max_depth();
        if depth > max {
            return Err(path.err(
                crate::ErrorKind::DepthLimit,
                format!("nesting deeper than {max} levels"),
            ));
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_nodes: 100_000,
            max_list_len: 100_000,
            max_string_len: 1 << 20,
            max_nested_rows: None,
        }
    }
}

/// Options for one compile.
///
/// `#[non_exhaustive]`: start from `CompileOptions::default()` and set fields (or use the
/// `with_` methods).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompileOptions {
    /// Placeholder style.
    pub placeholder: Placeholder,
    /// Default for [`Query::camel_case`](crate::Query::camel_case): map camelCase query names
    /// to snake_case data keys. Default `true`.
    pub camel_case: bool,
    /// Limits.
    pub limits: Limits,
    /// The key cursors are authenticated with (HMAC-SHA256): with one, [`crate::encode_cursor`]
    /// signs every cursor and a compile refuses a cursor whose tag does not verify; without,
    /// cursors are unsigned (docs/query-ast.md, "Cursors and their threat model").
    pub cursor_key: Option<CursorKey>,
}

/// A secret key for cursor authentication. Its `Debug` form never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct CursorKey(std::sync::Arc<[u8]>);

impl CursorKey {
    /// A key from its bytes (use at least 32 random bytes).
    pub fn new(bytes: &[u8]) -> Self {
        CursorKey(bytes.into())
    }

    /// The key's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CursorKey({} bytes)", self.0.len())
    }
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            placeholder: Placeholder::Numbered,
            camel_case: true,
            limits: Limits::default(),
            cursor_key: None,
        }
    }
}

impl CompileOptions {
    /// Options with the `%s` placeholder style.
    pub fn format() -> Self {
        CompileOptions::default().with_placeholder(Placeholder::Format)
    }

    /// These options with `placeholder` set.
    pub fn with_placeholder(mut self, placeholder: Placeholder) -> Self {
        self.placeholder = placeholder;
        self
    }

    /// These options with `camel_case` set.
    pub fn with_camel_case(mut self, camel_case: bool) -> Self {
        self.camel_case = camel_case;
        self
    }

    /// These options with `limits` set.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// These options with cursors authenticated by `key` (HMAC-SHA256).
    pub fn with_cursor_key(mut self, key: &[u8]) -> Self {
        self.cursor_key = Some(CursorKey::new(key));
        self
    }
}
