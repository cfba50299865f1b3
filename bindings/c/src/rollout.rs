//! The rollout shim in C: `fqb_shim` routes each call to the native compiler or to the
//! application's legacy builder (a callback), per docs/rollout.md. Every decision, counter,
//! the trip-back breaker, the shadow store and the Prometheus text are `qb_rollout`'s; this
//! file calls the callbacks, times them with a monotonic clock and converts types.
//!
//! The call sequence is docs/rollout.md section 3, with the contract additions every shim
//! has: one placeholder style per shim, checked against the legacy SQL until a legacy
//! statement shows its style (a mismatch is `FQB_CONFIGURATION` on that call); a callback
//! that fails or returns unusable output is a legacy error, counted once; a malformed
//! environment value only warns (`fqb_shim_warnings`, and the log callback).

use std::ffi::{CString, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use qb_core::{CompileOptions, Placeholder};
use qb_rollout::{
    Config, ConfigOverrides, ConfigWarning, CountingSampler, ManualClock, MetricsSnapshot,
    Percentage, PlaceholderCheck, PlaceholderStyle, Reason, Rollout, Route, SeededSampler,
    ShadowConfig, ShadowResult, TripConfig,
};

use crate::error::{Failure, c_string, fqb_error, fqb_result};
use crate::panic::{self, Out, handle, handle_mut};
use crate::{
    ParamsBuilder, buffer, compile_text, fqb_buffer, fqb_builder, fqb_compiled, fqb_options,
    fqb_schema, fqb_str,
};

// ---------------------------------------------------------------------------------------
// Callbacks

/// The legacy builder: builds the statement for `query` (the JSON text given to
/// `fqb_shim_build`, `query_len` bytes, not NUL-terminated) and hands it over through
/// `output` with `fqb_legacy_output_set_sql` / `fqb_legacy_output_add_param` /
/// `fqb_legacy_output_add_null`, which copy what they are given: the callback keeps
/// ownership of all its memory and may free it as soon as they return. `output` is valid
/// only during the call.
///
/// Return 0 on success; any other value is a failure: the call fails with
/// `FQB_LEGACY_FAILED`, that value as `fqb_error_legacy_status` and the message given to
/// `fqb_legacy_output_set_error`. Called from the thread calling `fqb_shim_build`,
/// possibly from several threads at once; it must not unwind or `longjmp` out.
pub type fqb_legacy_build_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        query: *const c_char,
        query_len: usize,
        output: *mut fqb_legacy_output,
    ) -> c_int,
>;

/// A log line: `level` is an `fqb_log_level`; `message` is `message_len` bytes followed by
/// a NUL. Warnings (malformed environment values) come on creation and on every reload;
/// debug lines (which builder served a call) only when log mode is on. Called from the
/// calling thread, possibly several at once; the message is valid during the call only.
pub type fqb_log_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: u32,
        message: *const c_char,
        message_len: usize,
    ),
>;

/// Shadow comparison of the legacy statement (the one served) with the native one: return
/// 1 when they are equivalent, 0 when not, a negative value when the comparison itself
/// failed (counted as a comparator error; the call is served anyway). Both handles are
/// valid during the call only. Without a comparator, SQL text and parameter values are
/// compared exactly.
pub type fqb_compare_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        legacy: *const fqb_compiled,
        native: *const fqb_compiled,
    ) -> c_int,
>;

/// `fqb_log_fn` levels.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum fqb_log_level {
    /// A malformed environment value (the default applies).
    FQB_LOG_WARNING = 1,
    /// Which builder served a call (log mode only).
    FQB_LOG_DEBUG = 2,
}

/// The caller's `user_data`: handed back to its callbacks, from any thread.
#[derive(Debug, Clone, Copy)]
struct UserData(*mut c_void);

// SAFETY: the library never dereferences it; the README states that callbacks (and so
// their user data) are used from every thread that calls the shim.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

#[derive(Debug, Clone, Copy)]
struct Callback<F> {
    f: F,
    data: UserData,
}

type LegacyFn =
    unsafe extern "C" fn(*mut c_void, *const c_char, usize, *mut fqb_legacy_output) -> c_int;
type LogFn = unsafe extern "C" fn(*mut c_void, u32, *const c_char, usize);
type CompareFn =
    unsafe extern "C" fn(*mut c_void, *const fqb_compiled, *const fqb_compiled) -> c_int;

// ---------------------------------------------------------------------------------------
// The legacy builder's output

/// Where the legacy callback puts its statement. Valid only during the callback.
#[derive(Debug, Default)]
pub struct fqb_legacy_output {
    sql: Option<String>,
    params: ParamsBuilder,
    error: Option<String>,
    /// The first refused argument: the output is then unusable whatever the callback returns.
    malformed: Option<String>,
}

unsafe fn with_output(
    output: *mut fqb_legacy_output,
    f: impl FnOnce(&mut fqb_legacy_output) -> Result<(), Failure>,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let o = unsafe { handle_mut(output, "output") }?;
        let r = f(o);
        if let Err(e) = &r {
            o.malformed.get_or_insert_with(|| e.message.clone());
        }
        r
    })
}

/// Legacy text for C: UTF-8 without NUL bytes (libpq reads values as C strings).
fn legacy_text<'a>(b: &'a [u8], what: &str) -> Result<&'a str, Failure> {
    let s = panic::utf8(b, what)?;
    if s.contains('\0') {
        return Err(Failure::invalid(format!(
            "`{what}` contains a NUL byte, which a C string would cut short"
        )));
    }
    Ok(s)
}

/// Sets the statement's SQL (copied; a second call replaces it). A refused argument
/// (NULL, invalid UTF-8, a NUL byte) returns its status and makes the output unusable: the
/// call then fails with `FQB_LEGACY_MALFORMED`, even if the callback returns 0.
///
/// # Safety
/// `output` is the handle passed to the running callback; `sql` is valid for reading
/// `sql_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_legacy_output_set_sql(
    output: *mut fqb_legacy_output,
    sql: *const c_char,
    sql_len: usize,
) -> fqb_result {
    unsafe {
        with_output(output, |o| {
            let b = panic::bytes(sql, sql_len, "sql")?;
            o.sql = Some(legacy_text(b, "sql")?.to_owned());
            Ok(())
        })
    }
}

/// Appends a parameter in PostgreSQL's text format (copied) with its type OID (0 =
/// unspecified, as libpq allows). Refused arguments as in `fqb_legacy_output_set_sql`.
///
/// # Safety
/// `output` is the handle passed to the running callback; `value` is valid for reading
/// `value_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_legacy_output_add_param(
    output: *mut fqb_legacy_output,
    type_oid: u32,
    value: *const c_char,
    value_len: usize,
) -> fqb_result {
    unsafe {
        with_output(output, |o| {
            let b = panic::bytes(value, value_len, "value")?;
            let v = legacy_text(b, "value")?;
            o.params.push_legacy(type_oid, Some(v))
        })
    }
}

/// Appends an SQL NULL parameter with its type OID (0 = unspecified).
///
/// # Safety
/// `output` is the handle passed to the running callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_legacy_output_add_null(
    output: *mut fqb_legacy_output,
    type_oid: u32,
) -> fqb_result {
    unsafe { with_output(output, |o| o.params.push_legacy(type_oid, None)) }
}

