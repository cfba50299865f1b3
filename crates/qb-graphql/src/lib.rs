//! qb-graphql: the GraphQL front end of fraiseql-qb.
//!
//! From the schema registry it derives a GraphQL schema ([`sdl`]); a GraphQL request
//! (document, variables, operation name) compiles into one qb-core query and one SQL
//! statement per root field ([`compile`]). Parsing and the spec's validation rules are
//! apollo-compiler's; every check of a query (names, operators, operands, limits) stays in
//! qb-core, which receives each root field as a query AST.
//!
//! ```
//! use qb_core::{CompileOptions, Schema};
//! use qb_graphql::{GraphqlSchema, RootField};
//!
//! let registry = Schema::from_json(r#"{"views": {"v_user": {
//!     "typename": "User", "columns": {"id": "uuid"}, "primary_key": ["id"],
//!     "fields": {"email": "text", "age": "integer"}}}}"#)?;
//! let schema = GraphqlSchema::new(registry).map_err(|e| e.to_string())?;
//! assert!(schema.sdl().contains("userList(where: UserWhere"));
//! let request = qb_graphql::compile(
//!     "{ adults: userList(where: {age: {gte: 18}}, limit: 10) { id email } }",
//!     None, None, &schema, &CompileOptions::default(),
//! ).map_err(|e| e.to_string())?;
//! let RootField::Sql { response_key, compiled, single, .. } = &request.fields[0] else {
//!     unreachable!()
//! };
//! assert_eq!(response_key, "adults");
//! assert!(!single);
//! assert_eq!(compiled.params.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The schema owns a [`DocumentCache`]: a repeated request (the same document text,
//! operation name and options) skips parsing and validation; when its variables have a
//! fingerprint seen before (the same shape, other scalar values), they are bound straight
//! into the root fields' prepared statements, so a hit costs the lookups, the variables'
//! coercion and binding the parameters. Otherwise its queries are lowered and compile
//! through qb-core's shape cache. Results are exactly an uncached compile's.
//!
//! Connections: a `<type>Connection` root field is [`RootField::Connection`], whose rows
//! [`Connection::assemble`] shapes; a list relation's `<relation>Connection` is the core's
//! nested keyset page inside a [`RootField::Sql`] statement, whose rows' `data`
//! [`NestedConnections::finish`] shapes with that same assembler. A root connection whose
//! node selects nested connections hands each node's `data` to them
//! ([`Connection::nested`], the `finish` of [`Connection::assemble`]).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bound;
mod cache;
mod compile;
mod error;
mod sdl;

use std::collections::HashMap;

use apollo_compiler::validation::Valid;
use qb_core::{CompileOptions, Error, ErrorKind, Schema};

pub use cache::{DocumentCache, DocumentCacheStats};
pub use compile::{
    CompiledRequest, Connection, ConnectionRow, NestedConnections, Response, RootField, compile,
};
pub use error::{GraphqlError, GraphqlErrors, Location};

/// The registry and the GraphQL schema derived from it, and the cache of the requests
/// compiled against it. Build it once (it validates the SDL), share it by reference (it is
/// `Send + Sync`) with every request.
#[derive(Debug)]
pub struct GraphqlSchema {
    registry: Schema,
    sdl: String,
    apollo: Valid<apollo_compiler::Schema>,
    roots: HashMap<String, sdl::RootDef>,
    /// The object types that are views (the others are nested objects).
    view_types: std::collections::HashSet<String>,
    max_fields: usize,
    cache: DocumentCache,
}

impl GraphqlSchema {
    /// The default cap on the fields of one request ([`GraphqlSchema::with_max_fields`]).
    pub const DEFAULT_MAX_FIELDS: usize = 5_000;

    /// Derives the GraphQL schema of `registry`. Fails with `QB_INVALID_SCHEMA` when two
    /// registry names give one GraphQL name, or no view has a typename.
    pub fn new(registry: Schema) -> Result<GraphqlSchema, Error> {
        let derived = sdl::derive(&registry)?;
        let apollo = apollo_compiler::Schema::parse_and_validate(&derived.sdl, "schema.graphql")
            .map_err(|e| {
                Error::new(
                    ErrorKind::Internal,
                    "",
                    format!("the derived SDL does not validate: {}", e.errors),
                )
            })?;
        // Every nested object and list element the registry leaves unnamed gets its SDL
        // type's name (valid: the SDL validated), so `__typename` answers what the SDL says
        // at every level.
        let registry = registry.with_default_typenames(|_, _, ty| {
            sdl::definition_key(ty).and_then(|k| derived.object_types.get(&k).cloned())
        })?;
        Ok(GraphqlSchema {
            registry,
            sdl: derived.sdl,
            apollo,
            roots: derived.roots,
            view_types: derived.view_types,
            max_fields: Self::DEFAULT_MAX_FIELDS,
            cache: DocumentCache::new(DocumentCache::DEFAULT_CAPACITY),
        })
    }

    /// Caps the number of fields one request may select, counting aliases and fields
    /// reached through fragments (default [`GraphqlSchema::DEFAULT_MAX_FIELDS`]); more is
    /// `QB_SIZE_LIMIT`. Selection depth is capped by `Limits::max_depth` of the compile
    /// options (`QB_DEPTH_LIMIT`).
    pub fn with_max_fields(mut self, max_fields: usize) -> Self {
        self.max_fields = max_fields.max(1);
        self.cache.clear();
        self
    }

    /// Keeps at most `capacity` validated documents and `capacity` query shapes (default
    /// [`DocumentCache::DEFAULT_CAPACITY`]); `0` turns the cache off.
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.cache = DocumentCache::new(capacity);
        self
    }

    /// The cache's counters.
    pub fn cache_stats(&self) -> DocumentCacheStats {
        self.cache.stats()
    }

    /// The cache every [`compile`] with this schema goes through.
    pub fn cache(&self) -> &DocumentCache {
        &self.cache
    }

    /// The SDL text.
    pub fn sdl(&self) -> &str {
        &self.sdl
    }

    /// The registry it was derived from, with every nested object and embedded list element
    /// that has no `typename` named as its SDL type (`UserProfile`): the registry its
    /// requests compile against.
    pub fn registry(&self) -> &Schema {
        &self.registry
    }

    fn limits(&self, options: &CompileOptions) -> compile::RequestLimits {
        compile::RequestLimits {
            max_depth: options.limits.effective_max_depth().max(1),
            max_fields: self.max_fields,
        }
    }
}

/// The SDL of a registry (what `qb sdl --schema registry.json` prints).
pub fn sdl(registry: &Schema) -> Result<String, Error> {
    Ok(GraphqlSchema::new(registry.clone())?.sdl)
}
