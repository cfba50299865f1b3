//! The rollout engine (qb-rollout) for the JS shim (`rollout.js`): a handle on one engine
//! (config, routing, exact metrics, trip-back, shadow store, Prometheus values) and the
//! process-wide functions. The shim calls the legacy builder, times it and reports outcomes
//! here; the native route is two calls: the decision (`rolloutRoute`), then, when native, the
//! compile of the encoded query with its outcome recorded (`rolloutCompile`). Only
//! conversions between the engine's types and JS values live in this file.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use napi::sys;
use qb_core::Placeholder;
use qb_rollout::{
    Config, ConfigOverrides, ConfigWarning, CountingSampler, DURATION_BUCKET_LABELS,
    DURATION_BUCKETS_NS, FAMILIES, FamilyKind, FamilyValue, ManualClock, MetricValue,
    MetricsSnapshot, Percentage, PlaceholderCheck, PlaceholderStyle, PrometheusValues, Reason,
    Rollout as Engine, Route, RowOrder, SeededSampler, ShadowConfig, ShadowResult, TripConfig,
};

use crate::js::{Cx, Env, Fail, JsResult, Raw, Type, entry};

/// One engine, owned by a JS external (one per shim; an external cannot cross threads).
struct Handle {
    engine: Engine,
    clock: Option<Arc<ManualClock>>,
    counting: Option<Arc<CountingSampler>>,
    /// The reason of the last `route` call (index in `Reason::ALL`), for the shim's log
    /// line and metrics hook.
    last_reason: Cell<u8>,
    /// When the last call routed native was decided: its duration runs from there to the
    /// compiled statement (`rolloutCompile`), the JS encoding included.
    native_since: Cell<Option<Instant>>,
}

fn handle<'a>(env: Env, v: Raw) -> JsResult<&'a Handle> {
    env.unwrap_external::<Handle>(v)?
        .ok_or_else(|| Fail::Type("expected a rollout engine handle".into()))
}

fn range(msg: impl Into<String>) -> Fail {
    Fail::Range(msg.into())
}

/// `obj[name]`, `None` when undefined or null.
fn prop(env: Env, obj: Raw, name: &'static str) -> JsResult<Option<Raw>> {
    let v = env.get_named(obj, name)?;
    Ok(match env.type_of(v)? {
        Type::Undefined | Type::Null => None,
        _ => Some(v),
    })
}

fn bool_prop(env: Env, obj: Raw, name: &'static str) -> JsResult<Option<bool>> {
    match prop(env, obj, name)? {
        None => Ok(None),
        Some(v) if env.type_of(v)? == Type::Boolean => Ok(Some(env.bool_value(v)?)),
        Some(_) => Err(Fail::Type(format!(
            "config key `{}` must be a boolean",
            name.trim_end_matches('\0')
        ))),
    }
}

/// A non-negative integer property (counts, milliseconds, basis points).
fn uint_prop(env: Env, obj: Raw, name: &'static str) -> JsResult<Option<u64>> {
    match prop(env, obj, name)? {
        None => Ok(None),
        Some(v) => {
            let bad = || {
                range(format!(
                    "config key `{}` must be a non-negative integer",
                    name.trim_end_matches('\0')
                ))
            };
            if env.type_of(v)? != Type::Number {
                return Err(bad());
            }
            let d = env.number_value(v)?;
            if !(d.is_finite() && d >= 0.0 && d.fract() == 0.0 && d <= 9.007_199_254_740_991e15) {
                return Err(bad());
            }
            Ok(Some(d as u64))
        }
    }
}

fn pct(bp: u64, what: &str) -> JsResult<Percentage> {
    u32::try_from(bp)
        .ok()
        .and_then(Percentage::from_bp)
        .ok_or_else(|| range(format!("{what} must be 0..=10000 basis points, got {bp}")))
}

fn check_keys(env: Env, obj: Raw, allowed: &[&str], what: &str) -> JsResult<()> {
    let keys = env.keys(obj)?;
    for i in 0..env.array_len(keys)? {
        let k = env.string(env.element(keys, i)?)?;
        if !allowed.contains(&k.as_str()) {
            return Err(range(format!("unknown {what} key `{k}`")));
        }
    }
    Ok(())
}

fn object_prop(env: Env, obj: Raw, name: &'static str) -> JsResult<Option<Raw>> {
    match prop(env, obj, name)? {
        None => Ok(None),
        Some(v) if env.type_of(v)? == Type::Object => Ok(Some(v)),
        Some(_) => Err(Fail::Type(format!(
            "config key `{}` must be an object",
            name.trim_end_matches('\0')
        ))),
    }
}

