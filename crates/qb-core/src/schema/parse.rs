//! `Value` -> `Schema`, and the validation every view goes through.

use super::{FieldDef, FieldType, ObjectDef, ScalarType, Schema, ViewDef};
use crate::Value;
use crate::error::{Error, ErrorKind, Path};
use crate::names::{is_graphql_name, is_json_key, is_sql_identifier};

fn bad(path: &Path<'_>, msg: impl Into<String>) -> Error {
    path.err(ErrorKind::InvalidSchema, msg)
}

pub(crate) fn validate_view(view: &ViewDef, path: &Path<'_>) -> Result<(), Error> {
    if let Some(s) = &view.schema {
        if !is_sql_identifier(s) {
            return Err(bad(
                path,
                format!("schema name `{s}` is not a plain SQL identifier"),
            ));
        }
    }
    if !is_sql_identifier(&view.name) {
        return Err(bad(
            path,
            format!("view name `{}` is not a plain SQL identifier", view.name),
        ));
    }
    if !is_sql_identifier(&view.data_column) {
        return Err(bad(
            &path.key("data_column"),
            format!(
                "data column `{}` is not a plain SQL identifier",
                view.data_column
            ),
        ));
    }
    if let Some(t) = &view.typename {
        if !is_graphql_name(t) {
            return Err(bad(
                &path.key("typename"),
                format!("typename `{t}` is not a GraphQL name"),
            ));
        }
    }
    let columns = path.key("columns");
    for (name, col) in view.columns.iter() {
        let ty = &col.ty;
        if !is_sql_identifier(name) {
            return Err(bad(
                &columns.key(name),
                format!("column `{name}` is not a plain SQL identifier"),
            ));
        }
        if !matches!(ty, FieldType::Scalar(_)) {
            return Err(bad(&columns.key(name), "a column must have a scalar type"));
        }
    }
    // Rendering and validating recurse per level: a hand-built definition deeper than the
    // registry's JSON form allows is refused before either runs.
    if view.fields.depth() > MAX_SCHEMA_DEPTH {
        return Err(path.key("fields").err(
            ErrorKind::DepthLimit,
            "nested objects deeper than 32 levels",
        ));
    }
    validate_object(&view.fields, &path.key("fields"))
}

fn validate_object(obj: &ObjectDef, path: &Path<'_>) -> Result<(), Error> {
    for (key, def) in obj.fields.iter() {
        let p = path.key(key);
        if !is_json_key(key) {
            return Err(bad(&p, "a JSON key must be 1 to 255 bytes without NUL"));
        }
        if let FieldType::Object(inner) = &def.ty {
            validate_object(inner, &p.key("fields"))?;
        }
    }
    Ok(())
}

impl Schema {
    /// Builds a registry from its JSON-like form (see docs/query-ast.md).
    pub fn from_value(value: &Value) -> Result<Schema, Error> {
        let root = Path::ROOT;
        let entries = object(value, &root, "a schema")?;
        let mut schema = Schema::new();
        for (key, value) in entries {
            let path = root.key(key);
            match key.as_str() {
                "views" => {
                    for (name, view) in object(value, &path, "views")? {
                        let p = path.key(name);
                        let def = view_def(name, view, &p)?;
                        schema.add_view(def)?;
                    }
                }
                other => {
                    return Err(bad(&path, crate::suggest::unknown_key(other, &["views"])));
                }
            }
        }
        Ok(schema)
    }
}

#[cfg(feature = "json")]
impl Schema {
    /// Parses a registry from JSON text.
    pub fn from_json(text: &str) -> Result<Schema, Error> {
        Schema::from_value(&crate::json::parse_value(text)?)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Schema {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Schema, D::Error> {
        let value = <Value as serde::Deserialize>::deserialize(d)?;
        Schema::from_value(&value).map_err(serde::de::Error::custom)
    }
}

fn object<'v>(v: &'v Value, path: &Path<'_>, what: &str) -> Result<&'v [(String, Value)], Error> {
    match v {
        Value::Object(e) => Ok(e),
        other => Err(bad(
            path,
            format!("{what} must be an object, found {}", other.type_name()),
        )),
    }
}

fn string<'v>(v: &'v Value, path: &Path<'_>, what: &str) -> Result<&'v str, Error> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(bad(
            path,
            format!("{what} must be a string, found {}", other.type_name()),
        )),
    }
}

