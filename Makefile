# One entry point for humans and CI. `make help` lists the targets.
export CARGO_TARGET_DIR ?= /var/tmp/fqb-target

.PHONY: help demo test test-rust lint bench fuzz

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

demo: ## compile the example queries, show SQL + params, then a rollout with metrics
	scripts/demo.sh

test: ## every test: Rust, golden corpus and bindings on a real PostgreSQL 15
	scripts/test.sh

test-rust: ## Rust tests only (still starts PostgreSQL)
	FQB_SKIP_PYTHON=1 scripts/test.sh

lint: ## rustfmt check + clippy with warnings as errors
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