fn shadow_from(env: Env, o: Raw) -> JsResult<ShadowConfig> {
    check_keys(env, o, &["percentage_bp", "keep_last"], "shadow")?;
    let mut s = ShadowConfig::default();
    if let Some(bp) = uint_prop(env, o, "percentage_bp\0")? {
        s.percentage = pct(bp, "shadow.percentage_bp")?;
    }
    if let Some(k) = uint_prop(env, o, "keep_last\0")? {
        s.keep_last = usize::try_from(k).unwrap_or(usize::MAX);
    }
    Ok(s)
}

fn trip_from(env: Env, o: Raw) -> JsResult<TripConfig> {
    check_keys(
        env,
        o,
        &[
            "enabled",
            "window_ms",
            "min_calls",
            "threshold_bp",
            "cool_down_ms",
            "probe_successes",
        ],
        "trip",
    )?;
    let mut t = TripConfig::default();
    if let Some(v) = bool_prop(env, o, "enabled\0")? {
        t.enabled = v;
    }
    if let Some(v) = uint_prop(env, o, "window_ms\0")? {
        t.window = Duration::from_millis(v);
    }
    if let Some(v) = uint_prop(env, o, "min_calls\0")? {
        t.min_calls = u32::try_from(v).unwrap_or(u32::MAX);
    }
    if let Some(v) = uint_prop(env, o, "threshold_bp\0")? {
        t.threshold = pct(v, "trip.threshold_bp")?;
    }
    if let Some(v) = uint_prop(env, o, "cool_down_ms\0")? {
        t.cool_down = Duration::from_millis(v);
    }
    if let Some(v) = uint_prop(env, o, "probe_successes\0")? {
        t.probe_successes = u32::try_from(v).unwrap_or(u32::MAX);
    }
    Ok(t)
}

/// The canonical config object (the `config` objects of tests/rollout/vectors.json),
/// partial allowed: missing keys (or null) leave the field unset.
fn overrides_from(env: Env, o: Raw) -> JsResult<ConfigOverrides> {
    let mut out = ConfigOverrides::default();
    match env.type_of(o)? {
        Type::Undefined | Type::Null => return Ok(out),
        Type::Object => {}
        _ => return Err(Fail::Type("a rollout config must be an object".into())),
    }
    check_keys(env, o, &ConfigOverrides::KEYS, "config")?;
    out.use_native = bool_prop(env, o, "use_native\0")?;
    out.log_mode = bool_prop(env, o, "log_mode\0")?;
    out.fallback = bool_prop(env, o, "fallback\0")?;
    out.kill_switch = bool_prop(env, o, "kill_switch\0")?;
    out.sticky = bool_prop(env, o, "sticky\0")?;
    if let Some(bp) = uint_prop(env, o, "percentage_bp\0")? {
        out.percentage = Some(pct(bp, "percentage_bp")?);
    }
    if let Some(s) = object_prop(env, o, "shadow\0")? {
        out.shadow = Some(shadow_from(env, s)?);
    }
    if let Some(t) = object_prop(env, o, "trip\0")? {
        out.trip = Some(trip_from(env, t)?);
    }
    Ok(out)
}

fn ms(d: Duration) -> f64 {
    d.as_millis() as f64
}

fn num(env: Env, d: f64) -> JsResult<Raw> {
    env.number(d)
}

fn config_to_js(env: Env, c: &Config) -> JsResult<Raw> {
    let o = env.object()?;
    env.set_named(o, "use_native\0", env.boolean(c.use_native)?)?;
    env.set_named(
        o,
        "percentage_bp\0",
        num(env, f64::from(c.percentage.bp()))?,
    )?;
    env.set_named(o, "log_mode\0", env.boolean(c.log_mode)?)?;
    env.set_named(o, "fallback\0", env.boolean(c.fallback)?)?;
    env.set_named(o, "kill_switch\0", env.boolean(c.kill_switch)?)?;
    env.set_named(o, "sticky\0", env.boolean(c.sticky)?)?;
    let s = env.object()?;
    env.set_named(
        s,
        "percentage_bp\0",
        num(env, f64::from(c.shadow.percentage.bp()))?,
    )?;
    env.set_named(s, "keep_last\0", num(env, c.shadow.keep_last as f64)?)?;
    env.set_named(o, "shadow\0", s)?;
    let t = env.object()?;
    env.set_named(t, "enabled\0", env.boolean(c.trip.enabled)?)?;
    env.set_named(t, "window_ms\0", num(env, ms(c.trip.window))?)?;
    env.set_named(t, "min_calls\0", num(env, f64::from(c.trip.min_calls))?)?;
    env.set_named(
        t,
        "threshold_bp\0",
        num(env, f64::from(c.trip.threshold.bp()))?,
    )?;
    env.set_named(t, "cool_down_ms\0", num(env, ms(c.trip.cool_down))?)?;
    env.set_named(
        t,
        "probe_successes\0",
        num(env, f64::from(c.trip.probe_successes))?,
    )?;
    env.set_named(o, "trip\0", t)?;
    Ok(o)
}

