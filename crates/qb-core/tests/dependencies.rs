//! The dependency rule: qb-core stays pure Rust with no FFI, no host runtime and no libc,
//! directly or transitively (its normal dependencies, all features).

#[test]
fn qb_core_has_no_ffi_or_host_dependencies() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "qb-core",
            "-e",
            "normal",
            "--all-features",
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
    let names: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        names.contains(&"qb-core"),
        "unexpected cargo tree output: {tree}"
    );
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
            !names.contains(&banned),
            "qb-core depends on `{banned}`:\n{tree}"
        );
    }
}