/// Sets the message of a failure (copied; invalid UTF-8 is replaced, not refused): the
/// message of the `FQB_LEGACY_FAILED` error when the callback returns non-zero.
///
/// # Safety
/// `output` is the handle passed to the running callback; `message` is valid for reading
/// `message_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_legacy_output_set_error(
    output: *mut fqb_legacy_output,
    message: *const c_char,
    message_len: usize,
) -> fqb_result {
    unsafe {
        with_output(output, |o| {
            let b = panic::bytes(message, message_len, "message")?;
            o.error = Some(String::from_utf8_lossy(b).into_owned());
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------
// Configuration types

/// An environment variable given explicitly (instead of the process environment):
/// `name_len` / `value_len` bytes, not NUL-terminated. A value that is not UTF-8 is
/// malformed: it warns and the default applies, like any malformed value.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fqb_env_var {
    /// The variable's name, e.g. `FRAISEQL_RUST_QB_PERCENTAGE`.
    pub name: *const c_char,
    /// Its length in bytes.
    pub name_len: usize,
    /// The value.
    pub value: *const c_char,
    /// Its length in bytes.
    pub value_len: usize,
}

/// Automatic trip-back settings (docs/rollout.md section 7). `fqb_trip_config_default`
/// fills the defaults (off, 60 s window, 20 calls, 50.00 %, 30 s, 5 probes).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct fqb_trip_config {
    /// Whether trip-back is on.
    pub enabled: bool,
    /// Sliding window, in milliseconds.
    pub window_ms: u64,
    /// Native attempts in the window before the error ratio counts.
    pub min_calls: u32,
    /// Trip when the error ratio is strictly above this, in basis points (0..=10000).
    pub threshold_bp: u32,
    /// How long every call goes legacy after tripping, in milliseconds.
    pub cool_down_ms: u64,
    /// Consecutive successful probes that close the breaker.
    pub probe_successes: u32,
}

impl fqb_trip_config {
    fn of(t: &TripConfig) -> fqb_trip_config {
        fqb_trip_config {
            enabled: t.enabled,
            window_ms: ms(t.window),
            min_calls: t.min_calls,
            threshold_bp: t.threshold.bp(),
            cool_down_ms: ms(t.cool_down),
            probe_successes: t.probe_successes,
        }
    }

    fn to_core(self) -> Result<TripConfig, Failure> {
        Ok(TripConfig {
            enabled: self.enabled,
            window: Duration::from_millis(self.window_ms),
            min_calls: self.min_calls,
            threshold: percentage(self.threshold_bp, "threshold_bp")?,
            cool_down: Duration::from_millis(self.cool_down_ms),
            probe_successes: self.probe_successes,
        })
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn percentage(bp: u32, what: &str) -> Result<Percentage, Failure> {
    Percentage::from_bp(bp).ok_or_else(|| {
        Failure::invalid(format!(
            "`{what}` is {bp} basis points; a percentage is 0 to 10000 (100.00 %)"
        ))
    })
}

/// The configuration a shim runs with (docs/rollout.md section 1; percentages in basis
/// points: 1250 = 12.50 %).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct fqb_config {
    /// Every call native (`FRAISEQL_USE_RUST_QUERY_BUILDER`).
    pub use_native: bool,
    /// Share of calls native otherwise (`FRAISEQL_RUST_QB_PERCENTAGE`).
    pub percentage_bp: u32,
    /// Log which builder served each call (`FRAISEQL_LOG_QUERY_BUILDER_MODE`).
    pub log_mode: bool,
    /// Serve native failures with legacy (`FRAISEQL_RUST_QB_FALLBACK`).
    pub fallback: bool,
    /// Every call legacy (`FRAISEQL_USE_PYTHON_QUERY_BUILDER`).
    pub kill_switch: bool,
    /// Sticky routing for calls with a key (`FRAISEQL_RUST_QB_STICKY`).
    pub sticky: bool,
    /// Shadow share of legacy-routed calls (`FRAISEQL_RUST_QB_SHADOW_PERCENTAGE`).
    pub shadow_percentage_bp: u32,
    /// Mismatching shadow inputs kept.
    pub shadow_keep_last: usize,
    /// Trip-back (`FRAISEQL_RUST_QB_TRIP_BACK` turns it on with the defaults).
    pub trip: fqb_trip_config,
}

impl fqb_config {
    fn of(c: &Config) -> fqb_config {
        fqb_config {
            use_native: c.use_native,
            percentage_bp: c.percentage.bp(),
            log_mode: c.log_mode,
            fallback: c.fallback,
            kill_switch: c.kill_switch,
            sticky: c.sticky,
            shadow_percentage_bp: c.shadow.percentage.bp(),
            shadow_keep_last: c.shadow.keep_last,
            trip: fqb_trip_config::of(&c.trip),
        }
    }
}

/// Fills `*trip_out` with the default trip-back settings (with `enabled` false).
///
/// # Safety
/// `trip_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_trip_config_default(trip_out: *mut fqb_trip_config) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let out = unsafe { Out::new(trip_out, "trip_out") }?;
        out.put(fqb_trip_config::of(&TripConfig::default()));
        Ok(())
    })
}

/// The environment pairs given by the caller, or `None` (NULL: the process environment).
unsafe fn env_pairs(
    vars: *const fqb_env_var,
    count: usize,
) -> Result<Option<Vec<(String, String)>>, Failure> {
    if vars.is_null() {
        return Ok(None);
    }
    let vars = unsafe {
        panic::bytes(
            vars.cast(),
            count.saturating_mul(size_of::<fqb_env_var>()),
            "vars",
        )
    }?;
    let vars: &[fqb_env_var] = unsafe { std::slice::from_raw_parts(vars.as_ptr().cast(), count) };
    vars.iter()
        .map(|v| {
            let name = unsafe { panic::bytes(v.name, v.name_len, "vars[].name") }?;
            let value = unsafe { panic::bytes(v.value, v.value_len, "vars[].value") }?;
            // Not UTF-8: a name matches no variable (ignored); a value is malformed (U+FFFD
            // never parses), so it warns and the default applies.
            Ok((
                String::from_utf8_lossy(name).into_owned(),
                String::from_utf8_lossy(value).into_owned(),
            ))
        })
        .collect::<Result<Vec<_>, Failure>>()
        .map(Some)
}

