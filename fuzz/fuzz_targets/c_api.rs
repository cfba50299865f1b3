//! Target (d): arbitrary bytes through the C entry points of libfraiseql_qb, as a C caller
//! passes them (pointer + length, not necessarily UTF-8):
//!
//! - byte 0, bit 0: the rest is `schema 0xFF query` (0xFF never occurs in UTF-8), compiled
//!   with `fqb_schema_new` + `fqb_compile`; otherwise the rest is a query for the fixture
//!   registry;
//! - bit 1: `%s` placeholders instead of `$n`;
//! - bit 2: through a shim (`fqb_shim_build`, native forced, fallback on) whose legacy
//!   builder hands the query bytes back as its SQL with 1 (`$n` shim) or 2 (`%s` shim)
//!   parameters, so the placeholder check and the legacy output functions see arbitrary
//!   text too;
//! - bit 3: the query is a GraphQL request instead, `document [0xFF variables [0xFF
//!   operation name]]` (no variables: NULL, length 0), through `fqb_graphql_compile` (bit 2
//!   is then ignored): every root field's key, statement or value is read and the request
//!   freed, and a refusal's `fqb_error_graphql_errors` read.
//!
//! Oracle: every status is a known one and equals the error handle's number and code;
//! outputs are written only on success; every string is NUL-terminated at its length; a
//! native statement passes the shared oracle (libpg_query parse, `$1..$n` = params); no
//! leak or double free (the handles are freed through the API; run with ASan to check).
#![no_main]

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use fraiseql_qb::*;
use libfuzzer_sys::fuzz_target;

const FIXTURE: &str = include_str!("../../tests/golden/schema.json");

struct Handles {
    schema: *mut fqb_schema,
    format: *mut fqb_options,
    shims: [*mut fqb_shim; 2],
}

// SAFETY: the handles are immutable after creation and documented as shareable.
unsafe impl Send for Handles {}
unsafe impl Sync for Handles {}

unsafe extern "C" fn legacy(
    user_data: *mut c_void,
    query: *const c_char,
    len: usize,
    out: *mut fqb_legacy_output,
) -> c_int {
    let params = user_data as usize;
    unsafe {
        // Arbitrary bytes as SQL: refused (then malformed) unless UTF-8 without NUL.
        let _ = fqb_legacy_output_set_sql(out, query, len);
        for i in 0..params {
            let v = i.to_string();
            let _ = fqb_legacy_output_add_param(out, 0, v.as_ptr().cast(), v.len());
        }
    }
    0
}

fn handles() -> &'static Handles {
    static H: OnceLock<Handles> = OnceLock::new();
    H.get_or_init(|| unsafe {
        let mut schema = null_mut();
        let st = fqb_schema_new(FIXTURE.as_ptr().cast(), FIXTURE.len(), &mut schema, null_mut());
        assert_eq!(st, fqb_result::FQB_OK);
        let format = fqb_options_new();
        assert_eq!(fqb_options_set_placeholder(format, 1), fqb_result::FQB_OK);
        let mut shims = [null_mut(); 2];
        for (i, shim) in shims.iter_mut().enumerate() {
            let mut b = null_mut();
            assert_eq!(fqb_shim_builder_new(schema, &mut b), fqb_result::FQB_OK);
            let none = fqb_env_var {
                name: null(),
                name_len: 0,
                value: null(),
                value_len: 0,
            };
            assert_eq!(fqb_shim_builder_set_env(b, &none, 0), fqb_result::FQB_OK);
            assert_eq!(fqb_shim_builder_set_use_native(b, true), fqb_result::FQB_OK);
            if i == 1 {
                assert_eq!(fqb_shim_builder_set_options(b, format), fqb_result::FQB_OK);
            }
            // The parameter count the legacy builder returns is fixed per shim here; the
            // fuzzer picks the shim.
            assert_eq!(
                fqb_shim_builder_set_legacy(b, Some(legacy), (i + 1) as *mut c_void),
                fqb_result::FQB_OK
            );
            assert_eq!(fqb_shim_builder_build(b, shim, null_mut()), fqb_result::FQB_OK);
            fqb_shim_builder_free(&mut b);
        }
        Handles {
            schema,
            format,
            shims,
        }
    })
}

unsafe fn cstr<'a>(p: *const c_char) -> &'a CStr {
    assert!(!p.is_null());
    unsafe { CStr::from_ptr(p) }
}

/// The status is known and the error handle says the same.
unsafe fn check_failure(st: fqb_result, err: *mut fqb_error) {
    let number = st as u32;
    let code = fqb_result_code(number);
    assert!(!code.is_null(), "unknown status {number}");
    unsafe {
        assert_eq!(fqb_error_number(err), number);
        assert_eq!(cstr(fqb_error_code(err)), cstr(code));
        let _ = cstr(fqb_error_path(err));
        assert!(!cstr(fqb_error_message(err)).to_bytes().is_empty());
    }
    assert_ne!(st, fqb_result::FQB_INTERNAL, "internal error from input");
}

