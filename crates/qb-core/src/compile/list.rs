//! Embedded lists: a JSON array of objects inside a document (`{"type": "list", "fields":
//! {…}}` in the registry), read element by element as the rows of a scope:
//!
//! ```sql
//! jsonb_array_elements(CASE WHEN jsonb_typeof(x) = 'array' THEN x END)
//!     WITH ORDINALITY AS tN("value", "ord")
//! ```
//!
//! An element's fields are read below `tN."value"` (the registry renders them so), its
//! position `tN."ord"` is the last order key (as the primary key is for a relation); an
//! element that is not an object is selected as `null` and its fields read as NULL. A
//! value that is not an array (missing, JSON null, a string, an object) has no elements:
//! selected it is `null`; for `some`, `every` and `none` it is an empty list, as a relation
//! with a NULL key relates no row; `isnull` tests whether it is an array. Selections,
//! filters and order keys reuse the relations' code (`relation.rs`, `Rows::List`).

use super::{Compiler, Resolved};
use crate::ast::Condition;
use crate::error::{Error, ErrorKind, Path};

impl<'a> Compiler<'a> {
    /// `CASE WHEN jsonb_typeof(x) = 'array' THEN x END`: the list, SQL NULL when `x` is not
    /// an array.
    fn list_array(&mut self, r: &Resolved<'_>) {
        self.list_guard(r);
        self.json_expr(r);
        self.w.sql(" END");
    }

    /// `CASE WHEN jsonb_typeof(x) = 'array' THEN ` (the caller writes the rest and `END`).
    pub(crate) fn list_guard(&mut self, r: &Resolved<'_>) {
        self.w.sql("CASE WHEN jsonb_typeof(");
        self.json_expr(r);
        self.w.sql(") = 'array' THEN ");
    }

    /// `CASE WHEN jsonb_typeof(tN."value") = 'object' THEN ` before a selected element's
    /// object (the caller writes `END`): an element that is not an object (`null`, `7`) is
    /// selected as `null`, as a nested object is.
    pub(crate) fn element_guard(&mut self) {
        self.w.sql("CASE WHEN jsonb_typeof(");
        self.w
            .qualified(self.scope.alias, &self.scope.view.sql_data);
        self.w.sql(") = 'object' THEN ");
    }

    /// ` FROM jsonb_array_elements(<list>) WITH ORDINALITY AS tN("value", "ord")`, in the
    /// scope entered for the elements (its alias is `tN`).
    pub(crate) fn list_elements(&mut self, r: &Resolved<'_>) {
        self.w.sql(" FROM jsonb_array_elements(");
        self.list_array(r);
        self.w.sql(") WITH ORDINALITY AS ");
        self.w.alias(self.scope.alias);
        self.w.sql("(\"value\", \"ord\")");
    }

    /// A condition on the list itself (`items: {isnull: …}`): whether it is not an array.
    /// Other operators do not apply to a list.
    pub(crate) fn list_condition(
        &mut self,
        c: &'a Condition,
        r: &Resolved<'a>,
        at: usize,
        base: &Path<'_>,
    ) -> Result<(), Error> {
        let segs = &c.path.0;
        let op_path = || super::field_path_string(base, segs, Some(c.op.name()));
        if at + 1 < segs.len() {
            return Err(list_needs_quantifier(segs, at, base));
        }
        if c.op != crate::ast::Operator::IsNull {
            return Err(Error::new(
                ErrorKind::OperatorTypeMismatch,
                op_path(),
                format!(
                    "`{}` is an embedded list: only `isnull` applies to it (is it not an \
                     array?); filter its elements under `some`, `every` or `none`",
                    segs[at]
                ),
            ));
        }
        let is_null = super::values::Operand::new(&c.value, self.limits, &op_path).boolean()?;
        self.w.sql("(");
        self.list_array(r);
        self.w.sql(if is_null {
            " IS NULL)"
        } else {
            " IS NOT NULL)"
        });
        Ok(())
    }
}

/// A filter on a list's elements without `some`, `every` or `none`.
#[cold]
pub(crate) fn list_needs_quantifier(segs: &[String], at: usize, base: &Path<'_>) -> Error {
    Error::new(
        ErrorKind::InvalidQuery,
        super::field_path_string(base, &segs[..=at], None),
        format!(
            "`{}` is an embedded list: filter its elements with `some`, `every` or `none`",
            segs[at]
        ),
    )
}
