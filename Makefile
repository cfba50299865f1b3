# One entry point for humans and CI. `make help` lists the targets.
export CARGO_TARGET_DIR ?= /var/tmp/fqb-target

.PHONY: help setup demo test test-rust test-long lint bench fuzz install sql-shapes

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

setup: ## install what demo and test need (Debian packages, the Python venv, Node packages); idempotent
	scripts/setup.sh

demo: setup ## compile the example queries, show SQL + params, then a rollout with metrics
	scripts/demo.sh

test: setup ## every test: Rust, golden corpus and bindings (C, Python, Node) on a real PostgreSQL 15
	scripts/test.sh

test-rust: setup ## Rust tests only (still starts PostgreSQL)
	FQB_SKIP_PYTHON=1 FQB_SKIP_NODE=1 FQB_SKIP_C=1 scripts/test.sh

test-long: ## the shape cache's property test at full size: a million queries, cached vs uncached (release, ~minutes)
	QB_CACHE_CASES=32000 cargo test --release -p qb-core --test cache -- --nocapture

PREFIX ?= /usr/local
install: ## the C library: PREFIX/lib/libfraiseql_qb.{a,so}, PREFIX/include/fraiseql_qb.h, fraiseql_qb.pc
	bindings/c/install.sh "$(PREFIX)"

lint: ## rustfmt check + clippy and rustdoc with warnings as errors
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked -p qb-core -p qb-rollout --all-features

FQB_VENV ?= /var/tmp/fqb-venv
export FQB_VENV

bench: ## benchmarks (< 10 min): core criterion --quick, qb-core vs sea-query, the Python table, GraphQL (Rust and Python)
	cargo bench -p qb-core --bench compile -- --quick
	cargo bench -p qb-bench --bench peers -- --quick
	cargo build --release -p qb-bench --bin qb-bench-ns
	bindings/python/install.sh
	$(FQB_VENV)/bin/python -c 'import sqlalchemy, pypika' 2>/dev/null \
		|| $(FQB_VENV)/bin/pip install -q --disable-pip-version-check 'sqlalchemy>=2' pypika
	$(FQB_VENV)/bin/python bindings/python/bench/bench.py --core-bin $(CARGO_TARGET_DIR)/release/qb-bench-ns
	cargo bench -p qb-graphql --bench compile -- --quick
	$(FQB_VENV)/bin/python bindings/python/bench/graphql_bench.py --samples 100

sql-shapes: setup ## EXPLAIN ANALYZE of the relation SQL shapes on the scaled fixture (docs/sql-shapes.md; ~2 min)
	scripts/sql-shapes.sh

FUZZ_SECONDS ?= 180
FUZZ_TARGET_DIR ?= /var/tmp/fqb-fuzz-target
fuzz: ## run each cargo-fuzz target for FUZZ_SECONDS (no sanitizer, stable Rust; docs/reliability.md)
	cd fuzz && for t in query_json schema_json structured c_api graphql_document; do \
		mkdir -p corpus/$$t; \
		seeds=""; [ -d seeds/$$t ] && seeds=seeds/$$t; \
		CARGO_TARGET_DIR=$(FUZZ_TARGET_DIR) cargo fuzz run -s none -O $$t corpus/$$t $$seeds -- \
			-dict=fuzz.dict -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 || exit 1; \
	done
