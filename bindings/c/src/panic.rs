//! The panic boundary every exported function runs behind, and the checked conversions of
//! the C caller's pointers. Nothing else in the crate dereferences a caller's pointer.
//!
//! - [`status`]: for fallible functions. A panic becomes `FQB_INTERNAL`; a failure is written
//!   to the caller's `fqb_error **` (when it is not NULL) and its status returned. Outputs are
//!   written by the closure as its last step, so they are written only on success.
//! - [`value`]: for infallible getters; a panic returns the given default.

use std::any::Any;
use std::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{Failure, fqb_error, fqb_result};

/// Runs `f` behind the panic boundary and reports its outcome as a status.
pub(crate) fn status<F>(error_out: *mut *mut fqb_error, f: F) -> fqb_result
where
    F: FnOnce() -> Result<(), Failure>,
{
    let outcome = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(panicked(p)));
    match outcome {
        Ok(()) => fqb_result::FQB_OK,
        Err(failure) => {
            let status = failure.status;
            if !error_out.is_null() {
                // Building the handle allocates; a panic there (memory exhaustion aborts
                // instead) would lose the details but never the status.
                if let Ok(handle) = catch_unwind(|| Box::new(fqb_error::new(&failure))) {
                    // SAFETY: the caller passes NULL or a writable `fqb_error *` slot.
                    unsafe { error_out.write(Box::into_raw(handle)) };
                }
            }
            status
        }
    }
}

/// Runs an infallible getter behind the panic boundary (`default` if it panics).
pub(crate) fn value<T, F: FnOnce() -> T>(default: T, f: F) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(default)
}

/// A caught panic as `FQB_INTERNAL` with the panic's message.
pub(crate) fn panicked(payload: Box<dyn Any + Send>) -> Failure {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    // Dropping a payload whose destructor panics would unwind out of here: forget it.
    std::mem::forget(payload);
    Failure::internal(format!(
        "panic caught at the C boundary (a bug in fraiseql_qb; please report it): {what}"
    ))
}

/// Whether `len` bytes can be one Rust slice (`slice::from_raw_parts` requires at most
/// `isize::MAX`).
fn check_len(len: usize, what: &str) -> Result<(), Failure> {
    if len > isize::MAX as usize {
        return Err(Failure::invalid(format!(
            "`{what}_len` is {len}, more than PTRDIFF_MAX"
        )));
    }
    Ok(())
}

/// The caller's `(ptr, len)` bytes. NULL is refused, even with `len` 0.
///
/// # Safety
/// `ptr` is NULL or valid for reading `len` bytes for the returned lifetime.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    check_len(len, what)?;
    // SAFETY: non-NULL, length checked, validity is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

/// The caller's `(ptr, len)` text, which must be UTF-8.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn text<'a>(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<&'a str, Failure> {
    let b = unsafe { bytes(ptr, len, what) }?;
    utf8(b, what)
}

/// `b` as UTF-8, or `FQB_INVALID_UTF8` naming the first bad byte.
pub(crate) fn utf8<'a>(b: &'a [u8], what: &str) -> Result<&'a str, Failure> {
    std::str::from_utf8(b).map_err(|e| {
        Failure::new(
            fqb_result::FQB_INVALID_UTF8,
            format!(
                "`{what}` is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// Optional text: NULL means `None` (the sticky key).
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn opt_text<'a>(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    unsafe { text(ptr, len, what) }.map(Some)
}

/// A handle the caller passes in.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T` from this library.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Failure> {
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(what))
}

/// A mutable handle the caller passes in (builders, options: not shared between threads).
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T` from this library, used by one thread.
pub(crate) unsafe fn handle_mut<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T, Failure> {
    unsafe { ptr.as_mut() }.ok_or_else(|| Failure::null(what))
}

/// An output slot, checked before any work is done; written with [`Out::put`] at the end.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// # Safety
    /// `ptr` is NULL or valid for writing a `T`.
    pub(crate) unsafe fn new(ptr: *mut T, what: &str) -> Result<Out<T>, Failure> {
        if ptr.is_null() {
            return Err(Failure::null(what));
        }
        Ok(Out(ptr))
    }

    pub(crate) fn put(self, value: T) {
        // SAFETY: checked non-NULL in `new`; writability is the caller's contract. `write`
        // does not drop the slot's old contents (uninitialized memory in C).
        unsafe { self.0.write(value) }
    }
}

/// Frees `*slot` (a `Box<T>` handle) and sets `*slot` to NULL; NULL or `*slot == NULL` is
/// a no-op.
///
/// # Safety
/// `slot` is NULL or points to NULL or to a `Box<T>` handle not freed yet.
pub(crate) unsafe fn free_box<T>(slot: *mut *mut T) {
    if slot.is_null() {
        return;
    }
    // SAFETY: the caller's contract.
    let ptr = unsafe { slot.replace(std::ptr::null_mut()) };
    if !ptr.is_null() {
        drop(unsafe { Box::from_raw(ptr) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_internal_with_its_message() {
        let mut err: *mut fqb_error = std::ptr::null_mut();
        let r = status(&mut err, || panic!("boom {}", 42));
        assert_eq!(r, fqb_result::FQB_INTERNAL);
        assert!(!err.is_null());
        let msg = unsafe { std::ffi::CStr::from_ptr(crate::error::fqb_error_message(err)) };
        assert!(msg.to_string_lossy().contains("boom 42"), "{msg:?}");
        assert_eq!(unsafe { crate::error::fqb_error_number(err) }, 14);
        unsafe { crate::error::fqb_error_free(&mut err) };
        assert!(err.is_null());
        assert_eq!(value(7, || -> i32 { panic!("x") }), 7);
    }

    #[test]
    fn no_error_slot_still_returns_the_status() {
        let r = status(std::ptr::null_mut(), || Err(Failure::null("x")));
        assert_eq!(r, fqb_result::FQB_NULL_PARAMETER);
    }
}
