//! `_native.Rollout`: a thin handle on the qb-rollout engine (config, routing, exact metrics,
//! trip-back, shadow store, Prometheus text). The Python shim (`fraiseql_qb/rollout.py`)
//! calls the legacy builder, times the calls and reports outcomes here. Only conversions
//! between the engine's types and Python dicts/tuples live in this file.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use qb_core::Placeholder;
use qb_rollout::{
    Config, ConfigOverrides, ConfigWarning, CountingSampler, DURATION_BUCKET_LABELS,
    DURATION_BUCKETS_NS, Decision, FAMILIES, FamilyValue, Histogram, ManualClock, MetricValue,
    MetricsSnapshot, Percentage, PlaceholderCheck, PlaceholderStyle, PrometheusValues, Reason,
    Rollout as Engine, Route, RowOrder, SeededSampler, ShadowConfig, ShadowResult, TripConfig,
};

use crate::boundary::guard;

fn bad(msg: impl Into<String>) -> PyErr {
    PyValueError::new_err(msg.into())
}

fn pct(bp: u64, what: &str) -> PyResult<Percentage> {
    u32::try_from(bp)
        .ok()
        .and_then(Percentage::from_bp)
        .ok_or_else(|| bad(format!("{what} must be 0..=10000 basis points, got {bp}")))
}

fn get<'py, T: FromPyObjectOwned<'py>>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<T>> {
    match d.get_item(key)? {
        Some(v) if !v.is_none() => v.extract::<T>().map(Some).map_err(|_| {
            bad(format!(
                "config key `{key}`: unexpected value {}",
                v.repr().map(|r| r.to_string()).unwrap_or_default()
            ))
        }),
        _ => Ok(None),
    }
}

fn shadow_from(d: &Bound<'_, PyDict>) -> PyResult<ShadowConfig> {
    let mut s = ShadowConfig::default();
    if let Some(bp) = get::<u64>(d, "percentage_bp")? {
        s.percentage = pct(bp, "shadow.percentage_bp")?;
    }
    if let Some(k) = get::<usize>(d, "keep_last")? {
        s.keep_last = k;
    }
    Ok(s)
}

fn trip_from(d: &Bound<'_, PyDict>) -> PyResult<TripConfig> {
    let mut t = TripConfig::default();
    if let Some(v) = get::<bool>(d, "enabled")? {
        t.enabled = v;
    }
    if let Some(v) = get::<u64>(d, "window_ms")? {
        t.window = Duration::from_millis(v);
    }
    if let Some(v) = get::<u32>(d, "min_calls")? {
        t.min_calls = v;
    }
    if let Some(v) = get::<u64>(d, "threshold_bp")? {
        t.threshold = pct(v, "trip.threshold_bp")?;
    }
    if let Some(v) = get::<u64>(d, "cool_down_ms")? {
        t.cool_down = Duration::from_millis(v);
    }
    if let Some(v) = get::<u32>(d, "probe_successes")? {
        t.probe_successes = v;
    }
    Ok(t)
}

/// The canonical dict (the `config` objects of tests/rollout/vectors.json), partial allowed:
/// missing keys (or None) leave the field unset.
fn overrides_from(d: Option<&Bound<'_, PyDict>>) -> PyResult<ConfigOverrides> {
    let mut o = ConfigOverrides::default();
    let Some(d) = d else { return Ok(o) };
    for (k, _) in d.iter() {
        let k: String = k.extract().map_err(|_| bad("config keys must be str"))?;
        if !ConfigOverrides::KEYS.contains(&k.as_str()) {
            return Err(bad(format!("unknown config key `{k}`")));
        }
    }
    o.use_native = get(d, "use_native")?;
    o.log_mode = get(d, "log_mode")?;
    o.fallback = get(d, "fallback")?;
    o.kill_switch = get(d, "kill_switch")?;
    o.sticky = get(d, "sticky")?;
    if let Some(bp) = get::<u64>(d, "percentage_bp")? {
        o.percentage = Some(pct(bp, "percentage_bp")?);
    }
    if let Some(s) = d.get_item("shadow")?.filter(|v| !v.is_none()) {
        o.shadow = Some(shadow_from(
            s.cast::<PyDict>()
                .map_err(|_| bad("`shadow` must be a dict"))?,
        )?);
    }
    if let Some(t) = d.get_item("trip")?.filter(|v| !v.is_none()) {
        o.trip = Some(trip_from(
            t.cast::<PyDict>()
                .map_err(|_| bad("`trip` must be a dict"))?,
        )?);
    }
    Ok(o)
}

