//! The document cache: a repeated GraphQL operation skips parsing and validation.
//!
//! A **key** is the whole request text that decides the validated document, compared in full
//! on every hit (the hash only finds the slot): the document text, the operation name and the
//! compile options (their limits bound parsing and validation). The **value** is the
//! validated document. A hit then runs what depends on the variables, exactly as an uncached
//! compile does: variable coercion, field collection (`@skip`/`@include` read variables),
//! lowering to one query AST per root field, and each query through qb-core's
//! [`ShapeCache`], whose bind returns exactly what a compile returns. So nothing a hit
//! returns was computed for another request's variables: a variable that changes a query's
//! shape (an input object used as `where`, a `@skip(if: $v)`) gives another shape, planned
//! or found in the shape cache (`tests/cache.rs` compares cached and uncached compiles of
//! varied documents and variables, errors included).
//!
//! **Bound hits** go further: each document entry keeps, per fingerprint of the variables
//! (everything that can change the lowering, with the scalar leaves a query may take as
//! operands left out), a template of the root fields' prepared statements, so a repeated
//! operation whose variables have a fingerprint seen before costs the lookups, the
//! variables' coercion and binding the leaves into the statements, without lowering
//! (`bound.rs`; `tests/cache.rs` compares bound hits, lowered hits and uncached compiles).
//!
//! Requests that fail to parse or validate are not cached (they are counted as misses).
//! Eviction is CLOCK (second chance), as in qb-core's shape cache: a hit sets a bit under a
//! shared read lock.

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use apollo_compiler::ExecutableDocument;
use apollo_compiler::validation::Valid;
use qb_core::clock::Clock;
use qb_core::{CacheStats, CompileOptions, Placeholder, ShapeCache};

use crate::bound::Template;

/// Counters of a [`DocumentCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DocumentCacheStats {
    /// Requests whose validated document was found (parsing and validation skipped).
    pub hits: u64,
    /// Requests parsed and validated (a request that fails validation is a miss too).
    pub misses: u64,
    /// Hits whose variables were bound straight into the root fields' prepared statements
    /// (no lowering; counted among `hits`).
    pub bound: u64,
    /// Variable fingerprints whose templates are kept (at most `capacity`).
    pub templates: usize,
    /// Documents dropped to make room.
    pub evictions: u64,
    /// Documents cached now.
    pub len: usize,
    /// The most documents kept (0: the cache is off).
    pub capacity: usize,
    /// Approximate heap bytes of the cached keys (the validated documents are about ten
    /// times their text) and templates (their statements' SQL, fingerprints and patterns).
    pub bytes: usize,
    /// The shape cache the root fields' queries compile through.
    pub shapes: CacheStats,
}

/// A bounded, thread-safe cache of validated GraphQL documents, and the shape cache of the
/// queries they lower to. A [`crate::GraphqlSchema`] owns one (qb-graphql keeps no global
/// state); every [`crate::compile`] with that schema goes through it.
#[derive(Debug)]
pub struct DocumentCache {
    /// Request key -> validated document.
    entries: Clock<Key, DocEntry>,
    /// (document entry, variables' fingerprint) -> template of the prepared statements.
    templates: Clock<TemplateKey, Template>,
    shapes: ShapeCache,
    hits: AtomicU64,
    misses: AtomicU64,
    bound: AtomicU64,
    /// The id of the next document entry (never reused, so a template never outlives its
    /// document's identity).
    next_id: AtomicU64,
    /// Whether hits may be bound (on by default).
    binds: AtomicBool,
}

/// A validated document, and the id its templates are keyed on (`None`: not cached).
#[derive(Debug)]
pub(crate) struct DocEntry {
    id: Option<u64>,
    doc: Valid<ExecutableDocument>,
}

impl DocEntry {
    pub(crate) fn doc(&self) -> &Valid<ExecutableDocument> {
        &self.doc
    }

    pub(crate) fn id(&self) -> Option<u64> {
        self.id
    }
}

