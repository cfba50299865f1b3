//! `Value` -> `Schema`, and the validation every view goes through.

use super::relation::Join;
use super::{
    FieldDef, FieldType, ListDef, ObjectDef, RelationDef, RelationKind, ScalarType, Schema, ViewDef,
};
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
    let has_column = |c: &str| view.columns.get(c).is_some();
    if !view.primary_key.is_empty() || view.distribution_column.is_some() {
        let pk = path.key("primary_key");
        for (i, c) in view.primary_key.iter().enumerate() {
            if !has_column(c) {
                return Err(bad(
                    &pk.index(i),
                    format!("`{c}` is not a column of this view"),
                ));
            }
        }
        if let Some(c) = &view.distribution_column {
            if !has_column(c) {
                return Err(bad(
                    &path.key("distribution_column"),
                    format!("`{c}` is not a column of this view"),
                ));
            }
        }
    }
    let relations = path.key("relations");
    for (name, rel) in view.relations.iter() {
        let p = relations.key(name);
        if !is_graphql_name(name) {
            return Err(bad(
                &p,
                format!("relation name `{name}` is not a GraphQL name"),
            ));
        }
        if has_column(name) || view.fields.get(name).is_some() {
            return Err(bad(
                &p,
                format!("`{name}` is already a column or field of this view"),
            ));
        }
        if rel.view.split('.').count() > 2 || !rel.view.split('.').all(is_sql_identifier) {
            return Err(bad(
                &p.key("view"),
                format!("view `{}` is not a plain SQL identifier", rel.view),
            ));
        }
        validate_join(&rel.join, &p.key("join"), |c| has_column(c))?;
        match (&rel.through, rel.kind) {
            (Some((through, join)), RelationKind::ManyToMany) => {
                let tp = p.key("through");
                if through.split('.').count() > 2 || !through.split('.').all(is_sql_identifier) {
                    return Err(bad(
                        &tp.key("view"),
                        format!("view `{through}` is not a plain SQL identifier"),
                    ));
                }
                validate_join(join, &tp.key("join"), is_sql_identifier)?;
            }
            (None, RelationKind::ManyToMany) => {
                return Err(bad(&p, "a many_to_many relation needs `through`"));
            }
            (Some(_), kind) => {
                return Err(bad(
                    &p.key("through"),
                    format!(
                        "only many_to_many relations take `through`, not {}",
                        kind.name()
                    ),
                ));
            }
            (None, _) => {}
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

/// A join's pairs: at least one; `here` accepts this side's column, the other side's must be
/// an identifier (checked against its view by [`check_relation`]).
fn validate_join(join: &Join, path: &Path<'_>, here: impl Fn(&str) -> bool) -> Result<(), Error> {
    if join.pairs.is_empty() {
        return Err(bad(path, "a join pairs at least one column"));
    }
    for (a, b) in &join.pairs {
        if !here(a) {
            return Err(bad(
                &path.key(a),
                format!("`{a}` is not a column of this view"),
            ));
        }
        if !is_sql_identifier(b) {
            return Err(bad(
                &path.key(a),
                format!("column `{b}` is not a plain SQL identifier"),
            ));
        }
    }
    Ok(())
}

/// One relation against the views it names (see [`Schema::check_relations`]).
pub(crate) fn check_relation(
    schema: &Schema,
    view: &ViewDef,
    name: &str,
    rel: &RelationDef,
) -> Result<(), Error> {
    let root = Path::ROOT;
    let views = root.key("views");
    let key = view.key();
    let vp = views.key(&key);
    let relations = vp.key("relations");
    let p = relations.key(name);
    let target = resolve_view(schema, &rel.view, &p.key("view"))?;
    match &rel.through {
        None => check_pairs(view, target, &rel.join, &p.key("join"))?,
        Some((through, tj)) => {
            let tp = p.key("through");
            let middle = resolve_view(schema, through, &tp.key("view"))?;
            check_pairs(view, middle, &rel.join, &p.key("join"))?;
            check_pairs(middle, target, tj, &tp.key("join"))?;
        }
    }
    if rel.kind.is_list() && target.primary_key.is_empty() {
        return Err(bad(
            &p.key("view"),
            format!(
                "`{name}` lists rows of `{}`, which declares no `primary_key`: a list needs \
                 one to order ties",
                rel.view
            ),
        ));
    }
    Ok(())
}

fn resolve_view<'s>(schema: &'s Schema, key: &str, path: &Path<'_>) -> Result<&'s ViewDef, Error> {
    schema.view(key).ok_or_else(|| {
        bad(
            path,
            format!(
                "no view `{key}` in the schema registry{}",
                crate::suggest::did_you_mean(key, schema.view_keys())
            ),
        )
    })
}

/// Each pair names a column of `from` and one of `to`, of the same type.
fn check_pairs(from: &ViewDef, to: &ViewDef, join: &Join, path: &Path<'_>) -> Result<(), Error> {
    for (a, b) in &join.pairs {
        let p = path.key(a);
        let Some((_, left)) = from.columns.get(a) else {
            return Err(bad(
                &p,
                format!("`{a}` is not a column of `{}`", from.key()),
            ));
        };
        let Some((_, right)) = to.columns.get(b) else {
            return Err(bad(
                &p,
                format!(
                    "`{b}` is not a column of `{}`{}",
                    to.key(),
                    crate::suggest::did_you_mean(b, to.columns.spellings(false))
                ),
            ));
        };
        if left.ty != right.ty {
            return Err(bad(
                &p,
                format!(
                    "key type mismatch: `{a}` is {} but `{}.{b}` is {}",
                    left.ty.describe(),
                    to.key(),
                    right.ty.describe()
                ),
            ));
        }
    }
    Ok(())
}

fn validate_object(obj: &ObjectDef, path: &Path<'_>) -> Result<(), Error> {
    for (key, def) in obj.fields.iter() {
        let p = path.key(key);
        if !is_json_key(key) {
            return Err(bad(&p, "a JSON key must be 1 to 255 bytes without NUL"));
        }
        match &def.ty {
            FieldType::Object(_) | FieldType::List(_) => {
                let (inner, typename) = match &def.ty {
                    FieldType::List(list) => (&list.elem.fields, &list.elem.typename),
                    FieldType::Object(inner) => (inner.as_ref(), &inner.typename),
                    _ => unreachable!("matched above"),
                };
                if let Some(t) = typename {
                    if !crate::names::is_graphql_name(t) {
                        return Err(bad(&p.key("typename"), "a typename must be a GraphQL name"));
                    }
                }
                validate_object(inner, &p.key("fields"))?;
            }
            _ => {}
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
        schema.check_relations()?;
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
            "primary_key" => view.primary_key = string_list(value, &p, "primary_key")?,
            "distribution_column" => {
                view.distribution_column =
                    Some(string(value, &p, "distribution_column")?.to_owned())
            }
            "relations" => {
                for (name, def) in object(value, &p, "relations")? {
                    let rel = relation_def(def, &p.key(name))?;
                    view.relations.insert(name.clone(), rel);
                }
            }
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
                            "primary_key",
                            "distribution_column",
                            "relations",
                        ],
                    ),
                ));
            }
        }
    }
    Ok(view)
}