fn config_to_py<'py>(py: Python<'py>, c: &Config) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("use_native", c.use_native)?;
    d.set_item("percentage_bp", c.percentage.bp())?;
    d.set_item("log_mode", c.log_mode)?;
    d.set_item("fallback", c.fallback)?;
    d.set_item("kill_switch", c.kill_switch)?;
    d.set_item("sticky", c.sticky)?;
    let s = PyDict::new(py);
    s.set_item("percentage_bp", c.shadow.percentage.bp())?;
    s.set_item("keep_last", c.shadow.keep_last)?;
    d.set_item("shadow", s)?;
    let t = PyDict::new(py);
    t.set_item("enabled", c.trip.enabled)?;
    t.set_item(
        "window_ms",
        u64::try_from(c.trip.window.as_millis()).unwrap_or(u64::MAX),
    )?;
    t.set_item("min_calls", c.trip.min_calls)?;
    t.set_item("threshold_bp", c.trip.threshold.bp())?;
    t.set_item(
        "cool_down_ms",
        u64::try_from(c.trip.cool_down.as_millis()).unwrap_or(u64::MAX),
    )?;
    t.set_item("probe_successes", c.trip.probe_successes)?;
    d.set_item("trip", t)?;
    Ok(d)
}

fn warning_to_py<'py>(py: Python<'py>, w: &ConfigWarning) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("variable", w.variable)?;
    d.set_item("value", &w.value)?;
    d.set_item("expected", w.expected.as_str())?;
    d.set_item("default", &w.default)?;
    d.set_item("message", w.message())?;
    Ok(d)
}

fn snapshot_to_py<'py>(py: Python<'py>, s: &MetricsSnapshot) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in s.pairs() {
        match v {
            MetricValue::Int(i) => d.set_item(k, i)?,
            MetricValue::Float(f) => d.set_item(k, f)?,
            MetricValue::Bool(b) => d.set_item(k, b)?,
            MetricValue::Str(s) => d.set_item(k, s)?,
        }
    }
    Ok(d)
}

/// A histogram as `prometheus_client` takes it: cumulative `(le, count)` pairs ending with
/// `+Inf`.
fn buckets_to_py<'py>(py: Python<'py>, h: &Histogram) -> PyResult<Bound<'py, PyList>> {
    let buckets = PyList::empty(py);
    for (le, c) in DURATION_BUCKET_LABELS.iter().zip(h.cumulative) {
        buckets.append((*le, c))?;
    }
    buckets.append(("+Inf", h.count))?;
    Ok(buckets)
}

