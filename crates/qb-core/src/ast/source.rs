//! What the query parser reads: any tree of JSON-like nodes.
//!
//! The parser is written once, against [`Source`]. qb-core implements it for `&mut Value`
//! (JSON text and Rust callers); a binding may implement it for its host's own objects, so a
//! Python dict becomes a [`Query`](super::Query) in one walk, without an intermediate
//! [`Value`] tree. Every shape check, error code and path stays in the parser either way.

use std::borrow::Cow;

use crate::Value;
use crate::error::{Error, Path};

/// The JSON kind of a node, with the scalar the parser may need from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// Any other number (a float, a decimal, an integer beyond `i64`).
    Number,
    /// A string: read it with [`Source::str`] or [`Source::into_string`].
    Str,
    /// An array: walk it with [`Source::items`].
    List,
    /// An object: walk it with [`Source::entries`].
    Object,
}

impl Kind {
    /// The JSON type name, for error messages (the same names as [`Value::type_name`]).
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool(_) => "boolean",
            Kind::Int(_) | Kind::Number => "number",
            Kind::Str => "string",
            Kind::List => "array",
            Kind::Object => "object",
        }
    }
}

/// One node of a query document, as the parser reads it. The parser calls [`Source::kind`]
/// first and then only the accessors that kind allows; an implementation may return an
/// error (or anything) when called otherwise.
///
/// Errors a host produces (a value with no JSON form, text that is not valid Unicode) are
/// built with `at.err(..)`, where `at` is the path of the node being read, so they carry the
/// same paths as the parser's own errors.
pub trait Source: Sized {
    /// The node's kind, or an error when the host value has no JSON form.
    fn kind(&self, at: &Path<'_>) -> Result<Kind, Error>;

    /// The text of a [`Kind::Str`] node.
    fn str(&self, at: &Path<'_>) -> Result<Cow<'_, str>, Error>;

    /// [`Source::kind`], with the text ([`Source::str`]) of a [`Kind::Str`] node: one call
    /// for a reader that writes a string where it finds one (a host overrides it to read
    /// its common string once).
    fn kind_text(&self, at: &Path<'_>) -> Result<(Kind, Option<Cow<'_, str>>), Error> {
        let kind = self.kind(at)?;
        let text = match kind {
            Kind::Str => Some(self.str(at)?),
            _ => None,
        };
        Ok((kind, text))
    }

    /// The text of a [`Kind::Str`] node, owned (moved out where the source allows it).
    fn into_string(self, at: &Path<'_>) -> Result<String, Error> {
        Ok(self.str(at)?.into_owned())
    }

    /// The number of items or entries of a [`Kind::List`] or [`Kind::Object`] node.
    fn len(&self) -> usize;

    /// Whether a list or object node has no items or entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` with each key and value of a [`Kind::Object`] node, in order, stopping at
    /// the first error.
    fn entries<F>(self, at: &Path<'_>, f: F) -> Result<(), Error>
    where
        F: FnMut(&str, Self) -> Result<(), Error>;

    /// Calls `f` with each index and item of a [`Kind::List`] node, in order, stopping at
    /// the first error.
    fn items<F>(self, at: &Path<'_>, f: F) -> Result<(), Error>
    where
        F: FnMut(usize, Self) -> Result<(), Error>;

    /// The whole node as a [`Value`] (a filter operand, checked later against the schema).
    fn into_value(self, at: &Path<'_>) -> Result<Value, Error>;

    /// Another handle to the same node, when the host can give one without copying the
    /// node (`&Value`: the reference itself); `None` (the default) when it cannot. A
    /// document hit of the shape cache
    /// ([`ShapeCache::compile_source`](crate::ShapeCache::compile_source)) keeps such
    /// handles to its operands and binds them in place; an operand without one is read
    /// with [`Source::into_value`] first. Both give the same result.
    fn share(&self) -> Option<Self> {
        None
    }

    /// The node as the [`Value`] the host already holds, when it holds one (`&Value`);
    /// `None` (the default) otherwise. A document hit binds such an operand as it is,
    /// without reading it again.
    fn as_value(&self) -> Option<&Value> {
        None
    }
}

/// The kind of a `Value`.
fn kind_of(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Null,
        Value::Bool(b) => Kind::Bool(*b),
        Value::Int(i) => Kind::Int(*i),
        Value::Float(_) | Value::Decimal(_) => Kind::Number,
        Value::Str(_) => Kind::Str,
        Value::List(_) => Kind::List,
        Value::Object(_) => Kind::Object,
    }
}

/// A `Value` read in place: strings and operands are moved out, nothing is copied.
impl Source for &mut Value {
    fn kind(&self, _at: &Path<'_>) -> Result<Kind, Error> {
        Ok(kind_of(self))
    }

    fn str(&self, _at: &Path<'_>) -> Result<Cow<'_, str>, Error> {
        Ok(Cow::Borrowed(self.as_str().unwrap_or_default()))
    }

    fn into_string(self, _at: &Path<'_>) -> Result<String, Error> {
        Ok(match self {
            Value::Str(s) => std::mem::take(s),
            _ => String::new(),
        })
    }

    fn len(&self) -> usize {
        match &**self {
            Value::List(items) => items.len(),
            Value::Object(entries) => entries.len(),
            _ => 0,
        }
    }

    fn entries<F>(self, _at: &Path<'_>, mut f: F) -> Result<(), Error>
    where
        F: FnMut(&str, Self) -> Result<(), Error>,
    {
        if let Value::Object(entries) = self {
            for (key, value) in entries.iter_mut() {
                f(key, value)?;
            }
        }
        Ok(())
    }

    fn items<F>(self, _at: &Path<'_>, mut f: F) -> Result<(), Error>
    where
        F: FnMut(usize, Self) -> Result<(), Error>,
    {
        if let Value::List(items) = self {
            for (i, item) in items.iter_mut().enumerate() {
                f(i, item)?;
            }
        }
        Ok(())
    }

    fn into_value(self, _at: &Path<'_>) -> Result<Value, Error> {
        Ok(std::mem::replace(self, Value::Null))
    }
}

/// A `Value` read without changing it (strings and operands are copied): a document read
/// more than once ([`ShapeCache::compile_source`](crate::ShapeCache::compile_source)).
impl Source for &Value {
    fn kind(&self, at: &Path<'_>) -> Result<Kind, Error> {
        let _ = at;
        Ok(kind_of(self))
    }

    fn str(&self, _at: &Path<'_>) -> Result<Cow<'_, str>, Error> {
        Ok(Cow::Borrowed(self.as_str().unwrap_or_default()))
    }

    fn len(&self) -> usize {
        match self {
            Value::List(items) => items.len(),
            Value::Object(entries) => entries.len(),
            _ => 0,
        }
    }

    #[inline(always)]
    fn entries<F>(self, _at: &Path<'_>, mut f: F) -> Result<(), Error>
    where
        F: FnMut(&str, Self) -> Result<(), Error>,
    {
        if let Value::Object(entries) = self {
            for (key, value) in entries {
                f(key, value)?;
            }
        }
        Ok(())
    }

    #[inline(always)]
    fn items<F>(self, _at: &Path<'_>, mut f: F) -> Result<(), Error>
    where
        F: FnMut(usize, Self) -> Result<(), Error>,
    {
        if let Value::List(items) = self {
            for (i, item) in items.iter().enumerate() {
                f(i, item)?;
            }
        }
        Ok(())
    }

    fn into_value(self, _at: &Path<'_>) -> Result<Value, Error> {
        Ok(self.clone())
    }

    fn share(&self) -> Option<Self> {
        Some(self)
    }

    fn as_value(&self) -> Option<&Value> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, Limits, Query};

    /// A host whose string `"<set>"` stands for one of its values with no JSON form.
    struct Host<'v>(&'v mut Value);

    impl Source for Host<'_> {
        fn kind(&self, at: &Path<'_>) -> Result<Kind, Error> {
            match &*self.0 {
                Value::Str(s) if s == "<set>" => {
                    Err(at.err(ErrorKind::InvalidValue, "a set has no JSON form"))
                }
                _ => Source::kind(&self.0, at),
            }
        }
        fn str(&self, at: &Path<'_>) -> Result<Cow<'_, str>, Error> {
            Source::str(&self.0, at)
        }
        fn len(&self) -> usize {
            Source::len(&self.0)
        }
        fn entries<F>(self, at: &Path<'_>, mut f: F) -> Result<(), Error>
        where
            F: FnMut(&str, Self) -> Result<(), Error>,
        {
            self.0.entries(at, |k, v| f(k, Host(v)))
        }
        fn items<F>(self, at: &Path<'_>, mut f: F) -> Result<(), Error>
        where
            F: FnMut(usize, Self) -> Result<(), Error>,
        {
            self.0.items(at, |i, v| f(i, Host(v)))
        }
        fn into_value(self, at: &Path<'_>) -> Result<Value, Error> {
            self.0.into_value(at)
        }
    }

    fn query(select: Value) -> Value {
        Value::Object(vec![("view".into(), "v".into()), ("select".into(), select)])
    }

    #[test]
    fn a_host_source_parses_like_a_value() {
        let mut doc = query(Value::List(vec!["id".into(), "name".into()]));
        let via_host = Query::from_source(Host(&mut doc.clone()), &Limits::default());
        assert_eq!(via_host, Query::from_owned_value(doc.clone()));
        assert_eq!(via_host.expect("valid").select.len(), 2);
        // The source was read in place: strings were moved out of it.
        Query::from_source(&mut doc, &Limits::default()).expect("valid");
        assert_eq!(doc.get("view"), Some(&Value::Str(String::new())));
    }

    #[test]
    fn a_host_error_carries_the_parsers_path() {
        let mut doc = query(Value::List(vec!["id".into(), "<set>".into()]));
        let e = Query::from_source(Host(&mut doc), &Limits::default()).expect_err("a set");
        assert_eq!((e.code(), e.path()), ("QB_INVALID_VALUE", "select[1]"));
    }
}