fn view_def(key: &str, v: &Value, path: &Path<'_>) -> Result<ViewDef, Error> {
    let mut view = ViewDef::new(key);
    for (k, value) in object(v, path, "a view")? {
        let p = path.key(k);
        match k.as_str() {
            "typename" => view.typename = Some(string(value, &p, "typename")?.to_owned()),
            "data_column" => view.data_column = string(value, &p, "data_column")?.to_owned(),
            "permissive" => match value {
                Value::Bool(b) => view.permissive = *b,
                other => {
                    return Err(bad(
                        &p,
                        format!("permissive must be a boolean, found {}", other.type_name()),
                    ));
                }
            },
            "language" => view.language = string(value, &p, "language")?.to_owned(),
            "document_threshold" => match value {
                Value::Int(n) if *n >= 0 => {
                    view.document_threshold = Some(usize::try_from(*n).unwrap_or(usize::MAX))
                }
                Value::Null => view.document_threshold = None,
                other => {
                    return Err(bad(
                        &p,
                        format!(
                            "document_threshold must be a non-negative integer or null, found {}",
                            other.type_name()
                        ),
                    ));
                }
            },
            "columns" => {
                let mut cols = super::Named::default();
                for (name, ty) in object(value, &p, "columns")? {
                    let cp = p.key(name);
                    let t = string(ty, &cp, "a column type")?;
                    let scalar = ScalarType::from_name(t)
                        .ok_or_else(|| bad(&cp, format!("unknown column type `{t}`")))?;
                    cols.insert(
                        name.clone(),
                        super::ColumnDef {
                            ty: FieldType::Scalar(scalar),
                            sql: Default::default(),
                            output: Default::default(),
                        },
                    );
                }
                view.columns = cols;
            }
            "fields" => view.fields = object_def(value, &p, 1)?,
            other => {
                return Err(bad(
                    &p,
                    crate::suggest::unknown_key(
                        other,
                        &[
                            "typename",
                            "data_column",
                            "permissive",
                            "language",
                            "document_threshold",
                            "columns",
                            "fields",
                        ],
                    ),
                ));
            }
        }
    }
    Ok(view)
}

const MAX_SCHEMA_DEPTH: usize = 32;

fn object_def(v: &Value, path: &Path<'_>, depth: usize) -> Result<ObjectDef, Error> {
    if depth > MAX_SCHEMA_DEPTH {
        return Err(path.err(
            ErrorKind::DepthLimit,
            "nested objects deeper than 32 levels",
        ));
    }
    let mut obj = ObjectDef::new();
    for (key, def) in object(v, path, "fields")? {
        let p = path.key(key);
        obj.fields.insert(key.clone(), field_def(def, &p, depth)?);
    }
    Ok(obj)
}

fn field_type(name: &str, path: &Path<'_>) -> Result<FieldType, Error> {
    if let Some(elem) = name.strip_suffix("[]") {
        let s = ScalarType::from_name(elem)
            .ok_or_else(|| bad(path, format!("unknown field type `{name}`")))?;
        if matches!(
            s,
            ScalarType::Jsonb | ScalarType::Coordinates | ScalarType::Tsvector
        ) {
            return Err(bad(
                path,
                format!("arrays of {} are not supported; use jsonb", s.name()),
            ));
        }
        return Ok(FieldType::Array(s));
    }
    ScalarType::from_name(name)
        .map(FieldType::Scalar)
        .ok_or_else(|| bad(path, format!("unknown field type `{name}`")))
}

fn field_def(v: &Value, path: &Path<'_>, depth: usize) -> Result<FieldDef, Error> {
    match v {
        Value::Str(t) => Ok(FieldDef::new(field_type(t, path)?)),
        Value::Object(entries) => {
            let mut ty = None;
            let mut fields = None;
            let mut language = None;
            for (k, value) in entries {
                let p = path.key(k);
                match k.as_str() {
                    "type" => ty = Some((string(value, &p, "type")?, p)),
                    "fields" => fields = Some(object_def(value, &p, depth + 1)?),
                    "language" => language = Some(string(value, &p, "language")?.to_owned()),
                    other => {
                        return Err(bad(
                            &p,
                            crate::suggest::unknown_key(other, &["type", "fields", "language"]),
                        ));
                    }
                }
            }
            let ty = match (ty, fields) {
                (Some(("object", _)), Some(f)) | (None, Some(f)) => FieldType::Object(Box::new(f)),
                (Some(("object", p)), None) => {
                    return Err(bad(&p, "an object type needs `fields`"));
                }
                (Some((t, p)), None) => field_type(t, &p)?,
                (Some((_, p)), Some(_)) => {
                    return Err(bad(&p, "only `object` fields take `fields`"));
                }
                (None, None) => {
                    return Err(bad(path, "a field definition needs `type` or `fields`"));
                }
            };
            if language.is_some() && ty != FieldType::Scalar(ScalarType::Tsvector) {
                return Err(bad(path, "only tsvector fields take `language`"));
            }
            Ok(FieldDef {
                ty,
                language,
                sql: Default::default(),
            })
        }
        other => Err(bad(
            path,
            format!(
                "a field definition must be a string or an object, found {}",
                other.type_name()
            ),
        )),
    }
}