/// Raw numbers for host-built collectors (`fraiseql_qb.prometheus`): the per-builder and
/// flat keys, and under each family's name (`qb_rollout::FAMILIES`) its samples as
/// `PrometheusValues::family_value` gives them: a number, `{builder_type: number}`, or
/// `{builder_type: {"buckets", "sum_seconds"}}`.
fn values_to_py<'py>(py: Python<'py>, v: &PrometheusValues) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (label, route) in [("rust", Route::Native), ("python", Route::Legacy)] {
        let h = v.duration(route);
        let r = PyDict::new(py);
        r.set_item("calls", v.calls(route))?;
        r.set_item("errors", v.errors(route))?;
        r.set_item("buckets", buckets_to_py(py, h)?)?;
        r.set_item("count", h.count)?;
        r.set_item("sum_seconds", h.sum_seconds())?;
        d.set_item(label, r)?;
    }
    for family in &FAMILIES {
        let samples = match v.family_value(family) {
            FamilyValue::Single(x) => x.into_pyobject(py)?.into_any(),
            FamilyValue::PerBuilder(pairs) => {
                let per = PyDict::new(py);
                for (bt, x) in pairs {
                    per.set_item(bt, x)?;
                }
                per.into_any()
            }
            FamilyValue::Histograms(hists) => {
                let per = PyDict::new(py);
                for (bt, h) in hists {
                    let one = PyDict::new(py);
                    one.set_item("buckets", buckets_to_py(py, h)?)?;
                    one.set_item("sum_seconds", h.sum_seconds())?;
                    per.set_item(bt, one)?;
                }
                per.into_any()
            }
            _ => py.None().into_bound(py),
        };
        d.set_item(family.name, samples)?;
    }
    d.set_item("fallbacks", v.fallbacks)?;
    d.set_item("mode", u8::from(v.mode == Route::Native))?;
    d.set_item("native_available", u8::from(v.native_available))?;
    d.set_item("shadow_mismatches", v.shadow_mismatches)?;
    d.set_item("trip_state", v.trip_state.gauge())?;
    d.set_item("trips_total", v.trips_total)?;
    Ok(d)
}

fn reason(name: &str) -> PyResult<Reason> {
    Reason::from_name(name).ok_or_else(|| bad(format!("unknown reason `{name}`")))
}

/// Parses the environment given as `(name, value)` pairs, applies the overrides (canonical
/// dict), and returns `(config dict, [warning dicts])`. Warnings carry the engine's
/// `message` text, to be logged once at warning level.
#[pyfunction]
#[pyo3(signature = (env, overrides=None))]
fn resolve_config<'py>(
    py: Python<'py>,
    env: Vec<(String, String)>,
    overrides: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyDict>, Vec<Bound<'py, PyDict>>)> {
    guard(py, "resolve_config", || {
        let o = overrides_from(overrides)?;
        let (cfg, warnings) = Config::resolve(env, &o);
        let ws = warnings
            .iter()
            .map(|w| warning_to_py(py, w))
            .collect::<PyResult<Vec<_>>>()?;
        Ok((config_to_py(py, &cfg)?, ws))
    })
}

