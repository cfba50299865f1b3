//! The schema registry: per view, its SQL columns, its JSONB fields and their types.
//!
//! Nothing is guessed from names or values: a field the registry does not list is an error
//! (`QB_UNKNOWN_FIELD`) unless the view is permissive, where it is read as JSONB text.

mod parse;

mod relation;

use std::collections::HashMap;
use std::hash::BuildHasher;

pub(crate) use parse::check_relation;
pub use relation::{RelationDef, RelationKind};

use crate::names::{snake, to_camel};
use crate::options::Placeholder;
use crate::param::PgType;
use crate::sql::{SqlFragment, SqlWriter};

/// ahash with fixed seeds: the maps hold registry names (trusted input, looked up by query
/// names but never filled from them), so no per-process random state, and no getrandom/libc.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FixedState;

impl BuildHasher for FixedState {
    type Hasher = ahash::AHasher;
    fn build_hasher(&self) -> ahash::AHasher {
        ahash::RandomState::with_seeds(
            0x243f_6a88_85a3_08d3,
            0x1319_8a2e_0370_7344,
            0xa409_3822_299f_31d0,
            0x082e_fa98_ec4e_6c89,
        )
        .build_hasher()
    }
}

/// The registry's lookup map.
pub(crate) type AHashMap<K, V> = HashMap<K, V, FixedState>;

/// A scalar type, for a SQL column or a JSONB field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScalarType {
    /// `text`.
    Text,
    /// Integer numbers (compared as `numeric`, parameters are `bigint`).
    Integer,
    /// Decimal numbers (`numeric`).
    Numeric,
    /// `boolean`.
    Boolean,
    /// `uuid`.
    Uuid,
    /// `date` (`YYYY-MM-DD`).
    Date,
    /// `timestamptz` (ISO 8601).
    Timestamptz,
    /// `inet`.
    Inet,
    /// `cidr`.
    Cidr,
    /// `macaddr`.
    Macaddr,
    /// `ltree` (contrib).
    Ltree,
    /// `daterange`.
    Daterange,
    /// `tsvector`.
    Tsvector,
    /// pgvector `vector`.
    Vector,
    /// pgvector binary vectors (`bit`), for Hamming and Jaccard distance.
    Bit,
    /// Any JSON (`jsonb`).
    Jsonb,
    /// A `{"lat": number, "lng": number}` object (WGS 84 degrees).
    Coordinates,
}

