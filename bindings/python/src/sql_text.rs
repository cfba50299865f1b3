//! The Python `str` of the SQL texts a `Schema`'s compiles return.
//!
//! A cache hit returns its shape's statement text again, call after call; decoding it into
//! a new `str` each time was the largest single cost of a hit after reading the dict
//! (docs/performance.md, "Python's hit"). The `str` is kept by the whole text: a lookup
//! compares the text, so it returns only a `str` equal to the statement it is given.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3::types::PyString;

/// Up to `capacity` texts with their `str`; full, it starts again empty (a workload with
/// more shapes than the cache keeps misses there too).
pub(crate) struct SqlTexts {
    capacity: usize,
    texts: Mutex<HashMap<Box<str>, Py<PyString>, ahash::RandomState>>,
}

impl SqlTexts {
    /// `capacity` 0 keeps none (a schema without a shape cache).
    pub(crate) fn new(capacity: usize) -> Self {
        SqlTexts {
            capacity,
            texts: Mutex::new(HashMap::default()),
        }
    }

    /// The `str` of `sql`: the one kept for this text, or a new one (then kept).
    pub(crate) fn get(&self, py: Python<'_>, sql: &str) -> Py<PyString> {
        if self.capacity == 0 {
            return PyString::new(py, sql).unbind();
        }
        let mut texts = self.texts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = texts.get(sql) {
            return s.clone_ref(py);
        }
        let s = PyString::new(py, sql).unbind();
        if texts.len() >= self.capacity {
            texts.clear();
        }
        texts.insert(sql.into(), s.clone_ref(py));
        s
    }
}