/// The names of the environment variables the engine reads, in its order.
#[pyfunction]
fn env_vars(py: Python<'_>) -> PyResult<Vec<&'static str>> {
    guard(py, "env_vars", || Ok(qb_rollout::ENV_VARS.to_vec()))
}

/// The seed's metric keys, in order (what `get_query_builder_metrics()` returns).
#[pyfunction]
fn seed_keys(py: Python<'_>) -> PyResult<Vec<&'static str>> {
    guard(py, "seed_keys", || Ok(qb_rollout::SEED_KEYS.to_vec()))
}

/// The Prometheus families, in exposition order: `(name, kind, help, by_builder_type)`, from
/// the engine's one table (`qb_rollout::FAMILIES`). The `prometheus_client` collector builds
/// its families from it, and the stand-in module carries a copy a test compares.
#[pyfunction]
fn prometheus_families(
    py: Python<'_>,
) -> PyResult<Vec<(&'static str, &'static str, &'static str, bool)>> {
    guard(py, "prometheus_families", || {
        Ok(FAMILIES
            .iter()
            .map(|f| (f.name, f.kind.as_str(), f.help, f.by_builder_type))
            .collect())
    })
}

/// The duration histogram's buckets: `(upper bound in ns, le label)`.
#[pyfunction]
fn duration_buckets(py: Python<'_>) -> PyResult<Vec<(u64, &'static str)>> {
    guard(py, "duration_buckets", || {
        Ok(DURATION_BUCKETS_NS
            .iter()
            .copied()
            .zip(DURATION_BUCKET_LABELS.iter().copied())
            .collect())
    })
}

/// The debug line for a served call (identical in every binding).
#[pyfunction]
fn served_log_line(
    py: Python<'_>,
    view: &str,
    served_native: bool,
    reason_name: &str,
) -> PyResult<String> {
    guard(py, "served_log_line", || {
        let route = if served_native {
            Route::Native
        } else {
            Route::Legacy
        };
        Ok(qb_rollout::served_log_line(
            view,
            route,
            reason(reason_name)?,
        ))
    })
}

/// The debug line for a native failure served by legacy.
#[pyfunction]
fn fallback_log_line(py: Python<'_>, view: &str, native_error: &str) -> PyResult<String> {
    guard(py, "fallback_log_line", || {
        Ok(qb_rollout::fallback_log_line(view, native_error))
    })
}

/// Process-wide metrics dict (all shims ever created), 16 keys, the seed's nine first.
#[pyfunction]
fn global_snapshot(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    guard(py, "global_snapshot", || {
        snapshot_to_py(py, &qb_rollout::global_snapshot())
    })
}

/// Process-wide Prometheus text (format 0.0.4).
#[pyfunction]
fn global_prometheus_text(py: Python<'_>) -> PyResult<String> {
    guard(py, "global_prometheus_text", || {
        Ok(qb_rollout::global_render_prometheus())
    })
}

/// Process-wide raw numbers for a `prometheus_client` collector.
#[pyfunction]
fn global_prometheus_values(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    guard(py, "global_prometheus_values", || {
        values_to_py(py, &qb_rollout::global_prometheus_values())
    })
}

/// FNV-1a 64 of a key's UTF-8 bytes and its sticky bucket (for tests and tooling).
#[pyfunction]
fn sticky_bucket(py: Python<'_>, key: &str) -> PyResult<(u64, u32)> {
    guard(py, "sticky_bucket", || {
        Ok((
            qb_rollout::fnv1a64(key.as_bytes()),
            qb_rollout::sticky_bucket(key),
        ))
    })
}

fn style(placeholder: &Bound<'_, PyAny>) -> PyResult<PlaceholderStyle> {
    Ok(match crate::placeholder(placeholder)? {
        Placeholder::Format => PlaceholderStyle::Format,
        _ => PlaceholderStyle::Numbered,
    })
}

/// `(numbered, numbered_max, format)`: the placeholders of `sql` outside string constants,
/// quoted identifiers and comments (qb-rollout's `scan_placeholders`).
#[pyfunction]
fn scan_placeholders(py: Python<'_>, sql: &str) -> PyResult<(usize, usize, usize)> {
    guard(py, "scan_placeholders", || {
        let s = qb_rollout::scan_placeholders(sql);
        Ok((s.numbered, s.numbered_max, s.format))
    })
}

/// Checks a legacy statement and its parameter count against the shim's placeholder style
/// (qb-rollout's `check_placeholders`): `("consistent", None)`, `("inconclusive", None)`
/// (no placeholder and no parameter) or `("mismatch", message)`.
#[pyfunction]
fn check_placeholders(
    py: Python<'_>,
    sql: &str,
    params: usize,
    placeholder: &Bound<'_, PyAny>,
) -> PyResult<(&'static str, Option<String>)> {
    guard(py, "check_placeholders", || {
        Ok(
            match qb_rollout::check_placeholders(sql, params, style(placeholder)?) {
                PlaceholderCheck::Consistent => ("consistent", None),
                PlaceholderCheck::Mismatch(m) => ("mismatch", Some(m.to_string())),
                _ => ("inconclusive", None),
            },
        )
    })
}

/// `(position, legacy_row, native_row)` of a row difference.
type RowDiff = (usize, Option<usize>, Option<usize>);

/// Compares the legacy and native rows, each row one canonical text (qb-rollout's
/// `compare_rows`): as ordered lists when `ordered`, as multisets otherwise. None when they
/// match, else `(position, legacy_row, native_row)`: indexes into the inputs, None where that
/// side has no row.
#[pyfunction]
fn compare_rows(
    py: Python<'_>,
    legacy: Vec<String>,
    native: Vec<String>,
    ordered: bool,
) -> PyResult<Option<RowDiff>> {
    guard(py, "compare_rows", || {
        let order = if ordered {
            RowOrder::Ordered
        } else {
            RowOrder::Multiset
        };
        Ok(qb_rollout::compare_rows(&legacy, &native, order)
            .map(|d| (d.position, d.legacy_row, d.native_row)))
    })
}

/// One rollout engine. `sampler`: None (thread-local random), an int seed, or `"counting"`
/// (always 0, counts draws: tests). `manual_clock`: trip-back time moves only by
/// `advance_ms` (tests).
#[pyclass(frozen, module = "fraiseql_qb._native", name = "Rollout")]
struct Rollout {
    engine: Engine,
    clock: Option<Arc<ManualClock>>,
    counting: Option<Arc<CountingSampler>>,
}

#[pymethods]
impl Rollout {
    #[new]
    #[pyo3(signature = (config=None, *, manual_clock=false, sampler=None))]
    fn new(
        py: Python<'_>,
        config: Option<&Bound<'_, PyDict>>,
        manual_clock: bool,
        sampler: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, "Rollout()", || {
            Rollout::build(config, manual_clock, sampler)
        })
    }

    /// Replace the configuration (canonical dict, partial: missing keys take the defaults).
    fn apply(&self, py: Python<'_>, config: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        guard(py, "Rollout.apply", || {
            let cfg = Config::default().with_overrides(&overrides_from(config)?);
            self.engine.apply(cfg);
            Ok(())
        })
    }

    /// The configuration in force, as the canonical dict.
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, "Rollout.config", || {
            config_to_py(py, &self.engine.config())
        })
    }

    /// `(native, shadow, reason, probe, bucket)` for one call.
    #[pyo3(signature = (key=None))]
    fn decide(
        &self,
        py: Python<'_>,
        key: Option<&str>,
    ) -> PyResult<(bool, bool, &'static str, bool, Option<u32>)> {
        guard(py, "Rollout.decide", || {
            let d: Decision = self.engine.decide(key);
            Ok((
                d.route == Route::Native,
                d.shadow,
                d.reason.as_str(),
                d.probe,
                d.bucket,
            ))
        })
    }

    /// The shim's whole routing step in one call across the boundary: decide, and when the
    /// decision is native, compile (as `fraiseql_qb.compile`) and record the outcome, timed
    /// here. Returns `(native, shadow, reason, result, error, elapsed_ns)`: for a native
    /// decision exactly one of `result` / `error` is set (the error is the exception to
    /// raise or to fall back from; `record_native_err` has already counted it with
    /// `fell_back = can_fall_back`). `ShimCore.build` does the same without the tuple.
    #[pyo3(signature = (key, query, schema, placeholder, can_fall_back))]
    fn route(
        &self,
        py: Python<'_>,
        key: Option<&str>,
        query: &Bound<'_, PyAny>,
        schema: &Bound<'_, PyAny>,
        placeholder: &Bound<'_, PyAny>,
        can_fall_back: bool,
    ) -> PyResult<RoutedTuple> {
        guard(py, "Rollout.route", || {
            let placeholder = crate::placeholder(placeholder)?;
            Ok(self
                .route_inner(py, key, query, schema, placeholder, can_fall_back)?
                .into_tuple())
        })
    }

    fn record_native_ok(&self, py: Python<'_>, duration_ns: u64) -> PyResult<()> {
        guard(py, "Rollout.record_native_ok", || {
            self.engine
                .record_native_ok(Duration::from_nanos(duration_ns));
            Ok(())
        })
    }

    fn record_native_err(&self, py: Python<'_>, duration_ns: u64, fell_back: bool) -> PyResult<()> {
        guard(py, "Rollout.record_native_err", || {
            self.engine
                .record_native_err(Duration::from_nanos(duration_ns), fell_back);
            Ok(())
        })
    }

    fn record_legacy_ok(&self, py: Python<'_>, duration_ns: u64) -> PyResult<()> {
        guard(py, "Rollout.record_legacy_ok", || {
            self.engine
                .record_legacy_ok(Duration::from_nanos(duration_ns));
            Ok(())
        })
    }

    fn record_legacy_err(&self, py: Python<'_>, duration_ns: u64) -> PyResult<()> {
        guard(py, "Rollout.record_legacy_err", || {
            self.engine
                .record_legacy_err(Duration::from_nanos(duration_ns));
            Ok(())
        })
    }

    /// `result`: `match`, `mismatch`, `native_error` or `comparator_error`.
    fn record_shadow(&self, py: Python<'_>, result: &str, view: &str, input: &str) -> PyResult<()> {
        guard(py, "Rollout.record_shadow", || {
            let r = match result {
                "match" => ShadowResult::Match,
                "mismatch" => ShadowResult::Mismatch,
                "native_error" => ShadowResult::NativeError,
                "comparator_error" => ShadowResult::ComparatorError,
                other => return Err(bad(format!("unknown shadow result `{other}`"))),
            };
            self.engine.record_shadow(r, view, input);
            Ok(())
        })
    }

    /// Kept mismatching shadow inputs, oldest first: dicts `{seq, result, view, input}`.
    fn shadow_mismatches<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        guard(py, "Rollout.shadow_mismatches", || {
            self.engine
                .shadow_mismatches()
                .iter()
                .map(|m| {
                    let d = PyDict::new(py);
                    d.set_item("seq", m.seq)?;
                    d.set_item("result", m.result.as_str())?;
                    d.set_item("view", &m.view)?;
                    d.set_item("input", &m.input)?;
                    Ok(d)
                })
                .collect()
        })
    }

    #[getter]
    fn legacy_registered(&self, py: Python<'_>) -> PyResult<bool> {
        guard(py, "Rollout.legacy_registered", || {
            Ok(self.engine.legacy_registered())
        })
    }

    fn set_legacy_registered(&self, py: Python<'_>, registered: bool) -> PyResult<()> {
        guard(py, "Rollout.set_legacy_registered", || {
            self.engine.set_legacy_registered(registered);
            Ok(())
        })
    }

    #[getter]
    fn native_available(&self, py: Python<'_>) -> PyResult<bool> {
        guard(py, "Rollout.native_available", || {
            Ok(self.engine.native_available())
        })
    }

    fn set_native_available(&self, py: Python<'_>, available: bool) -> PyResult<()> {
        guard(py, "Rollout.set_native_available", || {
            self.engine.set_native_available(available);
            Ok(())
        })
    }

    /// `closed`, `open` or `half_open`.
    fn trip_state(&self, py: Python<'_>) -> PyResult<&'static str> {
        guard(py, "Rollout.trip_state", || {
            Ok(self.engine.trip_state().as_str())
        })
    }

    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, "Rollout.snapshot", || {
            snapshot_to_py(py, &self.engine.snapshot())
        })
    }

    fn prometheus_text(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, "Rollout.prometheus_text", || {
            Ok(self.engine.render_prometheus())
        })
    }

    fn prometheus_values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, "Rollout.prometheus_values", || {
            values_to_py(py, &self.engine.prometheus_values())
        })
    }

    fn reset_metrics(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, "Rollout.reset_metrics", || {
            self.engine.reset_metrics();
            Ok(())
        })
    }

    /// Moves the manual clock (only with `manual_clock=True`).
    fn advance_ms(&self, py: Python<'_>, ms: u64) -> PyResult<()> {
        guard(py, "Rollout.advance_ms", || match &self.clock {
            Some(c) => {
                c.advance_ms(ms);
                Ok(())
            }
            None => Err(PyRuntimeError::new_err("this Rollout has no manual clock")),
        })
    }

    /// Random draws so far (only with `sampler="counting"`).
    fn samples_drawn(&self, py: Python<'_>) -> PyResult<u64> {
        guard(py, "Rollout.samples_drawn", || match &self.counting {
            Some(c) => Ok(c.drawn()),
            None => Err(PyRuntimeError::new_err(
                "this Rollout has no counting sampler",
            )),
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, "Rollout.__repr__", || Ok(format!("{:?}", self.engine)))
    }
}

