//! `SqlWriter`: the one place SQL text is written. It owns the output buffer, the
//! placeholder counter and the parameter list, so placeholders and parameters are produced in
//! the same pass and cannot disagree. Identifier quoting and literal escaping each live here,
//! in exactly one function.
//!
//! The registry renders its SQL ahead of time through this module ([`SqlFragment`]) and the
//! compiler pastes it; neither depends on the other for it. Fragments never name a table
//! alias: a column is `"id"`, a JSONB field `"data"->'a'->>'b'`, and the writer prepends the
//! alias of the scope that reads it ([`SqlWriter::qualified`]).

use crate::compile::Slot;
use crate::options::Placeholder;
use crate::param::{Param, ParamType, ParamValue};

/// A table alias of one statement: `t` for the root view, `t1`, `t2`, … for every further
/// row source, numbered in the order the compiler opens them (so the text depends only on
/// the query's shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Alias(pub(crate) u32);

impl Alias {
    /// The root view's alias, `t`.
    pub(crate) const ROOT: Alias = Alias(0);
}

/// SQL rendered ahead of time by a [`SqlWriter`] (a view's relation, a column, a JSONB
/// accessor) and pasted into every statement that needs it. Only the writer can make one, so
/// it never holds anything but what the writer's own quoting and escaping produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SqlFragment(Box<str>);

#[derive(Debug)]
pub(crate) struct SqlWriter {
    sql: String,
    params: Vec<Param>,
    style: Placeholder,
    /// When planning for the shape cache: how each parameter is made from the query, one
    /// [`Slot`] per parameter, recorded by the same call that writes its placeholder.
    slots: Option<Vec<Slot>>,
}

impl SqlWriter {
    pub(crate) fn new(style: Placeholder, capacity: usize) -> Self {
        SqlWriter {
            sql: String::with_capacity(capacity),
            params: Vec::new(),
            style,
            slots: None,
        }
    }

    /// Records a [`Slot`] for every parameter from now on (the shape cache's plan).
    pub(crate) fn record_slots(&mut self) {
        self.slots = Some(Vec::new());
    }

    /// Static SQL text written by the compiler itself. It never contains a `%` (so the
    /// `%s` style needs no escaping here) nor any input data.
    #[inline]
    pub(crate) fn sql(&mut self, fragment: &'static str) {
        debug_assert!(
            !fragment.contains('%'),
            "static SQL must not contain %: {fragment}"
        );
        self.sql.push_str(fragment);
    }

    /// Static SQL that contains `%` (an operator such as pgvector's `<%>`): doubled in the
    /// `%s` style so the driver does not read it as a placeholder.
    pub(crate) fn sql_with_percent(&mut self, fragment: &'static str) {
        for c in fragment.chars() {
            if c == '%' && self.style == Placeholder::Format {
                self.sql.push('%');
            }
            self.sql.push(c);
        }
    }

    /// A quoted identifier. Callers pass only names validated against the registry
    /// (`[A-Za-z_][A-Za-z0-9_]*`); quoting still doubles `"` so the function is safe alone.
    pub(crate) fn ident(&mut self, name: &str) {
        self.sql.push('"');
        for c in name.chars() {
            match c {
                '"' => self.sql.push_str("\"\""),
                '%' if self.style == Placeholder::Format => self.sql.push_str("%%"),
                c => self.sql.push(c),
            }
        }
        self.sql.push('"');
    }

    /// A string literal (JSON keys, output keys, typenames: never user values). `'` is
    /// doubled; a backslash switches to the `E''` form with `\` doubled, which reads the
    /// same whatever `standard_conforming_strings` is; `%` is doubled in the `%s` style.
    pub(crate) fn literal(&mut self, text: &str) {
        let special = |b: &u8| {
            matches!(b, b'\'' | b'\\') || (*b == b'%' && self.style == Placeholder::Format)
        };
        if !text.as_bytes().iter().any(special) {
            // The common case: nothing to escape.
            self.sql.reserve(text.len() + 2);
            self.sql.push('\'');
            self.sql.push_str(text);
            self.sql.push('\'');
            return;
        }
        if text.contains('\\') {
            self.sql.push('E');
        }
        self.sql.push('\'');
        for c in text.chars() {
            match c {
                '\'' => self.sql.push_str("''"),
                '\\' => self.sql.push_str("\\\\"),
                '%' if self.style == Placeholder::Format => self.sql.push_str("%%"),
                c => self.sql.push(c),
            }
        }
        self.sql.push('\'');
    }

    /// A placeholder for `value`, cast to its type, and the parameter itself.
    /// Types that travel as text are cast twice: `$1::text::inet`.
    ///
    /// A parameter written this way has no recorded source: a plan that meets one is not
    /// cached ([`Slot::Opaque`]). Parameters made from the query go through
    /// [`SqlWriter::param_from`] (every parameter the compiler writes does today).
    #[allow(dead_code)] // the entry point of a parameter source without a slot (none today)
    pub(crate) fn param(&mut self, ty: ParamType, value: ParamValue) {
        self.param_from(ty, value, || Slot::Opaque);
    }

    /// [`SqlWriter::param`] for a parameter made from the query: `slot` says how (called
    /// only when planning, so an uncached compile builds no slot).
    #[inline]
    pub(crate) fn param_from(
        &mut self,
        ty: ParamType,
        value: ParamValue,
        slot: impl FnOnce() -> Slot,
    ) {
        if let Some(slots) = &mut self.slots {
            slots.push(slot());
        }
        match self.style {
            Placeholder::Numbered => {
                self.sql.push('$');
                self.sql
                    .push_str(itoa::Buffer::new().format(self.params.len() + 1));
            }
            Placeholder::Format => self.sql.push_str("%s"),
        }
        let base = ty.base();
        let wire = base.wire();
        self.cast(wire.sql_name(), ty.is_array());
        if wire != base {
            self.cast(base.sql_name(), ty.is_array());
        }
        self.params.push(Param { ty, value });
    }

