//! The one place where errors become C statuses (`fqb_result`) and error handles
//! (`fqb_error`).
//!
//! A status is `FQB_OK` (0), the number of a core error kind (docs/errors.md: 1 to 99, the
//! same numbers as `ErrorKind::number`), or a binding status (1000 and up) for what only a C
//! caller can get wrong: a NULL pointer, invalid UTF-8, an argument out of range, or what the
//! rollout shim reports about the legacy builder.

use std::ffi::{CString, c_char, c_int};

use qb_core::{Error, ErrorKind};

/// The status every fallible function returns. `FQB_OK` is 0; 1 to 99 are the core's error
/// kinds (docs/errors.md, same numbers as in every binding); 1000 and up are statuses of
/// the C binding itself.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum fqb_result {
    /// Success; outputs were written.
    FQB_OK = 0,
    /// `QB_INVALID_JSON`: the input text is not valid JSON.
    FQB_INVALID_JSON = 1,
    /// `QB_INVALID_QUERY`: the query document has the wrong shape.
    FQB_INVALID_QUERY = 2,
    /// `QB_INVALID_SCHEMA`: the schema registry document is malformed or inconsistent.
    FQB_INVALID_SCHEMA = 3,
    /// `QB_UNKNOWN_VIEW`: the query names a view the registry does not have.
    FQB_UNKNOWN_VIEW = 4,
    /// `QB_UNKNOWN_FIELD`: the query names a field the view does not have.
    FQB_UNKNOWN_FIELD = 5,
    /// `QB_UNKNOWN_OPERATOR`: a filter key is neither an operator nor a nested field.
    FQB_UNKNOWN_OPERATOR = 6,
    /// `QB_OPERATOR_TYPE_MISMATCH`: the operator does not apply to the field's type.
    FQB_OPERATOR_TYPE_MISMATCH = 7,
    /// `QB_INVALID_VALUE`: a value has the wrong type or format for its operator and field.
    FQB_INVALID_VALUE = 8,
    /// `QB_INVALID_IDENTIFIER`: a name that would reach SQL is not a valid name.
    FQB_INVALID_IDENTIFIER = 9,
    /// `QB_DEPTH_LIMIT`: nesting deeper than the limit.
    FQB_DEPTH_LIMIT = 10,
    /// `QB_SIZE_LIMIT`: a list, string, selection or filter larger than the limits.
    FQB_SIZE_LIMIT = 11,
    /// `QB_INVALID_GROUP_BY`: a grouped query selects or orders by something not grouped.
    FQB_INVALID_GROUP_BY = 12,
    /// `QB_UNSUPPORTED`: well-formed input this version does not compile.
    FQB_UNSUPPORTED = 13,
    /// `QB_INTERNAL`: a bug, e.g. a panic caught at the C boundary. Report it.
    FQB_INTERNAL = 14,
    /// `QB_INVALID_CURSOR`: a cursor that is malformed, of an unknown version, or fails its
    /// authentication.
    FQB_INVALID_CURSOR = 15,
    /// `QB_CURSOR_MISMATCH`: a cursor made for another view or ordering.
    FQB_CURSOR_MISMATCH = 16,
    /// `QB_NO_PRIMARY_KEY`: keyset pagination over a view without a `primary_key`.
    FQB_NO_PRIMARY_KEY = 17,
    /// `QB_GRAPHQL_INVALID`: a GraphQL request refused before any query exists (syntax,
    /// validation, variables).
    FQB_GRAPHQL_INVALID = 18,
    /// A required pointer argument is NULL.
    FQB_NULL_PARAMETER = 1000,
    /// A text argument is not valid UTF-8.
    FQB_INVALID_UTF8 = 1001,
    /// An argument is out of range: an unknown enum value, a percentage above 10000 basis
    /// points, an index past the end, a length above `PTRDIFF_MAX`, or a call the handle was
    /// not set up for (e.g. `fqb_shim_advance_ms` without a manual clock).
    FQB_INVALID_ARGUMENT = 1002,
    /// The shim is configured wrongly for its legacy builder: the legacy SQL does not use the
    /// shim's placeholder style (checked until a legacy statement shows its style).
    FQB_CONFIGURATION = 1003,
    /// The legacy builder callback returned non-zero. Its return value is
    /// `fqb_error_legacy_status`, its message (`fqb_legacy_output_set_error`) the error's
    /// message.
    FQB_LEGACY_FAILED = 1004,
    /// The legacy builder returned success with unusable output: no SQL, or an argument the
    /// output functions refused (NULL, invalid UTF-8, a NUL byte inside a value).
    FQB_LEGACY_MALFORMED = 1005,
    /// Neither builder can serve: the native compiler is marked unavailable and no legacy
    /// builder is registered.
    FQB_NO_BUILDER = 1006,
}