impl Rollout {
    fn build(
        config: Option<&Bound<'_, PyDict>>,
        manual_clock: bool,
        sampler: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let cfg = Config::default().with_overrides(&overrides_from(config)?);
        let mut engine = Engine::new(cfg);
        let mut counting = None;
        if let Some(s) = sampler.filter(|s| !s.is_none()) {
            if let Ok(seed) = s.extract::<u64>() {
                engine = engine.with_sampler(Arc::new(SeededSampler::new(seed)));
            } else if s.extract::<String>().is_ok_and(|v| v == "counting") {
                let c = Arc::new(CountingSampler::default());
                engine = engine.with_sampler(c.clone());
                counting = Some(c);
            } else {
                return Err(bad("sampler must be None, an int seed or \"counting\""));
            }
        }
        let clock = manual_clock.then(|| Arc::new(ManualClock::new(0)));
        if let Some(c) = &clock {
            engine = engine.with_clock(c.clone());
        }
        Ok(Rollout {
            engine,
            clock,
            counting,
        })
    }
}

/// The outcome of one routing step (see [`Rollout::route`]).
struct Routed {
    native: bool,
    shadow: bool,
    reason: &'static str,
    result: Option<Py<PyAny>>,
    error: Option<Py<PyAny>>,
    elapsed_ns: u64,
}

