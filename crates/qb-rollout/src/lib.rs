//! qb-rollout: the host-agnostic rollout engine shared by the Python, Node and C shims.
//!
//! A shim owns one [`Rollout`]. Per call it asks [`Rollout::decide`] which builder serves,
//! runs that builder itself (the legacy builder lives in the host language), and reports the
//! outcome with the `record_*` methods. Configuration parsing, the routing decision, exact
//! metrics, trip-back and the Prometheus text live here so every binding behaves the same.
//! The contract is docs/rollout.md; tests/rollout/vectors.json pins it.
//!
//! ```
//! use std::time::Duration;
//! use qb_rollout::{Config, Rollout, Route};
//!
//! let (config, warnings) = Config::from_env([("FRAISEQL_USE_RUST_QUERY_BUILDER", "yes")]);
//! assert!(warnings.is_empty());
//! let shim = Rollout::new(config);
//! let d = shim.decide(None);
//! assert_eq!(d.route, Route::Native);
//! shim.record_native_ok(Duration::from_micros(12));
//! assert_eq!(shim.snapshot().rust_calls, 1);
//! ```
#![forbid(unsafe_code)]

mod config;
mod metrics;
mod placeholder;
mod route;
mod rows;
mod trip;

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

pub use config::{
    Config, ConfigOverrides, ConfigWarning, ENV_FALLBACK, ENV_KILL_SWITCH, ENV_LOG_MODE,
    ENV_PERCENTAGE, ENV_SHADOW_PERCENTAGE, ENV_STICKY, ENV_TRIP_BACK, ENV_USE_NATIVE, ENV_VARS,
    Expected, Malformed, Percentage, ShadowConfig, TripConfig, parse_bool,
};
pub use metrics::{
    DURATION_BUCKET_LABELS, DURATION_BUCKETS_NS, FAMILIES, Family, FamilyId, FamilyKind,
    FamilyValue, Histogram, MetricValue, MetricsSnapshot, PrometheusValues, SEED_KEYS, TripState,
};
pub use placeholder::{
    PlaceholderCheck, PlaceholderMismatch, PlaceholderScan, PlaceholderStyle, check_placeholders,
    scan_placeholders,
};
pub use route::{Decision, Reason, Route, STICKY_BUCKETS, fnv1a64, sticky_bucket, sticky_route};
pub use rows::{RowDifference, RowOrder, compare_rows};
pub use trip::{Clock, ManualClock, MonotonicClock};

use metrics::{Counters, duration_ns};
use trip::{Transition, TripMachine};

/// Process-wide aggregate of every shim's counters.
static GLOBAL: Counters = Counters::new();

/// Source of uniform samples in `0..10_000` for per-call percentage routing.
pub trait Sampler: Send + Sync + fmt::Debug {
    /// A uniformly distributed value in `0..10_000`.
    fn sample(&self) -> u32;
}

/// The default sampler: `fastrand`'s thread-local generator (no lock, no syscalls).
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomSampler;

impl Sampler for RandomSampler {
    fn sample(&self) -> u32 {
        fastrand::u32(0..10_000)
    }
}

/// A reproducible sampler from a seed, for tests.
#[derive(Debug)]
pub struct SeededSampler(Mutex<fastrand::Rng>);

impl SeededSampler {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SeededSampler(Mutex::new(fastrand::Rng::with_seed(seed)))
    }
}

impl Sampler for SeededSampler {
    fn sample(&self) -> u32 {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .u32(0..10_000)
    }
}

/// A sampler that always returns 0 and counts how often it was asked: conformance vectors
/// (tests/rollout/vectors.json) assert that deterministic decisions draw no randomness, in
/// every binding.
#[derive(Debug, Default)]
pub struct CountingSampler(AtomicU64);

impl CountingSampler {
    /// How many samples were drawn so far.
    pub fn drawn(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl Sampler for CountingSampler {
    fn sample(&self) -> u32 {
        self.0.fetch_add(1, Ordering::SeqCst);
        0
    }
}

/// The result of one shadow comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShadowResult {
    /// Native and legacy agreed.
    Match,
    /// They differed (counted as a mismatch, input kept).
    Mismatch,
    /// The native builder failed in the shadow run (counted as a mismatch and an error).
    NativeError,
    /// The comparator itself failed (counted as an error only).
    ComparatorError,
}

impl ShadowResult {
    /// `match`, `mismatch`, `native_error` or `comparator_error`.
    pub fn as_str(self) -> &'static str {
        match self {
            ShadowResult::Match => "match",
            ShadowResult::Mismatch => "mismatch",
            ShadowResult::NativeError => "native_error",
            ShadowResult::ComparatorError => "comparator_error",
        }
    }