    fn cast(&mut self, name: &'static str, array: bool) {
        self.sql.push_str("::");
        self.sql.push_str(name);
        if array {
            self.sql.push_str("[]");
        }
    }

    /// Pastes a fragment rendered ahead of time.
    #[inline]
    pub(crate) fn fragment(&mut self, f: &SqlFragment) {
        self.sql.push_str(&f.0);
    }

    /// A table alias: `t`, `t1`, …
    #[inline]
    pub(crate) fn alias(&mut self, a: Alias) {
        self.sql.push('t');
        if a.0 != 0 {
            self.sql.push_str(itoa::Buffer::new().format(a.0));
        }
    }

    /// A fragment read through a table alias: `t."id"`, `t1."data"->'a'`. Inlined: it is
    /// every column and field read, and the root's `t.` is then a 2-byte store.
    #[inline(always)]
    pub(crate) fn qualified(&mut self, a: Alias, f: &SqlFragment) {
        if a.0 == 0 {
            self.sql.push_str("t.");
        } else {
            self.alias_dot(a);
        }
        self.sql.push_str(&f.0);
    }

    /// `t1.`: kept out of line, so every inlined [`SqlWriter::qualified`] stays small.
    #[inline(never)]
    fn alias_dot(&mut self, a: Alias) {
        self.alias(a);
        self.sql.push('.');
    }

    fn into_fragment(self) -> SqlFragment {
        debug_assert!(self.params.is_empty(), "a fragment holds no parameters");
        SqlFragment(self.sql.into_boxed_str())
    }

    /// An object key and its separator rendered ahead of time: `'text', `.
    pub(crate) fn entry_fragment(style: Placeholder, text: &str) -> SqlFragment {
        let mut w = SqlWriter::new(style, text.len() + 4);
        w.literal(text);
        w.sql(", ");
        w.into_fragment()
    }

    /// `"schema"."view"` or `"view"`.
    pub(crate) fn table(schema: Option<&str>, name: &str) -> SqlFragment {
        let mut w = SqlWriter::new(Placeholder::Numbered, 32);
        if let Some(s) = schema {
            w.ident(s);
            w.sql(".");
        }
        w.ident(name);
        w.into_fragment()
    }

    /// `"name"`: a column, read through the alias of the scope that reads it.
    pub(crate) fn column(name: &str) -> SqlFragment {
        let mut w = SqlWriter::new(Placeholder::Numbered, 16);
        w.ident(name);
        w.into_fragment()
    }

    /// The accessors of a key path below the data column `data` (`"data"`):
    /// `"data"->'a'->'b'` (jsonb) and `"data"->'a'->>'b'` (text), for one placeholder style.
    pub(crate) fn json_accessors(
        style: Placeholder,
        data: &SqlFragment,
        keys: &[Box<str>],
    ) -> (SqlFragment, SqlFragment) {
        let mut json = SqlWriter::new(style, 32);
        let mut text = SqlWriter::new(style, 32);
        json.fragment(data);
        text.fragment(data);
        for (i, k) in keys.iter().enumerate() {
            json.sql("->");
            json.literal(k);
            text.sql(if i + 1 == keys.len() { "->>" } else { "->" });
            text.literal(k);
        }
        (json.into_fragment(), text.into_fragment())
    }

    pub(crate) fn finish(self) -> (String, Vec<Param>) {
        (self.sql, self.params)
    }

    /// [`SqlWriter::finish`] and the recorded slots (empty unless recording).
    pub(crate) fn finish_with_slots(self) -> (String, Vec<Param>, Vec<Slot>) {
        (self.sql, self.params, self.slots.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::param::PgType;

    #[test]
    fn literal_escapes_quotes_backslashes_and_percent() {
        let mut w = SqlWriter::new(Placeholder::Format, 0);
        w.literal("it's 100% a\\b");
        w.sql(" ");
        w.ident("we\"ird");
        assert_eq!(w.finish().0, "E'it''s 100%% a\\\\b' \"we\"\"ird\"");
    }

    #[test]
    fn params_and_placeholders_agree() {
        let mut w = SqlWriter::new(Placeholder::Numbered, 0);
        w.param(
            ParamType::Scalar(PgType::Text),
            ParamValue::Text("a".into()),
        );
        w.sql(" ");
        w.param(ParamType::Array(PgType::Inet), ParamValue::Array(vec![]));
        let (sql, params) = w.finish();
        assert_eq!(sql, "$1::text $2::text[]::inet[]");
        let mut w = SqlWriter::new(Placeholder::Format, 0);
        w.sql_with_percent(" <%> ");
        assert_eq!(w.finish().0, " <%%> ");
        assert_eq!(params.len(), 2);
    }

    #[test]
    fn aliases_qualify_fragments() {
        let col = SqlWriter::column("id");
        let mut w = SqlWriter::new(Placeholder::Numbered, 0);
        w.qualified(Alias::ROOT, &col);
        w.sql(" ");
        w.qualified(Alias(12), &col);
        w.sql(" ");
        w.alias(Alias(3));
        assert_eq!(w.finish().0, "t.\"id\" t12.\"id\" t3");
    }
}
