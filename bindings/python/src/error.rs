//! The one place where `qb_core::Error` becomes a Python exception.
//!
//! `fraiseql_qb.QueryBuilderError` is the base; every [`ErrorKind`] has its own subclass. Each
//! raised instance carries `.code` (e.g. `QB_UNKNOWN_FIELD`), `.number`, `.path` (the
//! offending node, `""` for the root) and `.message` (without code or path); `str(e)` is the
//! core's `Display` (`QB_UNKNOWN_FIELD at where.emial: ...`).

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::{create_exception, intern};
use qb_core::{Error, ErrorKind};

create_exception!(
    fraiseql_qb,
    QueryBuilderError,
    PyException,
    "Base class of every fraiseql_qb error; has .code, .number, .path and .message."
);
create_exception!(
    fraiseql_qb,
    InvalidJsonError,
    QueryBuilderError,
    "QB_INVALID_JSON"
);
create_exception!(
    fraiseql_qb,
    InvalidQueryError,
    QueryBuilderError,
    "QB_INVALID_QUERY"
);
create_exception!(
    fraiseql_qb,
    InvalidSchemaError,
    QueryBuilderError,
    "QB_INVALID_SCHEMA"
);
create_exception!(
    fraiseql_qb,
    UnknownViewError,
    QueryBuilderError,
    "QB_UNKNOWN_VIEW"
);
create_exception!(
    fraiseql_qb,
    UnknownFieldError,
    QueryBuilderError,
    "QB_UNKNOWN_FIELD"
);
create_exception!(
    fraiseql_qb,
    UnknownOperatorError,
    QueryBuilderError,
    "QB_UNKNOWN_OPERATOR"
);
create_exception!(
    fraiseql_qb,
    OperatorTypeMismatchError,
    QueryBuilderError,
    "QB_OPERATOR_TYPE_MISMATCH"
);
create_exception!(
    fraiseql_qb,
    InvalidValueError,
    QueryBuilderError,
    "QB_INVALID_VALUE"
);
create_exception!(
    fraiseql_qb,
    InvalidIdentifierError,
    QueryBuilderError,
    "QB_INVALID_IDENTIFIER"
);
create_exception!(
    fraiseql_qb,
    DepthLimitError,
    QueryBuilderError,
    "QB_DEPTH_LIMIT"
);
create_exception!(
    fraiseql_qb,
    SizeLimitError,
    QueryBuilderError,
    "QB_SIZE_LIMIT"
);
create_exception!(
    fraiseql_qb,
    InvalidGroupByError,
    QueryBuilderError,
    "QB_INVALID_GROUP_BY"
);
create_exception!(
    fraiseql_qb,
    UnsupportedError,
    QueryBuilderError,
    "QB_UNSUPPORTED"
);
create_exception!(fraiseql_qb, InternalError, QueryBuilderError, "QB_INTERNAL");
create_exception!(
    fraiseql_qb,
    InvalidCursorError,
    QueryBuilderError,
    "QB_INVALID_CURSOR"
);
create_exception!(
    fraiseql_qb,
    CursorMismatchError,
    QueryBuilderError,
    "QB_CURSOR_MISMATCH"
);
create_exception!(
    fraiseql_qb,
    NoPrimaryKeyError,
    QueryBuilderError,
    "QB_NO_PRIMARY_KEY"
);
create_exception!(
    fraiseql_qb,
    GraphqlInvalidError,
    QueryBuilderError,
    "QB_GRAPHQL_INVALID"
);

