//! Bound hits: a repeated operation whose variables have the same fingerprint binds the new
//! variable values straight into each root field's [`Prepared`] statement, without lowering.
//!
//! The first request of a fingerprint (the document's entry, and [`Trace`]'s fingerprint of
//! the variables: everything that can change the lowering, with only the scalar leaves left
//! out) is lowered and compiled as without a cache, and the fingerprint noted
//! ([`Template::Seen`]), so a fingerprint that never repeats (a JSON scalar's object that
//! changes every call) costs no trace. The second is lowered and compiled, then **traced**: the
//! variables are lowered again with a marker in place of each leaf, and each root field's
//! query is prepared. An operand of the prepared query is then a pattern: the marker of a
//! leaf is a hole for that leaf, the rest is the document's. The template is kept only when
//! the traced lowering has the same shape and everything else (response keys, connections,
//! nested connections) as the real one, the patterns filled with the real leaves give the
//! real operands, and the prepared query with them is the real query; a leaf that went
//! into no operand is kept, and must be equal on a hit. Anything else (a variable used in
//! two roles, a leaf the lowering transforms, a leaf equal to its own marker) keeps a
//! "slow" template: that fingerprint is lowered on every call.
//!
//! A bound hit coerces the variables as every request does (the same code: [`Trace`] is
//! filled by the coercion), fills the patterns, and binds through
//! [`Prepared::bind_values_params`], which validates each value as a compile does. Any
//! failure (a leaf that does not coerce, a count or cursor that is not one, a value that
//! does not bind) takes the slow path, so errors are exactly an uncached compile's.

use std::collections::HashMap;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::executable::Operation;
use apollo_compiler::parser::SourceMap;
use qb_core::{CompileOptions, CompiledQuery, Prepared, Query, Value};

use crate::GraphqlSchema;
use crate::compile::{
    CompiledRequest, Connection, Lowered, NestedConnections, RootField, Trace, coerce_variables,
    lower_fields, marker,
};

/// What a fingerprint's requests take: bound, or lowered every time.
#[derive(Debug)]
pub(crate) enum Template {
    /// Seen once: the next request of this fingerprint is traced.
    Seen,
    /// Lowered on every call.
    Slow,
    /// Bound.
    Bound(Bound),
}

#[derive(Debug)]
pub(crate) struct Bound {
    /// Per leaf: `Some(value)` when it went into no operand (a hit's leaf must equal it).
    fixed: Box<[Option<Value>]>,
    fields: Box<[Field]>,
    operation_name: Option<String>,
}

#[derive(Debug)]
enum Field {
    Constant(RootField),
    Sql {
        response_key: String,
        prepared: Prepared,
        operands: Box<[Pat]>,
        single: bool,
        nested: Option<NestedConnections>,
    },
    Connection {
        response_key: String,
        prepared: Prepared,
        operands: Box<[Pat]>,
        connection: Connection,
    },
}

/// An operand of a prepared query: the document's value with holes for leaves.
#[derive(Debug)]
enum Pat {
    Lit(Value),
    Hole(usize),
    List(Vec<Pat>),
    Object(Vec<(String, Pat)>),
}

impl Pat {
    fn of(v: &Value, markers: &[Value]) -> Pat {
        let p = match v {
            Value::List(items) => Pat::List(items.iter().map(|i| Pat::of(i, markers)).collect()),
            Value::Object(entries) => Pat::Object(
                entries
                    .iter()
                    .map(|(k, i)| (k.clone(), Pat::of(i, markers)))
                    .collect(),
            ),
            _ => match markers.iter().position(|m| m == v) {
                Some(i) => Pat::Hole(i),
                None => Pat::Lit(v.clone()),
            },
        };
        if p.holes().next().is_none() {
            Pat::Lit(v.clone())
        } else {
            p
        }
    }

    fn holes(&self) -> Box<dyn Iterator<Item = usize> + '_> {
        match self {
            Pat::Lit(_) => Box::new(std::iter::empty()),
            Pat::Hole(i) => Box::new(std::iter::once(*i)),
            Pat::List(items) => Box::new(items.iter().flat_map(Pat::holes)),
            Pat::Object(entries) => Box::new(entries.iter().flat_map(|(_, p)| p.holes())),
        }
    }

    fn fill(&self, leaves: &[Value]) -> Value {
        match self {
            Pat::Lit(v) => v.clone(),
            Pat::Hole(i) => leaves.get(*i).cloned().unwrap_or(Value::Null),
            Pat::List(items) => Value::List(items.iter().map(|p| p.fill(leaves)).collect()),
            Pat::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, p)| (k.clone(), p.fill(leaves)))
                    .collect(),
            ),
        }
    }
}

