//! The whole golden corpus through one shape cache: every case (relations, embedded lists,
//! aggregates over rows, keyset pages, errors) compiles through the cache to exactly what an
//! uncached compile gives, SQL, parameters or error, the first time (a miss) and the second
//! (a hit, bound from the plan without recompiling whenever the case compiles), with every
//! other case's shape in the same cache; and from each case's document through document keys
//! (`ShapeCache::compile_source`), parse errors included. No database needed: the golden test
//! runs the SQL.

use qb_core::{CompileOptions, Query, Schema, ShapeCache};
use qb_testpg::golden;

/// A document read as a host holding no `Value`s reads it (`Source::as_value` is `None`),
/// sharing its nodes (`Source::share`) or not.
struct Host<'v> {
    doc: &'v qb_core::Value,
    share: bool,
}

impl qb_core::ast::Source for Host<'_> {
    fn kind(&self, at: &qb_core::Path<'_>) -> Result<qb_core::ast::Kind, qb_core::Error> {
        self.doc.kind(at)
    }
    fn str(&self, at: &qb_core::Path<'_>) -> Result<std::borrow::Cow<'_, str>, qb_core::Error> {
        qb_core::ast::Source::str(&self.doc, at)
    }
    fn len(&self) -> usize {
        qb_core::ast::Source::len(&self.doc)
    }
    fn entries<F>(self, at: &qb_core::Path<'_>, mut f: F) -> Result<(), qb_core::Error>
    where
        F: FnMut(&str, Self) -> Result<(), qb_core::Error>,
    {
        let share = self.share;
        self.doc.entries(at, |k, doc| f(k, Host { doc, share }))
    }
    fn items<F>(self, at: &qb_core::Path<'_>, mut f: F) -> Result<(), qb_core::Error>
    where
        F: FnMut(usize, Self) -> Result<(), qb_core::Error>,
    {
        let share = self.share;
        self.doc.items(at, |i, doc| f(i, Host { doc, share }))
    }
    fn into_value(self, at: &qb_core::Path<'_>) -> Result<qb_core::Value, qb_core::Error> {
        self.doc.into_value(at)
    }
    fn share(&self) -> Option<Self> {
        self.share.then_some(Host {
            doc: self.doc,
            share: true,
        })
    }
}

#[test]
fn every_golden_case_compiles_the_same_through_one_cache() {
    let cases = golden::load_cases();
    let shared = golden::fixture_schema();
    let cache = ShapeCache::new(8192);
    let docs = ShapeCache::new(8192);
    let mut failures = Vec::new();
    let mut compiled = 0;
    let mut paged_hits = 0;
    let mut in_place = 0;
    for round in 0..2 {
        for case in &cases {
            let inline = case
                .spec
                .get("schema")
                .map(|s| Schema::from_json(&s.to_string()));
            let schema = match &inline {
                Some(Ok(s)) => s,
                Some(Err(_)) => continue,
                None => &shared,
            };
            let options = CompileOptions::default().with_placeholder(case.placeholder());
            // From the case's document through document keys (`compile_source`), parse
            // errors included: what parsing it and compiling it uncached give.
            let doc = case.query_value();
            let want = Query::from_value_with_limits(doc, &options.limits)
                .and_then(|q| qb_core::compile(&q, schema, &options));
            // As `&Value` (its operands bound as they are), and as a host holding no `Value`s
            // reads it, sharing its nodes (operands read in place) or not (converted first).
            for how in ["value", "shared host", "host"] {
                let got = match how {
                    "value" => docs.compile_source(|| doc, schema, &options),
                    _ => {
                        let share = how == "shared host";
                        docs.compile_source(|| Host { doc, share }, schema, &options)
                    }
                };
                let same = match (&want, &got) {
                    (Ok(a), Ok(b)) => a == b,
                    (Err(a), Err(b)) => golden::error_json(a) == golden::error_json(b),
                    _ => false,
                };
                if !same {
                    failures.push(format!(
                        "[{}] round {round}, {how}: uncached {want:?}, from the document {got:?}",
                        case.name
                    ));
                }
            }
            let Ok(query) = Query::from_value(doc) else {
                continue;
            };
            let plain = qb_core::compile(&query, schema, &options);
            let before = cache.stats();
            let cached = cache.compile(&query, schema, &options);
            let after = cache.stats();
            // The second time, a query that compiles is bound from its plan: a hit, not
            // recompiled (keyset pages included, their page sizes and cursors bound).
            let bound = after.hits == before.hits + 1 && after.recompiles == before.recompiles;
            if round == 1 && plain.is_ok() {
                if bound {
                    paged_hits += u32::from(query.first.is_some() || query.last.is_some());
                } else {
                    failures.push(format!(
                        "[{}] compiles, but is not bound from the cache",
                        case.name
                    ));
                }
            }
            let same = match (&plain, &cached) {
                (Ok(a), Ok(b)) => a == b,
                (Err(a), Err(b)) => golden::error_json(a) == golden::error_json(b),
                _ => false,
            };
            if !same {
                failures.push(format!(
                    "[{}] round {round}: uncached {plain:?}, cached {cached:?}",
                    case.name
                ));
            }
            compiled += 1;
            if round == 0 && plain.is_ok() {
                in_place += u32::from(binds_in_place(
                    &case.name,
                    &query,
                    schema,
                    &options,
                    &mut failures,
                ));
            }
        }
    }
    let stats = cache.stats();
    assert!(
        failures.is_empty(),
        "{} cases differ through the cache:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(compiled > 1500, "only {compiled} compiles");
    assert!(in_place > 400, "only {in_place} cases bound in place");
    assert!(stats.hits > 500, "the second round must hit: {stats:?}");
    assert!(
        paged_hits > 30,
        "only {paged_hits} keyset pages bound from the cache"
    );
    eprintln!(
        "{compiled} compiles through the cache ({paged_hits} keyset pages bound, \
         {in_place} bound in place): {stats:?}"
    );
    // The second round reads most documents from their document key.
    let d = docs.stats();
    assert!(d.document_hits > 500, "{d:?}");
    eprintln!("from the documents: {d:?}");
}

/// A case that compiles, prepared and bound from its operand values read in place
/// (`Prepared::bind_sources_params`): when that path binds, the parameters are exactly
/// `bind_values_params`' (and so the compile's). Whether it bound.
fn binds_in_place(
    name: &str,
    query: &Query,
    schema: &Schema,
    options: &CompileOptions,
    failures: &mut Vec<String>,
) -> bool {
    let Ok(p) = schema.prepare(query, options) else {
        return false;
    };
    let Ok(values) = p.operand_values(query, schema) else {
        return false;
    };
    let Some(params) = p.bind_sources_params(values.len(), |i| values.get(i), schema) else {
        return false;
    };
    if Ok(&params) != p.bind_values_params(&values, schema).as_ref() {
        failures.push(format!("[{name}] bound in place: {params:?}"));
    }
    true
}