/// Every binding status (for the code table and its test).
pub(crate) const BINDING_STATUSES: [fqb_result; 7] = [
    fqb_result::FQB_NULL_PARAMETER,
    fqb_result::FQB_INVALID_UTF8,
    fqb_result::FQB_INVALID_ARGUMENT,
    fqb_result::FQB_CONFIGURATION,
    fqb_result::FQB_LEGACY_FAILED,
    fqb_result::FQB_LEGACY_MALFORMED,
    fqb_result::FQB_NO_BUILDER,
];

impl fqb_result {
    /// The status of a core error kind: its stable number. A kind added to the core later
    /// (the enum is `#[non_exhaustive]`) maps to `FQB_INTERNAL` until it gets a status here,
    /// and the test `every_kind_has_its_number` fails until then.
    pub(crate) fn of_kind(kind: ErrorKind) -> fqb_result {
        use fqb_result::*;
        match kind {
            ErrorKind::InvalidJson => FQB_INVALID_JSON,
            ErrorKind::InvalidQuery => FQB_INVALID_QUERY,
            ErrorKind::InvalidSchema => FQB_INVALID_SCHEMA,
            ErrorKind::UnknownView => FQB_UNKNOWN_VIEW,
            ErrorKind::UnknownField => FQB_UNKNOWN_FIELD,
            ErrorKind::UnknownOperator => FQB_UNKNOWN_OPERATOR,
            ErrorKind::OperatorTypeMismatch => FQB_OPERATOR_TYPE_MISMATCH,
            ErrorKind::InvalidValue => FQB_INVALID_VALUE,
            ErrorKind::InvalidIdentifier => FQB_INVALID_IDENTIFIER,
            ErrorKind::DepthLimit => FQB_DEPTH_LIMIT,
            ErrorKind::SizeLimit => FQB_SIZE_LIMIT,
            ErrorKind::InvalidGroupBy => FQB_INVALID_GROUP_BY,
            ErrorKind::Unsupported => FQB_UNSUPPORTED,
            ErrorKind::InvalidCursor => FQB_INVALID_CURSOR,
            ErrorKind::CursorMismatch => FQB_CURSOR_MISMATCH,
            ErrorKind::NoPrimaryKey => FQB_NO_PRIMARY_KEY,
            ErrorKind::GraphqlInvalid => FQB_GRAPHQL_INVALID,
            _ => FQB_INTERNAL,
        }
    }

    /// The code string: the core's (`QB_UNKNOWN_FIELD`) for a core kind, `FQB_…` for a
    /// binding status, `FQB_OK` for success, `None` for a number that is no status.
    pub(crate) fn code_of(number: u32) -> Option<&'static str> {
        if number == 0 {
            return Some("FQB_OK");
        }
        if let Some(kind) = ErrorKind::ALL.iter().find(|k| k.number() == number) {
            return Some(kind.code());
        }
        use fqb_result::*;
        BINDING_STATUSES
            .iter()
            .find(|s| **s as u32 == number)
            .map(|s| match s {
                FQB_NULL_PARAMETER => "FQB_NULL_PARAMETER",
                FQB_INVALID_UTF8 => "FQB_INVALID_UTF8",
                FQB_INVALID_ARGUMENT => "FQB_INVALID_ARGUMENT",
                FQB_CONFIGURATION => "FQB_CONFIGURATION",
                FQB_LEGACY_FAILED => "FQB_LEGACY_FAILED",
                FQB_LEGACY_MALFORMED => "FQB_LEGACY_MALFORMED",
                _ => "FQB_NO_BUILDER",
            })
    }
}

