//! A cache hit read straight from the host's document ([`ShapeCache::compile_source`]),
//! without building a [`Query`]: the document is read once into a **document key** (the
//! document's own tree with the values at operand positions left out, their kind kept) and
//! its operand values, the key is looked up, and the operands are bound through the cached
//! shape's plan (the same bind, so the same validation, as a shape hit).
//!
//! Why a hit is the query's own result: an entry for a document key is made only on a miss,
//! after the full parse, and only when the operands this reader took from that document are
//! exactly the parsed query's operands: the same positions (document paths, rendered from
//! keys that render unambiguously) and the same values. The parser decides everything from
//! what the key keeps: outside operand positions the key keeps every node verbatim (object
//! keys, strings, integers, booleans, nulls, list lengths; an object key the parser reads as
//! a name, where it reads it as one, as that name's tag: the parser reads it only as the
//! name), and at an operand position the
//! parser reads a condition's value whole (`into_value`), a count as a non-negative integer
//! (the reader takes only those) and a cursor as a string or null (kept apart by kind). So
//! every document with that key parses to a query of the same shape, whose operands, in the
//! shape's order, are the document's in the order the entry records. Anything the reader does
//! not take (a float outside an operand, a key that does not render unambiguously, an error
//! of the host's) and every miss goes the full way: [`Query::from_source`] and the shape
//! cache, so errors are always the parser's and the compiler's.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use smallvec::SmallVec;

use super::{
    DOC_KEY, Key, MAX_WALK_DEPTH, NAME_TAG, Plan, Shape, ShapeCache, hash_shape, operand_is_shape,
    values,
};
use crate::ast::{Kind, Operator, Query, Source};
use crate::compile::Source as Operandsrc;
use crate::error::{Error, Path};
use crate::options::CompileOptions;
use crate::param::{CompiledQuery, Param};
use crate::schema::Schema;
use crate::value::Value;

/// An operand read from the document. What it owns is kept apart ([`Reader::owned`]), so
/// the operands of a host whose nodes are references (`&Value`) are dropped for free.
enum DocOperand<S> {
    /// A condition's operand of the kind given, where the host holds it ([`Source::share`]):
    /// bound in place, never converted first.
    Node(S, Kind),
    Count(u64),
    /// The operand at this index of [`Reader::owned`].
    Owned(usize),
}

/// An operand the reader made its own.
enum Owned {
    /// A condition's operand, converted ([`Source::into_value`]).
    Value(Value),
    Cursor(String),
}

/// The reader gave up: the document goes the full way.
struct Skip;

impl From<Error> for Skip {
    fn from(_: Error) -> Skip {
        Skip
    }
}

/// The reader's output: the key, and the operands in document order (with their rendered
/// paths when `paths` is on: a miss's check).
struct Reader<S> {
    key: Key,
    operands: SmallVec<[DocOperand<S>; 8]>,
    owned: Vec<Owned>,
    paths: Option<Vec<String>>,
}

/// Node tags of the key.
const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const INT: u8 = 3;
const STR: u8 = 4;
const LIST: u8 = 5;
const OBJECT: u8 = 6;
/// An operand position, followed by its kind's tag.
const OPERAND: u8 = 7;

/// The tags of the object keys the parser reads as names (written after [`NAME_TAG`]
/// instead of the key's text): an operator's is its index in [`Operator::ALL`] (its aliases
/// share it: the parser reads an operator key only through [`Operator::from_name`]), the
/// others' are below, one per spelling. Inside a value kept whole, `field`, `direction` and
/// `nulls` (an order key's) are written as their tags too: there a tag is only a shorter
/// spelling of one text. Any other key is written as its text.
mod name {
    pub const AND: u8 = 0xC0;
    pub const AND_UPPER: u8 = 0xC1;
    pub const OR: u8 = 0xC2;
    pub const OR_UPPER: u8 = 0xC3;
    pub const NOT: u8 = 0xC4;
    pub const NOT_UPPER: u8 = 0xC5;
    pub const SOME: u8 = 0xC6;
    pub const EVERY: u8 = 0xC7;
    pub const NONE: u8 = 0xC8;
    pub const LIMIT: u8 = 0xD0;
    pub const OFFSET: u8 = 0xD1;
    pub const FIRST: u8 = 0xD2;
    pub const LAST: u8 = 0xD3;
    pub const AFTER: u8 = 0xD4;
    pub const BEFORE: u8 = 0xD5;
    pub const WHERE: u8 = 0xD6;
    pub const HAVING: u8 = 0xD7;
    pub const SELECT: u8 = 0xD8;
    pub const VIEW: u8 = 0xD9;
    pub const FIELD: u8 = 0xDA;
    pub const ALIAS: u8 = 0xDB;
    pub const AGGREGATE: u8 = 0xDC;
    pub const ORDER_BY: u8 = 0xDD;
    pub const GROUP_BY: u8 = 0xDE;
    pub const DIRECTION: u8 = 0xDF;
    pub const NULLS: u8 = 0xE0;
}
const _: () = assert!(Operator::ALL.len() < name::AND as usize);