/// Environment (given pairs, or the process's), then the programmatic settings.
fn resolve(
    env: Option<&[(String, String)]>,
    overrides: &ConfigOverrides,
) -> (Config, Vec<ConfigWarning>) {
    match env {
        Some(pairs) => Config::resolve(
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            overrides,
        ),
        None => {
            let (cfg, warnings) = Config::from_process_env();
            (cfg.with_overrides(overrides), warnings)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Builder

/// `fqb_shim_builder_set_sampler` kinds (tests and reproducible runs).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum fqb_sampler {
    /// Per-thread random generator (the default).
    FQB_SAMPLER_RANDOM = 0,
    /// A generator seeded with the given seed (reproducible).
    FQB_SAMPLER_SEEDED = 1,
    /// Always 0, counting draws (`fqb_shim_samples_drawn`): conformance tests.
    FQB_SAMPLER_COUNTING = 2,
}

/// The settings of a shim to build. Start with `fqb_shim_builder_new`, set what differs
/// from the defaults, `fqb_shim_builder_build` (any number of times), then
/// `fqb_shim_builder_free`. Not synchronized: use it from one thread.
#[derive(Debug)]
pub struct fqb_shim_builder {
    schema: Arc<fqb_schema>,
    options: CompileOptions,
    legacy: Option<Callback<LegacyFn>>,
    log: Option<Callback<LogFn>>,
    compare: Option<Callback<CompareFn>>,
    env: Option<Vec<(String, String)>>,
    overrides: ConfigOverrides,
    manual_clock: bool,
    sampler: (u32, u64),
}

/// A builder for a shim that compiles against `schema` (the shim keeps its own reference).
/// Defaults: no legacy builder, numbered placeholders, the process environment, no
/// programmatic settings. Free with `fqb_shim_builder_free`.
///
/// # Safety
/// `schema` is a live schema handle; `builder_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_new(
    schema: *const fqb_schema,
    builder_out: *mut *mut fqb_shim_builder,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let schema = unsafe { handle(schema, "schema") }?;
        let out = unsafe { Out::new(builder_out, "builder_out") }?;
        out.put(Box::into_raw(Box::new(fqb_shim_builder {
            schema: unsafe { crate::schema_arc(schema) },
            options: CompileOptions::default(),
            legacy: None,
            log: None,
            compare: None,
            env: None,
            overrides: ConfigOverrides::default(),
            manual_clock: false,
            sampler: (fqb_sampler::FQB_SAMPLER_RANDOM as u32, 0),
        })));
        Ok(())
    })
}

/// Frees `*builder` and sets it to NULL (NULL-safe). Shims built from it are unaffected.
///
/// # Safety
/// `builder` is NULL or points to NULL or to a live builder handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_free(builder: *mut *mut fqb_shim_builder) {
    panic::value((), || unsafe { panic::free_box(builder) });
}

unsafe fn with_builder(
    builder: *mut fqb_shim_builder,
    f: impl FnOnce(&mut fqb_shim_builder) -> Result<(), Failure>,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        f(unsafe { handle_mut(builder, "builder") }?)
    })
}

/// Registers the legacy builder (`build` NULL unregisters it: every call is then native).
///
/// # Safety
/// `builder` is a live builder handle; `build` and `user_data` stay usable while shims
/// built with them live, from any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_legacy(
    builder: *mut fqb_shim_builder,
    build: fqb_legacy_build_fn,
    user_data: *mut c_void,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.legacy = build.map(|f| Callback {
                f,
                data: UserData(user_data),
            });
            Ok(())
        })
    }
}

/// Sets the log callback (NULL: no logging; warnings stay readable with
/// `fqb_shim_warnings`).
///
/// # Safety
/// As `fqb_shim_builder_set_legacy`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_log(
    builder: *mut fqb_shim_builder,
    log: fqb_log_fn,
    user_data: *mut c_void,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.log = log.map(|f| Callback {
                f,
                data: UserData(user_data),
            });
            Ok(())
        })
    }
}

/// Sets the shadow comparator (NULL: exact SQL text and parameter values).
///
/// # Safety
/// As `fqb_shim_builder_set_legacy`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_comparator(
    builder: *mut fqb_shim_builder,
    compare: fqb_compare_fn,
    user_data: *mut c_void,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.compare = compare.map(|f| Callback {
                f,
                data: UserData(user_data),
            });
            Ok(())
        })
    }
}

/// Sets the native compile options (copied). Their placeholder style is the shim's style:
/// the legacy builder must write the same one (`$1` by default; see `FQB_CONFIGURATION`).
///
/// # Safety
/// `builder` is a live builder handle; `options` is a live options handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_options(
    builder: *mut fqb_shim_builder,
    options: *const fqb_options,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.options = handle(options, "options")?.inner.clone();
            Ok(())
        })
    }
}

/// Reads the configuration from these variables instead of the process environment
/// (copied). `vars` NULL goes back to the process environment.
///
/// # Safety
/// `builder` is a live builder handle; `vars` is NULL or valid for reading `count`
/// entries, each pointing at readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_env(
    builder: *mut fqb_shim_builder,
    vars: *const fqb_env_var,
    count: usize,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.env = env_pairs(vars, count)?;
            Ok(())
        })
    }
}

/// Overrides `FRAISEQL_USE_RUST_QUERY_BUILDER` (every call native).
///
/// # Safety
/// `builder` is a live builder handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_use_native(
    builder: *mut fqb_shim_builder,
    value: bool,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.overrides.use_native = Some(value);
            Ok(())
        })
    }
}

/// Overrides `FRAISEQL_LOG_QUERY_BUILDER_MODE` (a debug line per call).
///
/// # Safety
/// `builder` is a live builder handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_log_mode(
    builder: *mut fqb_shim_builder,
    value: bool,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.overrides.log_mode = Some(value);
            Ok(())
        })
    }
}

/// Overrides `FRAISEQL_RUST_QB_FALLBACK` (native failures served by legacy).
///
/// # Safety
/// `builder` is a live builder handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_fallback(
    builder: *mut fqb_shim_builder,
    value: bool,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.overrides.fallback = Some(value);
            Ok(())
        })
    }
}

/// Overrides `FRAISEQL_USE_PYTHON_QUERY_BUILDER` (the kill switch: every call legacy).
///
/// # Safety
/// `builder` is a live builder handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_kill_switch(
    builder: *mut fqb_shim_builder,
    value: bool,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.overrides.kill_switch = Some(value);
            Ok(())
        })
    }
}

/// Overrides `FRAISEQL_RUST_QB_STICKY` (sticky routing for calls with a key).
///
/// # Safety
/// `builder` is a live builder handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_sticky(
    builder: *mut fqb_shim_builder,
    value: bool,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.overrides.sticky = Some(value);
            Ok(())
        })
    }
}

/// Overrides `FRAISEQL_RUST_QB_PERCENTAGE`, in basis points (0..=10000; 1250 = 12.50 %;
/// `FQB_INVALID_ARGUMENT` above).
///
/// # Safety
/// `builder` is a live builder handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_percentage_bp(
    builder: *mut fqb_shim_builder,
    percentage_bp: u32,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.overrides.percentage = Some(percentage(percentage_bp, "percentage_bp")?);
            Ok(())
        })
    }
}

/// Overrides the shadow settings (`FRAISEQL_RUST_QB_SHADOW_PERCENTAGE` and the number of
/// mismatching inputs kept).
///
/// # Safety
/// `builder` is a live builder handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_shadow(
    builder: *mut fqb_shim_builder,
    percentage_bp: u32,
    keep_last: usize,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.overrides.shadow = Some(ShadowConfig {
                percentage: percentage(percentage_bp, "percentage_bp")?,
                keep_last,
            });
            Ok(())
        })
    }
}

/// Overrides the trip-back settings (`FRAISEQL_RUST_QB_TRIP_BACK`), copied.
///
/// # Safety
/// `builder` is a live builder handle; `trip` is readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_trip_back(
    builder: *mut fqb_shim_builder,
    trip: *const fqb_trip_config,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.overrides.trip = Some(handle(trip, "trip")?.to_core()?);
            Ok(())
        })
    }
}

/// Testing: trip-back time moves only with `fqb_shim_advance_ms` (starting at 0 ms).
///
/// # Safety
/// `builder` is a live builder handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_manual_clock(
    builder: *mut fqb_shim_builder,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            b.manual_clock = true;
            Ok(())
        })
    }
}

