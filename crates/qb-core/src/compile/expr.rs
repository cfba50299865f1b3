//! How a resolved field is read: as jsonb (output), as text (`->>`), typed (comparisons,
//! ordering, grouping) or as a typed output column. Every read is qualified by the alias of
//! the scope the field was resolved in.

use super::{Access, Compiler, Resolved};
use crate::schema::{FieldType, Read, ScalarType};

impl<'a> Compiler<'a> {
    /// `t."data"->'a'->'b'` (jsonb, JSON null kept), or `t."col"`.
    pub(crate) fn json_expr(&mut self, r: &Resolved<'a>) {
        let alias = r.alias;
        match &r.access {
            Access::Column(col) => self.w.qualified(alias, &col.sql),
            Access::Field(f) => self.w.qualified(alias, &f.sql.json[self.style]),
            Access::Dynamic(data, keys) => {
                self.w.qualified(alias, data);
                for k in keys {
                    self.w.sql("->");
                    self.w.literal(k);
                }
            }
            Access::Aggregate(a) => {
                self.w.sql("to_jsonb(");
                self.write_aggregate(*a);
                self.w.sql(")");
            }
            Access::RowsAggregate(a) => {
                self.w.sql("to_jsonb(");
                self.write_rows_aggregate(a);
                self.w.sql(")");
            }
        }
    }

    /// `t."data"->'a'->>'b'` (text; SQL NULL for a missing key or JSON null), or `t."col"`.
    pub(crate) fn text_expr(&mut self, r: &Resolved<'a>) {
        let alias = r.alias;
        match &r.access {
            Access::Column(col) => self.w.qualified(alias, &col.sql),
            Access::Field(f) => self.w.qualified(alias, &f.sql.text[self.style]),
            Access::Dynamic(data, keys) => {
                self.w.qualified(alias, data);
                let last = keys.len() - 1;
                for (i, k) in keys.iter().enumerate() {
                    self.w.sql(if i == last { "->>" } else { "->" });
                    self.w.literal(k);
                }
            }
            Access::Aggregate(a) => self.write_aggregate(*a),
            Access::RowsAggregate(a) => self.write_rows_aggregate(a),
        }
    }

    /// The field's value as its SQL type: `(t."data"->>'age')::numeric`; jsonb-valued fields
    /// as `NULLIF(t."data"->'m', 'null'::jsonb)` so JSON null behaves as SQL NULL. The cast
    /// is the type's row of [`ScalarType::sql`].
    pub(crate) fn typed_expr(&mut self, r: &Resolved<'a>) {
        if let Access::Column(col) = r.access {
            self.w.qualified(r.alias, &col.sql);
            return;
        }
        let read = match r.ty {
            FieldType::Scalar(s) => s.sql().read,
            FieldType::Array(_) | FieldType::Object(_) | FieldType::List(_) => Read::Jsonb,
        };
        match read {
            Read::Text => self.text_expr(r),
            Read::Jsonb => {
                self.w.sql("NULLIF(");
                self.json_expr(r);
                self.w.sql(", 'null'::jsonb)");
            }
            // An aggregate is already of its type (text ones are written by `text_expr`;
            // none is read as jsonb). Checked here only: the other reads never see one.
            Read::Cast(cast) => {
                match &r.access {
                    Access::Aggregate(a) => return self.write_aggregate(*a),
                    Access::RowsAggregate(a) => return self.write_rows_aggregate(a),
                    _ => {}
                }
                self.w.sql("(");
                self.text_expr(r);
                self.w.sql(")::");
                self.w.sql(cast);
            }
        }
    }

    /// A leaf as a typed column; vectors stay text so no extension is needed to read them,
    /// and integer JSON fields come back as `bigint` (drivers' integer type) rather than the
    /// `numeric` they are compared as.
    pub(crate) fn column_expr(&mut self, r: &Resolved<'a>) {
        match r.ty {
            FieldType::Scalar(ScalarType::Vector | ScalarType::Bit) => self.text_expr(r),
            FieldType::Scalar(ScalarType::Integer) if !matches!(r.access, Access::Column(_)) => {
                self.typed_expr(r);
                self.w.sql("::bigint");
            }
            _ => self.typed_expr(r),
        }
    }
}
