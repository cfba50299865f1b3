//! Exact, lock-free counters; the seed's metrics dict; Prometheus text exposition.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::route::Route;

/// Upper bounds (`le`) of the duration histogram in nanoseconds: 1 µs to 100 ms.
pub const DURATION_BUCKETS_NS: [u64; 15] = [
    1_000,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
];

/// The `le` label text of each bucket in [`DURATION_BUCKETS_NS`] (seconds, plain decimal).
pub const DURATION_BUCKET_LABELS: [&str; 15] = [
    "0.000001", "0.000005", "0.00001", "0.000025", "0.00005", "0.0001", "0.00025", "0.0005",
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
];

/// The seed's dict keys, in order. [`MetricsSnapshot::pairs`] yields them first.
pub const SEED_KEYS: [&str; 9] = [
    "rust_calls",
    "python_calls",
    "rust_errors",
    "rust_fallbacks",
    "total_calls",
    "rust_percentage",
    "rust_error_rate",
    "avg_rust_time_ms",
    "avg_python_time_ms",
];

/// State of the automatic trip-back breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TripState {
    /// Normal routing.
    #[default]
    Closed,
    /// Tripped: everything legacy until the cool-down ends.
    Open,
    /// Cool-down over: normal routing, native attempts are probes.
    HalfOpen,
}

impl TripState {
    /// `closed`, `open` or `half_open`.
    pub fn as_str(self) -> &'static str {
        match self {
            TripState::Closed => "closed",
            TripState::Open => "open",
            TripState::HalfOpen => "half_open",
        }
    }

    /// Gauge value: 0 closed, 1 open, 2 half-open.
    pub fn gauge(self) -> u8 {
        match self {
            TripState::Closed => 0,
            TripState::Open => 1,
            TripState::HalfOpen => 2,
        }
    }

    pub(crate) fn from_gauge(v: u8) -> TripState {
        match v {
            1 => TripState::Open,
            2 => TripState::HalfOpen,
            _ => TripState::Closed,
        }
    }
}

pub(crate) fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[derive(Debug)]
struct AtomicHistogram {
    /// Non-cumulative counts; index 15 is the `+Inf` overflow.
    buckets: [AtomicU64; 16],
    sum_ns: AtomicU64,
}

impl AtomicHistogram {
    const fn new() -> Self {
        AtomicHistogram {
            buckets: [const { AtomicU64::new(0) }; 16],
            sum_ns: AtomicU64::new(0),
        }
    }

    fn observe(&self, ns: u64) {
        let i = DURATION_BUCKETS_NS
            .iter()
            .position(|le| ns <= *le)
            .unwrap_or(DURATION_BUCKETS_NS.len());
        if let Some(b) = self.buckets.get(i) {
            b.fetch_add(1, Relaxed);
        }
        self.sum_ns.fetch_add(ns, Relaxed);
    }

    fn read(&self) -> Histogram {
        let mut cumulative = [0u64; 15];
        let mut acc = 0u64;
        for (i, c) in cumulative.iter_mut().enumerate() {
            acc = acc.wrapping_add(self.buckets[i].load(Relaxed));
            *c = acc;
        }
        let count = acc.wrapping_add(self.buckets[15].load(Relaxed));
        Histogram {
            cumulative,
            count,
            sum_ns: self.sum_ns.load(Relaxed),
        }
    }

    fn reset(&self) {
        for b in &self.buckets {
            b.store(0, Relaxed);
        }
        self.sum_ns.store(0, Relaxed);
    }
}