/// Testing and reproducible runs: the percentage sampler, an `fqb_sampler` (`seed` is used
/// by `FQB_SAMPLER_SEEDED` only).
///
/// # Safety
/// `builder` is a live builder handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_set_sampler(
    builder: *mut fqb_shim_builder,
    kind: u32,
    seed: u64,
) -> fqb_result {
    unsafe {
        with_builder(builder, |b| {
            if kind > fqb_sampler::FQB_SAMPLER_COUNTING as u32 {
                return Err(Failure::invalid(format!(
                    "sampler kind {kind} is not an fqb_sampler"
                )));
            }
            b.sampler = (kind, seed);
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------
// The shim

/// A rollout shim. Every function taking a `const fqb_shim *` may be called from any
/// number of threads at once (counters are exact once calls quiesce); only
/// `fqb_shim_free` must not race with them.
#[derive(Debug)]
pub struct fqb_shim {
    engine: Rollout,
    schema: Arc<fqb_schema>,
    options: CompileOptions,
    style: PlaceholderStyle,
    legacy: Option<Callback<LegacyFn>>,
    log: Option<Callback<LogFn>>,
    compare: Option<Callback<CompareFn>>,
    overrides: ConfigOverrides,
    /// The warnings of the last creation or reload; the lock also makes a reload atomic.
    warnings: Mutex<Arc<Vec<ConfigWarning>>>,
    /// `config().log_mode`, kept beside it so a served call reads no lock.
    log_mode: AtomicBool,
    /// A legacy statement has shown the shim's placeholder style.
    style_verified: AtomicBool,
    clock: Option<Arc<ManualClock>>,
    counting: Option<Arc<CountingSampler>>,
}

/// Builds a shim from the builder's settings: reads the environment (the builder's
/// variables or the process environment), applies the programmatic settings over it, and
/// logs one warning per malformed variable. On success writes a new handle to
/// `*shim_out` (free with `fqb_shim_free`). The builder stays usable.
///
/// # Safety
/// `builder` is a live builder handle; `shim_out` is writable; `error_out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_builder_build(
    builder: *const fqb_shim_builder,
    shim_out: *mut *mut fqb_shim,
    error_out: *mut *mut fqb_error,
) -> fqb_result {
    panic::status(error_out, || {
        let b = unsafe { handle(builder, "builder") }?;
        let out = unsafe { Out::new(shim_out, "shim_out") }?;
        let (config, warnings) = resolve(b.env.as_deref(), &b.overrides);
        let log_mode = config.log_mode;
        let mut engine = Rollout::new(config);
        let mut counting = None;
        match b.sampler {
            (1, seed) => engine = engine.with_sampler(Arc::new(SeededSampler::new(seed))),
            (2, _) => {
                let c = Arc::new(CountingSampler::default());
                engine = engine.with_sampler(c.clone());
                counting = Some(c);
            }
            _ => {}
        }
        let clock = b.manual_clock.then(|| Arc::new(ManualClock::new(0)));
        if let Some(c) = &clock {
            engine = engine.with_clock(c.clone());
        }
        engine.set_legacy_registered(b.legacy.is_some());
        let style = match b.options.placeholder {
            Placeholder::Format => PlaceholderStyle::Format,
            _ => PlaceholderStyle::Numbered,
        };
        let shim = fqb_shim {
            engine,
            schema: b.schema.clone(),
            options: b.options.clone(),
            style,
            legacy: b.legacy,
            log: b.log,
            compare: b.compare,
            overrides: b.overrides.clone(),
            warnings: Mutex::new(Arc::new(Vec::new())),
            log_mode: AtomicBool::new(log_mode),
            style_verified: AtomicBool::new(false),
            clock,
            counting,
        };
        shim.set_warnings(warnings);
        out.put(Box::into_raw(Box::new(shim)));
        Ok(())
    })
}

/// Frees `*shim` and sets it to NULL (NULL-safe). Its counts stay in the process-wide
/// metrics.
///
/// # Safety
/// `shim` is NULL or points to NULL or to a live shim handle that no other thread is
/// using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_free(shim: *mut *mut fqb_shim) {
    panic::value((), || unsafe { panic::free_box(shim) });
}

/// `"query=<json> ..."` and similar inputs kept for a mismatch: the text of a statement.
fn describe(c: &fqb_compiled) -> String {
    let mut s = c.sql.to_string_lossy().into_owned();
    s.push_str(" [");
    for (i, v) in c.values.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        if v.is_null() {
            s.push_str("NULL");
        } else {
            let slot = &c.slots[i];
            s.push_str(&String::from_utf8_lossy(
                &c.text[slot.start..slot.start + slot.len],
            ));
        }
    }
    s.push(']');
    s
}

/// Exact equality of two statements: SQL text, and each parameter's value (or NULL).
fn same(a: &fqb_compiled, b: &fqb_compiled) -> bool {
    fn value(c: &fqb_compiled, i: usize) -> Option<&[u8]> {
        let s = &c.slots[i];
        (!s.null).then(|| &c.text[s.start..s.start + s.len])
    }
    a.sql == b.sql
        && a.slots.len() == b.slots.len()
        && (0..a.slots.len()).all(|i| value(a, i) == value(b, i))
}

/// The `view` of a query document, for log lines and shadow reports ("?" if none).
fn view_of(query: &str) -> String {
    qb_core::json::parse_value(query)
        .ok()
        .and_then(|v| v.get("view").and_then(|v| v.as_str().map(str::to_owned)))
        .unwrap_or_else(|| "?".to_owned())
}

impl fqb_shim {
    fn emit(&self, level: fqb_log_level, message: &str) {
        let Some(cb) = self.log else { return };
        let msg = c_string(message);
        // SAFETY: the callback and its user data are the caller's (see fqb_log_fn).
        unsafe { (cb.f)(cb.data.0, level as u32, msg.as_ptr(), msg.as_bytes().len()) };
    }

    fn set_warnings(&self, warnings: Vec<ConfigWarning>) {
        for w in &warnings {
            self.emit(fqb_log_level::FQB_LOG_WARNING, &w.message());
        }
        *self.warnings.lock().unwrap_or_else(PoisonError::into_inner) = Arc::new(warnings);
    }

    fn apply(&self, config: Config) {
        self.log_mode.store(config.log_mode, Relaxed);
        self.engine.apply(config);
    }

    fn served(&self, query: &str, route: Route, reason: Reason) {
        if self.log_mode.load(Relaxed) && self.log.is_some() {
            let line = qb_rollout::served_log_line(&view_of(query), route, reason);
            self.emit(fqb_log_level::FQB_LOG_DEBUG, &line);
        }
    }

    /// The native compiler on the shim's options; a panic is a native failure like any
    /// other (counted, and served by legacy when fallback is on).
    fn native(&self, query: &str) -> Result<fqb_compiled, Failure> {
        catch_unwind(AssertUnwindSafe(|| {
            compile_text(&self.schema, query, &self.options)
        }))
        .unwrap_or_else(|p| Err(panic::panicked(p)))
    }

    /// docs/rollout.md section 3.
    fn build(&self, query: &str, key: Option<&str>) -> Result<fqb_compiled, Failure> {
        let d = self.engine.decide(key);
        if d.route == Route::Native {
            let start = Instant::now();
            let result = self.native(query);
            let elapsed = start.elapsed();
            return match result {
                Ok(c) => {
                    self.engine.record_native_ok(elapsed);
                    self.served(query, Route::Native, d.reason);
                    Ok(c)
                }
                Err(e) => {
                    let fell_back = self.engine.config().fallback && self.legacy.is_some();
                    self.engine.record_native_err(elapsed, fell_back);
                    if !fell_back {
                        return Err(e);
                    }
                    if self.log_mode.load(Relaxed) && self.log.is_some() {
                        let line = qb_rollout::fallback_log_line(&view_of(query), &e.text());
                        self.emit(fqb_log_level::FQB_LOG_DEBUG, &line);
                    }
                    let c = self.legacy(query)?;
                    self.served(query, Route::Legacy, d.reason);
                    Ok(c)
                }
            };
        }
        let c = self.legacy(query)?;
        if d.shadow {
            // Whatever happens in the shadow run, the legacy result is served.
            let _ = catch_unwind(AssertUnwindSafe(|| self.shadow(query, &c)));
        }
        self.served(query, Route::Legacy, d.reason);
        Ok(c)
    }

    /// Calls the legacy builder, checks its output, records the outcome once.
    fn legacy(&self, query: &str) -> Result<fqb_compiled, Failure> {
        let Some(cb) = self.legacy else {
            return Err(Failure::new(
                fqb_result::FQB_NO_BUILDER,
                "the native compiler is marked unavailable and no legacy builder is registered",
            ));
        };
        let mut output = fqb_legacy_output::default();
        let start = Instant::now();
        // SAFETY: the callback and its user data are the caller's (see fqb_legacy_build_fn).
        let rc = unsafe { (cb.f)(cb.data.0, query.as_ptr().cast(), query.len(), &mut output) };
        let elapsed = start.elapsed();
        let result = self.legacy_statement(rc, output);
        match &result {
            Ok(_) => self.engine.record_legacy_ok(elapsed),
            Err(_) => self.engine.record_legacy_err(elapsed),
        }
        result
    }

    fn legacy_statement(
        &self,
        rc: c_int,
        output: fqb_legacy_output,
    ) -> Result<fqb_compiled, Failure> {
        if rc != 0 {
            let mut f = Failure::new(
                fqb_result::FQB_LEGACY_FAILED,
                output
                    .error
                    .unwrap_or_else(|| format!("the legacy builder returned {rc}")),
            );
            f.legacy_status = rc;
            return Err(f);
        }
        let malformed = |m: String| Failure::new(fqb_result::FQB_LEGACY_MALFORMED, m);
        if let Some(m) = output.malformed {
            return Err(malformed(format!(
                "the legacy builder's output was refused: {m}"
            )));
        }
        let Some(sql) = output.sql else {
            return Err(malformed(
                "the legacy builder returned 0 without setting the SQL \
                 (fqb_legacy_output_set_sql)"
                    .to_owned(),
            ));
        };
        if !self.style_verified.load(Relaxed) {
            match qb_rollout::check_placeholders(&sql, output.params.len(), self.style) {
                PlaceholderCheck::Consistent => self.style_verified.store(true, Relaxed),
                PlaceholderCheck::Mismatch(m) => {
                    return Err(Failure::new(fqb_result::FQB_CONFIGURATION, m.to_string()));
                }
                _ => {}
            }
        }
        output.params.build(sql, fqb_builder::FQB_BUILDER_LEGACY)
    }

    fn shadow(&self, query: &str, legacy: &fqb_compiled) {
        let view = view_of(query);
        let native = match self.native(query) {
            Ok(n) => n,
            Err(e) => {
                let input = format!("query={query} native_error={}", e.text());
                self.engine
                    .record_shadow(ShadowResult::NativeError, &view, &input);
                return;
            }
        };
        let result = match self.compare {
            // SAFETY: the callback and its user data are the caller's (see fqb_compare_fn).
            Some(cb) => match unsafe { (cb.f)(cb.data.0, legacy, &native) } {
                1 => ShadowResult::Match,
                0 => ShadowResult::Mismatch,
                _ => ShadowResult::ComparatorError,
            },
            None if same(legacy, &native) => ShadowResult::Match,
            None => ShadowResult::Mismatch,
        };
        let input = if result == ShadowResult::Mismatch {
            format!(
                "query={query} legacy={} native={}",
                describe(legacy),
                describe(&native)
            )
        } else {
            String::new()
        };
        self.engine.record_shadow(result, &view, &input);
    }
}

/// Builds the statement for query JSON text with the builder the rollout picks
/// (docs/rollout.md section 3). `key` (tenant, user, request id, a shape hash; NULL for
/// none) makes the choice sticky when sticky routing is on. On success writes a new handle
/// to `*compiled_out`; `fqb_compiled_served_by` tells which builder built it.
///
/// Errors: a native error (the core's status) only when fallback is off or no legacy
/// builder is registered; `FQB_LEGACY_FAILED` / `FQB_LEGACY_MALFORMED` when the legacy
/// builder failed; `FQB_CONFIGURATION` when its SQL does not use the shim's placeholder
/// style; `FQB_NO_BUILDER`; `FQB_NULL_PARAMETER`, `FQB_INVALID_UTF8`. Each builder
/// invocation is counted exactly once, whatever happens.
///
/// # Safety
/// `shim` is a live shim handle; `query` is valid for reading `query_len` bytes; `key` is
/// NULL or valid for reading `key_len` bytes; `compiled_out` is writable; `error_out` is
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_build(
    shim: *const fqb_shim,
    query: *const c_char,
    query_len: usize,
    key: *const c_char,
    key_len: usize,
    compiled_out: *mut *mut fqb_compiled,
    error_out: *mut *mut fqb_error,
) -> fqb_result {
    panic::status(error_out, || {
        let shim = unsafe { handle(shim, "shim") }?;
        let query = unsafe { panic::text(query, query_len, "query") }?;
        let key = unsafe { panic::opt_text(key, key_len, "key") }?;
        let out = unsafe { Out::new(compiled_out, "compiled_out") }?;
        let c = shim.build(query, key)?;
        out.put(Box::into_raw(Box::new(c)));
        Ok(())
    })
}

/// Re-reads the environment (`vars`, or the process environment when `vars` is NULL) and
/// re-applies the builder's programmatic settings; counters are kept; one warning per
/// malformed variable is logged and readable with `fqb_shim_warnings`.
///
/// # Safety
/// `shim` is a live shim handle; `vars` as in `fqb_shim_builder_set_env`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_reload(
    shim: *const fqb_shim,
    vars: *const fqb_env_var,
    count: usize,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let shim = unsafe { handle(shim, "shim") }?;
        let env = unsafe { env_pairs(vars, count) }?;
        let (config, warnings) = resolve(env.as_deref(), &shim.overrides);
        let warnings = Arc::new(warnings);
        {
            // Config and warnings change together (the lock is not held while logging: the
            // log callback may read the warnings).
            let mut slot = shim.warnings.lock().unwrap_or_else(PoisonError::into_inner);
            shim.apply(config);
            *slot = warnings.clone();
        }
        for w in warnings.iter() {
            shim.emit(fqb_log_level::FQB_LOG_WARNING, &w.message());
        }
        Ok(())
    })
}