fn warning_to_js(env: Env, w: &ConfigWarning) -> JsResult<Raw> {
    let o = env.object()?;
    env.set_named(o, "variable\0", env.str(w.variable)?)?;
    env.set_named(o, "value\0", env.str(&w.value)?)?;
    env.set_named(o, "expected\0", env.str(w.expected.as_str())?)?;
    env.set_named(o, "default\0", env.str(&w.default)?)?;
    env.set_named(o, "message\0", env.str(&w.message())?)?;
    Ok(o)
}

/// The metrics object: the 16 keys of `MetricsSnapshot::pairs`, the seed's nine first.
fn snapshot_to_js(env: Env, s: &MetricsSnapshot) -> JsResult<Raw> {
    let o = env.object()?;
    for (k, v) in s.pairs() {
        let value = match v {
            MetricValue::Int(i) => env.number(i as f64)?,
            MetricValue::Float(f) => env.number(f)?,
            MetricValue::Bool(b) => env.boolean(b)?,
            MetricValue::Str(s) => env.str(s)?,
        };
        env.set(o, k, value)?;
    }
    Ok(o)
}

/// One prom-client sample: `{ value, labels, metricName? }`.
fn sample(
    env: Env,
    metric_name: Option<&str>,
    labels: &[(&str, &str)],
    value: f64,
) -> JsResult<Raw> {
    let o = env.object()?;
    env.set_named(o, "value\0", env.number(value)?)?;
    let l = env.object()?;
    for (k, v) in labels {
        env.set(l, k, env.str(v)?)?;
    }
    env.set_named(o, "labels\0", l)?;
    if let Some(m) = metric_name {
        env.set_named(o, "metricName\0", env.str(m)?)?;
    }
    Ok(o)
}

/// The families of docs/rollout.md section 5, in exposition order, as prom-client metric
/// objects' data: `[{ name, help, type, values: [{ value, labels, metricName? }] }]`, names,
/// help texts and samples all from qb-rollout's `FAMILIES` / `family_value`.
fn families_to_js(env: Env, v: &PrometheusValues) -> JsResult<Raw> {
    let out = env.array(FAMILIES.len())?;
    for (i, family) in FAMILIES.iter().enumerate() {
        let o = env.object()?;
        env.set_named(o, "name\0", env.str(family.name)?)?;
        env.set_named(o, "help\0", env.str(family.help)?)?;
        env.set_named(o, "type\0", env.str(family.kind.as_str())?)?;
        let mut samples = Vec::new();
        match v.family_value(family) {
            FamilyValue::Single(x) => samples.push(sample(env, None, &[], x)?),
            FamilyValue::PerBuilder(pairs) => {
                for (bt, x) in pairs {
                    samples.push(sample(env, None, &[("builder_type", bt)], x)?);
                }
            }
            FamilyValue::Histograms(hists) => {
                let bucket = format!("{}_bucket", family.name);
                let sum = format!("{}_sum", family.name);
                let count = format!("{}_count", family.name);
                for (bt, h) in hists {
                    for (le, c) in DURATION_BUCKET_LABELS.iter().zip(h.cumulative) {
                        samples.push(sample(
                            env,
                            Some(&bucket),
                            &[("builder_type", bt), ("le", le)],
                            c as f64,
                        )?);
                    }
                    samples.push(sample(
                        env,
                        Some(&bucket),
                        &[("builder_type", bt), ("le", "+Inf")],
                        h.count as f64,
                    )?);
                    samples.push(sample(
                        env,
                        Some(&sum),
                        &[("builder_type", bt)],
                        h.sum_seconds(),
                    )?);
                    samples.push(sample(
                        env,
                        Some(&count),
                        &[("builder_type", bt)],
                        h.count as f64,
                    )?);
                }
            }
            _ => {}
        }
        let values = env.array(samples.len())?;
        for (j, s) in samples.into_iter().enumerate() {
            env.set_element(values, j as u32, s)?;
        }
        env.set_named(o, "values\0", values)?;
        let by_builder = family.by_builder_type && family.kind != FamilyKind::Histogram;
        env.set_named(
            o,
            "byBuilderType\0",
            env.boolean(by_builder || family.by_builder_type)?,
        )?;
        env.set_element(out, i as u32, o)?;
    }
    Ok(out)
}

fn reason_index(r: Reason) -> u8 {
    Reason::ALL.iter().position(|x| *x == r).unwrap_or(0) as u8
}

