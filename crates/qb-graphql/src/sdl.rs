//! The GraphQL schema (SDL) derived from the schema registry.
//!
//! One rule per registry item, so the SDL of a registry is always the same text:
//! - a view with a `typename` is an object type of that name (a view without one, such as a
//!   join view, is not exposed, and neither are relations to it);
//! - its columns, fields and relations are fields, named in camelCase; a nested object
//!   field is its own type, named by its registry `typename`, else `<Type><Field>`
//!   (`UserProfile`), as a list's elements are (the `GraphqlSchema`'s registry gets these
//!   names, so `__typename` answers them);
//! - a `<Type>Where` input per view (`and`/`or`/`not`, one filter input per field type,
//!   relation filters), a `<Type>OrderBy` input, and a `<Type>ListRelationFilter`
//!   (`some`/`every`/`none`) for list relations to it;
//! - root fields `<type>List(where, orderBy, limit, offset)` and, when the view declares a
//!   primary key, `<type>(<key columns>)` and `<type>Connection(where, orderBy, first,
//!   after, last, before)` (Relay's connection: `<Type>Connection`, `<Type>Edge`,
//!   `PageInfo`); a list relation to a view with a primary key has, next to its list
//!   field, `<field>Connection(where, orderBy, first, after, last, before)` of the same
//!   types (the core's nested keyset pages).
//!
//! Which operators a field type takes, and whether it can be ordered, is asked of qb-core
//! (a probe compile per type), so the SDL can never offer what the compiler refuses.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use qb_core::schema::ObjectDef;
use qb_core::{
    CompileOptions, Error, ErrorKind, FieldType, ListDef, Operator, Query, RelationKind,
    ScalarType, Schema, ViewDef, camel_case,
};

/// What a root query field reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RootKind {
    /// `<type>List`: a list of rows.
    List,
    /// `<type>(id: …)`: the row with this primary key, or null.
    ByKey(Vec<String>),
    /// `<type>Connection(where, orderBy, first, after, last, before)`: a keyset page
    /// (`<Type>Connection`: `edges { cursor node }`, `nodes`, `pageInfo`, `totalCount`).
    Connection,
}

/// A root query field: the view it reads and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RootDef {
    pub(crate) view: String,
    pub(crate) kind: RootKind,
}

/// The derived schema: SDL text plus the root fields' targets.
#[derive(Debug)]
pub(crate) struct Derived {
    pub(crate) sdl: String,
    pub(crate) roots: HashMap<String, RootDef>,
    pub(crate) view_types: std::collections::HashSet<String>,
    /// The GraphQL type name of every nested object and embedded list element of an
    /// exposed view, by the address of its definition in the registry (an
    /// [`ObjectDef`]'s or a [`ListDef`]'s): what [`GraphqlSchema::new`](crate::GraphqlSchema::new)
    /// gives the registry's unnamed ones, so `__typename` answers the SDL's names.
    pub(crate) object_types: HashMap<usize, String>,
}

/// The key of a nested object's or list's definition in [`Derived::object_types`].
pub(crate) fn definition_key(ty: &FieldType) -> Option<usize> {
    match ty {
        FieldType::Object(o) => Some(std::ptr::from_ref::<ObjectDef>(o) as usize),
        FieldType::List(l) => Some(std::ptr::from_ref::<ListDef>(l) as usize),
        _ => None,
    }
}

/// The custom scalars, with the registry types they stand for (documented in docs/graphql.md).
const CUSTOM_SCALARS: &[(&str, &str)] = &[
    (
        "BitString",
        "A bit string such as \"0101\" (registry type `bit`).",
    ),
    (
        "Cidr",
        "An IPv4 or IPv6 network such as \"10.0.0.0/8\" (registry type `cidr`).",
    ),
    (
        "Coordinates",
        "A point {\"lat\": number, \"lng\": number} in WGS 84 degrees (registry type `coordinates`).",
    ),
    (
        "Date",
        "A calendar date, \"YYYY-MM-DD\" (registry type `date`).",
    ),
    (
        "DateRange",
        "A date range such as \"[2024-01-01,2024-02-01)\" (registry type `daterange`).",
    ),
    (
        "DateTime",
        "An instant, ISO 8601 with an offset (registry type `timestamptz`).",
    ),
    (
        "Decimal",
        "An exact decimal number, as a JSON number or a string (registry type `numeric`).",
    ),
    (
        "Inet",
        "An IPv4 or IPv6 address, optionally with a prefix (registry type `inet`).",
    ),
    ("JSON", "Any JSON value (registry type `jsonb`)."),
    (
        "LTree",
        "A label path such as \"top.science\" (registry type `ltree`).",
    ),
    (
        "MacAddr",
        "A MAC address such as \"08:00:2b:01:02:03\" (registry type `macaddr`).",
    ),
    (
        "TsVector",
        "A text search document (registry type `tsvector`).",
    ),
    ("UUID", "A UUID (registry type `uuid`)."),
    (
        "Vector",
        "A pgvector vector, [0.1, 0.2] or \"[0.1,0.2]\" (registry type `vector`).",
    ),
];