/// A failure on its way to the caller: a status and what the error handle will say.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) status: fqb_result,
    pub(crate) path: String,
    pub(crate) message: String,
    /// The legacy callback's return value (`FQB_LEGACY_FAILED` only).
    pub(crate) legacy_status: c_int,
    /// A refused GraphQL request's `errors` array as JSON text (`fqb_graphql_compile` only).
    pub(crate) graphql_errors: Option<String>,
}

impl Failure {
    /// A binding status with a message (path empty).
    pub(crate) fn new(status: fqb_result, message: impl Into<String>) -> Failure {
        Failure {
            status,
            path: String::new(),
            message: message.into(),
            legacy_status: 0,
            graphql_errors: None,
        }
    }

    pub(crate) fn null(what: &str) -> Failure {
        Failure::new(fqb_result::FQB_NULL_PARAMETER, format!("`{what}` is NULL"))
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Failure {
        Failure::new(fqb_result::FQB_INVALID_ARGUMENT, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> Failure {
        Failure::new(fqb_result::FQB_INTERNAL, message)
    }

    /// What `Display` of a core error says: `CODE at path: message`.
    pub(crate) fn text(&self) -> String {
        let code = fqb_result::code_of(self.status as u32).unwrap_or("FQB_INTERNAL");
        if self.path.is_empty() {
            format!("{code}: {}", self.message)
        } else {
            format!("{code} at {}: {}", self.path, self.message)
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure {
            status: fqb_result::of_kind(e.kind()),
            path: e.path().to_owned(),
            message: e.message().to_owned(),
            legacy_status: 0,
            graphql_errors: None,
        }
    }
}

/// Text for C: NUL bytes (possible only when an error message quotes input) become U+FFFD,
/// so the string is never cut short.
pub(crate) fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// An error: status number, code, path of the offending node, message. Immutable once
/// returned; may be read from any thread; free it once with `fqb_error_free`.
#[derive(Debug)]
pub struct fqb_error {
    number: u32,
    code: CString,
    path: CString,
    message: CString,
    text: CString,
    legacy_status: c_int,
    graphql_errors: CString,
}

impl fqb_error {
    pub(crate) fn new(f: &Failure) -> fqb_error {
        fqb_error {
            number: f.status as u32,
            code: c_string(fqb_result::code_of(f.status as u32).unwrap_or("FQB_INTERNAL")),
            path: c_string(&f.path),
            message: c_string(&f.message),
            text: c_string(&f.text()),
            legacy_status: f.legacy_status,
            graphql_errors: c_string(f.graphql_errors.as_deref().unwrap_or("")),
        }
    }
}

/// The error's status: the same value the failed call returned (`fqb_result`). 0 for NULL.
///
/// # Safety
/// `error` is NULL or a live error handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_error_number(error: *const fqb_error) -> u32 {
    crate::panic::value(0, || unsafe { error.as_ref() }.map_or(0, |e| e.number))
}

/// The error's stable code: `QB_UNKNOWN_FIELD` (docs/errors.md) or a binding code such as
/// `FQB_NULL_PARAMETER`. NUL-terminated, valid until the error is freed; "" for NULL.
///
/// # Safety
/// `error` is NULL or a live error handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_error_code(error: *const fqb_error) -> *const c_char {
    crate::panic::value(c"".as_ptr(), || {
        unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.code.as_ptr())
    })
}

/// The path of the offending input node (`where.and[2].email.ilike`, `views.v_user`), ""
/// for the document root or when no node is at fault. NUL-terminated, valid until the error
/// is freed.
///
/// # Safety
/// `error` is NULL or a live error handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_error_path(error: *const fqb_error) -> *const c_char {
    crate::panic::value(c"".as_ptr(), || {
        unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.path.as_ptr())
    })
}