#[derive(Debug, PartialEq, Eq)]
struct TemplateKey {
    doc: u64,
    fingerprint: Box<[u8]>,
}

fn hash_template(doc: u64, fingerprint: &[u8]) -> u64 {
    let mut h = ahash::RandomState::with_seeds(0x62, 0x6e, 0x64, 0x76).build_hasher();
    doc.hash(&mut h);
    fingerprint.hash(&mut h);
    h.finish()
}

/// What decides a validated document, compared in full on a hit.
#[derive(Debug, PartialEq, Eq)]
struct Key {
    document: Box<str>,
    operation_name: Option<Box<str>>,
    options: CompileOptions,
}

impl Key {
    /// Whether this is the key of a request.
    fn is(&self, document: &str, operation_name: Option<&str>, options: &CompileOptions) -> bool {
        *self.document == *document
            && self.operation_name.as_deref() == operation_name
            && self.options == *options
    }
}

fn hash_key(document: &str, operation_name: Option<&str>, options: &CompileOptions) -> u64 {
    let mut h = ahash::RandomState::with_seeds(0x67, 0x71, 0x6c, 0x64).build_hasher();
    document.hash(&mut h);
    operation_name.hash(&mut h);
    // The options' fields this crate can name; `Key`'s equality compares all of them.
    let l = &options.limits;
    (l.max_depth, l.max_nodes, l.max_list_len, l.max_string_len).hash(&mut h);
    l.max_nested_rows.hash(&mut h);
    options.camel_case.hash(&mut h);
    (options.placeholder == Placeholder::Numbered).hash(&mut h);
    options.cursor_key.as_ref().map(|k| k.bytes()).hash(&mut h);
    h.finish()
}

impl DocumentCache {
    /// The capacity a [`crate::GraphqlSchema`] starts with: 1024 documents (and 1024 query
    /// shapes).
    pub const DEFAULT_CAPACITY: usize = 1024;

    /// A cache keeping at most `capacity` documents and `capacity` query shapes; `0` keeps
    /// none (every compile parses, validates and compiles, counted nowhere).
    pub fn new(capacity: usize) -> Self {
        DocumentCache {
            entries: Clock::new(capacity),
            templates: Clock::new(capacity),
            shapes: ShapeCache::new(capacity),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            bound: AtomicU64::new(0),
            next_id: AtomicU64::new(0),
            binds: AtomicBool::new(true),
        }
    }

    /// Turns bound hits on (the default) or off: off, every hit lowers the variables and
    /// binds each query through the shape cache (to compare, or to measure).
    pub fn set_bound_hits(&self, on: bool) {
        self.binds.store(on, Ordering::Relaxed);
    }

    pub(crate) fn binds(&self) -> bool {
        self.binds.load(Ordering::Relaxed)
    }

    pub(crate) fn count_bound(&self) {
        self.bound.fetch_add(1, Ordering::Relaxed);
    }

    /// The template of a document entry's variables' fingerprint.
    pub(crate) fn template(&self, doc: u64, fingerprint: &[u8]) -> Option<Arc<Template>> {
        self.templates.get(hash_template(doc, fingerprint), |k| {
            k.doc == doc && *k.fingerprint == *fingerprint
        })
    }

    pub(crate) fn insert_template(&self, doc: u64, fingerprint: Vec<u8>, template: Template) {
        let hash = hash_template(doc, &fingerprint);
        let heap = fingerprint.len()
            + match &template {
                Template::Bound(b) => b.heap_bytes(),
                Template::Seen | Template::Slow => 0,
            };
        let key = TemplateKey {
            doc,
            fingerprint: fingerprint.into_boxed_slice(),
        };
        self.templates.insert(hash, key, Arc::new(template), heap);
    }

    /// The shape cache the root fields' queries compile through.
    pub fn shapes(&self) -> &ShapeCache {
        &self.shapes
    }