    fn is_mismatch(self) -> bool {
        matches!(self, ShadowResult::Mismatch | ShadowResult::NativeError)
    }

    fn is_error(self) -> bool {
        matches!(
            self,
            ShadowResult::NativeError | ShadowResult::ComparatorError
        )
    }
}

/// Maximum bytes kept of a mismatch's input description (cut at a char boundary).
pub const SHADOW_INPUT_MAX_BYTES: usize = 4096;

/// A kept mismatching shadow input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShadowMismatch {
    /// 1-based sequence number of the shadow run in this shim.
    pub seq: u64,
    /// [`ShadowResult::Mismatch`] or [`ShadowResult::NativeError`].
    pub result: ShadowResult,
    /// The view the call was for.
    pub view: String,
    /// The host's description of the input (and of the difference), truncated.
    pub input: String,
}

/// One rollout shim: configuration, routing, exact metrics, trip-back, shadow store.
/// All methods take `&self` and are safe to call from many threads.
pub struct Rollout {
    config: RwLock<Arc<Config>>,
    legacy_registered: AtomicBool,
    counters: Counters,
    trip: Mutex<TripMachine>,
    /// Cached [`TripState::gauge`] so the closed fast path takes no lock.
    trip_state: AtomicU8,
    shadow_seq: AtomicU64,
    shadow_kept: Mutex<VecDeque<ShadowMismatch>>,
    sampler: Arc<dyn Sampler>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Rollout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rollout")
            .field("config", &self.config())
            .field("legacy_registered", &self.legacy_registered())
            .field("native_available", &self.native_available())
            .finish_non_exhaustive()
    }
}

impl Default for Rollout {
    fn default() -> Self {
        Rollout::new(Config::default())
    }
}

impl Rollout {
    /// A shim with `config`, a legacy builder registered, the native builder available,
    /// [`RandomSampler`] and [`MonotonicClock`].
    pub fn new(config: Config) -> Self {
        Rollout {
            config: RwLock::new(Arc::new(config)),
            legacy_registered: AtomicBool::new(true),
            counters: Counters::new(),
            trip: Mutex::new(TripMachine::default()),
            trip_state: AtomicU8::new(0),
            shadow_seq: AtomicU64::new(0),
            shadow_kept: Mutex::new(VecDeque::new()),
            sampler: Arc::new(RandomSampler),
            clock: Arc::new(MonotonicClock),
        }
    }

    /// Replace the sampler (tests, or a host-provided generator).
    pub fn with_sampler(mut self, sampler: Arc<dyn Sampler>) -> Self {
        self.sampler = sampler;
        self
    }

