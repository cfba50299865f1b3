//! Configuration: environment parsing, programmatic overrides, feature settings.
//!
//! Every parser here is total: any input string yields either a value, "unset", or a
//! [`ConfigWarning`] plus the default. Nothing panics and a malformed value never sends
//! more traffic to the native builder than the default would.

use std::fmt;
use std::time::Duration;

/// `FRAISEQL_USE_RUST_QUERY_BUILDER`: every call goes native (default false).
pub const ENV_USE_NATIVE: &str = "FRAISEQL_USE_RUST_QUERY_BUILDER";
/// `FRAISEQL_RUST_QB_PERCENTAGE`: share of calls routed native, 0-100 (default 0).
pub const ENV_PERCENTAGE: &str = "FRAISEQL_RUST_QB_PERCENTAGE";
/// `FRAISEQL_LOG_QUERY_BUILDER_MODE`: log which builder served each call (default false).
pub const ENV_LOG_MODE: &str = "FRAISEQL_LOG_QUERY_BUILDER_MODE";
/// `FRAISEQL_RUST_QB_FALLBACK`: serve native failures with the legacy builder (default true).
pub const ENV_FALLBACK: &str = "FRAISEQL_RUST_QB_FALLBACK";
/// `FRAISEQL_USE_PYTHON_QUERY_BUILDER`: kill switch, every call legacy (default false).
pub const ENV_KILL_SWITCH: &str = "FRAISEQL_USE_PYTHON_QUERY_BUILDER";
/// `FRAISEQL_RUST_QB_STICKY`: sticky routing for calls that carry a key (default false).
pub const ENV_STICKY: &str = "FRAISEQL_RUST_QB_STICKY";
/// `FRAISEQL_RUST_QB_SHADOW_PERCENTAGE`: share of legacy-routed calls shadowed (default 0).
pub const ENV_SHADOW_PERCENTAGE: &str = "FRAISEQL_RUST_QB_SHADOW_PERCENTAGE";
/// `FRAISEQL_RUST_QB_TRIP_BACK`: automatic trip-back with default settings (default false).
pub const ENV_TRIP_BACK: &str = "FRAISEQL_RUST_QB_TRIP_BACK";

/// All variables read by [`Config::from_env`], in the order they are examined (and in which
/// warnings are reported).
pub const ENV_VARS: [&str; 8] = [
    ENV_USE_NATIVE,
    ENV_PERCENTAGE,
    ENV_LOG_MODE,
    ENV_FALLBACK,
    ENV_KILL_SWITCH,
    ENV_STICKY,
    ENV_SHADOW_PERCENTAGE,
    ENV_TRIP_BACK,
];

/// A value that does not follow the variable's grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed value")
    }
}

impl std::error::Error for Malformed {}

/// A percentage in hundredths of a percent (basis points): `0..=10_000`.
///
/// `12.5 %` is `Percentage::from_bp(1250)`. Integer storage keeps routing exact and
/// identical in every binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percentage(u16);

impl Percentage {
    /// 0 %.
    pub const ZERO: Percentage = Percentage(0);
    /// 100 %.
    pub const FULL: Percentage = Percentage(10_000);

    /// From basis points; `None` above 10 000.
    pub fn from_bp(bp: u32) -> Option<Percentage> {
        u16::try_from(bp)
            .ok()
            .filter(|v| *v <= 10_000)
            .map(Percentage)
    }

    /// Basis points, `0..=10_000`.
    pub fn bp(self) -> u32 {
        u32::from(self.0)
    }

    /// As a float percentage (`1250` -> `12.5`).
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 100.0
    }

    /// Parse the textual form accepted in the environment: after trimming ASCII
    /// whitespace, `DIGITS` or `DIGITS.D` or `DIGITS.DD`, value at most 100.
    /// Returns `Ok(None)` for an empty (unset) value.
    pub fn parse(text: &str) -> Result<Option<Percentage>, Malformed> {
        let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
        if t.is_empty() {
            return Ok(None);
        }
        let (int_part, frac_part) = match t.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (t, None),
        };
        if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Malformed);
        }
        let int_digits = int_part.trim_start_matches('0');
        if int_digits.len() > 3 {
            return Err(Malformed);
        }
        let mut whole: u32 = 0;
        for b in int_digits.bytes() {
            whole = whole * 10 + u32::from(b - b'0');
        }
        let mut frac: u32 = 0;
        if let Some(f) = frac_part {
            if f.is_empty() || f.len() > 2 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Malformed);
            }
            for b in f.bytes() {
                frac = frac * 10 + u32::from(b - b'0');
            }
            if f.len() == 1 {
                frac *= 10;
            }
        }
        Percentage::from_bp(whole * 100 + frac)
            .map(Some)
            .ok_or(Malformed)
    }
}

