//! The shape cache and prepared queries: compile a query's shape once (plan), then build the
//! parameters of every query of the same shape from its operands (bind) without resolving a
//! name or writing SQL.
//!
//! A **shape** is the query with its operand values left out (ARCHITECTURE.md: "SQL text
//! depends on the query's shape only"), plus what else decides the SQL: the operands that are
//! written as SQL text (the booleans of `isnull` and of the network `is*` predicates), the
//! registry's identity ([`Schema`]'s fingerprint), and the compile options. It is encoded in
//! full as bytes ([`Shape`]), so a hit compares whole shapes, never only a hash.
//!
//! A plan keeps the SQL and, per parameter, its [`Slot`]: which operand it is made from and
//! how. A plan is cached only when every parameter has a slot and every operand is used by
//! one (so a value the writer turned into text would be noticed), and when binding the
//! planned query reproduces its own parameters. A bind that fails recompiles the query, so
//! its error is exactly the uncached compile's (code, message, path, and which of several
//! bad operands is reported).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::clock::Clock;

use crate::schema::AHashMap;
use smallvec::SmallVec;

use crate::ast::{
    AggregateSelection, Condition, Filter, NestedFilter, Operator, OrderBy, Query, Selection,
};
use crate::compile::{Conv, Scratch, Slot, Source, compile, plan};
use crate::error::{Error, ErrorKind};
use crate::options::{CompileOptions, Limits, Placeholder};
use crate::param::{CompiledQuery, Param, ParamType, ParamValue};
use crate::schema::Schema;
use crate::value::Value;

mod doc;
mod values;
pub use doc::{CompileStep, SharedQuery, SourceCompiled};
pub use values::{OperandKind, PreparedOperand};

/// The operands of a filter whose values are written as SQL text: part of the shape.
fn operand_is_shape(op: Operator) -> bool {
    matches!(
        op,
        Operator::IsNull
            | Operator::IsIPv4
            | Operator::IsIPv6
            | Operator::IsPrivate
            | Operator::IsPublic
            | Operator::IsLoopback
            | Operator::IsLinkLocal
            | Operator::IsMulticast
            | Operator::IsDocumentation
            | Operator::IsCarrierGrade
    )
}

/// The first byte of a shape's key; a document's key ([`doc`]) starts with [`DOC_KEY`], so
/// the two never compare equal in the one cache.
const SHAPE_KEY: u8 = 0;
/// The first byte of a document's key.
const DOC_KEY: u8 = 1;

/// In a document key, where an object key's length would be: the key is a name the parser
/// knows, given by the next byte (`doc`'s tags). No length is written as this byte.
const NAME_TAG: u8 = 0xFE;

/// How deep a shape is walked; deeper queries are compiled uncached (and fail the compile's
/// depth check, whose cap is lower).
const MAX_WALK_DEPTH: usize = Limits::HARD_MAX_DEPTH + 16;

/// A query's shape, in full, and its operands in the canonical (walk) order.
struct Shape<'q> {
    key: Key,
    operands: SmallVec<[Operand<'q>; 8]>,
}

/// The bytes of a key (a shape's or a document's), and how each part is written.
struct Key {
    bytes: Vec<u8>,
}

/// One operand: where it is in the query (to map a planned slot to it) and its value.
#[derive(Clone, Copy)]
struct Operand<'q> {
    addr: usize,
    src: Source<'q>,
}

/// The 8 bytes of `b` at `i` as a word (`b` holds them).
#[inline]
fn word_at(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(w)
}

/// The 4 bytes of `b` at `i` as a word (`b` holds them).
#[inline]
fn half_at(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[i..i + 4]);
    u64::from(u32::from_le_bytes(w))
}

/// Two words that together hold every byte of `b` (at most 16 bytes long), read in
/// overlapping windows: for one length, equal words mean equal bytes.
#[inline]
fn short_words(b: &[u8]) -> (u64, u64) {
    let n = b.len();
    if n >= 8 {
        (word_at(b, 0), word_at(b, n - 8))
    } else if n >= 4 {
        (half_at(b, 0), half_at(b, n - 4))
    } else if n > 0 {
        let w = u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16;
        (w, 0)
    } else {
        (0, 0)
    }
}

/// The walk went deeper than [`MAX_WALK_DEPTH`].
struct TooDeep;

/// `query`'s shape, encoded.
#[cfg(test)]
fn encode(query: &Query, schema: &Schema, options: &CompileOptions) -> Result<Vec<u8>, TooDeep> {
    Shape::of(query, schema, options).map(|s| s.key.bytes)
}

impl Key {
    #[inline]
    fn u8(&mut self, b: u8) {
        self.bytes.push(b);
    }

    #[inline]
    fn u64(&mut self, n: u64) {
        self.bytes.extend_from_slice(&n.to_le_bytes());
    }

    /// A length or count: 1 byte below [`NAME_TAG`] (a larger one, 0xFF and 8 more), so a
    /// document key's object key is either a string or a name's tag.
    #[inline]
    fn len(&mut self, n: usize) {
        match u8::try_from(n) {
            Ok(n) if n < NAME_TAG => self.bytes.push(n),
            _ => {
                self.bytes.push(u8::MAX);
                self.u64(n as u64);
            }
        }
    }

