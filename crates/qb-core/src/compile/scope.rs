//! Scopes: the row sources a statement reads, each under its own table alias.
//!
//! Names resolve in the current scope (`Compiler::scope`): the root view, read as `t`. The
//! registry's fragments never name an alias; every read goes through the alias of the scope
//! it was resolved in ([`SqlWriter::qualified`](crate::sql::SqlWriter::qualified)).

use crate::schema::ViewDef;
use crate::sql::Alias;

/// One row source: a view read under an alias.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    /// The view its rows come from.
    pub(crate) view: &'a ViewDef,
    /// Its alias in the statement.
    pub(crate) alias: Alias,
}
