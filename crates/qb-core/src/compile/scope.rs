//! Scopes: the row sources a statement reads, each under its own table alias.
//!
//! Names resolve in the current scope (`Compiler::scope`): the root view, read as `t`, or
//! the related view a subquery reads (`t1`, `t2`, …). Entering a relation pushes the
//! current scope and opens one for the related view under the next alias; leaving pops it.
//! Aliases are numbered in the order the compiler opens scopes, so a statement's text
//! depends only on the query's shape. The registry's fragments never name an alias: every
//! read goes through the alias of the scope it was resolved in
//! ([`SqlWriter::qualified`](crate::sql::SqlWriter::qualified)).
//!
//! The elements of an embedded list are a scope too: their "view" is the list's element
//! ([`ListDef`](crate::schema::ListDef) holds it as a view without columns or relations,
//! whose data column is `"value"` and whose primary key is `"ord"`), read from
//! `jsonb_array_elements(…) WITH ORDINALITY AS tN("value", "ord")` (`list.rs`).

use super::Compiler;
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

impl<'a> Compiler<'a> {
    /// A fresh alias (`t1`, `t2`, …).
    pub(crate) fn next_alias(&mut self) -> Alias {
        let a = Alias(self.next_alias);
        self.next_alias += 1;
        a
    }

    /// Makes `view`, read under a fresh alias, the current scope; returns the scope it
    /// encloses (the parent, whose columns a join reads).
    pub(crate) fn enter(&mut self, view: &'a ViewDef) -> Scope<'a> {
        let alias = self.next_alias();
        let parent = std::mem::replace(&mut self.scope, Scope { view, alias });
        self.outer.push(parent);
        parent
    }

    /// Returns to the enclosing scope.
    pub(crate) fn leave(&mut self) {
        if let Some(parent) = self.outer.pop() {
            self.scope = parent;
        }
    }
}