/// A duration in nanoseconds from JS (a non-negative number; anything else counts as 0).
fn duration_arg(env: Env, v: Raw) -> JsResult<Duration> {
    if env.type_of(v)? != Type::Number {
        return Err(Fail::Type(
            "a duration must be a number of nanoseconds".into(),
        ));
    }
    let d = env.number_value(v)?;
    Ok(if d.is_finite() && d > 0.0 {
        Duration::from_nanos(d.min(u64::MAX as f64) as u64)
    } else {
        Duration::ZERO
    })
}

fn bool_arg(env: Env, v: Raw) -> JsResult<bool> {
    match env.type_of(v)? {
        Type::Boolean => env.bool_value(v),
        _ => Err(Fail::Type("expected a boolean".into())),
    }
}

fn string_arg(env: Env, v: Raw, what: &str) -> JsResult<String> {
    if env.type_of(v)? != Type::String {
        return Err(Fail::Type(format!("{what} must be a string")));
    }
    env.string(v)
}

/// A sticky key: a string, or undefined/null for none.
fn key_arg(env: Env, v: Raw) -> JsResult<Option<String>> {
    match env.type_of(v)? {
        Type::Undefined | Type::Null => Ok(None),
        Type::String => env.string(v).map(Some),
        _ => Err(Fail::Type("the sticky key must be a string".into())),
    }
}

// -- entry points ------------------------------------------------------------------------------

/// `rolloutNew(config?, { manualClock?, sampler? }?)`: `sampler` is a numeric seed or
/// `"counting"` (always 0, counts draws: tests).
fn rollout_new(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let cfg = Config::default().with_overrides(&overrides_from(env, cx.arg(0)?)?);
    let mut engine = Engine::new(cfg);
    let mut clock = None;
    let mut counting = None;
    let opts = cx.arg(1)?;
    if env.type_of(opts)? == Type::Object {
        if bool_prop(env, opts, "manualClock\0")? == Some(true) {
            let c = Arc::new(ManualClock::new(0));
            engine = engine.with_clock(c.clone());
            clock = Some(c);
        }
        if let Some(s) = prop(env, opts, "sampler\0")? {
            match env.type_of(s)? {
                Type::Number => {
                    let seed = env.number_value(s)?;
                    engine = engine.with_sampler(Arc::new(SeededSampler::new(seed as u64)));
                }
                Type::String if env.string(s)? == "counting" => {
                    let c = Arc::new(CountingSampler::default());
                    engine = engine.with_sampler(c.clone());
                    counting = Some(c);
                }
                _ => return Err(range("sampler must be a numeric seed or \"counting\"")),
            }
        }
    }
    env.external(Handle {
        engine,
        clock,
        counting,
        last_reason: Cell::new(0),
        native_since: Cell::new(None),
    })
}

fn rollout_apply(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let h = handle(env, cx.arg(0)?)?;
    let cfg = Config::default().with_overrides(&overrides_from(env, cx.arg(1)?)?);
    h.engine.apply(cfg);
    env.undefined()
}

fn rollout_config(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    config_to_js(env, &handle(env, cx.arg(0)?)?.engine.config())
}

/// `[native, shadow, reason, probe, bucket | null]`.
fn rollout_decide(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let h = handle(env, cx.arg(0)?)?;
    let key = key_arg(env, cx.arg(1)?)?;
    let d = h.engine.decide(key.as_deref());
    let out = env.array(5)?;
    env.set_element(out, 0, env.boolean(d.route == Route::Native)?)?;
    env.set_element(out, 1, env.boolean(d.shadow)?)?;
    env.set_element(out, 2, env.str(d.reason.as_str())?)?;
    env.set_element(out, 3, env.boolean(d.probe)?)?;
    let bucket = match d.bucket {
        Some(b) => env.number(f64::from(b))?,
        None => env.null()?,
    };
    env.set_element(out, 4, bucket)?;
    Ok(out)
}

/// `rolloutRoute(engine, key)`: the shim's decision, as a number: `reason index * 4 +
/// native * 2 + shadow`. When native, the shim encodes the query and calls `rolloutCompile`
/// (the decision and the compile are two calls so that a legacy call never pays for the
/// encoding).
fn rollout_route(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let h = handle(env, cx.arg(0)?)?;
    let key = key_arg(env, cx.arg(1)?)?;
    let d = h.engine.decide(key.as_deref());
    let reason = reason_index(d.reason);
    h.last_reason.set(reason);
    let native = d.route == Route::Native;
    if native {
        h.native_since.set(Some(Instant::now()));
    }
    env.number(
        f64::from(reason) * 4.0 + f64::from(u8::from(native)) * 2.0 + f64::from(u8::from(d.shadow)),
    )
}