/// Writes the configuration in force to `*config_out`.
///
/// # Safety
/// `shim` is a live shim handle; `config_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_config(
    shim: *const fqb_shim,
    config_out: *mut fqb_config,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let shim = unsafe { handle(shim, "shim") }?;
        let out = unsafe { Out::new(config_out, "config_out") }?;
        out.put(fqb_config::of(&shim.engine.config()));
        Ok(())
    })
}

// ---- warnings

/// A malformed environment value: the variable, its raw value, the kind expected (`bool`
/// or `percentage`), the default applied, and the warning line every binding logs.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fqb_warning {
    /// `FRAISEQL_RUST_QB_PERCENTAGE`, ...
    pub variable: fqb_str,
    /// The value as found.
    pub value: fqb_str,
    /// `bool` or `percentage`.
    pub expected: fqb_str,
    /// The default that applies (`false`, `0.00`).
    pub default_value: fqb_str,
    /// `fraiseql rollout: ignoring malformed FRAISEQL_RUST_QB_PERCENTAGE="150": ...`.
    pub message: fqb_str,
}

#[derive(Debug)]
struct WarningText {
    variable: CString,
    value: CString,
    expected: CString,
    default: CString,
    message: CString,
}

/// The warnings of a shim's last creation or reload, in the order of docs/rollout.md's
/// table. Immutable; free with `fqb_warnings_free`.
#[derive(Debug)]
pub struct fqb_warnings {
    items: Vec<WarningText>,
}