impl fmt::Display for Percentage {
    /// `12.5` prints as `12.50`, `100` as `100.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// Parse a boolean as accepted in the environment: `true/false`, `1/0`, `yes/no`, `on/off`
/// in any ASCII case, surrounding whitespace ignored. `Ok(None)` means empty (unset).
pub fn parse_bool(text: &str) -> Result<Option<bool>, Malformed> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if t.is_empty() {
        return Ok(None);
    }
    const TRUE: [&str; 4] = ["true", "1", "yes", "on"];
    const FALSE: [&str; 4] = ["false", "0", "no", "off"];
    if TRUE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Ok(Some(true))
    } else if FALSE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Ok(Some(false))
    } else {
        Err(Malformed)
    }
}

/// What kind of value a variable expects (used in warnings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// true/false, 1/0, yes/no, on/off.
    Bool,
    /// 0-100 in 0.01 steps.
    Percentage,
}

impl Expected {
    /// Stable name: `bool` or `percentage`.
    pub fn as_str(self) -> &'static str {
        match self {
            Expected::Bool => "bool",
            Expected::Percentage => "percentage",
        }
    }
}

/// A malformed environment value: the variable, its raw value, and the default applied.
/// Hosts log [`ConfigWarning::message`] once, at warning level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// Variable name, e.g. `FRAISEQL_RUST_QB_PERCENTAGE`.
    pub variable: &'static str,
    /// The raw value as found (not trimmed).
    pub value: String,
    /// The kind of value expected.
    pub expected: Expected,
    /// The default that applies instead, in its textual form (`false`, `0.00`).
    pub default: String,
}

impl ConfigWarning {
    /// The one warning line, identical in every binding.
    pub fn message(&self) -> String {
        let what = match self.expected {
            Expected::Bool => "true/false, 1/0, yes/no or on/off",
            Expected::Percentage => "a percentage from 0 to 100 in 0.01 steps",
        };
        format!(
            "fraiseql rollout: ignoring malformed {}={}: expected {}; using default {}",
            self.variable,
            quote(&self.value),
            what,
            self.default
        )
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// Double-quote `s`, escaping `\`, `"` and control characters (`\n`, `\t`, `\r`, `\u{XX}`).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Shadow mode: on a sampled share of legacy-routed calls, also run the native builder,
/// compare, serve legacy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowConfig {
    /// Share of eligible calls shadowed (0 = off, the default).
    pub percentage: Percentage,
    /// How many of the most recent mismatching inputs are kept (default 20, 0 keeps none).
    pub keep_last: usize,
}

impl Default for ShadowConfig {
    fn default() -> Self {
        ShadowConfig {
            percentage: Percentage::ZERO,
            keep_last: 20,
        }
    }
}

/// Automatic trip-back: when the native error ratio over a sliding window exceeds a
/// threshold, route everything legacy for a cool-down, then probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TripConfig {
    /// Off by default.
    pub enabled: bool,
    /// Sliding window length (default 60 s), split into 10 equal slots.
    pub window: Duration,
    /// Minimum native attempts in the window before the ratio is evaluated (default 20).
    pub min_calls: u32,
    /// Trip when `errors / attempts` is strictly above this (default 50.00 %).
    pub threshold: Percentage,
    /// How long everything goes legacy after tripping (default 30 s).
    pub cool_down: Duration,
    /// Consecutive successful native attempts in the probing state that close it (default 5).
    pub probe_successes: u32,
}

impl Default for TripConfig {
    fn default() -> Self {
        TripConfig {
            enabled: false,
            window: Duration::from_secs(60),
            min_calls: 20,
            threshold: Percentage(5000),
            cool_down: Duration::from_secs(30),
            probe_successes: 5,
        }
    }
}

