//! The dependency rule: qb-core stays pure Rust with no FFI, no host runtime and no libc,
//! directly or transitively (its normal dependencies, with its own features). The one
//! exception is the opt-in driver glue (feature `postgres`): it adds `postgres-types`, a
//! type-conversion crate without I/O whose protocol crate links libc for its randomness;
//! even then no driver, runtime or host binding comes in.

/// The crate names in qb-core's normal dependency tree with `features`.
fn dependency_names(features: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "qb-core",
            "-e",
            "normal",
            "--no-default-features",
            "--features",
            features,
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    let names: Vec<String> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    assert!(
        names.iter().any(|n| n == "qb-core"),
        "unexpected cargo tree output: {tree}"
    );
    names
}

#[test]
fn qb_core_has_no_ffi_or_host_dependencies() {
    let names = dependency_names("json,serde");
    for banned in [
        "pyo3",
        "napi",
        "napi-derive",
        "libc",
        "cbindgen",
        "getrandom",
        "postgres",
        "tokio",
    ] {
        assert!(
            !names.iter().any(|n| n == banned),
            "qb-core depends on `{banned}`: {names:?}"
        );
    }
}

#[test]
fn the_driver_glue_brings_no_driver_or_runtime() {
    let names = dependency_names("json,serde,postgres");
    assert!(names.iter().any(|n| n == "postgres-types"), "{names:?}");
    for banned in [
        "pyo3",
        "napi",
        "napi-derive",
        "cbindgen",
        "postgres",
        "tokio-postgres",
        "tokio",
    ] {
        assert!(
            !names.iter().any(|n| n == banned),
            "qb-core with `postgres` depends on `{banned}`: {names:?}"
        );
    }
}
