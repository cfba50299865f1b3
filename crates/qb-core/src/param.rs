//! Typed parameters: what the SQL's placeholders stand for.

/// A PostgreSQL type a parameter is cast to in the SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PgType {
    /// `text`
    Text,
    /// `bigint`
    Bigint,
    /// `numeric` (value is exact decimal text)
    Numeric,
    /// `float8`
    Float8,
    /// `boolean`
    Boolean,
    /// `uuid` (value is canonical lowercase text)
    Uuid,
    /// `date` (value is `YYYY-MM-DD`)
    Date,
    /// `timestamptz` (value is ISO 8601 text with an offset or `Z`)
    Timestamptz,
    /// `inet`
    Inet,
    /// `cidr`
    Cidr,
    /// `macaddr`
    Macaddr,
    /// `ltree`
    Ltree,
    /// `lquery`
    Lquery,
    /// `ltxtquery`
    Ltxtquery,
    /// `daterange`
    Daterange,
    /// `jsonb` (value is JSON text)
    Jsonb,
    /// `jsonpath`
    Jsonpath,
    /// `regconfig` (a text search configuration name)
    Regconfig,
    /// pgvector `vector` (value is `[1,2,3]` text)
    Vector,
    /// `varbit` (value is `0101` text)
    Bit,
}

impl PgType {
    /// Every type, in declaration order (for tests and for hosts that tabulate types).
    pub const ALL: [PgType; 20] = [
        PgType::Text,
        PgType::Bigint,
        PgType::Numeric,
        PgType::Float8,
        PgType::Boolean,
        PgType::Uuid,
        PgType::Date,
        PgType::Timestamptz,
        PgType::Inet,
        PgType::Cidr,
        PgType::Macaddr,
        PgType::Ltree,
        PgType::Lquery,
        PgType::Ltxtquery,
        PgType::Daterange,
        PgType::Jsonb,
        PgType::Jsonpath,
        PgType::Regconfig,
        PgType::Vector,
        PgType::Bit,
    ];

    /// The SQL type name used in casts.
    pub const fn sql_name(self) -> &'static str {
        match self {
            PgType::Text => "text",
            PgType::Bigint => "bigint",
            PgType::Numeric => "numeric",
            PgType::Float8 => "float8",
            PgType::Boolean => "boolean",
            PgType::Uuid => "uuid",
            PgType::Date => "date",
            PgType::Timestamptz => "timestamptz",
            PgType::Inet => "inet",
            PgType::Cidr => "cidr",
            PgType::Macaddr => "macaddr",
            PgType::Ltree => "ltree",
            PgType::Lquery => "lquery",
            PgType::Ltxtquery => "ltxtquery",
            PgType::Daterange => "daterange",
            PgType::Jsonb => "jsonb",
            PgType::Jsonpath => "jsonpath",
            PgType::Regconfig => "regconfig",
            PgType::Vector => "vector",
            PgType::Bit => "varbit",
        }
    }

    /// The type the driver sends. Types that drivers do not all know natively (network,
    /// ltree, ranges, JSON, vectors…) travel as `text` and are cast in SQL
    /// (`$1::text::inet`), so every driver can send them as plain strings.
    pub const fn wire(self) -> PgType {
        match self {
            PgType::Text
            | PgType::Bigint
            | PgType::Numeric
            | PgType::Float8
            | PgType::Boolean
            | PgType::Uuid
            | PgType::Date
            | PgType::Timestamptz => self,
            _ => PgType::Text,
        }
    }
}

/// A parameter's type: a scalar or an array of scalars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParamType {
    /// One value.
    Scalar(PgType),
    /// An array (sent as one parameter).
    Array(PgType),
}

impl ParamType {
    /// The element (or scalar) type.
    pub fn base(self) -> PgType {
        match self {
            ParamType::Scalar(t) | ParamType::Array(t) => t,
        }
    }

    /// Whether this is an array.
    pub fn is_array(self) -> bool {
        matches!(self, ParamType::Array(_))
    }

