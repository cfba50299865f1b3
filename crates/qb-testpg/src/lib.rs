//! Real-PostgreSQL test harness for fraiseql-qb.
//!
//! Integration tests call [`client`] to connect to the server started by
//! `scripts/pg.sh start` (URL in the `FQB_PG_URL` environment variable, printed by
//! `scripts/pg.sh env`). Without a reachable server the tests **fail**, they never skip.
//!
//! Parameters are always sent in PostgreSQL's *text* format ([`TextParam`]), so any
//! type (uuid, numeric, date, inet, ltree, daterange, text[], ...) can be bound from a
//! string, exactly as a driver that sends untyped text parameters would.

pub mod golden;

/// The README's Rust example, compiled and run against the test database as a doctest
/// (`DATABASE_URL` is set by scripts/test.sh), so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

use std::error::Error;

use bytes::BytesMut;
use postgres::types::{Format, IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};

/// Environment variable holding the connection URL.
pub const URL_ENV: &str = "FQB_PG_URL";

const HOWTO: &str = "start the test database first: \
                     `scripts/pg.sh start && eval \"$(scripts/pg.sh env)\"`";

/// Connects to the database named by `FQB_PG_URL`.
///
/// # Panics
/// If `FQB_PG_URL` is unset or the server is unreachable, with a message telling to run
/// `scripts/pg.sh start`. Tests that need PostgreSQL must fail, not skip, without it.
#[must_use]
pub fn client() -> Client {
    let url = match std::env::var(URL_ENV) {
        Ok(u) if !u.trim().is_empty() => u,
        _ => panic!("{URL_ENV} is not set: {HOWTO}"),
    };
    match Client::connect(&url, NoTls) {
        Ok(c) => c,
        Err(e) => panic!("cannot connect to PostgreSQL at {url} ({e}): {HOWTO}"),
    }
}

/// A query parameter sent in TEXT format; `None` is SQL NULL.
///
/// It accepts every PostgreSQL type: the server parses the text with the type's input
/// function, as it would for a literal `'...'::type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextParam<'a>(pub Option<&'a str>);

impl ToSql for TextParam<'_> {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self.0 {
            Some(s) => {
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            None => Ok(IsNull::Yes),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

fn text_params(params: &[Option<String>]) -> Vec<TextParam<'_>> {
    params.iter().map(|p| TextParam(p.as_deref())).collect()
}

fn as_dyn<'a>(params: &'a [TextParam<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// Wraps `sql` as `SELECT coalesce(json_agg(q), '[]'::json)::text FROM (<sql>) AS q`.
#[must_use]
pub fn json_wrap(sql: &str) -> String {
    format!("SELECT coalesce(json_agg(q), '[]'::json)::text FROM ({sql}\n) AS q")
}

/// Runs `sql` (a SELECT, `$1..$n` placeholders) with text-format `params` and returns
/// its rows as a JSON array of objects (column name -> value), `[]` when empty.
///
/// # Errors
/// Any PostgreSQL error (parse, analysis, execution). A non-JSON result is reported as a
/// conversion error.
pub fn query_json(
    client: &mut Client,
    sql: &str,
    params: &[Option<String>],
) -> Result<serde_json::Value, postgres::Error> {
    let tp = text_params(params);
    query_json_with(client, sql, &as_dyn(&tp))
}

/// [`query_json`] with any driver parameters, e.g. a compiled query's own
/// (`out.pg_params()`, qb-core's `postgres` feature).
///
/// # Errors
/// Any PostgreSQL error (parse, analysis, execution).
pub fn query_json_with(
    client: &mut Client,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<serde_json::Value, postgres::Error> {
    let wrapped = json_wrap(sql);
    let row = client.query_one(wrapped.as_str(), params)?;
    let text: String = row.try_get(0)?;
    Ok(serde_json::from_str(&text).unwrap_or_else(|e| {
        // json_agg output is always valid JSON; reaching this is a harness bug.
        panic!("json_agg returned invalid JSON ({e}): {text}")
    }))
}

/// Checks `sql` without executing it: prepares it (so parse and analysis errors surface:
/// unknown column, operator does not exist, bad cast of a constant, ...), then binds the
/// text-format `params` to `EXPLAIN (COSTS OFF) <sql>` (so a wrong parameter count or a
/// value that the inferred parameter type rejects, e.g. `'x'` for a uuid, surfaces too).
/// Returns the plan's lines. The statement itself is never run.
///
/// # Errors
/// The PostgreSQL error from preparing or binding.
pub fn explain(
    client: &mut Client,
    sql: &str,
    params: &[Option<String>],
) -> Result<Vec<String>, postgres::Error> {
    let _stmt: Statement = client.prepare(sql)?;
    let explain_sql = format!("EXPLAIN (COSTS OFF) {sql}");
    let tp = text_params(params);
    let rows = client.query(explain_sql.as_str(), &as_dyn(&tp))?;
    rows.iter().map(|r| r.try_get::<_, String>(0)).collect()
}

/// Formats `items` as a PostgreSQL array text literal: `{"a","b\"c",NULL}`.
///
/// Every element is double-quoted, with `\` and `"` backslash-escaped, so empty strings,
/// commas, braces, whitespace and the word `NULL` survive; `None` becomes the bare `NULL`.
#[must_use]
pub fn pg_array_literal(items: &[Option<String>]) -> String {
    let mut out = String::with_capacity(2 + items.len() * 8);
    out.push('{');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            None => out.push_str("NULL"),
            Some(s) => {
                out.push('"');
                for c in s.chars() {
                    if c == '\\' || c == '"' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
        }
    }
    out.push('}');
    out
}

/// Shorthand for `Some(s.to_string())`, for building parameter lists.
#[must_use]
pub fn p(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_literal_quotes_and_escapes() {
        assert_eq!(pg_array_literal(&[]), "{}");
        assert_eq!(
            pg_array_literal(&[p("a"), p("b\"c"), None, p("d\\e"), p("")]),
            r#"{"a","b\"c",NULL,"d\\e",""}"#
        );
    }
}