    /// Replace the clock used by trip-back.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The configuration currently applied (inspectable at any time).
    pub fn config(&self) -> Arc<Config> {
        Arc::clone(&self.config.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Apply a new configuration at runtime (reload). Counters are kept. Disabling
    /// trip-back closes the breaker; shadow inputs beyond the new `keep_last` are dropped.
    pub fn apply(&self, config: Config) {
        let trip_enabled = config.trip.enabled;
        let keep = config.shadow.keep_last;
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(config);
        if !trip_enabled {
            let mut m = self.trip.lock().unwrap_or_else(PoisonError::into_inner);
            if m.reset() {
                GLOBAL.add_trip_gauge(-1);
            }
            self.trip_state.store(0, Relaxed);
        }
        let mut kept = self
            .shadow_kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while kept.len() > keep {
            kept.pop_front();
        }
    }

    /// Whether the host registered a legacy builder. Without one every call is native.
    pub fn set_legacy_registered(&self, registered: bool) {
        self.legacy_registered.store(registered, Relaxed);
    }

    /// See [`Rollout::set_legacy_registered`].
    pub fn legacy_registered(&self) -> bool {
        self.legacy_registered.load(Relaxed)
    }

    /// Whether the native compiler is usable. When not, every call is legacy, and
    /// `fraiseql_rust_query_builder_available` is 0 (also process-wide: last value set).
    pub fn set_native_available(&self, available: bool) {
        self.counters.set_available(available);
        GLOBAL.set_available(available);
    }

    /// See [`Rollout::set_native_available`].
    pub fn native_available(&self) -> bool {
        self.counters.available()
    }

    /// The trip-back state now (an elapsed cool-down reads as half-open).
    pub fn trip_state(&self) -> TripState {
        let cached = TripState::from_gauge(self.trip_state.load(Relaxed));
        if cached != TripState::Open {
            return cached;
        }
        let cfg = self.config();
        let mut m = self.trip.lock().unwrap_or_else(PoisonError::into_inner);
        m.tick(self.clock.now_ms(), &cfg.trip);
        self.trip_state.store(m.state().gauge(), Relaxed);
        m.state()
    }

    /// Decide which builder serves a call. `key` is the sticky key (tenant, user, request
    /// id, or the query's shape hash); it is only used when sticky routing is on.
    ///
    /// Order: native unavailable -> legacy; no legacy registered -> native; kill switch ->
    /// legacy; breaker open -> legacy; `use_native` -> native; sticky with a key -> bucket;
    /// otherwise random sampling at `percentage`. Shadow is only ever set on the last two
    /// when they choose legacy.
    pub fn decide(&self, key: Option<&str>) -> Decision {
        let cfg = self.config();
        let plain = |route, reason| Decision {
            route,
            reason,
            shadow: false,
            bucket: None,
            probe: false,
        };
        if !self.native_available() {
            return plain(Route::Legacy, Reason::NativeUnavailable);
        }
        if !self.legacy_registered() {
            return plain(Route::Native, Reason::NoLegacy);
        }
        if cfg.kill_switch {
            return plain(Route::Legacy, Reason::KillSwitch);
        }
        let trip = if cfg.trip.enabled {
            self.trip_state()
        } else {
            TripState::Closed
        };
        if trip == TripState::Open {
            return plain(Route::Legacy, Reason::Tripped);
        }
        let probe = trip == TripState::HalfOpen;
        if cfg.use_native {
            return Decision {
                probe,
                ..plain(Route::Native, Reason::Forced)
            };
        }
        let bp = cfg.percentage.bp();
        let mut d = match key {
            Some(k) if cfg.sticky => {
                let bucket = sticky_bucket(k);
                let route = if bucket < bp {
                    Route::Native
                } else {
                    Route::Legacy
                };
                Decision {
                    bucket: Some(bucket),
                    ..plain(route, Reason::StickyBucket)
                }
            }
            _ => {
                let native = bp >= 10_000 || (bp > 0 && self.sampler.sample() < bp);
                let route = if native { Route::Native } else { Route::Legacy };
                plain(route, Reason::PercentageSampled)
            }
        };
        if d.route == Route::Native {
            d.probe = probe;
        } else {
            let sbp = cfg.shadow.percentage.bp();
            d.shadow = sbp >= 10_000 || (sbp > 0 && self.sampler.sample() < sbp);
        }
        d
    }

    fn trip_feed(&self, ok: bool) {
        let cfg = self.config();
        if !cfg.trip.enabled {
            return;
        }
        let mut m = self.trip.lock().unwrap_or_else(PoisonError::into_inner);
        match m.on_native(ok, self.clock.now_ms(), &cfg.trip) {
            Transition::None => {}
            Transition::Tripped { from_closed } => {
                self.counters.trip();
                GLOBAL.trip();
                if from_closed {
                    GLOBAL.add_trip_gauge(1);
                }
            }
            Transition::Closed => GLOBAL.add_trip_gauge(-1),
        }
        self.trip_state.store(m.state().gauge(), Relaxed);
    }

    /// The native builder served the call; `duration` is the time spent in it.
    pub fn record_native_ok(&self, duration: Duration) {
        let ns = duration_ns(duration);
        self.counters.native_ok(ns);
        GLOBAL.native_ok(ns);
        self.trip_feed(true);
    }

    /// The native builder failed after `duration`. `fell_back` is true when the shim then
    /// serves the call with the legacy builder (and reports that with `record_legacy_*`),
    /// false when it raises the native error.
    pub fn record_native_err(&self, duration: Duration, fell_back: bool) {
        let ns = duration_ns(duration);
        self.counters.native_err(ns, fell_back);
        GLOBAL.native_err(ns, fell_back);
        self.trip_feed(false);
    }

    /// The legacy builder returned a result (routed legacy or fallback).
    pub fn record_legacy_ok(&self, duration: Duration) {
        let ns = duration_ns(duration);
        self.counters.legacy(ns, true);
        GLOBAL.legacy(ns, true);
    }

    /// The legacy builder raised; the shim re-raises that error unchanged.
    pub fn record_legacy_err(&self, duration: Duration) {
        let ns = duration_ns(duration);
        self.counters.legacy(ns, false);
        GLOBAL.legacy(ns, false);
    }

    /// Report a shadow comparison (the call itself was served by legacy and recorded with
    /// `record_legacy_*`; the shadow native run is not counted in `rust_calls`). `input`
    /// describes the call for later inspection; it is kept only for mismatches.
    pub fn record_shadow(&self, result: ShadowResult, view: &str, input: &str) {
        let seq = self.shadow_seq.fetch_add(1, Relaxed).wrapping_add(1);
        self.counters
            .shadow(result.is_mismatch(), result.is_error());
        GLOBAL.shadow(result.is_mismatch(), result.is_error());
        if !result.is_mismatch() {
            return;
        }
        let keep = self.config().shadow.keep_last;
        if keep == 0 {
            return;
        }
        let mut kept = self
            .shadow_kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        kept.push_back(ShadowMismatch {
            seq,
            result,
            view: view.to_owned(),
            input: truncate(input, SHADOW_INPUT_MAX_BYTES).to_owned(),
        });
        while kept.len() > keep {
            kept.pop_front();
        }
    }

    /// The last `keep_last` mismatching shadow inputs, oldest first.
    pub fn shadow_mismatches(&self) -> Vec<ShadowMismatch> {
        self.shadow_kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// Zero this shim's counters and kept mismatches (the process-wide aggregate keeps
    /// counting; the breaker state is unchanged).
    pub fn reset_metrics(&self) {
        self.counters.reset();
        self.shadow_kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Raw numbers for host-built Prometheus collectors.
    pub fn prometheus_values(&self) -> PrometheusValues {
        self.counters.values(self.trip_state())
    }

    /// The metrics dict of this shim.
    pub fn snapshot(&self) -> MetricsSnapshot {
        self.prometheus_values().snapshot()
    }

    /// Prometheus text (format 0.0.4) for this shim.
    pub fn render_prometheus(&self) -> String {
        self.prometheus_values().render()
    }
}

impl Drop for Rollout {
    fn drop(&mut self) {
        let m = self.trip.get_mut().unwrap_or_else(PoisonError::into_inner);
        if m.state() != TripState::Closed {
            GLOBAL.add_trip_gauge(-1);
        }
    }
}

/// Process-wide raw numbers: the sum over every shim ever created in the process.
/// `trip_state` is `open` while any live shim's breaker is not closed.
pub fn global_prometheus_values() -> PrometheusValues {
    let state = if GLOBAL.trip_gauge() > 0 {
        TripState::Open
    } else {
        TripState::Closed
    };
    GLOBAL.values(state)
}

/// Process-wide metrics dict.
pub fn global_snapshot() -> MetricsSnapshot {
    global_prometheus_values().snapshot()
}

/// Process-wide Prometheus text.
pub fn global_render_prometheus() -> String {
    global_prometheus_values().render()
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// The debug line a shim logs (when `log_mode` is on) after a call: which builder served
/// which view and why. Identical words in every binding, e.g.
/// `fraiseql query builder: view "users" served by rust (reason=percentage_sampled)`.
pub fn served_log_line(view: &str, served_by: Route, reason: Reason) -> String {
    format!(
        "fraiseql query builder: view {} served by {} (reason={})",
        config::quote(view),
        served_by.builder_type(),
        reason.as_str()
    )
}

/// The line a shim logs when the native builder failed and legacy served the call:
/// `fraiseql query builder: view "users" native build failed, served by python (fallback): <error>`.
pub fn fallback_log_line(view: &str, native_error: &str) -> String {
    format!(
        "fraiseql query builder: view {} native build failed, served by python (fallback): {}",
        config::quote(view),
        native_error
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("abc", 10), "abc");
    }

    #[test]
    fn log_lines() {
        assert_eq!(
            served_log_line("v_user", Route::Legacy, Reason::KillSwitch),
            "fraiseql query builder: view \"v_user\" served by python (reason=kill_switch)"
        );
        assert_eq!(
            fallback_log_line("v", "QB_UNKNOWN_FIELD"),
            "fraiseql query builder: view \"v\" native build failed, served by python \
             (fallback): QB_UNKNOWN_FIELD"
        );
    }
}