impl ScalarType {
    /// Every scalar type.
    pub const ALL: &'static [ScalarType] = &[
        ScalarType::Text,
        ScalarType::Integer,
        ScalarType::Numeric,
        ScalarType::Boolean,
        ScalarType::Uuid,
        ScalarType::Date,
        ScalarType::Timestamptz,
        ScalarType::Inet,
        ScalarType::Cidr,
        ScalarType::Macaddr,
        ScalarType::Ltree,
        ScalarType::Daterange,
        ScalarType::Tsvector,
        ScalarType::Vector,
        ScalarType::Bit,
        ScalarType::Jsonb,
        ScalarType::Coordinates,
    ];

    /// The registry name, e.g. `timestamptz`.
    pub const fn name(self) -> &'static str {
        match self {
            ScalarType::Text => "text",
            ScalarType::Integer => "integer",
            ScalarType::Numeric => "numeric",
            ScalarType::Boolean => "boolean",
            ScalarType::Uuid => "uuid",
            ScalarType::Date => "date",
            ScalarType::Timestamptz => "timestamptz",
            ScalarType::Inet => "inet",
            ScalarType::Cidr => "cidr",
            ScalarType::Macaddr => "macaddr",
            ScalarType::Ltree => "ltree",
            ScalarType::Daterange => "daterange",
            ScalarType::Tsvector => "tsvector",
            ScalarType::Vector => "vector",
            ScalarType::Bit => "bit",
            ScalarType::Jsonb => "jsonb",
            ScalarType::Coordinates => "coordinates",
        }
    }

    /// Looks a type up by registry name (a few PostgreSQL spellings are accepted).
    pub fn from_name(name: &str) -> Option<ScalarType> {
        Some(match name {
            "text" | "string" | "varchar" => ScalarType::Text,
            "integer" | "int" | "bigint" | "smallint" | "int4" | "int8" => ScalarType::Integer,
            "numeric" | "decimal" | "float" | "double precision" | "real" => ScalarType::Numeric,
            "boolean" | "bool" => ScalarType::Boolean,
            "uuid" => ScalarType::Uuid,
            "date" => ScalarType::Date,
            "timestamptz" | "timestamp with time zone" | "datetime" => ScalarType::Timestamptz,
            "inet" => ScalarType::Inet,
            "cidr" => ScalarType::Cidr,
            "macaddr" => ScalarType::Macaddr,
            "ltree" => ScalarType::Ltree,
            "daterange" => ScalarType::Daterange,
            "tsvector" => ScalarType::Tsvector,
            "vector" => ScalarType::Vector,
            "bit" => ScalarType::Bit,
            "jsonb" | "json" => ScalarType::Jsonb,
            "coordinates" => ScalarType::Coordinates,
            _ => return None,
        })
    }

    /// The one table from a scalar type to SQL: how a value stored as JSON text is read as
    /// this type, and the parameter type its operands travel as. Every cast the compiler
    /// writes for a field and every parameter type it picks for an operand comes from here.
    pub(crate) const fn sql(self) -> ScalarSql {
        use Read::{Cast, Jsonb, Text};
        let (read, param) = match self {
            ScalarType::Text => (Text, PgType::Text),
            // Integers compare as `numeric` (a JSON number may hold any size); operands are
            // `bigint`, which `numeric` compares exactly.
            ScalarType::Integer => (Cast("numeric"), PgType::Bigint),
            ScalarType::Numeric => (Cast("numeric"), PgType::Numeric),
            ScalarType::Boolean => (Cast("boolean"), PgType::Boolean),
            ScalarType::Uuid => (Cast("uuid"), PgType::Uuid),
            ScalarType::Date => (Cast("date"), PgType::Date),
            ScalarType::Timestamptz => (Cast("timestamptz"), PgType::Timestamptz),
            ScalarType::Inet => (Cast("inet"), PgType::Inet),
            ScalarType::Cidr => (Cast("cidr"), PgType::Cidr),
            ScalarType::Macaddr => (Cast("macaddr"), PgType::Macaddr),
            ScalarType::Ltree => (Cast("ltree"), PgType::Ltree),
            ScalarType::Daterange => (Cast("daterange"), PgType::Daterange),
            // Full-text operands are query text, parsed by to_tsquery and friends.
            ScalarType::Tsvector => (Cast("tsvector"), PgType::Text),
            ScalarType::Vector => (Cast("vector"), PgType::Vector),
            ScalarType::Bit => (Cast("varbit"), PgType::Bit),
            ScalarType::Jsonb | ScalarType::Coordinates => (Jsonb, PgType::Jsonb),
        };
        ScalarSql { read, param }
    }
}

/// A scalar type's row of [`ScalarType::sql`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScalarSql {
    /// How a value stored in a JSONB document is read as the type.
    pub(crate) read: Read,
    /// The type of its operands' parameters (`$1::bigint`).
    pub(crate) param: PgType,
}

/// How a JSONB field's value is read as its SQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// The `->>` text as is.
    Text,
    /// The `->>` text cast: `(t."data"->>'age')::numeric`.
    Cast(&'static str),
    /// The jsonb value, JSON null as SQL NULL: `NULLIF(t."data"->'m', 'null'::jsonb)`.
    Jsonb,
}

/// The type of a field.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FieldType {
    /// A scalar.
    Scalar(ScalarType),
    /// A JSON array of scalars, e.g. `text[]`.
    Array(ScalarType),
    /// A nested JSON object with its own fields.
    Object(Box<ObjectDef>),
    /// A JSON array of objects with their own fields (an embedded list: `data->'items'`),
    /// read element by element like the rows of a relation.
    List(Box<ListDef>),
}

impl FieldType {
    /// A readable name for messages: `text`, `text[]`, `object`.
    pub fn describe(&self) -> String {
        match self {
            FieldType::Scalar(s) => s.name().to_owned(),
            FieldType::Array(s) => format!("{}[]", s.name()),
            FieldType::Object(_) => "object".to_owned(),
            FieldType::List(_) => "list".to_owned(),
        }
    }
}

/// A JSONB field.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FieldDef {
    /// Its type.
    pub ty: FieldType,
    /// For `tsvector` fields: the text search configuration used when the query gives none.
    pub language: Option<String>,
    /// The SQL that reads it, rendered once when the view joins a [`Schema`].
    pub(crate) sql: FieldSql,
}