/// `(native, shadow, reason, result, error, elapsed_ns)`, as `route` returns it.
type RoutedTuple = (
    bool,
    bool,
    &'static str,
    Option<Py<PyAny>>,
    Option<Py<PyAny>>,
    u64,
);

impl Routed {
    fn into_tuple(self) -> RoutedTuple {
        (
            self.native,
            self.shadow,
            self.reason,
            self.result,
            self.error,
            self.elapsed_ns,
        )
    }
}

impl Rollout {
    fn route_inner(
        &self,
        py: Python<'_>,
        key: Option<&str>,
        query: &Bound<'_, PyAny>,
        schema: &Bound<'_, PyAny>,
        placeholder: Placeholder,
        can_fall_back: bool,
    ) -> PyResult<Routed> {
        let d: Decision = self.engine.decide(key);
        let mut out = Routed {
            native: d.route == Route::Native,
            shadow: d.shadow,
            reason: d.reason.as_str(),
            result: None,
            error: None,
            elapsed_ns: 0,
        };
        if !out.native {
            return Ok(out);
        }
        let start = std::time::Instant::now();
        // A panic in the compile is a native failure like any other: counted, and served by
        // legacy when fallback is on (the entry point's own guard is the outer net).
        let compiled = guard(py, "compile", || {
            crate::compile_with(py, query, schema, placeholder)
        });
        let elapsed = start.elapsed();
        out.elapsed_ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        match compiled {
            Ok(c) => {
                self.engine.record_native_ok(elapsed);
                out.result = Some(Py::new(py, c)?.into_any());
            }
            Err(err) => {
                self.engine.record_native_err(elapsed, can_fall_back);
                out.error = Some(err.into_value(py).into_any());
            }
        }
        Ok(out)
    }
}