fn string_list(v: &Value, path: &Path<'_>, what: &str) -> Result<Vec<String>, Error> {
    match v {
        Value::List(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| string(item, &path.index(i), "a column name").map(str::to_owned))
            .collect(),
        other => Err(bad(
            path,
            format!(
                "{what} must be an array of column names, found {}",
                other.type_name()
            ),
        )),
    }
}

/// `{"col": "other_col", …}`: the pairs of a join, in order.
fn join_pairs(v: &Value, path: &Path<'_>) -> Result<Vec<(String, String)>, Error> {
    object(v, path, "a join")?
        .iter()
        .map(|(a, b)| {
            Ok((
                a.clone(),
                string(b, &path.key(a), "a column name")?.to_owned(),
            ))
        })
        .collect()
}

fn relation_def(v: &Value, path: &Path<'_>) -> Result<RelationDef, Error> {
    let mut view = None;
    let mut kind = None;
    let mut join = None;
    let mut through = None;
    for (k, value) in object(v, path, "a relation")? {
        let p = path.key(k);
        match k.as_str() {
            "view" => view = Some(string(value, &p, "view")?.to_owned()),
            "kind" => {
                let name = string(value, &p, "kind")?;
                kind = Some(RelationKind::from_name(name).ok_or_else(|| {
                    bad(
                        &p,
                        format!(
                            "unknown relation kind `{name}` (expected many_to_one, \
                             one_to_many or many_to_many)"
                        ),
                    )
                })?);
            }
            "join" => join = Some(join_pairs(value, &p)?),
            "through" => {
                let mut tview = None;
                let mut tjoin = None;
                for (tk, tv) in object(value, &p, "through")? {
                    let tp = p.key(tk);
                    match tk.as_str() {
                        "view" => tview = Some(string(tv, &tp, "view")?.to_owned()),
                        "join" => tjoin = Some(join_pairs(tv, &tp)?),
                        other => {
                            return Err(bad(
                                &tp,
                                format!("unknown key `{other}` (expected view or join)"),
                            ));
                        }
                    }
                }
                let tview = tview.ok_or_else(|| bad(&p, "`through` needs `view`"))?;
                let tjoin = tjoin.ok_or_else(|| bad(&p, "`through` needs `join`"))?;
                through = Some((tview, tjoin));
            }
            other => {
                return Err(bad(
                    &p,
                    format!("unknown key `{other}` (expected view, kind, join or through)"),
                ));
            }
        }
    }
    let view = view.ok_or_else(|| bad(path, "a relation needs `view`"))?;
    let kind = kind.ok_or_else(|| bad(path, "a relation needs `kind`"))?;
    let join = join.ok_or_else(|| bad(path, "a relation needs `join`"))?;
    let pairs: Vec<(&str, &str)> = join.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    Ok(match (kind, through) {
        (RelationKind::ManyToMany, Some((tview, tjoin))) => {
            let tpairs: Vec<(&str, &str)> = tjoin
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            RelationDef::many_to_many(&view, &pairs, &tview, &tpairs)
        }
        (RelationKind::ManyToMany, None) => {
            return Err(bad(path, "a many_to_many relation needs `through`"));
        }
        (_, Some(_)) => {
            return Err(bad(
                &path.key("through"),
                format!(
                    "only many_to_many relations take `through`, not {}",
                    kind.name()
                ),
            ));
        }
        (RelationKind::OneToMany, None) => RelationDef::one_to_many(&view, &pairs),
        _ => RelationDef::many_to_one(&view, &pairs),
    })
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
            let mut typename = None;
            for (k, value) in entries {
                let p = path.key(k);
                match k.as_str() {
                    "type" => ty = Some((string(value, &p, "type")?, p)),
                    "fields" => fields = Some(object_def(value, &p, depth + 1)?),
                    "language" => language = Some(string(value, &p, "language")?.to_owned()),
                    "typename" => typename = Some((string(value, &p, "typename")?.to_owned(), p)),
                    other => {
                        return Err(bad(
                            &p,
                            crate::suggest::unknown_key(
                                other,
                                &["type", "fields", "language", "typename"],
                            ),
                        ));
                    }
                }
            }
            let named = matches!(ty, Some(("list" | "object", _)) | None);
            if let (Some((_, p)), false) = (&typename, named) {
                return Err(bad(p, "only `object` and `list` fields take `typename`"));
            }
            let ty = match (ty, fields) {
                (Some(("list", _)), Some(f)) => {
                    let mut list = ListDef::new(f);
                    if let Some((t, _)) = typename {
                        list = list.typename(t);
                    }
                    FieldType::List(Box::new(list))
                }
                (Some(("list", p)), None) => {
                    return Err(bad(&p, "a list type needs `fields` (its elements' fields)"));
                }
                (Some(("object", _)), Some(f)) | (None, Some(f)) => {
                    let mut f = f;
                    f.typename = typename.map(|(t, _)| t);
                    FieldType::Object(Box::new(f))
                }
                (Some(("object", p)), None) => {
                    return Err(bad(&p, "an object type needs `fields`"));
                }
                (Some((t, p)), None) => field_type(t, &p)?,
                (Some((_, p)), Some(_)) => {
                    return Err(bad(&p, "only `object` and `list` fields take `fields`"));
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