/// How a query member's value is read.
#[derive(Clone, Copy)]
enum Member {
    Count,
    Cursor,
    Filter,
    Select,
    Verbatim,
}

impl<S: Source> Reader<S> {
    #[inline(always)]
    fn new(schema: &Schema, options: &CompileOptions, paths: bool) -> Self {
        let mut key = Key {
            // One allocation for most documents.
            bytes: Vec::with_capacity(1024),
        };
        key.u8(DOC_KEY);
        key.options(schema, options);
        // The shape keeps the effective camelCase (the query's, else the option's); a
        // document keeps the query's own key verbatim, so the option goes in here.
        key.u8(u8::from(options.camel_case));
        Reader {
            key,
            operands: SmallVec::new(),
            owned: Vec::new(),
            paths: paths.then(Vec::new),
        }
    }

    #[inline(always)]
    fn depth(depth: usize) -> Result<usize, Skip> {
        if depth > MAX_WALK_DEPTH {
            return Err(Skip);
        }
        Ok(depth + 1)
    }

    /// An object key, which must render unambiguously in a path. Checked when the paths
    /// are read (a miss's check): a document of a cached key has that document's keys.
    #[inline(always)]
    fn key(&mut self, key: &str) -> Result<(), Skip> {
        if self.paths.is_some()
            && (key.is_empty()
                || key
                    .bytes()
                    .any(|b| matches!(b, b'.' | b'[' | b']' | b'(' | b')' | b' ') || b >= 0x80))
        {
            return Err(Skip);
        }
        self.key.str(key);
        Ok(())
    }

    /// An object key the parser reads as the name `tag` stands for.
    #[inline(always)]
    fn name(&mut self, tag: u8) {
        self.key.bytes.extend_from_slice(&[NAME_TAG, tag]);
    }

    #[inline(always)]
    fn operand(&mut self, at: &Path<'_>, kind: u8, op: DocOperand<S>) {
        self.key.u8(OPERAND);
        self.key.u8(kind);
        if let Some(paths) = &mut self.paths {
            paths.push(at.render());
        }
        self.operands.push(op);
    }

    /// `o`, kept by the reader, as an operand.
    fn own(&mut self, o: Owned) -> DocOperand<S> {
        self.owned.push(o);
        DocOperand::Owned(self.owned.len() - 1)
    }

    /// The operand `op` refers to, as the compile's operand source, unless the host holds it
    /// (`None`: bind it where it is).
    fn source<'a>(&'a self, op: &'a DocOperand<S>) -> Option<Operandsrc<'a>> {
        Some(match op {
            DocOperand::Count(n) => Operandsrc::Count(Some(*n)),
            DocOperand::Owned(i) => match self.owned.get(*i)? {
                Owned::Value(v) => Operandsrc::Value(v),
                Owned::Cursor(c) => Operandsrc::Cursor(c),
            },
            DocOperand::Node(..) => return None,
        })
    }

    fn root(&mut self, v: S) -> Result<(), Skip> {
        let at = Path::ROOT;
        if v.kind(&at)? != Kind::Object {
            return Err(Skip);
        }
        self.key.u8(OBJECT);
        self.key.len(v.len());
        v.entries(&at, |k, item| {
            let p = at.key(k);
            self.member(k, item, &p, true, 1)
                .map_err(|Skip| skip_error())
        })?;
        Ok(())
    }