    /// The counters.
    pub fn stats(&self) -> DocumentCacheStats {
        let (len, bytes) = self.entries.len_and_bytes();
        let (templates, template_bytes) = self.templates.len_and_bytes();
        DocumentCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            bound: self.bound.load(Ordering::Relaxed),
            templates,
            evictions: self.entries.evictions(),
            len,
            capacity: self.entries.capacity(),
            bytes: bytes + template_bytes,
            shapes: self.shapes.stats(),
        }
    }

    /// Drops every cached document, template and shape (counters are kept).
    pub fn clear(&self) {
        self.entries.clear();
        self.templates.clear();
        self.shapes.clear();
    }

    /// The validated document of a request: cached, or made by `validate` (and cached when
    /// it succeeds).
    pub(crate) fn document<E>(
        &self,
        document: &str,
        operation_name: Option<&str>,
        options: &CompileOptions,
        validate: impl FnOnce() -> Result<Valid<ExecutableDocument>, E>,
    ) -> Result<Arc<DocEntry>, E> {
        if self.entries.capacity() == 0 {
            return validate().map(|doc| Arc::new(DocEntry { id: None, doc }));
        }
        let hash = hash_key(document, operation_name, options);
        if let Some(doc) = self.lookup(hash, document, operation_name, options) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(doc);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let doc = Arc::new(DocEntry {
            id: Some(self.next_id.fetch_add(1, Ordering::Relaxed)),
            doc: validate()?,
        });
        let key = Key {
            document: document.into(),
            operation_name: operation_name.map(Into::into),
            options: options.clone(),
        };
        // Another thread that missed the same request at once may have stored it: its
        // entry (and id) stays, so the templates of both calls are keyed on one id.
        let heap = key.document.len() + key.operation_name.as_ref().map_or(0, |n| n.len());
        Ok(self.entries.insert_or_get(hash, key, doc, heap, |k| {
            k.is(document, operation_name, options)
        }))
    }

    fn lookup(
        &self,
        hash: u64,
        document: &str,
        operation_name: Option<&str>,
        options: &CompileOptions,
    ) -> Option<Arc<DocEntry>> {
        self.entries
            .get(hash, |k| k.is(document, operation_name, options))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Barrier;

    use super::*;
    use crate::GraphqlSchema;

    /// Two threads missing one request at once (both inside `validate` before either
    /// stores it) get one entry, one id: the templates they store are one entry's, none
    /// left stale under an id no lookup returns.
    #[test]
    fn two_concurrent_misses_keep_one_entry_and_its_templates() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/schema.json");
        let registry =
            qb_core::Schema::from_json(&std::fs::read_to_string(path).expect("registry"))
                .expect("registry");
        let schema = Arc::new(GraphqlSchema::new(registry).expect("schema"));
        let doc = "query($n: Int) { userList(limit: $n) { id } }";
        let options = CompileOptions::default();
        let barrier = Arc::new(Barrier::new(2));
        let ids: Vec<u64> = (0..2)
            .map(|_| {
                let (schema, barrier, options) =
                    (Arc::clone(&schema), Arc::clone(&barrier), options.clone());
                std::thread::spawn(move || {
                    let entry = schema
                        .cache
                        .document(doc, None, &options, || {
                            barrier.wait();
                            crate::compile::validate(doc, &schema, &options)
                        })
                        .expect("valid");
                    let id = entry.id().expect("cached");
                    schema
                        .cache
                        .insert_template(id, b"fingerprint".to_vec(), Template::Seen);
                    id
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect();
        let stats = schema.cache_stats();
        assert_eq!(stats.misses, 2, "{stats:?}");
        assert_eq!(ids[0], ids[1], "one id for both misses");
        assert_eq!((stats.len, stats.templates), (1, 1), "{stats:?}");
        let again = schema
            .cache
            .document(doc, None, &options, || unreachable!("a hit"))
            .map_err(|e: ()| e)
            .expect("hit");
        assert_eq!(again.id(), Some(ids[0]));
        assert!(schema.cache.template(ids[0], b"fingerprint").is_some());
    }
}