/// `rolloutCompile(engine, words, text, refs, schema, placeholder, canFallBack)`: the native
/// route of a call `rolloutRoute` sent there: compiles (as `compileEncoded`; with `words`
/// null, `text` is the query itself, as `compileText` takes it), records the outcome, timed
/// from the decision, and returns the packed result, or throws the compile error after
/// recording it with `fell_back = canFallBack`. `placeholder` is 0 (numbered) or 1 (format).
fn rollout_compile(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let h = handle(env, cx.arg(0)?)?;
    let start = h.native_since.take().unwrap_or_else(Instant::now);
    let placeholder = if env.number_value(cx.arg(5)?)? == 1.0 {
        Placeholder::Format
    } else {
        Placeholder::Numbered
    };
    let can_fall_back = bool_arg(env, cx.arg(6)?)?;
    let options = crate::Options {
        placeholder,
        param_types: false,
        cursor_key: None,
    };
    let (words, schema) = (cx.arg(1)?, cx.arg(4)?);
    // A panic in the compile is a native failure like any other (recorded, then fallen back
    // from), not only an error at the boundary.
    let compiled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if matches!(env.type_of(words)?, Type::Null | Type::Undefined) {
            crate::compile_raw(env, cx.arg(2)?, schema, &options)
        } else {
            let q = crate::EncodedArgs {
                buf: words,
                text: cx.arg(2)?,
                refs: cx.arg(3)?,
            };
            crate::compile_encoded_raw(env, q, schema, &options)
        }
    }))
    .unwrap_or_else(|p| Err(Fail::Core(crate::js::internal(&crate::js::panic_text(&*p)))));
    let elapsed = start.elapsed();
    match compiled {
        Ok(out) => {
            h.engine.record_native_ok(elapsed);
            crate::packed_result(env, &out, false, None)
        }
        Err(Fail::Core(e)) => {
            h.engine.record_native_err(elapsed, can_fall_back);
            Err(Fail::Core(e))
        }
        // An exception of the caller's own (a getter that threw) or an API misuse: not a
        // native compiler failure, nothing to fall back from.
        Err(other) => Err(other),
    }
}

/// `rolloutLastReason(engine)`: the reason name of the last `rolloutRoute` decision.
fn rollout_last_reason(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let h = handle(env, cx.arg(0)?)?;
    let r = Reason::ALL
        .get(usize::from(h.last_reason.get()))
        .copied()
        .unwrap_or(Reason::PercentageSampled);
    env.str(r.as_str())
}

/// `rolloutRecord(engine, event, durationNs, fellBack?)`: `event` is `native_ok`,
/// `native_err`, `legacy_ok` or `legacy_err`.
fn rollout_record(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let h = handle(env, cx.arg(0)?)?;
    let event = string_arg(env, cx.arg(1)?, "event")?;
    let d = duration_arg(env, cx.arg(2)?)?;
    match event.as_str() {
        "native_ok" => h.engine.record_native_ok(d),
        "native_err" => h.engine.record_native_err(d, bool_arg(env, cx.arg(3)?)?),
        "legacy_ok" => h.engine.record_legacy_ok(d),
        "legacy_err" => h.engine.record_legacy_err(d),
        other => return Err(range(format!("unknown event `{other}`"))),
    }
    env.undefined()
}

/// `rolloutRecordShadow(engine, result, view, input)`.
fn rollout_record_shadow(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let h = handle(env, cx.arg(0)?)?;
    let result = match string_arg(env, cx.arg(1)?, "result")?.as_str() {
        "match" => ShadowResult::Match,
        "mismatch" => ShadowResult::Mismatch,
        "native_error" => ShadowResult::NativeError,
        "comparator_error" => ShadowResult::ComparatorError,
        other => return Err(range(format!("unknown shadow result `{other}`"))),
    };
    let view = string_arg(env, cx.arg(2)?, "view")?;
    let input = string_arg(env, cx.arg(3)?, "input")?;
    h.engine.record_shadow(result, &view, &input);
    env.undefined()
}

fn rollout_shadow_mismatches(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let h = handle(env, cx.arg(0)?)?;
    let kept = h.engine.shadow_mismatches();
    let out = env.array(kept.len())?;
    for (i, m) in kept.iter().enumerate() {
        let o = env.object()?;
        env.set_named(o, "seq\0", env.number(m.seq as f64)?)?;
        env.set_named(o, "result\0", env.str(m.result.as_str())?)?;
        env.set_named(o, "view\0", env.str(&m.view)?)?;
        env.set_named(o, "input\0", env.str(&m.input)?)?;
        env.set_element(out, i as u32, o)?;
    }
    Ok(out)
}

