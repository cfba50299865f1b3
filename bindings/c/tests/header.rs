//! The committed header is what cbindgen generates from the crate now. `BLESS=1` rewrites
//! it (then review the diff: it is the C API).
#![allow(clippy::unwrap_used)]

use std::path::Path;

/// `FQB_VERSION*`: the version of the header, from the crate's version.
fn version_macros() -> String {
    format!(
        "#define FQB_VERSION \"{}\"\n#define FQB_VERSION_MAJOR {}\n#define FQB_VERSION_MINOR {}\n#define FQB_VERSION_PATCH {}\n",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    )
}

#[test]
fn header_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).unwrap();
    config.after_includes = Some(version_macros());
    let bindings = cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .unwrap();
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).unwrap();
    let path = dir.join("include/fraiseql_qb.h");
    if std::env::var("BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "{} is not current (first difference at line {}): run \
             `BLESS=1 cargo test -p fraiseql-qb-c --test header` and review the diff",
            path.display(),
            line + 1
        );
    }
}
