//! The panic boundary (model: rustls-ffi's `ffi_panic_boundary`): every native entry point of
//! the module runs its body through [`guard`]. A Rust panic is a bug (no input should cause
//! one), and it must not reach Python as PyO3's `PanicException`: that is a `BaseException`,
//! so `except Exception` (the rollout shim's fallback, the shadow path, an application's error
//! handler) would not see it, and no metric would count it. Here it becomes
//! `fraiseql_qb.InternalError` (`QB_INTERNAL`), an ordinary `QueryBuilderError` that the shim
//! falls back from and counts like any native failure.
//!
//! Other bindings copy this file's shape: one function, called first thing in every exported
//! body, mapping the caught payload to the core's `ErrorKind::Internal`.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use pyo3::prelude::*;
use qb_core::{Error, ErrorKind};

/// Runs `body`, the whole of the native entry point `entry`; a panic inside it becomes
/// `InternalError` (`QB_INTERNAL`, path `""`) naming the entry point and the panic message.
///
/// `AssertUnwindSafe`: after a panic the entry point returns an error and nothing it was
/// building is used again; the shared state it may touch (the rollout engine) recovers from
/// poisoned locks.
pub(crate) fn guard<T>(
    py: Python<'_>,
    entry: &'static str,
    body: impl FnOnce() -> PyResult<T>,
) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => Err(internal(py, entry, payload.as_ref())),
    }
}

fn internal(py: Python<'_>, entry: &str, payload: &(dyn Any + Send)) -> PyErr {
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    let e = Error::new(
        ErrorKind::Internal,
        "",
        format!("{entry}: the native code panicked ({msg}); this is a bug, please report it"),
    );
    crate::error::to_py(py, &e)
}

/// Fault injection for the tests of this boundary: how many of the next compiles panic.
static INJECTED_PANICS: AtomicU32 = AtomicU32::new(0);

/// Panics when a test asked for it ([`inject_panics`]); one relaxed load otherwise.
pub(crate) fn injected_panic_point() {
    if INJECTED_PANICS.load(Relaxed) > 0
        && INJECTED_PANICS
            .fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1))
            .is_ok()
    {
        panic!("injected by fraiseql_qb._native._inject_panics");
    }
}

/// Makes the next `n` compiles (from `compile`, a `Schema`-less shim call or the shadow path)
/// panic inside the boundary, to test that every route turns the panic into `InternalError`.
/// For tests only (docs/reliability.md, "Panic boundary").
#[pyfunction]
#[pyo3(name = "_inject_panics")]
pub(crate) fn inject_panics(n: u32) {
    INJECTED_PANICS.store(n, Relaxed);
}