/// The exception class of a kind. Every kind the core knows has its own class; a kind added
/// to the core later (the enum is `#[non_exhaustive]`) maps to the base until it gets one,
/// and `tests/test_errors.py` fails until then.
fn class_of(py: Python<'_>, kind: ErrorKind) -> Bound<'_, PyType> {
    match kind {
        ErrorKind::InvalidJson => py.get_type::<InvalidJsonError>(),
        ErrorKind::InvalidQuery => py.get_type::<InvalidQueryError>(),
        ErrorKind::InvalidSchema => py.get_type::<InvalidSchemaError>(),
        ErrorKind::UnknownView => py.get_type::<UnknownViewError>(),
        ErrorKind::UnknownField => py.get_type::<UnknownFieldError>(),
        ErrorKind::UnknownOperator => py.get_type::<UnknownOperatorError>(),
        ErrorKind::OperatorTypeMismatch => py.get_type::<OperatorTypeMismatchError>(),
        ErrorKind::InvalidValue => py.get_type::<InvalidValueError>(),
        ErrorKind::InvalidIdentifier => py.get_type::<InvalidIdentifierError>(),
        ErrorKind::DepthLimit => py.get_type::<DepthLimitError>(),
        ErrorKind::SizeLimit => py.get_type::<SizeLimitError>(),
        ErrorKind::InvalidGroupBy => py.get_type::<InvalidGroupByError>(),
        ErrorKind::Unsupported => py.get_type::<UnsupportedError>(),
        ErrorKind::Internal => py.get_type::<InternalError>(),
        ErrorKind::InvalidCursor => py.get_type::<InvalidCursorError>(),
        ErrorKind::CursorMismatch => py.get_type::<CursorMismatchError>(),
        ErrorKind::NoPrimaryKey => py.get_type::<NoPrimaryKeyError>(),
        ErrorKind::GraphqlInvalid => py.get_type::<GraphqlInvalidError>(),
        _ => py.get_type::<QueryBuilderError>(),
    }
}

/// Converts a core error into the matching Python exception, attributes set.
pub(crate) fn to_py(py: Python<'_>, e: &Error) -> PyErr {
    let class = class_of(py, e.kind());
    let build = || -> PyResult<PyErr> {
        let value = class.call1((e.to_string(),))?;
        value.setattr(intern!(py, "code"), e.code())?;
        value.setattr(intern!(py, "number"), e.kind().number())?;
        value.setattr(intern!(py, "path"), e.path())?;
        value.setattr(intern!(py, "message"), e.message())?;
        Ok(PyErr::from_value(value))
    };
    // Building the exception only fails on memory exhaustion; raise that error then.
    build().unwrap_or_else(|err| err)
}

/// A refused GraphQL request as the class of its first error's kind, with `.code`,
/// `.number`, `.path` (the qb-core AST path, `""` for a GraphQL error), `.message`, and
/// `.errors`: every error as the GraphQL spec's error dict (`message`, `locations`, `path`,
/// `extensions.code`).
pub(crate) fn graphql_to_py(py: Python<'_>, e: &qb_graphql::GraphqlErrors) -> PyErr {
    let first = e.first();
    let class = class_of(py, first.kind);
    let build = || -> PyResult<PyErr> {
        let value = class.call1((e.to_string(),))?;
        value.setattr(intern!(py, "code"), first.code())?;
        value.setattr(intern!(py, "number"), first.kind.number())?;
        value.setattr(intern!(py, "path"), first.ast_path.as_deref().unwrap_or(""))?;
        value.setattr(intern!(py, "message"), first.message.as_str())?;
        let errors = py.import("json")?.call_method1("loads", (e.to_json(),))?;
        value.setattr(intern!(py, "errors"), errors)?;
        Ok(PyErr::from_value(value))
    };
    build().unwrap_or_else(|err| err)
}

/// `(code, number, class)` for every kind of the core, in catalog order (for the test that
/// keeps this mapping exhaustive, and for `fraiseql_qb.ERRORS_BY_CODE`).
#[pyfunction]
pub(crate) fn error_classes(
    py: Python<'_>,
) -> PyResult<Vec<(&'static str, u32, Bound<'_, PyType>)>> {
    crate::boundary::guard(py, "error_classes", || {
        Ok(ErrorKind::ALL
            .iter()
            .map(|k| (k.code(), k.number(), class_of(py, *k)))
            .collect())
    })
}

/// Registers the classes on the native module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("QueryBuilderError", py.get_type::<QueryBuilderError>())?;
    for k in ErrorKind::ALL {
        let class = class_of(py, *k);
        let name = class.name()?;
        m.add(name, class)?;
    }
    Ok(())
}