/// The raw counters of one shim, or of the whole process.
#[derive(Debug)]
pub(crate) struct Counters {
    native_ok: AtomicU64,
    native_err: AtomicU64,
    fallbacks: AtomicU64,
    legacy_ok: AtomicU64,
    legacy_err: AtomicU64,
    shadow_runs: AtomicU64,
    shadow_mismatches: AtomicU64,
    shadow_errors: AtomicU64,
    trips: AtomicU64,
    native_hist: AtomicHistogram,
    legacy_hist: AtomicHistogram,
    /// 0 legacy, 1 native: builder that served the last call.
    mode: AtomicU8,
    available: AtomicBool,
    /// Per shim: the trip gauge. Process-wide: number of shims not closed.
    trip_gauge: AtomicU64,
}

impl Counters {
    pub(crate) const fn new() -> Self {
        Counters {
            native_ok: AtomicU64::new(0),
            native_err: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
            legacy_ok: AtomicU64::new(0),
            legacy_err: AtomicU64::new(0),
            shadow_runs: AtomicU64::new(0),
            shadow_mismatches: AtomicU64::new(0),
            shadow_errors: AtomicU64::new(0),
            trips: AtomicU64::new(0),
            native_hist: AtomicHistogram::new(),
            legacy_hist: AtomicHistogram::new(),
            mode: AtomicU8::new(0),
            available: AtomicBool::new(true),
            trip_gauge: AtomicU64::new(0),
        }
    }

    pub(crate) fn native_ok(&self, ns: u64) {
        self.native_ok.fetch_add(1, Relaxed);
        self.native_hist.observe(ns);
        self.mode.store(1, Relaxed);
    }

    pub(crate) fn native_err(&self, ns: u64, fell_back: bool) {
        self.native_err.fetch_add(1, Relaxed);
        if fell_back {
            self.fallbacks.fetch_add(1, Relaxed);
        }
        self.native_hist.observe(ns);
    }

    pub(crate) fn legacy(&self, ns: u64, ok: bool) {
        if ok {
            self.legacy_ok.fetch_add(1, Relaxed);
            self.mode.store(0, Relaxed);
        } else {
            self.legacy_err.fetch_add(1, Relaxed);
        }
        self.legacy_hist.observe(ns);
    }