impl FieldDef {
    /// A field of type `ty`.
    pub fn new(ty: FieldType) -> Self {
        FieldDef {
            ty,
            language: None,
            sql: FieldSql::default(),
        }
    }

    /// A `tsvector` field with its own text search configuration.
    pub fn with_language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }
}

/// A JSONB field's SQL, rendered once per placeholder style (they differ only when a key
/// holds a `%`): its accessors `"data"->'a'->'b'` (jsonb) and `"data"->'a'->>'b'` (text),
/// read through the alias of the scope that reads them, its output entries, and the key
/// path itself (for permissive keys below it).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FieldSql {
    pub(crate) keys: Box<[Box<str>]>,
    pub(crate) json: [SqlFragment; 2],
    pub(crate) text: [SqlFragment; 2],
    pub(crate) output: OutputKeys,
}

/// The `jsonb_build_object` key of a column or field, rendered once per placeholder style
/// with its separator (`'nick_name', `), for an output name equal to its name or to the
/// camelCase alias of it (`'nickName', `): the usual selection pastes one fragment.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct OutputKeys {
    key: Box<str>,
    alias: Box<str>,
    key_entry: [SqlFragment; 2],
    alias_entry: [SqlFragment; 2],
}

impl OutputKeys {
    fn new(key: &str) -> OutputKeys {
        let alias = to_camel(key);
        let mut out = OutputKeys {
            key: key.into(),
            ..OutputKeys::default()
        };
        for (i, style) in [Placeholder::Numbered, Placeholder::Format]
            .into_iter()
            .enumerate()
        {
            out.key_entry[i] = SqlWriter::entry_fragment(style, key);
            out.alias_entry[i] = SqlWriter::entry_fragment(style, &alias);
        }
        out.alias = alias.into_boxed_str();
        out
    }

    /// `'name', ` when `name` is the key or its camelCase alias.
    pub(crate) fn entry(&self, name: &str, style: usize) -> Option<&SqlFragment> {
        if *self.key == *name {
            Some(&self.key_entry[style])
        } else if *self.alias == *name {
            Some(&self.alias_entry[style])
        } else {
            None
        }
    }
}

/// A real SQL column of a view.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnDef {
    pub(crate) ty: FieldType,
    /// `"name"`, read through the alias of the scope that reads it.
    pub(crate) sql: SqlFragment,
    pub(crate) output: OutputKeys,
}

/// Items by name, looked up by their exact name or, when camelCase mapping is on, by the
/// camelCase spelling of their snake_case name (an alias computed once, so the common case
/// is one hash lookup and no conversion).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Named<T> {
    items: Vec<(String, T)>,
    /// name -> index * 2 (+1 for a camelCase alias).
    index: AHashMap<Box<str>, u32>,
}

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named {
            items: Vec::new(),
            index: AHashMap::default(),
        }
    }
}

impl<T> Named<T> {
    fn insert(&mut self, name: String, item: T) {
        match self.index.get(name.as_str()) {
            Some(&e) if e & 1 == 0 => self.items[(e >> 1) as usize].1 = item,
            _ => {
                self.index
                    .insert(name.as_str().into(), (self.items.len() as u32) << 1);
                self.items.push((name, item));
            }
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&String, &T)> {
        self.items.iter().map(|(n, t)| (n, t))
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut T)> {
        self.items.iter_mut().map(|(n, t)| (&*n, t))
    }

    /// Rebuilds the index: every name, plus its camelCase alias when that alias maps back to
    /// it under [`snake`] and is not itself a name.
    fn reindex(&mut self) {
        let mut index = AHashMap::with_capacity_and_hasher(self.items.len() * 2, FixedState);
        for (i, (name, _)) in self.items.iter().enumerate() {
            index.insert(name.as_str().into(), (i as u32) << 1);
        }
        for (i, (name, _)) in self.items.iter().enumerate() {
            let alias = to_camel(name);
            if alias != *name
                && !index.contains_key(alias.as_str())
                && snake(&alias, true).as_str() == name
            {
                index.insert(alias.into_boxed_str(), ((i as u32) << 1) | 1);
            }
        }
        self.index = index;
    }

    /// The item named `name`; with `camel`, also by camelCase spelling (through the alias
    /// index, then by converting spellings the alias does not cover, such as `userID`).
    pub(crate) fn lookup(&self, name: &str, camel: bool) -> Option<(&str, &T)> {
        if let Some(hit) = self.lookup_indexed(name, camel) {
            return Some(hit);
        }
        if camel && name.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.lookup_indexed(&snake(name, true), false);
        }
        None
    }

