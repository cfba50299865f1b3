//! What the property tests of this crate share (a module of each test binary, not a test).

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