/// What `ShimCore.build` needs, set by the shim's `reload()` (`_set_route`).
struct FastRoute {
    engine: Py<Rollout>,
    schema: Py<PyAny>,
    placeholder: Placeholder,
    can_fall_back: bool,
    /// No per-call logging and no metrics hook: a served native call returns at once.
    quiet: bool,
}

/// Base class of `fraiseql_qb.rollout.RolloutQueryBuilder`: its `build` is native, so the
/// common call (routed native, compiled, nothing to log) crosses into Rust once and runs no
/// Python frame. Every other outcome (legacy, fallback, logging, the metrics hook, shadow)
/// goes to the subclass's `_finish(query, native, shadow, reason, result, error,
/// elapsed_ns)`.
#[pyclass(subclass, frozen, module = "fraiseql_qb._native", name = "ShimCore")]
struct ShimCore {
    route: Mutex<Option<Arc<FastRoute>>>,
}

#[pymethods]
impl ShimCore {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        ShimCore {
            route: Mutex::new(None),
        }
    }

    /// Sets what `build` routes with (called by the shim on every configuration change).
    fn _set_route(
        &self,
        py: Python<'_>,
        engine: Py<Rollout>,
        schema: Py<PyAny>,
        placeholder: &Bound<'_, PyAny>,
        can_fall_back: bool,
        quiet: bool,
    ) -> PyResult<()> {
        guard(py, "ShimCore._set_route", || {
            let route = FastRoute {
                engine,
                schema,
                placeholder: crate::placeholder(placeholder)?,
                can_fall_back,
                quiet,
            };
            *self.route.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(route));
            Ok(())
        })
    }

    /// Build ``query`` with the builder the rollout picks. ``key`` (tenant, user, request
    /// id, or a shape hash) makes the choice sticky when sticky routing is on.
    ///
    /// Returns a :class:`~fraiseql_qb.CompiledQuery` (unpacks as ``(sql, params)``).
    /// Errors: a legacy builder's exception propagates unchanged; a native error
    /// (``QueryBuilderError``) is raised only when fallback is off or no legacy is
    /// registered.
    #[pyo3(signature = (query, *, key = None))]
    fn build(
        slf: &Bound<'_, Self>,
        query: &Bound<'_, PyAny>,
        key: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        guard(py, "RolloutQueryBuilder.build", || {
            ShimCore::build_inner(slf, query, key)
        })
    }
}