/// The GraphQL scalar of a registry scalar type.
pub(crate) fn scalar_name(s: ScalarType) -> &'static str {
    match s {
        ScalarType::Text => "String",
        ScalarType::Integer => "Int",
        ScalarType::Numeric => "Decimal",
        ScalarType::Boolean => "Boolean",
        ScalarType::Uuid => "UUID",
        ScalarType::Date => "Date",
        ScalarType::Timestamptz => "DateTime",
        ScalarType::Inet => "Inet",
        ScalarType::Cidr => "Cidr",
        ScalarType::Macaddr => "MacAddr",
        ScalarType::Ltree => "LTree",
        ScalarType::Daterange => "DateRange",
        ScalarType::Tsvector => "TsVector",
        ScalarType::Vector => "Vector",
        ScalarType::Bit => "BitString",
        ScalarType::Jsonb => "JSON",
        ScalarType::Coordinates => "Coordinates",
        // A scalar added to qb-core later is JSON here until it gets its own name.
        _ => "JSON",
    }
}

/// Input objects some operators take, written once when used.
const OPERAND_INPUTS: &[(&str, &str)] = &[
    (
        "BitDistance",
        "input BitDistance {\n  vector: BitString!\n  threshold: Float!\n}\n",
    ),
    (
        "GeoRadius",
        "input GeoRadius {\n  lat: Float!\n  lng: Float!\n  meters: Float!\n}\n",
    ),
    (
        "InetRange",
        "input InetRange {\n  from: Inet!\n  to: Inet!\n}\n",
    ),
    (
        "TextRank",
        "input TextRank {\n  query: String!\n  threshold: Float!\n  language: String\n}\n",
    ),
    (
        "VectorDistance",
        "input VectorDistance {\n  vector: Vector!\n  threshold: Float!\n}\n",
    ),
];

/// The GraphQL type of an operator's operand on a field of type `ty` (`elem` the scalar
/// the field holds).
fn operand_type(op: Operator, ty: &FieldType) -> String {
    use Operator as O;
    let (elem, array, object) = match ty {
        FieldType::Scalar(s) => (*s, false, false),
        FieldType::Array(s) => (*s, true, false),
        _ => (ScalarType::Jsonb, false, true),
    };
    let t = scalar_name(elem);
    let s = match op {
        O::IsNull
        | O::IsPrivate
        | O::IsPublic
        | O::IsIPv4
        | O::IsIPv6
        | O::IsLoopback
        | O::IsLinkLocal
        | O::IsMulticast
        | O::IsDocumentation
        | O::IsCarrierGrade => "Boolean",
        O::LenEq | O::LenNeq | O::LenGt | O::LenGte | O::LenLt | O::LenLte => "Int",
        O::DepthEq | O::DepthNeq | O::DepthGt | O::DepthGte | O::DepthLt | O::DepthLte => "Int",
        O::StartsWith
        | O::EndsWith
        | O::IContains
        | O::IStartsWith
        | O::IEndsWith
        | O::Like
        | O::ILike
        | O::Matches
        | O::IMatches
        | O::NotMatches
        | O::PlainQuery
        | O::PhraseQuery
        | O::WebsearchQuery
        | O::HasKey
        | O::PathExists
        | O::PathMatch
        | O::MatchesLquery
        | O::MatchesLtxtquery => "String",
        O::HasAnyKeys | O::HasAllKeys | O::MatchesAnyLquery => "[String!]",
        O::RankGt
        | O::RankGte
        | O::RankLt
        | O::RankLte
        | O::RankCdGt
        | O::RankCdGte
        | O::RankCdLt
        | O::RankCdLte => "TextRank",
        O::InSubnet => "Cidr",
        O::InRange => "InetRange",
        O::ContainsDate => "Date",
        O::CosineDistance | O::L2Distance | O::L1Distance | O::InnerProduct => "VectorDistance",
        O::HammingDistance | O::JaccardDistance => "BitDistance",
        O::DistanceWithin => "GeoRadius",
        O::AnyEq | O::AllEq => return t.to_owned(),
        O::In | O::Nin => return format!("[{t}!]"),
        _ if object || elem == ScalarType::Jsonb => "JSON",
        // eq, contains, overlaps… on an array compare whole arrays.
        _ if array => return format!("[{t}]"),
        // `contains` on text is a substring.
        O::Contains => "String",
        _ => return t.to_owned(),
    };
    s.to_owned()
}

/// Per field type (its description, e.g. `text[]`): the operators qb-core accepts and
/// whether it can be an order key, found by compiling a probe query per pair.
#[derive(Debug, Default)]
struct Probe {
    ops: HashMap<String, (Vec<Operator>, bool)>,
}

impl Probe {
    fn get(&mut self, ty: &FieldType) -> &(Vec<Operator>, bool) {
        let key = ty.describe();
        self.ops.entry(key).or_insert_with(|| probe(ty))
    }
}

fn probe(ty: &FieldType) -> (Vec<Operator>, bool) {
    let mut schema = Schema::new();
    let view = ViewDef::new("v").field("f", ty.clone());
    if schema.add_view(view).is_err() {
        return (Vec::new(), false);
    }
    let options = CompileOptions::default();
    let compiles = |q: qb_core::Value| -> Result<(), Error> {
        let q = Query::from_owned_value(q)?;
        qb_core::compile(&q, &schema, &options).map(|_| ())
    };
    use qb_core::Value as V;
    let base = |extra: (String, V)| {
        V::Object(vec![
            ("view".into(), V::Str("v".into())),
            ("select".into(), V::List(vec![V::Str("f".into())])),
            extra,
        ])
    };
    let mut ops = Vec::new();
    for op in Operator::ALL {
        let q = base((
            "where".into(),
            V::Object(vec![(
                "f".into(),
                V::Object(vec![(op.name().into(), V::Null)]),
            )]),
        ));
        // A null operand is refused as an invalid value exactly when the operator applies
        // (applicability is decided first), as crates/qb-core/tests/docs.rs relies on.
        match compiles(q) {
            Err(e) if e.kind() == ErrorKind::OperatorTypeMismatch => {}
            Err(e) if e.kind() == ErrorKind::UnknownOperator => {}
            _ => ops.push(*op),
        }
    }
    let orderable = compiles(base(("order_by".into(), V::List(vec![V::Str("f".into())])))).is_ok();
    (ops, orderable)
}