    pub(crate) fn shadow(&self, mismatch: bool, error: bool) {
        self.shadow_runs.fetch_add(1, Relaxed);
        if mismatch {
            self.shadow_mismatches.fetch_add(1, Relaxed);
        }
        if error {
            self.shadow_errors.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn trip(&self) {
        self.trips.fetch_add(1, Relaxed);
    }

    pub(crate) fn available(&self) -> bool {
        self.available.load(Relaxed)
    }

    pub(crate) fn set_available(&self, v: bool) {
        self.available.store(v, Relaxed);
    }

    pub(crate) fn add_trip_gauge(&self, delta: i64) {
        if delta >= 0 {
            self.trip_gauge.fetch_add(delta.unsigned_abs(), Relaxed);
        } else {
            // Never wrap below zero.
            let _ = self.trip_gauge.fetch_update(Relaxed, Relaxed, |v| {
                Some(v.saturating_sub(delta.unsigned_abs()))
            });
        }
    }

    pub(crate) fn reset(&self) {
        for c in [
            &self.native_ok,
            &self.native_err,
            &self.fallbacks,
            &self.legacy_ok,
            &self.legacy_err,
            &self.shadow_runs,
            &self.shadow_mismatches,
            &self.shadow_errors,
            &self.trips,
        ] {
            c.store(0, Relaxed);
        }
        self.native_hist.reset();
        self.legacy_hist.reset();
        self.mode.store(0, Relaxed);
    }

    /// Raw values. `trip_state` is interpreted by the caller (per shim vs process-wide).
    pub(crate) fn values(&self, trip_state: TripState) -> PrometheusValues {
        let native_err = self.native_err.load(Relaxed);
        let legacy_err = self.legacy_err.load(Relaxed);
        let native_hist = self.native_hist.read();
        let legacy_hist = self.legacy_hist.read();
        PrometheusValues {
            native_ok: self.native_ok.load(Relaxed),
            native_errors: native_err,
            legacy_ok: self.legacy_ok.load(Relaxed),
            legacy_errors: legacy_err,
            fallbacks: self.fallbacks.load(Relaxed),
            native_duration: native_hist,
            legacy_duration: legacy_hist,
            mode: if self.mode.load(Relaxed) == 1 {
                Route::Native
            } else {
                Route::Legacy
            },
            native_available: self.available.load(Relaxed),
            shadow_runs: self.shadow_runs.load(Relaxed),
            shadow_mismatches: self.shadow_mismatches.load(Relaxed),
            shadow_errors: self.shadow_errors.load(Relaxed),
            trip_state,
            trips_total: self.trips.load(Relaxed),
        }
    }

    pub(crate) fn trip_gauge(&self) -> u64 {
        self.trip_gauge.load(Relaxed)
    }
}

/// A duration histogram, read out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Histogram {
    /// Cumulative counts for each bound of [`DURATION_BUCKETS_NS`] (`le` semantics).
    pub cumulative: [u64; 15],
    /// Number of observations (the `+Inf` bucket).
    pub count: u64,
    /// Sum of observations in nanoseconds.
    pub sum_ns: u64,
}

impl Histogram {
    /// Sum in seconds, `sum_ns / 1e9`.
    pub fn sum_seconds(&self) -> f64 {
        self.sum_ns as f64 / 1e9
    }
}

/// Raw numbers behind the Prometheus families, for hosts that build their own collectors
/// (Python `prometheus_client`, Node `prom-client`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PrometheusValues {
    /// Successful native attempts.
    pub native_ok: u64,
    /// Failed native attempts (with or without fallback).
    pub native_errors: u64,
    /// Successful legacy invocations (routed or fallback).
    pub legacy_ok: u64,
    /// Failed legacy invocations.
    pub legacy_errors: u64,
    /// Failed native attempts served by legacy.
    pub fallbacks: u64,
    /// Durations of native attempts.
    pub native_duration: Histogram,
    /// Durations of legacy invocations.
    pub legacy_duration: Histogram,
    /// The builder that served the last successfully served call (legacy before any call).
    pub mode: Route,
    /// Whether the native library is available.
    pub native_available: bool,
    /// Shadow comparisons run.
    pub shadow_runs: u64,
    /// Shadow comparisons that mismatched (including native errors in the shadow run).
    pub shadow_mismatches: u64,
    /// Shadow runs where the native builder or the comparator failed.
    pub shadow_errors: u64,
    /// Trip-back state (process-wide: `open` when any shim is not closed).
    pub trip_state: TripState,
    /// Number of times the breaker opened.
    pub trips_total: u64,
}

impl PrometheusValues {
    /// `fraiseql_query_builder_calls_total` for a builder type.
    pub fn calls(&self, route: Route) -> u64 {
        match route {
            Route::Native => self.native_ok.wrapping_add(self.native_errors),
            Route::Legacy => self.legacy_ok.wrapping_add(self.legacy_errors),
        }
    }

    /// `fraiseql_query_builder_errors_total` for a builder type.
    pub fn errors(&self, route: Route) -> u64 {
        match route {
            Route::Native => self.native_errors,
            Route::Legacy => self.legacy_errors,
        }
    }

    /// Duration histogram for a builder type.
    pub fn duration(&self, route: Route) -> &Histogram {
        match route {
            Route::Native => &self.native_duration,
            Route::Legacy => &self.legacy_duration,
        }
    }