    /// The item under `name` or (with `camel`) its camelCase alias; no conversion.
    pub(crate) fn lookup_indexed(&self, name: &str, camel: bool) -> Option<(&str, &T)> {
        let &e = self.index.get(name)?;
        if e & 1 == 1 && !camel {
            return None;
        }
        let (n, t) = &self.items[(e >> 1) as usize];
        Some((n.as_str(), t))
    }

    fn get(&self, name: &str) -> Option<(&str, &T)> {
        self.lookup(name, false)
    }

    /// The item named exactly `name`, to change it.
    fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        match self.index.get(name) {
            Some(&e) if e & 1 == 0 => Some(&mut self.items[(e >> 1) as usize].1),
            _ => None,
        }
    }

    /// Every name a lookup accepts: the names, plus (with `camel`) their camelCase aliases.
    /// Unordered (for suggestions, which pick deterministically).
    pub(crate) fn spellings(&self, camel: bool) -> impl Iterator<Item = &str> {
        self.index
            .iter()
            .filter(move |(_, e)| camel || **e & 1 == 0)
            .map(|(k, _)| &**k)
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

/// The fields of a JSON object (the document itself, or a nested object), and for a nested
/// object the GraphQL typename `__typename` answers in its selections (a view's document is
/// named by the view's `typename`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectDef {
    pub(crate) fields: Named<FieldDef>,
    pub(crate) typename: Option<String>,
}

/// Dropping a deep object definition iteratively: `FieldType::Object` nests without a limit
/// when built in Rust (the registry's JSON form stops at 32 levels).
impl Drop for ObjectDef {
    fn drop(&mut self) {
        fn take_nested(obj: &mut ObjectDef, stack: &mut Vec<ObjectDef>) {
            for (_, def) in obj.fields.items.iter_mut() {
                if let FieldType::Object(_) | FieldType::List(_) = def.ty {
                    match std::mem::replace(&mut def.ty, FieldType::Scalar(ScalarType::Jsonb)) {
                        FieldType::Object(inner) => stack.push(*inner),
                        FieldType::List(list) => {
                            stack.push(std::mem::take(&mut list.into_elem().fields));
                        }
                        _ => {}
                    }
                }
            }
        }
        let mut stack = Vec::new();
        take_nested(self, &mut stack);
        while let Some(mut obj) = stack.pop() {
            take_nested(&mut obj, &mut stack);
        }
    }
}

impl ObjectDef {
    /// Nesting depth of object fields (an object without object fields is 1), computed
    /// without recursion.
    pub(crate) fn depth(&self) -> usize {
        let mut max = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((obj, d)) = stack.pop() {
            max = max.max(d);
            for (_, def) in obj.fields.items.iter() {
                match &def.ty {
                    FieldType::Object(inner) => stack.push((inner, d + 1)),
                    FieldType::List(list) => stack.push((&list.elem.fields, d + 1)),
                    _ => {}
                }
            }
        }
        max
    }

    /// An object with no fields.
    pub fn new() -> Self {
        ObjectDef::default()
    }

    /// Sets the GraphQL typename of a nested object (for `__typename` in its selections).
    pub fn typename(mut self, typename: impl Into<String>) -> Self {
        self.typename = Some(typename.into());
        self
    }

    /// The GraphQL typename of a nested object, when the registry gives one.
    pub fn typename_str(&self) -> Option<&str> {
        self.typename.as_deref()
    }

    /// Adds (or replaces) a field, keyed by its key in the JSON data.
    pub fn with_field(mut self, key: impl Into<String>, def: FieldDef) -> Self {
        self.fields.insert(key.into(), def);
        self
    }

    /// The field stored under `key` (exactly), with the registry's own copy of the key.
    pub fn get(&self, key: &str) -> Option<(&str, &FieldDef)> {
        self.fields.get(key)
    }