/// `nick_name` -> `NickName`.
fn pascal(name: &str) -> String {
    let camel = camel_case(name);
    let mut c = camel.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `PostLike` -> `postLike`.
fn lower_first(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

const LOGIC: &[&str] = &["and", "or", "not", "AND", "OR", "NOT"];

fn schema_err(path: &str, message: String) -> Error {
    Error::new(ErrorKind::InvalidSchema, path, message)
}

struct Builder<'s> {
    schema: &'s Schema,
    /// Exposed views: key -> typename.
    exposed: BTreeMap<String, String>,
    /// Every type written, by name (sorted output).
    types: BTreeMap<String, String>,
    /// Input objects of operands that are used.
    operand_inputs: BTreeSet<&'static str>,
    /// Custom scalars that are used.
    scalars: BTreeSet<&'static str>,
    probe: Probe,
    /// Who claimed each type name (for collision messages).
    owners: HashMap<String, String>,
    /// [`Derived::object_types`].
    object_types: HashMap<usize, String>,
}

impl<'s> Builder<'s> {
    fn claim(&mut self, name: &str, owner: &str) -> Result<(), Error> {
        if let Some(prev) = self.owners.get(name) {
            if prev != owner {
                return Err(schema_err(
                    owner,
                    format!(
                        "GraphQL type name `{name}` is derived both from `{prev}` and from `{owner}`; rename one typename or field"
                    ),
                ));
            }
            return Ok(());
        }
        self.owners.insert(name.to_owned(), owner.to_owned());
        Ok(())
    }

    fn use_scalar(&mut self, ty: &str) {
        let base = ty.trim_matches(|c| c == '[' || c == ']' || c == '!');
        if let Some((name, _)) = CUSTOM_SCALARS.iter().find(|(n, _)| *n == base) {
            self.scalars.insert(name);
        }
        if let Some((name, _)) = OPERAND_INPUTS.iter().find(|(n, _)| *n == base) {
            self.operand_inputs.insert(name);
            match *name {
                "BitDistance" => self.use_scalar("BitString"),
                "InetRange" => self.use_scalar("Inet"),
                "VectorDistance" => self.use_scalar("Vector"),
                _ => {}
            }
        }
    }

    /// The output field line of a column or field: `  name: Type` or, for an embedded list,
    /// `  name(where, orderBy, limit, offset): [Elem]` (a value that is not an array is
    /// `null`, an element that is not an object too).
    fn output_field(
        &mut self,
        name: &str,
        ty: &FieldType,
        type_name: &str,
        owner: &str,
    ) -> Result<String, Error> {
        if let FieldType::List(def) = ty {
            let elem = self.list_element(def, type_name, owner)?;
            self.object_types
                .insert(std::ptr::from_ref::<ListDef>(def) as usize, elem.clone());
            return Ok(format!("  {name}({{ARGS:{elem}}}): [{elem}]\n"));
        }
        let t = self.output_type(ty, type_name, owner)?;
        self.use_scalar(&t);
        Ok(format!("  {name}: {t}\n"))
    }

    /// The types of an embedded list's elements: the element object type (the list's
    /// registry typename, else `<Parent><Field>`), its `<Elem>Where`, `<Elem>OrderBy` and
    /// the quantifier filter `<Elem>ListRelationFilter` (`some`/`every`/`none`/`isnull`, as
    /// for list relations). Returns the element type's name.
    fn list_element(
        &mut self,
        def: &qb_core::ListDef,
        type_name: &str,
        owner: &str,
    ) -> Result<String, Error> {
        let elem = def.typename_str().unwrap_or(type_name).to_owned();
        self.claim(&elem, owner)?;
        if self.types.contains_key(&elem) {
            return Ok(elem);
        }
        // Reserve the name first: a list nested in itself would recurse forever otherwise.
        self.types.insert(elem.clone(), String::new());
        let mut body = String::new();
        let mut where_body =
            format!("  and: [{elem}Where!]\n  or: [{elem}Where!]\n  not: {elem}Where\n");
        let mut order_items = Vec::new();
        let mut seen = BTreeSet::new();
        for (key, fd) in def.fields().iter() {
            let field = camel_case(key);
            let path = format!("{owner}.fields.{key}");
            if !seen.insert(field.clone()) {
                return Err(schema_err(
                    &path,
                    format!("two fields are `{field}` in camelCase"),
                ));
            }
            let sub = format!("{elem}{}", pascal(key));
            body.push_str(&self.output_field(&field, &fd.ty, &sub, &path)?);
            order_items.push((key.to_owned(), fd.ty.clone()));
            if LOGIC.contains(&field.as_str()) {
                continue;
            }
            if let Some(f) = self.filter_type(&fd.ty, &sub, &path)? {
                where_body.push_str(&format!("  {field}: {f}\n"));
            }
        }
        self.types
            .insert(elem.clone(), format!("type {elem} {{\n{body}}}\n"));
        let where_name = format!("{elem}Where");
        self.claim(&where_name, owner)?;
        self.types.insert(
            where_name.clone(),
            format!("input {where_name} {{\n{where_body}}}\n"),
        );
        self.quantifier_filter(&elem, &order_items, owner)?;
        self.order_fields(order_items, &elem, owner)?;
        Ok(elem)
    }

    /// `<Elem>ListRelationFilter`: `some`/`every`/`none` over `<Elem>Where`, `isnull`, and
    /// the aggregates over the rows (`count`, `sum`, `avg`, `min`, `max` of `fields`, the
    /// rows' scalar fields), each with the filter of its result type.
    fn quantifier_filter(
        &mut self,
        elem: &str,
        fields: &[(String, FieldType)],
        owner: &str,
    ) -> Result<String, Error> {
        let lrf = format!("{elem}ListRelationFilter");
        if self.types.contains_key(&lrf) {
            return Ok(lrf);
        }
        self.claim(&lrf, owner)?;
        let mut body = format!(
            "  some: {elem}Where\n  every: {elem}Where\n  none: {elem}Where\n  isnull: Boolean\n"
        );
        let int = self
            .filter_type(&FieldType::Scalar(ScalarType::Integer), "", owner)?
            .expect("integers have operators");
        let decimal = self
            .filter_type(&FieldType::Scalar(ScalarType::Numeric), "", owner)?
            .expect("numerics have operators");
        body.push_str(&format!("  \"The number of rows.\"\n  count: {int}\n"));
        let mut sum = String::new();
        let mut avg = String::new();
        let mut minmax = String::new();
        let mut sum_avg_order = String::new();
        let mut minmax_order = String::new();
        for (name, ty) in fields {
            let FieldType::Scalar(s) = ty else { continue };
            let field = camel_case(name);
            let (can_sum, can_minmax) = self.probe_aggregate(*s);
            if can_sum {
                // `sum` of integers is an integer (bigint), of numerics numeric; `avg` numeric.
                let t = if *s == ScalarType::Integer {
                    &int
                } else {
                    &decimal
                };
                sum.push_str(&format!("  {field}: {t}\n"));
                avg.push_str(&format!("  {field}: {decimal}\n"));
                sum_avg_order.push_str(&format!("  {field}: OrderDirection\n"));
            }
            if can_minmax {
                if let Some(t) = self.filter_type(ty, "", owner)? {
                    minmax.push_str(&format!("  {field}: {t}\n"));
                }
                minmax_order.push_str(&format!("  {field}: OrderDirection\n"));
            }
        }
        let mut order = String::from("  count: OrderDirection\n");
        for (suffix, text, fns) in [
            ("SumWhere", &sum, &["sum"][..]),
            ("AvgWhere", &avg, &["avg"][..]),
            ("MinMaxWhere", &minmax, &["min", "max"][..]),
        ] {
            if text.is_empty() {
                continue;
            }
            let name = format!("{elem}{suffix}");
            self.claim(&name, owner)?;
            self.types
                .insert(name.clone(), format!("input {name} {{\n{text}}}\n"));
            for f in fns {
                body.push_str(&format!("  {f}: {name}\n"));
            }
        }
        for (suffix, text, fns) in [
            ("SumAvgOrderBy", &sum_avg_order, &["sum", "avg"][..]),
            ("MinMaxOrderBy", &minmax_order, &["min", "max"][..]),
        ] {
            if text.is_empty() {
                continue;
            }
            let name = format!("{elem}{suffix}");
            self.claim(&name, owner)?;
            self.types
                .insert(name.clone(), format!("input {name} {{\n{text}}}\n"));
            for f in fns {
                order.push_str(&format!("  {f}: {name}\n"));
            }
        }
        let order_name = format!("{elem}AggregateOrderBy");
        self.claim(&order_name, owner)?;
        self.types.insert(
            order_name.clone(),
            format!("\"Order by an aggregate over the rows.\"\ninput {order_name} {{\n{order}}}\n"),
        );
        self.types
            .insert(lrf.clone(), format!("input {lrf} {{\n{body}}}\n"));
        Ok(lrf)
    }

    /// Whether `sum`/`avg` and `min`/`max` over the rows apply to a field of type `s`, asked
    /// of qb-core by compiling a probe (one per type).
    fn probe_aggregate(&mut self, s: ScalarType) -> (bool, bool) {
        let key = format!("aggregate {}", FieldType::Scalar(s).describe());
        if let Some((ops, _)) = self.probe.ops.get(&key) {
            return (ops.contains(&Operator::Eq), ops.contains(&Operator::Neq));
        }
        let registry = format!(
            r#"{{"views": {{"v": {{"columns": {{"id": "uuid"}}, "primary_key": ["id"], "relations": {{"r": {{"view": "w", "kind": "one_to_many", "join": {{"id": "fk"}}}}}}}}, "w": {{"columns": {{"fk": "uuid"}}, "primary_key": ["fk"], "fields": {{"f": "{}"}}}}}}}}"#,
            FieldType::Scalar(s).describe()
        );
        let compiles = |f: &str| -> bool {
            let Ok(schema) = Schema::from_json(&registry) else {
                return false;
            };
            let q = format!(r#"{{"view": "v", "select": [{{"field": "r.{f}.f", "alias": "x"}}]}}"#);
            Query::from_json(&q)
                .and_then(|q| qb_core::compile(&q, &schema, &CompileOptions::default()))
                .is_ok()
        };
        let out = (
            compiles("sum") && compiles("avg"),
            compiles("min") && compiles("max"),
        );
        // Cached as pseudo-operators: Eq for sum/avg, Neq for min/max.
        let mut ops = Vec::new();
        if out.0 {
            ops.push(Operator::Eq);
        }
        if out.1 {
            ops.push(Operator::Neq);
        }
        self.probe.ops.insert(key, (ops, false));
        out
    }

    /// The output type of a column or field; nested objects get their own type.
    fn output_type(
        &mut self,
        ty: &FieldType,
        type_name: &str,
        owner: &str,
    ) -> Result<String, Error> {
        Ok(match ty {
            FieldType::Scalar(s) => scalar_name(*s).to_owned(),
            FieldType::Array(s) => format!("[{}]", scalar_name(*s)),
            FieldType::Object(obj) => {
                // The registry's typename, else the derived `<Parent><Field>`.
                let type_name = obj.typename_str().unwrap_or(type_name);
                self.object_types.insert(
                    std::ptr::from_ref::<ObjectDef>(obj) as usize,
                    type_name.to_owned(),
                );
                self.claim(type_name, owner)?;
                let mut body = String::new();
                let mut seen = BTreeSet::new();
                for (key, def) in obj.iter() {
                    let name = camel_case(key);
                    let path = format!("{owner}.fields.{key}");
                    if !seen.insert(name.clone()) {
                        return Err(schema_err(
                            &path,
                            format!("two fields are `{name}` in camelCase"),
                        ));
                    }
                    let line = self.output_field(
                        &name,
                        &def.ty,
                        &format!("{type_name}{}", pascal(key)),
                        &path,
                    )?;
                    body.push_str(&line);
                }
                self.types.insert(
                    type_name.to_owned(),
                    format!("type {type_name} {{\n{body}}}\n"),
                );
                type_name.to_owned()
            }
            _ => "JSON".to_owned(),
        })
    }

    /// The filter input of a field type: `StringFilter`, `IntListFilter`, or for a nested
    /// object `<Type>Where` (its fields and the object operators).
    fn filter_type(
        &mut self,
        ty: &FieldType,
        object_type: &str,
        owner: &str,
    ) -> Result<Option<String>, Error> {
        if let FieldType::List(def) = ty {
            let elem = self.list_element(def, object_type, owner)?;
            return Ok(Some(format!("{elem}ListRelationFilter")));
        }
        let ops = self.probe.get(ty).0.clone();
        let (name, mut body) = match ty {
            FieldType::Scalar(s) => (format!("{}Filter", scalar_name(*s)), String::new()),
            FieldType::Array(s) => (format!("{}ListFilter", scalar_name(*s)), String::new()),
            FieldType::Object(obj) => {
                let object_type = obj.typename_str().unwrap_or(object_type);
                let name = format!("{object_type}Where");
                self.claim(&name, owner)?;
                let mut body = String::new();
                for (key, def) in obj.iter() {
                    let field = camel_case(key);
                    if ops.iter().any(|op| op.name() == field)
                        || Operator::from_name(&field).is_some()
                    {
                        continue; // an operator name wins over a nested field (docs/query-ast.md)
                    }
                    let path = format!("{owner}.fields.{key}");
                    if let Some(t) =
                        self.filter_type(&def.ty, &format!("{object_type}{}", pascal(key)), &path)?
                    {
                        body.push_str(&format!("  {field}: {t}\n"));
                    }
                }
                (name, body)
            }
            _ => return Ok(None),
        };
        if self.types.contains_key(&name) && !matches!(ty, FieldType::Object(_)) {
            return Ok(Some(name));
        }
        for op in &ops {
            let t = operand_type(*op, ty);
            self.use_scalar(&t);
            body.push_str(&format!("  {}: {t}\n", op.name()));
        }
        if body.is_empty() {
            return Ok(None);
        }
        self.types
            .insert(name.clone(), format!("input {name} {{\n{body}}}\n"));
        Ok(Some(name))
    }

    /// The order input of an object's fields: `<name>: OrderDirection` per orderable scalar,
    /// a nested input per object field; `None` when nothing can be ordered.
    fn order_fields(
        &mut self,
        fields: Vec<(String, FieldType)>,
        type_name: &str,
        owner: &str,
    ) -> Result<Option<String>, Error> {
        let mut body = String::new();
        for (name, ty) in fields {
            match &ty {
                FieldType::Object(obj) => {
                    let inner: Vec<(String, FieldType)> = obj
                        .iter()
                        .map(|(k, d)| (k.to_owned(), d.ty.clone()))
                        .collect();
                    let nested = obj
                        .typename_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("{type_name}{}", pascal(&name)));
                    if let Some(t) =
                        self.order_fields(inner, &nested, &format!("{owner}.fields.{name}"))?
                    {
                        body.push_str(&format!("  {}: {t}\n", camel_case(&name)));
                    }
                }
                FieldType::List(def) => {
                    // A list orders by its aggregates (`{items: {count: DESC}}`).
                    let elem = def
                        .typename_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("{type_name}{}", pascal(&name)));
                    body.push_str(&format!(
                        "  {}: {elem}AggregateOrderBy\n",
                        camel_case(&name)
                    ));
                }
                _ => {
                    if self.probe.get(&ty).1 {
                        body.push_str(&format!("  {}: OrderDirection\n", camel_case(&name)));
                    }
                }
            }
        }
        if body.is_empty() {
            return Ok(None);
        }
        let name = format!("{type_name}OrderBy");
        self.claim(&name, owner)?;
        self.types
            .insert(name.clone(), format!("input {name} {{\n{body}}}\n"));
        Ok(Some(name))
    }

    /// The quantifier and aggregate filter of a list relation to the view of `target`.
    fn relation_rows_filter(&mut self, target: &str) -> Result<String, Error> {
        let key = self.view_key_of(target);
        let view = self.schema.view(&key).expect("an exposed view");
        let mut fields: Vec<(String, FieldType)> = Vec::new();
        let mut seen = BTreeSet::new();
        for (n, t) in view
            .columns()
            .map(|(n, t)| (n, t.clone()))
            .chain(view.document().iter().map(|(n, d)| (n, d.ty.clone())))
        {
            if seen.insert(camel_case(n)) {
                fields.push((n.to_owned(), t));
            }
        }
        self.quantifier_filter(target, &fields, &format!("views.{key}"))
    }

    /// `<Type>DistinctOn`: an enum of the view's top-level columns and fields that qb-core
    /// takes as `distinct_on` keys (probed per type), or `None` when there is none.
    fn distinct_on_enum(
        &mut self,
        view: &ViewDef,
        typename: &str,
        owner: &str,
    ) -> Result<Option<String>, Error> {
        let mut values = String::new();
        let mut seen = BTreeSet::new();
        let items: Vec<(String, FieldType)> = view
            .columns()
            .map(|(n, t)| (n.to_owned(), t.clone()))
            .chain(
                view.document()
                    .iter()
                    .map(|(n, d)| (n.to_owned(), d.ty.clone())),
            )
            .collect();
        for (name, ty) in items {
            let field = camel_case(&name);
            if !seen.insert(field.clone()) || matches!(field.as_str(), "true" | "false" | "null") {
                continue;
            }
            if self.probe_distinct_on(&ty) {
                values.push_str(&format!("  {field}\n"));
            }
        }
        if values.is_empty() {
            return Ok(None);
        }
        let name = format!("{typename}DistinctOn");
        self.claim(&name, owner)?;
        self.types.insert(
            name.clone(),
            format!("\"A key of `distinctOn`: one row per distinct value (PostgreSQL's DISTINCT ON).\"\nenum {name} {{\n{values}}}\n"),
        );
        Ok(Some(name))
    }

    /// Whether qb-core takes a field of type `ty` as a `distinct_on` key.
    fn probe_distinct_on(&mut self, ty: &FieldType) -> bool {
        let key = format!("distinct_on {}", ty.describe());
        if let Some((_, ok)) = self.probe.ops.get(&key) {
            return *ok;
        }
        let mut schema = Schema::new();
        let ok = schema
            .add_view(ViewDef::new("v").field("f", ty.clone()))
            .is_ok()
            && Query::from_json(r#"{"view": "v", "select": ["f"], "distinct_on": ["f"]}"#)
                .and_then(|q| qb_core::compile(&q, &schema, &CompileOptions::default()))
                .is_ok();
        self.probe.ops.insert(key, (Vec::new(), ok));
        ok
    }

    /// The registry key of the exposed view with this typename.
    fn view_key_of(&self, typename: &str) -> String {
        self.exposed
            .iter()
            .find(|(_, t)| *t == typename)
            .map(|(k, _)| k.clone())
            .unwrap_or_default()
    }

    /// `<Type>Connection` and `<Type>Edge` (and the shared `PageInfo`), returning the
    /// connection type's name.
    fn connection_types(&mut self, typename: &str, owner: &str) -> Result<String, Error> {
        let conn = format!("{typename}Connection");
        let edge = format!("{typename}Edge");
        self.claim(&conn, owner)?;
        self.claim(&edge, owner)?;
        self.types.insert(
            conn.clone(),
            format!(
                "\"A page of `{typename}` rows in the order asked (keyset pagination).\"\ntype {conn} {{\n  edges: [{edge}!]!\n  nodes: [{typename}!]!\n  pageInfo: PageInfo!\n  \"The rows the filter matches, whatever the page.\"\n  totalCount: Int!\n}}\n"
            ),
        );
        self.types.insert(
            edge.clone(),
            format!(
                "type {edge} {{\n  \"Pass it as `after` or `before` to read the rows after or before this one.\"\n  cursor: String!\n  node: {typename}!\n}}\n"
            ),
        );
        self.types.insert(
            "PageInfo".into(),
            "type PageInfo {\n  hasNextPage: Boolean!\n  hasPreviousPage: Boolean!\n  startCursor: String\n  endCursor: String\n}\n".into(),
        );
        Ok(conn)
    }

    /// The arguments of a connection over `typename`'s rows.
    fn connection_args(&self, typename: &str) -> String {
        let mut args = format!("where: {typename}Where");
        if self.types.contains_key(&format!("{typename}OrderBy")) {
            args.push_str(&format!(", orderBy: [{typename}OrderBy!]"));
        }
        args.push_str(", first: Int, after: String, last: Int, before: String");
        args
    }

    /// The arguments of a list of `view`'s rows.
    fn list_args(&self, typename: &str) -> String {
        let mut args = format!("where: {typename}Where");
        if self.types.contains_key(&format!("{typename}OrderBy")) {
            args.push_str(&format!(", orderBy: [{typename}OrderBy!]"));
        }
        args.push_str(", limit: Int, offset: Int");
        args
    }

    fn view(&mut self, key: &str, view: &ViewDef, typename: &str) -> Result<(), Error> {
        let owner = format!("views.{key}");
        self.claim(typename, &owner)?;
        // Columns and fields, in registry order (columns first, as names resolve).
        // The registry's own definitions (not copies): their addresses key `object_types`.
        let mut items: Vec<(String, &FieldType, String)> = view
            .columns()
            .map(|(n, t)| (n.to_owned(), t, format!("{owner}.columns.{n}")))
            .collect();
        items.extend(
            view.document()
                .iter()
                .map(|(n, d)| (n.to_owned(), &d.ty, format!("{owner}.fields.{n}"))),
        );
        let mut seen = BTreeSet::new();
        let mut out_body = String::new();
        let mut where_body = format!(
            "  and: [{typename}Where!]\n  or: [{typename}Where!]\n  not: {typename}Where\n"
        );
        for (name, ty, path) in &items {
            let field = camel_case(name);
            if !seen.insert(field.clone()) {
                continue; // a field shadowed by a column of the same name (columns win)
            }
            let line =
                self.output_field(&field, ty, &format!("{typename}{}", pascal(name)), path)?;
            out_body.push_str(&line);
            if LOGIC.contains(&field.as_str()) {
                continue; // `and`/`or`/`not` are logic at the top of a filter
            }
            if let Some(f) = self.filter_type(ty, &format!("{typename}{}", pascal(name)), path)? {
                where_body.push_str(&format!("  {field}: {f}\n"));
            }
        }
        let order_items: Vec<(String, FieldType)> = items
            .iter()
            .filter(|(n, _, _)| seen.contains(&camel_case(n)))
            .map(|(n, t, _)| (n.clone(), (*t).clone()))
            .collect();
        self.order_fields(order_items, typename, &owner)?;
        // Relations (to exposed views only).
        let mut rel_fields = Vec::new();
        for (name, rel) in view.relations() {
            let Some(target) = self.exposed.get(rel.view()).cloned() else {
                continue;
            };
            let field = camel_case(name);
            if !seen.insert(field.clone()) {
                return Err(schema_err(
                    &format!("{owner}.relations.{name}"),
                    format!("relation `{name}` is `{field}` in camelCase, like a field"),
                ));
            }
            // A list relation to a view with a primary key also pages: `<field>Connection`.
            let paged = rel.kind().is_list()
                && self
                    .schema
                    .view(rel.view())
                    .is_some_and(|v| !v.primary_key_columns().is_empty());
            if paged && !seen.insert(format!("{field}Connection")) {
                return Err(schema_err(
                    &format!("{owner}.relations.{name}"),
                    format!(
                        "relation `{name}`'s connection `{field}Connection` is a field's name too"
                    ),
                ));
            }
            rel_fields.push((field, rel.kind(), target, paged));
        }
        let mut order_extra = String::new();
        for (field, kind, target, paged) in &rel_fields {
            if kind.is_list() {
                out_body.push_str(&format!("  {field}({{ARGS:{target}}}): [{target}!]!\n"));
                if *paged {
                    out_body.push_str(&format!(
                        "  {field}Connection({{CONNARGS:{target}}}): {target}Connection!\n"
                    ));
                }
                let lrf = self.relation_rows_filter(target)?;
                where_body.push_str(&format!("  {field}: {lrf}\n"));
                order_extra.push_str(&format!("  {field}: {target}AggregateOrderBy\n"));
            } else {
                debug_assert_eq!(*kind, RelationKind::ManyToOne);
                out_body.push_str(&format!("  {field}: {target}\n"));
                where_body.push_str(&format!(
                    "  \"The related `{target}` exists and matches; `null`: there is none.\"\n  {field}: {target}Where\n"
                ));
            }
        }
        if !order_extra.is_empty() {
            // Relations order by their aggregates (`orderBy: {posts: {count: DESC}}`).
            let name = format!("{typename}OrderBy");
            self.claim(&name, &owner)?;
            let body = match self.types.get(&name) {
                Some(text) => text
                    .strip_prefix(&format!("input {name} {{\n"))
                    .and_then(|t| t.strip_suffix("}\n"))
                    .unwrap_or_default()
                    .to_owned(),
                None => String::new(),
            };
            self.types.insert(
                name.clone(),
                format!("input {name} {{\n{body}{order_extra}}}\n"),
            );
        }
        let where_name = format!("{typename}Where");
        self.claim(&where_name, &owner)?;
        self.types.insert(
            where_name.clone(),
            format!("input {where_name} {{\n{where_body}}}\n"),
        );
        self.types.insert(
            typename.to_owned(),
            format!("type {typename} {{\n{out_body}}}\n"),
        );
        Ok(())
    }
}

/// Derives the SDL and the root fields from a registry.
pub(crate) fn derive(schema: &Schema) -> Result<Derived, Error> {
    let views = schema.views();
    let mut b = Builder {
        schema,
        exposed: BTreeMap::new(),
        types: BTreeMap::new(),
        operand_inputs: BTreeSet::new(),
        scalars: BTreeSet::new(),
        probe: Probe::default(),
        owners: HashMap::new(),
        object_types: HashMap::new(),
    };
    for (key, view) in &views {
        if let Some(t) = view.typename_str() {
            if let Some(prev) = b.exposed.iter().find(|(_, v)| *v == t) {
                return Err(schema_err(
                    &format!("views.{key}.typename"),
                    format!(
                        "typename `{t}` is also the typename of `{}`; a GraphQL type needs one view",
                        prev.0
                    ),
                ));
            }
            b.exposed.insert((*key).to_owned(), t.to_owned());
        }
    }
    b.claim("Query", "the root query type")?;
    b.claim("OrderDirection", "the order direction enum")?;
    b.claim("PageInfo", "the page info of connections")?;
    for (key, _) in CUSTOM_SCALARS.iter().chain(OPERAND_INPUTS.iter()) {
        b.claim(key, "a built-in type of the GraphQL front end")?;
    }
    let exposed: Vec<(String, String)> = b
        .exposed
        .iter()
        .map(|(k, t)| (k.clone(), t.clone()))
        .collect();
    for (key, typename) in &exposed {
        let view = b.schema.view(key).expect("listed view");
        b.view(key, view, typename)?;
    }
    // List arguments, once every OrderBy input is known.
    let names: Vec<String> = b.types.keys().cloned().collect();
    for name in names {
        let text = b.types[&name].clone();
        if !text.contains("{ARGS:") && !text.contains("{CONNARGS:") {
            continue;
        }
        let mut out = String::new();
        let mut rest = text.as_str();
        let next = |r: &str| {
            [r.find("{ARGS:"), r.find("{CONNARGS:")]
                .into_iter()
                .flatten()
                .min()
        };
        while let Some(i) = next(rest) {
            out.push_str(&rest[..i]);
            let end = rest[i..].find('}').expect("closing brace") + i;
            let marker = &rest[i + 1..end];
            match marker.strip_prefix("ARGS:") {
                Some(t) => out.push_str(&b.list_args(t)),
                None => out.push_str(&b.connection_args(&marker["CONNARGS:".len()..])),
            }
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        b.types.insert(name, out);
    }
    // Root fields.
    let mut roots = HashMap::new();
    let mut query_body = String::new();
    let mut root_names: BTreeMap<String, String> = BTreeMap::new();
    for (key, typename) in &exposed {
        let view = b.schema.view(key).expect("listed view");
        let base = lower_first(typename);
        let list = format!("{base}List");
        for name in [&list, &base] {
            if let Some(prev) = root_names.insert(name.clone(), key.clone()) {
                return Err(schema_err(
                    &format!("views.{key}.typename"),
                    format!("root field `{name}` would read both `{prev}` and `{key}`"),
                ));
            }
        }
        let mut args = b.list_args(typename);
        if let Some(e) = b.distinct_on_enum(view, typename, &format!("views.{key}"))? {
            // Root lists only: the core reads `distinct_on` at the top of a query.
            let at = args.find(", limit:").expect("limit is written");
            args.insert_str(at, &format!(", distinctOn: [{e}!]"));
        }
        query_body.push_str(&format!("  {list}({args}): [{typename}!]!\n"));
        roots.insert(
            list,
            RootDef {
                view: key.clone(),
                kind: RootKind::List,
            },
        );
        let pk = view.primary_key_columns();
        if !pk.is_empty() {
            // Keyset pages need a total order, which the primary key completes.
            let conn = format!("{base}Connection");
            if let Some(prev) = root_names.insert(conn.clone(), key.clone()) {
                return Err(schema_err(
                    &format!("views.{key}.typename"),
                    format!("root field `{conn}` would read both `{prev}` and `{key}`"),
                ));
            }
            let conn_type = b.connection_types(typename, &format!("views.{key}"))?;
            query_body.push_str(&format!(
                "  {conn}({}): {conn_type}!\n",
                b.connection_args(typename)
            ));
            roots.insert(
                conn,
                RootDef {
                    view: key.clone(),
                    kind: RootKind::Connection,
                },
            );
        }
        let columns: HashMap<&str, &FieldType> = view.columns().collect();
        let pk_types: Option<Vec<(String, String)>> = pk
            .iter()
            .map(|c| match columns.get(c.as_str()) {
                Some(FieldType::Scalar(s)) => Some((camel_case(c), scalar_name(*s).to_owned())),
                _ => None,
            })
            .collect();
        if let Some(pk_types) = pk_types.filter(|p| !p.is_empty()) {
            let args: Vec<String> = pk_types.iter().map(|(n, t)| format!("{n}: {t}!")).collect();
            query_body.push_str(&format!("  {base}({}): {typename}\n", args.join(", ")));
            roots.insert(
                base,
                RootDef {
                    view: key.clone(),
                    kind: RootKind::ByKey(pk_types.into_iter().map(|(n, _)| n).collect()),
                },
            );
        }
    }
    if query_body.is_empty() {
        return Err(schema_err(
            "views",
            "no view has a typename, so the GraphQL schema would have no query field".into(),
        ));
    }
    // The text: scalars, the direction enum, operand inputs, Query, then every type by name.
    let mut sdl =
        String::from("# Generated by qb-graphql from the schema registry; do not edit.\n\n");
    for (name, doc) in CUSTOM_SCALARS {
        if b.scalars.contains(name) {
            sdl.push_str(&format!(
                "\"{}\"\nscalar {name}\n\n",
                doc.replace('"', "\\\"")
            ));
        }
    }
    sdl.push_str(
        "\"Order of a key: direction, and where NULLs go (PostgreSQL's default when not given: last ascending, first descending).\"\nenum OrderDirection {\n  ASC\n  ASC_NULLS_FIRST\n  ASC_NULLS_LAST\n  DESC\n  DESC_NULLS_FIRST\n  DESC_NULLS_LAST\n}\n\n",
    );
    for (name, text) in OPERAND_INPUTS {
        if b.operand_inputs.contains(name) {
            sdl.push_str(text);
            sdl.push('\n');
        }
    }
    sdl.push_str(&format!("type Query {{\n{query_body}}}\n"));
    for text in b.types.values() {
        sdl.push('\n');
        sdl.push_str(text);
    }
    let view_types = exposed.into_iter().map(|(_, t)| t).collect();
    Ok(Derived {
        sdl,
        roots,
        view_types,
        object_types: b.object_types,
    })
}