    /// The metrics dict (see docs/rollout.md for each definition).
    pub fn snapshot(&self) -> MetricsSnapshot {
        let rust_calls = self.calls(Route::Native);
        let python_calls = self.calls(Route::Legacy);
        let total = rust_calls
            .wrapping_add(python_calls)
            .saturating_sub(self.fallbacks);
        let pct = |num: u64, den: u64| {
            if den == 0 {
                0.0
            } else {
                num as f64 * 100.0 / den as f64
            }
        };
        let avg_ms = |ns: u64, n: u64| {
            if n == 0 {
                0.0
            } else {
                ns as f64 / n as f64 / 1e6
            }
        };
        MetricsSnapshot {
            rust_calls,
            python_calls,
            rust_errors: self.native_errors,
            rust_fallbacks: self.fallbacks,
            total_calls: total,
            rust_percentage: pct(self.native_ok, total),
            rust_error_rate: pct(self.native_errors, rust_calls),
            avg_rust_time_ms: avg_ms(self.native_duration.sum_ns, rust_calls),
            avg_python_time_ms: avg_ms(self.legacy_duration.sum_ns, python_calls),
            python_errors: self.legacy_errors,
            shadow_runs: self.shadow_runs,
            shadow_mismatches: self.shadow_mismatches,
            shadow_errors: self.shadow_errors,
            trip_state: self.trip_state,
            trips_total: self.trips_total,
            native_available: self.native_available,
        }
    }

    /// The samples of `family` (one of [`FAMILIES`]): what a host-built collector (Python
    /// `prometheus_client`, Node `prom-client`) adds to its family of that name.
    pub fn family_value(&self, family: &Family) -> FamilyValue<'_> {
        let per_builder = |f: &dyn Fn(Route) -> u64| {
            FamilyValue::PerBuilder(ROUTES.map(|r| (r.builder_type(), f(r) as f64)))
        };
        match family.id {
            FamilyId::Calls => per_builder(&|r| self.calls(r)),
            FamilyId::Errors => per_builder(&|r| self.errors(r)),
            FamilyId::Fallbacks => FamilyValue::Single(self.fallbacks as f64),
            FamilyId::Duration => {
                FamilyValue::Histograms(ROUTES.map(|r| (r.builder_type(), self.duration(r))))
            }
            FamilyId::Mode => FamilyValue::Single(f64::from(u8::from(self.mode == Route::Native))),
            FamilyId::Available => FamilyValue::Single(f64::from(u8::from(self.native_available))),
            FamilyId::ShadowMismatches => FamilyValue::Single(self.shadow_mismatches as f64),
            FamilyId::TripState => FamilyValue::Single(f64::from(self.trip_state.gauge())),
            FamilyId::Trips => FamilyValue::Single(self.trips_total as f64),
        }
    }

    /// Prometheus text exposition format 0.0.4: the families of [`FAMILIES`] in order,
    /// `rust` before `python`, ending with a newline.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        for family in &FAMILIES {
            let name = family.name;
            let _ = writeln!(out, "# HELP {name} {}", family.help);
            let _ = writeln!(out, "# TYPE {name} {}", family.kind.as_str());
            match self.family_value(family) {
                FamilyValue::Single(v) => {
                    let _ = writeln!(out, "{name} {v}");
                }
                FamilyValue::PerBuilder(samples) => {
                    for (bt, v) in samples {
                        let _ = writeln!(out, "{name}{{builder_type=\"{bt}\"}} {v}");
                    }
                }
                FamilyValue::Histograms(hists) => {
                    for (bt, h) in hists {
                        for (le, c) in DURATION_BUCKET_LABELS.iter().zip(h.cumulative) {
                            let _ = writeln!(
                                out,
                                "{name}_bucket{{builder_type=\"{bt}\",le=\"{le}\"}} {c}"
                            );
                        }
                        let _ = writeln!(
                            out,
                            "{name}_bucket{{builder_type=\"{bt}\",le=\"+Inf\"}} {}",
                            h.count
                        );
                        let _ = writeln!(
                            out,
                            "{name}_sum{{builder_type=\"{bt}\"}} {}",
                            h.sum_seconds()
                        );
                        let _ = writeln!(out, "{name}_count{{builder_type=\"{bt}\"}} {}", h.count);
                    }
                }
            }
        }
        out
    }
}

/// `rust` before `python`, in every family.
const ROUTES: [Route; 2] = [Route::Native, Route::Legacy];