    /// PostgreSQL's type OID of what the parameter is sent as: [`PgType::wire`] of its base,
    /// or the array of it (`uuid` 2950, `uuid[]` 2951, `text` 25 for `inet`...). Wire types
    /// are built-in types, whose OIDs are fixed in every PostgreSQL database (`pg_type.dat`);
    /// a driver that declares parameter types (libpq's `paramTypes`) passes this. The SQL
    /// casts every placeholder to exactly this type (`$1::uuid`, `$2::text::inet`), so
    /// declaring it, or leaving the type unspecified (0), means the same to the server.
    pub fn wire_oid(self) -> u32 {
        let (scalar, array) = match self.base().wire() {
            PgType::Bigint => (20, 1016),
            PgType::Numeric => (1700, 1231),
            PgType::Float8 => (701, 1022),
            PgType::Boolean => (16, 1000),
            PgType::Uuid => (2950, 2951),
            PgType::Date => (1082, 1182),
            PgType::Timestamptz => (1184, 1185),
            // `text`, and every type that travels as text.
            _ => (25, 1009),
        };
        match self {
            ParamType::Scalar(_) => scalar,
            ParamType::Array(_) => array,
        }
    }

    /// The SQL spelling of this type, e.g. `uuid[]`.
    pub fn sql_name(self) -> String {
        match self {
            ParamType::Scalar(t) => t.sql_name().to_owned(),
            ParamType::Array(t) => format!("{}[]", t.sql_name()),
        }
    }
}

/// A parameter value. Never SQL NULL: null tests are written as `IS NULL` in the SQL.
/// `#[non_exhaustive]`: a `match` needs a wildcard arm.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ParamValue {
    /// For `boolean`.
    Bool(bool),
    /// For `bigint`.
    Int(i64),
    /// For `float8`.
    Float(f64),
    /// Text form, for every other type (see [`PgType`] for each format).
    Text(String),
    /// Elements of an array parameter.
    Array(Vec<ParamValue>),
}

/// Dropping nested arrays iteratively (only a hand-built value nests; the compiler's arrays
/// are one level deep).
impl Drop for ParamValue {
    #[inline]
    fn drop(&mut self) {
        if let ParamValue::Array(items) = self {
            if items.iter().any(|i| matches!(i, ParamValue::Array(_))) {
                drop_nested(std::mem::take(items));
            }
        }
    }
}

/// The slow path of [`ParamValue`]'s drop: nested arrays, one at a time.
#[cold]
fn drop_nested(items: Vec<ParamValue>) {
    let mut stack = items;
    while let Some(mut item) = stack.pop() {
        if let ParamValue::Array(inner) = &mut item {
            stack.append(inner);
        }
    }
}

/// One parameter: its type and value. `#[non_exhaustive]`: build one with [`Param::new`] or
/// [`Param::text`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Param {
    /// The SQL type (arrays included). Bindings convert by [`PgType::wire`] of its base.
    pub ty: ParamType,
    /// The value.
    pub value: ParamValue,
}

impl Param {
    /// A parameter of type `ty` holding `value`.
    pub fn new(ty: ParamType, value: ParamValue) -> Self {
        Param { ty, value }
    }

    /// A text parameter.
    pub fn text(s: impl Into<String>) -> Self {
        Param {
            ty: ParamType::Scalar(PgType::Text),
            value: ParamValue::Text(s.into()),
        }
    }

    /// The value as PostgreSQL's text input format: what a driver sending text would send
    /// (`{"a","b"}` for arrays, `t`/`f` for booleans).
    pub fn to_pg_text(&self) -> String {
        self.value.to_pg_text()
    }
}

impl ParamValue {
    /// The value as PostgreSQL's text input format (see [`Param::to_pg_text`]).
    pub fn to_pg_text(&self) -> String {
        let mut out = String::new();
        write_pg_text(self, &mut out, false);
        out
    }

    /// Appends [`ParamValue::to_pg_text`] to `out` (a binding filling one buffer with every
    /// parameter's text).
    pub fn write_pg_text(&self, out: &mut String) {
        write_pg_text(self, out, false);
    }
}

