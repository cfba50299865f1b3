//! The one place where `qb_core::Error` becomes a JavaScript error.
//!
//! The JS package (`errors.js`) defines `QueryBuilderError` and one subclass per
//! [`ErrorKind`], and registers a factory with `init`; every core error is thrown as
//! `factory(number, code, path, message, display)`: an instance of the kind's class with
//! `code` (`QB_UNKNOWN_FIELD`), `number`, `path` (`""` for the root) and `message` (without
//! code or path) as docs/errors.md defines them. Without a registered factory (the native
//! module used directly) it is a plain `Error` with the same properties.

use qb_core::{Error, ErrorKind};

use crate::js::{Env, JsResult, Raw};

/// The JS error for a core error.
pub(crate) fn to_js(env: Env, e: &Error) -> JsResult<Raw> {
    let number = env.number(f64::from(e.kind().number()))?;
    let code = env.str(e.code())?;
    let path = env.str(e.path())?;
    let message = env.str(e.message())?;
    let display = env.str(&e.to_string())?;
    if let Some(inst) = env.instance() {
        let factory = env.deref(inst.make_error)?;
        let undefined = env.undefined()?;
        return env.call(undefined, factory, &[number, code, path, message, display]);
    }
    let err = plain_error(env, display)?;
    env.set_named(err, "code\0", code)?;
    env.set_named(err, "number\0", number)?;
    env.set_named(err, "path\0", path)?;
    env.set_named(err, "message\0", message)?;
    Ok(err)
}

fn plain_error(env: Env, msg: Raw) -> JsResult<Raw> {
    let global = env.global()?;
    let ctor = env.get_named(global, "Error\0")?;
    env.new_instance(ctor, &[msg])
}

/// `[code, number]` of every kind, in catalog order (the JS package builds its classes from
/// this list, and a test checks it against docs/errors.md).
pub(crate) fn kinds() -> impl Iterator<Item = (&'static str, u32)> {
    ErrorKind::ALL.iter().map(|k| (k.code(), k.number()))
}