/// `rolloutSet(engine, what, value)`: `legacy_registered` or `native_available`.
fn rollout_set(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let h = handle(env, cx.arg(0)?)?;
    let v = bool_arg(env, cx.arg(2)?)?;
    match string_arg(env, cx.arg(1)?, "setting")?.as_str() {
        "legacy_registered" => h.engine.set_legacy_registered(v),
        "native_available" => h.engine.set_native_available(v),
        other => return Err(range(format!("unknown setting `{other}`"))),
    }
    env.undefined()
}

/// `rolloutState(engine)`: `{ legacyRegistered, nativeAvailable, tripState }`.
fn rollout_state(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let h = handle(env, cx.arg(0)?)?;
    let o = env.object()?;
    env.set_named(
        o,
        "legacyRegistered\0",
        env.boolean(h.engine.legacy_registered())?,
    )?;
    env.set_named(
        o,
        "nativeAvailable\0",
        env.boolean(h.engine.native_available())?,
    )?;
    env.set_named(o, "tripState\0", env.str(h.engine.trip_state().as_str())?)?;
    Ok(o)
}

/// `rolloutMetrics(engine | null, what)`: `what` is `snapshot` (the 16-key object),
/// `text` (Prometheus text 0.0.4) or `families` (prom-client data); a null engine means
/// the process-wide aggregate.
fn rollout_metrics(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let h = cx.arg(0)?;
    let values = match env.type_of(h)? {
        Type::Null | Type::Undefined => qb_rollout::global_prometheus_values(),
        _ => handle(env, h)?.engine.prometheus_values(),
    };
    match string_arg(env, cx.arg(1)?, "what")?.as_str() {
        "snapshot" => snapshot_to_js(env, &values.snapshot()),
        "text" => env.str(&values.render()),
        "families" => families_to_js(env, &values),
        other => Err(range(format!("unknown metrics view `{other}`"))),
    }
}

fn rollout_reset_metrics(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    handle(env, cx.arg(0)?)?.engine.reset_metrics();
    env.undefined()
}

/// `rolloutAdvanceMs(engine, ms)` (only with `manualClock`).
fn rollout_advance_ms(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let h = handle(env, cx.arg(0)?)?;
    let v = cx.arg(1)?;
    let d = if env.type_of(v)? == Type::Number {
        env.number_value(v)?
    } else {
        -1.0
    };
    if !(d.is_finite() && d >= 0.0) {
        return Err(range("advance by a non-negative number of milliseconds"));
    }
    match &h.clock {
        Some(c) => c.advance_ms(d as u64),
        None => return Err(range("this engine has no manual clock")),
    }
    env.undefined()
}

/// `rolloutSamplesDrawn(engine)` (only with the counting sampler).
fn rollout_samples_drawn(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let h = handle(env, cx.arg(0)?)?;
    match &h.counting {
        Some(c) => env.number(c.drawn() as f64),
        None => Err(range("this engine has no counting sampler")),
    }
}

/// `resolveConfig(envPairs, overrides?)` -> `[config, warnings]`: the environment as
/// `[name, value]` pairs, then the canonical overrides.
fn resolve_config(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let pairs = cx.arg(0)?;
    if !env.is_array(pairs)? {
        return Err(Fail::Type(
            "resolveConfig(pairs): pairs must be an array".into(),
        ));
    }
    let mut vars = Vec::new();
    for i in 0..env.array_len(pairs)? {
        let p = env.element(pairs, i)?;
        if !env.is_array(p)? || env.array_len(p)? != 2 {
            return Err(Fail::Type(
                "resolveConfig(pairs): each pair is [name, value]".into(),
            ));
        }
        let name = string_arg(env, env.element(p, 0)?, "a variable name")?;
        let value = string_arg(env, env.element(p, 1)?, "a variable value")?;
        vars.push((name, value));
    }
    let o = overrides_from(env, cx.arg(1)?)?;
    let (cfg, warnings) = Config::resolve(vars, &o);
    let out = env.array(2)?;
    env.set_element(out, 0, config_to_js(env, &cfg)?)?;
    let ws = env.array(warnings.len())?;
    for (i, w) in warnings.iter().enumerate() {
        env.set_element(ws, i as u32, warning_to_js(env, w)?)?;
    }
    env.set_element(out, 1, ws)?;
    Ok(out)
}