/// The kind of a Prometheus metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FamilyKind {
    /// A monotonic counter.
    Counter,
    /// A gauge.
    Gauge,
    /// A histogram with the buckets of [`DURATION_BUCKETS_NS`].
    Histogram,
}

impl FamilyKind {
    /// `counter`, `gauge` or `histogram`, as in `# TYPE` lines.
    pub fn as_str(self) -> &'static str {
        match self {
            FamilyKind::Counter => "counter",
            FamilyKind::Gauge => "gauge",
            FamilyKind::Histogram => "histogram",
        }
    }
}

/// Which family a [`Family`] is (for [`PrometheusValues::family_value`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FamilyId {
    /// `fraiseql_query_builder_calls_total`
    Calls,
    /// `fraiseql_query_builder_errors_total`
    Errors,
    /// `fraiseql_query_builder_fallbacks_total`
    Fallbacks,
    /// `fraiseql_query_build_duration_seconds`
    Duration,
    /// `fraiseql_query_builder_mode`
    Mode,
    /// `fraiseql_rust_query_builder_available`
    Available,
    /// `fraiseql_query_builder_shadow_mismatches_total`
    ShadowMismatches,
    /// `fraiseql_query_builder_trip_state`
    TripState,
    /// `fraiseql_query_builder_trips_total`
    Trips,
}

/// One Prometheus metric family: name, kind, help text and labels, the same in the engine's
/// text and in every host-built collector. The one table of them is [`FAMILIES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// Which family.
    pub id: FamilyId,
    /// The metric name (for counters, with its `_total` suffix).
    pub name: &'static str,
    /// Its kind.
    pub kind: FamilyKind,
    /// The `# HELP` text.
    pub help: &'static str,
    /// Whether its samples carry the `builder_type` label (`rust` / `python`).
    pub by_builder_type: bool,
}

/// Every family, in exposition order (docs/rollout.md, section 5).
pub const FAMILIES: [Family; 9] = [
    Family {
        id: FamilyId::Calls,
        name: "fraiseql_query_builder_calls_total",
        kind: FamilyKind::Counter,
        help: "Query builder invocations by builder type.",
        by_builder_type: true,
    },
    Family {
        id: FamilyId::Errors,
        name: "fraiseql_query_builder_errors_total",
        kind: FamilyKind::Counter,
        help: "Failed query builder invocations by builder type.",
        by_builder_type: true,
    },
    Family {
        id: FamilyId::Fallbacks,
        name: "fraiseql_query_builder_fallbacks_total",
        kind: FamilyKind::Counter,
        help: "Native failures served by the legacy builder.",
        by_builder_type: false,
    },
    Family {
        id: FamilyId::Duration,
        name: "fraiseql_query_build_duration_seconds",
        kind: FamilyKind::Histogram,
        help: "Query build duration in seconds by builder type.",
        by_builder_type: true,
    },
    Family {
        id: FamilyId::Mode,
        name: "fraiseql_query_builder_mode",
        kind: FamilyKind::Gauge,
        help: "Builder that served the last call: 0 legacy, 1 native.",
        by_builder_type: false,
    },
    Family {
        id: FamilyId::Available,
        name: "fraiseql_rust_query_builder_available",
        kind: FamilyKind::Gauge,
        help: "Whether the native query builder is available: 0 or 1.",
        by_builder_type: false,
    },
    Family {
        id: FamilyId::ShadowMismatches,
        name: "fraiseql_query_builder_shadow_mismatches_total",
        kind: FamilyKind::Counter,
        help: "Shadow comparisons where the native result differed from legacy.",
        by_builder_type: false,
    },
    Family {
        id: FamilyId::TripState,
        name: "fraiseql_query_builder_trip_state",
        kind: FamilyKind::Gauge,
        help: "Automatic trip-back state: 0 closed, 1 open, 2 half-open.",
        by_builder_type: false,
    },
    Family {
        id: FamilyId::Trips,
        name: "fraiseql_query_builder_trips_total",
        kind: FamilyKind::Counter,
        help: "Times automatic trip-back routed everything to legacy.",
        by_builder_type: false,
    },
];

