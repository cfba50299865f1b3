//! The UTF-8 text of a Python `str`, borrowed from the object instead of copied.
//!
//! `abi3-py39` gives pyo3 no borrowing accessor: `PyString::to_cow` goes through
//! `PyUnicode_AsUTF8String`, a new `bytes` object per string, then a Rust copy. CPython's
//! `PyUnicode_AsUTF8AndSize` returns the UTF-8 the `str` itself caches (for an ASCII string,
//! its own data): no allocation. It has been in CPython's API since 3.3 and in the stable ABI
//! since 3.10; pyo3 declares it only for `abi3-py310`, but every CPython this wheel can load
//! into (3.9+) exports it, so it is declared here. This file is the binding's only `unsafe`.
#![allow(unsafe_code)]

use std::os::raw::c_char;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;

unsafe extern "C" {
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// The text of `s`, borrowed for as long as `s` lives; `None` when it is not valid Unicode
/// (a lone surrogate), with no Python exception left set.
pub(crate) fn utf8<'a>(s: &'a Bound<'_, PyString>) -> Option<&'a str> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live `str` (or subclass) and the GIL is held (a `Bound` proves both).
    // CPython returns a pointer into a UTF-8 buffer owned by the object, valid until the
    // object is freed; the returned slice borrows `s`, so it cannot outlive it.
    let ptr = unsafe { PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut size) };
    if ptr.is_null() {
        // Encoding failed (lone surrogate): clear the UnicodeEncodeError CPython set.
        drop(PyErr::take(s.py()));
        return None;
    }
    let len = usize::try_from(size).ok()?;
    // SAFETY: on success CPython guarantees `size` readable bytes at `ptr`, owned by `s` and
    // immutable while it lives (see above), and that they are UTF-8: it encoded them with the
    // strict error handler, which refuses surrogates (the failure handled above). pyo3's own
    // `PyString::to_str` relies on the same guarantee. Checking again cost 2.2k instructions
    // per medium query (15 strings), 4% of a compile from Python.
    Some(unsafe {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr.cast::<u8>(), len))
    })
}
