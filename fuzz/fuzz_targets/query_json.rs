//! Target (a): arbitrary bytes as query JSON, compiled against the fixture registry.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(value) = qb_fuzz::check_json_reader(text) {
        qb_fuzz::value_and_check(&value, qb_fuzz::fixture_schema());
    }
});