    /// Every field with its key, in registry order (read-only, e.g. to derive a GraphQL
    /// schema from the registry).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FieldDef)> {
        self.fields.iter().map(|(k, d)| (k.as_str(), d))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.len() == 0
    }

    /// Renders every field's SQL below `parent` (the keys above this object) of the data
    /// column `data` (`"data"`).
    fn render(&mut self, data: &SqlFragment, parent: &[Box<str>]) {
        self.fields.reindex();
        for (key, def) in self.fields.iter_mut() {
            let mut keys: Vec<Box<str>> = parent.to_vec();
            keys.push(key.as_str().into());
            let mut sql = FieldSql {
                keys: keys.into_boxed_slice(),
                output: OutputKeys::new(key),
                ..FieldSql::default()
            };
            for (i, style) in [Placeholder::Numbered, Placeholder::Format]
                .into_iter()
                .enumerate()
            {
                let (json, text) = SqlWriter::json_accessors(style, data, &sql.keys);
                sql.json[i] = json;
                sql.text[i] = text;
            }
            match &mut def.ty {
                FieldType::Object(inner) => inner.render(data, &sql.keys),
                FieldType::List(list) => {
                    list.elem.name = sql.keys.join(".");
                    list.elem.render();
                }
                _ => {}
            }
            def.sql = sql;
        }
    }
}

/// An embedded list: a JSON array of objects inside a document, whose elements are read as
/// the rows of a scope (`jsonb_array_elements(…) WITH ORDINALITY AS tN("value", "ord")`):
/// their fields below `tN."value"`, their position `tN."ord"` the last order key. The
/// element is held as a view with no columns and no relations, so names, selections,
/// filters and `__typename` resolve in it as in any view.
#[derive(Debug, Clone, PartialEq)]
pub struct ListDef {
    pub(crate) elem: ViewDef,
}

impl ListDef {
    /// A list whose elements have the fields of `fields`.
    pub fn new(fields: ObjectDef) -> Self {
        let mut elem = ViewDef::new("list");
        elem.element = true;
        elem.data_column = "value".to_owned();
        elem.primary_key = vec!["ord".to_owned()];
        elem.ordinality = Some(Box::new(ColumnDef {
            ty: FieldType::Scalar(ScalarType::Integer),
            sql: SqlFragment::default(),
            output: OutputKeys::new("ord"),
        }));
        elem.fields = fields;
        ListDef { elem }
    }

    /// Sets the GraphQL typename of the elements (for `__typename`).
    pub fn typename(mut self, typename: impl Into<String>) -> Self {
        self.elem.typename = Some(typename.into());
        self
    }

    /// The fields of an element.
    pub fn fields(&self) -> &ObjectDef {
        &self.elem.fields
    }

    /// The GraphQL typename of the elements, when the registry gives one.
    pub fn typename_str(&self) -> Option<&str> {
        self.elem.typename.as_deref()
    }

    fn into_elem(self) -> ViewDef {
        self.elem
    }
}

/// One view of the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewDef {
    pub(crate) schema: Option<String>,
    pub(crate) name: String,
    pub(crate) typename: Option<String>,
    pub(crate) data_column: String,
    pub(crate) columns: Named<ColumnDef>,
    pub(crate) fields: ObjectDef,
    pub(crate) permissive: bool,
    pub(crate) language: String,
    /// Whole-document output: past this many selected leaves, `t."data"` as stored.
    pub(crate) document_threshold: Option<usize>,
    /// Columns that identify a row (the order of list relations' ties).
    pub(crate) primary_key: Vec<String>,
    /// The column a sharded deployment distributes rows by (the tenant): every relation
    /// between two views that both have one also matches it.
    pub(crate) distribution_column: Option<String>,
    /// Relations to other views, by name.
    pub(crate) relations: Named<RelationDef>,
    /// `"schema"."view"`, rendered when the view joins a [`Schema`].
    pub(crate) sql_from: SqlFragment,
    /// `"data"`, rendered when the view joins a [`Schema`].
    pub(crate) sql_data: SqlFragment,
    /// The distribution column, quoted, rendered when the view joins a [`Schema`].
    pub(crate) sql_distribution: Option<SqlFragment>,
    /// The element of an embedded list ([`ListDef`]), not a registered view; `name` is the
    /// list field's key path.
    pub(crate) element: bool,
    /// An element's position (`tN."ord"`, a `bigint` from 1) as a column no name resolves
    /// to: the tie-breaker of a keyset page of the list (`compile/page.rs`). `None` for a
    /// view.
    pub(crate) ordinality: Option<Box<ColumnDef>>,
}

