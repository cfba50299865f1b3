//! Driver glue: compiled parameters as the Rust drivers' own parameter types.
//!
//! Feature `postgres`: [`Param`] implements `postgres_types::ToSql`, for the `postgres` and
//! `tokio-postgres` crates. Every parameter is sent in PostgreSQL's text format (the text
//! [`Param::to_pg_text`] gives), so the server parses it with the input function of the
//! type the SQL casts it to (`$1::timestamptz`, `$2::text[]`, `$3::text::inet`): each type
//! arrives exactly as the SQL declares it, with no Rust type to pick per parameter.
//!
//! ```text
//! let rows = client.query(&out.sql, &out.pg_params())?;
//! ```
//! The README's Rust example (run against PostgreSQL by the test suite) shows it whole.

use bytes::BytesMut;
use postgres_types::{Format, IsNull, ToSql, Type, to_sql_checked};

use crate::{CompiledQuery, Param};

impl ToSql for Param {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        // A parameter is never SQL NULL (null tests are written as IS NULL in the SQL).
        out.extend_from_slice(self.to_pg_text().as_bytes());
        Ok(IsNull::No)
    }

    /// Any type: the value is text the server parses as the type the SQL casts it to.
    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

impl CompiledQuery {
    /// The parameters as the slice `postgres::Client::query` (and `tokio-postgres`) takes:
    /// `client.query(&out.sql, &out.pg_params())`. (For `query_raw`, pass `out.params.iter()`.)
    pub fn pg_params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p as &(dyn ToSql + Sync))
            .collect()
    }
}