/// A statement's strings are consistent; a native one passes the shared oracle.
unsafe fn check_statement(c: *const fqb_compiled, format: bool) {
    unsafe {
        let sql = cstr(fqb_compiled_sql(c));
        assert_eq!(sql.to_bytes().len(), fqb_compiled_sql_len(c));
        let n = usize::try_from(fqb_compiled_param_count(c)).expect("count");
        let values = fqb_compiled_param_values(c);
        let types = fqb_compiled_param_types(c);
        assert_eq!(n == 0, values.is_null());
        assert_eq!(n == 0, types.is_null());
        for i in 0..n {
            let mut p = std::mem::zeroed::<fqb_param>();
            assert_eq!(fqb_compiled_param(c, i, &mut p), fqb_result::FQB_OK);
            assert_eq!(*types.add(i), p.type_oid);
            let v = *values.add(i);
            assert_eq!(v, p.value.ptr);
            if !v.is_null() {
                assert_eq!(cstr(v).to_bytes().len(), p.value.len);
            }
        }
        let mut p = std::mem::zeroed::<fqb_param>();
        assert_eq!(
            fqb_compiled_param(c, n, &mut p),
            fqb_result::FQB_INVALID_ARGUMENT
        );
        if fqb_compiled_served_by(c) == fqb_builder::FQB_BUILDER_NATIVE as u32 {
            let text = sql.to_str().expect("native SQL is UTF-8");
            let numbered = if format {
                qb_fuzz::format_to_numbered(text)
            } else {
                text.to_owned()
            };
            qb_fuzz::check_sql(&numbered, n);
        }
    }
}

/// An `fqb_str` is `{NULL, 0}` or NUL-terminated at its length.
unsafe fn check_str(s: fqb_str) -> Option<&'static CStr> {
    if s.ptr.is_null() {
        assert_eq!(s.len, 0);
        return None;
    }
    let c = unsafe { cstr(s.ptr) };
    assert_eq!(c.to_bytes().len(), s.len);
    Some(c)
}

/// `document [0xFF variables [0xFF operation name]]` through `fqb_graphql_compile`; every
/// field of an accepted request read, the request and the error freed (twice: NULL-safe).
unsafe fn graphql(
    schema: *const fqb_schema,
    request: &[u8],
    options: *const fqb_options,
    format: bool,
) {
    let mut parts = request.splitn(3, |b| *b == 0xFF);
    let document = parts.next().unwrap_or(&[]);
    let text = |p: Option<&[u8]>| {
        p.map_or((null(), 0), |p| (p.as_ptr().cast::<c_char>(), p.len()))
    };
    let (variables, variables_len) = text(parts.next());
    let (operation, operation_len) = text(parts.next());
    let mut r: *mut fqb_graphql_request = null_mut();
    let mut err = null_mut();
    unsafe {
        let st = fqb_graphql_compile(
            schema,
            document.as_ptr().cast(),
            document.len(),
            variables,
            variables_len,
            operation,
            operation_len,
            options,
            &mut r,
            &mut err,
        );
        if st == fqb_result::FQB_OK {
            assert!(err.is_null() && !r.is_null());
            let n = fqb_graphql_request_field_count(r);
            for i in 0..n {
                assert!(check_str(fqb_graphql_request_field_key(r, i)).is_some());
                let c = fqb_graphql_request_field_compiled(r, i);
                let value = check_str(fqb_graphql_request_field_value(r, i));
                assert_ne!(c.is_null(), value.is_none(), "a statement or a value");
                if c.is_null() {
                    assert!(!fqb_graphql_request_field_single(r, i));
                } else {
                    check_statement(c, format);
                }
            }
            assert!(check_str(fqb_graphql_request_field_key(r, n)).is_none());
            assert!(fqb_graphql_request_field_compiled(r, n).is_null());
            assert!(check_str(fqb_graphql_request_field_value(r, n)).is_none());
        } else {
            assert!(r.is_null(), "output written on failure");
            check_failure(st, err);
            let errors = cstr(fqb_error_graphql_errors(err));
            if st == fqb_result::FQB_GRAPHQL_INVALID {
                assert!(!errors.to_bytes().is_empty(), "a refusal without its errors");
            }
        }
        fqb_graphql_request_free(&mut r);
        assert!(r.is_null());
        fqb_graphql_request_free(&mut r);
        fqb_error_free(&mut err);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let h = handles();
    let format = mode & 2 != 0;
    unsafe {
        let mut own_schema = null_mut();
        let mut schema = h.schema.cast_const();
        let mut query = rest;
        if mode & 1 != 0 {
            let split = rest.iter().position(|b| *b == 0xFF).unwrap_or(rest.len());
            let (s, q) = (&rest[..split], rest.get(split + 1..).unwrap_or(&[]));
            let mut err = null_mut();
            let st = fqb_schema_new(s.as_ptr().cast(), s.len(), &mut own_schema, &mut err);
            if st != fqb_result::FQB_OK {
                assert!(own_schema.is_null(), "output written on failure");
                check_failure(st, err);
                fqb_error_free(&mut err);
                return;
            }
            assert!(err.is_null());
            schema = own_schema;
            query = q;
        }
        if mode & 8 != 0 {
            let options = if format { h.format.cast_const() } else { null() };
            graphql(schema, query, options, format);
            fqb_schema_free(&mut own_schema);
            return;
        }
        let mut c: *mut fqb_compiled = null_mut();
        let mut err = null_mut();
        let st = if mode & 4 != 0 && own_schema.is_null() {
            let shim = h.shims[usize::from(format)];
            fqb_shim_build(shim, query.as_ptr().cast(), query.len(), null(), 0, &mut c, &mut err)
        } else {
            let options = if format { h.format.cast_const() } else { null() };
            fqb_compile(schema, query.as_ptr().cast(), query.len(), options, &mut c, &mut err)
        };
        if st == fqb_result::FQB_OK {
            assert!(err.is_null() && !c.is_null());
            check_statement(c, format);
        } else {
            assert!(c.is_null(), "output written on failure");
            check_failure(st, err);
        }
        fqb_compiled_free(&mut c);
        assert!(c.is_null());
        fqb_compiled_free(&mut c);
        fqb_error_free(&mut err);
        fqb_schema_free(&mut own_schema);
    }
});