impl ViewDef {
    /// A view named `name` (optionally `schema.name`) with data column `data`, no columns
    /// and no fields. Names are validated when the view is added to a [`Schema`].
    pub fn new(name: &str) -> Self {
        let (schema, name) = match name.split_once('.') {
            Some((s, n)) => (Some(s.to_owned()), n.to_owned()),
            None => (None, name.to_owned()),
        };
        ViewDef {
            schema,
            name,
            typename: None,
            data_column: "data".to_owned(),
            columns: Named::default(),
            fields: ObjectDef::new(),
            sql_from: SqlFragment::default(),
            sql_data: SqlFragment::default(),
            permissive: false,
            language: "english".to_owned(),
            document_threshold: None,
            primary_key: Vec::new(),
            distribution_column: None,
            relations: Named::default(),
            sql_distribution: None,
            element: false,
            ordinality: None,
        }
    }

    /// The columns that identify a row (a list relation of another view that reads this
    /// one orders ties by them; such a view must declare them).
    pub fn primary_key(mut self, columns: &[&str]) -> Self {
        self.primary_key = columns.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// The column rows are distributed by in a sharded deployment (the tenant column, e.g.
    /// `tenant_id`): a relation between two views that both declare one also matches it,
    /// so a statement stays on one shard (docs/sql-shapes.md).
    pub fn distribution_column(mut self, column: impl Into<String>) -> Self {
        self.distribution_column = Some(column.into());
        self
    }

    /// Adds (or replaces) a relation to another view, under `name` (selected and filtered
    /// like a field; it must not be a column's or a field's name).
    pub fn relation(mut self, name: impl Into<String>, def: RelationDef) -> Self {
        self.relations.insert(name.into(), def);
        self
    }

    /// Sets the GraphQL typename (for `__typename`).
    pub fn typename(mut self, typename: impl Into<String>) -> Self {
        self.typename = Some(typename.into());
        self
    }

    /// Sets the JSONB column (default `data`).
    pub fn data_column(mut self, column: impl Into<String>) -> Self {
        self.data_column = column.into();
        self
    }

    /// Adds a real SQL column.
    pub fn column(mut self, name: impl Into<String>, ty: ScalarType) -> Self {
        self.columns.insert(
            name.into(),
            ColumnDef {
                ty: FieldType::Scalar(ty),
                sql: SqlFragment::default(),
                output: OutputKeys::default(),
            },
        );
        self
    }

    /// Adds a JSONB field.
    pub fn field(mut self, key: impl Into<String>, ty: FieldType) -> Self {
        self.fields = self.fields.with_field(key, FieldDef::new(ty));
        self
    }

    /// Adds a JSONB field with a full definition.
    pub fn field_def(mut self, key: impl Into<String>, def: FieldDef) -> Self {
        self.fields = self.fields.with_field(key, def);
        self
    }

    /// Permissive mode: unknown fields are read as JSONB text instead of being an error.
    pub fn permissive(mut self, permissive: bool) -> Self {
        self.permissive = permissive;
        self
    }

    /// Whole-document output (an opt-in of the view): a JSON selection of more than
    /// `threshold` leaf fields returns the stored document (`t."data"`) as is instead of
    /// building an object. The document then carries every key it holds, listed in the
    /// registry or not: set it only for a view whose document holds nothing a client may
    /// not read. `None` (the default): always build the object from registered fields.
    pub fn document_threshold(mut self, threshold: Option<usize>) -> Self {
        self.document_threshold = threshold;
        self
    }

    /// Default text search configuration for this view's tsvector fields (default `english`).
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = language.into();
        self
    }

    /// The GraphQL typename (`__typename`), when the registry gives one.
    pub fn typename_str(&self) -> Option<&str> {
        self.typename.as_deref()
    }

    /// The SQL columns with their types, in registry order.
    pub fn columns(&self) -> impl Iterator<Item = (&str, &FieldType)> {
        self.columns.iter().map(|(n, c)| (n.as_str(), &c.ty))
    }

    /// The JSONB document's fields (the top-level object).
    pub fn document(&self) -> &ObjectDef {
        &self.fields
    }