/// `rolloutMeta()`: `{ envVars, seedKeys, reasons, defaults, families, durationBuckets }`
/// (`families`: `[{ name, help, type, byBuilderType }]` of `FAMILIES`; `durationBuckets`:
/// `[[upper bound ns, le label]]`).
fn rollout_meta(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let o = env.object()?;
    let list = |items: &[&str]| -> JsResult<Raw> {
        let a = env.array(items.len())?;
        for (i, s) in items.iter().enumerate() {
            env.set_element(a, i as u32, env.str(s)?)?;
        }
        Ok(a)
    };
    env.set_named(o, "envVars\0", list(&qb_rollout::ENV_VARS)?)?;
    env.set_named(o, "seedKeys\0", list(&qb_rollout::SEED_KEYS)?)?;
    let reasons: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
    env.set_named(o, "reasons\0", list(&reasons)?)?;
    env.set_named(o, "defaults\0", config_to_js(env, &Config::default())?)?;
    // The static part of the families table and the histogram's buckets: what the
    // legacy-only stand-in (fallback.js) renders from when this module cannot be loaded.
    let families = env.array(FAMILIES.len())?;
    for (i, family) in FAMILIES.iter().enumerate() {
        let f = env.object()?;
        env.set_named(f, "name\0", env.str(family.name)?)?;
        env.set_named(f, "help\0", env.str(family.help)?)?;
        env.set_named(f, "type\0", env.str(family.kind.as_str())?)?;
        env.set_named(f, "byBuilderType\0", env.boolean(family.by_builder_type)?)?;
        env.set_element(families, i as u32, f)?;
    }
    env.set_named(o, "families\0", families)?;
    let buckets = env.array(DURATION_BUCKETS_NS.len())?;
    for (i, (ns, le)) in DURATION_BUCKETS_NS
        .iter()
        .zip(DURATION_BUCKET_LABELS)
        .enumerate()
    {
        let pair = env.array(2)?;
        env.set_element(pair, 0, env.number(*ns as f64)?)?;
        env.set_element(pair, 1, env.str(le)?)?;
        env.set_element(buckets, i as u32, pair)?;
    }
    env.set_named(o, "durationBuckets\0", buckets)?;
    Ok(o)
}

/// `logLine(kind, view, a, b)`: `served` (a = servedNative, b = reason name) or `fallback`
/// (a = the native error's text): the engine's words, identical in every binding.
fn log_line(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let kind = string_arg(env, cx.arg(0)?, "kind")?;
    let view = string_arg(env, cx.arg(1)?, "view")?;
    let line = match kind.as_str() {
        "served" => {
            let route = if bool_arg(env, cx.arg(2)?)? {
                Route::Native
            } else {
                Route::Legacy
            };
            let name = string_arg(env, cx.arg(3)?, "reason")?;
            let reason = Reason::from_name(&name)
                .ok_or_else(|| range(format!("unknown reason `{name}`")))?;
            qb_rollout::served_log_line(&view, route, reason)
        }
        "fallback" => qb_rollout::fallback_log_line(&view, &string_arg(env, cx.arg(2)?, "error")?),
        other => return Err(range(format!("unknown log line `{other}`"))),
    };
    env.str(&line)
}

/// `stickyBucket(key)` -> `[fnv1a64 as 16 hex digits, bucket]`.
fn sticky_bucket(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let key = string_arg(env, cx.arg(0)?, "key")?;
    let out = env.array(2)?;
    let hex = format!("{:016x}", qb_rollout::fnv1a64(key.as_bytes()));
    env.set_element(out, 0, env.str(&hex)?)?;
    env.set_element(
        out,
        1,
        env.number(f64::from(qb_rollout::sticky_bucket(&key)))?,
    )?;
    Ok(out)
}

/// `compareRows(legacyRows, nativeRows, ordered)`: each row a canonical text (e.g. its
/// JSON). Returns null when they match, else `{ position, legacyRow, nativeRow }` (indexes
/// into the inputs, null where that side has no row): qb-rollout's `compare_rows`.
fn compare_rows(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let read = |v: Raw| -> JsResult<Vec<String>> {
        if !env.is_array(v)? {
            return Err(Fail::Type(
                "compareRows: rows must be arrays of strings".into(),
            ));
        }
        let mut out = Vec::new();
        for i in 0..env.array_len(v)? {
            out.push(string_arg(env, env.element(v, i)?, "a row")?);
        }
        Ok(out)
    };
    let legacy = read(cx.arg(0)?)?;
    let native = read(cx.arg(1)?)?;
    let order = if bool_arg(env, cx.arg(2)?)? {
        RowOrder::Ordered
    } else {
        RowOrder::Multiset
    };
    match qb_rollout::compare_rows(&legacy, &native, order) {
        None => env.null(),
        Some(d) => {
            let o = env.object()?;
            env.set_named(o, "position\0", env.number(d.position as f64)?)?;
            let idx = |i: Option<usize>| match i {
                Some(i) => env.number(i as f64),
                None => env.null(),
            };
            env.set_named(o, "legacyRow\0", idx(d.legacy_row)?)?;
            env.set_named(o, "nativeRow\0", idx(d.native_row)?)?;
            Ok(o)
        }
    }
}

