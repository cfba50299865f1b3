//! qb-core: query AST + schema registry in, SQL text + typed parameters out.
#![forbid(unsafe_code)]
