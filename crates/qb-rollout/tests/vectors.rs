//! Runs every vector of tests/rollout/vectors.json against the engine.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use qb_rollout::{
    Config, CountingSampler, ManualClock, MetricValue, Percentage, Rollout, ShadowConfig,
    ShadowResult, TripConfig, fnv1a64, sticky_bucket, sticky_route,
};
use serde_json::{Map, Value, json};

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/rollout/vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn pct(v: &Value) -> Percentage {
    Percentage::from_bp(u32::try_from(v.as_u64().unwrap()).unwrap()).unwrap()
}

fn config_to_json(c: &Config) -> Value {
    json!({
        "use_native": c.use_native,
        "percentage_bp": c.percentage.bp(),
        "log_mode": c.log_mode,
        "fallback": c.fallback,
        "kill_switch": c.kill_switch,
        "sticky": c.sticky,
        "shadow": {"percentage_bp": c.shadow.percentage.bp(), "keep_last": c.shadow.keep_last},
        "trip": {
            "enabled": c.trip.enabled,
            "window_ms": c.trip.window.as_millis() as u64,
            "min_calls": c.trip.min_calls,
            "threshold_bp": c.trip.threshold.bp(),
            "cool_down_ms": c.trip.cool_down.as_millis() as u64,
            "probe_successes": c.trip.probe_successes,
        },
    })
}

/// A partial config object: missing fields keep `Config::default()`.
fn config_from_json(v: &Value) -> Config {
    let mut c = Config::default();
    let o = v.as_object().unwrap();
    let b = |k: &str, d: bool| o.get(k).map_or(d, |x| x.as_bool().unwrap());
    c.use_native = b("use_native", c.use_native);
    c.log_mode = b("log_mode", c.log_mode);
    c.fallback = b("fallback", c.fallback);
    c.kill_switch = b("kill_switch", c.kill_switch);
    c.sticky = b("sticky", c.sticky);
    if let Some(p) = o.get("percentage_bp") {
        c.percentage = pct(p);
    }
    if let Some(s) = o.get("shadow") {
        c.shadow = ShadowConfig {
            percentage: pct(&s["percentage_bp"]),
            keep_last: s["keep_last"].as_u64().unwrap() as usize,
        };
    }
    if let Some(t) = o.get("trip") {
        c.trip = TripConfig {
            enabled: t["enabled"].as_bool().unwrap(),
            window: Duration::from_millis(t["window_ms"].as_u64().unwrap()),
            min_calls: t["min_calls"].as_u64().unwrap() as u32,
            threshold: pct(&t["threshold_bp"]),
            cool_down: Duration::from_millis(t["cool_down_ms"].as_u64().unwrap()),
            probe_successes: t["probe_successes"].as_u64().unwrap() as u32,
        };
    }
    c
}

fn metrics_to_json(r: &Rollout) -> Map<String, Value> {
    r.snapshot()
        .pairs()
        .iter()
        .map(|(k, v)| {
            let v = match *v {
                MetricValue::Int(i) => json!(i),
                MetricValue::Float(f) => json!(f),
                MetricValue::Bool(b) => json!(b),
                MetricValue::Str(s) => json!(s),
            };
            ((*k).to_owned(), v)
        })
        .collect()
}

fn assert_metrics(name: &str, got: &Map<String, Value>, want: &Value, tol: f64) {
    let want = want.as_object().unwrap();
    let got_keys: Vec<_> = got.keys().collect();
    let want_keys: Vec<_> = want.keys().collect();
    assert_eq!(got_keys, want_keys, "{name}: keys");
    for (k, w) in want {
        let g = &got[k];
        if let (Some(gf), true) = (g.as_f64(), w.is_f64()) {
            let wf = w.as_f64().unwrap();
            assert!(
                (gf - wf).abs() <= tol * wf.abs().max(1.0),
                "{name}: {k} = {gf}, want {wf}"
            );
        } else {
            assert_eq!(g, w, "{name}: {k}");
        }
    }
}

fn duration(e: &Value) -> Duration {
    Duration::from_nanos(e["duration_ns"].as_u64().unwrap())
}

fn shadow_result(s: &str) -> ShadowResult {
    match s {
        "match" => ShadowResult::Match,
        "mismatch" => ShadowResult::Mismatch,
        "native_error" => ShadowResult::NativeError,
        "comparator_error" => ShadowResult::ComparatorError,
        other => panic!("unknown shadow result {other}"),
    }
}

/// Apply one event; returns an error text for a failed expectation.
fn apply(name: &str, i: usize, r: &Rollout, clock: &ManualClock, e: &Value) {
    match e["op"].as_str().unwrap() {
        "native_ok" => r.record_native_ok(duration(e)),
        "native_err" => r.record_native_err(duration(e), e["fell_back"].as_bool().unwrap()),
        "legacy_ok" => r.record_legacy_ok(duration(e)),
        "legacy_err" => r.record_legacy_err(duration(e)),
        "shadow" => r.record_shadow(
            shadow_result(e["result"].as_str().unwrap()),
            e["view"].as_str().unwrap(),
            e["input"].as_str().unwrap(),
        ),
        "advance_ms" => clock.advance_ms(e["ms"].as_u64().unwrap()),
        "trip_state" => assert_eq!(
            r.trip_state().as_str(),
            e["state"].as_str().unwrap(),
            "{name}: event {i}"
        ),
        "decide" => {
            let d = r.decide(e["key"].as_str());
            assert_eq!(
                d.route.as_str(),
                e["route"].as_str().unwrap(),
                "{name}: {i}"
            );
            assert_eq!(
                d.reason.as_str(),
                e["reason"].as_str().unwrap(),
                "{name}: {i}"
            );
            assert_eq!(d.probe, e["probe"].as_bool().unwrap(), "{name}: {i} probe");
        }
        other => panic!("{name}: unknown op {other}"),
    }
}