/// `checkPlaceholders(text, paramCount, placeholder)`: qb-rollout's `check_placeholders` of
/// a legacy statement against the shim's style (`placeholder` 0 numbered, 1 format, as in
/// `rolloutRoute`). Returns `["consistent", null]`, `["inconclusive", null]` (no placeholder
/// and no parameter) or `["mismatch", message]`.
fn check_placeholders(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let text = string_arg(env, cx.arg(0)?, "the statement")?;
    let count = cx.arg(1)?;
    if env.type_of(count)? != Type::Number {
        return Err(Fail::Type("the parameter count must be a number".into()));
    }
    let n = env.number_value(count)?;
    if !(n.is_finite() && n >= 0.0 && n.fract() == 0.0) {
        return Err(range(format!(
            "the parameter count must be a non-negative integer, got {n}"
        )));
    }
    let style = if env.number_value(cx.arg(2)?)? == 1.0 {
        PlaceholderStyle::Format
    } else {
        PlaceholderStyle::Numbered
    };
    let (status, message) = match qb_rollout::check_placeholders(&text, n as usize, style) {
        PlaceholderCheck::Consistent => ("consistent", None),
        PlaceholderCheck::Mismatch(m) => ("mismatch", Some(m.to_string())),
        _ => ("inconclusive", None),
    };
    let out = env.array(2)?;
    env.set_element(out, 0, env.str(status)?)?;
    let message = match message {
        Some(m) => env.str(&m)?,
        None => env.null()?,
    };
    env.set_element(out, 1, message)?;
    Ok(out)
}

entry!(rollout_new_cb => rollout_new);
entry!(rollout_apply_cb => rollout_apply);
entry!(rollout_config_cb => rollout_config);
entry!(rollout_decide_cb => rollout_decide);
entry!(rollout_route_cb => rollout_route);
entry!(rollout_compile_cb => rollout_compile);
entry!(rollout_last_reason_cb => rollout_last_reason);
entry!(rollout_record_cb => rollout_record);
entry!(rollout_record_shadow_cb => rollout_record_shadow);
entry!(rollout_shadow_mismatches_cb => rollout_shadow_mismatches);
entry!(rollout_set_cb => rollout_set);
entry!(rollout_state_cb => rollout_state);
entry!(rollout_metrics_cb => rollout_metrics);
entry!(rollout_reset_metrics_cb => rollout_reset_metrics);
entry!(rollout_advance_ms_cb => rollout_advance_ms);
entry!(rollout_samples_drawn_cb => rollout_samples_drawn);
entry!(resolve_config_cb => resolve_config);
entry!(rollout_meta_cb => rollout_meta);
entry!(log_line_cb => log_line);
entry!(sticky_bucket_cb => sticky_bucket);
entry!(compare_rows_cb => compare_rows);
entry!(check_placeholders_cb => check_placeholders);

pub(crate) fn export(env: Env, exports: Raw) -> JsResult<()> {
    let fns: &[(&'static str, sys::napi_callback)] = &[
        ("rolloutNew", Some(rollout_new_cb)),
        ("rolloutApply", Some(rollout_apply_cb)),
        ("rolloutConfig", Some(rollout_config_cb)),
        ("rolloutDecide", Some(rollout_decide_cb)),
        ("rolloutRoute", Some(rollout_route_cb)),
        ("rolloutCompile", Some(rollout_compile_cb)),
        ("rolloutLastReason", Some(rollout_last_reason_cb)),
        ("rolloutRecord", Some(rollout_record_cb)),
        ("rolloutRecordShadow", Some(rollout_record_shadow_cb)),
        (
            "rolloutShadowMismatches",
            Some(rollout_shadow_mismatches_cb),
        ),
        ("rolloutSet", Some(rollout_set_cb)),
        ("rolloutState", Some(rollout_state_cb)),
        ("rolloutMetrics", Some(rollout_metrics_cb)),
        ("rolloutResetMetrics", Some(rollout_reset_metrics_cb)),
        ("rolloutAdvanceMs", Some(rollout_advance_ms_cb)),
        ("rolloutSamplesDrawn", Some(rollout_samples_drawn_cb)),
        ("resolveConfig", Some(resolve_config_cb)),
        ("rolloutMeta", Some(rollout_meta_cb)),
        ("logLine", Some(log_line_cb)),
        ("stickyBucket", Some(sticky_bucket_cb)),
        ("compareRows", Some(compare_rows_cb)),
        ("checkPlaceholders", Some(check_placeholders_cb)),
    ];
    crate::js::export_functions(env, exports, fns)
}
