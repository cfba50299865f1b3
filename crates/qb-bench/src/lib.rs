//! Peer comparison for the shared workloads (tests/bench/workloads.json): the same SQL built
//! by `qb_core::compile` and by [sea-query](https://docs.rs/sea-query) (`PostgresQueryBuilder`).
//!
//! - [`Workloads::load`] reads the registry and the workloads as the core's bench does;
//! - [`sea`] builds each workload with sea-query's expression API (custom expressions only for
//!   what sea-query has no construct for);
//! - `tests/same_sql.rs` checks that both produce the same statement (PostgreSQL's own parser
//!   and deparser as the judge) and the same parameters;
//! - `benches/peers.rs` times both in one criterion run; `src/bin/core_ns.rs` prints the
//!   core's ns/op for the Python harness (bindings/python/bench).
//!
//! Differences that remain, by design (sea-query has no construct for them), are listed on
//! [`sea`].

use qb_core::{CompileOptions, Query, Schema, Value};

/// The workloads every harness runs (X, the scaling family, lives in qb-core's bench).
pub const NAMES: [&str; 4] = ["S", "M", "C", "W"];

/// Path of the repository root (two levels above this crate).
pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The registry and the parsed workloads, loaded once.
#[derive(Debug)]
pub struct Workloads {
    /// tests/golden/schema.json.
    pub schema: Schema,
    /// `(name, prebuilt AST)` in [`NAMES`] order.
    pub queries: Vec<(&'static str, Query)>,
}

impl Workloads {
    /// Reads tests/golden/schema.json and tests/bench/workloads.json. Queries go through
    /// `Value` so they keep the authored key order (as in qb-core's bench and the bindings).
    pub fn load() -> Self {
        let r = root();
        let read = |p: &str| {
            std::fs::read_to_string(r.join(p)).unwrap_or_else(|e| panic!("read {p}: {e}"))
        };
        let schema = Schema::from_json(&read("tests/golden/schema.json")).expect("valid schema");
        let all = qb_core::json::parse_value(&read("tests/bench/workloads.json"))
            .expect("valid workloads");
        let queries = NAMES
            .iter()
            .map(|&n| {
                let q: &Value = all
                    .get("workloads")
                    .and_then(|w| w.get(n))
                    .and_then(|w| w.get("query"))
                    .unwrap_or_else(|| panic!("workload {n}"));
                (n, Query::from_value(q).expect("workload converts"))
            })
            .collect();
        Workloads { schema, queries }
    }

    /// The prebuilt AST of workload `name`.
    pub fn query(&self, name: &str) -> &Query {
        &self
            .queries
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no workload {name}"))
            .1
    }

    /// `qb_core::compile` with default options (numbered `$n` placeholders).
    pub fn compile(&self, name: &str) -> qb_core::CompiledQuery {
        qb_core::compile(self.query(name), &self.schema, &CompileOptions::default())
            .expect("workload compiles")
    }
}

pub mod sea;