    /// A member of the query (`top`) or of a selected field's object, with its key.
    fn member(
        &mut self,
        k: &str,
        v: S,
        at: &Path<'_>,
        top: bool,
        depth: usize,
    ) -> Result<(), Skip> {
        let depth = Self::depth(depth)?;
        let (tag, member) = match k {
            "limit" => (name::LIMIT, Member::Count),
            "offset" => (name::OFFSET, Member::Count),
            "first" => (name::FIRST, Member::Count),
            "last" => (name::LAST, Member::Count),
            "after" => (name::AFTER, Member::Cursor),
            "before" => (name::BEFORE, Member::Cursor),
            "where" => (name::WHERE, Member::Filter),
            "having" if top => (name::HAVING, Member::Filter),
            "having" => (name::HAVING, Member::Verbatim),
            "select" => (name::SELECT, Member::Select),
            "view" => (name::VIEW, Member::Verbatim),
            "field" => (name::FIELD, Member::Verbatim),
            "alias" => (name::ALIAS, Member::Verbatim),
            "aggregate" => (name::AGGREGATE, Member::Verbatim),
            "order_by" => (name::ORDER_BY, Member::Verbatim),
            "group_by" => (name::GROUP_BY, Member::Verbatim),
            _ => {
                self.key(k)?;
                return self.verbatim(v, at, depth);
            }
        };
        self.name(tag);
        match member {
            Member::Count => match v.kind(at)? {
                Kind::Int(i) if i >= 0 => {
                    self.operand(at, INT, DocOperand::Count(i as u64));
                    Ok(())
                }
                _ => Err(Skip),
            },
            Member::Cursor => match v.kind(at)? {
                Kind::Str => {
                    let s = v.into_string(at)?;
                    let op = self.own(Owned::Cursor(s));
                    self.operand(at, STR, op);
                    Ok(())
                }
                _ => self.verbatim(v, at, depth),
            },
            Member::Filter => self.filter(v, at, depth),
            Member::Select => self.selections(v, at, depth),
            Member::Verbatim => self.verbatim(v, at, depth),
        }
    }

    fn selections(&mut self, v: S, at: &Path<'_>, depth: usize) -> Result<(), Skip> {
        if v.kind(at)? != Kind::List {
            return self.verbatim(v, at, depth);
        }
        self.list_of(v, at, depth, |r, item, p, d| {
            let (kind, text) = item.kind_text(p)?;
            if let Some(text) = text {
                r.string(&text);
                return Ok(());
            }
            match kind {
                Kind::Object => {
                    r.object_of(item, p, d, |r, k, v, p, d| r.member(k, v, p, false, d))
                }
                kind => r.node(item, kind, p, d),
            }
        })
    }