fn write_pg_text(v: &ParamValue, out: &mut String, in_array: bool) {
    match v {
        ParamValue::Bool(b) => out.push_str(if *b { "t" } else { "f" }),
        ParamValue::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        ParamValue::Float(f) => crate::value::write_float(*f, out),
        ParamValue::Text(s) if in_array => {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        ParamValue::Text(s) => out.push_str(s),
        ParamValue::Array(items) => {
            out.push('{');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_pg_text(item, out, true);
            }
            out.push('}');
        }
    }
}

/// The parameters' JSON form, shared by the `qb` CLI, the golden corpus (`.params.json`) and
/// the docs: a param is `{"type": "uuid[]", "value": [...]}`, a value its JSON scalar or array.
#[cfg(feature = "serde")]
mod serialize {
    use super::{Param, ParamType, ParamValue};
    use serde::ser::{Serialize, SerializeStruct, Serializer};

    impl Serialize for ParamType {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&self.sql_name())
        }
    }

    impl Serialize for ParamValue {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                ParamValue::Bool(b) => s.serialize_bool(*b),
                ParamValue::Int(i) => s.serialize_i64(*i),
                ParamValue::Float(f) => s.serialize_f64(*f),
                ParamValue::Text(t) => s.serialize_str(t),
                ParamValue::Array(items) => s.collect_seq(items),
            }
        }
    }

    impl Serialize for Param {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut st = s.serialize_struct("Param", 2)?;
            st.serialize_field("type", &self.ty)?;
            st.serialize_field("value", &self.value)?;
            st.end()
        }
    }
}

/// The compiler's output: SQL text and its parameters, in placeholder order.
///
/// `#[non_exhaustive]` (the shape cache will add to it): read the fields; build one from
/// parts with [`CompiledQuery::new`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CompiledQuery {
    /// The SQL statement.
    pub sql: String,
    /// Parameters; `params[i]` is placeholder `$i+1` (or the i-th `%s`).
    pub params: Vec<Param>,
}

impl CompiledQuery {
    /// A compiled query from its parts (a cache, a test, a host's own statement).
    pub fn new(sql: impl Into<String>, params: Vec<Param>) -> Self {
        CompiledQuery {
            sql: sql.into(),
            params,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_type_once() {
        // A new variant fails to compile here until it is added to `PgType::ALL` too.
        let position = |t: PgType| match t {
            PgType::Text => 0,
            PgType::Bigint => 1,
            PgType::Numeric => 2,
            PgType::Float8 => 3,
            PgType::Boolean => 4,
            PgType::Uuid => 5,
            PgType::Date => 6,
            PgType::Timestamptz => 7,
            PgType::Inet => 8,
            PgType::Cidr => 9,
            PgType::Macaddr => 10,
            PgType::Ltree => 11,
            PgType::Lquery => 12,
            PgType::Ltxtquery => 13,
            PgType::Daterange => 14,
            PgType::Jsonb => 15,
            PgType::Jsonpath => 16,
            PgType::Regconfig => 17,
            PgType::Vector => 18,
            PgType::Bit => 19,
        };
        for (i, t) in PgType::ALL.iter().enumerate() {
            assert_eq!(position(*t), i, "{t:?}");
        }
    }

    #[test]
    fn write_pg_text_appends() {
        let mut out = String::from("x");
        ParamValue::Array(vec![ParamValue::Int(1), ParamValue::Int(-2)]).write_pg_text(&mut out);
        assert_eq!(out, "x{1,-2}");
    }

    #[test]
    fn pg_text_quotes_array_elements() {
        let p = Param {
            ty: ParamType::Array(PgType::Text),
            value: ParamValue::Array(vec![
                ParamValue::Text("a\"b".into()),
                ParamValue::Text("c\\d".into()),
                ParamValue::Text("".into()),
            ]),
        };
        assert_eq!(p.to_pg_text(), r#"{"a\"b","c\\d",""}"#);
    }
}