    /// The relations to other views, by name, in registry order.
    pub fn relations(&self) -> impl Iterator<Item = (&str, &RelationDef)> {
        self.relations.iter().map(|(n, r)| (n.as_str(), r))
    }

    /// The columns that identify a row (empty when the registry declares none).
    pub fn primary_key_columns(&self) -> &[String] {
        &self.primary_key
    }

    /// Whether unknown fields are read as JSONB text.
    pub fn is_permissive(&self) -> bool {
        self.permissive
    }

    /// The registry key: `schema.name` or `name`.
    pub fn key(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// Renders the SQL fragments every compile reuses (after validation).
    pub(crate) fn render(&mut self) {
        self.sql_from = SqlWriter::table(self.schema.as_deref(), &self.name);
        self.sql_data = SqlWriter::column(&self.data_column);
        self.columns.reindex();
        for (name, col) in self.columns.iter_mut() {
            col.sql = SqlWriter::column(name);
            col.output = OutputKeys::new(name);
        }
        self.fields.render(&self.sql_data, &[]);
        self.sql_distribution = self.distribution_column.as_deref().map(SqlWriter::column);
        if let Some(ord) = &mut self.ordinality {
            ord.sql = SqlWriter::column("ord");
        }
        self.relations.reindex();
        for (_, rel) in self.relations.iter_mut() {
            rel.render();
        }
    }
}

/// The registry: every view a query may name. Build it once, reuse it for every compile.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    views: AHashMap<String, ViewDef>,
    /// Whether [`Schema::check_relations`] passed since the last view was added (a compile
    /// then trusts every relation; otherwise it checks each one it meets).
    pub(crate) relations_checked: bool,
    /// A 128-bit digest of every view added, in order: the registry's identity in the shape
    /// cache's keys (two registries built alike share cached shapes; any change to one gives
    /// it another identity).
    pub(crate) fingerprint: [u64; 2],
}

/// Registries are equal when their views are (however they were built).
impl PartialEq for Schema {
    fn eq(&self, other: &Schema) -> bool {
        self.views == other.views && self.relations_checked == other.relations_checked
    }
}

impl Schema {
    /// An empty registry.
    pub fn new() -> Self {
        Schema::default()
    }

    /// Adds a view after validating its names; replaces a view with the same key.
    pub fn add_view(&mut self, view: ViewDef) -> Result<(), crate::Error> {
        let key = view.key();
        let root = crate::error::Path::ROOT;
        let views = root.key("views");
        parse::validate_view(&view, &views.key(&key))?;
        let mut view = view;
        view.render();
        self.fingerprint = fingerprint(self.fingerprint, &key, &view);
        self.views.insert(key, view);
        self.relations_checked = false;
        Ok(())
    }

    /// The view registered under `key` (`name` or `schema.name`).
    pub fn view(&self, key: &str) -> Option<&ViewDef> {
        self.views.get(key)
    }

    /// Checks every relation against the views it names: the target (and join) view exists,
    /// each paired column exists there with the same type, and the target of a list relation
    /// declares its `primary_key`; remembers that they passed. [`Schema::from_value`] runs it
    /// once every view is in; a registry built with [`Schema::add_view`] should run it when
    /// complete (until it does, a compile checks each relation it meets, with the same
    /// errors).
    pub fn check_relations(&mut self) -> Result<(), crate::Error> {
        self.relations_checked = false;
        self.check_relations_ref()?;
        self.relations_checked = true;
        Ok(())
    }

    fn check_relations_ref(&self) -> Result<(), crate::Error> {
        let mut keys: Vec<&String> = self.views.keys().collect();
        keys.sort();
        for key in keys {
            let view = &self.views[key];
            let mut names: Vec<(&String, &RelationDef)> = view.relations.iter().collect();
            names.sort_by(|a, b| a.0.cmp(b.0));
            for (name, rel) in names {
                parse::check_relation(self, view, name, rel)?;
            }
        }
        Ok(())
    }