/// The message, without code or path. NUL-terminated, valid until the error is freed.
///
/// # Safety
/// `error` is NULL or a live error handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_error_message(error: *const fqb_error) -> *const c_char {
    crate::panic::value(c"".as_ptr(), || {
        unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.message.as_ptr())
    })
}

/// The whole error as one line, as every binding prints it:
/// `QB_UNKNOWN_FIELD at where.emial: ...`. NUL-terminated, valid until the error is freed.
///
/// # Safety
/// `error` is NULL or a live error handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_error_text(error: *const fqb_error) -> *const c_char {
    crate::panic::value(c"".as_ptr(), || {
        unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.text.as_ptr())
    })
}

/// For `FQB_LEGACY_FAILED`: the non-zero value the legacy callback returned. 0 otherwise.
///
/// # Safety
/// `error` is NULL or a live error handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_error_legacy_status(error: *const fqb_error) -> c_int {
    crate::panic::value(0, || {
        unsafe { error.as_ref() }.map_or(0, |e| e.legacy_status)
    })
}

/// Frees `*error` and sets `*error` to NULL. Does nothing when `error` or `*error` is NULL,
/// so calling it twice on the same variable is harmless.
///
/// # Safety
/// `error` is NULL or points to NULL or to a handle from this library not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_error_free(error: *mut *mut fqb_error) {
    crate::panic::value((), || unsafe { crate::panic::free_box(error) });
}

/// The code string of a status number (`FQB_OK`, `QB_UNKNOWN_FIELD`, `FQB_NULL_PARAMETER`),
/// or NULL for a number that is no status. Static storage.
#[unsafe(no_mangle)]
pub extern "C" fn fqb_result_code(status: u32) -> *const c_char {
    crate::panic::value(std::ptr::null(), || {
        // The codes are static; keep one NUL-terminated copy of each for the process.
        static CODES: std::sync::OnceLock<Vec<(u32, CString)>> = std::sync::OnceLock::new();
        let codes = CODES.get_or_init(|| {
            std::iter::once(0)
                .chain(ErrorKind::ALL.iter().map(|k| k.number()))
                .chain(BINDING_STATUSES.iter().map(|s| *s as u32))
                .filter_map(|n| fqb_result::code_of(n).map(|c| (n, c_string(c))))
                .collect()
        });
        codes
            .iter()
            .find(|(n, _)| *n == status)
            .map_or(std::ptr::null(), |(_, c)| c.as_ptr())
    })
}

/// For an error of `fqb_graphql_compile` that refused the request: every error, as the
/// `errors` array of a GraphQL response (JSON text, the GraphQL spec's shape: `message`,
/// `locations`, `path`, `extensions.code`); the status and the other accessors describe the
/// first. "" for any other error (a NULL argument, invalid UTF-8, a caught panic) and for
/// NULL. NUL-terminated, valid until the error is freed.
///
/// # Safety
/// `error` is NULL or a live error handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_error_graphql_errors(error: *const fqb_error) -> *const c_char {
    crate::panic::value(c"".as_ptr(), || {
        unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.graphql_errors.as_ptr())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_number() {
        for kind in ErrorKind::ALL {
            assert_eq!(fqb_result::of_kind(*kind) as u32, kind.number(), "{kind:?}");
            assert_eq!(fqb_result::code_of(kind.number()), Some(kind.code()));
        }
    }

    #[test]
    fn binding_statuses_are_apart_and_named() {
        for s in BINDING_STATUSES {
            assert!(s as u32 >= 1000);
            let code = fqb_result::code_of(s as u32).unwrap_or_default();
            assert!(code.starts_with("FQB_"), "{s:?}");
            assert_eq!(format!("{s:?}"), code);
        }
        assert_eq!(fqb_result::code_of(999), None);
    }
}