fn cstr(s: &CString) -> fqb_str {
    fqb_str {
        ptr: s.as_ptr(),
        len: s.as_bytes().len(),
    }
}

/// Writes a new list of the shim's current warnings to `*warnings_out`.
///
/// # Safety
/// `shim` is a live shim handle; `warnings_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_warnings(
    shim: *const fqb_shim,
    warnings_out: *mut *mut fqb_warnings,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let shim = unsafe { handle(shim, "shim") }?;
        let out = unsafe { Out::new(warnings_out, "warnings_out") }?;
        let current = shim
            .warnings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let items = current
            .iter()
            .map(|w| WarningText {
                variable: c_string(w.variable),
                value: c_string(&w.value),
                expected: c_string(w.expected.as_str()),
                default: c_string(&w.default),
                message: c_string(&w.message()),
            })
            .collect();
        out.put(Box::into_raw(Box::new(fqb_warnings { items })));
        Ok(())
    })
}

/// The number of warnings (0 for NULL).
///
/// # Safety
/// `warnings` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_warnings_len(warnings: *const fqb_warnings) -> usize {
    panic::value(0, || {
        unsafe { warnings.as_ref() }.map_or(0, |w| w.items.len())
    })
}

/// Warning `index` into `*warning_out` (strings valid until the list is freed).
///
/// # Safety
/// `warnings` is a live handle; `warning_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_warnings_get(
    warnings: *const fqb_warnings,
    index: usize,
    warning_out: *mut fqb_warning,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let w = unsafe { handle(warnings, "warnings") }?;
        let out = unsafe { Out::new(warning_out, "warning_out") }?;
        let item = w.items.get(index).ok_or_else(|| {
            Failure::invalid(format!(
                "warning index {index} is past the end ({})",
                w.items.len()
            ))
        })?;
        out.put(fqb_warning {
            variable: cstr(&item.variable),
            value: cstr(&item.value),
            expected: cstr(&item.expected),
            default_value: cstr(&item.default),
            message: cstr(&item.message),
        });
        Ok(())
    })
}

/// Frees `*warnings` and sets it to NULL (NULL-safe).
///
/// # Safety
/// `warnings` is NULL or points to NULL or to a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_warnings_free(warnings: *mut *mut fqb_warnings) {
    panic::value((), || unsafe { panic::free_box(warnings) });
}

// ---- metrics

/// `fqb_metrics.trip_state` and `fqb_shim_trip_state` values (the Prometheus gauge's).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum fqb_trip_state {
    /// Normal routing.
    FQB_TRIP_CLOSED = 0,
    /// Tripped: every call legacy until the cool-down ends.
    FQB_TRIP_OPEN = 1,
    /// Probing: normal routing, native attempts are probes.
    FQB_TRIP_HALF_OPEN = 2,
}

/// The metrics of docs/rollout.md section 5: the seed's nine fields first, then the
/// extras. Counts are exact once calls quiesce.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct fqb_metrics {
    /// Native attempts (including those that fell back).
    pub rust_calls: u64,
    /// Legacy invocations (routed legacy, and fallbacks).
    pub python_calls: u64,
    /// Failed native attempts.
    pub rust_errors: u64,
    /// Failed native attempts served by legacy.
    pub rust_fallbacks: u64,
    /// Calls into the shim: `rust_calls + python_calls - rust_fallbacks`.
    pub total_calls: u64,
    /// Share of calls served by native, in percent.
    pub rust_percentage: f64,
    /// `rust_errors / rust_calls`, in percent.
    pub rust_error_rate: f64,
    /// Mean native attempt duration, in milliseconds.
    pub avg_rust_time_ms: f64,
    /// Mean legacy invocation duration, in milliseconds.
    pub avg_python_time_ms: f64,
    /// Failed legacy invocations.
    pub python_errors: u64,
    /// Shadow comparisons run.
    pub shadow_runs: u64,
    /// Shadow comparisons that mismatched (native errors included).
    pub shadow_mismatches: u64,
    /// Shadow runs where the native builder or the comparator failed.
    pub shadow_errors: u64,
    /// An `fqb_trip_state`.
    pub trip_state: u32,
    /// Times the breaker opened.
    pub trips_total: u64,
    /// Whether the native compiler is available.
    pub native_available: bool,
}

impl fqb_metrics {
    fn of(s: &MetricsSnapshot) -> fqb_metrics {
        fqb_metrics {
            rust_calls: s.rust_calls,
            python_calls: s.python_calls,
            rust_errors: s.rust_errors,
            rust_fallbacks: s.rust_fallbacks,
            total_calls: s.total_calls,
            rust_percentage: s.rust_percentage,
            rust_error_rate: s.rust_error_rate,
            avg_rust_time_ms: s.avg_rust_time_ms,
            avg_python_time_ms: s.avg_python_time_ms,
            python_errors: s.python_errors,
            shadow_runs: s.shadow_runs,
            shadow_mismatches: s.shadow_mismatches,
            shadow_errors: s.shadow_errors,
            trip_state: u32::from(s.trip_state.gauge()),
            trips_total: s.trips_total,
            native_available: s.native_available,
        }
    }
}

/// Writes the shim's metrics to `*metrics_out`.
///
/// # Safety
/// `shim` is a live shim handle; `metrics_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_metrics(
    shim: *const fqb_shim,
    metrics_out: *mut fqb_metrics,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let shim = unsafe { handle(shim, "shim") }?;
        let out = unsafe { Out::new(metrics_out, "metrics_out") }?;
        out.put(fqb_metrics::of(&shim.engine.snapshot()));
        Ok(())
    })
}

/// Writes the process-wide metrics (the sum over every shim ever created) to
/// `*metrics_out`.
///
/// # Safety
/// `metrics_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_global_metrics(metrics_out: *mut fqb_metrics) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let out = unsafe { Out::new(metrics_out, "metrics_out") }?;
        out.put(fqb_metrics::of(&qb_rollout::global_snapshot()));
        Ok(())
    })
}