    #[inline]
    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.bytes.extend_from_slice(s.as_bytes());
    }

    #[inline]
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
            None => self.u8(0),
        }
    }

    #[inline]
    fn path(&mut self, p: &crate::ast::FieldPath) {
        self.len(p.0.len());
        for seg in &p.0 {
            self.str(seg);
        }
    }

    fn options(&mut self, schema: &Schema, o: &CompileOptions) {
        let CompileOptions {
            placeholder,
            camel_case,
            limits,
            cursor_key,
        } = o;
        let Limits {
            max_depth,
            max_nodes,
            max_list_len,
            max_string_len,
            max_nested_rows,
        } = limits;
        let _ = camel_case; // see `Shape::of`: the effective value is part of the shape
        // The fixed-size part in one write (each key pays it, shape hit or document hit).
        let words = [
            schema.fingerprint[0],
            schema.fingerprint[1],
            *max_depth as u64,
            *max_nodes as u64,
            *max_list_len as u64,
            *max_string_len as u64,
            max_nested_rows.unwrap_or(0),
        ];
        let mut head = [0u8; 7 * 8 + 3];
        for (i, w) in words.iter().enumerate() {
            head[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        head[56] = u8::from(schema.relations_checked);
        head[57] = match placeholder {
            Placeholder::Numbered => 0,
            Placeholder::Format => 1,
        };
        head[58] = u8::from(max_nested_rows.is_some());
        self.bytes.extend_from_slice(&head);
        // The key signs and checks cursors: a plan made under one key is not another's.
        match cursor_key {
            Some(key) => {
                self.u8(1);
                self.len(key.bytes().len());
                self.bytes.extend_from_slice(key.bytes());
            }
            None => self.u8(0),
        }
    }
}

impl<'q> Shape<'q> {
    fn of(query: &'q Query, schema: &Schema, options: &CompileOptions) -> Result<Self, TooDeep> {
        let mut s = Shape {
            // One allocation for most queries (~16 bytes per selected field or condition).
            key: Key {
                bytes: Vec::with_capacity(256 + 24 * query.select.len()),
            },
            operands: SmallVec::new(),
        };
        s.key.u8(SHAPE_KEY);
        s.key.options(schema, options);
        s.query(query, 0)?;
        // camelCase, as the compile reads it (the option or the query's own key).
        s.key
            .u8(u8::from(query.camel_case.unwrap_or(options.camel_case)));
        Ok(s)
    }

    #[inline]
    fn count(&mut self, n: &'q Option<u64>) {
        match n {
            Some(_) => {
                self.key.u8(1);
                self.operands.push(Operand {
                    addr: std::ptr::from_ref(n) as usize,
                    src: Source::Count(*n),
                });
            }
            None => self.key.u8(0),
        }
    }

    #[inline]
    fn cursor(&mut self, c: &'q Option<String>) {
        match c {
            Some(text) => {
                self.key.u8(1);
                self.operands.push(Operand {
                    addr: std::ptr::from_ref(c) as usize,
                    src: Source::Cursor(text),
                });
            }
            None => self.key.u8(0),
        }
    }

    fn depth(depth: usize) -> Result<usize, TooDeep> {
        if depth > MAX_WALK_DEPTH {
            return Err(TooDeep);
        }
        Ok(depth + 1)
    }

    fn query(&mut self, q: &'q Query, depth: usize) -> Result<(), TooDeep> {
        // Every field, named: a new one does not compile here until it is given its place
        // in the shape (or its operands a slot).
        let Query {
            view,
            select,
            output,
            filter,
            order_by,
            group_by,
            having,
            distinct,
            distinct_on,
            limit,
            offset,
            camel_case,
            first,
            after,
            last,
            before,
            page_info,
            total_count,
        } = q;
        self.key.opt_str(view.schema.as_deref());
        self.key.str(&view.name);
        self.selections(select, depth)?;
        self.key.u8(match output {
            crate::ast::Output::Json => 0,
            crate::ast::Output::JsonText => 1,
            crate::ast::Output::Columns => 2,
        });
        self.opt_filter(filter.as_ref(), depth)?;
        self.order_by(order_by);
        self.key.len(group_by.len());
        for g in group_by {
            self.key.path(g);
        }
        self.opt_filter(having.as_ref(), depth)?;
        self.key.u8(u8::from(*distinct));
        self.key.len(distinct_on.len());
        for d in distinct_on {
            self.key.path(d);
        }
        self.count(limit);
        self.count(offset);
        let _ = camel_case; // see `Shape::of`
        // Keyset pagination: which keys are present is shape; the page size and the
        // cursors are operands.
        self.count(first);
        self.count(last);
        self.cursor(after);
        self.cursor(before);
        self.key
            .u8(u8::from(*page_info) | u8::from(*total_count) << 1);
        Ok(())
    }

    fn order_by(&mut self, order_by: &[OrderBy]) {
        self.key.len(order_by.len());
        for o in order_by {
            let OrderBy {
                path,
                direction,
                nulls,
            } = o;
            self.key.path(path);
            self.key.u8(match direction {
                crate::ast::Direction::Asc => 0,
                crate::ast::Direction::Desc => 1,
            });
            self.key.u8(match nulls {
                None => 0,
                Some(crate::ast::Nulls::First) => 1,
                Some(crate::ast::Nulls::Last) => 2,
            });
        }
    }

    fn selections(&mut self, select: &'q [Selection], depth: usize) -> Result<(), TooDeep> {
        let depth = Self::depth(depth)?;
        self.key.len(select.len());
        for s in select {
            match s {
                Selection::Field(f) => {
                    let crate::ast::FieldSelection {
                        path,
                        alias,
                        select,
                        filter,
                        order_by,
                        limit,
                        offset,
                        page,
                    } = f;
                    if select.is_none()
                        && filter.is_none()
                        && order_by.is_empty()
                        && limit.is_none()
                        && offset.is_none()
                        && page.is_none()
                    {
                        // A plain field (most of a selection): its own tag.
                        self.key.u8(3);
                        self.key.path(path);
                        self.key.opt_str(alias.as_deref());
                        continue;
                    }
                    self.key.u8(0);
                    self.key.path(path);
                    self.key.opt_str(alias.as_deref());
                    match select {
                        Some(sub) => {
                            self.key.u8(1);
                            self.selections(sub, depth)?;
                        }
                        None => self.key.u8(0),
                    }
                    self.opt_filter(filter.as_ref(), depth)?;
                    self.order_by(order_by);
                    self.count(limit);
                    self.count(offset);
                    // A keyset page of the list: as the query's (below).
                    match page.as_deref() {
                        Some(crate::ast::ListPage {
                            first,
                            after,
                            last,
                            before,
                            page_info,
                            total_count,
                        }) => {
                            self.key.u8(1);
                            self.count(first);
                            self.count(last);
                            self.cursor(after);
                            self.cursor(before);
                            self.key
                                .u8(u8::from(*page_info) | u8::from(*total_count) << 1);
                        }
                        None => self.key.u8(0),
                    }
                }
                Selection::Typename { alias } => {
                    self.key.u8(1);
                    self.key.opt_str(alias.as_deref());
                }
                Selection::Aggregate(a) => {
                    let AggregateSelection {
                        function,
                        field,
                        distinct,
                        alias,
                    } = a;
                    self.key.u8(2);
                    self.key.str(function.name());
                    match field {
                        Some(p) => {
                            self.key.u8(1);
                            self.key.path(p);
                        }
                        None => self.key.u8(0),
                    }
                    self.key.u8(u8::from(*distinct));
                    self.key.str(alias);
                }
            }
        }
        Ok(())
    }

    fn opt_filter(&mut self, f: Option<&'q Filter>, depth: usize) -> Result<(), TooDeep> {
        match f {
            Some(f) => {
                self.key.u8(1);
                self.filter(f, depth)
            }
            None => {
                self.key.u8(0);
                Ok(())
            }
        }
    }

    fn filter(&mut self, f: &'q Filter, depth: usize) -> Result<(), TooDeep> {
        let depth = Self::depth(depth)?;
        match f {
            Filter::And(children) | Filter::Or(children) | Filter::Object(children) => {
                self.key.u8(match f {
                    Filter::And(_) => 0,
                    Filter::Or(_) => 1,
                    _ => 2,
                });
                self.key.len(children.len());
                for c in children {
                    self.filter(c, depth)?;
                }
            }
            Filter::Not(inner) => {
                self.key.u8(3);
                self.filter(inner, depth)?;
            }
            Filter::Condition(c) => {
                let Condition { path, op, value } = c;
                self.key.u8(4);
                self.key.path(path);
                self.key.str(op.name());
                if operand_is_shape(*op) {
                    self.key.u8(1);
                    self.value(value, depth)?;
                } else {
                    self.key.u8(0);
                    self.operands.push(Operand {
                        addr: std::ptr::from_ref(value) as usize,
                        src: Source::Value(value),
                    });
                }
            }
            Filter::Nested(n) => {
                let NestedFilter {
                    path,
                    quantifier,
                    filter,
                } = n;
                self.key.u8(5);
                self.key.path(path);
                self.key.opt_str(quantifier.map(|q| q.name()));
                self.filter(filter, depth)?;
            }
        }
        Ok(())
    }

    /// An operand that is part of the shape, in full.
    fn value(&mut self, v: &Value, depth: usize) -> Result<(), TooDeep> {
        let depth = Self::depth(depth)?;
        match v {
            Value::Null => self.key.u8(0),
            Value::Bool(b) => {
                self.key.u8(1);
                self.key.u8(u8::from(*b));
            }
            Value::Int(i) => {
                self.key.u8(2);
                self.key.u64(*i as u64);
            }
            Value::Float(f) => {
                self.key.u8(3);
                self.key.u64(f.to_bits());
            }
            Value::Decimal(d) => {
                self.key.u8(4);
                self.key.str(d.as_str());
            }
            Value::Str(s) => {
                self.key.u8(5);
                self.key.str(s);
            }
            Value::List(items) => {
                self.key.u8(6);
                self.key.len(items.len());
                for i in items {
                    self.value(i, depth)?;
                }
            }
            Value::Object(entries) => {
                self.key.u8(7);
                self.key.len(entries.len());
                for (k, i) in entries {
                    self.key.str(k);
                    self.value(i, depth)?;
                }
            }
        }
        Ok(())
    }
}

/// A planned shape: its SQL and how each parameter is made.
#[derive(Debug)]
struct Plan {
    /// `None`: the shape cannot be bound (a parameter without a slot, an operand no slot
    /// reads); queries of this shape are compiled uncached.
    bound: Option<Arc<Bound>>,
    /// A document key's entry ([`ShapeCache::compile_source`]): for each operand of the
    /// shape, in canonical order, its index among the document's operands.
    perm: Option<Box<[u32]>>,
}

#[derive(Debug)]
struct Bound {
    /// The statement (shared with a document hit's caller: [`SharedQuery::sql`]).
    sql: Arc<str>,
    /// Per parameter: its type, the operand (by canonical position) and the conversion.
    slots: Box<[(ParamType, u32, Conv)]>,
}

impl Bound {
    /// The parameters of a query of this shape, or `None` when an operand is not valid
    /// (the caller recompiles to report it).
    fn bind(&self, operands: &[Operand<'_>], limits: &Limits) -> Option<Vec<Param>> {
        self.bind_each(|at, conv, scratch| {
            conv.make_with(operands.get(at as usize)?.src, limits, scratch)
                .ok()
        })
    }

    /// The parameters, each made by `make` from its slot's operand position (in canonical
    /// order) and conversion, with one [`Scratch`] for the whole bind; `None` when one does
    /// not bind.
    fn bind_each<'q>(
        &self,
        mut make: impl FnMut(u32, &Conv, &mut Scratch<'q>) -> Option<ParamValue>,
    ) -> Option<Vec<Param>> {
        let mut params = Vec::with_capacity(self.slots.len());
        let mut scratch = Scratch::default();
        for (ty, at, conv) in self.slots.iter() {
            params.push(Param::new(*ty, make(*at, conv, &mut scratch)?));
        }
        Some(params)
    }

    /// Approximate heap bytes.
    fn heap_bytes(&self) -> usize {
        self.sql.len()
            + self.slots.len() * std::mem::size_of::<(ParamType, u32, Conv)>()
            + self
                .slots
                .iter()
                .map(|(_, _, c)| match c {
                    Conv::Fulltext {
                        default_language, ..
                    } => default_language.len(),
                    Conv::Cursor { cursor, .. } => {
                        std::mem::size_of::<crate::compile::CursorSlot>() + cursor.checks.len()
                    }
                    _ => 0,
                })
                .sum::<usize>()
    }
}

/// Plans `query` (of shape `shape`): its compiled output, and its plan.
fn make_plan(
    query: &Query,
    shape: &Shape<'_>,
    schema: &Schema,
    options: &CompileOptions,
) -> Result<(CompiledQuery, Plan), Error> {
    let (out, slots) = plan(query, schema, options)?;
    let bound = bind_slots(&out, slots, &shape.operands, &options.limits);
    Ok((out, Plan { bound, perm: None }))
}

/// The slots of a planned query mapped to its operands, when the plan can be bound: every
/// parameter has a slot, every operand is read by one, and binding the planned query gives
/// back exactly its parameters.
fn bind_slots(
    out: &CompiledQuery,
    slots: Vec<Slot>,
    operands: &[Operand<'_>],
    limits: &Limits,
) -> Option<Arc<Bound>> {
    if slots.len() != out.params.len() {
        return None;
    }
    let index: AHashMap<usize, u32> = operands
        .iter()
        .enumerate()
        .map(|(i, o)| (o.addr, i as u32))
        .collect();
    let mut used = vec![false; operands.len()];
    let mut mapped = Vec::with_capacity(slots.len());
    for (slot, param) in slots.into_iter().zip(&out.params) {
        let Slot::From { operand, conv } = slot else {
            return None;
        };
        let at = *index.get(&operand)?;
        used[at as usize] = true;
        mapped.push((param.ty, at, conv));
    }
    if used.iter().any(|u| !u) {
        return None;
    }
    let bound = Bound {
        sql: out.sql.as_str().into(),
        slots: mapped.into_boxed_slice(),
    };
    // The plan must reproduce its own query's parameters (a conversion that differs from
    // the compiler's is never cached).
    match bound.bind(operands, limits) {
        Some(params) if params == out.params => Some(Arc::new(bound)),
        _ => None,
    }
}

/// Counters of a [`ShapeCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CacheStats {
    /// Compiles served from a cached plan (or a cached "not bindable" verdict).
    pub hits: u64,
    /// Of the hits, those read from a document key ([`ShapeCache::compile_source`]), with
    /// no query built.
    pub document_hits: u64,
    /// Compiles that planned their shape.
    pub misses: u64,
    /// Plans dropped to make room.
    pub evictions: u64,
    /// Hits compiled uncached after all: a shape whose plan cannot be bound, or an operand
    /// that is not valid (the compile reports it).
    pub recompiles: u64,
    /// Shapes cached now.
    pub len: usize,
    /// The most shapes kept (0: the cache is off).
    pub capacity: usize,
    /// Approximate heap bytes of the cached shapes and plans.
    pub bytes: usize,
}

/// A bounded, thread-safe cache of compiled shapes (`Send + Sync`: share one between
/// threads by reference or in an `Arc`). The caller owns it: qb-core keeps no global state.
///
/// ```
/// use qb_core::{CompileOptions, Query, Schema, ShapeCache, compile};
/// let schema = Schema::from_json(r#"{"views": {"v": {"columns": {"id": "uuid"},
///     "fields": {"age": "integer"}}}}"#)?;
/// let cache = ShapeCache::new(1000);
/// let options = CompileOptions::default();
/// for age in [18, 21] {
///     let q = Query::from_json(&format!(
///         r#"{{"view": "v", "select": ["id"], "where": {{"age": {{"gte": {age}}}}}}}"#))?;
///     assert_eq!(cache.compile(&q, &schema, &options)?, compile(&q, &schema, &options)?);
/// }
/// assert_eq!((cache.stats().misses, cache.stats().hits), (1, 1));
/// # Ok::<(), qb_core::Error>(())
/// ```
///
/// Eviction is CLOCK (second chance): a hit only sets a bit, under a shared read lock, so
/// threads hitting the cache do not serialize on it.
#[derive(Debug)]
pub struct ShapeCache {
    /// Encoded shape -> plan.
    entries: Clock<Box<[u8]>, Plan>,
    hits: AtomicU64,
    document_hits: AtomicU64,
    misses: AtomicU64,
    recompiles: AtomicU64,
}

/// A 64-bit hash of an encoded shape, to find its entry (a hit then compares the whole
/// shape). Four lanes of 8-byte words, each folded with a multiply and rotate (FxHash's
/// step), the tail in overlapping words, finished with MurmurHash3's `fmix64`; a
/// collision only costs a miss.
fn hash_shape(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let step = |h: u64, w: u64| (h ^ w).wrapping_mul(K).rotate_left(26);
    let mut lanes = [1u64, 2, 3, bytes.len() as u64];
    let mut blocks = bytes.chunks_exact(32);
    for b in &mut blocks {
        for (i, lane) in lanes.iter_mut().enumerate() {
            *lane = step(*lane, word_at(b, i * 8));
        }
    }
    let mut h = lanes.iter().fold(0u64, |h, l| step(h, *l));
    let tail = blocks.remainder();
    let mut words = tail.chunks_exact(8);
    for w in &mut words {
        h = step(h, word_at(w, 0));
    }
    let (x, y) = short_words(words.remainder());
    h = step(step(h, x), y);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

impl ShapeCache {
    /// The capacity hosts use when they are given none: 1024 shapes, about 0.4 to 4 KiB
    /// each (docs/performance.md, "Shape cache"), so a few MiB at most.
    pub const DEFAULT_CAPACITY: usize = 1024;

    /// A cache keeping at most `capacity` shapes; `0` keeps none (every compile is
    /// uncached and counted nowhere: a host's "cache off").
    pub fn new(capacity: usize) -> Self {
        ShapeCache {
            entries: Clock::new(capacity),
            hits: AtomicU64::new(0),
            document_hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            recompiles: AtomicU64::new(0),
        }
    }

    /// [`compile`], through the cache: the same result (SQL, parameters, or error) as an
    /// uncached compile of `query`.
    pub fn compile(
        &self,
        query: &Query,
        schema: &Schema,
        options: &CompileOptions,
    ) -> Result<CompiledQuery, Error> {
        if self.entries.capacity() == 0 {
            return compile(query, schema, options);
        }
        let Ok(shape) = Shape::of(query, schema, options) else {
            return compile(query, schema, options);
        };
        let hash = hash_shape(&shape.key.bytes);
        if let Some(plan) = self.lookup(hash, &shape.key.bytes) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            if let Some(out) = bind(&plan, &shape, options) {
                return Ok(out);
            }
            self.recompiles.fetch_add(1, Ordering::Relaxed);
            return compile(query, schema, options);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let (out, plan) = make_plan(query, &shape, schema, options)?;
        self.insert(hash, shape.key.bytes.into_boxed_slice(), Arc::new(plan));
        Ok(out)
    }

    /// The counters.
    pub fn stats(&self) -> CacheStats {
        let (len, bytes) = self.entries.len_and_bytes();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            document_hits: self.document_hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.entries.evictions(),
            recompiles: self.recompiles.load(Ordering::Relaxed),
            len,
            capacity: self.entries.capacity(),
            bytes,
        }
    }

    /// Drops every cached shape (counters are kept).
    pub fn clear(&self) {
        self.entries.clear();
    }

    fn lookup(&self, hash: u64, shape: &[u8]) -> Option<Arc<Plan>> {
        self.entries.get(hash, |s| **s == *shape)
    }

    fn insert(&self, hash: u64, shape: Box<[u8]>, plan: Arc<Plan>) {
        // A document key's entry shares its shape's plan: only its key and order count.
        let heap = shape.len()
            + match &plan.perm {
                Some(perm) => perm.len() * 4,
                None => plan.bound.as_ref().map_or(0, |b| b.heap_bytes()),
            };
        self.entries.insert(hash, shape, plan, heap);
    }
}

/// A query of a planned shape, its parameters bound; `None` when the plan cannot bind it
/// (the caller compiles uncached, which reports the error exactly).
fn bind(plan: &Plan, shape: &Shape<'_>, options: &CompileOptions) -> Option<CompiledQuery> {
    let b = plan.bound.as_ref()?;
    let params = b.bind(&shape.operands, &options.limits)?;
    Some(CompiledQuery::new(&*b.sql, params))
}

/// A query shape compiled once, to bind the operands of many queries of that shape: what a
/// service needs to keep one PostgreSQL prepared statement per shape. Made by
/// [`Schema::prepare`]; it owns its plan (no borrow: keep it in a map, share it between
/// threads) and binds against the registry it was prepared with (another registry is
/// another shape).
///
/// ```
/// use qb_core::{CompileOptions, Query, Schema};
/// let schema = Schema::from_json(r#"{"views": {"v": {"columns": {"id": "uuid"},
///     "fields": {"age": "integer"}}}}"#)?;
/// let q = |age: i64| Query::from_json(&format!(
///     r#"{{"view": "v", "select": ["id"], "where": {{"age": {{"gte": {age}}}}}}}"#));
/// let prepared = schema.prepare(&q(18)?, &CompileOptions::default())?;
/// assert!(prepared.sql().ends_with(">= $1::bigint)"));
/// let params = prepared.bind(&q(21)?, &schema)?;
/// assert_eq!(params[0].value, qb_core::ParamValue::Int(21));
/// # Ok::<(), qb_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Prepared {
    options: CompileOptions,
    shape: Box<[u8]>,
    out: CompiledQuery,
    plan: Plan,
    /// The prepared query, to compile with other operand values when they do not bind.
    query: Query,
    /// Its operands in bind order.
    operands: Box<[PreparedOperand]>,
    /// The identity of the registry it was prepared with.
    registry: ([u64; 2], bool),
}

impl Schema {
    /// Compiles `query`'s shape once, for [`Prepared::bind`]. Fails as [`compile`] fails on
    /// `query`.
    pub fn prepare(&self, query: &Query, options: &CompileOptions) -> Result<Prepared, Error> {
        let shape = Shape::of(query, self, options).map_err(|TooDeep| {
            match compile(query, self, options) {
                Err(e) => e,
                Ok(_) => Error::new(
                    ErrorKind::SizeLimit,
                    "",
                    "the query is nested too deeply to prepare",
                ),
            }
        })?;
        let (out, plan) = make_plan(query, &shape, self, options)?;
        let mut query = query.clone();
        let mut operands = Vec::new();
        values::walk(&mut query, &mut |path, operand| {
            let kind = match operand {
                values::OperandMut::Value(_) => OperandKind::Any,
                values::OperandMut::Count(..) => OperandKind::Count,
                values::OperandMut::Cursor(_) => OperandKind::Cursor,
            };
            operands.push(PreparedOperand { path: path(), kind });
            Ok(())
        })?;
        if let Some(b) = &plan.bound {
            for (_, at, conv) in b.slots.iter() {
                if let Some(o) = operands.get_mut(*at as usize) {
                    if o.kind == OperandKind::Any {
                        o.kind = OperandKind::of(conv);
                    }
                }
            }
        }
        Ok(Prepared {
            options: options.clone(),
            shape: shape.key.bytes.into_boxed_slice(),
            out,
            plan,
            query,
            operands: operands.into_boxed_slice(),
            registry: (self.fingerprint, self.relations_checked),
        })
    }
}

impl Prepared {
    /// `query`'s shape, when it is the prepared one.
    fn shape_of<'q>(&self, query: &'q Query, schema: &Schema) -> Result<Shape<'q>, Error> {
        match Shape::of(query, schema, &self.options) {
            Ok(s) if *s.key.bytes == *self.shape => Ok(s),
            _ => Err(Error::new(
                ErrorKind::InvalidQuery,
                "",
                "the query does not have the prepared query's shape (another view, \
                 selection, filter structure, operator, `isnull`/`is*` operand, which of \
                 limit, offset, first, last, after, before are given, options, or registry)",
            )),
        }
    }

    /// The operands [`Prepared::bind_values`] takes, in order: each with its path in the
    /// query (as errors name it) and what it takes. They are every condition's operand except
    /// those written as SQL text (`isnull` and the network `is*` predicates, whose booleans
    /// stay the prepared query's), every `limit`, `offset`, `first` and `last`, and every
    /// cursor (`after`, `before`), in the order the shape is walked: the selection (each
    /// selected list's sub-selection, `where`, `limit`, `offset`, `first`, `last`, `after`,
    /// `before`), `where`, `having`, then the query's counts and cursors in that order.
    pub fn operands(&self) -> &[PreparedOperand] {
        &self.operands
    }

    /// What [`compile`] returns for the prepared query with its operands (see
    /// [`Prepared::operands`]) replaced by `values`, in order: the SQL, and the parameters
    /// built from the values by the plan, validated as that compile validates them (a bad
    /// value fails with the compile's code, message and path). `schema` must be the
    /// registry it was prepared with (else `QB_INVALID_QUERY`); a count or cursor that is not
    /// one, or a wrong number of values, is `QB_INVALID_VALUE` / `QB_INVALID_QUERY`. No value
    /// ever changes the SQL text.
    ///
    /// ```
    /// use qb_core::{CompileOptions, Query, Schema, Value};
    /// let schema = Schema::from_json(r#"{"views": {"v": {"columns": {"id": "uuid"},
    ///     "fields": {"age": "integer"}}}}"#)?;
    /// let q = Query::from_json(
    ///     r#"{"view": "v", "select": ["id"], "where": {"age": {"gte": 18}}, "limit": 10}"#)?;
    /// let prepared = schema.prepare(&q, &CompileOptions::default())?;
    /// let paths: Vec<_> = prepared.operands().iter().map(|o| o.path.as_str()).collect();
    /// assert_eq!(paths, ["where.age.gte", "limit"]);
    /// let out = prepared.bind_values(&[Value::Int(21), Value::Int(5)], &schema)?;
    /// assert_eq!(out.params[0].value, qb_core::ParamValue::Int(21));
    /// let bad = prepared.bind_values(&[Value::Str("x".into()), Value::Int(5)], &schema);
    /// assert_eq!(bad.unwrap_err().path(), "where.age.gte");
    /// # Ok::<(), qb_core::Error>(())
    /// ```
    pub fn bind_values(&self, values: &[Value], schema: &Schema) -> Result<CompiledQuery, Error> {
        match self.params_from_values(values, schema)? {
            Ok(params) => Ok(CompiledQuery::new(self.out.sql.clone(), params)),
            Err(out) => Ok(out),
        }
    }

    /// [`Prepared::bind_values`]' parameters alone (the SQL is [`Prepared::sql`]), for a
    /// caller that keeps the SQL once per shape: no copy of it per bind.
    pub fn bind_values_params(
        &self,
        values: &[Value],
        schema: &Schema,
    ) -> Result<Vec<Param>, Error> {
        Ok(match self.params_from_values(values, schema)? {
            Ok(params) => params,
            Err(out) => out.params,
        })
    }

    /// [`Prepared::bind_values_params`] reading the `count` operand values where the host
    /// holds them: `operand(i)` is the [`ast::Source`](crate::ast::Source) of value `i` (it
    /// may be asked for the same one more than once; `None` when there is none), so strings,
    /// integers and lists of them are not built into [`Value`]s first. `Some` holds the
    /// parameters [`Prepared::bind_values_params`] returns for those values; `None` when
    /// this path does not bind them (a value that does not bind or has no JSON form, a
    /// cursor, a wrong count, another registry, a shape compiled on every bind): the caller
    /// then converts the values and calls [`Prepared::bind_values_params`], which binds them
    /// or reports what is wrong, exactly as it always does.
    pub fn bind_sources_params<S: crate::ast::Source>(
        &self,
        count: usize,
        mut operand: impl FnMut(usize) -> Option<S>,
        schema: &Schema,
    ) -> Option<Vec<Param>> {
        if count != self.operands.len()
            || (schema.fingerprint, schema.relations_checked) != self.registry
        {
            return None;
        }
        let b = self.plan.bound.as_ref()?;
        values::bind_sources(b, &mut operand, &self.operands, &self.options.limits)
    }

    /// For each parameter [`Prepared::bind_sources_params`] returns, in order, the index of
    /// the operand it is made from (in [`Prepared::operands`]); empty when the shape is
    /// compiled on every bind (then [`Prepared::bind_sources_params`] returns `None`).
    pub fn param_operands(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        let slots = self.plan.bound.as_ref().map_or(&[][..], |b| &b.slots[..]);
        slots.iter().map(|(_, at, _)| *at as usize)
    }

    /// The prepared query with its operands (see [`Prepared::operands`]) replaced by
    /// `values`, in order: the query [`Prepared::bind_values`] compiles when a value does not
    /// bind, for a caller that returns the query with its statement. A count or cursor that
    /// is not one is refused as the parser refuses it, at the operand's path; a wrong number
    /// of values is `QB_INVALID_QUERY`. The other values are not checked (the compile
    /// checks them).
    pub fn query_with_values(&self, values: &[Value]) -> Result<Query, Error> {
        self.check_count(values.len())?;
        let mut query = self.query.clone();
        values::substitute(&mut query, values)?;
        Ok(query)
    }

    /// `QB_INVALID_QUERY` unless `n` is the number of operands.
    fn check_count(&self, n: usize) -> Result<(), Error> {
        if n == self.operands.len() {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::InvalidQuery,
            "",
            format!(
                "the prepared query takes {} operand values, {n} were given",
                self.operands.len()
            ),
        ))
    }

    /// The parameters bound from `values`, or (`Err`) the compile of the prepared query with
    /// them substituted, when one does not bind.
    fn params_from_values(
        &self,
        values: &[Value],
        schema: &Schema,
    ) -> Result<Result<Vec<Param>, CompiledQuery>, Error> {
        self.check_count(values.len())?;
        if (schema.fingerprint, schema.relations_checked) != self.registry {
            return Err(Error::new(
                ErrorKind::InvalidQuery,
                "",
                "the registry is not the one the query was prepared with",
            ));
        }
        if let Some(b) = &self.plan.bound {
            if let Some(params) = values::bind_fast(b, values, &self.operands, &self.options.limits)
            {
                return Ok(Ok(params));
            }
        }
        let mut query = self.query.clone();
        values::substitute(&mut query, values)?;
        compile(&query, schema, &self.options).map(Err)
    }

    /// The operand values of `query`, of the prepared shape, in [`Prepared::bind_values`]'s
    /// order (a template query's values, or a test's); `QB_INVALID_QUERY` for another shape.
    pub fn operand_values(&self, query: &Query, schema: &Schema) -> Result<Vec<Value>, Error> {
        let shape = self.shape_of(query, schema)?;
        Ok(shape
            .operands
            .iter()
            .map(|o| match o.src {
                Source::Value(v) => v.clone(),
                Source::Cursor(c) => Value::Str(c.to_owned()),
                Source::Count(n) => {
                    let n = n.unwrap_or_default();
                    i64::try_from(n).map_or_else(
                        |_| {
                            crate::Number::new(n.to_string())
                                .map_or(Value::Int(i64::MAX), Value::Decimal)
                        },
                        Value::Int,
                    )
                }
            })
            .collect())
    }

    /// The SQL of every query of this shape.
    pub fn sql(&self) -> &str {
        &self.out.sql
    }

    /// The parameters' types, in placeholder order.
    pub fn param_types(&self) -> impl Iterator<Item = ParamType> + '_ {
        self.out.params.iter().map(|p| p.ty)
    }

    /// The options it was prepared with.
    pub fn options(&self) -> &CompileOptions {
        &self.options
    }

    /// The parameters of `query` against `schema`, which must be the registry it was
    /// prepared with and `query` of the prepared shape (else `QB_INVALID_QUERY`); a bad
    /// operand fails exactly as compiling `query` fails.
    pub fn bind(&self, query: &Query, schema: &Schema) -> Result<Vec<Param>, Error> {
        self.compile(query, schema).map(|out| out.params)
    }

    /// [`Prepared::bind`], with the SQL: what [`compile`] returns for `query`.
    pub fn compile(&self, query: &Query, schema: &Schema) -> Result<CompiledQuery, Error> {
        let shape = self.shape_of(query, schema)?;
        match bind(&self.plan, &shape, &self.options) {
            Some(out) => Ok(out),
            None => compile(query, schema, &self.options),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::param::ParamValue;

    fn one_condition() -> (Schema, Query) {
        let schema = Schema::from_json(
            r#"{"views": {"v": {"columns": {"id": "uuid"}, "fields": {"age": "integer"}}}}"#,
        )
        .expect("registry");
        let q = Query::from_json(r#"{"view": "v", "select": ["id"], "where": {"age": {"eq": 3}}}"#)
            .expect("query");
        (schema, q)
    }

    /// A parameter written without a slot (`SqlWriter::param`, the entry point of parameter
    /// sources that have none yet) makes the plan unbindable: its shape is compiled uncached,
    /// never bound wrongly.
    #[test]
    fn a_parameter_without_a_slot_is_not_cached() {
        let (schema, q) = one_condition();
        let options = CompileOptions::default();
        let shape = Shape::of(&q, &schema, &options).ok().expect("shape");
        let (out, slots) = plan(&q, &schema, &options).expect("plan");
        assert!(bind_slots(&out, slots.clone(), &shape.operands, &options.limits).is_some());
        assert!(bind_slots(&out, vec![Slot::Opaque], &shape.operands, &options.limits).is_none());
        // A slot reading another operand than the planned one, or converting differently.
        let Slot::From { operand, .. } = slots[0].clone() else {
            panic!("a slot")
        };
        let elsewhere = vec![Slot::From {
            operand: operand + 1,
            conv: Conv::Scalar(crate::ScalarType::Integer),
        }];
        assert!(bind_slots(&out, elsewhere, &shape.operands, &options.limits).is_none());
        let wrong = vec![Slot::From {
            operand,
            conv: Conv::Scalar(crate::ScalarType::Text),
        }];
        assert!(bind_slots(&out, wrong, &shape.operands, &options.limits).is_none());
        // An operand no slot reads (a value the writer would have made text of).
        let mut extra = out.clone();
        extra.params.clear();
        assert!(bind_slots(&extra, Vec::new(), &shape.operands, &options.limits).is_none());
    }

    #[test]
    fn hits_bind_without_recompiling_and_capacity_evicts() {
        let (schema, _) = one_condition();
        let cache = ShapeCache::new(2);
        let options = CompileOptions::default();
        for (i, op) in ["eq", "gt", "lt", "eq", "eq"].iter().enumerate() {
            let q = Query::from_json(&format!(
                r#"{{"view": "v", "select": ["id"], "where": {{"age": {{"{op}": {i}}}}}}}"#
            ))
            .expect("query");
            let got = cache.compile(&q, &schema, &options).expect("compiles");
            assert_eq!(got, compile(&q, &schema, &options).expect("compiles"));
        }
        let s = cache.stats();
        assert_eq!(
            (s.misses, s.hits, s.evictions, s.recompiles, s.len),
            (4, 1, 2, 0, 2)
        );
        // A bad operand on a hit: the uncached compile's error, counted as a recompile.
        let bad =
            Query::from_json(r#"{"view": "v", "select": ["id"], "where": {"age": {"eq": "x"}}}"#)
                .expect("query");
        let err = cache
            .compile(&bad, &schema, &options)
            .expect_err("a bad operand");
        assert_eq!(Err(err), compile(&bad, &schema, &options));
        assert_eq!(cache.stats().recompiles, 1);
        // Capacity 0: off.
        let off = ShapeCache::new(0);
        assert_eq!(
            off.compile(&bad, &schema, &options),
            compile(&bad, &schema, &options)
        );
        assert_eq!((off.stats().misses, off.stats().len), (0, 0));
    }

    #[test]
    fn prepared_refuses_another_shape() {
        let (schema, q) = one_condition();
        let p = schema
            .prepare(&q, &CompileOptions::default())
            .expect("prepares");
        let other =
            Query::from_json(r#"{"view": "v", "select": ["id"], "where": {"age": {"gt": 3}}}"#)
                .expect("query");
        let e = p.bind(&other, &schema).expect_err("another shape");
        assert_eq!(e.kind(), ErrorKind::InvalidQuery);
        assert_eq!(
            p.bind(&q, &schema).expect("binds")[0].value,
            ParamValue::Int(3)
        );
        // Another registry is another shape.
        let mut other_registry = schema.clone();
        other_registry
            .add_view(crate::ViewDef::new("w").column("id", crate::ScalarType::Uuid))
            .expect("adds");
        let e = p.bind(&q, &other_registry).expect_err("another registry");
        assert_eq!(e.kind(), ErrorKind::InvalidQuery);
    }

    #[test]
    fn query_with_values_is_the_query_with_those_operands() {
        let schema = Schema::from_json(
            r#"{"views": {"v": {"columns": {"id": "uuid"}, "fields": {"age": "integer"}}}}"#,
        )
        .expect("schema");
        let q = |age: &str, limit: &str| {
            Query::from_json(&format!(
                r#"{{"view": "v", "select": ["id"], "where": {{"age": {{"gte": {age}}}}}, "limit": {limit}}}"#
            ))
            .expect("query")
        };
        let p = schema
            .prepare(&q("3", "10"), &CompileOptions::default())
            .expect("prepares");
        let values = [Value::Str("x".into()), Value::Int(5)];
        // Not validated here: the compile reports a bad operand.
        assert_eq!(
            p.query_with_values(&values).expect("substitutes"),
            q(r#""x""#, "5")
        );
        let e = p
            .query_with_values(&[Value::Int(1), Value::Int(-1)])
            .expect_err("not a count");
        assert_eq!((e.kind(), e.path()), (ErrorKind::InvalidValue, "limit"));
        let e = p.query_with_values(&[Value::Int(1)]).expect_err("too few");
        assert_eq!(e.kind(), ErrorKind::InvalidQuery);
    }

    #[test]
    fn the_cache_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<ShapeCache>();
        check::<Prepared>();
    }

    /// Lengths are one byte below 255 and nine from 255 on: names and lists around that
    /// boundary are told apart, and cached compiles of them equal uncached ones.
    #[test]
    fn lengths_around_the_one_byte_boundary() {
        let (schema, _) = one_condition();
        let options = CompileOptions::default();
        let cache = ShapeCache::new(64);
        let mut seen = Vec::new();
        let mut ok = 0;
        for n in [1, 254, 255, 256, 300] {
            // An alias of `n` bytes, and a selection of `n` fields.
            let alias = "a".repeat(n);
            let fields: Vec<String> = (0..n)
                .map(|i| format!(r#"{{"field": "id", "alias": "f{i}"}}"#))
                .collect();
            for text in [
                format!(r#"{{"view": "v", "select": [{{"field": "age", "alias": "{alias}"}}]}}"#),
                format!(r#"{{"view": "v", "select": [{}]}}"#, fields.join(", ")),
            ] {
                let q = Query::from_json(&text).expect("query");
                let bytes = encode(&q, &schema, &options).ok().expect("encodes");
                assert!(!seen.contains(&bytes), "two shapes, one encoding (n = {n})");
                seen.push(bytes);
                let uncached = compile(&q, &schema, &options);
                ok += usize::from(uncached.is_ok());
                for _ in 0..2 {
                    assert_eq!(cache.compile(&q, &schema, &options), uncached);
                }
            }
        }
        // Each shape that compiles is a hit the second time.
        assert!(ok >= 5, "{ok} of the queries compile");
        assert_eq!(cache.stats().hits, ok as u64);
    }

    /// Registries built alike share an identity; any added view changes it.
    #[test]
    fn registry_identity() {
        let (a, _) = one_condition();
        let (mut b, _) = one_condition();
        assert_eq!(a.fingerprint, b.fingerprint);
        let w = crate::ViewDef::new("w").column("id", crate::ScalarType::Uuid);
        b.add_view(w).expect("adds");
        assert_ne!(a.fingerprint, b.fingerprint);
        // A query of registry `a`'s shape is another shape against `b`.
        let q = one_condition().1;
        let o = CompileOptions::default();
        let (sa, sb) = (encode(&q, &a, &o).ok(), encode(&q, &b, &o).ok());
        assert_ne!(sa, sb);
    }
}
