//! qb-core: query AST + schema registry in, SQL text + typed parameters out.
//!
//! ```
//! use qb_core::{compile, CompileOptions, Query, Schema};
//!
//! let schema = Schema::from_json(r#"{"views": {"v_user": {
//!     "typename": "User",
//!     "columns": {"id": "uuid"},
//!     "fields": {"email": "text", "createdAt": "timestamptz"}}}}"#)?;
//! let query = Query::from_json(r#"{"view": "v_user", "select": ["id", "email"],
//!     "where": {"email": {"icontains": "@example.com"}}, "limit": 10}"#)?;
//! let out = compile(&query, &schema, &CompileOptions::default())?;
//! assert_eq!(out.params.len(), 2);
//! assert!(out.sql.contains("ILIKE $1::text"));
//! # Ok::<(), qb_core::Error>(())
//! ```
//!
//! Pure Rust: no FFI, no I/O, no global state. See ARCHITECTURE.md for the code map and the
//! invariants, docs/query-ast.md for the input forms and docs/errors.md for error codes.
//!
//! The API can grow without breaking callers: the structs later features extend ([`Query`],
//! [`CompileOptions`], [`Limits`], [`CompiledQuery`], [`Param`]) and the public enums are
//! `#[non_exhaustive]`. Build them with their constructors and `with_` methods
//! ([`Query::new`], `CompileOptions::default().with_placeholder(..)`,
//! `Limits::default().with_max_depth(..)`, [`CompiledQuery::new`], [`Param::new`]) and match
//! enums with a wildcard arm.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ast;
mod cache;
pub mod clock;
mod compile;
mod cursor;
#[cfg(feature = "postgres")]
mod driver;
mod error;
#[cfg(feature = "json")]
pub mod json;
mod names;
mod number;
mod options;
mod param;
pub mod schema;
mod sql;
mod suggest;
mod value;

pub use ast::{Filter, Operator, Query};
pub use cache::{
    CacheStats, CompileStep, OperandKind, Prepared, PreparedOperand, ShapeCache, SharedQuery,
    SourceCompiled,
};
pub use compile::compile;
pub use cursor::encode_cursor;
pub use error::{Error, ErrorKind, Path};
pub use names::{camel_case, snake_case};
pub use number::{Number, NumberError};
pub use options::{CompileOptions, CursorKey, Limits, Placeholder};
pub use param::{CompiledQuery, Param, ParamType, ParamValue, PgType};
pub use schema::{FieldType, ListDef, RelationDef, RelationKind, ScalarType, Schema, ViewDef};
pub use value::Value;