    /// A copy of the registry in which every nested object and embedded list element that
    /// has no `typename` gets the one `name` gives it (`None`: it stays without). `name` is
    /// called with the view's key, the keys from the document down to the field
    /// (`["profile", "address"]`) and the field's type ([`FieldType::Object`] or
    /// [`FieldType::List`]) in this registry. The names are validated as the registry's own
    /// (`QB_INVALID_SCHEMA` for one that is not a GraphQL name). A front end that names these
    /// types itself (the GraphQL schema's `<Type><Field>`) compiles against the copy, so
    /// `__typename` answers its names.
    pub fn with_default_typenames(
        &self,
        mut name: impl FnMut(&str, &[&str], &FieldType) -> Option<String>,
    ) -> Result<Schema, crate::Error> {
        /// The names to set, by key path, found without changing anything.
        fn collect<'v, F: FnMut(&str, &[&str], &FieldType) -> Option<String>>(
            obj: &'v ObjectDef,
            view: &str,
            keys: &mut Vec<&'v str>,
            name: &mut F,
            out: &mut Vec<(Vec<String>, String)>,
        ) {
            for (key, def) in obj.fields.iter() {
                keys.push(key);
                let (inner, own) = match &def.ty {
                    FieldType::Object(o) => (o.as_ref(), o.typename.is_some()),
                    FieldType::List(l) => (&l.elem.fields, l.elem.typename.is_some()),
                    _ => {
                        keys.pop();
                        continue;
                    }
                };
                if !own {
                    if let Some(t) = name(view, keys, &def.ty) {
                        out.push((keys.iter().map(|k| (*k).to_owned()).collect(), t));
                    }
                }
                collect(inner, view, keys, name, out);
                keys.pop();
            }
        }
        /// The `typename` of the object or list element at `keys`.
        fn typename_slot<'o>(
            obj: &'o mut ObjectDef,
            keys: &[String],
        ) -> Option<&'o mut Option<String>> {
            let (first, rest) = keys.split_first()?;
            match (&mut obj.fields.get_mut(first)?.ty, rest.is_empty()) {
                (FieldType::Object(o), true) => Some(&mut o.typename),
                (FieldType::List(l), true) => Some(&mut l.elem.typename),
                (FieldType::Object(o), false) => typename_slot(o, rest),
                (FieldType::List(l), false) => typename_slot(&mut l.elem.fields, rest),
                _ => None,
            }
        }
        let mut out = Schema::new();
        for (key, view) in self.views() {
            let mut names = Vec::new();
            collect(&view.fields, key, &mut Vec::new(), &mut name, &mut names);
            let mut view = view.clone();
            for (keys, t) in names {
                if let Some(slot) = typename_slot(&mut view.fields, &keys) {
                    *slot = Some(t);
                }
            }
            out.add_view(view)?;
        }
        if self.relations_checked {
            out.check_relations()?;
        }
        Ok(out)
    }

    /// Every view, sorted by registry key (deterministic, for tools that list the registry).
    pub fn views(&self) -> Vec<(&str, &ViewDef)> {
        let mut views: Vec<(&str, &ViewDef)> =
            self.views.iter().map(|(k, v)| (k.as_str(), v)).collect();
        views.sort_by(|a, b| a.0.cmp(b.0));
        views
    }

    /// Every registered view key (unordered).
    pub(crate) fn view_keys(&self) -> impl Iterator<Item = &str> {
        self.views.keys().map(String::as_str)
    }

    /// The view for a query's view name.
    pub(crate) fn view_for(&self, schema: Option<&str>, name: &str) -> Option<&ViewDef> {
        match schema {
            None => self.views.get(name),
            Some(s) => {
                let mut key = String::with_capacity(s.len() + 1 + name.len());
                key.push_str(s);
                key.push('.');
                key.push_str(name);
                self.views.get(&key)
            }
        }
    }
}

/// The registry's next [`Schema::fingerprint`] after adding `view` at `key`: two fixed-seed
/// 64-bit hashes of the previous one and the view's full (rendered) definition.
fn fingerprint(previous: [u64; 2], key: &str, view: &ViewDef) -> [u64; 2] {
    use std::hash::{BuildHasher, Hash, Hasher};
    let text = format!("{key}\u{0}{view:?}");
    let seeds = [
        ahash::RandomState::with_seeds(0x5173, 0x6b65, 0x7920, 0x2031),
        ahash::RandomState::with_seeds(0x9e37_79b9, 0x7f4a_7c15, 0xf39c, 0xc060),
    ];
    let mut out = [0u64; 2];
    for (i, state) in seeds.iter().enumerate() {
        let mut h: ahash::AHasher = state.build_hasher();
        previous.hash(&mut h);
        text.hash(&mut h);
        out[i] = h.finish();
    }
    out
}
