//! Target (a): arbitrary bytes as query JSON, compiled against the fixture registry.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match qb_core::json::parse_value(text) {
        Ok(value) => {
            qb_fuzz::value_and_check(&value, qb_fuzz::fixture_schema());
        }
        Err(e) => assert!(e.code().starts_with("QB_")),
    }
});
