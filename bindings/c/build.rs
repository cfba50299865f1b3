//! Sets the shared library's SONAME (Linux): `libfraiseql_qb.so.0.MINOR` while the version
//! is 0.x, `libfraiseql_qb.so.MAJOR` from 1.0, as cargo-c names them: a release that
//! breaks the ABI changes the SONAME, so programs linked against the old one do not load
//! the new one. Nothing is generated here (the header is tests/header.rs's job).

fn main() {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux" {
        return;
    }
    let (major, minor) = (
        var("CARGO_PKG_VERSION_MAJOR"),
        var("CARGO_PKG_VERSION_MINOR"),
    );
    let soname = if major == "0" {
        format!("libfraiseql_qb.so.0.{minor}")
    } else {
        format!("libfraiseql_qb.so.{major}")
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    println!("cargo:rerun-if-changed=build.rs");
}