/// The resolved configuration of a shim. `Config::default()` is the seed's defaults:
/// everything legacy, fallback on, logging off, every "beyond the seed" feature off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Every call native (`FRAISEQL_USE_RUST_QUERY_BUILDER`).
    pub use_native: bool,
    /// Share of calls native when `use_native` is false (`FRAISEQL_RUST_QB_PERCENTAGE`).
    pub percentage: Percentage,
    /// Host logs which builder served each call (`FRAISEQL_LOG_QUERY_BUILDER_MODE`).
    pub log_mode: bool,
    /// Serve native failures with legacy (`FRAISEQL_RUST_QB_FALLBACK`).
    pub fallback: bool,
    /// Kill switch (`FRAISEQL_USE_PYTHON_QUERY_BUILDER`).
    pub kill_switch: bool,
    /// Sticky routing for calls that pass a key (`FRAISEQL_RUST_QB_STICKY`).
    pub sticky: bool,
    /// Shadow mode.
    pub shadow: ShadowConfig,
    /// Automatic trip-back.
    pub trip: TripConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            use_native: false,
            percentage: Percentage::ZERO,
            log_mode: false,
            fallback: true,
            kill_switch: false,
            sticky: false,
            shadow: ShadowConfig::default(),
            trip: TripConfig::default(),
        }
    }
}

/// Programmatic settings applied on top of the environment; `None` keeps the env value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigOverrides {
    /// Overrides `use_native`.
    pub use_native: Option<bool>,
    /// Overrides `percentage`.
    pub percentage: Option<Percentage>,
    /// Overrides `log_mode`.
    pub log_mode: Option<bool>,
    /// Overrides `fallback`.
    pub fallback: Option<bool>,
    /// Overrides `kill_switch`.
    pub kill_switch: Option<bool>,
    /// Overrides `sticky`.
    pub sticky: Option<bool>,
    /// Replaces the whole shadow configuration.
    pub shadow: Option<ShadowConfig>,
    /// Replaces the whole trip-back configuration.
    pub trip: Option<TripConfig>,
}

impl ConfigOverrides {
    /// The keys a host's override mapping (a Python dict, a JS object) may hold, one per
    /// field, in field order; percentages travel as basis points (`percentage_bp`). A binding
    /// refuses any other key with this list in its message.
    pub const KEYS: [&'static str; 8] = [
        "use_native",
        "percentage_bp",
        "log_mode",
        "fallback",
        "kill_switch",
        "sticky",
        "shadow",
        "trip",
    ];
}

