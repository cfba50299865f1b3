//! The Python `str` of the shared statements a `Schema`'s compiles return.
//!
//! A cache hit returns its plan's statement again, call after call; decoding it into a new
//! `str` each time was the largest single cost of a hit after reading the dict
//! (docs/performance.md, "Python's hit"). The core shares a plan's statement with each of its
//! hits (one `Arc<str>`), so its `str` is kept by that `Arc`'s address: the entry holds the
//! `Arc`, which keeps the address from being reused by any other text while the entry lives
//! (docs/performance.md, "Shared statements (session 12)").

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3::types::PyString;

/// Statements by their `Arc`'s address, each with its `Arc` (which keeps that address its
/// own) and its `str`.
type ByAddress = HashMap<usize, (Arc<str>, Py<PyString>), ahash::RandomState>;

/// Up to `capacity` statements with their `str`; full, it starts again empty (a workload with
/// more shapes than the cache keeps misses there too).
pub(crate) struct SqlTexts {
    capacity: usize,
    texts: Mutex<ByAddress>,
}

impl SqlTexts {
    /// `capacity` 0 keeps none (a schema without a shape cache).
    pub(crate) fn new(capacity: usize) -> Self {
        SqlTexts {
            capacity,
            texts: Mutex::new(HashMap::default()),
        }
    }

    /// The `str` of the statement `sql`: the one kept for it, or a new one (then kept).
    pub(crate) fn get(&self, py: Python<'_>, sql: &Arc<str>) -> Py<PyString> {
        if self.capacity == 0 {
            return PyString::new(py, sql).unbind();
        }
        let at = Arc::as_ptr(sql).cast::<u8>() as usize;
        let mut texts = self.texts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((held, s)) = texts.get(&at)
            && Arc::ptr_eq(held, sql)
        {
            return s.clone_ref(py);
        }
        let s = PyString::new(py, sql).unbind();
        if texts.len() >= self.capacity {
            texts.clear();
        }
        texts.insert(at, (Arc::clone(sql), s.clone_ref(py)));
        s
    }
}