/// The samples of one family (see [`PrometheusValues::family_value`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum FamilyValue<'a> {
    /// One unlabelled sample.
    Single(f64),
    /// One sample per `builder_type`, `rust` first.
    PerBuilder([(&'static str, f64); 2]),
    /// One histogram per `builder_type`, `rust` first.
    Histograms([(&'static str, &'a Histogram); 2]),
}

/// A metric value in the dict: integers stay integers, rates and averages are floats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricValue {
    /// A count.
    Int(u64),
    /// A percentage or an average.
    Float(f64),
    /// A flag.
    Bool(bool),
    /// A state name.
    Str(&'static str),
}

/// The metrics dict. The first nine fields are the seed's keys, unchanged in every binding.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Native attempts (successful + failed, including those that fell back).
    pub rust_calls: u64,
    /// Legacy builder invocations (routed legacy + fallbacks), successful or not.
    pub python_calls: u64,
    /// Failed native attempts.
    pub rust_errors: u64,
    /// Failed native attempts served by the legacy builder.
    pub rust_fallbacks: u64,
    /// Calls into the shim: `rust_calls + python_calls - rust_fallbacks`.
    pub total_calls: u64,
    /// Share of calls served by native: `(rust_calls - rust_errors) / total_calls * 100`.
    pub rust_percentage: f64,
    /// `rust_errors / rust_calls * 100`, 0 without native attempts.
    pub rust_error_rate: f64,
    /// Mean duration of native attempts in milliseconds.
    pub avg_rust_time_ms: f64,
    /// Mean duration of legacy invocations in milliseconds.
    pub avg_python_time_ms: f64,
    /// Extra: failed legacy invocations (their errors propagated unchanged).
    pub python_errors: u64,
    /// Extra: shadow comparisons run.
    pub shadow_runs: u64,
    /// Extra: shadow mismatches (including native errors in shadow runs).
    pub shadow_mismatches: u64,
    /// Extra: shadow runs where native or the comparator failed.
    pub shadow_errors: u64,
    /// Extra: trip-back state.
    pub trip_state: TripState,
    /// Extra: times the breaker opened.
    pub trips_total: u64,
    /// Extra: native library available.
    pub native_available: bool,
}

impl MetricsSnapshot {
    /// All keys in a fixed order: the nine [`SEED_KEYS`] first, then the extras
    /// (`python_errors`, `shadow_runs`, `shadow_mismatches`, `shadow_errors`, `trip_state`,
    /// `trips_total`, `native_available`).
    pub fn pairs(&self) -> [(&'static str, MetricValue); 16] {
        use MetricValue::{Bool, Float, Int, Str};
        [
            ("rust_calls", Int(self.rust_calls)),
            ("python_calls", Int(self.python_calls)),
            ("rust_errors", Int(self.rust_errors)),
            ("rust_fallbacks", Int(self.rust_fallbacks)),
            ("total_calls", Int(self.total_calls)),
            ("rust_percentage", Float(self.rust_percentage)),
            ("rust_error_rate", Float(self.rust_error_rate)),
            ("avg_rust_time_ms", Float(self.avg_rust_time_ms)),
            ("avg_python_time_ms", Float(self.avg_python_time_ms)),
            ("python_errors", Int(self.python_errors)),
            ("shadow_runs", Int(self.shadow_runs)),
            ("shadow_mismatches", Int(self.shadow_mismatches)),
            ("shadow_errors", Int(self.shadow_errors)),
            ("trip_state", Str(self.trip_state.as_str())),
            ("trips_total", Int(self.trips_total)),
            ("native_available", Bool(self.native_available)),
        ]
    }
}
