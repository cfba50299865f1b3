//! The automatic trip-back state machine (a circuit breaker over native errors).
//!
//! Time is whole milliseconds from an injectable [`Clock`]. The sliding window is split
//! into 10 slots of `max(1, window_ms / 10)` ms; slot epoch `e = now_ms / slot_ms`; the
//! window at time `now` is the slots with epoch in `(e - 10, e]`.

use std::fmt::Debug;
use std::sync::OnceLock;
use std::time::Instant;

use crate::config::TripConfig;
use crate::metrics::{TripState, duration_ns};

/// A monotonic millisecond clock. Inject [`ManualClock`] in tests.
pub trait Clock: Send + Sync + Debug {
    /// Milliseconds since an arbitrary fixed origin; never decreases.
    fn now_ms(&self) -> u64;
}

/// The default clock: `std::time::Instant` since the first use in the process.
#[derive(Debug, Clone, Copy, Default)]
pub struct MonotonicClock;

impl Clock for MonotonicClock {
    fn now_ms(&self) -> u64 {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        let origin = ORIGIN.get_or_init(Instant::now);
        u64::try_from(origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// A clock moved by hand, for tests and conformance vectors.
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicU64);

impl ManualClock {
    /// A clock at `start_ms`.
    pub fn new(start_ms: u64) -> Self {
        ManualClock(std::sync::atomic::AtomicU64::new(start_ms))
    }

    /// Move forward by `ms`.
    pub fn advance_ms(&self, ms: u64) {
        let _ = self.0.fetch_update(
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
            |v| Some(v.saturating_add(ms)),
        );
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

const SLOTS: usize = 10;

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    epoch: u64,
    calls: u64,
    errors: u64,
}

/// What a state change means for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    None,
    /// Closed -> Open, or HalfOpen -> Open.
    Tripped {
        from_closed: bool,
    },
    /// HalfOpen -> Closed.
    Closed,
}

#[derive(Debug, Default)]
pub(crate) struct TripMachine {
    state: TripState,
    slots: [Slot; SLOTS],
    opened_at_ms: u64,
    probe_ok: u32,
}

fn ms(d: std::time::Duration) -> u64 {
    duration_ns(d) / 1_000_000
}

impl TripMachine {
    pub(crate) fn state(&self) -> TripState {
        self.state
    }

    /// Open -> HalfOpen once the cool-down has elapsed.
    pub(crate) fn tick(&mut self, now: u64, cfg: &TripConfig) {
        if self.state == TripState::Open
            && now.saturating_sub(self.opened_at_ms) >= ms(cfg.cool_down)
        {
            self.state = TripState::HalfOpen;
            self.probe_ok = 0;
        }
    }

    /// Back to closed with an empty window (used when trip-back is disabled or reset).
    pub(crate) fn reset(&mut self) -> bool {
        let was_closed = self.state == TripState::Closed;
        *self = TripMachine::default();
        !was_closed
    }

    fn open(&mut self, now: u64) {
        self.state = TripState::Open;
        self.opened_at_ms = now;
        self.probe_ok = 0;
        self.slots = [Slot::default(); SLOTS];
    }

    /// Feed one native attempt outcome observed at `now`.
    pub(crate) fn on_native(&mut self, ok: bool, now: u64, cfg: &TripConfig) -> Transition {
        self.tick(now, cfg);
        match self.state {
            // An outcome of a call decided before the breaker opened: ignored.
            TripState::Open => Transition::None,
            TripState::HalfOpen => {
                if ok {
                    self.probe_ok = self.probe_ok.saturating_add(1);
                    if self.probe_ok >= cfg.probe_successes {
                        self.state = TripState::Closed;
                        self.probe_ok = 0;
                        self.slots = [Slot::default(); SLOTS];
                        Transition::Closed
                    } else {
                        Transition::None
                    }
                } else {
                    self.open(now);
                    Transition::Tripped { from_closed: false }
                }
            }
            TripState::Closed => {
                let slot_ms = (ms(cfg.window) / SLOTS as u64).max(1);
                let epoch = now / slot_ms;
                let idx = usize::try_from(epoch % SLOTS as u64).unwrap_or(0);
                let slot = &mut self.slots[idx];
                if slot.epoch != epoch || (slot.calls == 0 && slot.errors == 0) {
                    *slot = Slot {
                        epoch,
                        calls: 0,
                        errors: 0,
                    };
                }
                slot.calls = slot.calls.saturating_add(1);
                if !ok {
                    slot.errors = slot.errors.saturating_add(1);
                }
                let (calls, errors) = self
                    .slots
                    .iter()
                    .filter(|s| s.epoch <= epoch && s.epoch + (SLOTS as u64) > epoch)
                    .fold((0u64, 0u64), |(c, e), s| {
                        (c.saturating_add(s.calls), e.saturating_add(s.errors))
                    });
                let threshold = u128::from(cfg.threshold.bp());
                if calls >= u64::from(cfg.min_calls)
                    && calls > 0
                    && u128::from(errors) * 10_000 > threshold * u128::from(calls)
                {
                    self.open(now);
                    Transition::Tripped { from_closed: true }
                } else {
                    Transition::None
                }
            }
        }
    }
}
