//! Behaviour tests of the engine beyond the conformance vectors: concurrency, sampling,
//! reconfiguration, process-wide aggregation, robustness on arbitrary input.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use qb_rollout::{
    Config, ConfigOverrides, ManualClock, Percentage, Reason, Rollout, Route, SeededSampler,
    ShadowConfig, ShadowResult, TripConfig, TripState, global_snapshot, parse_bool,
};

#[test]
fn eight_threads_one_shim_exact_totals() {
    let shim = Arc::new(Rollout::new(Config {
        use_native: true,
        ..Config::default()
    }));
    let per_thread = 5_000u64;
    let handles: Vec<_> = (0..8u64)
        .map(|t| {
            let shim = Arc::clone(&shim);
            thread::spawn(move || {
                for i in 0..per_thread {
                    let d = shim.decide(None);
                    assert_eq!(d.route, Route::Native);
                    // Every 10th native call fails and falls back.
                    if (i + t) % 10 == 0 {
                        shim.record_native_err(Duration::from_nanos(3), true);
                        shim.record_legacy_ok(Duration::from_nanos(7));
                    } else {
                        shim.record_native_ok(Duration::from_nanos(2));
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let s = shim.snapshot();
    let total = 8 * per_thread;
    let errors = total / 10;
    assert_eq!(s.total_calls, total);
    assert_eq!(s.rust_calls, total);
    assert_eq!(s.rust_errors, errors);
    assert_eq!(s.rust_fallbacks, errors);
    assert_eq!(s.python_calls, errors);
    assert_eq!(s.rust_error_rate, 10.0);
    assert_eq!(s.rust_percentage, 90.0);
    let v = shim.prometheus_values();
    assert_eq!(v.native_duration.count, total);
    assert_eq!(v.native_duration.sum_ns, (total - errors) * 2 + errors * 3);
    assert_eq!(v.legacy_duration.sum_ns, errors * 7);
}

#[test]
fn random_sampling_tracks_the_percentage() {
    let shim = Rollout::new(Config {
        percentage: Percentage::from_bp(2500).unwrap(),
        ..Config::default()
    })
    .with_sampler(Arc::new(SeededSampler::new(42)));
    let n = 40_000;
    let native = (0..n)
        .filter(|_| shim.decide(None).route == Route::Native)
        .count();
    // 25 % of 40 000 = 10 000; 5 standard deviations is about 430.
    assert!((9_500..=10_500).contains(&native), "{native}");
    // The default thread-local sampler also works.
    let shim = Rollout::new(Config {
        percentage: Percentage::from_bp(5000).unwrap(),
        ..Config::default()
    });
    let native = (0..4_000)
        .filter(|_| shim.decide(None).route == Route::Native)
        .count();
    assert!((1_700..=2_300).contains(&native), "{native}");
}

#[test]
fn zero_and_full_never_sample() {
    for (bp, route) in [(0, Route::Legacy), (10_000, Route::Native)] {
        let shim = Rollout::new(Config {
            percentage: Percentage::from_bp(bp).unwrap(),
            ..Config::default()
        });
        assert!((0..1000).all(|_| shim.decide(None).route == route));
    }
}

#[test]
fn reload_applies_and_is_inspectable() {
    let (cfg, _) = Config::from_env([("FRAISEQL_RUST_QB_PERCENTAGE", "0")]);
    let shim = Rollout::new(cfg);
    assert_eq!(shim.decide(None).route, Route::Legacy);
    let (cfg, w) = Config::resolve(
        [("FRAISEQL_RUST_QB_PERCENTAGE", "abc")],
        &ConfigOverrides {
            use_native: Some(true),
            ..Default::default()
        },
    );
    assert_eq!(w.len(), 1);
    shim.apply(cfg.clone());
    assert_eq!(*shim.config(), cfg);
    let d = shim.decide(None);
    assert_eq!((d.route, d.reason), (Route::Native, Reason::Forced));
    shim.record_native_ok(Duration::from_micros(1));
    // Counters survive a reload.
    shim.apply(Config::default());
    assert_eq!(shim.snapshot().rust_calls, 1);
    assert_eq!(shim.decide(None).route, Route::Legacy);
}

#[test]
fn disabling_trip_back_closes_the_breaker() {
    let clock = Arc::new(ManualClock::new(0));
    let trip = TripConfig {
        enabled: true,
        min_calls: 2,
        ..TripConfig::default()
    };
    let cfg = Config {
        use_native: true,
        trip: trip.clone(),
        ..Config::default()
    };
    let shim = Rollout::new(cfg.clone()).with_clock(clock.clone());
    shim.record_native_err(Duration::ZERO, false);
    shim.record_native_err(Duration::ZERO, false);
    assert_eq!(shim.trip_state(), TripState::Open);
    assert_eq!(shim.decide(None).reason, Reason::Tripped);
    assert_eq!(shim.snapshot().trip_state, TripState::Open);
    assert!(
        shim.render_prometheus()
            .contains("\nfraiseql_query_builder_trip_state 1\n")
    );
    shim.apply(Config {
        trip: TripConfig {
            enabled: false,
            ..trip
        },
        ..cfg
    });
    assert_eq!(shim.trip_state(), TripState::Closed);
    assert_eq!(shim.decide(None).reason, Reason::Forced);
    assert_eq!(shim.snapshot().trips_total, 1);
}

#[test]
fn process_wide_aggregate_sums_shims() {
    // Other tests in this binary run concurrently and also count, so compare deltas that
    // only this test can cause: a dedicated, large, odd number of legacy errors.
    let before = global_snapshot();
    let a = Rollout::default();
    let b = Rollout::default();
    for _ in 0..1001 {
        a.record_legacy_err(Duration::ZERO);
    }
    for _ in 0..2002 {
        b.record_legacy_err(Duration::ZERO);
    }
    let after = global_snapshot();
    assert!(after.python_errors - before.python_errors >= 3003);
    assert_eq!(a.snapshot().python_errors, 1001);
    assert_eq!(b.snapshot().python_errors, 2002);
    a.reset_metrics();
    assert_eq!(a.snapshot().python_calls, 0);
    assert!(global_snapshot().python_errors >= after.python_errors);
}

#[test]
fn shadow_keeps_bounded_inputs() {
    let shim = Rollout::new(Config {
        shadow: ShadowConfig {
            percentage: Percentage::FULL,
            keep_last: 3,
        },
        ..Config::default()
    });
    let d = shim.decide(Some("k"));
    assert_eq!((d.route, d.shadow), (Route::Legacy, true));
    let long = "é".repeat(5000);
    for _ in 0..10 {
        shim.record_shadow(ShadowResult::Mismatch, "v", &long);
    }
    let kept = shim.shadow_mismatches();
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[0].seq, 8);
    assert_eq!(kept[2].input.len(), 4096);
    // Shrinking keep_last on reload drops the oldest.
    shim.apply(Config {
        shadow: ShadowConfig {
            percentage: Percentage::FULL,
            keep_last: 1,
        },
        ..Config::default()
    });
    assert_eq!(shim.shadow_mismatches()[0].seq, 10);
}

#[test]
fn arbitrary_env_values_never_panic_nor_raise_native_traffic() {
    let mut rng = fastrand_like(7);
    let alphabet: Vec<char> = "0123456789.-+eE %,xyzTRUEfalsnoy \t\n\u{0}\u{663}é😀"
        .chars()
        .collect();
    for _ in 0..20_000 {
        let len = (rng() % 12) as usize;
        let s: String = (0..len)
            .map(|_| alphabet[(rng() as usize) % alphabet.len()])
            .collect();
        let (cfg, warnings) = Config::from_env([
            ("FRAISEQL_RUST_QB_PERCENTAGE", s.as_str()),
            ("FRAISEQL_USE_RUST_QUERY_BUILDER", s.as_str()),
        ]);
        if warnings
            .iter()
            .any(|w| w.variable == "FRAISEQL_RUST_QB_PERCENTAGE")
        {
            assert_eq!(cfg.percentage, Percentage::ZERO, "{s:?}");
        }
        if parse_bool(&s).is_err() {
            assert!(!cfg.use_native, "{s:?}");
        }
        let _ = Rollout::new(cfg).decide(Some(&s));
    }
}

/// A tiny deterministic generator for the test inputs (xorshift64*).
fn fastrand_like(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed.max(1);
    move || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn dependency_rule_no_core_no_host_crates() {
    let manifest = include_str!("../Cargo.toml");
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap();
    let names: Vec<&str> = deps
        .lines()
        .filter_map(|l| l.split('=').next())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    assert_eq!(names, ["fastrand"]);
    for banned in ["qb-core", "pyo3", "napi", "libc"] {
        assert!(!deps.contains(banned), "{banned}");
    }
}

#[test]
fn contract_doc_names_every_key_reason_and_family() {
    let doc = include_str!("../../../docs/rollout.md");
    for key in qb_rollout::SEED_KEYS {
        assert!(doc.contains(&format!("`{key}`")), "{key}");
    }
    for (key, _) in Rollout::default().snapshot().pairs() {
        assert!(doc.contains(&format!("`{key}`")), "{key}");
    }
    for reason in Reason::ALL {
        assert!(
            doc.contains(&format!("`{}`", reason.as_str())),
            "{reason:?}"
        );
    }
    for var in qb_rollout::ENV_VARS {
        assert!(doc.contains(&format!("`{var}`")), "{var}");
    }
    let text = Rollout::default().render_prometheus();
    for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        let mut parts = line.split(' ').skip(2);
        let (name, kind) = (parts.next().unwrap(), parts.next().unwrap());
        assert!(doc.contains(&format!("| `{name}` | {kind} |")), "{name}");
    }
    for le in qb_rollout::DURATION_BUCKET_LABELS {
        assert!(doc.contains(le), "{le}");
    }
}