/// The template of a request that compiled to `out` (see the module docs); `None` when
/// the request must always lower ([`Template::Slow`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn trace(
    doc: &ExecutableDocument,
    operation: &Operation,
    variables: Option<&Value>,
    sources: &SourceMap,
    real: &Trace,
    out: &CompiledRequest,
    schema: &GraphqlSchema,
    options: &CompileOptions,
) -> Option<Bound> {
    let leaves = &real.leaves;
    let markers: Vec<Value> = leaves
        .iter()
        .enumerate()
        .map(|(i, l)| marker(i, l))
        .collect();
    // A leaf equal to its marker could not be told from a document value equal to it.
    if leaves.iter().zip(&markers).any(|(l, m)| l == m) {
        return None;
    }
    let mut traced = Trace::with_markers();
    let vars: HashMap<String, Value> =
        coerce_variables(schema, operation, variables, sources, Some(&mut traced)).ok()?;
    if traced.fingerprint != real.fingerprint || traced.leaves != *leaves {
        return None;
    }
    let lowered = lower_fields(doc, operation, &vars, sources, schema, options).ok()?;
    if lowered.len() != out.fields.len() {
        return None;
    }
    let mut hole = vec![false; leaves.len()];
    let mut fields = Vec::with_capacity(lowered.len());
    for (l, f) in lowered.into_iter().zip(&out.fields) {
        let field = match (l, f) {
            (Lowered::Constant(c), f) if c == *f => Field::Constant(c),
            (
                Lowered::Sql {
                    response_key,
                    query,
                    single,
                    nested,
                },
                RootField::Sql {
                    response_key: rk,
                    query: rq,
                    single: rs,
                    nested: rn,
                    ..
                },
            ) if response_key == *rk && single == *rs && nested == *rn => {
                let (prepared, operands) = operands(&query, rq, &markers, leaves, schema, options)?;
                Field::Sql {
                    response_key,
                    prepared,
                    operands,
                    single,
                    nested,
                }
            }
            (
                Lowered::Connection {
                    response_key,
                    query,
                    connection,
                },
                RootField::Connection {
                    response_key: rk,
                    query: rq,
                    connection: rc,
                    ..
                },
            ) if response_key == *rk && connection == *rc => {
                let (prepared, operands) = operands(&query, rq, &markers, leaves, schema, options)?;
                Field::Connection {
                    response_key,
                    prepared,
                    operands,
                    connection,
                }
            }
            _ => return None,
        };
        if let Field::Sql { operands, .. } | Field::Connection { operands, .. } = &field {
            for i in operands.iter().flat_map(Pat::holes) {
                hole[i] = true;
            }
        }
        fields.push(field);
    }
    Some(Bound {
        fixed: leaves
            .iter()
            .zip(&hole)
            .map(|(l, h)| (!h).then(|| l.clone()))
            .collect(),
        fields: fields.into_boxed_slice(),
        operation_name: out.operation_name.clone(),
    })
}

/// A root field's query prepared (from the real query) and its operands as patterns (from
/// the traced query), when they give back the real query.
fn operands(
    traced: &Query,
    real: &Query,
    markers: &[Value],
    leaves: &[Value],
    schema: &GraphqlSchema,
    options: &CompileOptions,
) -> Option<(Prepared, Box<[Pat]>)> {
    let registry = schema.registry();
    let prepared = registry.prepare(real, options).ok()?;
    let traced = prepared.operand_values(traced, registry).ok()?;
    let real_values = prepared.operand_values(real, registry).ok()?;
    let pats: Box<[Pat]> = traced.iter().map(|v| Pat::of(v, markers)).collect();
    let filled: Vec<Value> = pats.iter().map(|p| p.fill(leaves)).collect();
    if filled != real_values || prepared.query_with_values(&filled).ok()? != *real {
        return None;
    }
    Some((prepared, pats))
}

impl Bound {
    /// The request with these leaves (coerced), or `None` when it must be lowered: a leaf
    /// that went into no operand differs, or a value does not bind.
    pub(crate) fn bind(&self, leaves: &[Value], schema: &GraphqlSchema) -> Option<CompiledRequest> {
        if leaves.len() != self.fixed.len()
            || self
                .fixed
                .iter()
                .zip(leaves)
                .any(|(f, l)| f.as_ref().is_some_and(|f| f != l))
        {
            return None;
        }
        let registry = schema.registry();
        let bind = |prepared: &Prepared, operands: &[Pat]| {
            let values: Vec<Value> = operands.iter().map(|p| p.fill(leaves)).collect();
            let query = prepared.query_with_values(&values).ok()?;
            let params = prepared.bind_values_params(&values, registry).ok()?;
            Some((
                Box::new(query),
                CompiledQuery::new(prepared.sql().to_owned(), params),
            ))
        };
        let mut fields = Vec::with_capacity(self.fields.len());
        for f in self.fields.iter() {
            fields.push(match f {
                Field::Constant(c) => c.clone(),
                Field::Sql {
                    response_key,
                    prepared,
                    operands,
                    single,
                    nested,
                } => {
                    let (query, compiled) = bind(prepared, operands)?;
                    RootField::Sql {
                        response_key: response_key.clone(),
                        query,
                        compiled,
                        single: *single,
                        nested: nested.clone(),
                    }
                }
                Field::Connection {
                    response_key,
                    prepared,
                    operands,
                    connection,
                } => {
                    let (query, compiled) = bind(prepared, operands)?;
                    RootField::Connection {
                        response_key: response_key.clone(),
                        query,
                        compiled,
                        connection: connection.clone(),
                    }
                }
            });
        }
        Some(CompiledRequest {
            fields,
            operation_name: self.operation_name.clone(),
        })
    }

    /// Approximate heap bytes (the statements' text and the patterns' count).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.fields
            .iter()
            .map(|f| match f {
                Field::Constant(_) => 64,
                Field::Sql {
                    prepared, operands, ..
                }
                | Field::Connection {
                    prepared, operands, ..
                } => 2 * prepared.sql().len() + 64 * operands.len(),
            })
            .sum::<usize>()
            + 32 * self.fixed.len()
    }
}