impl Config {
    /// Parse the environment given as `(name, value)` pairs. Unknown names are ignored; when
    /// a name appears twice the last value wins. Returns the config and one warning per
    /// malformed variable, in [`ENV_VARS`] order.
    pub fn from_env<I, K, V>(env: I) -> (Config, Vec<ConfigWarning>)
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut values: [Option<String>; ENV_VARS.len()] = Default::default();
        for (k, v) in env {
            if let Some(i) = ENV_VARS.iter().position(|n| *n == k.as_ref()) {
                values[i] = Some(v.as_ref().to_owned());
            }
        }
        let mut cfg = Config::default();
        let mut warnings = Vec::new();
        for (i, raw) in values.iter().enumerate() {
            let Some(raw) = raw else { continue };
            let name = ENV_VARS[i];
            match name {
                ENV_PERCENTAGE | ENV_SHADOW_PERCENTAGE => match Percentage::parse(raw) {
                    Ok(Some(p)) if name == ENV_PERCENTAGE => cfg.percentage = p,
                    Ok(Some(p)) => cfg.shadow.percentage = p,
                    Ok(None) => {}
                    Err(Malformed) => warnings.push(ConfigWarning {
                        variable: name,
                        value: raw.clone(),
                        expected: Expected::Percentage,
                        default: Percentage::ZERO.to_string(),
                    }),
                },
                _ => {
                    let slot = match name {
                        ENV_USE_NATIVE => &mut cfg.use_native,
                        ENV_LOG_MODE => &mut cfg.log_mode,
                        ENV_FALLBACK => &mut cfg.fallback,
                        ENV_KILL_SWITCH => &mut cfg.kill_switch,
                        ENV_STICKY => &mut cfg.sticky,
                        _ => &mut cfg.trip.enabled,
                    };
                    match parse_bool(raw) {
                        Ok(Some(b)) => *slot = b,
                        Ok(None) => {}
                        Err(Malformed) => warnings.push(ConfigWarning {
                            variable: name,
                            value: raw.clone(),
                            expected: Expected::Bool,
                            default: slot.to_string(),
                        }),
                    }
                }
            }
        }
        (cfg, warnings)
    }

    /// [`Config::from_env`] over the process environment (non-UTF-8 values are treated as
    /// malformed and reported with lossy text).
    pub fn from_process_env() -> (Config, Vec<ConfigWarning>) {
        Config::from_env(ENV_VARS.iter().filter_map(|name| {
            std::env::var_os(name).map(|v| (*name, v.to_string_lossy().into_owned()))
        }))
    }

    /// Apply programmatic overrides on top of this config (they always win over env).
    pub fn with_overrides(mut self, o: &ConfigOverrides) -> Config {
        if let Some(v) = o.use_native {
            self.use_native = v;
        }
        if let Some(v) = o.percentage {
            self.percentage = v;
        }
        if let Some(v) = o.log_mode {
            self.log_mode = v;
        }
        if let Some(v) = o.fallback {
            self.fallback = v;
        }
        if let Some(v) = o.kill_switch {
            self.kill_switch = v;
        }
        if let Some(v) = o.sticky {
            self.sticky = v;
        }
        if let Some(v) = &o.shadow {
            self.shadow = v.clone();
        }
        if let Some(v) = &o.trip {
            self.trip = v.clone();
        }
        self
    }

    /// Environment first, then overrides: the precedence every shim uses on creation and
    /// on reload.
    pub fn resolve<I, K, V>(env: I, overrides: &ConfigOverrides) -> (Config, Vec<ConfigWarning>)
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let (cfg, w) = Config::from_env(env);
        (cfg.with_overrides(overrides), w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_keys_name_every_field_once() {
        // No `..`: a new field fails to compile here until KEYS names it too.
        let ConfigOverrides {
            use_native: _,
            percentage: _,
            log_mode: _,
            fallback: _,
            kill_switch: _,
            sticky: _,
            shadow: _,
            trip: _,
        } = ConfigOverrides::default();
        let mut keys = ConfigOverrides::KEYS.to_vec();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 8);
    }

    #[test]
    fn percentage_grammar() {
        assert_eq!(Percentage::parse("12.5"), Ok(Percentage::from_bp(1250)));
        assert_eq!(Percentage::parse(" 0.01\t"), Ok(Percentage::from_bp(1)));
        assert_eq!(Percentage::parse("100.00"), Ok(Some(Percentage::FULL)));
        assert_eq!(Percentage::parse("0000000100"), Ok(Some(Percentage::FULL)));
        assert_eq!(Percentage::parse(""), Ok(None));
        for bad in [
            "abc",
            "150",
            "-5",
            "1e9",
            "12.5.1",
            "12.345",
            "100.01",
            "+5",
            ".5",
            "5.",
            "nan",
            "1,5",
            "99999999999999999999",
            "٣",
        ] {
            assert_eq!(Percentage::parse(bad), Err(Malformed), "{bad}");
        }
    }

    #[test]
    fn bools() {
        for t in ["true", " TRUE ", "1", "Yes", "on"] {
            assert_eq!(parse_bool(t), Ok(Some(true)));
        }
        for f in ["false", "0", "NO", " Off"] {
            assert_eq!(parse_bool(f), Ok(Some(false)));
        }
        assert_eq!(parse_bool("  "), Ok(None));
        assert_eq!(parse_bool("y"), Err(Malformed));
        assert_eq!(parse_bool("2"), Err(Malformed));
    }

    #[test]
    fn overrides_win() {
        let (cfg, w) = Config::resolve(
            [(ENV_PERCENTAGE, "30"), (ENV_FALLBACK, "0")],
            &ConfigOverrides {
                percentage: Percentage::from_bp(500),
                ..Default::default()
            },
        );
        assert!(w.is_empty());
        assert_eq!(cfg.percentage.bp(), 500);
        assert!(!cfg.fallback);
    }

    #[test]
    fn warning_text_quotes_value() {
        let (_, w) = Config::from_env([(ENV_LOG_MODE, "a\"b\n")]);
        assert_eq!(
            w[0].message(),
            "fraiseql rollout: ignoring malformed FRAISEQL_LOG_QUERY_BUILDER_MODE=\"a\\\"b\\n\": \
             expected true/false, 1/0, yes/no or on/off; using default false"
        );
    }
}