/// The shim's metrics as Prometheus text (format 0.0.4, docs/rollout.md section 5), as a
/// new buffer in `*text_out`.
///
/// # Safety
/// `shim` is a live shim handle; `text_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_prometheus(
    shim: *const fqb_shim,
    text_out: *mut *mut fqb_buffer,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let shim = unsafe { handle(shim, "shim") }?;
        let out = unsafe { Out::new(text_out, "text_out") }?;
        out.put(buffer(&shim.engine.render_prometheus()));
        Ok(())
    })
}

/// The process-wide metrics as Prometheus text, as a new buffer in `*text_out`.
///
/// # Safety
/// `text_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_global_prometheus(text_out: *mut *mut fqb_buffer) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let out = unsafe { Out::new(text_out, "text_out") }?;
        out.put(buffer(&qb_rollout::global_render_prometheus()));
        Ok(())
    })
}

/// Zeroes the shim's counters and kept mismatches (the process-wide metrics keep counting).
///
/// # Safety
/// `shim` is a live shim handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_reset_metrics(shim: *const fqb_shim) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        unsafe { handle(shim, "shim") }?.engine.reset_metrics();
        Ok(())
    })
}

/// Marks the native compiler usable or not (when not, every call is legacy and
/// `fraiseql_rust_query_builder_available` is 0).
///
/// # Safety
/// `shim` is a live shim handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_set_native_available(
    shim: *const fqb_shim,
    available: bool,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        unsafe { handle(shim, "shim") }?
            .engine
            .set_native_available(available);
        Ok(())
    })
}

/// The trip-back state now, an `fqb_trip_state` (`FQB_TRIP_CLOSED` for NULL).
///
/// # Safety
/// `shim` is NULL or a live shim handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_trip_state(shim: *const fqb_shim) -> u32 {
    panic::value(0, || {
        unsafe { shim.as_ref() }.map_or(0, |s| u32::from(s.engine.trip_state().gauge()))
    })
}

// ---- the engine, step by step (hosts that call their legacy builder themselves)

/// `fqb_decision.reason` values, in the order the rules are checked.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum fqb_reason {
    /// The native compiler is marked unavailable: legacy.
    FQB_REASON_NATIVE_UNAVAILABLE = 0,
    /// No legacy builder registered: native.
    FQB_REASON_NO_LEGACY_REGISTERED = 1,
    /// The kill switch: legacy.
    FQB_REASON_KILL_SWITCH = 2,
    /// Trip-back is open: legacy.
    FQB_REASON_TRIPPED = 3,
    /// `use_native`: native.
    FQB_REASON_FORCED = 4,
    /// Sticky routing by the key's bucket.
    FQB_REASON_STICKY_BUCKET = 5,
    /// Per-call sampling at the percentage.
    FQB_REASON_PERCENTAGE_SAMPLED = 6,
}

/// One routing decision (docs/rollout.md section 2).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct fqb_decision {
    /// An `fqb_builder`: `FQB_BUILDER_NATIVE` or `FQB_BUILDER_LEGACY`.
    pub route: u32,
    /// An `fqb_reason`.
    pub reason: u32,
    /// Also run native on this legacy call and compare (shadow mode).
    pub shadow: bool,
    /// A native attempt while the breaker is half-open.
    pub probe: bool,
    /// Whether `bucket` is set (sticky decisions).
    pub has_bucket: bool,
    /// The key's sticky bucket, 0..9999.
    pub bucket: u32,
}

fn reason_number(r: Reason) -> u32 {
    Reason::ALL
        .iter()
        .position(|x| *x == r)
        .and_then(|i| u32::try_from(i).ok())
        .unwrap_or(u32::MAX)
}

/// The stable name of an `fqb_reason` (`percentage_sampled`, ...), as logged by every
/// binding; NULL for other values. Static storage.
#[unsafe(no_mangle)]
pub extern "C" fn fqb_reason_name(reason: u32) -> *const c_char {
    panic::value(std::ptr::null(), || {
        static NAMES: std::sync::OnceLock<Vec<CString>> = std::sync::OnceLock::new();
        let names =
            NAMES.get_or_init(|| Reason::ALL.iter().map(|r| c_string(r.as_str())).collect());
        usize::try_from(reason)
            .ok()
            .and_then(|i| names.get(i))
            .map_or(std::ptr::null(), |n| n.as_ptr())
    })
}

/// Decides which builder serves a call (for a host that runs its legacy builder itself and
/// reports with `fqb_shim_record`). `key` NULL: no sticky key.
///
/// # Safety
/// `shim` is a live shim handle; `key` is NULL or valid for reading `key_len` bytes;
/// `decision_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_decide(
    shim: *const fqb_shim,
    key: *const c_char,
    key_len: usize,
    decision_out: *mut fqb_decision,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let shim = unsafe { handle(shim, "shim") }?;
        let key = unsafe { panic::opt_text(key, key_len, "key") }?;
        let out = unsafe { Out::new(decision_out, "decision_out") }?;
        let d = shim.engine.decide(key);
        out.put(fqb_decision {
            route: match d.route {
                Route::Native => fqb_builder::FQB_BUILDER_NATIVE as u32,
                Route::Legacy => fqb_builder::FQB_BUILDER_LEGACY as u32,
            },
            reason: reason_number(d.reason),
            shadow: d.shadow,
            probe: d.probe,
            has_bucket: d.bucket.is_some(),
            bucket: d.bucket.unwrap_or(0),
        });
        Ok(())
    })
}

/// `fqb_shim_record` outcomes.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum fqb_outcome {
    /// The native compiler served the call.
    FQB_OUTCOME_NATIVE_OK = 0,
    /// The native compiler failed and the error was returned.
    FQB_OUTCOME_NATIVE_ERROR = 1,
    /// The native compiler failed and legacy serves the call (record its outcome too).
    FQB_OUTCOME_NATIVE_ERROR_FELL_BACK = 2,
    /// The legacy builder returned a statement.
    FQB_OUTCOME_LEGACY_OK = 3,
    /// The legacy builder failed.
    FQB_OUTCOME_LEGACY_ERROR = 4,
}

/// Records one builder invocation that took `duration_ns` nanoseconds.
///
/// # Safety
/// `shim` is a live shim handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_record(
    shim: *const fqb_shim,
    outcome: u32,
    duration_ns: u64,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let e = &unsafe { handle(shim, "shim") }?.engine;
        let d = Duration::from_nanos(duration_ns);
        match outcome {
            0 => e.record_native_ok(d),
            1 => e.record_native_err(d, false),
            2 => e.record_native_err(d, true),
            3 => e.record_legacy_ok(d),
            4 => e.record_legacy_err(d),
            other => {
                return Err(Failure::invalid(format!(
                    "outcome {other} is not an fqb_outcome"
                )));
            }
        }
        Ok(())
    })
}

/// `fqb_shim_record_shadow` results (docs/rollout.md section 6).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum fqb_shadow_result {
    /// Native and legacy agreed.
    FQB_SHADOW_MATCH = 0,
    /// They differed (input kept).
    FQB_SHADOW_MISMATCH = 1,
    /// The native run failed (a mismatch and an error; input kept).
    FQB_SHADOW_NATIVE_ERROR = 2,
    /// The comparator failed (an error only).
    FQB_SHADOW_COMPARATOR_ERROR = 3,
}

