//! JSON text entry points (feature `json`).

use crate::Value;
use crate::error::{Error, ErrorKind};

/// Parses JSON text into a [`Value`], mapping parser failures to `QB_INVALID_JSON` (or
/// `QB_DEPTH_LIMIT` when the document nests deeper than the parser's 128 levels).
pub fn parse_value(text: &str) -> Result<Value, Error> {
    serde_json::from_str::<Value>(text).map_err(|e| {
        let msg = e.to_string();
        if msg.contains("recursion limit exceeded") {
            Error::new(
                ErrorKind::DepthLimit,
                "",
                format!("JSON nested too deeply: {msg}"),
            )
        } else {
            Error::new(ErrorKind::InvalidJson, "", format!("invalid JSON: {msg}"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_json_and_deep_json_have_codes() {
        assert_eq!(parse_value("{").expect_err("bad").code(), "QB_INVALID_JSON");
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(
            parse_value(&deep).expect_err("deep").code(),
            "QB_DEPTH_LIMIT"
        );
    }
}
