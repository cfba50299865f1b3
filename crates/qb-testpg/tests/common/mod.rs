//! What the property tests of this crate share (a module of each test binary, not a test;
//! each binary uses a part of it).
#![allow(dead_code)]

use proptest::test_runner::Config;

/// A proptest configuration running `cases` cases, or `PROPTEST_CASES` when it is set (the
/// long runs of docs/reliability.md), with no failure persistence files written.
pub fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// SQL's three-valued AND (`None` is UNKNOWN), for the reference evaluators.
pub fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// SQL's three-valued OR (`None` is UNKNOWN), for the reference evaluators.
pub fn or3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// The filter generator must not degenerate into filters that keep all rows or none: at
/// least a quarter of the `checked` filters kept some rows and dropped others.
pub fn assert_discriminating((checked, discriminating): (u32, u32)) {
    eprintln!("{discriminating} of {checked} filters kept some rows and dropped others");
    assert!(
        discriminating * 4 >= checked,
        "only {discriminating} of {checked} filters discriminate"
    );
}