fn shadow_result(n: u32) -> Result<ShadowResult, Failure> {
    Ok(match n {
        0 => ShadowResult::Match,
        1 => ShadowResult::Mismatch,
        2 => ShadowResult::NativeError,
        3 => ShadowResult::ComparatorError,
        other => {
            return Err(Failure::invalid(format!(
                "{other} is not an fqb_shadow_result"
            )));
        }
    })
}

fn shadow_number(r: ShadowResult) -> u32 {
    match r {
        ShadowResult::Match => 0,
        ShadowResult::Mismatch => 1,
        ShadowResult::NativeError => 2,
        _ => 3,
    }
}

/// Records a shadow comparison the host ran itself: its result, the view and a description
/// of the input (kept, truncated to 4096 bytes, for mismatches).
///
/// # Safety
/// `shim` is a live shim handle; `view` and `input` are valid for reading their lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_record_shadow(
    shim: *const fqb_shim,
    result: u32,
    view: *const c_char,
    view_len: usize,
    input: *const c_char,
    input_len: usize,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let shim = unsafe { handle(shim, "shim") }?;
        let r = shadow_result(result)?;
        let view = unsafe { panic::text(view, view_len, "view") }?;
        let input = unsafe { panic::text(input, input_len, "input") }?;
        shim.engine.record_shadow(r, view, input);
        Ok(())
    })
}

/// A kept mismatching shadow input.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fqb_shadow_entry {
    /// 1-based sequence number over all shadow runs of the shim.
    pub seq: u64,
    /// An `fqb_shadow_result` (`MISMATCH` or `NATIVE_ERROR`).
    pub result: u32,
    /// The view.
    pub view: fqb_str,
    /// The input description.
    pub input: fqb_str,
}

#[derive(Debug)]
struct ShadowText {
    seq: u64,
    result: u32,
    view: CString,
    input: CString,
}

/// The kept mismatching shadow inputs, oldest first. Immutable; free with
/// `fqb_shadow_list_free`.
#[derive(Debug)]
pub struct fqb_shadow_list {
    items: Vec<ShadowText>,
}

/// Writes a new list of the shim's kept mismatches to `*list_out`.
///
/// # Safety
/// `shim` is a live shim handle; `list_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_shadow_mismatches(
    shim: *const fqb_shim,
    list_out: *mut *mut fqb_shadow_list,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let shim = unsafe { handle(shim, "shim") }?;
        let out = unsafe { Out::new(list_out, "list_out") }?;
        let items = shim
            .engine
            .shadow_mismatches()
            .iter()
            .map(|m| ShadowText {
                seq: m.seq,
                result: shadow_number(m.result),
                view: c_string(&m.view),
                input: c_string(&m.input),
            })
            .collect();
        out.put(Box::into_raw(Box::new(fqb_shadow_list { items })));
        Ok(())
    })
}

/// The number of entries (0 for NULL).
///
/// # Safety
/// `list` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shadow_list_len(list: *const fqb_shadow_list) -> usize {
    panic::value(0, || unsafe { list.as_ref() }.map_or(0, |l| l.items.len()))
}

/// Entry `index` into `*entry_out` (strings valid until the list is freed).
///
/// # Safety
/// `list` is a live handle; `entry_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shadow_list_get(
    list: *const fqb_shadow_list,
    index: usize,
    entry_out: *mut fqb_shadow_entry,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let l = unsafe { handle(list, "list") }?;
        let out = unsafe { Out::new(entry_out, "entry_out") }?;
        let item = l.items.get(index).ok_or_else(|| {
            Failure::invalid(format!(
                "entry index {index} is past the end ({})",
                l.items.len()
            ))
        })?;
        out.put(fqb_shadow_entry {
            seq: item.seq,
            result: item.result,
            view: cstr(&item.view),
            input: cstr(&item.input),
        });
        Ok(())
    })
}

/// Frees `*list` and sets it to NULL (NULL-safe).
///
/// # Safety
/// `list` is NULL or points to NULL or to a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shadow_list_free(list: *mut *mut fqb_shadow_list) {
    panic::value((), || unsafe { panic::free_box(list) });
}

/// The FNV-1a 64 hash of a sticky key's bytes and its bucket (hash mod 10000), as every
/// binding computes them (docs/rollout.md section 4).
///
/// # Safety
/// `key` is valid for reading `key_len` bytes; `hash_out` and `bucket_out` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_sticky_bucket(
    key: *const c_char,
    key_len: usize,
    hash_out: *mut u64,
    bucket_out: *mut u32,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let key = unsafe { panic::text(key, key_len, "key") }?;
        let hash = unsafe { Out::new(hash_out, "hash_out") }?;
        let bucket = unsafe { Out::new(bucket_out, "bucket_out") }?;
        hash.put(qb_rollout::fnv1a64(key.as_bytes()));
        bucket.put(qb_rollout::sticky_bucket(key));
        Ok(())
    })
}

// ---- testing

/// Testing: moves the manual clock (`FQB_INVALID_ARGUMENT` without
/// `fqb_shim_builder_set_manual_clock`).
///
/// # Safety
/// `shim` is a live shim handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_advance_ms(shim: *const fqb_shim, ms: u64) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        match &unsafe { handle(shim, "shim") }?.clock {
            Some(c) => {
                c.advance_ms(ms);
                Ok(())
            }
            None => Err(Failure::invalid("this shim has no manual clock")),
        }
    })
}

/// Testing: the number of random samples drawn (`FQB_SAMPLER_COUNTING` only, otherwise
/// `FQB_INVALID_ARGUMENT`).
///
/// # Safety
/// `shim` is a live shim handle; `drawn_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_shim_samples_drawn(
    shim: *const fqb_shim,
    drawn_out: *mut u64,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let shim = unsafe { handle(shim, "shim") }?;
        let out = unsafe { Out::new(drawn_out, "drawn_out") }?;
        match &shim.counting {
            Some(c) => {
                out.put(c.drawn());
                Ok(())
            }
            None => Err(Failure::invalid("this shim has no counting sampler")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use qb_rollout::TripState;

    #[test]
    fn reasons_are_numbered_in_rule_order() {
        assert_eq!(
            Reason::ALL.len(),
            fqb_reason::FQB_REASON_PERCENTAGE_SAMPLED as usize + 1
        );
        assert_eq!(
            reason_number(Reason::KillSwitch),
            fqb_reason::FQB_REASON_KILL_SWITCH as u32
        );
        assert_eq!(
            reason_number(Reason::PercentageSampled),
            fqb_reason::FQB_REASON_PERCENTAGE_SAMPLED as u32
        );
        for (i, r) in Reason::ALL.iter().enumerate() {
            let name = unsafe { std::ffi::CStr::from_ptr(fqb_reason_name(i as u32)) };
            assert_eq!(name.to_str().ok(), Some(r.as_str()));
        }
        assert!(fqb_reason_name(99).is_null());
    }

    #[test]
    fn trip_states_are_the_gauge() {
        for (s, c) in [
            (TripState::Closed, fqb_trip_state::FQB_TRIP_CLOSED),
            (TripState::Open, fqb_trip_state::FQB_TRIP_OPEN),
            (TripState::HalfOpen, fqb_trip_state::FQB_TRIP_HALF_OPEN),
        ] {
            assert_eq!(u32::from(s.gauge()), c as u32);
        }
    }
}