#[test]
fn format_is_known() {
    let v = vectors();
    assert_eq!(v["format"], 1);
    assert_eq!(
        v["config_defaults"],
        config_to_json(&Config::default()),
        "config_defaults"
    );
}

#[test]
fn env_vectors() {
    let v = vectors();
    let cases = v["env"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let env: Vec<(String, String)> = case["env"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        let (cfg, warnings) = Config::from_env(env);
        assert_eq!(config_to_json(&cfg), case["config"], "{name}: config");
        let got: Vec<Value> = warnings
            .iter()
            .map(|w| {
                json!({"variable": w.variable, "value": w.value,
                       "expected": w.expected.as_str(), "default": w.default})
            })
            .collect();
        assert_eq!(Value::Array(got), case["warnings"], "{name}: warnings");
        for w in &warnings {
            let m = w.message();
            assert!(m.contains(w.variable) && m.contains(&w.default), "{m}");
        }
    }
}

#[test]
fn sticky_vectors() {
    let v = vectors();
    for case in v["sticky"].as_array().unwrap() {
        let key = case["key"].as_str().unwrap();
        assert_eq!(
            format!("{:016x}", fnv1a64(key.as_bytes())),
            case["fnv1a64"].as_str().unwrap(),
            "hash of {key:?}"
        );
        assert_eq!(
            u64::from(sticky_bucket(key)),
            case["bucket"].as_u64().unwrap(),
            "{key:?}"
        );
        for r in case["routes"].as_array().unwrap() {
            let p = pct(&r["percentage_bp"]);
            assert_eq!(
                sticky_route(key, p).as_str(),
                r["route"].as_str().unwrap(),
                "{key:?} at {p}"
            );
            // The same through the engine.
            let shim = Rollout::new(Config {
                sticky: true,
                percentage: p,
                ..Config::default()
            });
            let d = shim.decide(Some(key));
            assert_eq!(d.route.as_str(), r["route"].as_str().unwrap());
            assert_eq!(d.bucket, Some(sticky_bucket(key)));
        }
    }
}

#[test]
fn decision_vectors() {
    let v = vectors();
    for case in v["decisions"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let sampler = Arc::new(CountingSampler::default());
        let shim = Rollout::new(config_from_json(&case["config"])).with_sampler(sampler.clone());
        shim.set_legacy_registered(case["legacy_registered"].as_bool().unwrap());
        shim.set_native_available(case["native_available"].as_bool().unwrap());
        let d = shim.decide(case["key"].as_str());
        assert_eq!(d.route.as_str(), case["route"].as_str().unwrap(), "{name}");
        assert_eq!(
            d.reason.as_str(),
            case["reason"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            d.shadow,
            case["shadow"].as_bool().unwrap(),
            "{name}: shadow"
        );
        assert_eq!(
            d.bucket.map(u64::from),
            case["bucket"].as_u64(),
            "{name}: bucket"
        );
        assert_eq!(sampler.drawn(), 0, "{name}: used randomness");
    }
}

#[test]
fn sequence_vectors() {
    let v = vectors();
    let tol = v["float_tolerance"].as_f64().unwrap();
    for case in v["sequences"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let clock = Arc::new(ManualClock::new(0));
        let shim = Rollout::new(config_from_json(&case["config"]))
            .with_clock(clock.clone())
            .with_sampler(Arc::new(CountingSampler::default()));
        if let Some(l) = case.get("legacy_registered") {
            shim.set_legacy_registered(l.as_bool().unwrap());
        }
        for (i, e) in case["events"].as_array().unwrap().iter().enumerate() {
            apply(name, i, &shim, &clock, e);
        }
        assert_metrics(name, &metrics_to_json(&shim), &case["metrics"], tol);
        if let Some(kept) = case.get("shadow_kept") {
            let got: Vec<Value> = shim
                .shadow_mismatches()
                .iter()
                .map(|m| {
                    json!({"seq": m.seq, "result": m.result.as_str(),
                           "view": m.view, "input": m.input})
                })
                .collect();
            assert_eq!(&Value::Array(got), kept, "{name}: shadow_kept");
        }
    }
}

#[test]
fn prometheus_vectors() {
    let v = vectors();
    for case in v["prometheus"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let clock = Arc::new(ManualClock::new(0));
        let shim = Rollout::new(Config::default()).with_clock(clock.clone());
        shim.set_native_available(case["native_available"].as_bool().unwrap());
        for (i, e) in case["events"].as_array().unwrap().iter().enumerate() {
            apply(name, i, &shim, &clock, e);
        }
        let text = shim.render_prometheus();
        assert_eq!(text, case["text"].as_str().unwrap(), "{name}");
        // Rendering is deterministic.
        assert_eq!(text, shim.render_prometheus());
    }
}
