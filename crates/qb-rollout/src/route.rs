//! Routing vocabulary and the sticky hash.

use crate::config::Percentage;

/// Which builder serves a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// The native compiler (`builder_type="rust"`).
    Native,
    /// The host's registered legacy builder (`builder_type="python"`).
    Legacy,
}

impl Route {
    /// `native` or `legacy` (the words used in logs and vectors).
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Native => "native",
            Route::Legacy => "legacy",
        }
    }

    /// The Prometheus `builder_type` label: `rust` or `python`.
    pub fn builder_type(self) -> &'static str {
        match self {
            Route::Native => "rust",
            Route::Legacy => "python",
        }
    }
}

/// Why [`crate::Rollout::decide`] chose a route. Checked in the order listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The native library is not available: always legacy.
    NativeUnavailable,
    /// No legacy builder is registered: always native.
    NoLegacy,
    /// `FRAISEQL_USE_PYTHON_QUERY_BUILDER` is true: always legacy.
    KillSwitch,
    /// Trip-back is open (cooling down): legacy.
    Tripped,
    /// `FRAISEQL_USE_RUST_QUERY_BUILDER` is true: native.
    Forced,
    /// Sticky routing chose by the key's bucket (native or legacy).
    StickyBucket,
    /// Per-call random sampling chose (native or legacy).
    PercentageSampled,
}

impl Reason {
    /// Every reason, in the order [`crate::Rollout::decide`] checks them.
    pub const ALL: [Reason; 7] = [
        Reason::NativeUnavailable,
        Reason::NoLegacy,
        Reason::KillSwitch,
        Reason::Tripped,
        Reason::Forced,
        Reason::StickyBucket,
        Reason::PercentageSampled,
    ];

    /// The reason for a stable name, the inverse of [`Reason::as_str`].
    pub fn from_name(name: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Stable snake_case name, e.g. `kill_switch`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NativeUnavailable => "native_unavailable",
            Reason::NoLegacy => "no_legacy_registered",
            Reason::KillSwitch => "kill_switch",
            Reason::Tripped => "tripped",
            Reason::Forced => "forced",
            Reason::StickyBucket => "sticky_bucket",
            Reason::PercentageSampled => "percentage_sampled",
        }
    }
}

/// The outcome of a routing decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decision {
    /// The builder that serves the call.
    pub route: Route,
    /// Why.
    pub reason: Reason,
    /// For a legacy-served call only: also run the native builder and compare (shadow mode).
    /// The legacy result is what the caller gets.
    pub shadow: bool,
    /// The sticky bucket (`0..10_000`) when the reason is [`Reason::StickyBucket`].
    pub bucket: Option<u32>,
    /// True when the native route is a trip-back probe (the shim is half-open).
    pub probe: bool,
}

/// Number of sticky buckets: one per basis point.
pub const STICKY_BUCKETS: u64 = 10_000;

/// FNV-1a, 64 bit, over `bytes`: offset basis `0xcbf29ce484222325`, prime
/// `0x100000001b3`; for each byte `h = (h ^ byte) * prime` (wrapping).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The sticky bucket of a key: `fnv1a64(utf8(key)) % 10_000`.
pub fn sticky_bucket(key: &str) -> u32 {
    // The remainder is below 10_000, so the conversion cannot fail.
    u32::try_from(fnv1a64(key.as_bytes()) % STICKY_BUCKETS).unwrap_or(0)
}

/// Sticky routing rule: native iff `bucket < percentage_bp`. Monotone in the percentage, so
/// raising it only moves keys from legacy to native.
pub fn sticky_route(key: &str, percentage: Percentage) -> Route {
    if sticky_bucket(key) < percentage.bp() {
        Route::Native
    } else {
        Route::Legacy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_reference_values() {
        // Published FNV-1a 64 test values.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn raising_percentage_only_moves_to_native() {
        for i in 0..2000 {
            let key = format!("tenant-{i}");
            let mut was_native = false;
            for bp in (0..=10_000).step_by(250) {
                let p = Percentage::from_bp(bp).unwrap_or_default();
                let native = sticky_route(&key, p) == Route::Native;
                assert!(!was_native || native, "{key} moved back at {bp}");
                was_native = native;
            }
            assert!(was_native, "100% must be native");
        }
    }
}