impl ShimCore {
    fn build_inner(
        slf: &Bound<'_, Self>,
        query: &Bound<'_, PyAny>,
        key: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        // The lock only guards the swap of the Arc: never held while compiling (a large
        // compile releases the GIL, and reload() must not wait for it).
        let route = slf
            .get()
            .route
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some(route) = route else {
            return Err(PyRuntimeError::new_err(
                "the shim is not configured (ShimCore._set_route was never called)",
            ));
        };
        let r = route.engine.get().route_inner(
            py,
            key,
            query,
            route.schema.bind(py),
            route.placeholder,
            route.can_fall_back,
        )?;
        if let (true, true, Some(result), None) = (r.native, route.quiet, &r.result, &r.error) {
            return Ok(result.clone_ref(py));
        }
        let (native, shadow, reason, result, error, elapsed_ns) = r.into_tuple();
        slf.call_method1(
            intern!(py, "_finish"),
            (query, native, shadow, reason, result, error, elapsed_ns),
        )
        .map(Bound::unbind)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Rollout>()?;
    m.add_class::<ShimCore>()?;
    m.add_function(wrap_pyfunction!(resolve_config, m)?)?;
    m.add_function(wrap_pyfunction!(env_vars, m)?)?;
    m.add_function(wrap_pyfunction!(seed_keys, m)?)?;
    m.add_function(wrap_pyfunction!(prometheus_families, m)?)?;
    m.add_function(wrap_pyfunction!(duration_buckets, m)?)?;
    m.add_function(wrap_pyfunction!(served_log_line, m)?)?;
    m.add_function(wrap_pyfunction!(fallback_log_line, m)?)?;
    m.add_function(wrap_pyfunction!(global_snapshot, m)?)?;
    m.add_function(wrap_pyfunction!(global_prometheus_text, m)?)?;
    m.add_function(wrap_pyfunction!(global_prometheus_values, m)?)?;
    m.add_function(wrap_pyfunction!(sticky_bucket, m)?)?;
    m.add_function(wrap_pyfunction!(scan_placeholders, m)?)?;
    m.add_function(wrap_pyfunction!(check_placeholders, m)?)?;
    m.add_function(wrap_pyfunction!(compare_rows, m)?)?;
    Ok(())
}