    /// A list whose items are read by `item`.
    fn list_of(
        &mut self,
        v: S,
        at: &Path<'_>,
        depth: usize,
        mut item: impl FnMut(&mut Self, S, &Path<'_>, usize) -> Result<(), Skip>,
    ) -> Result<(), Skip> {
        let depth = Self::depth(depth)?;
        self.key.u8(LIST);
        self.key.len(v.len());
        v.items(at, |i, x| {
            item(self, x, &at.index(i), depth).map_err(|Skip| skip_error())
        })?;
        Ok(())
    }

    /// An object whose members are read by `member`, which writes each key.
    fn object_of(
        &mut self,
        v: S,
        at: &Path<'_>,
        depth: usize,
        mut member: impl FnMut(&mut Self, &str, S, &Path<'_>, usize) -> Result<(), Skip>,
    ) -> Result<(), Skip> {
        let depth = Self::depth(depth)?;
        self.key.u8(OBJECT);
        self.key.len(v.len());
        v.entries(at, |k, item| {
            let p = at.key(k);
            member(self, k, item, &p, depth).map_err(|Skip| skip_error())
        })?;
        Ok(())
    }

    /// A filter: `and`/`or` lists and `not` of filters, else fields.
    fn filter(&mut self, v: S, at: &Path<'_>, depth: usize) -> Result<(), Skip> {
        if v.kind(at)? != Kind::Object {
            return self.verbatim(v, at, depth);
        }
        self.object_of(v, at, depth, |r, k, v, p, d| {
            match junction(k) {
                Some((tag, true)) => {
                    r.name(tag);
                    return r.filters(v, p, d);
                }
                Some((tag, false)) => {
                    r.name(tag);
                    return r.filter(v, p, d);
                }
                None => r.key(k)?,
            }
            r.field(v, p, d)
        })
    }

    fn filters(&mut self, v: S, at: &Path<'_>, depth: usize) -> Result<(), Skip> {
        if v.kind(at)? != Kind::List {
            return self.verbatim(v, at, depth);
        }
        self.list_of(v, at, depth, |r, item, p, d| r.filter(item, p, d))
    }

    /// A field's filter: operators (their operands), the keywords below a field, nested
    /// fields.
    fn field(&mut self, v: S, at: &Path<'_>, depth: usize) -> Result<(), Skip> {
        if v.kind(at)? != Kind::Object {
            return self.verbatim(v, at, depth);
        }
        self.object_of(v, at, depth, |r, k, v, p, d| {
            if let Some(op) = Operator::from_name(k) {
                r.name(op as u8);
                if operand_is_shape(op) {
                    return r.verbatim(v, p, d);
                }
                let node = v.kind(p)?;
                let kind = match node {
                    Kind::Null => NULL,
                    Kind::Bool(_) => TRUE,
                    Kind::Int(_) | Kind::Number => INT,
                    Kind::Str => STR,
                    Kind::List => LIST,
                    Kind::Object => OBJECT,
                };
                // Kept where the host holds it when it can be (not while a miss's check
                // reads the paths: that compares values).
                let shared = if r.paths.is_none() { v.share() } else { None };
                let op = match shared {
                    Some(s) => DocOperand::Node(s, node),
                    None => {
                        let value = v.into_value(p)?;
                        r.own(Owned::Value(value))
                    }
                };
                r.operand(p, kind, op);
                return Ok(());
            }
            let scoped = match k {
                "some" => Some((name::SOME, false)),
                "every" => Some((name::EVERY, false)),
                "none" => Some((name::NONE, false)),
                _ => junction(k),
            };
            match scoped {
                Some((tag, list)) => {
                    r.name(tag);
                    if list {
                        r.filters(v, p, d)
                    } else {
                        r.filter(v, p, d)
                    }
                }
                None => {
                    r.key(k)?;
                    r.field(v, p, d)
                }
            }
        })
    }

    /// Writes a string node of text `text`.
    #[inline(always)]
    fn string(&mut self, text: &str) {
        self.key.u8(STR);
        self.key.str(text);
    }

    /// A node kept whole in the key (a string read with its kind, in one call).
    #[inline(always)]
    fn verbatim(&mut self, v: S, at: &Path<'_>, depth: usize) -> Result<(), Skip> {
        let (kind, text) = v.kind_text(at)?;
        if let Some(text) = text {
            self.string(&text);
            return Ok(());
        }
        self.node(v, kind, at, depth)
    }

    /// [`Reader::verbatim`] of a node of kind `kind`: a scalar written in place, a list or
    /// object item by item (their scalar items without a call of their own).
    #[inline(always)]
    fn node(&mut self, v: S, kind: Kind, at: &Path<'_>, depth: usize) -> Result<(), Skip> {
        if self.scalar(&v, kind, at)? {
            return Ok(());
        }
        self.container(v, kind, at, depth)
    }

    /// Writes a scalar node; `false` for a list or object.
    #[inline(always)]
    fn scalar(&mut self, v: &S, kind: Kind, at: &Path<'_>) -> Result<bool, Skip> {
        match kind {
            Kind::Null => self.key.u8(NULL),
            Kind::Bool(b) => self.key.u8(if b { TRUE } else { FALSE }),
            Kind::Int(i) => {
                self.key.u8(INT);
                self.key.u64(i as u64);
            }
            // Not kept (its digits are not read here): the full way.
            Kind::Number => return Err(Skip),
            Kind::Str => self.string(&v.str(at)?),
            Kind::List | Kind::Object => return Ok(false),
        }
        Ok(true)
    }

    /// A list or object kept whole.
    fn container(&mut self, v: S, kind: Kind, at: &Path<'_>, depth: usize) -> Result<(), Skip> {
        let depth = Self::depth(depth)?;
        if kind == Kind::List {
            self.key.u8(LIST);
            self.key.len(v.len());
            v.items(at, |i, item| {
                self.verbatim(item, &at.index(i), depth)
                    .map_err(|Skip| skip_error())
            })?;
        } else {
            self.key.u8(OBJECT);
            self.key.len(v.len());
            v.entries(at, |k, item| {
                // Any key is kept here (never rendered in an operand's path): an order key's
                // names as their tags, any other as its text.
                match k {
                    "field" => self.name(name::FIELD),
                    "direction" => self.name(name::DIRECTION),
                    "nulls" => self.name(name::NULLS),
                    _ => self.key.str(k),
                }
                let p = at.key(k);
                self.verbatim(item, &p, depth).map_err(|Skip| skip_error())
            })?;
        }
        Ok(())
    }
}

/// `and`/`or` (a list of filters: `true`) or `not` (a filter), in either spelling, and its
/// tag.
#[inline(always)]
fn junction(k: &str) -> Option<(u8, bool)> {
    Some(match k {
        "and" => (name::AND, true),
        "AND" => (name::AND_UPPER, true),
        "or" => (name::OR, true),
        "OR" => (name::OR_UPPER, true),
        "not" => (name::NOT, false),
        "NOT" => (name::NOT_UPPER, false),
        _ => return None,
    })
}

/// The error a closure of the reader returns to stop the host's walk (never seen outside).
fn skip_error() -> Error {
    Error::new(crate::error::ErrorKind::InvalidQuery, "", "")
}

/// For each operand of `query` in the shape's order, its index among the document's
/// operands (`paths`, `doc`), when they are the same operands: the same paths, one each, and
/// the same values.
fn order<S: Source>(query: &Query, paths: &[String], r: &Reader<S>) -> Option<Box<[u32]>> {
    let doc = &r.operands;
    let mut q = query.clone();
    let mut perm = Vec::with_capacity(doc.len());
    let mut used = vec![false; doc.len()];
    let mut ok = true;
    let _ = values::walk(&mut q, &mut |path, operand| {
        let path = path();
        let found = paths.iter().position(|p| *p == path).filter(|&j| !used[j]);
        let Some(j) = found else {
            ok = false;
            return Ok(());
        };
        let same = match (operand, r.source(&doc[j])) {
            (values::OperandMut::Value(v), Some(Operandsrc::Value(d))) => *v == *d,
            (values::OperandMut::Count(n, _), Some(Operandsrc::Count(d))) => *n == d,
            (values::OperandMut::Cursor(c), Some(Operandsrc::Cursor(d))) => c.as_deref() == Some(d),
            _ => false,
        };
        ok &= same;
        used[j] = true;
        perm.push(j as u32);
        Ok(())
    });
    // Every document operand is one of the query's, and paths are distinct.
    let distinct = {
        let mut sorted: Vec<&String> = paths.iter().collect();
        sorted.sort();
        sorted.windows(2).all(|w| w[0] != w[1])
    };
    (ok && distinct && used.iter().all(|u| *u)).then(|| perm.into_boxed_slice())
}

/// The compile step of [`ShapeCache::compile_source_with`], for its runner to call.
pub type CompileStep<'a> = dyn Fn() -> Result<CompiledQuery, Error> + Sync + 'a;

impl ShapeCache {
    /// [`Query::from_source`] and [`ShapeCache::compile`] in one call, with the same result
    /// (SQL, parameters, or error) as parsing the document with `options.limits` and
    /// compiling it uncached. A document of a cached shape is read once, without building the
    /// query (docs/performance.md, "Document keys"). `doc` gives the document to read: once
    /// on a hit, up to three times on a miss (the key, the parse, the key's check).
    ///
    /// ```
    /// use qb_core::{CompileOptions, Query, Schema, ShapeCache, compile, json};
    /// let schema = Schema::from_json(r#"{"views": {"v": {"columns": {"id": "uuid"},
    ///     "fields": {"age": "integer"}}}}"#)?;
    /// let cache = ShapeCache::new(1000);
    /// let options = CompileOptions::default();
    /// for age in [18, 21, 30] {
    ///     let doc = json::parse_value(&format!(
    ///         r#"{{"view": "v", "select": ["id"], "where": {{"age": {{"gte": {age}}}}}}}"#))?;
    ///     let want = compile(&Query::from_value(&doc)?, &schema, &options)?;
    ///     assert_eq!(cache.compile_source(|| &doc, &schema, &options)?, want);
    /// }
    /// // The first call planned the shape; the others were read from the document's key.
    /// assert_eq!((cache.stats().misses, cache.stats().document_hits), (1, 2));
    /// # Ok::<(), qb_core::Error>(())
    /// ```
    pub fn compile_source<S: Source>(
        &self,
        doc: impl Fn() -> S,
        schema: &Schema,
        options: &CompileOptions,
    ) -> Result<CompiledQuery, Error> {
        self.compile_source_with(doc, schema, options, |step| step())
    }

    /// [`ShapeCache::compile_source`], with the compile step of a miss (or of a hit whose
    /// operands do not bind) run by `run`: a host releases its interpreter lock there for a
    /// large query. `run` must call the step once and return its result.
    pub fn compile_source_with<S: Source>(
        &self,
        doc: impl Fn() -> S,
        schema: &Schema,
        options: &CompileOptions,
        run: impl FnOnce(&CompileStep<'_>) -> Result<CompiledQuery, Error>,
    ) -> Result<CompiledQuery, Error> {
        self.compile_document::<S, false>(doc, schema, options, run)
            .map(SourceCompiled::into_query)
    }

    /// [`ShapeCache::compile_source_with`], with the statement of a cached document key
    /// shared, not copied, and on a hit each parameter's operand node: for a host that keeps
    /// its own form of each statement, or hands an operand's own object back as its
    /// parameter (docs/performance.md, "Shared statements (session 12)").
    pub fn compile_source_shared<S: Source>(
        &self,
        doc: impl Fn() -> S,
        schema: &Schema,
        options: &CompileOptions,
        run: impl FnOnce(&CompileStep<'_>) -> Result<CompiledQuery, Error>,
    ) -> Result<SourceCompiled<S>, Error> {
        self.compile_document::<S, true>(doc, schema, options, run)
    }

    /// [`ShapeCache::compile_source_shared`]; a hit keeps its parameters' nodes when
    /// `SOURCES` is on.
    fn compile_document<S: Source, const SOURCES: bool>(
        &self,
        doc: impl Fn() -> S,
        schema: &Schema,
        options: &CompileOptions,
        run: impl FnOnce(&CompileStep<'_>) -> Result<CompiledQuery, Error>,
    ) -> Result<SourceCompiled<S>, Error> {
        if self.entries.capacity() == 0 {
            let query = Query::from_source(doc(), &options.limits)?;
            return run(&|| crate::compile::compile(&query, schema, options))
                .map(SourceCompiled::Compiled);
        }
        let mut r = Reader::<S>::new(schema, options, false);
        let read = r.root(doc()).is_ok();
        let hash = hash_shape(&r.key.bytes);
        if read {
            if let Some(plan) = self.lookup(hash, &r.key.bytes) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                self.document_hits.fetch_add(1, Ordering::Relaxed);
                if let Some((sql, params, sources)) = bind_doc::<S, SOURCES>(&plan, &r, options) {
                    return Ok(if SOURCES {
                        SourceCompiled::Shared(SharedQuery {
                            sql: Arc::clone(sql),
                            params,
                            sources,
                        })
                    } else {
                        SourceCompiled::Compiled(CompiledQuery::new(&**sql, params))
                    });
                }
                self.recompiles.fetch_add(1, Ordering::Relaxed);
                let query = Query::from_source(doc(), &options.limits)?;
                return run(&|| crate::compile::compile(&query, schema, options))
                    .map(SourceCompiled::Compiled);
            }
        }
        let query = Query::from_source(doc(), &options.limits)?;
        let out = run(&|| self.compile(&query, schema, options))?;
        if read
            && let Some(sql) = self.learn(doc(), &query, hash, r.key.bytes, schema, options)
            && *sql == *out.sql
        {
            return Ok(SourceCompiled::Shared(SharedQuery {
                sql,
                params: out.params,
                sources: SmallVec::new(),
            }));
        }
        Ok(SourceCompiled::Compiled(out))
    }

    /// After a miss: caches `doc`'s key when its operands are the query's (see the module
    /// documentation) and the query's shape has a plan that binds; then gives the plan's
    /// statement.
    fn learn<S: Source>(
        &self,
        doc: S,
        query: &Query,
        hash: u64,
        key: Vec<u8>,
        schema: &Schema,
        options: &CompileOptions,
    ) -> Option<Arc<str>> {
        let shape = Shape::of(query, schema, options).ok()?;
        let plan = self.lookup(hash_shape(&shape.key.bytes), &shape.key.bytes)?;
        let bound = plan.bound.clone()?;
        let mut r = Reader::<S>::new(schema, options, true);
        if r.root(doc).is_err() || r.key.bytes != key {
            return None;
        }
        let paths = r.paths.take().unwrap_or_default();
        let perm = order(query, &paths, &r)?;
        if perm.len() != shape.operands.len() {
            return None;
        }
        let sql = Arc::clone(&bound.sql);
        let plan = Plan {
            bound: Some(bound),
            perm: Some(perm),
        };
        self.insert(hash, key.into_boxed_slice(), Arc::new(plan));
        Some(sql)
    }
}

/// The query of a document key's entry bound from the document's operands: each parameter
/// made by its slot as [`Bound::bind`](super::Bound) makes it (an operand held by the host
/// through [`values::value_param`], which makes the same parameter): the plan's statement,
/// the parameters, and each parameter's node when `SOURCES` is on; `None` when one does not
/// bind (the caller compiles to report it).
fn bind_doc<'p, S: Source, const SOURCES: bool>(
    plan: &'p Plan,
    r: &Reader<S>,
    options: &CompileOptions,
) -> Option<(&'p Arc<str>, Vec<Param>, Sources<S>)> {
    let (b, perm) = (plan.bound.as_ref()?, plan.perm.as_ref()?);
    let limits = &options.limits;
    let mut sources = SmallVec::new();
    let params = b.bind_each(|at, conv, scratch| {
        let op = r.operands.get(*perm.get(at as usize)? as usize)?;
        if SOURCES {
            sources.push(match op {
                DocOperand::Node(s, _) => s.share(),
                _ => None,
            });
        }
        let src = match (op, r.source(op)) {
            (_, Some(src)) => src,
            (DocOperand::Node(s, kind), None) => match s.as_value() {
                Some(v) => Operandsrc::Value(v),
                None => {
                    return values::value_param(conv, s.share()?, *kind, &mut || s.share(), limits);
                }
            },
            (_, None) => return None,
        };
        conv.make_with(src, limits, scratch).ok()
    })?;
    Some((&b.sql, params, sources))
}

/// Per parameter of a hit, the document node it was made from ([`SharedQuery::source`]).
type Sources<S> = SmallVec<[Option<S>; 8]>;

/// What [`ShapeCache::compile_source_shared`] gives: a query whose statement is a cached
/// document key's, or a query compiled in full.
#[derive(Debug)]
pub enum SourceCompiled<S> {
    /// A document hit, or the miss that cached its document's key.
    Shared(SharedQuery<S>),
    /// Anything else: a miss whose document's key is not cached, a hit whose operands do
    /// not bind, a cache that keeps nothing.
    Compiled(CompiledQuery),
}

impl<S> SourceCompiled<S> {
    /// The compiled query ([`ShapeCache::compile_source_with`]'s result).
    pub fn into_query(self) -> CompiledQuery {
        match self {
            SourceCompiled::Shared(q) => CompiledQuery::new(&*q.sql, q.params),
            SourceCompiled::Compiled(out) => out,
        }
    }
}

/// A query of [`ShapeCache::compile_source_shared`] with its statement shared with the
/// cache.
#[derive(Debug)]
#[non_exhaustive]
pub struct SharedQuery<S> {
    /// The statement of the cached plan: the same `Arc` for every query of that plan while
    /// it is cached (and while a caller holds it, [`Arc::ptr_eq`] with it tells that
    /// statement apart from any other).
    pub sql: Arc<str>,
    /// Parameters, as [`CompiledQuery::params`].
    pub params: Vec<Param>,
    sources: Sources<S>,
}

impl<S> SharedQuery<S> {
    /// On a hit, the document node parameter `i` was made from, when it was made from one
    /// node the host shares ([`Source::share`]; not a count, a cursor or an operand read as
    /// a [`Value`] first); `None` on a miss. The parameter is that node's value converted
    /// for its type: equal to it or not (a pattern, a lowercased text), which is for the
    /// host to check before it gives the node's own object as the parameter.
    pub fn source(&self, i: usize) -> Option<&S> {
        self.sources.get(i)?.as_ref()
    }
}
